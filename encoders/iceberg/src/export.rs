//! The export itself: resolve the table, check everything, write the data, publish it with
//! one catalog operation, and on any failure leave the catalog as it was and delete the files
//! written.

use std::collections::HashMap;
use std::sync::Arc;

use iceberg::arrow::{arrow_schema_to_schema_auto_assign_ids, schema_to_arrow_schema};
use iceberg::spec::{
    ListType, MapType, NestedField, Operation, Schema as IcebergSchema, SortOrder, StructType, TableMetadata,
    TableMetadataBuilder, Type, UnboundPartitionSpec,
};
use iceberg::table::Table;
use iceberg::transaction::{ApplyTransactionAction, Transaction};
use iceberg::{MetadataLocation, TableCreation};
use tessera_core::BatchStream;

use crate::catalog::{IcebergCatalog, SqlSide};
use crate::commit::{build_snapshot, with_snapshot};
use crate::error::{ErrorKind, IcebergError};
use crate::name::TableName;
use crate::options::{ExportAction, ExportEvent, IcebergOptions, IfExists};
use crate::types::{BatchCaster, Prepared, check_append, prepare};
use crate::write::{Recorder, Written, pump, write_data};

/// The snapshot-summary key holding each export's id, so that a commit whose answer was lost
/// can be recognized.
pub const EXPORT_ID_PROPERTY: &str = "tessera.export-id";

/// What an export did. Serializes (serde) as an object with these field names, for
/// a server's JSON answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ExportReport {
    /// The table, `namespace.table`.
    pub table: String,
    /// Created, appended to, or replaced.
    pub action: ExportAction,
    /// Rows written.
    pub rows: u64,
    /// Input chunks written (after `batch_size_bytes` splitting).
    pub batches: u64,
    /// Arrow memory size of the input written.
    pub input_bytes: u64,
    /// Data files written.
    pub data_files: usize,
    /// Their total size in bytes.
    pub data_file_bytes: u64,
    /// The snapshot committed; `None` when the source was empty and no snapshot was made
    /// (a new table is then created without a snapshot; an append changes nothing).
    pub snapshot_id: Option<i64>,
    /// The table's metadata file after the export.
    pub metadata_location: Option<String>,
    /// The table's location (its `data/` and `metadata/` directories are under it).
    pub location: String,
    /// The export's id (`tessera.export-id` in the snapshot summary).
    pub export_id: String,
}

fn ice(ctx: impl std::fmt::Display) -> impl FnOnce(iceberg::Error) -> IcebergError {
    move |e| IcebergError::catalog(format!("export_iceberg(): {ctx}"), e)
}

/// Runs one export on an open catalog.
pub(crate) async fn run(
    cat: &IcebergCatalog,
    source: Box<dyn BatchStream>,
    table: &str,
    options: &IcebergOptions,
) -> Result<ExportReport, IcebergError> {
    let name = TableName::parse(table)?;
    let existing = cat
        .load_if_exists(&name.ident)
        .await
        .map_err(ice(format_args!("looking up table {} failed", name.repr())))?;
    let action = match (&existing, options.if_exists()) {
        (None, _) => ExportAction::Create,
        (Some(_), IfExists::Error) => {
            return Err(IcebergError::new(
                ErrorKind::AlreadyExists,
                format!("export_iceberg(): table {} already exists", name.repr()),
            ));
        }
        (Some(_), IfExists::Append) => ExportAction::Append,
        (Some(_), IfExists::Replace) => ExportAction::Replace,
    };
    if action == ExportAction::Replace && cat.sql.is_none() {
        return Err(IcebergError::new(
            ErrorKind::Unsupported,
            format!(
                "export_iceberg(): if_exists='replace' is only available on SQL catalogs: it needs an atomic commit of a snapshot that replaces the table's contents, which iceberg-rust 0.10 cannot send to a REST catalog (apache/iceberg-rust#2269). Table {} was not touched; drop it first or use if_exists='append'.",
                name.repr()
            ),
        ));
    }
    let prepared = prepare(&source.schema(), options)?;
    let export_id = uuid::Uuid::now_v7().to_string();
    let mut props: HashMap<String, String> =
        options.snapshot_properties().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    props.insert(EXPORT_ID_PROPERTY.to_owned(), export_id.clone());
    let ctx = Ctx { cat, name: &name, options, props, export_id };
    match (existing, &cat.sql) {
        (None, Some(side)) => ctx.create_sql(side, prepared, source).await,
        (None, None) => ctx.create_rest(prepared, source).await,
        (Some(t), _) if action == ExportAction::Append => ctx.append(t, prepared, source).await,
        (Some(t), Some(side)) => ctx.replace(side, t, prepared, source).await,
        (Some(_), None) => unreachable!("replace on a REST catalog was refused above"),
    }
}

/// Data and metadata written, not yet published.
struct Staged {
    written: Written,
    snapshot_id: Option<i64>,
    /// The new metadata file.
    metadata: String,
}

struct Ctx<'a> {
    cat: &'a IcebergCatalog,
    name: &'a TableName,
    options: &'a IcebergOptions,
    props: HashMap<String, String>,
    export_id: String,
}

impl Ctx<'_> {
    fn report(
        &self,
        action: ExportAction,
        w: &Written,
        snapshot_id: Option<i64>,
        meta: Option<String>,
        location: &str,
    ) -> ExportReport {
        ExportReport {
            table: self.name.full.clone(),
            action,
            rows: w.rows,
            batches: w.batches,
            input_bytes: w.input_bytes,
            data_files: w.files.len(),
            data_file_bytes: w.file_bytes(),
            snapshot_id,
            metadata_location: meta,
            location: location.to_owned(),
            export_id: self.export_id.clone(),
        }
    }

    fn unchanged(&self) -> String {
        format!("Nothing was committed: table {} is unchanged.", self.name.repr())
    }

    /// The `Started` step; a stop there leaves everything as it was, and says so.
    fn started(&self, action: ExportAction) -> Result<(), IcebergError> {
        self.options.notify(ExportEvent::Started { table: &self.name.full, action }).map_err(|e| {
            e.append(if action == ExportAction::Create { self.not_created() } else { self.unchanged() })
                .append("No file had been written.")
        })
    }

    fn not_created(&self) -> String {
        format!("Nothing was committed: table {} was not created.", self.name.repr())
    }

    /// New table in a SQL catalog: write the data, then its metadata (with the first
    /// snapshot), then register it — one INSERT. Readers never see a half-made table.
    async fn create_sql(
        &self,
        side: &SqlSide,
        prepared: Prepared,
        source: Box<dyn BatchStream>,
    ) -> Result<ExportReport, IcebergError> {
        let ns = self.name.namespace();
        let ns_location = self
            .cat
            .namespace_location(ns)
            .await
            .map_err(ice(format_args!("reading namespace {} failed", ns.join("."))))?;
        let location = side.table_location(ns_location.as_deref(), &self.name.ident);
        let schema = arrow_schema_to_schema_auto_assign_ids(&prepared.schema).map_err(unsupported)?;
        let creation = TableCreation::builder()
            .name(self.name.table().to_owned())
            .schema(schema)
            .location(location.clone())
            .build();
        let meta = TableMetadataBuilder::from_table_creation(creation)
            .and_then(|b| b.build())
            .map_err(ice("building the table metadata failed"))?
            .metadata;
        let caster = caster(&meta, prepared, self.name)?;
        self.started(ExportAction::Create)?;
        let recorder = Recorder::default();
        let file_io = &side.file_io;
        let staged = async {
            let st = self
                .stage(
                    file_io,
                    meta,
                    &caster,
                    source,
                    None,
                    |m| MetadataLocation::new_with_metadata(&location, m),
                    &recorder,
                )
                .await?;
            self.cat
                .ensure_namespace(ns)
                .await
                .map_err(ice(format_args!("creating namespace {} failed", ns.join("."))))?;
            self.options.notify(ExportEvent::Committing)?;
            Ok::<_, IcebergError>(st)
        }
        .await;
        let Staged { written, snapshot_id, metadata: loc } = match staged {
            Ok(s) => s,
            Err(e) => return Err(e.append(self.not_created()).append(recorder.cleanup(file_io).await)),
        };
        let done =
            |w: &Written| self.report(ExportAction::Create, w, snapshot_id, Some(loc.clone()), &location);
        match self.cat.catalog.register_table(&self.name.ident, loc.clone()).await {
            Ok(_) => Ok(done(&written)),
            Err(e) => match side.metadata_location(&self.name.ident).await {
                // The INSERT went through although its answer was lost.
                Ok(Some(l)) if l == loc => Ok(done(&written)),
                Ok(other) => {
                    let err = if other.is_some() {
                        IcebergError::new(
                            ErrorKind::Conflict,
                            format!(
                                "export_iceberg(): table {} was created by another writer while this export ran.",
                                self.name.repr()
                            ),
                        )
                        .with_source(e)
                        .append("Nothing was committed by this export; the other writer's table is untouched.")
                    } else {
                        IcebergError::catalog("export_iceberg(): registering the new table failed", e).append(self.not_created())
                    };
                    Err(err.append(recorder.cleanup(file_io).await))
                }
                Err(e2) => Err(IcebergError::catalog("export_iceberg(): registering the new table failed", e).append(format!(
                    "Reading the catalog back failed too ({e2}), so whether table {} was created is unknown; the files written were kept (metadata {loc}).",
                    self.name.repr()
                ))),
            },
        }
    }

    /// Writes the data, a snapshot holding exactly those files (with `base`'s current
    /// snapshot as parent), and the metadata file that points at it. Nothing is published.
    /// An empty source gets the snapshot operation `empty`, or no snapshot when `None`.
    #[allow(clippy::too_many_arguments)]
    async fn stage(
        &self,
        file_io: &iceberg::io::FileIO,
        base: TableMetadata,
        caster: &BatchCaster,
        source: Box<dyn BatchStream>,
        empty: Option<Operation>,
        metadata_location: impl FnOnce(&TableMetadata) -> MetadataLocation,
        recorder: &Recorder,
    ) -> Result<Staged, IcebergError> {
        let written = write_data(file_io, &base, caster, pump(source), self.options, recorder).await?;
        self.options
            .notify(ExportEvent::DataWritten { data_files: written.files.len(), rows: written.rows })?;
        let op = match (written.files.is_empty(), empty, base.current_snapshot().is_some()) {
            (false, _, false) => Some(Operation::Append),
            (false, _, true) => Some(Operation::Overwrite),
            (true, op, _) => op,
        };
        let (meta, snapshot_id) = match op {
            None => (base, None),
            Some(op) => {
                let snap = build_snapshot(file_io, &base, written.files.clone(), op, &self.props, recorder)
                    .await
                    .map_err(ice("writing the snapshot failed"))?;
                let id = snap.snapshot_id();
                (with_snapshot(base, snap).map_err(ice("building the table metadata failed"))?, Some(id))
            }
        };
        let ml = metadata_location(&meta);
        let loc = ml.to_string();
        // Metadata files are never overwritten: another name is a bug, not a retry.
        if file_io.exists(&loc).await.map_err(ice("checking the new metadata location failed"))? {
            return Err(IcebergError::new(
                ErrorKind::Catalog,
                format!(
                    "export_iceberg(): the new metadata file {loc} exists already; nothing was overwritten."
                ),
            ));
        }
        recorder.record(&loc);
        meta.write_to(file_io, &ml).await.map_err(ice("writing the table metadata failed"))?;
        self.options.notify(ExportEvent::MetadataWritten { location: &loc })?;
        Ok(Staged { written, snapshot_id, metadata: loc })
    }

    /// New table in a REST catalog: create it empty, write, append. If anything fails the
    /// table is dropped again.
    async fn create_rest(
        &self,
        prepared: Prepared,
        source: Box<dyn BatchStream>,
    ) -> Result<ExportReport, IcebergError> {
        let ns = self.name.namespace();
        let schema = arrow_schema_to_schema_auto_assign_ids(&prepared.schema).map_err(unsupported)?;
        self.started(ExportAction::Create)?;
        self.cat
            .ensure_namespace(ns)
            .await
            .map_err(ice(format_args!("creating namespace {} failed", ns.join("."))))?;
        let creation = TableCreation::builder().name(self.name.table().to_owned()).schema(schema).build();
        let table = self
            .cat
            .catalog
            .create_table(ns, creation)
            .await
            .map_err(ice(format_args!("creating table {} failed", self.name.repr())))?;
        let result = async {
            self.options.notify(ExportEvent::TableCreated { table: &self.name.full })?;
            let caster = caster(table.metadata(), prepared, self.name)?;
            self.append_to(&table, caster, source, ExportAction::Create).await
        }
        .await;
        match result {
            Ok(r) => Ok(r),
            Err(e) => {
                let dropped = match self.cat.catalog.drop_table(&self.name.ident).await {
                    Ok(()) => "The table created for it was dropped again.".to_owned(),
                    Err(d) => format!(
                        "Dropping the table created for it failed ({d}); drop {} by hand.",
                        self.name.repr()
                    ),
                };
                Err(e.append(dropped))
            }
        }
    }

    async fn append(
        &self,
        table: Table,
        prepared: Prepared,
        source: Box<dyn BatchStream>,
    ) -> Result<ExportReport, IcebergError> {
        let caster = caster(table.metadata(), prepared.clone(), self.name)?;
        check_append(&prepared.schema, caster.target(), &self.name.full)?;
        self.started(ExportAction::Append)?;
        self.append_to(&table, caster, source, ExportAction::Append).await
    }

    /// Writes the data into `table`'s files and commits them with one fast append.
    async fn append_to(
        &self,
        table: &Table,
        caster: BatchCaster,
        source: Box<dyn BatchStream>,
        action: ExportAction,
    ) -> Result<ExportReport, IcebergError> {
        let file_io = table.file_io();
        let recorder = Recorder::default();
        let state = if action == ExportAction::Create { String::new() } else { self.unchanged() };
        let location = table.metadata().location().to_owned();
        let written = async {
            let w =
                write_data(file_io, table.metadata(), &caster, pump(source), self.options, &recorder).await?;
            self.options.notify(ExportEvent::DataWritten { data_files: w.files.len(), rows: w.rows })?;
            if !w.files.is_empty() {
                self.options.notify(ExportEvent::Committing)?;
            }
            Ok::<_, IcebergError>(w)
        }
        .await;
        let written = match written {
            Ok(w) => w,
            Err(e) => return Err(e.append(state).append(recorder.cleanup(file_io).await)),
        };
        if written.files.is_empty() {
            let meta = table.metadata_location().map(str::to_owned);
            return Ok(self.report(action, &written, None, meta, &location));
        }
        let tx = Transaction::new(table);
        let append = tx
            .fast_append()
            .with_check_duplicate(false)
            .add_data_files(written.files.clone())
            .set_snapshot_properties(self.props.clone());
        let committed = match append.apply(tx) {
            Ok(tx) => tx.commit(self.cat.catalog.as_ref()).await,
            Err(e) => Err(e),
        };
        match committed {
            Ok(t) => {
                let snap = self.find_snapshot(t.metadata());
                Ok(self.report(action, &written, snap, t.metadata_location().map(str::to_owned), &location))
            }
            Err(e) => {
                let conflict = e.kind() == iceberg::ErrorKind::CatalogCommitConflicts;
                let err = IcebergError::catalog("export_iceberg(): committing the new snapshot failed", e);
                if !conflict {
                    // The commit may have gone through with its answer lost: look for it.
                    match self.cat.catalog.load_table(&self.name.ident).await {
                        Ok(t) => {
                            if let Some(id) = self.find_snapshot(t.metadata()) {
                                let meta = t.metadata_location().map(str::to_owned);
                                return Ok(self.report(action, &written, Some(id), meta, &location));
                            }
                        }
                        Err(e2) => {
                            return Err(err.append(format!(
                                "Reading the table back failed too ({e2}), so whether the snapshot was committed is unknown; the data files were kept (look for snapshot property {EXPORT_ID_PROPERTY}={}).",
                                self.export_id
                            )));
                        }
                    }
                }
                Err(err.append(state).append(recorder.cleanup(file_io).await))
            }
        }
    }

    /// The snapshot of this export in `meta`, by its export id.
    fn find_snapshot(&self, meta: &TableMetadata) -> Option<i64> {
        meta.snapshots()
            .find(|s| s.summary().additional_properties.get(EXPORT_ID_PROPERTY) == Some(&self.export_id))
            .map(|s| s.snapshot_id())
    }

    /// Replace in a SQL catalog: write the new data and a new metadata file for the SAME
    /// table (new schema if it changed, one snapshot holding only the new files), then swap
    /// the catalog's pointer with one compare-and-swap UPDATE. Until that UPDATE the table is
    /// untouched; after it the table is the new one. There is never a second table.
    async fn replace(
        &self,
        side: &SqlSide,
        table: Table,
        prepared: Prepared,
        source: Box<dyn BatchStream>,
    ) -> Result<ExportReport, IcebergError> {
        let cur = table.metadata().clone();
        let cur_loc = table
            .metadata_location_result()
            .map_err(ice(format_args!("table {} has no metadata location", self.name.repr())))?
            .to_owned();
        let fresh = arrow_schema_to_schema_auto_assign_ids(&prepared.schema).map_err(unsupported)?;
        let mut b = cur.clone().into_builder(Some(cur_loc.clone()));
        if !same_struct(fresh.as_struct(), cur.current_schema().as_struct()) {
            let schema =
                shift_ids(&fresh, cur.last_column_id()).map_err(ice("building the new schema failed"))?;
            b = b.add_current_schema(schema).map_err(ice("adding the new schema failed"))?;
            // The old partitioning and sort order may name columns the new schema lacks.
            if !cur.default_partition_spec().is_unpartitioned() {
                b = b
                    .add_default_partition_spec(UnboundPartitionSpec::builder().build())
                    .map_err(ice("resetting the partition spec failed"))?;
            }
            if !cur.default_sort_order().is_unsorted() {
                b = b
                    .add_sort_order(SortOrder::unsorted_order())
                    .and_then(|b| b.set_default_sort_order(-1))
                    .map_err(ice("resetting the sort order failed"))?;
            }
        }
        let staged = b.build().map_err(ice("building the new table metadata failed"))?.metadata;
        let caster = caster(&staged, prepared, self.name)?;
        self.started(ExportAction::Replace)?;
        let recorder = Recorder::default();
        let file_io = &side.file_io;
        let location = staged.location().to_owned();
        // The next version number with a fresh uuid: never the current file's name.
        let new_location = |m: &TableMetadata| match cur_loc.parse::<MetadataLocation>() {
            Ok(l) => l.with_next_version().with_new_metadata(m),
            Err(_) => MetadataLocation::new_with_metadata(&location, m),
        };
        let result = async {
            let st = self
                .stage(file_io, staged, &caster, source, Some(Operation::Delete), new_location, &recorder)
                .await?;
            self.options.notify(ExportEvent::Committing)?;
            Ok::<_, IcebergError>(st)
        }
        .await;
        let Staged { written, snapshot_id, metadata: loc } = match result {
            Ok(r) => r,
            Err(e) => return Err(e.append(self.unchanged()).append(recorder.cleanup(file_io).await)),
        };
        let id = snapshot_id;
        let done = |w: &Written| self.report(ExportAction::Replace, w, id, Some(loc.clone()), &location);
        match side.swap(&self.name.ident, &cur_loc, &loc).await {
            Ok(true) => Ok(done(&written)),
            Ok(false) => {
                let e = IcebergError::new(
                    ErrorKind::Conflict,
                    format!(
                        "export_iceberg(): table {} was changed by another writer (or dropped) while this export ran, so the replace was not committed.",
                        self.name.repr()
                    ),
                )
                .append("Nothing was committed by this export; the table keeps the other writer's changes.");
                Err(e.append(recorder.cleanup(file_io).await))
            }
            Err(e) => match side.metadata_location(&self.name.ident).await {
                Ok(Some(l)) if l == loc => Ok(done(&written)),
                Ok(_) => Err(IcebergError::new(
                    ErrorKind::Catalog,
                    format!("export_iceberg(): the catalog update failed: {e}."),
                )
                .with_source(e)
                .append(self.unchanged())
                .append(recorder.cleanup(file_io).await)),
                Err(e2) => Err(IcebergError::new(
                    ErrorKind::Catalog,
                    format!(
                        "export_iceberg(): the catalog update failed ({e}) and reading the catalog back failed too ({e2}): whether table {} now points at {loc} or still at {cur_loc} is unknown. Either way the table is readable; the files written were kept.",
                        self.name.repr()
                    ),
                )
                .with_source(e)),
            },
        }
    }
}

fn unsupported(e: iceberg::Error) -> IcebergError {
    IcebergError::new(ErrorKind::UnsupportedType, format!("export_iceberg(): {e}")).with_source(e)
}

/// The caster to `meta`'s current schema.
fn caster(meta: &TableMetadata, prepared: Prepared, name: &TableName) -> Result<BatchCaster, IcebergError> {
    let target = schema_to_arrow_schema(meta.current_schema()).map_err(unsupported)?;
    Ok(BatchCaster::new(prepared, Arc::new(target), &name.full))
}

/// Same names, order, optionality and types, ignoring field ids.
fn same_struct(a: &StructType, b: &StructType) -> bool {
    a.fields().len() == b.fields().len() && a.fields().iter().zip(b.fields()).all(|(x, y)| same_field(x, y))
}

fn same_field(a: &NestedField, b: &NestedField) -> bool {
    a.name == b.name && a.required == b.required && same_type(&a.field_type, &b.field_type)
}

fn same_type(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Primitive(x), Type::Primitive(y)) => x == y,
        (Type::Struct(x), Type::Struct(y)) => same_struct(x, y),
        (Type::List(x), Type::List(y)) => same_field(&x.element_field, &y.element_field),
        (Type::Map(x), Type::Map(y)) => {
            same_field(&x.key_field, &y.key_field) && same_field(&x.value_field, &y.value_field)
        }
        _ => false,
    }
}

/// `schema` with every field id moved up by `offset`, so that a replacing schema never
/// reuses an id the table's old schemas gave to another column.
fn shift_ids(schema: &IcebergSchema, offset: i32) -> iceberg::Result<IcebergSchema> {
    fn field(f: &NestedField, offset: i32) -> Arc<NestedField> {
        let mut nf = NestedField::new(f.id + offset, &f.name, ty(&f.field_type, offset), f.required);
        if let Some(d) = &f.doc {
            nf = nf.with_doc(d);
        }
        Arc::new(nf)
    }
    fn ty(t: &Type, offset: i32) -> Type {
        match t {
            Type::Primitive(p) => Type::Primitive(p.clone()),
            Type::Struct(s) => {
                Type::Struct(StructType::new(s.fields().iter().map(|f| field(f, offset)).collect()))
            }
            Type::List(l) => Type::List(ListType::new(field(&l.element_field, offset))),
            Type::Map(m) => {
                Type::Map(MapType::new(field(&m.key_field, offset), field(&m.value_field, offset)))
            }
        }
    }
    IcebergSchema::builder().with_fields(schema.as_struct().fields().iter().map(|f| field(f, offset))).build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn shifted_schemas_keep_their_shape() {
        let arrow = Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new_list("l", Field::new("item", DataType::Utf8, true), true),
            Field::new_struct("s", vec![Field::new("x", DataType::Float64, true)], true),
        ]);
        let s = arrow_schema_to_schema_auto_assign_ids(&arrow).unwrap();
        let shifted = shift_ids(&s, 10).unwrap();
        assert!(same_struct(s.as_struct(), shifted.as_struct()));
        assert_eq!(shifted.highest_field_id(), s.highest_field_id() + 10);
        assert!(shifted.field_by_name("a").unwrap().id > 10);
        let other = Schema::new(vec![Field::new("a", DataType::Int32, true)]);
        let o = arrow_schema_to_schema_auto_assign_ids(&other).unwrap();
        assert!(!same_struct(s.as_struct(), o.as_struct()));
    }
}
