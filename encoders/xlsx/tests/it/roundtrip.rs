//! Fixed tables of every Arrow type, read back with calamine.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal128Array, Decimal256Array,
    DictionaryArray, DurationSecondArray, FixedSizeBinaryArray, Float16Array, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Int64Array, LargeStringArray, ListArray, NullArray, RecordBatch,
    StringArray, StringViewArray, StructArray, Time32SecondArray, Time64MicrosecondArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
    UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, i256};
use calamine::{Data, Reader, Xlsx};
use half::f16;
use tessera_core::{BatchStream, DatasetEncoder, EncodeError, NdArray, Params, TableEncoder, table::Table};
use tessera_xlsx::{XlsxDatasetEncoder, XlsxEncoder, XlsxOptions};

use crate::{cell, encode, sheets, zip_entry};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true))).unwrap()
}

fn one(columns: Vec<(&str, ArrayRef)>) -> (Vec<(String, calamine::Range<Data>)>, Vec<u8>) {
    let b = batch(columns);
    let bytes = encode(&b.schema(), &[b], XlsxOptions::default());
    (sheets(&bytes), bytes)
}

fn s(v: &str) -> Data {
    Data::String(v.into())
}

/// The (date, time, millisecond) calamine reads from a date cell.
fn datetime(d: &Data) -> (String, u16) {
    let Data::DateTime(dt) = d else { panic!("not a date cell: {d:?}") };
    assert!(dt.is_datetime());
    let (y, m, day, h, mi, sec, ms) = dt.to_ymd_hms_milli();
    (format!("{y:04}-{m:02}-{day:02} {h:02}:{mi:02}:{sec:02}"), ms)
}

#[test]
fn numbers_booleans_and_nulls() {
    let big = 1i64 << 53;
    let (sheets, _) = one(vec![
        ("i8", Arc::new(Int8Array::from(vec![Some(-128), None, Some(127)]))),
        ("i16", Arc::new(Int16Array::from(vec![Some(-300), Some(0), None]))),
        ("i32", Arc::new(Int32Array::from(vec![Some(i32::MIN), None, Some(i32::MAX)]))),
        ("i64", Arc::new(Int64Array::from(vec![Some(big), Some(-big - 1), Some(i64::MIN)]))),
        ("u8", Arc::new(UInt8Array::from(vec![Some(255u8), None, Some(0)]))),
        ("u16", Arc::new(UInt16Array::from(vec![Some(65535u16), None, None]))),
        ("u32", Arc::new(UInt32Array::from(vec![Some(u32::MAX), None, None]))),
        ("u64", Arc::new(UInt64Array::from(vec![Some(1u64 << 53), Some((1 << 53) + 1), Some(u64::MAX)]))),
        ("f16", Arc::new(Float16Array::from(vec![Some(f16::from_f32(0.5)), None, Some(f16::NAN)]))),
        ("f32", Arc::new(Float32Array::from(vec![Some(0.1f32), Some(f32::INFINITY), Some(-2.5)]))),
        ("f64", Arc::new(Float64Array::from(vec![Some(0.1 + 0.2), Some(f64::NAN), Some(f64::NEG_INFINITY)]))),
        ("bool", Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]))),
        ("dur", Arc::new(DurationSecondArray::from(vec![Some(-90), None, Some(3600)]))),
        ("null", Arc::new(NullArray::new(3))),
    ]);
    assert_eq!(sheets.len(), 1);
    let (name, r) = &sheets[0];
    assert_eq!(name, "Sheet1");
    let names =
        ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "f32", "f64", "bool", "dur", "null"];
    for (c, n) in names.iter().enumerate() {
        assert_eq!(cell(r, 0, c), s(n));
    }
    let f = Data::Float;
    let rows = [
        [
            f(-128.0),
            f(-300.0),
            f(-2_147_483_648.0),
            f(9_007_199_254_740_992.0),
            f(255.0),
            f(65535.0),
            f(4_294_967_295.0),
            f(9_007_199_254_740_992.0),
            f(0.5),
            f(0.1),
            f(0.30000000000000004),
            Data::Bool(true),
            f(-90.0),
            Data::Empty,
        ],
        [
            Data::Empty,
            f(0.0),
            Data::Empty,
            s("-9007199254740993"),
            Data::Empty,
            Data::Empty,
            Data::Empty,
            s("9007199254740993"),
            Data::Empty,
            Data::Empty,
            Data::Empty,
            Data::Empty,
            Data::Empty,
            Data::Empty,
        ],
        [
            f(127.0),
            Data::Empty,
            f(2_147_483_647.0),
            s("-9223372036854775808"),
            f(0.0),
            Data::Empty,
            Data::Empty,
            s("18446744073709551615"),
            Data::Empty,
            f(-2.5),
            Data::Empty,
            Data::Bool(false),
            f(3600.0),
            Data::Empty,
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        for (c, want) in row.iter().enumerate() {
            assert_eq!(&cell(r, i + 1, c), want, "row {i} column {}", names[c]);
        }
    }
}

#[test]
fn strings_stay_strings() {
    let texts = [
        "=1+1",
        "+A1",
        "@SUM(1)",
        "-1",
        "1e5",
        "<b>&amp;</b>",
        " padded ",
        "tab\tnew\nline\r",
        "_x0041_",
        "é名🙂",
    ];
    let (sheets, _) = one(vec![
        ("utf8", Arc::new(StringArray::from(texts.to_vec()))),
        ("large", Arc::new(LargeStringArray::from(texts.to_vec()))),
        ("view", Arc::new(StringViewArray::from(texts.to_vec()))),
        ("dict", Arc::new(texts.iter().copied().collect::<DictionaryArray<Int32Type>>())),
    ]);
    let r = &sheets[0].1;
    for (i, t) in texts.iter().enumerate() {
        for c in 0..4 {
            assert_eq!(cell(r, i + 1, c), s(t), "row {i} column {c}");
        }
    }
    let (sheets, _) = one(vec![("e", Arc::new(StringArray::from(vec![Some(""), None, Some("x")])))]);
    let r = &sheets[0].1;
    assert_eq!([cell(r, 1, 0), cell(r, 2, 0), cell(r, 3, 0)], [Data::Empty, Data::Empty, s("x")]);
}

#[test]
fn strings_over_the_cell_limit_are_cut() {
    let long = "ab".repeat(20_000);
    let emoji = "🙂".repeat(20_000);
    let (sheets, _) = one(vec![("t", Arc::new(StringArray::from(vec![long.as_str(), emoji.as_str()])))]);
    let r = &sheets[0].1;
    assert_eq!(cell(r, 1, 0), s(&long[..32_767]));
    // 🙂 is two UTF-16 units: 16,383 of them fit.
    assert_eq!(cell(r, 2, 0), s(&"🙂".repeat(16_383)));
}

#[test]
fn dates_and_times_are_excel_dates() {
    let us = 1_577_836_800_000_000i64; // 2020-01-01T00:00:00
    let (sheets, bytes) = one(vec![
        (
            "ts_s",
            Arc::new(TimestampSecondArray::from(vec![
                Some(0),
                None,
                Some(-2_208_988_800),
                Some(-2_208_988_801),
            ])),
        ),
        (
            "ts_ms",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1_577_836_801_500),
                Some(253_402_300_799_000),
                Some(253_402_300_800_000),
                None,
            ])),
        ),
        (
            "ts_us_utc",
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(us + 3_723_004_000), None, None, None])
                    .with_timezone("+05:00"),
            ),
        ),
        (
            "ts_ns",
            Arc::new(TimestampNanosecondArray::from(vec![Some(1_577_836_800_123_456_789), None, None, None])),
        ),
        (
            "d32",
            Arc::new(Date32Array::from(vec![Some(18_262), Some(-25_508), Some(-25_509), Some(2_932_897)])),
        ),
        (
            "d64",
            Arc::new(Date64Array::from(vec![
                Some(18_262 * 86_400_000),
                None,
                None,
                Some(-25_568 * 86_400_000),
            ])),
        ),
        ("t32", Arc::new(Time32SecondArray::from(vec![Some(3_723), None, None, None]))),
        ("t64", Arc::new(Time64MicrosecondArray::from(vec![Some(43_200_000_000), None, None, None]))),
    ]);
    let r = &sheets[0].1;
    assert_eq!(datetime(&cell(r, 1, 0)), ("1970-01-01 00:00:00".into(), 0));
    assert_eq!(datetime(&cell(r, 3, 0)), ("1900-01-01 00:00:00".into(), 0));
    assert_eq!(cell(r, 4, 0), s("1899-12-31T23:59:59")); // before Excel's first date: ISO text
    assert_eq!(datetime(&cell(r, 1, 1)), ("2020-01-01 00:00:01".into(), 500));
    assert_eq!(datetime(&cell(r, 1, 2)), ("2020-01-01 01:02:03".into(), 4)); // UTC wall time
    assert_eq!(datetime(&cell(r, 2, 1)), ("9999-12-31 23:59:59".into(), 0));
    assert_eq!(cell(r, 3, 1), s("+10000-01-01T00:00:00"));
    assert_eq!(datetime(&cell(r, 1, 3)), ("2020-01-01 00:00:00".into(), 123));
    assert_eq!(datetime(&cell(r, 1, 4)), ("2020-01-01 00:00:00".into(), 0));
    assert_eq!(datetime(&cell(r, 2, 4)), ("1900-03-01 00:00:00".into(), 0));
    assert_eq!(datetime(&cell(r, 3, 4)), ("1900-02-28 00:00:00".into(), 0)); // across Excel's 1900 bug
    assert_eq!(cell(r, 4, 4), s("+10000-01-01"));
    assert_eq!(datetime(&cell(r, 1, 5)), ("2020-01-01 00:00:00".into(), 0));
    assert_eq!(cell(r, 4, 5), s("1899-12-31"));
    let Data::DateTime(t) = cell(r, 1, 6) else { panic!() };
    assert!((t.as_f64() - 3_723.0 / 86_400.0).abs() < 1e-12);
    let Data::DateTime(t) = cell(r, 1, 7) else { panic!() };
    assert_eq!(t.as_f64(), 0.5);
    assert_eq!(cell(r, 2, 0), Data::Empty);
    // The number formats are the documented ones.
    let styles = zip_entry(&bytes, "xl/styles.xml");
    for f in ["yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "hh:mm:ss"] {
        assert!(styles.contains(&format!("formatCode=\"{f}\"")), "{f} missing: {styles}");
    }
}

#[test]
fn decimals_nested_and_binary() {
    let dec = Decimal128Array::from(vec![Some(12_345), None, Some(1_234_567_890_123_456_789)])
        .with_precision_and_scale(38, 2)
        .unwrap();
    let dec256 = Decimal256Array::from(vec![Some(i256::from_i128(-5)), None, None])
        .with_precision_and_scale(40, 3)
        .unwrap();
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), None]),
        None,
        Some(vec![]),
    ]);
    let strukt = StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec!["x", "\"", "z"])) as ArrayRef,
        ),
    ]);
    let (sheets, _) = one(vec![
        ("bin", Arc::new(BinaryArray::from(vec![b"a".as_slice(), b"b", b"c"]))),
        ("dec", Arc::new(dec)),
        (
            "fixed",
            Arc::new(FixedSizeBinaryArray::try_from_iter(vec![b"ab", b"cd", b"ef"].into_iter()).unwrap()),
        ),
        ("dec256", Arc::new(dec256)),
        ("list", Arc::new(list)),
        ("struct", Arc::new(strukt)),
    ]);
    let r = &sheets[0].1;
    // Binary columns are left out: the other columns close up.
    assert_eq!(
        [cell(r, 0, 0), cell(r, 0, 1), cell(r, 0, 2), cell(r, 0, 3)],
        [s("dec"), s("dec256"), s("list"), s("struct")]
    );
    assert_eq!(cell(r, 1, 0), Data::Float(123.45));
    assert_eq!(cell(r, 2, 0), Data::Empty);
    assert_eq!(cell(r, 3, 0), s("12345678901234567.89")); // 19 significant digits: exact text
    assert_eq!(cell(r, 1, 1), Data::Float(-0.005));
    assert_eq!(cell(r, 1, 2), s("[1,null]"));
    assert_eq!(cell(r, 2, 2), Data::Empty);
    assert_eq!(cell(r, 3, 2), s("[]"));
    assert_eq!(cell(r, 2, 3), s(r#"{"a":2,"b":"\""}"#));
    assert_eq!(cell(r, 0, 4), Data::Empty);
}

#[test]
fn dictionaries_read_as_their_values() {
    use arrow::array::{Int8Array, IntervalDayTimeArray};
    use arrow::datatypes::{Int8Type, IntervalDayTime};
    let keys = Int8Array::from(vec![Some(1), None, Some(0)]);
    let floats = DictionaryArray::<Int8Type>::try_new(
        keys.clone(),
        Arc::new(Float64Array::from(vec![0.25, f64::NAN])),
    )
    .unwrap();
    let times =
        DictionaryArray::<Int8Type>::try_new(keys.clone(), Arc::new(Date32Array::from(vec![18_262, 0])))
            .unwrap();
    let nulls =
        DictionaryArray::<Int8Type>::try_new(Int8Array::new_null(3), Arc::new(NullArray::new(0))).unwrap();
    let lists = DictionaryArray::<Int8Type>::try_new(
        keys,
        Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)]), Some(vec![])])),
    )
    .unwrap();
    let (sheets, _) = one(vec![
        ("f", Arc::new(floats)),
        ("d", Arc::new(times)),
        ("n", Arc::new(nulls)),
        ("l", Arc::new(lists)),
        ("iv", Arc::new(IntervalDayTimeArray::from(vec![IntervalDayTime::new(1, 2); 3]))),
    ]);
    let r = &sheets[0].1;
    assert_eq!(cell(r, 1, 0), Data::Empty); // NaN
    assert_eq!(cell(r, 2, 0), Data::Empty); // null key
    assert_eq!(cell(r, 3, 0), Data::Float(0.25));
    assert_eq!(datetime(&cell(r, 1, 1)).0, "1970-01-01 00:00:00");
    assert_eq!(datetime(&cell(r, 3, 1)).0, "2020-01-01 00:00:00");
    assert_eq!([cell(r, 1, 2), cell(r, 2, 2), cell(r, 3, 2)], [Data::Empty, Data::Empty, Data::Empty]);
    assert_eq!([cell(r, 1, 3), cell(r, 3, 3)], [s("[]"), s("[1]")]);
    assert!(matches!(cell(r, 1, 4), Data::String(t) if !t.is_empty()));
}

#[test]
fn header_is_bold_and_frozen_with_unicode_names() {
    let names = ["é名🙂", "<b>", "=A1", "", "tab\t"];
    let cols = names.iter().map(|n| (*n, Arc::new(Int64Array::from(vec![1])) as ArrayRef)).collect();
    let (sheets, bytes) = one(cols);
    let r = &sheets[0].1;
    for (c, n) in names.iter().enumerate() {
        let want = if n.is_empty() { Data::Empty } else { s(n) };
        assert_eq!(cell(r, 0, c), want);
    }
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let styles = book.worksheet_style("Sheet1").unwrap();
    let bold = |row: u32, col: u32| {
        styles.get((row, col)).and_then(|s| s.font.as_ref()).is_some_and(|f| f.is_bold())
    };
    assert!(bold(0, 0) && bold(0, 4));
    assert!(!bold(1, 0));
    let xml = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
        "{xml}"
    );
}

#[test]
fn empty_tables() {
    // No rows: the header alone.
    let schema =
        Schema::new(vec![Field::new("a", DataType::Int64, true), Field::new("b", DataType::Utf8, true)]);
    let bytes = encode(&schema, &[], XlsxOptions::default());
    let sheets = sheets(&bytes);
    assert_eq!(sheets.len(), 1);
    assert_eq!(sheets[0].1.get_size(), (1, 2));
    // An empty batch changes nothing.
    let empty = RecordBatch::new_empty(Arc::new(schema.clone()));
    assert_eq!(
        crate::sheets(&encode(&schema, &[empty.clone(), empty], XlsxOptions::default()))[0].1.get_size(),
        (1, 2)
    );
    // No columns at all: an empty sheet.
    let bytes = encode(&Schema::empty(), &[], XlsxOptions::default());
    let sheets = crate::sheets(&bytes);
    assert_eq!(sheets.len(), 1);
    assert!(sheets[0].1.is_empty());
}

#[test]
fn long_tables_continue_on_more_sheets() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
    ]));
    let mk = |r: std::ops::Range<i64>| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(r.clone().collect::<Vec<_>>())),
                Arc::new(StringArray::from(r.map(|i| format!("s{i}")).collect::<Vec<_>>())),
            ],
        )
        .unwrap()
    };
    // 10 rows in batches of 4, 1 and 5; 3 data rows per sheet.
    let batches = [mk(0..4), mk(4..5), mk(5..10)];
    let bytes = encode(&schema, &batches, XlsxOptions::default().with_max_rows_per_sheet(4));
    let sheets = sheets(&bytes);
    let names: Vec<_> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Sheet1", "Sheet2", "Sheet3", "Sheet4"]);
    let mut next = 0;
    for (i, (_, r)) in sheets.iter().enumerate() {
        assert_eq!([cell(r, 0, 0), cell(r, 0, 1)], [s("n"), s("s")], "header of sheet {i}");
        let rows = r.get_size().0 - 1;
        assert_eq!(rows, if i == 3 { 1 } else { 3 });
        for k in 1..=rows {
            assert_eq!(cell(r, k, 0), Data::Float(next as f64));
            assert_eq!(cell(r, k, 1), s(&format!("s{next}")));
            next += 1;
        }
        let xml = zip_entry(&bytes, &format!("xl/worksheets/sheet{}.xml", i + 1));
        assert!(xml.contains(r#"state="frozen""#));
    }
    assert_eq!(next, 10);
    // Exactly full: no empty extra sheet.
    let bytes = encode(&schema, &[mk(0..6)], XlsxOptions::default().with_max_rows_per_sheet(4));
    assert_eq!(crate::sheets(&bytes).len(), 2);
}

/// Excel's real limit: 1,048,575 data rows fit on Sheet1, the next goes to Sheet2.
/// Takes a few seconds in release builds, much longer in debug ones:
/// `cargo test -p tessera-xlsx --release -- --ignored`.
#[test]
#[ignore = "writes 1,048,576 rows; run in release with --ignored"]
fn the_real_sheet_limit() {
    let rows = 1_048_576usize;
    let schema = Arc::new(Schema::new(vec![Field::new("b", DataType::Boolean, false)]));
    let b =
        RecordBatch::try_new(schema.clone(), vec![Arc::new(BooleanArray::from(vec![true; rows]))]).unwrap();
    let bytes = encode(&schema, &[b], XlsxOptions::default().with_compression_level(1));
    let sheets = sheets(&bytes);
    assert_eq!(sheets.len(), 2);
    assert_eq!(sheets[0].1.get_size(), (1_048_576, 1));
    assert_eq!(sheets[1].1.get_size(), (2, 1));
    assert_eq!(cell(&sheets[1].1, 1, 0), Data::Bool(true));
}

#[test]
fn temporary_files_are_cleaned_up() {
    let dir = tempfile::tempdir().unwrap();
    let entries = || std::fs::read_dir(dir.path()).unwrap().count();
    let b = batch(vec![("s", Arc::new(StringArray::from(vec!["x"; 1000])) as ArrayRef)]);
    let options = XlsxOptions::default().with_tempdir(dir.path()).with_max_rows_per_sheet(300);
    // Finished: four sheets, four temporary files, none left.
    let mut w = options.clone().build(Vec::new(), &b.schema()).unwrap();
    w.write(&b).unwrap();
    assert_eq!(entries(), 0, "the files are anonymous from the start");
    assert_eq!(sheets(&w.finish().unwrap()).len(), 4);
    assert_eq!(entries(), 0);
    // Dropped without finishing (an aborted export): none left either.
    let mut w = options.build(Vec::new(), &b.schema()).unwrap();
    w.write(&b).unwrap();
    drop(w);
    assert_eq!(entries(), 0);
    // An unusable directory fails at build time, before any byte.
    let missing = dir.path().join("missing");
    let err = XlsxOptions::default().with_tempdir(&missing).build(Vec::new(), &b.schema()).unwrap_err();
    assert!(matches!(err, EncodeError::Backend { .. } | EncodeError::Io(_)), "{err}");
}

#[test]
fn registered_encoders_tables_and_datasets() {
    use tessera_core::dataset::{Dataset, Variable};
    let b = batch(vec![("x", Arc::new(Int64Array::from(vec![7])) as ArrayRef)]);
    let t = Table::from_batches(b.schema(), vec![b]).unwrap();
    let mut stream = t.stream();
    assert_eq!(stream.schema().fields().len(), 1);
    let mut out = Vec::new();
    XlsxEncoder.encode(&mut stream, &Params::new(), &mut out).unwrap();
    assert_eq!(cell(&sheets(&out)[0].1, 1, 0), Data::Float(7.0));
    let err = XlsxEncoder
        .encode(&mut t.stream(), &Params::new().with("max_rows", "3"), &mut Vec::new())
        .unwrap_err();
    assert!(matches!(err, EncodeError::InvalidOption { .. }), "{err}");

    let mut ds = Dataset::default();
    ds.add_coord("x", Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![10i64, 20]).unwrap()))
        .unwrap();
    ds.add_data_var(
        "t",
        Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![0.5f64, 1.5]).unwrap()),
    )
    .unwrap();
    let mut out = Vec::new();
    XlsxDatasetEncoder.encode(&ds, &Params::new(), &mut out).unwrap();
    let r = &sheets(&out)[0].1;
    assert_eq!([cell(r, 0, 0), cell(r, 0, 1)], [s("x"), s("t")]);
    assert_eq!([cell(r, 2, 0), cell(r, 2, 1)], [Data::Float(20.0), Data::Float(1.5)]);
    // Complex variables have no table form.
    let mut ds = Dataset::default();
    let c = NdArray::from_vec(vec![1], vec![num_complex::Complex::new(1.0f64, 2.0)]).unwrap();
    ds.add_data_var("c", Variable::new(vec!["x".into()], c)).unwrap();
    let err = XlsxDatasetEncoder.encode(&ds, &Params::new(), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
}

#[test]
fn registry_lists_both_families() {
    use tessera_core::{Family, Registry};
    let reg = Registry::from_static(tessera_xlsx::REGISTRATIONS).unwrap();
    for family in [Family::Table, Family::Dataset] {
        let (enc, _) = reg.negotiate(family, Some("xlsx"), None).unwrap();
        assert_eq!(enc.spec().media_type, tessera_xlsx::XLSX);
    }
    assert!(reg.negotiate(Family::Array, Some("xlsx"), None).is_err());
}

#[test]
fn bad_batches_are_input_errors() {
    let schema = Schema::new(vec![Field::new("a", DataType::Int64, true)]);
    let mut w = XlsxOptions::default().build(Vec::new(), &schema).unwrap();
    let other = batch(vec![("a", Arc::new(StringArray::from(vec!["x"])) as ArrayRef)]);
    assert!(matches!(w.write(&other), Err(EncodeError::Input(_))));
    assert!(matches!(
        XlsxOptions::default().with_max_rows_per_sheet(1).build(Vec::new(), &schema),
        Err(EncodeError::InvalidOption { .. })
    ));
}
