//! Shared inputs for tessera's criterion benches (`benches/`) and the interop dumper
//! (`examples/dump_outputs.rs`).
//!
//! Linking this crate links every encoder crate enabled by its features, so
//! `tessera_core::Registry::global()` holds exactly those formats:
//!
//! ```
//! use tessera_benches as _;
//! let reg = tessera_core::Registry::global().unwrap();
//! assert!(reg.get(tessera_core::Family::Array, "npy").is_some());
//! ```
//!
//! The inputs are the shared workloads (`tessera_testkit::workloads`, see
//! `../shared/bench/peer-encoders.md`) plus two small fixtures made for the interop suite:
//! [`edge_table`] (nulls, extreme values, quoting, unicode) and [`dtype_zoo`] (one small
//! array per numpy dtype family). `tests/interop/expected.py` regenerates both
//! independently in numpy; the two definitions must change together.

#![warn(missing_docs)]

use std::sync::Arc;

use arrow::array::TimestampMicrosecondArray;
use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema, TimeUnit as ArrowUnit};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, Field, NdArray, Table, TimeUnit};
use tessera_testkit::workloads;

// Name each optional encoder crate once so rustc links it and its `inventory` registrations
// are collected (a crate no code names is dropped).
#[cfg(feature = "arrow")]
extern crate tessera_arrow as _;
#[cfg(feature = "csv")]
extern crate tessera_csv as _;
#[cfg(feature = "html")]
extern crate tessera_html as _;
#[cfg(feature = "image")]
extern crate tessera_image as _;
#[cfg(feature = "json")]
extern crate tessera_json as _;
#[cfg(feature = "netcdf")]
extern crate tessera_netcdf as _;
#[cfg(feature = "parquet")]
extern crate tessera_parquet as _;
#[cfg(feature = "xlsx")]
extern crate tessera_xlsx as _;

/// E1: five rows covering what text formats get wrong — nulls in every nullable column,
/// integers beyond 2^53, `-0.0`, the smallest subnormal and the largest finite float,
/// quotes, commas, newlines, HTML metacharacters, non-ASCII text and a non-ASCII column
/// name, and timestamps with microseconds up to year 9999.
///
/// | column | type | values |
/// |---|---|---|
/// | `i` | int64 | 0, -1, null, 2^53, -2^53 |
/// | `big` | int64, not null | i64::MAX, i64::MIN, 0, 1, -1 |
/// | `x` | float64 | 0.1, -0.0, 5e-324, f64::MAX, null |
/// | `s ✓` | utf8 | `plain`, `comma, "quote"`, `line\nbreak <b>&amp;</b>`, `ünï 🦀`, null |
/// | `b` | bool | true, false, null, true, false |
/// | `t` | timestamp[us] | 1970-01-01T00:00:00, 2020-01-01T00:00:00.123456, null, 2001-09-09T01:46:40, 9999-12-31T23:59:59 |
pub fn edge_table() -> Table {
    let schema = Arc::new(Schema::new(vec![
        ArrowField::new("i", ArrowType::Int64, true),
        ArrowField::new("big", ArrowType::Int64, false),
        ArrowField::new("x", ArrowType::Float64, true),
        ArrowField::new("s ✓", ArrowType::Utf8, true),
        ArrowField::new("b", ArrowType::Boolean, true),
        ArrowField::new("t", ArrowType::Timestamp(ArrowUnit::Microsecond, None), true),
    ]));
    let p53 = 1i64 << 53;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(0), Some(-1), None, Some(p53), Some(-p53)])),
        Arc::new(Int64Array::from(vec![i64::MAX, i64::MIN, 0, 1, -1])),
        Arc::new(Float64Array::from(vec![Some(0.1), Some(-0.0), Some(5e-324), Some(f64::MAX), None])),
        Arc::new(StringArray::from(vec![
            Some("plain"),
            Some("comma, \"quote\""),
            Some("line\nbreak <b>&amp;</b>"),
            Some("ünï 🦀"),
            None,
        ])),
        Arc::new(BooleanArray::from(vec![Some(true), Some(false), None, Some(true), Some(false)])),
        Arc::new(TimestampMicrosecondArray::from(vec![
            Some(0),
            Some(1_577_836_800_123_456),
            None,
            Some(1_000_000_000_000_000),
            Some(253_402_300_799_000_000),
        ])),
    ];
    // Two batches, so encoders that special-case the first batch are exercised too.
    let batch = RecordBatch::try_new(schema.clone(), cols).expect("columns match the schema");
    Table::from_batches(schema, vec![batch.slice(0, 2), batch.slice(2, 3)]).expect("one schema")
}

/// Little-endian bytes of values, concatenated.
fn le<T, const N: usize>(values: impl IntoIterator<Item = T>, f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    values.into_iter().flat_map(f).collect()
}

fn arr(dt: DataType, shape: &[usize], bytes: Vec<u8>) -> NdArray {
    NdArray::new(dt, shape.to_vec(), bytes).expect("fixture bytes match dtype and shape")
}

fn utf32(strings: &[&str], width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for s in strings {
        let mut chars: Vec<u32> = s.chars().map(u32::from).collect();
        chars.resize(width, 0);
        out.extend(le(chars, u32::to_le_bytes));
    }
    out
}

/// Small arrays, one per dtype family, with fixed values (`k` is the flat C-order index):
///
/// | name | dtype | shape | values |
/// |---|---|---|---|
/// | `Z_i1` | int8 | 2×3×4 | `(k*37) % 256` as a signed byte |
/// | `Z_i2` | int16 | 2×3×4 | `k*1000 - 12000` |
/// | `Z_i4` | int32 | 3×5 | `k*100003 - 700000` |
/// | `Z_i8` | int64 | 5 | i64::MIN, -1, 0, 1, i64::MAX |
/// | `Z_u4` | uint32 | 4 | 0, 1, 2^31, 2^32-1 |
/// | `Z_u8` | uint64 | 4 | 0, 1, 2^63, 2^64-1 |
/// | `Z_b1` | bool | 2×3 | `k % 2 == 0` |
/// | `Z_f2` | float16 | 4 | `k * 0.25` |
/// | `Z_f4` | float32 | 4×4 | `(k as f32) * 0.1f32` |
/// | `Z_f8` | float64 | 6 | 0.1, -0.0, 5e-324, f64::MAX, 1/3, -2.5e-300 |
/// | `Z_c8` | complex64 | 3 | `k - 0.5k i` |
/// | `Z_c16` | complex128 | 2×2 | `0.1k - 1.5k i` |
/// | `Z_M8s` | datetime64[s] | 4 | `1577836800 + 86399k` |
/// | `Z_M8ns` | datetime64[ns] | 3 | 0, 1577836800123456789, -1 |
/// | `Z_m8ms` | timedelta64[ms] | 3 | 0, 1500, -86400000 |
/// | `Z_U5` | `<U5` | 4 | `a`, `héllo`, `🦀x`, `` |
/// | `Z_S3` | `|S3` | 3 | `ab`, `xyz`, `` |
/// | `Z_rec` | `{a: <i4 @0, b: <f8 @8}`, itemsize 16 | 3 | `a = k - 1`, `b = 0.5k` |
/// | `Z_scalar` | float64 | 0-d | 3.25 |
/// | `Z_empty` | float64 | 0×3 | — |
pub fn dtype_zoo() -> Vec<(&'static str, NdArray)> {
    let k = |n: i64| 0..n;
    let mut rec = Vec::new();
    for k in 0..3i32 {
        rec.extend((k - 1).to_le_bytes());
        rec.extend([0u8; 4]);
        rec.extend((f64::from(k) * 0.5).to_le_bytes());
    }
    let record = DataType::Record {
        fields: vec![
            Field { name: "a".into(), data_type: DataType::Int32, offset: 0 },
            Field { name: "b".into(), data_type: DataType::Float64, offset: 8 },
        ],
        itemsize: 16,
    };
    vec![
        ("Z_i1", arr(DataType::Int8, &[2, 3, 4], k(24).map(|k| ((k * 37) % 256) as u8).collect())),
        (
            "Z_i2",
            arr(DataType::Int16, &[2, 3, 4], le(k(24).map(|k| (k * 1000 - 12000) as i16), i16::to_le_bytes)),
        ),
        (
            "Z_i4",
            arr(
                DataType::Int32,
                &[3, 5],
                le(k(15).map(|k| (k * 100_003 - 700_000) as i32), i32::to_le_bytes),
            ),
        ),
        ("Z_i8", arr(DataType::Int64, &[5], le([i64::MIN, -1, 0, 1, i64::MAX], i64::to_le_bytes))),
        ("Z_u4", arr(DataType::UInt32, &[4], le([0, 1, 1 << 31, u32::MAX], u32::to_le_bytes))),
        ("Z_u8", arr(DataType::UInt64, &[4], le([0, 1, 1 << 63, u64::MAX], u64::to_le_bytes))),
        ("Z_b1", arr(DataType::Bool, &[2, 3], k(6).map(|k| u8::from(k % 2 == 0)).collect())),
        // float16 bits of 0, 0.25, 0.5, 0.75
        ("Z_f2", arr(DataType::Float16, &[4], le([0u16, 0x3400, 0x3800, 0x3a00], u16::to_le_bytes))),
        ("Z_f4", arr(DataType::Float32, &[4, 4], le(k(16).map(|k| k as f32 * 0.1f32), f32::to_le_bytes))),
        (
            "Z_f8",
            arr(
                DataType::Float64,
                &[6],
                le([0.1, -0.0, 5e-324, f64::MAX, 1.0 / 3.0, -2.5e-300], f64::to_le_bytes),
            ),
        ),
        (
            "Z_c8",
            arr(
                DataType::Complex64,
                &[3],
                k(3).flat_map(|k| [k as f32, -0.5 * k as f32]).flat_map(f32::to_le_bytes).collect(),
            ),
        ),
        (
            "Z_c16",
            arr(
                DataType::Complex128,
                &[2, 2],
                k(4).flat_map(|k| [0.1 * k as f64, -1.5 * k as f64]).flat_map(f64::to_le_bytes).collect(),
            ),
        ),
        (
            "Z_M8s",
            arr(
                DataType::Datetime64(TimeUnit::Second),
                &[4],
                le(k(4).map(|k| 1_577_836_800 + 86_399 * k), i64::to_le_bytes),
            ),
        ),
        (
            "Z_M8ns",
            arr(
                DataType::Datetime64(TimeUnit::Nanosecond),
                &[3],
                le([0, 1_577_836_800_123_456_789, -1], i64::to_le_bytes),
            ),
        ),
        (
            "Z_m8ms",
            arr(
                DataType::Timedelta64(TimeUnit::Millisecond),
                &[3],
                le([0, 1500, -86_400_000], i64::to_le_bytes),
            ),
        ),
        ("Z_U5", arr(DataType::Unicode(5), &[4], utf32(&["a", "héllo", "🦀x", ""], 5))),
        ("Z_S3", arr(DataType::Bytes(3), &[3], b"ab\0xyz\0\0\0".to_vec())),
        ("Z_rec", arr(record, &[3], rec)),
        ("Z_scalar", arr(DataType::Float64, &[], 3.25f64.to_le_bytes().to_vec())),
        ("Z_empty", arr(DataType::Float64, &[0, 3], Vec::new())),
    ]
}

/// The tables the interop suite exports: T2 and [`edge_table`] (E1).
pub fn interop_tables() -> Vec<(&'static str, Table)> {
    vec![("T2", workloads::t2()), ("E1", edge_table())]
}

/// The arrays the interop suite exports: A1, A2s, A3 and the [`dtype_zoo`].
pub fn interop_arrays() -> Vec<(&'static str, NdArray)> {
    let mut v = vec![("A1", workloads::a1()), ("A2s", workloads::a2s()), ("A3", workloads::a3())];
    v.extend(dtype_zoo());
    v
}

/// D1s: the first 100 `time` steps of D1 (dims time=100, x=1000; `a = sin(t*1000+x)`,
/// `b = (t*1000+x)*0.5`, coordinate `time` int64 with `units`), small enough that every
/// table-like export of it stays quick in a debug build.
pub fn d1s() -> Dataset {
    let (nt, nx) = (100usize, 1000usize);
    let k = || (0..nt * nx).map(|k| k as f64);
    let dims = || vec!["time".to_owned(), "x".to_owned()];
    let var =
        |values: Vec<f64>| Variable::new(dims(), NdArray::from_vec(vec![nt, nx], values).expect("shape"));
    let mut attrs = serde_json::Map::new();
    attrs.insert("units".into(), "seconds since 2020-01-01 00:00:00".into());
    let time = NdArray::from_vec(vec![nt], (0..nt as i64).collect()).expect("shape");
    let mut ds = Dataset::default();
    ds.add_coord("time", Variable::new(vec!["time".into()], time).with_attrs(attrs)).expect("consistent");
    ds.add_data_var("a", var(k().map(f64::sin).collect())).expect("consistent");
    ds.add_data_var("b", var(k().map(|k| k * 0.5).collect())).expect("consistent");
    ds
}

/// The datasets the interop suite exports: [`d1s`].
pub fn interop_datasets() -> Vec<(&'static str, Dataset)> {
    vec![("D1s", d1s())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_build() {
        assert_eq!(edge_table().num_rows(), 5);
        let zoo = dtype_zoo();
        assert_eq!(zoo.len(), 20);
        let f4 = &zoo.iter().find(|(n, _)| *n == "Z_f4").expect("present").1;
        assert_eq!(f4.as_slice::<f32>().expect("f32")[3], 3.0f32 * 0.1f32);
    }
}
