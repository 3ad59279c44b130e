//! Export options: `if_exists`, input chunking, schema overrides, type conversions, and an
//! observer for progress and cancellation.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::error::IcebergError;

/// What to do when the table already exists (Pixeltable's `if_exists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IfExists {
    /// Refuse, before the source is read: `export_iceberg(): table 'ns.t' already exists`.
    #[default]
    Error,
    /// Add the rows to the existing table, in one new snapshot. The source schema must have
    /// the table's column names in the table's order, with types that convert without loss.
    Append,
    /// Replace the table's schema and contents, atomically (see the crate docs).
    Replace,
}

impl IfExists {
    /// `"error"`, `"append"` or `"replace"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IfExists::Error => "error",
            IfExists::Append => "append",
            IfExists::Replace => "replace",
        }
    }
}

impl fmt::Display for IfExists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IfExists {
    type Err = IcebergError;

    /// Parses `error`, `append` or `replace`; anything else gives Pixeltable's message.
    fn from_str(s: &str) -> Result<Self, IcebergError> {
        match s {
            "error" => Ok(IfExists::Error),
            "append" => Ok(IfExists::Append),
            "replace" => Ok(IfExists::Replace),
            _ => Err(IcebergError::invalid(
                "export_iceberg(): `if_exists` must be one of: ['error', 'replace', 'append']",
            )),
        }
    }
}

/// What an export does to the catalog. Serializes as `"create"`, `"append"`, `"replace"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ExportAction {
    /// Creates the table (it did not exist).
    Create,
    /// Appends one snapshot to the existing table.
    Append,
    /// Replaces the existing table's schema and contents with one snapshot.
    Replace,
}

impl ExportAction {
    /// `"create"`, `"append"` or `"replace"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportAction::Create => "create",
            ExportAction::Append => "append",
            ExportAction::Replace => "replace",
        }
    }
}

impl fmt::Display for ExportAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of an export, reported to an [`ExportObserver`].
///
/// The steps come in this order (a step that does not apply is skipped): `Started`,
/// `TableCreated` (REST catalogs, new tables only), `BatchWritten` after every input chunk,
/// `DataWritten`, `MetadataWritten` (SQL catalogs, create and replace), `Committing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportEvent<'a> {
    /// Every check passed and the source is about to be read. Nothing was written yet.
    Started {
        /// The table, `namespace.table`.
        table: &'a str,
        /// What the export will do.
        action: ExportAction,
    },
    /// An empty table was created in a REST catalog before the data is written; it is
    /// dropped again if the export fails.
    TableCreated {
        /// The table.
        table: &'a str,
    },
    /// A chunk of the input was written to data files. Totals since the start.
    BatchWritten {
        /// Rows written so far.
        rows: u64,
        /// Input bytes (Arrow memory size) written so far.
        bytes: u64,
    },
    /// Every data file is written and closed; nothing is visible to readers yet.
    DataWritten {
        /// Number of data files.
        data_files: usize,
        /// Rows in them.
        rows: u64,
    },
    /// The new table metadata file is written; it is not visible to readers until the one
    /// catalog operation that follows publishes it.
    MetadataWritten {
        /// Its location.
        location: &'a str,
    },
    /// The catalog operation that publishes the export is next.
    Committing,
}

impl ExportEvent<'_> {
    /// A short name of the step (`started`, `table-created`, `batch-written`, `data-written`,
    /// `metadata-written`, `committing`).
    pub fn name(&self) -> &'static str {
        match self {
            ExportEvent::Started { .. } => "started",
            ExportEvent::TableCreated { .. } => "table-created",
            ExportEvent::BatchWritten { .. } => "batch-written",
            ExportEvent::DataWritten { .. } => "data-written",
            ExportEvent::MetadataWritten { .. } => "metadata-written",
            ExportEvent::Committing => "committing",
        }
    }
}

/// Watches an export: progress bars, cancellation, and fault injection in tests.
///
/// [`on_event`](ExportObserver::on_event) runs on the export's thread, between steps.
/// Returning `Err(reason)` stops the export there, exactly as a failure at that step would:
/// nothing is committed, the files written so far are deleted, and the export returns
/// [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) with `reason` in the message.
pub trait ExportObserver: Send + Sync {
    /// Called at each step.
    ///
    /// # Errors
    /// A reason to stop the export.
    fn on_event(&self, event: &ExportEvent<'_>) -> Result<(), String>;
}

impl<F> ExportObserver for F
where
    F: Fn(&ExportEvent<'_>) -> Result<(), String> + Send + Sync,
{
    fn on_event(&self, event: &ExportEvent<'_>) -> Result<(), String> {
        self(event)
    }
}

/// Default of [`IcebergOptions::with_batch_size_bytes`]: 128 MiB, as Pixeltable.
pub const DEFAULT_BATCH_SIZE_BYTES: usize = 128 * 1024 * 1024;

/// Options of an export. `Default` is Pixeltable's defaults: `if_exists = error`,
/// 128 MiB input chunks, no overrides, no type conversions.
///
/// ```
/// use arrow::datatypes::DataType;
/// use tessera_iceberg::{IcebergOptions, IfExists};
///
/// let opts = IcebergOptions::default()
///     .with_if_exists(IfExists::Append)
///     .with_schema_override("n", DataType::Int32)
///     .with_convert_types(true);
/// assert_eq!(opts.if_exists(), IfExists::Append);
/// assert_eq!(opts.schema_overrides(), &[("n".to_string(), DataType::Int32)]);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct IcebergOptions {
    if_exists: IfExists,
    batch_size_bytes: Option<usize>,
    schema_overrides: Vec<(String, DataType)>,
    convert_types: bool,
    target_file_size_bytes: Option<usize>,
    writers: Option<usize>,
    snapshot_properties: BTreeMap<String, String>,
    observer: Option<Arc<dyn ExportObserver>>,
}

impl fmt::Debug for IcebergOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcebergOptions")
            .field("if_exists", &self.if_exists)
            .field("batch_size_bytes", &self.batch_size_bytes())
            .field("schema_overrides", &self.schema_overrides)
            .field("convert_types", &self.convert_types)
            .field("target_file_size_bytes", &self.target_file_size_bytes)
            .field("writers", &self.writers())
            .field("snapshot_properties", &self.snapshot_properties)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl IcebergOptions {
    /// What to do when the table exists. Default [`IfExists::Error`].
    pub fn with_if_exists(mut self, if_exists: IfExists) -> Self {
        self.if_exists = if_exists;
        self
    }

    /// Input batches larger than this (Arrow memory size) are split into chunks of about
    /// this size before they are converted and written, which bounds the memory of the
    /// conversion. Smaller batches are written as they come. Default 128 MiB
    /// ([`DEFAULT_BATCH_SIZE_BYTES`]); 0 is treated as 1.
    pub fn with_batch_size_bytes(mut self, bytes: usize) -> Self {
        self.batch_size_bytes = Some(bytes.max(1));
        self
    }

    /// Exports column `column` as Arrow type `data_type` instead of its own type
    /// (Pixeltable's `schema_overrides`): for example Int64 → Int32 or Float32 → Float64.
    /// The column must exist in the source, the cast must exist, and every value must fit:
    /// otherwise the export fails (before any write for the first two; with
    /// [`ErrorKind::TypeMismatch`](crate::ErrorKind::TypeMismatch) and nothing committed
    /// for the third). A later override of the same column wins.
    pub fn with_schema_override(mut self, column: impl Into<String>, data_type: DataType) -> Self {
        let column = column.into();
        self.schema_overrides.retain(|(c, _)| *c != column);
        self.schema_overrides.push((column, data_type));
        self
    }

    /// Converts the column types that Iceberg cannot hold into ones it can, instead of
    /// refusing them. Default `false`. The conversions (see the crate docs, "Types"):
    /// fixed-size list → list, UInt64 → decimal(20, 0), Float16 → float32, Date64 → date32,
    /// Time32 → time64\[us\], timestamps in seconds or milliseconds → microseconds,
    /// nanosecond timestamps → microseconds (sub-microsecond digits are dropped), and
    /// timestamps in a zone other than UTC → the same instants in UTC.
    pub fn with_convert_types(mut self, convert: bool) -> Self {
        self.convert_types = convert;
        self
    }

    /// The size at which a data file is closed and the next one started. Default: the
    /// table's `write.target-file-size-bytes` property (512 MiB when unset).
    pub fn with_target_file_size_bytes(mut self, bytes: usize) -> Self {
        self.target_file_size_bytes = Some(bytes.max(1));
        self
    }

    /// How many data files are written at the same time, each by a task of its own (so on
    /// as many cores, on a multi-thread runtime; [`IcebergExporter`](crate::IcebergExporter)
    /// has one with up to 4 threads). Input chunks go to them in turn. Default 1: one file at
    /// a time, rolled at the target size. More writers shorten large exports when cores are
    /// idle, at the cost of more CPU in all (each file has its own dictionaries and
    /// compressor) and memory (each buffers up to one Parquet row group); on a busy machine
    /// they only add that cost. 0 is treated as 1. Partitioned tables are written by one task
    /// (one file per partition).
    pub fn with_writers(mut self, writers: usize) -> Self {
        self.writers = Some(writers.max(1));
        self
    }

    /// Adds a property to the snapshot summary of the commit (for example a job id).
    pub fn with_snapshot_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.snapshot_properties.insert(key.into(), value.into());
        self
    }

    /// Reports each step of the export to `observer`, which may stop it.
    pub fn with_observer(mut self, observer: Arc<dyn ExportObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// See [`with_if_exists`](Self::with_if_exists).
    pub fn if_exists(&self) -> IfExists {
        self.if_exists
    }

    /// See [`with_batch_size_bytes`](Self::with_batch_size_bytes).
    pub fn batch_size_bytes(&self) -> usize {
        self.batch_size_bytes.unwrap_or(DEFAULT_BATCH_SIZE_BYTES)
    }

    /// See [`with_schema_override`](Self::with_schema_override), in the order given.
    pub fn schema_overrides(&self) -> &[(String, DataType)] {
        &self.schema_overrides
    }

    /// See [`with_convert_types`](Self::with_convert_types).
    pub fn convert_types(&self) -> bool {
        self.convert_types
    }

    /// See [`with_target_file_size_bytes`](Self::with_target_file_size_bytes).
    pub fn target_file_size_bytes(&self) -> Option<usize> {
        self.target_file_size_bytes
    }

    /// See [`with_writers`](Self::with_writers).
    pub fn writers(&self) -> usize {
        self.writers.unwrap_or(1)
    }

    /// See [`with_snapshot_property`](Self::with_snapshot_property).
    pub fn snapshot_properties(&self) -> &BTreeMap<String, String> {
        &self.snapshot_properties
    }

    pub(crate) fn notify(&self, event: ExportEvent<'_>) -> Result<(), IcebergError> {
        match &self.observer {
            Some(o) => o.on_event(&event).map_err(|reason| {
                IcebergError::new(
                    crate::ErrorKind::Aborted,
                    format!("export_iceberg(): stopped at step `{}`: {reason}.", event.name()),
                )
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn if_exists_parses_pixeltable_values() {
        assert_eq!("error".parse::<IfExists>().unwrap(), IfExists::Error);
        assert_eq!("append".parse::<IfExists>().unwrap(), IfExists::Append);
        assert_eq!("replace".parse::<IfExists>().unwrap(), IfExists::Replace);
        let e = "overwrite".parse::<IfExists>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "export_iceberg(): `if_exists` must be one of: ['error', 'replace', 'append']"
        );
        assert_eq!(IfExists::default(), IfExists::Error);
    }

    #[test]
    fn defaults_and_setters() {
        let o = IcebergOptions::default();
        assert_eq!(o.batch_size_bytes(), 128 << 20);
        assert!(!o.convert_types());
        let o = o.with_batch_size_bytes(0).with_schema_override("a", DataType::Int32);
        assert_eq!(o.batch_size_bytes(), 1);
        let o = o.with_schema_override("a", DataType::Int16);
        assert_eq!(o.schema_overrides(), &[("a".to_string(), DataType::Int16)]);
        assert!(format!("{o:?}").contains("observer: false"));
    }

    #[test]
    fn observer_stops_with_the_step_name() {
        let o = IcebergOptions::default().with_observer(Arc::new(|e: &ExportEvent<'_>| match e {
            ExportEvent::Committing => Err("no".to_string()),
            _ => Ok(()),
        }));
        assert!(o.notify(ExportEvent::BatchWritten { rows: 1, bytes: 1 }).is_ok());
        let e = o.notify(ExportEvent::Committing).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Aborted);
        assert_eq!(e.to_string(), "export_iceberg(): stopped at step `committing`: no.");
    }
}
