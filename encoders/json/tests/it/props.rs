//! Properties over generated tables and arrays (testkit strategies): encoding never
//! panics, the output is strict JSON, and every value reads back.

use proptest::prelude::*;
use tessera_testkit::strategies::{arrow_table, nd_array};

use crate::roundtrip::{check_array, check_table};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_table_reads_back_in_every_framing((schema, batches) in arrow_table()) {
        check_table(&schema, &batches);
    }

    #[test]
    fn any_array_reads_back(a in nd_array()) {
        let out = crate::encode_array(&a);
        check_array(&a, &crate::parse(&out));
    }
}
