//! Integration tests of tessera-xlsx: workbooks read back with calamine, an independent
//! xlsx reader.

#![allow(clippy::unwrap_used)]

mod properties;
mod roundtrip;

use std::io::{Cursor, Read};

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use calamine::{Data, Range, Reader, Xlsx};
use tessera_xlsx::XlsxOptions;

/// Encodes `batches` with `options` into bytes.
pub fn encode(schema: &Schema, batches: &[RecordBatch], options: XlsxOptions) -> Vec<u8> {
    let mut w = options.build(Vec::new(), schema).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap()
}

/// Every sheet of a workbook: name and cells.
pub fn sheets(bytes: &[u8]) -> Vec<(String, Range<Data>)> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let r = book.worksheet_range(&n).unwrap();
            (n, r)
        })
        .collect()
}

/// The cell at (row, col), `Data::Empty` outside the used range.
pub fn cell(range: &Range<Data>, row: usize, col: usize) -> Data {
    range.get_value((row as u32, col as u32)).cloned().unwrap_or(Data::Empty)
}

/// A file of the zip container, as text.
pub fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}
