//! Running the server: middleware, the listener, graceful shutdown.

use std::sync::Arc;

use axum::Router;
use axum::http::{Extensions, HeaderMap, StatusCode, Version, header};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};

use crate::state::AppState;

/// Whether a response is worth compressing: text and JSON are (CSV, HTML, JSON metadata);
/// binary formats are not — PNG, Parquet and XLSX are compressed already, and raw numbers
/// rarely shrink enough to pay for the CPU (Tiled uses blosc2 for those, which is not
/// offered here).
fn compressible(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    ct.starts_with("text/") || ct.starts_with("application/json") || ct.contains("+json")
}

/// The application with its middleware: gzip/zstd response compression of text and JSON
/// when the client accepts it, and request logging (outermost, so it counts the bytes
/// actually sent).
pub fn app(state: AppState) -> Router {
    let predicate = SizeAbove::new(256).and(compressible);
    // The fastest level: exports are large and streamed, and gzip at its default level
    // (miniz) manages only a few MB/s.
    let compression = CompressionLayer::new()
        .gzip(true)
        .zstd(true)
        .quality(tower_http::CompressionLevel::Fastest)
        .compress_when(predicate);
    crate::api::router(Arc::new(state))
        .layer(compression)
        .layer(axum::middleware::from_fn(crate::logging::log_requests))
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Binds `host:port` and prints, on stderr, the URL a Tiled client connects to (with
/// `?api_key=` when a key is in force) and the address served, as `tiled serve` does; a
/// port of 0 prints the port actually bound.
///
/// # Errors
/// The address cannot be bound (the message says which).
pub async fn bind_and_announce(host: &str, port: u16, api_key: Option<&str>) -> Result<TcpListener, String> {
    let listener =
        TcpListener::bind((host, port)).await.map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shown = if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
    let shown = if shown.contains(':') { format!("[{shown}]") } else { shown };
    let url = match api_key {
        Some(k) => format!("http://{shown}:{}?api_key={k}", addr.port()),
        None => format!("http://{shown}:{}", addr.port()),
    };
    eprintln!("\n    Navigate a web browser or connect a Tiled client to:\n\n    {url}\n");
    eprintln!("tessera running on http://{shown}:{} (Press CTRL+C to quit)", addr.port());
    Ok(listener)
}

/// Serves `app` on `listener` until SIGINT/SIGTERM, then lets requests in flight finish.
///
/// Connections are `TCP_NODELAY`: a response goes out as headers, then body chunks, and with
/// Nagle's algorithm the last small segment waits for the client's delayed ACK — up to
/// 40 ms per request on a kept-alive connection (measured: 76 req/s from one `hey`
/// client instead of thousands).
///
/// # Errors
/// Accepting connections failed.
pub async fn run(listener: TcpListener, app: Router) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("cannot set TCP_NODELAY on a connection: {e}");
        }
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}
