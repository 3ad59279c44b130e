//! The `tessera` command.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tessera_server::listing::{format_rows, render_table};
use tessera_server::state::{AppState, Auth, Limits, random_api_key};

mod cli_catalog;
#[cfg(feature = "iceberg")]
mod cli_iceberg;

/// Serve and export scientific data in any format (Tiled-compatible HTTP API).
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every format compiled into this binary.
    Formats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run a server.
    #[command(subcommand)]
    Serve(Serve),
    /// Manage a writable catalog (SQLite file or PostgreSQL database).
    #[command(subcommand)]
    Catalog(cli_catalog::CatalogCommand),
    /// Export a table (a server's table node, or a local Arrow IPC / Parquet file) into an
    /// Iceberg catalog, optionally projected (--columns) and filtered (--where).
    #[cfg(feature = "iceberg")]
    ExportIceberg(Box<cli_iceberg::ExportIcebergArgs>),
}

#[derive(Debug, Subcommand)]
enum Serve {
    /// Serve the demo tree (the nodes of Tiled's tutorials, deterministic data).
    Demo(ServeArgs),
    /// Serve a catalog (SQLite or PostgreSQL), read-write with --write DIR or --temp.
    Catalog(Box<cli_catalog::CatalogServeArgs>),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind (0 picks a free one; the URL printed has the real port).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Allow anonymous reads. Without --api-key no key is in force at all.
    #[arg(long)]
    public: bool,
    /// The API key (default: $TESSERA_API_KEY, else a random 64-hex-digit key, printed).
    #[arg(long, env = "TESSERA_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Largest data a buffered format (PNG, TIFF, XLSX, ...) or a container export may
    /// hold in memory, in bytes. Streaming formats are not limited.
    #[arg(long, default_value_t = Limits::default().max_response_bytes)]
    max_response_bytes: u64,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = Limits::default().max_request_bytes)]
    max_request_bytes: usize,
    /// Largest page of search results.
    #[arg(long, default_value_t = Limits::default().max_page_size)]
    max_page_size: usize,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
    #[cfg(feature = "iceberg")]
    #[command(flatten)]
    iceberg: tessera_server::iceberg_export::IcebergArgs,
}

fn formats(json: bool) -> Result<(), String> {
    let registry = tessera_core::Registry::global().map_err(|e| e.to_string())?;
    let rows = format_rows(registry);
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
    } else {
        print!("{}", render_table(&rows));
    }
    Ok(())
}

fn serve_demo(args: ServeArgs) -> Result<(), String> {
    tessera_server::logging::init(args.log_json);
    let registry = tessera_core::Registry::global().map_err(|e| e.to_string())?;
    // Iceberg exports write, so they always need a key: a public server with catalogs gets one.
    #[cfg(feature = "iceberg")]
    let iceberg = args.iceberg.catalogs()?;
    #[cfg(feature = "iceberg")]
    let needs_key = !iceberg.is_empty();
    #[cfg(not(feature = "iceberg"))]
    let needs_key = false;
    let auth = match (args.api_key, args.public) {
        (Some(k), public) => Auth { api_key: Some(k), public },
        (None, true) if !needs_key => Auth::open(),
        (None, public) => Auth { api_key: Some(random_api_key()), public },
    };
    let limits = Limits::default()
        .with_max_response_bytes(args.max_response_bytes)
        .with_max_request_bytes(args.max_request_bytes)
        .with_max_page_size(args.max_page_size);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener =
            tessera_server::serve::bind_and_announce(&args.host, args.port, auth.api_key.as_deref()).await?;
        let state = AppState { root: tessera_server::demo::tree(), registry, limits, auth };
        let app = tessera_server::app(state);
        #[cfg(feature = "iceberg")]
        let app = {
            if !iceberg.is_empty() {
                eprintln!("Iceberg export catalogs: {}", iceberg.names().join(", "));
            }
            tessera_server::iceberg_export::with_catalogs(app, iceberg)
        };
        tessera_server::serve::run(listener, app).await.map_err(|e| e.to_string())
    })
}

fn main() -> ExitCode {
    // Before any thread starts: large export and chunk buffers are reused instead of being
    // mapped and faulted in anew for every request (see the module's docs).
    tessera_core::memory::retain_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Formats { json } => formats(json),
        Command::Serve(Serve::Demo(args)) => serve_demo(args),
        Command::Serve(Serve::Catalog(args)) => cli_catalog::serve(*args),
        Command::Catalog(command) => cli_catalog::run(command),
        #[cfg(feature = "iceberg")]
        Command::ExportIceberg(args) => cli_iceberg::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
