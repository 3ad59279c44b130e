//! Properties over generated tables (tessera-testkit's strategies: every column kind, nulls,
//! awkward names, 0–12 rows in 1–3 batches): an export never panics; it either round-trips
//! (values read back equal the source cast to the table's types) or is refused with a typed
//! error before any file is written.

use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::DataType;
use proptest::prelude::*;
use tessera_core::Table;
use tessera_iceberg::{ErrorKind, IcebergOptions};
use tessera_testkit::strategies::arrow_table;

use crate::common::{Wh, rows_text};

static N: AtomicUsize = AtomicUsize::new(0);

/// `batches` cast column by column to `schema`'s types (what the export's conversions do).
fn cast_to(batches: &[RecordBatch], schema: &arrow::datatypes::Schema) -> Vec<RecordBatch> {
    batches
        .iter()
        .map(|b| {
            let cols: Vec<ArrayRef> = b
                .columns()
                .iter()
                .zip(schema.fields())
                .map(|(c, f)| {
                    // Arrow's fixed-size-list → list cast names the element `item` whatever the
                    // target says; a second (list → list) cast takes the target's field.
                    let once = arrow::compute::cast(c, f.data_type()).unwrap();
                    arrow::compute::cast(&once, f.data_type()).unwrap()
                })
                .collect();
            RecordBatch::try_new(std::sync::Arc::new(schema.clone()), cols).unwrap()
        })
        .collect()
}

fn lacks_iceberg_type(dt: &DataType) -> bool {
    match dt {
        DataType::UInt64 | DataType::FixedSizeList(..) => true,
        DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, _) => true,
        DataType::Struct(fs) => fs.iter().any(|f| lacks_iceberg_type(f.data_type())),
        DataType::List(f) => lacks_iceberg_type(f.data_type()),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn exports_round_trip_or_refuse_before_writing((schema, batches) in arrow_table(), convert in any::<bool>()) {
        let wh = Wh::new();
        let e = wh.exporter();
        let name = format!("p.t{}", N.fetch_add(1, Ordering::Relaxed));
        let table = Table::from_batches(schema.clone(), batches.clone()).unwrap();
        let options = IcebergOptions::default().with_convert_types(convert);
        match e.export(Box::new(table.stream()), &name, &options) {
            Ok(r) => {
                prop_assert!(convert || !schema.fields().iter().any(|f| lacks_iceberg_type(f.data_type())));
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                prop_assert_eq!(r.rows as usize, rows);
                let (read_schema, read) = e.read_table(&name).unwrap();
                prop_assert_eq!(rows_text(&read), rows_text(&cast_to(&batches, &read_schema)));
            }
            Err(err) => {
                prop_assert_eq!(err.kind(), ErrorKind::UnsupportedType, "{}", err);
                prop_assert!(!convert, "{}", err);
                prop_assert!(schema.fields().iter().any(|f| lacks_iceberg_type(f.data_type())));
                prop_assert!(wh.files().is_empty());
            }
        }
    }
}
