//! Raw C-order bytes of any array: never panics, writes exactly the array's bytes in order
//! (also when read through `read_rows` slabs, as the server streams).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::raw::RawEncoder;
use tessera_core::{ArrayEncoder, ArraySource, NdArray, Params};

fuzz_target!(|array: NdArray| {
    let mut out = Vec::new();
    RawEncoder.encode(&array, &Params::new(), &mut out).expect("raw takes every array");
    assert_eq!(out.len(), array.as_bytes().len());
    assert_eq!(out, array.as_bytes());
    // The rows read back one at a time concatenate to the same bytes.
    if let Some(&rows) = array.shape().first() {
        let mut parts = Vec::new();
        for r in 0..rows {
            parts.extend_from_slice(array.read_rows(r..r + 1).expect("rows in range").as_bytes());
        }
        assert_eq!(parts, out);
    }
    // Unknown parameters are refused before any byte.
    let mut refused = Vec::new();
    assert!(RawEncoder.encode(&array, &Params::new().with("x", "1"), &mut refused).is_err());
    assert!(refused.is_empty());
});
