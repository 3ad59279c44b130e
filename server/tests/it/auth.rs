//! API keys: header, query parameter, cookie; public reads.

use axum::body::Body;
use axum::http::Request;
use tessera_server::state::{Auth, Limits};

use crate::{send_to, state_with};

fn keyed(public: bool) -> tessera_server::state::AppState {
    state_with(Limits::default(), Auth { api_key: Some("secret".into()), public })
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::get(uri).header("host", "h:1")
}

#[tokio::test]
async fn a_required_key() {
    let r = send_to(keyed(false), get("/api/v1/metadata/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 401);
    assert!(r.detail().starts_with("Not enough permissions"));
    assert_eq!(r.header("www-authenticate"), "Bearer scope=\"read:metadata\"");
    assert_eq!(r.header("x-tiled-root"), "http://h:1/api/v1");
    let r = send_to(
        keyed(false),
        get("/api/v1/metadata/").header("authorization", "Apikey nope").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.detail()), (401, "Invalid API key".to_owned()));
    for req in [
        get("/api/v1/metadata/").header("authorization", "Apikey secret"),
        get("/api/v1/metadata/?api_key=secret"),
        get("/api/v1/metadata/").header("cookie", "tiled_api_key=secret"),
    ] {
        let r = send_to(keyed(false), req.body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, 200);
    }
    // The About document is always readable and says a key is needed.
    let r = send_to(keyed(false), get("/api/v1/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["authentication"]["required"], true);
    let r = send_to(keyed(false), get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200);
    // Data routes are guarded too.
    let r = send_to(keyed(false), get("/api/v1/array/full/tiny_image").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn public_reads() {
    let r = send_to(keyed(true), get("/api/v1/metadata/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200);
    let r = send_to(keyed(true), get("/api/v1/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.json()["authentication"]["required"], false);
    let r = send_to(keyed(true), get("/api/v1/metadata/?api_key=wrong").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 401);
}
