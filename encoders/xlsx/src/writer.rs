//! [`XlsxWriter`]: Arrow record batches into worksheets, row by row, in constant memory.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float32Array, Float64Array, Int64Array, LargeStringArray,
    RecordBatch, StringArray, StringViewArray, UInt64Array,
};
use arrow::buffer::NullBuffer;
use arrow::compute::cast;
use arrow::datatypes::{
    DataType as ArrowType, Float32Type, Float64Type, Int64Type, Schema, TimeUnit, UInt64Type,
};
use arrow::error::ArrowError;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use tessera_core::EncodeError;
use tessera_core::columns::ColumnFormatter;

use crate::XLSX;
use crate::options::{EXCEL_MAX_COLUMNS, EXCEL_MAX_STRING, XlsxOptions};

/// Integers up to this magnitude are exact in an `f64` (Excel's number type); larger ones
/// are written as text so that no digit is lost.
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Decimals with at most this many significant digits are written as numbers (Excel shows
/// 15 digits); longer ones are written as text.
pub const MAX_DECIMAL_DIGITS: usize = 15;

/// The Excel serial number of 1970-01-01 (1900 date system).
const UNIX_EPOCH_SERIAL: i64 = 25_569;
/// 1900-01-01 and 9999-12-31 as days since 1970-01-01: the range of Excel dates.
const FIRST_EXCEL_DAY: i64 = -25_567;
const LAST_EXCEL_DAY: i64 = 2_932_896;
const NANOS_PER_DAY: f64 = 86_400e9;

const DATE_FORMAT: &str = "yyyy-mm-dd";
const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";
const TIME_FORMAT: &str = "hh:mm:ss";

/// How one Arrow column is written, decided once from its data type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Binary: left out of the sheet.
    Omit,
    /// The `Null` type: a header over empty cells.
    Empty,
    Bool,
    /// Every integer type but `UInt64`, and durations (their count of units).
    Int,
    UInt,
    /// `Float16` and `Float32`.
    F32,
    F64,
    Str,
    /// `Date32`.
    Days,
    /// `Timestamp` of any unit and zone, `Date64` (milliseconds, `date` true).
    Instant {
        unit: TimeUnit,
        date: bool,
    },
    /// `Time32`/`Time64`: a fraction of a day.
    Time {
        unit: TimeUnit,
    },
    Decimal,
    /// Nested and other types: their text (JSON for nested values), by
    /// [`ColumnFormatter::write_text`].
    Json,
}

impl Kind {
    fn of(dt: &ArrowType) -> Kind {
        use ArrowType as T;
        match dt {
            T::Null => Kind::Empty,
            T::Boolean => Kind::Bool,
            T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 | T::Duration(_) => {
                Kind::Int
            }
            T::UInt64 => Kind::UInt,
            T::Float16 | T::Float32 => Kind::F32,
            T::Float64 => Kind::F64,
            T::Utf8 | T::LargeUtf8 | T::Utf8View => Kind::Str,
            T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_) => Kind::Omit,
            T::Date32 => Kind::Days,
            T::Date64 => Kind::Instant { unit: TimeUnit::Millisecond, date: true },
            T::Timestamp(unit, _) => Kind::Instant { unit: *unit, date: false },
            T::Time32(unit) | T::Time64(unit) => Kind::Time { unit: *unit },
            T::Decimal32(..) | T::Decimal64(..) | T::Decimal128(..) | T::Decimal256(..) => Kind::Decimal,
            T::Dictionary(_, values) => Kind::of(values),
            _ => Kind::Json,
        }
    }

    /// The Arrow type the column is cast to before writing, if any.
    fn cast_to(self, dt: &ArrowType) -> Option<ArrowType> {
        let target = match self {
            Kind::Int | Kind::Days | Kind::Instant { .. } | Kind::Time { .. } => ArrowType::Int64,
            Kind::F32 => ArrowType::Float32,
            // The formatter reads dictionaries itself; omitted and null columns are not read.
            Kind::Decimal | Kind::Json | Kind::Empty | Kind::Omit => return None,
            _ => match dt {
                ArrowType::Dictionary(_, values) => values.as_ref().clone(),
                _ => return None,
            },
        };
        (&target != dt).then_some(target)
    }
}

/// One column of the sheet.
#[derive(Debug, Clone)]
struct Plan {
    kind: Kind,
    /// The sheet column (binary columns are left out, so it can differ from the field index).
    col: u16,
    name: String,
}

/// The formats a sheet uses, registered once per workbook.
struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    time: Format,
}

/// Writes Arrow record batches as an Excel workbook (`.xlsx`).
///
/// Rows are streamed into anonymous temporary files (rust_xlsxwriter's constant-memory
/// mode), so memory stays flat whatever the table's size; [`XlsxWriter::finish`] zips them
/// into `out`. See the crate documentation for how each Arrow type is written.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Int64Array, RecordBatch};
/// # use arrow::datatypes::{DataType, Field, Schema};
/// use tessera_xlsx::XlsxOptions;
/// let schema = Schema::new(vec![Field::new("n", DataType::Int64, false)]);
/// let batch = RecordBatch::try_new(Arc::new(schema.clone()), vec![Arc::new(Int64Array::from(vec![1, 2]))]).unwrap();
/// let mut w = XlsxOptions::default().build(Vec::new(), &schema).unwrap();
/// w.write(&batch).unwrap();
/// let bytes = w.finish().unwrap();
/// assert_eq!(&bytes[..2], b"PK"); // a zip container
/// ```
pub struct XlsxWriter<W: Write + Send> {
    out: W,
    workbook: Workbook,
    options: XlsxOptions,
    plans: Vec<Plan>,
    /// Arrow type of every field, to check that batches match.
    types: Vec<ArrowType>,
    formats: Formats,
    /// Index of the sheet being written.
    sheet: usize,
    /// The next row of that sheet.
    row: u32,
    /// Set when writing failed part-way: the workbook is incomplete.
    failed: bool,
}

impl<W: Write + Send> std::fmt::Debug for XlsxWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxWriter")
            .field("options", &self.options)
            .field("sheet", &self.sheet)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

fn backend(e: XlsxError) -> EncodeError {
    match e {
        XlsxError::IoError(io) => EncodeError::Io(io),
        other => EncodeError::backend(XLSX, other),
    }
}

/// Runs `f`, turning a panic into [`EncodeError::Backend`].
///
/// rust_xlsxwriter panics when it cannot write its temporary files (a full disk, say) rather
/// than returning an error; an export must fail with an error instead.
fn unpanic<T>(f: impl FnOnce() -> Result<T, EncodeError>) -> Result<T, EncodeError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Err(EncodeError::backend(XLSX, format!("the xlsx library failed: {message}")))
    })
}

/// Plans the sheet columns of a schema.
///
/// # Errors
/// [`EncodeError::Limit`] when more than 16,384 columns would be written.
fn plan(schema: &Schema) -> Result<Vec<Plan>, EncodeError> {
    let mut col = 0usize;
    let mut plans = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let kind = Kind::of(f.data_type());
        if kind != Kind::Omit {
            if col >= EXCEL_MAX_COLUMNS {
                return Err(EncodeError::Limit {
                    what: format!(
                        "the {} written columns of this table (an Excel sheet has at most {EXCEL_MAX_COLUMNS}); \
                         select fewer columns",
                        schema.fields().iter().filter(|f| Kind::of(f.data_type()) != Kind::Omit).count()
                    ),
                    limit: EXCEL_MAX_COLUMNS as u64,
                });
            }
            col += 1;
        }
        // `col` is at most 16,384 here, so the cast is lossless.
        plans.push(Plan { kind, col: col.saturating_sub(1) as u16, name: f.name().clone() });
    }
    Ok(plans)
}

/// Checks that a schema can be written (the column limit); used by the encoders' `check`.
///
/// # Errors
/// As [`XlsxOptions::build`].
pub(crate) fn check_schema(schema: &Schema) -> Result<(), EncodeError> {
    plan(schema).map(drop)
}

impl<W: Write + Send> XlsxWriter<W> {
    /// A writer with default options; see [`XlsxOptions::build`].
    ///
    /// # Errors
    /// As [`XlsxOptions::build`].
    pub fn new(out: W, schema: &Schema) -> Result<Self, EncodeError> {
        Self::try_new(out, schema, XlsxOptions::default())
    }

    /// A writer with `options`; the first sheet and its header row are created here.
    ///
    /// # Errors
    /// As [`XlsxOptions::build`].
    pub fn try_new(out: W, schema: &Schema, options: XlsxOptions) -> Result<Self, EncodeError> {
        options.validate()?;
        let plans = plan(schema)?;
        let mut workbook = Workbook::new();
        workbook.set_zip_compression_level(options.compression_level);
        if let Some(dir) = &options.tempdir {
            workbook.set_tempdir(dir).map_err(backend)?;
        }
        let formats = Formats {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format(DATE_FORMAT),
            datetime: Format::new().set_num_format(DATETIME_FORMAT),
            time: Format::new().set_num_format(TIME_FORMAT),
        };
        let types = schema.fields().iter().map(|f| f.data_type().clone()).collect();
        let mut w =
            XlsxWriter { out, workbook, options, plans, types, formats, sheet: 0, row: 0, failed: false };
        unpanic(|| w.add_sheet())?;
        Ok(w)
    }

    /// Starts a new sheet (`Sheet{n}`): column formats, the bold header row, frozen.
    fn add_sheet(&mut self) -> Result<(), EncodeError> {
        let ws = self.workbook.add_worksheet_with_constant_memory().map_err(backend)?;
        for p in self.plans.iter().filter(|p| p.kind != Kind::Omit) {
            let (format, width) = match p.kind {
                Kind::Days => (&self.formats.date, 11.0),
                Kind::Instant { date: true, .. } => (&self.formats.date, 11.0),
                Kind::Instant { date: false, .. } => (&self.formats.datetime, 19.0),
                Kind::Time { .. } => (&self.formats.time, 9.0),
                _ => {
                    ws.write_string_with_format(0, p.col, excel_text(&p.name), &self.formats.header)
                        .map_err(backend)?;
                    continue;
                }
            };
            ws.set_column_format(p.col, format).map_err(backend)?;
            ws.set_column_width(p.col, width).map_err(backend)?;
            ws.write_string_with_format(0, p.col, excel_text(&p.name), &self.formats.header)
                .map_err(backend)?;
        }
        ws.set_freeze_panes(1, 0).map_err(backend)?;
        self.sheet = self.workbook.worksheets().len() - 1;
        self.row = 1;
        Ok(())
    }

    /// Writes the rows of `batch`, continuing on a new sheet whenever one is full.
    ///
    /// # Errors
    /// [`EncodeError::Input`] when the batch's columns differ from the schema's,
    /// [`EncodeError::Backend`] or [`EncodeError::Io`] when the temporary file fails.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        if self.failed {
            return Err(EncodeError::backend(XLSX, "an earlier write failed; the workbook is incomplete"));
        }
        if batch.num_columns() != self.types.len()
            || batch.columns().iter().zip(&self.types).any(|(c, t)| c.data_type() != t)
        {
            return Err(EncodeError::Input(Box::new(ArrowError::SchemaError(format!(
                "batch schema {:?} differs from the writer's column types {:?}",
                batch.schema(),
                self.types
            )))));
        }
        let prepared = self
            .plans
            .iter()
            .zip(batch.columns())
            .filter(|(p, _)| p.kind != Kind::Omit)
            .map(|(p, a)| prepare(p, a))
            .collect::<Result<Vec<_>, EncodeError>>()?;
        let mut columns = prepared.iter().map(Column::new).collect::<Result<Vec<_>, EncodeError>>()?;
        let result = unpanic(|| self.write_rows(&mut columns, batch.num_rows()));
        self.failed = result.is_err();
        result
    }

    /// Writes `n` rows of prepared columns.
    fn write_rows(&mut self, columns: &mut [Column<'_>], n: usize) -> Result<(), EncodeError> {
        let max = self.options.max_rows_per_sheet;
        let mut scratch = Vec::new();
        let mut i = 0;
        while i < n {
            if self.row >= max {
                self.add_sheet()?;
            }
            let take = (n - i).min((max - self.row) as usize);
            let ws = self.workbook.worksheet_from_index(self.sheet).map_err(backend)?;
            for r in i..i + take {
                for c in columns.iter_mut() {
                    c.write(ws, self.row, r, &mut scratch).map_err(backend)?;
                }
                self.row += 1;
            }
            i += take;
        }
        Ok(())
    }

    /// Zips the workbook into the sink and returns it.
    ///
    /// # Errors
    /// [`EncodeError::Io`] when writing fails, [`EncodeError::Backend`] for other failures
    /// of the xlsx library.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        if self.failed {
            return Err(EncodeError::backend(XLSX, "an earlier write failed; the workbook is incomplete"));
        }
        unpanic(|| self.workbook.save_to_writer(&mut self.out).map_err(backend))?;
        Ok(self.out)
    }
}

/// A column ready to write: the array cast to the type its [`Kind`] reads.
struct Prepared {
    plan: Plan,
    array: ArrayRef,
}

fn prepare(plan: &Plan, array: &ArrayRef) -> Result<Prepared, EncodeError> {
    let array = match plan.kind.cast_to(array.data_type()) {
        Some(t) => cast(array, &t)?,
        None => Arc::clone(array),
    };
    Ok(Prepared { plan: plan.clone(), array })
}

/// Typed access to one prepared column.
enum Values<'a> {
    Empty,
    Bool(&'a BooleanArray),
    Int(&'a Int64Array),
    UInt(&'a UInt64Array),
    F32(&'a Float32Array),
    F64(&'a Float64Array),
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Days(&'a Int64Array),
    Instant(&'a Int64Array, TimeUnit, bool),
    Time(&'a Int64Array, TimeUnit),
    Decimal(ColumnFormatter<'a>),
    Json(ColumnFormatter<'a>),
}

struct Column<'a> {
    col: u16,
    nulls: Option<NullBuffer>,
    values: Values<'a>,
}

fn not_cast(kind: Kind, dt: &ArrowType) -> EncodeError {
    EncodeError::Input(Box::new(ArrowError::CastError(format!("column of {dt} cannot be read as {kind:?}"))))
}

impl<'a> Column<'a> {
    fn new(p: &'a Prepared) -> Result<Self, EncodeError> {
        let a = p.array.as_ref();
        let values = match p.plan.kind {
            Kind::Omit | Kind::Empty => Values::Empty,
            Kind::Bool => {
                Values::Bool(a.as_boolean_opt().ok_or_else(|| not_cast(p.plan.kind, a.data_type()))?)
            }
            Kind::Int => Values::Int(int64(a, p.plan.kind)?),
            Kind::UInt => Values::UInt(
                a.as_primitive_opt::<UInt64Type>().ok_or_else(|| not_cast(p.plan.kind, a.data_type()))?,
            ),
            Kind::F32 => Values::F32(
                a.as_primitive_opt::<Float32Type>().ok_or_else(|| not_cast(p.plan.kind, a.data_type()))?,
            ),
            Kind::F64 => Values::F64(
                a.as_primitive_opt::<Float64Type>().ok_or_else(|| not_cast(p.plan.kind, a.data_type()))?,
            ),
            Kind::Str => match a.data_type() {
                ArrowType::Utf8 => Values::Utf8(a.as_string::<i32>()),
                ArrowType::LargeUtf8 => Values::LargeUtf8(a.as_string::<i64>()),
                ArrowType::Utf8View => Values::Utf8View(a.as_string_view()),
                other => return Err(not_cast(p.plan.kind, other)),
            },
            Kind::Days => Values::Days(int64(a, p.plan.kind)?),
            Kind::Instant { unit, date } => Values::Instant(int64(a, p.plan.kind)?, unit, date),
            Kind::Time { unit } => Values::Time(int64(a, p.plan.kind)?, unit),
            Kind::Decimal => Values::Decimal(ColumnFormatter::new(a)?),
            Kind::Json => Values::Json(ColumnFormatter::new(a)?),
        };
        Ok(Column { col: p.plan.col, nulls: a.logical_nulls(), values })
    }

    /// Writes row `i` of the column into sheet row `row`. Nulls leave the cell empty.
    fn write(
        &mut self,
        ws: &mut Worksheet,
        row: u32,
        i: usize,
        scratch: &mut Vec<u8>,
    ) -> Result<(), XlsxError> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            return Ok(());
        }
        let col = self.col;
        match &mut self.values {
            Values::Empty => {}
            Values::Bool(a) => {
                ws.write_boolean(row, col, a.value(i))?;
            }
            Values::Int(a) => write_i64(ws, row, col, a.value(i))?,
            Values::UInt(a) => {
                let v = a.value(i);
                if v <= MAX_EXACT_INTEGER {
                    ws.write_number(row, col, v as f64)?;
                } else {
                    ws.write_string(row, col, v.to_string())?;
                }
            }
            Values::F32(a) => {
                if let Some(v) = f32_value(a.value(i)) {
                    ws.write_number(row, col, v)?;
                }
            }
            Values::F64(a) => {
                let v = a.value(i);
                if v.is_finite() {
                    ws.write_number(row, col, v)?;
                }
            }
            Values::Utf8(a) => write_str(ws, row, col, a.value(i))?,
            Values::LargeUtf8(a) => write_str(ws, row, col, a.value(i))?,
            Values::Utf8View(a) => write_str(ws, row, col, a.value(i))?,
            Values::Days(a) => {
                let d = a.value(i);
                match excel_serial(d, 0) {
                    Some(s) => ws.write_number(row, col, s)?,
                    None => ws.write_string(row, col, date_text(d))?,
                };
            }
            Values::Instant(a, unit, date) => {
                let v = a.value(i);
                let (days, nanos) = split_instant(v, *unit);
                match excel_serial(days, nanos) {
                    Some(s) => ws.write_number(row, col, s)?,
                    None => ws.write_string(row, col, instant_text(v, *unit, *date))?,
                };
            }
            Values::Time(a, unit) => {
                let per_day = units_per_second(*unit) * 86_400;
                ws.write_number(row, col, a.value(i).rem_euclid(per_day) as f64 / per_day as f64)?;
            }
            Values::Decimal(f) => {
                scratch.clear();
                f.write_text(i, scratch);
                let text = String::from_utf8_lossy(scratch);
                match decimal_number(&text) {
                    Some(v) => ws.write_number(row, col, v)?,
                    None => ws.write_string(row, col, excel_text(&text))?,
                };
            }
            Values::Json(f) => {
                scratch.clear();
                f.write_text(i, scratch);
                write_str(ws, row, col, &String::from_utf8_lossy(scratch))?;
            }
        }
        Ok(())
    }
}

fn int64(a: &dyn Array, kind: Kind) -> Result<&Int64Array, EncodeError> {
    a.as_primitive_opt::<Int64Type>().ok_or_else(|| not_cast(kind, a.data_type()))
}

fn write_i64(ws: &mut Worksheet, row: u32, col: u16, v: i64) -> Result<(), XlsxError> {
    if v.unsigned_abs() <= MAX_EXACT_INTEGER {
        ws.write_number(row, col, v as f64)?;
    } else {
        ws.write_string(row, col, v.to_string())?;
    }
    Ok(())
}

fn write_str(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
    // `write_string` stores text as text: a leading `=` never makes a formula.
    ws.write_string(row, col, excel_text(s))?;
    Ok(())
}

/// `s` cut to Excel's 32,767 UTF-16 code units per cell, at a character boundary.
pub(crate) fn excel_text(s: &str) -> &str {
    // A UTF-16 string is never longer (in units) than the UTF-8 one (in bytes).
    if s.len() <= EXCEL_MAX_STRING {
        return s;
    }
    let mut units = 0;
    for (at, c) in s.char_indices() {
        units += c.len_utf16();
        if units > EXCEL_MAX_STRING {
            return &s[..at];
        }
    }
    s
}

/// An `f32` as the `f64` of its shortest decimal text (`0.1f32` → `0.1`, not
/// `0.10000000149011612`), so Excel shows what every other format prints. `None` for
/// NaN and infinities, which Excel cannot hold.
fn f32_value(v: f32) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    let d = f64::from(v);
    if d == d.trunc() {
        return Some(d);
    }
    Some(ryu::Buffer::new().format_finite(v).parse().unwrap_or(d))
}

/// A decimal's text as a number when it has at most [`MAX_DECIMAL_DIGITS`] significant
/// digits (from the first to the last non-zero digit).
fn decimal_number(s: &str) -> Option<f64> {
    let (mut first, mut last) = (None, 0);
    for (i, b) in s.bytes().filter(u8::is_ascii_digit).enumerate() {
        if b != b'0' {
            first.get_or_insert(i);
            last = i;
        }
    }
    let significant = first.map_or(0, |f| last + 1 - f);
    if significant > MAX_DECIMAL_DIGITS {
        return None;
    }
    s.parse().ok()
}

fn units_per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

/// Days since 1970-01-01 and nanoseconds into that day, of a count of `unit`s.
fn split_instant(v: i64, unit: TimeUnit) -> (i64, i64) {
    let per_sec = units_per_second(unit);
    let per_day = per_sec * 86_400;
    (v.div_euclid(per_day), v.rem_euclid(per_day) * (1_000_000_000 / per_sec))
}

/// The Excel serial date (1900 system) of a day and time, or `None` outside Excel's range
/// 1900-01-01 to 9999-12-31.
pub(crate) fn excel_serial(days: i64, nanos_of_day: i64) -> Option<f64> {
    if !(FIRST_EXCEL_DAY..=LAST_EXCEL_DAY).contains(&days) {
        return None;
    }
    let mut serial = days + UNIX_EPOCH_SERIAL;
    // Excel counts a 1900-02-29 that never was (Lotus 1-2-3's bug): serials of the days
    // before 1900-03-01 are one less than the day count gives.
    if serial < 61 {
        serial -= 1;
    }
    Some(serial as f64 + nanos_of_day as f64 / NANOS_PER_DAY)
}

/// ISO 8601 text of a date outside Excel's range.
fn date_text(days: i64) -> String {
    let mut buf = Vec::new();
    tessera_core::time::write_date(&mut buf, days);
    String::from_utf8_lossy(&buf).into_owned()
}

/// ISO 8601 text of an instant outside Excel's date range (the date alone for dates).
fn instant_text(v: i64, unit: TimeUnit, date: bool) -> String {
    let (days, nanos) = split_instant(v, unit);
    if date && nanos == 0 {
        return date_text(days);
    }
    let core_unit = match unit {
        TimeUnit::Second => tessera_core::TimeUnit::Second,
        TimeUnit::Millisecond => tessera_core::TimeUnit::Millisecond,
        TimeUnit::Microsecond => tessera_core::TimeUnit::Microsecond,
        TimeUnit::Nanosecond => tessera_core::TimeUnit::Nanosecond,
    };
    let mut buf = Vec::new();
    tessera_core::time::write_datetime(&mut buf, v, core_unit);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tessera_core::time::days_from_civil;

    #[test]
    fn excel_serials() {
        assert_eq!(days_from_civil(1900, 1, 1), FIRST_EXCEL_DAY);
        assert_eq!(days_from_civil(9999, 12, 31), LAST_EXCEL_DAY);
        let serial = |y, m, d| excel_serial(days_from_civil(y, m, d), 0);
        assert_eq!(serial(1900, 1, 1), Some(1.0));
        assert_eq!(serial(1900, 2, 28), Some(59.0));
        assert_eq!(serial(1900, 3, 1), Some(61.0));
        assert_eq!(serial(2020, 1, 1), Some(43_831.0));
        assert_eq!(serial(9999, 12, 31), Some(2_958_465.0));
        assert_eq!(serial(1899, 12, 31), None);
        assert_eq!(serial(10_000, 1, 1), None);
        assert_eq!(excel_serial(0, 43_200_000_000_000), Some(25_569.5));
    }

    #[test]
    fn instants_split_exactly() {
        assert_eq!(split_instant(-1, TimeUnit::Second), (-1, 86_399_000_000_000));
        assert_eq!(split_instant(86_400_000, TimeUnit::Millisecond), (1, 0));
        assert_eq!(split_instant(i64::MIN, TimeUnit::Nanosecond).0, -106_752);
        assert_eq!(instant_text(-2_208_988_801, TimeUnit::Second, false), "1899-12-31T23:59:59");
        assert_eq!(instant_text(-2_209_075_200_000, TimeUnit::Millisecond, true), "1899-12-31");
    }

    #[test]
    fn library_panics_become_errors() {
        let err = unpanic::<()>(|| panic!("Couldn't write to xml file: disk full")).unwrap_err();
        assert!(matches!(err, EncodeError::Backend { .. }));
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(unpanic(|| Ok(3)).unwrap(), 3);
    }

    #[test]
    fn numbers() {
        assert_eq!(f32_value(0.1), Some(0.1));
        assert_eq!(f32_value(-3.0), Some(-3.0));
        assert_eq!(f32_value(f32::NAN), None);
        assert_eq!(f32_value(f32::NEG_INFINITY), None);
        assert_eq!(decimal_number("123.450"), Some(123.45));
        assert_eq!(decimal_number("-0.000123"), Some(-0.000123));
        assert_eq!(decimal_number("100000000000000000000"), Some(1e20));
        assert_eq!(decimal_number("0"), Some(0.0));
        assert_eq!(decimal_number("123456789012345"), Some(123_456_789_012_345.0));
        assert_eq!(decimal_number("1234567890123456"), None);
        assert_eq!(decimal_number("0.1234567890123456"), None);
    }

    #[test]
    fn long_text_is_cut_at_a_char_boundary() {
        let s = "é".repeat(40_000);
        let cut = excel_text(&s);
        assert_eq!(cut.chars().count(), EXCEL_MAX_STRING);
        let emoji = "😀".repeat(20_000); // two UTF-16 units each
        assert_eq!(excel_text(&emoji).chars().count(), EXCEL_MAX_STRING / 2);
        assert_eq!(excel_text("short"), "short");
    }
}
