//! `container/full`: xarray datasets through the dataset encoders, other containers
//! through the container encoders.

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use axum::body::Body;
use axum::http::Request;
use tessera_core::Family;
use tessera_server::state::{Auth, Limits};

use crate::{get, get_err, get_ok, send, send_to, serves, state_with};

const ARROW: &str = "application/vnd.apache.arrow.file";

#[tokio::test]
async fn dataset_as_arrow_with_fields() {
    if !serves(Family::Dataset, ARROW) {
        return;
    }
    // What the client's wide-table read sends (GET with field=, or POST with a list).
    let get_req =
        get_ok(&format!("/api/v1/container/full/structured_data/xarray_dataset?format={ARROW}&field=time"))
            .await;
    let post = send(
        Request::post(format!("/api/v1/container/full/structured_data/xarray_dataset?format={ARROW}"))
            .body(Body::from(r#"["time"]"#))
            .unwrap(),
    )
    .await;
    for r in [get_req, post] {
        assert_eq!(r.status, 200, "{}", r.text());
        let reader =
            arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(r.body.to_vec()), None).unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches[0].num_rows(), 3);
        assert_eq!(batches[0].schema().field(0).name(), "time");
    }
    let r = get_ok(&format!("/api/v1/container/full/structured_data/xarray_dataset?format={ARROW}")).await;
    let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(r.body.to_vec()), None).unwrap();
    let batch = reader.map(Result::unwrap).next().unwrap();
    assert_eq!(batch.num_rows(), 12);
    let t = batch.column_by_name("temperature").unwrap().as_primitive::<Float64Type>();
    assert_eq!(t.value(0), 30.0 * tessera_server::demo::uniform(tessera_server::demo::seeds::TEMPERATURE, 0));
}

#[tokio::test]
async fn dataset_in_every_dataset_format() {
    for spec in crate::registry().specs(Family::Dataset) {
        let uri = format!("/api/v1/container/full/structured_data/xarray_dataset?format={}", spec.media_type);
        let r = get(&uri).await;
        assert_eq!(r.status, 200, "{uri}: {}", String::from_utf8_lossy(&r.body));
        assert!(!r.body.is_empty());
    }
    if serves(Family::Dataset, "text/csv") {
        let r = get_ok("/api/v1/container/full/structured_data/xarray_dataset?format=csv").await;
        let mut reader = csv::Reader::from_reader(r.body.as_ref());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert!(
            header.contains(&"temperature".to_owned()) && header.contains(&"time".to_owned()),
            "{header:?}"
        );
        assert_eq!(reader.records().count(), 12);
    }
}

#[tokio::test]
async fn plain_containers() {
    let json = serves(Family::Container, "application/json");
    let r = get("/api/v1/container/full/scalars?format=json").await;
    if json {
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert!(v["contents"]["pi"].is_object(), "{v}");
        let r = get_ok("/api/v1/container/full/scalars?format=json&field=pi").await;
        assert_eq!(r.json()["contents"].as_object().unwrap().len(), 1);
    } else {
        assert_eq!(r.status, 406);
    }
    // Plain containers have no table form.
    if !serves(Family::Container, "text/csv") {
        get_err("/api/v1/container/full/scalars?format=csv", 406, "Requested: csv").await;
    }
    get_err("/api/v1/container/full/medium_image", 404, "array").await;
    get_err("/api/v1/container/full/nope", 404, "No such entry").await;
}

#[tokio::test]
async fn container_exports_respect_the_limit() {
    // The root holds big_image (800 MB): a whole-tree export is refused up front, whatever
    // the format, and naming fewer children is the way out.
    let Some(spec) = crate::registry().specs(Family::Container).next() else { return };
    let uri = format!("/api/v1/container/full/?format={}", spec.media_type);
    let r = get(&uri).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.detail().contains("Response would exceed"));
    let small = state_with(Limits::default().with_max_response_bytes(10), Auth::open());
    let uri = format!("/api/v1/container/full/scalars?format={}", spec.media_type);
    let r = send_to(small, Request::get(uri.as_str()).body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 400);
}
