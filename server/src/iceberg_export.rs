//! `POST /api/v1/export/iceberg/{path}`: exports a table node (or an xarray dataset node, as
//! its `to_dataframe()` table) into a table of an Iceberg catalog configured at start-up,
//! optionally projected (`columns`) and filtered (`where`) first.
//!
//! Compiled with the server feature `iceberg`. Catalogs are named at start-up
//! (`--iceberg-catalog NAME=URI --iceberg-warehouse NAME=DIR`, or `--iceberg-config FILE`,
//! see [`IcebergArgs`]) and opened on first use; requests name them, never give URIs.
//!
//! Request (JSON; only `catalog` and `table` are required):
//!
//! ```json
//! {"catalog": "lake", "table": "ns.short", "if_exists": "error",
//!  "columns": ["A", "B"], "where": "A > 10", "schema_overrides": {"B": "float32"},
//!  "convert_types": false}
//! ```
//!
//! - `if_exists`: `error` (default), `append` or `replace` (tessera-iceberg's semantics).
//! - `schema_overrides`: column → Arrow type name as [`tessera_iceberg::parse_data_type`]
//!   reads it (pyarrow names: `int32`, `float64`, `string`, `timestamp[us, tz=UTC]`, ...).
//! - `convert_types`: convert types Iceberg cannot hold (uint64, second/millisecond
//!   timestamps, fixed-size lists, ...) instead of refusing them.
//!
//! The answer (200) is the library's `ExportReport` plus the catalog's name:
//! `{"catalog", "table", "action", "rows", "batches", "input_bytes", "data_files",
//! "data_file_bytes", "snapshot_id", "metadata_location", "location", "export_id"}`.
//!
//! An API key is always required, even on a `--public` server (a server without any key
//! refuses every export). Errors are `{"detail": ...}`: 401 no or wrong key; 404 unknown
//! catalog, no such node, or a node that is not a table or dataset; 422 a malformed body or
//! a type that Iceberg cannot hold or that does not fit; 400 other bad arguments (table
//! name without namespace, `if_exists`, a `where` that does not parse, an unknown override
//! column or type name); 409 the table exists (`if_exists` = `error`) or another writer
//! changed it meanwhile; 500 a failure of the catalog, its storage or the server. No detail
//! and no log line holds a catalog URI, password or credential property.
//!
//! The export runs as a task of the server's runtime with tessera-iceberg's async API; it
//! finishes (or fails cleanly) even if the client disconnects.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_core::table::BatchStream;
use tessera_iceberg::{CatalogConfig, ErrorKind, IcebergCatalog, IcebergError, IcebergOptions, IfExists};
use tokio::sync::OnceCell;

use crate::api::{Ctx, json_response, python_list};
use crate::error::AppError;
use crate::state::{AppState, Auth};
use crate::tree::{Node, NodeKind, full_stream};

/// The route pattern.
pub const ROUTE: &str = "/api/v1/export/iceberg/{*path}";

/// Start-up options of the Iceberg export route (flattened into `tessera serve ...`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IcebergArgs {
    /// An Iceberg catalog the export route may write to, as NAME=URI (repeatable). URI is a
    /// SQLite file (absolute path, `sqlite:////abs/catalog.db`), `postgresql://...`, or
    /// `http(s)://...` for a REST catalog (feature `iceberg-rest`). NAME is what requests
    /// name, and the SQL catalog's name (pyiceberg must open it under the same name).
    #[arg(long = "iceberg-catalog", value_name = "NAME=URI")]
    pub iceberg_catalog: Vec<String>,
    /// Where catalog NAME puts new tables, as NAME=DIR_OR_URI (`/abs/dir`, `file:///abs/dir`;
    /// a warehouse name for REST catalogs). Required for SQL catalogs.
    #[arg(long = "iceberg-warehouse", value_name = "NAME=DIR_OR_URI")]
    pub iceberg_warehouse: Vec<String>,
    /// A JSON file of catalogs, pyiceberg's `.pyiceberg.yaml` layout in JSON:
    /// `{"catalog": {"NAME": {"uri": "...", "warehouse": "...", "<property>": "..."}}}`.
    /// Keeps passwords and credentials off the command line.
    #[arg(long = "iceberg-config", value_name = "FILE")]
    pub iceberg_config: Option<PathBuf>,
}

impl IcebergArgs {
    /// True when no catalog is configured.
    pub fn is_empty(&self) -> bool {
        self.iceberg_catalog.is_empty() && self.iceberg_warehouse.is_empty() && self.iceberg_config.is_none()
    }

    /// The configured catalogs.
    ///
    /// # Errors
    /// A message for a malformed flag, an unreadable config file, a SQL catalog without a
    /// warehouse, a warehouse of an unknown catalog, or a catalog this build cannot open.
    /// It never contains a URI.
    pub fn catalogs(&self) -> Result<IcebergCatalogs, String> {
        let mut specs: IndexMap<String, BTreeMap<String, String>> = IndexMap::new();
        if let Some(path) = &self.iceberg_config {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --iceberg-config {}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| format!("--iceberg-config {}: not JSON: {e}", path.display()))?;
            let Some(catalogs) = doc.get("catalog").and_then(Value::as_object) else {
                return Err(format!(
                    "--iceberg-config {}: expected {{\"catalog\": {{\"NAME\": {{\"uri\": ..., \"warehouse\": ...}}}}}}",
                    path.display()
                ));
            };
            for (name, props) in catalogs {
                let Some(props) = props.as_object() else {
                    return Err(format!("--iceberg-config: catalog {name:?} is not an object"));
                };
                let mut map = BTreeMap::new();
                for (k, v) in props {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(_) | Value::Bool(_) => v.to_string(),
                        _ => {
                            return Err(format!("--iceberg-config: catalog {name:?}: {k:?} is not a string"));
                        }
                    };
                    map.insert(k.clone(), v);
                }
                specs.insert(name.clone(), map);
            }
        }
        let split = |flag: &str, s: &str| -> Result<(String, String), String> {
            match s.split_once('=') {
                Some((n, v)) if !n.trim().is_empty() && !v.trim().is_empty() => {
                    Ok((n.trim().to_owned(), v.trim().to_owned()))
                }
                _ => Err(format!("--{flag} takes NAME=VALUE (got a value without a name or '=')")),
            }
        };
        for c in &self.iceberg_catalog {
            let (name, uri) = split("iceberg-catalog", c)?;
            let entry = specs.entry(name.clone()).or_default();
            if entry.insert("uri".into(), uri).is_some() {
                return Err(format!("Iceberg catalog {name:?} is configured twice"));
            }
        }
        for w in &self.iceberg_warehouse {
            let (name, dir) = split("iceberg-warehouse", w)?;
            let Some(entry) = specs.get_mut(&name) else {
                return Err(format!(
                    "--iceberg-warehouse names catalog {name:?}, which no --iceberg-catalog defines"
                ));
            };
            entry.insert("warehouse".into(), dir);
        }
        let mut out = IcebergCatalogs::default();
        for (name, props) in specs {
            out.add(&name, props)?;
        }
        Ok(out)
    }
}

/// A configured catalog, opened on first use.
struct Entry {
    config: CatalogConfig,
    open: OnceCell<Arc<IcebergCatalog>>,
}

/// The catalogs the export route may write to, by name.
#[derive(Default)]
pub struct IcebergCatalogs {
    entries: BTreeMap<String, Entry>,
    /// Texts never to show: URIs, passwords, credential properties.
    secrets: Vec<String>,
}

impl std::fmt::Debug for IcebergCatalogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: configurations hold URIs and credentials.
        f.debug_struct("IcebergCatalogs").field("names", &self.names()).finish_non_exhaustive()
    }
}

/// Property keys whose values are credentials.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "credential", "key", "uri"].iter().any(|s| k.contains(s))
}

/// The password of `scheme://user:password@host...`, if any.
fn uri_password(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let auth = rest.split_once('@')?.0;
    auth.split_once(':').map(|(_, pw)| pw).filter(|pw| !pw.is_empty())
}

/// `scheme://user:password@host` → `scheme://user:***@host`, as tessera-iceberg prints it.
fn redacted(uri: &str) -> String {
    match uri_password(uri) {
        Some(pw) => uri.replacen(&format!(":{pw}@"), ":***@", 1),
        None => uri.to_owned(),
    }
}

impl IcebergCatalogs {
    /// Adds catalog `name` from pyiceberg-style properties (`uri`, `warehouse`, `type`,
    /// others passed to the catalog).
    ///
    /// # Errors
    /// As [`IcebergArgs::catalogs`].
    pub fn add(&mut self, name: &str, properties: BTreeMap<String, String>) -> Result<(), String> {
        let Some(uri) = properties.get("uri").cloned() else {
            return Err(format!("Iceberg catalog {name:?} has no URI"));
        };
        let is_rest = uri.starts_with("http://") || uri.starts_with("https://");
        if !is_rest && !properties.contains_key("warehouse") {
            return Err(format!(
                "Iceberg catalog {name:?} is a SQL catalog and needs a warehouse: --iceberg-warehouse {name}=/abs/dir"
            ));
        }
        if is_rest && !cfg!(feature = "iceberg-rest") {
            return Err(format!(
                "Iceberg catalog {name:?} is a REST catalog; this build has no REST support (feature `iceberg-rest`)"
            ));
        }
        let mut secrets = vec![uri.clone(), redacted(&uri)];
        secrets.extend(uri_password(&uri).map(str::to_owned));
        for (k, v) in &properties {
            if is_secret_key(k) && v.len() >= 4 {
                secrets.push(v.clone());
            }
        }
        let hash: std::collections::HashMap<String, String> = properties.into_iter().collect();
        let config = CatalogConfig::from_properties(name, &hash)
            .map_err(|e| format!("Iceberg catalog {name:?}: {}", scrub(e.message(), &secrets)))?;
        secrets.push(config.uri().to_owned());
        secrets.push(redacted(config.uri()));
        if self.entries.contains_key(name) {
            return Err(format!("Iceberg catalog {name:?} is configured twice"));
        }
        self.entries.insert(name.to_owned(), Entry { config, open: OnceCell::new() });
        self.secrets.extend(secrets);
        // Longest first, so that a URI is replaced whole before its password is.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.secrets.dedup();
        Ok(())
    }

    /// The catalog names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// True when no catalog is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `text` with every URI, password and credential of the configured catalogs replaced.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }

    /// The open catalog `name` (opened now if this is its first use; a failed opening is
    /// retried by the next request).
    async fn open(&self, name: &str) -> Result<Arc<IcebergCatalog>, IcebergError> {
        let entry = self.entries.get(name).ok_or_else(|| {
            IcebergError::new(ErrorKind::InvalidArgument, format!("unknown catalog {name:?}"))
        })?;
        entry
            .open
            .get_or_try_init(|| async { IcebergCatalog::open(&entry.config).await.map(Arc::new) })
            .await
            .cloned()
    }
}

fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

/// Adds the export route to `router` (called by [`crate::api::router`]).
pub fn routes(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    router.route(ROUTE, post(export_route))
}

/// Makes `catalogs` available to the export route of `app` (the result of
/// [`crate::app`]). Without it, every export answers 404 (no catalog configured).
pub fn with_catalogs(app: Router, catalogs: IcebergCatalogs) -> Router {
    app.layer(Extension(Arc::new(catalogs)))
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportRequest {
    catalog: String,
    table: String,
    #[serde(default)]
    if_exists: Option<String>,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default, rename = "where")]
    filter: Option<String>,
    #[serde(default)]
    schema_overrides: Option<IndexMap<String, String>>,
    #[serde(default)]
    convert_types: bool,
}

/// The HTTP status of a library error (client errors 4xx, the rest 500).
fn status_of(e: &IcebergError) -> StatusCode {
    match e.kind() {
        ErrorKind::AlreadyExists | ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::UnsupportedType | ErrorKind::TypeMismatch => StatusCode::UNPROCESSABLE_ENTITY,
        _ if e.is_client_error() => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn error_response(status: StatusCode, detail: &str) -> Response {
    json_response(status, &json!({ "detail": detail }))
}

/// `POST /api/v1/export/iceberg/<path>`.
async fn export_route(
    State(state): State<Arc<AppState>>,
    catalogs: Option<Extension<Arc<IcebergCatalogs>>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    // Writing to a catalog needs the key, public server or not.
    let Some(key) = &state.auth.api_key else {
        return Err(AppError::Unauthorized {
            detail:
                "Exporting to Iceberg requires an API key, and this server has none: start it with --api-key."
                    .into(),
            root: ctx.base.0.clone(),
        });
    };
    let strict = Auth { api_key: Some(key.clone()), public: false };
    strict.check(&ctx.headers, ctx.query.first("api_key"), &ctx.base.0)?;

    let limit = state.limits.max_request_bytes;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge(format!("The request body exceeds {limit} bytes.")))?;
    let req: ExportRequest = serde_json::from_slice(&bytes).map_err(|e| AppError::Unprocessable {
        detail: json!([{
            "type": "json_invalid",
            "loc": ["body"],
            "msg": format!(
                "Expected a JSON object {{\"catalog\", \"table\", \"if_exists\", \"columns\", \"where\", \"schema_overrides\", \"convert_types\"}}: {e}"
            ),
        }]),
    })?;

    let catalogs = catalogs.map(|Extension(c)| c).unwrap_or_default();
    if !catalogs.entries.contains_key(&req.catalog) {
        let names = catalogs.names();
        let known = if names.is_empty() {
            "This server has no Iceberg catalog configured (--iceberg-catalog NAME=URI).".to_owned()
        } else {
            format!("Configured: {}.", names.join(", "))
        };
        return Err(AppError::NotFound(format!("No Iceberg catalog named {:?}. {known}", req.catalog)));
    }
    let fail = |e: IcebergError| -> Response {
        let status = status_of(&e);
        let detail = catalogs.scrub(e.message());
        if status.is_server_error() {
            tracing::error!(catalog = %req.catalog, table = %req.table, kind = ?e.kind(), "iceberg export failed: {detail}");
        }
        error_response(status, &detail)
    };

    let mut options = IcebergOptions::default().with_convert_types(req.convert_types);
    if let Some(mode) = &req.if_exists {
        match mode.parse::<IfExists>() {
            Ok(m) => options = options.with_if_exists(m),
            Err(e) => return Ok(fail(e)),
        }
    }
    for (column, type_name) in req.schema_overrides.iter().flatten() {
        match tessera_iceberg::parse_data_type(type_name) {
            Ok(t) => options = options.with_schema_override(column.clone(), t),
            Err(e) => return Ok(fail(e)),
        }
    }

    let (node, path) = ctx.resolve(&state, 2).await?;
    // A dataset stored in a catalog: its variables, fetched (their data stays on demand).
    let lazy_dataset = node.as_lazy().is_some() && node.has_spec(crate::tree::XARRAY_DATASET);
    let node = if lazy_dataset { node.materialize().await? } else { node };
    let source = source_of(&state, node, &path).await?;
    let columns = req.columns.clone().unwrap_or_default();
    let source = tessera_core::table::query(source, &columns, req.filter.as_deref())?;

    let catalog = match catalogs.open(&req.catalog).await {
        Ok(c) => c,
        Err(e) => return Ok(fail(e)),
    };
    let table = req.table.clone();
    let task = tokio::spawn(async move { catalog.export(source, &table, &options).await });
    let report = match task.await {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return Ok(fail(e)),
        Err(e) => {
            tracing::error!(catalog = %req.catalog, table = %req.table, "iceberg export task failed: {e}");
            return Err(AppError::Internal("The export task failed; nothing was committed.".into()));
        }
    };
    tracing::info!(
        catalog = %req.catalog,
        table = %report.table,
        action = %report.action,
        rows = report.rows,
        data_files = report.data_files,
        "iceberg export"
    );
    let mut doc = serde_json::to_value(&report).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Value::Object(m) = &mut doc {
        m.shift_insert(0, "catalog".into(), Value::String(req.catalog.clone()));
    }
    Ok(json_response(StatusCode::OK, &doc))
}

/// Bytes of an xarray dataset's variables (what `to_table` reads), for the limit.
fn dataset_bytes(node: &Node) -> u64 {
    node.children()
        .into_iter()
        .flatten()
        .filter_map(|(_, c)| c.as_array())
        .map(|a| {
            let s = a.structure();
            tessera_core::array::byte_count(&s.data_type, &s.shape).map_or(u64::MAX, |n| n as u64)
        })
        .fold(0u64, u64::saturating_add)
}

/// The batches of a table node, or the `to_dataframe()` table of an xarray dataset node.
async fn source_of(
    state: &AppState,
    node: Arc<Node>,
    path: &[String],
) -> Result<Box<dyn BatchStream>, AppError> {
    match &node.kind {
        NodeKind::Table(t) => Ok(full_stream(t)),
        NodeKind::Container(_) if node.is_dataset() => {
            let size = dataset_bytes(&node);
            let limit = state.limits.max_response_bytes;
            if size > limit {
                return Err(AppError::BadRequest(format!(
                    "The dataset {} holds about {size} bytes, more than the {limit} bytes a dataset export may read into memory; export its variables' table nodes instead.",
                    python_list(path)
                )));
            }
            let table = tokio::task::spawn_blocking(move || {
                let ds = crate::export::to_dataset(&node).map_err(|e| e.to_string())?;
                ds.to_table(&[]).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| AppError::Internal(format!("reading the dataset failed: {e}")))?
            .map_err(|e| AppError::BadRequest(format!("This dataset has no table form: {e}")))?;
            Ok(Box::new(table.stream()))
        }
        _ => Err(AppError::NotFound(format!(
            "No such entry {}: it is a {}, not a table (or an xarray dataset); only tables export to Iceberg",
            python_list(path),
            node.family()
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(c: &[&str], w: &[&str]) -> IcebergArgs {
        IcebergArgs {
            iceberg_catalog: c.iter().map(|s| (*s).to_owned()).collect(),
            iceberg_warehouse: w.iter().map(|s| (*s).to_owned()).collect(),
            iceberg_config: None,
        }
    }

    #[test]
    fn flags_name_catalogs_and_warehouses() {
        let c = args(
            &["lake=sqlite:////tmp/x/catalog.db", "pg=postgresql://u:hunter22@db/cat"],
            &["lake=/tmp/x", "pg=file:///tmp/y"],
        )
        .catalogs()
        .unwrap();
        assert_eq!(c.names(), ["lake", "pg"]);
        assert!(!format!("{c:?}").contains("hunter22"));
        let msg = "cannot connect to 'postgresql://u:***@db/cat': password hunter22 refused";
        let s = c.scrub(msg);
        assert!(!s.contains("hunter22") && !s.contains("db/cat"), "{s}");
    }

    #[test]
    fn bad_flags_are_refused_without_echoing_uris() {
        let e = args(&["lake=postgresql://u:hunter22@db/cat"], &[]).catalogs().unwrap_err();
        assert!(e.contains("needs a warehouse") && !e.contains("hunter22"), "{e}");
        let e = args(&["lake"], &[]).catalogs().unwrap_err();
        assert!(e.contains("NAME=VALUE"), "{e}");
        let e = args(&["a=/tmp/c.db"], &["b=/tmp"]).catalogs().unwrap_err();
        assert!(e.contains("\"b\""), "{e}");
        let e = args(&["a=/tmp/c.db", "a=/tmp/d.db"], &[]).catalogs().unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let e = args(&["a=relative.db"], &["a=/tmp"]).catalogs().unwrap_err();
        assert!(!e.contains("relative.db"), "{e}");
    }

    #[test]
    fn rest_catalogs_need_their_feature_and_no_warehouse() {
        let r = args(&["r=http://127.0.0.1:1/catalog"], &[]).catalogs();
        if cfg!(feature = "iceberg-rest") {
            assert_eq!(r.unwrap().names(), ["r"]);
        } else {
            assert!(r.unwrap_err().contains("feature `iceberg-rest`"));
        }
    }

    #[test]
    fn config_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.json");
        let wh = dir.path().to_str().unwrap();
        std::fs::write(
            &f,
            format!(r#"{{"catalog": {{"lake": {{"uri": "{wh}/catalog.db", "warehouse": "{wh}", "pool.max-connections": 2}}}}}}"#),
        )
        .unwrap();
        let a = IcebergArgs { iceberg_config: Some(f), ..IcebergArgs::default() };
        assert_eq!(a.catalogs().unwrap().names(), ["lake"]);
    }

    #[test]
    fn statuses() {
        let e = |k| IcebergError::new(k, "x");
        assert_eq!(status_of(&e(ErrorKind::AlreadyExists)), 409);
        assert_eq!(status_of(&e(ErrorKind::Conflict)), 409);
        assert_eq!(status_of(&e(ErrorKind::UnsupportedType)), 422);
        assert_eq!(status_of(&e(ErrorKind::InvalidArgument)), 400);
        assert_eq!(status_of(&e(ErrorKind::Unsupported)), 400);
        assert_eq!(status_of(&e(ErrorKind::Catalog)), 500);
        assert_eq!(status_of(&e(ErrorKind::Input)), 500);
    }
}
