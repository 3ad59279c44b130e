//! The write path: read the source on a blocking thread, chunk it to `batch_size_bytes`,
//! cast each chunk to the table's schema, and stream it into Parquet data files (zstd) that
//! roll at the target file size. Every path written is recorded, so that a failed export
//! can delete what it wrote.

use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use iceberg::arrow::RecordBatchPartitionSplitter;
use iceberg::io::FileIO;
use iceberg::spec::{DataFile, DataFileFormat, PartitionKey, Struct, TableMetadata, TableProperties};
use iceberg::writer::base_writer::data_file_writer::DataFileWriterBuilder;
use iceberg::writer::file_writer::ParquetWriterBuilder;
use iceberg::writer::file_writer::location_generator::{
    DefaultFileNameGenerator, DefaultLocationGenerator, LocationGenerator,
};
use iceberg::writer::file_writer::rolling_writer::RollingFileWriterBuilder;
use iceberg::writer::partitioning::PartitioningWriter;
use iceberg::writer::partitioning::fanout_writer::FanoutWriter;
use iceberg::writer::{IcebergWriter, IcebergWriterBuilder};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tessera_core::BatchStream;
use tokio::sync::mpsc;

use crate::error::{ErrorKind, IcebergError};
use crate::options::{ExportEvent, IcebergOptions};
use crate::types::BatchCaster;

/// Every file an export writes (data, manifests, metadata), for cleanup after a failure.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    pub(crate) fn record(&self, path: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(path.to_owned());
    }

    pub(crate) fn paths(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Deletes every recorded file that exists. Returns a sentence for the error message.
    pub(crate) async fn cleanup(&self, file_io: &FileIO) -> String {
        let paths = self.paths();
        if paths.is_empty() {
            return "No file had been written.".to_owned();
        }
        let mut deleted = 0usize;
        let mut first_err = None;
        for p in &paths {
            match file_io.exists(p).await {
                Ok(false) => continue,
                Ok(true) => match file_io.delete(p).await {
                    Ok(()) => deleted += 1,
                    Err(e) => {
                        first_err.get_or_insert_with(|| format!("{p}: {e}"));
                    }
                },
                Err(e) => {
                    first_err.get_or_insert_with(|| format!("{p}: {e}"));
                }
            }
        }
        match first_err {
            None => format!("The {deleted} file(s) it had written were deleted."),
            Some(e) => format!(
                "Deleting the files it had written failed ({e}); they are not referenced by any table and can be removed."
            ),
        }
    }
}

/// A location generator that records what it hands out.
#[derive(Clone)]
struct Recording {
    inner: DefaultLocationGenerator,
    recorder: Recorder,
}

impl LocationGenerator for Recording {
    fn generate_location(&self, partition_key: Option<&PartitionKey>, file_name: &str) -> String {
        let loc = self.inner.generate_location(partition_key, file_name);
        self.recorder.record(&loc);
        loc
    }
}

/// What the write path produced.
#[derive(Debug, Default)]
pub(crate) struct Written {
    pub(crate) files: Vec<DataFile>,
    pub(crate) rows: u64,
    pub(crate) batches: u64,
    pub(crate) input_bytes: u64,
}

impl Written {
    pub(crate) fn file_bytes(&self) -> u64 {
        self.files.iter().map(DataFile::file_size_in_bytes).sum()
    }
}

/// Parquet settings from the table's properties, as Iceberg's writers read them:
/// `write.parquet.compression-codec` (default zstd), `write.parquet.compression-level`,
/// `write.parquet.row-group-size-bytes` (default 128 MiB; this bounds the memory of the
/// row group being built).
fn parquet_properties(table: &TableMetadata) -> Result<WriterProperties, IcebergError> {
    let props = table.properties();
    let level = props.get("write.parquet.compression-level").and_then(|l| l.parse::<i32>().ok());
    let codec = props.get("write.parquet.compression-codec").map(|c| c.to_ascii_lowercase());
    let compression = match codec.as_deref().unwrap_or("zstd") {
        "zstd" => Compression::ZSTD(level.and_then(|l| ZstdLevel::try_new(l).ok()).unwrap_or_default()),
        "snappy" => Compression::SNAPPY,
        "gzip" => Compression::GZIP(
            level
                .and_then(|l| u32::try_from(l).ok())
                .and_then(|l| GzipLevel::try_new(l).ok())
                .unwrap_or_default(),
        ),
        "lz4" => Compression::LZ4_RAW,
        "uncompressed" | "none" => Compression::UNCOMPRESSED,
        other => {
            return Err(IcebergError::new(
                ErrorKind::Unsupported,
                format!(
                    "export_iceberg(): the table's write.parquet.compression-codec {other:?} is not supported (zstd, snappy, gzip, lz4, uncompressed)."
                ),
            ));
        }
    };
    let row_group_bytes = props
        .get("write.parquet.row-group-size-bytes")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(128 * 1024 * 1024);
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_bytes(Some(row_group_bytes))
        .set_created_by(format!("tessera-iceberg {}", env!("CARGO_PKG_VERSION")))
        .build())
}

/// Starts reading `source` on a blocking thread; batches arrive through a small bounded
/// channel, so at most a couple of source batches wait in memory.
pub(crate) fn pump(source: Box<dyn BatchStream>) -> mpsc::Receiver<Result<RecordBatch, ArrowError>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        for item in source {
            let stop = item.is_err();
            if tx.blocking_send(item).is_err() || stop {
                break;
            }
        }
    });
    rx
}

/// Splits `batch` into slices of about `limit` bytes of Arrow memory.
fn chunks(batch: RecordBatch, limit: usize) -> Vec<RecordBatch> {
    let rows = batch.num_rows();
    let size = batch.get_array_memory_size();
    if size <= limit || rows <= 1 {
        return vec![batch];
    }
    let n = size.div_ceil(limit).min(rows);
    let per = rows.div_ceil(n);
    (0..rows).step_by(per).map(|start| batch.slice(start, per.min(rows - start))).collect()
}

type Builder = DataFileWriterBuilder<ParquetWriterBuilder, Recording, DefaultFileNameGenerator>;

/// A data file writer running as a task of its own, fed through a one-slot channel.
struct Worker {
    tx: mpsc::Sender<RecordBatch>,
    handle: tokio::task::JoinHandle<iceberg::Result<Vec<DataFile>>>,
}

impl Worker {
    async fn start(builder: &Builder, key: Option<PartitionKey>) -> iceberg::Result<Self> {
        let mut w = builder.build(key).await?;
        let (tx, mut rx) = mpsc::channel::<RecordBatch>(1);
        let handle = tokio::spawn(async move {
            while let Some(b) = rx.recv().await {
                w.write(b).await?;
            }
            w.close().await
        });
        Ok(Worker { tx, handle })
    }
}

// One per export: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Sink {
    /// Unpartitioned tables: chunks go round-robin to `writers` tasks, each rolling its own
    /// files, so encoding runs on several cores.
    Parallel(Vec<Worker>),
    /// Partitioned tables: one writer per partition, in this task.
    Partitioned(FanoutWriter<Builder>, RecordBatchPartitionSplitter),
}

/// The error of a worker whose channel closed: it failed; its own error is collected later.
const WORKER_GONE: &str = "a data file writer stopped";

/// Streams the source into data files of `table` (its current schema and default
/// partition spec). Returns the closed files; nothing is committed here.
///
/// # Errors
/// Input errors, cast errors, storage errors, an observer's stop. The caller cleans up
/// through `recorder`.
pub(crate) async fn write_data(
    file_io: &FileIO,
    table: &TableMetadata,
    caster: &BatchCaster,
    mut source: mpsc::Receiver<Result<RecordBatch, ArrowError>>,
    options: &IcebergOptions,
    recorder: &Recorder,
) -> Result<Written, IcebergError> {
    let backend =
        |what: &str, e: iceberg::Error| IcebergError::catalog(format!("export_iceberg(): {what}"), e);
    let schema = table.current_schema().clone();
    let spec = table.default_partition_spec().clone();
    let target_size = match options.target_file_size_bytes() {
        Some(s) => s,
        None => {
            table
                .table_properties()
                .map_err(|e| backend("reading the table properties failed", e))?
                .write_target_file_size_bytes
        }
    };
    let target_size = if target_size == 0 {
        TableProperties::PROPERTY_WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT
    } else {
        target_size
    };
    let locations = Recording {
        inner: DefaultLocationGenerator::new(table).map_err(|e| backend("no data location", e))?,
        recorder: recorder.clone(),
    };
    let names = DefaultFileNameGenerator::new(
        format!("tessera-{}", uuid::Uuid::now_v7()),
        None,
        DataFileFormat::Parquet,
    );
    let parquet = ParquetWriterBuilder::new(parquet_properties(table)?, schema.clone());
    let rolling = RollingFileWriterBuilder::new(parquet, target_size, file_io.clone(), locations, names);
    let builder = DataFileWriterBuilder::new(rolling);
    let mut sink = if spec.is_unpartitioned() {
        // The spec id goes into every data file; `None` would mean spec 0.
        let key = (spec.spec_id() != 0)
            .then(|| PartitionKey::new(spec.as_ref().clone(), schema.clone(), Struct::empty()));
        let mut workers = Vec::new();
        for _ in 0..options.writers() {
            match Worker::start(&builder, key.clone()).await {
                Ok(w) => workers.push(w),
                Err(e) => {
                    for w in workers {
                        w.handle.abort();
                    }
                    return Err(backend("opening a data file writer failed", e));
                }
            }
        }
        Sink::Parallel(workers)
    } else {
        let splitter =
            RecordBatchPartitionSplitter::try_new_with_computed_values(schema.clone(), spec.clone())
                .map_err(|e| backend("the table's partition spec cannot be computed", e))?;
        Sink::Partitioned(FanoutWriter::new(builder), splitter)
    };

    let mut out = Written::default();
    let limit = options.batch_size_bytes();
    let looped = async {
        while let Some(item) = source.recv().await {
            let batch = item.map_err(|e| {
                IcebergError::new(
                    ErrorKind::Input,
                    format!("export_iceberg(): reading the source failed after {} row(s): {e}.", out.rows),
                )
                .with_source(e)
            })?;
            if batch.num_rows() == 0 {
                continue;
            }
            for chunk in chunks(batch, limit) {
                let bytes = chunk.get_array_memory_size() as u64;
                let rows = chunk.num_rows() as u64;
                let cast = caster.cast(&chunk)?;
                match &mut sink {
                    Sink::Parallel(workers) => {
                        let w = &workers[(out.batches % workers.len() as u64) as usize];
                        if w.tx.send(cast).await.is_err() {
                            return Err(IcebergError::new(ErrorKind::Catalog, WORKER_GONE));
                        }
                    }
                    Sink::Partitioned(w, splitter) => {
                        let parts =
                            splitter.split(&cast).map_err(|e| backend("partitioning a batch failed", e))?;
                        for (key, part) in parts {
                            w.write(key, part).await.map_err(|e| backend("writing a data file failed", e))?;
                        }
                    }
                }
                out.rows += rows;
                out.batches += 1;
                out.input_bytes += bytes;
                options.notify(ExportEvent::BatchWritten { rows: out.rows, bytes: out.input_bytes })?;
            }
        }
        Ok::<_, IcebergError>(())
    }
    .await;
    match sink {
        Sink::Parallel(workers) => {
            let failed = looped.is_err();
            let mut files = Vec::new();
            let mut worker_err = None;
            for Worker { tx, handle } in workers {
                drop(tx); // the end of its input: it closes its files
                if failed {
                    handle.abort(); // its files are incomplete; the caller deletes them
                }
                match handle.await {
                    Ok(Ok(f)) => files.extend(f),
                    Ok(Err(e)) => {
                        worker_err.get_or_insert_with(|| backend("writing a data file failed", e));
                    }
                    Err(j) if j.is_cancelled() => {}
                    Err(j) => {
                        worker_err.get_or_insert_with(|| {
                            IcebergError::new(
                                ErrorKind::Catalog,
                                format!("export_iceberg(): a data file writer failed: {j}"),
                            )
                        });
                    }
                }
            }
            match (looped, worker_err) {
                (Err(e), Some(w)) if e.message() == WORKER_GONE => return Err(w),
                (Err(e), _) | (Ok(()), Some(e)) => return Err(e),
                (Ok(()), None) => out.files = files,
            }
        }
        Sink::Partitioned(w, _) => {
            looped?;
            out.files = w.close().await.map_err(|e| backend("closing the data files failed", e))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn chunks_split_large_batches_evenly() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let b = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..1000))]).unwrap();
        let size = b.get_array_memory_size();
        assert_eq!(chunks(b.clone(), size).len(), 1);
        let parts = chunks(b.clone(), size / 4);
        assert!(parts.len() >= 4, "{}", parts.len());
        assert_eq!(parts.iter().map(RecordBatch::num_rows).sum::<usize>(), 1000);
        assert_eq!(chunks(b, 1).len(), 1000);
    }
}
