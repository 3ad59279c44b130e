//! Round trips through serde_json (strict: it refuses `NaN`): every value is compared
//! with the input exactly, floats bit for bit.

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::compute::{CastOptions, cast_with_options, concat_batches};
use arrow::datatypes::{DataType as A, Float32Type, Float64Type, Schema};
use serde_json::Value;
use tessera_core::{Cell, DataType, NdArray};
use tessera_json::{JsonEncoder, JsonSeqEncoder, NdjsonEncoder};

use crate::{encode_array, encode_table, parse, parse_rows};

/// Checks the JSON values of one column against the Arrow array.
pub fn check_values(name: &str, orig: &dyn Array, values: &[&Value]) {
    assert_eq!(orig.len(), values.len(), "{name}");
    for (i, v) in values.iter().enumerate() {
        if orig.is_null(i) {
            assert!(v.is_null(), "{name} row {i}: {v}");
            continue;
        }
        check_value(&format!("{name} row {i}"), &orig.slice(i, 1), v);
    }
}

fn same_float(what: &str, a: f64, v: &Value) {
    if a.is_finite() {
        let b = v.as_f64().unwrap_or_else(|| panic!("{what}: {v} is not a number"));
        assert_eq!(a.to_bits(), b.to_bits(), "{what}: {a} vs {v}");
    } else {
        assert!(v.is_null(), "{what}: {a} must be null, got {v}");
    }
}

/// Checks the JSON value of a one-element, non-null array.
fn check_value(what: &str, a: &dyn Array, v: &Value) {
    match a.data_type() {
        A::Int8 | A::Int16 | A::Int32 | A::Int64 => {
            let x = arrow::compute::cast(a, &A::Int64).unwrap();
            assert_eq!(v.as_i64(), Some(x.as_primitive::<arrow::datatypes::Int64Type>().value(0)), "{what}");
        }
        A::UInt8 | A::UInt16 | A::UInt32 | A::UInt64 => {
            let x = arrow::compute::cast(a, &A::UInt64).unwrap();
            assert_eq!(v.as_u64(), Some(x.as_primitive::<arrow::datatypes::UInt64Type>().value(0)), "{what}");
        }
        A::Float64 => same_float(what, a.as_primitive::<Float64Type>().value(0), v),
        A::Float32 => {
            let x = a.as_primitive::<Float32Type>().value(0);
            if x.is_finite() {
                let b = v.as_f64().unwrap() as f32;
                assert_eq!(x.to_bits(), b.to_bits(), "{what}: {x} vs {v}");
            } else {
                assert!(v.is_null(), "{what}");
            }
        }
        A::Boolean => assert_eq!(v.as_bool(), Some(a.as_boolean().value(0)), "{what}"),
        A::Utf8 => assert_eq!(v.as_str(), Some(a.as_string::<i32>().value(0)), "{what}"),
        A::Binary => {
            assert_eq!(
                v.as_str(),
                Some(String::from_utf8_lossy(a.as_binary::<i32>().value(0)).as_ref()),
                "{what}"
            )
        }
        A::Timestamp(..) | A::Date32 => {
            let text = v.as_str().unwrap_or_else(|| panic!("{what}: {v} is not a string"));
            let target = match a.data_type() {
                A::Timestamp(u, Some(_)) => A::Timestamp(*u, Some("+00:00".into())),
                other => other.clone(),
            };
            let back = cast_with_options(
                &StringArray::from(vec![text]),
                &target,
                &CastOptions { safe: true, ..Default::default() },
            )
            .unwrap();
            if back.is_null(0) {
                // Arrow's parser stops at year 9999; such values are printed with a sign.
                assert!(text.starts_with('+') || text.starts_with('-'), "{what}: {text} did not parse");
                return;
            }
            let (x, y) = (a.to_data(), back.to_data());
            let width = if matches!(a.data_type(), A::Date32) { 4 } else { 8 };
            let bytes = |d: &arrow::array::ArrayData| {
                d.buffers()[0].as_slice()[d.offset() * width..(d.offset() + 1) * width].to_vec()
            };
            assert_eq!(bytes(&x), bytes(&y), "{what}: {text}");
        }
        A::List(_) | A::LargeList(_) | A::FixedSizeList(..) => {
            let items = v.as_array().unwrap_or_else(|| panic!("{what}: {v} is not a list"));
            let list = arrow::compute::cast(
                a,
                &A::LargeList(std::sync::Arc::new(arrow::datatypes::Field::new(
                    "item",
                    list_item(a.data_type()),
                    true,
                ))),
            )
            .unwrap();
            let child = list.as_list::<i64>().value(0);
            check_values(what, child.as_ref(), &items.iter().collect::<Vec<_>>());
        }
        A::Struct(fields) => {
            let obj = v.as_object().unwrap_or_else(|| panic!("{what}: {v} is not an object"));
            assert_eq!(
                obj.keys().map(String::as_str).collect::<Vec<_>>(),
                fields.iter().map(|f| f.name().as_str()).collect::<Vec<_>>()
            );
            let s = a.as_struct();
            for (f, col) in fields.iter().zip(s.columns()) {
                check_values(what, col.as_ref(), &[&obj[f.name()]]);
            }
        }
        other => panic!("{what}: no check for {other}"),
    }
}

fn list_item(dt: &A) -> A {
    match dt {
        A::List(f) | A::LargeList(f) | A::FixedSizeList(f, _) => f.data_type().clone(),
        other => other.clone(),
    }
}

/// Checks the three table framings against the batches.
pub fn check_table(schema: &Schema, batches: &[RecordBatch]) {
    let all = concat_batches(&std::sync::Arc::new(schema.clone()), batches).unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();

    let columns = parse(&encode_table(&JsonEncoder, schema.clone().into(), batches.to_vec()));
    let obj = columns.as_object().unwrap();
    assert_eq!(obj.keys().map(String::as_str).collect::<Vec<_>>(), names);
    for (i, name) in names.iter().enumerate() {
        let vals: Vec<&Value> = obj[*name].as_array().unwrap().iter().collect();
        check_values(name, all.column(i).as_ref(), &vals);
    }

    for (enc, seq) in [(&JsonSeqEncoder as &dyn tessera_core::TableEncoder, true), (&NdjsonEncoder, false)] {
        let rows = parse_rows(&encode_table(enc, schema.clone().into(), batches.to_vec()), seq);
        assert_eq!(rows.len(), all.num_rows());
        for (i, f) in schema.fields().iter().enumerate() {
            let omitted = !seq && tessera_core::columns::is_binary(f.data_type());
            if omitted {
                assert!(rows.iter().all(|r| r.get(f.name()).is_none()));
                continue;
            }
            let vals: Vec<&Value> = rows.iter().map(|r| &r[f.name()]).collect();
            check_values(f.name(), all.column(i).as_ref(), &vals);
        }
        for r in &rows {
            let n = schema
                .fields()
                .iter()
                .filter(|f| seq || !tessera_core::columns::is_binary(f.data_type()))
                .count();
            assert_eq!(r.as_object().unwrap().len(), n);
        }
    }
}

#[test]
fn t2_reads_back_exactly() {
    let t = tessera_testkit::workloads::t2();
    let batches: Vec<RecordBatch> = t.stream().map(Result::unwrap).collect();
    check_table(t.schema(), &batches);
    // The timestamps are the T1 formula, 2020-01-01T00:00:00 plus i seconds.
    let rows = parse_rows(&encode_table(&NdjsonEncoder, t.schema().clone(), batches), false);
    for i in [0usize, 1, 59, 3_600, 86_399, 86_400, 99_999] {
        let (d, s) = (i / 86_400, i % 86_400);
        let want = format!("2020-01-{:02}T{:02}:{:02}:{:02}", 1 + d, s / 3600, s / 60 % 60, s % 60);
        assert_eq!(rows[i]["ts"], Value::String(want));
    }
}

#[test]
fn nested_and_typed_columns_read_back() {
    let b = crate::golden::json_types_batch();
    let keep: Vec<usize> = (0..b.num_columns())
        .filter(|&i| {
            !matches!(
                b.schema().field(i).data_type(),
                A::Map(..) | A::Dictionary(..) | A::Decimal128(..) | A::Time64(_) | A::Duration(_) | A::UInt8
            )
        })
        .collect();
    let b = b.project(&keep).unwrap();
    check_table(&b.schema(), std::slice::from_ref(&b));
}

/// Checks an array's JSON against its elements: nesting follows the shape.
pub fn check_array(a: &NdArray, json: &Value) {
    fn walk(a: &NdArray, shape: &[usize], base: usize, v: &Value) {
        match shape {
            [] => check_cell(a.data_type(), &a.cell(base), v),
            [n, rest @ ..] => {
                let items = v.as_array().unwrap_or_else(|| panic!("{v} is not a list"));
                assert_eq!(items.len(), *n);
                let stride: usize = rest.iter().product();
                for (i, item) in items.iter().enumerate() {
                    walk(a, rest, base + i * stride, item);
                }
            }
        }
    }
    walk(a, a.shape(), 0, json);
}

fn check_cell(dt: &DataType, cell: &Cell<'_>, v: &Value) {
    match cell {
        Cell::Bool(b) => assert_eq!(v.as_bool(), Some(*b)),
        Cell::Int(x) => assert_eq!(v.as_i64(), Some(*x)),
        Cell::UInt(x) => assert_eq!(v.as_u64(), Some(*x)),
        Cell::Float(x) => same_float("f64", *x, v),
        Cell::Float32(x) => {
            if x.is_finite() {
                assert_eq!((v.as_f64().unwrap() as f32).to_bits(), x.to_bits(), "{x} vs {v}");
            } else {
                assert!(v.is_null());
            }
        }
        Cell::Complex(re, im) => {
            let parts = v.as_array().unwrap();
            assert_eq!(parts.len(), 2);
            if *dt == DataType::Complex64 {
                for (p, x) in parts.iter().zip([re, im]) {
                    if x.is_finite() {
                        assert_eq!(f64::from(p.as_f64().unwrap() as f32).to_bits(), x.to_bits());
                    } else {
                        assert!(p.is_null());
                    }
                }
            } else {
                same_float("re", *re, &parts[0]);
                same_float("im", *im, &parts[1]);
            }
        }
        Cell::Str(s) => assert_eq!(v.as_str(), Some(s.as_ref())),
        Cell::Bytes(b) => assert_eq!(v.as_str(), Some(String::from_utf8_lossy(b).as_ref())),
        Cell::Datetime(None, _) | Cell::Timedelta(None, _) => assert!(v.is_null()),
        Cell::Timedelta(Some(x), _) => assert_eq!(v.as_i64(), Some(*x)),
        Cell::Datetime(Some(_), _) => {
            let mut want = Vec::new();
            cell.write_text(&mut want);
            assert_eq!(v.as_str().map(str::as_bytes), Some(want.as_slice()));
        }
        Cell::Record(fields) => {
            let items = v.as_array().unwrap();
            assert_eq!(items.len(), fields.len());
            let DataType::Record { fields: fdt, .. } = dt else { panic!("record cell of {dt}") };
            for ((f, (_, c)), item) in fdt.iter().zip(fields).zip(items) {
                check_cell(&f.data_type, c, item);
            }
        }
        other => panic!("unexpected cell {other:?}"),
    }
}

#[test]
fn float_matrix_reads_back_bit_exact() {
    let v: Vec<f64> = (0..32 * 32).map(|k: i32| f64::from(k).sin() * 10f64.powi(k % 60 - 30)).collect();
    let a = NdArray::from_vec(vec![32, 32], v).unwrap();
    check_array(&a, &parse(&encode_array(&a)));
}
