//! Datasets and trees shared by the tests and the `dump` example (which includes this file
//! with `#[path]`). `tests/interop/test_netcdf.py` rebuilds the same values in Python.

#![allow(dead_code)]

use std::sync::Arc;

use arrow::array::{BooleanArray, Float64Array, RecordBatch, StringArray, TimestampSecondArray, UInt8Array};
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema, TimeUnit as ArrowUnit};
use serde_json::{Map, Value, json};
use tessera_core::container::{ContainerTree, Node, NodeInfo};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, Field, NdArray, Table, TimeUnit};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn var(dims: &[&str], data: NdArray) -> Variable {
    Variable::new(dims.iter().map(|s| s.to_string()).collect(), data)
}

/// 2014-09-06 as nanoseconds since the epoch.
pub const SEPT_6_2014_NS: i64 = 1_409_961_600_000_000_000;
const DAY_NS: i64 = 86_400_000_000_000;

/// Tiled's demo `structured_data/xarray_dataset` with fixed values:
/// `temperature[k] = 15 + 0.5 k`, `precipitation[k] = 10 - 0.25 k` (flat index k), dims
/// (x, y, time) = (2, 2, 3); coordinates `lon`, `lat` (x, y) and `time` = 2014-09-06 + t days
/// (datetime64[ns]).
pub fn demo_dataset() -> Dataset {
    let mut ds = Dataset::default();
    let lon = NdArray::from_vec(vec![2, 2], vec![-99.83, -99.32, -99.79, -99.23]).unwrap();
    let lat = NdArray::from_vec(vec![2, 2], vec![42.25, 42.21, 42.63, 42.59]).unwrap();
    let times: Vec<u8> = (0..3i64).flat_map(|t| (SEPT_6_2014_NS + t * DAY_NS).to_le_bytes()).collect();
    let time = NdArray::new(DataType::Datetime64(TimeUnit::Nanosecond), vec![3], times).unwrap();
    ds.add_coord("lon", var(&["x", "y"], lon)).unwrap();
    ds.add_coord("lat", var(&["x", "y"], lat)).unwrap();
    ds.add_coord("time", var(&["time"], time)).unwrap();
    let t: Vec<f64> = (0..12).map(|k| 15.0 + 0.5 * k as f64).collect();
    let p: Vec<f64> = (0..12).map(|k| 10.0 - 0.25 * k as f64).collect();
    ds.add_data_var("temperature", var(&["x", "y", "time"], NdArray::from_vec(vec![2, 2, 3], t).unwrap()))
        .unwrap();
    ds.add_data_var("precipitation", var(&["x", "y", "time"], NdArray::from_vec(vec![2, 2, 3], p).unwrap()))
        .unwrap();
    ds
}

fn utf32(strs: &[&str], width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for s in strs {
        let n = s.chars().count();
        for c in s.chars() {
            out.extend_from_slice(&(c as u32).to_le_bytes());
        }
        out.resize(out.len() + (width - n) * 4, 0);
    }
    out
}

/// `(name, array)` of length 3 for every plain dtype NetCDF can hold after CF encoding
/// (values chosen to fit NetCDF-3 too).
pub fn plain_arrays() -> Vec<(&'static str, NdArray)> {
    let nd = |dt: DataType, bytes: Vec<u8>| NdArray::new(dt, vec![3], bytes).unwrap();
    vec![
        ("bool", nd(DataType::Bool, vec![1, 0, 1])),
        ("int8", NdArray::from_vec(vec![3], vec![-128i8, 0, 127]).unwrap()),
        ("int16", NdArray::from_vec(vec![3], vec![-32768i16, 0, 32767]).unwrap()),
        ("int32", NdArray::from_vec(vec![3], vec![i32::MIN, 0, i32::MAX]).unwrap()),
        ("int64", NdArray::from_vec(vec![3], vec![-5i64, 0, i64::from(i32::MAX)]).unwrap()),
        ("uint8", NdArray::from_vec(vec![3], vec![0u8, 200, 255]).unwrap()),
        ("uint16", NdArray::from_vec(vec![3], vec![0u16, 40000, 65535]).unwrap()),
        ("uint32", NdArray::from_vec(vec![3], vec![0u32, 4_000_000_000, 1]).unwrap()),
        ("uint64", NdArray::from_vec(vec![3], vec![0u64, 4_000_000_000, 1]).unwrap()),
        (
            "float16",
            NdArray::from_vec(vec![3], vec![half::f16::from_f32(0.5), half::f16::NAN, half::f16::MAX])
                .unwrap(),
        ),
        ("float32", NdArray::from_vec(vec![3], vec![0.1f32, f32::INFINITY, -0.0]).unwrap()),
        ("float64", NdArray::from_vec(vec![3], vec![0.1f64, f64::NAN, f64::NEG_INFINITY]).unwrap()),
        (
            "datetime",
            nd(
                DataType::Datetime64(TimeUnit::Second),
                [1_577_836_800i64, 1_577_836_801, 1_577_840_400]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
            ),
        ),
        (
            "timedelta",
            nd(
                DataType::Timedelta64(TimeUnit::Millisecond),
                [1000i64, 0, -3000].iter().flat_map(|v| v.to_le_bytes()).collect(),
            ),
        ),
        ("unicode", nd(DataType::Unicode(3), utf32(&["a", "é名🙂", ""], 3))),
        ("bytes", nd(DataType::Bytes(3), b"ab\0\0\0\0xyz".to_vec())),
    ]
}

/// One variable per entry of [`plain_arrays`], over dimension `n`, with assorted attributes.
pub fn every_dtype_dataset() -> Dataset {
    let mut ds = Dataset::default();
    for (name, a) in plain_arrays() {
        ds.add_data_var(name, var(&["n"], a)).unwrap();
    }
    ds.attrs = obj(json!({
        "title": "every dtype", "count": 3, "ratio": 0.25, "flag": true, "sizes": [1, 2, 3],
        "nested": {"a": [1, {"b": null}]}, "é名": "unicode",
    }));
    ds
}

/// The structured `pets` array of Tiled's demo: `[("Rex", 9, 81.0), ("Fido", 3, 27.0)]` of
/// `[name <U10, age <i4, weight <f4]`.
pub fn pets() -> NdArray {
    let dt = DataType::Record {
        fields: vec![
            Field { name: "name".into(), data_type: DataType::Unicode(10), offset: 0 },
            Field { name: "age".into(), data_type: DataType::Int32, offset: 40 },
            Field { name: "weight".into(), data_type: DataType::Float32, offset: 44 },
        ],
        itemsize: 48,
    };
    let mut bytes = Vec::new();
    for (name, age, weight) in [("Rex", 9i32, 81.0f32), ("Fido", 3, 27.0)] {
        bytes.extend_from_slice(&utf32(&[name], 10));
        bytes.extend_from_slice(&age.to_le_bytes());
        bytes.extend_from_slice(&weight.to_le_bytes());
    }
    NdArray::new(dt, vec![2], bytes).unwrap()
}

/// Tiled's demo `tables/short_table` shape with fixed values (5 rows): A uint8 = i,
/// B float64 = i / 4, C string "A"*i... , D timestamp[s] 2025-01-01 + i days, E bool i even.
pub fn short_table() -> Table {
    let schema = Arc::new(Schema::new(vec![
        ArrowField::new("A", ArrowType::UInt8, false),
        ArrowField::new("B", ArrowType::Float64, false),
        ArrowField::new("C", ArrowType::Utf8, false),
        ArrowField::new("D", ArrowType::Timestamp(ArrowUnit::Second, None), false),
        ArrowField::new("E", ArrowType::Boolean, false),
    ]));
    let n = 5u8;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(UInt8Array::from((0..n).collect::<Vec<_>>())),
            Arc::new(Float64Array::from((0..n).map(|i| f64::from(i) / 4.0).collect::<Vec<_>>())),
            Arc::new(StringArray::from((0..n).map(|i| "HÉ".repeat(usize::from(i))).collect::<Vec<_>>())),
            Arc::new(TimestampSecondArray::from(
                (0..n).map(|i| 1_735_689_600 + i64::from(i) * 86_400).collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from((0..n).map(|i| i % 2 == 0).collect::<Vec<_>>())),
        ],
    )
    .unwrap();
    Table::from_batches(schema, vec![batch]).unwrap()
}

fn info(metadata: Value, specs: &[&str]) -> NodeInfo {
    NodeInfo { metadata: obj(metadata), specs: specs.iter().map(|s| s.to_string()).collect() }
}

fn array_node(metadata: Value, data: NdArray) -> Node {
    Node::Array { info: info(metadata, &[]), data, dims: None }
}

/// A tree shaped like Tiled's demo (the parts HDF5 can hold): scalars, nested images,
/// every dtype, structured records, the xarray dataset, a table, with metadata of every kind.
pub fn demo_tree() -> ContainerTree {
    let mut root =
        ContainerTree { info: info(json!({"title": "demo", "version": 2}), &[]), ..Default::default() };

    let mut scalars = ContainerTree {
        info: info(json!({"numbers": "constants", "precision": 5}), &[]),
        ..Default::default()
    };
    scalars.children.insert(
        "pi".into(),
        array_node(json!({}), NdArray::from_vec(vec![], vec![std::f64::consts::PI]).unwrap()),
    );
    scalars
        .children
        .insert("fortytwo".into(), array_node(json!({}), NdArray::from_vec(vec![], vec![42i64]).unwrap()));
    scalars.children.insert(
        "fsc".into(),
        array_node(json!({}), NdArray::new(DataType::Unicode(5), vec![], utf32(&["1/137"], 5)).unwrap()),
    );
    scalars.children.insert(
        "e_arr".into(),
        array_node(json!({}), NdArray::new(DataType::Unicode(7), vec![1], utf32(&["2.71828"], 7)).unwrap()),
    );
    root.children.insert("scalars".into(), Node::Container(scalars));

    let mut nested =
        ContainerTree { info: info(json!({"animal": "cat", "color": "green"}), &[]), ..Default::default() };
    let img: Vec<f64> = (0..50 * 50).map(|k| (k as f64).sin()).collect();
    nested.children.insert(
        "tiny_image".into(),
        array_node(
            json!({"units": "counts", "tags": ["a", "b"], "shape": [50, 50]}),
            NdArray::from_vec(vec![50, 50], img).unwrap(),
        ),
    );
    let z: Vec<num_complex::Complex<f64>> =
        (0..6).map(|k| num_complex::Complex::new(k as f64, -(k as f64))).collect();
    nested
        .children
        .insert("complex".into(), array_node(json!({}), NdArray::from_vec(vec![2, 3], z).unwrap()));
    root.children.insert("nested".into(), Node::Container(nested));

    let mut dtypes =
        ContainerTree { info: info(json!({"about": "one array per dtype"}), &[]), ..Default::default() };
    for (name, a) in plain_arrays() {
        dtypes.children.insert(name.into(), array_node(json!({"dtype": name}), a));
    }
    dtypes.children.insert(
        "empty".into(),
        array_node(json!({}), NdArray::zeros(DataType::Float32, vec![0, 3]).unwrap()),
    );
    root.children.insert("dtypes".into(), Node::Container(dtypes));

    let mut structured =
        ContainerTree { info: info(json!({"animal": "cat", "color": "green"}), &[]), ..Default::default() };
    structured.children.insert("pets".into(), array_node(json!({}), pets()));
    structured.children.insert(
        "xarray_dataset".into(),
        Node::Dataset { info: info(json!({"attrs": {}}), &["xarray_dataset"]), dataset: demo_dataset() },
    );
    root.children.insert("structured_data".into(), Node::Container(structured));

    let mut tables = ContainerTree::default();
    tables.children.insert(
        "short_table".into(),
        Node::Table {
            info: info(json!({"animal": "dog", "color": "red"}), &["dataframe"]),
            table: short_table(),
        },
    );
    root.children.insert("tables".into(), Node::Container(tables));

    root.children.insert(
        "meta".into(),
        array_node(
            json!({"nested": {"a": {"b": [1, 2]}}, "mixed": [1, "two"], "none": null, "flags": [true, false],
                   "big": 18446744073709551615u64, "text": "é名🙂", "empty": []}),
            NdArray::from_vec(vec![2], vec![1i32, 2]).unwrap(),
        ),
    );
    root
}
