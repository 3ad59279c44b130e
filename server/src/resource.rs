//! The JSON documents of Tiled's API: node resources with absolute links
//! (tiled-protocol.md §2.2).

use std::collections::BTreeSet;

use arrow::datatypes::Schema;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::error::AppError;
use crate::query::{QueryParams, percent_encode};
use crate::tree::{Node, NodeKind};

/// Children of an xarray dataset are inlined in its resource up to this many.
const MAX_INLINED: usize = 500;

/// The attribute names `fields=` may select.
pub const FIELD_NAMES: &[&str] = &[
    "metadata",
    "structure_family",
    "structure",
    "count",
    "sorting",
    "specs",
    "data_sources",
    "access_tags",
];

/// Which attributes to include: all, or a subset (possibly empty: id and links only); and
/// whether `data_sources` is filled in (`?include_data_sources=true`) rather than null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    names: Option<BTreeSet<String>>,
    data_sources: bool,
}

impl Fields {
    /// Every attribute (`data_sources` null, as without `include_data_sources`).
    pub fn all() -> Self {
        Fields { names: None, data_sources: false }
    }

    /// Parses repeated `fields=` (an empty value selects nothing) and `include_data_sources`.
    ///
    /// # Errors
    /// 422 for a name that is not an attribute, or an `include_data_sources` that is not a
    /// boolean.
    pub fn parse(q: &QueryParams) -> Result<Self, AppError> {
        let data_sources = match q.first("include_data_sources").map(str::to_ascii_lowercase).as_deref() {
            None | Some("false" | "0" | "no" | "off") => false,
            Some("true" | "1" | "yes" | "on") => true,
            Some(other) => {
                return Err(AppError::invalid_query(
                    "include_data_sources",
                    other,
                    "Input should be a valid boolean, unable to interpret input",
                ));
            }
        };
        if !q.has("fields") {
            return Ok(Fields { names: None, data_sources });
        }
        let mut set = BTreeSet::new();
        for v in q.all("fields").flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
            if !FIELD_NAMES.contains(&v) {
                return Err(AppError::invalid_query(
                    "fields",
                    v,
                    format!(
                        "Input should be {}",
                        FIELD_NAMES.iter().map(|f| format!("'{f}'")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            set.insert(v.to_owned());
        }
        Ok(Fields { names: Some(set), data_sources })
    }

    /// True when `name` is included.
    pub fn has(&self, name: &str) -> bool {
        self.names.as_ref().is_none_or(|s| s.contains(name))
    }

    /// True when the node's data sources are to be listed.
    pub fn data_sources(&self) -> bool {
        self.data_sources && self.has("data_sources")
    }

    /// True for `fields=count` alone (a count-only search).
    pub fn is_count_only(&self) -> bool {
        self.names.as_ref().is_some_and(|s| s.len() == 1 && s.contains("count"))
    }
}

/// The base of every link: `<scheme>://<host>/api/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base(pub String);

impl Base {
    /// From the request's `Host` (and `X-Forwarded-Proto`).
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or("localhost");
        let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
            Some("https") => "https",
            _ => "http",
        };
        Base(format!("{scheme}://{host}/api/v1"))
    }

    /// `<base>/<endpoint>/<path>` (`<base>/<endpoint>/` for the root).
    pub fn link(&self, endpoint: &str, path: &[String]) -> String {
        let encoded: Vec<String> = path.iter().map(|s| percent_encode(s)).collect();
        format!("{}/{endpoint}/{}", self.0, encoded.join("/"))
    }
}

/// Tiled's `arrow_schema`: the encapsulated IPC schema message, base64, as a data URI.
pub fn arrow_schema_uri(schema: &Schema) -> String {
    use arrow_ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteOptions, write_message};
    let options = IpcWriteOptions::default();
    let mut dictionaries = DictionaryTracker::new(false);
    let encoded = IpcDataGenerator::default().schema_to_bytes_with_dictionary_tracker(
        schema,
        &mut dictionaries,
        &options,
    );
    let mut bytes = Vec::new();
    // A schema message has no body, so the only possible error (misaligned body) cannot occur.
    let _ = write_message(&mut bytes, encoded, &options);
    format!(
        "data:application/vnd.apache.arrow.file;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The `structure` attribute of a node.
pub fn structure(node: &Node, path: &[String], base: &Base) -> Value {
    match &node.kind {
        NodeKind::Array(a) => a.structure().to_wire(),
        NodeKind::Table(t) => {
            let schema = t.schema();
            json!({
                "arrow_schema": arrow_schema_uri(&schema),
                "npartitions": t.npartitions(),
                "columns": schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .filter(|n| !is_pandas_index(n))
                    .collect::<Vec<_>>(),
                "resizable": false,
            })
        }
        NodeKind::Container(children) => {
            let contents = if node.is_dataset() && children.len() <= MAX_INLINED {
                let inlined: Map<String, Value> = children
                    .iter()
                    .map(|(k, child)| {
                        let mut p = path.to_vec();
                        p.push(k.clone());
                        (k.clone(), resource(child, &p, base, &Fields::all(), false))
                    })
                    .collect();
                Value::Object(inlined)
            } else {
                Value::Null
            };
            json!({"contents": contents, "count": children.len()})
        }
        NodeKind::Lazy(lazy) => json!({"contents": null, "count": lazy.count()}),
    }
}

/// True for the column name pandas gives an unnamed index (`__index_level_<N>__`): part of
/// a table's schema, not of its `columns` (Tiled lists only data columns).
pub fn is_pandas_index(name: &str) -> bool {
    name.strip_prefix("__index_level_")
        .and_then(|r| r.strip_suffix("__"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The links of a node.
pub fn links(node: &Node, path: &[String], base: &Base) -> Value {
    let self_link = base.link("metadata", path);
    match &node.kind {
        NodeKind::Array(a) => {
            let ndim = a.structure().shape.len();
            let template: Vec<String> = (0..ndim).map(|i| format!("{{{i}}}")).collect();
            json!({
                "self": self_link,
                "full": base.link("array/full", path),
                "block": format!("{}?block={}", base.link("array/block", path), template.join(",")),
            })
        }
        NodeKind::Table(_) => json!({
            "self": self_link,
            "full": base.link("table/full", path),
            "partition": format!("{}?partition={{index}}", base.link("table/partition", path)),
        }),
        NodeKind::Container(_) | NodeKind::Lazy(_) => json!({
            "self": self_link,
            "search": base.link("search", path),
            "search_deep": base.link("search-deep", path),
            "full": base.link("container/full", path),
        }),
    }
}

/// Where a node's data is stored, as Tiled lists it: one data source (structure, media type,
/// assets) for a node of the catalog, none for data generated or held in memory.
fn data_sources(node: &Node) -> Value {
    let source = match &node.kind {
        NodeKind::Array(a) => a.data_source(),
        NodeKind::Table(t) => t.data_source(),
        NodeKind::Container(_) | NodeKind::Lazy(_) => None,
    };
    Value::Array(source.into_iter().collect())
}

/// A node resource: `{"id", "attributes", "links", "meta"}`.
pub fn resource(node: &Node, path: &[String], base: &Base, fields: &Fields, omit_links: bool) -> Value {
    let id = path.last().cloned().unwrap_or_default();
    let ancestors = &path[..path.len().saturating_sub(1)];
    let pick = |name: &str, v: Value| if fields.has(name) { v } else { Value::Null };
    let sorting = match node.kind {
        NodeKind::Container(_) | NodeKind::Lazy(_) => json!([{"key": "_", "direction": 1}]),
        _ => Value::Null,
    };
    let specs: Vec<Value> = node.specs.iter().map(|s| json!({"name": s, "version": null})).collect();
    let attributes = json!({
        "ancestors": ancestors,
        "structure_family": pick("structure_family", Value::from(node.family())),
        "specs": pick("specs", Value::from(specs)),
        "metadata": pick("metadata", Value::Object(node.metadata.clone())),
        "structure": if fields.has("structure") { structure(node, path, base) } else { Value::Null },
        "access_tags": null,
        "sorting": pick("sorting", sorting),
        "data_sources": if fields.data_sources() { data_sources(node) } else { Value::Null },
    });
    let links = if omit_links { Value::Null } else { links(node, path, base) };
    json!({"id": id, "attributes": attributes, "links": links, "meta": null})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn schema_message_reads_back() {
        let t = crate::demo::short_table();
        let uri = arrow_schema_uri(t.schema());
        let b64 = uri.strip_prefix("data:application/vnd.apache.arrow.file;base64,").unwrap();
        assert!(b64.starts_with("/////"));
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        let schema = arrow_ipc::convert::try_schema_from_ipc_buffer(&bytes).unwrap();
        assert_eq!(&schema, t.schema().as_ref());
    }

    #[test]
    fn fields_parse() {
        let f = |q: &str| Fields::parse(&QueryParams::parse(Some(q)));
        assert!(f("").unwrap().has("metadata"));
        assert!(!f("fields=").unwrap().has("metadata"));
        assert!(f("fields=count").unwrap().is_count_only());
        assert!(f("fields=metadata&fields=specs").unwrap().has("specs"));
        assert_eq!(f("fields=nope").unwrap_err().status(), 422);
        assert!(!f("").unwrap().data_sources());
        assert!(f("include_data_sources=true").unwrap().data_sources());
        assert!(!f("include_data_sources=true&fields=metadata").unwrap().data_sources());
        assert_eq!(f("include_data_sources=maybe").unwrap_err().status(), 422);
    }

    #[test]
    fn data_sources_are_listed_on_request() {
        let base = Base("http://h:1/api/v1".into());
        let root = crate::demo::tree();
        let path = vec!["medium_image".to_owned()];
        let node = root.lookup(&path).unwrap();
        let r = resource(&node, &path, &base, &Fields::all(), false);
        assert_eq!(r["attributes"]["data_sources"], Value::Null);
        let q = QueryParams::parse(Some("include_data_sources=true"));
        let r = resource(&node, &path, &base, &Fields::parse(&q).unwrap(), false);
        assert_eq!(r["attributes"]["data_sources"], json!([]), "generated data has no data source");
    }

    #[test]
    fn links_are_absolute_templates() {
        let base = Base("http://h:1/api/v1".into());
        let root = crate::demo::tree();
        let path = vec!["medium_image".to_owned()];
        let node = root.lookup(&path).unwrap();
        let r = resource(&node, &path, &base, &Fields::all(), false);
        assert_eq!(r["links"]["block"], "http://h:1/api/v1/array/block/medium_image?block={0},{1}");
        assert_eq!(r["attributes"]["structure"]["resizable"], false);
        assert_eq!(base.link("metadata", &[]), "http://h:1/api/v1/metadata/");
    }
}
