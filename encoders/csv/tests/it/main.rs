//! Integration tests of tessera-csv: exact output (golden files), round trips through
//! independent readers (the `csv` crate and arrow-csv), properties, and the registered
//! encoders' behaviour.

#![allow(clippy::unwrap_used)]

mod encoder;
mod golden;
mod props;
mod roundtrip;

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use tessera_core::table::IterStream;
use tessera_core::{ArrayEncoder, NdArray, Params, TableEncoder};
use tessera_csv::CsvEncoder;

/// A stream over `batches`.
pub fn stream(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> IterStream<std::vec::IntoIter<Result<RecordBatch, arrow::error::ArrowError>>> {
    IterStream::new(schema, batches.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
}

/// The registered table encoder's output.
pub fn table_csv(schema: SchemaRef, batches: Vec<RecordBatch>, params: &Params) -> Vec<u8> {
    let mut out = Vec::new();
    TableEncoder::encode(&CsvEncoder, &mut stream(schema, batches), params, &mut out).unwrap();
    out
}

/// The registered array encoder's output.
pub fn array_csv(a: &NdArray) -> Vec<u8> {
    let mut out = Vec::new();
    ArrayEncoder::encode(&CsvEncoder, a, &Params::new(), &mut out).unwrap();
    out
}

/// One batch from named columns.
pub fn batch(cols: Vec<(&str, arrow::array::ArrayRef)>) -> RecordBatch {
    let fields: Vec<_> =
        cols.iter().map(|(n, a)| arrow::datatypes::Field::new(*n, a.data_type().clone(), true)).collect();
    let schema = Arc::new(arrow::datatypes::Schema::new(fields));
    RecordBatch::try_new(schema, cols.into_iter().map(|(_, a)| a).collect()).unwrap()
}

/// Records of `csv` as read by the `csv` crate (no header handling).
pub fn records(csv: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}
