//! NetCDF-3: round trips through the pure-Rust `netcdf3` reader (an independent
//! implementation), golden bytes, and the documented refusals.

use std::io::Cursor;

use netcdf3::FileReader;
use serde_json::json;
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, DatasetEncoder, EncodeError, NdArray, Params};
use tessera_netcdf::{JSON_ATTRS, Nc3Encoder, Nc3Format, Nc3Options};

use crate::fixtures;

pub fn encode(ds: &Dataset) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    Nc3Encoder.encode(ds, &Params::new(), &mut out)?;
    Ok(out)
}

pub fn read(bytes: Vec<u8>) -> FileReader {
    FileReader::open_seek_read("mem.nc", Box::new(Cursor::new(bytes))).expect("netcdf3 reads the file")
}

fn text(r: &FileReader, var: &str, attr: &str) -> Option<String> {
    r.data_set().get_var_attr_as_string(var, attr)
}

#[test]
fn d1_round_trips() {
    let ds = tessera_testkit::workloads::d1();
    let bytes = encode(&ds).unwrap();
    assert_eq!(&bytes[..4], b"CDF\x02");
    let mut r = read(bytes);
    assert_eq!(r.data_set().dim_size("time"), Some(1000));
    assert_eq!(r.data_set().dim_size("x"), Some(1000));
    assert_eq!(r.data_set().get_var("a").unwrap().dim_names(), vec!["time", "x"]);
    let a = r.read_var("a").unwrap();
    assert_eq!(a.get_f64().unwrap(), ds.data_vars["a"].data.as_slice::<f64>().unwrap());
    let b = r.read_var("b").unwrap();
    assert_eq!(b.get_f64().unwrap(), ds.data_vars["b"].data.as_slice::<f64>().unwrap());
    // int64 coordinate values fit int32: stored as int (NetCDF-3 has no int64), like xarray.
    let t = r.read_var("time").unwrap();
    assert_eq!(t.get_i32().unwrap(), (0..1000).collect::<Vec<i32>>());
    assert_eq!(text(&r, "time", "units").as_deref(), Some("seconds since 2020-01-01 00:00:00"));
}

#[test]
fn demo_dataset_is_cf_encoded() {
    let ds = fixtures::demo_dataset();
    let mut r = read(encode(&ds).unwrap());
    let t = r.read_var("time").unwrap();
    assert_eq!(t.get_i32().unwrap(), &[0, 1, 2]);
    assert_eq!(text(&r, "time", "units").as_deref(), Some("days since 2014-09-06 00:00:00"));
    assert_eq!(text(&r, "time", "calendar").as_deref(), Some("proleptic_gregorian"));
    // Non-dimension coordinates are listed on the data variables, sorted (xarray's rule).
    assert_eq!(text(&r, "temperature", "coordinates").as_deref(), Some("lat lon"));
    assert_eq!(r.data_set().get_var("lon").unwrap().dim_names(), vec!["x", "y"]);
    let temp = r.read_var("temperature").unwrap();
    assert_eq!(temp.get_f64().unwrap(), ds.data_vars["temperature"].data.as_slice::<f64>().unwrap());
    assert!(r.data_set().get_global_attrs().is_empty());
}

#[test]
fn every_dtype_is_stored_as_xarray_reads_it() {
    let ds = fixtures::every_dtype_dataset();
    let mut r = read(encode(&ds).unwrap());
    let vars = r.read_all_vars().unwrap();
    let get = |n: &str| vars.get(n).unwrap_or_else(|| panic!("{n}"));
    assert_eq!(get("bool").get_i8().unwrap(), &[1, 0, 1]);
    assert_eq!(text(&r, "bool", "dtype").as_deref(), Some("bool"));
    assert_eq!(get("int64").get_i32().unwrap(), &[-5, 0, i32::MAX]);
    // Unsigned integers keep their bits in the signed type of the same width.
    assert_eq!(get("uint8").get_i8().unwrap(), &[0, 200u8 as i8, -1]);
    assert_eq!(text(&r, "uint8", "_Unsigned").as_deref(), Some("true"));
    assert_eq!(get("uint16").get_i16().unwrap(), &[0, 40000u16 as i16, -1]);
    assert_eq!(get("uint32").get_i32().unwrap(), &[0, 4_000_000_000u32 as i32, 1]);
    assert_eq!(get("uint64").get_i32().unwrap(), &[0, 4_000_000_000u32 as i32, 1]);
    assert_eq!(text(&r, "uint64", "_Unsigned").as_deref(), Some("true"));
    let f16 = get("float16").get_f32().unwrap();
    assert_eq!((f16[0], f16[1].is_nan(), f16[2]), (0.5, true, 65504.0));
    assert_eq!(get("float32").get_f32().unwrap()[0], 0.1f32);
    assert!(get("float64").get_f64().unwrap()[1].is_nan());
    assert_eq!(get("datetime").get_i32().unwrap(), &[0, 1, 3600]);
    assert_eq!(text(&r, "datetime", "units").as_deref(), Some("seconds since 2020-01-01 00:00:00"));
    assert_eq!(get("timedelta").get_i32().unwrap(), &[1, 0, -3]);
    assert_eq!(text(&r, "timedelta", "units").as_deref(), Some("seconds"));
    assert_eq!(text(&r, "timedelta", "dtype").as_deref(), Some("timedelta64[ms]"));
    // Text: UTF-8 in a char array with a `string<N>` dimension, N the longest encoding.
    assert_eq!(r.data_set().get_var("unicode").unwrap().dim_names(), vec!["n", "string9"]);
    let u = get("unicode").get_u8().unwrap();
    assert_eq!(&u[..9], b"a\0\0\0\0\0\0\0\0");
    assert_eq!(std::str::from_utf8(&u[9..18]).unwrap(), "é名🙂");
    assert_eq!(text(&r, "unicode", "_Encoding").as_deref(), Some("utf-8"));
    assert_eq!(r.data_set().get_var("bytes").unwrap().dim_names(), vec!["n", "string3"]);
    assert_eq!(get("bytes").get_u8().unwrap(), b"ab\0\0\0\0xyz");
    // Global attributes: native where NetCDF-3 can, JSON text otherwise (listed).
    let g = |n: &str| r.data_set().get_global_attr(n).unwrap_or_else(|| panic!("{n}"));
    assert_eq!(g("title").get_as_string().as_deref(), Some("every dtype"));
    assert_eq!(g("count").get_i32(), Some(&[3][..]));
    assert_eq!(g("ratio").get_f64(), Some(&[0.25][..]));
    assert_eq!(g("flag").get_i8(), Some(&[1][..]));
    assert_eq!(g("sizes").get_i32(), Some(&[1, 2, 3][..]));
    assert_eq!(g("nested").get_as_string().as_deref(), Some(r#"{"a":[1,{"b":null}]}"#));
    assert_eq!(g(JSON_ATTRS).get_as_string().as_deref(), Some(r#"["nested"]"#));
    assert_eq!(g("é名").get_as_string().as_deref(), Some("unicode"));
}

fn one_var(name: &str, dims: &[&str], a: NdArray) -> Dataset {
    let mut ds = Dataset::default();
    ds.add_data_var(name, Variable::new(dims.iter().map(|s| s.to_string()).collect(), a)).unwrap();
    ds
}

fn unsupported(ds: &Dataset) -> String {
    match encode(ds) {
        Err(e @ EncodeError::Unsupported { .. }) => e.to_string(),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn what_netcdf3_cannot_hold_is_refused_clearly() {
    let big = one_var("v", &["n"], NdArray::from_vec(vec![2], vec![0i64, 1 << 40]).unwrap());
    assert!(unsupported(&big).contains("does not fit in NetCDF-3's 32-bit int"));
    let big = one_var("v", &["n"], NdArray::from_vec(vec![1], vec![u64::MAX]).unwrap());
    assert!(unsupported(&big).contains("uint64 value 18446744073709551615"));
    let c = one_var("v", &["n"], NdArray::zeros(DataType::Complex128, vec![2]).unwrap());
    assert!(unsupported(&c).contains("NetCDF cannot hold complex128"));
    let p = one_var("pets", &["n"], fixtures::pets());
    assert!(unsupported(&p).contains("export the dataset as HDF5"));
    let two_zero = one_var("v", &["a", "b"], NdArray::zeros(DataType::Float64, vec![0, 0]).unwrap());
    assert!(unsupported(&two_zero).contains("one zero-length dimension"));
    let late_zero = one_var("v", &["a", "b"], NdArray::zeros(DataType::Float64, vec![2, 0]).unwrap());
    assert!(unsupported(&late_zero).contains("must come first"));
    let bad_name = one_var("a/b", &["n"], NdArray::zeros(DataType::Float64, vec![1]).unwrap());
    assert!(unsupported(&bad_name).contains("not a valid NetCDF name"));
    let mut units = one_var("t", &["n"], fixtures::plain_arrays().remove(12).1);
    units.data_vars["t"].attrs.insert("units".into(), json!("s"));
    assert!(unsupported(&units).contains("CF encoding needs"));
    let months = one_var(
        "t",
        &["n"],
        NdArray::new(
            DataType::Timedelta64(tessera_core::TimeUnit::Month),
            vec![1],
            1i64.to_le_bytes().to_vec(),
        )
        .unwrap(),
    );
    assert!(unsupported(&months).contains("no fixed length"));
    // Nothing was written before the refusal.
    let mut out = Vec::new();
    assert!(Nc3Encoder.encode(&c, &Params::new(), &mut out).is_err());
    assert!(out.is_empty());
    // Parameters are checked.
    let err =
        Nc3Encoder.encode(&Dataset::default(), &Params::new().with("format", "cdf5"), &mut out).unwrap_err();
    assert!(matches!(err, EncodeError::InvalidOption { .. }), "{err}");
    let err = Nc3Encoder.encode(&Dataset::default(), &Params::new().with("zlib", "1"), &mut out).unwrap_err();
    assert!(matches!(err, EncodeError::InvalidOption { .. }), "{err}");
}

#[test]
fn zero_length_dimension_becomes_the_record_dimension() {
    let mut ds = one_var("v", &["row", "col"], NdArray::zeros(DataType::Float32, vec![0, 3]).unwrap());
    ds.add_data_var(
        "w",
        Variable::new(vec!["col".into()], NdArray::from_vec(vec![3], vec![1i16, 2, 3]).unwrap()),
    )
    .unwrap();
    let mut r = read(encode(&ds).unwrap());
    assert_eq!(r.data_set().get_unlimited_dim().map(|d| d.name()), Some("row".to_owned()));
    assert_eq!(r.data_set().num_records(), Some(0));
    assert_eq!(r.read_var("v").unwrap().len(), 0);
    assert_eq!(r.read_var("w").unwrap().get_i16().unwrap(), &[1, 2, 3]);
}

#[test]
fn empty_scalar_and_unicode_names() {
    let mut r = read(encode(&Dataset::default()).unwrap());
    assert_eq!(r.data_set().num_vars(), 0);
    assert!(r.read_all_vars().unwrap().is_empty());
    let mut ds = one_var("é名🙂", &[], NdArray::from_vec(vec![], vec![2.5f64]).unwrap());
    ds.add_data_var(
        "odd",
        Variable::new(vec!["with space".into()], NdArray::from_vec(vec![1], vec![7i8]).unwrap()),
    )
    .unwrap();
    let mut r = read(encode(&ds).unwrap());
    assert_eq!(r.read_var("é名🙂").unwrap().get_f64().unwrap(), &[2.5]);
    assert_eq!(r.read_var("odd").unwrap().get_i8().unwrap(), &[7]);
    assert_eq!(r.data_set().dim_size("with space"), Some(1));
}

#[test]
fn classic_format_and_typed_writer() {
    let ds = fixtures::demo_dataset();
    let mut w = Nc3Options::default().with_format(Nc3Format::Classic).build(Vec::new());
    w.write(&ds).unwrap();
    assert!(w.write(&ds).is_err(), "one dataset per file");
    let bytes = w.finish().unwrap();
    assert_eq!(&bytes[..4], b"CDF\x01");
    let mut r = read(bytes);
    assert_eq!(r.read_var("lat").unwrap().get_f64().unwrap(), &[42.25, 42.21, 42.63, 42.59]);
    let empty = Nc3Options::default().build(Vec::new()).finish().unwrap();
    assert_eq!(empty.len(), 32, "magic, numrecs, three ABSENT lists");
    let via_param = {
        let mut out = Vec::new();
        Nc3Encoder.encode(&ds, &Params::new().with("format", "classic"), &mut out).unwrap();
        out
    };
    assert_eq!(&via_param[..4], b"CDF\x01");
}

/// The bytes are deterministic: compare with the checked-in file (which the interop suite
/// also opens with scipy). `TESSERA_BLESS=1` rewrites it.
#[test]
fn golden_demo_dataset() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/demo_dataset.nc");
    let bytes = encode(&fixtures::demo_dataset()).unwrap();
    if std::env::var_os("TESSERA_BLESS").is_some() {
        std::fs::write(path, &bytes).unwrap();
    }
    let golden = std::fs::read(path).expect("golden file (run with TESSERA_BLESS=1 to create it)");
    assert!(golden == bytes, "output differs from {path}");
}
