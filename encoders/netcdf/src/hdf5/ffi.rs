//! The calls into libhdf5 that the writer needs, behind owned handles and typed errors.
//!
//! Every function here must run with the library lock held ([`crate::clib::with_lock`]).
//! Types are built at run time from [`DataType`], which `hdf5-metno`'s static type mapping
//! cannot express (opaque numpy datetimes, h5py's half-float and complex layouts, records).

use std::ffi::{CStr, CString, c_char, c_uint, c_void};
use std::fmt;

use hdf5_metno_sys::h5::{herr_t, hsize_t};
use hdf5_metno_sys::h5a::{H5Aclose, H5Acreate2, H5Awrite};
use hdf5_metno_sys::h5d::{H5D_FILL_TIME_NEVER, H5Dclose, H5Dcreate2, H5Dwrite};
use hdf5_metno_sys::h5e::{H5E_DEFAULT, H5E_WALK_DOWNWARD, H5E_error2_t, H5Eclear2, H5Ewalk2};
use hdf5_metno_sys::h5f::{
    H5F_ACC_TRUNC, H5F_SCOPE_GLOBAL, H5Fclose, H5Fcreate, H5Fflush, H5Fget_file_image,
};
use hdf5_metno_sys::h5g::{H5Gclose, H5Gcreate2};
use hdf5_metno_sys::h5i::hid_t;
use hdf5_metno_sys::h5p::{
    H5P_CLS_ATTRIBUTE_CREATE, H5P_CLS_DATASET_CREATE, H5P_CLS_FILE_ACCESS, H5P_CLS_FILE_CREATE,
    H5P_CLS_GROUP_CREATE, H5P_CLS_LINK_CREATE, H5P_CRT_ORDER_INDEXED, H5P_CRT_ORDER_TRACKED, H5P_DEFAULT,
    H5Pclose, H5Pcreate, H5Pset_attr_creation_order, H5Pset_char_encoding, H5Pset_fapl_core,
    H5Pset_fill_time, H5Pset_link_creation_order, H5Pset_obj_track_times,
};
use hdf5_metno_sys::h5s::{H5S_ALL, H5S_SCALAR, H5Sclose, H5Screate, H5Screate_simple};
use hdf5_metno_sys::h5t::{
    H5T_C_S1, H5T_COMPOUND, H5T_CSET_ASCII, H5T_CSET_UTF8, H5T_IEEE_F32LE, H5T_IEEE_F64LE, H5T_OPAQUE,
    H5T_STD_I8LE, H5T_STD_I16LE, H5T_STD_I32LE, H5T_STD_I64LE, H5T_STD_U8LE, H5T_STD_U16LE, H5T_STD_U32LE,
    H5T_STD_U64LE, H5T_STR_NULLPAD, H5T_STR_NULLTERM, H5T_VARIABLE, H5Tclose, H5Tcopy, H5Tcreate,
    H5Tenum_create, H5Tenum_insert, H5Tinsert, H5Tset_cset, H5Tset_ebias, H5Tset_fields, H5Tset_size,
    H5Tset_strpad, H5Tset_tag,
};
use tessera_core::array::Cell;
use tessera_core::{DataType, NdArray};

// The dimension-scale API lives in libhdf5_hl, which `hdf5-metno-sys` links with its `hl`
// feature but does not bind.
unsafe extern "C" {
    fn H5DSset_scale(dsid: hid_t, dimname: *const c_char) -> herr_t;
    fn H5DSattach_scale(did: hid_t, dsid: hid_t, idx: c_uint) -> herr_t;
}

/// A failed libhdf5 call: what was being done and the library's error stack.
#[derive(Debug)]
pub(crate) struct H5Error {
    what: String,
    stack: Vec<String>,
}

impl fmt::Display for H5Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if !self.stack.is_empty() {
            write!(f, " ({})", self.stack.join("; "))?;
        }
        Ok(())
    }
}

impl std::error::Error for H5Error {}

unsafe extern "C" fn collect(_n: c_uint, err: *const H5E_error2_t, data: *mut c_void) -> herr_t {
    // SAFETY: libhdf5 passes a valid record, and `data` is the `Vec<String>` given below.
    unsafe {
        let out = &mut *data.cast::<Vec<String>>();
        let e = &*err;
        let text = |p: *const c_char| {
            if p.is_null() { String::new() } else { CStr::from_ptr(p).to_string_lossy().into_owned() }
        };
        out.push(format!("{}: {}", text(e.func_name), text(e.desc)));
    }
    0
}

fn error(what: impl FnOnce() -> String) -> H5Error {
    let mut stack: Vec<String> = Vec::new();
    // SAFETY: walks the calling thread's default error stack with a callback that only reads
    // the records; then clears it so the next call starts clean.
    unsafe {
        H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, Some(collect), (&raw mut stack).cast());
        H5Eclear2(H5E_DEFAULT);
    }
    H5Error { what: what(), stack }
}

fn check(ret: herr_t, what: impl FnOnce() -> String) -> Result<(), H5Error> {
    if ret < 0 { Err(error(what)) } else { Ok(()) }
}

/// An identifier owned by this side, closed on drop with its kind's close function.
pub(crate) struct Hid {
    id: hid_t,
    close: unsafe extern "C" fn(hid_t) -> herr_t,
}

impl Hid {
    fn new(
        id: hid_t,
        close: unsafe extern "C" fn(hid_t) -> herr_t,
        what: impl FnOnce() -> String,
    ) -> Result<Self, H5Error> {
        if id < 0 { Err(error(what)) } else { Ok(Hid { id, close }) }
    }

    pub(crate) fn id(&self) -> hid_t {
        self.id
    }

    /// Closes now, reporting failure (closing a file flushes it).
    pub(crate) fn close(mut self) -> Result<(), H5Error> {
        let id = std::mem::replace(&mut self.id, -1);
        // SAFETY: `id` is a live identifier of the kind `close` expects, closed once.
        check(unsafe { (self.close)(id) }, || "closing an HDF5 object".to_owned())
    }
}

impl Drop for Hid {
    fn drop(&mut self) {
        if self.id >= 0 {
            // SAFETY: as in `close`; errors on drop (already failing paths) are ignored.
            unsafe { (self.close)(self.id) };
        }
    }
}

fn cstr(s: &str, what: &str) -> Result<CString, H5Error> {
    CString::new(s)
        .map_err(|_| H5Error { what: format!("{what} {s:?} contains a NUL byte"), stack: Vec::new() })
}

/// Property lists: creation order tracked and indexed (h5py and h5netcdf list children
/// and attributes in the order written), no modification times (reproducible bytes), UTF-8
/// names.
fn plist(class: hid_t) -> Result<Hid, H5Error> {
    // SAFETY: creating a property list of a library-defined class.
    Hid::new(unsafe { H5Pcreate(class) }, H5Pclose, || "creating a property list".to_owned())
}

fn ordered(p: &Hid, links: bool) -> Result<(), H5Error> {
    let flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    // SAFETY: `p` is a live object-creation (group/file or dataset) property list.
    unsafe {
        if links {
            check(H5Pset_link_creation_order(p.id, flags), || "setting link order".to_owned())?;
        }
        check(H5Pset_attr_creation_order(p.id, flags), || "setting attribute order".to_owned())?;
        check(H5Pset_obj_track_times(p.id, 0), || "turning off times".to_owned())
    }
}

fn utf8_names(class: hid_t) -> Result<Hid, H5Error> {
    let p = plist(class)?;
    // SAFETY: a live link- or attribute-creation property list.
    check(unsafe { H5Pset_char_encoding(p.id, H5T_CSET_UTF8) }, || "setting name encoding".to_owned())?;
    Ok(p)
}

/// Creates (truncates) the file at `path`; with `memory = Some(increment)`, an in-memory
/// file (the core driver, growing by `increment` bytes, no backing file) called `path`.
pub(crate) fn create_file(path: &CStr, memory: Option<usize>) -> Result<Hid, H5Error> {
    // SAFETY: class ids are initialised (the library is open); `path` is NUL-terminated;
    // the property lists outlive the call.
    unsafe {
        let fcpl = plist(*H5P_CLS_FILE_CREATE)?;
        ordered(&fcpl, true)?;
        let fapl = plist(*H5P_CLS_FILE_ACCESS)?;
        if let Some(increment) = memory {
            check(H5Pset_fapl_core(fapl.id, increment, 0), || "selecting the in-memory driver".to_owned())?;
        }
        Hid::new(H5Fcreate(path.as_ptr(), H5F_ACC_TRUNC, fcpl.id, fapl.id), H5Fclose, || {
            format!("creating {}", path.to_string_lossy())
        })
    }
}

/// The bytes of an open (in-memory) file, flushed.
pub(crate) fn file_image(file: &Hid) -> Result<Vec<u8>, H5Error> {
    // SAFETY: a size query (null buffer), then a copy into a buffer of that size.
    unsafe {
        check(H5Fflush(file.id, H5F_SCOPE_GLOBAL), || "flushing the file".to_owned())?;
        let n = H5Fget_file_image(file.id, std::ptr::null_mut(), 0);
        if n < 0 {
            return Err(error(|| "sizing the file image".to_owned()));
        }
        let mut buf = Vec::<u8>::with_capacity(n as usize);
        let got = H5Fget_file_image(file.id, buf.as_mut_ptr().cast(), n as usize);
        if got != n {
            return Err(error(|| "copying the file image".to_owned()));
        }
        buf.set_len(n as usize);
        Ok(buf)
    }
}

/// Creates group `name` in `loc`.
pub(crate) fn create_group(loc: hid_t, name: &str) -> Result<Hid, H5Error> {
    let c = cstr(name, "group name")?;
    // SAFETY: `loc` is a live file or group; the property lists outlive the call.
    unsafe {
        let gcpl = plist(*H5P_CLS_GROUP_CREATE)?;
        ordered(&gcpl, true)?;
        let lcpl = utf8_names(*H5P_CLS_LINK_CREATE)?;
        Hid::new(H5Gcreate2(loc, c.as_ptr(), lcpl.id, gcpl.id, H5P_DEFAULT), H5Gclose, || {
            format!("creating group {name:?}")
        })
    }
}

fn space(shape: Option<&[usize]>) -> Result<Hid, H5Error> {
    // SAFETY: dims point at `shape.len()` sizes for the duration of the call.
    unsafe {
        let id = match shape {
            None | Some([]) => H5Screate(H5S_SCALAR),
            Some(s) => {
                let dims: Vec<hsize_t> = s.iter().map(|&d| d as hsize_t).collect();
                H5Screate_simple(dims.len() as i32, dims.as_ptr(), std::ptr::null())
            }
        };
        Hid::new(id, H5Sclose, || format!("creating a dataspace of shape {shape:?}"))
    }
}

fn type_of(id: hid_t, what: &str) -> Result<Hid, H5Error> {
    Hid::new(id, H5Tclose, || format!("creating the HDF5 type of {what}"))
}

fn copy_type(base: hid_t) -> Result<Hid, H5Error> {
    // SAFETY: `base` is a predefined type, initialised once the library is open.
    type_of(unsafe { H5Tcopy(base) }, "a copy")
}

/// Variable-length UTF-8 strings (h5py's `string_dtype()`: read back as `str`).
pub(crate) fn vlen_str() -> Result<Hid, H5Error> {
    let t = copy_type(*H5T_C_S1)?;
    // SAFETY: `t` is a string type this side owns.
    unsafe {
        check(H5Tset_size(t.id, H5T_VARIABLE), || "sizing a string type".to_owned())?;
        check(H5Tset_cset(t.id, H5T_CSET_UTF8), || "setting UTF-8".to_owned())?;
        check(H5Tset_strpad(t.id, H5T_STR_NULLTERM), || "setting string padding".to_owned())?;
    }
    Ok(t)
}

fn compound(size: usize, fields: &[(&str, usize, &Hid)]) -> Result<Hid, H5Error> {
    // SAFETY: a new compound; members are live types that fit inside `size` (validated).
    unsafe {
        let t = type_of(H5Tcreate(H5T_COMPOUND, size.max(1)), "a compound")?;
        for (name, offset, member) in fields {
            let c = cstr(name, "field name")?;
            check(H5Tinsert(t.id, c.as_ptr(), *offset, member.id), || format!("adding field {name:?}"))?;
        }
        Ok(t)
    }
}

/// The HDF5 type of one element, and how elements must be laid out in memory for it.
pub(crate) struct ElemType {
    pub hid: Hid,
    /// Bytes per element in the buffer handed to the library.
    pub size: usize,
    /// True when the buffer is not the array's own bytes (text inside records).
    pub repack: bool,
}

/// True when `dt` holds fixed-width unicode anywhere (stored as variable-length strings,
/// so the elements need repacking with pointers).
pub(crate) fn has_unicode(dt: &DataType) -> bool {
    match dt {
        DataType::Unicode(_) => true,
        DataType::Record { fields, .. } => fields.iter().any(|f| has_unicode(&f.data_type)),
        _ => false,
    }
}

const PTR: usize = std::mem::size_of::<*const c_char>();

/// The element type of `dt`, as h5py writes and reads it natively:
///
/// - `bool` → enum of int8 {FALSE = 0, TRUE = 1};
/// - integers, `float32/64` → little-endian standard types;
/// - `float16` → IEEE half (h5py's layout);
/// - complex → compound {r, i};
/// - `datetime64` / `timedelta64` → opaque, tagged `NUMPY:<M8[unit]` (h5py's `opaque_dtype`);
/// - `<U n` → variable-length UTF-8 (inside records too);
/// - `S n` → fixed-length, NUL-padded ASCII of n bytes;
/// - records → compound with the same field names and offsets (repacked when they hold
///   unicode).
pub(crate) fn elem_type(dt: &DataType) -> Result<ElemType, H5Error> {
    let plain = |hid: Hid| Ok(ElemType { hid, size: dt.itemsize(), repack: false });
    match dt {
        DataType::Bool => {
            // SAFETY: enum over a predefined base; the inserted values are 1-byte ints.
            unsafe {
                let t = type_of(H5Tenum_create(*H5T_STD_I8LE), "bool")?;
                for (name, v) in [(c"FALSE", 0i8), (c"TRUE", 1i8)] {
                    check(H5Tenum_insert(t.id, name.as_ptr(), (&raw const v).cast()), || {
                        "building bool".to_owned()
                    })?;
                }
                plain(t)
            }
        }
        DataType::Int8 => plain(copy_type(*H5T_STD_I8LE)?),
        DataType::Int16 => plain(copy_type(*H5T_STD_I16LE)?),
        DataType::Int32 => plain(copy_type(*H5T_STD_I32LE)?),
        DataType::Int64 => plain(copy_type(*H5T_STD_I64LE)?),
        DataType::UInt8 => plain(copy_type(*H5T_STD_U8LE)?),
        DataType::UInt16 => plain(copy_type(*H5T_STD_U16LE)?),
        DataType::UInt32 => plain(copy_type(*H5T_STD_U32LE)?),
        DataType::UInt64 => plain(copy_type(*H5T_STD_U64LE)?),
        DataType::Float16 => {
            let t = copy_type(*H5T_IEEE_F32LE)?;
            // SAFETY: reshaping a float type this side owns into IEEE binary16.
            unsafe {
                check(H5Tset_fields(t.id, 15, 10, 5, 0, 10), || "building float16".to_owned())?;
                check(H5Tset_size(t.id, 2), || "building float16".to_owned())?;
                check(H5Tset_ebias(t.id, 15), || "building float16".to_owned())?;
            }
            plain(t)
        }
        DataType::Float32 => plain(copy_type(*H5T_IEEE_F32LE)?),
        DataType::Float64 => plain(copy_type(*H5T_IEEE_F64LE)?),
        DataType::Complex64 | DataType::Complex128 => {
            let half = dt.itemsize() / 2;
            let part = copy_type(if half == 4 { *H5T_IEEE_F32LE } else { *H5T_IEEE_F64LE })?;
            plain(compound(dt.itemsize(), &[("r", 0, &part), ("i", half, &part)])?)
        }
        DataType::Datetime64(_) | DataType::Timedelta64(_) => {
            let tag = cstr(&format!("NUMPY:{}", dt.numpy_str()), "tag")?;
            // SAFETY: a new 8-byte opaque type; `tag` is NUL-terminated.
            unsafe {
                let t = type_of(H5Tcreate(H5T_OPAQUE, 8), "a datetime")?;
                check(H5Tset_tag(t.id, tag.as_ptr()), || "tagging a datetime type".to_owned())?;
                plain(t)
            }
        }
        DataType::Unicode(_) => Ok(ElemType { hid: vlen_str()?, size: PTR, repack: true }),
        DataType::Bytes(n) => {
            let t = copy_type(*H5T_C_S1)?;
            // SAFETY: a string type this side owns.
            unsafe {
                check(H5Tset_size(t.id, (*n).max(1)), || "sizing a string type".to_owned())?;
                check(H5Tset_strpad(t.id, H5T_STR_NULLPAD), || "setting string padding".to_owned())?;
                check(H5Tset_cset(t.id, H5T_CSET_ASCII), || "setting ASCII".to_owned())?;
            }
            Ok(ElemType { hid: t, size: (*n).max(1), repack: *n == 0 })
        }
        DataType::Record { fields, itemsize } => {
            let repack = has_unicode(dt);
            let mut members = Vec::with_capacity(fields.len());
            let mut offset = 0;
            for f in fields {
                let m = elem_type(&f.data_type)?;
                // Repacked records: every field on an 8-byte boundary (pointers inside).
                let at = if repack { offset } else { f.offset };
                offset = (at + m.size).div_ceil(PTR) * PTR;
                members.push((f.name.as_str(), at, m));
            }
            let size = if repack { offset } else { *itemsize };
            let refs: Vec<(&str, usize, &Hid)> = members.iter().map(|(n, o, m)| (*n, *o, &m.hid)).collect();
            Ok(ElemType { hid: compound(size, &refs)?, size, repack })
        }
        other => Err(H5Error { what: format!("no HDF5 type for {other}"), stack: Vec::new() }),
    }
}

/// Element bytes laid out for [`elem_type`] when it says `repack`; the strings the pointers
/// point into must live as long as the buffer.
pub(crate) struct Repacked {
    pub bytes: Vec<u8>,
    _strings: Vec<CString>,
}

fn text_of(cell: Cell<'_>) -> CString {
    let s = match cell {
        Cell::Str(s) => s.into_owned(),
        _ => String::new(),
    };
    CString::new(s).unwrap_or_default()
}

fn repack_into(dt: &DataType, src: &[u8], dst: &mut [u8], strings: &mut Vec<CString>) {
    match dt {
        DataType::Unicode(_) => {
            let c = text_of(tessera_core::array::cell_from_bytes(dt, src));
            dst[..PTR].copy_from_slice(&(c.as_ptr() as usize).to_ne_bytes());
            // Moving the CString into the Vec keeps its heap buffer where it is.
            strings.push(c);
        }
        DataType::Bytes(0) => dst[0] = 0,
        DataType::Record { fields, .. } => {
            let mut offset = 0;
            for f in fields {
                let size = elem_size(&f.data_type);
                let n = f.data_type.itemsize();
                repack_into(
                    &f.data_type,
                    &src[f.offset..f.offset + n],
                    &mut dst[offset..offset + size],
                    strings,
                );
                offset = (offset + size).div_ceil(PTR) * PTR;
            }
        }
        _ => dst[..src.len()].copy_from_slice(src),
    }
}

/// Size of one repacked element (what [`elem_type`] computes, without building types).
fn elem_size(dt: &DataType) -> usize {
    match dt {
        DataType::Unicode(_) => PTR,
        DataType::Bytes(n) => (*n).max(1),
        DataType::Record { fields, itemsize } if has_unicode(dt) => {
            let _ = itemsize;
            fields.iter().fold(0, |offset, f| (offset + elem_size(&f.data_type)).div_ceil(PTR) * PTR)
        }
        other => other.itemsize(),
    }
}

/// Lays out every element of `a` for its repacked type.
pub(crate) fn repack(a: &NdArray) -> Repacked {
    let dt = a.data_type();
    let size = elem_size(dt);
    let item = dt.itemsize();
    let mut bytes = vec![0u8; a.len() * size];
    let mut strings = Vec::new();
    for i in 0..a.len() {
        repack_into(
            dt,
            &a.as_bytes()[i * item..(i + 1) * item],
            &mut bytes[i * size..(i + 1) * size],
            &mut strings,
        );
    }
    Repacked { bytes, _strings: strings }
}

/// Pointers to NUL-terminated UTF-8 strings, for variable-length string writes.
pub(crate) struct StringPtrs {
    ptrs: Vec<*const c_char>,
    _strings: Vec<CString>,
}

impl StringPtrs {
    pub(crate) fn new(values: impl IntoIterator<Item = impl Into<Vec<u8>>>) -> Self {
        let strings: Vec<CString> = values
            .into_iter()
            .map(|s| {
                let mut b: Vec<u8> = s.into();
                // A NUL would end the C string; keep the text before it.
                if let Some(p) = b.iter().position(|&c| c == 0) {
                    b.truncate(p);
                }
                CString::new(b).unwrap_or_default()
            })
            .collect();
        StringPtrs { ptrs: strings.iter().map(|c| c.as_ptr()).collect(), _strings: strings }
    }

    fn as_ptr(&self) -> *const c_void {
        self.ptrs.as_ptr().cast()
    }
}

/// What to write: raw element bytes, or string pointers.
pub(crate) enum Data<'a> {
    Bytes(&'a [u8]),
    Strings(&'a StringPtrs),
}

impl Data<'_> {
    fn ptr(&self) -> *const c_void {
        match self {
            Data::Bytes(b) => b.as_ptr().cast(),
            Data::Strings(s) => s.as_ptr(),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Data::Bytes(b) => b.is_empty(),
            Data::Strings(s) => s.ptrs.is_empty(),
        }
    }
}

/// Creates dataset `name` in `loc` of `ty` and `shape` (contiguous), and writes `data`
/// unless `data` is `None` (left unwritten: a placeholder, no storage allocated).
/// `variable` says that `ty` holds variable-length strings (which need fill values).
pub(crate) fn dataset(
    loc: hid_t,
    name: &str,
    ty: &Hid,
    variable: bool,
    shape: &[usize],
    data: Option<Data<'_>>,
) -> Result<Hid, H5Error> {
    let c = cstr(name, "dataset name")?;
    let sp = space(Some(shape))?;
    // SAFETY: `loc`, `ty` and `sp` are live; `data` holds exactly `shape.product()` elements
    // of `ty`'s memory layout (the callers build both from one array); the plists outlive
    // the calls.
    unsafe {
        let dcpl = plist(*H5P_CLS_DATASET_CREATE)?;
        ordered(&dcpl, false)?;
        // Every element is written at once: filling first would write the data twice.
        // (libhdf5 requires fill values for variable-length types.)
        if !variable {
            check(H5Pset_fill_time(dcpl.id, H5D_FILL_TIME_NEVER), || "setting fill time".to_owned())?;
        }
        let lcpl = utf8_names(*H5P_CLS_LINK_CREATE)?;
        let d = Hid::new(
            H5Dcreate2(loc, c.as_ptr(), ty.id, sp.id, lcpl.id, dcpl.id, H5P_DEFAULT),
            H5Dclose,
            || format!("creating dataset {name:?}"),
        )?;
        if let Some(data) = data.filter(|d| !d.is_empty()) {
            check(H5Dwrite(d.id, ty.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.ptr()), || {
                format!("writing dataset {name:?}")
            })?;
        }
        Ok(d)
    }
}

/// Writes attribute `name` on `obj`: `ty` elements in `data`, scalar when `shape` is `None`.
pub(crate) fn attribute(
    obj: hid_t,
    name: &str,
    ty: &Hid,
    shape: Option<&[usize]>,
    data: Data<'_>,
) -> Result<(), H5Error> {
    let c = cstr(name, "attribute name")?;
    let sp = space(shape)?;
    // SAFETY: as in `dataset`.
    unsafe {
        let acpl = utf8_names(*H5P_CLS_ATTRIBUTE_CREATE)?;
        let a = Hid::new(H5Acreate2(obj, c.as_ptr(), ty.id, sp.id, acpl.id, H5P_DEFAULT), H5Aclose, || {
            format!("creating attribute {name:?}")
        })?;
        if !data.is_empty() {
            check(H5Awrite(a.id, ty.id, data.ptr()), || format!("writing attribute {name:?}"))?;
        }
        a.close()
    }
}

/// Makes `scale` a dimension scale called `name`.
pub(crate) fn set_scale(scale: &Hid, name: &str) -> Result<(), H5Error> {
    let c = cstr(name, "dimension name")?;
    // SAFETY: `scale` is a live dataset.
    check(unsafe { H5DSset_scale(scale.id, c.as_ptr()) }, || format!("making {name:?} a dimension scale"))
}

/// Attaches `scale` to axis `axis` of `var`.
pub(crate) fn attach_scale(var: &Hid, scale: &Hid, axis: usize) -> Result<(), H5Error> {
    // SAFETY: both are live datasets of one file; `axis` < rank of `var` (callers' dims).
    check(unsafe { H5DSattach_scale(var.id, scale.id, axis as c_uint) }, || {
        format!("attaching a dimension scale to axis {axis}")
    })
}
