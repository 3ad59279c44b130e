//! Tables stored as one Parquet file per partition.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tessera_core::table::{BatchStream, IterStream};

use crate::StorageError;
use crate::fsutil;

/// Rows per record batch when reading a partition back (memory stays bounded by this many
/// rows, whatever the partition size).
pub const READ_BATCH_ROWS: usize = 65_536;

/// True for pandas' index column names, `__index_level_<N>__`.
pub fn is_index_column(name: &str) -> bool {
    name.strip_prefix("__index_level_")
        .and_then(|r| r.strip_suffix("__"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks that Parquet can hold every column type of `schema`.
pub(crate) fn check_parquet_schema(schema: &Schema) -> Result<(), StorageError> {
    // The parquet crate panics (`unimplemented!`) on unions instead of returning an error.
    if let Some(f) = schema.fields().iter().find(|f| contains_union(f.data_type())) {
        return Err(StorageError::Unsupported {
            what: format!("column {:?}: Parquet cannot store union types", f.name()),
        });
    }
    parquet::arrow::ArrowSchemaConverter::new().convert(schema).map(drop).map_err(|e| {
        StorageError::Unsupported { what: format!("a table column type that Parquet cannot store: {e}") }
    })
}

fn contains_union(dt: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType as T;
    match dt {
        T::Union(..) => true,
        T::List(f)
        | T::LargeList(f)
        | T::FixedSizeList(f, _)
        | T::ListView(f)
        | T::LargeListView(f)
        | T::Map(f, _) => contains_union(f.data_type()),
        T::Struct(fields) => fields.iter().any(|f| contains_union(f.data_type())),
        T::Dictionary(_, v) => contains_union(v),
        T::RunEndEncoded(_, v) => contains_union(v.data_type()),
        _ => false,
    }
}

/// A table stored as Parquet, one file `partition-<i>.parquet` per partition.
///
/// Cheap to clone (shared state); `Send + Sync`.
#[derive(Clone, Debug)]
pub struct ParquetTable {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    declared: SchemaRef,
    npartitions: usize,
    /// The schema of the written partitions (declared fields plus index columns, with the
    /// first upload's metadata); None until one is written.
    stored: RwLock<Option<SchemaRef>>,
}

impl ParquetTable {
    /// Opens the table directory `dir`; the stored schema is read from the footer of the
    /// first written partition, if any.
    pub(crate) fn open(
        dir: &Path,
        declared: SchemaRef,
        npartitions: usize,
    ) -> Result<ParquetTable, StorageError> {
        let table = ParquetTable {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                declared,
                npartitions,
                stored: RwLock::new(None),
            }),
        };
        if let Some(i) = (0..npartitions).find(|&i| table.is_written(i)) {
            let path = table.partition_path(i);
            let file = File::open(&path).map_err(StorageError::io("open", &path))?;
            let schema = ParquetRecordBatchReaderBuilder::try_new(file)?.schema().clone();
            table.check_fields(schema.fields().iter().map(|f| f.as_ref())).map_err(|e| {
                StorageError::Corrupt {
                    path: path.clone(),
                    reason: format!("the stored partition does not match the declared schema: {e}"),
                }
            })?;
            *table.inner.stored.write().unwrap_or_else(|p| p.into_inner()) = Some(schema);
        }
        Ok(table)
    }

    /// The declared schema, plus any pandas index columns (`__index_level_N__`) that uploads
    /// carried, with the first upload's schema metadata (so pandas restores the index). The
    /// same after a restart: it is read back from the footer of a written partition.
    pub fn schema(&self) -> SchemaRef {
        let stored = self.inner.stored.read().unwrap_or_else(|p| p.into_inner());
        stored.clone().unwrap_or_else(|| self.inner.declared.clone())
    }

    /// The schema declared at creation.
    pub fn declared_schema(&self) -> &SchemaRef {
        &self.inner.declared
    }

    /// Number of partitions.
    pub fn npartitions(&self) -> usize {
        self.inner.npartitions
    }

    /// The directory holding the partition files.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    fn partition_path(&self, i: usize) -> PathBuf {
        self.inner.dir.join(format!("partition-{i}.parquet"))
    }

    fn check_index(&self, i: usize) -> Result<(), StorageError> {
        if i >= self.inner.npartitions {
            return Err(StorageError::Partition { index: i, npartitions: self.inner.npartitions });
        }
        Ok(())
    }

    /// Checks that `fields` minus index columns are the declared fields (names and types, in
    /// order).
    fn check_fields<'a>(&self, fields: impl Iterator<Item = &'a Field>) -> Result<(), StorageError> {
        let data: Vec<&Field> = fields.filter(|f| !is_index_column(f.name())).collect();
        let declared = self.inner.declared.fields();
        let names = |fs: &mut dyn Iterator<Item = &Field>| {
            fs.map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
        };
        if data.len() != declared.len() || data.iter().zip(declared.iter()).any(|(a, b)| a.name() != b.name())
        {
            return Err(StorageError::Schema {
                reason: format!(
                    "columns [{}], declared [{}]",
                    names(&mut data.iter().copied()),
                    names(&mut declared.iter().map(|f| f.as_ref()))
                ),
            });
        }
        for (a, b) in data.iter().zip(declared.iter()) {
            if a.data_type() != b.data_type() {
                return Err(StorageError::Schema {
                    reason: format!(
                        "column {:?} has type {}, declared {}",
                        a.name(),
                        a.data_type(),
                        b.data_type()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Writes partition `i` as `partition-<i>.parquet` (zstd), atomically: a temporary file
    /// in the table directory, flushed, then renamed into place (a rewrite replaces the old
    /// partition whole).
    ///
    /// The batches' fields must be the declared fields by name and type, in order; extra
    /// columns named `__index_level_<N>__` (pandas' index, which the Tiled client sends
    /// although its declared schema lacks it) are accepted anywhere and stored. A field
    /// declared non-nullable may be nullable in the upload as long as it holds no nulls; the
    /// stored field is the declared one. Every partition must carry the same index columns as
    /// the partitions written before. An empty `batches` writes a partition of zero rows.
    ///
    /// # Errors
    /// [`StorageError::Partition`] for `i` out of range, [`StorageError::Schema`] for any
    /// mismatch (nothing is written in both cases); Parquet or I/O errors otherwise.
    pub fn write_partition(&self, i: usize, batches: &[RecordBatch]) -> Result<(), StorageError> {
        self.check_index(i)?;
        let upload: SchemaRef =
            batches.first().map_or_else(|| self.inner.declared.clone(), RecordBatch::schema);
        for (n, b) in batches.iter().enumerate().skip(1) {
            let s = b.schema();
            let same = s.fields().len() == upload.fields().len()
                && s.fields()
                    .iter()
                    .zip(upload.fields())
                    .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
            if !same {
                return Err(StorageError::Schema {
                    reason: format!("batch {n} has a different schema than batch 0"),
                });
            }
        }
        self.check_fields(upload.fields().iter().map(|f| f.as_ref()))?;
        // The stored schema: the declared fields, the upload's index columns, the upload's
        // metadata (pandas') when it has any.
        let mut declared = self.inner.declared.fields().iter();
        let fields: Vec<Arc<Field>> = upload
            .fields()
            .iter()
            .map(|f| {
                if is_index_column(f.name()) {
                    f.clone()
                } else {
                    declared.next().cloned().unwrap_or_else(|| f.clone())
                }
            })
            .collect();
        let metadata = if upload.metadata().is_empty() {
            self.inner.declared.metadata().clone()
        } else {
            upload.metadata().clone()
        };
        let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
        check_parquet_schema(&schema)?;
        if let Some(stored) = self.inner.stored.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let names = |s: &Schema| s.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
            if names(stored) != names(&schema) {
                return Err(StorageError::Schema {
                    reason: format!(
                        "columns {:?} differ from those of the partitions already written {:?} (index columns must agree)",
                        names(&schema),
                        names(stored)
                    ),
                });
            }
        }
        let batches: Vec<RecordBatch> = batches
            .iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| StorageError::Schema { reason: e.to_string() })?;
        let props =
            WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
        let path = self.partition_path(i);
        fsutil::write_atomic(&path, |file| {
            let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
            for b in &batches {
                writer.write(b)?;
            }
            writer.close()?;
            Ok(())
        })?;
        let mut stored = self.inner.stored.write().unwrap_or_else(|p| p.into_inner());
        if stored.is_none() {
            *stored = Some(schema);
        }
        Ok(())
    }

    /// True once partition `i` was written (false for `i` out of range).
    pub fn is_written(&self, i: usize) -> bool {
        i < self.inner.npartitions && self.partition_path(i).is_file()
    }

    /// The batches of partition `i`, read lazily, [`READ_BATCH_ROWS`] rows at a time (bounded
    /// memory). The stream's schema is the partition file's.
    ///
    /// # Errors
    /// [`StorageError::Partition`] for `i` out of range, [`StorageError::NotWritten`] for a
    /// partition not written yet (both client errors); Parquet or I/O errors otherwise.
    pub fn read_partition(&self, i: usize) -> Result<Box<dyn BatchStream>, StorageError> {
        self.check_index(i)?;
        let path = self.partition_path(i);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotWritten { index: i });
            }
            Err(e) => return Err(StorageError::io("open", &path)(e)),
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(READ_BATCH_ROWS);
        // The builder's schema carries the file's schema metadata (pandas'); the reader's
        // batches do not, so they get it back (an Arc swap, no copy).
        let schema = builder.schema().clone();
        let reader = builder.build()?;
        let with_metadata = schema.clone();
        let batches = reader.map(move |b| b.and_then(|b| b.with_schema(with_metadata.clone())));
        Ok(Box::new(IterStream::new(schema, batches)))
    }

    /// Bytes on disk (all partition files).
    pub fn byte_size(&self) -> u64 {
        fsutil::dir_size(&self.inner.dir)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn types_parquet_cannot_store() {
        use arrow::datatypes::{DataType as T, Field, Fields, UnionFields, UnionMode};
        let union = T::Union(
            UnionFields::try_new(vec![0], vec![Field::new("a", T::Int32, true)]).unwrap(),
            UnionMode::Dense,
        );
        let nested = T::List(Arc::new(Field::new("item", union.clone(), true)));
        let empty_struct = T::Struct(Fields::empty());
        for t in [union, nested, empty_struct] {
            let schema = Schema::new(vec![Field::new("c", t, true)]);
            let e = check_parquet_schema(&schema).unwrap_err();
            assert!(matches!(e, StorageError::Unsupported { .. }) && e.is_client_error(), "{e}");
        }
        check_parquet_schema(&Schema::new(vec![Field::new("c", T::Utf8, true)])).unwrap();
    }

    #[test]
    fn index_column_names() {
        assert!(is_index_column("__index_level_0__"));
        assert!(is_index_column("__index_level_12__"));
        assert!(!is_index_column("__index_level__"));
        assert!(!is_index_column("__index_level_x__"));
        assert!(!is_index_column("index"));
    }
}
