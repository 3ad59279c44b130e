//! [`JsonWriter`]: tables as a JSON object of columns, a JSON text sequence or NDJSON.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use tessera_core::EncodeError;
use tessera_core::array::write_json_str;
use tessera_core::columns::{ColumnFormatter, is_binary, push_short};

use crate::options::{BinaryColumns, JsonFormat, JsonOptions};

/// The output buffer is handed to the sink whenever it holds this much.
pub(crate) const FLUSH_BYTES: usize = 64 << 10;

/// The record separator that starts every JSON text of a sequence (RFC 7464).
const RS: u8 = 0x1e;

/// Writes a table as JSON, batch by batch; see the crate docs for each framing.
///
/// Built by [`JsonOptions::build`]. Row formats ([`JsonFormat::JsonSeq`],
/// [`JsonFormat::Ndjson`]) stream: output is gathered in a buffer passed to the sink every
/// 64 KiB. [`JsonFormat::Columns`] needs every row of a column before the next column, so
/// it keeps the batches (reference-counted, not copied) and writes everything in
/// [`JsonWriter::finish`]. Dropping the writer without `finish` loses output.
#[derive(Debug)]
pub struct JsonWriter<W: Write> {
    out: W,
    opts: JsonOptions,
    buf: Vec<u8>,
    /// Columns written and their key text: `"name":` (with `{` or `,` in front for rows).
    columns: Option<Vec<(usize, Vec<u8>)>>,
    /// Number of columns of the schema.
    width: usize,
    /// Batches kept for [`JsonFormat::Columns`].
    batches: Vec<RecordBatch>,
}

impl<W: Write> JsonWriter<W> {
    pub(crate) fn new(out: W, opts: JsonOptions) -> Self {
        JsonWriter {
            out,
            opts,
            buf: Vec::with_capacity(FLUSH_BYTES + 4096),
            columns: None,
            width: 0,
            batches: Vec::new(),
        }
    }

    /// Declares the table's schema (done by [`write`] for the first batch). Call it first
    /// so that a table without batches still gives its columns (`{"a":[]}`). Later calls
    /// must give the same number of columns.
    ///
    /// [`write`]: JsonWriter::write
    ///
    /// # Errors
    /// [`EncodeError::Input`] for a schema with another number of columns than the first;
    /// [`EncodeError::Unsupported`] for a column type that has no JSON form.
    pub fn write_schema(&mut self, schema: &Schema) -> Result<(), EncodeError> {
        let fields = schema.fields();
        if self.columns.is_some() {
            if fields.len() != self.width {
                return Err(EncodeError::Input(
                    format!("a batch has {} columns but the table has {}", fields.len(), self.width).into(),
                ));
            }
            return Ok(());
        }
        let media_type = self.opts.format.media_type();
        let mut cols = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            ColumnFormatter::check_type(f.data_type()).map_err(|e| {
                EncodeError::unsupported(
                    media_type.clone(),
                    format!("column {:?} has no JSON form: {e}", f.name()),
                )
            })?;
            if self.opts.binary == BinaryColumns::Omit && is_binary(f.data_type()) {
                continue;
            }
            let mut key = vec![if cols.is_empty() { b'{' } else { b',' }];
            write_json_str(f.name(), &mut key);
            key.push(b':');
            cols.push((i, key));
        }
        self.width = fields.len();
        self.columns = Some(cols);
        Ok(())
    }

    /// Writes (or, for [`JsonFormat::Columns`], keeps) the rows of a batch.
    ///
    /// # Errors
    /// As [`JsonWriter::write_schema`]; [`EncodeError::Io`] from the sink.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        self.write_schema(batch.schema_ref())?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.opts.format == JsonFormat::Columns {
            self.batches.push(batch.clone());
            return Ok(());
        }
        let media_type = self.opts.format.media_type();
        let cols = self.columns.as_deref().unwrap_or_default();
        let mut fmts = Vec::with_capacity(cols.len());
        for (i, key) in cols {
            let f = ColumnFormatter::new(batch.column(*i).as_ref())
                .map_err(|e| EncodeError::unsupported(media_type.clone(), e.to_string()))?;
            fmts.push((key.as_slice(), f));
        }
        let seq = self.opts.format == JsonFormat::JsonSeq;
        let buf = &mut self.buf;
        for row in 0..batch.num_rows() {
            if seq {
                buf.push(RS);
            }
            if fmts.is_empty() {
                buf.push(b'{');
            }
            for (key, f) in &mut fmts {
                push_short(key, buf);
                f.write_json(row, buf);
            }
            buf.extend_from_slice(b"}\n");
            if buf.len() >= FLUSH_BYTES {
                self.out.write_all(buf)?;
                buf.clear();
            }
        }
        Ok(())
    }

    /// Writes what remains (for [`JsonFormat::Columns`], the whole object), flushes the
    /// sink and returns it. A writer that never saw a schema writes `{}` for
    /// [`JsonFormat::Columns`] and nothing for the row formats.
    ///
    /// # Errors
    /// [`EncodeError::Io`] from the sink.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        if self.opts.format == JsonFormat::Columns {
            self.write_columns()?;
        }
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Writes `{"a":[...],"b":[...]}` from the kept batches, one column at a time.
    fn write_columns(&mut self) -> Result<(), EncodeError> {
        let media_type = self.opts.format.media_type();
        let cols = self.columns.take().unwrap_or_default();
        if cols.is_empty() {
            self.buf.push(b'{');
        }
        for (i, key) in &cols {
            self.buf.extend_from_slice(key);
            self.buf.push(b'[');
            let mut first = true;
            for batch in &self.batches {
                let mut f = ColumnFormatter::new(batch.column(*i).as_ref())
                    .map_err(|e| EncodeError::unsupported(media_type.clone(), e.to_string()))?;
                for row in 0..batch.num_rows() {
                    if !first {
                        self.buf.push(b',');
                    }
                    first = false;
                    f.write_json(row, &mut self.buf);
                    if self.buf.len() >= FLUSH_BYTES {
                        self.out.write_all(&self.buf)?;
                        self.buf.clear();
                    }
                }
            }
            self.buf.push(b']');
        }
        self.buf.push(b'}');
        self.batches.clear();
        Ok(())
    }
}
