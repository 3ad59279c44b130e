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

#[cfg(feature = "hdf5")]
mod hdf5 {
    use proptest::prelude::*;
    use tessera_core::container::{ContainerTree, Node, NodeInfo};
    use tessera_core::{ArrayEncoder, ContainerEncoder, DataType, DatasetEncoder, Params};
    use tessera_netcdf::Hdf5Encoder;

    use super::{dataset, refusal_is_typed};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every array of every dtype is written, and numeric ones read back byte for byte.
        #[test]
        fn arrays_round_trip(a in tessera_testkit::strategies::nd_array()) {
            let mut out = Vec::new();
            ArrayEncoder::encode(&Hdf5Encoder, &a, &Params::new(), &mut out).unwrap();
            let o = crate::hdf5::open(&out);
            let d = o.file.dataset(tessera_netcdf::ARRAY_DATASET).unwrap();
            prop_assert_eq!(d.shape(), a.shape().to_vec());
            macro_rules! same {
                ($t:ty) => {{
                    let got: Vec<$t> = d.read_raw::<$t>().unwrap();
                    let want = a.as_bytes().chunks_exact(std::mem::size_of::<$t>());
                    prop_assert!(got.iter().zip(want).all(|(g, w)| g.to_le_bytes() == w));
                }};
            }
            match a.data_type() {
                DataType::Int8 => same!(i8),
                DataType::Int32 => same!(i32),
                DataType::UInt64 => same!(u64),
                DataType::Float32 => same!(f32),
                DataType::Float64 => same!(f64),
                _ => {}
            }
        }

        /// Datasets and trees of random variables: written or refused with `Unsupported`.
        #[test]
        fn datasets_and_trees(ds in dataset()) {
            let mut out = Vec::new();
            match DatasetEncoder::encode(&Hdf5Encoder, &ds, &Params::new(), &mut out) {
                Ok(()) => {
                    let o = crate::hdf5::open(&out);
                    for name in ds.data_vars.keys() {
                        prop_assert!(o.file.dataset(name).is_ok());
                    }
                }
                Err(e) => prop_assert!(refusal_is_typed(&e), "{e}"),
            }
            let mut tree = ContainerTree::default();
            tree.children.insert("ds".into(), Node::Dataset { info: NodeInfo::default(), dataset: ds.clone() });
            for (name, v) in &ds.data_vars {
                tree.children.insert(format!("a_{name}"), Node::Array { info: NodeInfo::default(), data: v.data.clone(), dims: None });
            }
            let mut out = Vec::new();
            if let Err(e) = ContainerEncoder::encode(&Hdf5Encoder, &tree, &Params::new(), &mut out) {
                prop_assert!(refusal_is_typed(&e), "{e}");
            }
        }
    }
}

#[cfg(feature = "netcdf4")]
mod nc4 {
    use proptest::prelude::*;
    use tessera_netcdf::Nc4Encoder;

    use super::{dataset, refusal_is_typed};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn never_panics_and_reopens(ds in dataset()) {
            match crate::nc4::encode(&Nc4Encoder, &ds) {
                Ok(bytes) => {
                    let o = crate::nc4::open(&bytes);
                    prop_assert_eq!(o.file.variables().count(), ds.data_vars.len());
                }
                Err(e) => prop_assert!(refusal_is_typed(&e), "{e}"),
            }
        }
    }
}
