//! CSV of any table and any array: never panics; the `csv` crate reads the output back with
//! one record per row (plus the header) and one field per non-binary column; arrays of
//! more than 2 dimensions are refused before any byte.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tessera_core::columns::is_binary;
use tessera_core::fuzzing::arbitrary_table;
use tessera_core::{ArrayEncoder, DataType, NdArray, Params, TableEncoder};
use tessera_csv::CsvEncoder;

fn records(csv: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv)
        .records()
        .collect::<Result<_, _>>()
        .expect("the output is valid CSV")
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(table) = arbitrary_table(&mut u) {
        let header = u.arbitrary::<bool>().unwrap_or(true);
        let params = Params::new().with("header", if header { "present" } else { "absent" });
        let mut out = Vec::new();
        TableEncoder::encode(&CsvEncoder, &mut table.stream(), &params, &mut out).expect("every table encodes");
        let width = table.schema().fields().iter().filter(|f| !is_binary(f.data_type())).count();
        let recs = records(&out);
        if width == 0 {
            assert!(out.is_empty());
        } else {
            assert_eq!(recs.len(), table.num_rows() + usize::from(header));
            assert!(recs.iter().all(|r| r.len() == width));
        }
    }

    if let Ok(array) = NdArray::arbitrary(&mut u) {
        let mut out = Vec::new();
        let checked = ArrayEncoder::check(&CsvEncoder, array.data_type(), array.shape(), &Params::new());
        let encoded = ArrayEncoder::encode(&CsvEncoder, &array, &Params::new(), &mut out);
        assert_eq!(checked.is_ok(), encoded.is_ok());
        if array.ndim() > 2 {
            assert!(encoded.is_err() && out.is_empty());
            return;
        }
        encoded.expect("arrays up to 2-D encode");
        let (rows, cols) = match array.shape() {
            [] => (1, 1),
            [n] => (*n, 1),
            [n, m, ..] => (*n, *m),
        };
        let cols = match array.data_type() {
            DataType::Record { fields, .. } if array.ndim() <= 1 => fields.len(),
            _ => cols,
        };
        let recs = records(&out);
        if cols == 0 || rows == 0 {
            assert!(out.is_empty());
        } else {
            assert_eq!(recs.len(), rows);
            assert!(recs.iter().all(|r| r.len() == cols));
        }
    }
});
