//! HTML of any table or array: never panics, the page is UTF-8 with balanced table tags,
//! and no cell or name opens markup (only the writer's own tags appear).
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use tessera_core::fuzzing::arbitrary_table;
use tessera_core::table::Table;
use tessera_core::{ArrayEncoder, NdArray, Params, TableEncoder};
use tessera_html::{HtmlArrayEncoder, HtmlEncoder};

/// The only tags a page may contain.
const TAGS: &[&str] = &[
    "!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title", "style", "/style", "body",
    "/body", "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr", "th", "/th", "td", "/td",
    "p", "/p",
];

fn check_page(out: &[u8], rows: usize) {
    let page = std::str::from_utf8(out).expect("pages are UTF-8");
    for tag in ["table", "thead", "tbody", "tr", "th", "td", "p"] {
        let open = page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count();
        assert_eq!(open, page.matches(&format!("</{tag}>")).count(), "unbalanced <{tag}>");
    }
    assert_eq!(page.matches("<table ").count(), 1);
    // Every `<` starts one of the writer's tags: text never carries a raw `<`.
    for part in page.split('<').skip(1) {
        let name = part.split([' ', '>']).next().unwrap_or("");
        assert!(TAGS.contains(&name), "unexpected markup <{name}");
    }
    assert_eq!(page.matches("<tr>").count(), rows);
}

fn input(u: &mut Unstructured<'_>) -> Result<(Table, NdArray, usize)> {
    Ok((arbitrary_table(u)?, NdArray::arbitrary(u)?, u.int_in_range(0..=50)?))
}

fuzz_target!(|data: &[u8]| {
    let Ok((table, array, max_rows)) = input(&mut Unstructured::new(data)) else { return };
    let params = Params::new().with("max_rows", &max_rows.to_string());

    let mut out = Vec::new();
    HtmlEncoder.encode(&mut table.stream(), &params, &mut out).expect("every table encodes");
    // The header row, then the shown rows.
    check_page(&out, 1 + table.num_rows().min(max_rows));

    let mut out = Vec::new();
    let r = HtmlArrayEncoder.encode(&array, &params, &mut out);
    if array.ndim() > 2 {
        assert!(r.is_err() && out.is_empty(), "more than 2 dimensions must be refused before any byte");
    } else {
        r.expect("arrays of up to 2 dimensions encode");
        let rows = array.shape().first().copied().unwrap_or(1).min(max_rows);
        check_page(&out, rows + usize::from(array.ndim() == 2));
    }
});
