//! Properties over generated tables: encoding never panics and every cell reads back.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Float32Type, Float64Type, Int8Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, UInt8Type, UInt64Type,
};
use arrow::temporal_conversions::{as_datetime, date32_to_datetime};
use calamine::Data;
use proptest::prelude::*;
use tessera_core::columns::ColumnFormatter;
use tessera_xlsx::XlsxOptions;

use crate::{cell, encode, sheets};

/// Within Excel's date range 1900-01-01 ..= 9999-12-31 (seconds since 1970).
fn in_excel_range(secs: i64) -> bool {
    (-2_208_988_800..253_402_300_800).contains(&secs)
}

fn number(v: f64) -> Data {
    Data::Float(v)
}

/// Checks one cell against the Arrow value it came from.
fn check(a: &dyn Array, i: usize, got: &Data) -> Result<(), TestCaseError> {
    if a.is_null(i) {
        prop_assert_eq!(got, &Data::Empty);
        return Ok(());
    }
    let int =
        |v: i128| if v.unsigned_abs() <= 1 << 53 { number(v as f64) } else { Data::String(v.to_string()) };
    match a.data_type() {
        DataType::Int8 => prop_assert_eq!(got, &int(a.as_primitive::<Int8Type>().value(i).into())),
        DataType::Int32 => prop_assert_eq!(got, &int(a.as_primitive::<Int32Type>().value(i).into())),
        DataType::Int64 => prop_assert_eq!(got, &int(a.as_primitive::<Int64Type>().value(i).into())),
        DataType::UInt8 => prop_assert_eq!(got, &int(a.as_primitive::<UInt8Type>().value(i).into())),
        DataType::UInt64 => prop_assert_eq!(got, &int(a.as_primitive::<UInt64Type>().value(i).into())),
        DataType::Float64 => {
            let v = a.as_primitive::<Float64Type>().value(i);
            prop_assert_eq!(got, &if v.is_finite() { number(v) } else { Data::Empty });
        }
        DataType::Float32 => {
            let v = a.as_primitive::<Float32Type>().value(i);
            match got {
                Data::Float(g) => prop_assert_eq!((*g as f32).to_bits(), v.to_bits(), "{} read as {}", v, g),
                Data::Empty => prop_assert!(!v.is_finite()),
                other => prop_assert!(false, "{other:?} for {v}"),
            }
        }
        DataType::Boolean => prop_assert_eq!(got, &Data::Bool(a.as_boolean().value(i))),
        DataType::Utf8 => {
            let v = a.as_string::<i32>().value(i);
            prop_assert_eq!(got, &if v.is_empty() { Data::Empty } else { Data::String(v.into()) });
        }
        DataType::Timestamp(unit, _) => {
            let (v, per_ms) = match unit {
                TimeUnit::Microsecond => (a.as_primitive::<TimestampMicrosecondType>().value(i), 1_000),
                _ => (a.as_primitive::<TimestampNanosecondType>().value(i), 1_000_000),
            };
            let secs = v.div_euclid(per_ms * 1_000);
            if in_excel_range(secs) {
                let Data::DateTime(d) = got else { return Err(TestCaseError::fail(format!("{got:?}"))) };
                let (y, m, day, h, mi, s, ms) = d.to_ymd_hms_milli();
                let text = format!("{y:04}-{m:02}-{day:02} {h:02}:{mi:02}:{s:02}.{ms:03}");
                // Excel keeps milliseconds (calamine rounds to them) in an f64 count of days:
                // allow the nearest millisecond and its neighbours.
                let nearest = v.saturating_add(per_ms / 2).div_euclid(per_ms);
                let ok = (nearest - 1..=nearest + 1).any(|ms| {
                    as_datetime::<TimestampMillisecondType>(ms)
                        .is_some_and(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string() == text)
                });
                prop_assert!(ok, "{} read as {}", v, text);
            } else {
                prop_assert!(matches!(got, Data::String(_)), "{got:?}");
            }
        }
        DataType::Date32 => {
            let v = a.as_primitive::<Date32Type>().value(i);
            let want = date32_to_datetime(v).expect("representable");
            if in_excel_range(want.and_utc().timestamp()) {
                let Data::DateTime(d) = got else { return Err(TestCaseError::fail(format!("{got:?}"))) };
                let (y, m, day, ..) = d.to_ymd_hms_milli();
                prop_assert_eq!(format!("{y:04}-{m:02}-{day:02}"), want.format("%Y-%m-%d").to_string());
            } else {
                prop_assert!(matches!(got, Data::String(_)), "{got:?}");
            }
        }
        // Nested values: their JSON text.
        _ => {
            let mut f = ColumnFormatter::new(a).expect("formatter");
            let mut text = Vec::new();
            f.write_text(i, &mut text);
            prop_assert_eq!(got, &Data::String(String::from_utf8(text).expect("utf-8")));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any table: encoding succeeds and every cell of every written column reads back as
    /// the documented mapping says.
    #[test]
    fn tables_round_trip((schema, batches) in tessera_testkit::strategies::arrow_table()) {
        let bytes = encode(&schema, &batches, XlsxOptions::default());
        let sheets = sheets(&bytes);
        prop_assert_eq!(sheets.len(), 1);
        let r = &sheets[0].1;
        let written: Vec<usize> = (0..schema.fields().len())
            .filter(|&c| !tessera_core::columns::is_binary(schema.field(c).data_type()))
            .collect();
        for (col, &field) in written.iter().enumerate() {
            let name = schema.field(field).name();
            prop_assert_eq!(cell(r, 0, col), if name.is_empty() { Data::Empty } else { Data::String(name.clone()) });
        }
        let mut row = 1;
        for b in &batches {
            for i in 0..b.num_rows() {
                for (col, &field) in written.iter().enumerate() {
                    check(b.column(field).as_ref(), i, &cell(r, row, col))?;
                }
                row += 1;
            }
        }
    }

    /// Small sheets: rows are split over sheets in order, none lost.
    #[test]
    fn sheets_split_in_order((schema, batches) in tessera_testkit::strategies::flat_table(), per in 2u32..5) {
        let bytes = encode(&schema, &batches, XlsxOptions::default().with_max_rows_per_sheet(per));
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let sheets = sheets(&bytes);
        let data_rows = (per - 1) as usize;
        prop_assert_eq!(sheets.len(), total.div_ceil(data_rows).max(1));
        for (k, (name, _)) in sheets.iter().enumerate() {
            prop_assert_eq!(name, &format!("Sheet{}", k + 1));
        }
    }
}
