//! Zarr arrays: round trips of every supported dtype, boxes across chunks, unwritten zeros,
//! concurrency, validation failures that write nothing, leftovers, removal and restarts.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use tessera_core::{ArrayStructure, DataType, Field, TimeUnit};
use tessera_storage::{Storage, StorageError};

use crate::noise;

/// Every dtype that Zarr v3 storage supports.
pub fn supported() -> Vec<DataType> {
    let mut v = vec![
        DataType::Bool,
        DataType::Int8,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::UInt8,
        DataType::UInt16,
        DataType::UInt32,
        DataType::UInt64,
        DataType::Float16,
        DataType::Float32,
        DataType::Float64,
        DataType::Complex64,
        DataType::Complex128,
        DataType::Unicode(1),
        DataType::Unicode(7),
    ];
    for u in
        [TimeUnit::Day, TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond]
    {
        v.push(DataType::Datetime64(u));
        v.push(DataType::Timedelta64(u));
    }
    v
}

/// Valid bytes of `n` elements of `dt` (bools 0/1, valid code points), else noise.
pub fn values(dt: &DataType, n: usize, seed: u64) -> Vec<u8> {
    let raw = noise(seed, n * dt.itemsize());
    match dt {
        DataType::Bool => raw.iter().map(|b| b & 1).collect(),
        DataType::Unicode(_) => {
            raw.chunks(4).flat_map(|c| u32::from(b'a' + c[0] % 26).to_le_bytes()).collect()
        }
        _ => raw,
    }
}

/// Every file under `dir`, relative, sorted.
pub fn files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
            out.insert(e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned());
        }
    }
    out
}

/// The C-order bytes of box `ranges` of a C-order array (reference slicing).
pub fn slice_box(bytes: &[u8], shape: &[usize], ranges: &[Range<usize>], itemsize: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let n: usize = ranges.iter().map(|r| r.len()).product();
    if n == 0 {
        return out;
    }
    let mut idx: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    loop {
        let lin = idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i);
        out.extend_from_slice(&bytes[lin * itemsize..(lin + 1) * itemsize]);
        let mut k = idx.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < ranges[k].end {
                break;
            }
            idx[k] = ranges[k].start;
        }
    }
}

fn storage() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::open(dir.path().join("data")).unwrap();
    (dir, s)
}

#[test]
fn every_supported_dtype_round_trips_whole_and_by_block() {
    let (_d, st) = storage();
    for (i, dt) in supported().into_iter().enumerate() {
        let s = ArrayStructure::regular(dt.clone(), vec![5, 3], &[2, 2]);
        let bytes = values(&dt, 15, i as u64);
        let a = st.create_array(&format!("full{i}"), &s).unwrap();
        a.write_full(&bytes).unwrap();
        let got = a.read_box(&[0..5, 0..3]).unwrap();
        assert_eq!(got.data_type(), &dt);
        assert_eq!(got.shape(), &[5, 3]);
        assert_eq!(got.as_bytes(), bytes.as_slice(), "{dt}");

        let b = st.create_array(&format!("blocks{i}"), &s).unwrap();
        for bi in 0..3 {
            for bj in 0..2 {
                let (off, shape) = s.block_region(&[bi, bj]);
                let ranges: Vec<_> = off.iter().zip(&shape).map(|(&o, &n)| o..o + n).collect();
                b.write_block(&[bi, bj], &slice_box(&bytes, &[5, 3], &ranges, dt.itemsize())).unwrap();
            }
        }
        assert_eq!(b.read_box(&[0..5, 0..3]).unwrap().as_bytes(), bytes.as_slice(), "{dt}");
        // And after a restart.
        let st2 = Storage::open(st.root()).unwrap();
        let b2 = st2.open_array(&format!("blocks{i}"), &s).unwrap();
        assert_eq!(
            b2.read_box(&[1..4, 1..3]).unwrap().as_bytes(),
            slice_box(&bytes, &[5, 3], &[1..4, 1..3], dt.itemsize())
        );
    }
}

#[test]
fn boxes_across_chunks_and_unwritten_zeros() {
    let (_d, st) = storage();
    let shape = vec![7, 9, 4];
    let s = ArrayStructure::regular(DataType::Float64, shape.clone(), &[3, 4, 3]);
    let a = st.create_array("x", &s).unwrap();
    let values: Vec<f64> = (0..7 * 9 * 4).map(|i| i as f64 + 0.5).collect();
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    // Write every block but (1, 1, 0): it reads as zeros.
    let mut expected = bytes.clone();
    for bi in 0..3 {
        for bj in 0..3 {
            for bk in 0..2 {
                let (off, bs) = s.block_region(&[bi, bj, bk]);
                let r: Vec<_> = off.iter().zip(&bs).map(|(&o, &n)| o..o + n).collect();
                if [bi, bj, bk] == [1, 1, 0] {
                    for i in r[0].clone() {
                        for j in r[1].clone() {
                            for k in r[2].clone() {
                                let at = ((i * 9 + j) * 4 + k) * 8;
                                expected[at..at + 8].fill(0);
                            }
                        }
                    }
                    continue;
                }
                a.write_block(&[bi, bj, bk], &slice_box(&bytes, &shape, &r, 8)).unwrap();
            }
        }
    }
    for ranges in [
        vec![0..7, 0..9, 0..4],
        vec![2..5, 3..9, 1..4],
        vec![4..5, 5..6, 2..3],
        vec![0..7, 4..8, 0..3],
        vec![6..7, 8..9, 3..4],
        vec![3..3, 0..9, 0..4],
    ] {
        let got = a.read_box(&ranges).unwrap();
        assert_eq!(got.shape(), ranges.iter().map(|r| r.len()).collect::<Vec<_>>().as_slice());
        assert_eq!(got.as_bytes(), slice_box(&expected, &shape, &ranges, 8).as_slice(), "{ranges:?}");
    }
    // A fresh array is all zeros.
    let z = st.create_array("z", &s).unwrap();
    assert!(z.read_box(&[0..7, 0..9, 0..4]).unwrap().as_slice::<f64>().unwrap().iter().all(|&v| v == 0.0));
    // Bad boxes are client errors.
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = vec![3..2, 0..9, 0..4];
    for bad in [vec![0..8, 0..9, 0..4], vec![0..7, 0..9], reversed] {
        let e = a.read_box(&bad).unwrap_err();
        assert!(matches!(e, StorageError::Box { .. }) && e.is_client_error(), "{e}");
    }
}

#[test]
fn tiled_stacked_result_example() {
    // The example: chunks ((1,1,1,1,1),(32,),(32,)), blocks (0,0,0) and (2,0,0).
    let (_d, st) = storage();
    let s = ArrayStructure {
        data_type: DataType::Float64,
        shape: vec![5, 32, 32],
        chunks: vec![vec![1; 5], vec![32], vec![32]],
        dims: None,
    };
    let a = st.create_array("stacked", &s).unwrap();
    let ones: Vec<u8> = (0..1024).flat_map(|_| 1f64.to_le_bytes()).collect();
    let twos: Vec<u8> = (0..1024).flat_map(|_| 2f64.to_le_bytes()).collect();
    a.write_block(&[0, 0, 0], &ones).unwrap();
    a.write_block(&[2, 0, 0], &twos).unwrap();
    let got = a.read_box(&[0..5, 0..32, 0..32]).unwrap();
    let v = got.as_slice::<f64>().unwrap();
    for (i, want) in [1.0, 0.0, 2.0, 0.0, 0.0].into_iter().enumerate() {
        assert!(v[i * 1024..(i + 1) * 1024].iter().all(|&x| x == want), "plane {i}");
    }
    let mut chunk_files: Vec<_> =
        files(&st.path_of("stacked").unwrap()).into_iter().filter(|f| f.matches('/').count() == 3).collect();
    chunk_files.sort();
    assert_eq!(chunk_files, ["c/0/0/0", "c/2/0/0"]);
}

#[test]
fn zero_d_and_empty_arrays() {
    let (_d, st) = storage();
    let s = ArrayStructure::single_chunk(DataType::Int64, vec![]);
    let a = st.create_array("scalar", &s).unwrap();
    assert_eq!(a.read_box(&[]).unwrap().as_slice::<i64>().unwrap(), &[0]);
    a.write_full(&42i64.to_le_bytes()).unwrap();
    assert_eq!(a.read_box(&[]).unwrap().as_slice::<i64>().unwrap(), &[42]);
    a.write_block(&[], &7i64.to_le_bytes()).unwrap();
    assert_eq!(a.read_box(&[]).unwrap().as_slice::<i64>().unwrap(), &[7]);

    let e = ArrayStructure::regular(DataType::Int32, vec![0, 4], &[3, 2]);
    let a = st.create_array("empty", &e).unwrap();
    a.write_full(&[]).unwrap();
    a.write_block(&[0, 1], &[]).unwrap();
    let got = a.read_box(&[0..0, 0..4]).unwrap();
    assert_eq!(got.shape(), &[0, 4]);
    assert!(st.open_array("empty", &e).is_ok());
}

#[test]
fn concurrent_block_writes_all_land() {
    let (_d, st) = storage();
    let s = ArrayStructure::regular(DataType::Int32, vec![16, 16], &[2, 2]);
    let a = st.create_array("c", &s).unwrap();
    let threads = 8;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let a = a.clone();
            scope.spawn(move || {
                for b in (t..64).step_by(threads) {
                    let (bi, bj) = (b / 8, b % 8);
                    let v = (b as i32 + 1).to_le_bytes();
                    a.write_block(&[bi, bj], &v.repeat(4)).unwrap();
                }
            });
        }
    });
    let got = a.read_box(&[0..16, 0..16]).unwrap();
    let v = got.as_slice::<i32>().unwrap();
    for i in 0..16 {
        for j in 0..16 {
            assert_eq!(v[i * 16 + j], ((i / 2) * 8 + j / 2) as i32 + 1);
        }
    }
    assert!(!files(a.path()).iter().any(|f| f.contains(".tmp-")));
}

#[test]
fn invalid_uploads_write_nothing() {
    let (_d, st) = storage();
    let s = ArrayStructure::regular(DataType::Float32, vec![5, 4], &[2, 4]);
    let a = st.create_array("v", &s).unwrap();
    a.write_block(&[0, 0], &[1u8; 32]).unwrap();
    let before = files(a.path());
    let cases: Vec<(Vec<usize>, usize)> = vec![
        (vec![0, 0], 31), // wrong length
        (vec![2, 0], 32), // the edge block has 1x4 elements = 16 bytes
        (vec![3, 0], 16), // out of range
        (vec![0, 1], 32), // out of range
        (vec![0], 32),    // wrong number of dims
        (vec![0, 0, 0], 32),
    ];
    for (block, len) in cases {
        let e = a.write_block(&block, &vec![9u8; len]).unwrap_err();
        assert!(e.is_client_error(), "{block:?}: {e}");
        assert!(matches!(e, StorageError::Length { .. } | StorageError::BlockIndex { .. }));
    }
    for len in [0, 79, 81] {
        let e = a.write_full(&vec![9u8; len]).unwrap_err();
        assert!(matches!(e, StorageError::Length { expected: 80, .. }), "{e}");
    }
    assert_eq!(files(a.path()), before);
    assert_eq!(a.read_box(&[0..2, 0..4]).unwrap().as_bytes(), &[1u8; 32]);
}

#[test]
fn unsupported_structures_create_nothing() {
    let (_d, st) = storage();
    let irregular = ArrayStructure {
        data_type: DataType::UInt8,
        shape: vec![10],
        chunks: vec![vec![3, 4, 3]],
        dims: None,
    };
    let record = DataType::Record {
        fields: vec![Field { name: "a".into(), data_type: DataType::Int32, offset: 0 }],
        itemsize: 4,
    };
    let not_tiling =
        ArrayStructure { data_type: DataType::UInt8, shape: vec![10], chunks: vec![vec![5]], dims: None };
    for s in [
        irregular,
        ArrayStructure::single_chunk(DataType::Bytes(4), vec![3]),
        ArrayStructure::single_chunk(record, vec![3]),
        not_tiling,
    ] {
        let e = st.create_array("u", &s).unwrap_err();
        assert!(e.is_client_error(), "{e}");
        assert!(matches!(e, StorageError::Unsupported { .. } | StorageError::Structure { .. }), "{e}");
    }
    assert!(files(st.root()).is_empty());
}

#[test]
fn locations_conflicts_and_mismatches() {
    let (_d, st) = storage();
    let s = ArrayStructure::regular(DataType::Int16, vec![4], &[2]);
    st.create_array("n/a", &s).unwrap();
    let e = st.create_array("n/a", &s).unwrap_err();
    assert!(matches!(e, StorageError::AlreadyExists { .. }) && e.is_client_error());
    let e = st.open_array("n/b", &s).unwrap_err();
    assert!(matches!(e, StorageError::NotFound { .. }) && e.is_client_error());
    for bad in ["../x", "/x", "a/../../x", "x y", ""] {
        assert!(matches!(st.create_array(bad, &s), Err(StorageError::InvalidLocation { .. })), "{bad}");
    }
    // Opening with another structure than the stored one is a server-side inconsistency.
    let other = ArrayStructure::regular(DataType::Int16, vec![5], &[2]);
    let e = st.open_array("n/a", &other).unwrap_err();
    assert!(matches!(e, StorageError::Corrupt { .. }) && !e.is_client_error(), "{e}");
    let other = ArrayStructure::regular(DataType::Int32, vec![4], &[2]);
    assert!(matches!(st.open_array("n/a", &other), Err(StorageError::Corrupt { .. })));
    let other = ArrayStructure::regular(DataType::Int16, vec![4], &[4]);
    assert!(matches!(st.open_array("n/a", &other), Err(StorageError::Corrupt { .. })));
    assert!(st.path_of("n/a").unwrap().is_absolute());
}

#[test]
fn leftovers_are_invisible_and_swept() {
    let (_d, st) = storage();
    let s = ArrayStructure::regular(DataType::UInt8, vec![4, 4], &[2, 2]);
    let a = st.create_array("arr", &s).unwrap();
    a.write_block(&[0, 0], &[5; 4]).unwrap();
    // Simulated crashes: half a chunk under a temporary name, a half-built array directory,
    // a half-removed node.
    let chunk_dir = a.path().join("c/1");
    std::fs::create_dir_all(&chunk_dir).unwrap();
    std::fs::write(chunk_dir.join(".tmp-0123abcd"), b"garbage").unwrap();
    std::fs::write(a.path().join("c/0/.tmp-feed"), b"garbage").unwrap();
    std::fs::create_dir_all(st.root().join(".tmp-dead/c/0")).unwrap();
    std::fs::write(st.root().join(".tmp-dead/zarr.json"), b"{").unwrap();
    let got = a.read_box(&[0..4, 0..4]).unwrap();
    assert_eq!(&got.as_bytes()[..2], &[5, 5]);
    assert_eq!(got.as_bytes().iter().map(|&b| u32::from(b)).sum::<u32>(), 20);
    // A process sharing the directory leaves fresh temporaries alone (they may be writes in
    // progress), and removes them once they are older than its grace period.
    let shared = Storage::open_shared(st.root(), std::time::Duration::from_secs(600)).unwrap();
    assert!(chunk_dir.join(".tmp-0123abcd").exists() && shared.root().join(".tmp-dead/zarr.json").exists());
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(chunk_dir.join(".tmp-0123abcd"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    Storage::open_shared(st.root(), std::time::Duration::from_secs(600)).unwrap();
    assert!(!chunk_dir.join(".tmp-0123abcd").exists());
    assert!(a.path().join("c/0/.tmp-feed").exists());
    let st2 = Storage::open(st.root()).unwrap();
    let left = files(st2.root());
    assert!(!left.iter().any(|f| f.contains(".tmp-")), "{left:?}");
    let a2 = st2.open_array("arr", &s).unwrap();
    assert_eq!(a2.read_box(&[0..4, 0..4]).unwrap(), got);
}

#[test]
fn remove_renames_then_deletes() {
    let (_d, st) = storage();
    let s = ArrayStructure::regular(DataType::UInt8, vec![4], &[2]);
    let a = st.create_array("gone", &s).unwrap();
    a.write_full(&[1, 2, 3, 4]).unwrap();
    assert!(a.byte_size() > 0);
    st.remove("gone").unwrap();
    assert!(!st.path_of("gone").unwrap().exists());
    assert!(files(st.root()).is_empty());
    st.remove("gone").unwrap(); // idempotent
    assert!(matches!(st.open_array("gone", &s), Err(StorageError::NotFound { .. })));
    // The location can be reused.
    st.create_array("gone", &s).unwrap();
}

#[test]
fn dims_become_dimension_names() {
    let (_d, st) = storage();
    let mut s = ArrayStructure::regular(DataType::Float32, vec![2, 3], &[2, 3]);
    s.dims = Some(vec!["y".into(), "x".into()]);
    let a = st.create_array("d", &s).unwrap();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.path().join("zarr.json")).unwrap()).unwrap();
    assert_eq!(meta["dimension_names"], serde_json::json!(["y", "x"]));
    assert_eq!(meta["fill_value"], serde_json::json!(0.0));
    assert_eq!(meta["codecs"][0]["name"], "bytes");
    assert_eq!(meta["codecs"][0]["configuration"]["endian"], "little");
    assert_eq!(meta["codecs"][1]["name"], "zstd");
    assert_eq!(meta["chunk_grid"]["configuration"]["chunk_shape"], serde_json::json!([2, 3]));
}

#[test]
fn large_reads_reuse_buffers_without_showing_old_bytes() {
    // Boxes of several MB: their buffers go back to a pool and are reused by the next read.
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let s = ArrayStructure::regular(DataType::Float64, vec![1100, 600], &[300, 256]);
    let full = st.create_array("full", &s).unwrap();
    let bytes = noise(3, 1100 * 600 * 8);
    full.write_full(&bytes).unwrap();
    let sparse = st.create_array("sparse", &s).unwrap();
    let (off, bshape) = s.block_region(&[1, 1]);
    let block = noise(4, bshape.iter().product::<usize>() * 8);
    sparse.write_block(&[1, 1], &block).unwrap();
    for _ in 0..3 {
        let got = full.read_box(&[0..1100, 0..600]).unwrap();
        assert_eq!(got.as_bytes(), bytes.as_slice());
        drop(got);
        // Same size, mostly unwritten: zeros everywhere but block (1, 1).
        let got = sparse.read_box(&[0..1100, 0..600]).unwrap();
        let b = got.as_bytes();
        for row in 0..1100 {
            for col in 0..600 {
                let i = (row * 600 + col) * 8;
                let inside = (off[0]..off[0] + bshape[0]).contains(&row)
                    && (off[1]..off[1] + bshape[1]).contains(&col);
                let want: &[u8] = if inside {
                    let j = ((row - off[0]) * bshape[1] + (col - off[1])) * 8;
                    &block[j..j + 8]
                } else {
                    &[0; 8]
                };
                assert_eq!(&b[i..i + 8], want, "({row}, {col})");
            }
        }
    }
}

#[test]
fn noisy_chunks_are_stored_raw_smooth_ones_compressed_and_zarrs_reads_both() {
    // 1000 x 700 float64 in chunks of 256 x 256: interior and edge (padded) chunks. Noise is
    // stored as zstd raw blocks (about its own size), a smooth ramp is compressed; both are
    // valid zstd that zarrs decodes through its own codec chain.
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let s = ArrayStructure::regular(DataType::Float64, vec![1000, 700], &[256, 256]);
    let smooth: Vec<u8> = (0..1000 * 700).flat_map(|i: usize| ((i / 700 / 8) as f64).to_le_bytes()).collect();
    let chunk_bytes: usize = 256 * 256 * 8;
    for (name, bytes) in [("noise", noise(9, 1000 * 700 * 8)), ("smooth", smooth)] {
        let a = st.create_array(name, &s).unwrap();
        a.write_full(&bytes).unwrap();
        assert_eq!(a.read_box(&[0..1000, 0..700]).unwrap().as_bytes(), bytes.as_slice(), "{name}");
        let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(a.path()).unwrap());
        let z = zarrs::array::Array::open(store, "/").unwrap();
        let subset = zarrs::array::ArraySubset::new_with_ranges(&[0..1000, 0..700]);
        let by_zarrs: zarrs::array::ArrayBytes<'static> = z.retrieve_array_subset(&subset).unwrap();
        assert_eq!(&by_zarrs.into_fixed().unwrap()[..], bytes.as_slice(), "{name} through zarrs");
        // Chunk (0, 0): raw blocks are the frame header, a 3-byte header per 128 KiB, the bytes.
        let stored = std::fs::metadata(a.path().join("c/0/0")).unwrap().len() as usize;
        if name == "noise" {
            assert_eq!(stored, 14 + 3 * chunk_bytes.div_ceil(128 << 10) + chunk_bytes);
            // The edge chunk (3, 2) holds 232 x 188 of its 256 x 256: padding in every row,
            // which is compressed away.
            let edge = std::fs::metadata(a.path().join("c/3/2")).unwrap().len() as usize;
            assert!(edge < 232 * 188 * 8 + 4096, "edge chunk stored in {edge} bytes");
        } else {
            assert!(stored < chunk_bytes / 10, "smooth chunk stored in {stored} bytes");
        }
    }
}

#[test]
fn streamed_uploads_in_any_pieces_equal_whole_writes() {
    // Several bands and chunk columns, edge chunks in every dimension, 1-D to 3-D; the body
    // arrives in pieces of awkward sizes (smaller than a slab, across band boundaries,
    // larger than the feed unit).
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let cases: Vec<(Vec<usize>, Vec<usize>)> = vec![
        (vec![1000], vec![300]),
        (vec![37, 1200], vec![10, 500]),
        (vec![9, 5, 300], vec![4, 2, 128]),
        (vec![2100, 700], vec![2100, 256]),
    ];
    for (n, (shape, chunk)) in cases.into_iter().enumerate() {
        let s = ArrayStructure::regular(DataType::Float64, shape.clone(), &chunk);
        let len = shape.iter().product::<usize>() * 8;
        let bytes = noise(20 + n as u64, len);
        for (m, piece) in [1usize, 7, 4093, 1 << 20, 5 << 20].into_iter().enumerate() {
            let a = st.create_array(&format!("s{n}-{m}"), &s).unwrap();
            let mut up = a.upload_full().unwrap();
            assert_eq!(up.expected_len(), len);
            for p in bytes.chunks(piece) {
                up.write(p).unwrap();
            }
            assert_eq!(up.received(), len);
            up.finish().unwrap();
            let all: Vec<_> = shape.iter().map(|&d| 0..d).collect();
            assert_eq!(
                a.read_box(&all).unwrap().as_bytes(),
                bytes.as_slice(),
                "{shape:?} {chunk:?} pieces of {piece}"
            );
            assert!(files(a.path()).iter().all(|f| !f.contains(".tmp-")), "no temporary left");
        }
    }
}

#[test]
fn interrupted_or_overlong_uploads_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let s = ArrayStructure::regular(DataType::Int32, vec![600, 900], &[256, 256]);
    let a = st.create_array("a", &s).unwrap();
    let old = noise(30, 600 * 900 * 4);
    a.write_full(&old).unwrap();
    let before = files(a.path());
    let new = noise(31, 600 * 900 * 4);
    // Dropped after most of the body (several bands written and synced): nothing changes.
    let mut up = a.upload_full().unwrap();
    up.write(&new[..new.len() - 100]).unwrap();
    drop(up);
    // Short, then finished: a Length error, nothing changes.
    let mut up = a.upload_full().unwrap();
    up.write(&new[..new.len() / 2]).unwrap();
    assert!(matches!(up.finish(), Err(StorageError::Length { .. })));
    // Too long: refused at the byte that passes the end.
    let mut up = a.upload_full().unwrap();
    up.write(&new).unwrap();
    assert!(matches!(up.write(&[0]), Err(StorageError::Length { .. })));
    assert!(up.finish().is_err(), "a failed upload does not finish");
    assert_eq!(a.read_box(&[0..600, 0..900]).unwrap().as_bytes(), old.as_slice());
    assert_eq!(files(a.path()), before, "no temporary file left, no chunk changed");
    // A block upload, then an all-zero one, which removes the chunk.
    let (_, bshape) = s.block_region(&[2, 3]);
    let block = noise(32, bshape.iter().product::<usize>() * 4);
    let mut up = a.upload_block(&[2, 3]).unwrap();
    for p in block.chunks(1000) {
        up.write(p).unwrap();
    }
    up.finish().unwrap();
    assert_eq!(a.read_box(&[512..600, 768..900]).unwrap().as_bytes(), block.as_slice());
    let mut up = a.upload_block(&[2, 3]).unwrap();
    up.write(&vec![0; block.len()]).unwrap();
    up.finish().unwrap();
    assert!(!a.path().join("c/2/3").exists(), "an all-zero chunk is not stored");
    assert!(a.read_box(&[512..600, 768..900]).unwrap().as_bytes().iter().all(|&b| b == 0));
    assert!(matches!(a.upload_block(&[3, 0]), Err(StorageError::BlockIndex { .. })));
}

#[test]
fn sequential_reads_with_cursors_equal_single_reads() {
    // Compressed (smooth) and raw (noise) chunks; slabs along the first axis, whole-width and
    // narrow, forwards, then a box that goes back (the chunk is opened again).
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let s = ArrayStructure::regular(DataType::Float64, vec![700, 3, 500], &[300, 2, 256]);
    let n = 700 * 3 * 500;
    let smooth: Vec<u8> = (0..n).flat_map(|i: usize| ((i / 1000) as f64).to_le_bytes()).collect();
    for (name, bytes) in [("noise", noise(40, n * 8)), ("smooth", smooth)] {
        let a = st.create_array(name, &s).unwrap();
        a.write_full(&bytes).unwrap();
        assert!(a.reads_in_place());
        for cols in [0..500, 200..300, 499..500] {
            let cursors = tessera_storage::ChunkCursors::default();
            let mut rows: Vec<Range<usize>> = (0..700).step_by(97).map(|r| r..(r + 97).min(700)).collect();
            rows.push(150..160);
            rows.push(0..700);
            for r in rows {
                let b = [r.clone(), 1..3, cols.clone()];
                let got = a.read_box_with(&b, &cursors).unwrap();
                assert_eq!(
                    got.as_bytes(),
                    slice_box(&bytes, &[700, 3, 500], &b, 8).as_slice(),
                    "{name} {b:?}"
                );
            }
        }
    }
}

#[test]
fn padding_past_the_last_row_takes_no_room() {
    // 300 x 512 float64 in chunks of 256 x 512: chunk (1, 0) holds 44 rows and 212 rows of
    // padding (848 KiB of zeros): past the 128 KiB block where the data ends, a few bytes per
    // 128 KiB.
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let s = ArrayStructure::regular(DataType::Float64, vec![300, 512], &[256, 512]);
    let a = st.create_array("a", &s).unwrap();
    let bytes = noise(50, 300 * 512 * 8);
    a.write_full(&bytes).unwrap();
    let stored = std::fs::metadata(a.path().join("c/1/0")).unwrap().len() as usize;
    assert!(stored < 44 * 512 * 8 + (128 << 10) + 4096, "{stored}");
    assert_eq!(a.read_box(&[0..300, 0..512]).unwrap().as_bytes(), bytes.as_slice());
    assert_eq!(
        a.read_box(&[290..300, 7..9]).unwrap().as_bytes(),
        slice_box(&bytes, &[300, 512], &[290..300, 7..9], 8)
    );
    let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(a.path()).unwrap());
    let z = zarrs::array::Array::open(store, "/").unwrap();
    let by_zarrs: zarrs::array::ArrayBytes<'static> =
        z.retrieve_array_subset(&zarrs::array::ArraySubset::new_with_ranges(&[0..300, 0..512])).unwrap();
    assert_eq!(&by_zarrs.into_fixed().unwrap()[..], bytes.as_slice());
}

#[test]
fn whole_array_uploads_replace_every_chunk_at_once() {
    // A re-upload swaps the whole chunk tree: chunks now all zeros are gone, the others are
    // new, the old tree leaves the array's directory at once (and is deleted in the
    // background), and the array reads as the new upload.
    let dir = tempfile::tempdir().unwrap();
    let st = Storage::open(dir.path()).unwrap();
    let s = ArrayStructure::regular(DataType::Int64, vec![6, 300], &[2, 128]);
    let a = st.create_array("sub/a", &s).unwrap();
    let old = noise(60, 6 * 300 * 8);
    a.write_full(&old).unwrap();
    assert_eq!(
        files(a.path()).iter().filter(|f| f.starts_with("c/") && f.matches('/').count() == 2).count(),
        9
    );
    let mut new = noise(61, 6 * 300 * 8);
    new[..2 * 300 * 8].fill(0); // the first chunk row: zeros
    a.write_full(&new).unwrap();
    let after = files(a.path());
    assert!(after.iter().all(|f| !f.contains(".tmp-")), "{after:?}");
    assert!(!a.path().join("c/0/0").exists() && a.path().join("c/1/0").exists(), "{after:?}");
    assert_eq!(a.read_box(&[0..6, 0..300]).unwrap().as_bytes(), new.as_slice());
    // A block write after the swap lands in the new tree.
    let (_, bshape) = s.block_region(&[0, 2]);
    let block = noise(62, bshape.iter().product::<usize>() * 8);
    a.write_block(&[0, 2], &block).unwrap();
    assert_eq!(a.read_box(&[0..2, 256..300]).unwrap().as_bytes(), block.as_slice());
    // The old tree is swept: no `.tmp-` entry stays beside the array for long.
    let parent = a.path().parent().unwrap().to_path_buf();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while files(&parent).iter().any(|f| f.contains(".tmp-")) {
        assert!(std::time::Instant::now() < deadline, "{:?}", files(&parent));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
