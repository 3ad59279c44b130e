//! `GET /api/v1/search/<path>`: filters, sorting, paging, fields.

use serde_json::{Value, json};

use crate::{get, get_err, get_ok};

const GREEN: &str =
    "filter%5Beq%5D%5Bcondition%5D%5Bkey%5D=color&filter%5Beq%5D%5Bcondition%5D%5Bvalue%5D=%22green%22";

fn ids(doc: &Value) -> Vec<String> {
    doc["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn key_color_green() {
    let doc = get_ok(&format!("/api/v1/search/?{GREEN}&sort=_")).await.json();
    assert_eq!(doc["meta"]["count"], 6);
    assert_eq!(
        ids(&doc),
        ["long_table", "tiny_image", "small_image", "medium_image", "big_image", "structured_data"]
    );
    // What `.values().first()` sends.
    let first =
        get_ok(&format!("/api/v1/search/?page%5Boffset%5D=0&page%5Blimit%5D=1&{GREEN}&sort=_")).await.json();
    assert_eq!(ids(&first), ["long_table"]);
    assert!(first["links"]["next"].as_str().unwrap().starts_with("http://test.local:8000/api/v1/search/?"));
    // `.values()[-1]`
    let last =
        get_ok(&format!("/api/v1/search/?page%5Boffset%5D=0&page%5Blimit%5D=1&{GREEN}&sort=-_")).await.json();
    assert_eq!(ids(&last), ["structured_data"]);
}

#[tokio::test]
async fn following_next_links_lists_everything() {
    let mut url = "/api/v1/search/?fields=&page%5Blimit%5D=5".to_owned();
    let mut all = Vec::new();
    loop {
        let doc = get_ok(&url).await.json();
        assert_eq!(doc["meta"]["count"], 16);
        for d in doc["data"].as_array().unwrap() {
            assert_eq!(d["attributes"]["metadata"], json!(null));
            assert!(d["links"]["self"].is_string());
        }
        all.extend(ids(&doc));
        match doc["links"]["next"].as_str() {
            Some(next) => url = next.strip_prefix("http://test.local:8000").unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(all.len(), 16);
    assert_eq!(all[0], "short_table");
    assert_eq!(all[15], "flat_array");
}

#[tokio::test]
async fn counts_and_limits() {
    let doc = get_ok("/api/v1/search/?fields=count").await.json();
    assert_eq!((doc["meta"]["count"].clone(), doc["data"].clone()), (json!(16), json!([])));
    let doc = get_ok("/api/v1/search/?page%5Blimit%5D=0").await.json();
    assert_eq!((doc["meta"]["count"].clone(), doc["data"].clone()), (json!(16), json!([])));
    let doc = get_ok("/api/v1/search/?page%5Boffset%5D=100").await.json();
    assert_eq!(doc["data"], json!([]));
    assert_eq!(doc["links"]["next"], json!(null));
    get_err("/api/v1/search/?page%5Blimit%5D=301", 422, "less than or equal to 300").await;
    get_err("/api/v1/search/?page%5Boffset%5D=-1", 422, "integer").await;
}

#[tokio::test]
async fn nested_search_and_full_items() {
    let doc = get_ok("/api/v1/search/structured_data").await.json();
    assert_eq!(ids(&doc), ["pets", "xarray_dataset"]);
    assert_eq!(doc["data"][0]["attributes"]["ancestors"], json!(["structured_data"]));
    assert_eq!(doc["data"][0]["attributes"]["structure_family"], "array");
    let doc = get_ok("/api/v1/search/?filter%5Bstructure_family%5D%5Bcondition%5D%5Bvalue%5D=table&sort=-_")
        .await
        .json();
    assert_eq!(ids(&doc), ["huge_table", "wide_table", "long_table", "short_table"]);
    let doc = get_ok("/api/v1/search/?filter%5Blookup%5D%5Bcondition%5D%5Bkey%5D=scalars").await.json();
    assert_eq!(ids(&doc), ["scalars"]);
    let doc = get_ok("/api/v1/search/?filter%5Bfulltext%5D%5Bcondition%5D%5Btext%5D=constants").await.json();
    assert_eq!(ids(&doc), ["scalars"]);
    let doc = get_ok("/api/v1/search/?sort=-entropy&filter%5Bkeypresent%5D%5Bcondition%5D%5Bkey%5D=entropy&filter%5Bkeypresent%5D%5Bcondition%5D%5Bexists%5D=true").await.json();
    assert_eq!(ids(&doc), ["low_entropy", "high_entropy"]);
}

#[tokio::test]
async fn client_mistakes_are_4xx() {
    get_err(
        "/api/v1/search/?filter%5Beq%5D%5Bcondition%5D%5Bkey%5D=color&filter%5Beq%5D%5Bcondition%5D%5Bvalue%5D=green",
        400,
        "JSON",
    )
    .await;
    get_err("/api/v1/search/?filter%5Bbogus%5D%5Bcondition%5D%5Bkey%5D=x", 400, "unsupported").await;
    get_err("/api/v1/search/?sort=color&sort=-color", 400, "more than once").await;
    get_err("/api/v1/search/medium_image", 404, "container").await;
    get_err("/api/v1/search/nope", 404, "No such entry").await;
    assert_eq!(get("/api/v1/search/?fields=nope").await.status, 422);
}
