//! Conversions between [`NdArray`] and Arrow arrays.
//!
//! A table column is exposed as a 1-D array node, and a dataset exports through its table
//! form; both need these conversions. The mapping:
//!
//! | numpy dtype | Arrow type |
//! |---|---|
//! | bool | Boolean |
//! | int8..int64, uint8..uint64, float16/32/64 | the same width |
//! | datetime64[s/ms/us/ns] | Timestamp(unit, no zone) |
//! | datetime64[D] | Date32 |
//! | timedelta64[s/ms/us/ns] | Duration(unit) |
//! | `<U n` | Utf8 |
//! | `S n` | Binary |
//!
//! Complex numbers, records and coarse time units have no Arrow counterpart here and give
//! a [`ConvertError`]. NaT becomes null.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, DurationMicrosecondArray,
    DurationMillisecondArray, DurationNanosecondArray, DurationSecondArray, PrimitiveArray, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
};
use arrow::buffer::{Buffer, ScalarBuffer};
use arrow::datatypes::{self as adt, ArrowPrimitiveType, DataType as ArrowType, TimeUnit as ArrowUnit};

use crate::array::{Cell, NdArray};
use crate::dtype::{DataType, TimeUnit};

/// A value that has no counterpart on the other side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConvertError(pub String);

fn primitive<T: ArrowPrimitiveType>(a: &NdArray) -> ArrayRef {
    let n = a.len();
    let buf: Buffer = a.buffer().clone();
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::new(buf, 0, n), None))
}

fn time_values(a: &NdArray) -> (Vec<i64>, Vec<bool>) {
    let bytes = a.as_bytes();
    let mut v = Vec::with_capacity(a.len());
    let mut valid = Vec::with_capacity(a.len());
    for c in bytes.chunks_exact(8) {
        let x = i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        v.push(x);
        valid.push(x != i64::MIN);
    }
    (v, valid)
}

/// An n-d array as a flat (C-order) Arrow array.
///
/// # Errors
/// [`ConvertError`] for complex, record and coarse-unit time dtypes.
pub fn to_arrow(a: &NdArray) -> Result<ArrayRef, ConvertError> {
    Ok(match a.data_type() {
        DataType::Bool => {
            Arc::new(BooleanArray::from(a.as_bytes().iter().map(|&b| b != 0).collect::<Vec<_>>()))
        }
        DataType::Int8 => primitive::<adt::Int8Type>(a),
        DataType::Int16 => primitive::<adt::Int16Type>(a),
        DataType::Int32 => primitive::<adt::Int32Type>(a),
        DataType::Int64 => primitive::<adt::Int64Type>(a),
        DataType::UInt8 => primitive::<adt::UInt8Type>(a),
        DataType::UInt16 => primitive::<adt::UInt16Type>(a),
        DataType::UInt32 => primitive::<adt::UInt32Type>(a),
        DataType::UInt64 => primitive::<adt::UInt64Type>(a),
        DataType::Float16 => primitive::<adt::Float16Type>(a),
        DataType::Float32 => primitive::<adt::Float32Type>(a),
        DataType::Float64 => primitive::<adt::Float64Type>(a),
        DataType::Datetime64(u) => {
            let (v, valid) = time_values(a);
            let nulls = Some(valid.into());
            match u {
                TimeUnit::Second => Arc::new(TimestampSecondArray::new(v.into(), nulls)),
                TimeUnit::Millisecond => Arc::new(TimestampMillisecondArray::new(v.into(), nulls)),
                TimeUnit::Microsecond => Arc::new(TimestampMicrosecondArray::new(v.into(), nulls)),
                TimeUnit::Nanosecond => Arc::new(TimestampNanosecondArray::new(v.into(), nulls)),
                TimeUnit::Day => {
                    let mut days = Vec::with_capacity(v.len());
                    for &d in &v {
                        match i32::try_from(d) {
                            Ok(d) => days.push(d),
                            Err(_) if d == i64::MIN => days.push(0),
                            Err(_) => return Err(ConvertError(format!("day {d} is out of Date32 range"))),
                        }
                    }
                    Arc::new(Date32Array::new(days.into(), nulls))
                }
                other => {
                    return Err(ConvertError(format!(
                        "datetime64[{}] has no Arrow type; convert it to days or seconds",
                        other.code()
                    )));
                }
            }
        }
        DataType::Timedelta64(u) => {
            let (v, valid) = time_values(a);
            let nulls = Some(valid.into());
            match u {
                TimeUnit::Second => Arc::new(DurationSecondArray::new(v.into(), nulls)),
                TimeUnit::Millisecond => Arc::new(DurationMillisecondArray::new(v.into(), nulls)),
                TimeUnit::Microsecond => Arc::new(DurationMicrosecondArray::new(v.into(), nulls)),
                TimeUnit::Nanosecond => Arc::new(DurationNanosecondArray::new(v.into(), nulls)),
                other => {
                    return Err(ConvertError(format!("timedelta64[{}] has no Arrow type", other.code())));
                }
            }
        }
        DataType::Unicode(_) => Arc::new(StringArray::from(
            (0..a.len())
                .map(|i| match a.cell(i) {
                    Cell::Str(s) => s.into_owned(),
                    _ => String::new(),
                })
                .collect::<Vec<_>>(),
        )),
        DataType::Bytes(_) => {
            Arc::new(BinaryArray::from_iter_values((0..a.len()).map(|i| match a.cell(i) {
                Cell::Bytes(b) => b.to_vec(),
                _ => Vec::new(),
            })))
        }
        other => return Err(ConvertError(format!("{other} has no Arrow counterpart"))),
    })
}

fn from_primitive<T: ArrowPrimitiveType>(a: &dyn Array, dt: DataType) -> Result<NdArray, ConvertError> {
    let p = a.as_primitive::<T>();
    let n = p.len();
    let values = p.values().inner().slice_with_length(0, n * std::mem::size_of::<T::Native>());
    NdArray::new(dt, vec![n], values).map_err(|e| ConvertError(e.to_string()))
}

/// A 1-D Arrow array as an [`NdArray`], for exposing a table column as an array node.
/// Nulls in integer columns are not representable and give an error; in float columns
/// they become NaN, in timestamps NaT, in strings the empty string.
///
/// # Errors
/// [`ConvertError`] for Arrow types with no numpy dtype (lists, structs, ...), and for
/// integer or boolean columns with nulls.
pub fn from_arrow(a: &dyn Array) -> Result<NdArray, ConvertError> {
    use arrow::array::AsArray as _;
    let n = a.len();
    let float_nulls = || -> Result<NdArray, ConvertError> {
        let f = arrow::compute::cast(a, &ArrowType::Float64).map_err(|e| ConvertError(e.to_string()))?;
        let f = f.as_primitive::<adt::Float64Type>();
        let v: Vec<f64> = (0..n).map(|i| if f.is_null(i) { f64::NAN } else { f.value(i) }).collect();
        NdArray::from_vec(vec![n], v).map_err(|e| ConvertError(e.to_string()))
    };
    if a.null_count() > 0 {
        match a.data_type() {
            ArrowType::Float16 | ArrowType::Float32 | ArrowType::Float64 => return float_nulls(),
            ArrowType::Timestamp(..) | ArrowType::Date32 | ArrowType::Utf8 | ArrowType::LargeUtf8 => {}
            other => return Err(ConvertError(format!("a {other} column with nulls has no numpy dtype"))),
        }
    }
    let arr = match a.data_type() {
        ArrowType::Boolean => {
            let b = a.as_boolean();
            let bytes: Vec<u8> = (0..n).map(|i| u8::from(b.value(i))).collect();
            NdArray::new(DataType::Bool, vec![n], Buffer::from_vec(bytes))
                .map_err(|e| ConvertError(e.to_string()))?
        }
        ArrowType::Int8 => from_primitive::<adt::Int8Type>(a, DataType::Int8)?,
        ArrowType::Int16 => from_primitive::<adt::Int16Type>(a, DataType::Int16)?,
        ArrowType::Int32 => from_primitive::<adt::Int32Type>(a, DataType::Int32)?,
        ArrowType::Int64 => from_primitive::<adt::Int64Type>(a, DataType::Int64)?,
        ArrowType::UInt8 => from_primitive::<adt::UInt8Type>(a, DataType::UInt8)?,
        ArrowType::UInt16 => from_primitive::<adt::UInt16Type>(a, DataType::UInt16)?,
        ArrowType::UInt32 => from_primitive::<adt::UInt32Type>(a, DataType::UInt32)?,
        ArrowType::UInt64 => from_primitive::<adt::UInt64Type>(a, DataType::UInt64)?,
        ArrowType::Float16 => from_primitive::<adt::Float16Type>(a, DataType::Float16)?,
        ArrowType::Float32 => from_primitive::<adt::Float32Type>(a, DataType::Float32)?,
        ArrowType::Float64 => from_primitive::<adt::Float64Type>(a, DataType::Float64)?,
        ArrowType::Timestamp(u, _) | ArrowType::Duration(u) => {
            let unit = match u {
                ArrowUnit::Second => TimeUnit::Second,
                ArrowUnit::Millisecond => TimeUnit::Millisecond,
                ArrowUnit::Microsecond => TimeUnit::Microsecond,
                ArrowUnit::Nanosecond => TimeUnit::Nanosecond,
            };
            let ints = arrow::compute::cast(a, &ArrowType::Int64).map_err(|e| ConvertError(e.to_string()))?;
            let ints = ints.as_primitive::<adt::Int64Type>();
            let v: Vec<i64> =
                (0..n).map(|i| if ints.is_null(i) { i64::MIN } else { ints.value(i) }).collect();
            let dt = if matches!(a.data_type(), ArrowType::Timestamp(..)) {
                DataType::Datetime64(unit)
            } else {
                DataType::Timedelta64(unit)
            };
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            NdArray::new(dt, vec![n], Buffer::from_vec(bytes)).map_err(|e| ConvertError(e.to_string()))?
        }
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => {
            let s = arrow::compute::cast(a, &ArrowType::Utf8).map_err(|e| ConvertError(e.to_string()))?;
            let s = s.as_string::<i32>();
            let width = (0..n).map(|i| s.value(i).chars().count()).max().unwrap_or(0).max(1);
            let mut bytes = Vec::with_capacity(n * width * 4);
            for i in 0..n {
                let mut count = 0;
                if !s.is_null(i) {
                    for c in s.value(i).chars() {
                        bytes.extend_from_slice(&(c as u32).to_le_bytes());
                        count += 1;
                    }
                }
                bytes.resize(bytes.len() + (width - count) * 4, 0);
            }
            NdArray::new(DataType::Unicode(width), vec![n], Buffer::from_vec(bytes))
                .map_err(|e| ConvertError(e.to_string()))?
        }
        other => return Err(ConvertError(format!("a {other} column has no numpy dtype"))),
    };
    Ok(arr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int32Array};

    #[test]
    fn numeric_round_trip_without_copy_of_semantics() {
        let a = NdArray::from_vec(vec![2, 2], vec![1i32, 2, 3, 4]).unwrap();
        let arr = to_arrow(&a).unwrap();
        assert_eq!(arr.as_any().downcast_ref::<Int32Array>().unwrap().values().to_vec(), vec![1, 2, 3, 4]);
        let back = from_arrow(arr.as_ref()).unwrap();
        assert_eq!(back.as_slice::<i32>().unwrap(), a.as_slice::<i32>().unwrap());
    }

    #[test]
    fn strings_and_nulls() {
        let s = StringArray::from(vec![Some("ab"), None, Some("é")]);
        let a = from_arrow(&s).unwrap();
        assert_eq!(a.data_type(), &DataType::Unicode(2));
        assert_eq!(a.cell(2), Cell::Str("é".into()));
        let back = to_arrow(&a).unwrap();
        assert_eq!(back.as_string::<i32>().value(0), "ab");
        let f = Float64Array::from(vec![Some(1.0), None]);
        assert!(from_arrow(&f).unwrap().as_slice::<f64>().unwrap()[1].is_nan());
        let i = Int32Array::from(vec![Some(1), None]);
        assert!(from_arrow(&i).is_err());
        let c = NdArray::zeros(DataType::Complex128, vec![2]).unwrap();
        assert!(to_arrow(&c).is_err());
    }
}
