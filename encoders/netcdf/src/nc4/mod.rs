//! NetCDF-4 (`application/x-netcdf4`) through libnetcdf: the `netcdf` crate writes a
//! temporary file; inputs up to [`MEMORY_LIMIT`](crate::MEMORY_LIMIT) are built in memory
//! instead ([`memory`]).

mod memory;

use std::ffi::{CString, c_char};
use std::io::Write;
use std::path::PathBuf;

use netcdf::types::{NcTypeDescriptor, NcVariableType};
use netcdf::{AttributeValue, FileMut, Options};
use tempfile::NamedTempFile;
use tessera_core::dataset::Dataset;
use tessera_core::{DataType, DatasetEncoder, EncodeError, Family, MediaType, NdArray, Output, Params, Spec};

use crate::attrs::{AttrValue, Profile};
use crate::cf::{self, Encoded, Values};
use crate::clib::{self, with_lock};

/// The NetCDF-4 media type.
pub const NETCDF4: MediaType = MediaType::from_static("application/x-netcdf4");

static SPEC: Spec = Spec {
    media_type: NETCDF4,
    aliases: &["nc4", "netcdf4"],
    family: Family::Dataset,
    output: Output::Buffered,
    params: &[],
    default_rank: 50,
    provider: "tessera-netcdf",
    description: "NetCDF-4 (HDF5-based; 64-bit integers and strings kept as they are)",
};

fn backend(e: netcdf::Error) -> EncodeError {
    EncodeError::backend(NETCDF4, e)
}

/// Options of the NetCDF-4 writer.
///
/// ```
/// let o = tessera_netcdf::Nc4Options::default().with_temp_dir("/var/tmp");
/// assert_eq!(o.temp_dir(), Some(std::path::Path::new("/var/tmp")));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Nc4Options {
    temp_dir: Option<PathBuf>,
    in_memory: bool,
}

impl Nc4Options {
    /// Directory of the temporary file libnetcdf writes before it is streamed out. Default:
    /// the system's temporary directory (`TMPDIR`).
    pub fn with_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// The directory set, if any.
    pub fn temp_dir(&self) -> Option<&std::path::Path> {
        self.temp_dir.as_deref()
    }

    /// Build the file in memory (libnetcdf's `nc_create_mem`) instead of a temporary file:
    /// no file system round trip, but the whole file is held in memory. Default: `false`.
    pub fn with_in_memory(mut self, in_memory: bool) -> Self {
        self.in_memory = in_memory;
        self
    }

    /// Options from media-type parameters (there are none yet).
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for any parameter.
    pub fn from_params(params: &Params) -> Result<Self, EncodeError> {
        params.check_known(SPEC.params)?;
        Ok(Self::default())
    }

    /// A writer into `out`.
    pub fn build<W: Write>(self, out: W) -> Nc4Writer<W> {
        Nc4Writer { out, options: self, written: false }
    }
}

/// Writes one dataset as a NetCDF-4 file: [`write`](Self::write) once, then
/// [`finish`](Self::finish). Nothing reaches the sink before the file is complete.
#[derive(Debug)]
pub struct Nc4Writer<W> {
    out: W,
    options: Nc4Options,
    written: bool,
}

impl<W: Write> Nc4Writer<W> {
    /// Writes the dataset (into a temporary file, then streams it to the sink).
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for what NetCDF-4 cannot hold (complex numbers, records;
    /// see the crate docs), before anything is written; [`EncodeError::Backend`] when
    /// libnetcdf fails; [`EncodeError::Io`] when the temporary file or the sink fails;
    /// [`EncodeError::InvalidOption`] on a second call.
    pub fn write(&mut self, dataset: &Dataset) -> Result<(), EncodeError> {
        if self.written {
            return Err(EncodeError::invalid_option("dataset", "a NetCDF file holds one dataset"));
        }
        let enc = cf::encode(dataset, Profile::Nc4, &NETCDF4)?;
        self.written = true;
        if self.options.in_memory {
            let hint = dataset.variables().map(|(_, v)| v.data.as_bytes().len()).sum::<usize>() + (1 << 20);
            let image = with_lock(|| memory::write(&enc, hint))?;
            self.out.write_all(&image)?;
            return Ok(());
        }
        let tmp = clib::temp_file(self.options.temp_dir.as_deref(), ".nc")?;
        with_lock(|| write_file(&tmp, &enc))?;
        clib::stream_out(tmp, &mut self.out)
    }

    /// Returns the sink (writing an empty dataset if [`write`](Self::write) was not called).
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn finish(mut self) -> Result<W, EncodeError> {
        if !self.written {
            self.write(&Dataset::default())?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `NC_STRING` elements: pointers to NUL-terminated UTF-8.
#[repr(transparent)]
struct NcStr(#[allow(dead_code)] *const c_char);

// SAFETY: a pointer to a C string is exactly what libnetcdf reads for `NC_STRING`.
unsafe impl NcTypeDescriptor for NcStr {
    fn type_descriptor() -> NcVariableType {
        NcVariableType::String
    }
}

/// `NC_CHAR` elements.
#[repr(transparent)]
struct NcChar(#[allow(dead_code)] u8);

// SAFETY: one byte, as libnetcdf reads `NC_CHAR`.
unsafe impl NcTypeDescriptor for NcChar {
    fn type_descriptor() -> NcVariableType {
        NcVariableType::Char
    }
}

fn attr_value(v: &AttrValue) -> AttributeValue {
    fn one_or_many<T: tessera_core::Element>(
        a: &NdArray,
        one: fn(T) -> AttributeValue,
        many: fn(Vec<T>) -> AttributeValue,
    ) -> AttributeValue {
        let s = a.as_slice::<T>().expect("dtype matched");
        if a.ndim() == 0 { one(s[0]) } else { many(s.to_vec()) }
    }
    match v {
        AttrValue::Text(s) => AttributeValue::Str(s.clone()),
        AttrValue::Strings(s) => AttributeValue::Strs(s.clone()),
        AttrValue::Numbers(a) => match a.data_type() {
            DataType::Int8 => one_or_many(a, AttributeValue::Schar, AttributeValue::Schars),
            DataType::Int16 => one_or_many(a, AttributeValue::Short, AttributeValue::Shorts),
            DataType::Int32 => one_or_many(a, AttributeValue::Int, AttributeValue::Ints),
            DataType::Int64 => one_or_many(a, AttributeValue::Longlong, AttributeValue::Longlongs),
            DataType::UInt8 => one_or_many(a, AttributeValue::Uchar, AttributeValue::Uchars),
            DataType::UInt16 => one_or_many(a, AttributeValue::Ushort, AttributeValue::Ushorts),
            DataType::UInt32 => one_or_many(a, AttributeValue::Uint, AttributeValue::Uints),
            DataType::UInt64 => one_or_many(a, AttributeValue::Ulonglong, AttributeValue::Ulonglongs),
            DataType::Float32 => one_or_many(a, AttributeValue::Float, AttributeValue::Floats),
            DataType::Float64 => one_or_many(a, AttributeValue::Double, AttributeValue::Doubles),
            // The NetCDF profile never makes other attribute types (booleans become int8).
            other => AttributeValue::Str(format!("unsupported attribute type {other}")),
        },
    }
}

fn put_attrs(
    mut put: impl FnMut(&str, AttributeValue) -> Result<(), netcdf::Error>,
    attrs: &[(String, AttrValue)],
) -> Result<(), EncodeError> {
    for (k, v) in attrs {
        put(k, attr_value(v)).map_err(backend)?;
    }
    Ok(())
}

fn add_var<'f>(
    file: &'f mut FileMut,
    name: &str,
    dims: &[&str],
    values: &Values<'_>,
) -> Result<netcdf::VariableMut<'f>, netcdf::Error> {
    let ty = match values {
        Values::Strings(_) => NcVariableType::String,
        Values::Chars(_) => NcVariableType::Char,
        Values::Array(a) => match a.data_type() {
            DataType::Int8 => i8::type_descriptor(),
            DataType::Int16 => i16::type_descriptor(),
            DataType::Int32 => i32::type_descriptor(),
            DataType::Int64 => i64::type_descriptor(),
            DataType::UInt8 => u8::type_descriptor(),
            DataType::UInt16 => u16::type_descriptor(),
            DataType::UInt32 => u32::type_descriptor(),
            DataType::UInt64 => u64::type_descriptor(),
            DataType::Float32 => f32::type_descriptor(),
            DataType::Float64 => f64::type_descriptor(),
            other => return Err(netcdf::Error::Str(format!("no NetCDF-4 type for {other}"))),
        },
    };
    file.add_variable_with_type(name, dims, &ty)
}

fn put_values(var: &mut netcdf::VariableMut<'_>, values: &Values<'_>) -> Result<(), netcdf::Error> {
    fn typed<T: tessera_core::Element + NcTypeDescriptor>(
        var: &mut netcdf::VariableMut<'_>,
        a: &NdArray,
    ) -> Result<(), netcdf::Error> {
        var.put_values(a.as_slice::<T>().expect("dtype matched"), ..)
    }
    match values {
        Values::Array(a) if a.is_empty() => Ok(()),
        Values::Array(a) => match a.data_type() {
            DataType::Int8 => typed::<i8>(var, a),
            DataType::Int16 => typed::<i16>(var, a),
            DataType::Int32 => typed::<i32>(var, a),
            DataType::Int64 => typed::<i64>(var, a),
            DataType::UInt8 => typed::<u8>(var, a),
            DataType::UInt16 => typed::<u16>(var, a),
            DataType::UInt32 => typed::<u32>(var, a),
            DataType::UInt64 => typed::<u64>(var, a),
            DataType::Float32 => typed::<f32>(var, a),
            DataType::Float64 => typed::<f64>(var, a),
            other => Err(netcdf::Error::Str(format!("no NetCDF-4 type for {other}"))),
        },
        Values::Chars(b) if b.is_empty() => Ok(()),
        Values::Chars(b) => {
            let chars: Vec<NcChar> = b.iter().map(|&c| NcChar(c)).collect();
            var.put_values(&chars, ..)
        }
        Values::Strings(s) if s.is_empty() => Ok(()),
        Values::Strings(s) => {
            // Strings cannot hold NUL (fixed-width text ends at the first one).
            let owned: Vec<CString> =
                s.iter().map(|s| CString::new(s.as_str()).unwrap_or_default()).collect();
            let ptrs: Vec<NcStr> = owned.iter().map(|c| NcStr(c.as_ptr())).collect();
            var.put_values(&ptrs, ..)
        }
    }
}

/// Writes the whole file (lock held by the caller).
fn write_file(tmp: &NamedTempFile, enc: &Encoded<'_>) -> Result<(), EncodeError> {
    let mut file = netcdf::create_with(tmp.path(), Options::NETCDF4).map_err(backend)?;
    for (name, &len) in &enc.dims {
        file.add_dimension(name, len).map_err(backend)?;
    }
    put_attrs(|k, v| file.add_attribute(k, v).map(|_| ()), &enc.attrs)?;
    for v in &enc.vars {
        let dims: Vec<&str> = v.dims.iter().map(String::as_str).collect();
        let mut var = add_var(&mut file, v.name, &dims, &v.values).map_err(backend)?;
        // Every value is written below: pre-filling would write the data twice. (Strings
        // need their fill value in HDF5, and a `_FillValue` attribute defines one.)
        let has_fill = v.attrs.iter().any(|(k, _)| k == "_FillValue");
        if !has_fill && !matches!(v.values, Values::Strings(_)) {
            // SAFETY: no element is left unwritten, so no reader sees uninitialised data.
            unsafe { var.set_nofill() }.map_err(backend)?;
        }
        put_attrs(|k, val| var.put_attribute(k, val).map(|_| ()), &v.attrs)?;
        put_values(&mut var, &v.values).map_err(backend)?;
    }
    file.close().map_err(backend)
}

/// `application/x-netcdf4`: datasets as NetCDF-4 (see the crate docs for the mapping).
#[derive(Debug, Clone, Copy, Default)]
pub struct Nc4Encoder;

impl DatasetEncoder for Nc4Encoder {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        let bytes: usize = dataset.variables().map(|(_, v)| v.data.as_bytes().len()).sum();
        let in_memory = bytes <= clib::MEMORY_LIMIT;
        let mut w = Nc4Options::from_params(params)?.with_in_memory(in_memory).build(out);
        w.write(dataset)?;
        w.finish().map(|_| ())
    }
}
