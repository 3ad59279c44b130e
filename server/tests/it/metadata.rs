//! `GET /api/v1/metadata/<path>`.

use base64::Engine as _;
use serde_json::json;

use crate::{get_err, get_ok};

#[tokio::test]
async fn root_resource() {
    for uri in ["/api/v1/metadata/", "/api/v1/metadata"] {
        let r = get_ok(uri).await;
        assert_eq!(r.header("content-type"), "application/json");
        let doc = r.json();
        assert_eq!(doc["error"], json!(null));
        let d = &doc["data"];
        assert_eq!(d["id"], "");
        assert_eq!(d["attributes"]["ancestors"], json!([]));
        assert_eq!(d["attributes"]["structure_family"], "container");
        assert_eq!(d["attributes"]["structure"], json!({"contents": null, "count": 16}));
        assert_eq!(d["attributes"]["sorting"], json!([{"key": "_", "direction": 1}]));
        assert_eq!(d["links"]["search"], "http://test.local:8000/api/v1/search/");
        assert_eq!(d["links"]["full"], "http://test.local:8000/api/v1/container/full/");
    }
}

#[tokio::test]
async fn array_resource_with_double_slash() {
    let r = get_ok("/api/v1/metadata//medium_image").await;
    let d = &r.json()["data"];
    assert_eq!(d["id"], "medium_image");
    let s = &d["attributes"]["structure"];
    assert_eq!(s["shape"], json!([1000, 1000]));
    assert_eq!(s["chunks"][0], json!([250, 250, 250, 250]));
    assert_eq!(s["data_type"], json!({"endianness": "little", "kind": "f", "itemsize": 8, "dt_units": null}));
    assert_eq!(s["dims"], json!(null));
    assert_eq!(s["resizable"], false);
    assert_eq!(d["attributes"]["specs"], json!([]));
    assert_eq!(d["attributes"]["metadata"], json!({"animal": "cat", "color": "green"}));
    assert_eq!(d["links"]["block"], "http://test.local:8000/api/v1/array/block/medium_image?block={0},{1}");
    let scalar = get_ok("/api/v1/metadata/scalars/pi").await.json();
    assert_eq!(
        scalar["data"]["links"]["block"],
        "http://test.local:8000/api/v1/array/block/scalars/pi?block="
    );
    assert_eq!(scalar["data"]["attributes"]["ancestors"], json!(["scalars"]));
    assert_eq!(scalar["data"]["attributes"]["structure"]["chunks"], json!([]));
}

#[tokio::test]
async fn table_resource_and_column_children() {
    let d = get_ok("/api/v1/metadata/short_table").await.json()["data"].clone();
    let s = &d["attributes"]["structure"];
    assert_eq!(s["columns"], json!(["A", "B", "C", "D", "E"]));
    assert_eq!(s["npartitions"], 1);
    assert_eq!(s["resizable"], false);
    let b64 = s["arrow_schema"]
        .as_str()
        .unwrap()
        .strip_prefix("data:application/vnd.apache.arrow.file;base64,")
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let schema = arrow_ipc::convert::try_schema_from_ipc_buffer(&bytes).unwrap();
    assert_eq!(&schema, tessera_server::demo::short_table().schema().as_ref());
    assert_eq!(d["attributes"]["specs"], json!([{"name": "dataframe", "version": null}]));
    assert_eq!(
        d["links"]["partition"],
        "http://test.local:8000/api/v1/table/partition/short_table?partition={index}"
    );
    let col = get_ok("/api/v1/metadata/short_table/A").await.json();
    assert_eq!(col["data"]["attributes"]["structure"]["shape"], json!([100]));
    assert_eq!(col["data"]["attributes"]["structure"]["data_type"]["kind"], "u");
    assert_eq!(
        get_ok("/api/v1/metadata/long_table").await.json()["data"]["attributes"]["structure"]["npartitions"],
        5
    );
}

#[tokio::test]
async fn datasets_inline_their_variables() {
    let d = get_ok("/api/v1/metadata/structured_data/xarray_dataset").await.json()["data"].clone();
    assert_eq!(d["attributes"]["specs"][0]["name"], "xarray_dataset");
    let contents = d["attributes"]["structure"]["contents"].as_object().unwrap();
    assert_eq!(contents.keys().collect::<Vec<_>>(), ["temperature", "precipitation", "lon", "lat", "time"]);
    let time = &contents["time"];
    assert_eq!(time["attributes"]["structure"]["dims"], json!(["time"]));
    assert_eq!(time["attributes"]["structure"]["data_type"]["dt_units"], "[ns]");
    assert_eq!(time["attributes"]["specs"][0]["name"], "xarray_coord");
    assert_eq!(
        time["links"]["full"],
        "http://test.local:8000/api/v1/array/full/structured_data/xarray_dataset/time"
    );
    let pets = get_ok("/api/v1/metadata/structured_data/pets").await.json();
    assert_eq!(pets["data"]["attributes"]["structure"]["data_type"]["itemsize"], 48);
    assert_eq!(pets["data"]["attributes"]["structure"]["data_type"]["fields"][0]["name"], "name");
}

#[tokio::test]
async fn fields_and_omit_links() {
    let d = get_ok("/api/v1/metadata/medium_image?fields=metadata").await.json()["data"].clone();
    assert_eq!(d["attributes"]["metadata"]["color"], "green");
    assert_eq!(d["attributes"]["structure"], json!(null));
    assert_eq!(d["attributes"]["structure_family"], json!(null));
    let d = get_ok("/api/v1/metadata/medium_image?omit_links=true").await.json()["data"].clone();
    assert_eq!(d["links"], json!(null));
    let r = get_err("/api/v1/metadata/medium_image?fields=bogus", 422, "bogus").await;
    assert_eq!(r.json()["detail"][0]["loc"], json!(["query", "fields"]));
}

#[tokio::test]
async fn missing_nodes_are_404() {
    get_err("/api/v1/metadata/nope", 404, "No such entry: ['nope']").await;
    get_err("/api/v1/metadata/medium_image/child", 404, "['medium_image', 'child']").await;
    get_err("/api/v1/metadata/short_table/Z", 404, "No such entry").await;
}
