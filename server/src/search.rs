//! Tiled's search queries (`filter[<name>][condition][<field>]=...`) and sorting, over a
//! container's children.
//!
//! Semantics follow Tiled's in-memory `MapAdapter` (tiled-protocol.md §3): metadata keys
//! are dotted paths into nested objects; a missing key never matches (except `keypresent`
//! with `exists=false`, and an empty `notin`); several filters combine with AND. Repeated
//! filters of one type pair their fields by position.
//!
//! ```
//! use tessera_server::{query::QueryParams, search::{parse_filters, parse_sort, search}};
//! let root = tessera_server::demo::tree();
//! let q = QueryParams::parse(Some(
//!     "filter[eq][condition][key]=color&filter[eq][condition][value]=%22green%22&sort=-_",
//! ));
//! let found = search(root.children().unwrap(), &parse_filters(&q).unwrap(), &parse_sort(&q).unwrap());
//! assert!(found.iter().any(|(k, _)| k == "medium_image"));
//! assert!(found.iter().all(|(_, n)| n.metadata["color"] == "green"));
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;
use regex::Regex;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::query::QueryParams;
use crate::tree::Node;

pub use tessera_catalog::query::{Filter, Op, SortKey};

/// The query names advertised in `/api/v1/` `queries`.
pub const QUERY_NAMES: &[&str] = &[
    "fulltext",
    "lookup",
    "keys_filter",
    "regex",
    "eq",
    "noteq",
    "comparison",
    "contains",
    "in",
    "notin",
    "keypresent",
    "like",
    "specs",
    "access_tags_filter",
    "structure_family",
];

fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

fn json_value(name: &str, field: &str, raw: &str) -> Result<Value, AppError> {
    serde_json::from_str(raw).map_err(|_| {
        bad(format!("filter[{name}][condition][{field}] must be JSON (a quoted string, a number, a list...), got {raw:?}"))
    })
}

fn json_list(name: &str, field: &str, raw: &str) -> Result<Vec<Value>, AppError> {
    match json_value(name, field, raw)? {
        Value::Array(v) => Ok(v),
        other => Err(bad(format!("filter[{name}][condition][{field}] must be a JSON list, got {other}"))),
    }
}

fn json_strings(name: &str, field: &str, raw: &str) -> Result<Vec<String>, AppError> {
    json_list(name, field, raw)?
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            other => Err(bad(format!("filter[{name}][condition][{field}] must list strings, got {other}"))),
        })
        .collect()
}

/// A JSON string if it parses as one, else the raw text (for fields that clients send
/// either way).
fn plain_or_json_str(raw: &str) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::String(s)) => s,
        _ => raw.to_owned(),
    }
}

fn boolean(name: &str, field: &str, raw: &str) -> Result<bool, AppError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(bad(format!("filter[{name}][condition][{field}] must be true or false, got {raw:?}"))),
    }
}

fn like_regex(pattern: &str) -> Result<Regex, AppError> {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| bad(format!("bad LIKE pattern: {e}")))
}

/// Parses every `filter[...]` parameter.
///
/// # Errors
/// 400 for an unknown query type, a missing field or a value that is not the JSON it
/// should be.
pub fn parse_filters(q: &QueryParams) -> Result<Vec<Filter>, AppError> {
    // name -> field -> values in order
    let mut groups: BTreeMap<String, IndexMap<String, Vec<String>>> = BTreeMap::new();
    for (k, v) in q.pairs() {
        let Some(rest) = k.strip_prefix("filter[") else { continue };
        let parts: Vec<&str> = rest.trim_end_matches(']').split("][").collect();
        let [name, "condition", field] = parts.as_slice() else {
            return Err(bad(format!(
                "malformed filter parameter {k:?}; expected filter[<name>][condition][<field>]"
            )));
        };
        groups.entry((*name).to_owned()).or_default().entry((*field).to_owned()).or_default().push(v.clone());
    }
    let mut filters = Vec::new();
    for (name, fields) in groups {
        let count = fields.values().map(Vec::len).max().unwrap_or(0);
        for i in 0..count {
            let get = |field: &str| -> Result<&str, AppError> {
                fields.get(field).and_then(|v| v.get(i)).map(String::as_str).ok_or_else(|| {
                    bad(format!("filter[{name}] is missing filter[{name}][condition][{field}]"))
                })
            };
            let n = name.as_str();
            let f = match n {
                "eq" => Filter::Eq(get("key")?.to_owned(), json_value(n, "value", get("value")?)?),
                "noteq" => Filter::NotEq(get("key")?.to_owned(), json_value(n, "value", get("value")?)?),
                "comparison" => {
                    let op = match get("operator")? {
                        "gt" => Op::Gt,
                        "lt" => Op::Lt,
                        "ge" => Op::Ge,
                        "le" => Op::Le,
                        other => {
                            return Err(bad(format!(
                                "comparison operator must be gt, lt, ge or le, got {other:?}"
                            )));
                        }
                    };
                    Filter::Comparison(op, get("key")?.to_owned(), json_value(n, "value", get("value")?)?)
                }
                "contains" => {
                    Filter::Contains(get("key")?.to_owned(), json_value(n, "value", get("value")?)?)
                }
                "in" => Filter::In(get("key")?.to_owned(), json_list(n, "value", get("value")?)?),
                "notin" => Filter::NotIn(get("key")?.to_owned(), json_list(n, "value", get("value")?)?),
                "fulltext" => Filter::FullText(words(get("text")?)),
                "regex" => {
                    let case_sensitive = match fields.get("case_sensitive").and_then(|v| v.get(i)) {
                        Some(v) => boolean(n, "case_sensitive", v)?,
                        None => true,
                    };
                    let re = regex::RegexBuilder::new(get("pattern")?)
                        .case_insensitive(!case_sensitive)
                        .build()
                        .map_err(|e| bad(format!("bad regular expression: {e}")))?;
                    Filter::Regex(get("key")?.to_owned(), re)
                }
                "keypresent" => {
                    Filter::KeyPresent(get("key")?.to_owned(), boolean(n, "exists", get("exists")?)?)
                }
                "like" => {
                    Filter::Like(get("key")?.to_owned(), like_regex(&plain_or_json_str(get("pattern")?))?)
                }
                "specs" => Filter::Specs(
                    json_strings(n, "include", get("include").unwrap_or("[]"))?,
                    json_strings(n, "exclude", get("exclude").unwrap_or("[]"))?,
                ),
                "structure_family" => Filter::StructureFamily(plain_or_json_str(get("value")?)),
                "keys_filter" => Filter::Keys(json_strings(n, "keys", get("keys")?)?),
                "lookup" => Filter::Lookup(get("key")?.to_owned()),
                "access_tags_filter" => Filter::AccessTags,
                other => {
                    return Err(bad(format!(
                        "unsupported query type {other:?}; supported: {}",
                        QUERY_NAMES.join(", ")
                    )));
                }
            };
            filters.push(f);
        }
    }
    Ok(filters)
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// The metadata value at a dotted path.
pub fn lookup_path<'a>(metadata: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut v = metadata.get(parts.next()?)?;
    for p in parts {
        v = v.as_object()?.get(p)?;
    }
    Some(v)
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64() == y.as_f64() && (x.as_i64() == y.as_i64() || x.is_f64() || y.is_f64())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        _ => a == b,
    }
}

fn json_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn collect_words(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(words(s)),
        Value::Array(a) => a.iter().for_each(|v| collect_words(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect_words(v, out)),
        _ => {}
    }
}

/// Whether the child `key` → `node` satisfies `filter`.
pub fn matches(filter: &Filter, key: &str, node: &Node) -> bool {
    let md = &node.metadata;
    match filter {
        Filter::Eq(k, v) => lookup_path(md, k).is_some_and(|m| json_eq(m, v)),
        Filter::NotEq(k, v) => lookup_path(md, k).is_some_and(|m| !json_eq(m, v)),
        Filter::Comparison(op, k, v) => {
            lookup_path(md, k).and_then(|m| json_cmp(m, v)).is_some_and(|o| match op {
                Op::Gt => o == Ordering::Greater,
                Op::Lt => o == Ordering::Less,
                Op::Ge => o != Ordering::Less,
                Op::Le => o != Ordering::Greater,
            })
        }
        Filter::Contains(k, v) => {
            lookup_path(md, k).and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| json_eq(x, v)))
        }
        Filter::In(k, vs) => lookup_path(md, k).is_some_and(|m| vs.iter().any(|v| json_eq(m, v))),
        Filter::NotIn(k, vs) => {
            vs.is_empty() || lookup_path(md, k).is_some_and(|m| !vs.iter().any(|v| json_eq(m, v)))
        }
        Filter::FullText(q) => {
            let mut all = Vec::new();
            md.values().for_each(|v| collect_words(v, &mut all));
            q.iter().any(|w| all.contains(w))
        }
        Filter::Regex(k, re) | Filter::Like(k, re) => {
            lookup_path(md, k).and_then(Value::as_str).is_some_and(|s| re.is_match(s))
        }
        Filter::KeyPresent(k, exists) => lookup_path(md, k).is_some() == *exists,
        Filter::Specs(include, exclude) => {
            include.iter().all(|s| node.has_spec(s)) && !exclude.iter().any(|s| node.has_spec(s))
        }
        Filter::StructureFamily(f) => node.family() == f,
        Filter::Keys(keys) => keys.iter().any(|k| k == key),
        Filter::Lookup(k) => k == key,
        Filter::AccessTags => true,
    }
}

/// Parses `sort=` (repeatable, comma lists allowed; empty entries ignored).
///
/// # Errors
/// 400 when a key appears twice.
pub fn parse_sort(q: &QueryParams) -> Result<Vec<SortKey>, AppError> {
    let mut keys: Vec<SortKey> = Vec::new();
    for raw in q.all("sort").flat_map(|v| v.split(',')) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let (descending, key) = match raw.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, raw.strip_prefix('+').unwrap_or(raw)),
        };
        let key = if key.is_empty() { "_" } else { key };
        if keys.iter().any(|k| k.key == key) {
            return Err(bad(format!("sort key {key:?} is given more than once")));
        }
        keys.push(SortKey { key: key.to_owned(), descending });
    }
    Ok(keys)
}

fn type_rank(v: &Value) -> u8 {
    match v {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

fn sort_cmp(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => type_rank(x)
            .cmp(&type_rank(y))
            .then_with(|| json_cmp(x, y).unwrap_or_else(|| x.to_string().cmp(&y.to_string()))),
    }
}

/// The children of a container that match every filter, sorted.
pub fn search(
    children: &IndexMap<String, Arc<Node>>,
    filters: &[Filter],
    sort: &[SortKey],
) -> Vec<(String, Arc<Node>)> {
    let mut found: Vec<(usize, &String, &Arc<Node>)> = children
        .iter()
        .enumerate()
        .filter(|(_, (k, n))| filters.iter().all(|f| matches(f, k, n)))
        .map(|(i, (k, n))| (i, k, n))
        .collect();
    if !sort.is_empty() {
        found.sort_by(|a, b| {
            for s in sort {
                let reverse = |o: Ordering| if s.descending { o.reverse() } else { o };
                let o = if s.key == "_" {
                    reverse(a.0.cmp(&b.0))
                } else {
                    let (x, y) = (lookup_path(&a.2.metadata, &s.key), lookup_path(&b.2.metadata, &s.key));
                    match (x, y) {
                        (Some(_), Some(_)) => reverse(sort_cmp(x, y)),
                        // Missing values stay last in both directions.
                        _ => sort_cmp(x, y),
                    }
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.0.cmp(&b.0)
        });
    }
    found.into_iter().map(|(_, k, n)| (k.clone(), n.clone())).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree() -> IndexMap<String, Arc<Node>> {
        let mk =
            |md: Value, specs: &[&str]| Arc::new(Node::container([]).with_metadata(md).with_specs(specs));
        [
            (
                "a",
                mk(json!({"color": "green", "n": 1, "tags": ["x", "y"], "sample": {"name": "Fe"}}), &["s1"]),
            ),
            ("b", mk(json!({"color": "red", "n": 2.5, "text": "Hello World"}), &[])),
            ("c", mk(json!({"color": "green", "n": 3}), &["s1", "s2"])),
            ("d", mk(json!({}), &[])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn keys(q: &str) -> Vec<String> {
        let q = QueryParams::parse(Some(q));
        search(&tree(), &parse_filters(&q).unwrap(), &parse_sort(&q).unwrap())
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    fn err(q: &str) -> String {
        let q = QueryParams::parse(Some(q));
        parse_filters(&q).and_then(|_| parse_sort(&q)).unwrap_err().to_string()
    }

    #[test]
    fn every_query_type() {
        let f = |name: &str, rest: &str| {
            rest.split('&').map(|kv| format!("filter[{name}][condition][{kv}")).collect::<Vec<_>>().join("&")
        };
        assert_eq!(keys(&f("eq", "key]=color&value]=\"green\"")), ["a", "c"]);
        assert_eq!(keys(&f("eq", "key]=n&value]=1.0")), ["a"]);
        assert_eq!(keys(&f("eq", "key]=sample.name&value]=\"Fe\"")), ["a"]);
        assert_eq!(keys(&f("noteq", "key]=color&value]=\"green\"")), ["b"]);
        assert_eq!(keys(&f("comparison", "operator]=gt&key]=n&value]=1")), ["b", "c"]);
        assert_eq!(keys(&f("comparison", "operator]=le&key]=n&value]=2.5")), ["a", "b"]);
        assert_eq!(keys(&f("contains", "key]=tags&value]=\"y\"")), ["a"]);
        assert_eq!(keys(&f("in", "key]=color&value]=[\"red\", \"blue\"]")), ["b"]);
        assert_eq!(keys(&f("notin", "key]=color&value]=[\"red\"]")), ["a", "c"]);
        assert_eq!(keys(&f("notin", "key]=color&value]=[]")), ["a", "b", "c", "d"]);
        assert_eq!(keys(&f("fulltext", "text]=world%20nothing")), ["b"]);
        assert_eq!(keys(&f("regex", "key]=color&pattern]=^GR&case_sensitive]=false")), ["a", "c"]);
        assert_eq!(keys(&f("regex", "key]=color&pattern]=^GR&case_sensitive]=true")), Vec::<String>::new());
        assert_eq!(keys(&f("keypresent", "key]=text&exists]=true")), ["b"]);
        assert_eq!(keys(&f("keypresent", "key]=color&exists]=false")), ["d"]);
        assert_eq!(keys(&f("like", "key]=color&pattern]=\"g%25n\"")), ["a", "c"]);
        assert_eq!(keys(&f("like", "key]=color&pattern]=\"r_d\"")), ["b"]);
        assert_eq!(keys(&f("specs", "include]=[\"s1\"]&exclude]=[\"s2\"]")), ["a"]);
        assert_eq!(keys(&f("structure_family", "value]=container")), ["a", "b", "c", "d"]);
        assert_eq!(keys(&f("structure_family", "value]=array")), Vec::<String>::new());
        assert_eq!(keys(&f("keys_filter", "keys]=[\"a\", \"d\"]")), ["a", "d"]);
        assert_eq!(keys(&f("lookup", "key]=c")), ["c"]);
        // Two filters of one type pair by position, and everything combines with AND.
        let two = "filter[eq][condition][key]=color&filter[eq][condition][key]=n&filter[eq][condition][value]=%22green%22&filter[eq][condition][value]=3";
        assert_eq!(keys(two), ["c"]);
    }

    #[test]
    fn sorting() {
        assert_eq!(keys("sort=-_"), ["d", "c", "b", "a"]);
        assert_eq!(keys("sort=-"), ["d", "c", "b", "a"]);
        assert_eq!(keys("sort=n"), ["a", "b", "c", "d"]);
        assert_eq!(keys("sort=-n"), ["c", "b", "a", "d"]);
        assert_eq!(keys("sort=color,-n"), ["c", "a", "b", "d"]);
        assert_eq!(keys("sort="), ["a", "b", "c", "d"]);
    }

    #[test]
    fn errors_are_400() {
        assert!(err("filter[eq][condition][key]=color&filter[eq][condition][value]=green").contains("JSON"));
        assert!(err("filter[nope][condition][key]=x").contains("unsupported"));
        assert!(err("filter[eq][condition][key]=color").contains("missing"));
        assert!(err("filter[eq]=x").contains("malformed"));
        assert!(err("sort=a&sort=-a").contains("more than once"));
        assert!(
            err("filter[regex][condition][key]=a&filter[regex][condition][pattern]=(").contains("regular")
        );
    }
}
