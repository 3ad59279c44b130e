//! Container trees as JSON: the metadata of every node, without data.

use serde_json::{Map, Value};
use tessera_core::container::{ContainerTree, Node};

/// The JSON form of a container tree: `{"contents": {child: ...}, "metadata": {...}}` for
/// the container and, recursively, for every node below it (Tiled's container export).
/// Arrays and tables have empty `contents`; a dataset lists its variables (coordinates
/// first), each with metadata `{"attrs": ...}` as Tiled's xarray adapter gives them.
///
/// ```
/// use tessera_core::{NdArray, container::{ContainerTree, Node, NodeInfo}};
/// let mut root = ContainerTree::default();
/// root.info.metadata.insert("color".into(), "green".into());
/// root.children.insert("pi".into(), Node::Array {
///     info: NodeInfo::default(),
///     data: NdArray::from_vec(vec![], vec![3.14f64]).unwrap(),
///     dims: None,
/// });
/// assert_eq!(
///     tessera_json::container_value(&root).to_string(),
///     r#"{"contents":{"pi":{"contents":{},"metadata":{}}},"metadata":{"color":"green"}}"#
/// );
/// ```
pub fn container_value(tree: &ContainerTree) -> Value {
    let contents: Map<String, Value> =
        tree.children.iter().map(|(k, n)| (k.clone(), node_value(n))).collect();
    entry(contents, Value::Object(tree.info.metadata.clone()))
}

fn entry(contents: Map<String, Value>, metadata: Value) -> Value {
    let mut m = Map::with_capacity(2);
    m.insert("contents".into(), Value::Object(contents));
    m.insert("metadata".into(), metadata);
    Value::Object(m)
}

fn node_value(node: &Node) -> Value {
    match node {
        Node::Container(c) => container_value(c),
        Node::Dataset { info, dataset } => {
            let vars = dataset
                .variables()
                .map(|(name, v)| {
                    let mut meta = Map::new();
                    meta.insert("attrs".into(), Value::Object(v.attrs.clone()));
                    (name.clone(), entry(Map::new(), Value::Object(meta)))
                })
                .collect();
            entry(vars, Value::Object(info.metadata.clone()))
        }
        other => entry(Map::new(), Value::Object(other.info().metadata.clone())),
    }
}
