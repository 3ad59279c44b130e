//! Exact output for a small fixed table (uncompressed and snappy, so the bytes only depend
//! on the `parquet` crate's layout). Regenerate with
//! `TESSERA_BLESS=1 cargo test -p tessera-parquet` after checking that a change is intended.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use tessera_core::{Params, Table, TableEncoder};
use tessera_parquet::ParquetEncoder;

fn table() -> Table {
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(vec![0, 1, 2]))),
        ("sin", Arc::new(Float64Array::from(vec![Some(0.0), None, Some(0.9092974268256817)]))),
        ("name", Arc::new(StringArray::from(vec![Some("name-0"), Some("ünï"), None]))),
        ("flag", Arc::new(BooleanArray::from(vec![true, false, false]))),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![1_577_836_800_000_000, 1_577_836_801_000_000, 0])),
        ),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    Table::from_batches(batch.schema(), vec![batch.slice(0, 2), batch.slice(2, 1)]).unwrap()
}

fn check(name: &str, params: &Params) {
    let mut bytes = Vec::new();
    ParquetEncoder.encode(&mut table().stream(), params, &mut bytes).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("TESSERA_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        expected == bytes,
        "{name} differs from {} ({} vs {} bytes)",
        path.display(),
        bytes.len(),
        expected.len()
    );
}

#[test]
fn uncompressed_bytes_are_stable() {
    check("small_none.parquet", &Params::new().with("compression", "none"));
}

#[test]
fn snappy_bytes_are_stable() {
    check("small_snappy.parquet", &Params::new().with("compression", "snappy"));
}
