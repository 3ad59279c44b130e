//! The `Auto` dictionary choice: which columns not to dictionary-encode.
//!
//! Parquet writers dictionary-encode every column by default and fall back to plain
//! encoding when a chunk's dictionary passes 1 MiB. A column of mostly distinct values
//! (ids, timestamps, measured floats) gains nothing from a dictionary, and with row groups
//! of 128 Ki rows an 8-byte column never reaches the fallback: the writer spends time
//! building a dictionary as large as the data and then writes it *plus* an index per value.
//! So, from the first batch, columns whose sampled values are mostly distinct are written
//! plain.
//!
//! The `Auto` integer encoding, in the same way: integer-like columns (integers, dates,
//! times, timestamps, durations) whose consecutive sampled values differ by a narrow range
//! (ids, sorted keys, regular timestamps) are written `DELTA_BINARY_PACKED`. Such a column
//! then takes a few bits per value instead of 4 or 8 bytes, and, on T1, encoding it is
//! about twice as fast as plain encoding followed by snappy, which finds little to
//! compress in 8-byte counters.
//!
//! And the incompressible columns ([`ParquetOptions::with_skip_incompressible`]): a sample
//! of the first batch is encoded with the properties chosen so far (dictionary, delta,
//! codec), and the leaf columns whose pages the codec does not shrink by a tenth are
//! stored uncompressed. Random floats, hashes and counters that are not delta-encoded
//! cost compression CPU on every write and decompression CPU on every read for nothing.
//!
//! [`ParquetOptions::with_skip_incompressible`]: crate::ParquetOptions::with_skip_incompressible

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::{EnabledStatistics, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

/// Values looked at per column.
pub(crate) const SAMPLE_ROWS: usize = 4096;

/// Fewer non-null sampled values than this decide nothing (the library's default stays).
const MIN_SAMPLE: usize = 64;

/// Turns dictionaries off for the top-level flat columns of `batch` whose first
/// [`SAMPLE_ROWS`] non-null values are more than half distinct.
pub(crate) fn plain_where_distinct(
    mut props: WriterPropertiesBuilder,
    batch: &RecordBatch,
) -> WriterPropertiesBuilder {
    for (field, col) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        if mostly_distinct(col.as_ref()) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
    }
    props
}

/// Whether the sampled non-null values of a flat column are more than half distinct.
/// Nested, boolean and already dictionary-typed columns are never "mostly distinct".
pub(crate) fn mostly_distinct(col: &dyn Array) -> bool {
    let n = col.len().min(SAMPLE_ROWS);
    let data = col.to_data();
    let values: Vec<&[u8]> = match col.data_type() {
        dt if dt.is_primitive() => {
            let (Some(width), Some(buf)) = (dt.primitive_width(), data.buffers().first()) else {
                return false;
            };
            let bytes = &buf.as_slice()[(data.offset() * width).min(buf.len())..];
            bytes
                .chunks_exact(width)
                .take(n)
                .enumerate()
                .filter(|(i, _)| col.is_valid(*i))
                .map(|(_, v)| v)
                .collect()
        }
        DataType::Utf8 => col.as_string::<i32>().iter().take(n).flatten().map(str::as_bytes).collect(),
        DataType::LargeUtf8 => col.as_string::<i64>().iter().take(n).flatten().map(str::as_bytes).collect(),
        DataType::Utf8View => col.as_string_view().iter().take(n).flatten().map(str::as_bytes).collect(),
        DataType::Binary => col.as_binary::<i32>().iter().take(n).flatten().collect(),
        DataType::LargeBinary => col.as_binary::<i64>().iter().take(n).flatten().collect(),
        DataType::BinaryView => col.as_binary_view().iter().take(n).flatten().collect(),
        DataType::FixedSizeBinary(_) => col.as_fixed_size_binary().iter().take(n).flatten().collect(),
        _ => return false,
    };
    let distinct: HashSet<&[u8]> = values.iter().copied().collect();
    values.len() >= MIN_SAMPLE && distinct.len() * 2 > values.len()
}

/// Sets `DELTA_BINARY_PACKED` for the top-level integer-like columns of `batch` whose
/// sampled deltas are [narrow](narrow_deltas), or for all of them when `always`.
pub(crate) fn delta_where_narrow(
    mut props: WriterPropertiesBuilder,
    batch: &RecordBatch,
    always: bool,
) -> WriterPropertiesBuilder {
    let fields = batch.schema_ref().fields();
    for (field, col) in fields.iter().zip(batch.columns()) {
        // Properties are keyed by column path: a name that two top-level columns share
        // would give the encoding to both, and the library cannot delta-encode floats.
        let shared = fields.iter().filter(|f| f.name() == field.name()).count() > 1;
        if !shared && integer_bits(col.data_type()).is_some() && (always || narrow_deltas(col.as_ref())) {
            props = props
                .set_column_encoding(ColumnPath::from(field.name().as_str()), Encoding::DELTA_BINARY_PACKED);
        }
    }
    props
}

/// The Parquet physical width (32 or 64 bits) of a type stored as Parquet integers, which
/// `DELTA_BINARY_PACKED` can encode.
pub(crate) fn integer_bits(dt: &DataType) -> Option<u32> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::Date32
        | DataType::Time32(_) => Some(32),
        DataType::Int64
        | DataType::UInt64
        | DataType::Date64
        | DataType::Time64(_)
        | DataType::Timestamp(..)
        | DataType::Duration(_) => Some(64),
        _ => None,
    }
}

/// Whether the differences between consecutive sampled non-null values of an
/// integer-like column span fewer than half the bits of its Parquet width: then
/// `DELTA_BINARY_PACKED` (which stores each delta in the bits of its miniblock's range)
/// at least halves the column. Fewer than 64 sampled values decide nothing.
pub(crate) fn narrow_deltas(col: &dyn Array) -> bool {
    let (Some(bits), Some(width)) = (integer_bits(col.data_type()), col.data_type().primitive_width()) else {
        return false;
    };
    let data = col.to_data();
    let Some(buf) = data.buffers().first() else {
        return false;
    };
    let unsigned = col.data_type().is_unsigned_integer();
    let bytes = &buf.as_slice()[(data.offset() * width).min(buf.len())..];
    let values = bytes
        .chunks_exact(width)
        .take(col.len().min(SAMPLE_ROWS))
        .enumerate()
        .filter(|(i, _)| col.is_valid(*i))
        .map(|(_, v)| {
            let mut le = [0u8; 8];
            le[..width].copy_from_slice(v);
            let x = u64::from_le_bytes(le);
            // Sign-extend signed narrow values; unsigned 64-bit values are taken as the
            // encoder takes them, as i64 bit patterns.
            let shift = 64 - 8 * width as u32;
            if unsigned { x as i64 as i128 } else { ((x << shift) as i64 >> shift) as i128 }
        });
    let (mut prev, mut lo, mut hi, mut n) = (None::<i128>, i128::MAX, i128::MIN, 0usize);
    for v in values {
        if let Some(p) = prev {
            let d = v - p;
            lo = lo.min(d);
            hi = hi.max(d);
        }
        prev = Some(v);
        n += 1;
    }
    n >= MIN_SAMPLE && hi - lo < 1i128 << (bits / 2)
}

/// Rows of the first batch that the compressibility test encodes: 64 KiB of an 8-byte
/// column, the size of a snappy block (snappy compresses 64 KiB blocks independently, so a
/// larger sample would not change its ratio) and a little under 1 % of the encoding work of
/// a 1M-row table.
pub(crate) const COMPRESSION_SAMPLE_ROWS: usize = 8192;

/// Encoded sample bytes of a column chunk below which the test decides nothing (the codec
/// stays): page headers would weigh in the ratio, and pages that small cost nothing to
/// compress. A column that all but vanishes once encoded (a constant, delta-encoded ids,
/// a handful of dictionary keys) falls here.
const MIN_COMPRESSION_SAMPLE_BYTES: i64 = 4096;

/// The codec stays on a column whose sampled pages it shrinks to less than this fraction
/// of their size. At 0.9, storing a column raw costs it at most 11 % more bytes, while
/// compression then typically costs several times the CPU of encoding the values, and
/// decompression the same again on every read. Random int64/float64/float32 values come
/// out of snappy and LZ4 at 1.0 (T1's `sin` and `half` too), timestamps with random
/// microseconds over a few days at 0.92 under snappy; zstd-1, which also entropy-codes
/// bytes, leaves random int64 at 1.0, float64 at 0.94–0.95 and float32 at 0.89, those
/// timestamps at 0.82 and T1's `half` at 0.69. Strings, small integers, bit-packed
/// booleans, dictionary keys and delta-encoded ids come out at 0.01–0.15.
pub(crate) const INCOMPRESSIBLE_RATIO: f64 = 0.9;

/// Sets [`Compression::UNCOMPRESSED`] on the leaf columns that the codec of `props` does not
/// shrink below [`INCOMPRESSIBLE_RATIO`] of their size, measured by encoding the first
/// [`COMPRESSION_SAMPLE_ROWS`] rows of `batch` with `props` itself (the real pages: after
/// dictionary, delta or plain encoding, with their levels; nested columns by leaf path).
/// When the sample cannot be encoded, nothing changes (the real write reports the error).
pub(crate) fn uncompressed_where_incompressible(
    props: WriterPropertiesBuilder,
    batch: &RecordBatch,
) -> WriterPropertiesBuilder {
    let sample = batch.slice(0, batch.num_rows().min(COMPRESSION_SAMPLE_ROWS));
    let sample_props = props.clone().set_statistics_enabled(EnabledStatistics::None).build();
    let encoded =
        ArrowWriter::try_new(std::io::sink(), sample.schema(), Some(sample_props)).and_then(|mut w| {
            w.write(&sample)?;
            w.flush()?;
            Ok(w)
        });
    let Ok(writer) = encoded else {
        return props;
    };
    // Properties are keyed by path: when top-level columns share a name, the path goes
    // uncompressed only if every chunk under it is incompressible.
    let mut verdicts: HashMap<&ColumnPath, bool> = HashMap::new();
    for rg in writer.flushed_row_groups() {
        for c in rg.columns() {
            let raw = c.uncompressed_size();
            let incompressible = raw >= MIN_COMPRESSION_SAMPLE_BYTES
                && c.compressed_size() as f64 >= INCOMPRESSIBLE_RATIO * raw as f64;
            *verdicts.entry(c.column_path()).or_insert(true) &= incompressible;
        }
    }
    let mut props = props;
    for (path, incompressible) in verdicts {
        if incompressible {
            props = props.set_column_compression(path.clone(), Compression::UNCOMPRESSED);
        }
    }
    props
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{BooleanArray, Float64Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn distinct_columns_are_detected() {
        assert!(mostly_distinct(&Int64Array::from_iter_values(0..10_000)));
        assert!(mostly_distinct(&Float64Array::from_iter_values((0..100).map(|i| f64::from(i).sin()))));
        assert!(!mostly_distinct(&Int64Array::from_iter_values((0..10_000).map(|i| i % 100))));
        assert!(!mostly_distinct(&StringArray::from_iter_values(
            (0..10_000).map(|i| format!("n{}", i % 1000))
        )));
        assert!(mostly_distinct(&StringArray::from_iter_values((0..10_000).map(|i| format!("n{i}")))));
        // Slices look at their own values.
        let sliced = Int64Array::from_iter_values((0..10_000).map(|i| if i < 5000 { 0 } else { i }));
        assert!(mostly_distinct(&sliced.slice(5000, 5000)));
        assert!(!mostly_distinct(&sliced.slice(0, 5000)));
        // Too few values, nulls, booleans: no decision.
        assert!(!mostly_distinct(&Int64Array::from_iter_values(0..10)));
        assert!(!mostly_distinct(&Int64Array::from(vec![None::<i64>; 1000])));
        assert!(!mostly_distinct(&BooleanArray::from(vec![true; 1000])));
        let _ = Arc::new(0);
    }

    #[test]
    fn narrow_deltas_are_detected() {
        use arrow::array::{Int8Array, TimestampMicrosecondArray, UInt64Array};
        assert!(narrow_deltas(&Int64Array::from_iter_values(0..10_000)));
        assert!(narrow_deltas(&Int64Array::from_iter_values((0..10_000).rev().map(|i| i * 1000 - 7))));
        assert!(narrow_deltas(&TimestampMicrosecondArray::from_iter_values(
            (0..10_000).map(|i| 1_577_836_800_000_000 + i * 1_000_000)
        )));
        // Random-looking values: deltas as wide as the values.
        assert!(!narrow_deltas(&Int64Array::from_iter_values(
            (0..10_000i64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15u64 as i64))
        )));
        // Signed and unsigned narrow types are extended correctly.
        assert!(narrow_deltas(&Int8Array::from_iter_values((0..1000).map(|i| (i % 200 - 100) as i8))));
        assert!(narrow_deltas(&UInt64Array::from_iter_values((0..1000).map(|i| u64::MAX - i))));
        // Nulls are skipped; too few values, floats and strings decide nothing.
        let with_nulls: Int64Array = (0..1000).map(|i| (i % 2 == 0).then_some(i)).collect();
        assert!(narrow_deltas(&with_nulls));
        assert!(!narrow_deltas(&Int64Array::from_iter_values(0..10)));
        assert!(!narrow_deltas(&Float64Array::from_iter_values((0..1000).map(f64::from))));
        assert!(!narrow_deltas(&StringArray::from_iter_values((0..1000).map(|i| i.to_string()))));
    }

    mod incompressible {
        use std::sync::Arc;

        use arrow::array::{
            ArrayRef, BooleanArray, Float32Array, Float64Array, Int64Array, ListArray, RecordBatch,
            StringArray, TimestampMicrosecondArray,
        };
        use arrow::datatypes::{DataType, Field, Float64Type, Schema, TimeUnit};
        use bytes::Bytes;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        use parquet::basic::Compression;
        use parquet::file::metadata::ParquetMetaData;

        use crate::{ParquetCompression, ParquetOptions};

        /// xorshift64: values no codec can shrink.
        fn random(n: usize, seed: u64) -> impl Iterator<Item = u64> {
            let mut s = seed.max(1);
            (0..n).map(move |_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s
            })
        }

        /// Random f64, i64, f32, timestamps (incompressible) and repetitive strings, small
        /// ints, booleans and a sorted float (compressible), `rows` rows.
        fn mixed(rows: usize) -> RecordBatch {
            let n = rows;
            let cols: Vec<(&str, ArrayRef)> = vec![
                (
                    "f64",
                    Arc::new(Float64Array::from_iter_values(random(n, 1).map(|r| (r >> 11) as f64 / 9e15))),
                ),
                ("i64", Arc::new(Int64Array::from_iter_values(random(n, 2).map(|r| r as i64)))),
                (
                    "f32",
                    Arc::new(Float32Array::from_iter_values(
                        random(n, 3).map(|r| f32::from_bits((r >> 32) as u32 & 0x3fff_ffff)),
                    )),
                ),
                (
                    "ts",
                    Arc::new(TimestampMicrosecondArray::from_iter_values(
                        random(n, 4).map(|r| 1_577_836_800_000_000 + (r >> 16) as i64),
                    )),
                ),
                (
                    "label",
                    Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("station-{}", i % 7)))),
                ),
                (
                    "text",
                    Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("row {i} of the log")))),
                ),
                ("small", Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| (i * 7919) % 13)))),
                ("flag", Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 3 == 0))))),
                ("ramp", Arc::new(Float64Array::from_iter_values((0..n).map(|i| (i / 16) as f64 * 0.25)))),
            ];
            RecordBatch::try_from_iter(cols).unwrap()
        }

        /// Incompressible for snappy and LZ4. zstd also entropy-codes bytes, so it still
        /// takes more than a tenth off the timestamps (random 48-bit offsets: their top two
        /// bytes hardly vary) and keeps them.
        const INCOMPRESSIBLE: &[&str] = &["f64", "i64", "f32", "ts"];

        fn write(options: &ParquetOptions, batches: &[RecordBatch]) -> Vec<u8> {
            let mut w = options.build(Vec::new(), &batches[0].schema()).unwrap();
            for b in batches {
                w.write(b).unwrap();
            }
            w.finish().unwrap()
        }

        /// The file's metadata, and its rows read back by the `parquet` crate's Arrow reader.
        fn read(file: Vec<u8>) -> (Arc<ParquetMetaData>, Vec<RecordBatch>) {
            let r = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file)).unwrap();
            let meta = r.metadata().clone();
            (meta, r.build().unwrap().map(Result::unwrap).collect())
        }

        /// Codec per leaf path, the same in every row group.
        fn codecs(meta: &ParquetMetaData) -> Vec<(String, Compression)> {
            let of = |g: usize| {
                meta.row_group(g)
                    .columns()
                    .iter()
                    .map(|c| (c.column_path().string(), c.compression()))
                    .collect::<Vec<_>>()
            };
            let first = of(0);
            for g in 1..meta.num_row_groups() {
                assert_eq!(of(g), first, "row group {g}");
            }
            first
        }

        fn concat(batches: &[RecordBatch]) -> RecordBatch {
            arrow::compute::concat_batches(&batches[0].schema(), batches).unwrap()
        }

        fn snappy_skipping() -> ParquetOptions {
            ParquetOptions::default()
                .with_compression(ParquetCompression::Snappy)
                .with_skip_incompressible(true)
        }

        /// Writes `batch` alone, checks that it reads back, and returns the metadata.
        fn round_trip(options: &ParquetOptions, batch: &RecordBatch) -> Arc<ParquetMetaData> {
            let (meta, back) = read(write(options, std::slice::from_ref(batch)));
            assert_eq!(concat(&back), *batch);
            meta
        }

        #[test]
        fn incompressible_columns_are_stored_uncompressed_for_every_codec() {
            let batches: Vec<_> = (0..3).map(|_| mixed(30_000)).collect();
            for (codec, expected) in [
                (ParquetCompression::Snappy, Compression::SNAPPY),
                (ParquetCompression::Lz4, Compression::LZ4_RAW),
                (ParquetCompression::Zstd(1), Compression::ZSTD(Default::default())),
            ] {
                let options = ParquetOptions::default()
                    .with_compression(codec)
                    .with_max_row_group_rows(40_000)
                    .with_skip_incompressible(true);
                let (meta, back) = read(write(&options, &batches));
                assert_eq!(meta.num_row_groups(), 3);
                assert_eq!(concat(&back), concat(&batches), "{codec}");
                for (path, c) in codecs(&meta) {
                    let zstd_keeps = path == "ts" && matches!(codec, ParquetCompression::Zstd(_));
                    let want = if INCOMPRESSIBLE.contains(&path.as_str()) && !zstd_keeps {
                        Compression::UNCOMPRESSED
                    } else {
                        expected
                    };
                    assert_eq!(c, want, "{codec}: column {path}");
                }
            }
        }

        #[test]
        fn off_or_without_codec_every_column_keeps_the_codec() {
            let batch = mixed(20_000);
            for (options, expected) in [
                (ParquetOptions::default().with_compression(ParquetCompression::Snappy), Compression::SNAPPY),
                (
                    ParquetOptions::default()
                        .with_compression(ParquetCompression::Lz4)
                        .with_skip_incompressible(false),
                    Compression::LZ4_RAW,
                ),
                (
                    ParquetOptions::default()
                        .with_compression(ParquetCompression::None)
                        .with_skip_incompressible(true),
                    Compression::UNCOMPRESSED,
                ),
            ] {
                let meta = round_trip(&options, &batch);
                assert!(codecs(&meta).iter().all(|(_, c)| *c == expected), "{options:?}");
            }
            assert!(!ParquetOptions::default().skip_incompressible());
        }

        #[test]
        fn empty_and_tiny_first_batches() {
            let options = snappy_skipping();
            // No rows at all: no decision, a valid empty file.
            let empty = mixed(0);
            let (meta, back) = read(write(&options, std::slice::from_ref(&empty)));
            assert_eq!(meta.file_metadata().num_rows(), 0);
            assert!(back.is_empty());
            // An empty first batch is skipped: the next one decides.
            let big = mixed(20_000);
            let (meta, back) = read(write(&options, &[empty.clone(), big.clone()]));
            assert_eq!(concat(&back), big);
            assert!(codecs(&meta).iter().any(|(_, c)| *c == Compression::UNCOMPRESSED));
            // A first batch too small to judge keeps the codec everywhere, even for the
            // large random batches after it.
            let (meta, back) = read(write(&options, &[mixed(10), big.clone()]));
            assert_eq!(back.iter().map(RecordBatch::num_rows).sum::<usize>(), 20_010);
            assert!(codecs(&meta).iter().all(|(_, c)| *c == Compression::SNAPPY));
        }

        #[test]
        fn nested_columns_are_judged_by_leaf() {
            let lists = |seed: u64| {
                let mut r = random(100_000, seed);
                ListArray::from_iter_primitive::<Float64Type, _, _>((0..20_000).map(|i| {
                    (i % 9 != 0).then(|| {
                        (0..i % 5).map(|_| Some((r.next().unwrap() >> 11) as f64 / 9e15)).collect::<Vec<_>>()
                    })
                }))
            };
            let repeated = ListArray::from_iter_primitive::<Float64Type, _, _>(
                (0..20_000).map(|i| Some(vec![Some(f64::from(i % 4)); (i % 5) as usize])),
            );
            let batch = RecordBatch::try_from_iter(vec![
                ("random", Arc::new(lists(7)) as ArrayRef),
                ("repeated", Arc::new(repeated) as ArrayRef),
            ])
            .unwrap();
            let meta = round_trip(&snappy_skipping(), &batch);
            assert_eq!(
                codecs(&meta),
                [
                    ("random.list.item".to_string(), Compression::UNCOMPRESSED),
                    ("repeated.list.item".to_string(), Compression::SNAPPY)
                ]
            );
        }

        #[test]
        fn columns_sharing_a_name_go_uncompressed_only_together() {
            let schema = Arc::new(Schema::new(vec![
                Field::new("x", DataType::Float64, false),
                Field::new("x", DataType::Float64, false),
                Field::new("y", DataType::Timestamp(TimeUnit::Microsecond, None), false),
            ]));
            let batch = RecordBatch::try_new(
                schema,
                vec![
                    Arc::new(Float64Array::from_iter_values(random(20_000, 5).map(|r| (r >> 11) as f64))),
                    Arc::new(Float64Array::from_iter_values((0..20_000).map(|i| f64::from(i % 3)))),
                    Arc::new(TimestampMicrosecondArray::from_iter_values(
                        random(20_000, 6).map(|r| (r >> 2) as i64),
                    )),
                ],
            )
            .unwrap();
            let meta = round_trip(&snappy_skipping(), &batch);
            let c: Vec<_> = codecs(&meta).into_iter().map(|(_, c)| c).collect();
            assert_eq!(c, [Compression::SNAPPY, Compression::SNAPPY, Compression::UNCOMPRESSED]);
        }
    }
}
