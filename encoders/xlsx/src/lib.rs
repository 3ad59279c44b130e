//! Excel workbooks (`.xlsx`) from Arrow tables and xarray datasets, through rust_xlsxwriter.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{BooleanArray, Float64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use calamine::{Data, Reader, Xlsx};
//! use tessera_xlsx::XlsxOptions;
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("x", DataType::Float64, true),
//!     Field::new("note", DataType::Utf8, true),
//!     Field::new("ok", DataType::Boolean, true),
//! ]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![
//!     Arc::new(Float64Array::from(vec![Some(1.5), None])),
//!     Arc::new(StringArray::from(vec!["=1+1", "<b>"])),
//!     Arc::new(BooleanArray::from(vec![true, false])),
//! ]).unwrap();
//! let mut w = XlsxOptions::default().build(Vec::new(), &schema).unwrap();
//! w.write(&batch).unwrap();
//! let bytes = w.finish().unwrap();
//!
//! let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
//! let sheet = book.worksheet_range("Sheet1").unwrap();
//! assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("x".into())));
//! assert_eq!(sheet.get_value((1, 0)), Some(&Data::Float(1.5)));
//! assert_eq!(sheet.get_value((1, 1)), Some(&Data::String("=1+1".into()))); // text, not a formula
//! assert_eq!(sheet.get_value((2, 0)), Some(&Data::Empty)); // null
//! assert_eq!(sheet.get_value((2, 2)), Some(&Data::Bool(false)));
//! ```
//!
//! # Format
//!
//! One worksheet, `Sheet1`, holds a bold header row of column names, frozen, then one row
//! per table row. A table longer than a sheet (1,048,576 rows with the header, Excel's
//! limit; see [`XlsxOptions::with_max_rows_per_sheet`]) continues on `Sheet2`, `Sheet3`, …,
//! each starting with the header again. Cells by Arrow type:
//!
//! | Arrow type | cell |
//! |---|---|
//! | null value (any type) | empty cell |
//! | `Null` | empty cells under the header |
//! | `Boolean` | boolean |
//! | integers, `Duration` (its count of units) | number when \|v\| ≤ 2^53 ([`MAX_EXACT_INTEGER`]), otherwise text of the exact digits: Excel numbers are `f64`, and a larger integer would silently change |
//! | `Float64` | number; NaN and ±infinity → empty cell (Excel has no such values) |
//! | `Float16`, `Float32` | number of the value's shortest decimal text (`0.1f32` → 0.1, as the text formats print it); NaN/±inf → empty |
//! | `Decimal*` | number when it has ≤ 15 significant digits ([`MAX_DECIMAL_DIGITS`]), otherwise its exact text |
//! | `Utf8`, `LargeUtf8`, `Utf8View` | text, always (a leading `=` never makes a formula); an empty string is an empty cell; longer than 32,767 UTF-16 units (Excel's cell limit) → cut to the first 32,767 units at a character boundary, as xlsxwriter does |
//! | `Date32`, `Date64` | Excel date, format `yyyy-mm-dd` |
//! | `Timestamp` (any unit) | Excel date-time, format `yyyy-mm-dd hh:mm:ss`; zone-aware timestamps are shown in UTC (Excel dates have no zone); precision is about 1 µs near today (an `f64` count of days) |
//! | dates and timestamps before 1900-01-01 or after 9999-12-31 | ISO 8601 text (outside Excel's date range) |
//! | `Time32`, `Time64` | Excel time (fraction of a day), format `hh:mm:ss` |
//! | `Dictionary` | as its value type |
//! | `Binary`, `LargeBinary`, `BinaryView`, `FixedSizeBinary` | left out of the sheet (no column) |
//! | lists, structs, maps | JSON text (`[1,null]`, `{"a":1}`), as [`tessera_core::columns`] writes it |
//! | intervals, unions, run-end encoded | Arrow's display text |
//!
//! Sheet rows go to anonymous temporary files as they are written (rust_xlsxwriter's
//! constant-memory mode): memory stays flat whatever the table's size, and the files vanish
//! when the writer is dropped. When they cannot be written (a full disk), rust_xlsxwriter
//! panics; the writer catches that and fails with [`EncodeError::Backend`] instead. An xlsx
//! file is a zip archive whose directory comes last, so the encoders are
//! [`Output::Buffered`].
//!
//! Exact output bytes are not covered by semver (and differ between runs: the workbook
//! records its creation time); the mapping above is.
//!
//! # Registration
//!
//! `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` (alias `xlsx`) for
//! tables ([`XlsxEncoder`]) and xarray datasets ([`XlsxDatasetEncoder`], through the
//! dataset's table form). Neither takes media-type parameters.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod options;
mod writer;

use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::dataset::Dataset;
use tessera_core::{
    BatchStream, DatasetEncoder, EncodeError, Family, MediaType, Output, Params, Registration, Spec,
    TableEncoder,
};

pub use options::{EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, EXCEL_MAX_STRING, XlsxOptions};
pub use writer::{MAX_DECIMAL_DIGITS, MAX_EXACT_INTEGER, XlsxWriter};

/// The xlsx media type.
pub const XLSX: MediaType =
    MediaType::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");

/// Writes tables as xlsx workbooks.
#[derive(Debug, Clone, Copy, Default)]
pub struct XlsxEncoder;

/// Writes xarray datasets as xlsx workbooks of their table form
/// ([`Dataset::to_table`]: one row per point, a column per coordinate and variable).
#[derive(Debug, Clone, Copy, Default)]
pub struct XlsxDatasetEncoder;

const fn spec(family: Family) -> Spec {
    Spec {
        media_type: XLSX,
        aliases: &["xlsx"],
        family,
        output: Output::Buffered,
        params: &[],
        default_rank: 100,
        provider: "tessera-xlsx",
        description: "Excel workbook: typed cells, dates as Excel dates, more sheets past 1,048,576 rows",
    }
}

static TABLE_SPEC: Spec = spec(Family::Table);
static DATASET_SPEC: Spec = spec(Family::Dataset);

/// The encoders of this crate, for [`tessera_core::Registry::from_static`].
pub const REGISTRATIONS: &[Registration] =
    &[Registration::Table(&XlsxEncoder), Registration::Dataset(&XlsxDatasetEncoder)];

tessera_core::inventory::submit! { Registration::Table(&XlsxEncoder) }
tessera_core::inventory::submit! { Registration::Dataset(&XlsxDatasetEncoder) }

/// Writes every batch of `table` and copies the workbook into `out`.
fn encode_stream(table: &mut dyn BatchStream, out: &mut dyn Write) -> Result<(), EncodeError> {
    // rust_xlsxwriter wants a `Send` sink; `out` is not, so the zip goes through a buffer
    // (the format is buffered anyway: the zip directory comes last).
    let mut w = XlsxWriter::new(Vec::new(), &table.schema())?;
    for batch in table {
        w.write(&batch?)?;
    }
    out.write_all(&w.finish()?)?;
    Ok(())
}

fn check(schema: &Schema, params: &Params) -> Result<(), EncodeError> {
    params.check_known(TABLE_SPEC.params)?;
    writer::check_schema(schema)
}

impl TableEncoder for XlsxEncoder {
    fn spec(&self) -> &'static Spec {
        &TABLE_SPEC
    }

    fn check(&self, schema: &Schema, params: &Params) -> Result<(), EncodeError> {
        check(schema, params)
    }

    fn encode(
        &self,
        table: &mut dyn BatchStream,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        check(&table.schema(), params)?;
        encode_stream(table, out)
    }
}

impl DatasetEncoder for XlsxDatasetEncoder {
    fn spec(&self) -> &'static Spec {
        &DATASET_SPEC
    }

    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        params.check_known(DATASET_SPEC.params)?;
        let table = dataset.table_form(XLSX)?;
        check(table.schema(), params)?;
        encode_stream(&mut table.stream(), out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field};

    #[test]
    fn unknown_params_and_too_many_columns_are_refused() {
        let schema = Schema::new(vec![Field::new("a", DataType::Int64, true)]);
        assert!(matches!(
            XlsxEncoder.check(&schema, &Params::new().with("sheet", "x")),
            Err(EncodeError::InvalidOption { .. })
        ));
        let wide = Schema::new(
            (0..=EXCEL_MAX_COLUMNS)
                .map(|i| Field::new(format!("c{i}"), DataType::Int8, true))
                .collect::<Vec<_>>(),
        );
        assert!(matches!(XlsxEncoder.check(&wide, &Params::new()), Err(EncodeError::Limit { .. })));
        // Binary columns are left out, so they do not count.
        let mut fields: Vec<_> = wide.fields().iter().cloned().collect();
        fields[0] = Arc::new(Field::new("bin", DataType::Binary, true));
        assert!(XlsxEncoder.check(&Schema::new(fields), &Params::new()).is_ok());
    }
}
