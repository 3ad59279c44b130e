//! Streams a tessera table — or a filtered, projected query of one — into an Apache Iceberg
//! table, in a SQL catalog shared with pyiceberg (SQLite, PostgreSQL) or a REST catalog.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_core::table::{query, Table};
//! use tessera_iceberg::{export_iceberg, CatalogConfig, ExportAction, IcebergExporter, IcebergOptions, IfExists};
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("id", DataType::Int64, false),
//!     Field::new("name", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![
//!     Arc::new(Int64Array::from(vec![1, 2, 3])),
//!     Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
//! ]).unwrap();
//! let table = Table::from_batches(schema, vec![batch]).unwrap();
//!
//! let dir = tempfile::tempdir().unwrap();
//! let wh = dir.path().to_str().unwrap();
//! // pyiceberg opens the same catalog with
//! // SqlCatalog("pixeltable", uri=f"sqlite:///{wh}/catalog.db", warehouse=f"file://{wh}")
//! let catalog = CatalogConfig::sql(&format!("sqlite:///{wh}/catalog.db"), wh).unwrap();
//!
//! // `t.where(id >= 2).select(id)` into a new table (its namespace is created)
//! let q = query(Box::new(table.stream()), &["id".into()], Some("id >= 2")).unwrap();
//! let report = export_iceberg(q, &catalog, "demo.ids", &IcebergOptions::default()).unwrap();
//! assert_eq!((report.action, report.rows, report.data_files), (ExportAction::Create, 2, 1));
//!
//! // a second export must say what to do with the existing table
//! let again = export_iceberg(Box::new(table.stream()), &catalog, "demo.ids", &IcebergOptions::default());
//! assert_eq!(again.unwrap_err().to_string(), "export_iceberg(): table 'demo.ids' already exists");
//! let replace = IcebergOptions::default().with_if_exists(IfExists::Replace);
//! let report = export_iceberg(Box::new(table.stream()), &catalog, "demo.ids", &replace).unwrap();
//! assert_eq!((report.action, report.rows), (ExportAction::Replace, 3));
//!
//! let exporter = IcebergExporter::open(&catalog).unwrap();
//! let (schema, batches) = exporter.read_table("demo.ids").unwrap();
//! assert_eq!(schema.fields().len(), 2); // replace took the new schema
//! assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
//! ```
//!
//! This is not a byte encoder (it is outside the `TableEncoder` trait): it writes Parquet
//! data files under the table's location and commits them to a catalog.
//!
//! # Semantics
//!
//! Pixeltable's `export_iceberg(table_or_query, catalog, table_name, *, batch_size_bytes,
//! if_exists, schema_overrides)` is the reference:
//!
//! - **Names**: `namespace.table`, the namespace being everything before the last dot
//!   (`a.b.tbl` is table `tbl` in the two-level namespace `a.b`). A bare name is refused:
//!   `export_iceberg(): table_name 'tbl' must be namespace-qualified (e.g. 'my_namespace.my_table').`
//!   Missing namespaces are created.
//! - **`if_exists`** ([`IfExists`]): `error` (default) refuses an existing table before the
//!   source is read; `append` adds one snapshot (Pixeltable makes one per batch, committed
//!   together; here every data file of the export goes into one `fast_append`); `replace`
//!   replaces schema and contents. A table that does not exist is created whatever the mode.
//! - **Empty source**: a new table is created without a snapshot (pyiceberg reads 0
//!   snapshots, 0 rows); an append changes nothing; a replace commits a `delete` snapshot
//!   that leaves the table empty (with the new schema).
//! - **Checks before any write**: the name, `if_exists`, `schema_overrides` columns (unknown
//!   ones are listed: `...are not present in the source: a, b`), every column type, and for
//!   `append` the schema compatibility (same names in the same order, types that convert
//!   without loss: `export_iceberg(): source schema is not compatible with existing table
//!   'ns.t': ...`, both schemas included). Any failure there leaves no trace.
//!
//! # Atomicity, and what a failure leaves behind
//!
//! Every export publishes its data with **one catalog operation**, after every data file and
//! the metadata are written; a failure at any earlier step (reading the source, a value that
//! does not fit, storage, an [`ExportObserver`] stop) leaves the catalog exactly as it was and
//! deletes the files the export wrote. Tables are never dropped or renamed, and no temporary
//! table is ever created.
//!
//! - **Create** (SQL catalog): data files, then a metadata file that already holds the first
//!   snapshot, then `register_table` — one `INSERT`. Readers never see an empty or partial
//!   table. (REST catalog: the table is created empty, written, appended to; if that fails
//!   it is dropped again.)
//! - **Append**: data files, then iceberg-rust's `fast_append` commit — one
//!   compare-and-swap of the table's metadata pointer, retried on conflicts as Iceberg
//!   specifies (appends commute).
//! - **Replace** (SQL catalogs only): the *same* table gets a new metadata file with the new
//!   schema (fresh field ids when it changed; partitioning and sort order reset to none when
//!   they could name columns that are gone) and one new snapshot — `overwrite`, or `delete`
//!   for an empty source — whose manifest list holds only the new files. Then one
//!   `UPDATE iceberg_tables SET metadata_location = new WHERE … AND metadata_location = old`
//!   publishes it. Until that statement commits, every reader sees the original table;
//!   after it, the new one. If another writer committed in between, the UPDATE matches no
//!   row and the export fails with [`ErrorKind::Conflict`] (nothing of it committed; the
//!   other writer's change kept). A crash at any point leaves the original table intact and
//!   readable (at worst unreferenced files remain). The old snapshots stay in the table's
//!   history (time travel works; `expire_snapshots` reclaims them). On a REST catalog,
//!   iceberg-rust 0.10 can only send append commits, so `replace` is refused there before
//!   anything happens ([`ErrorKind::Unsupported`]).
//! - A commit whose answer is lost (connection dropped mid-statement) is resolved by reading
//!   the catalog back; if that fails too, the error says the outcome is unknown and the files
//!   are kept.
//!
//! Data files are named `tessera-<uuid v7>-NNNNN.parquet`, unique per export. Small metadata
//! files of a failed iceberg-rust append commit (a manifest, a manifest list) may remain,
//! unreferenced, as with every Iceberg writer.
//!
//! # Types
//!
//! Every batch is cast to the table's own Arrow schema (field ids, `timestamptz` as
//! `+00:00`), values that do not fit are an error (never silently null or zero), and nulls in
//! a `required` column are refused. New tables have every column optional, as pyarrow's.
//!
//! | Arrow | Iceberg |
//! |---|---|
//! | bool | boolean |
//! | int8/16/32, uint8/16 | int |
//! | int64, uint32 | long |
//! | float32 / float64 | float / double |
//! | decimal32/64/128(p, s) | decimal(p, s) |
//! | utf8, large_utf8, utf8_view, dictionary of strings | string |
//! | binary, large_binary, binary_view | binary |
//! | fixed_size_binary(n) | fixed(n) |
//! | date32 | date |
//! | time64\[us\] | time |
//! | timestamp\[us\] | timestamp |
//! | timestamp\[us, UTC\] (`UTC`, `+00:00`, `Z`, `Etc/UTC`) | timestamptz |
//! | list, large_list | list |
//! | struct (with fields), map | struct, map |
//!
//! Refused before any write, each with a message naming the columns and the fix, unless
//! [`IcebergOptions::with_convert_types`] converts them:
//!
//! | Arrow | with `convert_types` |
//! |---|---|
//! | fixed_size_list (fixed-shape tensors) | list |
//! | uint64 | decimal(20, 0) |
//! | float16 | float32 |
//! | timestamp\[s\], timestamp\[ms\] | timestamp\[us\] (lossless) |
//! | timestamp\[ns\] (Iceberg v3 only) | timestamp\[us\] (sub-microsecond digits dropped) |
//! | timestamp in another zone | the same instants as timestamptz (UTC) |
//! | date64 | date32 |
//! | time32, time64\[ns\] | time64\[us\] |
//! | decimal256 with precision ≤ 38 | decimal128 |
//! | list views | list |
//!
//! Always refused: the null type (say its type with `schema_overrides`), structs without
//! fields, durations, intervals, unions and other types without an Iceberg equivalent.
//! [`IcebergOptions::with_schema_override`] (column → Arrow type, [`parse_data_type`] for
//! text) changes a column's type first, e.g. int64 → int32 or float32 → float64.
//!
//! # Memory
//!
//! The source is read on a blocking thread and handed over through a two-slot channel;
//! batches larger than `batch_size_bytes` are split; Parquet row groups are flushed at the
//! table's `write.parquet.row-group-size-bytes` (128 MiB), files roll at
//! `write.target-file-size-bytes` (512 MiB). [`IcebergOptions::with_writers`] writes several
//! files at once (one row group buffered each). Partitioned tables (append to a table made
//! elsewhere) keep one open file per partition.
//!
//! # Async and blocking use
//!
//! [`IcebergCatalog`] is the async API (open, export, on the caller's tokio runtime).
//! [`IcebergExporter`] and [`export_iceberg`] own a private tokio runtime (up to 4 threads); they
//! refuse to run inside a tokio runtime ([`ErrorKind::Runtime`]), where blocking would
//! stall the runtime — use the async API there.
//!
//! # Features
//!
//! `sqlite`, `postgres` (default): SQL catalog databases. `rest`: the REST catalog.
//! `object-store`: `s3://` warehouses through OpenDAL.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod catalog;
mod commit;
mod error;
mod export;
mod name;
mod options;
mod types;
mod write;

pub use catalog::{CatalogConfig, DEFAULT_CATALOG_NAME, IcebergCatalog, SnapshotInfo, TableInfo};
pub use error::{ErrorKind, IcebergError};
pub use export::{EXPORT_ID_PROPERTY, ExportReport};
pub use options::{
    DEFAULT_BATCH_SIZE_BYTES, ExportAction, ExportEvent, ExportObserver, IcebergOptions, IfExists,
};
pub use types::parse_data_type;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use tessera_core::BatchStream;

impl IcebergCatalog {
    /// Exports `source` into `table` (`namespace.table`). See the crate docs for the
    /// semantics. The returned future is `Send`.
    ///
    /// # Errors
    /// See [`ErrorKind`]; every error says what state the table was left in.
    pub async fn export(
        &self,
        source: Box<dyn BatchStream>,
        table: &str,
        options: &IcebergOptions,
    ) -> Result<ExportReport, IcebergError> {
        export::run(self, source, table, options).await
    }
}

/// The blocking API: an open catalog and the private runtime it runs on.
///
/// Keep one per catalog and thread and reuse it for several exports (connecting is the
/// costly part); [`export_iceberg`] opens one per call. Do not drop it inside an async
/// context (tokio forbids dropping a runtime there).
pub struct IcebergExporter {
    // Field order matters: the catalog (its connection pool) goes before its runtime.
    catalog: IcebergCatalog,
    rt: tokio::runtime::Runtime,
}

impl std::fmt::Debug for IcebergExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcebergExporter").field("catalog", &self.catalog).finish_non_exhaustive()
    }
}

fn refuse_inside_runtime(what: &str) -> Result<(), IcebergError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(IcebergError::new(
            ErrorKind::Runtime,
            format!(
                "export_iceberg(): {what} is the blocking API and was called from inside a tokio runtime, where it would stall the runtime's threads. From async code use IcebergCatalog::open(..).await and IcebergCatalog::export(..).await."
            ),
        ));
    }
    Ok(())
}

impl IcebergExporter {
    /// Starts a private runtime and opens the catalog on it.
    ///
    /// # Errors
    /// `Runtime` inside a tokio runtime or when the runtime cannot start; as
    /// [`IcebergCatalog::open`] otherwise.
    pub fn open(config: &CatalogConfig) -> Result<Self, IcebergError> {
        refuse_inside_runtime("IcebergExporter::open")?;
        // Threads for parallel data file writers (IcebergOptions::with_writers); idle otherwise.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("tessera-iceberg")
            .enable_all()
            .build()
            .map_err(|e| {
                IcebergError::new(
                    ErrorKind::Runtime,
                    format!("export_iceberg(): cannot start a tokio runtime: {e}"),
                )
                .with_source(e)
            })?;
        let catalog = rt.block_on(IcebergCatalog::open_on(config, iceberg::Runtime::new(&rt)))?;
        Ok(IcebergExporter { catalog, rt })
    }

    /// The open catalog.
    pub fn catalog(&self) -> &IcebergCatalog {
        &self.catalog
    }

    /// Exports `source` into `table`; see [`IcebergCatalog::export`].
    ///
    /// # Errors
    /// `Runtime` when called inside a tokio runtime; see [`ErrorKind`].
    pub fn export(
        &self,
        source: Box<dyn BatchStream>,
        table: &str,
        options: &IcebergOptions,
    ) -> Result<ExportReport, IcebergError> {
        refuse_inside_runtime("IcebergExporter::export")?;
        self.rt.block_on(self.catalog.export(source, table, options))
    }

    /// See [`IcebergCatalog::table_exists`].
    ///
    /// # Errors
    /// As there, and `Runtime` inside a tokio runtime.
    pub fn table_exists(&self, table: &str) -> Result<bool, IcebergError> {
        refuse_inside_runtime("IcebergExporter::table_exists")?;
        self.rt.block_on(self.catalog.table_exists(table))
    }

    /// See [`IcebergCatalog::drop_table`].
    ///
    /// # Errors
    /// As there, and `Runtime` inside a tokio runtime.
    pub fn drop_table(&self, table: &str, purge: bool) -> Result<(), IcebergError> {
        refuse_inside_runtime("IcebergExporter::drop_table")?;
        self.rt.block_on(self.catalog.drop_table(table, purge))
    }

    /// See [`IcebergCatalog::describe_table`].
    ///
    /// # Errors
    /// As there, and `Runtime` inside a tokio runtime.
    pub fn describe_table(&self, table: &str) -> Result<TableInfo, IcebergError> {
        refuse_inside_runtime("IcebergExporter::describe_table")?;
        self.rt.block_on(self.catalog.describe_table(table))
    }

    /// See [`IcebergCatalog::read_table`].
    ///
    /// # Errors
    /// As there, and `Runtime` inside a tokio runtime.
    pub fn read_table(&self, table: &str) -> Result<(SchemaRef, Vec<RecordBatch>), IcebergError> {
        refuse_inside_runtime("IcebergExporter::read_table")?;
        self.rt.block_on(self.catalog.read_table(table))
    }
}

/// Exports `source` (a table's batch stream, usually after
/// [`tessera_core::table::query`]) into `table` of `catalog`, with a private runtime and a
/// connection opened for this call. See the crate docs.
///
/// # Errors
/// See [`ErrorKind`]. The table name is checked before the catalog is opened.
pub fn export_iceberg(
    source: Box<dyn BatchStream>,
    catalog: &CatalogConfig,
    table: &str,
    options: &IcebergOptions,
) -> Result<ExportReport, IcebergError> {
    name::TableName::parse(table)?;
    IcebergExporter::open(catalog)?.export(source, table, options)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_async_export_is_send() {
        // Compile-time: a server can spawn the export on a multi-thread runtime.
        fn assert_send<T: Send>(_: T) {}
        fn check(c: &IcebergCatalog, s: Box<dyn BatchStream>, o: &IcebergOptions) {
            assert_send(c.export(s, "a.b", o));
        }
        let _ = check as fn(&IcebergCatalog, Box<dyn BatchStream>, &IcebergOptions);
    }

    #[test]
    fn handles_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<IcebergCatalog>();
        assert_send_sync::<IcebergExporter>();
        assert_send_sync::<CatalogConfig>();
        assert_send_sync::<IcebergOptions>();
    }

    #[test]
    fn reports_serialize_for_a_server() {
        let r = ExportReport {
            table: "ns.t".into(),
            action: ExportAction::Replace,
            rows: 3,
            batches: 1,
            input_bytes: 24,
            data_files: 1,
            data_file_bytes: 500,
            snapshot_id: Some(7),
            metadata_location: None,
            location: "file:///wh/ns/t".into(),
            export_id: "x".into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["action"], "replace");
        assert_eq!(v["snapshot_id"], 7);
        assert_eq!(v["table"], "ns.t");
    }

    #[test]
    fn blocking_api_refuses_inside_a_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let e = rt.block_on(async { refuse_inside_runtime("export_iceberg").unwrap_err() });
        assert_eq!(e.kind(), ErrorKind::Runtime);
        assert!(e.to_string().contains("IcebergCatalog::export"));
        assert!(refuse_inside_runtime("x").is_ok());
    }
}
