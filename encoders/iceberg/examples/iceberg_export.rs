//! Exports a table into an Iceberg catalog from the command line: the driver of the pyiceberg
//! interop suite (tests/interop/test_iceberg.py), and a small tool.
//!
//! ```text
//! iceberg_export --uri URI [--warehouse DIR] --table NS.TABLE
//!                [--input FILE.arrow | --workload t1|t2|ROWS] [--batch-rows N]
//!                [--fail-after-batches N]
//!                [--catalog-name NAME] [--if-exists error|append|replace]
//!                [--columns a,b] [--where EXPR] [--override COL=TYPE]... [--convert-types]
//!                [--batch-size-bytes N] [--target-file-size-bytes N] [--writers N]
//!                [--repeat N]
//! ```
//!
//! `--input` reads an Arrow IPC file (what pyarrow's `ipc.new_file` writes); `--workload`
//! generates the shared T1/T2 benchmark table (or its first ROWS rows). A `--uri` of
//! `http(s)://` is a REST catalog (feature `rest`), anything else a SQL catalog (which needs
//! `--warehouse`). `--fail-after-batches N` makes the source fail after N batches (for
//! failure tests). `--repeat N` runs the export N times (into `TABLE_0`..`TABLE_{N-1}` when
//! N > 1; for timing: the process's CPU time minus a run with N = 1). Each report is printed
//! as one JSON object; an error as `{"error": kind, "message": ...}` with exit status 1.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::process::ExitCode;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use tessera_core::table::query;
use tessera_core::{BatchStream, Table};
use tessera_iceberg::{CatalogConfig, IcebergOptions, export_iceberg, parse_data_type};

/// A stream that fails after `left` batches.
struct FailAfter {
    inner: Box<dyn BatchStream>,
    left: usize,
}

impl Iterator for FailAfter {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return Some(Err(ArrowError::ComputeError("injected source failure".into())));
        }
        self.left -= 1;
        self.inner.next()
    }
}

impl BatchStream for FailAfter {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("iceberg_export: {msg}\n(see the header of encoders/iceberg/examples/iceberg_export.rs)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut uri, mut warehouse, mut table, mut input, mut workload) = (None, None, None, None, None);
    let (mut name, mut columns, mut filter, mut batch_rows) = (None, Vec::new(), None, None);
    let mut fail_after = None;
    let mut repeat = 1usize;
    let mut options = IcebergOptions::default();
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        let r: Result<(), String> = (|| {
            match a.as_str() {
                "--uri" => uri = Some(val()?),
                "--warehouse" => warehouse = Some(val()?),
                "--table" => table = Some(val()?),
                "--input" => input = Some(val()?),
                "--workload" => workload = Some(val()?),
                "--catalog-name" => name = Some(val()?),
                "--batch-rows" => batch_rows = Some(val()?.parse::<usize>().map_err(|e| e.to_string())?),
                "--fail-after-batches" => {
                    fail_after = Some(val()?.parse::<usize>().map_err(|e| e.to_string())?)
                }
                "--columns" => columns = val()?.split(',').map(str::to_owned).collect(),
                "--where" => filter = Some(val()?),
                "--if-exists" => {
                    options = options.clone().with_if_exists(val()?.parse().map_err(|e| format!("{e}"))?)
                }
                "--override" => {
                    let v = val()?;
                    let (c, t) = v.split_once('=').ok_or("--override takes COL=TYPE")?;
                    options = options
                        .clone()
                        .with_schema_override(c, parse_data_type(t).map_err(|e| e.to_string())?);
                }
                "--convert-types" => options = options.clone().with_convert_types(true),
                "--repeat" => repeat = val()?.parse().map_err(|e| format!("{e}"))?,
                "--writers" => {
                    options = options.clone().with_writers(val()?.parse().map_err(|e| format!("{e}"))?)
                }
                "--batch-size-bytes" => {
                    options =
                        options.clone().with_batch_size_bytes(val()?.parse().map_err(|e| format!("{e}"))?)
                }
                "--target-file-size-bytes" => {
                    options = options
                        .clone()
                        .with_target_file_size_bytes(val()?.parse().map_err(|e| format!("{e}"))?)
                }
                other => return Err(format!("unknown argument {other}")),
            }
            Ok(())
        })();
        if let Err(e) = r {
            return usage(&e);
        }
    }
    let (Some(uri), Some(table)) = (uri, table) else {
        return usage("--uri and --table are required");
    };
    let source = match (input, workload) {
        (Some(path), None) => {
            let file = std::fs::File::open(&path).unwrap();
            let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
            let schema = reader.schema();
            let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
            let batches = match batch_rows {
                Some(n) => batches
                    .iter()
                    .flat_map(|b| {
                        (0..b.num_rows()).step_by(n.max(1)).map(|s| b.slice(s, n.min(b.num_rows() - s)))
                    })
                    .collect(),
                None => batches,
            };
            Table::from_batches(schema, batches).unwrap()
        }
        (None, Some(w)) => match w.as_str() {
            "t1" => tessera_testkit::workloads::t1(),
            "t2" => tessera_testkit::workloads::t2(),
            rows => tessera_testkit::workloads::table(rows.parse().unwrap()),
        },
        _ => return usage("give exactly one of --input and --workload"),
    };
    let mut props = HashMap::from([("uri".to_string(), uri)]);
    if let Some(w) = warehouse {
        props.insert("warehouse".to_string(), w);
    }
    let config = match CatalogConfig::from_properties(name.as_deref().unwrap_or("pixeltable"), &props) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    for i in 0..repeat {
        let mut stream = query(Box::new(source.stream()), &columns, filter.as_deref()).unwrap();
        if let Some(n) = fail_after {
            stream = Box::new(FailAfter { inner: stream, left: n });
        }
        let name = if repeat > 1 { format!("{table}_{i}") } else { table.clone() };
        match export_iceberg(stream, &config, &name, &options) {
            Ok(r) => println!("{}", serde_json::to_string(&r).unwrap()),
            Err(e) => return fail(&e),
        }
    }
    ExitCode::SUCCESS
}

fn fail(e: &tessera_iceberg::IcebergError) -> ExitCode {
    println!("{}", serde_json::json!({"error": format!("{:?}", e.kind()), "message": e.to_string()}));
    ExitCode::from(1)
}
