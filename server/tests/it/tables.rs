//! `table/full` and `table/partition`: columns, `where=`, POST bodies, formats.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use axum::body::Body;
use axum::http::Request;
use tessera_core::Family;
use tessera_server::demo::{seeds, uniform};
use tessera_server::state::{Auth, Limits};

use crate::{get, get_err, get_ok, send, send_to, serves, state_with};

const ARROW: &str = "application/vnd.apache.arrow.file";

fn read_arrow_file(body: &[u8]) -> Vec<RecordBatch> {
    assert_eq!(&body[..6], b"ARROW1", "an Arrow IPC file");
    let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(body.to_vec()), None).unwrap();
    reader.map(|b| b.unwrap()).collect()
}

#[tokio::test]
async fn partitions_as_arrow_files() {
    if !serves(Family::Table, ARROW) {
        return;
    }
    // What `.read()` sends for each partition.
    let r = send(
        Request::get("/api/v1/table/partition/long_table?partition=3")
            .header("accept", ARROW)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), ARROW);
    let batches = read_arrow_file(&r.body);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 20_000);
    let a = batches[0].column(0).as_primitive::<Float64Type>();
    let b = batches[0].column(1).as_primitive::<Float64Type>();
    assert_eq!(a.value(0), uniform(seeds::LONG_A, 60_000));
    assert_eq!(b.value(7), 2.0 * uniform(seeds::LONG_A, 60_007));
    // Columns by `column=` or `field=`, in the order asked.
    for key in ["column", "field"] {
        let r =
            get_ok(&format!("/api/v1/table/partition/short_table?partition=0&{key}=E&{key}=A&format=arrow"))
                .await;
        let batches = read_arrow_file(&r.body);
        let names: Vec<_> = batches[0].schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["E", "A"]);
    }
}

#[tokio::test]
async fn partition_errors() {
    get_err("/api/v1/table/partition/long_table", 422, "partition").await;
    get_err("/api/v1/table/partition/long_table?partition=x", 422, "integer").await;
    get_err("/api/v1/table/partition/long_table?partition=5", 400, "5 partitions").await;
    get_err("/api/v1/table/partition/medium_image?partition=0", 404, "array").await;
    get_err("/api/v1/table/full/short_table?column=Z", 400, "Z").await;
    get_err("/api/v1/table/full/short_table?where=A%20%3E", 400, "").await;
    get_err("/api/v1/table/full/short_table?where=nope%20%3E%201", 400, "nope").await;
    get_err("/api/v1/table/full/short_table?format=bogus", 406, "Requested: bogus").await;
}

#[tokio::test]
async fn csv_with_columns_and_where() {
    if !serves(Family::Table, "text/csv") {
        return;
    }
    // What `export("table.csv", columns=["A", "B"])` sends.
    let r = get_ok("/api/v1/table/full/short_table?format=csv&column=A&column=B").await;
    assert_eq!(r.header("content-type"), "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(r.body.as_ref());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["A", "B"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[2][1].parse::<f64>().unwrap(), uniform(seeds::SHORT_B, 2));
    // header=absent passes through to the encoder and the content type.
    let r = get_ok("/api/v1/table/full/short_table?format=text/csv;header=absent").await;
    assert_eq!(r.header("content-type"), "text/csv;header=absent; charset=utf-8");
    assert_eq!(r.text().lines().count(), 100);
    // A row filter on a column that is not selected.
    let r = get_ok("/api/v1/table/full/long_table?format=csv&column=C&where=A%20%3C%200.001").await;
    let want = (0..100_000u64).filter(|&i| uniform(seeds::LONG_A, i) < 0.001).count();
    assert_eq!(r.text().lines().count(), want + 1);
}

#[tokio::test]
async fn post_takes_a_json_column_list() {
    if !serves(Family::Table, "text/csv") {
        return;
    }
    let post = |uri: &str, body: &'static str| {
        Request::post(uri).header("content-type", "application/json").body(Body::from(body)).unwrap()
    };
    let r = send(post("/api/v1/table/full/wide_table?format=csv", r#"["Z", "A"]"#)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text().lines().next(), Some("Z,A"));
    let r = send(post("/api/v1/table/partition/wide_table?partition=0&format=csv", r#"["B"]"#)).await;
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!((lines[0], lines[4].parse::<f64>().unwrap()), ("B", 6.0));
    let r = send(post("/api/v1/table/full/wide_table?format=csv", r#"{"not": "a list"}"#)).await;
    assert_eq!(r.status, 422);
    let tiny = state_with(Limits::default().with_max_request_bytes(4), Auth::open());
    let r = send_to(tiny, post("/api/v1/table/full/wide_table?format=csv", r#"["Z", "A"]"#)).await;
    assert_eq!(r.status, 413);
    assert!(r.detail().contains("exceeds 4 bytes"));
}

#[tokio::test]
async fn binary_table_formats_read_back() {
    if serves(Family::Table, "application/x-parquet") {
        let r = get_ok("/api/v1/table/full/short_table?format=parquet").await;
        assert_eq!(r.header("content-type"), "application/x-parquet");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(r.body.clone())
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 100);
        let c = batches[0].column(2);
        assert_eq!(c.len(), batches[0].num_rows());
    }
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if serves(Family::Table, xlsx) {
        use calamine::{DataType as _, Reader as _};
        let r = get_ok("/api/v1/table/full/short_table?format=xlsx").await;
        assert_eq!(r.header("content-type"), xlsx);
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(r.body.to_vec())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.height(), 101);
        assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "A");
        assert_eq!(sheet.get((3, 1)).unwrap().get_float(), Some(uniform(seeds::SHORT_B, 2)));
    }
}

#[tokio::test]
async fn every_table_format_answers() {
    for node in ["short_table", "long_table", "wide_table"] {
        for spec in crate::registry().specs(Family::Table) {
            let uri = format!("/api/v1/table/full/{node}?format={}", spec.media_type);
            let r = get(&uri).await;
            assert_eq!(r.status, 200, "{uri}: {}", String::from_utf8_lossy(&r.body));
            assert!(r.header("content-type").starts_with(spec.media_type.as_str()), "{uri}");
        }
    }
}
