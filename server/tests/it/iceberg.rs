//! `POST /api/v1/export/iceberg/<path>` (feature `iceberg`): exports into a temporary SQLite
//! catalog, read back with tessera-iceberg's own reader, and every error path.

use std::collections::BTreeMap;

use arrow::array::{Array, BooleanArray, UInt8Array};
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tessera_iceberg::{CatalogConfig, IcebergCatalog};
use tessera_server::iceberg_export::{IcebergArgs, IcebergCatalogs, with_catalogs};
use tessera_server::state::{Auth, Limits};
use tower::ServiceExt;

use crate::{Resp, state_with};

const KEY: &str = "s3cret-key";

/// A temporary SQLite catalog named `lake` (and its warehouse).
struct Lake {
    dir: tempfile::TempDir,
}

impl Lake {
    fn new() -> Self {
        Lake { dir: tempfile::tempdir().unwrap() }
    }
    fn db(&self) -> String {
        format!("{}/catalog.db", self.dir.path().display())
    }
    fn wh(&self) -> String {
        format!("{}/wh", self.dir.path().display())
    }
    fn catalogs(&self) -> IcebergCatalogs {
        IcebergArgs {
            iceberg_catalog: vec![format!("lake={}", self.db())],
            iceberg_warehouse: vec![format!("lake={}", self.wh())],
            iceberg_config: None,
        }
        .catalogs()
        .unwrap()
    }
    /// The same catalog, opened independently of the server.
    async fn open(&self) -> IcebergCatalog {
        let c = CatalogConfig::sql(&self.db(), &self.wh()).unwrap().with_name("lake").unwrap();
        IcebergCatalog::open(&c).await.unwrap()
    }
}

async fn post_with(catalogs: IcebergCatalogs, auth: Auth, uri: &str, body: &str) -> Resp {
    let app = with_catalogs(tessera_server::app(state_with(Limits::default(), auth)), catalogs);
    let req = Request::post(uri)
        .header("host", "test.local:8000")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let r = app.oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
    Resp { status, headers, body }
}

fn keyed() -> Auth {
    Auth { api_key: Some(KEY.into()), public: true }
}

async fn export(lake: &Lake, path: &str, body: Value) -> Resp {
    let uri = format!("/api/v1/export/iceberg/{path}?api_key={KEY}");
    post_with(lake.catalogs(), keyed(), &uri, &body.to_string()).await
}

fn assert_error(r: &Resp, status: u16, needle: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", String::from_utf8_lossy(&r.body));
    let d = r.detail();
    assert!(d.contains(needle), "{d:?} lacks {needle:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_query_of_a_table_node_becomes_an_iceberg_table() {
    let lake = Lake::new();
    let r = export(
        &lake,
        "short_table",
        json!({"catalog": "lake", "table": "demo.short", "columns": ["C", "A"], "where": "A > 100 AND E"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), "application/json");
    let report = r.json();
    let source = tessera_server::demo::short_table();
    let want: Vec<u8> = {
        let batch = source.stream().next().unwrap().unwrap();
        let a = batch.column(0).as_any().downcast_ref::<UInt8Array>().unwrap();
        let e = batch.column(4).as_any().downcast_ref::<BooleanArray>().unwrap();
        (0..batch.num_rows()).filter(|&i| a.value(i) > 100 && e.value(i)).map(|i| a.value(i)).collect()
    };
    assert!(!want.is_empty());
    assert_eq!(report["catalog"], "lake");
    assert_eq!(report["table"], "demo.short");
    assert_eq!(report["action"], "create");
    assert_eq!(report["rows"], want.len());
    assert_eq!(report["data_files"], 1);
    assert!(report["data_file_bytes"].as_u64().unwrap() > 0);
    let snapshot = report["snapshot_id"].as_i64().unwrap();

    // Read back with the library's own reader, on a catalog opened separately.
    let cat = lake.open().await;
    let (schema, batches) = cat.read_table("demo.short").await.unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["C", "A"]);
    assert_eq!(schema.field(1).data_type(), &arrow::datatypes::DataType::Int32, "uint8 → int");
    let mut got: Vec<u8> = Vec::new();
    for b in &batches {
        let a = arrow::compute::cast(b.column(1), &arrow::datatypes::DataType::UInt8).unwrap();
        got.extend(a.as_any().downcast_ref::<UInt8Array>().unwrap().values().iter());
    }
    assert_eq!(got, want);
    let info = cat.describe_table("demo.short").await.unwrap();
    assert_eq!(info.current_snapshot_id, Some(snapshot));
    assert_eq!(info.snapshots.len(), 1);

    // append: one more snapshot; replace: one more, with the new contents only
    let body = json!({"catalog": "lake", "table": "demo.short", "columns": ["C", "A"], "where": "A > 100 AND E", "if_exists": "append"});
    let r = export(&lake, "short_table", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["action"], "append");
    let info = cat.describe_table("demo.short").await.unwrap();
    assert_eq!(info.snapshots.len(), 2);
    let body = json!({"catalog": "lake", "table": "demo.short", "columns": ["A"], "if_exists": "replace",
                      "schema_overrides": {"A": "int64"}});
    let r = export(&lake, "short_table", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["action"].as_str(), r.json()["rows"].as_u64()), (Some("replace"), Some(100)));
    let (schema, batches) = cat.read_table("demo.short").await.unwrap();
    assert_eq!(schema.fields().len(), 1);
    assert_eq!(schema.field(0).data_type(), &arrow::datatypes::DataType::Int64, "the override");
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 100);

    // the table exists and if_exists is error (the default): 409, table untouched
    let r = export(&lake, "short_table", json!({"catalog": "lake", "table": "demo.short", "columns": ["A"]}))
        .await;
    assert_error(&r, 409, "export_iceberg(): table 'demo.short' already exists");
    assert_eq!(cat.describe_table("demo.short").await.unwrap().snapshots.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasets_export_as_their_table_and_empty_queries_make_empty_tables() {
    let lake = Lake::new();
    let r = export(
        &lake,
        "structured_data/xarray_dataset",
        json!({"catalog": "lake", "table": "a.b.ds", "convert_types": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["rows"], 12);
    let cat = lake.open().await;
    let (schema, _) = cat.read_table("a.b.ds").await.unwrap();
    assert!(schema.fields().iter().any(|f| f.name() == "temperature"));
    // the time coordinate is datetime64[ns]: refused without convert_types, before any write
    let r =
        export(&lake, "structured_data/xarray_dataset", json!({"catalog": "lake", "table": "a.b.ds2"})).await;
    assert_error(&r, 422, "['time'] hold nanosecond timestamps");
    assert!(!cat.table_exists("a.b.ds2").await.unwrap());

    let r =
        export(&lake, "long_table", json!({"catalog": "lake", "table": "e.none", "where": "A < 0"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["rows"].as_u64(), r.json()["snapshot_id"].is_null()), (Some(0), true));
    assert!(cat.describe_table("e.none").await.unwrap().snapshots.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required_even_on_a_public_server() {
    let lake = Lake::new();
    let body = json!({"catalog": "lake", "table": "ns.t", "columns": ["A"]}).to_string();
    let uri = "/api/v1/export/iceberg/short_table";
    // public reads, but no key given
    let r = post_with(lake.catalogs(), keyed(), uri, &body).await;
    assert_error(&r, 401, "Requires scopes");
    let r = post_with(lake.catalogs(), keyed(), &format!("{uri}?api_key=wrong"), &body).await;
    assert_error(&r, 401, "Invalid API key");
    // a server without any key refuses exports
    let r = post_with(lake.catalogs(), Auth::open(), uri, &body).await;
    assert_error(&r, 401, "requires an API key");
    // the header form works
    let app = with_catalogs(tessera_server::app(state_with(Limits::default(), keyed())), lake.catalogs());
    let req =
        Request::post(uri).header("authorization", format!("Apikey {KEY}")).body(Body::from(body)).unwrap();
    let r = app.oneshot(req).await.unwrap();
    assert_eq!(r.status(), 200);
    // GET is not the method
    let app = with_catalogs(tessera_server::app(state_with(Limits::default(), keyed())), lake.catalogs());
    let req = Request::get(format!("{uri}?api_key={KEY}")).body(Body::empty()).unwrap();
    assert_eq!(app.oneshot(req).await.unwrap().status(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_4xx_with_a_detail_and_write_nothing() {
    let lake = Lake::new();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "short_table",
            json!({"catalog": "nope", "table": "ns.t"}),
            404,
            "No Iceberg catalog named \"nope\". Configured: lake.",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "tbl", "columns": ["A"]}),
            400,
            "export_iceberg(): table_name 'tbl' must be namespace-qualified (e.g. 'my_namespace.my_table').",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t", "where": "A >"}),
            400,
            "row filter is not a valid SQL expression",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t", "where": "Z > 1"}),
            400,
            "no such column: \"Z\"",
        ),
        ("short_table", json!({"catalog": "lake", "table": "ns.t", "columns": ["A", "Q"]}), 400, "Q"),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t", "columns": ["A"], "schema_overrides": {"A": "int33"}}),
            400,
            "'int33' is not an Arrow type",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t", "columns": ["A"], "schema_overrides": {"zz": "int32"}}),
            400,
            "not present in the source: zz",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t", "columns": ["C"], "schema_overrides": {"C": "int32"}}),
            422,
            "does not fit",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t", "if_exists": "overwrite"}),
            400,
            "`if_exists` must be one of",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.t"}),
            422,
            "['D'] hold timestamps in seconds or milliseconds",
        ),
        ("short_table", json!({"catalog": "lake"}), 422, "table"),
        ("short_table", json!({"catalog": "lake", "table": "ns.t", "colums": ["A"]}), 422, "colums"),
        (
            "structured_data/pets",
            json!({"catalog": "lake", "table": "ns.t"}),
            404,
            "it is a array, not a table",
        ),
        ("structured_data", json!({"catalog": "lake", "table": "ns.t"}), 404, "not a table"),
        (
            "no/such/node",
            json!({"catalog": "lake", "table": "ns.t"}),
            404,
            "No such entry: ['no', 'such', 'node']",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.a/b", "columns": ["A"]}),
            400,
            "may not contain '/'",
        ),
        (
            "short_table",
            json!({"catalog": "lake", "table": "ns.../x", "columns": ["A"]}),
            400,
            "may not contain '/'",
        ),
    ];
    for (path, body, status, needle) in cases {
        let r = export(&lake, path, body.clone()).await;
        assert!(r.status.is_client_error(), "{body}");
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
        let d = r.detail();
        assert!(d.contains(needle), "{body}: {d:?} lacks {needle:?}");
    }
    let r = post_with(
        lake.catalogs(),
        keyed(),
        &format!("/api/v1/export/iceberg/short_table?api_key={KEY}"),
        "{not json",
    )
    .await;
    assert_error(&r, 422, "Expected a JSON object");
    // nothing reached the warehouse
    let cat = lake.open().await;
    assert!(!cat.table_exists("ns.t").await.unwrap());
    let files: Vec<_> = walk(&std::path::PathBuf::from(lake.wh()));
    assert!(files.is_empty(), "{files:?}");
    // a server without catalogs says so
    let r = post_with(
        IcebergCatalogs::default(),
        keyed(),
        &format!("/api/v1/export/iceberg/short_table?api_key={KEY}"),
        r#"{"catalog": "lake", "table": "ns.t"}"#,
    )
    .await;
    assert_error(&r, 404, "no Iceberg catalog configured");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_failures_are_500_without_uris_or_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let mut catalogs = IcebergCatalogs::default();
    // Nothing listens on port 1.
    let props = BTreeMap::from([
        ("uri".to_owned(), "postgresql://tessera:hunter2-pw@127.0.0.1:1/lakedb".to_owned()),
        ("warehouse".to_owned(), dir.path().display().to_string()),
        ("s3.secret-access-key".to_owned(), "AKIA-very-secret".to_owned()),
    ]);
    catalogs.add("pg", props).unwrap();
    let r = post_with(
        catalogs,
        keyed(),
        &format!("/api/v1/export/iceberg/short_table?api_key={KEY}"),
        r#"{"catalog": "pg", "table": "ns.t", "columns": ["A"]}"#,
    )
    .await;
    assert_eq!(r.status, 500, "{}", r.text());
    let d = r.detail();
    for secret in ["hunter2-pw", "lakedb", "127.0.0.1:1", "AKIA-very-secret", "postgresql://"] {
        assert!(!d.contains(secret), "{d:?} shows {secret:?}");
    }
    assert!(d.contains("catalog"), "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_of_a_served_catalog_export_too() {
    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    // A writable tessera catalog (the `serve catalog` tree) holding one uploaded table.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nodes.db").to_string_lossy().into_owned();
    tessera_catalog::Catalog::init(&db).await.unwrap();
    let nodes = tessera_catalog::Catalog::open(&db).await.unwrap();
    let storage = tessera_storage::Storage::open(dir.path().join("data")).unwrap();
    let backend = tessera_server::catalog_tree::CatalogBackend::new(nodes, Some(storage));
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
    let batch =
        RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![5, 6, 7]))]).unwrap();
    let mut ipc = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut ipc, &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    let doc = json!({
        "id": "t", "structure_family": "table", "metadata": {}, "specs": [],
        "data_sources": [{"structure_family": "table", "structure": {
            "arrow_schema": tessera_server::resource::arrow_schema_uri(&schema), "npartitions": 1,
            "columns": ["x"], "resizable": false}, "assets": []}],
    });
    let lake = Lake::new();
    let send = async |method: &str, uri: &str, ct: &str, body: Body| {
        let state = tessera_server::state::AppState {
            root: backend.root().await.unwrap(),
            registry: crate::registry(),
            limits: Limits::default(),
            auth: Auth { api_key: Some(KEY.into()), public: false },
        };
        let app = with_catalogs(tessera_server::app(state), lake.catalogs());
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Apikey {KEY}"))
            .header("content-type", ct)
            .body(body)
            .unwrap();
        let r = app.oneshot(req).await.unwrap();
        let status = r.status();
        (status, axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap())
    };
    let (status, body) =
        send("POST", "/api/v1/metadata/", "application/json", Body::from(doc.to_string())).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, _) =
        send("PUT", "/api/v1/table/full/t", "application/vnd.apache.arrow.file", Body::from(ipc)).await;
    assert_eq!(status, 200);
    let body = json!({"catalog": "lake", "table": "from.catalog", "where": "x > 5"}).to_string();
    let (status, body) = send("POST", "/api/v1/export/iceberg/t", "application/json", Body::from(body)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (_, batches) = lake.open().await.read_table("from.catalog").await.unwrap();
    let got: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
        .collect();
    assert_eq!(got, [6, 7]);
}
