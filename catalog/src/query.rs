//! Tiled's metadata search conditions and sort keys, as data: what a catalog evaluates.
//!
//! The server parses them from `filter[<name>][condition][<field>]=...` parameters and
//! evaluates them over in-memory trees; [`crate`]'s SQL catalog translates them to SQL. Both
//! must give the same results (shared test cases in the server's tests).
//!
//! ```
//! use tessera_catalog::query::{Filter, SortKey};
//! let f = Filter::Eq("color".into(), serde_json::json!("green"));
//! assert!(matches!(f, Filter::Eq(ref k, _) if k == "color"));
//! let s = SortKey { key: "_".into(), descending: true };
//! assert!(s.descending);
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;

use indexmap::IndexMap;
use regex::Regex;
use serde_json::{Map, Value};

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

/// A query that cannot be parsed: the client's mistake (the server answers 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// What a search looks at in one child: its key, structure family, specs and metadata.
pub trait Candidate {
    /// The child's key in its container.
    fn key(&self) -> &str;
    /// `container`, `array` or `table`.
    fn family(&self) -> &str;
    /// Spec names.
    fn specs(&self) -> &[String];
    /// The metadata object.
    fn metadata(&self) -> &Map<String, Value>;
}

/// Comparison operators of `Key(...) > v` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
}

/// One search condition.
#[derive(Debug, Clone)]
pub enum Filter {
    /// The metadata value equals `value`.
    Eq(String, Value),
    /// The metadata value is present and differs from `value`.
    NotEq(String, Value),
    /// The metadata value compares to `value` by `op`.
    Comparison(Op, String, Value),
    /// The metadata value is a list containing `value`.
    Contains(String, Value),
    /// The metadata value is one of `values`.
    In(String, Vec<Value>),
    /// The metadata value is none of `values` (an empty list matches everything).
    NotIn(String, Vec<Value>),
    /// Any word of the text equals any word of any string in the metadata (case-insensitive).
    FullText(Vec<String>),
    /// A string metadata value matches the pattern somewhere. The SQL catalog evaluates
    /// `Regex::as_str()`, so build case-insensitive patterns with an inline `(?i)` (as
    /// [`parse_filters`] does), not with `RegexBuilder` flags.
    Regex(String, Regex),
    /// The key is present (`true`) or absent (`false`).
    KeyPresent(String, bool),
    /// A string metadata value matches the SQL `LIKE` pattern (as a whole-string regex).
    Like(String, Regex),
    /// Every spec of `include` and none of `exclude`.
    Specs(Vec<String>, Vec<String>),
    /// The node's structure family.
    StructureFamily(String),
    /// The child's key is one of these.
    Keys(Vec<String>),
    /// The child's key is exactly this.
    Lookup(String),
    /// Access tags: no access policy here, so it matches everything.
    AccessTags,
}

/// One `sort=` key: `_` (or empty) is the natural order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Metadata key (dotted), or `_` for the natural order.
    pub key: String,
    /// `-` prefix.
    pub descending: bool,
}
fn bad(msg: impl Into<String>) -> QueryError {
    QueryError(msg.into())
}

fn json_value(name: &str, field: &str, raw: &str) -> Result<Value, QueryError> {
    serde_json::from_str(raw).map_err(|_| {
        bad(format!("filter[{name}][condition][{field}] must be JSON (a quoted string, a number, a list...), got {raw:?}"))
    })
}

fn json_list(name: &str, field: &str, raw: &str) -> Result<Vec<Value>, QueryError> {
    match json_value(name, field, raw)? {
        Value::Array(v) => Ok(v),
        other => Err(bad(format!("filter[{name}][condition][{field}] must be a JSON list, got {other}"))),
    }
}

fn json_strings(name: &str, field: &str, raw: &str) -> Result<Vec<String>, QueryError> {
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

fn boolean(name: &str, field: &str, raw: &str) -> Result<bool, QueryError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(bad(format!("filter[{name}][condition][{field}] must be true or false, got {raw:?}"))),
    }
}

fn like_regex(pattern: &str) -> Result<Regex, QueryError> {
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

/// Parses every `filter[...]` parameter of a query string's decoded pairs (others are
/// ignored).
///
/// # Errors
/// A [`QueryError`] (a client error) for an unknown query type, a missing field or a value that is not the JSON it
/// should be.
pub fn parse_filters<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Result<Vec<Filter>, QueryError> {
    // name -> field -> values in order
    let mut groups: BTreeMap<String, IndexMap<String, Vec<String>>> = BTreeMap::new();
    for (k, v) in pairs {
        let (k, v) = (k.as_ref(), v.as_ref());
        let Some(rest) = k.strip_prefix("filter[") else { continue };
        let parts: Vec<&str> = rest.trim_end_matches(']').split("][").collect();
        let [name, "condition", field] = parts.as_slice() else {
            return Err(bad(format!(
                "malformed filter parameter {k:?}; expected filter[<name>][condition][<field>]"
            )));
        };
        groups
            .entry((*name).to_owned())
            .or_default()
            .entry((*field).to_owned())
            .or_default()
            .push(v.to_owned());
    }
    let mut filters = Vec::new();
    for (name, fields) in groups {
        let count = fields.values().map(Vec::len).max().unwrap_or(0);
        for i in 0..count {
            let get = |field: &str| -> Result<&str, QueryError> {
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
                    // The flag goes into the pattern text (not the builder) so that
                    // `Regex::as_str` is the complete pattern: the SQL catalog hands it to
                    // SQLite's REGEXP, which compiles it with the same `regex` crate.
                    let pattern = get("pattern")?;
                    let pattern = if case_sensitive { pattern.to_owned() } else { format!("(?i){pattern}") };
                    let re = Regex::new(&pattern).map_err(|e| bad(format!("bad regular expression: {e}")))?;
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

/// The full-text words of a metadata object: every lower-cased, whitespace-separated word
/// of every string value at any depth (keys are not words), sorted and deduplicated.
/// [`Filter::FullText`] matches when one of its words is among them; the SQL catalog stores
/// them at insert.
pub fn fulltext_words(metadata: &Map<String, Value>) -> Vec<String> {
    let mut all = Vec::new();
    metadata.values().for_each(|v| collect_words(v, &mut all));
    all.sort_unstable();
    all.dedup();
    all
}

fn collect_words(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(words(s)),
        Value::Array(a) => a.iter().for_each(|v| collect_words(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect_words(v, out)),
        _ => {}
    }
}

impl Filter {
    /// Whether the child `c` satisfies this condition (in memory; the SQL catalog gives
    /// the same answers).
    pub fn matches(&self, c: &impl Candidate) -> bool {
        let md = c.metadata();
        let has_spec = |s: &String| c.specs().iter().any(|x| x == s);
        match self {
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
            Filter::Specs(include, exclude) => include.iter().all(has_spec) && !exclude.iter().any(has_spec),
            Filter::StructureFamily(f) => c.family() == f,
            Filter::Keys(keys) => keys.iter().any(|k| k == c.key()),
            Filter::Lookup(k) => k == c.key(),
            Filter::AccessTags => true,
        }
    }
}

/// Parses the values of `sort=` (repeatable, comma lists allowed; empty entries ignored).
///
/// # Errors
/// A [`QueryError`] when a key appears twice.
pub fn parse_sort<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<SortKey>, QueryError> {
    let mut keys: Vec<SortKey> = Vec::new();
    for raw in values.into_iter().flat_map(|v| v.split(',')) {
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

/// The candidates that match every filter, sorted by `sort` (stable: ties and `_` keep
/// the given order).
pub fn search<C: Candidate>(
    items: impl IntoIterator<Item = C>,
    filters: &[Filter],
    sort: &[SortKey],
) -> Vec<C> {
    let mut found: Vec<(usize, C)> =
        items.into_iter().enumerate().filter(|(_, c)| filters.iter().all(|f| f.matches(c))).collect();
    if !sort.is_empty() {
        found.sort_by(|a, b| {
            for s in sort {
                let reverse = |o: Ordering| if s.descending { o.reverse() } else { o };
                let o = if s.key == "_" {
                    reverse(a.0.cmp(&b.0))
                } else {
                    let (x, y) = (lookup_path(a.1.metadata(), &s.key), lookup_path(b.1.metadata(), &s.key));
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
    found.into_iter().map(|(_, c)| c).collect()
}
