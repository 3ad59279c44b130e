//! A bytes-bounded, least-recently-used cache of decoded Parquet partitions.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

/// Default capacity of a [`PartitionCache`]: 256 MiB of decoded Arrow data.
pub const DEFAULT_PARTITION_CACHE_BYTES: usize = 256 << 20;

/// Decoded Parquet partitions kept in memory, so reading a partition again costs no decoding.
///
/// The capacity bounds the Arrow memory of all entries together; the least recently used
/// entries are evicted to make room, and a partition larger than half the capacity is never
/// kept (it is streamed from its file every time). Capacity 0 turns the cache off.
///
/// Entries are keyed by the partition file's absolute path *and* its identity on disk
/// (device, inode, length, modification and change times), taken from the opened file
/// itself: a partition rewritten since (tessera writes a new file and renames it over the
/// old one, so the inode changes), by this process or by another one sharing the data
/// directory, never matches a stale entry. One entry is kept per path.
///
/// `Send + Sync`; share it with an [`Arc`] (see [`crate::Storage::with_partition_cache`]).
#[derive(Debug)]
pub struct PartitionCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    capacity: usize,
    used: usize,
    tick: u64,
    entries: HashMap<PathBuf, Entry>,
}

#[derive(Debug)]
struct Entry {
    id: FileId,
    schema: SchemaRef,
    batches: Arc<[RecordBatch]>,
    bytes: usize,
    last_used: u64,
}

/// What identifies the contents of a file on disk without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: Option<std::time::SystemTime>,
    ctime: (i64, i64),
}

impl FileId {
    /// The identity of an opened file (fstat: the file read, not whatever the path names now).
    pub(crate) fn of(file: &File) -> std::io::Result<FileId> {
        let m = file.metadata()?;
        #[cfg(unix)]
        let (dev, ino, ctime) = {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino(), (m.ctime(), m.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (dev, ino, ctime) = (0, 0, (0, 0));
        Ok(FileId { dev, ino, len: m.len(), mtime: m.modified().ok(), ctime })
    }
}

impl Default for PartitionCache {
    /// A cache of [`DEFAULT_PARTITION_CACHE_BYTES`].
    fn default() -> Self {
        PartitionCache::new(DEFAULT_PARTITION_CACHE_BYTES)
    }
}

impl PartitionCache {
    /// A cache holding up to `capacity` bytes of decoded partitions (0: off).
    pub fn new(capacity: usize) -> Self {
        PartitionCache { inner: Mutex::new(Inner { capacity, ..Inner::default() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    /// Changes the capacity, evicting entries until they fit (0 empties the cache and turns
    /// it off).
    pub fn set_capacity(&self, capacity: usize) {
        let mut inner = self.lock();
        inner.capacity = capacity;
        inner.evict_to(capacity);
    }

    /// Bytes held (the Arrow memory of the cached batches).
    pub fn used_bytes(&self) -> usize {
        self.lock().used
    }

    /// Number of cached partitions.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.used = 0;
    }

    /// The largest entry accepted: half the capacity (so one huge partition cannot flush
    /// everything else, and filling an entry never holds more than that).
    pub(crate) fn max_entry_bytes(&self) -> usize {
        self.capacity() / 2
    }

    /// The cached batches of `path` when they were decoded from the file `id` identifies.
    pub(crate) fn get(&self, path: &Path, id: &FileId) -> Option<(SchemaRef, Arc<[RecordBatch]>)> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let stale = match inner.entries.get_mut(path) {
            None => return None,
            Some(e) if e.id == *id => {
                e.last_used = tick;
                return Some((e.schema.clone(), e.batches.clone()));
            }
            Some(_) => true,
        };
        if stale && let Some(e) = inner.entries.remove(path) {
            inner.used -= e.bytes;
        }
        None
    }

    /// Keeps the batches decoded from file `id` at `path` (replacing any older entry of that
    /// path), evicting the least recently used entries to make room. Ignored when they take
    /// more than [`PartitionCache::max_entry_bytes`].
    pub(crate) fn insert(&self, path: PathBuf, id: FileId, schema: SchemaRef, batches: Arc<[RecordBatch]>) {
        let bytes = batches_bytes(&batches);
        let mut inner = self.lock();
        if bytes > inner.capacity / 2 {
            return;
        }
        if let Some(old) = inner.entries.remove(&path) {
            inner.used -= old.bytes;
        }
        let room = inner.capacity - bytes;
        inner.evict_to(room);
        inner.tick += 1;
        let last_used = inner.tick;
        inner.used += bytes;
        inner.entries.insert(path, Entry { id, schema, batches, bytes, last_used });
    }
}

impl Inner {
    /// Evicts least recently used entries until at most `target` bytes are held.
    fn evict_to(&mut self, target: usize) {
        while self.used > target {
            let Some(oldest) = self.entries.iter().min_by_key(|(_, e)| e.last_used).map(|(p, _)| p.clone())
            else {
                self.used = 0;
                return;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.used -= e.bytes;
            }
        }
    }
}

/// Arrow memory of `batches` (what an entry counts against the capacity).
pub(crate) fn batches_bytes(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::get_array_memory_size).sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn batches(rows: usize) -> (SchemaRef, Arc<[RecordBatch]>) {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let b =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![7; rows]))]).unwrap();
        (schema, vec![b].into())
    }

    fn id(ino: u64) -> FileId {
        FileId { dev: 1, ino, len: 10, mtime: None, ctime: (0, 0) }
    }

    #[test]
    fn bounded_lru() {
        let (schema, b) = batches(1000);
        let one = batches_bytes(&b);
        let cache = PartitionCache::new(one * 3);
        for i in 0..3 {
            cache.insert(PathBuf::from(format!("/p{i}")), id(i), schema.clone(), b.clone());
        }
        // Three entries fill the capacity exactly.
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.used_bytes(), 3 * one);
        // Touch p0, then insert p3: p1 (least recently used) goes.
        assert!(cache.get(Path::new("/p0"), &id(0)).is_some());
        cache.insert(PathBuf::from("/p3"), id(3), schema.clone(), b.clone());
        assert!(cache.used_bytes() <= cache.capacity());
        assert!(cache.get(Path::new("/p1"), &id(1)).is_none());
        assert!(cache.get(Path::new("/p0"), &id(0)).is_some());
        assert!(cache.get(Path::new("/p3"), &id(3)).is_some());
        // Too large for an entry: not kept.
        let (_, big) = batches(1000 * 3);
        cache.insert(PathBuf::from("/big"), id(9), schema.clone(), big);
        assert!(cache.get(Path::new("/big"), &id(9)).is_none());
        assert!(cache.used_bytes() <= cache.capacity());
        cache.set_capacity(0);
        assert!(cache.is_empty() && cache.used_bytes() == 0);
        cache.insert(PathBuf::from("/p0"), id(0), schema, b);
        assert!(cache.is_empty(), "capacity 0 is off");
    }

    #[test]
    fn another_file_at_the_same_path_is_a_miss() {
        let (schema, b) = batches(10);
        let cache = PartitionCache::new(1 << 20);
        cache.insert(PathBuf::from("/p"), id(1), schema.clone(), b.clone());
        assert!(cache.get(Path::new("/p"), &id(2)).is_none());
        // The stale entry is dropped at once.
        assert!(cache.is_empty() && cache.used_bytes() == 0);
        cache.insert(PathBuf::from("/p"), id(2), schema.clone(), b.clone());
        cache.insert(PathBuf::from("/p"), id(3), schema, b);
        assert_eq!(cache.len(), 1);
        assert!(cache.get(Path::new("/p"), &id(3)).is_some());
    }
}
