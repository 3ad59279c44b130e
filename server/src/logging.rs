//! One structured log line per request, written when its body is finished (or abandoned):
//! request id, method, path, status, bytes sent, duration. The query string is not
//! logged — it may carry `api_key=` — and neither are headers.

use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// A request id: a per-process random prefix and a counter (`x-request-id`).
fn next_request_id() -> String {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 4];
        rand::fill(&mut b);
        u32::from_le_bytes(b)
    });
    format!("{prefix:08x}-{:06}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

struct Info {
    id: String,
    method: Method,
    path: String,
    status: StatusCode,
    start: Instant,
}

/// A body that counts what it yields and logs the request when it ends or is dropped.
struct LoggedBody {
    inner: Body,
    bytes: u64,
    info: Option<Info>,
}

impl LoggedBody {
    fn finish(&mut self, outcome: &'static str) {
        if let Some(i) = self.info.take() {
            let ms = i.start.elapsed().as_secs_f64() * 1e3;
            if i.status.is_server_error() || outcome != "complete" {
                tracing::warn!(request_id = %i.id, method = %i.method, path = %i.path, status = i.status.as_u16(),
                    bytes = self.bytes, duration_ms = ms, outcome, "request");
            } else {
                tracing::info!(request_id = %i.id, method = %i.method, path = %i.path, status = i.status.as_u16(),
                    bytes = self.bytes, duration_ms = ms, outcome, "request");
            }
        }
    }
}

impl http_body::Body for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.bytes += d.len() as u64;
                }
            }
            Poll::Ready(Some(Err(_))) => this.finish("aborted"),
            Poll::Ready(None) => this.finish("complete"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        // Dropped before its end: the client went away (or the body was never polled).
        let outcome =
            if http_body::Body::is_end_stream(&self.inner) { "complete" } else { "client disconnected" };
        self.finish(outcome);
    }
}

/// Middleware: tags the response with `x-request-id` and logs it when its body ends.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let id = next_request_id();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let mut response = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    let status = response.status();
    let (parts, body) = response.into_parts();
    let body = LoggedBody { inner: body, bytes: 0, info: Some(Info { id, method, path, status, start }) };
    Response::from_parts(parts, Body::new(body))
}

/// Installs the global `tracing` subscriber: human-readable lines, or JSON with `json`.
/// `RUST_LOG` overrides the default level (`info`).
pub fn init(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second call (tests) keeps the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::Request;
    use tower::ServiceExt;

    use crate::state::{AppState, Auth, Limits};

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_line_per_request_without_credentials() {
        let capture = Capture::default();
        let sink = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || sink.clone())
            .with_max_level(tracing::Level::INFO)
            .finish();
        let state = AppState {
            root: crate::demo::tree(),
            registry: tessera_core::Registry::global().expect("registry"),
            limits: Limits::default(),
            auth: Auth { api_key: Some("s3cr3t-key".into()), public: false },
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        tracing::subscriber::with_default(subscriber, || {
            rt.block_on(async {
                let req = Request::get("/api/v1/metadata/tiny_image?api_key=s3cr3t-key")
                    .header("authorization", "Apikey s3cr3t-key")
                    .body(axum::body::Body::empty())
                    .expect("request");
                let r = crate::app(state).oneshot(req).await.expect("response");
                assert_eq!(r.status(), 200);
                axum::body::to_bytes(r.into_body(), usize::MAX).await.expect("body");
            })
        });
        let logged = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("UTF-8");
        assert!(!logged.contains("s3cr3t"), "{logged}");
        let line: serde_json::Value =
            serde_json::from_str(logged.lines().next().expect("a line")).expect("JSON");
        let f = &line["fields"];
        assert_eq!(f["method"], "GET");
        assert_eq!(f["path"], "/api/v1/metadata/tiny_image");
        assert_eq!(f["status"], 200);
        assert_eq!(f["outcome"], "complete");
        assert!(f["bytes"].as_u64().expect("bytes") > 100);
        assert!(f["request_id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(f["duration_ms"].is_number());
    }
}
