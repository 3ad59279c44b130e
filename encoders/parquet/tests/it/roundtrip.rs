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
use tessera_parquet::{ParquetEncoder, ParquetIntegerEncoding, ParquetOptions};
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

/// Column name → whether its first row group uses `encoding`.
fn uses(bytes: &[u8], encoding: Encoding) -> Vec<(String, bool)> {
    let meta =
        ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(bytes)).unwrap().metadata().clone();
    meta.row_group(0)
        .columns()
        .iter()
        .map(|c| (c.column_path().string(), c.encodings().any(|e| e == encoding)))
        .collect()
}

#[test]
fn auto_integer_encoding_deltas_stepping_columns_only() {
    let bytes = encode(&workloads::t2(), &Params::new()).unwrap();
    let delta: Vec<String> =
        uses(&bytes, Encoding::DELTA_BINARY_PACKED).into_iter().filter(|(_, d)| *d).map(|(c, _)| c).collect();
    // id counts up, ts steps by a second; the floats, strings and booleans are not integers.
    assert_eq!(delta, ["id", "ts"]);
}

/// Every integer-like type, with nulls, stepping and random-looking values, in many small
/// row groups encoded on several threads: each integer encoding round-trips.
#[test]
fn integer_encodings_round_trip() {
    use std::sync::Arc;

    use arrow::array::*;

    let n = 20_000i64;
    let scramble = |i: i64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64);
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("i8", Arc::new(Int8Array::from_iter((0..n).map(|i| (i % 7 != 0).then_some((i % 100) as i8))))),
        ("u16", Arc::new(UInt16Array::from_iter_values((0..n).map(|i| i as u16)))),
        ("i32", Arc::new(Int32Array::from_iter((0..n).map(|i| (i % 5 != 0).then_some(i as i32 * 3 - 7000))))),
        ("u32", Arc::new(UInt32Array::from_iter_values((0..n).map(|i| u32::MAX - i as u32)))),
        ("i64", Arc::new(Int64Array::from_iter((0..n).map(|i| (i % 3 != 0).then_some(-1000 * i))))),
        ("random", Arc::new(Int64Array::from_iter_values((0..n).map(scramble)))),
        ("u64", Arc::new(UInt64Array::from_iter_values((0..n).map(|i| u64::MAX - i as u64)))),
        ("d32", Arc::new(Date32Array::from_iter_values((0..n).map(|i| i as i32)))),
        ("d64", Arc::new(Date64Array::from_iter_values((0..n).map(|i| i * 86_400_000)))),
        (
            "ts",
            Arc::new(
                TimestampNanosecondArray::from_iter_values((0..n).map(|i| i * 1_000_000_000))
                    .with_timezone("UTC"),
            ),
        ),
        ("dur", Arc::new(DurationMicrosecondArray::from_iter_values((0..n).map(|i| i * 10)))),
        ("t32", Arc::new(Time32MillisecondArray::from_iter_values((0..n).map(|i| i as i32)))),
        (
            "t64",
            Arc::new(Time64MicrosecondArray::from_iter((0..n).map(|i| (i % 2 == 0).then_some(i * 1000)))),
        ),
        ("all_null", Arc::new(Int64Array::from(vec![None::<i64>; n as usize]))),
    ];
    let batch =
        RecordBatch::try_from_iter_with_nullable(cols.into_iter().map(|(k, v)| (k, v, true))).unwrap();
    let batches: Vec<RecordBatch> =
        (0..n as usize).step_by(3000).map(|s| batch.slice(s, 3000.min(n as usize - s))).collect();
    for encoding in
        [ParquetIntegerEncoding::Auto, ParquetIntegerEncoding::Plain, ParquetIntegerEncoding::Delta]
    {
        let mut outputs = Vec::new();
        for threads in [1, 3] {
            let opts = ParquetOptions::default()
                .with_integer_encoding(encoding)
                .with_threads(threads)
                .with_max_row_group_rows(4096);
            let mut w = opts.build(Vec::new(), batch.schema_ref()).unwrap();
            for b in &batches {
                w.write(b).unwrap();
            }
            let out = w.finish().unwrap();
            let (schema, back) = read(out.clone());
            assert_eq!(&schema, batch.schema_ref());
            assert_eq!(back.unwrap(), batch, "{encoding:?}, {threads} threads");
            outputs.push(out);
        }
        assert_eq!(outputs[0], outputs[1], "{encoding:?}: the output does not depend on the thread count");
        let delta = uses(&outputs[0], Encoding::DELTA_BINARY_PACKED);
        for (col, d) in delta {
            let expected = match encoding {
                ParquetIntegerEncoding::Plain => false,
                // i8 (100 values) and the all-null column stay dictionary-encoded: delta
                // is what a column falls back to when its dictionary grows too large.
                ParquetIntegerEncoding::Delta => !matches!(col.as_str(), "i8" | "all_null"),
                // Stepping columns only; the all-null column has nothing to decide on.
                _ => !matches!(col.as_str(), "random" | "i8" | "all_null"),
            };
            assert_eq!(d, expected, "{encoding:?}: {col}");
        }
    }
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
