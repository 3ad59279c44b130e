//! XLSX of any table: never panics, and the workbook opens with calamine with one header row
//! plus one row per table row (sheets split every few rows to exercise continuation).
#![no_main]

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use tessera_core::fuzzing::arbitrary_table;
use tessera_core::table::Table;
use tessera_core::{Params, TableEncoder};
use tessera_xlsx::{XlsxEncoder, XlsxOptions};

fn input(u: &mut Unstructured<'_>) -> Result<(Table, u32)> {
    Ok((arbitrary_table(u)?, u.int_in_range(2..=50)?))
}

fuzz_target!(|data: &[u8]| {
    let Ok((table, per_sheet)) = input(&mut Unstructured::new(data)) else { return };
    // The registered encoder (what the server runs).
    let mut out = Vec::new();
    XlsxEncoder.encode(&mut table.stream(), &Params::new(), &mut out).expect("every table encodes");
    let mut book = Xlsx::new(Cursor::new(out)).expect("the workbook opens");
    let sheet = book.worksheet_range("Sheet1").expect("Sheet1 reads");
    let written =
        table.schema().fields().iter().filter(|f| !tessera_core::columns::is_binary(f.data_type())).count();
    if written > 0 {
        assert!(sheet.height() <= table.num_rows() + 1);
    }

    // The typed writer with small sheets: rows continue on further sheets, each with a header.
    let mut w = XlsxOptions::default()
        .with_max_rows_per_sheet(per_sheet)
        .build(Vec::new(), table.schema())
        .expect("valid");
    for b in table.stream() {
        w.write(&b.expect("in memory")).expect("every batch writes");
    }
    let mut book = Xlsx::new(Cursor::new(w.finish().expect("finishes"))).expect("the workbook opens");
    let sheets = book.sheet_names();
    let per = (per_sheet - 1) as usize;
    assert_eq!(sheets.len(), table.num_rows().div_ceil(per).max(1));
    for name in sheets {
        book.worksheet_range(&name).expect("every sheet reads");
    }
});
