//! The shared benchmark workloads (`../shared/bench/peer-encoders.md`, "Workload
//! definitions"), generated exactly: the tests below check the published SHA-256 digests.
//!
//! | name | what |
//! |---|---|
//! | T1 | table, 1,000,000 rows: `id` int64, `sin` float64, `name` utf8, `flag` bool, `ts` timestamp[us], `half` float32 |
//! | T2 | the first 100,000 rows of T1 |
//! | A1 | 4096×4096 uint16, `(r*4096+c) % 65521` |
//! | A2 | 4096×4096 float64, `sin(r*4096+c)` |
//! | A2s | the top-left 1024×1024 of A2 |
//! | A3 | 512×512 uint8, `(r*r + c*c) % 256` |
//! | D1 | dataset: `a(time, x)` = sin, `b(time, x)` = k*0.5, coordinate `time` int64 with `units` |

use std::sync::Arc;

use arrow::array::TimestampMicrosecondArray;
use arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{NdArray, Table};

/// Rows of T1.
pub const T1_ROWS: usize = 1_000_000;
/// Rows of T2.
pub const T2_ROWS: usize = 100_000;
/// Rows per batch of the generated tables (what a streaming source would hand over).
pub const BATCH_ROWS: usize = 65_536;

/// The schema of T1/T2.
pub fn table_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("sin", DataType::Float64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("flag", DataType::Boolean, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, None), false),
        Field::new("half", DataType::Float32, false),
    ]))
}

/// Rows `start..end` of the T1 formulas as one batch.
pub fn table_rows(start: usize, end: usize) -> RecordBatch {
    let r = start as i64..end as i64;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(r.clone())),
        Arc::new(Float64Array::from_iter_values(r.clone().map(|i| (i as f64).sin()))),
        Arc::new(StringArray::from_iter_values(r.clone().map(|i| format!("name-{}", i % 1000)))),
        Arc::new(BooleanArray::from_iter(r.clone().map(|i| Some(i % 3 == 0)))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            r.clone().map(|i| 1_577_836_800_000_000 + i * 1_000_000),
        )),
        Arc::new(Float32Array::from_iter_values(r.map(|i| (i as f64 * 0.5) as f32))),
    ];
    RecordBatch::try_new(table_schema(), cols).expect("the workload schema matches its columns")
}

/// A table of the first `rows` rows of T1, in batches of [`BATCH_ROWS`].
pub fn table(rows: usize) -> Table {
    let batches = (0..rows).step_by(BATCH_ROWS).map(|s| table_rows(s, (s + BATCH_ROWS).min(rows))).collect();
    Table::from_batches(table_schema(), batches).expect("batches share the schema")
}

/// T1: 1,000,000 rows.
pub fn t1() -> Table {
    table(T1_ROWS)
}

/// T2: 100,000 rows.
pub fn t2() -> Table {
    table(T2_ROWS)
}

/// Input bytes of a T table of `rows` rows (the MB/s denominator: 8+8+1+8+4 per row plus
/// the UTF-8 length of `name`).
pub fn table_input_bytes(rows: usize) -> u64 {
    (0..rows).map(|i| 29 + format!("name-{}", i % 1000).len() as u64).sum()
}

const N: usize = 4096;

/// A1: 4096×4096 uint16.
pub fn a1() -> NdArray {
    let v: Vec<u16> = (0..N * N).map(|k| (k % 65521) as u16).collect();
    NdArray::from_vec(vec![N, N], v).expect("shape matches")
}

/// A2: 4096×4096 float64 `sin(k)`.
pub fn a2() -> NdArray {
    let v: Vec<f64> = (0..N * N).map(|k| (k as f64).sin()).collect();
    NdArray::from_vec(vec![N, N], v).expect("shape matches")
}

/// A2s: the top-left 1024×1024 of A2.
pub fn a2s() -> NdArray {
    let v: Vec<f64> = (0..1024).flat_map(|r| (0..1024).map(move |c| ((r * N + c) as f64).sin())).collect();
    NdArray::from_vec(vec![1024, 1024], v).expect("shape matches")
}

/// A3: 512×512 uint8 `(r*r + c*c) % 256`.
pub fn a3() -> NdArray {
    let v: Vec<u8> =
        (0..512usize).flat_map(|r| (0..512usize).map(move |c| ((r * r + c * c) % 256) as u8)).collect();
    NdArray::from_vec(vec![512, 512], v).expect("shape matches")
}

/// D1: dims time=1000, x=1000; `a = sin(t*1000+x)`, `b = (t*1000+x)*0.5`, coordinate
/// `time` = 0..999 int64 with `units = "seconds since 2020-01-01 00:00:00"`.
pub fn d1() -> Dataset {
    let m = 1000usize;
    let a: Vec<f64> = (0..m * m).map(|k| (k as f64).sin()).collect();
    let b: Vec<f64> = (0..m * m).map(|k| k as f64 * 0.5).collect();
    let t: Vec<i64> = (0..m as i64).collect();
    let dims = || vec!["time".to_owned(), "x".to_owned()];
    let mut ds = Dataset::default();
    let mut attrs = serde_json::Map::new();
    attrs.insert("units".into(), "seconds since 2020-01-01 00:00:00".into());
    ds.add_coord(
        "time",
        Variable::new(vec!["time".into()], NdArray::from_vec(vec![m], t).expect("shape")).with_attrs(attrs),
    )
    .expect("consistent");
    ds.add_data_var("a", Variable::new(dims(), NdArray::from_vec(vec![m, m], a).expect("shape")))
        .expect("consistent");
    ds.add_data_var("b", Variable::new(dims(), NdArray::from_vec(vec![m, m], b).expect("shape")))
        .expect("consistent");
    ds
}

/// The published SHA-256 digests (peer-encoders.md), `(workload.item, hex)`, of the byte
/// layouts stated there (little-endian values; `name` as UTF-8 each followed by `\n`;
/// `flag` one byte per row).
pub const ALL_DIGESTS: &[(&str, &str)] = &[
    ("T1.id", "6f8f1531c1170336132e3a5cf9fde98aa28840393edd4387ab4d7c7e743586fb"),
    ("T1.sin", "68738ac37c6acf8989351a339a68c90d85930cef4b8180d3d3d04cef09ae1ed8"),
    ("T1.name", "d6b704107576e368d80a0eaf0134e5da206ce59c9127dbee7ff6b53fd10c6245"),
    ("T1.flag", "0d203e2baf8b1e5dfa4cbf138c3c0c4c8eb7e6bb529c41ab81d9dba6c2142759"),
    ("T1.ts", "99315286256d522df57c58508d48f56daf71bce8918877e9f34fff04a1b8ad84"),
    ("T1.half", "1bdcd2f8317b7bf8ad6c360e2e37e5bf38add2dce9a5ca07cb76911cd4ba55ba"),
    ("T2.id", "baa5f49fbad78af4964d9ec7eaf2d6327b2d2ca1f4dcf54e2394dfff2e36d58e"),
    ("T2.sin", "b5c3587bc42a2037152786389957bd965ba1b92593409e3f2c1ce013450a2c19"),
    ("T2.name", "5b294fb4ad5c5dd825562cdcdd0c51b36ed6b4e5b5c0c943a084077f3d12cdee"),
    ("T2.flag", "1ad6a9af5f581862b585a8795e286abcb96a05dcbdf258735b2427c80e8d661c"),
    ("T2.ts", "895506faf708d1e3562ff3b0fe472f68069e847237f079bb6affb857754d5a13"),
    ("T2.half", "a33391075ee59459e8567af41b3155c8be3c6bf2e22e8ce07c808494569e5d11"),
    ("A1", "f258d23891b39999fdb99d02fe64b40b6f752e857573a90e87c345316eb79e95"),
    ("A2", "29ed3eb22c646422bd3c68f0cf0bdbdcf9777ba9ab6d5fffda3240adca0d0b13"),
    ("A2s", "7879840932bcbe8e951ca6aa6c5c50f6433bf5a38c6216b5255eba896444bb93"),
    ("A3", "c95d67e7910456a963c03c5b925c307e02d1df40887245951cd65ff10ceb78af"),
    ("D1.a", "68738ac37c6acf8989351a339a68c90d85930cef4b8180d3d3d04cef09ae1ed8"),
    ("D1.b", "5e146b94752e01e551ca1964eaf0f09f3c76fef2f063cc75c125ee304a14d5da"),
    ("D1.time", "702746827e553786bb026ac120cb58745fef3d3f554c33891809001cc37639f0"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::{Float32Type, Float64Type, Int64Type, TimestampMicrosecondType};
    use sha2::{Digest, Sha256};

    fn hex(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn digest_of(name: &str) -> &'static str {
        crate::workloads::ALL_DIGESTS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d).expect("known digest")
    }

    fn table_columns(t: &Table) -> [Vec<u8>; 6] {
        let mut cols: [Vec<u8>; 6] = Default::default();
        for b in t.stream() {
            let b = b.unwrap();
            for v in b.column(0).as_primitive::<Int64Type>().values() {
                cols[0].extend_from_slice(&v.to_le_bytes());
            }
            for v in b.column(1).as_primitive::<Float64Type>().values() {
                cols[1].extend_from_slice(&v.to_le_bytes());
            }
            for v in b.column(2).as_string::<i32>().iter() {
                cols[2].extend_from_slice(v.unwrap().as_bytes());
                cols[2].push(b'\n');
            }
            for v in b.column(3).as_boolean().iter() {
                cols[3].push(u8::from(v.unwrap()));
            }
            for v in b.column(4).as_primitive::<TimestampMicrosecondType>().values() {
                cols[4].extend_from_slice(&v.to_le_bytes());
            }
            for v in b.column(5).as_primitive::<Float32Type>().values() {
                cols[5].extend_from_slice(&v.to_le_bytes());
            }
        }
        cols
    }

    #[test]
    fn tables_match_published_digests() {
        for (wl, t) in [("T1", t1()), ("T2", t2())] {
            let cols = table_columns(&t);
            for (item, bytes) in ["id", "sin", "name", "flag", "ts", "half"].iter().zip(cols.iter()) {
                assert_eq!(hex(bytes), digest_of(&format!("{wl}.{item}")), "{wl}.{item}");
            }
        }
        assert_eq!(table_input_bytes(T1_ROWS), 36_890_000);
    }

    #[test]
    fn arrays_match_published_digests() {
        assert_eq!(hex(a1().as_bytes()), digest_of("A1"));
        assert_eq!(hex(a2().as_bytes()), digest_of("A2"));
        assert_eq!(hex(a2s().as_bytes()), digest_of("A2s"));
        assert_eq!(hex(a3().as_bytes()), digest_of("A3"));
        let d = d1();
        assert_eq!(hex(d.data_vars["a"].data.as_bytes()), digest_of("D1.a"));
        assert_eq!(hex(d.data_vars["b"].data.as_bytes()), digest_of("D1.b"));
        assert_eq!(hex(d.coords["time"].data.as_bytes()), digest_of("D1.time"));
    }
}
