//! [`ParquetWriter`]: the typed, streaming Parquet writer, encoding columns in parallel.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{RecordBatch, new_empty_array};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::file::writer::SerializedFileWriter;

use crate::error::ParquetWriteError;
use crate::options::ParquetOptions;

/// Writes record batches as one Parquet file into `W`, row group by row group.
///
/// Built by [`ParquetOptions::build`], which checks the options and the schema (the
/// `PAR1` header follows, at once or with the first batch); then [`ParquetWriter::write`]
/// per batch and [`ParquetWriter::finish`] for the footer.
///
/// Batches are gathered (by reference, without copying) into row groups of
/// [`ParquetOptions::with_max_row_group_rows`] rows or
/// [`ParquetOptions::with_max_row_group_bytes`] bytes of input. With `n`
/// [threads](ParquetOptions::with_threads), once `n` row groups are full their columns are
/// encoded on the `n` threads and the row groups are written to the sink, in order. Memory
/// is bounded by `n` row groups whatever the table's size, and the sink never needs `Seek`
/// (Parquet's footer records offsets the writer counted itself). The output does not
/// depend on `n`.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int32Array, RecordBatch};
/// use arrow::datatypes::{DataType, Field, Schema};
/// use tessera_parquet::ParquetOptions;
///
/// let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(vec![1, 2]))]).unwrap();
/// let mut w = ParquetOptions::default().build(Vec::new(), &schema).unwrap();
/// w.write(&batch).unwrap();
/// assert_eq!(w.rows_written(), 2);
/// let file = w.finish().unwrap();
/// assert_eq!(&file[..4], b"PAR1");
/// assert_eq!(&file[file.len() - 4..], b"PAR1");
/// ```
pub struct ParquetWriter<W: Write> {
    /// Opened at the first non-empty batch when the dictionary, integer encoding or
    /// compression choice depends on the data, else at once.
    file: Option<File>,
    options: ParquetOptions,
    schema: SchemaRef,
    /// Parquet leaf columns per top-level field.
    leaves: Vec<usize>,
    /// The row group being gathered: slices of the input batches.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    pending_bytes: usize,
    /// Full row groups waiting to be encoded, as many as there are threads, so that every
    /// thread has work even when one column dominates a row group.
    ready: Vec<Vec<RecordBatch>>,
    ready_bytes: usize,
    out: W,
    rows: u64,
}

/// The library's file writer, over a buffer that receives each finished row group and is
/// drained into the sink right away. (The library wants `W: Send`, which a
/// `&mut dyn Write` sink is not.)
struct File {
    writer: SerializedFileWriter<Vec<u8>>,
    columns: ArrowRowGroupWriterFactory,
}

impl<W: Write> std::fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter")
            .field("columns", &self.schema.fields().len())
            .field("rows", &self.rows)
            .field("buffered_bytes", &self.buffered_bytes())
            .finish_non_exhaustive()
    }
}

/// Checks that Parquet can store `schema` (at least one column, and no type the `parquet`
/// crate cannot write — it would panic on a union rather than refuse it). [`ParquetOptions::build`]
/// runs it first; callers that validate before they have data (a catalog creating a table)
/// run it themselves.
///
/// # Errors
/// [`ParquetWriteError::UnsupportedSchema`] saying which column and why.
pub fn check_schema(schema: &Schema) -> Result<(), ParquetWriteError> {
    if schema.fields().is_empty() {
        return Err(ParquetWriteError::UnsupportedSchema("a Parquet file needs at least one column".into()));
    }
    for f in schema.fields() {
        if let Some(what) = unstorable(f.data_type()) {
            return Err(ParquetWriteError::UnsupportedSchema(format!(
                "column {:?} is or contains a {what}, which Parquet cannot store",
                f.name()
            )));
        }
    }
    ArrowSchemaConverter::new()
        .convert(schema)
        .map(drop)
        .map_err(|e| ParquetWriteError::UnsupportedSchema(e.to_string()))
}

/// A type nested anywhere in `dt` that the `parquet` crate does not write and would panic
/// on (its schema converter has `unimplemented!` for unions) rather than refuse.
fn unstorable(dt: &DataType) -> Option<&'static str> {
    match dt {
        DataType::Union(..) => Some("union"),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::Map(f, _) => unstorable(f.data_type()),
        DataType::Struct(fields) => fields.iter().find_map(|f| unstorable(f.data_type())),
        DataType::Dictionary(_, v) => unstorable(v),
        DataType::RunEndEncoded(_, v) => unstorable(v.data_type()),
        _ => None,
    }
}

impl<W: Write> ParquetWriter<W> {
    pub(crate) fn new(options: &ParquetOptions, out: W, schema: &Schema) -> Result<Self, ParquetWriteError> {
        options.properties(None)?;
        check_schema(schema)?;
        let leaves = schema
            .fields()
            .iter()
            .map(|f| {
                compute_leaves(f, &new_empty_array(f.data_type()))
                    .map(|l| l.len())
                    .map_err(|e| ParquetWriteError::UnsupportedSchema(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let mut w = ParquetWriter {
            file: None,
            options: options.clone(),
            schema: Arc::new(schema.clone()),
            leaves,
            pending: Vec::new(),
            pending_rows: 0,
            pending_bytes: 0,
            ready: Vec::new(),
            ready_bytes: 0,
            out,
            rows: 0,
        };
        if !options.depends_on_data() {
            w.open(None)?;
        }
        Ok(w)
    }

    /// Opens the library's file writer (its header goes to the sink) with properties
    /// from `first`, unless it is open.
    fn open(&mut self, first: Option<&RecordBatch>) -> Result<(), ParquetWriteError> {
        if self.file.is_some() {
            return Ok(());
        }
        let props = self.options.properties(first)?;
        let (writer, columns) = ArrowWriter::try_new(Vec::new(), self.schema.clone(), Some(props))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(|e| ParquetWriteError::UnsupportedSchema(e.to_string()))?;
        let file = self.file.insert(File { writer, columns });
        drain(&mut file.writer, &mut self.out)
    }

    /// The schema every batch must have.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The sink.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Bytes held for the row groups not yet written: the gathered input (referenced, not
    /// copied, but kept alive) plus output not yet handed to the sink.
    pub fn buffered_bytes(&self) -> usize {
        self.pending_bytes + self.ready_bytes + self.file.as_ref().map_or(0, |f| f.writer.inner().len())
    }

    /// Adds one batch to the row group in progress, encoding and writing row groups to the
    /// sink as they fill. Empty batches are skipped.
    ///
    /// # Errors
    /// [`ParquetWriteError::SchemaMismatch`] when the batch's fields differ from the
    /// schema (names, types, nullability), before encoding any of it;
    /// [`ParquetWriteError::Io`] from the sink; [`ParquetWriteError::Encode`] from the
    /// library.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetWriteError> {
        if batch.schema_ref().fields() != self.schema.fields() {
            return Err(ParquetWriteError::SchemaMismatch(format!(
                "expected {:?}, got {:?}",
                self.schema.fields(),
                batch.schema_ref().fields()
            )));
        }
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.open(Some(batch))?;
        let mut start = 0;
        while start < batch.num_rows() {
            let take = (batch.num_rows() - start).min(self.options.max_row_group_rows() - self.pending_rows);
            let part = batch.slice(start, take);
            self.pending_bytes += part
                .columns()
                .iter()
                .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0))
                .sum::<usize>();
            self.pending_rows += take;
            self.pending.push(part);
            start += take;
            if self.pending_rows >= self.options.max_row_group_rows()
                || self.pending_bytes >= self.options.max_row_group_bytes()
            {
                self.flush_row_group(false)?;
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the row group being gathered; encodes and writes the closed ones once there
    /// is one per thread (or when `all`).
    fn flush_row_group(&mut self, all: bool) -> Result<(), ParquetWriteError> {
        if self.pending_rows > 0 {
            self.ready.push(std::mem::take(&mut self.pending));
            self.ready_bytes += self.pending_bytes;
            self.pending_rows = 0;
            self.pending_bytes = 0;
        }
        if self.ready.is_empty() || (!all && self.ready.len() < self.options.threads()) {
            return Ok(());
        }
        let Some(file) = self.file.as_mut() else {
            return Err(ParquetWriteError::Encode("rows gathered before the file was opened".into()));
        };
        // One job per column of each row group: its leaf writers, fed the group's batches.
        let first = file.writer.flushed_row_groups().len();
        let mut jobs = Vec::with_capacity(self.ready.len() * self.leaves.len());
        for (g, batches) in self.ready.iter().enumerate() {
            let mut writers =
                file.columns.create_column_writers(first + g).map_err(ParquetWriteError::from_parquet)?;
            let mut group_jobs = Vec::with_capacity(self.leaves.len());
            for (col, &n) in self.leaves.iter().enumerate().rev() {
                group_jobs.push(Job { batches, col, writers: writers.split_off(writers.len() - n) });
            }
            jobs.extend(group_jobs.into_iter().rev());
        }
        let mut chunks = encode_columns(jobs, &self.schema, self.options.threads())?.into_iter();
        for _ in 0..self.ready.len() {
            let mut row_group = file.writer.next_row_group().map_err(ParquetWriteError::from_parquet)?;
            for chunk in chunks.by_ref().take(self.leaves.len()) {
                for c in chunk {
                    c.append_to_row_group(&mut row_group).map_err(ParquetWriteError::from_parquet)?;
                }
            }
            row_group.close().map_err(ParquetWriteError::from_parquet)?;
        }
        self.ready.clear();
        self.ready_bytes = 0;
        drain(&mut file.writer, &mut self.out)
    }

    /// Writes the last row group and the footer, flushes, and returns the sink.
    ///
    /// # Errors
    /// [`ParquetWriteError::Io`] from the sink; [`ParquetWriteError::Encode`] from the
    /// library.
    pub fn finish(mut self) -> Result<W, ParquetWriteError> {
        self.open(None)?;
        self.flush_row_group(true)?;
        if let Some(file) = self.file.as_mut() {
            file.writer.finish().map_err(ParquetWriteError::from_parquet)?;
            drain(&mut file.writer, &mut self.out)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One column of one row group to encode: the group's batches, the column's index, and
/// its leaf writers.
struct Job<'a> {
    batches: &'a [RecordBatch],
    col: usize,
    writers: Vec<ArrowColumnWriter>,
}

/// A column's encoded chunks (one per leaf).
type Chunks = Result<Vec<ArrowColumnChunk>, ParquetWriteError>;

/// Input bytes below which row groups are encoded on the calling thread alone.
const PARALLEL_MIN_BYTES: usize = 256 << 10;

/// Encodes each job's column and closes its writers, on up to `threads` threads (largest
/// jobs first; one for less than [`PARALLEL_MIN_BYTES`] of input), returning the chunks in
/// job order.
fn encode_columns(
    jobs: Vec<Job<'_>>,
    schema: &Schema,
    threads: usize,
) -> Result<Vec<Vec<ArrowColumnChunk>>, ParquetWriteError> {
    let run = |job: Job<'_>| -> Chunks {
        let field = schema.field(job.col);
        let mut writers = job.writers;
        for batch in job.batches {
            let leaves =
                compute_leaves(field, batch.column(job.col)).map_err(ParquetWriteError::from_parquet)?;
            for (w, leaf) in writers.iter_mut().zip(&leaves) {
                w.write(leaf).map_err(ParquetWriteError::from_parquet)?;
            }
        }
        writers.into_iter().map(|w| w.close().map_err(ParquetWriteError::from_parquet)).collect()
    };
    let size = |j: &Job<'_>| j.batches.iter().map(|b| b.column(j.col).get_array_memory_size()).sum::<usize>();
    // A small table is encoded sooner than a thread starts (a 100-row export is a
    // latency-bound request).
    let small = jobs.iter().map(size).sum::<usize>() < PARALLEL_MIN_BYTES;
    let threads = if small { 1 } else { threads.clamp(1, jobs.len().max(1)) };
    if threads == 1 {
        return jobs.into_iter().map(run).collect();
    }
    // Largest jobs first, so the last ones to start are small.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(size(&jobs[j])));
    let slots: Vec<Mutex<Option<Job<'_>>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<Chunks>>> = (0..slots.len()).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        while let Some(&j) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let job = slots[j].lock().map(|mut s| s.take()).unwrap_or(None);
            if let Some(job) = job {
                let r = run(job);
                if let Ok(mut slot) = results[j].lock() {
                    *slot = Some(r);
                }
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or(None)
                .unwrap_or_else(|| Err(ParquetWriteError::Encode("a column encoder did not finish".into())))
        })
        .collect()
}

/// Moves whatever the library has finished into the sink.
fn drain(writer: &mut SerializedFileWriter<Vec<u8>>, out: &mut impl Write) -> Result<(), ParquetWriteError> {
    let buf = writer.inner_mut();
    if !buf.is_empty() {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}
