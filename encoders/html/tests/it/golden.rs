//! Exact pages, compared with `tests/golden/`. Regenerate with `UPDATE_GOLDEN=1 cargo test`.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use tessera_core::{ArrayEncoder, NdArray, Params};
use tessera_html::{HtmlArrayEncoder, HtmlOptions};

fn check(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want),
        "{name} differs from its golden file"
    );
}

#[test]
fn small_table() {
    let b = RecordBatch::try_from_iter_with_nullable([
        ("id", Arc::new(Int64Array::from(vec![Some(0), Some(1), None])) as ArrayRef, true),
        (
            "name",
            Arc::new(StringArray::from(vec![Some("<b>bold</b>"), Some("Tom & \"Jerry\""), Some("l'été")])),
            true,
        ),
        ("x", Arc::new(Float64Array::from(vec![0.5, f64::NAN, -1e-9])), false),
        ("flag", Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])), true),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![
                1_577_836_800_000_000,
                1_577_836_801_000_000,
                1_577_836_802_250_000,
            ])),
            false,
        ),
    ])
    .unwrap();
    let mut w = HtmlOptions::default().with_max_rows(2).build(Vec::new(), &b.schema());
    w.write(&b).unwrap();
    check("small_table.html", &w.finish().unwrap());
}

#[test]
fn small_array() {
    let a = NdArray::from_vec(vec![2, 2], vec![1i16, -2, 3, 4]).unwrap();
    let mut out = Vec::new();
    HtmlArrayEncoder.encode(&a, &Params::new(), &mut out).unwrap();
    check("small_array.html", &out);
}
