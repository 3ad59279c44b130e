//! Exact bytes of small deterministic outputs (`tests/golden/`). Regenerate after a
//! deliberate change with `TESSERA_BLESS=1 cargo test -p tessera-image`, then check the new
//! files with an independent reader (Pillow, tifffile) before committing them.

use crate::{arr, png, tiff};

fn golden(name: &str, bytes: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("TESSERA_BLESS").is_some() {
        std::fs::write(&path, bytes).unwrap();
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(expected == bytes, "{name} differs from {}", path.display());
}

#[test]
fn png_u8_stored() {
    let a = arr(&[2, 3], vec![0u8, 50, 100, 150, 200, 250]);
    golden("u8_2x3_stored.png", &png(&a, &[("compression", "none")]).unwrap());
}

#[test]
fn png_f64_scaled_level9() {
    let a = arr(&[3, 4], (0..12).map(|i| f64::from(i) * 0.25 - 1.0).collect());
    golden("f64_3x4_level9.png", &png(&a, &[("level", "9")]).unwrap());
}

#[test]
fn tiff_u16() {
    let a = arr(&[2, 3], vec![0u16, 1, 2, 1000, 40000, 65535]);
    golden("u16_2x3.tif", &tiff(&a, &[]).unwrap());
}

#[test]
fn tiff_rgb_pages() {
    let a = arr(&[2, 2, 2, 3], (0..24u8).map(|i| i * 10).collect());
    golden("u8_2x2x2x3.tif", &tiff(&a, &[]).unwrap());
}

#[test]
fn tiff_f16_pages() {
    let a = arr(&[2, 1, 2], [0.5f32, -1.0, 65504.0, f32::INFINITY].map(half::f16::from_f32).to_vec());
    golden("f16_2x1x2.tif", &tiff(&a, &[]).unwrap());
}
