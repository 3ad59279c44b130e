//! proptest strategies: random data types, n-d arrays and Arrow tables for property tests.
//!
//! Values are chosen to exercise encoders: nulls, empty shapes, unicode and odd column
//! names (quotes, commas, newlines), extreme integers, non-finite floats, nested types.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, FixedSizeListArray, Float32Array, Float64Array,
    Int8Array, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray, TimestampNanosecondArray, UInt8Array, UInt64Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType as A, Field, Fields, Schema, SchemaRef};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use tessera_core::{DataType, Field as DField, NdArray, TimeUnit};

/// Every plain (non-record) numpy data type tessera handles, with small text widths.
pub fn plain_data_type() -> impl Strategy<Value = DataType> {
    let unit = prop_oneof![
        Just(TimeUnit::Second),
        Just(TimeUnit::Millisecond),
        Just(TimeUnit::Microsecond),
        Just(TimeUnit::Nanosecond),
        Just(TimeUnit::Day),
    ];
    prop_oneof![
        Just(DataType::Bool),
        Just(DataType::Int8),
        Just(DataType::Int16),
        Just(DataType::Int32),
        Just(DataType::Int64),
        Just(DataType::UInt8),
        Just(DataType::UInt16),
        Just(DataType::UInt32),
        Just(DataType::UInt64),
        Just(DataType::Float16),
        Just(DataType::Float32),
        Just(DataType::Float64),
        Just(DataType::Complex64),
        Just(DataType::Complex128),
        unit.clone().prop_map(DataType::Datetime64),
        unit.prop_map(DataType::Timedelta64),
        (1usize..6).prop_map(DataType::Unicode),
        (1usize..6).prop_map(DataType::Bytes),
    ]
}

/// Any data type, including small structured records (with padding sometimes).
pub fn data_type() -> impl Strategy<Value = DataType> {
    let record = (vec(plain_data_type(), 1..4), 0usize..4).prop_map(|(types, pad)| {
        let mut offset = 0;
        let fields = types
            .into_iter()
            .enumerate()
            .map(|(i, dt)| {
                let f = DField { name: format!("f{i}"), offset, data_type: dt };
                offset += f.data_type.itemsize();
                f
            })
            .collect();
        DataType::Record { fields, itemsize: offset + pad }
    });
    prop_oneof![4 => plain_data_type(), 1 => record]
}

/// Valid bytes for `n` elements of `dt` (bools 0/1, valid code points, datetimes in a
/// printable range or NaT); floats get arbitrary finite and non-finite values.
pub fn element_bytes(dt: DataType, n: usize) -> BoxedStrategy<Vec<u8>> {
    match dt.clone() {
        DataType::Bool => vec(any::<bool>(), n).prop_map(|v| v.into_iter().map(u8::from).collect()).boxed(),
        DataType::Unicode(w) => vec(vec(any::<char>(), 0..=w), n)
            .prop_map(move |strs| {
                let mut out = Vec::with_capacity(strs.len() * w * 4);
                for s in strs {
                    let s: Vec<char> = s.into_iter().filter(|&c| c != '\0').collect();
                    for c in &s {
                        out.extend_from_slice(&(*c as u32).to_le_bytes());
                    }
                    out.resize(out.len() + (w - s.len()) * 4, 0);
                }
                out
            })
            .boxed(),
        DataType::Datetime64(_) | DataType::Timedelta64(_) => {
            vec(prop_oneof![9 => -4_000_000_000i64..4_000_000_000, 1 => Just(i64::MIN)], n)
                .prop_map(|v| v.into_iter().flat_map(i64::to_le_bytes).collect())
                .boxed()
        }
        DataType::Float64 => {
            vec(any::<f64>(), n).prop_map(|v| v.into_iter().flat_map(f64::to_le_bytes).collect()).boxed()
        }
        DataType::Float32 => {
            vec(any::<f32>(), n).prop_map(|v| v.into_iter().flat_map(f32::to_le_bytes).collect()).boxed()
        }
        DataType::Record { fields, itemsize } => {
            let per: Vec<BoxedStrategy<Vec<u8>>> =
                fields.iter().map(|f| element_bytes(f.data_type.clone(), n)).collect();
            per.prop_map(move |cols| {
                let mut out = vec![0u8; n * itemsize];
                for (f, col) in fields.iter().zip(cols) {
                    let w = f.data_type.itemsize();
                    for i in 0..n {
                        out[i * itemsize + f.offset..i * itemsize + f.offset + w]
                            .copy_from_slice(&col[i * w..(i + 1) * w]);
                    }
                }
                out
            })
            .boxed()
        }
        other => vec(any::<u8>(), n * other.itemsize()).boxed(),
    }
}

/// A shape of up to `max_dims` dimensions, each 0..=4 long.
pub fn shape(max_dims: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(0usize..=4, 0..=max_dims)
}

/// An array of the given data type strategy and up to `max_dims` dimensions.
pub fn nd_array_of(dt: impl Strategy<Value = DataType>, max_dims: usize) -> impl Strategy<Value = NdArray> {
    (dt, shape(max_dims)).prop_flat_map(|(dt, shape)| {
        let n: usize = shape.iter().product();
        element_bytes(dt.clone(), n).prop_map(move |bytes| {
            NdArray::new(dt.clone(), shape.clone(), bytes).expect("generated bytes match the shape")
        })
    })
}

/// Any array: any data type, 0 to 4 dimensions.
pub fn nd_array() -> impl Strategy<Value = NdArray> {
    nd_array_of(data_type(), 4)
}

/// Column names that stress quoting and escaping.
pub fn column_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,6}",
        Just("with space".to_owned()),
        Just("quote\"d".to_owned()),
        Just("com,ma".to_owned()),
        Just("new\nline".to_owned()),
        Just("é名🙂".to_owned()),
        Just("<b>&amp;</b>".to_owned()),
        Just("=1+1".to_owned()),
    ]
}

/// The kinds of Arrow columns [`arrow_table`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Int64.
    Int64,
    /// Int8.
    Int8,
    /// UInt8.
    UInt8,
    /// UInt64.
    UInt64,
    /// Int32.
    Int32,
    /// Float64 (finite and non-finite).
    Float64,
    /// Float32.
    Float32,
    /// Boolean.
    Bool,
    /// Utf8.
    Utf8,
    /// Binary.
    Binary,
    /// Timestamp, microseconds, no zone.
    TimestampUs,
    /// Timestamp, nanoseconds, UTC.
    TimestampNsUtc,
    /// Date32.
    Date32,
    /// List of Int32.
    ListInt32,
    /// Struct {a: Int64, b: Utf8}.
    Struct,
    /// FixedSizeList of 2 Float32.
    FixedSizeList,
}

impl ColumnKind {
    /// Every kind.
    pub const ALL: [ColumnKind; 16] = [
        ColumnKind::Int64,
        ColumnKind::Int8,
        ColumnKind::UInt8,
        ColumnKind::UInt64,
        ColumnKind::Int32,
        ColumnKind::Float64,
        ColumnKind::Float32,
        ColumnKind::Bool,
        ColumnKind::Utf8,
        ColumnKind::Binary,
        ColumnKind::TimestampUs,
        ColumnKind::TimestampNsUtc,
        ColumnKind::Date32,
        ColumnKind::ListInt32,
        ColumnKind::Struct,
        ColumnKind::FixedSizeList,
    ];

    /// Flat kinds only (no nesting, no binary).
    pub const FLAT: [ColumnKind; 12] = [
        ColumnKind::Int64,
        ColumnKind::Int8,
        ColumnKind::UInt8,
        ColumnKind::UInt64,
        ColumnKind::Int32,
        ColumnKind::Float64,
        ColumnKind::Float32,
        ColumnKind::Bool,
        ColumnKind::Utf8,
        ColumnKind::TimestampUs,
        ColumnKind::TimestampNsUtc,
        ColumnKind::Date32,
    ];
}

/// A column of `kind` with `rows` rows (nulls when `nullable`).
pub fn column(kind: ColumnKind, rows: usize, nullable: bool) -> BoxedStrategy<ArrayRef> {
    fn vals<T: std::fmt::Debug + Clone + 'static>(
        s: impl Strategy<Value = T> + 'static,
        rows: usize,
        nullable: bool,
    ) -> BoxedStrategy<Vec<Option<T>>> {
        let s = s.boxed();
        if nullable {
            vec(option::weighted(0.8, s), rows).boxed()
        } else {
            vec(s.prop_map(Some), rows).boxed()
        }
    }
    let ts = -2_000_000_000_000_000i64..4_000_000_000_000_000;
    match kind {
        ColumnKind::Int64 => {
            vals(any::<i64>(), rows, nullable).prop_map(|v| Arc::new(Int64Array::from(v)) as ArrayRef).boxed()
        }
        ColumnKind::Int8 => {
            vals(any::<i8>(), rows, nullable).prop_map(|v| Arc::new(Int8Array::from(v)) as ArrayRef).boxed()
        }
        ColumnKind::UInt8 => {
            vals(any::<u8>(), rows, nullable).prop_map(|v| Arc::new(UInt8Array::from(v)) as ArrayRef).boxed()
        }
        ColumnKind::UInt64 => vals(any::<u64>(), rows, nullable)
            .prop_map(|v| Arc::new(UInt64Array::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::Int32 => {
            vals(any::<i32>(), rows, nullable).prop_map(|v| Arc::new(Int32Array::from(v)) as ArrayRef).boxed()
        }
        ColumnKind::Float64 => vals(any::<f64>(), rows, nullable)
            .prop_map(|v| Arc::new(Float64Array::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::Float32 => vals(any::<f32>(), rows, nullable)
            .prop_map(|v| Arc::new(Float32Array::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::Bool => vals(any::<bool>(), rows, nullable)
            .prop_map(|v| Arc::new(BooleanArray::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::Utf8 => vals(any::<String>(), rows, nullable)
            .prop_map(|v| Arc::new(StringArray::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::Binary => vals(vec(any::<u8>(), 0..8), rows, nullable)
            .prop_map(|v| Arc::new(BinaryArray::from_iter(v)) as ArrayRef)
            .boxed(),
        ColumnKind::TimestampUs => vals(ts, rows, nullable)
            .prop_map(|v| Arc::new(TimestampMicrosecondArray::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::TimestampNsUtc => vals(any::<i64>(), rows, nullable)
            .prop_map(|v| Arc::new(TimestampNanosecondArray::from(v).with_timezone("UTC")) as ArrayRef)
            .boxed(),
        ColumnKind::Date32 => vals(-700_000i32..2_900_000, rows, nullable)
            .prop_map(|v| Arc::new(Date32Array::from(v)) as ArrayRef)
            .boxed(),
        ColumnKind::ListInt32 => vals(vec(any::<i32>(), 0..4), rows, nullable)
            .prop_map(|v| {
                let nulls: Vec<bool> = v.iter().map(Option::is_some).collect();
                let lens: Vec<usize> = v.iter().map(|x| x.as_ref().map_or(0, Vec::len)).collect();
                let values: Vec<i32> = v.into_iter().flatten().flatten().collect();
                let field = Arc::new(Field::new("item", A::Int32, true));
                Arc::new(
                    ListArray::try_new(
                        field,
                        OffsetBuffer::from_lengths(lens),
                        Arc::new(Int32Array::from(values)),
                        Some(nulls.into()),
                    )
                    .expect("valid list"),
                ) as ArrayRef
            })
            .boxed(),
        ColumnKind::Struct => (vals(any::<i64>(), rows, true), vals("[a-z ,\"]{0,5}", rows, nullable))
            .prop_map(|(a, b)| {
                let fields =
                    Fields::from(vec![Field::new("a", A::Int64, true), Field::new("b", A::Utf8, true)]);
                Arc::new(
                    StructArray::try_new(
                        fields,
                        vec![Arc::new(Int64Array::from(a)), Arc::new(StringArray::from(b))],
                        None,
                    )
                    .expect("valid struct"),
                ) as ArrayRef
            })
            .boxed(),
        ColumnKind::FixedSizeList => vec(any::<f32>(), rows * 2)
            .prop_map(|v| {
                let field = Arc::new(Field::new("item", A::Float32, true));
                Arc::new(
                    FixedSizeListArray::try_new(field, 2, Arc::new(Float32Array::from(v)), None)
                        .expect("valid list"),
                ) as ArrayRef
            })
            .boxed(),
    }
}

/// A table of the given column kinds: a schema and 1–3 batches (0–12 rows in all),
/// with unique, sometimes awkward, column names.
pub fn table_of(kinds: &'static [ColumnKind]) -> impl Strategy<Value = (SchemaRef, Vec<RecordBatch>)> {
    (vec((proptest::sample::select(kinds), column_name(), any::<bool>()), 1..6), 0usize..12, 1usize..4)
        .prop_flat_map(|(cols, rows, nbatches)| {
            let strategies: Vec<_> =
                cols.iter().map(|(k, _, nullable)| column(*k, rows, *nullable)).collect();
            let names: Vec<String> =
                cols.iter().enumerate().map(|(i, (_, n, _))| format!("{n}{i}")).collect();
            (strategies, Just(names), Just(nbatches))
        })
        .prop_map(|(arrays, names, nbatches)| {
            let fields: Vec<Field> = arrays
                .iter()
                .zip(&names)
                .map(|(a, n)| {
                    Field::new(n.as_str(), a.data_type().clone(), a.null_count() > 0 || a.is_nullable())
                })
                .collect();
            let schema = Arc::new(Schema::new(fields));
            let batch = RecordBatch::try_new(schema.clone(), arrays).expect("columns fit the schema");
            let rows = batch.num_rows();
            let per = rows.div_ceil(nbatches).max(1);
            let batches = if rows == 0 {
                vec![batch]
            } else {
                (0..rows).step_by(per).map(|s| batch.slice(s, per.min(rows - s))).collect()
            };
            (schema, batches)
        })
}

/// A table of any supported column kinds (nested, binary, zone-aware timestamps...).
pub fn arrow_table() -> impl Strategy<Value = (SchemaRef, Vec<RecordBatch>)> {
    table_of(&ColumnKind::ALL)
}

/// A table of flat column kinds only.
pub fn flat_table() -> impl Strategy<Value = (SchemaRef, Vec<RecordBatch>)> {
    table_of(&ColumnKind::FLAT)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest! {
        #[test]
        fn arrays_are_valid(a in nd_array()) {
            prop_assert_eq!(a.as_bytes().len(), a.len() * a.data_type().itemsize());
            for i in 0..a.len() { let _ = a.cell(i); }
        }

        #[test]
        fn tables_are_valid((schema, batches) in arrow_table()) {
            prop_assert!(!batches.is_empty());
            for b in &batches { prop_assert_eq!(b.schema(), schema.clone()); }
            let t = tessera_core::Table::from_batches(schema, batches);
            prop_assert!(t.is_ok());
        }
    }
}
