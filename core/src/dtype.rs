//! Element types of n-d arrays and their Tiled wire form.
//!
//! Tiled describes a numpy dtype as `{"endianness", "kind", "itemsize", "dt_units"}`
//! (a "builtin" dtype) or, for structured records, `{"itemsize", "fields": [...]}`.
//! [`DataType`] is the closed set of element types tessera handles; it converts both ways
//! with that wire form through [`DataType::to_wire`] and [`DataType::from_wire`].
//!
//! In memory every element is stored little-endian (the byte order of every platform
//! tessera runs on); the wire form always says `little` (or `not_applicable` for one-byte
//! types) so clients read the bytes we send as they are.
//!
//! ```
//! use tessera_core::DataType;
//! let wire = serde_json::json!({"endianness": "little", "kind": "f", "itemsize": 8, "dt_units": null});
//! let dt = DataType::from_wire(&wire).unwrap();
//! assert_eq!(dt, DataType::Float64);
//! assert_eq!(dt.to_wire(), wire);
//! assert_eq!(DataType::Unicode(5).itemsize(), 20);
//! ```

use std::fmt;

use serde_json::{Value, json};

use crate::error::DataTypeError;

/// The unit of a `datetime64` / `timedelta64` element, as numpy spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum TimeUnit {
    /// Years (`Y`).
    Year,
    /// Months (`M`).
    Month,
    /// Weeks (`W`).
    Week,
    /// Days (`D`).
    Day,
    /// Hours (`h`).
    Hour,
    /// Minutes (`m`).
    Minute,
    /// Seconds (`s`).
    Second,
    /// Milliseconds (`ms`).
    Millisecond,
    /// Microseconds (`us`).
    Microsecond,
    /// Nanoseconds (`ns`).
    Nanosecond,
}

impl TimeUnit {
    /// numpy's code for the unit (`"ns"`, `"s"`, `"D"`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            TimeUnit::Year => "Y",
            TimeUnit::Month => "M",
            TimeUnit::Week => "W",
            TimeUnit::Day => "D",
            TimeUnit::Hour => "h",
            TimeUnit::Minute => "m",
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }

    /// Parses numpy's unit code, with or without brackets (`"[ns]"` or `"ns"`).
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.strip_prefix('[').and_then(|c| c.strip_suffix(']')).unwrap_or(code);
        Some(match code {
            "Y" => TimeUnit::Year,
            "M" => TimeUnit::Month,
            "W" => TimeUnit::Week,
            "D" => TimeUnit::Day,
            "h" => TimeUnit::Hour,
            "m" => TimeUnit::Minute,
            "s" => TimeUnit::Second,
            "ms" => TimeUnit::Millisecond,
            "us" | "μs" => TimeUnit::Microsecond,
            "ns" => TimeUnit::Nanosecond,
            _ => return None,
        })
    }

    /// The length of one unit in nanoseconds, for the fixed-length units (not months or years).
    pub const fn nanos(self) -> Option<i64> {
        Some(match self {
            TimeUnit::Year | TimeUnit::Month => return None,
            TimeUnit::Week => 7 * 86_400_000_000_000,
            TimeUnit::Day => 86_400_000_000_000,
            TimeUnit::Hour => 3_600_000_000_000,
            TimeUnit::Minute => 60_000_000_000,
            TimeUnit::Second => 1_000_000_000,
            TimeUnit::Millisecond => 1_000_000,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Nanosecond => 1,
        })
    }
}

/// One named field of a structured (record) data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// Field name.
    pub name: String,
    /// Element type of the field.
    pub data_type: DataType,
    /// Byte offset of the field inside the record.
    pub offset: usize,
}

/// The element type of an n-d array.
///
/// Numeric kinds first, then time, text and records. The in-memory layout of one element
/// is numpy's for the same dtype, little-endian.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `bool`, one byte, 0 or 1.
    Bool,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint8`.
    UInt8,
    /// `uint16`.
    UInt16,
    /// `uint32`.
    UInt32,
    /// `uint64`.
    UInt64,
    /// `float16` (IEEE half).
    Float16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `complex64`: two `float32` (real, imaginary).
    Complex64,
    /// `complex128`: two `float64` (real, imaginary).
    Complex128,
    /// `datetime64[unit]`: `int64` count of units since 1970-01-01T00:00:00, `i64::MIN` is NaT.
    Datetime64(TimeUnit),
    /// `timedelta64[unit]`: `int64` count of units, `i64::MIN` is NaT.
    Timedelta64(TimeUnit),
    /// `<U n`: fixed-width unicode of `n` characters, UTF-32LE, NUL-padded.
    Unicode(usize),
    /// `|S n`: fixed-width bytes, NUL-padded.
    Bytes(usize),
    /// A structured record: named fields at byte offsets, `itemsize` bytes in all.
    Record {
        /// Fields in declaration order.
        fields: Vec<Field>,
        /// Size of one record in bytes (at least the end of the last field).
        itemsize: usize,
    },
}

impl DataType {
    /// Size of one element in bytes (numpy's `itemsize`).
    pub fn itemsize(&self) -> usize {
        match self {
            DataType::Bool | DataType::Int8 | DataType::UInt8 => 1,
            DataType::Int16 | DataType::UInt16 | DataType::Float16 => 2,
            DataType::Int32 | DataType::UInt32 | DataType::Float32 => 4,
            DataType::Int64
            | DataType::UInt64
            | DataType::Float64
            | DataType::Complex64
            | DataType::Datetime64(_)
            | DataType::Timedelta64(_) => 8,
            DataType::Complex128 => 16,
            DataType::Unicode(n) => n * 4,
            DataType::Bytes(n) => *n,
            DataType::Record { itemsize, .. } => *itemsize,
        }
    }

    /// numpy's kind character (`b i u f c M m U S V`).
    pub fn kind(&self) -> char {
        match self {
            DataType::Bool => 'b',
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => 'i',
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => 'u',
            DataType::Float16 | DataType::Float32 | DataType::Float64 => 'f',
            DataType::Complex64 | DataType::Complex128 => 'c',
            DataType::Datetime64(_) => 'M',
            DataType::Timedelta64(_) => 'm',
            DataType::Unicode(_) => 'U',
            DataType::Bytes(_) => 'S',
            DataType::Record { .. } => 'V',
        }
    }

    /// True for the kinds whose elements are plain numbers (`b i u f c`).
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind(), 'b' | 'i' | 'u' | 'f' | 'c')
    }

    /// numpy's dtype string, as `numpy.dtype(s)` accepts it: `"<f8"`, `"|u1"`, `"<M8[ns]"`,
    /// `"<U5"`. Records give their `descr` list as a Python literal (used by `.npy`).
    pub fn numpy_str(&self) -> String {
        match self {
            DataType::Record { fields, itemsize } => {
                // numpy accepts a dict form that keeps offsets and itemsize exactly.
                let names: Vec<String> = fields.iter().map(|f| py_str(&f.name)).collect();
                let formats: Vec<String> = fields.iter().map(|f| py_str(&f.data_type.numpy_str())).collect();
                let offsets: Vec<String> = fields.iter().map(|f| f.offset.to_string()).collect();
                format!(
                    "{{'names': [{}], 'formats': [{}], 'offsets': [{}], 'itemsize': {}}}",
                    names.join(", "),
                    formats.join(", "),
                    offsets.join(", "),
                    itemsize
                )
            }
            DataType::Unicode(n) => format!("<U{n}"),
            DataType::Bytes(n) => format!("|S{n}"),
            DataType::Datetime64(u) => format!("<M8[{}]", u.code()),
            DataType::Timedelta64(u) => format!("<m8[{}]", u.code()),
            other => {
                let order = if other.itemsize() == 1 { '|' } else { '<' };
                let size = match other {
                    DataType::Bool => 1,
                    _ => other.itemsize(),
                };
                format!("{order}{}{size}", other.kind())
            }
        }
    }

    /// The Tiled wire form of this data type (`BuiltinDtype` or `StructDtype`).
    pub fn to_wire(&self) -> Value {
        match self {
            DataType::Record { fields, itemsize } => json!({
                "itemsize": itemsize,
                "fields": fields.iter().map(|f| json!({
                    "name": f.name,
                    "dtype": f.data_type.to_wire(),
                    "shape": null,
                })).collect::<Vec<_>>(),
            }),
            _ => {
                let endianness = if self.itemsize() == 1 || matches!(self, DataType::Bytes(_)) {
                    "not_applicable"
                } else {
                    "little"
                };
                let units = match self {
                    DataType::Datetime64(u) | DataType::Timedelta64(u) => {
                        Value::String(format!("[{}]", u.code()))
                    }
                    _ => Value::Null,
                };
                json!({
                    "endianness": endianness,
                    "kind": self.kind().to_string(),
                    "itemsize": self.itemsize(),
                    "dt_units": units,
                })
            }
        }
    }

    /// Parses Tiled's wire form. Big-endian types are refused: uploads are little-endian
    /// (the Python client sends numpy's native order).
    ///
    /// # Errors
    /// [`DataTypeError`] naming the field that is missing, malformed or unsupported.
    pub fn from_wire(value: &Value) -> Result<Self, DataTypeError> {
        Self::from_wire_depth(value, 0)
    }

    fn from_wire_depth(value: &Value, depth: usize) -> Result<Self, DataTypeError> {
        if depth > 16 {
            return Err(DataTypeError::new("structured dtype nested deeper than 16 levels"));
        }
        let obj = value.as_object().ok_or_else(|| DataTypeError::new("data_type must be a JSON object"))?;
        let itemsize = obj
            .get("itemsize")
            .and_then(Value::as_u64)
            .ok_or_else(|| DataTypeError::new("data_type.itemsize must be a non-negative integer"))?;
        let itemsize = usize::try_from(itemsize)
            .ok()
            .filter(|&n| n <= 1 << 24)
            .ok_or_else(|| DataTypeError::new("data_type.itemsize is too large"))?;
        if let Some(fields) = obj.get("fields") {
            let list =
                fields.as_array().ok_or_else(|| DataTypeError::new("data_type.fields must be a list"))?;
            let mut out = Vec::with_capacity(list.len());
            let mut offset = 0usize;
            for f in list {
                let name = f
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| DataTypeError::new("every field needs a string name"))?;
                if f.get("shape").is_some_and(|s| !s.is_null()) {
                    return Err(DataTypeError::new(format!(
                        "field {name:?} has a sub-array shape; sub-array fields are not supported"
                    )));
                }
                let dt = Self::from_wire_depth(
                    f.get("dtype").ok_or_else(|| DataTypeError::new("every field needs a dtype"))?,
                    depth + 1,
                )?;
                let size = dt.itemsize();
                out.push(Field { name: name.to_owned(), data_type: dt, offset });
                offset += size;
            }
            if offset > itemsize {
                return Err(DataTypeError::new(format!(
                    "structured itemsize {itemsize} is smaller than its fields ({offset} bytes)"
                )));
            }
            return Ok(DataType::Record { fields: out, itemsize });
        }
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| DataTypeError::new("data_type.kind must be a string"))?;
        let endianness = obj.get("endianness").and_then(Value::as_str).unwrap_or("little");
        if endianness == "big" && itemsize > 1 {
            return Err(DataTypeError::new("big-endian data types are not supported"));
        }
        let units = obj.get("dt_units").and_then(Value::as_str);
        let bad = || DataTypeError::new(format!("unsupported data type: kind {kind:?} itemsize {itemsize}"));
        Ok(match (kind, itemsize) {
            ("b", 1) => DataType::Bool,
            ("i", 1) => DataType::Int8,
            ("i", 2) => DataType::Int16,
            ("i", 4) => DataType::Int32,
            ("i", 8) => DataType::Int64,
            ("u", 1) => DataType::UInt8,
            ("u", 2) => DataType::UInt16,
            ("u", 4) => DataType::UInt32,
            ("u", 8) => DataType::UInt64,
            ("f", 2) => DataType::Float16,
            ("f", 4) => DataType::Float32,
            ("f", 8) => DataType::Float64,
            ("c", 8) => DataType::Complex64,
            ("c", 16) => DataType::Complex128,
            ("M" | "m", 8) => {
                let unit = units
                    .and_then(TimeUnit::from_code)
                    .ok_or_else(|| DataTypeError::new(format!("datetime units {units:?} not understood")))?;
                if kind == "M" { DataType::Datetime64(unit) } else { DataType::Timedelta64(unit) }
            }
            ("U", n) if n % 4 == 0 => DataType::Unicode(n / 4),
            ("S", n) => DataType::Bytes(n),
            _ => return Err(bad()),
        })
    }
}

/// Quotes a string as a Python literal (for `.npy` headers).
fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Bool => f.write_str("bool"),
            DataType::Int8 => f.write_str("int8"),
            DataType::Int16 => f.write_str("int16"),
            DataType::Int32 => f.write_str("int32"),
            DataType::Int64 => f.write_str("int64"),
            DataType::UInt8 => f.write_str("uint8"),
            DataType::UInt16 => f.write_str("uint16"),
            DataType::UInt32 => f.write_str("uint32"),
            DataType::UInt64 => f.write_str("uint64"),
            DataType::Float16 => f.write_str("float16"),
            DataType::Float32 => f.write_str("float32"),
            DataType::Float64 => f.write_str("float64"),
            DataType::Complex64 => f.write_str("complex64"),
            DataType::Complex128 => f.write_str("complex128"),
            DataType::Datetime64(u) => write!(f, "datetime64[{}]", u.code()),
            DataType::Timedelta64(u) => write!(f, "timedelta64[{}]", u.code()),
            DataType::Unicode(n) => write!(f, "<U{n}"),
            DataType::Bytes(n) => write!(f, "|S{n}"),
            DataType::Record { fields, .. } => {
                f.write_str("record{")?;
                for (i, fl) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", fl.name, fl.data_type)?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for DataType {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=19)? {
            0 => DataType::Bool,
            1 => DataType::Int8,
            2 => DataType::Int16,
            3 => DataType::Int32,
            4 => DataType::Int64,
            5 => DataType::UInt8,
            6 => DataType::UInt16,
            7 => DataType::UInt32,
            8 => DataType::UInt64,
            9 => DataType::Float16,
            10 => DataType::Float32,
            11 => DataType::Float64,
            12 => DataType::Complex64,
            13 => DataType::Complex128,
            14 => DataType::Datetime64(u.arbitrary()?),
            15 => DataType::Timedelta64(u.arbitrary()?),
            16 => DataType::Unicode(u.int_in_range(0..=8)?),
            17 => DataType::Bytes(u.int_in_range(0..=8)?),
            _ => {
                let n = u.int_in_range(1..=3)?;
                let mut fields = Vec::new();
                let mut offset = 0;
                for i in 0..n {
                    let dt = match u.int_in_range(0u8..=3)? {
                        0 => DataType::Int32,
                        1 => DataType::Float64,
                        2 => DataType::Unicode(u.int_in_range(0..=4)?),
                        _ => DataType::Bool,
                    };
                    let size = dt.itemsize();
                    fields.push(Field { name: format!("f{i}"), data_type: dt, offset });
                    offset += size;
                }
                DataType::Record { fields, itemsize: offset }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_simple() -> Vec<DataType> {
        let mut v = vec![
            DataType::Bool,
            DataType::Int8,
            DataType::Int16,
            DataType::Int32,
            DataType::Int64,
            DataType::UInt8,
            DataType::UInt16,
            DataType::UInt32,
            DataType::UInt64,
            DataType::Float16,
            DataType::Float32,
            DataType::Float64,
            DataType::Complex64,
            DataType::Complex128,
            DataType::Unicode(7),
            DataType::Bytes(3),
        ];
        for u in [TimeUnit::Day, TimeUnit::Second, TimeUnit::Nanosecond, TimeUnit::Year] {
            v.push(DataType::Datetime64(u));
            v.push(DataType::Timedelta64(u));
        }
        v
    }

    #[test]
    fn wire_round_trips_every_type() {
        for dt in all_simple() {
            assert_eq!(DataType::from_wire(&dt.to_wire()).unwrap(), dt, "{dt}");
        }
    }

    #[test]
    fn wire_matches_tiled_examples() {
        assert_eq!(
            DataType::UInt8.to_wire(),
            json!({"endianness":"not_applicable","kind":"u","itemsize":1,"dt_units":null})
        );
        assert_eq!(
            DataType::Datetime64(TimeUnit::Nanosecond).to_wire(),
            json!({"endianness":"little","kind":"M","itemsize":8,"dt_units":"[ns]"})
        );
        assert_eq!(DataType::Unicode(5).to_wire()["itemsize"], 20);
    }

    #[test]
    fn records_round_trip_with_offsets() {
        let pets = json!({"itemsize": 48, "fields": [
            {"name": "name", "dtype": {"endianness":"little","kind":"U","itemsize":40,"dt_units":null}, "shape": null},
            {"name": "age", "dtype": {"endianness":"little","kind":"i","itemsize":4,"dt_units":null}, "shape": null},
            {"name": "weight", "dtype": {"endianness":"little","kind":"f","itemsize":4,"dt_units":null}, "shape": null},
        ]});
        let dt = DataType::from_wire(&pets).unwrap();
        let DataType::Record { fields, itemsize } = &dt else { panic!("not a record") };
        assert_eq!(*itemsize, 48);
        assert_eq!(fields[2].offset, 44);
        assert_eq!(dt.to_wire(), pets);
        assert!(dt.numpy_str().contains("'offsets': [0, 40, 44]"));
    }

    #[test]
    fn bad_wire_forms_are_errors() {
        for bad in [
            json!(3),
            json!({"kind": "f"}),
            json!({"kind": "f", "itemsize": 3}),
            json!({"kind": "x", "itemsize": 8}),
            json!({"kind": "M", "itemsize": 8, "dt_units": "[parsec]"}),
            json!({"kind": "U", "itemsize": 6}),
            json!({"kind": "f", "itemsize": 8, "endianness": "big"}),
            json!({"itemsize": 1, "fields": [{"name": "a", "dtype": {"kind":"i","itemsize":4}}]}),
            json!({"itemsize": 99999999999u64, "kind": "S"}),
        ] {
            assert!(DataType::from_wire(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numpy_strings() {
        assert_eq!(DataType::Float64.numpy_str(), "<f8");
        assert_eq!(DataType::UInt8.numpy_str(), "|u1");
        assert_eq!(DataType::Bool.numpy_str(), "|b1");
        assert_eq!(DataType::Datetime64(TimeUnit::Nanosecond).numpy_str(), "<M8[ns]");
        assert_eq!(DataType::Bytes(3).numpy_str(), "|S3");
    }
}
