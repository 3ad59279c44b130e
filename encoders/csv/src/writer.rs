//! [`CsvWriter`]: the streaming CSV writer for tables and arrays.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use ndarray::ArrayViewD;
use tessera_core::array::{ArrayVisitor, Element, cell_from_bytes};
use tessera_core::columns::{ColumnFormatter, is_binary, push_f32_text, push_f64_pair_text, push_f64_text};
use tessera_core::encoder::row_slabs;
use tessera_core::raw::SLAB_BYTES;
use tessera_core::{ArraySource, DataType, EncodeError, MediaType, NdArray};

use crate::options::CsvOptions;

/// The CSV media type.
pub(crate) const CSV: MediaType = MediaType::from_static("text/csv");

/// The output buffer is handed to the sink whenever it holds this much.
const FLUSH_BYTES: usize = 64 << 10;

/// Float64 slabs of at least this many values are formatted on several threads (below it,
/// starting threads costs more than it saves).
const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// Appends the text of whole rows of a float64 matrix (`v.len()` a multiple of `cols` >
/// 1), two values at a time (see `push_f64_pair_text`).
fn format_f64_rows(v: &[f64], cols: usize, delim: u8, eol: &[u8], buf: &mut Vec<u8>) {
    for row in v.chunks_exact(cols) {
        let mut pairs = row.chunks_exact(2);
        for (k, p) in pairs.by_ref().enumerate() {
            if k > 0 {
                buf.push(delim);
            }
            push_f64_pair_text(p[0], p[1], delim, buf);
        }
        if let [last] = pairs.remainder() {
            buf.push(delim);
            push_f64_text(*last, buf);
        }
        buf.extend_from_slice(eol);
    }
}

/// Writes tables (batch by batch) or arrays as CSV; see the crate docs for the dialect.
///
/// Built by [`CsvOptions::build`]. Output is gathered in a buffer that is passed to the
/// sink every 64 KiB and by [`CsvWriter::finish`], so the sink needs no buffering of its
/// own. Dropping the writer without `finish` loses up to 64 KiB.
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    opts: CsvOptions,
    buf: Vec<u8>,
    /// Bytes that force a field to be quoted: the delimiter, `"`, CR, LF.
    special: [bool; 256],
    /// Whether plain texts (numbers, dates) may contain the delimiter and must be checked.
    check_plain: bool,
    /// The table columns written (binary ones are left out), known once the schema is.
    columns: Option<Vec<usize>>,
    /// Number of columns of the schema.
    width: usize,
}

impl<W: Write> CsvWriter<W> {
    pub(crate) fn new(out: W, opts: CsvOptions) -> Self {
        let mut special = [false; 256];
        for b in [opts.delimiter, b'"', b'\r', b'\n'] {
            special[usize::from(b)] = true;
        }
        let d = opts.delimiter;
        let check_plain = d.is_ascii_alphanumeric() || matches!(d, b'+' | b'-' | b'.' | b':');
        CsvWriter {
            out,
            opts,
            buf: Vec::with_capacity(FLUSH_BYTES + 4096),
            special,
            check_plain,
            columns: None,
            width: 0,
        }
    }

    /// Declares the table's schema and writes the header row (when enabled). [`write`]
    /// does this for the first batch; call it first to get a header for a table that may
    /// have no batches. Later calls must give the same number of columns.
    ///
    /// [`write`]: CsvWriter::write
    ///
    /// # Errors
    /// [`EncodeError::Io`] from the sink, [`EncodeError::Input`] for a schema with another
    /// number of columns than the first.
    pub fn write_schema(&mut self, schema: &Schema) -> Result<(), EncodeError> {
        if self.columns.is_some() {
            if schema.fields().len() != self.width {
                return Err(EncodeError::Input(
                    format!("a batch has {} columns but the table has {}", schema.fields().len(), self.width)
                        .into(),
                ));
            }
            return Ok(());
        }
        for f in schema.fields() {
            ColumnFormatter::check_type(f.data_type()).map_err(|e| {
                EncodeError::unsupported(CSV, format!("column {:?} cannot be written as text: {e}", f.name()))
            })?;
        }
        let cols: Vec<usize> =
            (0..schema.fields().len()).filter(|&i| !is_binary(schema.field(i).data_type())).collect();
        if self.opts.header && !cols.is_empty() {
            let names: Vec<&[u8]> = cols.iter().map(|&i| schema.field(i).name().as_bytes()).collect();
            self.put_rows(1, names.len(), |_| true, |_, c, out| out.extend_from_slice(names[c]))?;
        }
        self.columns = Some(cols);
        self.width = schema.fields().len();
        Ok(())
    }

    /// Writes the rows of a batch (after the header, on the first call).
    ///
    /// # Errors
    /// [`EncodeError::Io`] from the sink; [`EncodeError::Input`] for a batch whose column
    /// count differs from the first batch's; [`EncodeError::Unsupported`] for a column type
    /// that has no text form.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        self.write_schema(batch.schema_ref())?;
        let cols = self.columns.as_deref().unwrap_or_default();
        let mut fmts = Vec::with_capacity(cols.len());
        let mut check = Vec::with_capacity(cols.len());
        for &i in cols {
            let f = ColumnFormatter::new(batch.column(i).as_ref())
                .map_err(|e| EncodeError::unsupported(CSV, e.to_string()))?;
            check.push(self.check_plain || !f.text_is_plain());
            fmts.push(f);
        }
        if fmts.is_empty() {
            return Ok(());
        }
        let rows = batch.num_rows();
        self.put_rows(rows, fmts.len(), |c| check[c], |r, c, out| fmts[c].write_text(r, out))
    }

    /// Writes an array of at most 2 dimensions, streaming it in slabs of rows: a 2-D array
    /// as one record per row, a 1-D array as one value per record, a 0-d array as one
    /// value; 0-d and 1-D structured arrays as one record per element with one field per
    /// record field. Never writes a header.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for more than 2 dimensions (before any byte); errors of
    /// [`ArraySource::read_rows`]; [`EncodeError::Io`] from the sink.
    pub fn write_array(&mut self, array: &dyn ArraySource) -> Result<(), EncodeError> {
        check_array_shape(array.shape())?;
        for rows in row_slabs(array, SLAB_BYTES) {
            let slab = array.read_rows(rows)?;
            self.write_slab(&slab)?;
        }
        Ok(())
    }

    /// Hands everything buffered to the sink, flushes it, and returns it.
    ///
    /// # Errors
    /// [`EncodeError::Io`] from the sink.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()?;
        Ok(self.out)
    }

    /// Writes the rows of a slab (or the value of a 0-d array).
    fn write_slab(&mut self, a: &NdArray) -> Result<(), EncodeError> {
        let (rows, cols) = match a.shape() {
            [] => (1, 1),
            [n] => (*n, 1),
            [n, m, ..] => (*n, *m),
        };
        let plain = !self.check_plain;
        match a.data_type() {
            DataType::Record { fields, itemsize } if a.ndim() <= 1 => {
                let bytes = a.as_bytes();
                let nf = fields.len();
                self.put_rows(
                    rows,
                    nf,
                    |_| true,
                    |r, c, out| {
                        let f = &fields[c];
                        let at = r * itemsize + f.offset;
                        cell_from_bytes(&f.data_type, &bytes[at..at + f.data_type.itemsize()])
                            .write_text(out);
                    },
                )?;
            }
            DataType::Float64 if plain && cols > 1 => {
                let v = a.as_slice::<f64>().map_err(|e| EncodeError::Input(Box::new(e)))?;
                self.put_f64_rows(v, cols)?;
            }
            DataType::Float64 => {
                let v = a.as_slice::<f64>().map_err(|e| EncodeError::Input(Box::new(e)))?;
                self.put_rows(rows, cols, |_| !plain, |r, c, out| push_f64_text(v[r * cols + c], out))?;
            }
            DataType::Float32 => {
                let v = a.as_slice::<f32>().map_err(|e| EncodeError::Input(Box::new(e)))?;
                self.put_rows(rows, cols, |_| !plain, |r, c, out| push_f32_text(v[r * cols + c], out))?;
            }
            dt if dt.is_numeric() => a.visit(SlabVisitor { w: self, rows, cols })?,
            dt => {
                let check = !plain
                    || matches!(dt, DataType::Unicode(_) | DataType::Bytes(_) | DataType::Record { .. });
                self.put_rows(rows, cols, |_| check, |r, c, out| a.cell(r * cols + c).write_text(out))?;
            }
        }
        Ok(())
    }

    /// Writes the rows of a float64 matrix (`cols` > 1, no field needs quoting): the hot
    /// loop of large array exports. A slab of at least [`PARALLEL_MIN_VALUES`] values is
    /// split into contiguous runs of rows formatted on [`CsvOptions::with_threads`] threads
    /// (one of them this one) and written in order.
    fn put_f64_rows(&mut self, v: &[f64], cols: usize) -> Result<(), EncodeError> {
        let eol: &[u8] = if self.opts.crlf { b"\r\n" } else { b"\n" };
        let delim = self.opts.delimiter;
        let rows = v.len() / cols;
        let threads = if v.len() >= PARALLEL_MIN_VALUES { self.opts.threads.min(rows) } else { 1 };
        if threads <= 1 {
            for row in v.chunks_exact(cols) {
                format_f64_rows(row, cols, delim, eol, &mut self.buf);
                if self.buf.len() >= FLUSH_BYTES {
                    self.out.write_all(&self.buf)?;
                    self.buf.clear();
                }
            }
            return Ok(());
        }
        let run = rows.div_ceil(threads) * cols;
        // ~20 bytes of text per value: one allocation per run.
        let format = |part: &[f64]| {
            let mut b = Vec::with_capacity(part.len() * 20 + rows);
            format_f64_rows(part, cols, delim, eol, &mut b);
            b
        };
        let parts: Vec<Option<Vec<u8>>> = std::thread::scope(|s| {
            let spawned: Vec<_> = v.chunks(run).skip(1).map(|part| s.spawn(move || format(part))).collect();
            let first = format(&v[..run.min(v.len())]);
            std::iter::once(Some(first)).chain(spawned.into_iter().map(|h| h.join().ok())).collect()
        });
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        for part in parts {
            let part = part
                .ok_or_else(|| EncodeError::Io(std::io::Error::other("a CSV formatting thread panicked")))?;
            self.out.write_all(&part)?;
        }
        Ok(())
    }

    /// Writes `rows` records of `cols` fields; `field(r, c, out)` appends the text of field
    /// `c` of record `r`. Fields of columns where `check(c)` are quoted when their text
    /// needs it. Records of no fields are not written at all.
    #[inline]
    fn put_rows(
        &mut self,
        rows: usize,
        cols: usize,
        check: impl Fn(usize) -> bool,
        mut field: impl FnMut(usize, usize, &mut Vec<u8>),
    ) -> Result<(), EncodeError> {
        if cols == 0 {
            return Ok(());
        }
        let eol: &[u8] = if self.opts.crlf { b"\r\n" } else { b"\n" };
        let delim = self.opts.delimiter;
        let buf = &mut self.buf;
        for r in 0..rows {
            let row_start = buf.len();
            for c in 0..cols {
                if c > 0 {
                    buf.push(delim);
                }
                let start = buf.len();
                field(r, c, buf);
                if check(c) {
                    quote_field(buf, start, &self.special);
                }
            }
            if cols == 1 && buf.len() == row_start {
                buf.extend_from_slice(b"\"\"");
            }
            buf.extend_from_slice(eol);
            if buf.len() >= FLUSH_BYTES {
                self.out.write_all(buf)?;
                buf.clear();
            }
        }
        Ok(())
    }
}

/// The typed fast path for numeric slabs other than floats (integers, booleans, complex).
struct SlabVisitor<'w, W: Write> {
    w: &'w mut CsvWriter<W>,
    rows: usize,
    cols: usize,
}

impl<'a, W: Write> ArrayVisitor<'a> for SlabVisitor<'_, W> {
    type Output = Result<(), EncodeError>;
    fn primitive<T: Element>(self, view: ArrayViewD<'a, T>) -> Self::Output {
        // Slabs come from `NdArray`, which is always C-contiguous.
        let v = view.as_slice().unwrap_or_default();
        let (check, cols) = (self.w.check_plain, self.cols);
        self.w.put_rows(self.rows, cols, |_| check, |r, c, out| v[r * cols + c].write_text(out))
    }
    fn other(self, a: &'a NdArray) -> Self::Output {
        let (check, cols) = (true, self.cols);
        self.w.put_rows(self.rows, cols, |_| check, |r, c, out| a.cell(r * cols + c).write_text(out))
    }
}

/// Refuses arrays of more than 2 dimensions.
pub(crate) fn check_array_shape(shape: &[usize]) -> Result<(), EncodeError> {
    if shape.len() > 2 {
        return Err(EncodeError::unsupported(
            CSV,
            format!(
                "CSV holds at most 2 dimensions and this array has {} (shape {shape:?}); \
                 slice it to 2 dimensions first, e.g. slice=0,:,:",
                shape.len()
            ),
        ));
    }
    Ok(())
}

/// Quotes the field that starts at `start` (and ends the buffer) if it contains a special
/// byte, starts or ends with a space or tab, or starts with U+FEFF (which readers drop as a
/// byte-order mark at the start of a file): wraps it in `"` and doubles inner quotes.
#[inline]
fn quote_field(buf: &mut Vec<u8>, start: usize, special: &[bool; 256]) {
    let field = &buf[start..];
    let (Some(&first), Some(&last)) = (field.first(), field.last()) else {
        return;
    };
    let padded = matches!(first, b' ' | b'\t') || matches!(last, b' ' | b'\t');
    let bom = first == 0xef && field.starts_with("\u{feff}".as_bytes());
    if !padded && !bom && !field.iter().any(|&b| special[usize::from(b)]) {
        return;
    }
    quote_slow(buf, start);
}

#[cold]
fn quote_slow(buf: &mut Vec<u8>, start: usize) {
    let end = buf.len();
    let quotes = buf[start..].iter().filter(|&&b| b == b'"').count();
    buf.resize(end + 2 + quotes, 0);
    // Move the field right, from its end, doubling quotes on the way.
    let mut w = buf.len() - 1;
    buf[w] = b'"';
    for r in (start..end).rev() {
        let b = buf[r];
        w -= 1;
        buf[w] = b;
        if b == b'"' {
            w -= 1;
            buf[w] = b'"';
        }
    }
    buf[start] = b'"';
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn threads_write_the_same_bytes_as_one() {
        // odd and even widths, special values, a row count that does not split evenly
        for cols in [2usize, 7] {
            let rows = PARALLEL_MIN_VALUES / cols + 5;
            let v: Vec<f64> = (0..rows * cols)
                .map(|i| match i % 11 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 1e300,
                    3 => f64::NEG_INFINITY,
                    4 => 0.5,
                    _ => (i as f64).sin() * 1e3,
                })
                .collect();
            let a = NdArray::from_vec(vec![rows, cols], v).unwrap();
            let write = |threads: usize| {
                let mut w = CsvOptions::new().with_threads(threads).build(Vec::new()).unwrap();
                w.write_array(&a).unwrap();
                w.finish().unwrap()
            };
            let one = write(1);
            assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), rows);
            assert_eq!(write(3), one);
            assert_eq!(write(2), one);
        }
    }

    fn q(s: &str) -> String {
        let mut special = [false; 256];
        for b in [b',', b'"', b'\r', b'\n'] {
            special[usize::from(b)] = true;
        }
        let mut buf = b"x,".to_vec();
        buf.extend_from_slice(s.as_bytes());
        quote_field(&mut buf, 2, &special);
        String::from_utf8(buf[2..].to_vec()).unwrap()
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(q("plain"), "plain");
        assert_eq!(q(""), "");
        assert_eq!(q("a,b"), "\"a,b\"");
        assert_eq!(q("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(q("\""), "\"\"\"\"");
        assert_eq!(q("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(q("cr\r"), "\"cr\r\"");
        assert_eq!(q(" lead"), "\" lead\"");
        assert_eq!(q("trail\t"), "\"trail\t\"");
        assert_eq!(q("in side"), "in side");
        assert_eq!(q("é名🙂"), "é名🙂");
        assert_eq!(q("\u{feff}x"), "\"\u{feff}x\"");
        assert_eq!(q("x\u{feff}"), "x\u{feff}");
    }
}
