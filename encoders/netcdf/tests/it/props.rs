//! Properties over random datasets: encoding never panics, refusals are `Unsupported` or
//! `Limit` (never a backend or I/O error), and whatever is written reads back.

use proptest::prelude::*;
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{DataType, EncodeError, NdArray};
use tessera_testkit::strategies;

/// A dataset of 0–4 random arrays; dimension names encode their length, so they agree.
pub fn dataset() -> impl Strategy<Value = Dataset> {
    proptest::collection::vec(strategies::nd_array(), 0..4).prop_map(|arrays| {
        let mut ds = Dataset::default();
        for (i, a) in arrays.into_iter().enumerate() {
            let dims = a.shape().iter().enumerate().map(|(k, n)| format!("d{k}_{n}")).collect();
            ds.add_data_var(&format!("v{i}"), Variable::new(dims, a)).expect("consistent dims");
        }
        ds
    })
}

fn refusal_is_typed(e: &EncodeError) -> bool {
    matches!(e, EncodeError::Unsupported { .. } | EncodeError::Limit { .. })
}

fn same_bits(a: &NdArray, stored: &netcdf3::DataVector) -> bool {
    use netcdf3::DataVector as V;
    match (a.data_type(), stored) {
        (DataType::Float64, V::F64(v)) => {
            v.iter().zip(a.as_slice::<f64>().unwrap()).all(|(x, y)| x.to_bits() == y.to_bits())
        }
        (DataType::Float32, V::F32(v)) => {
            v.iter().zip(a.as_slice::<f32>().unwrap()).all(|(x, y)| x.to_bits() == y.to_bits())
        }
        (DataType::Int32, V::I32(v)) => v == a.as_slice::<i32>().unwrap(),
        (DataType::Int16, V::I16(v)) => v == a.as_slice::<i16>().unwrap(),
        (DataType::Int8, V::I8(v)) => v == a.as_slice::<i8>().unwrap(),
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn nc3_never_panics_and_round_trips(ds in dataset()) {
        match crate::nc3::encode(&ds) {
            Err(e) => prop_assert!(refusal_is_typed(&e), "{e}"),
            Ok(bytes) => {
                let mut r = crate::nc3::read(bytes);
                for (name, v) in &ds.data_vars {
                    let stored = r.read_var(name).unwrap();
                    prop_assert!(same_bits(&v.data, &stored), "{name}");
                    if !matches!(v.data.data_type(), DataType::Unicode(_) | DataType::Bytes(_)) {
                        prop_assert_eq!(stored.len(), v.data.len());
                    }
                }
            }
        }
    }
}
