//! `/`, `/api/v1/`, `/formats`, unknown routes and methods.

use axum::body::Body;
use axum::http::Request;
use tessera_core::Family;

use crate::{get, get_ok, registry, send};

#[tokio::test]
async fn root_is_2xx() {
    let r = get_ok("/").await;
    assert!(r.header("content-type").starts_with("text/html"));
}

#[tokio::test]
async fn about_lists_the_registry() {
    for uri in ["/api/v1/", "/api/v1"] {
        let r = get_ok(uri).await;
        assert_eq!(r.header("content-type"), "application/json");
        let a = r.json();
        assert_eq!(a["api_version"], 0);
        assert_eq!(a["library_version"], "0.2.20");
        for family in Family::ALL {
            let key = family.as_str();
            assert_eq!(a["formats"][key], serde_json::json!(registry().formats(family)), "{key}");
            assert_eq!(a["aliases"][key], serde_json::json!(registry().aliases(family)), "{key}");
        }
        assert_eq!(
            a["authentication"],
            serde_json::json!({"required": false, "providers": [], "links": null})
        );
        assert_eq!(a["links"]["self"], "http://test.local:8000/api/v1");
        assert_eq!(a["meta"]["root_path"], "/api");
        assert!(a["queries"].as_array().unwrap().iter().any(|q| q == "eq"));
    }
}

#[tokio::test]
async fn formats_route_matches_the_listing() {
    let r = get_ok("/formats").await;
    let listed = serde_json::to_value(tessera_server::listing::format_rows(registry())).unwrap();
    assert_eq!(r.json(), listed);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_4xx() {
    let r = get("/api/v1/nope/x").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.detail(), "Not Found");
    let r = send(Request::delete("/api/v1/metadata/short_table").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.detail(), "Method Not Allowed");
}
