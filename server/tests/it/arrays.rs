//! `array/full` and `array/block`: slicing, blocks, expected shapes, formats, limits.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use tessera_core::Family;
use tessera_server::demo::{seeds, uniform};
use tessera_server::state::{Auth, Limits};

use crate::{f64s, get, get_err, get_ok, send, send_to, serves, state_with};

fn medium(i: usize, j: usize) -> f64 {
    uniform(seeds::MEDIUM_IMAGE, (i * 1000 + j) as u64)
}

#[tokio::test]
async fn full_array_as_raw_bytes() {
    let r = get_ok("/api/v1/array/full/medium_image?expected_shape=1000,1000").await;
    assert_eq!(r.header("content-type"), "application/octet-stream");
    let v = f64s(&r.body);
    assert_eq!(v.len(), 1_000_000);
    assert_eq!((v[0], v[999_999]), (medium(0, 0), medium(999, 999)));
    let tiny = get_ok("/api/v1/array/full/tiny_image").await;
    assert_eq!(tiny.body.len(), 50 * 50 * 8);
}

#[tokio::test]
async fn slices_follow_numpy() {
    // What `a[0:10, ::2]` sends.
    let r = get_ok("/api/v1/array/full/medium_image?slice=0:10:1,0:999:2&expected_shape=10,500").await;
    let v = f64s(&r.body);
    assert_eq!(v.len(), 5000);
    assert_eq!((v[0], v[1], v[501]), (medium(0, 0), medium(0, 2), medium(1, 2)));
    let r = get_ok("/api/v1/array/full/medium_image?slice=5,10:20:1&expected_shape=10").await;
    assert_eq!(f64s(&r.body), (10..20).map(|j| medium(5, j)).collect::<Vec<_>>());
    let r = get_ok("/api/v1/array/full/medium_image?slice=-1,::-250").await;
    assert_eq!(f64s(&r.body), [999, 749, 499, 249].map(|j| medium(999, j)));
    let r = get_ok("/api/v1/array/full/medium_image?slice=100:200,5").await;
    assert_eq!(f64s(&r.body), (100..200).map(|i| medium(i, 5)).collect::<Vec<_>>());
    // Empty selections are fine.
    assert!(get_ok("/api/v1/array/full/medium_image?slice=10:10").await.body.is_empty());
    // A 0-d array.
    let r = get_ok("/api/v1/array/full/scalars/fortytwo?expected_shape=scalar").await;
    assert_eq!(r.body.as_ref(), 42i64.to_le_bytes());
    let r = get_ok("/api/v1/array/full/scalars/fsc").await;
    assert_eq!(r.body.len(), 20);
    // The big image is read by slab: a corner costs nothing.
    let r = get_ok("/api/v1/array/full/big_image?slice=9998:,9999").await;
    assert_eq!(f64s(&r.body), [99_989_999u64, 99_999_999].map(|i| uniform(seeds::BIG_IMAGE, i)));
}

#[tokio::test]
async fn bad_slices_and_shapes() {
    let r = get_err("/api/v1/array/full/medium_image?slice=0:10,abc", 422, "abc").await;
    assert_eq!(r.json()["detail"][0]["loc"], json!(["query", "slice"]));
    get_err("/api/v1/array/full/medium_image?slice=...", 422, "").await;
    get_err("/api/v1/array/full/medium_image?slice=1:2:3:4", 422, "").await;
    get_err("/api/v1/array/full/medium_image?slice=1000", 400, "out of range").await;
    get_err("/api/v1/array/full/medium_image?slice=0,0,0", 400, "3 items").await;
    get_err("/api/v1/array/full/medium_image?slice=::0", 400, "zero").await;
    get_err("/api/v1/array/full/medium_image?expected_shape=10,10", 422, "expected_shape").await;
    get_err("/api/v1/array/full/medium_image?expected_shape=a,b", 422, "").await;
    get_err("/api/v1/array/full/scalars/pi?expected_shape=1", 422, "expected_shape").await;
    get_err("/api/v1/array/full/short_table", 404, "table").await;
    get_err("/api/v1/array/full/nope", 404, "No such entry").await;
}

#[tokio::test]
async fn blocks() {
    let r = get_ok("/api/v1/array/block/medium_image?block=1,2&expected_shape=250,100").await;
    let v = f64s(&r.body);
    assert_eq!(v.len(), 25_000);
    assert_eq!((v[0], v[24_999]), (medium(250, 200), medium(499, 299)));
    let r = get_ok("/api/v1/array/block/medium_image?block=3,9&slice=-1,::50").await;
    assert_eq!(f64s(&r.body), [medium(999, 900), medium(999, 950)]);
    let r = get_ok("/api/v1/array/block/big_image?block=2,2&slice=-1,-1").await;
    assert_eq!(f64s(&r.body), [uniform(seeds::BIG_IMAGE, 99_999_999)]);
    let r = get_ok("/api/v1/array/block/scalars/pi?block=").await;
    assert_eq!(f64s(&r.body), [std::f64::consts::PI]);
    get_err("/api/v1/array/block/medium_image?block=1", 422, "2 comma-separated").await;
    get_err("/api/v1/array/block/medium_image?block=4,0", 422, "out of range").await;
    get_err("/api/v1/array/block/medium_image?block=a,0", 422, "non-negative").await;
    get_err("/api/v1/array/block/medium_image", 422, "block").await;
    get_err("/api/v1/array/block/medium_image?block=0,0&expected_shape=100,250", 422, "expected_shape").await;
}

#[tokio::test]
async fn negotiation() {
    // format= (alias or media type) wins over Accept.
    for uri in
        ["/api/v1/array/full/tiny_image?format=npy", "/api/v1/array/full/tiny_image?format=application/x-npy"]
    {
        let r =
            send(Request::get(uri).header("accept", "application/octet-stream").body(Body::empty()).unwrap())
                .await;
        assert_eq!(r.header("content-type"), "application/x-npy");
        assert_eq!(&r.body[..6], b"\x93NUMPY");
    }
    let r = send(
        Request::get("/api/v1/array/full/tiny_image")
            .header("accept", "application/x-npy")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.header("content-type"), "application/x-npy");
    let r = send(
        Request::get("/api/v1/array/full/tiny_image").header("accept", "*/*").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.header("content-type"), "application/octet-stream");
    let r = get_err("/api/v1/array/full/tiny_image?format=xlsx", 406, "Requested: xlsx").await;
    assert!(r.detail().contains("application/octet-stream"));
    get_err("/api/v1/array/full/tiny_image?format=application/x-npy;bogus=1", 400, "bogus").await;
    let r = get_ok("/api/v1/array/full/tiny_image?format=npy&filename=img.npy").await;
    assert_eq!(r.header("content-disposition"), "attachment; filename=\"img.npy\"");
}

#[tokio::test]
async fn csv_exports() {
    if !serves(Family::Array, "text/csv") {
        return;
    }
    // What `export("numbers.csv", slice=numpy.s_[:10, 100:200])` sends.
    let r = get_ok("/api/v1/array/full/medium_image?format=csv&slice=:10,100:200").await;
    assert_eq!(r.header("content-type"), "text/csv; charset=utf-8");
    let mut rows = csv::ReaderBuilder::new().has_headers(false).from_reader(r.body.as_ref());
    let parsed: Vec<Vec<f64>> =
        rows.records().map(|rec| rec.unwrap().iter().map(|x| x.trim().parse().unwrap()).collect()).collect();
    assert_eq!(parsed.len(), 10);
    assert_eq!(parsed[3], (100..200).map(|j| medium(3, j)).collect::<Vec<_>>());
    for f in ["text/csv", "text%2Fcsv", "text/x-comma-separated-values", "text/plain"] {
        get_ok(&format!("/api/v1/array/full/tiny_image?format={f}")).await;
    }
    get_err("/api/v1/array/full/tiny_cube?format=csv", 406, "slice").await;
}

#[tokio::test]
async fn image_exports() {
    if serves(Family::Array, "image/png") {
        let r = get_ok("/api/v1/array/full/medium_image?format=png").await;
        assert_eq!(r.header("content-type"), "image/png");
        let decoder = png::Decoder::new(std::io::Cursor::new(r.body.to_vec()));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height, info.bit_depth), (1000, 1000, png::BitDepth::Eight));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        // Compressed already: never compressed again.
        let r = send(
            Request::get("/api/v1/array/full/tiny_image?format=png")
                .header("accept-encoding", "gzip, zstd")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.header("content-encoding"), "");
    }
    if serves(Family::Array, "image/tiff") {
        let r = get_ok("/api/v1/array/full/medium_image?format=tiff&slice=:3,:4").await;
        let mut d = tiff::decoder::Decoder::new(std::io::Cursor::new(r.body.to_vec())).unwrap();
        assert_eq!(d.dimensions().unwrap(), (4, 3));
        match d.read_image().unwrap() {
            tiff::decoder::DecodingResult::F64(v) => assert_eq!(v[5], medium(1, 1)),
            other => panic!("not f64: {other:?}"),
        }
    }
}

#[tokio::test]
async fn buffered_formats_respect_the_response_limit() {
    let Some(buffered) = crate::registry()
        .specs(Family::Array)
        .find(|s| s.output == tessera_core::Output::Buffered)
        .map(|s| s.media_type.to_string())
    else {
        return;
    };
    let small = state_with(Limits::default().with_max_response_bytes(1000), Auth::open());
    let uri = format!("/api/v1/array/full/tiny_image?format={buffered}");
    let r = send_to(small, Request::get(uri.as_str()).body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.detail().contains("Response would exceed 1000"), "{}", r.detail());
    // Streaming formats are not limited.
    let small = state_with(Limits::default().with_max_response_bytes(1000), Auth::open());
    let r = send_to(small, Request::get("/api/v1/array/full/tiny_image").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn every_array_format_answers_every_node() {
    // Whatever the node and format, the answer is 200, 400 or 406, never 5xx.
    for node in [
        "tiny_image",
        "tiny_cube",
        "complex",
        "scalars/pi",
        "scalars/fsc",
        "scalars/e_arr",
        "structured_data/pets",
        "low_entropy",
        "high_entropy",
        "structured_data/xarray_dataset/time",
    ] {
        for spec in crate::registry().specs(Family::Array) {
            let uri = format!("/api/v1/array/full/{node}?format={}", spec.media_type);
            let r = get(&uri).await;
            assert!(
                matches!(r.status.as_u16(), 200 | 400 | 406),
                "{uri}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
    }
}
