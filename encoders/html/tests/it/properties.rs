//! Properties over generated tables and arrays: no panic, and every cell reads back.

use proptest::prelude::*;
use tessera_core::columns::{ColumnFormatter, is_binary};
use tessera_core::{ArrayEncoder, Params};
use tessera_html::{HtmlArrayEncoder, HtmlOptions};

use crate::{Page, assert_balanced};

/// What a parser reads back for a cell's text (NUL is written as U+FFFD).
fn parsed(text: &[u8]) -> String {
    String::from_utf8_lossy(text).replace('\0', "\u{fffd}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any table: the page parses to the same names and cell texts, binary columns left out.
    #[test]
    fn tables_round_trip((schema, batches) in tessera_testkit::strategies::arrow_table(), max_rows in 0usize..15) {
        let mut w = HtmlOptions::default().with_max_rows(max_rows).build(Vec::new(), &schema);
        for b in &batches {
            w.write(b).unwrap();
        }
        let out = w.finish().unwrap();
        assert_balanced(std::str::from_utf8(&out).unwrap());
        let page = Page::parse(&out);
        let shown: Vec<usize> = (0..schema.fields().len()).filter(|&c| !is_binary(schema.field(c).data_type())).collect();
        let names: Vec<String> = shown.iter().map(|&c| parsed(schema.field(c).name().as_bytes())).collect();
        prop_assert_eq!(page.texts("thead th"), names);
        let mut want = Vec::new();
        for b in &batches {
            let mut fs: Vec<_> = shown.iter().map(|&c| ColumnFormatter::new(b.column(c).as_ref()).unwrap()).collect();
            for i in 0..b.num_rows() {
                want.push(fs.iter_mut().map(|f| { let mut t = Vec::new(); f.write_text(i, &mut t); parsed(&t) }).collect::<Vec<_>>());
            }
        }
        let total = want.len();
        want.truncate(max_rows);
        prop_assert_eq!(page.rows(), want);
        prop_assert_eq!(page.notes().iter().any(|n| n.contains("(limit max_rows=")), total > max_rows);
    }

    /// Any array: 0–2 dimensions give one table with one row per first-axis index,
    /// more give Unsupported; never a panic.
    #[test]
    fn arrays_never_panic(a in tessera_testkit::strategies::nd_array()) {
        let mut out = Vec::new();
        let r = HtmlArrayEncoder.encode(&a, &Params::new(), &mut out);
        if a.ndim() > 2 {
            prop_assert!(r.is_err());
            prop_assert!(out.is_empty());
        } else {
            r.unwrap();
            assert_balanced(std::str::from_utf8(&out).unwrap());
            let page = Page::parse(&out);
            prop_assert_eq!(page.select("table").len(), 1);
            let rows = a.shape().first().copied().unwrap_or(1);
            prop_assert_eq!(page.rows().len(), rows);
            if let [_, n] = a.shape() {
                prop_assert_eq!(page.select("thead th").len(), n + 1);
            }
        }
    }
}
