//! Per-column formatting of Arrow arrays as text and as strict JSON, shared by every
//! text-based format (CSV, JSON, HTML, spreadsheets) so they render values identically.
//!
//! [`ColumnFormatter::new`] looks at a column's data type once and keeps a typed view of it;
//! [`ColumnFormatter::write_text`] and [`ColumnFormatter::write_json`] then append row `i`
//! to a byte buffer without any per-cell dynamic dispatch or allocation.
//!
//! | Arrow type | text | JSON |
//! |---|---|---|
//! | null value (any type) | empty | `null` |
//! | Boolean | `true` / `false` | same |
//! | Int*, UInt* | decimal digits | same |
//! | Float16/32/64 | shortest text that reads back to the same value (ryu's form: `0.1`, `24.0`, `1e-7`, `1e21`; float16 as its float32 value); `nan`, `inf`, `-inf` | same; non-finite → `null` |
//! | Timestamp | ISO 8601 as [`crate::time::write_datetime`]: `2020-01-01T00:00:01.500`; with a time zone: the UTC instant and `Z` | the text as a string |
//! | Date32, Date64 | `YYYY-MM-DD` | string |
//! | Time32, Time64 | `HH:MM:SS` plus `.fff`, `.ffffff` or `.fffffffff` when not zero | string |
//! | Duration | integer count of its unit | number |
//! | Decimal32/64/128/256 | exact decimal text (`-0.05`, `1200`) | the same digits as a number |
//! | Utf8, LargeUtf8, Utf8View | the string as-is | string ([`write_json_str`]) |
//! | Binary, LargeBinary, BinaryView, FixedSizeBinary | UTF-8 decoded, invalid sequences replaced | string (callers usually skip these columns: [`is_binary`]) |
//! | List, LargeList, ListView, FixedSizeList | the JSON form | array of the items' JSON |
//! | Struct | the JSON form | object of the fields' JSON, in field order |
//! | Map | the JSON form | object; keys are the keys' text |
//! | Dictionary | its value's form | same |
//! | anything else (intervals, unions, run-end encoded) | Arrow's display form | that text as a string |
//!
//! ```
//! use arrow::array::{Float64Array, StringArray};
//! use tessera_core::columns::ColumnFormatter;
//! let floats = Float64Array::from(vec![Some(0.1), None, Some(f64::NAN)]);
//! let mut f = ColumnFormatter::new(&floats).unwrap();
//! let mut out = Vec::new();
//! for i in 0..3 {
//!     f.write_text(i, &mut out);
//!     out.push(b'|');
//!     f.write_json(i, &mut out);
//!     out.push(b' ');
//! }
//! assert_eq!(out, b"0.1|0.1 |null nan|null ");
//! let s = StringArray::from(vec!["say \"hi\""]);
//! let mut out = Vec::new();
//! ColumnFormatter::new(&s).unwrap().write_json(0, &mut out);
//! assert_eq!(out, br#""say \"hi\"""#);
//! ```

use std::io::Write as _;

use arrow::array::{
    Array, ArrowPrimitiveType, AsArray, BinaryArray, BinaryViewArray, BooleanArray, FixedSizeBinaryArray,
    LargeBinaryArray, LargeStringArray, StringArray, StringViewArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{self as adt, DataType as ArrowType, TimeUnit as ArrowUnit, i256};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use half::f16;

use crate::array::{write_f32_text, write_f64_text, write_json_str};
use crate::time::write_date;

/// True for the binary Arrow types (Binary, LargeBinary, BinaryView, FixedSizeBinary), which
/// text formats leave out: their bytes have no faithful text form.
pub fn is_binary(dt: &ArrowType) -> bool {
    matches!(
        dt,
        ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView | ArrowType::FixedSizeBinary(_)
    )
}

/// The display options of the fallback formatter (nulls as empty text).
const DISPLAY_OPTIONS: FormatOptions<'static> = FormatOptions::new();

/// The rendered date of the last timestamp seen: consecutive timestamps usually share a day.
struct DayCache {
    day: i64,
    len: u8,
    text: [u8; 24],
}

enum Kind<'a> {
    Null,
    Bool(&'a BooleanArray),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    F16(&'a [f16]),
    F32(&'a [f32]),
    F64(&'a [f64]),
    Timestamp { values: &'a [i64], per_sec: i64, utc: bool, cache: DayCache },
    Date32(&'a [i32]),
    Date64(&'a [i64]),
    Time32(&'a [i32], i64),
    Time64(&'a [i64], i64),
    Dec32(&'a [i32], i8),
    Dec64(&'a [i64], i8),
    Dec128(&'a [i128], i8),
    Dec256(&'a [i256], i8),
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
    FixedBinary(&'a FixedSizeBinaryArray),
    List { offsets: &'a [i32], child: Box<ColumnFormatter<'a>> },
    LargeList { offsets: &'a [i64], child: Box<ColumnFormatter<'a>> },
    ListView { offsets: &'a [i32], sizes: &'a [i32], child: Box<ColumnFormatter<'a>> },
    LargeListView { offsets: &'a [i64], sizes: &'a [i64], child: Box<ColumnFormatter<'a>> },
    FixedList { size: usize, child: Box<ColumnFormatter<'a>> },
    Struct { keys: Vec<Vec<u8>>, children: Vec<ColumnFormatter<'a>> },
    Map { offsets: &'a [i32], keys: Box<ColumnFormatter<'a>>, values: Box<ColumnFormatter<'a>> },
    Dict { keys: Vec<usize>, values: Box<ColumnFormatter<'a>> },
    Other(ArrayFormatter<'a>),
}

/// Formats the rows of one Arrow column as text or JSON (see the module docs for the
/// mapping). Build one per column and batch; the data type is inspected once, here.
pub struct ColumnFormatter<'a> {
    kind: Kind<'a>,
    nulls: Option<NullBuffer>,
}

impl std::fmt::Debug for ColumnFormatter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnFormatter").field("plain", &self.text_is_plain()).finish_non_exhaustive()
    }
}

fn prim<T: ArrowPrimitiveType>(a: &dyn Array) -> &[T::Native] {
    a.as_primitive::<T>().values()
}

fn boxed(a: &dyn Array) -> Result<Box<ColumnFormatter<'_>>, ArrowError> {
    ColumnFormatter::new(a).map(Box::new)
}

fn per_sec(unit: &ArrowUnit) -> i64 {
    match unit {
        ArrowUnit::Second => 1,
        ArrowUnit::Millisecond => 1_000,
        ArrowUnit::Microsecond => 1_000_000,
        ArrowUnit::Nanosecond => 1_000_000_000,
    }
}

impl<'a> ColumnFormatter<'a> {
    /// A formatter for `array`.
    ///
    /// # Errors
    /// An [`ArrowError`] only for a type that even Arrow's display formatter cannot render.
    pub fn new(array: &'a dyn Array) -> Result<Self, ArrowError> {
        let a = array;
        let kind = match a.data_type() {
            ArrowType::Null => Kind::Null,
            ArrowType::Boolean => Kind::Bool(a.as_boolean()),
            ArrowType::Int8 => Kind::I8(prim::<adt::Int8Type>(a)),
            ArrowType::Int16 => Kind::I16(prim::<adt::Int16Type>(a)),
            ArrowType::Int32 => Kind::I32(prim::<adt::Int32Type>(a)),
            ArrowType::Int64 => Kind::I64(prim::<adt::Int64Type>(a)),
            ArrowType::UInt8 => Kind::U8(prim::<adt::UInt8Type>(a)),
            ArrowType::UInt16 => Kind::U16(prim::<adt::UInt16Type>(a)),
            ArrowType::UInt32 => Kind::U32(prim::<adt::UInt32Type>(a)),
            ArrowType::UInt64 => Kind::U64(prim::<adt::UInt64Type>(a)),
            ArrowType::Float16 => Kind::F16(prim::<adt::Float16Type>(a)),
            ArrowType::Float32 => Kind::F32(prim::<adt::Float32Type>(a)),
            ArrowType::Float64 => Kind::F64(prim::<adt::Float64Type>(a)),
            ArrowType::Timestamp(unit, tz) => {
                let values: &[i64] = match unit {
                    ArrowUnit::Second => prim::<adt::TimestampSecondType>(a),
                    ArrowUnit::Millisecond => prim::<adt::TimestampMillisecondType>(a),
                    ArrowUnit::Microsecond => prim::<adt::TimestampMicrosecondType>(a),
                    ArrowUnit::Nanosecond => prim::<adt::TimestampNanosecondType>(a),
                };
                let cache = DayCache { day: 0, len: 0, text: [0; 24] };
                Kind::Timestamp { values, per_sec: per_sec(unit), utc: tz.is_some(), cache }
            }
            ArrowType::Date32 => Kind::Date32(prim::<adt::Date32Type>(a)),
            ArrowType::Date64 => Kind::Date64(prim::<adt::Date64Type>(a)),
            ArrowType::Time32(ArrowUnit::Second) => Kind::Time32(prim::<adt::Time32SecondType>(a), 1),
            ArrowType::Time32(ArrowUnit::Millisecond) => {
                Kind::Time32(prim::<adt::Time32MillisecondType>(a), 1_000)
            }
            ArrowType::Time64(ArrowUnit::Microsecond) => {
                Kind::Time64(prim::<adt::Time64MicrosecondType>(a), 1_000_000)
            }
            ArrowType::Time64(ArrowUnit::Nanosecond) => {
                Kind::Time64(prim::<adt::Time64NanosecondType>(a), 1_000_000_000)
            }
            ArrowType::Duration(unit) => Kind::I64(match unit {
                ArrowUnit::Second => prim::<adt::DurationSecondType>(a),
                ArrowUnit::Millisecond => prim::<adt::DurationMillisecondType>(a),
                ArrowUnit::Microsecond => prim::<adt::DurationMicrosecondType>(a),
                ArrowUnit::Nanosecond => prim::<adt::DurationNanosecondType>(a),
            }),
            ArrowType::Decimal32(_, s) => Kind::Dec32(prim::<adt::Decimal32Type>(a), *s),
            ArrowType::Decimal64(_, s) => Kind::Dec64(prim::<adt::Decimal64Type>(a), *s),
            ArrowType::Decimal128(_, s) => Kind::Dec128(prim::<adt::Decimal128Type>(a), *s),
            ArrowType::Decimal256(_, s) => Kind::Dec256(prim::<adt::Decimal256Type>(a), *s),
            ArrowType::Utf8 => Kind::Utf8(a.as_string::<i32>()),
            ArrowType::LargeUtf8 => Kind::LargeUtf8(a.as_string::<i64>()),
            ArrowType::Utf8View => Kind::Utf8View(a.as_string_view()),
            ArrowType::Binary => Kind::Binary(a.as_binary::<i32>()),
            ArrowType::LargeBinary => Kind::LargeBinary(a.as_binary::<i64>()),
            ArrowType::BinaryView => Kind::BinaryView(a.as_binary_view()),
            ArrowType::FixedSizeBinary(_) => Kind::FixedBinary(a.as_fixed_size_binary()),
            ArrowType::List(_) => {
                let l = a.as_list::<i32>();
                Kind::List { offsets: l.value_offsets(), child: boxed(l.values().as_ref())? }
            }
            ArrowType::LargeList(_) => {
                let l = a.as_list::<i64>();
                Kind::LargeList { offsets: l.value_offsets(), child: boxed(l.values().as_ref())? }
            }
            ArrowType::ListView(_) => {
                let l = a.as_list_view::<i32>();
                Kind::ListView {
                    offsets: l.value_offsets(),
                    sizes: l.value_sizes(),
                    child: boxed(l.values().as_ref())?,
                }
            }
            ArrowType::LargeListView(_) => {
                let l = a.as_list_view::<i64>();
                Kind::LargeListView {
                    offsets: l.value_offsets(),
                    sizes: l.value_sizes(),
                    child: boxed(l.values().as_ref())?,
                }
            }
            ArrowType::FixedSizeList(_, size) => {
                let l = a.as_fixed_size_list();
                Kind::FixedList {
                    size: usize::try_from(*size).unwrap_or(0),
                    child: boxed(l.values().as_ref())?,
                }
            }
            ArrowType::Struct(fields) => {
                let s = a.as_struct();
                let mut keys = Vec::with_capacity(fields.len());
                for f in fields {
                    let mut k = Vec::new();
                    write_json_str(f.name(), &mut k);
                    k.push(b':');
                    keys.push(k);
                }
                let children =
                    s.columns().iter().map(|c| ColumnFormatter::new(c.as_ref())).collect::<Result<_, _>>()?;
                Kind::Struct { keys, children }
            }
            ArrowType::Map(_, _) => {
                let m = a.as_map();
                Kind::Map {
                    offsets: m.value_offsets(),
                    keys: boxed(m.keys().as_ref())?,
                    values: boxed(m.values().as_ref())?,
                }
            }
            ArrowType::Dictionary(_, _) => match a.as_any_dictionary_opt() {
                // Keys of an empty dictionary can only be null.
                Some(d) if d.values().is_empty() => Kind::Null,
                Some(d) => Kind::Dict { keys: d.normalized_keys(), values: boxed(d.values().as_ref())? },
                None => Kind::Other(ArrayFormatter::try_new(a, &DISPLAY_OPTIONS)?),
            },
            _ => Kind::Other(ArrayFormatter::try_new(a, &DISPLAY_OPTIONS)?),
        };
        let nulls = match kind {
            Kind::Null => Some(NullBuffer::new_null(a.len())),
            _ => a.logical_nulls().filter(|n| n.null_count() > 0),
        };
        Ok(ColumnFormatter { kind, nulls })
    }

    /// Checks, without data, that columns of type `dt` can be formatted (what
    /// [`ColumnFormatter::new`] would report), so an encoder can refuse a schema before
    /// writing anything.
    ///
    /// # Errors
    /// As [`ColumnFormatter::new`].
    pub fn check_type(dt: &ArrowType) -> Result<(), ArrowError> {
        ColumnFormatter::new(arrow::array::new_empty_array(dt).as_ref()).map(drop)
    }

    /// True when row `i` is null.
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(i))
    }

    /// True when every text this column can produce is made only of ASCII letters, digits
    /// and `+ - . :` (numbers, booleans, dates and times), so a CSV or HTML writer need not
    /// look for characters to quote or escape.
    pub fn text_is_plain(&self) -> bool {
        match &self.kind {
            Kind::Dict { values, .. } => values.text_is_plain(),
            Kind::Null
            | Kind::Bool(_)
            | Kind::I8(_)
            | Kind::I16(_)
            | Kind::I32(_)
            | Kind::I64(_)
            | Kind::U8(_)
            | Kind::U16(_)
            | Kind::U32(_)
            | Kind::U64(_)
            | Kind::F16(_)
            | Kind::F32(_)
            | Kind::F64(_)
            | Kind::Timestamp { .. }
            | Kind::Date32(_)
            | Kind::Date64(_)
            | Kind::Time32(..)
            | Kind::Time64(..)
            | Kind::Dec32(..)
            | Kind::Dec64(..)
            | Kind::Dec128(..)
            | Kind::Dec256(..) => true,
            _ => false,
        }
    }

    /// Appends row `i` as text (nothing for a null).
    ///
    /// # Panics
    /// If `i` is not below the array's length.
    #[inline]
    pub fn write_text(&mut self, i: usize, out: &mut Vec<u8>) {
        if !self.is_null(i) {
            self.write_value::<false>(i, out);
        }
    }

    /// Appends row `i` as strict JSON (`null` for a null; never `NaN` or `Infinity`).
    ///
    /// # Panics
    /// If `i` is not below the array's length.
    #[inline]
    pub fn write_json(&mut self, i: usize, out: &mut Vec<u8>) {
        if self.is_null(i) {
            out.extend_from_slice(b"null");
        } else {
            self.write_value::<true>(i, out);
        }
    }

    /// Writes a non-null value; `JSON` selects the JSON form where it differs from text.
    #[inline]
    fn write_value<const JSON: bool>(&mut self, i: usize, out: &mut Vec<u8>) {
        match &mut self.kind {
            Kind::Null => {
                if JSON {
                    out.extend_from_slice(b"null")
                }
            }
            Kind::Bool(a) => out.extend_from_slice(if a.value(i) { b"true" } else { b"false" }),
            Kind::I8(v) => push_int(v[i], out),
            Kind::I16(v) => push_int(v[i], out),
            Kind::I32(v) => push_int(v[i], out),
            Kind::I64(v) => push_int(v[i], out),
            Kind::U8(v) => push_int(v[i], out),
            Kind::U16(v) => push_int(v[i], out),
            Kind::U32(v) => push_int(v[i], out),
            Kind::U64(v) => push_int(v[i], out),
            Kind::F16(v) => push_f32::<JSON>(v[i].to_f32(), out),
            Kind::F32(v) => push_f32::<JSON>(v[i], out),
            Kind::F64(v) => push_f64::<JSON>(v[i], out),
            Kind::Timestamp { values, per_sec, utc, cache } => {
                quoted::<JSON>(out, |out| {
                    push_timestamp(values[i], *per_sec, cache, out);
                    if *utc {
                        out.push(b'Z');
                    }
                });
            }
            Kind::Date32(v) => quoted::<JSON>(out, |out| write_date(out, i64::from(v[i]))),
            Kind::Date64(v) => quoted::<JSON>(out, |out| write_date(out, v[i].div_euclid(86_400_000))),
            Kind::Time32(v, per_sec) => quoted::<JSON>(out, |out| push_time(i64::from(v[i]), *per_sec, out)),
            Kind::Time64(v, per_sec) => quoted::<JSON>(out, |out| push_time(v[i], *per_sec, out)),
            Kind::Dec32(v, s) => push_decimal(itoa::Buffer::new().format(v[i]), *s, out),
            Kind::Dec64(v, s) => push_decimal(itoa::Buffer::new().format(v[i]), *s, out),
            Kind::Dec128(v, s) => push_decimal(itoa::Buffer::new().format(v[i]), *s, out),
            Kind::Dec256(v, s) => push_decimal(&v[i].to_string(), *s, out),
            Kind::Utf8(a) => push_str::<JSON>(a.value(i), out),
            Kind::LargeUtf8(a) => push_str::<JSON>(a.value(i), out),
            Kind::Utf8View(a) => push_str::<JSON>(a.value(i), out),
            Kind::Binary(a) => push_str::<JSON>(&String::from_utf8_lossy(a.value(i)), out),
            Kind::LargeBinary(a) => push_str::<JSON>(&String::from_utf8_lossy(a.value(i)), out),
            Kind::BinaryView(a) => push_str::<JSON>(&String::from_utf8_lossy(a.value(i)), out),
            Kind::FixedBinary(a) => push_str::<JSON>(&String::from_utf8_lossy(a.value(i)), out),
            Kind::List { offsets, child } => {
                push_list(child, offsets[i] as usize..offsets[i + 1] as usize, out);
            }
            Kind::LargeList { offsets, child } => {
                push_list(child, offsets[i] as usize..offsets[i + 1] as usize, out);
            }
            Kind::ListView { offsets, sizes, child } => {
                let start = offsets[i] as usize;
                push_list(child, start..start + sizes[i] as usize, out);
            }
            Kind::LargeListView { offsets, sizes, child } => {
                let start = offsets[i] as usize;
                push_list(child, start..start + sizes[i] as usize, out);
            }
            Kind::FixedList { size, child } => push_list(child, i * *size..(i + 1) * *size, out),
            Kind::Struct { keys, children } => {
                out.push(b'{');
                for (k, (key, child)) in keys.iter().zip(children.iter_mut()).enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(key);
                    child.write_json(i, out);
                }
                out.push(b'}');
            }
            Kind::Map { offsets, keys, values } => {
                out.push(b'{');
                let mut key = Vec::new();
                for (k, j) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    key.clear();
                    keys.write_text(j, &mut key);
                    write_json_str(&String::from_utf8_lossy(&key), out);
                    out.push(b':');
                    values.write_json(j, out);
                }
                out.push(b'}');
            }
            Kind::Dict { keys, values } => {
                if JSON {
                    values.write_json(keys[i], out)
                } else {
                    values.write_text(keys[i], out)
                }
            }
            Kind::Other(f) => {
                if JSON {
                    let mut s = Vec::new();
                    let _ = write!(s, "{}", f.value(i));
                    write_json_str(&String::from_utf8_lossy(&s), out);
                } else {
                    let _ = write!(out, "{}", f.value(i));
                }
            }
        }
    }
}

#[inline]
fn push_int<I: itoa::Integer>(v: I, out: &mut Vec<u8>) {
    push_short(itoa::Buffer::new().format(v).as_bytes(), out);
}

/// Writes the text of an `f64` into `out`: the same bytes as [`write_f64_text`] (ryu's
/// shortest round-trip form: `0.1`, `1e-7`, `1e21`, `24.0`, `nan`, `inf`), computed faster:
/// integral and half-integral values below 2^51 through integer formatting, others with
/// zmij (the same shortest digits as ryu; only its `e+` exponent sign is dropped).
#[inline]
pub fn push_f64_text(v: f64, out: &mut Vec<u8>) {
    if !v.is_finite() {
        return write_f64_text(v, out);
    }
    // Integral and half-integral values: exact below 2^51 (v * 2 is an exact integer) and
    // printed by ryu as digits plus `.0` or `.5` (no shorter text reads back to them).
    let twice = v * 2.0;
    if v.abs() < 2_251_799_813_685_248.0 && (twice as i64) as f64 == twice {
        return push_half_integral(twice as i64, v.is_sign_negative(), out);
    }
    let mut b = zmij::Buffer::new();
    push_float_str(b.format_finite(v).as_bytes(), v.abs() >= 1e16, out);
}

/// Writes `a`, `sep` and `b` into `out`: the same bytes as [`push_f64_text`] of `a`, the
/// separator, and [`push_f64_text`] of `b`, but faster for two ordinary floats (formatted
/// into two buffers before either is copied, so the copies do not wait on the formatting
/// stores). For rows of float arrays.
#[inline]
pub fn push_f64_pair_text(a: f64, b: f64, sep: u8, out: &mut Vec<u8>) {
    // The cases push_f64_text treats specially: non-finite, half-integral, huge.
    let ordinary = |v: f64| v.is_finite() && v.abs() < 1e16 && ((v * 2.0) as i64) as f64 != v * 2.0;
    if !(ordinary(a) && ordinary(b)) {
        push_f64_text(a, out);
        out.push(sep);
        push_f64_text(b, out);
        return;
    }
    let (mut ba, mut bb) = (zmij::Buffer::new(), zmij::Buffer::new());
    let (sa, sb) = (ba.format_finite(a), bb.format_finite(b));
    push_short(sa.as_bytes(), out);
    out.push(sep);
    push_short(sb.as_bytes(), out);
}

/// Writes the text of an `f32` into `out`: the same bytes as [`write_f32_text`], computed
/// as [`push_f64_text`] does (integral and half-integral values below 2^22 through integer
/// formatting).
#[inline]
pub fn push_f32_text(v: f32, out: &mut Vec<u8>) {
    if !v.is_finite() {
        return write_f32_text(v, out);
    }
    let twice = v * 2.0;
    if v.abs() < 4_194_304.0 && (twice as i32) as f32 == twice {
        return push_half_integral(i64::from(twice as i32), v.is_sign_negative(), out);
    }
    let mut b = zmij::Buffer::new();
    push_float_str(b.format_finite(v).as_bytes(), v.abs() >= 1e13, out);
}

/// Writes the float `twice / 2` as ryu does: its integer part and `.0` or `.5`, with a `-`
/// for negative values (`-0.0`, `-0.5` included).
#[inline]
fn push_half_integral(twice: i64, negative: bool, out: &mut Vec<u8>) {
    if negative {
        out.push(b'-');
    }
    let abs = twice.unsigned_abs();
    push_int(abs >> 1, out);
    out.extend_from_slice(if abs & 1 == 0 { b".0" } else { b".5" });
}

/// Writes zmij's text of a float, without the `+` of a positive exponent (`1e+21` →
/// `1e21`, ryu's form), which only values of `big` magnitude can have.
#[inline]
fn push_float_str(s: &[u8], big: bool, out: &mut Vec<u8>) {
    if big && let Some(p) = s.iter().position(|&c| c == b'+') {
        out.extend_from_slice(&s[..p]);
        out.extend_from_slice(&s[p + 1..]);
        return;
    }
    push_short(s, out);
}

/// Appends `s` to `out` like `extend_from_slice`, but copies texts of up to 32 bytes (the
/// numbers, dates and most strings of a table) with a few fixed-size moves instead of a
/// call to `memcpy`.
#[inline(always)]
pub fn push_short(s: &[u8], out: &mut Vec<u8>) {
    let n = s.len();
    if n > 32 {
        out.extend_from_slice(s);
        return;
    }
    out.reserve(32);
    let len = out.len();
    let src = s.as_ptr();
    // SAFETY: `reserve` left at least 32 writable bytes after `len`, and every write below
    // stays within `len..len + n` (n <= 32). Every read stays within `s`: the pairs of
    // moves read `s[..k]` and `s[n - k..]` with `k <= n`. The `n` bytes written are then
    // all initialised, so `set_len(len + n)` is sound.
    unsafe {
        let dst = out.as_mut_ptr().add(len);
        if n >= 16 {
            let a = std::ptr::read_unaligned(src.cast::<[u8; 16]>());
            let b = std::ptr::read_unaligned(src.add(n - 16).cast::<[u8; 16]>());
            std::ptr::write_unaligned(dst.cast::<[u8; 16]>(), a);
            std::ptr::write_unaligned(dst.add(n - 16).cast::<[u8; 16]>(), b);
        } else if n >= 8 {
            let a = std::ptr::read_unaligned(src.cast::<u64>());
            let b = std::ptr::read_unaligned(src.add(n - 8).cast::<u64>());
            std::ptr::write_unaligned(dst.cast::<u64>(), a);
            std::ptr::write_unaligned(dst.add(n - 8).cast::<u64>(), b);
        } else if n >= 4 {
            let a = std::ptr::read_unaligned(src.cast::<u32>());
            let b = std::ptr::read_unaligned(src.add(n - 4).cast::<u32>());
            std::ptr::write_unaligned(dst.cast::<u32>(), a);
            std::ptr::write_unaligned(dst.add(n - 4).cast::<u32>(), b);
        } else {
            for i in 0..n {
                *dst.add(i) = *src.add(i);
            }
        }
        out.set_len(len + n);
    }
}

#[inline]
fn push_f64<const JSON: bool>(v: f64, out: &mut Vec<u8>) {
    if JSON && !v.is_finite() { out.extend_from_slice(b"null") } else { push_f64_text(v, out) }
}

#[inline]
fn push_f32<const JSON: bool>(v: f32, out: &mut Vec<u8>) {
    if JSON && !v.is_finite() { out.extend_from_slice(b"null") } else { push_f32_text(v, out) }
}

#[inline]
fn push_str<const JSON: bool>(s: &str, out: &mut Vec<u8>) {
    if JSON { push_json_str(s, out) } else { push_short(s.as_bytes(), out) }
}

/// Bytes that JSON strings must escape: control characters, `"` and `\`.
static JSON_ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Writes `s` as a JSON string literal: the same bytes as [`write_json_str`], with a fast
/// path for the common short string that needs no escaping.
#[inline]
pub fn push_json_str(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    if b.len() <= 32 && !b.iter().any(|&c| JSON_ESCAPED[usize::from(c)]) {
        out.push(b'"');
        push_short(b, out);
        out.push(b'"');
    } else {
        write_json_str(s, out);
    }
}

/// Runs `f`, between double quotes in JSON (only for texts that need no escaping).
#[inline]
fn quoted<const JSON: bool>(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    if JSON {
        out.push(b'"');
        f(out);
        out.push(b'"');
    } else {
        f(out);
    }
}

fn push_list(child: &mut ColumnFormatter<'_>, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
    out.push(b'[');
    for (k, j) in range.enumerate() {
        if k > 0 {
            out.push(b',');
        }
        child.write_json(j, out);
    }
    out.push(b']');
}

/// Writes the decimal whose unscaled integer has the text `digits` (optional `-`, then
/// digits) and whose scale is `scale`: `12345`, 2 → `123.45`; `-5`, 2 → `-0.05`;
/// `12`, -2 → `1200`.
fn push_decimal(digits: &str, scale: i8, out: &mut Vec<u8>) {
    let (neg, abs) = match digits.strip_prefix('-') {
        Some(a) => (true, a.as_bytes()),
        None => (false, digits.as_bytes()),
    };
    if neg {
        out.push(b'-');
    }
    if scale <= 0 {
        out.extend_from_slice(abs);
        if abs != b"0" {
            out.resize(out.len() + usize::from(scale.unsigned_abs()), b'0');
        }
        return;
    }
    let scale = usize::from(scale.unsigned_abs());
    if abs.len() > scale {
        let (int, frac) = abs.split_at(abs.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + scale - abs.len(), b'0');
        out.extend_from_slice(abs);
    }
}

/// Splits a count of `1/per_sec` seconds into whole seconds and the remainder, with the
/// divisor a constant in each arm so no hardware division is needed.
#[inline(always)]
fn split_secs(v: i64, per_sec: i64) -> (i64, i64) {
    match per_sec {
        1 => (v, 0),
        1_000 => (v.div_euclid(1_000), v.rem_euclid(1_000)),
        1_000_000 => (v.div_euclid(1_000_000), v.rem_euclid(1_000_000)),
        1_000_000_000 => (v.div_euclid(1_000_000_000), v.rem_euclid(1_000_000_000)),
        p => (v.div_euclid(p), v.rem_euclid(p)),
    }
}

/// Writes `HH:MM:SS` for a second of the day (below 86 400).
#[inline]
fn push_hms(sod: u32, out: &mut Vec<u8>) {
    let (h, m, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    let d = |v: u32| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
    let (h, m, s) = (d(h), d(m), d(s));
    out.extend_from_slice(&[h[0], h[1], b':', m[0], m[1], b':', s[0], s[1]]);
}

/// Writes a fraction of a second given in `1/per_sec` units as `.fff`, `.ffffff` or
/// `.fffffffff` (as few groups as keep it exact), nothing when zero — as
/// [`crate::time::write_datetime`] does.
#[inline]
fn push_frac(frac: i64, per_sec: i64, out: &mut Vec<u8>) {
    if frac == 0 {
        return;
    }
    let nanos = frac * (1_000_000_000 / per_sec);
    let (digits, mut v) = if nanos % 1_000_000 == 0 {
        (3, nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        (6, nanos / 1_000)
    } else {
        (9, nanos)
    };
    let mut buf = [b'0'; 10];
    buf[0] = b'.';
    let mut k = digits;
    while v > 0 {
        buf[k] = b'0' + (v % 10) as u8;
        v /= 10;
        k -= 1;
    }
    out.extend_from_slice(&buf[..=digits]);
}

fn push_timestamp(v: i64, per_sec: i64, cache: &mut DayCache, out: &mut Vec<u8>) {
    let (secs, frac) = split_secs(v, per_sec);
    let day = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    if cache.len == 0 || cache.day != day {
        let start = out.len();
        write_date(out, day);
        let n = out.len() - start;
        if n <= cache.text.len() {
            cache.text[..n].copy_from_slice(&out[start..]);
            cache.len = n as u8;
            cache.day = day;
        }
    } else {
        push_short(&cache.text[..usize::from(cache.len)], out);
    }
    out.push(b'T');
    push_hms(sod, out);
    push_frac(frac, per_sec, out);
}

/// Writes a time of day; values outside one day (invalid Arrow data) as their raw count.
fn push_time(v: i64, per_sec: i64, out: &mut Vec<u8>) {
    let (secs, frac) = split_secs(v, per_sec);
    if !(0..86_400).contains(&secs) {
        push_int(v, out);
        return;
    }
    push_hms(secs as u32, out);
    push_frac(frac, per_sec, out);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, Date32Array, Date64Array, Decimal128Array, Decimal256Array, DictionaryArray,
        DurationMillisecondArray, FixedSizeBinaryArray, FixedSizeListArray, Float16Array, Float32Array,
        Float64Array, Int8Array, Int32Array, Int64Array, IntervalDayTimeArray, LargeListArray,
        LargeStringArray, ListArray, MapArray, NullArray, StringViewArray, StructArray,
        Time32MillisecondArray, Time64NanosecondArray, TimestampMicrosecondArray, TimestampNanosecondArray,
        TimestampSecondArray, UInt64Array,
    };
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::{Field, Fields, Int32Type, IntervalDayTime};
    use proptest::prelude::*;

    use super::*;
    use crate::dtype::TimeUnit;
    use crate::time::write_datetime;

    fn texts(a: &dyn Array) -> Vec<String> {
        let mut f = ColumnFormatter::new(a).unwrap();
        (0..a.len())
            .map(|i| {
                let mut o = Vec::new();
                f.write_text(i, &mut o);
                String::from_utf8(o).unwrap()
            })
            .collect()
    }

    fn jsons(a: &dyn Array) -> Vec<String> {
        let mut f = ColumnFormatter::new(a).unwrap();
        (0..a.len())
            .map(|i| {
                let mut o = Vec::new();
                f.write_json(i, &mut o);
                let s = String::from_utf8(o).unwrap();
                serde_json::from_str::<serde_json::Value>(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
                s
            })
            .collect()
    }

    #[test]
    fn numbers_and_bools() {
        let a = Int8Array::from(vec![Some(-128), None, Some(7)]);
        assert_eq!(texts(&a), ["-128", "", "7"]);
        assert_eq!(jsons(&a), ["-128", "null", "7"]);
        let a = UInt64Array::from(vec![u64::MAX]);
        assert_eq!(texts(&a), ["18446744073709551615"]);
        let a = Float64Array::from(vec![0.0, -0.0, 1e-7, 1e300, f64::INFINITY, f64::NEG_INFINITY, 0.1 + 0.2]);
        assert_eq!(texts(&a), ["0.0", "-0.0", "1e-7", "1e300", "inf", "-inf", "0.30000000000000004"]);
        assert_eq!(jsons(&a)[4..6], ["null", "null"]);
        let a = Float32Array::from(vec![0.1f32, f32::NAN]);
        assert_eq!(texts(&a), ["0.1", "nan"]);
        assert_eq!(jsons(&a), ["0.1", "null"]);
        let a = Float16Array::from(vec![f16::from_f32(0.5)]);
        assert_eq!(texts(&a), ["0.5"]);
        let a = BooleanArray::from(vec![Some(true), Some(false), None]);
        assert_eq!(texts(&a), ["true", "false", ""]);
        assert_eq!(jsons(&a), ["true", "false", "null"]);
        let a = DurationMillisecondArray::from(vec![-1500]);
        assert_eq!(jsons(&a), ["-1500"]);
        assert_eq!(texts(&NullArray::new(2)), ["", ""]);
        assert_eq!(jsons(&NullArray::new(1)), ["null"]);
    }

    #[test]
    fn times_and_dates() {
        let a = TimestampMicrosecondArray::from(vec![1_577_836_800_000_000, 1_577_836_801_500_000, -1]);
        assert_eq!(
            texts(&a),
            ["2020-01-01T00:00:00", "2020-01-01T00:00:01.500", "1969-12-31T23:59:59.999999"]
        );
        assert_eq!(jsons(&a)[0], "\"2020-01-01T00:00:00\"");
        let a = TimestampSecondArray::from(vec![0]).with_timezone("+02:00");
        assert_eq!(texts(&a), ["1970-01-01T00:00:00Z"]);
        let a = TimestampNanosecondArray::from(vec![1]);
        assert_eq!(texts(&a), ["1970-01-01T00:00:00.000000001"]);
        let a = Date32Array::from(vec![18_262, -1]);
        assert_eq!(texts(&a), ["2020-01-01", "1969-12-31"]);
        let a = Date64Array::from(vec![86_400_000 * 2]);
        assert_eq!(jsons(&a), ["\"1970-01-03\""]);
        let a = Time32MillisecondArray::from(vec![3_723_004, 0, -5]);
        assert_eq!(texts(&a), ["01:02:03.004", "00:00:00", "-5"]);
        let a = Time64NanosecondArray::from(vec![86_399_999_999_999]);
        assert_eq!(texts(&a), ["23:59:59.999999999"]);
    }

    #[test]
    fn decimals_are_exact() {
        let a = Decimal128Array::from(vec![12345, -5, 0, i128::MAX]).with_precision_and_scale(38, 2).unwrap();
        assert_eq!(texts(&a), ["123.45", "-0.05", "0.00", "1701411834604692317316873037158841057.27"]);
        assert_eq!(jsons(&a)[1], "-0.05");
        let a = Decimal128Array::from(vec![12, 0]).with_precision_and_scale(10, -2).unwrap();
        assert_eq!(texts(&a), ["1200", "0"]);
        let a = Decimal256Array::from(vec![i256::from_i128(-1234)]).with_precision_and_scale(50, 3).unwrap();
        assert_eq!(texts(&a), ["-1.234"]);
    }

    #[test]
    fn strings_and_binary() {
        let a = StringArray::from(vec![Some("a,b"), None, Some("é\"\n\u{1}")]);
        assert_eq!(texts(&a), ["a,b", "", "é\"\n\u{1}"]);
        assert_eq!(jsons(&a), ["\"a,b\"", "null", "\"é\\\"\\n\\u0001\""]);
        assert_eq!(texts(&LargeStringArray::from(vec!["x"])), ["x"]);
        assert_eq!(
            texts(&StringViewArray::from(vec!["a string longer than twelve bytes"])),
            ["a string longer than twelve bytes"]
        );
        let a = BinaryArray::from(vec![b"ok".as_slice(), b"\xff"]);
        assert_eq!(texts(&a), ["ok", "\u{fffd}"]);
        assert!(is_binary(a.data_type()));
        let a = FixedSizeBinaryArray::try_from_iter(vec![b"ab".to_vec()].into_iter()).unwrap();
        assert_eq!(jsons(&a), ["\"ab\""]);
        assert!(!ColumnFormatter::new(&a).unwrap().text_is_plain());
        assert!(!is_binary(&ArrowType::Utf8));
    }

    #[test]
    fn nested_values_are_json() {
        let l = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), None]),
            None,
            Some(vec![]),
        ]);
        assert_eq!(texts(&l), ["[1,null]", "", "[]"]);
        let sliced = l.slice(1, 2);
        assert_eq!(jsons(&sliced), ["null", "[]"]);
        let ll = LargeListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(3)])]);
        assert_eq!(texts(&ll), ["[3]"]);
        let f = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
            vec![Some(vec![Some(1), Some(2)]), Some(vec![Some(3), Some(4)])],
            2,
        );
        assert_eq!(jsons(&f.slice(1, 1)), ["[3,4]"]);
        let s = StructArray::from(vec![
            (
                Arc::new(Field::new("a\"b", ArrowType::Int64, true)),
                Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("f", ArrowType::Float64, true)),
                Arc::new(Float64Array::from(vec![f64::NAN, 2.5])) as ArrayRef,
            ),
        ]);
        assert_eq!(jsons(&s), [r#"{"a\"b":1,"f":null}"#, r#"{"a\"b":2,"f":2.5}"#]);
        let entries = StructArray::from(vec![
            (
                Arc::new(Field::new("k", ArrowType::Int32, false)),
                Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("v", ArrowType::Utf8, true)),
                Arc::new(StringArray::from(vec![Some("x"), None])) as ArrayRef,
            ),
        ]);
        let fields = Fields::from(vec![
            Field::new("k", ArrowType::Int32, false),
            Field::new("v", ArrowType::Utf8, true),
        ]);
        let m = MapArray::try_new(
            Arc::new(Field::new("entries", ArrowType::Struct(fields), false)),
            OffsetBuffer::from_lengths([2]),
            entries,
            None,
            false,
        )
        .unwrap();
        assert_eq!(jsons(&m), [r#"{"1":"x","2":null}"#]);
    }

    #[test]
    fn dictionaries_and_fallback() {
        let d: DictionaryArray<Int32Type> = vec![Some("b"), None, Some("a"), Some("b")].into_iter().collect();
        assert_eq!(texts(&d), ["b", "", "a", "b"]);
        assert_eq!(jsons(&d), ["\"b\"", "null", "\"a\"", "\"b\""]);
        let empty = DictionaryArray::<Int32Type>::new(
            Int32Array::new_null(2),
            Arc::new(StringArray::from(Vec::<&str>::new())),
        );
        assert_eq!(jsons(&empty), ["null", "null"]);
        let iv = IntervalDayTimeArray::from(vec![IntervalDayTime::new(1, 2)]);
        assert!(!texts(&iv)[0].is_empty());
        assert!(jsons(&iv)[0].starts_with('"'));
    }

    #[test]
    fn json_strings_match_core() {
        for s in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "tab\t",
            "\u{1}\u{1f}",
            "é名🙂",
            &"x".repeat(40),
            &"y\n".repeat(20),
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push_json_str(s, &mut a);
            write_json_str(s, &mut b);
            assert_eq!(a, b, "{s:?}");
        }
    }

    #[test]
    fn paired_floats_match_single_ones() {
        let vals = [
            0.1,
            -0.0,
            0.5,
            3.0,
            f64::NAN,
            f64::INFINITY,
            1e16,
            1e21,
            5e-324,
            0.841_470_984_807_896_5,
            -2.5e-300,
        ];
        for a in vals {
            for b in vals {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                push_f64_pair_text(a, b, b',', &mut x);
                push_f64_text(a, &mut y);
                y.push(b',');
                push_f64_text(b, &mut y);
                assert_eq!(x, y, "{a:e} {b:e}");
            }
        }
    }

    #[test]
    fn short_copies_are_exact() {
        let src: Vec<u8> = (0..40u8).collect();
        for start in 0..3 {
            for n in 0..=37 {
                let mut out = vec![0xaa; start];
                push_short(&src[..n], &mut out);
                push_short(&src[3..3 + n.min(37)], &mut out);
                let mut want = vec![0xaa; start];
                want.extend_from_slice(&src[..n]);
                want.extend_from_slice(&src[3..3 + n.min(37)]);
                assert_eq!(out, want);
            }
        }
    }

    #[test]
    fn fast_float_text_is_ryus_text() {
        let f64s = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e15,
            1e16,
            1e17,
            9_007_199_254_740_992.0,
            9_007_199_254_740_993.0,
            -9_007_199_254_740_991.0,
            1e21,
            1.5e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e-7,
            123_456.75,
        ];
        for v in f64s {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push_f64_text(v, &mut a);
            write_f64_text(v, &mut b);
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap(), "{v:e}");
        }
        let f32s =
            [0.0f32, -0.0, 16_777_215.0, 16_777_216.0, 16_777_218.0, 1e12, 1e13, 1e14, f32::MAX, 1e-45, 0.3];
        for v in f32s {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push_f32_text(v, &mut a);
            write_f32_text(v, &mut b);
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap(), "{v:e}");
        }
        // A cheap deterministic sweep over random bit patterns.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for v in
                [f64::from_bits(x), (x >> 11) as f64, ((x >> 40) as f64) * 0.25, ((x >> 12) as f64) * -0.5]
            {
                a.clear();
                b.clear();
                push_f64_text(v, &mut a);
                write_f64_text(v, &mut b);
                assert_eq!(a, b, "{v:e}");
            }
            for v in [
                f32::from_bits(x as u32),
                (x >> 40) as f32,
                ((x >> 50) as f32) * 0.5,
                ((x >> 39) as f32) * -0.5,
            ] {
                a.clear();
                b.clear();
                push_f32_text(v, &mut a);
                write_f32_text(v, &mut b);
                assert_eq!(a, b, "{v:e}");
            }
        }
    }

    proptest! {
        #[test]
        fn timestamps_match_write_datetime(v in any::<i64>(), unit in 0usize..4) {
            let (arr, tu): (ArrayRef, TimeUnit) = match unit {
                0 => (Arc::new(TimestampSecondArray::from(vec![v / 100_000])), TimeUnit::Second),
                1 => (Arc::new(arrow::array::TimestampMillisecondArray::from(vec![v / 1000])), TimeUnit::Millisecond),
                2 => (Arc::new(TimestampMicrosecondArray::from(vec![v])), TimeUnit::Microsecond),
                _ => (Arc::new(TimestampNanosecondArray::from(vec![v])), TimeUnit::Nanosecond),
            };
            let raw = match unit { 0 => v / 100_000, 1 => v / 1000, _ => v };
            let mut want = Vec::new();
            write_datetime(&mut want, raw, tu);
            let got = texts(arr.as_ref());
            prop_assert_eq!(got[0].as_bytes(), want.as_slice());
        }

        #[test]
        fn floats_match_core_and_round_trip(
            bits in prop_oneof![
                any::<u64>(),
                any::<i64>().prop_map(|i| (i as f64).to_bits()),
                (any::<i32>(), -40i32..40).prop_map(|(m, e)| (f64::from(m) * 10f64.powi(e)).to_bits()),
            ],
            bits32 in prop_oneof![
                any::<u32>(),
                any::<i32>().prop_map(|i| (i as f32).to_bits()),
                (-20_000i32..20_000, -12i32..14).prop_map(|(m, e)| (m as f32 * 10f32.powi(e)).to_bits()),
            ],
        ) {
            let v = f64::from_bits(bits);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push_f64_text(v, &mut a);
            write_f64_text(v, &mut b);
            prop_assert_eq!(&a, &b);
            if v.is_finite() {
                prop_assert_eq!(std::str::from_utf8(&a).unwrap().parse::<f64>().unwrap().to_bits(), bits);
            }
            let w = f32::from_bits(bits32);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push_f32_text(w, &mut a);
            write_f32_text(w, &mut b);
            prop_assert_eq!(a, b);
        }
    }
}
