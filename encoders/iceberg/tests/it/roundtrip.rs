//! Exports read back through iceberg-rust's scan: every supported type, nulls, unicode,
//! the three `if_exists` modes, empty sources, namespaces, overrides, conversions, the
//! checks that refuse before writing, chunking and file rolling, V0 catalogs, partitions.

use std::sync::{Arc, Mutex};

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, FixedSizeBinaryArray,
    FixedSizeListArray, Float16Array, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array,
    Int64Array, LargeStringArray, MapBuilder, NullArray, RecordBatch, StringArray, StringBuilder,
    StructArray, Time64MicrosecondArray, TimestampMicrosecondArray, TimestampMillisecondArray, UInt8Array,
    UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema, TimeUnit};
use half::f16;
use tessera_core::Table;
use tessera_core::table::query;
use tessera_iceberg::{
    CatalogConfig, ErrorKind, ExportAction, ExportEvent, IcebergCatalog, IcebergExporter, IcebergOptions,
    IfExists, export_iceberg,
};

use crate::common::{Scripted, Wh, other, read_text, rows_text, sample, stream, table_text};

fn opts(mode: IfExists) -> IcebergOptions {
    IcebergOptions::default().with_if_exists(mode)
}

/// A table with one column of every type Iceberg holds, with nulls.
fn every_type() -> Table {
    let mut map = MapBuilder::new(None, StringBuilder::new(), arrow::array::Int64Builder::new());
    map.keys().append_value("a");
    map.values().append_value(1);
    map.append(true).unwrap();
    map.append(false).unwrap();
    map.keys().append_value("ü");
    map.values().append_null();
    map.append(true).unwrap();
    let st = StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("x"), Some("y"), None])) as ArrayRef,
        ),
    ]);
    let dict: DictionaryArray<Int32Type> = vec![Some("red"), None, Some("red")].into_iter().collect();
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("bool", Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]))),
        ("i8", Arc::new(Int8Array::from(vec![Some(-128), None, Some(127)]))),
        ("i16", Arc::new(Int16Array::from(vec![Some(-32768), None, Some(1)]))),
        ("i32", Arc::new(Int32Array::from(vec![Some(i32::MIN), None, Some(i32::MAX)]))),
        ("i64", Arc::new(Int64Array::from(vec![Some(i64::MIN), None, Some(i64::MAX)]))),
        ("u8", Arc::new(UInt8Array::from(vec![Some(255), None, Some(0)]))),
        ("u16", Arc::new(UInt16Array::from(vec![Some(65535), None, Some(0)]))),
        ("u32", Arc::new(UInt32Array::from(vec![Some(u32::MAX), None, Some(0)]))),
        ("f32", Arc::new(Float32Array::from(vec![Some(0.1), None, Some(f32::NAN)]))),
        ("f64", Arc::new(Float64Array::from(vec![Some(1e300), None, Some(-0.0)]))),
        (
            "dec",
            Arc::new(
                Decimal128Array::from(vec![Some(12345), None, Some(-1)])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        ("str ✓", Arc::new(StringArray::from(vec![Some("Manwë"), None, Some("")]))),
        ("lstr", Arc::new(LargeStringArray::from(vec![Some("large"), None, Some("ß")]))),
        ("bin", Arc::new(BinaryArray::from(vec![Some(&b"\x00\xff"[..]), None, Some(&b""[..])]))),
        (
            "fixed",
            Arc::new(
                FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                    vec![Some(vec![1u8, 2, 3]), None, Some(vec![4, 5, 6])].into_iter(),
                    3,
                )
                .unwrap(),
            ),
        ),
        ("date", Arc::new(Date32Array::from(vec![Some(19000), None, Some(-1)]))),
        ("time", Arc::new(Time64MicrosecondArray::from(vec![Some(1), None, Some(86_399_999_999)]))),
        ("ts", Arc::new(TimestampMicrosecondArray::from(vec![Some(1), None, Some(-1)]))),
        ("tsz", Arc::new(TimestampMicrosecondArray::from(vec![Some(1), None, Some(2)]).with_timezone("UTC"))),
        (
            "list",
            Arc::new(arrow::array::ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
                Some(vec![Some(1), None]),
                None,
                Some(vec![]),
            ])),
        ),
        ("struct", Arc::new(st)),
        ("map", Arc::new(map.finish())),
        ("dict", Arc::new(dict)),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect()).unwrap();
    Table::from_batches(schema, vec![batch]).unwrap()
}

#[test]
fn every_supported_type_round_trips() {
    let wh = Wh::new();
    let t = every_type();
    let r = export_iceberg(stream(&t), &wh.config, "ns.types", &IcebergOptions::default()).unwrap();
    assert_eq!((r.action, r.rows, r.data_files), (ExportAction::Create, 3, 1));
    let e = wh.exporter();
    let (schema, batches) = e.read_table("ns.types").unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let want: Vec<String> = t.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, want);
    assert!(schema.fields().iter().all(|f| f.is_nullable()), "every column optional");
    assert_eq!(
        schema.field_with_name("tsz").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
    );
    assert_eq!(schema.field_with_name("u32").unwrap().data_type(), &DataType::Int64);
    assert_eq!(schema.field_with_name("dict").unwrap().data_type(), &DataType::Utf8);
    // Same values; the text form hides representation changes (u8 → int, dictionary → string).
    let got = rows_text(&batches);
    let mut expect = table_text(&t);
    expect.sort_by_key(|r| r[0].clone());
    let mut got_sorted = got.clone();
    got_sorted.sort_by_key(|r| r[0].clone());
    assert_eq!(got_sorted, expect);
    let info = e.describe_table("ns.types").unwrap();
    assert_eq!(info.snapshots.len(), 1);
    assert_eq!(info.snapshots[0].operation, "append");
    assert_eq!(info.snapshots[0].summary.get("total-records").map(String::as_str), Some("3"));
    assert_eq!(info.format_version, 2);
    assert_eq!(info.snapshots[0].summary.get(tessera_iceberg::EXPORT_ID_PROPERTY), Some(&r.export_id));
}

#[test]
fn create_append_replace_cycle() {
    let wh = Wh::new();
    let e = wh.exporter();
    let a = sample(0, 100, 30);
    let r = e.export(stream(&a), "pxt.t", &IcebergOptions::default()).unwrap();
    assert_eq!((r.action, r.rows, r.batches), (ExportAction::Create, 100, 4));
    let loc = r.location.clone();
    assert!(loc.ends_with("/wh/pxt/t"), "{loc}");

    // error (default): refused before the source is read
    let src = Scripted::new(&a, None);
    let taken = src.taken.clone();
    let err = e.export(Box::new(src), "pxt.t", &IcebergOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(err.to_string(), "export_iceberg(): table 'pxt.t' already exists");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 0, "the source was read");

    // append: one more snapshot, whatever the number of batches
    let b = sample(100, 50, 7);
    let r = e.export(stream(&b), "pxt.t", &opts(IfExists::Append)).unwrap();
    assert_eq!((r.action, r.rows, r.batches), (ExportAction::Append, 50, 8));
    let info = e.describe_table("pxt.t").unwrap();
    assert_eq!(info.snapshots.len(), 2);
    assert_eq!(info.snapshots[1].parent_id, Some(info.snapshots[0].snapshot_id));
    assert_eq!(info.current_snapshot_id, r.snapshot_id);
    let mut want = table_text(&a);
    want.extend(table_text(&b));
    assert_eq!(read_text(&e, "pxt.t"), want);

    // replace with another schema: the same table, new schema, only the new rows
    let c = other(5);
    let r = e.export(stream(&c), "pxt.t", &opts(IfExists::Replace)).unwrap();
    assert_eq!((r.action, r.rows), (ExportAction::Replace, 5));
    assert_eq!(r.location, loc, "replace keeps the table (and its location)");
    let info = e.describe_table("pxt.t").unwrap();
    assert_eq!(info.snapshots.len(), 3, "history kept");
    let cur = info.snapshots.last().unwrap();
    assert_eq!((cur.operation.as_str(), Some(cur.snapshot_id)), ("overwrite", info.current_snapshot_id));
    assert_eq!(cur.parent_id, Some(info.snapshots[1].snapshot_id));
    assert_eq!(cur.summary.get("total-records").map(String::as_str), Some("5"));
    assert_eq!(cur.summary.get("deleted-records").map(String::as_str), Some("150"));
    let names: Vec<&str> = info.schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["k", "v"]);
    // fresh field ids: never reuse the ids of the old columns
    let ids: Vec<i32> =
        info.schema.fields().iter().map(|f| f.metadata()["PARQUET:field_id"].parse().unwrap()).collect();
    assert!(ids.iter().all(|i| *i > 7), "{ids:?}");
    assert_eq!(read_text(&e, "pxt.t"), table_text(&c));

    // replace with the same schema keeps it
    let r2 = e.export(stream(&other(3)), "pxt.t", &opts(IfExists::Replace)).unwrap();
    let info2 = e.describe_table("pxt.t").unwrap();
    assert_eq!(info2.schema, info.schema);
    assert_eq!(info2.current_snapshot_id, r2.snapshot_id);
    assert_eq!(read_text(&e, "pxt.t").len(), 3);
}

#[test]
fn empty_sources() {
    let wh = Wh::new();
    let e = wh.exporter();
    let empty = Table::from_batches(crate::common::sample_schema(), vec![]).unwrap();
    let r = e.export(stream(&empty), "ns.empty", &IcebergOptions::default()).unwrap();
    assert_eq!((r.rows, r.data_files, r.snapshot_id), (0, 0, None));
    let info = e.describe_table("ns.empty").unwrap();
    assert!(info.snapshots.is_empty() && info.current_snapshot_id.is_none());
    assert_eq!(info.schema.fields().len(), 6);
    assert!(read_text(&e, "ns.empty").is_empty());
    assert!(wh.files().iter().all(|p| !p.to_string_lossy().ends_with(".parquet")), "no data file");

    // append of nothing: no snapshot, same metadata
    let before = e.describe_table("ns.empty").unwrap();
    let r = e.export(stream(&empty), "ns.empty", &opts(IfExists::Append)).unwrap();
    assert_eq!(r.snapshot_id, None);
    assert_eq!(e.describe_table("ns.empty").unwrap(), before);

    // replace by nothing: a `delete` snapshot, the table empty with the new schema
    e.export(stream(&sample(0, 10, 10)), "ns.full", &IcebergOptions::default()).unwrap();
    let nothing = Table::from_batches(other(0).schema().clone(), vec![]).unwrap();
    let r = e.export(stream(&nothing), "ns.full", &opts(IfExists::Replace)).unwrap();
    assert_eq!(r.rows, 0);
    let info = e.describe_table("ns.full").unwrap();
    assert_eq!(info.snapshots.len(), 2);
    assert_eq!(info.snapshots[1].operation, "delete");
    assert_eq!(info.snapshots[1].summary.get("total-records").map(String::as_str), Some("0"));
    assert_eq!(info.schema.fields().len(), 2);
    assert!(read_text(&e, "ns.full").is_empty());
}

#[test]
fn names_and_namespaces() {
    let wh = Wh::new();
    let t = sample(0, 3, 3);
    // checked before the catalog is opened
    let nowhere = CatalogConfig::sql("sqlite:////nonexistent-dir/x/c.db", "/nonexistent-dir/x").unwrap();
    let e = export_iceberg(stream(&t), &nowhere, "tbl", &IcebergOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "export_iceberg(): table_name 'tbl' must be namespace-qualified (e.g. 'my_namespace.my_table')."
    );
    let ex = wh.exporter();
    for bad in [".tbl", "ns.", "a..b"] {
        assert_eq!(
            ex.export(stream(&t), bad, &IcebergOptions::default()).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
    // multi-level namespace, created on the way
    let r = ex.export(stream(&t), "a.b.c.tbl ✓", &IcebergOptions::default()).unwrap();
    assert!(r.location.ends_with("/wh/a/b/c/tbl ✓"), "{}", r.location);
    assert!(ex.table_exists("a.b.c.tbl ✓").unwrap());
    assert_eq!(read_text(&ex, "a.b.c.tbl ✓"), table_text(&t));
    // a catalog of another name sees nothing
    let named = wh.config.clone().with_name("other").unwrap();
    assert!(!IcebergExporter::open(&named).unwrap().table_exists("a.b.c.tbl ✓").unwrap());
}

#[test]
fn filtered_query_exports_only_its_rows_and_columns() {
    let wh = Wh::new();
    let t = sample(0, 200, 64);
    let q = query(stream(&t), &["s ✓".into(), "id".into()], Some("id >= 150 AND flag")).unwrap();
    let r = export_iceberg(q, &wh.config, "q.t", &IcebergOptions::default()).unwrap();
    assert_eq!(r.rows, 25);
    let e = wh.exporter();
    let (schema, batches) = e.read_table("q.t").unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["s ✓", "id"]);
    let expect = rows_text(
        &query(stream(&t), &["s ✓".into(), "id".into()], Some("id >= 150 AND flag"))
            .unwrap()
            .map(|b| b.unwrap())
            .collect::<Vec<_>>(),
    );
    assert_eq!(rows_text(&batches), expect);
}

/// Exports `t` and checks it is refused with `kind` before any file is written.
fn refused(t: &Table, options: &IcebergOptions, kind: ErrorKind) -> String {
    let wh = Wh::new();
    let e = export_iceberg(stream(t), &wh.config, "ns.t", options).unwrap_err();
    assert_eq!(e.kind(), kind, "{e}");
    assert!(wh.files().is_empty(), "files were written: {:?}", wh.files());
    assert!(!wh.exporter().table_exists("ns.t").unwrap());
    e.to_string()
}

fn one_column(name: &str, a: ArrayRef) -> Table {
    let schema = Arc::new(Schema::new(vec![Field::new(name, a.data_type().clone(), true)]));
    Table::from_batches(schema.clone(), vec![RecordBatch::try_new(schema, vec![a]).unwrap()]).unwrap()
}

#[test]
fn unsupported_types_are_refused_before_any_write() {
    let d = IcebergOptions::default();
    let m = refused(&one_column("n", Arc::new(NullArray::new(2))), &d, ErrorKind::UnsupportedType);
    assert_eq!(
        m,
        "export_iceberg(): cannot infer a concrete type for column(s) or field(s) ['n'] because every value is null (Arrow type null). Iceberg has no null-only type; you can specify an explicit type using the schema_overrides parameter."
    );
    let fsl =
        FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), Some(2)])], 2);
    let m = refused(&one_column("c", Arc::new(fsl)), &d, ErrorKind::UnsupportedType);
    assert_eq!(
        m,
        "export_iceberg(): cannot export fixed-shape tensor column(s) ['c']. Iceberg has no fixed-shape tensor type; export them as variable-length lists with convert_types=true, or give each a list type in schema_overrides."
    );
    let m =
        refused(&one_column("u", Arc::new(UInt64Array::from(vec![1u64]))), &d, ErrorKind::UnsupportedType);
    assert!(
        m.starts_with(
            "export_iceberg(): column(s) or field(s) ['u'] have type uint64, which Iceberg cannot hold"
        ),
        "{m}"
    );
    let m = refused(
        &one_column("h", Arc::new(Float16Array::from(vec![f16::ONE]))),
        &d,
        ErrorKind::UnsupportedType,
    );
    assert!(
        m.contains("['h'] have type float16") && m.contains("convert_types=true widens them to float32"),
        "{m}"
    );
    let ms = TimestampMillisecondArray::from(vec![1i64]);
    let m = refused(&one_column("t", Arc::new(ms.clone())), &d, ErrorKind::UnsupportedType);
    assert!(m.contains("['t'] hold timestamps in seconds or milliseconds"), "{m}");
    let ny = TimestampMicrosecondArray::from(vec![1i64]).with_timezone("America/New_York");
    let m = refused(&one_column("t", Arc::new(ny)), &d, ErrorKind::UnsupportedType);
    assert!(m.contains("time zone(s) ['America/New_York'] other than UTC"), "{m}");
    let ns = arrow::array::TimestampNanosecondArray::from(vec![1i64]);
    let m = refused(&one_column("t", Arc::new(ns)), &d, ErrorKind::UnsupportedType);
    assert!(m.contains("['t'] hold nanosecond timestamps"), "{m}");
    let dur = arrow::array::DurationSecondArray::from(vec![1i64]);
    let m = refused(&one_column("d", Arc::new(dur)), &d, ErrorKind::UnsupportedType);
    assert!(m.contains("['d'] have type(s) ['duration[s]'] that Iceberg has no equivalent of"), "{m}");
    // an override naming a missing column; an override Arrow cannot cast to
    let o = IcebergOptions::default()
        .with_schema_override("b", DataType::Int32)
        .with_schema_override("a", DataType::Int32);
    let m = refused(&one_column("x", Arc::new(Int64Array::from(vec![1]))), &o, ErrorKind::InvalidArgument);
    assert_eq!(
        m,
        "export_iceberg(): some column(s) specified in `schema_overrides` are not present in the source: a, b"
    );
    let o = IcebergOptions::default().with_schema_override("x", DataType::Date32);
    refused(&one_column("x", Arc::new(BooleanArray::from(vec![true]))), &o, ErrorKind::TypeMismatch);
    // with replace, the existing table is untouched
    let wh = Wh::new();
    let e = wh.exporter();
    e.export(stream(&other(2)), "ns.t", &IcebergOptions::default()).unwrap();
    let before = (e.describe_table("ns.t").unwrap(), wh.files());
    let err = e
        .export(
            stream(&one_column("u", Arc::new(UInt64Array::from(vec![1u64])))),
            "ns.t",
            &opts(IfExists::Replace),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedType);
    assert_eq!((e.describe_table("ns.t").unwrap(), wh.files()), before);
}

#[test]
fn convert_types_exports_what_iceberg_lacks() {
    let wh = Wh::new();
    let fsl = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
        vec![Some(vec![Some(1), Some(2)]), None, Some(vec![Some(3), None])],
        2,
    );
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("u", Arc::new(UInt64Array::from(vec![Some(u64::MAX), None, Some(0)]))),
        ("c", Arc::new(fsl)),
        ("h", Arc::new(Float16Array::from(vec![Some(f16::from_f32(0.5)), None, Some(f16::MAX)]))),
        ("ms", Arc::new(TimestampMillisecondArray::from(vec![Some(1), None, Some(-1)]))),
        (
            "ny",
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(0), None, Some(1)])
                    .with_timezone("America/New_York"),
            ),
        ),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let t = Table::from_batches(
        schema.clone(),
        vec![RecordBatch::try_new(schema, cols.into_iter().map(|(_, a)| a).collect()).unwrap()],
    )
    .unwrap();
    let o = IcebergOptions::default().with_convert_types(true);
    export_iceberg(stream(&t), &wh.config, "ns.conv", &o).unwrap();
    let (schema, batches) = wh.exporter().read_table("ns.conv").unwrap();
    let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(types[0], &DataType::Decimal128(20, 0));
    assert!(matches!(types[1], DataType::List(_)));
    assert_eq!(types[2], &DataType::Float32);
    assert_eq!(types[3], &DataType::Timestamp(TimeUnit::Microsecond, None));
    assert_eq!(types[4], &DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())));
    let rows = rows_text(&batches);
    let mut rows = rows;
    rows.sort();
    let first: Vec<&str> =
        rows.iter().find(|r| r[0] == "18446744073709551615").unwrap().iter().map(String::as_str).collect();
    assert_eq!(
        first,
        ["18446744073709551615", "[1, 2]", "0.5", "1970-01-01T00:00:00.001", "1970-01-01T00:00:00Z"]
    );
}

#[test]
fn schema_overrides_change_types_and_check_values() {
    let wh = Wh::new();
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("i", Arc::new(Int64Array::from(vec![1, -2, 3]))),
        ("f", Arc::new(Float32Array::from(vec![0.5, 1.25, -3.0]))),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), false)).collect::<Vec<_>>(),
    ));
    let t = Table::from_batches(
        schema.clone(),
        vec![RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect()).unwrap()],
    )
    .unwrap();
    let o = IcebergOptions::default()
        .with_schema_override("i", DataType::Int32)
        .with_schema_override("f", DataType::Float64);
    export_iceberg(stream(&t), &wh.config, "ns.o", &o).unwrap();
    let (s, batches) = wh.exporter().read_table("ns.o").unwrap();
    assert_eq!(s.field(0).data_type(), &DataType::Int32);
    assert_eq!(s.field(1).data_type(), &DataType::Float64);
    assert_eq!(rows_text(&batches), table_text(&t));

    // data that does not fit: refused, nothing created, the written file deleted
    let big = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![1, 1 << 40])), Arc::new(Float32Array::from(vec![0.0, 0.0]))],
    )
    .unwrap();
    let t2 = Table::from_batches(schema, vec![big]).unwrap();
    let before = wh.files();
    let e = export_iceberg(stream(&t2), &wh.config, "ns.o2", &o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert!(
        e.to_string().starts_with(
            "export_iceberg(): schema_overrides type int32 does not fit the data for column 'i': "
        ),
        "{e}"
    );
    assert!(e.to_string().contains("Nothing was committed: table 'ns.o2' was not created."), "{e}");
    assert!(!wh.exporter().table_exists("ns.o2").unwrap());
    assert_eq!(wh.files(), before);

    // a float with a fraction does not fit an integer type either (Arrow alone would truncate)
    let fschema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, false)]));
    let frac =
        RecordBatch::try_new(fschema.clone(), vec![Arc::new(Float64Array::from(vec![2.0, 1.5]))]).unwrap();
    let t3 = Table::from_batches(fschema, vec![frac]).unwrap();
    let o3 = IcebergOptions::default().with_schema_override("x", DataType::Int32);
    let e = export_iceberg(stream(&t3), &wh.config, "ns.o3", &o3).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert!(e.to_string().contains("1.5 is not an integer"), "{e}");
    assert!(!wh.exporter().table_exists("ns.o3").unwrap());
}

#[test]
fn append_checks_names_order_and_types_first() {
    let wh = Wh::new();
    let e = wh.exporter();
    e.export(stream(&sample(0, 10, 10)), "ns.t", &IcebergOptions::default()).unwrap();
    let before = (e.describe_table("ns.t").unwrap(), wh.files());
    let src = Scripted::new(&other(3), None);
    let taken = src.taken.clone();
    let err = e.export(Box::new(src), "ns.t", &opts(IfExists::Append)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    let m = err.to_string();
    assert!(
        m.starts_with("export_iceberg(): source schema is not compatible with existing table 'ns.t': the source lacks column(s) ['id', 'x', 's ✓', 'flag', 'ts', 'l']; the table has no column(s) ['k', 'v']"),
        "{m}"
    );
    assert!(m.contains("\nSource schema:\nk: int32\nv: string\nTarget schema:\nid: int64\n"), "{m}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!((e.describe_table("ns.t").unwrap(), wh.files()), before);
    // a castable source (int32 id into long, large strings into string) is accepted
    let t = sample(10, 5, 5);
    let q = query(stream(&t), &[], None).unwrap();
    let widened = IcebergOptions::default()
        .with_if_exists(IfExists::Append)
        .with_schema_override("s ✓", DataType::LargeUtf8)
        .with_schema_override("id", DataType::Int32);
    e.export(q, "ns.t", &widened).unwrap();
    assert_eq!(read_text(&e, "ns.t").len(), 15);
}

#[test]
fn large_inputs_are_chunked_and_files_roll() {
    let wh = Wh::new();
    let t = sample(0, 20_000, 20_000);
    let o = IcebergOptions::default().with_batch_size_bytes(64 * 1024).with_target_file_size_bytes(64 * 1024);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let o = o.with_observer(Arc::new(move |ev: &ExportEvent<'_>| {
        seen.lock().unwrap().push(ev.name());
        Ok(())
    }));
    let r = export_iceberg(stream(&t), &wh.config, "ns.big", &o).unwrap();
    assert!(r.batches > 5, "{r:?}");
    assert!(r.data_files > 1, "{r:?}");
    let e = wh.exporter();
    assert_eq!(e.describe_table("ns.big").unwrap().snapshots.len(), 1);
    assert_eq!(read_text(&e, "ns.big"), table_text(&t));
    let ev = events.lock().unwrap().clone();
    assert_eq!(ev.first(), Some(&"started"));
    assert_eq!(&ev[ev.len() - 3..], ["data-written", "metadata-written", "committing"]);
    assert_eq!(ev.iter().filter(|n| **n == "batch-written").count() as u64, r.batches);
    // parquet files are zstd-compressed
    let file = wh.files().into_iter().find(|p| p.extension().is_some_and(|x| x == "parquet")).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("tessera-"), "{name}");
    let reader =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    use parquet::file::reader::FileReader;
    let col = reader.metadata().row_group(0).column(0).compression();
    assert!(matches!(col, parquet::basic::Compression::ZSTD(_)), "{col:?}");

    // three writers at once: at least one file each, the same rows, still one snapshot
    let o = IcebergOptions::default().with_batch_size_bytes(64 * 1024).with_writers(3);
    let r = export_iceberg(stream(&t), &wh.config, "ns.par", &o).unwrap();
    assert!(r.data_files >= 3, "{r:?}");
    assert_eq!(e.describe_table("ns.par").unwrap().snapshots.len(), 1);
    assert_eq!(read_text(&e, "ns.par"), table_text(&t));
}

#[test]
fn blocking_api_refuses_inside_a_runtime_and_async_api_works_there() {
    let wh = Wh::new();
    let t = sample(0, 5, 5);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = wh.config.clone();
    let t2 = t.clone();
    let err =
        rt.block_on(async move { export_iceberg(stream(&t2), &config, "ns.t", &IcebergOptions::default()) });
    assert_eq!(err.unwrap_err().kind(), ErrorKind::Runtime);
    let config = wh.config.clone();
    let report = rt
        .block_on(async move {
            let cat = IcebergCatalog::open(&config).await.unwrap();
            // spawned: the export future is Send
            tokio::spawn(async move { cat.export(stream(&t), "ns.t", &IcebergOptions::default()).await })
                .await
                .unwrap()
        })
        .unwrap();
    assert_eq!(report.rows, 5);
    drop(rt);
    assert_eq!(read_text(&wh.exporter(), "ns.t").len(), 5);
}

/// pyiceberg ≤ 0.11 creates `iceberg_tables` without `iceberg_type`; iceberg-catalog-sql 0.10
/// needs it. Opening the catalog adds it.
#[test]
fn v0_catalogs_are_migrated() {
    let wh = Wh::new();
    let db = wh.dir.path().join("catalog.db");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::ConnectOptions;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new().filename(&db).create_if_missing(true).connect().await.unwrap();
        sqlx::query(
            "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name))",
        )
        .execute(&mut c)
        .await
        .unwrap();
        sqlx::query(
            "CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL, PRIMARY KEY (catalog_name, namespace, property_key))",
        )
        .execute(&mut c)
        .await
        .unwrap();
    });
    drop(rt);
    let t = sample(0, 4, 4);
    export_iceberg(stream(&t), &wh.config, "old.t", &IcebergOptions::default()).unwrap();
    export_iceberg(stream(&t), &wh.config, "old.t", &opts(IfExists::Replace)).unwrap();
    assert_eq!(read_text(&wh.exporter(), "old.t"), table_text(&t));
}

/// Appending to a partitioned table made elsewhere: rows go to one file per partition.
#[test]
fn append_to_a_partitioned_table() {
    use iceberg::spec::{Transform, UnboundPartitionSpec};
    use iceberg::{Catalog, CatalogBuilder, NamespaceIdent, TableCreation};
    let wh = Wh::new();
    wh.exporter(); // creates the catalog tables
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let root = wh.dir.path().to_str().unwrap().to_owned();
    rt.block_on(async {
        let cat = iceberg_catalog_sql::SqlCatalogBuilder::default()
            .sql_bind_style(iceberg_catalog_sql::SqlBindStyle::QMark)
            .with_storage_factory(Arc::new(iceberg::io::LocalFsStorageFactory))
            .load(
                "pixeltable",
                [
                    ("uri".to_string(), format!("sqlite:///{root}/catalog.db")),
                    ("warehouse".to_string(), format!("file://{root}/wh")),
                ]
                .into(),
            )
            .await
            .unwrap();
        let ns = NamespaceIdent::new("p".into());
        cat.create_namespace(&ns, Default::default()).await.unwrap();
        let arrow_schema = other(0).schema().as_ref().clone();
        let schema = iceberg::arrow::arrow_schema_to_schema_auto_assign_ids(&arrow_schema).unwrap();
        let spec = UnboundPartitionSpec::builder()
            .add_partition_field(2, "v_part", Transform::Identity)
            .unwrap()
            .build();
        cat.create_table(
            &ns,
            TableCreation::builder().name("t".into()).schema(schema).partition_spec(spec).build(),
        )
        .await
        .unwrap();
    });
    drop(rt);
    let e = wh.exporter();
    let t = other(4);
    e.export(stream(&t), "p.t", &opts(IfExists::Append)).unwrap();
    assert_eq!(read_text(&e, "p.t"), table_text(&t));
    let dirs: std::collections::BTreeSet<String> = wh
        .files()
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .map(|p| p.parent().unwrap().file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    assert!(dirs.contains("v_part=v0"), "{dirs:?}");
    // replacing it with another schema resets the partitioning
    e.export(stream(&sample(0, 3, 3)), "p.t", &opts(IfExists::Replace)).unwrap();
    assert_eq!(read_text(&e, "p.t"), table_text(&sample(0, 3, 3)));
}
