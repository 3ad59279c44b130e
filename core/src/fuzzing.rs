//! `Arbitrary` inputs for fuzz targets (feature `arbitrary`): arrays of any dtype and
//! tables of assorted Arrow types, small enough to encode quickly.

use std::sync::Arc;

use arbitrary::{Arbitrary, Result, Unstructured};
use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Float32Array, Float64Array, Int8Array, Int64Array, ListArray,
    RecordBatch, StringArray, StructArray, TimestampMicrosecondArray, UInt16Array, UInt64Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Fields, Schema};

use crate::array::NdArray;
use crate::dtype::DataType;
use crate::table::Table;

impl<'a> Arbitrary<'a> for NdArray {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let dt: DataType = u.arbitrary()?;
        let ndim = u.int_in_range(0..=4)?;
        let mut shape = Vec::with_capacity(ndim);
        for _ in 0..ndim {
            shape.push(u.int_in_range(0..=6)?);
        }
        let n = shape.iter().product::<usize>() * dt.itemsize();
        let mut bytes = Vec::with_capacity(n);
        for _ in 0..n {
            bytes.push(u.arbitrary::<u8>().unwrap_or(0));
        }
        if let DataType::Unicode(_) = dt {
            // Keep code points valid most of the time; invalid ones must still not panic.
            for c in bytes.chunks_exact_mut(4) {
                if c[3] != 0xff {
                    c[2] &= 0x0f;
                    c[3] = 0;
                }
            }
        }
        NdArray::new(dt, shape, bytes).map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

fn opt<'a, T: Arbitrary<'a>>(u: &mut Unstructured<'a>, nulls: bool) -> Result<Option<T>> {
    if nulls && u.ratio(1u8, 4u8)? { Ok(None) } else { u.arbitrary().map(Some) }
}

/// A table with 1–6 columns of assorted types (with nulls, nested lists and structs,
/// binary, timestamps, odd column names) and 0–40 rows in 1–3 batches.
pub fn arbitrary_table(u: &mut Unstructured<'_>) -> Result<Table> {
    let ncols = u.int_in_range(1..=6)?;
    let nbatches = u.int_in_range(1..=3)?;
    let kinds: Vec<u8> = (0..ncols).map(|_| u.int_in_range(0u8..=11)).collect::<Result<_>>()?;
    let names: Vec<String> = (0..ncols)
        .map(|i| Ok(format!("{}{i}", u.arbitrary::<String>()?.chars().take(8).collect::<String>())))
        .collect::<Result<_>>()?;
    let mut batches = Vec::new();
    let mut schema = None;
    for _ in 0..nbatches {
        let rows = u.int_in_range(0..=40)?;
        let mut cols: Vec<ArrayRef> = Vec::new();
        for &k in &kinds {
            let nulls = k % 2 == 0;
            let v = |u: &mut Unstructured<'_>| -> Result<ArrayRef> {
                Ok(match k {
                    0 => Arc::new((0..rows).map(|_| opt::<i64>(u, nulls)).collect::<Result<Int64Array>>()?),
                    1 => Arc::new((0..rows).map(|_| opt::<f64>(u, nulls)).collect::<Result<Float64Array>>()?),
                    2 => {
                        Arc::new((0..rows).map(|_| opt::<String>(u, nulls)).collect::<Result<StringArray>>()?)
                    }
                    3 => {
                        Arc::new((0..rows).map(|_| opt::<bool>(u, nulls)).collect::<Result<BooleanArray>>()?)
                    }
                    4 => Arc::new((0..rows).map(|_| opt::<i8>(u, nulls)).collect::<Result<Int8Array>>()?),
                    5 => Arc::new((0..rows).map(|_| opt::<u64>(u, nulls)).collect::<Result<UInt64Array>>()?),
                    6 => Arc::new(
                        (0..rows)
                            .map(|_| Ok(opt::<i64>(u, nulls)?.map(|x| x % 4_000_000_000_000_000)))
                            .collect::<Result<TimestampMicrosecondArray>>()?,
                    ),
                    7 => Arc::new((0..rows).map(|_| opt::<f32>(u, nulls)).collect::<Result<Float32Array>>()?),
                    8 => {
                        let vals: Vec<Option<Vec<u8>>> =
                            (0..rows).map(|_| opt(u, nulls)).collect::<Result<_>>()?;
                        Arc::new(BinaryArray::from_iter(vals))
                    }
                    9 => Arc::new((0..rows).map(|_| opt::<u16>(u, false)).collect::<Result<UInt16Array>>()?),
                    10 => {
                        let mut lens = Vec::with_capacity(rows);
                        let mut vals = Vec::new();
                        for _ in 0..rows {
                            let n = u.int_in_range(0..=3)?;
                            lens.push(n);
                            for _ in 0..n {
                                vals.push(u.arbitrary::<i64>()?);
                            }
                        }
                        let field = Arc::new(ArrowField::new("item", ArrowType::Int64, true));
                        Arc::new(
                            ListArray::try_new(
                                field,
                                OffsetBuffer::from_lengths(lens),
                                Arc::new(Int64Array::from(vals)),
                                None,
                            )
                            .map_err(|_| arbitrary::Error::IncorrectFormat)?,
                        )
                    }
                    _ => {
                        let a: ArrayRef =
                            Arc::new((0..rows).map(|_| opt::<i64>(u, true)).collect::<Result<Int64Array>>()?);
                        let b: ArrayRef = Arc::new(
                            (0..rows).map(|_| opt::<String>(u, false)).collect::<Result<StringArray>>()?,
                        );
                        let fields = Fields::from(vec![
                            ArrowField::new("a", ArrowType::Int64, true),
                            ArrowField::new("b", ArrowType::Utf8, true),
                        ]);
                        Arc::new(
                            StructArray::try_new(fields, vec![a, b], None)
                                .map_err(|_| arbitrary::Error::IncorrectFormat)?,
                        )
                    }
                })
            };
            cols.push(v(u)?);
        }
        let s = schema.get_or_insert_with(|| {
            Arc::new(Schema::new(
                cols.iter()
                    .zip(&names)
                    .map(|(c, n)| ArrowField::new(n.as_str(), c.data_type().clone(), true))
                    .collect::<Vec<_>>(),
            ))
        });
        batches.push(RecordBatch::try_new(s.clone(), cols).map_err(|_| arbitrary::Error::IncorrectFormat)?);
    }
    let schema = schema.ok_or(arbitrary::Error::NotEnoughData)?;
    Table::from_batches(schema, batches).map_err(|_| arbitrary::Error::IncorrectFormat)
}
