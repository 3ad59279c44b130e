//! Container trees: nodes with JSON metadata and specs, holding arrays, tables, datasets
//! and other containers. Container encoders (JSON metadata trees, HDF5) walk this.
//!
//! ```
//! use tessera_core::{NdArray, container::{ContainerTree, Node, NodeInfo}};
//! let mut root = ContainerTree::default();
//! root.children.insert("pi".into(), Node::Array {
//!     info: NodeInfo::default(),
//!     data: NdArray::from_vec(vec![], vec![3.14f64]).unwrap(),
//!     dims: None,
//! });
//! assert_eq!(root.select(&["pi".into(), "nope".into()]).children.len(), 1);
//! ```

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::array::NdArray;
use crate::dataset::Dataset;
use crate::table::Table;

/// Metadata and specs of one node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeInfo {
    /// The node's metadata (a JSON object).
    pub metadata: Map<String, Value>,
    /// Spec names (`dataframe`, `xarray_dataset`, ...).
    pub specs: Vec<String>,
}

/// One child of a container.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Node {
    /// An n-d array.
    Array {
        /// Metadata and specs.
        info: NodeInfo,
        /// The values.
        data: NdArray,
        /// Dimension names, if any.
        dims: Option<Vec<String>>,
    },
    /// A table.
    Table {
        /// Metadata and specs.
        info: NodeInfo,
        /// The rows.
        table: Table,
    },
    /// An xarray dataset.
    Dataset {
        /// Metadata and specs.
        info: NodeInfo,
        /// The variables.
        dataset: Dataset,
    },
    /// A nested container.
    Container(ContainerTree),
}

impl Node {
    /// The node's metadata and specs.
    pub fn info(&self) -> &NodeInfo {
        match self {
            Node::Array { info, .. } | Node::Table { info, .. } | Node::Dataset { info, .. } => info,
            Node::Container(c) => &c.info,
        }
    }
}

/// A container and everything below it.
#[derive(Debug, Clone, Default)]
pub struct ContainerTree {
    /// The container's own metadata and specs.
    pub info: NodeInfo,
    /// Children in order.
    pub children: IndexMap<String, Node>,
}

impl ContainerTree {
    /// The tree with only the named children (all when `fields` is empty). Unknown names
    /// are ignored, as Tiled does for `field=`.
    pub fn select(&self, fields: &[String]) -> ContainerTree {
        if fields.is_empty() {
            return self.clone();
        }
        ContainerTree {
            info: self.info.clone(),
            children: self
                .children
                .iter()
                .filter(|(k, _)| fields.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}
