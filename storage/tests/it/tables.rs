//! Parquet tables: round trips checked with the `parquet` crate's own reader, index columns,
//! schema validation that writes nothing, restarts, bounded reads.

use std::collections::HashMap;
use std::fs::File;
use std::sync::Arc;

use arrow::array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use tessera_storage::{ParquetTable, PartitionCache, Storage, StorageError};

use crate::arrays::files;

fn xy_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true), Field::new("y", DataType::Utf8, true)]))
}

fn xy_batch(schema: &SchemaRef, start: i64, n: usize) -> RecordBatch {
    let x = Int64Array::from_iter_values(start..start + n as i64);
    let y = StringArray::from_iter_values((0..n).map(|i| format!("é{i}")));
    RecordBatch::try_new(schema.clone(), vec![Arc::new(x), Arc::new(y)]).unwrap()
}

/// The batches of partition `i`, read with the parquet crate directly (not this crate).
fn read_directly(t: &ParquetTable, i: usize) -> (SchemaRef, Vec<RecordBatch>) {
    let file = File::open(t.path().join(format!("partition-{i}.parquet"))).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    (schema, builder.build().unwrap().map(Result::unwrap).collect())
}

fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    arrow::compute::concat_batches(schema, batches).unwrap()
}

fn storage() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::open(dir.path()).unwrap();
    (dir, s)
}

#[test]
fn partitions_round_trip() {
    let (_d, st) = storage();
    let schema = xy_schema();
    let t = st.create_table("t", schema.clone(), 3).unwrap();
    assert_eq!(t.npartitions(), 3);
    assert!(!t.is_written(0));
    let b0 = vec![xy_batch(&schema, 0, 5), xy_batch(&schema, 5, 2)];
    t.write_partition(0, &b0).unwrap();
    t.write_partition(2, &[xy_batch(&schema, 100, 1)]).unwrap();
    assert!(t.is_written(0) && !t.is_written(1) && t.is_written(2) && !t.is_written(3));

    let (s, got) = read_directly(&t, 0);
    assert_eq!(s.fields(), schema.fields());
    assert_eq!(concat(&s, &got), concat(&schema, &b0));
    let via_us: Vec<_> = t.read_partition(0).unwrap().map(Result::unwrap).collect();
    assert_eq!(concat(&schema, &via_us), concat(&schema, &b0));
    assert!(matches!(t.read_partition(1), Err(StorageError::NotWritten { index: 1 })));
    let Err(e) = t.read_partition(3) else { panic!("partition 3 of 3 read") };
    assert!(matches!(e, StorageError::Partition { index: 3, npartitions: 3 }) && e.is_client_error());
    assert!(t.byte_size() > 0);
    // Rewriting replaces the partition whole.
    t.write_partition(0, &[xy_batch(&schema, 7, 1)]).unwrap();
    assert_eq!(read_directly(&t, 0).1.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
    // After a restart.
    let st2 = Storage::open(st.root()).unwrap();
    let t2 = st2.open_table("t", schema.clone(), 3).unwrap();
    assert_eq!(t2.schema().fields(), schema.fields());
    assert!(t2.is_written(2));
    assert!(!files(t2.path()).iter().any(|f| f.contains(".tmp-")));
}

#[test]
fn empty_partition_and_empty_table() {
    let (_d, st) = storage();
    let schema = xy_schema();
    let t = st.create_table("e", schema.clone(), 1).unwrap();
    t.write_partition(0, &[]).unwrap();
    let (s, got) = read_directly(&t, 0);
    assert_eq!(s.fields(), schema.fields());
    assert_eq!(got.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
    let z = st.create_table("z", schema, 0).unwrap();
    assert!(matches!(z.write_partition(0, &[]), Err(StorageError::Partition { .. })));
}

#[test]
fn pandas_index_column_is_accepted_and_persisted() {
    let (_d, st) = storage();
    let declared = xy_schema();
    let t = st.create_table("pd", declared.clone(), 2).unwrap();
    // What the Tiled client sends: the declared columns plus a RangeIndex column, with
    // pandas metadata.
    let meta =
        HashMap::from([("pandas".to_owned(), r#"{"index_columns": ["__index_level_0__"]}"#.to_owned())]);
    let upload = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("x", DataType::Int64, true),
            Field::new("y", DataType::Utf8, true),
            Field::new("__index_level_0__", DataType::Int64, true),
        ],
        meta.clone(),
    ));
    let b = RecordBatch::try_new(
        upload.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3])),
            Arc::new(StringArray::from(vec!["a", "b", "c"])),
            Arc::new(Int64Array::from(vec![0, 1, 2])),
        ],
    )
    .unwrap();
    t.write_partition(0, &[b]).unwrap();
    assert_eq!(t.schema().fields(), upload.fields());
    assert_eq!(t.schema().metadata(), &meta);
    let (s, got) = read_directly(&t, 0);
    assert_eq!(s.field(2).name(), "__index_level_0__");
    let streamed = t.read_partition(0).unwrap();
    assert_eq!(streamed.schema().metadata(), &meta);
    for b in streamed {
        assert_eq!(b.unwrap().schema().metadata(), &meta);
    }
    assert_eq!(s.metadata().get("pandas"), meta.get("pandas"));
    assert_eq!(got[0].num_columns(), 3);
    // A restart reports the same schema, read from the partition's footer.
    let t2 = Storage::open(st.root()).unwrap().open_table("pd", declared.clone(), 2).unwrap();
    assert_eq!(t2.schema().fields(), upload.fields());
    assert_eq!(t2.schema().metadata(), &meta);
    assert_eq!(t2.declared_schema(), &declared);
    // Another partition without the index column is refused: partitions must agree.
    let e = t2.write_partition(1, &[xy_batch(&declared, 0, 1)]).unwrap_err();
    assert!(matches!(e, StorageError::Schema { .. }), "{e}");
    assert!(!t2.is_written(1));
}

#[test]
fn schema_mismatches_write_nothing() {
    let (_d, st) = storage();
    let declared = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Int64, false),
        Field::new("y", DataType::Float64, true),
    ]));
    let t = st.create_table("bad", declared.clone(), 1).unwrap();
    let mk = |fields: Vec<Field>, cols: Vec<Arc<dyn Array>>| {
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
    };
    let x = || Arc::new(Int64Array::from(vec![1, 2])) as Arc<dyn Array>;
    let y = || Arc::new(Float64Array::from(vec![1.0, 2.0])) as Arc<dyn Array>;
    let cases = vec![
        // wrong type
        mk(
            vec![Field::new("x", DataType::Float64, false), Field::new("y", DataType::Float64, true)],
            vec![y(), y()],
        ),
        // wrong name
        mk(
            vec![Field::new("x", DataType::Int64, false), Field::new("z", DataType::Float64, true)],
            vec![x(), y()],
        ),
        // missing column
        mk(vec![Field::new("x", DataType::Int64, false)], vec![x()]),
        // extra column that is not an index
        mk(
            vec![
                Field::new("x", DataType::Int64, false),
                Field::new("y", DataType::Float64, true),
                Field::new("index", DataType::Int64, true),
            ],
            vec![x(), y(), x()],
        ),
        // swapped order
        mk(
            vec![Field::new("y", DataType::Float64, true), Field::new("x", DataType::Int64, false)],
            vec![y(), x()],
        ),
        // nulls in a column declared non-nullable
        mk(
            vec![Field::new("x", DataType::Int64, true), Field::new("y", DataType::Float64, true)],
            vec![Arc::new(Int64Array::from(vec![Some(1), None])), y()],
        ),
    ];
    for b in cases {
        let e = t.write_partition(0, std::slice::from_ref(&b)).unwrap_err();
        assert!(matches!(e, StorageError::Schema { .. }) && e.is_client_error(), "{:?}: {e}", b.schema());
    }
    assert!(!t.is_written(0));
    assert!(files(t.path()).is_empty());
    // Looser nullability without nulls is fine; the stored field is the declared one.
    let ok = mk(
        vec![Field::new("x", DataType::Int64, true), Field::new("y", DataType::Float64, true)],
        vec![x(), y()],
    );
    t.write_partition(0, &[ok]).unwrap();
    assert_eq!(read_directly(&t, 0).0.fields(), declared.fields());
    // Batches of different schemas in one upload.
    let t2 = st.create_table("bad2", declared.clone(), 1).unwrap();
    let a = mk(
        vec![Field::new("x", DataType::Int64, false), Field::new("y", DataType::Float64, true)],
        vec![x(), y()],
    );
    let b = mk(vec![Field::new("x", DataType::Int64, false)], vec![x()]);
    assert!(matches!(t2.write_partition(0, &[a, b]), Err(StorageError::Schema { .. })));
    assert!(files(t2.path()).is_empty());
}

#[test]
fn reads_are_batched() {
    let (_d, st) = storage();
    let schema = xy_schema();
    let t = st.create_table("big", schema.clone(), 1).unwrap();
    let rows = tessera_storage::READ_BATCH_ROWS * 2 + 10;
    t.write_partition(0, &[xy_batch(&schema, 0, rows)]).unwrap();
    let sizes: Vec<usize> = t.read_partition(0).unwrap().map(|b| b.unwrap().num_rows()).collect();
    assert!(sizes.iter().all(|&n| n <= tessera_storage::READ_BATCH_ROWS), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), rows);
}

#[test]
fn row_groups_decoded_in_parallel_read_as_a_serial_read() {
    let (_d, st) = storage();
    let schema = xy_schema();
    let t = st.create_table("rg", schema.clone(), 1).unwrap();
    // Several row groups of unequal sizes, batches that straddle them.
    let rows = tessera_storage::WRITE_ROW_GROUP_ROWS * 3 + 17;
    t.write_partition(
        0,
        &[xy_batch(&schema, 0, rows / 2), xy_batch(&schema, (rows / 2) as i64, rows - rows / 2)],
    )
    .unwrap();
    let file = File::open(t.path().join("partition-0.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(builder.metadata().num_row_groups(), 4);
    let serial: Vec<RecordBatch> = builder
        .with_batch_size(tessera_storage::READ_BATCH_ROWS)
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Several times: threads that shared a file offset would interleave their reads.
    for _ in 0..5 {
        let parallel: Vec<RecordBatch> = t.read_partition(0).unwrap().map(Result::unwrap).collect();
        assert_eq!(concat(&schema, &parallel), concat(&schema, &serial));
        assert_eq!(parallel.iter().map(RecordBatch::num_rows).sum::<usize>(), rows);
    }
    // A reader that stops early leaves no thread blocked for ever (they see the closed channel).
    let mut s = t.read_partition(0).unwrap();
    assert!(s.next().unwrap().is_ok());
    drop(s);
}

fn cached_storage(capacity: usize) -> (tempfile::TempDir, Storage, Arc<PartitionCache>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(PartitionCache::new(capacity));
    let s = Storage::open(dir.path()).unwrap().with_partition_cache(cache.clone());
    (dir, s, cache)
}

fn read_all(t: &ParquetTable, i: usize) -> RecordBatch {
    let batches: Vec<RecordBatch> = t.read_partition(i).unwrap().map(Result::unwrap).collect();
    concat(&xy_schema(), &batches)
}

#[test]
fn cached_partitions_are_never_stale() {
    let (_d, st, cache) = cached_storage(64 << 20);
    let schema = xy_schema();
    let t = st.create_table("c", schema.clone(), 2).unwrap();
    t.write_partition(0, &[xy_batch(&schema, 0, 1000)]).unwrap();
    assert_eq!(read_all(&t, 0), xy_batch(&schema, 0, 1000));
    assert_eq!(cache.len(), 1, "a partition read to the end is kept");
    assert_eq!(read_all(&t, 0), xy_batch(&schema, 0, 1000));
    // Rewritten through this table: the new file is read.
    t.write_partition(0, &[xy_batch(&schema, 50, 1000)]).unwrap();
    assert_eq!(read_all(&t, 0), xy_batch(&schema, 50, 1000));
    // Rewritten by "another process" (another storage over the same directory, no cache),
    // with the same length: still the new data.
    let other = Storage::open(st.root()).unwrap().open_table("c", schema.clone(), 2).unwrap();
    other.write_partition(0, &[xy_batch(&schema, 70, 1000)]).unwrap();
    assert_eq!(read_all(&t, 0), xy_batch(&schema, 70, 1000));
    assert_eq!(cache.len(), 1, "one entry per partition file");
    // A stream dropped before its end is not kept.
    t.write_partition(1, &[xy_batch(&schema, 0, 10)]).unwrap();
    let mut s = t.read_partition(1).unwrap();
    s.next().unwrap().unwrap();
    drop(s);
    assert_eq!(cache.len(), 1);
    // Removed: not found, not served from the cache.
    st.remove("c").unwrap();
    assert!(matches!(t.read_partition(0), Err(StorageError::NotWritten { .. })));
}

#[test]
fn the_cache_stays_within_its_capacity() {
    let schema = xy_schema();
    let one = {
        let (_d, st, cache) = cached_storage(1 << 30);
        let t = st.create_table("m", schema.clone(), 1).unwrap();
        t.write_partition(0, &[xy_batch(&schema, 0, 5000)]).unwrap();
        read_all(&t, 0);
        cache.used_bytes()
    };
    assert!(one > 0);
    // Room for two such partitions (each at most half the capacity), five read.
    let (_d, st, cache) = cached_storage(one * 5 / 2);
    let t = st.create_table("m", schema.clone(), 5).unwrap();
    for i in 0..5 {
        t.write_partition(i, &[xy_batch(&schema, i as i64, 5000)]).unwrap();
    }
    for round in 0..2 {
        for i in 0..5 {
            assert_eq!(read_all(&t, i), xy_batch(&schema, i as i64, 5000), "round {round}");
            assert!(cache.used_bytes() <= cache.capacity());
        }
    }
    assert_eq!(cache.len(), 2);
    // Too large for the cache: streamed, not kept.
    let (_d2, st2, small) = cached_storage(one);
    let t2 = st2.create_table("m", schema.clone(), 1).unwrap();
    t2.write_partition(0, &[xy_batch(&schema, 0, 5000)]).unwrap();
    assert_eq!(read_all(&t2, 0), xy_batch(&schema, 0, 5000));
    assert!(small.is_empty());
    // Off.
    let (_d3, st3, off) = cached_storage(0);
    let t3 = st3.create_table("m", schema.clone(), 1).unwrap();
    t3.write_partition(0, &[xy_batch(&schema, 0, 50)]).unwrap();
    assert_eq!(read_all(&t3, 0), xy_batch(&schema, 0, 50));
    assert!(off.is_empty());
}

#[test]
fn table_locations() {
    let (_d, st) = storage();
    let schema = xy_schema();
    st.create_table("tt", schema.clone(), 1).unwrap();
    assert!(matches!(st.create_table("tt", schema.clone(), 1), Err(StorageError::AlreadyExists { .. })));
    assert!(matches!(st.open_table("nope", schema.clone(), 1), Err(StorageError::NotFound { .. })));
    assert!(matches!(
        st.create_table("a/../tt", schema.clone(), 1),
        Err(StorageError::InvalidLocation { .. })
    ));
    st.remove("tt").unwrap();
    assert!(matches!(st.open_table("tt", schema, 1), Err(StorageError::NotFound { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Any flat table written as one partition reads back equal through the parquet crate.
    #[test]
    fn flat_tables_round_trip((schema, batches) in tessera_testkit::strategies::flat_table()) {
        let dir = tempfile::tempdir().unwrap();
        let st = Storage::open(dir.path()).unwrap();
        let t = st.create_table("p", schema.clone(), 1).unwrap();
        t.write_partition(0, &batches).unwrap();
        let (s, got) = read_directly(&t, 0);
        prop_assert_eq!(s.fields(), schema.fields());
        prop_assert_eq!(concat(&s, &got), concat(&schema, &batches));
    }
}
