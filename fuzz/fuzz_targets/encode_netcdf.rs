//! NetCDF-3 of arbitrary datasets (any dtype and shape, odd names, nested attributes): never
//! panics; a refusal is `Unsupported` or `Limit` and writes nothing; every output is parsed
//! by the independent pure-Rust `netcdf3` reader, which reads each stored number back bit
//! for bit.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, DatasetEncoder, EncodeError, NdArray, Params};
use tessera_netcdf::Nc3Encoder;

fn name(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => String::arbitrary(u)?,
        1 => format!("v{}", u.int_in_range(0u8..=9)?),
        2 => "é名 x".to_owned(),
        _ => "string3".to_owned(),
    })
}

fn json(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(i64::arbitrary(u)?),
        3 => Value::from(u64::arbitrary(u)?),
        4 => serde_json::Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        5 => Value::String(String::arbitrary(u)?),
        6 if depth < 3 => {
            Value::Array((0..u.int_in_range(0..=3)?).map(|_| json(u, depth + 1)).collect::<Result<_, _>>()?)
        }
        _ if depth < 3 => Value::Object(attrs(u, depth + 1)?),
        _ => Value::Null,
    })
}

fn attrs(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Map<String, Value>> {
    let mut m = Map::new();
    for _ in 0..u.int_in_range(0..=3)? {
        m.insert(name(u)?, json(u, depth)?);
    }
    Ok(m)
}

fn dataset(u: &mut Unstructured<'_>) -> arbitrary::Result<Dataset> {
    let mut ds = Dataset::default();
    for _ in 0..u.int_in_range(0..=4)? {
        let a = NdArray::arbitrary(u)?;
        // Mostly consistent dimension names (the length in the name), sometimes arbitrary.
        let dims = a
            .shape()
            .iter()
            .enumerate()
            .map(|(k, n)| if u.ratio(1u8, 8u8)? { name(u) } else { Ok(format!("d{k}_{n}")) })
            .collect::<Result<Vec<_>, _>>()?;
        let v = Variable::new(dims, a).with_attrs(attrs(u, 0)?);
        let n = name(u)?;
        let _ = if u.arbitrary()? { ds.add_coord(&n, v) } else { ds.add_data_var(&n, v) };
    }
    ds.attrs = attrs(u, 0)?;
    Ok(ds)
}

fn same_bits(a: &NdArray, stored: &netcdf3::DataVector) -> bool {
    use netcdf3::DataVector as V;
    let bits = |x: &[u8], y: Vec<u8>| x == y.as_slice();
    match (a.data_type(), stored) {
        (DataType::Int8, V::I8(v)) => bits(a.as_bytes(), v.iter().map(|x| *x as u8).collect()),
        (DataType::Int16, V::I16(v)) => bits(a.as_bytes(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        (DataType::Int32, V::I32(v)) => bits(a.as_bytes(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        (DataType::Float32, V::F32(v)) => {
            bits(a.as_bytes(), v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
        (DataType::Float64, V::F64(v)) => {
            bits(a.as_bytes(), v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(ds) = dataset(&mut Unstructured::new(data)) else { return };
    let mut out = Vec::new();
    match Nc3Encoder.encode(&ds, &Params::new(), &mut out) {
        Err(e) => {
            assert!(matches!(e, EncodeError::Unsupported { .. } | EncodeError::Limit { .. }), "{e}");
            assert!(out.is_empty(), "a refusal writes nothing");
        }
        Ok(()) => {
            let mut r = netcdf3::FileReader::open_seek_read("fuzz.nc", Box::new(std::io::Cursor::new(out)))
                .expect("netcdf3 parses the output");
            for (name, v) in ds.variables() {
                let stored = r.read_var(name).expect("every variable reads back");
                assert!(same_bits(&v.data, &stored), "{name}");
            }
        }
    }
});
