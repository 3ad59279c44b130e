//! Running the server: middleware, the listener, graceful shutdown.

use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

use crate::state::AppState;

/// The application with its middleware: gzip/zstd response compression when the client
/// accepts it (not for formats that are compressed already), and request logging
/// (outermost, so it counts the bytes actually sent).
pub fn app(state: AppState) -> Router {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/x-parquet"))
        .and(NotForContentType::const_new("application/vnd.openxmlformats"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/gzip"));
    let compression = CompressionLayer::new().gzip(true).zstd(true).compress_when(predicate);
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

/// Serves `app` on `listener` until SIGINT/SIGTERM, then lets requests in flight finish.
///
/// # Errors
/// Accepting connections failed.
pub async fn run(listener: TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}
