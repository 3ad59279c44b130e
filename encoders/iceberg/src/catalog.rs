//! Catalog configuration and the open catalog: SQL catalogs (SQLite, PostgreSQL) that share
//! their tables with pyiceberg's `SqlCatalog`, and the REST catalog.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use iceberg::io::{FileIO, FileIOBuilder, LocalFsStorageFactory, StorageFactory};
use iceberg::table::Table;
use iceberg::{Catalog, CatalogBuilder, NamespaceIdent, TableIdent};
use iceberg_catalog_sql::{SqlBindStyle, SqlCatalogBuilder};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

use crate::error::{ErrorKind, IcebergError, py_repr};

/// The catalog name used when none is given: `pixeltable`, the name Pixeltable's tests and
/// cookbook give their `SqlCatalog`. A SQL catalog's name is part of every row it stores;
/// pyiceberg sees the tables only when it opens the catalog under the same name.
pub const DEFAULT_CATALOG_NAME: &str = "pixeltable";

/// The database of a SQL catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Where and how to reach an Iceberg catalog. Cheap to clone; opening happens in
/// [`IcebergCatalog::open`] (async) or [`IcebergExporter::open`](crate::IcebergExporter::open).
///
/// ```
/// use tessera_iceberg::CatalogConfig;
/// // pyiceberg: SqlCatalog("pixeltable", uri="sqlite:////data/wh/catalog.db", warehouse="file:///data/wh")
/// let c = CatalogConfig::sql("sqlite:////data/wh/catalog.db", "/data/wh").unwrap();
/// assert_eq!(c.name(), "pixeltable");
/// assert_eq!(c.uri(), "sqlite:///data/wh/catalog.db?mode=rwc");
/// assert_eq!(c.warehouse(), Some("file:///data/wh"));
/// assert!(CatalogConfig::sql("sqlite:///relative.db", "/wh").is_ok()); // Rust's form: absolute
/// assert!(CatalogConfig::sql("sqlite://relative.db", "/wh").is_err());
/// ```
#[derive(Clone)]
pub struct CatalogConfig {
    name: String,
    kind: Kind,
    properties: BTreeMap<String, String>,
}

#[derive(Clone)]
enum Kind {
    Sql { uri: String, backend: Backend, warehouse: String },
    Rest { uri: String, warehouse: Option<String> },
}

impl fmt::Debug for CatalogConfig {
    /// Leaves passwords and tokens out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let props: Vec<&String> = self.properties.keys().collect();
        f.debug_struct("CatalogConfig")
            .field("name", &self.name)
            .field("kind", &self.kind_name())
            .field("uri", &redact(self.uri()))
            .field("warehouse", &self.warehouse())
            .field("property_keys", &props)
            .finish()
    }
}

/// `scheme://user:secret@host` → `scheme://user:***@host`.
fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else { return uri.to_owned() };
    let Some((auth, host)) = rest.split_once('@') else { return uri.to_owned() };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => uri.to_owned(),
    }
}

impl CatalogConfig {
    /// A SQL catalog (`iceberg_tables` / `iceberg_namespace_properties`, the layout of
    /// pyiceberg's `SqlCatalog`) named [`DEFAULT_CATALOG_NAME`].
    ///
    /// `uri` is SQLite or PostgreSQL, in SQLAlchemy's form (what pyiceberg takes) or sqlx's:
    /// - `sqlite:////abs/catalog.db` (SQLAlchemy) or `sqlite:///abs/catalog.db` (sqlx) or
    ///   a plain absolute path: the SQLite file `/abs/catalog.db`, created if missing.
    ///   Relative paths and in-memory databases are refused (they would not be the same
    ///   file for another process).
    /// - `postgresql://user:pw@host:port/db`, `postgres://…`, `postgresql+psycopg2://…`.
    ///
    /// `warehouse` is where new tables' files go: `file:///abs/dir` or an absolute path;
    /// with the `object-store` feature also `s3://bucket/prefix` (credentials as catalog
    /// properties, e.g. `s3.access-key-id`, `s3.secret-access-key`, `s3.endpoint`,
    /// `s3.region`).
    ///
    /// # Errors
    /// `InvalidArgument` for a malformed or relative URI or warehouse; `Unsupported` for a
    /// database or storage this build lacks.
    pub fn sql(uri: &str, warehouse: &str) -> Result<Self, IcebergError> {
        let (uri, backend) = sql_uri(uri)?;
        let warehouse = warehouse_uri(warehouse)?;
        Ok(CatalogConfig {
            name: DEFAULT_CATALOG_NAME.to_owned(),
            kind: Kind::Sql { uri, backend, warehouse },
            properties: BTreeMap::new(),
        })
    }

    /// A REST catalog at `uri` (`http(s)://host:port[/prefix]`), named
    /// [`DEFAULT_CATALOG_NAME`]. Credentials and options go in properties (`credential`,
    /// `token`, `oauth2-server-uri`, `scope`, `s3.*`, ...), as for iceberg-rust's
    /// `RestCatalogBuilder`. Opening it needs the `rest` feature.
    ///
    /// # Errors
    /// `InvalidArgument` when `uri` is not http(s).
    pub fn rest(uri: &str) -> Result<Self, IcebergError> {
        if !(uri.starts_with("http://") || uri.starts_with("https://")) {
            return Err(IcebergError::invalid(format!(
                "export_iceberg(): REST catalog URI {} must start with http:// or https://",
                py_repr(uri)
            )));
        }
        Ok(CatalogConfig {
            name: DEFAULT_CATALOG_NAME.to_owned(),
            kind: Kind::Rest { uri: uri.trim_end_matches('/').to_owned(), warehouse: None },
            properties: BTreeMap::new(),
        })
    }

    /// A catalog from pyiceberg-style properties: `type` (`sql` or `rest`; guessed from
    /// `uri` when absent), `uri`, `warehouse`, and any other key as a catalog property.
    ///
    /// # Errors
    /// As [`sql`](Self::sql) and [`rest`](Self::rest); `InvalidArgument` for a missing
    /// `uri` (or `warehouse`, for SQL) or an unknown `type`.
    pub fn from_properties(name: &str, properties: &HashMap<String, String>) -> Result<Self, IcebergError> {
        let mut props = properties.clone();
        let uri = props
            .remove("uri")
            .ok_or_else(|| IcebergError::invalid("export_iceberg(): the catalog needs a `uri`"))?;
        let warehouse = props.remove("warehouse");
        let kind = props.remove("type").unwrap_or_else(|| {
            if uri.starts_with("http://") || uri.starts_with("https://") {
                "rest".into()
            } else {
                "sql".into()
            }
        });
        let mut c = match kind.as_str() {
            "sql" => {
                let w = warehouse.ok_or_else(|| {
                    IcebergError::invalid("export_iceberg(): a SQL catalog needs a `warehouse`")
                })?;
                CatalogConfig::sql(&uri, &w)?
            }
            "rest" => {
                let c = CatalogConfig::rest(&uri)?;
                match warehouse {
                    Some(w) => c.with_warehouse(&w),
                    None => c,
                }
            }
            other => {
                return Err(IcebergError::invalid(format!(
                    "export_iceberg(): catalog type {} is not one of 'sql', 'rest'",
                    py_repr(other)
                )));
            }
        };
        c = c.with_name(name)?;
        c.properties.extend(props);
        Ok(c)
    }

    /// The catalog's name (default [`DEFAULT_CATALOG_NAME`]).
    ///
    /// # Errors
    /// `InvalidArgument` for an empty name.
    pub fn with_name(mut self, name: &str) -> Result<Self, IcebergError> {
        if name.trim().is_empty() {
            return Err(IcebergError::invalid("export_iceberg(): the catalog name cannot be empty"));
        }
        self.name = name.to_owned();
        Ok(self)
    }

    /// For a REST catalog: the warehouse to ask the server for (server-specific; often a
    /// name). Ignored by SQL catalogs, whose warehouse is given to [`sql`](Self::sql).
    pub fn with_warehouse(mut self, warehouse: &str) -> Self {
        if let Kind::Rest { warehouse: w, .. } = &mut self.kind {
            *w = Some(warehouse.to_owned());
        }
        self
    }

    /// A property passed to the catalog and its file I/O (`s3.*`, `credential`, `token`,
    /// `pool.max-connections`, ...).
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URI, normalized (SQL: the sqlx form, with `?mode=rwc` for SQLite).
    pub fn uri(&self) -> &str {
        match &self.kind {
            Kind::Sql { uri, .. } | Kind::Rest { uri, .. } => uri,
        }
    }

    /// The warehouse (`file:///…`, `s3://…`, or the REST warehouse name).
    pub fn warehouse(&self) -> Option<&str> {
        match &self.kind {
            Kind::Sql { warehouse, .. } => Some(warehouse),
            Kind::Rest { warehouse, .. } => warehouse.as_deref(),
        }
    }

    /// `"sqlite"`, `"postgres"` or `"rest"`.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Sql { backend: Backend::Sqlite, .. } => "sqlite",
            Kind::Sql { backend: Backend::Postgres, .. } => "postgres",
            Kind::Rest { .. } => "rest",
        }
    }
}

/// Normalizes a SQL catalog URI to sqlx's form.
fn sql_uri(uri: &str) -> Result<(String, Backend), IcebergError> {
    let bad = |why: &str| {
        IcebergError::invalid(format!("export_iceberg(): catalog URI {}: {why}", py_repr(&redact(uri))))
    };
    if let Some(rest) = uri.strip_prefix("sqlite:").or_else(|| uri.starts_with('/').then_some(uri)) {
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        // `sqlite:////abs` (SQLAlchemy) and `sqlite:///abs` (sqlx) both mean `/abs`.
        let path = if let Some(p) = path.strip_prefix("//") { p } else { path };
        let path = if path.starts_with("//") { &path[1..] } else { path };
        if path.contains(":memory:") || path.is_empty() {
            return Err(bad("an in-memory SQLite catalog would vanish with the export; give a file"));
        }
        if !path.starts_with('/') {
            return Err(bad(
                "the SQLite path must be absolute (sqlite:////abs/path.db in SQLAlchemy's form, as pyiceberg takes it)",
            ));
        }
        let mut params: Vec<&str> =
            query.map(|q| q.split('&').filter(|p| !p.is_empty()).collect()).unwrap_or_default();
        if !params.iter().any(|p| p.starts_with("mode=")) {
            params.push("mode=rwc");
        }
        if !cfg!(feature = "sqlite") {
            return Err(IcebergError::new(
                ErrorKind::Unsupported,
                "export_iceberg(): this build of tessera-iceberg has no SQLite support (feature `sqlite`)",
            ));
        }
        return Ok((format!("sqlite://{path}?{}", params.join("&")), Backend::Sqlite));
    }
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| bad("not a URI (sqlite:////abs/path.db or postgresql://host/db)"))?;
    let base = scheme.split('+').next().unwrap_or(scheme);
    match base {
        "postgresql" | "postgres" => {
            if !cfg!(feature = "postgres") {
                return Err(IcebergError::new(
                    ErrorKind::Unsupported,
                    "export_iceberg(): this build of tessera-iceberg has no PostgreSQL support (feature `postgres`)",
                ));
            }
            Ok((format!("postgres://{rest}"), Backend::Postgres))
        }
        _ => Err(bad("the SQL catalog supports sqlite and postgresql databases")),
    }
}

/// Normalizes a warehouse to a URI with a scheme.
fn warehouse_uri(w: &str) -> Result<String, IcebergError> {
    let w = w.trim_end_matches('/');
    if let Some(path) = w.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(IcebergError::invalid(format!(
                "export_iceberg(): warehouse {} must be an absolute path (file:///abs/dir)",
                py_repr(w)
            )));
        }
        return Ok(w.to_owned());
    }
    if w.starts_with('/') {
        return Ok(format!("file://{w}"));
    }
    if let Some((scheme, _)) = w.split_once("://") {
        if cfg!(feature = "object-store") && matches!(scheme, "s3" | "s3a") {
            return Ok(w.to_owned());
        }
        return Err(IcebergError::new(
            ErrorKind::Unsupported,
            format!(
                "export_iceberg(): warehouse {} needs object storage, which this build of tessera-iceberg lacks (feature `object-store` adds s3://; without it warehouses are local directories)",
                py_repr(w)
            ),
        ));
    }
    Err(IcebergError::invalid(format!(
        "export_iceberg(): warehouse {} must be an absolute path or a file:// URI",
        py_repr(w)
    )))
}

fn storage_factory(local_only: bool) -> Arc<dyn StorageFactory> {
    #[cfg(feature = "object-store")]
    if !local_only {
        return Arc::new(iceberg_storage_opendal::OpenDalResolvingStorageFactory::new());
    }
    let _ = local_only;
    Arc::new(LocalFsStorageFactory)
}

/// `?` placeholders, numbered (`$1`, `$2`, ...) for PostgreSQL.
fn placeholders(backend: Backend, sql: &str) -> String {
    match backend {
        Backend::Sqlite => sql.to_owned(),
        Backend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

/// The SQL side of a SQL catalog: a small pool of our own for what the iceberg catalog does
/// not expose (the V0 → V1 migration, the compare-and-swap of a table's metadata location).
pub(crate) struct SqlSide {
    pool: AnyPool,
    backend: Backend,
    name: String,
    warehouse: String,
    pub(crate) file_io: FileIO,
}

impl SqlSide {
    fn q(&self, sql: &str) -> String {
        placeholders(self.backend, sql)
    }

    /// pyiceberg before 0.12 created `iceberg_tables` without `iceberg_type`, which
    /// iceberg-catalog-sql 0.10 queries in every statement (apache/iceberg-rust#2068). Add it
    /// as pyiceberg 0.12 and Java do; old pyiceberg versions keep working with it.
    async fn migrate_v0(&self) -> Result<(), sqlx::Error> {
        if sqlx::query("SELECT iceberg_type FROM iceberg_tables LIMIT 0").execute(&self.pool).await.is_ok() {
            return Ok(());
        }
        if sqlx::query("SELECT 1 FROM iceberg_tables LIMIT 0").execute(&self.pool).await.is_err() {
            return Ok(()); // no catalog tables yet: the catalog creates them in the V1 layout
        }
        sqlx::query("ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The table's current metadata location, or `None` when the table does not exist.
    pub(crate) async fn metadata_location(&self, t: &TableIdent) -> Result<Option<String>, sqlx::Error> {
        let sql = self.q(
            "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)",
        );
        let row = sqlx::query(&sql)
            .bind(self.name.as_str())
            .bind(t.namespace().join("."))
            .bind(t.name())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<Option<String>, _>(0)).transpose().map(Option::flatten)
    }

    /// Points the table at `new` if it still points at `old`: one `UPDATE … WHERE
    /// metadata_location = old`, the commit protocol of every SQL catalog. `Ok(false)` when
    /// another writer moved the table first.
    pub(crate) async fn swap(&self, t: &TableIdent, old: &str, new: &str) -> Result<bool, sqlx::Error> {
        let sql = self.q(
            "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL) AND metadata_location = ?",
        );
        let done = sqlx::query(&sql)
            .bind(new)
            .bind(old)
            .bind(self.name.as_str())
            .bind(t.namespace().join("."))
            .bind(t.name())
            .bind(old)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The location a new table gets: the namespace's `location` property, else
    /// `{warehouse}/{namespace levels joined by /}`, then `/{table}` (pyiceberg's layout).
    pub(crate) fn table_location(&self, ns_location: Option<&str>, t: &TableIdent) -> String {
        let base = match ns_location {
            Some(l) => l.trim_end_matches('/').to_owned(),
            None => format!("{}/{}", self.warehouse, t.namespace().join("/")),
        };
        format!("{base}/{}", t.name())
    }
}

/// A table as its catalog describes it ([`IcebergCatalog::describe_table`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TableInfo {
    /// The current metadata file.
    pub metadata_location: Option<String>,
    /// The table location.
    pub location: String,
    /// Iceberg format version (1, 2 or 3).
    pub format_version: u8,
    /// The current snapshot (`main`), `None` for a table without data.
    pub current_snapshot_id: Option<i64>,
    /// Every snapshot still in the metadata, oldest first.
    pub snapshots: Vec<SnapshotInfo>,
    /// The current schema as Arrow (with `PARQUET:field_id` metadata).
    pub schema: arrow::datatypes::SchemaRef,
}

/// One snapshot of a [`TableInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotInfo {
    /// Its id.
    pub snapshot_id: i64,
    /// Its parent.
    pub parent_id: Option<i64>,
    /// Its sequence number.
    pub sequence_number: i64,
    /// `append`, `overwrite`, `delete` or `replace`.
    pub operation: String,
    /// The rest of its summary (`added-records`, `total-records`, `tessera.export-id`, ...).
    pub summary: BTreeMap<String, String>,
}

/// An open catalog, for async callers. Use [`IcebergExporter`](crate::IcebergExporter)
/// from blocking code.
pub struct IcebergCatalog {
    pub(crate) config: CatalogConfig,
    pub(crate) catalog: Arc<dyn Catalog>,
    pub(crate) sql: Option<SqlSide>,
}

impl fmt::Debug for IcebergCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcebergCatalog").field("config", &self.config).finish_non_exhaustive()
    }
}

impl IcebergCatalog {
    /// Opens the catalog on the current tokio runtime (SQL: connects, migrates a pyiceberg
    /// ≤ 0.11 catalog, creates the catalog tables if missing).
    ///
    /// # Errors
    /// `Runtime` outside a tokio runtime; `Catalog` when the database or server cannot be
    /// reached; `Unsupported` for a REST catalog without the `rest` feature.
    pub async fn open(config: &CatalogConfig) -> Result<Self, IcebergError> {
        let rt = iceberg::Runtime::try_current().map_err(|e| {
            IcebergError::new(
                ErrorKind::Runtime,
                "export_iceberg(): IcebergCatalog::open needs a tokio runtime (use IcebergExporter from blocking code)",
            )
            .with_source(e)
        })?;
        Self::open_on(config, rt).await
    }

    pub(crate) async fn open_on(config: &CatalogConfig, rt: iceberg::Runtime) -> Result<Self, IcebergError> {
        let props: HashMap<String, String> =
            config.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        match &config.kind {
            Kind::Sql { uri, backend, warehouse } => {
                let fail = |what: &str, e: sqlx::Error| {
                    IcebergError::new(
                        ErrorKind::Catalog,
                        format!("export_iceberg(): {what} catalog database {}: {e}", py_repr(&redact(uri))),
                    )
                    .with_source(e)
                };
                install_default_drivers();
                let pool = AnyPoolOptions::new()
                    .max_connections(2)
                    .connect(uri)
                    .await
                    .map_err(|e| fail("cannot connect to the", e))?;
                let factory = storage_factory(warehouse.starts_with("file://"));
                let file_io = FileIOBuilder::new(factory.clone()).with_props(props.clone()).build();
                let side = SqlSide {
                    pool,
                    backend: *backend,
                    name: config.name.clone(),
                    warehouse: warehouse.clone(),
                    file_io,
                };
                side.migrate_v0().await.map_err(|e| fail("cannot add the iceberg_type column to the", e))?;
                let mut all = props;
                all.insert("uri".into(), uri.clone());
                all.insert("warehouse".into(), warehouse.clone());
                let style = match backend {
                    Backend::Sqlite => SqlBindStyle::QMark,
                    Backend::Postgres => SqlBindStyle::DollarNumeric,
                };
                let catalog = SqlCatalogBuilder::default()
                    .sql_bind_style(style)
                    .with_storage_factory(factory)
                    .with_runtime(rt)
                    .load(config.name.clone(), all)
                    .await
                    .map_err(|e| {
                        IcebergError::catalog("export_iceberg(): opening the SQL catalog failed", e)
                    })?;
                Ok(IcebergCatalog { config: config.clone(), catalog: Arc::new(catalog), sql: Some(side) })
            }
            Kind::Rest { uri, warehouse } => {
                Self::open_rest(config, uri, warehouse.as_deref(), props, rt).await
            }
        }
    }

    #[cfg(feature = "rest")]
    async fn open_rest(
        config: &CatalogConfig,
        uri: &str,
        warehouse: Option<&str>,
        mut props: HashMap<String, String>,
        rt: iceberg::Runtime,
    ) -> Result<Self, IcebergError> {
        use iceberg_catalog_rest::RestCatalogBuilder;
        props.insert("uri".into(), uri.to_owned());
        if let Some(w) = warehouse {
            props.insert("warehouse".into(), w.to_owned());
        }
        let catalog = RestCatalogBuilder::default()
            .with_storage_factory(storage_factory(false))
            .with_runtime(rt)
            .load(config.name.clone(), props)
            .await
            .map_err(|e| IcebergError::catalog("export_iceberg(): opening the REST catalog failed", e))?;
        Ok(IcebergCatalog { config: config.clone(), catalog: Arc::new(catalog), sql: None })
    }

    #[cfg(not(feature = "rest"))]
    async fn open_rest(
        _config: &CatalogConfig,
        _uri: &str,
        _warehouse: Option<&str>,
        _props: HashMap<String, String>,
        _rt: iceberg::Runtime,
    ) -> Result<Self, IcebergError> {
        Err(IcebergError::new(
            ErrorKind::Unsupported,
            "export_iceberg(): this build of tessera-iceberg has no REST catalog support (feature `rest`)",
        ))
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &CatalogConfig {
        &self.config
    }

    /// Whether `namespace.table` exists.
    ///
    /// # Errors
    /// `InvalidArgument` for a name without namespace; `Catalog` failures.
    pub async fn table_exists(&self, table: &str) -> Result<bool, IcebergError> {
        let name = crate::name::TableName::parse(table)?;
        self.catalog.table_exists(&name.ident).await.map_err(|e| {
            IcebergError::catalog(format!("export_iceberg(): looking up table {}", name.repr()), e)
        })
    }

    /// Removes `namespace.table` from the catalog; with `purge`, deletes its files too.
    ///
    /// # Errors
    /// `InvalidArgument` for a name without namespace; `Catalog` failures (including a table
    /// that does not exist).
    pub async fn drop_table(&self, table: &str, purge: bool) -> Result<(), IcebergError> {
        let name = crate::name::TableName::parse(table)?;
        let r = if purge {
            self.catalog.purge_table(&name.ident).await
        } else {
            self.catalog.drop_table(&name.ident).await
        };
        r.map_err(|e| IcebergError::catalog(format!("export_iceberg(): dropping table {}", name.repr()), e))
    }

    /// Reads a whole table into memory: its Arrow schema and batches. For tests, checks and
    /// small tables (it does not stream).
    ///
    /// # Errors
    /// `InvalidArgument` for a name without namespace; `Catalog` failures.
    pub async fn read_table(
        &self,
        table: &str,
    ) -> Result<(arrow::datatypes::SchemaRef, Vec<arrow::array::RecordBatch>), IcebergError> {
        use futures::TryStreamExt;
        let name = crate::name::TableName::parse(table)?;
        let ctx = || format!("export_iceberg(): reading table {}", name.repr());
        let t = self.catalog.load_table(&name.ident).await.map_err(|e| IcebergError::catalog(ctx(), e))?;
        let schema = Arc::new(
            iceberg::arrow::schema_to_arrow_schema(t.metadata().current_schema())
                .map_err(|e| IcebergError::catalog(ctx(), e))?,
        );
        let scan = t.scan().select_all().build().map_err(|e| IcebergError::catalog(ctx(), e))?;
        let batches: Vec<_> = scan
            .to_arrow()
            .await
            .map_err(|e| IcebergError::catalog(ctx(), e))?
            .try_collect()
            .await
            .map_err(|e| IcebergError::catalog(ctx(), e))?;
        Ok((schema, batches))
    }

    /// What the catalog says about `namespace.table`: its metadata file, snapshots, schema.
    ///
    /// # Errors
    /// `InvalidArgument` for a name without namespace; `Catalog` failures (including a table
    /// that does not exist).
    pub async fn describe_table(&self, table: &str) -> Result<TableInfo, IcebergError> {
        let name = crate::name::TableName::parse(table)?;
        let ctx = || format!("export_iceberg(): reading table {}", name.repr());
        let t = self.catalog.load_table(&name.ident).await.map_err(|e| IcebergError::catalog(ctx(), e))?;
        let m = t.metadata();
        let schema = iceberg::arrow::schema_to_arrow_schema(m.current_schema())
            .map_err(|e| IcebergError::catalog(ctx(), e))?;
        let mut snapshots: Vec<SnapshotInfo> = m
            .snapshots()
            .map(|s| SnapshotInfo {
                snapshot_id: s.snapshot_id(),
                parent_id: s.parent_snapshot_id(),
                sequence_number: s.sequence_number(),
                operation: s.summary().operation.as_str().to_owned(),
                summary: s
                    .summary()
                    .additional_properties
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
            .collect();
        snapshots.sort_by_key(|s| s.sequence_number);
        Ok(TableInfo {
            metadata_location: t.metadata_location().map(str::to_owned),
            location: m.location().to_owned(),
            format_version: m.format_version() as u8,
            current_snapshot_id: m.current_snapshot_id(),
            snapshots,
            schema: Arc::new(schema),
        })
    }

    /// Loads a table, `None` when it does not exist.
    pub(crate) async fn load_if_exists(&self, t: &TableIdent) -> Result<Option<Table>, iceberg::Error> {
        match self.catalog.load_table(t).await {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == iceberg::ErrorKind::TableNotFound => Ok(None),
            Err(e) if e.kind() == iceberg::ErrorKind::NamespaceNotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates the namespace (all levels) unless it exists; a concurrent creation is fine.
    pub(crate) async fn ensure_namespace(&self, ns: &NamespaceIdent) -> Result<(), iceberg::Error> {
        if self.catalog.namespace_exists(ns).await? {
            return Ok(());
        }
        match self.catalog.create_namespace(ns, HashMap::new()).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == iceberg::ErrorKind::NamespaceAlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The `location` property of a namespace, if it exists and has one.
    pub(crate) async fn namespace_location(
        &self,
        ns: &NamespaceIdent,
    ) -> Result<Option<String>, iceberg::Error> {
        if !self.catalog.namespace_exists(ns).await? {
            return Ok(None);
        }
        Ok(self.catalog.get_namespace(ns).await?.properties().get("location").cloned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_uris_in_both_forms() {
        assert_eq!(sql_uri("sqlite:////tmp/x/c.db").unwrap().0, "sqlite:///tmp/x/c.db?mode=rwc");
        assert_eq!(sql_uri("sqlite:///tmp/x/c.db").unwrap().0, "sqlite:///tmp/x/c.db?mode=rwc");
        assert_eq!(sql_uri("/tmp/c.db").unwrap().0, "sqlite:///tmp/c.db?mode=rwc");
        assert_eq!(sql_uri("sqlite:///tmp/c.db?mode=ro").unwrap().0, "sqlite:///tmp/c.db?mode=ro");
        for bad in ["sqlite://c.db", "sqlite:c.db", "sqlite::memory:", "sqlite://", "mysql://h/db", "c.db"] {
            assert_eq!(sql_uri(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn postgres_uris_in_sqlalchemy_and_sqlx_forms() {
        let (u, b) = sql_uri("postgresql+psycopg2://u:pw@127.0.0.1:5432/db").unwrap();
        assert_eq!((u.as_str(), b), ("postgres://u:pw@127.0.0.1:5432/db", Backend::Postgres));
        assert_eq!(sql_uri("postgres://h/db").unwrap().0, "postgres://h/db");
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        let c = CatalogConfig::sql("postgresql://u:secret@h/db", "/wh").unwrap();
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn warehouses() {
        assert_eq!(warehouse_uri("/wh/").unwrap(), "file:///wh");
        assert_eq!(warehouse_uri("file:///wh").unwrap(), "file:///wh");
        assert_eq!(warehouse_uri("wh").unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(warehouse_uri("file://wh").unwrap_err().kind(), ErrorKind::InvalidArgument);
        if !cfg!(feature = "object-store") {
            let e = warehouse_uri("s3://bucket/x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported);
            assert!(e.to_string().contains("object-store"));
        }
    }

    #[test]
    fn from_pyiceberg_properties() {
        let p: HashMap<String, String> = [
            ("uri".to_string(), "sqlite:////tmp/c.db".to_string()),
            ("warehouse".to_string(), "file:///tmp".to_string()),
            ("pool.max-connections".to_string(), "3".to_string()),
        ]
        .into();
        let c = CatalogConfig::from_properties("mine", &p).unwrap();
        assert_eq!((c.name(), c.kind_name()), ("mine", "sqlite"));
        assert_eq!(c.properties.get("pool.max-connections").map(String::as_str), Some("3"));
        let r: HashMap<String, String> = [("uri".to_string(), "http://cat:8181".to_string())].into();
        assert_eq!(CatalogConfig::from_properties("x", &r).unwrap().kind_name(), "rest");
        assert!(CatalogConfig::from_properties("", &r).is_err());
    }

    #[test]
    fn placeholders_for_postgres() {
        assert_eq!(placeholders(Backend::Postgres, "a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(placeholders(Backend::Sqlite, "a = ?"), "a = ?");
    }
}
