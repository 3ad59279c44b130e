//! Inputs the `encode_html` fuzz target found (`tests/regressions/`), replayed the way the
//! target decodes them.

use arbitrary::{Arbitrary, Unstructured};
use tessera_core::fuzzing::arbitrary_table;
use tessera_core::{ArrayEncoder, NdArray, Params, TableEncoder};
use tessera_html::{HtmlArrayEncoder, HtmlEncoder};

fn replay(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let (Ok(table), Ok(array), Ok(max_rows)) =
        (arbitrary_table(&mut u), NdArray::arbitrary(&mut u), u.int_in_range(0..=50usize))
    else {
        return;
    };
    let params = Params::new().with("max_rows", &max_rows.to_string());
    HtmlEncoder.encode(&mut table.stream(), &params, &mut Vec::new()).unwrap();
    let r = HtmlArrayEncoder.encode(&array, &params, &mut Vec::new());
    assert_eq!(r.is_ok(), array.ndim() <= 2, "{r:?}");
}

/// Day counts near `i64::MAX` (datetime64[D]/[W]) overflowed `tessera_core::time::civil_from_days`
/// (a panic in debug builds, a wrong date in release), found by fuzz/encode_html; fixed in core
/// with i128 arithmetic. Replays the fuzz input.
#[test]
fn datetime64_day_overflow() {
    replay(include_bytes!("../regressions/datetime64-day-overflow.bin"));
}
