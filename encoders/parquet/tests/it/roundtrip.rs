//! Encode with the registered encoder, decode with the `parquet` crate's Arrow reader,
//! compare the rows.

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Encoding;
use proptest::prelude::*;
use tessera_core::{EncodeError, Family, Params, Registration, Registry, Table, TableEncoder};
use tessera_parquet as _;
use tessera_parquet::{ParquetEncoder, ParquetOptions};
use tessera_testkit::{strategies, workloads};

fn encode(t: &Table, params: &Params) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    ParquetEncoder.encode(&mut t.stream(), params, &mut out)?;
    Ok(out)
}

/// The file's Arrow schema and all its rows as one batch (`None` when it has no rows).
fn read(bytes: Vec<u8>) -> (SchemaRef, Option<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).expect("a valid Parquet file");
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> =
        builder.build().expect("a reader").collect::<Result<_, _>>().expect("valid row groups");
    let all = (!batches.is_empty()).then(|| concat_batches(&schema, &batches).expect("one schema"));
    (schema, all)
}

const CODECS: [&str; 4] = ["zstd", "snappy", "lz4", "none"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every generated table (every column kind, nulls, nested types, awkward names,
    /// zero rows) comes back with the same Arrow schema and the same rows, with every codec.
    #[test]
    fn tables_round_trip((schema, batches) in strategies::arrow_table(), codec in 0usize..4) {
        let t = Table::from_batches(schema.clone(), batches.clone()).unwrap();
        let (s, back) = read(encode(&t, &Params::new().with("compression", CODECS[codec])).unwrap());
        prop_assert_eq!(&s, &schema);
        let expected = concat_batches(&schema, &batches).unwrap();
        match back {
            Some(b) => prop_assert_eq!(b, expected),
            None => prop_assert_eq!(expected.num_rows(), 0),
        }
    }

    /// Any parameter value is either accepted or refused as `InvalidOption` before a byte
    /// is written; never a backend error, never a panic.
    #[test]
    fn parameters_are_valid_or_invalid_options(
        (schema, batches) in strategies::flat_table(),
        key in prop_oneof![Just("compression".to_owned()), Just("level".to_owned()), "[a-z]{1,6}"],
        value in prop_oneof![Just("snappy".to_owned()), Just("ZSTD".to_owned()), Just("22".to_owned()), ".{0,6}"],
    ) {
        let t = Table::from_batches(schema, batches).unwrap();
        let mut out = Vec::new();
        match ParquetEncoder.encode(&mut t.stream(), &Params::new().with(&key, &value), &mut out) {
            Ok(()) => prop_assert_eq!(&out[..4], b"PAR1"),
            Err(EncodeError::InvalidOption { .. }) => prop_assert!(out.is_empty()),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

#[test]
fn t2_round_trips_through_the_registry() {
    let reg = Registry::global().unwrap();
    let t = workloads::t2();
    let (Registration::Table(enc), params) = reg.negotiate(Family::Table, Some("parquet"), None).unwrap()
    else {
        panic!("parquet is a table encoder");
    };
    let mut out = Vec::new();
    enc.encode(&mut t.stream(), &params, &mut out).unwrap();
    let expected: Vec<RecordBatch> = t.stream().map(Result::unwrap).collect();
    let (schema, back) = read(out);
    assert_eq!(back.unwrap(), concat_batches(&schema, &expected).unwrap());
}

#[test]
fn auto_dictionary_skips_distinct_columns_only() {
    let t = workloads::t2();
    let bytes = encode(&t, &Params::new()).unwrap();
    let meta = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).unwrap().metadata().clone();
    let rg = meta.row_group(0);
    let dictionary = |name: &str| {
        let col = rg.columns().iter().find(|c| c.column_path().string() == name).unwrap();
        col.encodings().any(|e| e == Encoding::RLE_DICTIONARY)
    };
    // id, sin, ts, half are unique per row; name has 1000 values.
    assert!(!dictionary("id") && !dictionary("sin") && !dictionary("ts") && !dictionary("half"));
    assert!(dictionary("name"));
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let t = workloads::t2();
    let write = |threads: usize| {
        let opts = ParquetOptions::default().with_threads(threads).with_max_row_group_rows(30_000);
        let mut w = opts.build(Vec::new(), t.schema()).unwrap();
        for b in t.stream() {
            w.write(&b.unwrap()).unwrap();
        }
        w.finish().unwrap()
    };
    let one = write(1);
    assert_eq!(one, write(2));
    assert_eq!(one, write(7));
    let (_, back) = read(one);
    assert_eq!(back.unwrap().num_rows(), 100_000);
}

#[test]
fn d1_exports_one_column_per_variable() {
    let ds = workloads::d1();
    let reg = Registry::global().unwrap();
    let (Registration::Dataset(enc), params) = reg.negotiate(Family::Dataset, Some("parquet"), None).unwrap()
    else {
        panic!("dataset encoder");
    };
    let mut out = Vec::new();
    enc.encode(&ds, &params, &mut out).unwrap();
    let (schema, back) = read(out);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["time", "a", "b"]);
    assert_eq!(back.unwrap().num_rows(), 1_000_000);
}

#[test]
fn a_table_larger_than_a_row_group_streams_row_group_by_row_group() {
    // 1M rows in 16 batches of 64 Ki rows; row groups of 128 Ki rows (~5 MB of input each).
    let t = workloads::t1();
    for threads in [1, 2, 4] {
        let mut w = ParquetOptions::default().with_threads(threads).build(Vec::new(), t.schema()).unwrap();
        let mut peak = 0;
        let mut sink_sizes = Vec::new();
        for b in t.stream() {
            w.write(&b.unwrap()).unwrap();
            peak = peak.max(w.buffered_bytes());
            sink_sizes.push(w.get_ref().len());
        }
        // With n threads, n row groups (2n batches) reach the sink together.
        assert!(sink_sizes[0] <= 4, "at most the header before the first row groups are written");
        let writes = sink_sizes.windows(2).filter(|w| w[1] > w[0]).count();
        assert!(writes + 1 >= 8 / threads, "{threads} threads: {sink_sizes:?}");
        let out = w.finish().unwrap();
        let (_, back) = read(out.clone());
        assert_eq!(back.unwrap().num_rows(), 1_000_000);
        // The writer holds at most `threads` row groups of input, never the file.
        assert!(peak < threads * (6 << 20), "{threads} threads: peak buffered {peak}");
    }
}
