//! Encode with the registered encoders, decode with arrow-ipc's `FileReader` and
//! `StreamReader`, compare batch by batch.

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float16Array, RecordBatch};
use arrow::datatypes::{Schema, SchemaRef};
use arrow_ipc::reader::{FileReader, StreamReader};
use proptest::prelude::*;
use tessera_arrow as _;
use tessera_arrow::{ArrowFileEncoder, ArrowStreamEncoder, schema_message};
use tessera_core::dataset::Dataset;
use tessera_core::{EncodeError, Family, Params, Registration, Registry, Table, TableEncoder};
use tessera_testkit::{strategies, workloads};

fn encode(enc: &dyn TableEncoder, t: &Table, params: &Params) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    enc.encode(&mut t.stream(), params, &mut out)?;
    Ok(out)
}

fn read_file(bytes: Vec<u8>) -> (SchemaRef, Vec<RecordBatch>) {
    let r = FileReader::try_new(Cursor::new(bytes), None).expect("a valid IPC file");
    let schema = r.schema();
    (schema, r.collect::<Result<_, _>>().expect("valid batches"))
}

fn read_stream(bytes: Vec<u8>) -> (SchemaRef, Vec<RecordBatch>) {
    let r = StreamReader::try_new(Cursor::new(bytes), None).expect("a valid IPC stream");
    let schema = r.schema();
    (schema, r.collect::<Result<_, _>>().expect("valid batches"))
}

const CODECS: [&str; 3] = ["none", "lz4", "zstd"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every generated table (every column kind, nulls, nested types, awkward names,
    /// zero rows) comes back identical, batch for batch, in both formats and every codec.
    #[test]
    fn tables_round_trip((schema, batches) in strategies::arrow_table(), codec in 0usize..3) {
        let t = Table::from_batches(schema.clone(), batches.clone()).unwrap();
        let p = Params::new().with("compression", CODECS[codec]);
        let (s, back) = read_file(encode(&ArrowFileEncoder, &t, &p).unwrap());
        prop_assert_eq!(&s, &schema);
        prop_assert_eq!(&back, &batches);
        let (s, back) = read_stream(encode(&ArrowStreamEncoder, &t, &p).unwrap());
        prop_assert_eq!(&s, &schema);
        prop_assert_eq!(&back, &batches);
        prop_assert_eq!(arrow_ipc::convert::try_schema_from_ipc_buffer(&schema_message(&schema)).unwrap(), (*schema).clone());
    }

    /// Any parameter value is either accepted or refused as `InvalidOption` before a byte
    /// is written; never a backend error, never a panic.
    #[test]
    fn parameters_are_valid_or_invalid_options(
        (schema, batches) in strategies::flat_table(),
        key in prop_oneof![Just("compression".to_owned()), Just("level".to_owned()), "[a-z]{1,6}"],
        value in prop_oneof![Just("lz4".to_owned()), Just("ZSTD".to_owned()), Just("none".to_owned()), ".{0,6}"],
    ) {
        let t = Table::from_batches(schema, batches).unwrap();
        for enc in [&ArrowFileEncoder as &dyn TableEncoder, &ArrowStreamEncoder] {
            let mut out = Vec::new();
            match enc.encode(&mut t.stream(), &Params::new().with(&key, &value), &mut out) {
                Ok(()) => prop_assert!(!out.is_empty()),
                Err(EncodeError::InvalidOption { .. }) => prop_assert!(out.is_empty()),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}

#[test]
fn t2_round_trips_through_the_registry() {
    let reg = Registry::global().unwrap();
    let t = workloads::t2();
    let expected: Vec<RecordBatch> = t.stream().map(Result::unwrap).collect();
    for (format, stream) in [("arrow", false), ("feather", false), ("arrows", true)] {
        let (Registration::Table(enc), params) = reg.negotiate(Family::Table, Some(format), None).unwrap()
        else {
            panic!("{format} is a table encoder");
        };
        let bytes = encode(enc, &t, &params).unwrap();
        let (_, back) = if stream { read_stream(bytes) } else { read_file(bytes) };
        assert_eq!(back, expected, "{format}");
    }
    // What the Tiled client asks for by default.
    let (Registration::Table(enc), _) =
        reg.negotiate(Family::Table, None, Some("application/vnd.apache.arrow.file")).unwrap()
    else {
        panic!("table encoder");
    };
    assert_eq!(enc.spec().media_type.as_str(), "application/vnd.apache.arrow.file");
}

#[test]
fn d1_exports_one_column_per_variable() {
    let ds: Dataset = workloads::d1();
    let reg = Registry::global().unwrap();
    let (Registration::Dataset(enc), params) =
        reg.negotiate(Family::Dataset, Some("application/vnd.apache.arrow.file"), None).unwrap()
    else {
        panic!("dataset encoder");
    };
    let mut out = Vec::new();
    enc.encode(&ds, &params, &mut out).unwrap();
    let (schema, batches) = read_file(out);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["time", "a", "b"]);
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1_000_000);
}

#[test]
fn float16_and_wide_unicode_names_round_trip() {
    let col: ArrayRef = Arc::new(Float16Array::from(vec![Some(half::f16::from_f32(1.5)), None]));
    let batch = RecordBatch::try_from_iter(vec![("温度 🌡", col)]).unwrap();
    let t = Table::from_batches(batch.schema(), vec![batch.clone()]).unwrap();
    let (s, back) = read_file(encode(&ArrowFileEncoder, &t, &Params::new()).unwrap());
    assert_eq!(s.field(0).name(), "温度 🌡");
    assert_eq!(back, vec![batch]);
    let _: Schema = (*s).clone();
}
