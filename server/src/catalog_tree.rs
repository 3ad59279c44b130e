//! A [`tessera_catalog::Catalog`] (SQLite or PostgreSQL) plus [`tessera_storage::Storage`] as
//! the server's tree: containers are lazy ([`LazyContainer`]: children come from
//! [`Catalog::search`], filters, sorting and pagination in SQL), arrays and tables are read
//! from their Zarr / Parquet data on demand.
//!
//! Every catalog node becomes a [`Node`]:
//! - `container` → a [`NodeKind::Lazy`] container, except a container with spec
//!   `xarray_dataset`, whose (array) children are fetched at once into a plain
//!   [`NodeKind::Container`] (its resource inlines them, and exports read them all);
//! - `array` → [`ArrayData`] over the Zarr array at the record's `data_source.location`;
//! - `table` → [`TableData`] over the Parquet partitions (the schema read back from the
//!   partitions, so it includes the pandas index column an upload carried).
//!
//! Data is opened on first use, so listing a page of search results touches no file.
//!
//! The data source recorded for a node (what [`data_source`] builds) holds the storage
//! `root` and the node's `location` inside it, plus Tiled's `assets` (a `file://` URI): a
//! server started without `--write` reads each node from the root its record names.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use arrow::datatypes::{Schema, SchemaRef};
use base64::Engine as _;
use futures::future::BoxFuture;
use indexmap::IndexMap;
use serde_json::{Value, json};
use tessera_catalog::{Catalog, CatalogError, Family, NodeRecord};
use tessera_core::table::{BatchStream, IterStream};
use tessera_core::{ArrayStructure, EncodeError, NdArray};
use tessera_storage::{ChunkCursors, ParquetTable, PartitionCache, Storage, StorageError, ZarrArray};

use crate::error::AppError;
use crate::search::{Filter, SortKey};
use crate::tree::{ArrayData, ChildPage, LazyContainer, Node, NodeKind, TableData, XARRAY_DATASET};

/// Media type recorded for arrays (Tiled's).
pub const ZARR: &str = "application/x-zarr";
/// Media type recorded for tables (Tiled's).
pub const PARQUET: &str = "application/x-parquet";

/// Children fetched per query when a whole container is listed.
const PAGE: u64 = 1000;

/// The catalog, the data directory (when writable) and the storages opened for reading.
#[derive(Debug)]
pub struct CatalogBackend {
    /// The SQL catalog.
    pub catalog: Catalog,
    /// Where new data goes; `None` for a read-only server (writes get 405).
    pub storage: Option<Storage>,
    /// Storages opened for reading, by root (records name their root).
    readers: Mutex<HashMap<PathBuf, Storage>>,
    /// Decoded table partitions, shared by every storage this backend reads.
    partition_cache: Arc<PartitionCache>,
}

/// Environment variable for `serve catalog --table-cache-bytes`: the capacity in bytes of
/// the table partition cache ([`CatalogBackend::partition_cache`]); 0 turns it off.
pub const TABLE_CACHE_ENV: &str = "TESSERA_TABLE_CACHE_BYTES";

impl CatalogBackend {
    /// A backend over `catalog`, writable into `storage` when given.
    ///
    /// Table partitions read are kept decoded in one bounded cache (see
    /// [`tessera_storage::PartitionCache`]: never stale, even when another process rewrites a
    /// partition) of [`tessera_storage::DEFAULT_PARTITION_CACHE_BYTES`];
    /// [`CatalogBackend::partition_cache`] changes its capacity at any time (0: off).
    pub fn new(catalog: Catalog, storage: Option<Storage>) -> Arc<Self> {
        let partition_cache = Arc::new(PartitionCache::new(tessera_storage::DEFAULT_PARTITION_CACHE_BYTES));
        let storage = storage.map(|s| s.with_partition_cache(partition_cache.clone()));
        Arc::new(CatalogBackend { catalog, storage, readers: Mutex::new(HashMap::new()), partition_cache })
    }

    /// The cache of decoded table partitions (its capacity can be changed at any time).
    pub fn partition_cache(&self) -> &Arc<PartitionCache> {
        &self.partition_cache
    }

    /// The root container as a tree node.
    ///
    /// # Errors
    /// The catalog failed, or has no root row.
    pub async fn root(self: &Arc<Self>) -> Result<Arc<Node>, AppError> {
        let rec = self
            .catalog
            .lookup(&[])
            .await
            .map_err(catalog_error)?
            .ok_or_else(|| AppError::Internal("the catalog has no root node".into()))?;
        self.node(rec, Vec::new()).await
    }

    /// The backend behind a tree, when its root is a catalog.
    pub fn of(root: &Node) -> Option<Arc<CatalogBackend>> {
        let lazy = root.as_lazy()?;
        lazy.as_any().downcast_ref::<CatalogContainer>().map(|c| c.backend.clone())
    }

    /// The storage that holds `record`'s data (read side).
    ///
    /// # Errors
    /// A record without a data source, or a storage that cannot be opened.
    pub fn storage_for(&self, record: &NodeRecord) -> Result<(Storage, String), AppError> {
        let ds = record.data_source.as_ref().ok_or_else(|| corrupt(record, "no data source"))?;
        let location =
            ds.get("location").and_then(Value::as_str).ok_or_else(|| corrupt(record, "no location"))?;
        let root = ds.get("root").and_then(Value::as_str).map(PathBuf::from);
        if let Some(s) = &self.storage
            && root.as_deref().is_none_or(|r| r == s.root())
        {
            return Ok((s.clone(), location.to_owned()));
        }
        let root = root.ok_or_else(|| corrupt(record, "no storage root"))?;
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = readers.get(&root) {
            return Ok((s.clone(), location.to_owned()));
        }
        // Another process may be writing there: leave its fresh temporary files alone.
        let s = Storage::open_shared(&root, std::time::Duration::from_secs(3600))
            .map_err(storage_error)?
            .with_partition_cache(self.partition_cache.clone());
        readers.insert(root, s.clone());
        Ok((s, location.to_owned()))
    }

    /// The tree node of a record found at `path`.
    ///
    /// # Errors
    /// The catalog failed, or the record does not decode.
    pub fn node(
        self: &Arc<Self>,
        rec: NodeRecord,
        path: Vec<String>,
    ) -> BoxFuture<'static, Result<Arc<Node>, AppError>> {
        let this = self.clone();
        Box::pin(async move {
            let kind = match rec.family {
                Family::Array => {
                    let structure = array_structure(&rec)?;
                    NodeKind::Array(Arc::new(CatalogArray {
                        backend: this.clone(),
                        record: rec.clone(),
                        structure,
                        open: OnceLock::new(),
                        cache: Mutex::new(None),
                        ahead: Mutex::new(None),
                        cursors: ChunkCursors::default(),
                    }))
                }
                Family::Table => {
                    let (schema, npartitions) = table_structure(&rec)?;
                    NodeKind::Table(Arc::new(CatalogTable {
                        backend: this.clone(),
                        record: rec.clone(),
                        declared: schema,
                        npartitions,
                        open: OnceLock::new(),
                    }))
                }
                Family::Container if rec.specs.iter().any(|s| s == XARRAY_DATASET) => {
                    let mut children = IndexMap::new();
                    for (k, n) in this.list(rec.id, &path).await? {
                        children.insert(k, n);
                    }
                    NodeKind::Container(children)
                }
                Family::Container => {
                    let (count, _) =
                        this.catalog.search(rec.id, &[], &[], 0, 0).await.map_err(catalog_error)?;
                    NodeKind::Lazy(Arc::new(CatalogContainer {
                        backend: this.clone(),
                        id: rec.id,
                        path,
                        count,
                    }))
                }
            };
            Ok(Arc::new(Node { metadata: rec.metadata, specs: rec.specs, kind }))
        })
    }

    /// Every child of container `id` (at `path`), in natural order.
    async fn list(self: &Arc<Self>, id: i64, path: &[String]) -> Result<Vec<(String, Arc<Node>)>, AppError> {
        let mut out = Vec::new();
        loop {
            let (count, page) =
                self.catalog.search(id, &[], &[], out.len() as u64, PAGE).await.map_err(catalog_error)?;
            let got = page.len();
            for rec in page {
                let key = rec.key.clone();
                let mut p = path.to_vec();
                p.push(key.clone());
                out.push((key, self.node(rec, p).await?));
            }
            if got == 0 || out.len() as u64 >= count {
                return Ok(out);
            }
        }
    }
}

impl CatalogBackend {
    /// Removes the data directories of the writable storage that no catalog row refers to
    /// (left by a server killed between creating a node's data and inserting its row), if
    /// older than `min_age` (so a node another process is creating right now survives).
    /// Returns how many were removed.
    ///
    /// # Errors
    /// The catalog failed; directories that cannot be removed are only logged.
    pub async fn sweep_unreferenced(
        self: &Arc<Self>,
        min_age: std::time::Duration,
    ) -> Result<usize, AppError> {
        let Some(storage) = self.storage.clone() else { return Ok(0) };
        let mut referenced = std::collections::HashSet::new();
        let mut stack = vec![self.catalog.lookup(&[]).await.map_err(catalog_error)?.map_or(0, |r| r.id)];
        while let Some(id) = stack.pop() {
            let mut offset = 0u64;
            loop {
                let (count, page) =
                    self.catalog.search(id, &[], &[], offset, PAGE).await.map_err(catalog_error)?;
                offset += page.len() as u64;
                let got = page.len();
                for rec in page {
                    if rec.family == Family::Container {
                        stack.push(rec.id);
                    }
                    if let Some(loc) =
                        rec.data_source.as_ref().and_then(|d| d.get("location")).and_then(Value::as_str)
                    {
                        referenced.insert(loc.to_owned());
                    }
                }
                if got == 0 || offset >= count {
                    break;
                }
            }
        }
        let swept = tokio::task::spawn_blocking(move || {
            let mut n = 0;
            let Ok(entries) = std::fs::read_dir(storage.root()) else { return 0 };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age >= min_age);
                if name.starts_with('.') || referenced.contains(&name) || !old {
                    continue;
                }
                match storage.remove(&name) {
                    Ok(()) => n += 1,
                    Err(e) => tracing::warn!(error = %e, location = name, "cannot remove unreferenced data"),
                }
            }
            n
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(swept)
    }
}

/// A catalog container whose children are fetched on demand.
pub struct CatalogContainer {
    backend: Arc<CatalogBackend>,
    id: i64,
    path: Vec<String>,
    count: u64,
}

impl CatalogContainer {
    /// The catalog id of this container.
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl LazyContainer for CatalogContainer {
    fn count(&self) -> u64 {
        self.count
    }

    fn child<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Arc<Node>>, AppError>> {
        Box::pin(async move {
            let filters = [Filter::Lookup(key.to_owned())];
            let (_, page) =
                self.backend.catalog.search(self.id, &filters, &[], 0, 1).await.map_err(catalog_error)?;
            match page.into_iter().next() {
                None => Ok(None),
                Some(rec) => {
                    let mut p = self.path.clone();
                    p.push(key.to_owned());
                    Ok(Some(self.backend.node(rec, p).await?))
                }
            }
        })
    }

    fn search<'a>(
        &'a self,
        filters: &'a [Filter],
        sort: &'a [SortKey],
        offset: u64,
        limit: u64,
    ) -> BoxFuture<'a, Result<ChildPage, AppError>> {
        Box::pin(async move {
            let (count, page) = self
                .backend
                .catalog
                .search(self.id, filters, sort, offset, limit)
                .await
                .map_err(catalog_error)?;
            let mut out = Vec::with_capacity(page.len());
            for rec in page {
                let key = rec.key.clone();
                let mut p = self.path.clone();
                p.push(key.clone());
                out.push((key, self.backend.node(rec, p).await?));
            }
            Ok((count, out))
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A decoded box: its ranges and its elements.
type CachedBox = (Vec<Range<usize>>, Arc<NdArray>);

/// A box being decoded on a background thread.
type Prefetch = (Vec<Range<usize>>, std::thread::JoinHandle<Result<NdArray, StorageError>>);

/// Largest chunk-aligned box [`CatalogArray`] keeps decoded between reads.
const MAX_CACHED_BYTES: usize = 256 << 20;

/// An array node's data: the Zarr array, opened on first read.
///
/// Encoders read in slabs of a few rows, far smaller than a chunk; each slab would decode
/// every chunk it touches again. So a read is widened to whole chunks, decoded once and kept
/// (one box, up to [`MAX_CACHED_BYTES`]) for the next slabs, which are slices of it (no copy
/// when they are contiguous in it). When a slab starts a box, the next box along the first
/// axis starts decoding on a background thread at the same time (encoders read rows in
/// order), so decoding overlaps streaming; at most two boxes are held. Nodes are built per
/// request, so the cache lives as long as one response.
struct CatalogArray {
    backend: Arc<CatalogBackend>,
    record: NodeRecord,
    structure: ArrayStructure,
    open: OnceLock<ZarrArray>,
    cache: Mutex<Option<CachedBox>>,
    ahead: Mutex<Option<Prefetch>>,
    /// Chunk readers kept between reads, for arrays read in place.
    cursors: ChunkCursors,
}

impl CatalogArray {
    fn zarr(&self) -> Result<&ZarrArray, EncodeError> {
        if let Some(z) = self.open.get() {
            return Ok(z);
        }
        let (storage, location) = self.backend.storage_for(&self.record).map_err(input)?;
        let z = storage.open_array(&location, &self.structure).map_err(input)?;
        Ok(self.open.get_or_init(|| z))
    }

    /// The decoded box `aligned`: from the background decode when it was started for that box,
    /// else read now. With `ahead`, the decode of the next box starts first, so that it runs
    /// alongside this one (whose chunks rarely keep every core busy to the end).
    fn decode(&self, aligned: &[Range<usize>], ahead: bool) -> Result<NdArray, EncodeError> {
        let pending = self.ahead.lock().unwrap_or_else(|p| p.into_inner()).take();
        if ahead {
            self.prefetch_after(aligned);
        }
        if let Some((ranges, handle)) = pending
            && ranges == aligned
            && let Ok(result) = handle.join()
        {
            return result.map_err(input);
        }
        self.zarr()?.read_box(aligned).map_err(input)
    }

    /// Starts decoding the chunk-aligned box after `aligned` along the first axis.
    fn prefetch_after(&self, aligned: &[Range<usize>]) {
        let Some(first) = aligned.first() else { return };
        let rows = self.structure.shape[0];
        if first.end >= rows {
            return;
        }
        let mut next = aligned.to_vec();
        next[0] = first.end..first.end + 1;
        let next = chunk_aligned(&self.structure, &next);
        let Ok(zarr) = self.zarr().cloned() else { return };
        let ranges = next.clone();
        let spawned = std::thread::Builder::new()
            .name("tessera-zarr-ahead".into())
            .spawn(move || zarr.read_box(&ranges));
        if let Ok(handle) = spawned {
            *self.ahead.lock().unwrap_or_else(|p| p.into_inner()) = Some((next, handle));
        }
    }
}

impl ArrayData for CatalogArray {
    fn data_source(&self) -> Option<Value> {
        listed_data_source(&self.record)
    }

    fn structure(&self) -> &ArrayStructure {
        &self.structure
    }

    fn read_box(&self, ranges: &[Range<usize>]) -> Result<NdArray, EncodeError> {
        let zarr = self.zarr()?;
        if zarr.reads_in_place() {
            // Read exactly the box, each chunk continuing where the previous box left it:
            // no widening, no copy of a whole chunk, and the next slab is read while this
            // one is sent.
            return zarr.read_box_with(ranges, &self.cursors).map_err(input);
        }
        let aligned = chunk_aligned(&self.structure, ranges);
        let bytes = tessera_core::array::byte_count(
            &self.structure.data_type,
            &aligned.iter().map(|r| r.len()).collect::<Vec<_>>(),
        )
        .unwrap_or(usize::MAX);
        if aligned == ranges || bytes > MAX_CACHED_BYTES || ranges.iter().any(|r| r.is_empty()) {
            return self.zarr()?.read_box(ranges).map_err(input);
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let hit = cache
            .as_ref()
            .filter(|(c, _)| c.iter().zip(ranges).all(|(c, r)| c.start <= r.start && r.end <= c.end));
        let (origin, data) = match hit {
            Some((c, d)) => (c.clone(), d.clone()),
            None => {
                // Release the previous box before decoding the next one (memory: two boxes at
                // most, this one and the one decoded ahead).
                *cache = None;
                let ahead = bytes <= MAX_CACHED_BYTES / 2
                    && ranges.first().zip(aligned.first()).is_some_and(|(r, a)| r.start == a.start);
                let d = Arc::new(self.decode(&aligned, ahead)?);
                *cache = Some((aligned.clone(), d.clone()));
                (aligned, d)
            }
        };
        drop(cache);
        let relative: Vec<Range<usize>> =
            ranges.iter().zip(&origin).map(|(r, o)| r.start - o.start..r.end - o.start).collect();
        Ok(slice_of(&data, &relative))
    }
}

/// The box `ranges` of `a`: a view of its buffer (no copy) when the box is contiguous in C
/// order, else a copy.
fn slice_of(a: &NdArray, ranges: &[Range<usize>]) -> NdArray {
    let shape = a.shape();
    // Contiguous iff, after the first dimension where the box is longer than 1, every
    // dimension is covered entirely.
    let first = ranges.iter().position(|r| r.len() != 1).unwrap_or(ranges.len());
    let contiguous = ranges.iter().zip(shape).skip(first + 1).all(|(r, &d)| r.start == 0 && r.end == d);
    let itemsize = a.data_type().itemsize();
    if contiguous && !ranges.is_empty() {
        let mut start = 0;
        for (r, &d) in ranges.iter().zip(shape) {
            start = start * d + r.start;
        }
        let len: usize = ranges.iter().map(|r| r.len()).product();
        let out_shape: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
        let buf = a.buffer().slice_with_length(start * itemsize, len * itemsize);
        if let Ok(view) = NdArray::new(a.data_type().clone(), out_shape, buf) {
            return view;
        }
    }
    crate::tree::box_of(a, ranges)
}

/// A table node's data: the Parquet partitions, opened on first use.
struct CatalogTable {
    backend: Arc<CatalogBackend>,
    record: NodeRecord,
    declared: SchemaRef,
    npartitions: usize,
    open: OnceLock<ParquetTable>,
}

impl CatalogTable {
    fn parquet(&self) -> Result<&ParquetTable, EncodeError> {
        if let Some(t) = self.open.get() {
            return Ok(t);
        }
        let (storage, location) = self.backend.storage_for(&self.record).map_err(input)?;
        let t = storage.open_table(&location, self.declared.clone(), self.npartitions).map_err(input)?;
        Ok(self.open.get_or_init(|| t))
    }
}

impl TableData for CatalogTable {
    fn schema(&self) -> SchemaRef {
        match self.parquet() {
            Ok(t) => t.schema(),
            Err(e) => {
                tracing::warn!(error = %e, key = %self.record.key, "cannot open a table's data");
                self.declared.clone()
            }
        }
    }

    fn npartitions(&self) -> usize {
        self.npartitions
    }

    fn partition(&self, i: usize) -> Box<dyn BatchStream> {
        let failed = |schema: SchemaRef, e: EncodeError| -> Box<dyn BatchStream> {
            let err = arrow::error::ArrowError::ExternalError(Box::new(e));
            Box::new(IterStream::new(schema, std::iter::once(Err(err))))
        };
        let table = match self.parquet() {
            Ok(t) => t,
            Err(e) => return failed(self.declared.clone(), e),
        };
        match table.read_partition(i) {
            Ok(s) => s,
            // Created but not written yet: no rows.
            Err(StorageError::NotWritten { .. }) => {
                Box::new(IterStream::new(table.schema(), std::iter::empty()))
            }
            Err(e) => failed(table.schema(), input(e)),
        }
    }

    fn byte_size(&self) -> u64 {
        self.parquet().map_or(0, ParquetTable::byte_size)
    }

    fn data_source(&self) -> Option<Value> {
        listed_data_source(&self.record)
    }

    fn stored_parquet(&self, i: usize) -> Option<std::fs::File> {
        self.parquet().ok()?.open_partition_file(i).ok()
    }
}

/// A node's data source as the client lists it: the stored one, with the node's current
/// structure (an upload may have added a pandas index column) and without server-side fields.
fn listed_data_source(record: &NodeRecord) -> Option<Value> {
    let mut ds = crate::write::wire_data_source(record.data_source.as_ref()?, record.id);
    if let (Some(o), Some(structure)) = (ds.as_object_mut(), &record.structure) {
        o.insert("structure".into(), structure.clone());
    }
    Some(ds)
}

/// The smallest box made of whole chunks that holds `ranges`.
fn chunk_aligned(structure: &ArrayStructure, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    ranges
        .iter()
        .zip(&structure.chunks)
        .map(|(r, chunks)| {
            let (mut start, mut end, mut at) = (0, 0, 0);
            for &c in chunks {
                if at <= r.start {
                    start = at;
                }
                at += c;
                end = at;
                if at >= r.end {
                    break;
                }
            }
            start..end.max(r.end)
        })
        .collect()
}

fn input(e: impl std::error::Error + Send + Sync + 'static) -> EncodeError {
    EncodeError::Input(Box::new(e))
}

fn corrupt(record: &NodeRecord, what: &str) -> AppError {
    AppError::Internal(format!("catalog node {} ({:?}): {what}", record.id, record.key))
}

/// The array structure a record stores.
///
/// # Errors
/// 500 when it does not decode (the catalog was edited by hand).
pub fn array_structure(rec: &NodeRecord) -> Result<ArrayStructure, AppError> {
    let s = rec.structure.as_ref().ok_or_else(|| corrupt(rec, "no structure"))?;
    ArrayStructure::from_wire(s).map_err(|e| corrupt(rec, &e))
}

/// The declared schema and partition count a record stores.
///
/// # Errors
/// 500 when they do not decode.
pub fn table_structure(rec: &NodeRecord) -> Result<(SchemaRef, usize), AppError> {
    let s = rec.structure.as_ref().ok_or_else(|| corrupt(rec, "no structure"))?;
    parse_table_structure(s).map_err(|e| corrupt(rec, &e))
}

/// Parses Tiled's table structure (`arrow_schema` data URI, `npartitions`).
///
/// # Errors
/// A message naming what is missing or wrong.
pub fn parse_table_structure(s: &Value) -> Result<(SchemaRef, usize), String> {
    let uri = s.get("arrow_schema").and_then(Value::as_str).ok_or("structure.arrow_schema is missing")?;
    let b64 = uri.split_once(";base64,").map_or(uri, |(_, b)| b);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| format!("structure.arrow_schema is not base64: {e}"))?;
    let schema: Schema = arrow_ipc::convert::try_schema_from_ipc_buffer(&bytes)
        .map_err(|e| format!("structure.arrow_schema is not an Arrow IPC schema message: {e}"))?;
    let npartitions = match s.get("npartitions") {
        None | Some(Value::Null) => 1,
        Some(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or("structure.npartitions must be a non-negative integer")?,
    };
    if npartitions == 0 {
        return Err("structure.npartitions must be at least 1".into());
    }
    if s.get("resizable").is_some_and(|r| r.as_bool() == Some(true)) {
        return Err("resizable tables are not supported".into());
    }
    Ok((Arc::new(schema), npartitions))
}

/// The data source recorded for data at `location` of `storage`.
pub fn data_source(storage: &Storage, location: &str, family: Family, structure: &Value) -> Value {
    let mimetype = if family == Family::Array { ZARR } else { PARQUET };
    let dir = storage.path_of(location).unwrap_or_else(|_| storage.root().join(location));
    json!({
        "id": null,
        "structure_family": family.as_str(),
        "structure": structure,
        "mimetype": mimetype,
        "parameters": {},
        "properties": {},
        "management": "writable",
        "location": location,
        "root": storage.root().to_string_lossy(),
        "assets": [{
            "data_uri": file_uri(&dir),
            "is_directory": true,
            "parameter": "data_uri",
            "num": null,
            "id": null,
        }],
    })
}

fn file_uri(path: &Path) -> String {
    format!("file://localhost{}", path.to_string_lossy())
}

/// A catalog failure as a response: client errors are 4xx, the database's 5xx.
pub fn catalog_error(e: CatalogError) -> AppError {
    match &e {
        CatalogError::Conflict(key) => AppError::Conflict(format!("/{key}")),
        CatalogError::NotEmpty(_) => AppError::Conflict(
            "Cannot delete a node that is not empty. Delete its contents first or pass `recursive=True`."
                .into(),
        ),
        CatalogError::NotFound(_) => AppError::NotFound(e.to_string()),
        CatalogError::NotAContainer(_) | CatalogError::DeleteRoot => {
            AppError::MethodNotAllowed(e.to_string())
        }
        _ if e.is_client_error() => AppError::unprocessable(e.to_string()),
        _ => AppError::Internal(e.to_string()),
    }
}

/// A storage failure as a response: validation failures are 4xx, I/O and libraries 5xx.
pub fn storage_error(e: StorageError) -> AppError {
    match &e {
        StorageError::AlreadyExists { .. } => AppError::Conflict(e.to_string()),
        StorageError::NotFound { .. } | StorageError::NotWritten { .. } => AppError::NotFound(e.to_string()),
        StorageError::Partition { .. } | StorageError::BlockIndex { .. } | StorageError::Box { .. } => {
            AppError::BadRequest(e.to_string())
        }
        _ if e.is_client_error() => AppError::unprocessable(e.to_string()),
        _ => AppError::Internal(e.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tessera_core::DataType;

    #[test]
    fn boxes_widen_to_whole_chunks() {
        let s = ArrayStructure::regular(DataType::Int8, vec![10, 6], &[4, 6]);
        assert_eq!(chunk_aligned(&s, &[5..7, 1..2]), vec![4..8, 0..6]);
        assert_eq!(chunk_aligned(&s, &[3..5, 0..6]), vec![0..8, 0..6]);
        assert_eq!(chunk_aligned(&s, &[8..10, 0..1]), vec![8..10, 0..6]);
        assert_eq!(chunk_aligned(&s, &[0..4, 0..6]), vec![0..4, 0..6]);
    }

    #[test]
    fn slices_equal_copied_boxes() {
        let n = 4 * 5 * 3;
        let a = NdArray::from_vec(vec![4, 5, 3], (0..n as i32).collect()).unwrap();
        let boxes = [
            vec![1..3, 0..5, 0..3],
            vec![2..3, 1..4, 0..3],
            vec![2..3, 3..4, 1..3],
            vec![0..4, 1..2, 0..3],
            vec![1..2, 0..5, 2..3],
            vec![0..4, 0..5, 0..3],
            vec![3..4, 4..5, 2..3],
        ];
        for b in boxes {
            let want = crate::tree::box_of(&a, &b);
            let got = slice_of(&a, &b);
            assert_eq!(got.shape(), want.shape(), "{b:?}");
            assert_eq!(got.as_bytes(), want.as_bytes(), "{b:?}");
        }
    }
}
