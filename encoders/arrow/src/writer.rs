//! [`IpcWriter`]: the typed, streaming Arrow IPC writer.

use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow_ipc::writer::{
    CompressionContext, DictionaryTracker, FileWriter, IpcDataGenerator, IpcWriteOptions, write_message,
};

use crate::error::IpcError;
use crate::options::{IpcFormat, IpcOptions};

/// End-of-stream marker: continuation token then a zero length.
const EOS: [u8; 8] = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

/// Writes record batches as an Arrow IPC file or stream, one message per batch, straight
/// into `W` (no `Seek`: the file footer is written at the end).
///
/// Built by [`IpcOptions::build`], which writes the header; then [`IpcWriter::write`] per
/// batch and [`IpcWriter::finish`] for the trailer. Memory holds one encoded batch at a
/// time. The sink is not buffered here: wrap a socket or file in a `BufWriter`.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int32Array, RecordBatch};
/// use arrow::datatypes::{DataType, Field, Schema};
/// use tessera_arrow::{IpcFormat, IpcOptions};
///
/// let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(vec![1, 2]))]).unwrap();
/// let mut w = IpcOptions::default().with_format(IpcFormat::Stream).build(Vec::new(), &schema).unwrap();
/// w.write(&batch).unwrap();
/// let bytes = w.finish().unwrap();
/// assert_eq!(&bytes[..4], &[0xff; 4]);                          // a stream starts with a message
/// assert_eq!(&bytes[bytes.len() - 8..], &[255, 255, 255, 255, 0, 0, 0, 0]); // and ends with EOS
/// ```
pub struct IpcWriter<W: Write> {
    inner: Inner<W>,
    schema: SchemaRef,
    format: IpcFormat,
    rows: u64,
}

enum Inner<W: Write> {
    File(FileWriter<W>),
    Stream(StreamState<W>),
}

/// The stream format, written with the IPC building blocks rather than arrow-ipc's
/// `StreamWriter`, whose `write` panics on encoding errors instead of returning them.
struct StreamState<W> {
    out: W,
    options: IpcWriteOptions,
    generator: IpcDataGenerator,
    dictionaries: DictionaryTracker,
    compression: CompressionContext,
}

impl<W: Write> std::fmt::Debug for IpcWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcWriter")
            .field("format", &self.format)
            .field("columns", &self.schema.fields().len())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write> IpcWriter<W> {
    pub(crate) fn new(options: IpcOptions, mut out: W, schema: &Schema) -> Result<Self, IpcError> {
        let format = options.format();
        let compression = options.compression();
        compression.check_available()?;
        let ipc_options = IpcWriteOptions::default()
            .try_with_compression(compression.codec())
            .map_err(|e| IpcError::from_arrow(format, e))?;
        let inner = match format {
            IpcFormat::File => Inner::File(
                FileWriter::try_new_with_options(out, schema, ipc_options)
                    .map_err(|e| IpcError::from_arrow(format, e))?,
            ),
            IpcFormat::Stream => {
                let generator = IpcDataGenerator::default();
                // `false`: the stream format may replace a dictionary between batches.
                let mut dictionaries = DictionaryTracker::new(false);
                let msg = generator.schema_to_bytes_with_dictionary_tracker(
                    schema,
                    &mut dictionaries,
                    &ipc_options,
                );
                write_message(&mut out, msg, &ipc_options).map_err(|e| IpcError::from_arrow(format, e))?;
                Inner::Stream(StreamState {
                    out,
                    options: ipc_options,
                    generator,
                    dictionaries,
                    compression: CompressionContext::default(),
                })
            }
        };
        Ok(IpcWriter { inner, schema: Arc::new(schema.clone()), format, rows: 0 })
    }

    /// The schema every batch must have.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Writes one batch as one record batch message (preceded by dictionary messages for
    /// dictionary-encoded columns).
    ///
    /// # Errors
    /// [`IpcError::SchemaMismatch`] when the batch's fields differ from the schema (names,
    /// types, nullability), before writing anything of it; [`IpcError::Io`] from the sink;
    /// [`IpcError::Encode`] from the library (a codec failure, or a dictionary replaced
    /// between batches in the file format, which cannot express that).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IpcError> {
        if batch.schema_ref().fields() != self.schema.fields() {
            return Err(IpcError::SchemaMismatch(format!(
                "expected {}, got {}",
                describe(&self.schema),
                describe(batch.schema_ref())
            )));
        }
        let format = self.format;
        match &mut self.inner {
            Inner::File(w) => w.write(batch).map_err(|e| IpcError::from_arrow(format, e))?,
            Inner::Stream(s) => {
                let (dicts, msg) = s
                    .generator
                    .encode(batch, &mut s.dictionaries, &s.options, &mut s.compression)
                    .map_err(|e| IpcError::from_arrow(format, e))?;
                for d in dicts {
                    write_message(&mut s.out, d, &s.options).map_err(|e| IpcError::from_arrow(format, e))?;
                }
                write_message(&mut s.out, msg, &s.options).map_err(|e| IpcError::from_arrow(format, e))?;
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Writes the trailer (end-of-stream marker; for files also the footer and the closing
    /// magic), flushes, and returns the sink.
    ///
    /// # Errors
    /// [`IpcError::Io`] from the sink.
    pub fn finish(self) -> Result<W, IpcError> {
        let format = self.format;
        match self.inner {
            Inner::File(w) => w.into_inner().map_err(|e| IpcError::from_arrow(format, e)),
            Inner::Stream(mut s) => {
                s.out.write_all(&EOS)?;
                s.out.flush()?;
                Ok(s.out)
            }
        }
    }
}

fn describe(schema: &Schema) -> String {
    let cols: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{:?}: {}{}", f.name(), f.data_type(), if f.is_nullable() { "?" } else { "" }))
        .collect();
    format!("[{}]", cols.join(", "))
}
