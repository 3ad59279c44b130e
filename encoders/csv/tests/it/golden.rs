//! Exact output, compared with the files in `tests/golden/`. Run with
//! `TESSERA_BLESS=1` to rewrite them after a deliberate change (and review the diff).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, DurationSecondArray,
    FixedSizeListArray, Float32Array, Float64Array, Int8Array, LargeStringArray, ListArray, NullArray,
    StringArray, StructArray, Time32MillisecondArray, TimestampMicrosecondArray, TimestampNanosecondArray,
    UInt64Array,
};
use arrow::datatypes::{DataType as A, Field, Int32Type};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, DatasetEncoder, Field as DField, NdArray, Params, TimeUnit};
use tessera_csv::CsvEncoder;

use crate::{array_csv, batch, table_csv};

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

/// Every Arrow type the CSV encoder writes, with nulls and awkward values.
pub fn all_types_batch() -> arrow::array::RecordBatch {
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), None, Some(3)]),
        Some(vec![]),
        None,
    ]);
    let fsl = FixedSizeListArray::from_iter_primitive::<arrow::datatypes::Float32Type, _, _>(
        vec![Some(vec![Some(0.5), Some(1.0)]), Some(vec![Some(f32::NAN), None]), None],
        2,
    );
    let strukt = StructArray::from(vec![
        (
            Arc::new(Field::new("a", A::Int8, true)),
            Arc::new(Int8Array::from(vec![Some(1), None, Some(-3)])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b\"", A::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("x,y"), Some("é"), None])) as ArrayRef,
        ),
    ]);
    let dict: DictionaryArray<Int32Type> = vec![Some("low"), None, Some("high")].into_iter().collect();
    batch(vec![
        ("int8", Arc::new(Int8Array::from(vec![Some(-128), None, Some(127)])) as ArrayRef),
        ("uint64", Arc::new(UInt64Array::from(vec![Some(u64::MAX), Some(0), None]))),
        ("float64", Arc::new(Float64Array::from(vec![Some(0.1), Some(f64::NAN), Some(-1e-7)]))),
        (
            "float64 more",
            Arc::new(Float64Array::from(vec![Some(f64::INFINITY), Some(f64::NEG_INFINITY), Some(-0.0)])),
        ),
        ("float32", Arc::new(Float32Array::from(vec![Some(0.1f32), None, Some(16777216.0)]))),
        ("bool", Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]))),
        (
            "utf8",
            Arc::new(StringArray::from(vec![
                Some("plain"),
                Some("with \"quotes\", commas\nand lines"),
                Some(" padded "),
            ])),
        ),
        ("large_utf8", Arc::new(LargeStringArray::from(vec![Some("é名🙂"), Some(""), None]))),
        ("binary (skipped)", Arc::new(BinaryArray::from(vec![Some(b"\x00".as_slice()), None, Some(b"x")]))),
        (
            "ts_us",
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(1_577_836_800_000_000),
                Some(1_577_836_801_500_000),
                None,
            ])),
        ),
        (
            "ts_ns_utc",
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(1), Some(-1), Some(1_700_000_000_123_456_789)])
                    .with_timezone("UTC"),
            ),
        ),
        ("date32", Arc::new(Date32Array::from(vec![Some(18_262), Some(-719_528), None]))),
        ("time32_ms", Arc::new(Time32MillisecondArray::from(vec![Some(45_296_789), Some(0), None]))),
        ("duration_s", Arc::new(DurationSecondArray::from(vec![Some(-90), Some(0), None]))),
        (
            "decimal",
            Arc::new(
                Decimal128Array::from(vec![Some(12345), Some(-5), None])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        ("list", Arc::new(list)),
        ("fixed_list", Arc::new(fsl)),
        ("struct", Arc::new(strukt)),
        ("dict", Arc::new(dict)),
        ("null", Arc::new(NullArray::new(3))),
    ])
}

#[test]
fn table_of_every_type() {
    let b = all_types_batch();
    check("table_types.csv", &table_csv(b.schema(), vec![b.clone()], &Params::new()));
    check(
        "table_types_no_header.csv",
        &table_csv(b.schema(), vec![b], &Params::new().with("header", "absent")),
    );
}

#[test]
fn t1_first_rows() {
    let t = tessera_testkit::workloads::table(5);
    let b = t.stream().next().unwrap().unwrap();
    check("t1_head.csv", &table_csv(b.schema(), vec![b], &Params::new()));
}

fn unicode(strs: &[&str], width: usize) -> NdArray {
    let mut bytes = Vec::new();
    for s in strs {
        let chars: Vec<char> = s.chars().collect();
        for c in &chars {
            bytes.extend_from_slice(&(*c as u32).to_le_bytes());
        }
        bytes.resize(bytes.len() + (width - chars.len()) * 4, 0);
    }
    NdArray::new(DataType::Unicode(width), vec![strs.len()], bytes).unwrap()
}

#[test]
fn arrays_of_every_dtype() {
    let mut out = Vec::new();
    let mut add = |title: &str, a: NdArray| {
        out.extend_from_slice(format!("# {title} {:?}\n", a.shape()).as_bytes());
        out.extend_from_slice(&array_csv(&a));
    };
    add(
        "bool",
        NdArray::from_vec(
            vec![2, 2],
            vec![
                tessera_core::Bool8(1),
                tessera_core::Bool8(0),
                tessera_core::Bool8(2),
                tessera_core::Bool8(0),
            ],
        )
        .unwrap(),
    );
    add("int8", NdArray::from_vec(vec![3], vec![i8::MIN, 0, i8::MAX]).unwrap());
    add("int16", NdArray::from_vec(vec![1, 2], vec![i16::MIN, i16::MAX]).unwrap());
    add("int32", NdArray::from_vec(vec![2], vec![i32::MIN, i32::MAX]).unwrap());
    add("int64", NdArray::from_vec(vec![2], vec![i64::MIN, i64::MAX]).unwrap());
    add("uint8", NdArray::from_vec(vec![2], vec![0u8, 255]).unwrap());
    add("uint16", NdArray::from_vec(vec![1], vec![u16::MAX]).unwrap());
    add("uint32", NdArray::from_vec(vec![1], vec![u32::MAX]).unwrap());
    add("uint64", NdArray::from_vec(vec![1], vec![u64::MAX]).unwrap());
    add(
        "float16",
        NdArray::from_vec(vec![3], vec![half::f16::from_f32(0.1), half::f16::INFINITY, half::f16::NAN])
            .unwrap(),
    );
    add("float32", NdArray::from_vec(vec![2, 2], vec![0.1f32, -0.0, f32::MAX, 1e-45]).unwrap());
    add(
        "float64",
        NdArray::from_vec(vec![2, 3], vec![0.0, 0.1, 1e21, -1e-300, f64::NAN, f64::NEG_INFINITY]).unwrap(),
    );
    add(
        "complex64",
        NdArray::from_vec(
            vec![2],
            vec![num_complex::Complex::new(1.5f32, -2.0), num_complex::Complex::new(0.0, 0.25)],
        )
        .unwrap(),
    );
    add(
        "complex128",
        NdArray::from_vec(vec![], vec![num_complex::Complex::new(f64::NAN, f64::INFINITY)]).unwrap(),
    );
    let dt = |u: TimeUnit, v: Vec<i64>| {
        let n = v.len();
        NdArray::new(
            DataType::Datetime64(u),
            vec![n],
            v.into_iter().flat_map(i64::to_le_bytes).collect::<Vec<u8>>(),
        )
        .unwrap()
    };
    add("datetime64[s]", dt(TimeUnit::Second, vec![1_577_836_800, i64::MIN, -1]));
    add("datetime64[ms]", dt(TimeUnit::Millisecond, vec![1_577_836_800_250]));
    add("datetime64[D]", dt(TimeUnit::Day, vec![18_262, -1]));
    add("datetime64[M]", dt(TimeUnit::Month, vec![601]));
    let td = NdArray::new(
        DataType::Timedelta64(TimeUnit::Nanosecond),
        vec![2],
        [5i64, i64::MIN].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
    add("timedelta64[ns]", td);
    add("unicode", unicode(&["a", "b,c", "say \"hi\"", "", "é名🙂"], 8));
    add("unicode 2-d", unicode(&["x", " y", "z\n", "w"], 2).reshape(vec![2, 2]).unwrap());
    add("bytes", NdArray::new(DataType::Bytes(3), vec![3], b"ab\0\xff\0\0a,b".to_vec()).unwrap());
    add("0-d unicode", unicode(&["1/137"], 5).reshape(vec![]).unwrap());
    add("0-d empty unicode", unicode(&[""], 1).reshape(vec![]).unwrap());
    let rec = DataType::Record {
        fields: vec![
            DField { name: "name".into(), data_type: DataType::Unicode(5), offset: 0 },
            DField { name: "age".into(), data_type: DataType::Int32, offset: 20 },
            DField { name: "weight".into(), data_type: DataType::Float64, offset: 24 },
        ],
        itemsize: 32,
    };
    let mut bytes = Vec::new();
    for (name, age, w) in [("Rex", 9i32, 81.0f64), ("Fi,do", 3, 27.5)] {
        let mut n = unicode(&[name], 5).as_bytes().to_vec();
        n.extend_from_slice(&age.to_le_bytes());
        n.extend_from_slice(&w.to_le_bytes());
        bytes.extend(n);
    }
    let records = NdArray::new(rec, vec![2], bytes).unwrap();
    add("records", records.clone());
    add("0-d record", records.read_rows_first());
    add("2-d records", records.reshape(vec![1, 2]).unwrap());
    check("arrays.csv", &out);
}

trait First {
    fn read_rows_first(&self) -> NdArray;
}

impl First for NdArray {
    fn read_rows_first(&self) -> NdArray {
        let n = self.data_type().itemsize();
        NdArray::new(self.data_type().clone(), vec![], self.as_bytes()[..n].to_vec()).unwrap()
    }
}

#[test]
fn dataset_as_its_table_form() {
    let mut ds = Dataset::default();
    let v = |dims: &[&str], a: NdArray| Variable::new(dims.iter().map(|s| s.to_string()).collect(), a);
    ds.add_coord("time", v(&["time"], NdArray::from_vec(vec![2], vec![10i64, 20]).unwrap())).unwrap();
    ds.add_data_var(
        "a",
        v(&["time", "x"], NdArray::from_vec(vec![2, 3], vec![0.5f64, 1.5, 2.5, 3.5, 4.5, 5.5]).unwrap()),
    )
    .unwrap();
    ds.add_data_var("b", v(&["x"], NdArray::from_vec(vec![3], vec![true as u8, 0, 1]).unwrap())).unwrap();
    let mut out = Vec::new();
    DatasetEncoder::encode(&CsvEncoder, &ds, &Params::new(), &mut out).unwrap();
    check("dataset.csv", &out);
}
