//! NetCDF-3 in pure Rust: the header is computed from the dataset up front (every offset is
//! known before any data), then variables stream out one after the other, so the encoder
//! needs neither `Seek` nor a temporary file.

use std::io::Write;

use indexmap::IndexMap;
use tessera_core::dataset::Dataset;
use tessera_core::{DataType, DatasetEncoder, EncodeError, Family, MediaType, NdArray, Output, Params, Spec};

use crate::attrs::{AttrValue, Profile};
use crate::cf::{self, Encoded, EncodedVar, Values};

/// The NetCDF-3 media type.
pub const NETCDF3: MediaType = MediaType::from_static("application/x-netcdf");

static SPEC: Spec = Spec {
    media_type: NETCDF3,
    aliases: &["application/netcdf", "nc", "nc3", "netcdf"],
    family: Family::Dataset,
    output: Output::Streaming,
    params: &["format"],
    default_rank: 40,
    provider: "tessera-netcdf",
    description: "NetCDF-3, 64-bit offset (what xarray's scipy engine and Tiled write)",
};

/// Which NetCDF-3 variant to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Nc3Format {
    /// CDF-1, "classic": 32-bit offsets, files up to 2 GiB (`CDF\x01`).
    Classic,
    /// CDF-2, "64-bit offset": what Tiled and xarray's scipy engine write (`CDF\x02`).
    #[default]
    Offset64,
}

/// Options of the NetCDF-3 writer.
///
/// ```
/// use tessera_netcdf::{Nc3Format, Nc3Options};
/// let o = Nc3Options::default().with_format(Nc3Format::Classic);
/// assert_eq!(o.format(), Nc3Format::Classic);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Nc3Options {
    format: Nc3Format,
}

impl Nc3Options {
    /// The variant to write. Default: [`Nc3Format::Offset64`].
    pub fn with_format(mut self, format: Nc3Format) -> Self {
        self.format = format;
        self
    }

    /// The variant set.
    pub fn format(&self) -> Nc3Format {
        self.format
    }

    /// Options from media-type parameters: `format=64bit_offset` (default) or
    /// `format=classic`, xarray's names without the `NETCDF3_` prefix.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for an unknown key or value.
    pub fn from_params(params: &Params) -> Result<Self, EncodeError> {
        params.check_known(SPEC.params)?;
        let format = match params.get("format").map(str::to_ascii_lowercase).as_deref() {
            None | Some("64bit_offset" | "64bit" | "netcdf3_64bit_offset") => Nc3Format::Offset64,
            Some("classic" | "netcdf3_classic") => Nc3Format::Classic,
            Some(other) => {
                return Err(EncodeError::invalid_option(
                    "format",
                    format!("{other:?} is not a NetCDF-3 format (use 64bit_offset or classic)"),
                ));
            }
        };
        Ok(Nc3Options { format })
    }

    /// A writer into `out`.
    pub fn build<W: Write>(self, out: W) -> Nc3Writer<W> {
        Nc3Writer { out, options: self, written: false }
    }
}

/// Writes one dataset as a NetCDF-3 file.
///
/// Call [`write`](Self::write) once with the dataset, then [`finish`](Self::finish);
/// `finish` without `write` writes a valid empty file.
#[derive(Debug)]
pub struct Nc3Writer<W> {
    out: W,
    options: Nc3Options,
    written: bool,
}

impl<W: Write> Nc3Writer<W> {
    /// Writes the dataset: the whole file.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for what NetCDF-3 cannot hold (see the crate docs), before
    /// any byte is written; [`EncodeError::Limit`] past the format's size limits;
    /// [`EncodeError::InvalidOption`] on a second call (a file holds one dataset);
    /// [`EncodeError::Io`] when writing fails.
    pub fn write(&mut self, dataset: &Dataset) -> Result<(), EncodeError> {
        if self.written {
            return Err(EncodeError::invalid_option("dataset", "a NetCDF file holds one dataset"));
        }
        let enc = cf::encode(dataset, Profile::Nc3, &NETCDF3)?;
        let layout = Layout::new(&enc, self.options.format)?;
        self.written = true;
        layout.write(&enc, &mut self.out)
    }

    /// Finishes the file and returns the sink.
    ///
    /// # Errors
    /// [`EncodeError::Io`] when writing or flushing fails.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        if !self.written {
            self.write(&Dataset::default())?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `application/x-netcdf`: datasets as NetCDF-3 (see the crate docs for the mapping).
#[derive(Debug, Clone, Copy, Default)]
pub struct Nc3Encoder;

impl DatasetEncoder for Nc3Encoder {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        let mut w = Nc3Options::from_params(params)?.build(out);
        w.write(dataset)?;
        w.finish().map(|_| ())
    }
}

// ---------------------------------------------------------------------------------------
// The file layout (NetCDF classic format specification, CDF-1 and CDF-2).

const NC_DIMENSION: u32 = 0x0A;
const NC_VARIABLE: u32 = 0x0B;
const NC_ATTRIBUTE: u32 = 0x0C;

/// NetCDF-3 external types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum NcType {
    Byte = 1,
    Char = 2,
    Short = 3,
    Int = 4,
    Float = 5,
    Double = 6,
}

impl NcType {
    fn size(self) -> usize {
        match self {
            NcType::Byte | NcType::Char => 1,
            NcType::Short => 2,
            NcType::Int | NcType::Float => 4,
            NcType::Double => 8,
        }
    }

    fn of(dt: &DataType) -> Option<NcType> {
        Some(match dt {
            DataType::Int8 => NcType::Byte,
            DataType::Int16 => NcType::Short,
            DataType::Int32 => NcType::Int,
            DataType::Float32 => NcType::Float,
            DataType::Float64 => NcType::Double,
            _ => return None,
        })
    }
}

fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

struct VarLayout {
    nc_type: NcType,
    /// Bytes of data (of one record for a record variable), unpadded.
    bytes: u64,
    begin: u64,
    is_record: bool,
}

/// Where everything goes: computed, and checked against the format's limits, before the
/// first byte.
struct Layout {
    header: Vec<u8>,
    vars: Vec<VarLayout>,
}

fn limit(what: impl Into<String>, limit: u64) -> EncodeError {
    EncodeError::Limit { what: what.into(), limit }
}

impl Layout {
    fn new(enc: &Encoded<'_>, format: Nc3Format) -> Result<Self, EncodeError> {
        let unsupported = |what: String| EncodeError::unsupported(NETCDF3, what);
        // A zero-length dimension exists in NetCDF-3 only as the record (unlimited)
        // dimension: at most one, first in every variable that uses it.
        let zero: Vec<&String> = enc.dims.iter().filter(|(_, n)| **n == 0).map(|(d, _)| d).collect();
        if zero.len() > 1 {
            return Err(unsupported(format!(
                "NetCDF-3 holds one zero-length dimension at most (the record dimension), not {}; slice \
                 the dataset or export it as NetCDF-4 or HDF5",
                zero.len()
            )));
        }
        let record_dim = zero.first().copied();
        for (d, &n) in &enc.dims {
            if n > i32::MAX as usize {
                return Err(limit(format!("length of dimension {d:?}"), i32::MAX as u64));
            }
        }
        let dim_ids: IndexMap<&str, usize> =
            enc.dims.keys().enumerate().map(|(i, d)| (d.as_str(), i)).collect();

        let mut vars = Vec::with_capacity(enc.vars.len());
        for v in &enc.vars {
            let nc_type = match &v.values {
                Values::Chars(_) => NcType::Char,
                Values::Array(a) => NcType::of(a.data_type()).ok_or_else(|| {
                    unsupported(format!("variable {:?}: type {} in NetCDF-3", v.name, a.data_type()))
                })?,
                Values::Strings(_) => {
                    return Err(unsupported(format!("variable {:?}: NetCDF-3 has no string type", v.name)));
                }
            };
            let is_record = record_dim.is_some_and(|r| v.dims.contains(r));
            if is_record && v.dims.first() != record_dim {
                return Err(unsupported(format!(
                    "variable {:?}: the zero-length dimension {:?} must come first (it is NetCDF-3's record \
                     dimension); transpose the variable or export it as NetCDF-4 or HDF5",
                    v.name,
                    record_dim.map(String::as_str).unwrap_or_default()
                )));
            }
            let elems: u64 = v
                .dims
                .iter()
                .skip(usize::from(is_record))
                .map(|d| enc.dims[d.as_str()] as u64)
                .try_fold(1u64, |a, n| a.checked_mul(n))
                .ok_or_else(|| limit(format!("size of variable {:?}", v.name), u64::MAX))?;
            let bytes = elems
                .checked_mul(nc_type.size() as u64)
                .ok_or_else(|| limit(format!("size of variable {:?}", v.name), u64::MAX))?;
            vars.push(VarLayout { nc_type, bytes, begin: 0, is_record });
        }

        // Header size does not depend on the offsets' values, only on their width.
        let off_size = if format == Nc3Format::Classic { 4 } else { 8 };
        let mut header = Vec::new();
        write_header(&mut header, enc, &dim_ids, &vars, format, off_size)?;
        // Fixed variables in order, then the record variables (no records: they hold no data).
        let mut pos = header.len() as u64;
        let fixed: Vec<usize> = (0..vars.len()).filter(|&i| !vars[i].is_record).collect();
        for (k, &i) in fixed.iter().enumerate() {
            vars[i].begin = pos;
            let size = pad4(vars[i].bytes as usize) as u64;
            // A vsize needs 32 bits; only the last fixed variable may be larger (its vsize is
            // then written as 2^32 - 1 and readers compute the size).
            if size > u64::from(u32::MAX - 3) && k + 1 != fixed.len() {
                return Err(limit(
                    format!(
                        "size of NetCDF-3 variable {:?} (only the last one may pass 4 GiB)",
                        enc.vars[i].name
                    ),
                    u64::from(u32::MAX - 3),
                ));
            }
            pos = pos.checked_add(size).ok_or_else(|| limit("file size", u64::MAX))?;
        }
        for v in vars.iter_mut().filter(|v| v.is_record) {
            v.begin = pos;
        }
        if format == Nc3Format::Classic && vars.iter().any(|v| v.begin > i32::MAX as u64) {
            return Err(limit(
                "offset of a variable in a classic NetCDF-3 file (use 64bit_offset)",
                i32::MAX as u64,
            ));
        }
        // Now that offsets are known, write the header again with them.
        header.clear();
        write_header(&mut header, enc, &dim_ids, &vars, format, off_size)?;
        Ok(Layout { header, vars })
    }

    fn write(&self, enc: &Encoded<'_>, out: &mut dyn Write) -> Result<(), EncodeError> {
        out.write_all(&self.header)?;
        let mut buf = Vec::with_capacity(CHUNK_BYTES);
        for (v, l) in enc.vars.iter().zip(&self.vars) {
            if l.is_record {
                continue;
            }
            write_values(v, out, &mut buf)?;
            let pad = pad4(l.bytes as usize) - l.bytes as usize;
            out.write_all(&[0u8; 3][..pad])?;
        }
        Ok(())
    }
}

fn put_u32(h: &mut Vec<u8>, v: u32) {
    h.extend_from_slice(&v.to_be_bytes());
}

fn put_len(h: &mut Vec<u8>, n: usize, what: &str) -> Result<(), EncodeError> {
    let n = u32::try_from(n)
        .ok()
        .filter(|&n| n <= i32::MAX as u32)
        .ok_or_else(|| limit(what.to_owned(), i32::MAX as u64))?;
    put_u32(h, n);
    Ok(())
}

fn put_name(h: &mut Vec<u8>, name: &str) -> Result<(), EncodeError> {
    put_len(h, name.len(), "name length")?;
    put_padded(h, name.as_bytes());
    Ok(())
}

fn put_padded(h: &mut Vec<u8>, bytes: &[u8]) {
    h.extend_from_slice(bytes);
    h.resize(pad4(h.len()), 0);
}

fn put_attrs(h: &mut Vec<u8>, attrs: &[(String, AttrValue)], owner: &str) -> Result<(), EncodeError> {
    if attrs.is_empty() {
        h.extend_from_slice(&[0; 8]); // ABSENT
        return Ok(());
    }
    put_u32(h, NC_ATTRIBUTE);
    put_len(h, attrs.len(), "number of attributes")?;
    for (name, value) in attrs {
        put_name(h, name)?;
        match value {
            AttrValue::Text(s) => {
                put_u32(h, NcType::Char as u32);
                put_len(h, s.len(), "attribute length")?;
                put_padded(h, s.as_bytes());
            }
            AttrValue::Numbers(a) => {
                let t = NcType::of(a.data_type()).ok_or_else(|| {
                    EncodeError::unsupported(
                        NETCDF3,
                        format!("attribute {name:?} of {owner}: type {} in NetCDF-3", a.data_type()),
                    )
                })?;
                put_u32(h, t as u32);
                put_len(h, a.len(), "attribute length")?;
                let start = h.len();
                be_bytes(a, h);
                debug_assert_eq!(h.len() - start, a.len() * t.size());
                h.resize(pad4(h.len()), 0);
            }
            AttrValue::Strings(_) => {
                return Err(EncodeError::unsupported(
                    NETCDF3,
                    format!("attribute {name:?} of {owner}: NetCDF-3 has no string lists"),
                ));
            }
        }
    }
    Ok(())
}

fn write_header(
    h: &mut Vec<u8>,
    enc: &Encoded<'_>,
    dim_ids: &IndexMap<&str, usize>,
    vars: &[VarLayout],
    format: Nc3Format,
    off_size: usize,
) -> Result<(), EncodeError> {
    h.extend_from_slice(match format {
        Nc3Format::Classic => b"CDF\x01",
        Nc3Format::Offset64 => b"CDF\x02",
    });
    put_u32(h, 0); // numrecs: the record dimension, if any, has no records
    if enc.dims.is_empty() {
        h.extend_from_slice(&[0; 8]);
    } else {
        put_u32(h, NC_DIMENSION);
        put_len(h, enc.dims.len(), "number of dimensions")?;
        for (name, &len) in &enc.dims {
            put_name(h, name)?;
            put_len(h, len, "dimension length")?;
        }
    }
    put_attrs(h, &enc.attrs, "the dataset")?;
    if enc.vars.is_empty() {
        h.extend_from_slice(&[0; 8]);
        return Ok(());
    }
    put_u32(h, NC_VARIABLE);
    put_len(h, enc.vars.len(), "number of variables")?;
    for (v, l) in enc.vars.iter().zip(vars) {
        put_name(h, v.name)?;
        put_len(h, v.dims.len(), "number of dimensions")?;
        for d in &v.dims {
            put_u32(h, dim_ids[d.as_str()] as u32);
        }
        put_attrs(h, &v.attrs, &format!("variable {:?}", v.name))?;
        put_u32(h, l.nc_type as u32);
        let vsize = pad4(l.bytes as usize) as u64;
        put_u32(h, u32::try_from(vsize).unwrap_or(u32::MAX));
        if off_size == 4 {
            put_u32(h, l.begin as u32);
        } else {
            h.extend_from_slice(&l.begin.to_be_bytes());
        }
    }
    Ok(())
}

/// Bytes converted per `write_all` call: big enough to amortise the call, small enough to
/// stay in cache.
const CHUNK_BYTES: usize = 256 << 10;

/// Element types NetCDF-3 stores, with their big-endian bytes.
trait BigEndian: tessera_core::Element {
    const SIZE: usize;
    fn put(self, dst: &mut [u8]);
}

macro_rules! big_endian {
    ($($t:ty),*) => {$(
        impl BigEndian for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(self, dst: &mut [u8]) {
                dst.copy_from_slice(&self.to_be_bytes());
            }
        }
    )*};
}
big_endian!(i8, i16, i32, f32, f64);

fn be_typed<T: BigEndian>(src: &[T], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + src.len() * T::SIZE, 0);
    for (dst, &v) in out[start..].chunks_exact_mut(T::SIZE).zip(src) {
        v.put(dst);
    }
}

/// Appends the big-endian bytes of a NetCDF-3-typed array.
fn be_bytes(a: &NdArray, out: &mut Vec<u8>) {
    match a.data_type() {
        DataType::Int8 => out.extend_from_slice(a.as_bytes()),
        DataType::Int16 => be_typed(a.as_slice::<i16>().expect("dtype"), out),
        DataType::Int32 => be_typed(a.as_slice::<i32>().expect("dtype"), out),
        DataType::Float32 => be_typed(a.as_slice::<f32>().expect("dtype"), out),
        DataType::Float64 => be_typed(a.as_slice::<f64>().expect("dtype"), out),
        other => unreachable!("{other} was refused by the layout"),
    }
}

fn stream_typed<T: BigEndian>(src: &[T], out: &mut dyn Write, buf: &mut Vec<u8>) -> std::io::Result<()> {
    for chunk in src.chunks((CHUNK_BYTES / T::SIZE).max(1)) {
        buf.clear();
        be_typed(chunk, buf);
        out.write_all(buf)?;
    }
    Ok(())
}

fn write_values(v: &EncodedVar<'_>, out: &mut dyn Write, buf: &mut Vec<u8>) -> std::io::Result<()> {
    match &v.values {
        Values::Chars(b) => out.write_all(b),
        Values::Array(a) => match a.data_type() {
            DataType::Int8 => out.write_all(a.as_bytes()),
            DataType::Int16 => stream_typed(a.as_slice::<i16>().expect("dtype"), out, buf),
            DataType::Int32 => stream_typed(a.as_slice::<i32>().expect("dtype"), out, buf),
            DataType::Float32 => stream_typed(a.as_slice::<f32>().expect("dtype"), out, buf),
            DataType::Float64 => stream_typed(a.as_slice::<f64>().expect("dtype"), out, buf),
            other => unreachable!("{other} was refused by the layout"),
        },
        Values::Strings(_) => unreachable!("refused by the layout"),
    }
}
