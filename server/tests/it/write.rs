//! The write side over a SQLite catalog in a temporary directory: every write route and its
//! error paths, then the read side on what was written.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tessera_server::catalog_tree::CatalogBackend;
use tessera_server::state::{AppState, Auth, Limits};

use crate::{Resp, registry, send_to};

const KEY: &str = "secret";

struct Fixture {
    _dir: tempfile::TempDir,
    backend: Arc<CatalogBackend>,
    limits: Limits,
    auth: Auth,
}

impl Fixture {
    async fn new(writable: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("catalog.db").to_string_lossy().into_owned();
        tessera_catalog::Catalog::init(&db).await.unwrap();
        let catalog = tessera_catalog::Catalog::open(&db).await.unwrap();
        let storage = writable.then(|| tessera_storage::Storage::open(dir.path().join("data")).unwrap());
        Fixture {
            _dir: dir,
            backend: CatalogBackend::new(catalog, storage),
            limits: Limits::default(),
            auth: Auth { api_key: Some(KEY.into()), public: false },
        }
    }

    async fn state(&self) -> AppState {
        AppState {
            root: self.backend.root().await.unwrap(),
            registry: registry(),
            limits: self.limits,
            auth: self.auth.clone(),
        }
    }

    async fn send(&self, method: &str, uri: &str, content_type: &str, body: impl Into<Body>) -> Resp {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "test.local")
            .header("authorization", format!("Apikey {KEY}"))
            .header("content-type", content_type)
            .body(body.into())
            .unwrap();
        send_to(self.state().await, req).await
    }

    async fn get(&self, uri: &str) -> Resp {
        self.send("GET", uri, "", Body::empty()).await
    }

    async fn post(&self, parent: &str, doc: &Value) -> Resp {
        self.send("POST", &format!("/api/v1/metadata/{parent}"), "application/json", doc.to_string()).await
    }

    async fn put(&self, uri: &str, body: Vec<u8>) -> Resp {
        self.send("PUT", uri, "application/octet-stream", body).await
    }
}

fn array_doc(key: &str, shape: &[usize], chunks: Value, metadata: Value) -> Value {
    json!({
        "id": key, "structure_family": "array", "metadata": metadata, "specs": [],
        "data_sources": [{
            "structure_family": "array",
            "structure": {"data_type": {"endianness": "little", "kind": "i", "itemsize": 8, "dt_units": null},
                          "chunks": chunks, "shape": shape, "dims": null, "resizable": false},
            "id": null, "mimetype": null, "parameters": {}, "properties": {}, "assets": [], "management": "writable",
        }],
    })
}

fn i64s(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn table_doc(key: &str, schema: &arrow::datatypes::Schema) -> Value {
    json!({
        "id": key, "structure_family": "table", "metadata": {"color": "green"}, "specs": [],
        "data_sources": [{"structure_family": "table", "structure": {
            "arrow_schema": tessera_server::resource::arrow_schema_uri(schema), "npartitions": 1,
            "columns": ["x"], "resizable": false}, "assets": []}],
    })
}

fn ipc_file(batch: &arrow::array::RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

#[tokio::test]
async fn arrays_full_and_blocks_round_trip() {
    let f = Fixture::new(true).await;
    let r = f.post("", &array_doc("a", &[3], json!([[3]]), json!({"color": "red"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["id"], "a");
    assert_eq!(doc["links"]["block"], "http://test.local/api/v1/array/block/a?block={0}");
    assert_eq!(doc["data_sources"][0]["mimetype"], "application/x-zarr");
    assert!(doc["data_sources"][0].get("location").is_none());
    let r = f.put("/api/v1/array/full/a", i64s(&[1, 2, 3])).await;
    assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "null"));
    let r = f.get("/api/v1/array/full/a?format=json").await;
    assert_eq!(r.json(), json!([1, 2, 3]));
    // Blocks: 4x2 in 2x1 blocks; unwritten blocks read as zeros.
    let r = f.post("", &array_doc("b", &[4, 2], json!([[2, 2], [1, 1]]), json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["links"]["block"], "http://test.local/api/v1/array/block/b?block={0},{1}");
    assert_eq!(f.put("/api/v1/array/block/b?block=1,1", i64s(&[7, 8])).await.status, 200);
    let r = f.get("/api/v1/array/full/b?format=json").await;
    assert_eq!(r.json(), json!([[0, 0], [0, 0], [0, 7], [0, 8]]));
    let r = f.get("/api/v1/array/block/b?block=1,1&format=json").await;
    assert_eq!(r.json(), json!([[7], [8]]));
    // Wrong length, block out of range, missing block: 4xx and nothing written.
    let r = f.put("/api/v1/array/block/b?block=0,0", i64s(&[1])).await;
    assert!(r.status.is_client_error(), "{}", r.text());
    assert_eq!(f.put("/api/v1/array/block/b?block=2,0", i64s(&[1, 2])).await.status, 422);
    assert_eq!(f.put("/api/v1/array/block/b", i64s(&[1, 2])).await.status, 422);
    assert!(f.put("/api/v1/array/full/a", i64s(&[1, 2])).await.status.is_client_error());
    assert_eq!(f.get("/api/v1/array/full/a?format=json").await.json(), json!([1, 2, 3]));
    // PUT table data on an array: 405.
    assert_eq!(
        f.send("PUT", "/api/v1/table/full/a", "application/vnd.apache.arrow.file", vec![]).await.status,
        405
    );
    // Metadata and search see them, in SQL.
    let r = f.get("/api/v1/metadata/").await;
    assert_eq!(r.json()["data"]["attributes"]["structure"]["count"], 2);
    let r = f
        .get("/api/v1/search/?filter[eq][condition][key]=color&filter[eq][condition][value]=%22red%22")
        .await;
    assert_eq!(r.json()["meta"]["count"], 1);
    assert_eq!(r.json()["data"][0]["id"], "a");
    let r = f.get("/api/v1/search/?page[limit]=1&sort=-_").await;
    assert_eq!(r.json()["data"][0]["id"], "b");
    assert_eq!(r.json()["meta"]["count"], 2);
}

#[tokio::test]
async fn tables_accept_the_pandas_index_column() {
    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    let f = Fixture::new(true).await;
    let declared = Schema::new(vec![Field::new("x", DataType::Int64, true)]);
    let r = f.post("", &table_doc("t", &declared)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["links"]["partition"],
        "http://test.local/api/v1/table/partition/t?partition={index}"
    );
    let upload = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Int64, true),
        Field::new("__index_level_0__", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        upload,
        vec![Arc::new(Int64Array::from(vec![1, 2, 3])), Arc::new(Int64Array::from(vec![0, 1, 2]))],
    )
    .unwrap();
    let r =
        f.send("PUT", "/api/v1/table/full/t", "application/vnd.apache.arrow.file", ipc_file(&batch)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = f.get("/api/v1/table/full/t?format=csv").await;
    assert_eq!(r.status, 200);
    assert!(r.text().starts_with("x,__index_level_0__") || r.text().starts_with("x"), "{}", r.text());
    let md = f.get("/api/v1/metadata/t").await.json();
    assert_eq!(md["data"]["attributes"]["structure"]["columns"], json!(["x"]));
    // A wrong schema or a body that is not Arrow: 4xx, nothing written.
    let other = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("y", DataType::Int64, true)])),
        vec![Arc::new(Int64Array::from(vec![9]))],
    )
    .unwrap();
    let r = f
        .send(
            "PUT",
            "/api/v1/table/partition/t?partition=0",
            "application/vnd.apache.arrow.file",
            ipc_file(&other),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    let r =
        f.send("PUT", "/api/v1/table/full/t", "application/vnd.apache.arrow.file", b"nope".to_vec()).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        f.send("PUT", "/api/v1/table/partition/t?partition=1", "x", ipc_file(&batch)).await.status,
        400
    );
    let r = f.get("/api/v1/table/full/t?format=csv").await;
    assert!(r.text().contains('3'));
}

#[tokio::test]
async fn create_errors() {
    let f = Fixture::new(true).await;
    let doc = array_doc("a", &[3], json!([[3]]), json!({}));
    assert_eq!(f.post("", &doc).await.status, 200);
    let r = f.post("", &doc).await;
    assert_eq!((r.status.as_u16(), r.json()), (409, json!({"detail": "/a"})));
    // Malformed JSON, unknown family, bad structure (chunks that do not tile): 422.
    let r = f.send("POST", "/api/v1/metadata/", "application/json", "{nope").await;
    assert_eq!(r.status, 422);
    assert!(r.json()["detail"].is_array());
    assert_eq!(f.post("", &json!({"id": "x", "structure_family": "sparse"})).await.status, 422);
    assert_eq!(f.post("", &array_doc("c", &[3], json!([[2]]), json!({}))).await.status, 422);
    // No parent: 404; a parent that is an array: 405.
    assert_eq!(f.post("nope", &json!({"id": "x", "structure_family": "container"})).await.status, 404);
    assert_eq!(f.post("a", &json!({"id": "x", "structure_family": "container"})).await.status, 405);
    // Nested containers.
    let r = f
        .post("", &json!({"id": "g", "structure_family": "container", "metadata": {"k": 1}, "specs": ["s"]}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["links"]["search"], "http://test.local/api/v1/search/g");
    assert_eq!(f.post("g", &array_doc("in", &[2], json!([[2]]), json!({}))).await.status, 200);
    let r = f.get("/api/v1/metadata/g/in").await;
    assert_eq!(r.json()["data"]["attributes"]["ancestors"], json!(["g"]));
    let r = f.get("/api/v1/metadata/g").await;
    assert_eq!(r.json()["data"]["attributes"]["specs"], json!([{"name": "s", "version": null}]));
    // Nothing left behind by refused creations: one directory per created node.
    let data = f.backend.storage.as_ref().unwrap().root().to_path_buf();
    assert_eq!(std::fs::read_dir(data).unwrap().count(), 2);
    // A body over the limit: 413.
    let small = Fixture { limits: Limits::default().with_max_request_bytes(10), ..Fixture::new(true).await };
    assert_eq!(small.post("", &json!({"id": "x", "structure_family": "container"})).await.status, 413);
}

#[tokio::test]
async fn delete_semantics() {
    let f = Fixture::new(true).await;
    assert_eq!(f.post("", &json!({"id": "g", "structure_family": "container"})).await.status, 200);
    assert_eq!(f.post("g", &array_doc("a", &[1], json!([[1]]), json!({}))).await.status, 200);
    let r = f.send("DELETE", "/api/v1/metadata/g", "", Body::empty()).await;
    assert_eq!(r.status, 409);
    assert!(r.detail().contains("not empty"));
    let r = f.send("DELETE", "/api/v1/metadata/g?recursive=true", "", Body::empty()).await;
    assert_eq!(r.status, 409);
    assert!(r.detail().contains("internally managed"));
    assert_eq!(f.send("DELETE", "/api/v1/metadata/g?recursive=maybe", "", Body::empty()).await.status, 422);
    assert_eq!(f.send("DELETE", "/api/v1/metadata/nope", "", Body::empty()).await.status, 404);
    assert_eq!(f.send("DELETE", "/api/v1/metadata/", "", Body::empty()).await.status, 405);
    let r =
        f.send("DELETE", "/api/v1/metadata//g?recursive=true&external_only=false", "", Body::empty()).await;
    assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "null"));
    assert_eq!(f.get("/api/v1/metadata/g").await.status, 404);
    let data = f.backend.storage.as_ref().unwrap().root().to_path_buf();
    assert_eq!(std::fs::read_dir(data).unwrap().count(), 0);
    // An empty container goes with the defaults.
    assert_eq!(f.post("", &json!({"id": "e", "structure_family": "container"})).await.status, 200);
    assert_eq!(f.send("DELETE", "/api/v1/metadata/e", "", Body::empty()).await.status, 200);
}

#[tokio::test]
async fn auth_and_read_only() {
    let f = Fixture::new(true).await;
    let doc = json!({"id": "x", "structure_family": "container"});
    for auth in [None, Some("Apikey wrong")] {
        let mut b = Request::post("/api/v1/metadata/").header("content-type", "application/json");
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        let public = AppState { auth: Auth { api_key: Some(KEY.into()), public: true }, ..f.state().await };
        let r = send_to(public, b.body(Body::from(doc.to_string())).unwrap()).await;
        assert_eq!(r.status, 401, "{auth:?}");
    }
    let ro = Fixture::new(false).await;
    assert_eq!(ro.post("", &doc).await.status, 405);
    assert_eq!(ro.put("/api/v1/array/full/x", vec![]).await.status, 405);
    assert_eq!(ro.send("DELETE", "/api/v1/metadata/x", "", Body::empty()).await.status, 405);
    // The demo tree is read-only too.
    let demo = crate::state();
    let r = send_to(demo, Request::put("/api/v1/array/full/tiny_image").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn containers_export_and_datasets() {
    let f = Fixture::new(true).await;
    let ds = json!({"id": "ds", "structure_family": "container", "specs": ["xarray_dataset"], "metadata": {"attrs": {"a": 1}}});
    assert_eq!(f.post("", &ds).await.status, 200);
    let mut var = array_doc("v", &[3], json!([[3]]), json!({}));
    var["specs"] = json!(["xarray_data_var"]);
    var["data_sources"][0]["structure"]["dims"] = json!(["t"]);
    assert_eq!(f.post("ds", &var).await.status, 200,);
    assert_eq!(f.put("/api/v1/array/full/ds/v", i64s(&[4, 5, 6])).await.status, 200);
    let md = f.get("/api/v1/metadata/ds").await.json();
    assert_eq!(md["data"]["attributes"]["structure"]["contents"]["v"]["id"], "v");
    let r = f.get("/api/v1/container/full/ds?format=json").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = f.get("/api/v1/container/full/?format=json").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("ds"));
}

#[tokio::test]
async fn unreferenced_data_is_swept() {
    let f = Fixture::new(true).await;
    assert_eq!(f.post("", &array_doc("a", &[1], json!([[1]]), json!({}))).await.status, 200);
    let root = f.backend.storage.as_ref().unwrap().root().to_path_buf();
    std::fs::create_dir(root.join("0190orphan")).unwrap();
    let young = f.backend.sweep_unreferenced(std::time::Duration::from_secs(3600)).await.unwrap();
    assert_eq!(young, 0, "a directory being created by another process survives");
    assert_eq!(f.backend.sweep_unreferenced(std::time::Duration::ZERO).await.unwrap(), 1);
    assert!(!root.join("0190orphan").exists());
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
    assert_eq!(f.put("/api/v1/array/full/a", i64s(&[5])).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_of_different_blocks_all_land() {
    let f = Fixture::new(true).await;
    let doc = array_doc("c", &[8, 2], json!([[1, 1, 1, 1, 1, 1, 1, 1], [2]]), json!({}));
    assert_eq!(f.post("", &doc).await.status, 200);
    let puts = (0..8i64).map(|i| {
        let uri = format!("/api/v1/array/block/c?block={i},0");
        let f = &f;
        async move { f.put(&uri, i64s(&[i, 10 * i])).await.status }
    });
    let statuses = futures::future::join_all(puts).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let want: Vec<[i64; 2]> = (0..8).map(|i| [i, 10 * i]).collect();
    assert_eq!(f.get("/api/v1/array/full/c?format=json").await.json(), json!(want));
}

#[tokio::test]
async fn catalog_nodes_export_in_every_format() {
    use arrow::array::{Float64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use tessera_core::Family;
    let f = Fixture::new(true).await;
    let mut doc = array_doc("a", &[4, 3], json!([[2, 2], [3]]), json!({}));
    doc["data_sources"][0]["structure"]["data_type"]["kind"] = json!("f");
    assert_eq!(f.post("", &doc).await.status, 200);
    let values: Vec<u8> = (0..12).flat_map(|i| f64::from(i).to_le_bytes()).collect();
    assert_eq!(f.put("/api/v1/array/full/a", values).await.status, 200);
    let schema =
        Schema::new(vec![Field::new("x", DataType::Float64, true), Field::new("s", DataType::Utf8, true)]);
    let mut t = table_doc("t", &schema);
    t["data_sources"][0]["structure"]["columns"] = json!(["x", "s"]);
    assert_eq!(f.post("", &t).await.status, 200);
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Float64Array::from(vec![1.5, 2.5])), Arc::new(StringArray::from(vec!["é", "b"]))],
    )
    .unwrap();
    let r =
        f.send("PUT", "/api/v1/table/full/t", "application/vnd.apache.arrow.file", ipc_file(&batch)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    for (family, uri) in [
        (Family::Array, "/api/v1/array/full/a"),
        (Family::Array, "/api/v1/array/block/a?block=1,0"),
        (Family::Array, "/api/v1/array/full/a?slice=1:3,::2"),
        (Family::Table, "/api/v1/table/full/t"),
        (Family::Table, "/api/v1/table/partition/t?partition=0&column=x"),
        (Family::Container, "/api/v1/container/full/"),
    ] {
        for media_type in registry().formats(family) {
            let sep = if uri.contains('?') { '&' } else { '?' };
            let q = form_urlencoded::byte_serialize(media_type.as_bytes()).collect::<String>();
            let r = f.get(&format!("{uri}{sep}format={q}")).await;
            assert!(r.status == 200 || r.status == 406, "{uri} as {media_type}: {} {}", r.status, r.text());
        }
    }
    // The raw bytes read back exactly, from a block and a slice.
    let r = f.get("/api/v1/array/block/a?block=1,0").await;
    assert_eq!(crate::f64s(&r.body), [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    let r = f.get("/api/v1/array/full/a?slice=1:3,::2").await;
    assert_eq!(crate::f64s(&r.body), [3.0, 5.0, 6.0, 8.0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patch_metadata_json_and_merge() {
    let f = Fixture::new(true).await;
    let doc = array_doc("p", &[1], json!([[1]]), json!({"color": "red", "n": 1, "nested": {"a": 1}}));
    assert_eq!(f.post("", &doc).await.status, 200);
    let patch = |body: Value| {
        let f = &f;
        async move { f.send("PATCH", "/api/v1/metadata/p", "application/json", body.to_string()).await }
    };
    // JSON Patch (the client's default), metadata and specs at once.
    let r = patch(json!({
        "content-type": "application/json-patch+json",
        "metadata": [{"op": "replace", "path": "/color", "value": "green"},
                     {"op": "add", "path": "/nested/b", "value": 2},
                     {"op": "remove", "path": "/n"}],
        "specs": [{"op": "add", "path": "/-", "value": {"name": "mine", "version": null}}],
        "access_tags": null,
    }))
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let want = json!({"color": "green", "nested": {"a": 1, "b": 2}});
    assert_eq!(r.json()["metadata"], want);
    assert_eq!(r.json()["specs"], json!([{"name": "mine", "version": null}]));
    let md = f.get("/api/v1/metadata/p").await.json();
    assert_eq!(md["data"]["attributes"]["metadata"], want);
    assert_eq!(md["data"]["attributes"]["specs"], json!([{"name": "mine", "version": null}]));
    // Search sees the new metadata at once.
    let found = f
        .get("/api/v1/search/?filter[eq][condition][key]=color&filter[eq][condition][value]=%22green%22")
        .await;
    assert_eq!(found.json()["meta"]["count"], 1, "{}", found.text());
    // Merge patch: null deletes a key.
    let r = patch(
        json!({"content-type": "application/merge-patch+json", "metadata": {"nested": null, "x": [1]}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["metadata"], json!({"color": "green", "x": [1]}));
    // PUT replaces what it gives (the client's replace_metadata), keeps what is null.
    let put = |body: Value| {
        let f = &f;
        async move { f.send("PUT", "/api/v1/metadata/p", "application/json", body.to_string()).await }
    };
    let r =
        put(json!({"metadata": {"color": "green", "x": [1], "v": 2}, "specs": null, "access_tags": null}))
            .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["specs"], json!([{"name": "mine", "version": null}]));
    let r = put(json!({"metadata": null, "specs": ["a", {"name": "b", "version": null}]})).await;
    assert_eq!(r.json()["metadata"], json!({"color": "green", "x": [1], "v": 2}));
    assert_eq!(r.json()["specs"], json!([{"name": "a", "version": null}, {"name": "b", "version": null}]));
    for bad in [json!({"metadata": 5}), json!({"specs": [7]}), json!({"metadata": [], "specs": []})] {
        assert_eq!(put(bad.clone()).await.status, 422, "{bad}");
    }
    assert_eq!(put(json!({"metadata": {"color": "green", "x": [1]}})).await.status, 200);
    // Patches that do not apply change nothing: 422 with the reason.
    let before = f.get("/api/v1/metadata/p").await.json();
    for bad in [
        json!({"metadata": [{"op": "test", "path": "/color", "value": "red"}]}),
        json!({"metadata": [{"op": "remove", "path": "/missing"}]}),
        json!({"metadata": [{"op": "frobnicate", "path": "/x"}]}),
        json!({"metadata": [{"op": "replace", "path": "", "value": [1]}]}),
        json!({"content-type": "application/merge-patch+json", "metadata": 5}),
        json!({"specs": [{"op": "add", "path": "/-", "value": 7}]}),
        json!({"content-type": "text/plain", "metadata": []}),
        json!({"access_tags": [{"op": "add", "path": "/-", "value": "t"}]}),
        json!([1, 2]),
    ] {
        let r = patch(bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text());
        assert!(!r.detail().is_empty());
    }
    assert_eq!(f.get("/api/v1/metadata/p").await.json(), before);
    // Concurrent patches of one node: every one lands.
    let adds =
        (0..12).map(|i| patch(json!({"metadata": [{"op": "add", "path": format!("/k{i}"), "value": i}]})));
    let statuses: Vec<u16> =
        futures::future::join_all(adds).await.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let md = f.get("/api/v1/metadata/p").await.json();
    assert_eq!(md["data"]["attributes"]["metadata"].as_object().unwrap().len(), 2 + 12);
    // Missing node, read-only server, no key.
    let r = f
        .send("PATCH", "/api/v1/metadata/nope", "application/json", json!({"metadata": []}).to_string())
        .await;
    assert_eq!(r.status, 404);
    let ro = Fixture::new(false).await;
    assert_eq!(ro.send("PATCH", "/api/v1/metadata/p", "application/json", "{}").await.status, 405);
    let anon = Request::patch("/api/v1/metadata/p").body(Body::from("{}")).unwrap();
    assert_eq!(send_to(f.state().await, anon).await.status, 401);
}

#[tokio::test]
async fn data_sources_on_request() {
    let f = Fixture::new(true).await;
    assert_eq!(f.post("", &array_doc("a", &[2], json!([[2]]), json!({}))).await.status, 200);
    let plain = f.get("/api/v1/metadata/a").await.json();
    assert_eq!(plain["data"]["attributes"]["data_sources"], Value::Null);
    let r = f.get("/api/v1/metadata/a?include_data_sources=true").await.json();
    let ds = &r["data"]["attributes"]["data_sources"];
    assert_eq!(ds.as_array().unwrap().len(), 1, "{ds}");
    assert_eq!(ds[0]["mimetype"], "application/x-zarr");
    assert_eq!(ds[0]["structure"]["shape"], json!([2]));
    assert!(ds[0]["assets"][0]["data_uri"].as_str().unwrap().starts_with("file://"));
    assert!(ds[0].get("location").is_none() && ds[0].get("root").is_none(), "server-side fields stay inside");
    // Search lists them too; containers have none.
    assert_eq!(f.post("", &json!({"id": "g", "structure_family": "container"})).await.status, 200);
    let s = f.get("/api/v1/search/?include_data_sources=true").await.json();
    let by_id = |id: &str| s["data"].as_array().unwrap().iter().find(|d| d["id"] == id).unwrap().clone();
    assert_eq!(by_id("a")["attributes"]["data_sources"][0]["mimetype"], "application/x-zarr");
    assert_eq!(by_id("g")["attributes"]["data_sources"], json!([]));
}

#[tokio::test]
async fn large_bodies_are_read_whole_or_refused() {
    let f = Fixture::new(true).await;
    let n = 800 * 1024; // 6.25 MiB of int64: read into a pooled buffer
    assert_eq!(f.post("", &array_doc("big", &[n], json!([[n]]), json!({}))).await.status, 200);
    let values: Vec<i64> = (0..n as i64).map(|i| i * 3 - 7).collect();
    assert_eq!(f.put("/api/v1/array/full/big", i64s(&values)).await.status, 200);
    let back = f.get("/api/v1/array/full/big?format=application/octet-stream").await;
    assert_eq!(back.body.as_ref(), i64s(&values).as_slice());
    // A body that does not match its Content-Length: 400; a Content-Length that does not
    // match the array: 422 before any byte is read. Nothing is written.
    for (declared, actual, status) in [
        (n * 8, n * 8 - 5, 400),
        (n * 8, n * 8 + 8, 400),
        (n * 8 - 8, n * 8 - 8, 422),
        (n * 8 + 8, n * 8 + 8, 422),
    ] {
        let req = Request::put("/api/v1/array/full/big")
            .header("authorization", format!("Apikey {KEY}"))
            .header("content-type", "application/octet-stream")
            .header("content-length", declared)
            .body(Body::from(vec![0u8; actual]))
            .unwrap();
        let r = send_to(f.state().await, req).await;
        assert_eq!(r.status, status, "{declared} declared, {actual} sent: {}", r.text());
    }
    let again = f.get("/api/v1/array/full/big?format=application/octet-stream").await;
    assert_eq!(again.body.as_ref(), i64s(&values).as_slice());
}

#[tokio::test]
async fn parquet_exports_of_a_whole_stored_partition_are_the_stored_file() {
    use arrow::array::{Float64Array, Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    let f = Fixture::new(true).await;
    let schema =
        Schema::new(vec![Field::new("x", DataType::Int64, true), Field::new("v", DataType::Float64, true)]);
    assert_eq!(f.post("", &table_doc("t", &schema)).await.status, 200);
    let n = 5000;
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from((0..n).collect::<Vec<i64>>())),
            Arc::new(Float64Array::from((0..n).map(|i| i as f64 * 0.5).collect::<Vec<f64>>())),
        ],
    )
    .unwrap();
    let r =
        f.send("PUT", "/api/v1/table/full/t", "application/vnd.apache.arrow.file", ipc_file(&batch)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let stored: Vec<std::path::PathBuf> = walk(f._dir.path())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "partition-0.parquet"))
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let stored = std::fs::read(&stored[0]).unwrap();
    let fx = &f;
    let get = |accept: &'static str, uri: &'static str| async move {
        let req = Request::get(uri)
            .header("authorization", format!("Apikey {KEY}"))
            .header("accept", accept)
            .body(Body::empty())
            .unwrap();
        send_to(fx.state().await, req).await
    };
    let read = |bytes: &[u8]| {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::copy_from_slice(bytes),
        )
        .unwrap()
        .build()
        .unwrap();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
    };
    // Whole table and partition 0, no options: the stored bytes.
    for uri in ["/api/v1/table/full/t", "/api/v1/table/partition/t?partition=0"] {
        let r = get("application/x-parquet", uri).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["content-type"], "application/x-parquet");
        assert!(r.body.as_ref() == stored.as_slice(), "{uri}: not the stored file");
    }
    // With a codec, a column selection or a filter: encoded for the request, same rows.
    for (accept, uri) in [
        ("application/x-parquet;compression=zstd", "/api/v1/table/full/t"),
        ("application/x-parquet", "/api/v1/table/full/t?column=x&column=v"),
        ("application/x-parquet", "/api/v1/table/full/t?where=x%20%3E%3D%200"),
    ] {
        let r = get(accept, uri).await;
        assert_eq!(r.status, 200, "{accept} {uri}: {}", r.text());
        assert!(r.body.as_ref() != stored.as_slice(), "{accept} {uri}");
        let got = read(&r.body);
        assert_eq!(got.num_rows(), n as usize, "{accept} {uri}");
        assert_eq!(got.column_by_name("v").unwrap(), read(&stored).column_by_name("v").unwrap());
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
