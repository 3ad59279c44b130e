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

use regex::Regex;
use serde_json::Value;

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
    /// A string metadata value matches the pattern somewhere.
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
