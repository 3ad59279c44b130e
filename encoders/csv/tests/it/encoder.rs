//! Behaviour of the registered encoders and of the typed writer: parameters, errors,
//! empty inputs, odd names, every dtype's shape handling, registration.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as A, Field, Schema};
use tessera_core::{
    ArrayEncoder, DataType, EncodeError, Family, NdArray, Params, Registration, Registry, TableEncoder,
};
use tessera_csv::{CsvEncoder, CsvOptions, REGISTRATIONS};

use crate::{array_csv, batch, records, table_csv};

fn ints(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

#[test]
fn empty_table_has_only_the_header() {
    let schema =
        Arc::new(Schema::new(vec![Field::new("a", A::Int64, true), Field::new("b c", A::Utf8, true)]));
    assert_eq!(table_csv(schema.clone(), vec![], &Params::new()), b"a,b c\n");
    let empty = RecordBatch::new_empty(schema.clone());
    assert_eq!(table_csv(schema.clone(), vec![empty.clone(), empty], &Params::new()), b"a,b c\n");
    assert_eq!(table_csv(schema, vec![], &Params::new().with("header", "absent")), b"");
}

#[test]
fn header_parameter() {
    let b = batch(vec![("x", ints(vec![1, 2]))]);
    let s = b.schema();
    assert_eq!(table_csv(s.clone(), vec![b.clone()], &Params::new().with("header", "present")), b"x\n1\n2\n");
    assert_eq!(table_csv(s.clone(), vec![b.clone()], &Params::new().with("Header", "ABSENT")), b"1\n2\n");
    for bad in [Params::new().with("header", "yes"), Params::new().with("delimiter", ";")] {
        let mut out = Vec::new();
        let err =
            TableEncoder::encode(&CsvEncoder, &mut crate::stream(s.clone(), vec![b.clone()]), &bad, &mut out)
                .unwrap_err();
        assert!(matches!(err, EncodeError::InvalidOption { .. }), "{err}");
        assert!(out.is_empty());
        assert!(TableEncoder::check(&CsvEncoder, &s, &bad).is_err());
    }
    assert!(TableEncoder::check(&CsvEncoder, &s, &Params::new().with("charset", "utf-8")).is_ok());
}

#[test]
fn binary_columns_are_left_out() {
    let bin: ArrayRef = Arc::new(BinaryArray::from(vec![b"\x00\x01".as_slice(), b"zz"]));
    let b = batch(vec![
        ("id", ints(vec![1, 2])),
        ("blob", bin.clone()),
        ("s", Arc::new(StringArray::from(vec!["a", "b"]))),
    ]);
    assert_eq!(table_csv(b.schema(), vec![b], &Params::new()), b"id,s\n1,a\n2,b\n");
    let only = batch(vec![("blob", bin)]);
    assert_eq!(table_csv(only.schema(), vec![only], &Params::new()), b"");
}

#[test]
fn odd_column_names_are_quoted() {
    let names = ["quote\"d", "com,ma", "new\nline", "é名🙂", " lead", ""];
    let cols: Vec<(&str, ArrayRef)> = names.iter().map(|n| (*n, ints(vec![1]))).collect();
    let b = batch(cols);
    let out = table_csv(b.schema(), vec![b], &Params::new());
    assert_eq!(out, "\"quote\"\"d\",\"com,ma\",\"new\nline\",é名🙂,\" lead\",\n1,1,1,1,1,1\n".as_bytes());
    assert_eq!(records(&out)[0], names);
}

#[test]
fn a_single_empty_field_is_written_as_two_quotes() {
    let b = batch(vec![("s", Arc::new(StringArray::from(vec![Some(""), None, Some("x")])) as ArrayRef)]);
    let out = table_csv(b.schema(), vec![b], &Params::new());
    assert_eq!(out, b"s\n\"\"\n\"\"\nx\n");
    assert_eq!(records(&out).len(), 4);
}

#[test]
fn nulls_are_empty_fields() {
    let b = batch(vec![
        ("a", Arc::new(Int64Array::from(vec![None, Some(1)])) as ArrayRef),
        ("b", Arc::new(Float64Array::from(vec![Some(0.5), None])) as ArrayRef),
    ]);
    assert_eq!(table_csv(b.schema(), vec![b], &Params::new()), b"a,b\n,0.5\n1,\n");
}

#[test]
fn typed_writer_options() {
    let b = batch(vec![
        ("a", ints(vec![1, 2])),
        ("b", Arc::new(StringArray::from(vec!["x;y", "z"])) as ArrayRef),
    ]);
    let mut w = CsvOptions::new().with_delimiter(b';').with_crlf(true).build(Vec::new()).unwrap();
    w.write(&b).unwrap();
    w.write(&b.slice(1, 1)).unwrap();
    assert_eq!(w.finish().unwrap(), b"a;b\r\n1;\"x;y\"\r\n2;z\r\n2;z\r\n");
    for d in [b'"', b'\n', b'\r', 0xe9] {
        assert!(matches!(
            CsvOptions::new().with_delimiter(d).build(Vec::new()),
            Err(EncodeError::InvalidOption { .. })
        ));
    }
    // A delimiter that numbers contain makes every field checked.
    let f = batch(vec![
        ("x", Arc::new(Float64Array::from(vec![1.5, -2.0])) as ArrayRef),
        ("y", ints(vec![3, -4])),
    ]);
    let mut w = CsvOptions::new().with_delimiter(b'.').with_header(false).build(Vec::new()).unwrap();
    w.write(&f).unwrap();
    assert_eq!(w.finish().unwrap(), b"\"1.5\".3\n\"-2.0\".-4\n");
    let mut w = CsvOptions::new().with_delimiter(b'-').with_header(false).build(Vec::new()).unwrap();
    w.write(&f).unwrap();
    assert_eq!(w.finish().unwrap(), b"1.5-3\n\"-2.0\"-\"-4\"\n");
}

#[test]
fn batches_of_another_width_are_refused() {
    let mut w = CsvOptions::new().build(Vec::new()).unwrap();
    w.write(&batch(vec![("a", ints(vec![1]))])).unwrap();
    let err = w.write(&batch(vec![("a", ints(vec![1])), ("b", ints(vec![2]))])).unwrap_err();
    assert!(matches!(err, EncodeError::Input(_)), "{err}");
}

#[test]
fn arrays_of_every_rank_up_to_two() {
    let scalar = NdArray::from_vec(vec![], vec![2.5f64]).unwrap();
    assert_eq!(array_csv(&scalar), b"2.5\n");
    let v = NdArray::from_vec(vec![3], vec![1i16, -2, 3]).unwrap();
    assert_eq!(array_csv(&v), b"1\n-2\n3\n");
    let m = NdArray::from_vec(vec![2, 3], vec![1u8, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(array_csv(&m), b"1,2,3\n4,5,6\n");
    // The header parameter is accepted; arrays never have a header.
    let mut out = Vec::new();
    ArrayEncoder::encode(&CsvEncoder, &m, &Params::new().with("header", "present"), &mut out).unwrap();
    assert_eq!(out, b"1,2,3\n4,5,6\n");
}

#[test]
fn zero_length_dimensions_give_no_records() {
    for shape in [vec![0], vec![0, 3], vec![3, 0], vec![0, 0]] {
        let a = NdArray::zeros(DataType::Float64, shape.clone()).unwrap();
        assert_eq!(array_csv(&a), b"", "{shape:?}");
    }
}

#[test]
fn more_than_two_dimensions_is_unsupported_before_any_byte() {
    let a = NdArray::zeros(DataType::Int32, vec![2, 2, 2]).unwrap();
    let err = ArrayEncoder::check(&CsvEncoder, a.data_type(), a.shape(), &Params::new()).unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported { .. }));
    assert!(err.to_string().contains("slice"), "{err}");
    let mut out = Vec::new();
    assert!(ArrayEncoder::encode(&CsvEncoder, &a, &Params::new(), &mut out).is_err());
    assert!(out.is_empty());
    let mut w = CsvOptions::new().build(Vec::new()).unwrap();
    assert!(w.write_array(&a).is_err());
}

#[test]
fn large_arrays_stream_in_slabs() {
    // 3 slabs of 4 MiB and a bit: the output is the same as for one piece.
    let rows = 1200;
    let a = NdArray::from_vec(vec![rows, 1000], (0..rows * 1000).map(|k| k as f64 * 0.25).collect()).unwrap();
    let out = array_csv(&a);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), rows);
    let last: Vec<f64> = text.lines().last().unwrap().split(',').map(|s| s.parse().unwrap()).collect();
    assert_eq!(last.len(), 1000);
    assert_eq!(last[999], (rows * 1000 - 1) as f64 * 0.25);
}

#[test]
fn registered_for_three_families_under_tileds_names() {
    let reg = Registry::from_static(REGISTRATIONS).unwrap();
    for family in [Family::Table, Family::Array, Family::Dataset] {
        for name in [
            "csv",
            "text/csv",
            "txt",
            "text",
            "text/plain",
            "text/x-comma-separated-values",
            "application/vnd.ms-excel",
        ] {
            let (enc, _) = reg.negotiate(family, Some(name), None).unwrap();
            assert_eq!(enc.spec().media_type.as_str(), "text/csv");
            assert_eq!(enc.spec().family, family);
        }
    }
    let (_, params) = reg.negotiate(Family::Table, Some("text/csv;header=absent"), None).unwrap();
    assert_eq!(params.get("header"), Some("absent"));
    assert!(matches!(REGISTRATIONS[0], Registration::Table(_)));
    use tessera_csv as _;
    let global = Registry::global().unwrap();
    assert!(global.negotiate(Family::Table, Some("csv"), None).is_ok());
}

#[test]
fn a_failing_stream_is_an_input_error() {
    let b = batch(vec![("a", ints(vec![1]))]);
    let items = vec![Ok(b.clone()), Err(arrow::error::ArrowError::ComputeError("storage went away".into()))];
    let mut s = tessera_core::table::IterStream::new(b.schema(), items.into_iter());
    let err = TableEncoder::encode(&CsvEncoder, &mut s, &Params::new(), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EncodeError::Input(_)), "{err}");
    assert!(err.to_string().contains("storage went away"));
}
