//! CSV and JSONL exports of a query — Pixeltable's `export_csv` / `export_json` of
//! `t.where(...).select(...)` — through the registered `text/csv` and `application/x-ndjson`
//! encoders, the path the server takes: the bytes equal those of the same rows and columns
//! exported as a table, and the rules Pixeltable fixes hold: nested values (lists, structs,
//! maps) are JSON text in CSV and native JSON in JSONL, and binary columns are left out of
//! both (from the CSV header and every record, and as keys of every JSONL object).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, Float64Array, Int64Array, Int64Builder, ListBuilder, MapBuilder, RecordBatch,
    StringArray, StringBuilder, StructArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use tessera_core::table::query;
use tessera_core::{BatchStream, Params, Table, TableEncoder};

/// Six rows in two partitions: `id`, `name` (quotes, commas, newlines, unicode, a null),
/// `score` (nulls), `tags` list<utf8>, `meta` struct<a: int64, b: utf8>, `attrs`
/// map<utf8, int64>, `blob` binary.
fn table() -> Table {
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut attrs = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    for i in 0..6 {
        if i == 3 {
            tags.append_null();
        } else {
            tags.values().append_value(format!("t{i}"));
            tags.values().append_value("x,\"y\"");
            tags.append(true);
        }
        attrs.keys().append_value("k");
        attrs.values().append_value(i);
        attrs.append(i != 4).unwrap();
    }
    let meta = StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3), Some(4), Some(5), Some(6)])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("é"), Some("b"), None, Some("d"), Some("e"), Some("f")]))
                as ArrayRef,
        ),
    ]);
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from_iter_values(0..6))),
        (
            "name",
            Arc::new(StringArray::from(vec![
                Some("plain"),
                Some("a, \"quoted\""),
                None,
                Some("two\nlines"),
                Some("Manwë"),
                Some(""),
            ])),
        ),
        (
            "score",
            Arc::new(Float64Array::from(vec![Some(0.5), None, Some(2.0), Some(24.0), Some(1.25), None])),
        ),
        ("tags", Arc::new(tags.finish())),
        ("meta", Arc::new(meta)),
        ("attrs", Arc::new(attrs.finish())),
        ("blob", Arc::new(BinaryArray::from(vec![&b"\x00\x01"[..], b"", b"png", b"\xff", b"x", b"y"]))),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect()).unwrap();
    Table::new(schema, vec![vec![batch.slice(0, 4)], vec![batch.slice(4, 2)]]).unwrap()
}

fn encode(enc: &dyn TableEncoder, mut s: Box<dyn BatchStream>) -> String {
    let mut out = Vec::new();
    enc.check(&s.schema(), &Params::new()).unwrap();
    enc.encode(&mut s, &Params::new(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn csv(s: Box<dyn BatchStream>) -> String {
    encode(&tessera_csv::CsvEncoder, s)
}

fn ndjson(s: Box<dyn BatchStream>) -> String {
    encode(&tessera_json::NdjsonEncoder, s)
}

/// The rows `ids` and columns `cols` of `t`, built directly (no query machinery).
fn materialized(t: &Table, ids: &[u32], cols: &[&str]) -> Table {
    let all: Vec<RecordBatch> = t.stream().map(|b| b.unwrap()).collect();
    let whole = arrow::compute::concat_batches(t.schema(), &all).unwrap();
    let idx: Vec<usize> = cols.iter().map(|c| t.schema().index_of(c).unwrap()).collect();
    let projected = whole.project(&idx).unwrap();
    let taken = arrow::compute::take_record_batch(&projected, &UInt32Array::from(ids.to_vec())).unwrap();
    Table::from_batches(taken.schema(), vec![taken]).unwrap()
}

#[test]
fn filtered_queries_export_like_the_same_rows_as_a_table() {
    let t = table();
    let cases: [(&[&str], &str, &[u32]); 4] = [
        (&["name", "id", "tags"], "id >= 1 AND id <> 3", &[1, 2, 4, 5]),
        // the filter may use columns that are not selected
        (&["meta"], "score > 1", &[2, 3, 4]),
        (&["id", "attrs", "score"], "name IS NULL OR score IS NULL", &[1, 2, 5]),
        (&["id"], "id > 100", &[]),
    ];
    for (cols, filter, ids) in cases {
        let names: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
        let expect = materialized(&t, ids, cols);
        let q = || query(Box::new(t.stream()), &names, Some(filter)).unwrap();
        assert_eq!(csv(q()), csv(Box::new(expect.stream())), "csv {cols:?} where {filter}");
        assert_eq!(ndjson(q()), ndjson(Box::new(expect.stream())), "ndjson {cols:?} where {filter}");
    }
    // no selection and no filter: the whole table
    let all = query(Box::new(t.stream()), &[], None).unwrap();
    assert_eq!(csv(all), csv(Box::new(t.stream())));
}

#[test]
fn csv_writes_nested_values_as_json_text_and_leaves_binary_out() {
    let t = table();
    let q = query(Box::new(t.stream()), &[], Some("id < 2 OR id = 3")).unwrap();
    assert_eq!(
        csv(q),
        concat!(
            "id,name,score,tags,meta,attrs\n",
            "0,plain,0.5,\"[\"\"t0\"\",\"\"x,\\\"\"y\\\"\"\"\"]\",\"{\"\"a\"\":1,\"\"b\"\":\"\"é\"\"}\",\"{\"\"k\"\":0}\"\n",
            "1,\"a, \"\"quoted\"\"\",,\"[\"\"t1\"\",\"\"x,\\\"\"y\\\"\"\"\"]\",\"{\"\"a\"\":null,\"\"b\"\":\"\"b\"\"}\",\"{\"\"k\"\":1}\"\n",
            "3,\"two\nlines\",24.0,,\"{\"\"a\"\":4,\"\"b\"\":\"\"d\"\"}\",\"{\"\"k\"\":3}\"\n",
        )
    );
}

#[test]
fn jsonl_writes_nested_values_as_native_json_and_omits_binary_keys() {
    let t = table();
    let q = query(Box::new(t.stream()), &[], Some("id >= 3")).unwrap();
    let text = ndjson(q);
    assert_eq!(
        text,
        concat!(
            "{\"id\":3,\"name\":\"two\\nlines\",\"score\":24.0,\"tags\":null,\"meta\":{\"a\":4,\"b\":\"d\"},\"attrs\":{\"k\":3}}\n",
            "{\"id\":4,\"name\":\"Manwë\",\"score\":1.25,\"tags\":[\"t4\",\"x,\\\"y\\\"\"],\"meta\":{\"a\":5,\"b\":\"e\"},\"attrs\":null}\n",
            "{\"id\":5,\"name\":\"\",\"score\":null,\"tags\":[\"t5\",\"x,\\\"y\\\"\"],\"meta\":{\"a\":6,\"b\":\"f\"},\"attrs\":{\"k\":5}}\n",
        )
    );
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("blob").is_none());
        assert!(v["meta"].is_object());
    }
}

#[test]
fn selecting_a_binary_column_still_leaves_it_out() {
    let t = table();
    let cols = ["blob".to_string(), "id".to_string()];
    let q = || query(Box::new(t.stream()), &cols, Some("id < 2")).unwrap();
    assert_eq!(csv(q()), "id\n0\n1\n");
    assert_eq!(ndjson(q()), "{\"id\":0}\n{\"id\":1}\n");
    // only binary columns: CSV has no field to write at all; JSONL objects are empty
    let only = ["blob".to_string()];
    let q = || query(Box::new(t.stream()), &only, Some("id < 2")).unwrap();
    assert_eq!(csv(q()), "");
    assert_eq!(ndjson(q()), "{}\n{}\n");
}

#[test]
fn empty_query_results() {
    let t = table();
    let cols = ["id".to_string(), "tags".to_string(), "blob".to_string()];
    let q = || query(Box::new(t.stream()), &cols, Some("id < 0")).unwrap();
    assert_eq!(csv(q()), "id,tags\n", "the header is written for an empty result");
    assert_eq!(ndjson(q()), "");
}
