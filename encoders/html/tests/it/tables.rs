//! Tables and datasets: structure, cell text, escaping, limits.

use std::io::{self, Write};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Float32Array, Float64Array, Int64Array, ListArray,
    RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::table::Table;
use tessera_core::{DatasetEncoder, EncodeError, Family, NdArray, Params, Registry, TableEncoder};
use tessera_html::{HTML, HtmlDatasetEncoder, HtmlEncoder, HtmlOptions};

use crate::{Page, assert_balanced};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true))).unwrap()
}

fn encode(batches: &[RecordBatch], params: &Params) -> Result<Vec<u8>, EncodeError> {
    let schema = batches[0].schema();
    let t = Table::from_batches(schema, batches.to_vec()).unwrap();
    let mut out = Vec::new();
    HtmlEncoder.check(t.schema(), params)?;
    HtmlEncoder.encode(&mut t.stream(), params, &mut out)?;
    Ok(out)
}

#[test]
fn cells_and_names_read_back() {
    let nasty = [
        "<script>alert(1)</script>",
        "a & b",
        "\"quoted\" 'single'",
        "line\nbreak\r\nend",
        "é名🙂",
        "",
        "</td></tr></table><p>",
    ];
    let b = batch(vec![
        ("<script>", Arc::new(StringArray::from(nasty.to_vec()))),
        (
            "n \"&\" 'm'",
            Arc::new(Int64Array::from(vec![
                Some(-1),
                None,
                Some(i64::MAX),
                Some(0),
                Some(1),
                Some(2),
                Some(3),
            ])),
        ),
        ("f", Arc::new(Float64Array::from(vec![0.1, f64::NAN, f64::INFINITY, -0.0, 1e300, 2.5, 1.0]))),
        ("ok", Arc::new(BooleanArray::from(vec![Some(true), Some(false), None, None, None, None, None]))),
        ("u", Arc::new(UInt64Array::from(vec![u64::MAX; 7]))),
        ("f32", Arc::new(Float32Array::from(vec![0.1f32; 7]))),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![1_577_836_801_500_000; 7]).with_timezone("UTC")),
        ),
        ("d", Arc::new(Date32Array::from(vec![18_262; 7]))),
        (
            "list",
            Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None]); 7])),
        ),
    ]);
    let out = encode(&[b], &Params::new()).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert_balanced(&text);
    let page = Page::parse(&out);
    assert_eq!(page.select("table").len(), 1);
    assert!(page.select("script").is_empty(), "markup leaked: {text}");
    assert_eq!(page.select("meta[charset=utf-8]").len(), 1);
    assert_eq!(page.texts("thead th"), ["<script>", "n \"&\" 'm'", "f", "ok", "u", "f32", "ts", "d", "list"]);
    let rows = page.rows();
    assert_eq!(rows.len(), 7);
    for (i, t) in nasty.iter().enumerate() {
        assert_eq!(rows[i][0], *t);
    }
    assert_eq!(
        rows[0][1..],
        [
            "-1",
            "0.1",
            "true",
            "18446744073709551615",
            "0.1",
            "2020-01-01T00:00:01.500Z",
            "2020-01-01",
            "[1,null]"
        ]
    );
    assert_eq!(rows[1][1..4], ["", "nan", "false"]);
    assert_eq!(rows[2][1..4], ["9223372036854775807", "inf", ""]);
    assert_eq!(rows[3][2], "-0.0");
    assert!(page.notes().is_empty());
}

#[test]
fn row_limit_note_and_parameter() {
    let mk = |r: std::ops::Range<i64>| {
        batch(vec![("n", Arc::new(Int64Array::from(r.collect::<Vec<_>>())) as ArrayRef)])
    };
    let batches = [mk(0..8), mk(8..20), mk(20..25)];
    let out = encode(&batches, &Params::new().with("max_rows", "10")).unwrap();
    let page = Page::parse(&out);
    let rows = page.rows();
    assert_eq!(rows.len(), 10);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        (0..10).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(page.notes(), ["Showing the first 10 of 25 rows; 15 rows omitted (limit max_rows=10)."]);
    // Default: 10,000 rows.
    let many = mk(0..10_001);
    let page = Page::parse(&encode(&[many], &Params::new()).unwrap());
    assert_eq!(page.rows().len(), 10_000);
    assert_eq!(
        page.notes(),
        ["Showing the first 10000 of 10001 rows; 1 row omitted (limit max_rows=10000)."]
    );
    // max_rows=0: the header alone.
    let page = Page::parse(&encode(&batches, &Params::new().with("max_rows", "0")).unwrap());
    assert!(page.rows().is_empty());
    assert_eq!(page.texts("thead th"), ["n"]);
    // Bad values fail before any byte.
    for bad in ["-3", "x", "2000000"] {
        let err = encode(&batches, &Params::new().with("max_rows", bad)).unwrap_err();
        assert!(matches!(err, EncodeError::InvalidOption { ref key, .. } if key == "max_rows"), "{err}");
    }
    assert!(matches!(
        encode(&batches, &Params::new().with("rows", "1")),
        Err(EncodeError::InvalidOption { .. })
    ));
}

#[test]
fn column_limit_and_binary_columns() {
    let b = batch(vec![
        ("a", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ("blob", Arc::new(BinaryArray::from(vec![b"<x>".as_slice()]))),
        ("b", Arc::new(Int64Array::from(vec![2]))),
        ("c<", Arc::new(Int64Array::from(vec![3]))),
    ]);
    let page = Page::parse(&encode(std::slice::from_ref(&b), &Params::new()).unwrap());
    assert_eq!(page.texts("thead th"), ["a", "b", "c<"]);
    assert_eq!(page.rows(), [["1", "2", "3"]]);
    assert_eq!(page.notes(), ["Binary columns are not shown: blob."]);
    let page = Page::parse(&encode(&[b], &Params::new().with("max_columns", "2")).unwrap());
    assert_eq!(page.texts("thead th"), ["a", "b"]);
    assert_eq!(page.rows(), [["1", "2"]]);
    assert_eq!(page.notes()[0], "Showing the first 2 of 3 columns; 1 column omitted (limit max_columns=2).");
}

#[test]
fn empty_tables() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("é", DataType::Utf8, true),
    ]));
    let mut out = Vec::new();
    let t = Table::from_batches(schema.clone(), vec![]).unwrap();
    HtmlEncoder.encode(&mut t.stream(), &Params::new(), &mut out).unwrap();
    let page = Page::parse(&out);
    assert_eq!(page.texts("thead th"), ["a", "é"]);
    assert!(page.rows().is_empty());
    assert_eq!(page.select("tbody").len(), 1);
    let w = HtmlOptions::default().build(Vec::new(), &Schema::empty());
    let out = w.finish().unwrap();
    assert_balanced(std::str::from_utf8(&out).unwrap());
    assert!(Page::parse(&out).select("th").is_empty());
}

/// A sink that records the size of every write.
struct Chunks(Vec<usize>, Vec<u8>);

impl Write for Chunks {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.push(b.len());
        self.1.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn pages_stream_in_blocks() {
    let b = batch(vec![("n", Arc::new(Int64Array::from((0..50_000).collect::<Vec<i64>>())) as ArrayRef)]);
    let mut w =
        HtmlOptions::default().with_max_rows(50_000).build(Chunks(Vec::new(), Vec::new()), &b.schema());
    w.write(&b).unwrap();
    let before_finish = w.get_ref().0.len();
    let sink = w.finish().unwrap();
    assert!(before_finish > 10, "rows were held back: {before_finish} writes before finish");
    assert!(sink.0.iter().all(|&n| n < 100_000), "a write of more than 100 kB");
    assert_eq!(Page::parse(&sink.1).rows().len(), 50_000);
}

#[test]
fn datasets_as_tables() {
    let mut ds = Dataset::default();
    ds.add_coord("x", Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![10i64, 20]).unwrap()))
        .unwrap();
    ds.add_data_var(
        "t<",
        Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![0.5f64, 1.5]).unwrap()),
    )
    .unwrap();
    let mut out = Vec::new();
    HtmlDatasetEncoder.encode(&ds, &Params::new().with("max_rows", "1"), &mut out).unwrap();
    let page = Page::parse(&out);
    assert_eq!(page.texts("title"), ["Dataset"]);
    assert_eq!(page.texts("thead th"), ["x", "t<"]);
    assert_eq!(page.rows(), [["10", "0.5"]]);
    assert_eq!(page.notes().len(), 1);
    let mut bad = Dataset::default();
    let c = NdArray::from_vec(vec![1], vec![num_complex::Complex::new(1.0f64, 2.0)]).unwrap();
    bad.add_data_var("c", Variable::new(vec!["x".into()], c)).unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        HtmlDatasetEncoder.encode(&bad, &Params::new(), &mut out),
        Err(EncodeError::Unsupported { .. })
    ));
    assert!(out.is_empty());
}

#[test]
fn registered_for_three_families() {
    let reg = Registry::from_static(tessera_html::REGISTRATIONS).unwrap();
    for family in [Family::Array, Family::Table, Family::Dataset] {
        for name in ["html", "htm", "text/html"] {
            let (enc, _) = reg.negotiate(family, Some(name), None).unwrap();
            assert_eq!(enc.spec().media_type, HTML);
        }
    }
    let (_, params) = reg.negotiate(Family::Table, Some("text/html;max_rows=5"), None).unwrap();
    assert_eq!(params.get("max_rows"), Some("5"));
}
