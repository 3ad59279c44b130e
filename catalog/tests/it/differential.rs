//! The same random children in memory and in the catalog; random filters and sorts must give
//! the same keys in the same order (and the same totals and pages) through
//! `query::search` and `Catalog::search`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use tessera_catalog::query::{self, Filter, Op, SortKey};
use tessera_catalog::{Catalog, Family, NewNode, NodeRecord};

use crate::Backend;

/// Metadata keys: plain, unicode, ones that need quoting in a JSON path.
const KEYS: &[&str] = &["a", "b", "c", "é", "q\"k", "sp ace", "x.y", "b\\s\"", "t\tab", ""];
/// Dotted paths used by filters and sorts (`c.d` reaches into nested objects; `zz` is
/// never present; `x.y` can never match: lookups split at dots).
const PATHS: &[&str] = &[
    "a", "b", "c", "c.d", "c.e", "é", "q\"k", "sp ace", "x.y", "zz", "a.d", "b\\s\"", "t\tab", "",
    "b\\s\".d", "a\0",
];
const WORDS: &[&str] =
    &["red", "Red", "green", "hello world", "Hello", "é", "É", "", "a%b", "K", "ok then", "red\tgreen"];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3i64..4).prop_map(Value::from),
        prop_oneof![Just(9_007_199_254_740_993i64), Just(i64::MAX), Just(-9_007_199_254_740_992i64)]
            .prop_map(Value::from),
        (-6i32..7).prop_map(|h| json!(f64::from(h) / 2.0)),
        Just(json!(9_007_199_254_740_992.0)),
        prop::sample::select(WORDS).prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let nested = leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&["d", "e"][..]), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    });
    prop_oneof![3 => leaf(), 1 => nested]
}

fn metadata() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(KEYS), value()), 1..6)
        .prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn family() -> impl Strategy<Value = Family> {
    prop::sample::select(&[Family::Container, Family::Array, Family::Table][..])
}

fn specs() -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(&["s1", "s2", "s3"][..], 0..3)
        .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn path() -> impl Strategy<Value = String> {
    prop::sample::select(PATHS).prop_map(str::to_owned)
}

fn child() -> impl Strategy<Value = (Map<String, Value>, Vec<String>, Family)> {
    (metadata(), specs(), family())
}

fn like(key: String, pattern: &str) -> Filter {
    let pairs = [
        ("filter[like][condition][key]".to_owned(), key),
        ("filter[like][condition][pattern]".to_owned(), Value::from(pattern).to_string()),
    ];
    query::parse_filters(&pairs).unwrap().remove(0)
}

fn filter(nkeys: usize) -> impl Strategy<Value = Filter> {
    let op = prop::sample::select(&[Op::Gt, Op::Lt, Op::Ge, Op::Le][..]);
    let strings = |n| prop::collection::vec(prop::sample::select(&["s1", "s2", "s3", "s4"][..]), 0..n);
    prop_oneof![
        (path(), value()).prop_map(|(k, v)| Filter::Eq(k, v)),
        (path(), leaf()).prop_map(|(k, v)| Filter::Eq(k, v)),
        (path(), value()).prop_map(|(k, v)| Filter::NotEq(k, v)),
        (op, path(), leaf()).prop_map(|(o, k, v)| Filter::Comparison(o, k, v)),
        (path(), value()).prop_map(|(k, v)| Filter::Contains(k, v)),
        (path(), prop::collection::vec(value(), 0..4)).prop_map(|(k, v)| Filter::In(k, v)),
        (path(), prop::collection::vec(value(), 0..4)).prop_map(|(k, v)| Filter::NotIn(k, v)),
        prop::collection::vec(
            prop::sample::select(&["red", "world", "hello", "é", "k", "zz", "", "then"][..]),
            0..3
        )
        .prop_map(|w| Filter::FullText(w.into_iter().map(str::to_owned).collect())),
        (path(), prop::sample::select(&["^r", "(?i)^r", "o", "^$", "e.?d", "(?i)É", "\\s"][..]))
            .prop_map(|(k, p)| Filter::Regex(k, regex::Regex::new(p).unwrap())),
        (path(), any::<bool>()).prop_map(|(k, e)| Filter::KeyPresent(k, e)),
        (path(), prop::sample::select(&["%e%", "r_d", "%", "", "h%", "a%b", "R%", "_"][..]))
            .prop_map(|(k, p)| like(k, p)),
        (strings(3), strings(2)).prop_map(|(i, e)| Filter::Specs(
            i.into_iter().map(str::to_owned).collect(),
            e.into_iter().map(str::to_owned).collect()
        )),
        prop::sample::select(&["container", "array", "table", "sparse"][..])
            .prop_map(|f| Filter::StructureFamily(f.to_owned())),
        prop::collection::vec(0..nkeys + 2, 0..4)
            .prop_map(|ks| Filter::Keys(ks.into_iter().map(|i| format!("k{i}")).collect())),
        (0..nkeys + 1).prop_map(|i| Filter::Lookup(format!("k{i}"))),
        Just(Filter::AccessTags),
    ]
}

fn sort() -> impl Strategy<Value = Vec<SortKey>> {
    prop::collection::vec(
        (
            prop::sample::select(&["_", "a", "b", "c", "c.d", "é", "q\"k", "zz", "b\\s\"", "t\tab", ""][..]),
            any::<bool>(),
        ),
        0..3,
    )
    .prop_map(|v| {
        let mut out: Vec<SortKey> = Vec::new();
        for (k, descending) in v {
            if !out.iter().any(|s| s.key == k) {
                out.push(SortKey { key: k.to_owned(), descending });
            }
        }
        out
    })
}

type Case = (Vec<(Map<String, Value>, Vec<String>, Family)>, Vec<Filter>, Vec<SortKey>, u64, u64);

/// (path, value) pairs present in the children, so that filters built from them hit.
fn present(children: &[(Map<String, Value>, Vec<String>, Family)]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (md, _, _) in children {
        for (k, v) in md {
            out.push((k.clone(), v.clone()));
            if let Value::Object(o) = v {
                out.extend(o.iter().map(|(k2, v2)| (format!("{k}.{k2}"), v2.clone())));
            }
        }
    }
    out
}

/// A filter on a value some child has: equal, different, compared, listed, contained.
fn hit(pairs: Vec<(String, Value)>) -> impl Strategy<Value = Filter> {
    let op = prop::sample::select(&[Op::Gt, Op::Lt, Op::Ge, Op::Le][..]);
    (prop::sample::select(pairs), 0..7usize, op, value()).prop_map(|((k, v), kind, op, other)| match kind {
        0 => Filter::Eq(k, v),
        1 => Filter::NotEq(k, v),
        2 => Filter::Comparison(op, k, v),
        3 => Filter::In(k, vec![other, v]),
        4 => Filter::NotIn(k, vec![v, other]),
        5 => match v {
            Value::Array(a) if !a.is_empty() => Filter::Contains(k, a[0].clone()),
            v => Filter::Contains(k, v),
        },
        _ => match v {
            Value::Number(n) => Filter::Eq(k, json!(n.as_f64())),
            Value::String(s) => Filter::FullText(s.split_whitespace().map(str::to_lowercase).collect()),
            v => Filter::Eq(k, v),
        },
    })
}

fn case() -> impl Strategy<Value = Case> {
    prop::collection::vec(child(), 3..10).prop_flat_map(|children| {
        let n = children.len();
        let pairs = present(&children);
        let f = if pairs.is_empty() {
            filter(n).boxed()
        } else {
            prop_oneof![1 => filter(n), 2 => hit(pairs)].boxed()
        };
        (Just(children), prop::collection::vec(f, 1..3), sort(), 0u64..6, 0u64..12)
    })
}

/// Runs `cases` random cases against one catalog of `backend` (each case in its own
/// container).
/// `TESSERA_DIFF_CASES` overrides `cases` (for long local runs).
pub fn run(backend: &dyn Backend, cases: u32) {
    let cases = std::env::var("TESSERA_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = backend.fresh();
    let catalog = rt.block_on(async {
        Catalog::init(&url).await.unwrap();
        Catalog::open(&url).await.unwrap()
    });
    let root = rt.block_on(catalog.lookup(&[])).unwrap().unwrap().id;
    let n = std::sync::atomic::AtomicUsize::new(0);
    // How many cases selected some but not all children (the interesting ones).
    let selective = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&case(), |(children, filters, sort, offset, limit)| {
        let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        rt.block_on(async {
            let parent =
                catalog.create(root, NewNode::new(format!("case{n}"), Family::Container)).await.unwrap();
            let mut recs: Vec<NodeRecord> = Vec::new();
            for (i, (metadata, specs, family)) in children.into_iter().enumerate() {
                let node = NewNode { metadata, specs, family, ..NewNode::new(format!("k{i}"), family) };
                recs.push(catalog.create(parent.id, node).await.unwrap());
            }
            let nchildren = recs.len();
            let want: Vec<String> = query::search(recs, &filters, &sort).into_iter().map(|r| r.key).collect();
            if std::env::var("DIFF_DEBUG").is_ok() {
                eprintln!("{nchildren} children, {} found, filters {filters:?}", want.len());
            }
            if !want.is_empty() && want.len() < nchildren {
                selective.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let (total, got) = catalog.search(parent.id, &filters, &sort, 0, 1000).await.unwrap();
            let got: Vec<String> = got.into_iter().map(|r| r.key).collect();
            prop_assert_eq!(&got, &want, "filters {:?} sort {:?}", filters, sort);
            prop_assert_eq!(total as usize, want.len());
            let (total, page) = catalog.search(parent.id, &filters, &sort, offset, limit).await.unwrap();
            let page: Vec<String> = page.into_iter().map(|r| r.key).collect();
            let want_page: Vec<String> =
                want.iter().skip(offset as usize).take(limit as usize).cloned().collect();
            prop_assert_eq!(
                page,
                want_page,
                "page {} {} of filters {:?} sort {:?}",
                offset,
                limit,
                filters,
                sort
            );
            prop_assert_eq!(total as usize, want.len());
            Ok::<(), TestCaseError>(())
        })
    });
    if let Err(e) = result {
        panic!("{} differential: {e}", backend.name());
    }
    let selective = selective.into_inner();
    eprintln!(
        "{} differential: {cases} cases, {selective} selected some but not all children",
        backend.name()
    );
    assert!(
        selective * 8 >= cases as usize,
        "too few selective cases ({selective}): the generators need tuning"
    );
}
