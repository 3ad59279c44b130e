//! HTML pages showing tables, arrays and xarray datasets as one `<table>`.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_html::HtmlOptions;
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("x", DataType::Float64, true),
//!     Field::new("<tag>", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![
//!     Arc::new(Float64Array::from(vec![Some(0.5), None])),
//!     Arc::new(StringArray::from(vec!["a & b", "<script>"])),
//! ]).unwrap();
//! let mut w = HtmlOptions::default().build(Vec::new(), &schema);
//! w.write(&batch).unwrap();
//! let page = String::from_utf8(w.finish().unwrap()).unwrap();
//! assert!(page.starts_with("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"));
//! assert!(page.contains(concat!(
//!     "<thead>\n<tr><th>x</th><th>&lt;tag&gt;</th></tr>\n</thead>\n<tbody>\n",
//!     "<tr><td>0.5</td><td>a &amp; b</td></tr>\n",
//!     "<tr><td></td><td>&lt;script&gt;</td></tr>\n",
//!     "</tbody>\n</table>\n",
//! )));
//! assert!(page.ends_with("</body>\n</html>\n"));
//! ```
//!
//! # Format
//!
//! An HTML5 page in UTF-8 (`<meta charset="utf-8">`) whose body holds one
//! `<table border="1" class="dataframe">` (pandas' classes, so its stylesheets apply),
//! written one row per line, then notes (`<p class="omitted">`) on anything left out.
//!
//! - **Tables**: a `<thead>` row of column names in `<th>`, then a `<tbody>` row per table
//!   row with a `<td>` per column. Cell text is [`tessera_core::columns`]' text form, the
//!   same as CSV's: numbers in shortest round-trip form (`nan`, `inf`), `true`/`false`,
//!   ISO 8601 dates and times (`Z` for zone-aware timestamps), nested values as JSON. Null
//!   cells are empty. Binary columns are not shown (a note names them).
//! - **Arrays** of 0, 1 or 2 dimensions: a 2-D array has a `<thead>` row of column indices
//!   after an empty corner cell; every row starts with its index in a `<th>`; a 1-D array
//!   is one column; a 0-d array one cell. Elements as [`tessera_core::Cell::write_text`]:
//!   complex as `1.5-2.0j`, records as JSON arrays. More than 2 dimensions is
//!   [`EncodeError::Unsupported`]: slice the array first.
//! - **Datasets**: their table form ([`Dataset::to_table`]).
//!
//! All text — cells, column names, the title — is escaped: `&`, `<`, `>`, `"`, `'` become
//! entities, so no value can open markup; `\r` becomes `&#13;` (to survive parsing) and NUL
//! becomes U+FFFD.
//!
//! A page shows at most [`HtmlOptions::with_max_rows`] rows (default 10,000; media-type
//! parameter `max_rows`, e.g. `text/html;max_rows=500`, up to 1,000,000) and
//! [`HtmlOptions::with_max_columns`] columns (default 1,000; parameter `max_columns`, up
//! to 10,000), so that a huge node cannot make an unbounded page. Past the limit, rows are
//! counted but not written, and a note such as `Showing the first 10000 of 250000 rows;
//! 240000 rows omitted (limit max_rows=10000).` follows the table. Counting reads the rest
//! of a table's batches.
//!
//! Pages stream ([`Output::Streaming`]): rows are written in blocks of about 64 KiB as
//! they are read. Exact output bytes are not covered by semver; the structure above is.
//!
//! # Registration
//!
//! `text/html` (aliases `html`, `htm`) for arrays ([`HtmlArrayEncoder`]), tables
//! ([`HtmlEncoder`]) and datasets ([`HtmlDatasetEncoder`]), with the parameters
//! `max_rows` and `max_columns`.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod options;
mod writer;

use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::dataset::Dataset;
use tessera_core::{
    ArrayEncoder, ArraySource, BatchStream, DataType, DatasetEncoder, EncodeError, Family, MediaType, Output,
    Params, Registration, Spec, TableEncoder,
};

pub use options::{DEFAULT_MAX_COLUMNS, DEFAULT_MAX_ROWS, HtmlOptions, PARAM_MAX_COLUMNS, PARAM_MAX_ROWS};
pub use writer::{HtmlWriter, write_array};

/// The HTML media type.
pub const HTML: MediaType = MediaType::from_static("text/html");

/// Writes tables as HTML pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlEncoder;

/// Writes arrays of up to 2 dimensions as HTML pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlArrayEncoder;

/// Writes xarray datasets as HTML pages of their table form.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlDatasetEncoder;

const fn spec(family: Family) -> Spec {
    Spec {
        media_type: HTML,
        aliases: &["html", "htm"],
        family,
        output: Output::Streaming,
        params: options::PARAMS,
        default_rank: 100,
        provider: "tessera-html",
        description: "HTML page with one table (rows capped by max_rows, default 10000)",
    }
}

static TABLE_SPEC: Spec = spec(Family::Table);
static ARRAY_SPEC: Spec = spec(Family::Array);
static DATASET_SPEC: Spec = spec(Family::Dataset);

/// The encoders of this crate, for [`tessera_core::Registry::from_static`].
pub const REGISTRATIONS: &[Registration] = &[
    Registration::Table(&HtmlEncoder),
    Registration::Array(&HtmlArrayEncoder),
    Registration::Dataset(&HtmlDatasetEncoder),
];

tessera_core::inventory::submit! { Registration::Table(&HtmlEncoder) }
tessera_core::inventory::submit! { Registration::Array(&HtmlArrayEncoder) }
tessera_core::inventory::submit! { Registration::Dataset(&HtmlDatasetEncoder) }

/// Refuses arrays of more than 2 dimensions.
fn check_array_shape(shape: &[usize]) -> Result<(), EncodeError> {
    if shape.len() > 2 {
        return Err(EncodeError::unsupported(
            HTML,
            format!(
                "an HTML table shows arrays of up to 2 dimensions, this one has {} (shape {shape:?}); \
                 slice it to 2 dimensions first, e.g. slice=0",
                shape.len()
            ),
        ));
    }
    Ok(())
}

/// Writes every batch of `table`, counting the rows past the limit.
fn encode_stream(
    table: &mut dyn BatchStream,
    options: HtmlOptions,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let mut w = options.build(out, &table.schema());
    for batch in table {
        w.write(&batch?)?;
    }
    w.finish()?;
    Ok(())
}

impl TableEncoder for HtmlEncoder {
    fn spec(&self) -> &'static Spec {
        &TABLE_SPEC
    }

    fn check(&self, _: &Schema, params: &Params) -> Result<(), EncodeError> {
        HtmlOptions::from_params(params).map(drop)
    }

    fn encode(
        &self,
        table: &mut dyn BatchStream,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        encode_stream(table, HtmlOptions::from_params(params)?, out)
    }
}

impl ArrayEncoder for HtmlArrayEncoder {
    fn spec(&self) -> &'static Spec {
        &ARRAY_SPEC
    }

    fn check(&self, _: &DataType, shape: &[usize], params: &Params) -> Result<(), EncodeError> {
        HtmlOptions::from_params(params)?;
        check_array_shape(shape)
    }

    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        let options = HtmlOptions::from_params(params)?;
        write_array(array, &options, out)
    }
}

impl DatasetEncoder for HtmlDatasetEncoder {
    fn spec(&self) -> &'static Spec {
        &DATASET_SPEC
    }

    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        let options = HtmlOptions::from_params(params)?.with_title("Dataset");
        let table = dataset.table_form(HTML)?;
        encode_stream(&mut table.stream(), options, out)
    }
}
