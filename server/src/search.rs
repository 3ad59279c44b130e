//! Tiled's search queries (`filter[<name>][condition][<field>]=...`) and sorting, over an
//! in-memory container's children.
//!
//! The query language itself (parsing and semantics) lives in [`tessera_catalog::query`],
//! shared with the SQL catalog; this module adapts it to [`QueryParams`], [`AppError`] and
//! [`Node`].
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

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Value};
use tessera_catalog::query::{self, Candidate};

use crate::error::AppError;
use crate::query::QueryParams;
use crate::tree::Node;

pub use tessera_catalog::query::{Filter, Op, QUERY_NAMES, SortKey, lookup_path};

/// Parses every `filter[...]` parameter.
///
/// # Errors
/// 400 for an unknown query type, a missing field or a value that is not the JSON it
/// should be.
pub fn parse_filters(q: &QueryParams) -> Result<Vec<Filter>, AppError> {
    query::parse_filters(q.pairs()).map_err(|e| AppError::BadRequest(e.0))
}

/// Parses `sort=` (repeatable, comma lists allowed; empty entries ignored).
///
/// # Errors
/// 400 when a key appears twice.
pub fn parse_sort(q: &QueryParams) -> Result<Vec<SortKey>, AppError> {
    query::parse_sort(q.all("sort")).map_err(|e| AppError::BadRequest(e.0))
}

struct Child<'a>(&'a String, &'a Arc<Node>);

impl Candidate for Child<'_> {
    fn key(&self) -> &str {
        self.0
    }
    fn family(&self) -> &str {
        self.1.family()
    }
    fn specs(&self) -> &[String] {
        &self.1.specs
    }
    fn metadata(&self) -> &Map<String, Value> {
        &self.1.metadata
    }
}

/// The children of a container that match every filter, sorted.
pub fn search(
    children: &IndexMap<String, Arc<Node>>,
    filters: &[Filter],
    sort: &[SortKey],
) -> Vec<(String, Arc<Node>)> {
    query::search(children.iter().map(|(k, n)| Child(k, n)), filters, sort)
        .into_iter()
        .map(|Child(k, n)| (k.clone(), n.clone()))
        .collect()
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
