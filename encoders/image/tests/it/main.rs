//! Integration tests of tessera-image: outputs decoded by the `png` and `tiff` crates'
//! decoders (independent of the encoders' code paths), golden files, registry wiring and
//! property tests.

#![allow(clippy::unwrap_used)]

mod golden;
mod png_roundtrip;
mod props;
mod registry;
mod tiff_roundtrip;

use std::io::Cursor;

use tessera_core::{ArrayEncoder, DataType, Element, EncodeError, NdArray, Params};
use tessera_image::{PngEncoder, TiffEncoder};

/// A decoded PNG: its header and its samples exactly as stored (16-bit big-endian).
pub(crate) struct DecodedPng {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) color: png::ColorType,
    pub(crate) depth: png::BitDepth,
    pub(crate) samples: Vec<u8>,
}

pub(crate) fn decode_png(bytes: &[u8]) -> DecodedPng {
    let mut reader = png::Decoder::new(Cursor::new(bytes)).read_info().expect("PNG header decodes");
    let mut samples = vec![0; reader.output_buffer_size().expect("size fits")];
    let info = reader.next_frame(&mut samples).expect("PNG data decodes");
    samples.truncate(info.buffer_size());
    DecodedPng {
        width: info.width,
        height: info.height,
        color: info.color_type,
        depth: info.bit_depth,
        samples,
    }
}

/// One decoded TIFF page.
pub(crate) struct DecodedPage {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) color: tiff::ColorType,
    pub(crate) sample_format: Vec<u16>,
    pub(crate) description: Option<String>,
    /// The samples' bytes in the file's (native, little-endian) order.
    pub(crate) bytes: Vec<u8>,
    /// The decoder's variant, e.g. `"F16"`.
    pub(crate) kind: &'static str,
}

pub(crate) fn decode_tiff(bytes: &[u8]) -> Vec<DecodedPage> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;
    let mut d = Decoder::new(Cursor::new(bytes)).expect("TIFF header decodes");
    let mut pages = Vec::new();
    loop {
        let (width, height) = d.dimensions().expect("dimensions");
        let color = d.colortype().expect("colortype");
        let sample_format = d.get_tag_u16_vec(Tag::SampleFormat).expect("SampleFormat tag");
        let description =
            d.find_tag(Tag::ImageDescription).expect("tag reads").map(|v| v.into_string().unwrap());
        let mut image = d.read_image().expect("TIFF data decodes");
        let kind = match &image {
            DecodingResult::U8(_) => "U8",
            DecodingResult::U16(_) => "U16",
            DecodingResult::U32(_) => "U32",
            DecodingResult::U64(_) => "U64",
            DecodingResult::I8(_) => "I8",
            DecodingResult::I16(_) => "I16",
            DecodingResult::I32(_) => "I32",
            DecodingResult::I64(_) => "I64",
            DecodingResult::F16(_) => "F16",
            DecodingResult::F32(_) => "F32",
            DecodingResult::F64(_) => "F64",
        };
        let bytes = image.as_buffer(0).as_bytes().to_vec();
        pages.push(DecodedPage { width, height, color, sample_format, description, bytes, kind });
        if !d.more_images() {
            return pages;
        }
        d.next_image().expect("next page");
    }
}

pub(crate) fn params(kv: &[(&str, &str)]) -> Params {
    kv.iter().fold(Params::new(), |p, (k, v)| p.with(k, v))
}

pub(crate) fn png(a: &NdArray, kv: &[(&str, &str)]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    PngEncoder.encode(a, &params(kv), &mut out).map(|()| out)
}

pub(crate) fn tiff(a: &NdArray, kv: &[(&str, &str)]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    TiffEncoder.encode(a, &params(kv), &mut out).map(|()| out)
}

pub(crate) fn arr<T: Element>(shape: &[usize], v: Vec<T>) -> NdArray {
    NdArray::from_vec(shape.to_vec(), v).unwrap()
}

/// Asserts that nothing was written and the error is `Unsupported` mentioning `needle`.
pub(crate) fn assert_unsupported(r: Result<Vec<u8>, EncodeError>, needle: &str) {
    match r {
        Err(e @ EncodeError::Unsupported { .. }) => {
            assert!(e.to_string().contains(needle), "{e} lacks {needle:?}")
        }
        Err(e) => panic!("expected Unsupported, got {e:?}"),
        Ok(out) => panic!("expected Unsupported, got {} bytes", out.len()),
    }
}

/// Every numeric dtype with a small array of it whose values cover its range.
pub(crate) fn numeric_samples() -> Vec<NdArray> {
    let shape = &[2, 3];
    vec![
        NdArray::new(DataType::Bool, shape.to_vec(), vec![0u8, 1, 1, 0, 1, 0]).unwrap(),
        arr(shape, vec![i8::MIN, -1, 0, 1, 2, i8::MAX]),
        arr(shape, vec![i16::MIN, -1, 0, 1, 2, i16::MAX]),
        arr(shape, vec![i32::MIN, -1, 0, 1, 2, i32::MAX]),
        arr(shape, vec![i64::MIN, -1, 0, 1, 2, i64::MAX]),
        arr(shape, vec![0u8, 1, 2, 3, 254, u8::MAX]),
        arr(shape, vec![0u16, 1, 2, 3, 65534, u16::MAX]),
        arr(shape, vec![0u32, 1, 2, 3, 4, u32::MAX]),
        arr(shape, vec![0u64, 1, 2, 3, 4, u64::MAX]),
        arr(shape, [-2.5f32, -0.0, 0.0, 1.0, 65504.0, f32::NAN].map(half::f16::from_f32).to_vec()),
        arr(shape, vec![-2.5f32, -0.0, f32::MIN_POSITIVE, 1.0, f32::INFINITY, f32::NAN]),
        arr(shape, vec![-2.5f64, -0.0, f64::MIN_POSITIVE, 1.0, f64::NEG_INFINITY, f64::NAN]),
    ]
}
