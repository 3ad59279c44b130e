//! `.npy` of any array: never panics; the header is what `numpy.load` parses (magic, version,
//! little-endian header length, a 64-byte aligned dict ending in `\n` with the array's descr
//! and shape), followed by exactly the array's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::raw::{NpyEncoder, npy_descr};
use tessera_core::{ArrayEncoder, NdArray, Params};

fuzz_target!(|array: NdArray| {
    let mut out = Vec::new();
    NpyEncoder.encode(&array, &Params::new(), &mut out).expect("npy takes every array");
    assert_eq!(&out[..6], b"\x93NUMPY");
    let (prefix, header_len) = match out[6] {
        1 => (10, u16::from_le_bytes([out[8], out[9]]) as usize),
        2 => (12, u32::from_le_bytes([out[8], out[9], out[10], out[11]]) as usize),
        v => panic!("npy version {v}"),
    };
    assert_eq!(out[7], 0, "minor version");
    let data_start = prefix + header_len;
    assert_eq!(data_start % 64, 0, "data is 64-byte aligned");
    assert_eq!(out[data_start - 1], b'\n');
    let dict = std::str::from_utf8(&out[prefix..data_start]).expect("the header is text");
    // numpy decodes v1/v2 headers as latin-1: keep them ASCII (the fuzzed field names are).
    assert!(dict.is_ascii(), "header {dict:?}");
    let dict = dict.trim_end();
    assert!(dict.starts_with('{') && dict.ends_with('}'), "header {dict:?}");
    assert!(dict.contains(&format!("'descr': {}", npy_descr(array.data_type()))), "header {dict:?}");
    assert!(dict.contains("'fortran_order': False"));
    let shape = match array.shape() {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    assert!(dict.contains(&format!("'shape': {shape}")), "header {dict:?}");
    assert_eq!(&out[data_start..], array.as_bytes());
});
