//! Behaviour of the registered encoders and of the typed writer.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as A, Field, Schema};
use serde_json::{Value, json};
use tessera_core::container::{ContainerTree, Node, NodeInfo};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{
    ArrayEncoder, ContainerEncoder, DataType, DatasetEncoder, EncodeError, Family, NdArray, Params, Registry,
    TableEncoder,
};
use tessera_json::{
    BinaryColumns, JsonEncoder, JsonFormat, JsonOptions, JsonSeqEncoder, NdjsonEncoder, REGISTRATIONS,
};

use crate::{batch, encode_array, encode_table, parse, parse_rows};

fn ints(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

#[test]
fn empty_tables() {
    let schema =
        Arc::new(Schema::new(vec![Field::new("a", A::Int64, true), Field::new("b\"", A::Utf8, true)]));
    let empty = RecordBatch::new_empty(schema.clone());
    for batches in [vec![], vec![empty.clone(), empty]] {
        assert_eq!(encode_table(&JsonEncoder, schema.clone(), batches.clone()), br#"{"a":[],"b\"":[]}"#);
        assert_eq!(encode_table(&JsonSeqEncoder, schema.clone(), batches.clone()), b"");
        assert_eq!(encode_table(&NdjsonEncoder, schema.clone(), batches), b"");
    }
    let none = Arc::new(Schema::empty());
    assert_eq!(encode_table(&JsonEncoder, none.clone(), vec![]), b"{}");
    let rows = RecordBatch::try_new_with_options(
        none.clone(),
        vec![],
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(2)),
    )
    .unwrap();
    assert_eq!(encode_table(&NdjsonEncoder, none.clone(), vec![rows.clone()]), b"{}\n{}\n");
    assert_eq!(encode_table(&JsonSeqEncoder, none, vec![rows]), b"\x1e{}\n\x1e{}\n");
}

#[test]
fn one_row_json_seq_has_one_record_separator() {
    let b = batch(vec![("A", ints(vec![5])), ("B", Arc::new(Float64Array::from(vec![0.05])))]);
    let out = encode_table(&JsonSeqEncoder, b.schema(), vec![b]);
    assert_eq!(out, b"\x1e{\"A\":5,\"B\":0.05}\n");
    assert_eq!(out.iter().filter(|&&c| c == 0x1e).count(), 1);
}

#[test]
fn binary_columns_per_format() {
    let b = batch(vec![
        ("id", ints(vec![1, 2])),
        ("blob", Arc::new(BinaryArray::from(vec![Some(b"ok".as_slice()), Some(b"\xff")]))),
    ]);
    assert_eq!(
        encode_table(&JsonEncoder, b.schema(), vec![b.clone()]),
        "{\"id\":[1,2],\"blob\":[\"ok\",\"\u{fffd}\"]}".as_bytes()
    );
    assert_eq!(encode_table(&NdjsonEncoder, b.schema(), vec![b.clone()]), b"{\"id\":1}\n{\"id\":2}\n");
    assert_eq!(
        parse_rows(&encode_table(&JsonSeqEncoder, b.schema(), vec![b.clone()]), true)[0],
        json!({"id": 1, "blob": "ok"})
    );
    let mut w = JsonOptions::new(JsonFormat::Columns).with_binary(BinaryColumns::Omit).build(Vec::new());
    w.write(&b).unwrap();
    assert_eq!(w.finish().unwrap(), br#"{"id":[1,2]}"#);
}

#[test]
fn nulls_and_non_finite_floats_are_null() {
    let b = batch(vec![
        (
            "x",
            Arc::new(Float64Array::from(vec![
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
                None,
            ])),
        ),
        ("s", Arc::new(StringArray::from(vec![None, Some(""), Some("é"), Some("\u{0}")]))),
    ]);
    let out = encode_table(&JsonEncoder, b.schema(), vec![b.clone()]);
    assert_eq!(parse(&out), json!({"x": [null, null, null, null], "s": [null, "", "é", "\u{0}"]}));
    let rows = parse_rows(&encode_table(&NdjsonEncoder, b.schema(), vec![b]), false);
    assert_eq!(rows[3], json!({"x": null, "s": "\u{0}"}));
}

#[test]
fn odd_names_are_escaped_keys() {
    let names = ["quote\"d", "com,ma", "new\nline", "é名🙂", "back\\slash", ""];
    let b = batch(names.iter().map(|n| (*n, ints(vec![1]))).collect());
    for enc in [&NdjsonEncoder as &dyn TableEncoder, &JsonSeqEncoder] {
        let rows = parse_rows(
            &encode_table(enc, b.schema(), vec![b.clone()]),
            enc.spec().media_type.as_str().ends_with("seq"),
        );
        let keys: Vec<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, names);
    }
    let v = parse(&encode_table(&JsonEncoder, b.schema(), vec![b.clone()]));
    assert_eq!(v.as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>(), names);
}

#[test]
fn parameters_are_refused_before_any_byte() {
    let b = batch(vec![("a", ints(vec![1]))]);
    let p = Params::new().with("indent", "2");
    for enc in [&JsonEncoder as &dyn TableEncoder, &JsonSeqEncoder, &NdjsonEncoder] {
        let mut out = Vec::new();
        let err = enc.encode(&mut crate::stream(b.schema(), vec![b.clone()]), &p, &mut out).unwrap_err();
        assert!(matches!(err, EncodeError::InvalidOption { .. }));
        assert!(out.is_empty());
        assert!(enc.check(&b.schema(), &p).is_err());
        assert!(enc.check(&b.schema(), &Params::new().with("charset", "utf-8")).is_ok());
    }
    let a = NdArray::from_vec(vec![1], vec![1u8]).unwrap();
    assert!(ArrayEncoder::check(&JsonEncoder, a.data_type(), a.shape(), &p).is_err());
    assert!(DatasetEncoder::encode(&JsonEncoder, &Dataset::default(), &p, &mut Vec::new()).is_err());
    assert!(ContainerEncoder::encode(&JsonEncoder, &ContainerTree::default(), &p, &mut Vec::new()).is_err());
}

#[test]
fn batches_of_another_width_are_refused() {
    let mut w = JsonOptions::new(JsonFormat::Ndjson).build(Vec::new());
    w.write(&batch(vec![("a", ints(vec![1]))])).unwrap();
    let err = w.write(&batch(vec![("a", ints(vec![1])), ("b", ints(vec![2]))])).unwrap_err();
    assert!(matches!(err, EncodeError::Input(_)));
}

#[test]
fn arrays_of_every_rank_and_zero_length_dims() {
    assert_eq!(encode_array(&NdArray::from_vec(vec![], vec![1.375f64]).unwrap()), b"1.375");
    assert_eq!(encode_array(&NdArray::from_vec(vec![3], vec![1i8, -2, 3]).unwrap()), b"[1,-2,3]");
    let a = NdArray::from_vec(vec![2, 2, 2], (0..8u16).collect()).unwrap();
    assert_eq!(encode_array(&a), b"[[[0,1],[2,3]],[[4,5],[6,7]]]");
    for (shape, want) in [
        (vec![0], "[]"),
        (vec![0, 3], "[]"),
        (vec![2, 0], "[[],[]]"),
        (vec![2, 0, 3], "[[],[]]"),
        (vec![1, 2, 0], "[[[],[]]]"),
    ] {
        let a = NdArray::zeros(DataType::Float32, shape.clone()).unwrap();
        assert_eq!(encode_array(&a), want.as_bytes(), "{shape:?}");
    }
}

#[test]
fn large_arrays_stream_in_slabs() {
    let rows = 1100;
    let a = NdArray::from_vec(vec![rows, 1000], (0..rows * 1000).map(|k| k as f64).collect()).unwrap();
    let v = parse(&encode_array(&a));
    let outer = v.as_array().unwrap();
    assert_eq!(outer.len(), rows);
    assert_eq!(outer[rows - 1][999], json!((rows * 1000 - 1) as f64));
}

pub fn tree() -> ContainerTree {
    let meta = |v: Value| NodeInfo { metadata: v.as_object().unwrap().clone(), specs: vec![] };
    let mut sub = ContainerTree { info: meta(json!({"kind": "sub"})), ..Default::default() };
    sub.children.insert(
        "b".into(),
        Node::Array {
            info: meta(json!({"units": "mm"})),
            data: NdArray::zeros(DataType::Int8, vec![2]).unwrap(),
            dims: None,
        },
    );
    let mut ds = Dataset::default();
    ds.add_coord(
        "time",
        Variable::new(vec!["time".into()], NdArray::from_vec(vec![2], vec![0i64, 1]).unwrap())
            .with_attrs(json!({"units": "s"}).as_object().unwrap().clone()),
    )
    .unwrap();
    ds.add_data_var(
        "t",
        Variable::new(vec!["time".into()], NdArray::from_vec(vec![2], vec![1.5f64, 2.5]).unwrap()),
    )
    .unwrap();
    let mut root = ContainerTree { info: meta(json!({"color": "green", "n": [1, 2]})), ..Default::default() };
    root.children.insert(
        "pi".into(),
        Node::Array {
            info: meta(json!({})),
            data: NdArray::from_vec(vec![], vec![2.5f64]).unwrap(),
            dims: None,
        },
    );
    root.children.insert("sub".into(), Node::Container(sub));
    root.children.insert("ds".into(), Node::Dataset { info: meta(json!({"attrs": {}})), dataset: ds });
    root.children.insert("empty".into(), Node::Container(ContainerTree::default()));
    root
}

#[test]
fn containers_are_metadata_trees() {
    let mut out = Vec::new();
    ContainerEncoder::encode(&JsonEncoder, &tree(), &Params::new(), &mut out).unwrap();
    assert_eq!(
        parse(&out),
        json!({
            "contents": {
                "pi": {"contents": {}, "metadata": {}},
                "sub": {"contents": {"b": {"contents": {}, "metadata": {"units": "mm"}}}, "metadata": {"kind": "sub"}},
                "ds": {"contents": {
                    "time": {"contents": {}, "metadata": {"attrs": {"units": "s"}}},
                    "t": {"contents": {}, "metadata": {"attrs": {}}},
                }, "metadata": {"attrs": {}}},
                "empty": {"contents": {}, "metadata": {}},
            },
            "metadata": {"color": "green", "n": [1, 2]},
        })
    );
}

#[test]
fn datasets_as_columns() {
    let mut ds = Dataset::default();
    ds.add_coord("x", Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![10i64, 20]).unwrap()))
        .unwrap();
    ds.add_data_var(
        "t",
        Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![0.5f64, f64::NAN]).unwrap()),
    )
    .unwrap();
    let mut out = Vec::new();
    DatasetEncoder::encode(&JsonEncoder, &ds, &Params::new(), &mut out).unwrap();
    assert_eq!(out, br#"{"x":[10,20],"t":[0.5,null]}"#);
    let mut bad = Dataset::default();
    bad.add_data_var(
        "c",
        Variable::new(vec!["x".into()], NdArray::zeros(DataType::Complex128, vec![1]).unwrap()),
    )
    .unwrap();
    let err = DatasetEncoder::encode(&JsonEncoder, &bad, &Params::new(), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
}

#[test]
fn registered_under_tileds_names() {
    let reg = Registry::from_static(REGISTRATIONS).unwrap();
    for family in [Family::Table, Family::Array, Family::Dataset, Family::Container] {
        let (enc, _) = reg.negotiate(family, Some("json"), None).unwrap();
        assert_eq!(enc.spec().media_type.as_str(), "application/json");
    }
    for (name, mt) in [
        ("json-seq", "application/json-seq"),
        ("ndjson", "application/x-ndjson"),
        ("jsonl", "application/x-ndjson"),
        ("application/json-seq", "application/json-seq"),
    ] {
        assert_eq!(reg.negotiate(Family::Table, Some(name), None).unwrap().0.spec().media_type.as_str(), mt);
    }
    assert!(reg.negotiate(Family::Array, Some("ndjson"), None).is_err());
    use tessera_json as _;
    assert!(Registry::global().unwrap().negotiate(Family::Container, Some("json"), None).is_ok());
}

#[test]
fn a_failing_stream_is_an_input_error() {
    let b = batch(vec![("a", ints(vec![1]))]);
    for enc in [&JsonEncoder as &dyn TableEncoder, &JsonSeqEncoder, &NdjsonEncoder] {
        let items =
            vec![Ok(b.clone()), Err(arrow::error::ArrowError::ComputeError("storage went away".into()))];
        let mut s = tessera_core::table::IterStream::new(b.schema(), items.into_iter());
        let err = enc.encode(&mut s, &Params::new(), &mut Vec::new()).unwrap_err();
        assert!(matches!(err, EncodeError::Input(_)), "{err}");
    }
}
