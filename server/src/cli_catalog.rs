//! `tessera catalog init` and `tessera serve catalog` (Tiled's words, tiled-protocol.md §6).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_catalog::{Catalog, CatalogError};
use tessera_server::catalog_tree::CatalogBackend;
use tessera_server::state::{AppState, Auth, Limits, random_api_key};
use tessera_storage::Storage;

use crate::ServeArgs;

/// `tessera catalog ...`
#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Create a catalog: a SQLite file (created) or a PostgreSQL database (`postgresql://…`).
    Init {
        /// A SQLite file path (`catalog.db`), `sqlite://…`, or `postgresql://user@host/db`.
        database: String,
    },
}

/// `tessera serve catalog ...`
#[derive(Debug, Args)]
pub(crate) struct CatalogServeArgs {
    /// The catalog: a SQLite file (`catalog.db`) or a `postgresql://` URL.
    #[arg(required_unless_present = "temp")]
    database: Option<String>,
    /// Serve a throw-away writable catalog in a temporary directory (removed on exit).
    #[arg(long, conflicts_with_all = ["database", "write", "init"])]
    temp: bool,
    /// Serve read-write, storing written data (Zarr arrays, Parquet tables) in DIR.
    /// Without it the catalog is read-only (writes get 405).
    #[arg(short = 'w', long, value_name = "DIR")]
    write: Option<PathBuf>,
    /// Create the catalog first if it is not initialized yet.
    #[arg(long)]
    init: bool,
    /// Memory for decoded table partitions kept for the next reads, in bytes (0: none).
    /// A partition rewritten by any process is never served from it.
    #[arg(long, value_name = "BYTES", env = tessera_server::catalog_tree::TABLE_CACHE_ENV,
          default_value_t = tessera_storage::DEFAULT_PARTITION_CACHE_BYTES)]
    table_cache_bytes: usize,
    #[command(flatten)]
    serve: ServeArgs,
}

/// Largest request body of a catalog server unless `--max-request-bytes` is given: the Tiled
/// client PUTs whole arrays (and dask blocks) of up to ~100 MB in one body.
const CATALOG_MAX_REQUEST_BYTES: usize = 1 << 30;

/// `--max-request-bytes` as given, or [`CATALOG_MAX_REQUEST_BYTES`] when left at the
/// (read-side) default.
fn max_request_bytes(given: usize) -> usize {
    if given == Limits::default().max_request_bytes { CATALOG_MAX_REQUEST_BYTES } else { given }
}

/// A catalog URL for messages: any password replaced by `***`.
fn display_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())
}

/// Runs `tessera catalog <command>`.
pub(crate) fn run(command: CatalogCommand) -> Result<(), String> {
    match command {
        CatalogCommand::Init { database } => {
            let shown = display_url(&database);
            match runtime()?.block_on(Catalog::init(&database)) {
                Ok(()) => {
                    eprintln!("Database {shown} is new. Creating tables.");
                    eprintln!("Database initialized.");
                    Ok(())
                }
                Err(CatalogError::AlreadyInitialized) => {
                    eprintln!("Database at {shown} is already initialized.");
                    eprintln!("Aborted.");
                    std::process::exit(1);
                }
                Err(e) => Err(format!("cannot initialize {shown}: {e}")),
            }
        }
    }
}

/// Runs `tessera serve catalog`.
pub(crate) fn serve(args: CatalogServeArgs) -> Result<(), String> {
    let serve = args.serve;
    tessera_server::logging::init(serve.log_json);
    let registry = tessera_core::Registry::global().map_err(|e| e.to_string())?;
    // Writes always need a key: --public only opens reads.
    let auth =
        Auth { api_key: Some(serve.api_key.clone().unwrap_or_else(random_api_key)), public: serve.public };
    #[cfg(feature = "iceberg")]
    let iceberg = serve.iceberg.catalogs()?;
    let limits = Limits::default()
        .with_max_response_bytes(serve.max_response_bytes)
        .with_max_request_bytes(max_request_bytes(serve.max_request_bytes))
        .with_max_page_size(serve.max_page_size);
    let runtime = runtime()?;
    // Held until the server stops: dropping it removes the temporary catalog.
    let mut temp_dir = None;
    let (url, data) = if args.temp {
        let dir = tempfile::Builder::new()
            .prefix("tessera-catalog-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let db = dir.path().join("catalog.db");
        let data = dir.path().join("data");
        eprintln!("Initializing temporary storage in {}", dir.path().display());
        eprintln!("  catalog database: {}", db.display());
        eprintln!("  writable file storage: {}", data.display());
        let url = db.to_string_lossy().into_owned();
        runtime.block_on(Catalog::init(&url)).map_err(|e| format!("cannot create the catalog: {e}"))?;
        temp_dir = Some(dir);
        (url, Some(data))
    } else {
        let url = args.database.ok_or("give a catalog (catalog.db or a postgresql:// URL), or --temp")?;
        if args.init {
            match runtime.block_on(Catalog::init(&url)) {
                Ok(()) | Err(CatalogError::AlreadyInitialized) => {}
                Err(e) => return Err(format!("cannot initialize {}: {e}", display_url(&url))),
            }
        }
        (url, args.write)
    };
    let shown = display_url(&url);
    let catalog = runtime.block_on(Catalog::open(&url)).map_err(|e| match e {
        CatalogError::NotInitialized => format!(
            "{shown} is not an initialized catalog: create it with `tessera catalog init {shown}` (or pass --init)"
        ),
        e => format!("cannot open the catalog {shown}: {e}"),
    })?;
    let storage = match &data {
        Some(dir) => Some(
            Storage::open(dir)
                .map_err(|e| format!("cannot open the data directory {}: {e}", dir.display()))?,
        ),
        None => {
            eprintln!(
                "This catalog will be served as read-only. To make it writable, specify a writable directory with --write."
            );
            None
        }
    };
    let backend = CatalogBackend::new(catalog.clone(), storage);
    backend.partition_cache().set_capacity(args.table_cache_bytes);
    let result = runtime.block_on(async move {
        let root = backend.root().await.map_err(|e| e.to_string())?;
        // Data of nodes whose row was never inserted (a crash between the two steps).
        match backend.sweep_unreferenced(std::time::Duration::from_secs(3600)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed unreferenced data directories"),
            Err(e) => tracing::warn!(error = %e, "could not sweep unreferenced data directories"),
        }
        let listener =
            tessera_server::serve::bind_and_announce(&serve.host, serve.port, auth.api_key.as_deref())
                .await?;
        let state = AppState { root, registry, limits, auth };
        let app = tessera_server::app(state);
        #[cfg(feature = "iceberg")]
        let app = tessera_server::iceberg_export::with_catalogs(app, iceberg);
        tessera_server::serve::run(listener, app).await.map_err(|e| e.to_string())
    });
    runtime.block_on(catalog.close());
    drop(runtime);
    if let Some(dir) = temp_dir {
        let path = dir.path().to_path_buf();
        if let Err(e) = dir.close() {
            eprintln!("could not remove the temporary catalog {}: {e}", path.display());
        }
    }
    result
}
