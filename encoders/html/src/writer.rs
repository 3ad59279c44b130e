//! [`HtmlWriter`] for tables and [`write_array`] for arrays: pages with one `<table>`,
//! streamed through a buffer.

use std::io::{self, Write};

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use ndarray::ArrayViewD;
use tessera_core::columns::{ColumnFormatter, is_binary};
use tessera_core::encoder::row_slabs;
use tessera_core::raw::SLAB_BYTES;
use tessera_core::{ArraySource, ArrayVisitor, Element, EncodeError, NdArray};

use crate::HtmlOptions;

/// Bytes gathered before they are written to the sink.
const FLUSH_BYTES: usize = 64 << 10;

/// Appends `s` with `& < > " '` escaped as entities, so no text can open markup, plus
/// `\r` as `&#13;` (a parser would turn a raw one into `\n`) and NUL as U+FFFD (what a
/// parser reads it as anyway).
pub(crate) fn escape_into(s: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            b'\r' => b"&#13;",
            0 => "\u{fffd}".as_bytes(),
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

/// Writes the page up to the opening `<table>`.
fn open_page(out: &mut Vec<u8>, title: &str) {
    out.extend_from_slice(b"<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
    escape_into(title.as_bytes(), out);
    out.extend_from_slice(
        b"</title>\n<style>table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:2px 6px}\
          p.omitted{font-style:italic}</style>\n</head>\n<body>\n<table border=\"1\" class=\"dataframe\">\n",
    );
}

/// A note under the table, when something was left out; `what` is `row` or `column`.
fn omitted_note(out: &mut Vec<u8>, what: &str, shown: usize, total: usize, param: &str, limit: usize) {
    if total > shown {
        let omitted = total - shown;
        let plural = if omitted == 1 { "" } else { "s" };
        let note = format!(
            "<p class=\"omitted\">Showing the first {shown} of {total} {what}s; {omitted} {what}{plural} omitted \
             (limit {param}={limit}).</p>\n"
        );
        out.extend_from_slice(note.as_bytes());
    }
}

fn close_page(out: &mut Vec<u8>) {
    out.extend_from_slice(b"</body>\n</html>\n");
}

/// Writes a table as an HTML page, batch by batch.
///
/// The page has a `<thead>` row of column names and a `<tbody>` row per table row, up to
/// [`HtmlOptions::with_max_rows`]; rows after that are counted, not written, and a note
/// under the table says how many were left out. See the crate documentation for the
/// exact page.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Int64Array, RecordBatch};
/// # use arrow::datatypes::{DataType, Field, Schema};
/// use tessera_html::HtmlOptions;
/// let schema = Schema::new(vec![Field::new("n", DataType::Int64, false)]);
/// let batch = RecordBatch::try_new(Arc::new(schema.clone()), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap();
/// let mut w = HtmlOptions::default().with_max_rows(2).build(Vec::new(), &schema);
/// w.write(&batch).unwrap();
/// let page = String::from_utf8(w.finish().unwrap()).unwrap();
/// assert!(page.contains("<tr><td>1</td></tr>\n<tr><td>2</td></tr>\n</tbody>"));
/// assert!(page.contains("Showing the first 2 of 3 rows; 1 row omitted"));
/// ```
#[derive(Debug)]
pub struct HtmlWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    scratch: Vec<u8>,
    options: HtmlOptions,
    /// Field indices of the written columns.
    columns: Vec<usize>,
    /// Non-binary columns in the schema (the shown ones are the first `max_columns`).
    text_columns: usize,
    /// Names of binary columns, which are not shown.
    binary: Vec<String>,
    rows_shown: usize,
    rows_total: usize,
}

impl<W: Write> HtmlWriter<W> {
    /// A writer of a page of `schema`'s columns; see [`HtmlOptions::build`].
    pub fn new(out: W, schema: &Schema, options: HtmlOptions) -> Self {
        let text: Vec<usize> =
            (0..schema.fields().len()).filter(|&i| !is_binary(schema.field(i).data_type())).collect();
        let binary =
            schema.fields().iter().filter(|f| is_binary(f.data_type())).map(|f| f.name().clone()).collect();
        let text_columns = text.len();
        let columns: Vec<usize> = text.into_iter().take(options.max_columns).collect();
        let mut buf = Vec::with_capacity(FLUSH_BYTES + (FLUSH_BYTES >> 2));
        open_page(&mut buf, options.title.as_deref().unwrap_or("Table"));
        buf.extend_from_slice(b"<thead>\n<tr>");
        for &c in &columns {
            buf.extend_from_slice(b"<th>");
            escape_into(schema.field(c).name().as_bytes(), &mut buf);
            buf.extend_from_slice(b"</th>");
        }
        buf.extend_from_slice(b"</tr>\n</thead>\n<tbody>\n");
        HtmlWriter {
            out,
            buf,
            scratch: Vec::new(),
            options,
            columns,
            text_columns,
            binary,
            rows_shown: 0,
            rows_total: 0,
        }
    }

    /// Writes the rows of `batch` that are still under the row limit and counts the rest.
    ///
    /// # Errors
    /// [`EncodeError::Io`] when writing fails; [`EncodeError::Input`] when the batch has
    /// fewer columns than the schema.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        let n = batch.num_rows();
        self.rows_total += n;
        let take = n.min(self.options.max_rows.saturating_sub(self.rows_shown));
        if take == 0 {
            return Ok(());
        }
        let mut cols = Vec::with_capacity(self.columns.len());
        for &c in &self.columns {
            let a = batch.columns().get(c).ok_or_else(|| {
                EncodeError::Input(Box::new(ArrowError::SchemaError(format!(
                    "batch has {} columns, the schema more",
                    batch.num_columns()
                ))))
            })?;
            let f = ColumnFormatter::new(a.as_ref())?;
            let plain = f.text_is_plain();
            cols.push((f, plain));
        }
        for i in 0..take {
            self.buf.extend_from_slice(b"<tr>");
            for (f, plain) in &mut cols {
                self.buf.extend_from_slice(b"<td>");
                if *plain {
                    f.write_text(i, &mut self.buf);
                } else {
                    self.scratch.clear();
                    f.write_text(i, &mut self.scratch);
                    escape_into(&self.scratch, &mut self.buf);
                }
                self.buf.extend_from_slice(b"</td>");
            }
            self.buf.extend_from_slice(b"</tr>\n");
            if self.buf.len() >= FLUSH_BYTES {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        self.rows_shown += take;
        Ok(())
    }

    /// The sink (what has been flushed to it so far).
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Closes the table, adds the notes on what was left out, and returns the sink.
    ///
    /// # Errors
    /// [`EncodeError::Io`] when writing fails.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        self.buf.extend_from_slice(b"</tbody>\n</table>\n");
        let o = &self.options;
        omitted_note(&mut self.buf, "row", self.rows_shown, self.rows_total, "max_rows", o.max_rows);
        omitted_note(
            &mut self.buf,
            "column",
            self.columns.len(),
            self.text_columns,
            "max_columns",
            o.max_columns,
        );
        if !self.binary.is_empty() {
            self.buf.extend_from_slice(b"<p class=\"omitted\">Binary columns are not shown: ");
            escape_into(self.binary.join(", ").as_bytes(), &mut self.buf);
            self.buf.extend_from_slice(b".</p>\n");
        }
        close_page(&mut self.buf);
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes `nrows` rows of an array's elements as `<tr>`s: a `<th>` row index (not for
/// 0-d arrays), then the first `shown` of the `ncols` elements of each row.
struct Rows<'o> {
    out: &'o mut dyn Write,
    buf: &'o mut Vec<u8>,
    first_row: usize,
    nrows: usize,
    ncols: usize,
    shown: usize,
    index: bool,
}

impl Rows<'_> {
    /// `cell(k, buf)` appends the element of flat (C-order) index `k` of the slab.
    fn write(self, mut cell: impl FnMut(usize, &mut Vec<u8>)) -> io::Result<()> {
        for r in 0..self.nrows {
            self.buf.extend_from_slice(b"<tr>");
            if self.index {
                self.buf.extend_from_slice(format!("<th>{}</th>", self.first_row + r).as_bytes());
            }
            for c in 0..self.shown {
                self.buf.extend_from_slice(b"<td>");
                cell(r * self.ncols + c, self.buf);
                self.buf.extend_from_slice(b"</td>");
            }
            self.buf.extend_from_slice(b"</tr>\n");
            if self.buf.len() >= FLUSH_BYTES {
                self.out.write_all(self.buf)?;
                self.buf.clear();
            }
        }
        Ok(())
    }
}

impl<'a> ArrayVisitor<'a> for Rows<'_> {
    type Output = io::Result<()>;

    fn primitive<T: Element>(self, view: ArrayViewD<'a, T>) -> io::Result<()> {
        // Numbers and booleans need no escaping. Slabs are C-order, so `as_slice` is `Some`.
        match view.as_slice() {
            Some(s) => self.write(|k, buf| s[k].write_text(buf)),
            None => {
                let s: Vec<T> = view.iter().copied().collect();
                self.write(|k, buf| s[k].write_text(buf))
            }
        }
    }

    fn other(self, array: &'a NdArray) -> io::Result<()> {
        let mut scratch = Vec::new();
        self.write(|k, buf| {
            scratch.clear();
            array.cell(k).write_text(&mut scratch);
            escape_into(&scratch, buf);
        })
    }
}

/// Writes an array of up to 2 dimensions as an HTML page (see the crate documentation).
///
/// # Errors
/// [`EncodeError::Unsupported`] for more than 2 dimensions (before any byte),
/// [`EncodeError::Io`] when writing fails, errors of the source when reading fails.
pub fn write_array(
    array: &dyn ArraySource,
    options: &HtmlOptions,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let shape = array.shape().to_vec();
    crate::check_array_shape(&shape)?;
    let (rows_total, ncols) = match shape.as_slice() {
        [] => (1, 1),
        [n] => (*n, 1),
        [n, c] => (*n, *c),
        _ => unreachable!("checked above"),
    };
    let index = !shape.is_empty();
    let rows_shown = rows_total.min(options.max_rows);
    let shown = ncols.min(options.max_columns);
    let mut buf = Vec::with_capacity(FLUSH_BYTES + (FLUSH_BYTES >> 2));
    open_page(&mut buf, options.title.as_deref().unwrap_or("Array"));
    if shape.len() == 2 {
        buf.extend_from_slice(b"<thead>\n<tr><th></th>");
        for c in 0..shown {
            buf.extend_from_slice(format!("<th>{c}</th>").as_bytes());
        }
        buf.extend_from_slice(b"</tr>\n</thead>\n");
    }
    buf.extend_from_slice(b"<tbody>\n");
    // A 0-d array reads as one slab `0..1` of one row.
    for range in row_slabs(array, SLAB_BYTES) {
        if range.start >= rows_shown {
            break;
        }
        let range = range.start..range.end.min(rows_shown);
        let slab = array.read_rows(range.clone())?;
        let first_row = range.start;
        let rows = Rows { out: &mut *out, buf: &mut buf, first_row, nrows: range.len(), ncols, shown, index };
        slab.visit(rows)?;
    }
    buf.extend_from_slice(b"</tbody>\n</table>\n");
    omitted_note(&mut buf, "row", rows_shown, rows_total, "max_rows", options.max_rows);
    omitted_note(&mut buf, "column", shown, ncols, "max_columns", options.max_columns);
    close_page(&mut buf);
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        let mut out = Vec::new();
        escape_into("a<b>&\"c'\r\0é".as_bytes(), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "a&lt;b&gt;&amp;&quot;c&#39;&#13;\u{fffd}é");
    }
}
