//! `tessera export-iceberg` (feature `iceberg`): local Arrow IPC / Parquet files and a running
//! `tessera serve demo` as sources, into a temporary SQLite catalog read back with
//! tessera-iceberg; exit codes and messages of failures.

#![cfg(feature = "iceberg")]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use arrow::array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use tessera_iceberg::{CatalogConfig, IcebergExporter};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

struct Lake {
    dir: tempfile::TempDir,
}

impl Lake {
    fn new() -> Self {
        Lake { dir: tempfile::tempdir().unwrap() }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// `tessera export-iceberg <source> <table> --catalog-uri ... --warehouse ... <args>`.
    fn export(&self, source: &str, table: &str, args: &[&str]) -> Output {
        let db = format!("sqlite:///{}", self.path("catalog.db").display());
        Command::new(BIN)
            .args(["export-iceberg", source, table, "--catalog-uri", &db, "--warehouse"])
            .arg(self.path("wh"))
            .args(args)
            .env_remove("TESSERA_API_KEY")
            .output()
            .unwrap()
    }
    fn reader(&self) -> IcebergExporter {
        let c =
            CatalogConfig::sql(self.path("catalog.db").to_str().unwrap(), self.path("wh").to_str().unwrap())
                .unwrap();
        IcebergExporter::open(&c).unwrap()
    }
}

fn report(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn failure(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn sample() -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
        Field::new("name ✓", DataType::Utf8, true),
    ]));
    let n = 1000i64;
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(0..n)),
            Arc::new(Float64Array::from_iter((0..n).map(|i| (i % 7 != 0).then_some(i as f64 / 2.0)))),
            Arc::new(StringArray::from_iter((0..n).map(|i| (i % 5 != 0).then(|| format!("Manwë-{i}"))))),
        ],
    )
    .unwrap()
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch.slice(0, 600)).unwrap();
    w.write(&batch.slice(600, 400)).unwrap();
    w.close().unwrap();
}

fn write_ipc_file(path: &Path, batch: &RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = arrow_ipc::writer::FileWriter::try_new(f, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
}

fn write_ipc_stream(path: &Path, batch: &RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(f, &batch.schema()).unwrap();
    w.write(&batch.slice(0, 10)).unwrap();
    w.write(&batch.slice(10, 990)).unwrap();
    w.finish().unwrap();
}

fn ids(batches: &[RecordBatch], column: usize) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| b.column(column).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
        .collect()
}

#[test]
fn local_parquet_and_arrow_files_export_with_columns_and_where() {
    let lake = Lake::new();
    let batch = sample();
    let (pq, ipc, ipcs) = (lake.path("in.parquet"), lake.path("in.arrow"), lake.path("in.arrows"));
    write_parquet(&pq, &batch);
    write_ipc_file(&ipc, &batch);
    write_ipc_stream(&ipcs, &batch);
    let want: Vec<i64> = (100..1000).filter(|i| *i < 250 || *i > 900).collect();
    for (src, table) in [(&pq, "loc.pq"), (&ipc, "loc.ipc"), (&ipcs, "loc.ipcs")] {
        let out = lake.export(
            src.to_str().unwrap(),
            table,
            &[
                "--columns",
                "name ✓,id",
                "--where",
                "id >= 100 AND (id < 250 OR id > 900)",
                "--schema-override",
                "id=int64",
            ],
        );
        let r = report(&out);
        assert_eq!((r["action"].as_str(), r["rows"].as_u64()), (Some("create"), Some(want.len() as u64)));
        let (schema, batches) = lake.reader().read_table(table).unwrap();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["name ✓", "id"], "{table}");
        assert_eq!(ids(&batches, 1), want, "{table}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(&format!("create {table}: {} rows", want.len())), "{stderr}");
    }
    // append adds a snapshot; --quiet prints nothing on stderr
    let out = lake.export(
        pq.to_str().unwrap(),
        "loc.pq",
        &["--columns", "name ✓,id", "--if-exists", "append", "--quiet"],
    );
    assert_eq!(report(&out)["rows"], 1000);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = lake.reader().describe_table("loc.pq").unwrap();
    assert_eq!(info.snapshots.len(), 2);
}

#[test]
fn failures_exit_1_with_a_message() {
    let lake = Lake::new();
    let pq = lake.path("in.parquet");
    write_parquet(&pq, &sample());
    report(&lake.export(pq.to_str().unwrap(), "ns.t", &[]));
    let pq = pq.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec![], "ns.t", "error: export_iceberg(): table 'ns.t' already exists"),
        (vec![], "tbl", "must be namespace-qualified"),
        (vec!["--where", "nope > 1"], "ns.u", "no such column"),
        (vec!["--schema-override", "id=int33"], "ns.u", "'int33' is not an Arrow type"),
        (vec!["--schema-override", "id"], "ns.u", "--schema-override takes COLUMN=TYPE"),
    ];
    for (args, table, needle) in cases {
        let err = failure(&lake.export(pq, table, &args));
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let err = failure(&lake.export("/etc/hostname", "ns.u", &[]));
    assert!(err.contains("neither Parquet nor Arrow IPC"), "{err}");
    let err = failure(&lake.export(lake.path("missing.arrow").to_str().unwrap(), "ns.u", &[]));
    assert!(err.contains("cannot open"), "{err}");
    let out = Command::new(BIN)
        .args(["export-iceberg", pq, "ns.u", "--catalog-uri", "/tmp/x.db"])
        .output()
        .unwrap();
    assert!(failure(&out).contains("needs --warehouse"));
    assert!(!lake.reader().table_exists("ns.u").unwrap());
}

/// A `tessera serve demo` on a free port, stopped on drop.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "demo", "--port", "0"])
            .args(args)
            .env_remove("TESSERA_API_KEY")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let mut port = None;
        while stderr.read_line(&mut line).unwrap() > 0 {
            if let Some(i) = line.find("running on http://127.0.0.1:") {
                let rest = &line[i + "running on http://127.0.0.1:".len()..];
                port = rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|p| p.parse().ok());
                break;
            }
            line.clear();
        }
        std::thread::spawn(move || for _ in stderr.lines() {});
        Server { child, port: port.expect("the server prints its URL") }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tables_of_a_running_server_export_in_both_url_forms() {
    let server = Server::start(&["--public"]);
    let lake = Lake::new();
    let base = format!("http://127.0.0.1:{}", server.port);
    // Tiled's metadata URL (with a key the open server ignores) and the short form
    let long = tessera_server::demo::long_table();
    let want = long
        .stream()
        .map(|b| {
            let b = b.unwrap();
            let a = arrow::compute::cast(b.column(0), &DataType::Float64).unwrap();
            a.as_any().downcast_ref::<Float64Array>().unwrap().values().iter().filter(|v| **v > 0.75).count()
        })
        .sum::<usize>();
    let r = report(&lake.export(
        &format!("{base}/api/v1/metadata/long_table?api_key=whatever"),
        "srv.long",
        &["--where", "A > 0.75", "--columns", "B,A"],
    ));
    assert_eq!(r["rows"].as_u64(), Some(want as u64));
    let (schema, batches) = lake.reader().read_table("srv.long").unwrap();
    assert_eq!(schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(), ["B", "A"]);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), want);

    let r = report(&lake.export(&format!("{base}/short_table"), "srv.short", &["--convert-types"]));
    assert_eq!(r["rows"], 100);
    let (schema, _) = lake.reader().read_table("srv.short").unwrap();
    assert_eq!(schema.fields().len(), 5);

    // an xarray dataset node comes as its table
    let r = report(&lake.export(
        &format!("{base}/structured_data/xarray_dataset"),
        "srv.ds",
        &["--convert-types", "--columns", "time,temperature", "--where", "temperature > 0"],
    ));
    assert_eq!(r["rows"], 12);
    let (schema, _) = lake.reader().read_table("srv.ds").unwrap();
    assert_eq!(
        schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(),
        ["time", "temperature"]
    );
    let err = failure(&lake.export(&format!("{base}/structured_data"), "srv.x", &[]));
    assert!(err.contains("406"), "{err}");

    // the server's refusals come back as the message
    let err = failure(&lake.export(&format!("{base}/nope"), "srv.x", &[]));
    assert!(err.contains("404") && err.contains("No such entry: ['nope']"), "{err}");
    let err = failure(&lake.export(&format!("{base}/short_table"), "srv.x", &["--where", "Z > 1"]));
    assert!(err.contains("400") && err.contains("no such column"), "{err}");
    let err = failure(&lake.export(&format!("{base}/structured_data/pets"), "srv.x", &[]));
    assert!(err.contains("404"), "{err}");
    let err = failure(&lake.export("http://127.0.0.1:1/t", "srv.x", &[]));
    assert!(err.contains("cannot reach"), "{err}");
}

#[test]
fn a_keyed_server_needs_the_key() {
    let server = Server::start(&["--api-key", "k3y"]);
    let lake = Lake::new();
    let url = format!("http://127.0.0.1:{}/short_table", server.port);
    let err = failure(&lake.export(&url, "k.t", &["--columns", "A,B"]));
    assert!(err.contains("401"), "{err}");
    report(&lake.export(&url, "k.t", &["--columns", "A,B", "--api-key", "k3y"]));
    let with_key = format!("http://127.0.0.1:{}/api/v1/table/full/short_table?api_key=k3y", server.port);
    let out = lake.export(&with_key, "k.t", &["--columns", "A,B", "--if-exists", "replace"]);
    assert_eq!(report(&out)["action"], "replace");
}
