//! The tree of nodes a server serves: containers, arrays and tables, each with metadata
//! and specs.
//!
//! Data is read on demand through [`ArrayData`] and [`TableData`], so a node may be far
//! larger than memory (the demo's `big_image` is generated block by block and never held
//! whole). [`SlicedSource`] adapts a node plus a numpy selection to the encoders'
//! [`ArraySource`], reading the selection in slabs of output rows.
//!
//! ```
//! use std::sync::Arc;
//! use tessera_core::{NdArray, slice::SliceSpec};
//! use tessera_server::tree::{MemArray, Node, SlicedSource};
//! use tessera_core::ArraySource;
//!
//! let a = NdArray::from_vec(vec![3, 4], (0..12i32).collect()).unwrap();
//! let node = Node::array(MemArray::new(a));
//! let root = Arc::new(Node::container([("a".to_owned(), Arc::new(node))]));
//! let found = root.lookup(&["a".to_owned()]).unwrap();
//! let data = found.as_array().unwrap().clone();
//! let sel = SliceSpec::parse("1:,::2").unwrap().resolve(&[3, 4]).unwrap();
//! let src = SlicedSource::new(data, sel);
//! assert_eq!(src.shape(), &[2, 2]);
//! assert_eq!(src.read_rows(1..2).unwrap().as_slice::<i32>().unwrap(), &[8, 10]);
//! ```

use std::ops::Range;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use futures::future::BoxFuture;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use tessera_core::array::byte_count;
use tessera_core::slice::{DimSelection, Selection};
use tessera_core::table::BatchStream;
use tessera_core::{ArraySource, ArrayStructure, DataType, EncodeError, NdArray, Table};

use crate::error::AppError;
use crate::search::{Filter, SortKey};

/// An array node's data, read by rectangular regions.
pub trait ArrayData: Send + Sync {
    /// Type, shape, chunks and dims.
    fn structure(&self) -> &ArrayStructure;

    /// The C-order elements of the box `ranges` (one half-open range per dimension, within
    /// the shape; empty for a 0-d array).
    ///
    /// # Errors
    /// Whatever producing the data fails with.
    fn read_box(&self, ranges: &[Range<usize>]) -> Result<NdArray, EncodeError>;

    /// Where the data is stored, as a Tiled data source (`?include_data_sources=true`);
    /// `None` for data generated or held in memory.
    fn data_source(&self) -> Option<serde_json::Value> {
        None
    }

    /// Partition `i` as a stored Parquet file holding exactly [`TableData::partition`]'s
    /// rows and columns (opened, so a concurrent rewrite does not change it), when the data is
    /// stored so: a Parquet export of the whole partition can send it as it is.
    fn stored_parquet(&self, _i: usize) -> Option<std::fs::File> {
        None
    }
}

/// A table node's data: a schema and partitions of record batches, read on demand.
pub trait TableData: Send + Sync {
    /// The schema of every batch.
    fn schema(&self) -> SchemaRef;
    /// Number of partitions.
    fn npartitions(&self) -> usize;
    /// The batches of partition `i` (`i < npartitions()`).
    fn partition(&self, i: usize) -> Box<dyn BatchStream>;
    /// Approximate size in memory of the whole table, for limits.
    fn byte_size(&self) -> u64;

    /// Where the data is stored, as a Tiled data source (`?include_data_sources=true`);
    /// `None` for data generated or held in memory.
    fn data_source(&self) -> Option<serde_json::Value> {
        None
    }

    /// Partition `i` as a stored Parquet file holding exactly [`TableData::partition`]'s
    /// rows and columns (opened, so a concurrent rewrite does not change it), when the data is
    /// stored so: a Parquet export of the whole partition can send it as it is.
    fn stored_parquet(&self, _i: usize) -> Option<std::fs::File> {
        None
    }
}

/// What a node is.
#[derive(Clone)]
#[non_exhaustive]
pub enum NodeKind {
    /// A container of named children, in order.
    Container(IndexMap<String, Arc<Node>>),
    /// An n-d array.
    Array(Arc<dyn ArrayData>),
    /// A table.
    Table(Arc<dyn TableData>),
    /// A container whose children live elsewhere (a SQL catalog) and are fetched on
    /// demand, page by page.
    Lazy(Arc<dyn LazyContainer>),
}

/// A page of a lazy container's children: the total count of matches and the page.
pub type ChildPage = (u64, Vec<(String, Arc<Node>)>);

/// A container whose children are fetched on demand (see [`crate::catalog_tree`]): lookups
/// and searches run where the children are stored (filters, sorting and pagination in SQL).
pub trait LazyContainer: Send + Sync {
    /// Number of children.
    fn count(&self) -> u64;
    /// The child named `key`, if any.
    fn child<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Arc<Node>>, AppError>>;
    /// The children matching every filter, sorted, `offset`/`limit` applied, with the count
    /// of all matches.
    fn search<'a>(
        &'a self,
        filters: &'a [Filter],
        sort: &'a [SortKey],
        offset: u64,
        limit: u64,
    ) -> BoxFuture<'a, Result<ChildPage, AppError>>;
    /// The concrete type, for the write side (which needs the catalog behind the tree).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// One node: metadata, specs and content.
#[derive(Clone)]
pub struct Node {
    /// Metadata (a JSON object).
    pub metadata: Map<String, Value>,
    /// Spec names (`dataframe`, `xarray_dataset`, ...).
    pub specs: Vec<String>,
    /// The content.
    pub kind: NodeKind,
}

/// The spec that makes a container an xarray dataset.
pub const XARRAY_DATASET: &str = "xarray_dataset";

impl Node {
    /// An array node without metadata.
    pub fn array(data: impl ArrayData + 'static) -> Self {
        Node { metadata: Map::new(), specs: Vec::new(), kind: NodeKind::Array(Arc::new(data)) }
    }

    /// A table node without metadata.
    pub fn table(data: impl TableData + 'static) -> Self {
        Node { metadata: Map::new(), specs: Vec::new(), kind: NodeKind::Table(Arc::new(data)) }
    }

    /// A container node without metadata.
    pub fn container(children: impl IntoIterator<Item = (String, Arc<Node>)>) -> Self {
        Node {
            metadata: Map::new(),
            specs: Vec::new(),
            kind: NodeKind::Container(children.into_iter().collect()),
        }
    }

    /// Sets the metadata (a JSON object; anything else is ignored).
    pub fn with_metadata(mut self, metadata: Value) -> Self {
        if let Value::Object(m) = metadata {
            self.metadata = m;
        }
        self
    }

    /// Sets the specs.
    pub fn with_specs(mut self, specs: &[&str]) -> Self {
        self.specs = specs.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Tiled's structure family name.
    pub fn family(&self) -> &'static str {
        match self.kind {
            NodeKind::Container(_) | NodeKind::Lazy(_) => "container",
            NodeKind::Array(_) => "array",
            NodeKind::Table(_) => "table",
        }
    }

    /// True for a container with spec `xarray_dataset`.
    pub fn is_dataset(&self) -> bool {
        matches!(self.kind, NodeKind::Container(_)) && self.has_spec(XARRAY_DATASET)
    }

    /// True when `name` is one of the specs.
    pub fn has_spec(&self, name: &str) -> bool {
        self.specs.iter().any(|s| s == name)
    }

    /// The array data, for an array node.
    pub fn as_array(&self) -> Option<&Arc<dyn ArrayData>> {
        match &self.kind {
            NodeKind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The table data, for a table node.
    pub fn as_table(&self) -> Option<&Arc<dyn TableData>> {
        match &self.kind {
            NodeKind::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The children, for a container node.
    pub fn children(&self) -> Option<&IndexMap<String, Arc<Node>>> {
        match &self.kind {
            NodeKind::Container(c) => Some(c),
            _ => None,
        }
    }

    /// Finds the node at `path` below this one. A table's columns are children too: each is
    /// a 1-D array node.
    ///
    /// # Errors
    /// The index of the first path segment that names nothing.
    pub fn lookup(self: &Arc<Node>, path: &[String]) -> Result<Arc<Node>, usize> {
        let mut current = self.clone();
        for (i, key) in path.iter().enumerate() {
            let next = match &current.kind {
                NodeKind::Container(children) => children.get(key).cloned(),
                NodeKind::Table(t) => column_node(t, key).map(Arc::new),
                NodeKind::Array(_) | NodeKind::Lazy(_) => None,
            };
            current = next.ok_or(i)?;
        }
        Ok(current)
    }

    /// Like [`Node::lookup`], descending into lazy containers too.
    ///
    /// `None` when a segment names nothing.
    ///
    /// # Errors
    /// Fetching a lazy container's child failed.
    pub async fn resolve(self: &Arc<Node>, path: &[String]) -> Result<Option<Arc<Node>>, AppError> {
        let mut current = self.clone();
        for key in path {
            let next = match &current.kind {
                NodeKind::Container(children) => children.get(key).cloned(),
                NodeKind::Table(t) => column_node(t, key).map(Arc::new),
                NodeKind::Array(_) => None,
                NodeKind::Lazy(lazy) => lazy.child(key).await?,
            };
            match next {
                Some(n) => current = n,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// The lazy container, for a catalog container node.
    pub fn as_lazy(&self) -> Option<&Arc<dyn LazyContainer>> {
        match &self.kind {
            NodeKind::Lazy(l) => Some(l),
            _ => None,
        }
    }

    /// This node with every lazy container below it (itself included) fetched into memory
    /// (data stays where it is: arrays and tables are read on demand). For exports of a
    /// whole container.
    ///
    /// # Errors
    /// Fetching children failed.
    pub fn materialize(self: Arc<Node>) -> BoxFuture<'static, Result<Arc<Node>, AppError>> {
        Box::pin(async move {
            let children: Vec<(String, Arc<Node>)> = match &self.kind {
                NodeKind::Lazy(lazy) => {
                    let count = lazy.count();
                    lazy.search(&[], &[], 0, count.max(1)).await?.1
                }
                NodeKind::Container(c) => {
                    if !c.values().any(|n| matches!(n.kind, NodeKind::Lazy(_) | NodeKind::Container(_))) {
                        return Ok(self);
                    }
                    c.iter().map(|(k, n)| (k.clone(), n.clone())).collect()
                }
                _ => return Ok(self),
            };
            let mut out = IndexMap::with_capacity(children.len());
            for (k, child) in children {
                out.insert(k, child.materialize().await?);
            }
            Ok(Arc::new(Node {
                metadata: self.metadata.clone(),
                specs: self.specs.clone(),
                kind: NodeKind::Container(out),
            }))
        })
    }
}

/// Tables larger than this expose no column children (each would be read whole).
const MAX_COLUMN_TABLE_BYTES: u64 = 256 << 20;

/// A table's column as a 1-D array node, or `None` when there is no such column or it has
/// no array form.
fn column_node(table: &Arc<dyn TableData>, name: &str) -> Option<Node> {
    let index = table.schema().index_of(name).ok()?;
    if table.byte_size() > MAX_COLUMN_TABLE_BYTES {
        return None;
    }
    let mut parts = Vec::new();
    for p in 0..table.npartitions() {
        for batch in table.partition(p) {
            parts.push(batch.ok()?.column(index).clone());
        }
    }
    let refs: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
    let column = if refs.is_empty() {
        arrow::array::new_empty_array(table.schema().field(index).data_type())
    } else {
        arrow::compute::concat(&refs).ok()?
    };
    let array = tessera_core::convert::from_arrow(column.as_ref()).ok()?;
    Some(Node::array(MemArray::new(array)))
}

/// The box `ranges` of an in-memory array.
pub fn box_of(a: &NdArray, ranges: &[Range<usize>]) -> NdArray {
    let sel = Selection {
        dims: ranges
            .iter()
            .map(|r| DimSelection { start: r.start, step: 1, len: r.end.saturating_sub(r.start), keep: true })
            .collect(),
    };
    sel.apply(a)
}

/// An array held in memory.
#[derive(Debug, Clone)]
pub struct MemArray {
    data: NdArray,
    structure: ArrayStructure,
}

impl MemArray {
    /// One chunk covering the whole array.
    pub fn new(data: NdArray) -> Self {
        let structure = ArrayStructure::single_chunk(data.data_type().clone(), data.shape().to_vec());
        MemArray { data, structure }
    }

    /// With a given structure (chunks, dims); its type and shape must be the array's.
    ///
    /// # Panics
    /// When the structure does not describe `data` (a programming error in the tree).
    pub fn with_structure(data: NdArray, structure: ArrayStructure) -> Self {
        assert_eq!(&structure.shape, data.shape(), "structure shape");
        assert_eq!(&structure.data_type, data.data_type(), "structure data type");
        MemArray { data, structure }
    }
}

impl ArrayData for MemArray {
    fn structure(&self) -> &ArrayStructure {
        &self.structure
    }
    fn read_box(&self, ranges: &[Range<usize>]) -> Result<NdArray, EncodeError> {
        Ok(box_of(&self.data, ranges))
    }
}

/// A table held in memory.
#[derive(Debug, Clone)]
pub struct MemTable(pub Table);

impl TableData for MemTable {
    fn schema(&self) -> SchemaRef {
        self.0.schema().clone()
    }
    fn npartitions(&self) -> usize {
        self.0.npartitions()
    }
    fn partition(&self, i: usize) -> Box<dyn BatchStream> {
        match self.0.partition(i) {
            Some(p) => Box::new(p),
            None => {
                Box::new(tessera_core::table::IterStream::new(self.0.schema().clone(), std::iter::empty()))
            }
        }
    }
    fn byte_size(&self) -> u64 {
        let mut total = 0u64;
        for p in 0..self.0.npartitions() {
            if let Some(stream) = self.0.partition(p) {
                for b in stream.flatten() {
                    total += b.get_array_memory_size() as u64;
                }
            }
        }
        total
    }
}

/// Every batch of every partition of a table, in order.
pub fn full_stream(table: &Arc<dyn TableData>) -> Box<dyn BatchStream> {
    let t = table.clone();
    let schema = t.schema();
    let n = t.npartitions();
    let batches = (0..n).flat_map(move |i| t.partition(i));
    Box::new(tessera_core::table::IterStream::new(schema, batches))
}

/// A selection of an array node, as an [`ArraySource`] for the encoders: rows of the
/// output are read in slabs, each from the smallest box of the node that holds them.
pub struct SlicedSource {
    data: Arc<dyn ArrayData>,
    selection: Selection,
    shape: Vec<usize>,
}

impl SlicedSource {
    /// The selection `selection` (resolved against the node's shape) of `data`.
    pub fn new(data: Arc<dyn ArrayData>, selection: Selection) -> Self {
        let shape = selection.output_shape();
        SlicedSource { data, selection, shape }
    }

    /// Bytes of the whole selection in memory (for limits).
    pub fn byte_len(&self) -> u64 {
        byte_count(self.data_type(), &self.shape).map_or(u64::MAX, |n| n as u64)
    }
}

impl ArraySource for SlicedSource {
    fn data_type(&self) -> &DataType {
        &self.data.structure().data_type
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn read_rows(&self, rows: Range<usize>) -> Result<NdArray, EncodeError> {
        let dims = &self.selection.dims;
        let first_kept = dims.iter().position(|d| d.keep);
        let rows = match first_kept {
            // 0-d output: one element.
            None => 0..1,
            Some(_) => rows.start.min(self.shape[0])..rows.end.min(self.shape[0]),
        };
        let mut out_shape = self.shape.clone();
        if let Some(first) = out_shape.first_mut() {
            *first = rows.len();
        }
        if out_shape.contains(&0) {
            return NdArray::zeros(self.data_type().clone(), out_shape)
                .map_err(|e| EncodeError::Input(Box::new(e)));
        }
        let mut ranges = Vec::with_capacity(dims.len());
        let mut relative = Vec::with_capacity(dims.len());
        for (i, d) in dims.iter().enumerate() {
            // The indices this dimension contributes: all of them, or only `rows` for the
            // dimension that becomes the output's first axis.
            let (first_i, len) = if Some(i) == first_kept { (rows.start, rows.len()) } else { (0, d.len) };
            let a = d.start as isize + first_i as isize * d.step;
            let b = a + (len as isize - 1) * d.step;
            let (lo, hi) = (a.min(b) as usize, a.max(b) as usize + 1);
            ranges.push(lo..hi);
            relative.push(DimSelection { start: a as usize - lo, step: d.step, len, keep: d.keep });
        }
        let boxed = self.data.read_box(&ranges)?;
        Ok(Selection { dims: relative }.apply(&boxed))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tessera_core::slice::SliceSpec;

    fn arange(shape: &[usize]) -> NdArray {
        let n: usize = shape.iter().product();
        NdArray::from_vec(shape.to_vec(), (0..n as i64).collect()).unwrap()
    }

    #[test]
    fn slabs_of_a_selection_equal_the_selection() {
        let a = arange(&[7, 5, 3]);
        let data: Arc<dyn ArrayData> = Arc::new(MemArray::new(a.clone()));
        for q in ["", "1", "::2,1:4,-1", "-1,::-2", "2:6:3,::-1,0", "5:1:-2", "1,2,0", "3:3", ":,:0"] {
            let sel = SliceSpec::parse(q).unwrap().resolve(a.shape()).unwrap();
            let want = sel.apply(&a);
            let src = SlicedSource::new(data.clone(), sel);
            assert_eq!(src.shape(), want.shape(), "{q}");
            let rows = src.shape().first().copied().unwrap_or(1);
            let mut got = Vec::new();
            for r in tessera_core::encoder::row_slabs(&src, 16) {
                got.extend_from_slice(src.read_rows(r).unwrap().as_bytes());
            }
            assert_eq!(got, want.as_bytes(), "{q} ({rows} rows)");
        }
    }

    #[test]
    fn table_columns_are_array_children() {
        use arrow::array::{Int32Array, RecordBatch};
        use arrow::datatypes::{DataType as A, Field, Schema};
        let schema = Arc::new(Schema::new(vec![Field::new("x", A::Int32, false)]));
        let batch =
            |v: Vec<i32>| RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(v))]).unwrap();
        let t = Table::new(schema.clone(), vec![vec![batch(vec![1, 2])], vec![batch(vec![3])]]).unwrap();
        let root = Arc::new(Node::container([("t".to_owned(), Arc::new(Node::table(MemTable(t))))]));
        let col = root.lookup(&["t".into(), "x".into()]).unwrap();
        let data = col.as_array().unwrap();
        assert_eq!(data.structure().shape, vec![3]);
        let rows: &[Range<usize>] = &[Range { start: 1, end: 3 }];
        assert_eq!(data.read_box(rows).unwrap().as_slice::<i32>().unwrap(), &[2, 3]);
        assert_eq!(root.lookup(&["t".into(), "nope".into()]).err(), Some(1));
    }
}
