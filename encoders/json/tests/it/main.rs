//! Integration tests of tessera-json: exact output (golden files), round trips through
//! serde_json with exact value comparison, properties, and the registered encoders.

#![allow(clippy::unwrap_used)]

mod encoder;
mod golden;
mod props;
mod roundtrip;

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema, SchemaRef};
use serde_json::Value;
use tessera_core::table::IterStream;
use tessera_core::{NdArray, Params, TableEncoder};

/// A stream over `batches`.
pub fn stream(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> IterStream<std::vec::IntoIter<Result<RecordBatch, arrow::error::ArrowError>>> {
    IterStream::new(schema, batches.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
}

/// A registered table encoder's output.
pub fn encode_table(enc: &dyn TableEncoder, schema: SchemaRef, batches: Vec<RecordBatch>) -> Vec<u8> {
    let mut out = Vec::new();
    enc.encode(&mut stream(schema, batches), &Params::new(), &mut out).unwrap();
    out
}

/// The array encoder's output.
pub fn encode_array(a: &NdArray) -> Vec<u8> {
    let mut out = Vec::new();
    tessera_core::ArrayEncoder::encode(&tessera_json::JsonEncoder, a, &Params::new(), &mut out).unwrap();
    out
}

/// One batch from named columns.
pub fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<_> = cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols.into_iter().map(|(_, a)| a).collect()).unwrap()
}

/// Parses strict JSON (serde_json refuses `NaN` and `Infinity`).
pub fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// Parses NDJSON (`seq = false`) or a JSON text sequence (`seq = true`) into its rows.
pub fn parse_rows(bytes: &[u8], seq: bool) -> Vec<Value> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\n'));
    if seq {
        assert!(text.starts_with('\u{1e}'), "{text:?}");
        text[1..]
            .split('\u{1e}')
            .map(|t| {
                assert_eq!(t.matches('\n').count(), 1, "one newline per text: {t:?}");
                parse(t.as_bytes())
            })
            .collect()
    } else {
        text.trim_end_matches('\n').split('\n').map(|l| parse(l.as_bytes())).collect()
    }
}
