//! Property: random arrays written block by block (some blocks skipped) read back equal,
//! through any box.

use proptest::prelude::*;
use tessera_core::{ArrayStructure, DataType};
use tessera_storage::Storage;

use crate::arrays::slice_box;

fn case() -> impl Strategy<Value = (DataType, Vec<usize>, Vec<usize>, Vec<u8>, Vec<bool>, u64)> {
    let dt = tessera_testkit::strategies::plain_data_type()
        .prop_filter("|S is unsupported", |d| !matches!(d, DataType::Bytes(_)));
    (dt, proptest::collection::vec((1usize..7, 1usize..4), 0..4)).prop_flat_map(|(dt, dims)| {
        let shape: Vec<usize> = dims.iter().map(|d| d.0).collect();
        let chunk: Vec<usize> = dims.iter().map(|d| d.1).collect();
        let n: usize = shape.iter().product();
        let nblocks: usize = shape.iter().zip(&chunk).map(|(s, c)| s.div_ceil(*c)).product();
        (
            Just(dt.clone()),
            Just(shape),
            Just(chunk),
            tessera_testkit::strategies::element_bytes(dt, n),
            proptest::collection::vec(any::<bool>(), nblocks),
            any::<u64>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn block_writes_read_back((dt, shape, chunk, bytes, skip, seed) in case()) {
        let dir = tempfile::tempdir().unwrap();
        let st = Storage::open(dir.path()).unwrap();
        let s = ArrayStructure::regular(dt.clone(), shape.clone(), &chunk);
        let a = st.create_array("p", &s).unwrap();
        let counts = s.block_counts();
        let itemsize = dt.itemsize();
        let mut expected = vec![0u8; bytes.len()];
        for (b, &skipped) in skip.iter().enumerate() {
            let mut idx = vec![0; counts.len()];
            let mut rest = b;
            for k in (0..counts.len()).rev() {
                idx[k] = rest % counts[k];
                rest /= counts[k];
            }
            let (off, bs) = s.block_region(&idx);
            let r: Vec<_> = off.iter().zip(&bs).map(|(&o, &n)| o..o + n).collect();
            let block = slice_box(&bytes, &shape, &r, itemsize);
            if skipped {
                continue;
            }
            a.write_block(&idx, &block).unwrap();
            // Record what was written into `expected`.
            let mut pos = 0;
            let mut cur: Vec<usize> = r.iter().map(|x| x.start).collect();
            let n: usize = bs.iter().product();
            for _ in 0..n {
                let lin = cur.iter().zip(&shape).fold(0, |acc, (&i, &d)| acc * d + i);
                expected[lin * itemsize..(lin + 1) * itemsize].copy_from_slice(&block[pos..pos + itemsize]);
                pos += itemsize;
                for k in (0..cur.len()).rev() {
                    cur[k] += 1;
                    if cur[k] < r[k].end { break; }
                    cur[k] = r[k].start;
                }
            }
        }
        let all: Vec<_> = shape.iter().map(|&d| 0..d).collect();
        let got = a.read_box(&all).unwrap();
        prop_assert_eq!(got.as_bytes(), expected.as_slice());
        // A pseudo-random box.
        let mut x = seed | 1;
        let boxed: Vec<_> = shape.iter().map(|&d| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let a = (x >> 33) as usize % (d + 1);
            let b = (x >> 13) as usize % (d + 1);
            a.min(b)..a.max(b)
        }).collect();
        let got = a.read_box(&boxed).unwrap();
        let want = slice_box(&expected, &shape, &boxed, itemsize);
        prop_assert_eq!(got.as_bytes(), want.as_slice());
        // The same box read by zarrs itself (serially, through its own codecs) agrees with
        // this crate's direct, parallel decode.
        if !boxed.iter().any(|r| r.is_empty()) && !shape.is_empty() {
            let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(a.path()).unwrap());
            let z = zarrs::array::Array::open(store, "/").unwrap();
            let subset = zarrs::array::ArraySubset::new_with_ranges(
                &boxed.iter().map(|r| r.start as u64..r.end as u64).collect::<Vec<_>>(),
            );
            let opts = zarrs::array::CodecOptions::default().with_concurrent_target(1);
            let by_zarrs: zarrs::array::ArrayBytes<'static> = z.retrieve_array_subset_opt(&subset, &opts).unwrap();
            prop_assert_eq!(got.as_bytes(), &by_zarrs.into_fixed().unwrap()[..]);
        }
        // write_full of the same bytes gives the whole array.
        a.write_full(&bytes).unwrap();
        let got = a.read_box(&all).unwrap();
        prop_assert_eq!(got.as_bytes(), bytes.as_slice());
    }
}
