//! [`ParquetWriter`]: the typed, streaming Parquet writer.

use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Schema, SchemaRef};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};

use crate::error::ParquetWriteError;
use crate::options::{ParquetDictionary, ParquetOptions};

/// Writes record batches as one Parquet file into `W`, row group by row group.
///
/// Built by [`ParquetOptions::build`], which checks the options and the schema (the
/// `PAR1` header follows, at once or with the first batch); then [`ParquetWriter::write`] per batch and [`ParquetWriter::finish`] for the
/// footer. The Parquet library encodes the current row group in memory and hands it to
/// the sink as soon as the row group is closed (at
/// [`ParquetOptions::with_max_row_group_rows`] rows or
/// [`ParquetOptions::with_max_row_group_bytes`] bytes), so memory is bounded by one row
/// group whatever the table's size, and the sink never needs `Seek` (Parquet's footer
/// records offsets the writer counted itself).
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
    /// The library's writer, over a buffer that receives each finished row group and is
    /// drained into `out` after every call. (`ArrowWriter` wants `W: Send`, which a
    /// `&mut dyn Write` sink is not.) Opened at the first non-empty batch when the
    /// dictionary choice depends on the data, else at once.
    inner: Option<ArrowWriter<Vec<u8>>>,
    options: ParquetOptions,
    out: W,
    schema: SchemaRef,
    rows: u64,
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

/// Checks that Parquet can store `schema`.
pub(crate) fn check_schema(schema: &Schema) -> Result<(), ParquetWriteError> {
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
        _ => None,
    }
}

impl<W: Write> ParquetWriter<W> {
    pub(crate) fn new(options: &ParquetOptions, out: W, schema: &Schema) -> Result<Self, ParquetWriteError> {
        options.properties(None)?;
        check_schema(schema)?;
        let mut w = ParquetWriter {
            inner: None,
            options: options.clone(),
            out,
            schema: Arc::new(schema.clone()),
            rows: 0,
        };
        if options.dictionary() != ParquetDictionary::Auto {
            open(&mut w.inner, &w.options, &w.schema, &mut w.out, None)?;
        }
        Ok(w)
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

    /// Bytes held in memory for the row group in progress (encoded pages and
    /// dictionaries, plus output not yet handed to the sink).
    pub fn buffered_bytes(&self) -> usize {
        self.inner.as_ref().map_or(0, |w| w.memory_size() + w.inner().len())
    }

    /// Adds one batch to the row group in progress, closing row groups (and writing them
    /// to the sink) as they fill. Empty batches are skipped.
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
        let inner = open(&mut self.inner, &self.options, &self.schema, &mut self.out, Some(batch))?;
        inner.write(batch).map_err(ParquetWriteError::from_parquet)?;
        drain(inner, &mut self.out)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the last row group, writes the footer, flushes, and returns the sink.
    ///
    /// # Errors
    /// [`ParquetWriteError::Io`] from the sink; [`ParquetWriteError::Encode`] from the
    /// library.
    pub fn finish(mut self) -> Result<W, ParquetWriteError> {
        let inner = open(&mut self.inner, &self.options, &self.schema, &mut self.out, None)?;
        inner.finish().map_err(ParquetWriteError::from_parquet)?;
        drain(inner, &mut self.out)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The library's writer in `slot`, opened first if need be (header written to `out`) with
/// properties from `first`.
fn open<'a>(
    slot: &'a mut Option<ArrowWriter<Vec<u8>>>,
    options: &ParquetOptions,
    schema: &SchemaRef,
    out: &mut impl Write,
    first: Option<&RecordBatch>,
) -> Result<&'a mut ArrowWriter<Vec<u8>>, ParquetWriteError> {
    if let Some(inner) = slot {
        return Ok(inner);
    }
    let props = options.properties(first)?;
    let mut inner = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))
        .map_err(|e| ParquetWriteError::UnsupportedSchema(e.to_string()))?;
    drain(&mut inner, out)?;
    Ok(slot.insert(inner))
}

/// Moves whatever the library has finished into the sink.
fn drain(inner: &mut ArrowWriter<Vec<u8>>, out: &mut impl Write) -> Result<(), ParquetWriteError> {
    let buf = inner.inner_mut();
    if !buf.is_empty() {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}
