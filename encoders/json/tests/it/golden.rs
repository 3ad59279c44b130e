//! Exact output, compared with the files in `tests/golden/`. Run with `TESSERA_BLESS=1` to
//! rewrite them after a deliberate change (and review the diff).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray,
    DurationMillisecondArray, Float32Array, Float64Array, Int32Array, Int64Array, LargeListArray, ListArray,
    MapArray, StringArray, StructArray, Time64MicrosecondArray, TimestampMillisecondArray,
    TimestampSecondArray, UInt8Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType as A, Field, Fields, Int8Type, Int32Type};
use tessera_core::{ContainerEncoder, DataType, Field as DField, NdArray, Params, TimeUnit};
use tessera_json::{JsonEncoder, JsonSeqEncoder, NdjsonEncoder};

use crate::{batch, encode_array, encode_table, parse, parse_rows};

fn check(name: &str, got: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("TESSERA_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run with TESSERA_BLESS=1)", path.display()));
    assert_eq!(String::from_utf8_lossy(got), String::from_utf8_lossy(&want), "{name}");
}

/// A table of the Arrow types whose JSON form matters: nested values, times, decimals,
/// dictionaries, binary, nulls everywhere.
pub fn json_types_batch() -> arrow::array::RecordBatch {
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), None]),
        Some(vec![]),
        None,
    ]);
    let large =
        LargeListArray::from_iter_primitive::<Int32Type, _, _>(vec![None, Some(vec![Some(7)]), Some(vec![])]);
    let inner = StructArray::from(vec![
        (
            Arc::new(Field::new("x", A::Float64, true)),
            Arc::new(Float64Array::from(vec![Some(0.5), Some(f64::NAN), None])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("tags", A::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("a\tb"), None, Some("🙂")])) as ArrayRef,
        ),
    ]);
    let entries = StructArray::from(vec![
        (
            Arc::new(Field::new("k", A::Utf8, false)),
            Arc::new(StringArray::from(vec!["one", "two", "q\"k"])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("v", A::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
        ),
    ]);
    let fields = Fields::from(vec![Field::new("k", A::Utf8, false), Field::new("v", A::Int64, true)]);
    let map = MapArray::try_new(
        Arc::new(Field::new("entries", A::Struct(fields), false)),
        OffsetBuffer::from_lengths([2, 0, 1]),
        entries,
        Some(vec![true, true, true].into()),
        false,
    )
    .unwrap();
    let dict: DictionaryArray<Int8Type> = vec![Some("red"), Some("red"), None].into_iter().collect();
    batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![Some(i64::MIN), Some(9_007_199_254_740_993), None])) as ArrayRef,
        ),
        ("u8", Arc::new(UInt8Array::from(vec![Some(255), None, Some(0)]))),
        ("f64", Arc::new(Float64Array::from(vec![Some(-0.0), Some(5e-324), Some(f64::INFINITY)]))),
        ("f32", Arc::new(Float32Array::from(vec![Some(0.1f32), Some(f32::NAN), None]))),
        ("flag", Arc::new(BooleanArray::from(vec![Some(false), None, Some(true)]))),
        ("text", Arc::new(StringArray::from(vec![Some("line\nbreak \"q\" \\ \u{7}"), Some("Manwë"), None]))),
        ("blob", Arc::new(BinaryArray::from(vec![Some(b"bytes".as_slice()), Some(b"\xc3\x28"), None]))),
        ("ts_s", Arc::new(TimestampSecondArray::from(vec![Some(1_735_689_600), None, Some(-86_401)]))),
        (
            "ts_ms_tz",
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(1_500), Some(0), None]).with_timezone("-08:00"),
            ),
        ),
        ("date", Arc::new(Date32Array::from(vec![Some(19_724), None, Some(0)]))),
        ("time_us", Arc::new(Time64MicrosecondArray::from(vec![Some(1), Some(43_200_000_000), None]))),
        ("dur_ms", Arc::new(DurationMillisecondArray::from(vec![Some(1), None, Some(-2)]))),
        (
            "dec",
            Arc::new(
                Decimal128Array::from(vec![Some(1), Some(-123_456), None])
                    .with_precision_and_scale(12, 3)
                    .unwrap(),
            ),
        ),
        ("list", Arc::new(list)),
        ("large_list", Arc::new(large)),
        ("struct", Arc::new(inner)),
        ("map", Arc::new(map)),
        ("dict", Arc::new(dict)),
        ("i32", Arc::new(Int32Array::from(vec![1, 2, 3]))),
    ])
}

#[test]
fn table_formats() {
    let b = json_types_batch();
    let (columns, seq, nd) = (
        encode_table(&JsonEncoder, b.schema(), vec![b.slice(0, 2), b.slice(2, 1)]),
        encode_table(&JsonSeqEncoder, b.schema(), vec![b.clone()]),
        encode_table(&NdjsonEncoder, b.schema(), vec![b.clone()]),
    );
    parse(&columns);
    parse_rows(&seq, true);
    parse_rows(&nd, false);
    check("table_types.json", &columns);
    check("table_types.json-seq", &seq);
    check("table_types.ndjson", &nd);
}

#[test]
fn t1_first_rows() {
    let t = tessera_testkit::workloads::table(4);
    let b = t.stream().next().unwrap().unwrap();
    check("t1_head.json", &encode_table(&JsonEncoder, b.schema(), vec![b.clone()]));
    check("t1_head.ndjson", &encode_table(&NdjsonEncoder, b.schema(), vec![b.clone()]));
    check("t1_head.json-seq", &encode_table(&JsonSeqEncoder, b.schema(), vec![b]));
}

fn unicode(strs: &[&str], width: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for s in strs {
        let chars: Vec<char> = s.chars().collect();
        for c in &chars {
            bytes.extend_from_slice(&(*c as u32).to_le_bytes());
        }
        bytes.resize(bytes.len() + (width - chars.len()) * 4, 0);
    }
    bytes
}

#[test]
fn arrays_of_every_dtype() {
    let le = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let rec = DataType::Record {
        fields: vec![
            DField { name: "name".into(), data_type: DataType::Unicode(4), offset: 0 },
            DField { name: "age".into(), data_type: DataType::Int32, offset: 16 },
            DField { name: "weight".into(), data_type: DataType::Float64, offset: 24 },
        ],
        itemsize: 32,
    };
    let mut rec_bytes = Vec::new();
    for (n, a, w) in [("Rex", 9i32, 81.0f64), ("Fido", 3, 27.5)] {
        rec_bytes.extend(unicode(&[n], 4));
        rec_bytes.extend(a.to_le_bytes());
        rec_bytes.extend([0u8; 4]);
        rec_bytes.extend(w.to_le_bytes());
    }
    let arrays: Vec<(&str, NdArray)> = vec![
        (
            "bool",
            NdArray::from_vec(
                vec![3],
                vec![tessera_core::Bool8(1), tessera_core::Bool8(0), tessera_core::Bool8(7)],
            )
            .unwrap(),
        ),
        ("int8", NdArray::from_vec(vec![2], vec![i8::MIN, i8::MAX]).unwrap()),
        ("int16", NdArray::from_vec(vec![2], vec![i16::MIN, i16::MAX]).unwrap()),
        ("int32", NdArray::from_vec(vec![2], vec![i32::MIN, i32::MAX]).unwrap()),
        ("int64", NdArray::from_vec(vec![2], vec![i64::MIN, i64::MAX]).unwrap()),
        ("uint8", NdArray::from_vec(vec![2], vec![0u8, u8::MAX]).unwrap()),
        ("uint16", NdArray::from_vec(vec![1], vec![u16::MAX]).unwrap()),
        ("uint32", NdArray::from_vec(vec![1], vec![u32::MAX]).unwrap()),
        ("uint64", NdArray::from_vec(vec![1], vec![u64::MAX]).unwrap()),
        (
            "float16",
            NdArray::from_vec(
                vec![3],
                vec![half::f16::from_f32(0.5), half::f16::NEG_INFINITY, half::f16::NAN],
            )
            .unwrap(),
        ),
        ("float32", NdArray::from_vec(vec![2, 2], vec![0.1f32, -0.0, f32::NAN, 3.4e38]).unwrap()),
        ("float64", NdArray::from_vec(vec![2, 2], vec![0.1, 1e300, f64::NAN, -2.5e-300]).unwrap()),
        (
            "complex64",
            NdArray::from_vec(
                vec![2],
                vec![num_complex::Complex::new(1.5f32, -2.0), num_complex::Complex::new(f32::NAN, 0.0)],
            )
            .unwrap(),
        ),
        (
            "complex128",
            NdArray::from_vec(vec![], vec![num_complex::Complex::new(0.1f64, f64::INFINITY)]).unwrap(),
        ),
        (
            "datetime64[ns]",
            NdArray::new(
                DataType::Datetime64(TimeUnit::Nanosecond),
                vec![3],
                le(&[1_735_689_600_000_000_000, i64::MIN, 1]),
            )
            .unwrap(),
        ),
        ("datetime64[D]", NdArray::new(DataType::Datetime64(TimeUnit::Day), vec![], le(&[20_089])).unwrap()),
        (
            "timedelta64[s]",
            NdArray::new(DataType::Timedelta64(TimeUnit::Second), vec![2], le(&[-5, i64::MIN])).unwrap(),
        ),
        ("unicode", NdArray::new(DataType::Unicode(3), vec![3], unicode(&["abc", "", "é\"\n"], 3)).unwrap()),
        ("unicode 0-d", NdArray::new(DataType::Unicode(5), vec![], unicode(&["1/137"], 5)).unwrap()),
        ("bytes", NdArray::new(DataType::Bytes(2), vec![2, 1], b"a\0\xff!".to_vec()).unwrap()),
        ("records", NdArray::new(rec, vec![2], rec_bytes).unwrap()),
    ];
    let mut out = Vec::new();
    for (name, a) in arrays {
        let json = encode_array(&a);
        parse(&json);
        out.extend_from_slice(format!("{name} {:?}: ", a.shape()).as_bytes());
        out.extend_from_slice(&json);
        out.push(b'\n');
    }
    check("arrays.txt", &out);
}

#[test]
fn container_tree() {
    let mut out = Vec::new();
    ContainerEncoder::encode(&JsonEncoder, &crate::encoder::tree(), &Params::new(), &mut out).unwrap();
    check("container.json", &out);
}

#[test]
fn dataset_d1_head() {
    let d1 = tessera_testkit::workloads::d1();
    let small = tessera_core::dataset::Dataset {
        data_vars: d1
            .data_vars
            .iter()
            .map(|(k, v)| {
                let data = NdArray::new(
                    v.data.data_type().clone(),
                    vec![2, 2],
                    [&v.data.as_bytes()[..16], &v.data.as_bytes()[8000..8016]].concat(),
                )
                .unwrap();
                (k.clone(), tessera_core::dataset::Variable { data, ..v.clone() })
            })
            .collect(),
        coords: d1
            .coords
            .iter()
            .map(|(k, v)| {
                let data =
                    NdArray::new(v.data.data_type().clone(), vec![2], v.data.as_bytes()[..16].to_vec())
                        .unwrap();
                (k.clone(), tessera_core::dataset::Variable { data, ..v.clone() })
            })
            .collect(),
        attrs: d1.attrs.clone(),
    };
    let mut out = Vec::new();
    tessera_core::DatasetEncoder::encode(&JsonEncoder, &small, &Params::new(), &mut out).unwrap();
    check("dataset.json", &out);
}

#[test]
fn table_formats_match_tileds_samples() {
    // tiled-protocol.md §4: json-seq rows like {"A":5,"B":0.05,"C":"HHH","D":"2025-01-01T00:00:00","E":true}
    let b = batch(vec![
        ("A", Arc::new(Int64Array::from(vec![5])) as ArrayRef),
        ("B", Arc::new(Float64Array::from(vec![0.05]))),
        ("C", Arc::new(StringArray::from(vec!["HHH"]))),
        ("D", Arc::new(TimestampSecondArray::from(vec![1_735_689_600]))),
        ("E", Arc::new(BooleanArray::from(vec![true]))),
    ]);
    assert_eq!(
        encode_table(&JsonSeqEncoder, b.schema(), vec![b.clone()]),
        b"\x1e{\"A\":5,\"B\":0.05,\"C\":\"HHH\",\"D\":\"2025-01-01T00:00:00\",\"E\":true}\n"
    );
    assert_eq!(
        encode_table(&JsonEncoder, b.schema(), vec![b]),
        br#"{"A":[5],"B":[0.05],"C":["HHH"],"D":["2025-01-01T00:00:00"],"E":[true]}"#
    );
}
