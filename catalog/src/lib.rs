//! tessera's persistent catalog of nodes: SQL (SQLite or PostgreSQL through sqlx) holding
//! each node's key, parent, structure family, specs, metadata, structure and data source,
//! with Tiled's metadata search evaluated in SQL.
//!
//! ```
//! use serde_json::json;
//! use tessera_catalog::query::{Filter, SortKey};
//! use tessera_catalog::{Catalog, CatalogError, Family, NewNode};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let url = dir.path().join("catalog.db").to_str().unwrap().to_owned();
//! tokio::runtime::Runtime::new().unwrap().block_on(async {
//!     Catalog::init(&url).await.unwrap();
//!     assert!(matches!(Catalog::init(&url).await, Err(CatalogError::AlreadyInitialized)));
//!     let catalog = Catalog::open(&url).await.unwrap();
//!     let root = catalog.lookup(&[]).await.unwrap().unwrap();
//!     for (key, color) in [("a", "red"), ("b", "green"), ("c", "green")] {
//!         let mut node = NewNode::new(key, Family::Array);
//!         node.metadata = json!({"color": color}).as_object().unwrap().clone();
//!         catalog.create(root.id, node).await.unwrap();
//!     }
//!     let filters = [Filter::Eq("color".into(), json!("green"))];
//!     let sort = [SortKey { key: "_".into(), descending: true }];
//!     let (total, page) = catalog.search(root.id, &filters, &sort, 0, 10).await.unwrap();
//!     assert_eq!(total, 2);
//!     assert_eq!(page.iter().map(|n| n.key.as_str()).collect::<Vec<_>>(), ["c", "b"]);
//!     let b = catalog.lookup(&["b".to_owned()]).await.unwrap().unwrap();
//!     assert_eq!(b.metadata["color"], "green");
//!     let gone = catalog.delete(b.id, false).await.unwrap();
//!     assert_eq!(gone.len(), 1);
//!     assert!(catalog.lookup(&["b".to_owned()]).await.unwrap().is_none());
//! });
//! ```
//!
//! # Storage
//! One table `nodes` (id, parent, key, family, specs, metadata, structure, data source,
//! created), unique on (parent, key) in the database, so concurrent processes sharing a
//! PostgreSQL catalog cannot both create a key; a table `words` holds each node's full-text
//! words. The schema is created and upgraded by embedded, versioned migrations recorded in
//! `tessera_schema` ([`Catalog::init`], [`Catalog::open`]). SQLite runs in WAL mode with
//! `synchronous=FULL` (a returned [`Catalog::create`] is on disk), foreign keys on and a 5 s
//! busy timeout; write transactions take the write lock up front (`BEGIN IMMEDIATE`).
//!
//! # Search
//! [`Catalog::search`] has exactly the semantics of [`query::Filter::matches`] and
//! [`query::search`] (the tests compare both on random data). See [`mod@search`] for which
//! conditions are evaluated entirely in SQL and which are narrowed in SQL and finished in
//! Rust.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod query;
pub mod search;

mod schema;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Map, Value};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::query::{Filter, SortKey};

/// A node's structure family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// A container of other nodes.
    Container,
    /// An N-dimensional array.
    Array,
    /// A table (partitions of record batches).
    Table,
}

impl Family {
    /// `"container"`, `"array"` or `"table"` (Tiled's names).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Container => "container",
            Family::Array => "array",
            Family::Table => "table",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Family {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Family, CatalogError> {
        match s {
            "container" => Ok(Family::Container),
            "array" => Ok(Family::Array),
            "table" => Ok(Family::Table),
            other => Err(CatalogError::Invalid(format!("unknown structure family {other:?}"))),
        }
    }
}

/// One node as stored in the catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRecord {
    /// Database id (the root has its own row, key `""`).
    pub id: i64,
    /// The parent's id; `None` only for the root.
    pub parent: Option<i64>,
    /// The key in the parent.
    pub key: String,
    /// Structure family.
    pub family: Family,
    /// Spec names, in the order given.
    pub specs: Vec<String>,
    /// Metadata, keys in the order given.
    pub metadata: Map<String, Value>,
    /// Tiled's structure JSON as the server stores it (`None` for containers).
    pub structure: Option<Value>,
    /// What the server needs to find the data (`{"mimetype": .., "location": .., ..}`).
    pub data_source: Option<Value>,
}

impl query::Candidate for NodeRecord {
    fn key(&self) -> &str {
        &self.key
    }
    fn family(&self) -> &str {
        self.family.as_str()
    }
    fn specs(&self) -> &[String] {
        &self.specs
    }
    fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }
}

/// A node to insert with [`Catalog::create`].
#[derive(Clone, Debug, PartialEq)]
pub struct NewNode {
    /// The key in the parent: non-empty, no `/`, no NUL.
    pub key: String,
    /// Structure family.
    pub family: Family,
    /// Spec names.
    pub specs: Vec<String>,
    /// Metadata object.
    pub metadata: Map<String, Value>,
    /// Structure JSON (`None` for containers).
    pub structure: Option<Value>,
    /// Data source JSON.
    pub data_source: Option<Value>,
}

impl NewNode {
    /// A node with this key and family and nothing else (no specs, empty metadata).
    pub fn new(key: impl Into<String>, family: Family) -> NewNode {
        NewNode {
            key: key.into(),
            family,
            specs: Vec::new(),
            metadata: Map::new(),
            structure: None,
            data_source: None,
        }
    }
}

/// What can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// [`Catalog::init`] on a database that already holds a catalog (nothing was changed).
    #[error("the catalog is already initialized")]
    AlreadyInitialized,
    /// [`Catalog::open`] on a database (or SQLite file) without a catalog.
    #[error("no tessera catalog there (create one with `tessera catalog init`)")]
    NotInitialized,
    /// The database was migrated by a newer tessera.
    #[error("the catalog has schema version {found}; this tessera knows versions up to {supported}")]
    NewerSchema {
        /// Highest version recorded in the database.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// The URL is not a file path, `sqlite:` or `postgres(ql)://` URL.
    #[error("invalid catalog URL: {0}")]
    Url(String),
    /// No node with this id (or it was deleted meanwhile).
    #[error("no node with id {0}")]
    NotFound(i64),
    /// The parent already has a child with this key.
    #[error("key {0:?} already exists")]
    Conflict(String),
    /// The parent is not a container.
    #[error("node {0} is not a container")]
    NotAContainer(i64),
    /// A non-recursive delete of a node that has children.
    #[error("node {0} has children (delete recursively)")]
    NotEmpty(i64),
    /// The root cannot be deleted.
    #[error("the root node cannot be deleted")]
    DeleteRoot,
    /// A node that cannot be stored (empty key, NUL characters, ...).
    #[error("invalid node: {0}")]
    Invalid(String),
    /// A stored row that does not decode (the database was edited by hand?).
    #[error("corrupt catalog row: {0}")]
    Corrupt(String),
    /// The database failed (connection, I/O, ...).
    #[error("catalog database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl CatalogError {
    /// Whether this is the client's mistake (validation, conflict, not found: 4xx) rather than
    /// the server's (database, configuration: 5xx).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            CatalogError::NotFound(_)
                | CatalogError::Conflict(_)
                | CatalogError::NotAContainer(_)
                | CatalogError::NotEmpty(_)
                | CatalogError::DeleteRoot
                | CatalogError::Invalid(_)
        )
    }
}

pub(crate) type Result<T, E = CatalogError> = std::result::Result<T, E>;

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool and `$d` to its [`Dialect`]: the same
/// code for both backends where only the SQL text differs.
macro_rules! on_pool {
    ($pool:expr, $p:ident, $d:ident => $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite($p) => {
                #[allow(unused_variables)]
                let $d = $crate::search::Dialect::Sqlite;
                $body
            }
            $crate::Pool::Postgres($p) => {
                #[allow(unused_variables)]
                let $d = $crate::search::Dialect::Postgres;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// A catalog: a connection pool to its database. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    pool: Pool,
    url: String,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog").field("url", &redact(&self.url)).finish_non_exhaustive()
    }
}

/// The URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| if kv.starts_with("password=") { "password=***".to_owned() } else { kv.to_owned() })
                .collect();
            format!("{path}?{}", q.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

enum Target {
    Sqlite(SqliteConnectOptions),
    Postgres(PgConnectOptions),
}

fn target(url: &str) -> Result<Target> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let opts = PgConnectOptions::from_str(url).map_err(|e| CatalogError::Url(e.to_string()))?;
        return Ok(Target::Postgres(opts));
    }
    let opts = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|e| CatalogError::Url(e.to_string()))?
    } else if url.contains("://") {
        return Err(CatalogError::Url(format!(
            "{}: expected a file path, sqlite://... or postgresql://...",
            redact(url)
        )));
    } else if url.is_empty() {
        return Err(CatalogError::Url("empty catalog path".into()));
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    Ok(Target::Sqlite(
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .with_regexp(),
    ))
}

async fn connect(url: &str, create: bool) -> Result<Pool> {
    match target(url)? {
        Target::Sqlite(opts) => {
            if !create && !opts.get_filename().exists() {
                return Err(CatalogError::NotInitialized);
            }
            let opts = opts.create_if_missing(create);
            Ok(Pool::Sqlite(SqlitePoolOptions::new().connect_with(opts).await?))
        }
        Target::Postgres(opts) => {
            Ok(Pool::Postgres(PgPoolOptions::new().max_connections(8).connect_with(opts).await?))
        }
    }
}

/// Maps unique and foreign-key violations to the catalog's client errors.
fn map_write_error(e: sqlx::Error, key: &str, parent: i64) -> CatalogError {
    match e.as_database_error().map(|d| d.kind()) {
        Some(sqlx::error::ErrorKind::UniqueViolation) => CatalogError::Conflict(key.to_owned()),
        Some(sqlx::error::ErrorKind::ForeignKeyViolation) => CatalogError::NotFound(parent),
        _ => CatalogError::Database(e),
    }
}

fn check_text(what: &str, s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(CatalogError::Invalid(format!("{what} contains a NUL character")));
    }
    Ok(())
}

fn check_value(what: &str, v: &Value) -> Result<()> {
    match v {
        Value::String(s) => check_text(what, s),
        Value::Array(a) => a.iter().try_for_each(|v| check_value(what, v)),
        Value::Object(o) => o.iter().try_for_each(|(k, v)| {
            check_text(what, k)?;
            check_value(what, v)
        }),
        _ => Ok(()),
    }
}

fn validate(node: &NewNode) -> Result<()> {
    if node.key.is_empty() {
        return Err(CatalogError::Invalid("the key is empty".into()));
    }
    if node.key.contains('/') {
        return Err(CatalogError::Invalid(format!("the key {:?} contains '/'", node.key)));
    }
    check_text("the key", &node.key)?;
    node.specs.iter().try_for_each(|s| check_text("a spec", s))?;
    node.metadata.iter().try_for_each(|(k, v)| {
        check_text("the metadata", k)?;
        check_value("the metadata", v)
    })?;
    for (what, v) in [("the structure", &node.structure), ("the data source", &node.data_source)] {
        if let Some(v) = v {
            check_value(what, v)?;
        }
    }
    Ok(())
}

/// Decodes a row whose first columns are [`Dialect::columns`].
pub(crate) fn record<'r, R: Row>(row: &'r R) -> Result<NodeRecord>
where
    usize: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let corrupt = |what: &str, e: &dyn fmt::Display| CatalogError::Corrupt(format!("{what}: {e}"));
    let id: i64 = row.try_get(0)?;
    let json = |i: usize, what: &str| -> Result<Option<Value>> {
        let s: Option<String> = row.try_get(i)?;
        s.map(|s| serde_json::from_str(&s).map_err(|e| corrupt(&format!("node {id} {what}"), &e))).transpose()
    };
    let family: String = row.try_get(3)?;
    Ok(NodeRecord {
        id,
        parent: row.try_get(1)?,
        key: row.try_get(2)?,
        family: family.parse().map_err(|e| corrupt(&format!("node {id} family"), &e))?,
        specs: serde_json::from_value(json(4, "specs")?.unwrap_or_default())
            .map_err(|e| corrupt(&format!("node {id} specs"), &e))?,
        metadata: match json(5, "metadata")? {
            Some(Value::Object(m)) => m,
            _ => return Err(CatalogError::Corrupt(format!("node {id} metadata is not an object"))),
        },
        structure: json(6, "structure")?,
        data_source: json(7, "data_source")?,
    })
}

impl Catalog {
    /// Creates the catalog: the schema (embedded, versioned migrations) and the root row.
    /// A SQLite file is created if missing (its directory must exist).
    ///
    /// `url`: a file path (`catalog.db`), `sqlite://…`, or `postgresql://…`/`postgres://…`.
    ///
    /// # Errors
    /// [`CatalogError::AlreadyInitialized`] when the database already holds a catalog
    /// (nothing touched); [`CatalogError::Url`]; database errors.
    pub async fn init(url: &str) -> Result<(), CatalogError> {
        let pool = connect(url, true).await?;
        let r = schema::init(&pool).await;
        close(pool).await;
        r
    }

    /// Opens an initialized catalog and applies the migrations of a newer tessera.
    ///
    /// # Errors
    /// [`CatalogError::NotInitialized`] for a missing SQLite file or a database without a
    /// catalog; [`CatalogError::NewerSchema`]; [`CatalogError::Url`]; database errors.
    pub async fn open(url: &str) -> Result<Catalog, CatalogError> {
        let pool = connect(url, false).await?;
        if let Err(e) = schema::migrate(&pool).await {
            close(pool).await;
            return Err(e);
        }
        Ok(Catalog { pool, url: url.to_owned() })
    }

    /// Closes the pool (waits for connections in use to be returned). Clones of this
    /// catalog stop working.
    pub async fn close(&self) {
        close(self.pool.clone()).await;
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// The node at `path` (keys from the root; empty = the root), or `None`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn lookup(&self, path: &[String]) -> Result<Option<NodeRecord>, CatalogError> {
        if path.iter().any(|k| k.contains('\0')) {
            return Ok(None); // create refuses NUL; PostgreSQL would refuse the parameter
        }
        on_pool!(&self.pool, p, d => {
            let mut conn = p.acquire().await?;
            let sql = format!("SELECT {} FROM nodes n WHERE n.parent IS NULL", d.columns());
            let Some(row) = sqlx::query(&sql).fetch_optional(&mut *conn).await? else {
                return Ok(None);
            };
            let mut node = record(&row)?;
            let sql = format!("SELECT {} FROM nodes n WHERE n.parent = $1 AND n.key = $2", d.columns());
            for key in path {
                let row = sqlx::query(&sql).bind(node.id).bind(key).fetch_optional(&mut *conn).await?;
                match row {
                    Some(row) => node = record(&row)?,
                    None => return Ok(None),
                }
            }
            Ok(Some(node))
        })
    }

    /// The node with this id, or `None`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn get(&self, id: i64) -> Result<Option<NodeRecord>, CatalogError> {
        on_pool!(&self.pool, p, d => {
            let sql = format!("SELECT {} FROM nodes n WHERE n.id = $1", d.columns());
            let row = sqlx::query(&sql).bind(id).fetch_optional(p).await?;
            row.as_ref().map(record).transpose()
        })
    }

    /// Inserts a child of `parent` (a node id) and returns it.
    ///
    /// # Errors
    /// [`CatalogError::Conflict`] when the key exists (unique (parent, key) in the database,
    /// so concurrent processes cannot both win); [`CatalogError::NotAContainer`];
    /// [`CatalogError::NotFound`] when the parent does not exist; [`CatalogError::Invalid`]
    /// for an empty key, a key with `/`, or NUL characters anywhere; database errors.
    pub async fn create(&self, parent: i64, node: NewNode) -> Result<NodeRecord, CatalogError> {
        validate(&node)?;
        let specs = serde_json::to_string(&node.specs).map_err(|e| CatalogError::Invalid(e.to_string()))?;
        let metadata =
            serde_json::to_string(&node.metadata).map_err(|e| CatalogError::Invalid(e.to_string()))?;
        let structure = node.structure.as_ref().map(Value::to_string);
        let data_source = node.data_source.as_ref().map(Value::to_string);
        let words = query::fulltext_words(&node.metadata);
        let words_json = serde_json::to_string(&words).map_err(|e| CatalogError::Invalid(e.to_string()))?;
        let key = node.key.clone();
        let id: i64 = on_pool!(&self.pool, p, d => {
            let mut tx = p.begin_with(d.begin_write()).await?;
            let row = sqlx::query(d.insert_node())
                .bind(parent)
                .bind(&key)
                .bind(node.family.as_str())
                .bind(&specs)
                .bind(&metadata)
                .bind(&structure)
                .bind(&data_source)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| map_write_error(e, &key, parent))?;
            let Some(row) = row else {
                let family: Option<String> = sqlx::query_scalar("SELECT family FROM nodes WHERE id = $1")
                    .bind(parent)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(match family {
                    Some(_) => CatalogError::NotAContainer(parent),
                    None => CatalogError::NotFound(parent),
                });
            };
            let id: i64 = row.try_get(0)?;
            if !words.is_empty() {
                sqlx::query(d.insert_words()).bind(id).bind(&words_json).execute(&mut *tx).await?;
            }
            tx.commit().await.map_err(|e| map_write_error(e, &key, parent))?;
            id
        });
        Ok(NodeRecord {
            id,
            parent: Some(parent),
            key,
            family: node.family,
            specs: node.specs,
            metadata: node.metadata,
            structure: node.structure,
            data_source: node.data_source,
        })
    }

    /// Children of `parent` matching every filter, sorted (natural order = insertion), the
    /// page `offset..offset + limit`, and the total count before pagination.
    ///
    /// Same results as [`query::search`] over the children in insertion order; see
    /// [`mod@search`] for how each condition is evaluated.
    ///
    /// # Errors
    /// Database errors.
    pub async fn search(
        &self,
        parent: i64,
        filters: &[Filter],
        sort: &[SortKey],
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<NodeRecord>), CatalogError> {
        search::run(&self.pool, parent, filters, sort, offset, limit).await
    }

    /// Deletes a node and returns every record deleted: the node first, then its
    /// descendants in id order (so the caller can remove their data afterwards). One
    /// transaction; a child created concurrently under one of them makes the delete start
    /// over, so the returned list is always complete.
    ///
    /// # Errors
    /// [`CatalogError::NotEmpty`] when it has children and not `recursive`;
    /// [`CatalogError::NotFound`]; [`CatalogError::DeleteRoot`]; database errors.
    pub async fn delete(&self, id: i64, recursive: bool) -> Result<Vec<NodeRecord>, CatalogError> {
        let mut attempt = 0;
        loop {
            match self.delete_once(id, recursive).await {
                Err(CatalogError::Database(e))
                    if attempt < 5
                        && e.as_database_error().map(|d| d.kind())
                            == Some(sqlx::error::ErrorKind::ForeignKeyViolation) =>
                {
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    async fn delete_once(&self, id: i64, recursive: bool) -> Result<Vec<NodeRecord>> {
        on_pool!(&self.pool, p, d => {
            let mut tx = p.begin_with(d.begin_write()).await?;
            let sql = format!("SELECT {} FROM nodes n WHERE n.id = $1", d.columns());
            let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
                return Err(CatalogError::NotFound(id));
            };
            let node = record(&row)?;
            if node.parent.is_none() {
                return Err(CatalogError::DeleteRoot);
            }
            if !recursive {
                let child: Option<i64> = sqlx::query_scalar("SELECT id FROM nodes WHERE parent = $1 LIMIT 1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if child.is_some() {
                    return Err(CatalogError::NotEmpty(id));
                }
            }
            let sql = format!(
                "WITH RECURSIVE d(id) AS (SELECT CAST($1 AS BIGINT) UNION ALL \
                 SELECT c.id FROM nodes c JOIN d ON c.parent = d.id) \
                 DELETE FROM nodes WHERE id IN (SELECT id FROM d) RETURNING {}",
                d.columns().replace("n.", "nodes.")
            );
            let rows = sqlx::query(&sql).bind(id).fetch_all(&mut *tx).await?;
            let mut gone = rows.iter().map(record).collect::<Result<Vec<_>>>()?;
            tx.commit().await?;
            gone.sort_by_key(|r| (r.id != id, r.id));
            Ok(gone)
        })
    }

    /// Changes a node's metadata and specs in one transaction: `change` receives the stored
    /// record and returns the new metadata and specs, which replace the old ones (and the
    /// node's full-text words). The row is locked from the read to the write, so concurrent
    /// updates of one node apply one after the other and none is lost. Returns the record as
    /// stored.
    ///
    /// ```
    /// # use serde_json::json;
    /// # use tessera_catalog::{Catalog, Family, NewNode};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = dir.path().join("c.db").to_str().unwrap().to_owned();
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # Catalog::init(&url).await.unwrap();
    /// let catalog = Catalog::open(&url).await.unwrap();
    /// let root = catalog.lookup(&[]).await.unwrap().unwrap();
    /// let mut node = NewNode::new("x", Family::Array);
    /// node.metadata = json!({"color": "red"}).as_object().unwrap().clone();
    /// let x = catalog.create(root.id, node).await.unwrap();
    /// let after = catalog
    ///     .update_metadata(x.id, |rec| {
    ///         let mut m = rec.metadata.clone();
    ///         m.insert("color".into(), json!("blue"));
    ///         Ok((m, vec!["mine".into()]))
    ///     })
    ///     .await
    ///     .unwrap();
    /// assert_eq!((after.metadata["color"].clone(), after.specs), (json!("blue"), vec!["mine".to_owned()]));
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`CatalogError::NotFound`]; whatever `change` returns (nothing is written then);
    /// [`CatalogError::Invalid`] for NUL characters in the result; database errors.
    pub async fn update_metadata<F>(&self, id: i64, change: F) -> Result<NodeRecord, CatalogError>
    where
        F: FnOnce(&NodeRecord) -> Result<(Map<String, Value>, Vec<String>), CatalogError>,
    {
        on_pool!(&self.pool, p, d => {
            let mut tx = p.begin_with(d.begin_write()).await?;
            // SQLite's BEGIN IMMEDIATE already holds the database's write lock.
            let lock = if d == search::Dialect::Postgres { " FOR UPDATE" } else { "" };
            let sql = format!("SELECT {} FROM nodes n WHERE n.id = $1{lock}", d.columns());
            let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
                return Err(CatalogError::NotFound(id));
            };
            let mut rec = record(&row)?;
            let (metadata, specs) = change(&rec)?;
            specs.iter().try_for_each(|s| check_text("a spec", s))?;
            metadata.iter().try_for_each(|(k, v)| {
                check_text("the metadata", k)?;
                check_value("the metadata", v)
            })?;
            let specs_text = serde_json::to_string(&specs).map_err(|e| CatalogError::Invalid(e.to_string()))?;
            let metadata_text =
                serde_json::to_string(&metadata).map_err(|e| CatalogError::Invalid(e.to_string()))?;
            let words = query::fulltext_words(&metadata);
            let words_json = serde_json::to_string(&words).map_err(|e| CatalogError::Invalid(e.to_string()))?;
            sqlx::query(d.update_metadata())
                .bind(id)
                .bind(&specs_text)
                .bind(&metadata_text)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM words WHERE node = $1").bind(id).execute(&mut *tx).await?;
            if !words.is_empty() {
                sqlx::query(d.insert_words()).bind(id).bind(&words_json).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            rec.metadata = metadata;
            rec.specs = specs;
            Ok(rec)
        })
    }

    /// Replaces a node's structure (e.g. a table whose uploads added a pandas index column).
    ///
    /// # Errors
    /// [`CatalogError::NotFound`]; [`CatalogError::Invalid`] for NUL characters; database
    /// errors.
    pub async fn update_structure(&self, id: i64, structure: Value) -> Result<(), CatalogError> {
        check_value("the structure", &structure)?;
        let text = structure.to_string();
        let n = on_pool!(&self.pool, p, d => {
            sqlx::query("UPDATE nodes SET structure = $1 WHERE id = $2")
                .bind(&text)
                .bind(id)
                .execute(p)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(CatalogError::NotFound(id));
        }
        Ok(())
    }
}

async fn close(pool: Pool) {
    match pool {
        Pool::Sqlite(p) => p.close().await,
        Pool::Postgres(p) => p.close().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
        assert_eq!(redact("postgres://h/db?user=u&password=x"), "postgres://h/db?user=u&password=***");
        assert_eq!(redact("catalog.db"), "catalog.db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn families() {
        for f in [Family::Container, Family::Array, Family::Table] {
            assert_eq!(f.as_str().parse::<Family>().ok(), Some(f));
        }
        assert!("sparse".parse::<Family>().is_err());
    }
}
