//! Writes Zarr arrays and Parquet tables through tessera-storage into a directory, with the
//! expected contents next to them, for independent readers (zarr-python, pyarrow) to check:
//! `tests/interop/test_storage.py`.
//!
//! ```text
//! cargo run -q -p tessera-storage --example write_fixtures -- OUT_DIR
//! ```
//!
//! `OUT_DIR/manifest.json` lists every array (location under `OUT_DIR/data`, numpy dtype,
//! shape, Zarr chunk shape, the file of its expected raw C-order bytes) and every table
//! (location, partitions and their expected columns as JSON).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as ArrowType, Field, Schema};
use serde_json::{Value, json};
use tessera_core::{ArrayStructure, DataType, TimeUnit};
use tessera_storage::Storage;

/// Deterministic element bytes of `dt` (valid bools and code points, NaT once for times).
fn values(dt: &DataType, n: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut raw: Vec<u8> = (0..n * dt.itemsize())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    match dt {
        DataType::Bool => raw.iter_mut().for_each(|b| *b &= 1),
        DataType::Unicode(_) => {
            raw = raw
                .chunks(4)
                .flat_map(|c| u32::from(['a', 'é', 'z', '€'][c[0] as usize % 4]).to_le_bytes())
                .collect()
        }
        DataType::Float16 => {
            // Finite halves only, so numpy's equality is meaningful as well as the bytes.
            raw = (0..n).flat_map(|i| half_bits(i as f32 * 0.25 - 1.0)).collect()
        }
        DataType::Datetime64(_) | DataType::Timedelta64(_) => {
            raw = (0..n)
                .flat_map(|i| if i == 1 { i64::MIN } else { (i as i64 - 3) * 1_000_003 }.to_le_bytes())
                .collect()
        }
        _ => {}
    }
    raw
}

fn half_bits(v: f32) -> [u8; 2] {
    half::f16::from_f32(v).to_le_bytes()
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: write_fixtures OUT_DIR"));
    std::fs::create_dir_all(&out).unwrap();
    let storage = Storage::open(out.join("data")).unwrap();
    let mut arrays = Vec::new();

    // Every supported dtype, written whole, with an edge chunk in both dimensions.
    let mut zoo: Vec<DataType> =
        [("b", 1), ("i", 1), ("i", 2), ("i", 4), ("i", 8), ("u", 1), ("u", 2), ("u", 4)]
            .into_iter()
            .chain([("u", 8), ("f", 2), ("f", 4), ("f", 8), ("c", 8), ("c", 16), ("U", 12)])
            .map(|(kind, itemsize)| {
                let wire =
                    json!({"endianness": "little", "kind": kind, "itemsize": itemsize, "dt_units": null});
                DataType::from_wire(&wire).unwrap()
            })
            .collect();
    for u in ["D", "s", "ms", "us", "ns"] {
        zoo.push(DataType::Datetime64(TimeUnit::from_code(u).unwrap()));
        zoo.push(DataType::Timedelta64(TimeUnit::from_code(u).unwrap()));
    }
    for (i, dt) in zoo.iter().enumerate() {
        let s = ArrayStructure::regular(dt.clone(), vec![5, 3], &[2, 2]);
        let bytes = values(dt, 15);
        let location = format!("zoo/{i:02}");
        storage.create_array(&location, &s).unwrap().write_full(&bytes).unwrap();
        arrays.push(record(&out, &location, &s, &[2, 2], &bytes));
    }

    // Tiled's `stacked_result`: blocks (0,0,0) and (2,0,0) written, the others read as zeros.
    let s = ArrayStructure {
        data_type: DataType::Float64,
        shape: vec![5, 32, 32],
        chunks: vec![vec![1; 5], vec![32], vec![32]],
        dims: Some(vec!["t".into(), "y".into(), "x".into()]),
    };
    let a = storage.create_array("stacked_result", &s).unwrap();
    let mut expected = vec![0u8; 5 * 1024 * 8];
    for b in [0usize, 2] {
        let block: Vec<u8> = (0..1024).flat_map(|j| (b as f64 * 1000.0 + j as f64).to_le_bytes()).collect();
        a.write_block(&[b, 0, 0], &block).unwrap();
        expected[b * 8192..(b + 1) * 8192].copy_from_slice(&block);
    }
    arrays.push(record(&out, "stacked_result", &s, &[1, 32, 32], &expected));

    // Irregular last chunks written block by block, one block left unwritten.
    let s = ArrayStructure::regular(DataType::Int32, vec![7, 10], &[3, 4]);
    let a = storage.create_array("blocks", &s).unwrap();
    let full: Vec<i32> = (0..70).map(|i| i * 7 - 100).collect();
    let mut expected = vec![0i32; 70];
    for bi in 0..3 {
        for bj in 0..3 {
            if (bi, bj) == (1, 2) {
                continue;
            }
            let (off, shape) = s.block_region(&[bi, bj]);
            let mut block = Vec::new();
            for i in off[0]..off[0] + shape[0] {
                for j in off[1]..off[1] + shape[1] {
                    block.extend_from_slice(&full[i * 10 + j].to_le_bytes());
                    expected[i * 10 + j] = full[i * 10 + j];
                }
            }
            a.write_block(&[bi, bj], &block).unwrap();
        }
    }
    let expected: Vec<u8> = expected.iter().flat_map(|v| v.to_le_bytes()).collect();
    arrays.push(record(&out, "blocks", &s, &[3, 4], &expected));

    // Noise, stored as zstd raw blocks (chunks along the last row end in RLE blocks of
    // zeros; chunks along the last column, mostly padding, are compressed), and a smooth ramp
    // stored compressed: every layout the writer picks, each read back by zarr-python.
    let s = ArrayStructure::regular(DataType::Float64, vec![300, 700], &[256, 256]);
    let noise = values(&DataType::Float64, 300 * 700);
    storage.create_array("noise", &s).unwrap().write_full(&noise).unwrap();
    arrays.push(record(&out, "noise", &s, &[256, 256], &noise));
    let s = ArrayStructure::regular(DataType::Float64, vec![300, 300], &[128, 128]);
    let ramp: Vec<u8> = (0..300 * 300).flat_map(|i: usize| ((i / 40) as f64).to_le_bytes()).collect();
    storage.create_array("ramp", &s).unwrap().write_full(&ramp).unwrap();
    arrays.push(record(&out, "ramp", &s, &[128, 128], &ramp));

    // A 0-d array.
    let s = ArrayStructure::single_chunk(DataType::Float64, vec![]);
    storage.create_array("scalar", &s).unwrap().write_full(&2.5f64.to_le_bytes()).unwrap();
    arrays.push(record(&out, "scalar", &s, &[], &2.5f64.to_le_bytes()));

    // A table of two partitions, the second with nulls, plus a pandas index column.
    let declared = Arc::new(Schema::new(vec![
        Field::new("x", ArrowType::Int64, true),
        Field::new("name", ArrowType::Utf8, true),
        Field::new("v", ArrowType::Float64, true),
    ]));
    let upload = Arc::new(Schema::new(
        declared
            .fields()
            .iter()
            .cloned()
            .chain([Arc::new(Field::new("__index_level_0__", ArrowType::Int64, true))])
            .collect::<Vec<_>>(),
    ));
    let table = storage.create_table("table", declared, 2).unwrap();
    let parts = [
        (
            vec![Some(1i64), Some(2), Some(3)],
            vec![Some("a"), Some("é"), Some("c")],
            vec![Some(0.5), Some(-1.0), Some(1e300)],
        ),
        (vec![Some(4), None], vec![None, Some("z")], vec![None, Some(2.25)]),
    ];
    let mut partitions = Vec::new();
    let mut start = 0i64;
    for (i, (x, name, v)) in parts.iter().enumerate() {
        let n = x.len() as i64;
        let index: Vec<i64> = (start..start + n).collect();
        start += n;
        let batch = RecordBatch::try_new(
            upload.clone(),
            vec![
                Arc::new(Int64Array::from(x.clone())),
                Arc::new(StringArray::from(name.clone())),
                Arc::new(Float64Array::from(v.clone())),
                Arc::new(Int64Array::from(index.clone())),
            ],
        )
        .unwrap();
        table.write_partition(i, &[batch]).unwrap();
        partitions.push(json!({
            "file": format!("partition-{i}.parquet"),
            "columns": {"x": x, "name": name, "v": v, "__index_level_0__": index},
        }));
    }

    let manifest = json!({
        "arrays": arrays,
        "tables": [{"location": "table", "partitions": partitions}],
    });
    std::fs::write(out.join("manifest.json"), serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

/// Writes the expected bytes of an array and returns its manifest entry.
fn record(
    out: &std::path::Path,
    location: &str,
    s: &ArrayStructure,
    chunk_shape: &[usize],
    bytes: &[u8],
) -> Value {
    let file = format!("{}.bin", location.replace('/', "_"));
    std::fs::write(out.join(&file), bytes).unwrap();
    json!({
        "location": location,
        "dtype": s.data_type.numpy_str(),
        "shape": s.shape,
        "chunk_shape": chunk_shape,
        "dims": s.dims,
        "expected": file,
    })
}
