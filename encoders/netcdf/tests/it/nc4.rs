//! NetCDF-4: read back with libnetcdf through the `netcdf` crate; the same reader also
//! checks the pure-Rust NetCDF-3 output (an independent implementation of that format).

use std::io::Write;

use netcdf::AttributeValue;
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, DatasetEncoder, EncodeError, NdArray, Params};
use tessera_netcdf::{Nc3Encoder, Nc4Encoder, Nc4Options};

use crate::fixtures;

pub struct Opened {
    _tmp: tempfile::NamedTempFile,
    pub file: netcdf::File,
}

pub fn open(bytes: &[u8]) -> Opened {
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(bytes).unwrap();
    let file = netcdf::open(tmp.path()).unwrap();
    Opened { _tmp: tmp, file }
}

pub fn encode(enc: &dyn DatasetEncoder, ds: &Dataset) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    enc.encode(ds, &Params::new(), &mut out)?;
    Ok(out)
}

fn attr(f: &netcdf::File, var: &str, name: &str) -> AttributeValue {
    f.variable(var).unwrap().attribute_value(name).unwrap().unwrap()
}

fn text(f: &netcdf::File, var: &str, name: &str) -> String {
    match attr(f, var, name) {
        AttributeValue::Str(s) => s,
        other => panic!("{var}.{name} is {other:?}"),
    }
}

#[test]
fn d1_round_trips() {
    let ds = tessera_testkit::workloads::d1();
    let bytes = encode(&Nc4Encoder, &ds).unwrap();
    assert_eq!(&bytes[..8], b"\x89HDF\r\n\x1a\n");
    let o = open(&bytes);
    let a = o.file.variable("a").unwrap();
    assert_eq!(a.dimensions().iter().map(|d| d.name()).collect::<Vec<_>>(), ["time", "x"]);
    assert_eq!(a.get_values::<f64, _>(..).unwrap(), ds.data_vars["a"].data.as_slice::<f64>().unwrap());
    let t = o.file.variable("time").unwrap();
    assert_eq!(t.get_values::<i64, _>(..).unwrap(), (0..1000).collect::<Vec<i64>>(), "int64 is kept");
    assert_eq!(text(&o.file, "time", "units"), "seconds since 2020-01-01 00:00:00");
}

#[test]
fn every_dtype_as_xarray_writes_it() {
    let o = open(&encode(&Nc4Encoder, &fixtures::every_dtype_dataset()).unwrap());
    let f = &o.file;
    let v = |n: &str| f.variable(n).unwrap();
    assert_eq!(v("bool").get_values::<i8, _>(..).unwrap(), [1, 0, 1]);
    assert_eq!(text(f, "bool", "dtype"), "bool");
    assert_eq!(v("uint8").get_values::<u8, _>(..).unwrap(), [0, 200, 255]);
    assert_eq!(v("uint64").get_values::<u64, _>(..).unwrap(), [0, 4_000_000_000, 1]);
    assert_eq!(v("int64").get_values::<i64, _>(..).unwrap(), [-5, 0, i64::from(i32::MAX)]);
    assert_eq!(v("float16").get_values::<f32, _>(..).unwrap()[2], 65504.0);
    assert_eq!(v("datetime").get_values::<i64, _>(..).unwrap(), [0, 1, 3600]);
    assert_eq!(text(f, "datetime", "calendar"), "proleptic_gregorian");
    assert_eq!(v("timedelta").get_values::<i64, _>(..).unwrap(), [1, 0, -3]);
    assert_eq!(v("unicode").get_string([1]).unwrap(), "é名🙂");
    assert_eq!(v("bytes").dimensions().iter().map(|d| d.name()).collect::<Vec<_>>(), ["n", "string3"]);
    match f.attribute("sizes").unwrap().value().unwrap() {
        AttributeValue::Longlongs(v) => assert_eq!(v, [1, 2, 3]),
        other => panic!("{other:?}"),
    }
    match f.attribute("nested").unwrap().value().unwrap() {
        AttributeValue::Str(s) => assert_eq!(s, r#"{"a":[1,{"b":null}]}"#),
        other => panic!("{other:?}"),
    }
}

#[test]
fn demo_dataset_and_refusals() {
    let o = open(&encode(&Nc4Encoder, &fixtures::demo_dataset()).unwrap());
    assert_eq!(text(&o.file, "time", "units"), "days since 2014-09-06 00:00:00");
    assert_eq!(text(&o.file, "temperature", "coordinates"), "lat lon");
    let mut ds = Dataset::default();
    ds.add_data_var(
        "c",
        Variable::new(vec!["n".into()], NdArray::zeros(DataType::Complex64, vec![1]).unwrap()),
    )
    .unwrap();
    assert!(matches!(encode(&Nc4Encoder, &ds), Err(EncodeError::Unsupported { .. })));
    let mut ds = Dataset::default();
    ds.add_data_var("p", Variable::new(vec!["n".into()], fixtures::pets())).unwrap();
    assert!(matches!(encode(&Nc4Encoder, &ds), Err(EncodeError::Unsupported { .. })));
    let mut ds = Dataset::default();
    let mut v = Variable::new(vec!["n".into()], NdArray::zeros(DataType::Int8, vec![1]).unwrap());
    v.attrs.insert("_NCProperties".into(), serde_json::json!("x"));
    ds.add_data_var("v", v).unwrap();
    assert!(matches!(encode(&Nc4Encoder, &ds), Err(EncodeError::Unsupported { .. })));
    let empty = open(&encode(&Nc4Encoder, &Dataset::default()).unwrap());
    assert_eq!(empty.file.variables().count(), 0);
}

/// libnetcdf reads the pure-Rust NetCDF-3 output back exactly.
#[test]
fn netcdf_c_reads_our_netcdf3() {
    let ds = fixtures::every_dtype_dataset();
    let o = open(&encode(&Nc3Encoder, &ds).unwrap());
    let f = &o.file;
    assert_eq!(f.variable("int32").unwrap().get_values::<i32, _>(..).unwrap(), [i32::MIN, 0, i32::MAX]);
    assert_eq!(f.variable("uint8").unwrap().get_values::<i8, _>(..).unwrap(), [0, -56, -1]);
    assert_eq!(text(f, "uint8", "_Unsigned"), "true");
    assert_eq!(f.variable("float64").unwrap().get_values::<f64, _>(..).unwrap()[2], f64::NEG_INFINITY);
    let d1 = tessera_testkit::workloads::d1();
    let o = open(&encode(&Nc3Encoder, &d1).unwrap());
    assert_eq!(
        o.file.variable("b").unwrap().get_values::<f64, _>(..).unwrap(),
        d1.data_vars["b"].data.as_slice::<f64>().unwrap()
    );
    let mut rec = Dataset::default();
    rec.add_data_var(
        "v",
        Variable::new(vec!["row".into(), "c".into()], NdArray::zeros(DataType::Float64, vec![0, 2]).unwrap()),
    )
    .unwrap();
    let o = open(&encode(&Nc3Encoder, &rec).unwrap());
    assert!(o.file.dimension("row").unwrap().is_unlimited());
    assert_eq!(o.file.dimension_len("row"), Some(0));
}

#[test]
fn no_temporary_file_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Nc4Options::default().with_temp_dir(dir.path());
    let mut w = opts.clone().build(Vec::new());
    w.write(&fixtures::demo_dataset()).unwrap();
    assert!(!w.finish().unwrap().is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = opts.build(Broken);
    assert!(matches!(w.write(&fixtures::demo_dataset()), Err(EncodeError::Io(_))));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The in-memory path (the registered encoder's, up to `MEMORY_LIMIT`) and the temporary
/// file path give files with the same content.
#[test]
fn memory_and_temp_file_agree() {
    let ds = fixtures::every_dtype_dataset();
    let via = |in_memory: bool| {
        let mut w = Nc4Options::default().with_in_memory(in_memory).build(Vec::new());
        w.write(&ds).unwrap();
        w.finish().unwrap()
    };
    let (mem, file) = (open(&via(true)), open(&via(false)));
    for v in file.file.variables() {
        let m = mem.file.variable(&v.name()).unwrap();
        assert_eq!(m.vartype(), v.vartype(), "{}", v.name());
        if v.vartype() == netcdf::types::NcVariableType::String {
            for i in 0..v.len() {
                assert_eq!(m.get_string([i]).unwrap(), v.get_string([i]).unwrap());
            }
        } else {
            assert_eq!(m.get_raw_values(..).ok(), v.get_raw_values(..).ok(), "{}", v.name());
        }
        let names = |x: &netcdf::Variable| x.attributes().map(|a| a.name().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(&m), names(&v));
    }
    assert_eq!(mem.file.attributes().count(), file.file.attributes().count());
}
