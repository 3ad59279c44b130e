//! Round trips through independent readers: arrow-csv (typed) and the `csv` crate.
//! Floats must come back bit-exact (shortest round-trip text).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::{CastOptions, cast_with_options, concat_batches};
use arrow::datatypes::{DataType as A, Field, Schema};
use tessera_core::{Cell, DataType, NdArray, Params};

use crate::{array_csv, records, table_csv};

/// Checks that the texts read back for a column mean the original values: strings equal
/// (a null reads as empty), everything else parsed by Arrow's own text parsers (cast from
/// Utf8) and compared by value, floats bit for bit (NaN as NaN).
pub fn check_column(name: &str, orig: &dyn Array, texts: &[String]) {
    assert_eq!(orig.len(), texts.len(), "{name}");
    if matches!(orig.data_type(), A::Utf8 | A::LargeUtf8 | A::Utf8View | A::Dictionary(..)) {
        let s = arrow::compute::cast(orig, &A::Utf8).unwrap();
        let s = s.as_string::<i32>();
        for (i, t) in texts.iter().enumerate() {
            let want = if s.is_null(i) { "" } else { s.value(i) };
            assert_eq!(t, want, "{name} row {i}");
        }
        return;
    }
    if matches!(orig.data_type(), A::Null) {
        assert!(texts.iter().all(String::is_empty), "{name}");
        return;
    }
    // Named zones need chrono-tz in Arrow's parser; the instant is what matters.
    let target = match orig.data_type() {
        A::Timestamp(u, Some(_)) => A::Timestamp(*u, Some("+00:00".into())),
        A::Duration(_) => A::Int64,
        other => other.clone(),
    };
    let parsed =
        StringArray::from(texts.iter().map(|t| (!t.is_empty()).then_some(t.as_str())).collect::<Vec<_>>());
    let back = cast_with_options(&parsed, &target, &CastOptions { safe: true, ..Default::default() })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    #[allow(clippy::needless_range_loop)]
    for i in 0..orig.len() {
        if orig.is_null(i) {
            assert_eq!(texts[i], "", "{name} row {i}");
            continue;
        }
        if back.is_null(i) {
            // Arrow's parser stops at year 9999; such values are printed with a sign.
            let extended = texts[i].starts_with('+') || texts[i].starts_with('-');
            let temporal = matches!(orig.data_type(), A::Timestamp(..) | A::Date32);
            assert!(extended && temporal, "{name} row {i}: {:?} did not parse", texts[i]);
            continue;
        }
        match orig.data_type() {
            A::Float64 => {
                let a = orig.as_primitive::<arrow::datatypes::Float64Type>().value(i);
                let b = back.as_primitive::<arrow::datatypes::Float64Type>().value(i);
                assert!(a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(), "{name} row {i}: {a} vs {b}");
            }
            A::Float32 => {
                let a = orig.as_primitive::<arrow::datatypes::Float32Type>().value(i);
                let b = back.as_primitive::<arrow::datatypes::Float32Type>().value(i);
                assert!(a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(), "{name} row {i}: {a} vs {b}");
            }
            A::Timestamp(..) | A::Duration(_) => {
                let a = orig.to_data().buffers()[0].typed_data::<i64>()[orig.offset() + i];
                let b = back.to_data().buffers()[0].typed_data::<i64>()[back.offset() + i];
                assert_eq!(a, b, "{name} row {i}: {:?}", texts[i]);
            }
            _ => assert_eq!(
                back.slice(i, 1).to_data(),
                orig.slice(i, 1).to_data(),
                "{name} row {i}: {:?}",
                texts[i]
            ),
        }
    }
}

/// Checks a table's CSV (with header) against the batches, column by column.
pub fn check_table(csv: &[u8], schema: &Schema, batches: &[RecordBatch]) {
    let recs = records(csv);
    let cols: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| !tessera_core::columns::is_binary(schema.field(i).data_type()))
        .collect();
    if cols.is_empty() {
        assert!(recs.is_empty());
        return;
    }
    let all = concat_batches(&Arc::new(schema.clone()), batches).unwrap();
    assert_eq!(recs.len(), all.num_rows() + 1);
    let header: Vec<&str> = cols.iter().map(|&i| schema.field(i).name().as_str()).collect();
    assert_eq!(recs[0], header);
    for (k, &i) in cols.iter().enumerate() {
        let texts: Vec<String> = recs[1..].iter().map(|r| r[k].clone()).collect();
        let name = schema.field(i).name();
        match schema.field(i).data_type() {
            A::List(_) | A::FixedSizeList(..) | A::Struct(_) => {
                for (row, t) in texts.iter().enumerate() {
                    if all.column(i).is_null(row) {
                        assert_eq!(t, "");
                    } else {
                        serde_json::from_str::<serde_json::Value>(t)
                            .unwrap_or_else(|e| panic!("{name}: {t}: {e}"));
                    }
                }
            }
            _ => check_column(name, all.column(i).as_ref(), &texts),
        }
    }
}

#[test]
fn t2_reads_back_exactly_with_arrow_csv() {
    let t = tessera_testkit::workloads::t2();
    let batches: Vec<RecordBatch> = t.stream().map(Result::unwrap).collect();
    let csv = table_csv(t.schema().clone(), batches.clone(), &Params::new());
    let reader = arrow_csv::ReaderBuilder::new(t.schema().clone())
        .with_header(true)
        .with_batch_size(100_000)
        .build(csv.as_slice())
        .unwrap();
    let back: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let back = concat_batches(t.schema(), &back).unwrap();
    let orig = concat_batches(t.schema(), &batches).unwrap();
    assert_eq!(back, orig);
}

#[test]
fn every_flat_type_reads_back() {
    let b = crate::golden::all_types_batch();
    let csv = table_csv(b.schema(), vec![b.clone()], &Params::new());
    check_table(&csv, &b.schema(), std::slice::from_ref(&b));
}

#[test]
fn float_matrix_reads_back_bit_exact() {
    let v: Vec<f64> = (0..64 * 64).map(|k: i32| f64::from(k).sin() * 10f64.powi(k % 40 - 20)).collect();
    let a = NdArray::from_vec(vec![64, 64], v.clone()).unwrap();
    let recs = records(&array_csv(&a));
    assert_eq!(recs.len(), 64);
    let back: Vec<f64> = recs.iter().flatten().map(|s| s.parse::<f64>().unwrap()).collect();
    assert_eq!(
        back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
}

/// Checks an array's CSV against its elements with independent parsing.
pub fn check_array(a: &NdArray, csv: &[u8]) {
    let recs = records(csv);
    let (rows, cols) = match a.shape() {
        [] => (1, 1),
        [n] => (*n, 1),
        [n, m] => (*n, *m),
        _ => unreachable!(),
    };
    if let DataType::Record { fields, .. } = a.data_type()
        && a.ndim() <= 1
    {
        let expect = if fields.is_empty() { 0 } else { rows };
        assert_eq!(recs.len(), expect);
        assert!(recs.iter().all(|r| r.len() == fields.len()));
        return;
    }
    if cols == 0 || rows == 0 {
        assert!(recs.is_empty(), "{recs:?}");
        return;
    }
    assert_eq!(recs.len(), rows);
    for (r, rec) in recs.iter().enumerate() {
        assert_eq!(rec.len(), cols);
        for (c, text) in rec.iter().enumerate() {
            check_cell(a.data_type(), &a.cell(r * cols + c), text);
        }
    }
}

fn parse_f(s: &str) -> f64 {
    s.parse::<f64>().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn same_f(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan()
}

fn check_cell(dt: &DataType, cell: &Cell<'_>, text: &str) {
    match cell {
        Cell::Bool(b) => assert_eq!(text, if *b { "true" } else { "false" }),
        Cell::Int(v) => assert_eq!(text.parse::<i64>().unwrap(), *v),
        Cell::UInt(v) => assert_eq!(text.parse::<u64>().unwrap(), *v),
        Cell::Float(v) => assert!(same_f(parse_f(text), *v), "{text} vs {v}"),
        Cell::Float32(v) => {
            let back = text.parse::<f32>().unwrap();
            assert!(back.to_bits() == v.to_bits() || back.is_nan() && v.is_nan(), "{text} vs {v}");
        }
        Cell::Complex(re, im) => {
            let body = text.strip_suffix('j').unwrap();
            // core writes a NaN imaginary part without a sign (`1.0nanj`).
            let split = (1..body.len())
                .rev()
                .find(|&i| matches!(body.as_bytes()[i], b'+' | b'-') && body.as_bytes()[i - 1] != b'e')
                .unwrap_or_else(|| body.len() - 3);
            let (a, b) = body.split_at(split);
            if *dt == DataType::Complex64 {
                // Parts of complex64 are f32 and written as the shortest f32 text.
                let f = |s: &str| f64::from(s.parse::<f32>().unwrap());
                assert!(same_f(f(a), *re) && same_f(f(b), *im), "{text}");
            } else {
                assert!(same_f(parse_f(a), *re) && same_f(parse_f(b), *im), "{text}");
            }
        }
        Cell::Str(s) => assert_eq!(text, s.as_ref()),
        Cell::Bytes(b) => assert_eq!(text, String::from_utf8_lossy(b)),
        Cell::Datetime(None, _) | Cell::Timedelta(None, _) => assert_eq!(text, ""),
        Cell::Timedelta(Some(v), _) => assert_eq!(text.parse::<i64>().unwrap(), *v),
        other => {
            let mut want = Vec::new();
            other.write_text(&mut want);
            assert_eq!(text.as_bytes(), want.as_slice());
        }
    }
}

#[test]
fn typed_schema_with_struct_reads_as_json() {
    let s = arrow::array::StructArray::from(vec![(
        Arc::new(Field::new("k", A::Utf8, true)),
        Arc::new(StringArray::from(vec!["a,\"b\""])) as ArrayRef,
    )]);
    let b = crate::batch(vec![("s", Arc::new(s) as ArrayRef)]);
    let csv = table_csv(b.schema(), vec![b], &Params::new());
    let recs = records(&csv);
    let v: serde_json::Value = serde_json::from_str(&recs[1][0]).unwrap();
    assert_eq!(v, serde_json::json!({"k": "a,\"b\""}));
}
