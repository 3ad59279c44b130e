//! Parquet of any table, with any codec and small row groups: never panics, and the
//! `parquet` crate's Arrow reader gets the same schema and the same rows back.
#![no_main]

use arbitrary::Unstructured;
use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use libfuzzer_sys::fuzz_target;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tessera_core::fuzzing::arbitrary_table;
use tessera_parquet::{ParquetCompression, ParquetDictionary, ParquetOptions, ParquetStatistics};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(table) = arbitrary_table(&mut u) else { return };
    let compression = [
        ParquetCompression::Zstd(1),
        ParquetCompression::Snappy,
        ParquetCompression::Lz4,
        ParquetCompression::None,
    ][u.choose_index(4).unwrap_or(0)];
    let dictionary = [ParquetDictionary::Auto, ParquetDictionary::Always, ParquetDictionary::Never]
        [u.choose_index(3).unwrap_or(0)];
    let statistics = [ParquetStatistics::Chunk, ParquetStatistics::Page, ParquetStatistics::None]
        [u.choose_index(3).unwrap_or(0)];
    let rows_per_group = u.int_in_range(1..=64).unwrap_or(64);
    let opts = ParquetOptions::default()
        .with_compression(compression)
        .with_dictionary(dictionary)
        .with_statistics(statistics)
        .with_max_row_group_rows(rows_per_group);

    let mut w = opts.build(Vec::new(), table.schema()).expect("every arbitrary table has a Parquet schema");
    for b in table.stream() {
        w.write(&b.expect("in-memory batches")).expect("every batch encodes");
    }
    let file = w.finish().expect("the footer is written");

    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).expect("the file opens");
    assert_eq!(builder.schema(), table.schema());
    let back: Vec<RecordBatch> =
        builder.build().expect("a reader").collect::<Result<_, _>>().expect("rows decode");
    assert_eq!(back.iter().map(RecordBatch::num_rows).sum::<usize>(), table.num_rows());
    let expected: Vec<RecordBatch> = table.stream().map(|b| b.expect("in-memory batches")).collect();
    if table.num_rows() > 0 {
        let schema = table.schema();
        assert_eq!(
            concat_batches(schema, &back).expect("one schema"),
            concat_batches(schema, &expected).expect("one schema")
        );
    }
});
