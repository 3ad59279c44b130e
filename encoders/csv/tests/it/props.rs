//! Properties over generated tables and arrays (testkit strategies): encoding never
//! panics, the output is CSV an independent reader parses, and values read back.

use proptest::prelude::*;
use tessera_core::{ArrayEncoder, Params, TableEncoder};
use tessera_csv::CsvEncoder;
use tessera_testkit::strategies::{arrow_table, flat_table, nd_array, nd_array_of, plain_data_type};

use crate::roundtrip::{check_array, check_table};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_table_gives_parseable_csv_that_reads_back((schema, batches) in arrow_table()) {
        let mut out = Vec::new();
        TableEncoder::encode(&CsvEncoder, &mut crate::stream(schema.clone(), batches.clone()), &Params::new(), &mut out).unwrap();
        check_table(&out, &schema, &batches);
    }

    #[test]
    fn flat_tables_read_back_without_header((schema, batches) in flat_table()) {
        let mut out = Vec::new();
        TableEncoder::encode(&CsvEncoder, &mut crate::stream(schema.clone(), batches.clone()), &Params::new().with("header", "absent"), &mut out).unwrap();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        prop_assert_eq!(crate::records(&out).len(), rows);
    }

    #[test]
    fn plain_arrays_read_back(a in nd_array_of(plain_data_type(), 2)) {
        let out = crate::array_csv(&a);
        check_array(&a, &out);
    }

    #[test]
    fn any_array_encodes_or_is_refused_up_front(a in nd_array()) {
        let mut out = Vec::new();
        let checked = ArrayEncoder::check(&CsvEncoder, a.data_type(), a.shape(), &Params::new());
        let res = ArrayEncoder::encode(&CsvEncoder, &a, &Params::new(), &mut out);
        prop_assert_eq!(checked.is_ok(), res.is_ok());
        if a.ndim() > 2 {
            prop_assert!(out.is_empty());
        } else {
            check_array(&a, &out);
        }
    }
}
