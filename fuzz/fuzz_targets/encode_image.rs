//! PNG and TIFF of any array with any option: never panics; `check` agrees with `encode`;
//! a refusal writes nothing and is `Unsupported`, `Limit` or `InvalidOption`; every output
//! decodes (the `png` and `tiff` crates' decoders) to the expected size, and the lossless
//! mappings (PNG of `uint8`/`uint16`, every TIFF) give back the exact samples.
#![no_main]

use std::io::Cursor;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tessera_core::{ArrayEncoder, DataType, EncodeError, NdArray, Params};
use tessera_image::{PngEncoder, TiffEncoder};

const PNG_PARAMS: &[(&str, &str)] = &[
    ("compression", "none"),
    ("compression", "fast"),
    ("compression", "default"),
    ("level", "1"),
    ("level", "12"),
    ("filter", "paeth"),
    ("filter", "up"),
    ("filter", "bogus"),
    ("unknown", "1"),
];

const TIFF_PARAMS: &[(&str, &str)] =
    &[("compression", "none"), ("compression", "deflate"), ("compression", "lzw"), ("compression", "packbits"), ("compression", "jpeg")];

fn params(u: &mut Unstructured<'_>, choices: &[(&str, &str)]) -> Params {
    let mut p = Params::new();
    for _ in 0..u.int_in_range(0..=2u8).unwrap_or(0) {
        if let Ok((k, v)) = u.choose(choices) {
            p = p.with(k, v);
        }
    }
    p
}

fn refused(e: &EncodeError) -> bool {
    matches!(e, EncodeError::Unsupported { .. } | EncodeError::Limit { .. } | EncodeError::InvalidOption { .. })
}

/// Runs `encoder`; returns the output when it succeeded.
fn run(encoder: &dyn ArrayEncoder, array: &NdArray, params: &Params) -> Option<Vec<u8>> {
    let checked = encoder.check(array.data_type(), array.shape(), params);
    let mut out = Vec::new();
    match encoder.encode(array, params, &mut out) {
        Ok(()) => {
            assert!(checked.is_ok(), "check refused what encode accepted: {checked:?}");
            Some(out)
        }
        Err(e) => {
            assert!(refused(&e), "unexpected error {e:?}");
            assert!(checked.is_err(), "check accepted what encode refused: {e}");
            assert!(out.is_empty(), "a refusal wrote {} bytes", out.len());
            None
        }
    }
}

fn check_png(array: &NdArray, png: &[u8]) {
    let mut reader = png::Decoder::new(Cursor::new(png)).read_info().expect("PNG header decodes");
    let mut samples = vec![0; reader.output_buffer_size().expect("size fits")];
    let info = reader.next_frame(&mut samples).expect("PNG data decodes");
    samples.truncate(info.buffer_size());
    let (h, w, c) = match *array.shape() {
        [w] => (1, w, 1),
        [h, w] => (h, w, 1),
        [h, w, c] => (h, w, c),
        _ => panic!("PNG accepted shape {:?}", array.shape()),
    };
    assert_eq!((info.height as usize, info.width as usize, info.color_type.samples()), (h, w, c));
    match array.data_type() {
        DataType::UInt8 => assert_eq!(samples, array.as_bytes()),
        DataType::UInt16 => {
            let le: Vec<u8> = samples.chunks_exact(2).flat_map(|b| [b[1], b[0]]).collect();
            assert_eq!(le, array.as_bytes());
        }
        _ => assert_eq!(samples.len(), array.len()),
    }
}

fn check_tiff(array: &NdArray, tif: &[u8]) {
    let mut d = tiff::decoder::Decoder::new(Cursor::new(tif)).expect("TIFF header decodes");
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let mut image = d.read_image().expect("TIFF page decodes");
        all.extend_from_slice(image.as_buffer(0).as_bytes());
        pages += 1;
        if !d.more_images() {
            break;
        }
        d.next_image().expect("next page");
    }
    let expected_pages = if array.ndim() <= 2 { 1 } else { array.shape()[0] };
    assert_eq!(pages, expected_pages);
    let expected: Vec<u8> = match array.data_type() {
        DataType::Bool => array.as_bytes().iter().map(|&b| u8::from(b != 0)).collect(),
        _ => array.as_bytes().to_vec(),
    };
    assert_eq!(all, expected);
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(array) = NdArray::arbitrary(&mut u) else { return };
    let png_params = params(&mut u, PNG_PARAMS);
    if let Some(out) = run(&PngEncoder, &array, &png_params) {
        check_png(&array, &out);
    }
    let tiff_params = params(&mut u, TIFF_PARAMS);
    if let Some(out) = run(&TiffEncoder, &array, &tiff_params) {
        check_tiff(&array, &out);
    }
});
