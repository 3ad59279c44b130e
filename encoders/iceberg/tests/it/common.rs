//! Shared fixtures: a SQLite catalog in a temp dir, sample tables, sources that fail on
//! purpose, and helpers to read tables back and list the files of a warehouse.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use tempfile::TempDir;
use tessera_core::{BatchStream, Table};
use tessera_iceberg::{CatalogConfig, IcebergExporter};

/// A SQLite catalog (`<dir>/catalog.db`) with its warehouse in `<dir>/wh`.
pub struct Wh {
    pub dir: TempDir,
    pub config: CatalogConfig,
}

impl Wh {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap().to_owned();
        let config =
            CatalogConfig::sql(&format!("sqlite:///{root}/catalog.db"), &format!("{root}/wh")).unwrap();
        Wh { dir, config }
    }

    pub fn exporter(&self) -> IcebergExporter {
        IcebergExporter::open(&self.config).unwrap()
    }

    pub fn warehouse(&self) -> PathBuf {
        self.dir.path().join("wh")
    }

    /// Every file under the warehouse.
    pub fn files(&self) -> BTreeSet<PathBuf> {
        files_under(&self.warehouse())
    }
}

pub fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.insert(p);
        }
    }
    out
}

/// `id` int64, `x` float64 (every 7th null), `s ✓` utf8 (unicode, every 5th null),
/// `flag` bool, `ts` timestamp[us, UTC], `l` list<int32> — rows `start..start+n`, in
/// batches of `batch` rows.
pub fn sample(start: i64, n: usize, batch: usize) -> Table {
    let schema = sample_schema();
    let batches = (0..n)
        .step_by(batch.max(1))
        .map(|o| {
            let r = (start + o as i64)..(start + (o + batch).min(n) as i64);
            let cols: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(r.clone())),
                Arc::new(Float64Array::from_iter(r.clone().map(|i| (i % 7 != 0).then_some(i as f64 * 0.5)))),
                Arc::new(StringArray::from_iter(
                    r.clone().map(|i| (i % 5 != 0).then(|| format!("Manwë-{i}"))),
                )),
                Arc::new(BooleanArray::from_iter(r.clone().map(|i| Some(i % 2 == 0)))),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(r.clone().map(|i| 1_700_000_000_000_000 + i))
                        .with_timezone("UTC"),
                ),
                Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(
                    r.map(|i| (i % 3 != 0).then(|| vec![Some(i as i32), None])),
                )),
            ];
            RecordBatch::try_new(schema.clone(), cols).unwrap()
        })
        .collect();
    Table::from_batches(schema, batches).unwrap()
}

pub fn sample_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
        Field::new("s ✓", DataType::Utf8, true),
        Field::new("flag", DataType::Boolean, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new_list("l", Field::new("item", DataType::Int32, true), true),
    ]))
}

/// A two-column table of another shape, for replaces: `k` int32, `v` utf8.
pub fn other(n: usize) -> Table {
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int32, false),
        Field::new("v", DataType::Utf8, true),
    ]));
    let b = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from_iter_values(0..n as i32)),
            Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("v{i}")))),
        ],
    )
    .unwrap();
    Table::from_batches(schema, vec![b]).unwrap()
}

pub fn stream(t: &Table) -> Box<dyn BatchStream> {
    Box::new(t.stream())
}

/// The rows of a table as text (one `Vec` per row, in `id`/first-column order), through
/// Arrow's display, so that tables of different but equivalent types compare equal.
pub fn rows_text(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let opts = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for b in batches {
        // Zone names need chrono-tz to print; every zone here is UTC, print it as +00:00.
        let cols: Vec<ArrayRef> = b
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                DataType::Timestamp(u, Some(_)) => {
                    arrow::compute::cast(c, &DataType::Timestamp(*u, Some("+00:00".into()))).unwrap()
                }
                _ => c.clone(),
            })
            .collect();
        let fmts: Vec<ArrayFormatter<'_>> =
            cols.iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap()).collect();
        for i in 0..b.num_rows() {
            rows.push(fmts.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    rows.sort_by(|a: &Vec<String>, b| {
        let ka = a[0].parse::<i64>().ok();
        let kb = b[0].parse::<i64>().ok();
        ka.cmp(&kb).then_with(|| a.cmp(b))
    });
    rows
}

/// The rows of an in-memory table, as [`rows_text`].
pub fn table_text(t: &Table) -> Vec<Vec<String>> {
    let batches: Vec<RecordBatch> = t.stream().map(|b| b.unwrap()).collect();
    rows_text(&batches)
}

/// The rows of an Iceberg table, as [`rows_text`].
pub fn read_text(e: &IcebergExporter, table: &str) -> Vec<Vec<String>> {
    let (_, batches) = e.read_table(table).unwrap();
    rows_text(&batches)
}

/// A source that yields `batches`, then fails with `error` instead of ending (when set),
/// and counts how many items were taken from it.
pub struct Scripted {
    schema: SchemaRef,
    batches: VecDeque<RecordBatch>,
    error: Option<String>,
    pub taken: Arc<AtomicUsize>,
}

impl Scripted {
    pub fn new(t: &Table, error: Option<&str>) -> Self {
        Scripted {
            schema: t.schema().clone(),
            batches: t.stream().map(|b| b.unwrap()).collect(),
            error: error.map(str::to_owned),
            taken: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl Iterator for Scripted {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.taken.fetch_add(1, Ordering::SeqCst);
        match self.batches.pop_front() {
            Some(b) => Some(Ok(b)),
            None => self.error.take().map(|e| Err(ArrowError::ComputeError(e))),
        }
    }
}

impl BatchStream for Scripted {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
