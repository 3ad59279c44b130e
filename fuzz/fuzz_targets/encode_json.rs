//! JSON of any table (object of columns, JSON text sequence, NDJSON) and any array: never
//! panics; serde_json (strict: no `NaN`) parses every output, with one value per row and
//! nested lists that follow the array's shape.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tessera_core::fuzzing::arbitrary_table;
use tessera_core::{ArrayEncoder, NdArray, Params, TableEncoder};
use tessera_json::{JsonEncoder, JsonSeqEncoder, NdjsonEncoder};

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("the output is strict JSON")
}

/// Checks that `v` is nested lists of `shape`.
fn check_shape(v: &Value, shape: &[usize]) {
    if let [n, rest @ ..] = shape {
        let items = v.as_array().expect("a list per dimension");
        assert_eq!(items.len(), *n);
        items.iter().for_each(|i| check_shape(i, rest));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(table) = arbitrary_table(&mut u) {
        let names: Vec<&str> = table.schema().fields().iter().map(|f| f.name().as_str()).collect();
        let mut out = Vec::new();
        TableEncoder::encode(&JsonEncoder, &mut table.stream(), &Params::new(), &mut out).expect("every table encodes");
        let columns = parse(&out);
        let obj = columns.as_object().expect("an object of columns");
        for n in &names {
            assert_eq!(obj[*n].as_array().expect("a list per column").len(), table.num_rows());
        }

        let mut seq = Vec::new();
        JsonSeqEncoder.encode(&mut table.stream(), &Params::new(), &mut seq).expect("every table encodes");
        let text = std::str::from_utf8(&seq).expect("UTF-8");
        let rows: Vec<&str> = text.split('\u{1e}').skip(1).collect();
        assert_eq!(rows.len(), table.num_rows());
        assert!(seq.is_empty() || seq[0] == 0x1e);
        for r in rows {
            assert!(r.ends_with('\n'));
            assert!(parse(r.as_bytes()).is_object());
        }

        let mut nd = Vec::new();
        NdjsonEncoder.encode(&mut table.stream(), &Params::new(), &mut nd).expect("every table encodes");
        let text = std::str::from_utf8(&nd).expect("UTF-8");
        assert_eq!(text.matches('\n').count(), table.num_rows());
        for line in text.lines() {
            assert!(parse(line.as_bytes()).is_object());
        }
    }

    if let Ok(array) = NdArray::arbitrary(&mut u) {
        let mut out = Vec::new();
        ArrayEncoder::encode(&JsonEncoder, &array, &Params::new(), &mut out).expect("every array encodes");
        check_shape(&parse(&out), array.shape());
    }
});
