//! NetCDF-4 files built in memory (`nc_create_mem` / `nc_close_memio`, libnetcdf ≥ 4.6.2):
//! libhdf5's core driver instead of a temporary file, for inputs up to
//! [`MEMORY_LIMIT`](crate::MEMORY_LIMIT). The `netcdf` crate wraps neither call, so this
//! path speaks to libnetcdf directly; every function runs with the library lock held.

use std::ffi::{CStr, CString, c_char, c_int, c_void};

use netcdf_sys::{
    NC_BYTE, NC_CHAR, NC_DOUBLE, NC_FLOAT, NC_GLOBAL, NC_INT, NC_INT64, NC_NETCDF4, NC_NOERR, NC_SHORT,
    NC_STRING, NC_UBYTE, NC_UINT, NC_UINT64, NC_USHORT, nc_def_dim, nc_def_var, nc_def_var_fill, nc_enddef,
    nc_put_att, nc_put_att_string, nc_put_att_text, nc_put_var, nc_strerror, nc_type,
};
use tessera_core::{DataType, EncodeError};

use super::NETCDF4;
use crate::attrs::AttrValue;
use crate::cf::{Encoded, Values};

/// libnetcdf's `NC_memio`: the finished file, whose memory the caller frees.
#[repr(C)]
struct NcMemio {
    size: usize,
    memory: *mut c_void,
    flags: c_int,
}

unsafe extern "C" {
    fn nc_create_mem(path: *const c_char, mode: c_int, initialsize: usize, ncidp: *mut c_int) -> c_int;
    fn nc_close_memio(ncid: c_int, info: *mut NcMemio) -> c_int;
    fn nc_abort(ncid: c_int) -> c_int;
    fn free(ptr: *mut c_void);
}

/// A libnetcdf status that is not `NC_NOERR`.
#[derive(Debug)]
struct NcError {
    what: String,
    code: c_int,
}

impl std::fmt::Display for NcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: nc_strerror returns a static NUL-terminated message for any code.
        let msg = unsafe { CStr::from_ptr(nc_strerror(self.code)) }.to_string_lossy();
        write!(f, "{}: {msg} (NetCDF error {})", self.what, self.code)
    }
}

impl std::error::Error for NcError {}

fn check(code: c_int, what: impl FnOnce() -> String) -> Result<(), EncodeError> {
    if code == NC_NOERR { Ok(()) } else { Err(EncodeError::backend(NETCDF4, NcError { what: what(), code })) }
}

fn cstr(s: &str) -> CString {
    // Names were validated (no NUL); text values keep what precedes a NUL.
    CString::new(s.split('\0').next().unwrap_or_default()).unwrap_or_default()
}

fn nc_type_of(dt: &DataType) -> Option<nc_type> {
    Some(match dt {
        DataType::Int8 => NC_BYTE,
        DataType::Int16 => NC_SHORT,
        DataType::Int32 => NC_INT,
        DataType::Int64 => NC_INT64,
        DataType::UInt8 => NC_UBYTE,
        DataType::UInt16 => NC_USHORT,
        DataType::UInt32 => NC_UINT,
        DataType::UInt64 => NC_UINT64,
        DataType::Float32 => NC_FLOAT,
        DataType::Float64 => NC_DOUBLE,
        _ => return None,
    })
}

/// An open in-memory file; aborted (discarded) on drop unless finished.
struct MemFile(Option<c_int>);

impl Drop for MemFile {
    fn drop(&mut self) {
        if let Some(ncid) = self.0.take() {
            // SAFETY: a live ncid, discarded once.
            unsafe { nc_abort(ncid) };
        }
    }
}

fn put_attrs(ncid: c_int, varid: c_int, attrs: &[(String, AttrValue)]) -> Result<(), EncodeError> {
    for (name, value) in attrs {
        let n = cstr(name);
        let what = || format!("writing attribute {name:?}");
        // SAFETY: each buffer holds the stated count of elements of the stated type.
        let code = unsafe {
            match value {
                AttrValue::Text(s) => nc_put_att_text(ncid, varid, n.as_ptr(), s.len(), s.as_ptr().cast()),
                AttrValue::Strings(list) => {
                    let owned: Vec<CString> = list.iter().map(|s| cstr(s)).collect();
                    let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
                    nc_put_att_string(ncid, varid, n.as_ptr(), ptrs.len(), ptrs.as_ptr().cast_mut())
                }
                AttrValue::Numbers(a) => {
                    let Some(t) = nc_type_of(a.data_type()) else {
                        return Err(EncodeError::unsupported(
                            NETCDF4,
                            format!("attribute {name:?}: type {} in NetCDF-4", a.data_type()),
                        ));
                    };
                    nc_put_att(ncid, varid, n.as_ptr(), t, a.len(), a.as_bytes().as_ptr().cast())
                }
            }
        };
        check(code, what)?;
    }
    Ok(())
}

fn put_var(ncid: c_int, varid: c_int, name: &str, values: &Values<'_>) -> Result<(), EncodeError> {
    let what = || format!("writing variable {name:?}");
    // SAFETY: the buffers hold exactly the variable's element count in its type (the CF
    // encoding built both from one array): bytes for numbers and chars, pointers for strings.
    let code = unsafe {
        match values {
            Values::Array(a) if a.is_empty() => return Ok(()),
            Values::Array(a) => nc_put_var(ncid, varid, a.as_bytes().as_ptr().cast()),
            Values::Chars(b) if b.is_empty() => return Ok(()),
            Values::Chars(b) => nc_put_var(ncid, varid, b.as_ptr().cast()),
            Values::Strings(s) if s.is_empty() => return Ok(()),
            Values::Strings(s) => {
                let owned: Vec<CString> = s.iter().map(|s| cstr(s)).collect();
                let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
                nc_put_var(ncid, varid, ptrs.as_ptr().cast())
            }
        }
    };
    check(code, what)
}

/// A finished file: memory libnetcdf allocated, freed on drop.
pub(super) struct Image {
    ptr: *mut c_void,
    len: usize,
}

impl std::ops::Deref for Image {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` bytes at `ptr`, owned by this value until it is dropped.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: libnetcdf allocated it with malloc and handed it over; freed once.
        unsafe { free(self.ptr) }
    }
}

// SAFETY: plain heap memory that this value owns alone.
unsafe impl Send for Image {}

/// Writes the whole file in memory and returns its bytes (lock held by the caller).
pub(super) fn write(enc: &Encoded<'_>, size_hint: usize) -> Result<Image, EncodeError> {
    let mut ncid: c_int = -1;
    // SAFETY: a fresh in-memory file; the name only labels it.
    check(unsafe { nc_create_mem(c"tessera.nc".as_ptr(), NC_NETCDF4, size_hint, &mut ncid) }, || {
        "creating an in-memory NetCDF-4 file".to_owned()
    })?;
    let mut file = MemFile(Some(ncid));
    let mut dimids = Vec::with_capacity(enc.dims.len());
    for (name, &len) in &enc.dims {
        let mut id = 0;
        // SAFETY: live ncid, NUL-terminated name.
        check(unsafe { nc_def_dim(ncid, cstr(name).as_ptr(), len, &mut id) }, || {
            format!("defining dimension {name:?}")
        })?;
        dimids.push(id);
    }
    put_attrs(ncid, NC_GLOBAL, &enc.attrs)?;
    let mut varids = Vec::with_capacity(enc.vars.len());
    for v in &enc.vars {
        let t = match &v.values {
            Values::Strings(_) => NC_STRING,
            Values::Chars(_) => NC_CHAR,
            Values::Array(a) => nc_type_of(a.data_type()).ok_or_else(|| {
                EncodeError::unsupported(
                    NETCDF4,
                    format!("variable {:?}: type {} in NetCDF-4", v.name, a.data_type()),
                )
            })?,
        };
        let dims: Vec<c_int> =
            v.dims.iter().map(|d| dimids[enc.dims.get_index_of(d.as_str()).expect("listed")]).collect();
        let mut varid = 0;
        // SAFETY: live ncid; `dims` holds `dims.len()` dimension ids of this file.
        check(
            unsafe {
                nc_def_var(ncid, cstr(v.name).as_ptr(), t, dims.len() as c_int, dims.as_ptr(), &mut varid)
            },
            || format!("defining variable {:?}", v.name),
        )?;
        // Every value is written: pre-filling would write the data twice. (Strings need
        // their fill value in HDF5, and a `_FillValue` attribute defines one.)
        if t != NC_STRING && !v.attrs.iter().any(|(k, _)| k == "_FillValue") {
            // SAFETY: live ids; no fill value is read with no_fill = 1.
            check(unsafe { nc_def_var_fill(ncid, varid, 1, std::ptr::null()) }, || {
                format!("variable {:?}", v.name)
            })?;
        }
        put_attrs(ncid, varid, &v.attrs)?;
        varids.push(varid);
    }
    // SAFETY: live ncid.
    check(unsafe { nc_enddef(ncid) }, || "ending definitions".to_owned())?;
    for (v, &varid) in enc.vars.iter().zip(&varids) {
        put_var(ncid, varid, v.name, &v.values)?;
    }
    let mut memio = NcMemio { size: 0, memory: std::ptr::null_mut(), flags: 0 };
    let ncid = file.0.take().expect("open until here");
    // SAFETY: closes the live file once and hands its memory to us.
    check(unsafe { nc_close_memio(ncid, &mut memio) }, || "closing the in-memory file".to_owned())?;
    if memio.memory.is_null() {
        return Err(EncodeError::backend(
            NETCDF4,
            NcError { what: "closing the in-memory file".into(), code: -1 },
        ));
    }
    Ok(Image { ptr: memio.memory, len: memio.size })
}
