//! Parquet encoder for tessera tables and datasets, streamed row group by row group.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_parquet::{ParquetCompression, ParquetOptions};
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("t", DataType::Float64, false),
//!     Field::new("name", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![
//!     Arc::new(Float64Array::from(vec![0.5, 1.5])),
//!     Arc::new(StringArray::from(vec![Some("a"), None])),
//! ]).unwrap();
//!
//! let mut w = ParquetOptions::default()
//!     .with_compression(ParquetCompression::Snappy)
//!     .build(Vec::new(), &schema)
//!     .unwrap();
//! w.write(&batch).unwrap();
//! let file = w.finish().unwrap();
//! assert_eq!(&file[..4], b"PAR1");
//!
//! // Any Parquet reader gets the rows back, with their Arrow types.
//! let mut r = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
//!     bytes::Bytes::from(file), 1024).unwrap();
//! assert_eq!(r.next().unwrap().unwrap(), batch);
//! ```
//!
//! # Format
//!
//! `application/x-parquet` (alias `parquet`), registered for tables
//! ([`Family::Table`](tessera_core::Family)) and xarray datasets
//! ([`Family::Dataset`](tessera_core::Family), through the dataset's table form
//! [`Dataset::to_table`](tessera_core::dataset::Dataset::to_table): a column per dimension
//! coordinate, then one per variable).
//!
//! One Parquet file, written by the `parquet` crate's Arrow writer: data pages v1,
//! dictionary encoding except for columns whose values are mostly distinct
//! ([`ParquetDictionary::Auto`]), `DELTA_BINARY_PACKED` for integer-like columns whose
//! values step by small amounts (ids, regular timestamps; [`ParquetIntegerEncoding::Auto`])
//! and `PLAIN` otherwise, min/max/null-count statistics per column chunk, and the Arrow schema stored in the
//! footer (`ARROW:schema`) so Arrow readers get the exact input types back (timestamps
//! keep their unit and zone; Arrow types without a Parquet counterpart, such as
//! durations, come back through it). Nulls are kept. Unions cannot be stored and a table
//! without columns is not a Parquet file: both are
//! [`EncodeError::Unsupported`](tessera_core::EncodeError) before any byte.
//!
//! Row groups hold at most 131,072 rows or 64 MiB of input (whichever comes first). With
//! `n` threads (the available parallelism, at most 4), every `n` full row groups are
//! encoded — one column of one row group per thread at a time — and written to the sink
//! in order: memory is bounded by `n` row groups, the output does not depend on `n`, and
//! the format streams
//! ([`Output::Streaming`](tessera_core::Output)) into any `Write`, no `Seek` needed.
//!
//! # Parameters
//!
//! - `compression` — `zstd` (default, level 1), `snappy`, `lz4` (Parquet's `LZ4_RAW`) or
//!   `none`. See [`ParquetCompression::default`] for why zstd.
//! - `level` — the zstd level, 1 to 22 (`compression=zstd` may then be omitted).
//!
//! Anything else is [`EncodeError::InvalidOption`](tessera_core::EncodeError) before any
//! byte is written.
//!
//! # Features
//!
//! `snap` and `lz4` (pure Rust) and `zstd` (compiles the vendored C zstd; no system
//! library) are on by default. Without `zstd` the default codec is snappy.
//!
//! Exact output bytes are not covered by semver; the format and mapping above are.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod dictionary;
mod encoder;
mod error;
mod options;
mod writer;

use tessera_core::{MediaType, Registration};

pub use encoder::ParquetEncoder;
pub use error::ParquetWriteError;
pub use options::{
    DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS, DEFAULT_ZSTD_LEVEL, PARAMS, ParquetCompression,
    ParquetDictionary, ParquetIntegerEncoding, ParquetOptions, ParquetStatistics, default_threads,
};
pub use writer::{ParquetWriter, check_schema};

/// The media type of Parquet files, as Tiled names it.
pub const MEDIA_TYPE: MediaType = MediaType::from_static("application/x-parquet");

/// The encoders of this crate, for
/// [`Registry::from_static`](tessera_core::Registry::from_static): Parquet for tables and
/// for datasets.
pub const REGISTRATIONS: &[Registration] =
    &[Registration::Table(&ParquetEncoder), Registration::Dataset(&ParquetEncoder)];

#[cfg(feature = "register")]
tessera_core::inventory::submit! { Registration::Table(&ParquetEncoder) }
#[cfg(feature = "register")]
tessera_core::inventory::submit! { Registration::Dataset(&ParquetEncoder) }

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, UnionArray};
    use arrow::buffer::ScalarBuffer;
    use arrow::datatypes::{DataType, Field, Schema, UnionFields};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;
    use tessera_core::dataset::{Dataset, Variable};
    use tessera_core::table::Table;
    use tessera_core::{DatasetEncoder, EncodeError, NdArray, Params, TableEncoder};

    use super::*;

    fn table(rows: i64, per_batch: i64) -> Table {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("名前", DataType::Utf8, true),
        ]));
        let batches = (0..rows)
            .step_by(per_batch.max(1) as usize)
            .map(|start| {
                let r = start..(start + per_batch).min(rows);
                let cols: Vec<ArrayRef> = vec![
                    Arc::new(Int64Array::from_iter_values(r.clone())),
                    Arc::new(StringArray::from_iter(
                        r.map(|i| (i % 7 != 0).then(|| format!("n{}", i % 100))),
                    )),
                ];
                RecordBatch::try_new(schema.clone(), cols).unwrap()
            })
            .collect();
        Table::from_batches(schema, batches).unwrap()
    }

    fn encode(t: &Table, params: &Params) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        TableEncoder::encode(&ParquetEncoder, &mut t.stream(), params, &mut out)?;
        Ok(out)
    }

    fn read(bytes: Vec<u8>) -> (ParquetRecordBatchReaderBuilder<Bytes>, Vec<RecordBatch>) {
        let b = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes.clone())).unwrap();
        let batches = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (b, batches)
    }

    fn concat(batches: &[RecordBatch]) -> RecordBatch {
        arrow::compute::concat_batches(&batches[0].schema(), batches).unwrap()
    }

    #[test]
    fn codecs_round_trip_and_are_recorded() {
        let t = table(1000, 300);
        let expected = concat(&t.stream().map(Result::unwrap).collect::<Vec<_>>());
        for (param, codec) in [
            (None, Compression::ZSTD(Default::default())),
            (Some("zstd"), Compression::ZSTD(Default::default())),
            (Some("SNAPPY"), Compression::SNAPPY),
            (Some("lz4"), Compression::LZ4_RAW),
            (Some("none"), Compression::UNCOMPRESSED),
        ] {
            let p = param.map_or(Params::new(), |c| Params::new().with("compression", c));
            let (meta, batches) = read(encode(&t, &p).unwrap());
            assert_eq!(concat(&batches), expected, "{param:?}");
            let rg = meta.metadata().row_group(0);
            assert_eq!(rg.column(0).compression(), codec, "{param:?}");
            let stats = rg.column(0).statistics().expect("statistics are on");
            assert_eq!(stats.null_count_opt(), Some(0));
        }
        let (meta, _) = read(encode(&t, &Params::new().with("level", "9")).unwrap());
        assert!(matches!(meta.metadata().row_group(0).column(0).compression(), Compression::ZSTD(_)));
    }

    #[test]
    fn bad_parameters_fail_before_any_byte() {
        let t = table(10, 10);
        for p in [
            Params::new().with("compression", "gzip"),
            Params::new().with("compression", "snappy").with("level", "3"),
            Params::new().with("level", "0"),
            Params::new().with("level", "x"),
            Params::new().with("row_group_size", "3"),
        ] {
            assert!(matches!(ParquetEncoder.check(t.schema(), &p), Err(EncodeError::InvalidOption { .. })));
            let mut out = Vec::new();
            let err = TableEncoder::encode(&ParquetEncoder, &mut t.stream(), &p, &mut out).unwrap_err();
            assert!(matches!(err, EncodeError::InvalidOption { .. }), "{p:?}: {err}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn unsupported_schemas_fail_before_any_byte() {
        let fields = UnionFields::try_new(vec![0], vec![Field::new("a", DataType::Int64, true)]).unwrap();
        let union = UnionArray::try_new(
            fields.clone(),
            ScalarBuffer::from(vec![0i8]),
            None,
            vec![Arc::new(Int64Array::from(vec![1])) as ArrayRef],
        )
        .unwrap();
        let batch = RecordBatch::try_from_iter(vec![("u", Arc::new(union) as ArrayRef)]).unwrap();
        let t = Table::from_batches(batch.schema(), vec![batch]).unwrap();
        let empty = Table::from_batches(Arc::new(Schema::empty()), vec![]).unwrap();
        for t in [t, empty] {
            assert!(matches!(
                ParquetEncoder.check(t.schema(), &Params::new()),
                Err(EncodeError::Unsupported { .. })
            ));
            let mut out = Vec::new();
            let err =
                TableEncoder::encode(&ParquetEncoder, &mut t.stream(), &Params::new(), &mut out).unwrap_err();
            assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn empty_tables() {
        for t in [table(0, 1), Table::from_batches(table(0, 1).schema().clone(), vec![]).unwrap()] {
            let (meta, batches) = read(encode(&t, &Params::new()).unwrap());
            assert_eq!(meta.metadata().file_metadata().num_rows(), 0);
            assert_eq!(meta.schema(), t.schema());
            assert!(batches.is_empty());
        }
    }

    #[test]
    fn row_groups_are_bounded_and_memory_stays_flat() {
        let t = table(1_000_000, 10_000);
        let mut w =
            ParquetOptions::default().with_max_row_group_rows(100_000).build(Vec::new(), t.schema()).unwrap();
        let mut peak = 0;
        for b in t.stream() {
            w.write(&b.unwrap()).unwrap();
            peak = peak.max(w.buffered_bytes());
        }
        let out = w.finish().unwrap();
        let (meta, _) = read(out.clone());
        let md = meta.metadata();
        assert_eq!(md.num_row_groups(), 10);
        assert!(md.row_groups().iter().all(|rg| rg.num_rows() == 100_000));
        // One row group of two columns, 100k rows, is ~1.6 MB raw; the whole file is
        // written out as it goes, never held.
        assert!(peak < 4 << 20, "peak buffered {peak}");
        assert!(peak * 2 < out.len() || out.len() < 4 << 20);
    }

    #[test]
    fn dictionary_columns_with_changing_dictionaries_round_trip() {
        use arrow::array::{Array, DictionaryArray};
        use arrow::datatypes::Int32Type;
        let a: DictionaryArray<Int32Type> = vec!["x", "y", "x"].into_iter().collect();
        let b: DictionaryArray<Int32Type> = vec![Some("z"), None].into_iter().collect();
        let schema = Arc::new(Schema::new(vec![Field::new("d", a.data_type().clone(), true)]));
        let batch = |arr: DictionaryArray<Int32Type>| {
            RecordBatch::try_new(schema.clone(), vec![Arc::new(arr) as ArrayRef]).unwrap()
        };
        let t = Table::from_batches(schema.clone(), vec![batch(a), batch(b)]).unwrap();
        let (meta, back) = read(encode(&t, &Params::new()).unwrap());
        assert_eq!(meta.schema(), &schema);
        let strings = arrow::compute::cast(concat(&back).column(0), &DataType::Utf8).unwrap();
        let strings = strings.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(strings.iter().collect::<Vec<_>>(), [Some("x"), Some("y"), Some("x"), Some("z"), None]);
    }

    #[test]
    fn datasets_export_their_table_form() {
        let mut ds = Dataset::default();
        let v =
            |vals: Vec<f64>| Variable::new(vec!["time".into()], NdArray::from_vec(vec![3], vals).unwrap());
        ds.add_coord("time", v(vec![0., 1., 2.])).unwrap();
        ds.add_data_var("t", v(vec![10., 11., 12.])).unwrap();
        let mut out = Vec::new();
        DatasetEncoder::encode(&ParquetEncoder, &ds, &Params::new(), &mut out).unwrap();
        let (meta, batches) = read(out);
        let names: Vec<_> = meta.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["time", "t"]);
        assert_eq!(batches[0].num_rows(), 3);
        let c = NdArray::zeros(tessera_core::DataType::Complex64, vec![3]).unwrap();
        ds.add_data_var("z", Variable::new(vec!["time".into()], c)).unwrap();
        let mut out = Vec::new();
        let err = DatasetEncoder::encode(&ParquetEncoder, &ds, &Params::new(), &mut out).unwrap_err();
        assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
        assert!(out.is_empty());
    }

    #[test]
    fn columns_sharing_a_name_keep_their_own_encodings() {
        // An integer column that would be delta-encoded and a float column of the same
        // name: per-path properties must not reach the float column.
        use arrow::array::Float64Array;
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Int64, false),
            Field::new("x", DataType::Float64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(0..5000)),
                Arc::new(Float64Array::from_iter_values((0..5000).map(|i| f64::from(i).sin()))),
            ],
        )
        .unwrap();
        for encoding in [ParquetIntegerEncoding::Auto, ParquetIntegerEncoding::Delta] {
            let mut w =
                ParquetOptions::default().with_integer_encoding(encoding).build(Vec::new(), &schema).unwrap();
            w.write(&batch).unwrap();
            let (_, back) = read(w.finish().unwrap());
            assert_eq!(concat(&back), batch);
        }
    }

    #[test]
    fn mismatched_batch_is_an_input_error() {
        let t = table(3, 3);
        let mut w = ParquetOptions::default().build(Vec::new(), t.schema()).unwrap();
        let bad = RecordBatch::try_from_iter(vec![("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef)])
            .unwrap();
        let err = w.write(&bad).unwrap_err();
        assert!(matches!(EncodeError::from(err), EncodeError::Input(_)));
    }

    #[test]
    fn registrations_are_consistent() {
        let reg = tessera_core::Registry::from_static(REGISTRATIONS).unwrap();
        let (e, p) = reg
            .negotiate(tessera_core::Family::Table, Some("application/x-parquet;compression=snappy"), None)
            .unwrap();
        assert_eq!(e.spec().media_type, MEDIA_TYPE);
        assert_eq!(p.get("compression"), Some("snappy"));
        let (e, _) =
            reg.negotiate(tessera_core::Family::Dataset, Some("application/x-parquet"), None).unwrap();
        assert_eq!(e.spec().family, tessera_core::Family::Dataset);
    }
}
