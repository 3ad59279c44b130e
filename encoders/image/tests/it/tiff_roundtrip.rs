//! TIFF outputs decoded by the `tiff` crate's decoder: exact samples and sample formats.

use tessera_core::{DataType, EncodeError, NdArray, TimeUnit};
use tessera_image::{TiffCompression, TiffOptions};

use crate::{arr, assert_unsupported, decode_tiff, numeric_samples, tiff};

/// The decoder variant and `SampleFormat` (1 uint, 2 int, 3 float) each dtype must come back as.
fn expected(dt: &DataType) -> (&'static str, u16, u8) {
    match dt {
        DataType::Bool => ("U8", 1, 8),
        DataType::UInt8 => ("U8", 1, 8),
        DataType::UInt16 => ("U16", 1, 16),
        DataType::UInt32 => ("U32", 1, 32),
        DataType::UInt64 => ("U64", 1, 64),
        DataType::Int8 => ("I8", 2, 8),
        DataType::Int16 => ("I16", 2, 16),
        DataType::Int32 => ("I32", 2, 32),
        DataType::Int64 => ("I64", 2, 64),
        DataType::Float16 => ("F16", 3, 16),
        DataType::Float32 => ("F32", 3, 32),
        DataType::Float64 => ("F64", 3, 64),
        other => panic!("no TIFF form for {other}"),
    }
}

#[test]
fn every_numeric_dtype_is_stored_exactly() {
    for a in numeric_samples() {
        let pages = decode_tiff(&tiff(&a, &[]).unwrap());
        assert_eq!(pages.len(), 1);
        let p = &pages[0];
        let (kind, format, bits) = expected(a.data_type());
        assert_eq!((p.width, p.height), (3, 2), "{}", a.data_type());
        assert_eq!(
            (p.kind, p.sample_format.as_slice(), p.color),
            (kind, &[format][..], tiff::ColorType::Gray(bits))
        );
        assert_eq!(p.bytes, a.as_bytes(), "{}", a.data_type());
        assert_eq!(p.description.as_deref(), Some(r#"{"shape": [2, 3]}"#));
    }
}

#[test]
fn bool_is_uint8_0_or_1() {
    let a = NdArray::new(DataType::Bool, vec![1, 4], vec![0u8, 1, 2, 255]).unwrap();
    let p = &decode_tiff(&tiff(&a, &[]).unwrap())[0];
    assert_eq!((p.kind, p.bytes.as_slice()), ("U8", &[0, 1, 1, 1][..]));
}

#[test]
fn one_d_is_one_row() {
    let a = arr(&[5], vec![1.5f32, 2.5, 3.5, 4.5, 5.5]);
    let p = &decode_tiff(&tiff(&a, &[]).unwrap())[0];
    assert_eq!((p.width, p.height), (5, 1));
    assert_eq!(p.bytes, a.as_bytes());
    assert_eq!(p.description.as_deref(), Some(r#"{"shape": [1, 5]}"#));
}

#[test]
fn three_d_is_pages() {
    let v: Vec<i32> = (0..3 * 4 * 5).map(|i| i * 1000 - 7).collect();
    let a = arr(&[3, 4, 5], v.clone());
    let pages = decode_tiff(&tiff(&a, &[]).unwrap());
    assert_eq!(pages.len(), 3);
    for (i, p) in pages.iter().enumerate() {
        assert_eq!((p.width, p.height, p.kind, p.color), (5, 4, "I32", tiff::ColorType::Gray(32)));
        let page: Vec<u8> = v[i * 20..(i + 1) * 20].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(p.bytes, page);
    }
    assert_eq!(pages[0].description.as_deref(), Some(r#"{"shape": [3, 4, 5]}"#));
    assert!(pages[1].description.is_none() && pages[2].description.is_none());
}

#[test]
fn four_d_is_pages_of_interleaved_samples() {
    for (c, color) in [
        (1, tiff::ColorType::Gray(16)),
        (2, tiff::ColorType::Multiband { bit_depth: 16, num_samples: 2 }),
        (3, tiff::ColorType::RGB(16)),
        (4, tiff::ColorType::RGBA(16)),
        (5, tiff::ColorType::Multiband { bit_depth: 16, num_samples: 5 }),
    ] {
        let v: Vec<u16> = (0..2 * 3 * 4 * c).map(|i| i as u16 * 3).collect();
        let a = arr(&[2, 3, 4, c], v);
        let pages = decode_tiff(&tiff(&a, &[]).unwrap());
        assert_eq!(pages.len(), 2, "c={c}");
        let per_page = 3 * 4 * c * 2;
        for (i, p) in pages.iter().enumerate() {
            assert_eq!((p.width, p.height, p.color), (4, 3, color), "c={c}");
            assert_eq!(p.sample_format, vec![1; c]);
            assert_eq!(p.bytes, a.as_bytes()[i * per_page..(i + 1) * per_page], "c={c}");
        }
        let shape = format!(r#"{{"shape": [2, 3, 4, {c}]}}"#);
        assert_eq!(pages[0].description.as_deref(), Some(shape.as_str()));
    }
}

#[test]
fn float_rgb_pages_keep_their_format() {
    let v: Vec<f64> = (0..2 * 2 * 3).map(|i| f64::from(i) / 3.0).collect();
    let a = arr(&[1, 2, 2, 3], v);
    let p = &decode_tiff(&tiff(&a, &[]).unwrap())[0];
    assert_eq!(
        (p.kind, p.color, p.sample_format.as_slice()),
        ("F64", tiff::ColorType::RGB(64), &[3, 3, 3][..])
    );
    assert_eq!(p.bytes, a.as_bytes());
}

#[test]
fn every_compression_decodes_to_the_same_samples() {
    let v: Vec<u16> = (0..300 * 200).map(|i| (i / 50 % 7) as u16).collect();
    let a = arr(&[2, 300, 100], v);
    let plain = tiff(&a, &[]).unwrap();
    let expected: Vec<Vec<u8>> = decode_tiff(&plain).into_iter().map(|p| p.bytes).collect();
    let mut names = vec!["none", "packbits"];
    if cfg!(feature = "deflate") {
        names.extend(["deflate", "zlib"]);
    }
    if cfg!(feature = "lzw") {
        names.push("lzw");
    }
    for c in names {
        let out = tiff(&a, &[("compression", c)]).unwrap();
        let got: Vec<Vec<u8>> = decode_tiff(&out).into_iter().map(|p| p.bytes).collect();
        assert_eq!(got, expected, "{c}");
        if c != "none" {
            assert!(out.len() < plain.len(), "{c} did not compress: {} vs {}", out.len(), plain.len());
        }
    }
}

#[test]
fn large_pages_span_several_strips() {
    // The library cuts pages into strips of about 1 MB.
    let v: Vec<f64> = (0..600 * 500).map(|i| f64::from(i).sin()).collect();
    let a = arr(&[600, 500], v);
    let p = &decode_tiff(&tiff(&a, &[]).unwrap())[0];
    assert_eq!(p.bytes, a.as_bytes());
}

#[test]
fn impossible_arrays_write_nothing() {
    assert_unsupported(tiff(&arr(&[], vec![1u8]), &[]), "0-d");
    assert_unsupported(tiff(&arr(&[1, 1, 1, 1, 1], vec![1u8]), &[]), "slice");
    assert_unsupported(tiff(&arr(&[0], Vec::<u8>::new()), &[]), "empty");
    assert_unsupported(tiff(&arr(&[0, 2, 2], Vec::<u8>::new()), &[]), "empty");
    assert_unsupported(tiff(&arr(&[1, 2, 2, 0], Vec::<f32>::new()), &[]), "empty");
    let complex = NdArray::new(DataType::Complex128, vec![2, 2], vec![0u8; 64]).unwrap();
    assert_unsupported(tiff(&complex, &[]), "complex");
    let td = NdArray::new(DataType::Timedelta64(TimeUnit::Second), vec![2], vec![0u8; 16]).unwrap();
    assert_unsupported(tiff(&td, &[]), "no TIFF sample type");
    let bytes = NdArray::new(DataType::Bytes(2), vec![1, 2], vec![0u8; 4]).unwrap();
    assert_unsupported(tiff(&bytes, &[]), "no TIFF sample type");
    let bad = tiff(&arr(&[2], vec![1u8, 2]), &[("compression", "jpeg")]);
    assert!(matches!(bad, Err(EncodeError::InvalidOption { .. })));
}

#[test]
fn typed_writer_returns_the_sink() {
    let a = arr(&[2, 2], vec![1u32, 2, 3, 4]);
    let out = TiffOptions::default()
        .with_compression(TiffCompression::PackBits)
        .build(Vec::new())
        .write(&a)
        .unwrap();
    assert_eq!(decode_tiff(&out)[0].bytes, a.as_bytes());
}
