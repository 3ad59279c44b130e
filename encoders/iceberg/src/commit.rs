//! Snapshots built by hand: manifest, manifest list, summary, and the table metadata that
//! points at them. Used where iceberg-rust 0.10 has no action (creating a table with its first
//! snapshot in one catalog operation, and replacing a table's contents), then published by
//! one catalog operation (see `catalog.rs`).

use std::collections::HashMap;

use iceberg::io::FileIO;
use iceberg::spec::{
    DataFile, FormatVersion, MAIN_BRANCH, ManifestListWriter, ManifestWriterBuilder, Operation, Snapshot,
    SnapshotReference, SnapshotRetention, SnapshotSummaryCollector, Summary, TableMetadata,
};
use uuid::Uuid;

use crate::write::Recorder;

/// Summary keys (the Iceberg spec's snapshot summary metrics).
mod keys {
    pub const ADDED_FILES: &str = "added-data-files";
    pub const ADDED_RECORDS: &str = "added-records";
    pub const ADDED_SIZE: &str = "added-files-size";
    pub const DELETED_FILES: &str = "deleted-data-files";
    pub const DELETED_RECORDS: &str = "deleted-records";
    pub const REMOVED_SIZE: &str = "removed-files-size";
    pub const REMOVED_DELETE_FILES: &str = "removed-delete-files";
    pub const REMOVED_POS_DELETES: &str = "removed-position-deletes";
    pub const REMOVED_EQ_DELETES: &str = "removed-equality-deletes";
    pub const TOTAL_FILES: &str = "total-data-files";
    pub const TOTAL_RECORDS: &str = "total-records";
    pub const TOTAL_SIZE: &str = "total-files-size";
    pub const TOTAL_DELETE_FILES: &str = "total-delete-files";
    pub const TOTAL_POS_DELETES: &str = "total-position-deletes";
    pub const TOTAL_EQ_DELETES: &str = "total-equality-deletes";
}

/// A random positive snapshot id not used by `base` (as iceberg-rust's own producer does).
fn new_snapshot_id(base: &TableMetadata) -> i64 {
    loop {
        let (a, b) = Uuid::new_v4().as_u64_pair();
        let id = ((a ^ b) & (i64::MAX as u64)) as i64;
        if id != 0 && !base.snapshots().any(|s| s.snapshot_id() == id) {
            return id;
        }
    }
}

/// Writes the manifest and manifest list of a snapshot whose table content is exactly
/// `files`, with `base`'s current snapshot as parent, and returns the snapshot.
///
/// `op` is `Append` for a new table, `Overwrite` (or `Delete` when `files` is empty) for a
/// replace; the summary then says what the parent held as deleted.
///
/// # Errors
/// Storage errors of the iceberg library.
pub(crate) async fn build_snapshot(
    file_io: &FileIO,
    base: &TableMetadata,
    files: Vec<DataFile>,
    op: Operation,
    properties: &HashMap<String, String>,
    recorder: &Recorder,
) -> iceberg::Result<Snapshot> {
    let snapshot_id = new_snapshot_id(base);
    let seq = base.next_sequence_number();
    let commit = Uuid::now_v7();
    let meta_dir = format!("{}/metadata", base.location().trim_end_matches('/'));
    let schema = base.current_schema().clone();
    let spec = base.default_partition_spec().clone();
    let version = base.format_version();

    let mut summary = SnapshotSummaryCollector::default();
    for f in &files {
        summary.add_file(f, schema.clone(), spec.clone());
    }
    let mut props: HashMap<String, String> = properties.clone();
    props.extend(summary.build());
    totals(&mut props, base, op.clone());

    let mut manifests = Vec::new();
    if !files.is_empty() {
        let path = format!("{meta_dir}/{commit}-m0.avro");
        recorder.record(&path);
        let out = file_io.new_output(&path)?;
        let builder =
            ManifestWriterBuilder::new(out, Some(snapshot_id), schema.clone(), spec.as_ref().clone());
        let mut w = match version {
            FormatVersion::V1 => builder.build_v1(),
            FormatVersion::V2 => builder.build_v2_data(),
            FormatVersion::V3 => builder.build_v3_data(),
        };
        for f in files {
            w.add_file(f, seq)?;
        }
        manifests.push(w.write_manifest_file().await?);
    }

    let list_path = format!("{meta_dir}/snap-{snapshot_id}-0-{commit}.avro");
    recorder.record(&list_path);
    let writer = file_io.new_output(&list_path)?.writer().await?;
    let parent = base.current_snapshot_id();
    let first_row_id = base.next_row_id();
    let mut list = match version {
        FormatVersion::V1 => ManifestListWriter::v1(writer, snapshot_id, parent),
        FormatVersion::V2 => ManifestListWriter::v2(writer, snapshot_id, parent, seq),
        FormatVersion::V3 => ManifestListWriter::v3(writer, snapshot_id, parent, seq, Some(first_row_id)),
    };
    list.add_manifests(manifests.into_iter())?;
    let next_row_id = list.next_row_id();
    list.close().await?;

    let snapshot = Snapshot::builder()
        .with_snapshot_id(snapshot_id)
        .with_parent_snapshot_id(parent)
        .with_sequence_number(seq)
        .with_timestamp_ms(chrono_now_ms())
        .with_manifest_list(list_path)
        .with_summary(Summary { operation: op, additional_properties: props })
        .with_schema_id(base.current_schema_id());
    Ok(match next_row_id {
        Some(next) => snapshot.with_row_range(first_row_id, next.saturating_sub(first_row_id)).build(),
        None => snapshot.build(),
    })
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The `total-*` metrics of a snapshot that holds only the added files, and, for an
/// overwrite or delete, the parent's totals as `deleted-*` / `removed-*`.
fn totals(props: &mut HashMap<String, String>, base: &TableMetadata, op: Operation) {
    let get =
        |p: &HashMap<String, String>, k: &str| p.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let added = [
        (keys::TOTAL_FILES, get(props, keys::ADDED_FILES)),
        (keys::TOTAL_RECORDS, get(props, keys::ADDED_RECORDS)),
        (keys::TOTAL_SIZE, get(props, keys::ADDED_SIZE)),
        (keys::TOTAL_DELETE_FILES, 0),
        (keys::TOTAL_POS_DELETES, 0),
        (keys::TOTAL_EQ_DELETES, 0),
    ];
    if matches!(op, Operation::Overwrite | Operation::Delete)
        && let Some(prev) = base.current_snapshot()
    {
        let prev = &prev.summary().additional_properties;
        let removed = [
            (keys::DELETED_FILES, keys::TOTAL_FILES),
            (keys::DELETED_RECORDS, keys::TOTAL_RECORDS),
            (keys::REMOVED_SIZE, keys::TOTAL_SIZE),
            (keys::REMOVED_DELETE_FILES, keys::TOTAL_DELETE_FILES),
            (keys::REMOVED_POS_DELETES, keys::TOTAL_POS_DELETES),
            (keys::REMOVED_EQ_DELETES, keys::TOTAL_EQ_DELETES),
        ];
        for (k, total) in removed {
            let v = get(prev, total);
            if v > 0 {
                props.insert(k.to_owned(), v.to_string());
            }
        }
    }
    for (k, v) in added {
        props.insert(k.to_owned(), v.to_string());
    }
}

/// `base` plus `snapshot`, which becomes the `main` branch.
pub(crate) fn with_snapshot(base: TableMetadata, snapshot: Snapshot) -> iceberg::Result<TableMetadata> {
    let id = snapshot.snapshot_id();
    Ok(base
        .into_builder(None)
        .add_snapshot(snapshot)?
        .set_ref(MAIN_BRANCH, SnapshotReference::new(id, SnapshotRetention::branch(None, None, None)))?
        .build()?
        .metadata)
}
