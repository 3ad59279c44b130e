//! Arrow IPC file and stream encoders for tessera tables and datasets.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_arrow::IpcOptions;
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
//! let mut w = IpcOptions::default().build(Vec::new(), &schema).unwrap(); // IPC file by default
//! w.write(&batch).unwrap();
//! let file = w.finish().unwrap();
//! assert_eq!(&file[..6], b"ARROW1");
//! assert_eq!(&file[file.len() - 6..], b"ARROW1");
//!
//! // Any Arrow reader gets the batch back.
//! let mut r = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(file), None).unwrap();
//! assert_eq!(r.next().unwrap().unwrap(), batch);
//! ```
//!
//! # Formats
//!
//! | media type | aliases | bytes |
//! |---|---|---|
//! | `application/vnd.apache.arrow.file` | `arrow`, `feather` | IPC file: `ARROW1`, schema, one record batch message per input batch, footer, `ARROW1` (Feather v2 is the same format) |
//! | `application/vnd.apache.arrow.stream` | `arrows` | IPC stream: schema message, one record batch message per input batch, end-of-stream marker |
//!
//! Both are registered for tables ([`Family::Table`]; the file is the family's default,
//! the format the Tiled Python client reads with `pyarrow.ipc.open_file`) and for xarray
//! datasets ([`Family::Dataset`]; the dataset's table form from
//! [`Dataset::to_table`](tessera_core::dataset::Dataset::to_table): a column per dimension
//! coordinate, then one per variable — what the client's wide-table read expects).
//!
//! Batches are written as they arrive, one message per input batch, in IPC metadata V5
//! with 64-byte buffer alignment; the types are exactly the input's Arrow types (a
//! timestamp stays a timestamp with its unit and zone), nulls are kept. A
//! dictionary-encoded column may change its dictionary between batches in the stream
//! format; the file format cannot express that, and such a table fails with
//! [`EncodeError::Backend`] at the batch that changes it. Both formats stream
//! ([`Output::Streaming`](tessera_core::Output)): memory holds one encoded batch at a time
//! and no `Seek` is needed.
//!
//! # Parameters
//!
//! `compression` — `none` (default; buffers as they are in memory), `lz4` (LZ4 frame) or
//! `zstd`: Arrow's per-buffer body compression, decompressed transparently by readers.
//! Any other value or parameter is [`EncodeError::InvalidOption`] before any byte is
//! written. `;compression=zstd` on the media type, or [`IpcOptions::with_compression`].
//!
//! # Features
//!
//! `lz4` (pure Rust) and `zstd` (compiles the vendored C zstd; no system library) are on
//! by default and enable those codecs; without them the parameter value is refused.
//!
//! # Schemas for Tiled
//!
//! [`schema_message`] serializes a schema the way Tiled puts it, base64-encoded, in a
//! table's `arrow_schema` (`pyarrow.Schema.serialize()`), readable with
//! `pyarrow.ipc.read_schema`.
//!
//! Exact output bytes are not covered by semver; the formats and mappings above are.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod encoder;
mod error;
mod options;
mod writer;

use arrow::datatypes::Schema;
use arrow_ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteOptions};
use tessera_core::Registration;
#[cfg(doc)]
use tessera_core::{EncodeError, Family};

pub use encoder::{ArrowFileEncoder, ArrowStreamEncoder};
pub use error::IpcError;
pub use options::{IpcCompression, IpcFormat, IpcOptions, PARAMS};
pub use writer::IpcWriter;

/// The encoders of this crate, for
/// [`Registry::from_static`](tessera_core::Registry::from_static): IPC file and stream for
/// tables, then for datasets.
pub const REGISTRATIONS: &[Registration] = &[
    Registration::Table(&ArrowFileEncoder),
    Registration::Table(&ArrowStreamEncoder),
    Registration::Dataset(&ArrowFileEncoder),
    Registration::Dataset(&ArrowStreamEncoder),
];

tessera_core::inventory::submit! { Registration::Table(&ArrowFileEncoder) }
tessera_core::inventory::submit! { Registration::Table(&ArrowStreamEncoder) }
tessera_core::inventory::submit! { Registration::Dataset(&ArrowFileEncoder) }
tessera_core::inventory::submit! { Registration::Dataset(&ArrowStreamEncoder) }

/// A schema as one encapsulated IPC Schema message, as `pyarrow.Schema.serialize()` writes
/// it: the continuation token `0xFFFFFFFF`, the little-endian `i32` length of the padded
/// flatbuffer, the flatbuffer `Message` (metadata V5) and zero padding to a multiple of 8
/// bytes. No body and no end-of-stream marker. `pyarrow.ipc.read_schema` and
/// `arrow_ipc::convert::try_schema_from_ipc_buffer` read it back; base64-encoded it starts
/// `/////`. Schema-level and field metadata are kept.
///
/// ```
/// use arrow::datatypes::{DataType, Field, Schema};
/// let schema = Schema::new(vec![Field::new("x", DataType::Int64, false)]);
/// let msg = tessera_arrow::schema_message(&schema);
/// assert_eq!(&msg[..4], &[0xff; 4]);
/// assert_eq!(msg.len() % 8, 0);
/// assert_eq!(arrow_ipc::convert::try_schema_from_ipc_buffer(&msg).unwrap(), schema);
/// ```
pub fn schema_message(schema: &Schema) -> Vec<u8> {
    let mut dictionaries = DictionaryTracker::new(false);
    let encoded = IpcDataGenerator::default().schema_to_bytes_with_dictionary_tracker(
        schema,
        &mut dictionaries,
        &IpcWriteOptions::default(),
    );
    let fb = encoded.ipc_message;
    let padded = fb.len().div_ceil(8) * 8;
    let mut out = Vec::with_capacity(8 + padded);
    out.extend_from_slice(&[0xff; 4]);
    // A flatbuffer is far below 2 GiB; saturate rather than wrap if it ever were not.
    out.extend_from_slice(&i32::try_from(padded).unwrap_or(i32::MAX).to_le_bytes());
    out.extend_from_slice(&fb);
    out.resize(8 + padded, 0);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Cursor;
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
        TimestampMicrosecondArray,
    };
    use arrow::datatypes::{DataType, Field, Fields, Int64Type, TimeUnit};
    use arrow_ipc::reader::{FileReader, StreamReader};
    use tessera_core::dataset::{Dataset, Variable};
    use tessera_core::table::Table;
    use tessera_core::{DatasetEncoder, EncodeError, NdArray, Params, TableEncoder};

    use super::*;

    fn sample() -> Table {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("température °C", DataType::Utf8, true),
            Field::new("flag", DataType::Boolean, true),
            Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        ]));
        let b = |r: std::ops::Range<i64>| {
            let cols: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(r.clone())),
                Arc::new(StringArray::from_iter(r.clone().map(|i| (i % 3 != 0).then(|| format!("ü{i}"))))),
                Arc::new(BooleanArray::from_iter(r.clone().map(|i| (i % 4 != 0).then_some(i % 2 == 0)))),
                Arc::new(TimestampMicrosecondArray::from_iter(
                    r.map(|i| (i % 5 != 0).then_some(i * 1_000_000)),
                )),
            ];
            RecordBatch::try_new(schema.clone(), cols).unwrap()
        };
        Table::from_batches(schema.clone(), vec![b(0..10), b(10..10), b(10..25)]).unwrap()
    }

    fn encode(enc: &dyn TableEncoder, t: &Table, params: &Params) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        enc.encode(&mut t.stream(), params, &mut out)?;
        Ok(out)
    }

    fn read_file(bytes: &[u8]) -> Vec<RecordBatch> {
        FileReader::try_new(Cursor::new(bytes.to_vec()), None).unwrap().map(Result::unwrap).collect()
    }

    fn read_stream(bytes: &[u8]) -> Vec<RecordBatch> {
        StreamReader::try_new(Cursor::new(bytes.to_vec()), None).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn file_and_stream_round_trip_batch_by_batch() {
        let t = sample();
        let expected: Vec<RecordBatch> = t.stream().map(Result::unwrap).collect();
        for c in ["none", "lz4", "zstd", "LZ4_FRAME", "uncompressed"] {
            let p = Params::new().with("compression", c);
            assert_eq!(read_file(&encode(&ArrowFileEncoder, &t, &p).unwrap()), expected, "{c}");
            assert_eq!(read_stream(&encode(&ArrowStreamEncoder, &t, &p).unwrap()), expected, "{c}");
        }
    }

    #[test]
    fn compression_shrinks_repetitive_data() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![7i64; 10_000]))])
                .unwrap();
        let t = Table::from_batches(schema, vec![batch]).unwrap();
        let plain = encode(&ArrowFileEncoder, &t, &Params::new()).unwrap();
        for c in ["lz4", "zstd"] {
            let packed = encode(&ArrowFileEncoder, &t, &Params::new().with("compression", c)).unwrap();
            assert!(packed.len() * 10 < plain.len(), "{c}: {} vs {}", packed.len(), plain.len());
        }
    }

    #[test]
    fn bad_parameters_fail_before_any_byte() {
        let t = sample();
        for p in [Params::new().with("compression", "gzip"), Params::new().with("level", "3")] {
            for enc in [&ArrowFileEncoder as &dyn TableEncoder, &ArrowStreamEncoder] {
                assert!(matches!(enc.check(t.schema(), &p), Err(EncodeError::InvalidOption { .. })));
                let mut out = Vec::new();
                let err = enc.encode(&mut t.stream(), &p, &mut out).unwrap_err();
                assert!(matches!(err, EncodeError::InvalidOption { .. }), "{err}");
                assert!(out.is_empty());
            }
        }
        let err = IpcCompression::parse("brotli").unwrap_err();
        assert!(err.to_string().contains("none, lz4 or zstd"), "{err}");
    }

    #[test]
    fn empty_tables() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Float32, true)]));
        // Zero batches.
        let none = Table::from_batches(schema.clone(), vec![]).unwrap();
        let bytes = encode(&ArrowFileEncoder, &none, &Params::new()).unwrap();
        let r = FileReader::try_new(Cursor::new(bytes), None).unwrap();
        assert_eq!(r.schema(), schema);
        assert_eq!(r.num_batches(), 0);
        let s = StreamReader::try_new(
            Cursor::new(encode(&ArrowStreamEncoder, &none, &Params::new()).unwrap()),
            None,
        )
        .unwrap();
        assert_eq!(s.schema(), schema);
        assert_eq!(s.count(), 0);
        // One batch of zero rows.
        let zero = Table::from_batches(schema.clone(), vec![RecordBatch::new_empty(schema.clone())]).unwrap();
        let back = read_file(&encode(&ArrowFileEncoder, &zero, &Params::new()).unwrap());
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].num_rows(), 0);
        // No columns at all.
        let empty_schema = Arc::new(Schema::empty());
        let cols = Table::from_batches(empty_schema.clone(), vec![]).unwrap();
        let r =
            FileReader::try_new(Cursor::new(encode(&ArrowFileEncoder, &cols, &Params::new()).unwrap()), None)
                .unwrap();
        assert_eq!(r.schema(), empty_schema);
    }

    #[test]
    fn nested_types_round_trip() {
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), None]),
            None,
            Some(vec![]),
        ]);
        let fields = Fields::from(vec![Field::new("a", DataType::Int64, true)]);
        let st =
            StructArray::new(fields, vec![Arc::new(Int64Array::from(vec![Some(1), None, Some(3)]))], None);
        let batch = RecordBatch::try_from_iter(vec![
            ("l", Arc::new(list) as ArrayRef),
            ("s", Arc::new(st) as ArrayRef),
        ])
        .unwrap();
        let t = Table::from_batches(batch.schema(), vec![batch.clone()]).unwrap();
        assert_eq!(read_file(&encode(&ArrowFileEncoder, &t, &Params::new()).unwrap()), vec![batch]);
    }

    #[test]
    fn mismatched_batch_is_an_input_error() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let other = Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, false)]));
        let mut w = IpcOptions::default().build(Vec::new(), &schema).unwrap();
        let bad = RecordBatch::try_new(other, vec![Arc::new(StringArray::from(vec!["x"]))]).unwrap();
        let err = w.write(&bad).unwrap_err();
        assert!(matches!(err, IpcError::SchemaMismatch(_)), "{err}");
        assert!(err.to_string().contains("Utf8"), "{err}");
        assert!(matches!(EncodeError::from(err), EncodeError::Input(_)));
        // The writer is still usable and the file still valid.
        assert_eq!(read_file(&w.finish().unwrap()).len(), 0);
    }

    #[test]
    fn replaced_dictionaries_work_in_streams_and_fail_cleanly_in_files() {
        use arrow::array::{Array, DictionaryArray};
        use arrow::datatypes::Int32Type;
        let a: DictionaryArray<Int32Type> = vec!["x", "y", "x"].into_iter().collect();
        let b: DictionaryArray<Int32Type> = vec!["z", "z"].into_iter().collect();
        let schema = Arc::new(Schema::new(vec![Field::new("d", a.data_type().clone(), true)]));
        let batch = |arr: DictionaryArray<Int32Type>| {
            RecordBatch::try_new(schema.clone(), vec![Arc::new(arr) as ArrayRef]).unwrap()
        };
        let t = Table::from_batches(schema.clone(), vec![batch(a), batch(b)]).unwrap();
        let expected: Vec<RecordBatch> = t.stream().map(Result::unwrap).collect();
        assert_eq!(read_stream(&encode(&ArrowStreamEncoder, &t, &Params::new()).unwrap()), expected);
        let err = encode(&ArrowFileEncoder, &t, &Params::new()).unwrap_err();
        assert!(matches!(err, EncodeError::Backend { .. }), "{err}");
        assert!(err.to_string().contains("Dictionary replacement"), "{err}");
    }

    #[test]
    fn datasets_export_their_table_form() {
        let mut ds = Dataset::default();
        let v =
            |vals: Vec<f64>| Variable::new(vec!["time".into()], NdArray::from_vec(vec![3], vals).unwrap());
        ds.add_coord("time", v(vec![0., 1., 2.])).unwrap();
        ds.add_data_var("t", v(vec![10., 11., 12.])).unwrap();
        ds.add_data_var("p", v(vec![1., 2., 3.])).unwrap();
        let mut out = Vec::new();
        DatasetEncoder::encode(&ArrowFileEncoder, &ds, &Params::new(), &mut out).unwrap();
        let batches = read_file(&out);
        let names: Vec<_> = batches[0].schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["time", "t", "p"]);
        assert_eq!(batches[0].num_rows(), 3);
        let mut out = Vec::new();
        DatasetEncoder::encode(&ArrowStreamEncoder, &ds, &Params::new(), &mut out).unwrap();
        assert_eq!(read_stream(&out), batches);
        let err =
            DatasetEncoder::encode(&ArrowFileEncoder, &ds, &Params::new().with("x", "1"), &mut Vec::new())
                .unwrap_err();
        assert!(matches!(err, EncodeError::InvalidOption { .. }));
    }

    #[test]
    fn complex_dataset_is_unsupported() {
        let mut ds = Dataset::default();
        let c = NdArray::zeros(tessera_core::DataType::Complex128, vec![2]).unwrap();
        ds.add_data_var("z", Variable::new(vec!["x".into()], c)).unwrap();
        let mut out = Vec::new();
        let err = DatasetEncoder::encode(&ArrowFileEncoder, &ds, &Params::new(), &mut out).unwrap_err();
        assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
        assert!(out.is_empty());
    }

    #[test]
    fn schema_message_round_trips_with_metadata() {
        let schema = Schema::new(vec![
            Field::new("ünï", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), true),
            Field::new("b", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        ])
        .with_metadata([("k".to_owned(), "v".to_owned())].into());
        let msg = schema_message(&schema);
        assert_eq!(&msg[..4], &[0xff; 4]);
        let len = i32::from_le_bytes([msg[4], msg[5], msg[6], msg[7]]) as usize;
        assert_eq!(len + 8, msg.len());
        assert_eq!(arrow_ipc::convert::try_schema_from_ipc_buffer(&msg).unwrap(), schema);
    }

    #[test]
    fn registrations_are_consistent() {
        let reg = tessera_core::Registry::from_static(REGISTRATIONS).unwrap();
        let (e, p) = reg
            .negotiate(
                tessera_core::Family::Table,
                Some("application/vnd.apache.arrow.file;compression=lz4"),
                None,
            )
            .unwrap();
        assert_eq!(e.spec().media_type.as_str(), "application/vnd.apache.arrow.file");
        assert_eq!(p.get("compression"), Some("lz4"));
        let (e, _) = reg.negotiate(tessera_core::Family::Table, Some("arrows"), None).unwrap();
        assert_eq!(e.spec().media_type.as_str(), "application/vnd.apache.arrow.stream");
        let (e, _) = reg.negotiate(tessera_core::Family::Table, None, Some("*/*")).unwrap();
        assert_eq!(e.spec().media_type.as_str(), "application/vnd.apache.arrow.file");
        let (e, _) = reg.negotiate(tessera_core::Family::Dataset, Some("feather"), None).unwrap();
        assert_eq!(e.spec().family, tessera_core::Family::Dataset);
    }
}
