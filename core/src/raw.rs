//! The raw array encoders, always present: `application/octet-stream` and `.npy`.
//!
//! - `application/octet-stream` (aliases `bin`, `raw`): the elements' bytes in C order,
//!   little-endian, no header — what the Tiled client reads arrays with
//!   (`numpy.frombuffer(body, dtype).reshape(shape)`).
//! - `application/x-npy` (alias `npy`): NumPy's `.npy` format version 1.0 (2.0 when the
//!   header exceeds 64 KiB), readable by `numpy.load`, with the exact dtype including
//!   datetime units, fixed-width text and records (offsets and padding kept).
//!
//! Both stream: the array is read and written in slabs of rows.
//!
//! ```
//! use tessera_core::{NdArray, Params, raw::NpyWriter};
//! let a = NdArray::from_vec(vec![2], vec![1u8, 2]).unwrap();
//! let mut out = Vec::new();
//! NpyWriter::new(&mut out).write(&a).unwrap();
//! assert_eq!(&out[..6], b"\x93NUMPY");
//! assert_eq!(out.len() % 64, 2);  // header padded to 64 bytes, then 2 data bytes
//! assert_eq!(&out[out.len() - 2..], &[1, 2]);
//! ```

use std::io::Write;

use crate::array::NdArray;
use crate::dtype::DataType;
use crate::encoder::{ArrayEncoder, ArraySource, Family, Output, Registration, Spec, row_slabs};
use crate::error::EncodeError;
use crate::media::{MediaType, Params};

/// Slab size for streaming array encoders.
pub const SLAB_BYTES: usize = 4 << 20;

/// Writes an array's elements as raw C-order bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawEncoder;

/// Writes an array as a `.npy` file.
#[derive(Debug, Clone, Copy, Default)]
pub struct NpyEncoder;

static RAW_SPEC: Spec = Spec {
    media_type: MediaType::from_static("application/octet-stream"),
    aliases: &["bin", "raw", "octet-stream"],
    family: Family::Array,
    output: Output::Streaming,
    params: &[],
    default_rank: 0,
    provider: "tessera-core",
    description: "raw C-order little-endian bytes (what the Tiled client reads)",
};

static NPY_SPEC: Spec = Spec {
    media_type: MediaType::from_static("application/x-npy"),
    aliases: &["npy"],
    family: Family::Array,
    output: Output::Streaming,
    params: &[],
    default_rank: 10,
    provider: "tessera-core",
    description: "NumPy .npy (numpy.load reads it back exactly)",
};

/// The raw encoders, for [`crate::Registry::from_static`].
pub const REGISTRATIONS: &[Registration] =
    &[Registration::Array(&RawEncoder), Registration::Array(&NpyEncoder)];

inventory::submit! { Registration::Array(&RawEncoder) }
inventory::submit! { Registration::Array(&NpyEncoder) }

fn stream_bytes(array: &dyn ArraySource, out: &mut dyn Write) -> Result<(), EncodeError> {
    for rows in row_slabs(array, SLAB_BYTES) {
        out.write_all(array.read_rows(rows)?.as_bytes())?;
    }
    Ok(())
}

impl ArrayEncoder for RawEncoder {
    fn spec(&self) -> &'static Spec {
        &RAW_SPEC
    }
    fn check(&self, _: &DataType, _: &[usize], params: &Params) -> Result<(), EncodeError> {
        params.check_known(RAW_SPEC.params)
    }
    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        self.check(array.data_type(), array.shape(), params)?;
        stream_bytes(array, out)
    }
}

impl ArrayEncoder for NpyEncoder {
    fn spec(&self) -> &'static Spec {
        &NPY_SPEC
    }
    fn check(&self, _: &DataType, _: &[usize], params: &Params) -> Result<(), EncodeError> {
        params.check_known(NPY_SPEC.params)
    }
    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        self.check(array.data_type(), array.shape(), params)?;
        out.write_all(&npy_header(array.data_type(), array.shape()))?;
        stream_bytes(array, out)
    }
}

/// numpy's `descr` for a dtype, as a Python literal: a string for plain dtypes, a list of
/// `(name, descr)` tuples for records with `('', '|Vn')` entries for padding.
pub fn npy_descr(dt: &DataType) -> String {
    let DataType::Record { fields, itemsize } = dt else {
        return format!("'{}'", dt.numpy_str());
    };
    let mut sorted: Vec<_> = fields.iter().collect();
    sorted.sort_by_key(|f| f.offset);
    let mut parts = Vec::new();
    let mut pos = 0;
    for f in sorted {
        if f.offset > pos {
            parts.push(format!("('', '|V{}')", f.offset - pos));
        }
        let name = f.name.replace('\\', "\\\\").replace('\'', "\\'");
        parts.push(format!("('{name}', {})", npy_descr(&f.data_type)));
        pos = f.offset + f.data_type.itemsize();
    }
    if *itemsize > pos {
        parts.push(format!("('', '|V{}')", itemsize - pos));
    }
    format!("[{}]", parts.join(", "))
}

/// The `.npy` header (magic, version, length, padded dict) for an array.
pub fn npy_header(dt: &DataType, shape: &[usize]) -> Vec<u8> {
    let shape_txt = match shape {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    let dict = format!("{{'descr': {}, 'fortran_order': False, 'shape': {shape_txt}, }}", npy_descr(dt));
    // Version 1.0 has a u16 length; pad so magic + version + length + dict + '\n' is a
    // multiple of 64 bytes.
    let (version, prefix) = if dict.len() + 11 <= 65_535 { (1u8, 10usize) } else { (2u8, 12usize) };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    let header_len = total - prefix;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"\x93NUMPY");
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Typed `.npy` writer for embedders.
#[derive(Debug)]
pub struct NpyWriter<W> {
    out: W,
}

impl<W: Write> NpyWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        NpyWriter { out }
    }

    /// Writes `array` as one `.npy` file and returns the sink.
    ///
    /// # Errors
    /// [`EncodeError::Io`] when writing fails.
    pub fn write(mut self, array: &NdArray) -> Result<W, EncodeError> {
        NpyEncoder.encode(array, &Params::new(), &mut self.out)?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::{Field, TimeUnit};

    #[test]
    fn header_is_aligned_and_readable() {
        for shape in [vec![], vec![3], vec![2, 3, 4]] {
            let h = npy_header(&DataType::Float64, &shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
            let len = u16::from_le_bytes([h[8], h[9]]) as usize;
            assert_eq!(len + 10, h.len());
        }
        let h = String::from_utf8_lossy(&npy_header(&DataType::Datetime64(TimeUnit::Nanosecond), &[2]))
            .into_owned();
        assert!(h.contains("'descr': '<M8[ns]'") && h.contains("'shape': (2,)"), "{h}");
    }

    #[test]
    fn record_descr_has_padding() {
        let dt = DataType::Record {
            fields: vec![
                Field { name: "a".into(), data_type: DataType::Int32, offset: 0 },
                Field { name: "b".into(), data_type: DataType::Float64, offset: 8 },
            ],
            itemsize: 24,
        };
        assert_eq!(npy_descr(&dt), "[('a', '<i4'), ('', '|V4'), ('b', '<f8'), ('', '|V8')]");
    }

    #[test]
    fn raw_streams_all_bytes_in_order() {
        let a = NdArray::from_vec(vec![3, 2], vec![1u16, 2, 3, 4, 5, 6]).unwrap();
        let mut out = Vec::new();
        RawEncoder.encode(&a, &Params::new(), &mut out).unwrap();
        assert_eq!(out, a.as_bytes());
        assert!(RawEncoder.encode(&a, &Params::new().with("x", "1"), &mut Vec::new()).is_err());
    }
}
