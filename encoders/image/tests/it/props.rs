//! Properties over arbitrary arrays (`tessera_testkit::strategies::nd_array`): no panics;
//! `check` agrees with `encode`; refusals are `Unsupported` or `Limit` with nothing
//! written; accepted arrays decode, with exact samples where the mapping is lossless.

use proptest::prelude::*;
use tessera_core::{ArrayEncoder, DataType, EncodeError, NdArray, Params};
use tessera_image::{PngEncoder, TiffEncoder};
use tessera_testkit::strategies::nd_array;

use crate::{decode_png, decode_tiff, png, tiff};

fn refused(e: &EncodeError) -> bool {
    matches!(e, EncodeError::Unsupported { .. } | EncodeError::Limit { .. })
}

/// The array's bytes as a TIFF stores them (bool normalised to 0/1).
fn tiff_bytes(a: &NdArray) -> Vec<u8> {
    match a.data_type() {
        DataType::Bool => a.as_bytes().iter().map(|&b| u8::from(b != 0)).collect(),
        _ => a.as_bytes().to_vec(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn png_accepts_or_refuses_cleanly(a in nd_array()) {
        let checked = PngEncoder.check(a.data_type(), a.shape(), &Params::new());
        match (checked, png(&a, &[])) {
            (Ok(()), Ok(bytes)) => {
                let d = decode_png(&bytes);
                let (h, w) = match a.shape() { [w] => (1, *w), [h, w, ..] => (*h, *w), _ => unreachable!() };
                prop_assert_eq!((d.height as usize, d.width as usize), (h, w));
                match a.data_type() {
                    DataType::UInt8 => prop_assert_eq!(&d.samples[..], a.as_bytes()),
                    DataType::UInt16 => {
                        let le: Vec<u8> = d.samples.chunks_exact(2).flat_map(|b| [b[1], b[0]]).collect();
                        prop_assert_eq!(&le[..], a.as_bytes());
                    }
                    _ => prop_assert_eq!(d.samples.len(), a.len()),
                }
            }
            (Err(c), Err(e)) => {
                prop_assert!(refused(&c) && refused(&e), "{c:?} / {e:?}");
            }
            (c, e) => prop_assert!(false, "check {c:?} but encode {e:?}"),
        }
    }

    #[test]
    fn tiff_accepts_or_refuses_cleanly(a in nd_array()) {
        let checked = TiffEncoder.check(a.data_type(), a.shape(), &Params::new());
        match (checked, tiff(&a, &[])) {
            (Ok(()), Ok(bytes)) => {
                let pages = decode_tiff(&bytes);
                let expected_pages = if a.ndim() <= 2 { 1 } else { a.shape()[0] };
                prop_assert_eq!(pages.len(), expected_pages);
                let all: Vec<u8> = pages.into_iter().flat_map(|p| p.bytes).collect();
                prop_assert_eq!(all, tiff_bytes(&a));
            }
            (Err(c), Err(e)) => {
                prop_assert!(refused(&c) && refused(&e), "{c:?} / {e:?}");
            }
            (c, e) => prop_assert!(false, "check {c:?} but encode {e:?}"),
        }
    }
}
