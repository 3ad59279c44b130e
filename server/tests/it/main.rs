//! Router tests: every route, parameter and error path, through `oneshot` (no socket).
//! Outputs are checked with independent readers (arrow-ipc, parquet, csv, png, tiff,
//! calamine) and against the demo's generator.

#![allow(clippy::unwrap_used)]

mod about;
mod arrays;
mod auth;
mod containers;
#[cfg(feature = "iceberg")]
mod iceberg;
mod metadata;
mod search;
mod tables;
mod transport;
mod write;

use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tessera_core::{Family, Registry};
use tessera_server::state::{AppState, Auth, Limits};
use tessera_server::tree::Node;
use tower::ServiceExt;

/// The demo tree, built once.
pub(crate) fn demo() -> Arc<Node> {
    static TREE: OnceLock<Arc<Node>> = OnceLock::new();
    TREE.get_or_init(tessera_server::demo::tree).clone()
}

pub(crate) fn registry() -> &'static Registry {
    Registry::global().expect("registry")
}

/// True when this build serves `media_type` for `family`.
pub(crate) fn serves(family: Family, media_type: &str) -> bool {
    registry().get(family, media_type).is_some()
}

pub(crate) fn state_with(limits: Limits, auth: Auth) -> AppState {
    AppState { root: demo(), registry: registry(), limits, auth }
}

pub(crate) fn state() -> AppState {
    state_with(Limits::default(), Auth::open())
}

/// A response with its body read.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("UTF-8 body")
    }
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }
    /// The `detail` of an error body, as text.
    pub(crate) fn detail(&self) -> String {
        assert_eq!(self.header("content-type"), "application/json", "error bodies are JSON");
        match &self.json()["detail"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

pub(crate) async fn send_to(state: AppState, req: Request<Body>) -> Resp {
    let r = tessera_server::app(state).oneshot(req).await.expect("infallible");
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), usize::MAX).await.expect("body");
    Resp { status, headers, body }
}

pub(crate) async fn send(req: Request<Body>) -> Resp {
    send_to(state(), req).await
}

pub(crate) fn req(uri: &str) -> Request<Body> {
    Request::get(uri).header("host", "test.local:8000").body(Body::empty()).unwrap()
}

pub(crate) async fn get(uri: &str) -> Resp {
    send(req(uri)).await
}

/// Asserts a status and returns the response.
pub(crate) async fn get_ok(uri: &str) -> Resp {
    let r = get(uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&r.body));
    r
}

/// Asserts a client error with a JSON `detail` containing `needle`.
pub(crate) async fn get_err(uri: &str, status: u16, needle: &str) -> Resp {
    let r = get(uri).await;
    assert_eq!(r.status.as_u16(), status, "{uri}: {}", String::from_utf8_lossy(&r.body));
    let d = r.detail();
    assert!(d.contains(needle), "{uri}: {d:?} lacks {needle:?}");
    r
}

/// The little-endian f64s of a raw body.
pub(crate) fn f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}
