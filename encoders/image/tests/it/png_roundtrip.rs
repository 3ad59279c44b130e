//! PNG outputs decoded by the `png` crate's decoder.

use std::ops::Range;

use tessera_core::{ArrayEncoder, ArraySource, DataType, EncodeError, NdArray, Params, TimeUnit};
use tessera_image::{PngCompression, PngEncoder, PngFilter, PngOptions, TiffEncoder};

use crate::{arr, assert_unsupported, decode_png, numeric_samples, png};

#[test]
fn uint8_is_8_bit_gray_as_is() {
    let a = arr(&[2, 3], vec![0u8, 1, 2, 128, 254, 255]);
    let d = decode_png(&png(&a, &[]).unwrap());
    assert_eq!(
        (d.width, d.height, d.color, d.depth),
        (3, 2, png::ColorType::Grayscale, png::BitDepth::Eight)
    );
    assert_eq!(d.samples, a.as_bytes());
}

#[test]
fn uint8_channels_are_gray_alpha_rgb_rgba() {
    for (c, color) in [
        (1, png::ColorType::Grayscale),
        (2, png::ColorType::GrayscaleAlpha),
        (3, png::ColorType::Rgb),
        (4, png::ColorType::Rgba),
    ] {
        let v: Vec<u8> = (0..2 * 5 * c).map(|i| (i * 7 % 256) as u8).collect();
        let a = arr(&[2, 5, c], v);
        let d = decode_png(&png(&a, &[]).unwrap());
        assert_eq!((d.width, d.height, d.color), (5, 2, color));
        assert_eq!(d.samples, a.as_bytes(), "c={c}");
    }
}

#[test]
fn uint16_is_16_bit_and_lossless() {
    let v: Vec<u16> = vec![0, 1, 255, 256, 4660, 65535];
    let d = decode_png(&png(&arr(&[3, 2], v.clone()), &[]).unwrap());
    assert_eq!(
        (d.width, d.height, d.depth, d.color),
        (2, 3, png::BitDepth::Sixteen, png::ColorType::Grayscale)
    );
    let back: Vec<u16> = d.samples.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect();
    assert_eq!(back, v);

    let rgb: Vec<u16> = (0..2 * 2 * 3).map(|i| i * 5000).collect();
    let d = decode_png(&png(&arr(&[2, 2, 3], rgb.clone()), &[]).unwrap());
    assert_eq!((d.color, d.depth), (png::ColorType::Rgb, png::BitDepth::Sixteen));
    let back: Vec<u16> = d.samples.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect();
    assert_eq!(back, rgb);
}

#[test]
fn bool_is_0_or_255() {
    // Any non-zero byte is true.
    let a = NdArray::new(DataType::Bool, vec![2, 2], vec![0u8, 1, 7, 0]).unwrap();
    let d = decode_png(&png(&a, &[]).unwrap());
    assert_eq!((d.color, d.depth), (png::ColorType::Grayscale, png::BitDepth::Eight));
    assert_eq!(d.samples, [0, 255, 255, 0]);
}

#[test]
fn one_d_is_one_row() {
    let d = decode_png(&png(&arr(&[4], vec![9u8, 8, 7, 6]), &[]).unwrap());
    assert_eq!((d.width, d.height), (4, 1));
    assert_eq!(d.samples, [9, 8, 7, 6]);
}

#[test]
fn other_numbers_scale_from_the_1st_to_the_99th_percentile() {
    // 0..=100: the percentiles are exactly 1 and 99.
    let v: Vec<f64> = (0..=100).map(f64::from).collect();
    let d = decode_png(&png(&arr(&[101], v), &[]).unwrap());
    assert_eq!(d.depth, png::BitDepth::Eight);
    assert_eq!(&d.samples[..3], [0, 0, 3]); // 0 and 1 clip to 0; 2 is 255/98 ≈ 2.6 → 3
    assert_eq!(d.samples[50], 128); // 255 * 49/98 = 127.5 rounds up
    assert_eq!(&d.samples[98..], [252, 255, 255]);
    // The same rule for every other numeric type: the ramp's ends are 0 and 255.
    for a in [
        arr(&[101], (0..=100).map(|i| i as i8 - 50).collect()),
        arr(&[101], (0..=100).map(|i| i as i64 * 1_000_000).collect()),
        arr(&[101], (0..=100u32).collect()),
        arr(&[101], (0..=100u64).collect()),
        arr(&[101], (0..=100).map(|i| half::f16::from_f32(i as f32)).collect()),
        arr(&[101], (0..=100).map(|i| i as f32 * 0.25).collect()),
    ] {
        let d = decode_png(&png(&a, &[]).unwrap());
        assert_eq!((d.samples[0], d.samples[50], d.samples[100]), (0, 128, 255), "{}", a.data_type());
    }
}

#[test]
fn nan_is_ignored_and_drawn_as_0() {
    let mut v: Vec<f32> = (0..=100).map(|i| i as f32).collect();
    v.extend([f32::NAN; 50]);
    let d = decode_png(&png(&arr(&[151], v), &[]).unwrap());
    // Percentiles ignore NaN: the same ramp as without it.
    assert_eq!((d.samples[50], d.samples[100]), (128, 255));
    assert!(d.samples[101..].iter().all(|&p| p == 0));
    let all_nan = decode_png(&png(&arr(&[2, 2], vec![f64::NAN; 4]), &[]).unwrap());
    assert_eq!(all_nan.samples, [0; 4]);
}

#[test]
fn constant_images_are_0() {
    for a in [arr(&[3, 3], vec![7.5f64; 9]), arr(&[3, 3], vec![-4i32; 9])] {
        assert_eq!(decode_png(&png(&a, &[]).unwrap()).samples, [0; 9]);
    }
}

#[test]
fn scaled_channels_share_one_range() {
    let v: Vec<i16> = (0..2 * 2 * 3).map(|i| i * 100).collect();
    let d = decode_png(&png(&arr(&[2, 2, 3], v), &[]).unwrap());
    assert_eq!(d.color, png::ColorType::Rgb);
    assert_eq!((d.samples[0], d.samples[11]), (0, 255));
}

#[test]
fn every_numeric_dtype_encodes() {
    for a in numeric_samples() {
        let d = decode_png(&png(&a, &[]).unwrap());
        assert_eq!((d.width, d.height), (3, 2), "{}", a.data_type());
        let depth =
            if *a.data_type() == DataType::UInt16 { png::BitDepth::Sixteen } else { png::BitDepth::Eight };
        assert_eq!(d.depth, depth, "{}", a.data_type());
    }
}

#[test]
fn every_setting_gives_the_same_pixels() {
    let v: Vec<u16> = (0..64 * 48).map(|i| (i * 37 % 65536) as u16).collect();
    let a = arr(&[64, 48], v);
    let expected = decode_png(&png(&a, &[]).unwrap()).samples;
    let mut settings: Vec<Vec<(&str, &str)>> = ["none", "fast", "default", "best"]
        .iter()
        .map(|c| vec![("compression", *c)])
        .chain(["0", "1", "5", "9"].iter().map(|l| vec![("level", *l)]))
        .collect();
    for f in ["none", "sub", "up", "avg", "paeth", "adaptive"] {
        settings.push(vec![("filter", f)]);
        settings.push(vec![("filter", f), ("level", "6")]);
    }
    for s in settings {
        assert_eq!(decode_png(&png(&a, &s).unwrap()).samples, expected, "{s:?}");
    }
}

#[test]
fn several_slabs_stream_in_order() {
    // More than one 1 MiB slab of rows, for each conversion.
    let (h, w) = (700, 1000);
    let u16s: Vec<u16> = (0..h * w).map(|i| (i % 65521) as u16).collect();
    let d = decode_png(&png(&arr(&[h, w], u16s.clone()), &[]).unwrap());
    let back: Vec<u16> = d.samples.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect();
    assert_eq!(back, u16s);
    let u8s: Vec<u8> = (0..h * w * 2).map(|i| (i % 251) as u8).collect();
    assert_eq!(decode_png(&png(&arr(&[h, w, 2], u8s.clone()), &[]).unwrap()).samples, u8s);
    let floats: Vec<f64> = (0..h * w).map(|i| (i % 1000) as f64).collect();
    let d = decode_png(&png(&arr(&[h, w], floats), &[]).unwrap());
    assert_eq!((d.samples[0], d.samples[999], d.samples[1000]), (0, 255, 0));
}

#[test]
fn impossible_arrays_write_nothing() {
    assert_unsupported(png(&arr(&[], vec![1u8]), &[]), "0-d");
    assert_unsupported(png(&arr(&[1, 1, 1, 1], vec![1u8]), &[]), "slice");
    assert_unsupported(png(&arr(&[2, 2, 5], vec![0u8; 20]), &[]), "channel");
    assert_unsupported(png(&arr(&[0, 4], Vec::<u8>::new()), &[]), "empty");
    assert_unsupported(png(&arr(&[4, 0], Vec::<f64>::new()), &[]), "empty");
    assert_unsupported(png(&arr(&[2, 2, 0], Vec::<u16>::new()), &[]), "empty");
    let complex = NdArray::new(DataType::Complex64, vec![2], vec![0u8; 16]).unwrap();
    assert_unsupported(png(&complex, &[]), "no pixel form");
    let dt = NdArray::new(DataType::Datetime64(TimeUnit::Second), vec![2], vec![0u8; 16]).unwrap();
    assert_unsupported(png(&dt, &[]), "no pixel form");
    let text = NdArray::new(DataType::Unicode(1), vec![1, 1], vec![65u8, 0, 0, 0]).unwrap();
    assert_unsupported(png(&text, &[]), "no pixel form");
    let bad = png(&arr(&[2], vec![1u8, 2]), &[("level", "11")]);
    assert!(matches!(bad, Err(EncodeError::InvalidOption { .. })));
}

#[test]
fn typed_writer_returns_the_sink() {
    let a = arr(&[1, 2], vec![3u8, 4]);
    let opts = PngOptions::default().with_compression(PngCompression::Stored).with_filter(PngFilter::Up);
    let out = opts.build(Vec::new()).write(&a).unwrap();
    assert_eq!(decode_png(&out).samples, [3, 4]);
}

/// A source whose slabs do not match its declared shape.
struct Liar(NdArray);

impl ArraySource for Liar {
    fn data_type(&self) -> &DataType {
        self.0.data_type()
    }
    fn shape(&self) -> &[usize] {
        &[4, 4]
    }
    fn read_rows(&self, _: Range<usize>) -> Result<NdArray, EncodeError> {
        Ok(self.0.clone())
    }
}

/// A source that cannot be read.
struct Broken;

impl ArraySource for Broken {
    fn data_type(&self) -> &DataType {
        &DataType::UInt16
    }
    fn shape(&self) -> &[usize] {
        &[2, 3, 4]
    }
    fn read_rows(&self, _: Range<usize>) -> Result<NdArray, EncodeError> {
        Err(EncodeError::Input("storage is gone".into()))
    }
}

#[test]
fn failing_sources_are_input_errors_and_write_nothing() {
    let encoders: [&dyn ArrayEncoder; 2] = [&PngEncoder, &TiffEncoder];
    let liars = [Liar(arr(&[3], vec![1u8, 2, 3])), Liar(arr(&[3], vec![1.0f64, 2.0, 3.0]))];
    let sources: Vec<&dyn ArraySource> = vec![&liars[0], &liars[1], &Broken];
    for enc in encoders {
        for (i, src) in sources.iter().enumerate() {
            let mut out = Vec::new();
            let r = enc.encode(*src, &Params::new(), &mut out);
            assert!(matches!(r, Err(EncodeError::Input(_))), "{} source {i}: {r:?}", enc.spec().media_type);
            assert!(out.is_empty(), "{} source {i} wrote {} bytes", enc.spec().media_type, out.len());
        }
    }
}
