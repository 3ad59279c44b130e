//! HDF5 (`application/x-hdf5`) through libhdf5: containers, arrays, tables and datasets,
//! laid out as h5py and h5netcdf read them (see the crate docs for the exact layout).

mod ffi;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType as ArrowType, TimeUnit as ArrowUnit};
use serde_json::{Map, Value};
use tempfile::NamedTempFile;
use tessera_core::container::{ContainerTree, Node};
use tessera_core::dataset::Dataset;
use tessera_core::encoder::read_all;
use tessera_core::table::BatchStream;
use tessera_core::{
    ArrayEncoder, ArraySource, ContainerEncoder, DataType, DatasetEncoder, EncodeError, Family, MediaType,
    NdArray, Output, Params, Spec, TableEncoder, TimeUnit,
};

use self::ffi::{Data, H5Error, Hid, StringPtrs};
use crate::attrs::{self, AttrValue, Profile};
use crate::cf::{self, Values};
use crate::clib::{self, with_lock};
use crate::names;

/// The HDF5 media type.
pub const HDF5: MediaType = MediaType::from_static("application/x-hdf5");

/// Name of the dataset an array export writes (`f["data"]`).
pub const ARRAY_DATASET: &str = "data";

/// `NAME` of the dimension scale of a dimension that has no coordinate variable: netCDF-4's
/// marker, which h5netcdf and netCDF-C recognise (they hide the placeholder dataset).
fn not_a_variable(len: usize) -> String {
    format!("This is a netCDF dimension but not a netCDF variable.{len:>10}")
}

macro_rules! spec {
    ($name:ident, $family:expr, $rank:expr, $what:expr) => {
        static $name: Spec = Spec {
            media_type: HDF5,
            aliases: &["h5", "hdf5"],
            family: $family,
            output: Output::Buffered,
            params: &[],
            default_rank: $rank,
            provider: "tessera-netcdf",
            description: $what,
        };
    };
}
spec!(ARRAY_SPEC, Family::Array, 50, "HDF5 file with the array as dataset `data` (h5py reads every dtype)");
spec!(TABLE_SPEC, Family::Table, 50, "HDF5 file with one 1-D dataset per column");
spec!(
    DATASET_SPEC,
    Family::Dataset,
    0,
    "HDF5 file with one dataset per variable and dimension scales (xarray's h5netcdf engine reads it)"
);
spec!(
    CONTAINER_SPEC,
    Family::Container,
    0,
    "HDF5 file: groups for containers, datasets for arrays, attributes for metadata"
);

fn backend(e: H5Error) -> EncodeError {
    EncodeError::backend(HDF5, e)
}

fn unsupported(what: String) -> EncodeError {
    EncodeError::unsupported(HDF5, what)
}

/// Options of the HDF5 writer.
///
/// ```
/// let o = tessera_netcdf::Hdf5Options::default().with_temp_dir("/var/tmp");
/// assert_eq!(o.temp_dir(), Some(std::path::Path::new("/var/tmp")));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Hdf5Options {
    temp_dir: Option<PathBuf>,
    in_memory: bool,
}

impl Hdf5Options {
    /// Directory of the temporary file libhdf5 writes before it is streamed out. Default:
    /// the system's temporary directory (`TMPDIR`).
    pub fn with_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// The directory set, if any.
    pub fn temp_dir(&self) -> Option<&std::path::Path> {
        self.temp_dir.as_deref()
    }

    /// Build the file in memory (libhdf5's core driver) instead of a temporary file: no
    /// file system round trip, but the whole file is held in memory until `finish`.
    /// Default: `false`.
    pub fn with_in_memory(mut self, in_memory: bool) -> Self {
        self.in_memory = in_memory;
        self
    }

    /// Options from media-type parameters (there are none yet).
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for any parameter.
    pub fn from_params(params: &Params) -> Result<Self, EncodeError> {
        params.check_known(&[])?;
        Ok(Self::default())
    }

    /// A writer into `out`: creates the temporary file.
    ///
    /// # Errors
    /// [`EncodeError::Io`] when the temporary file cannot be created,
    /// [`EncodeError::Backend`] when libhdf5 cannot create the file.
    pub fn build<W: Write>(self, out: W) -> Result<Hdf5Writer<W>, EncodeError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static MEMORY_FILES: AtomicU64 = AtomicU64::new(0);
        let (tmp, path, memory) = if self.in_memory {
            // The core driver tells open files apart by name.
            let n = MEMORY_FILES.fetch_add(1, Ordering::Relaxed);
            let name = std::ffi::CString::new(format!("tessera-memory-{}-{n}.h5", std::process::id()))
                .expect("no NUL in the name");
            (None, name, Some(MEMORY_INCREMENT))
        } else {
            let tmp = clib::temp_file(self.temp_dir.as_deref(), ".h5")?;
            let path = clib::c_path(tmp.path())?;
            (Some(tmp), path, None)
        };
        let file = with_lock(|| {
            init();
            ffi::create_file(&path, memory)
        })
        .map_err(backend)?;
        Ok(Hdf5Writer { session: Session { file: Some(file), tmp, root: Names::default() }, out })
    }
}

/// Growth step of in-memory files. libhdf5 zero-fills each new step before writing into
/// it, so a large step costs a large memset; reallocating large blocks does not copy.
const MEMORY_INCREMENT: usize = 1 << 20;

/// Opens the library and keeps its error stacks off stderr (errors are returned instead).
fn init() {
    hdf5_metno::silence_errors(true);
}

/// Names already used at the root, so that several writes cannot collide.
#[derive(Debug, Default)]
struct Names {
    links: BTreeSet<String>,
    attrs: BTreeSet<String>,
}

struct Session {
    file: Option<Hid>,
    tmp: Option<NamedTempFile>,
    root: Names,
}

impl Drop for Session {
    fn drop(&mut self) {
        // Close under the lock, before the temporary file is removed.
        if let Some(f) = self.file.take() {
            with_lock(|| drop(f));
        }
        drop(self.tmp.take());
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("root", &self.root).finish_non_exhaustive()
    }
}

/// Writes an HDF5 file: any number of `write_*` calls add to its root, then
/// [`finish`](Self::finish) streams the file to the sink.
///
/// Nothing reaches the sink before `finish`; after an error, drop the writer (its
/// temporary file is removed).
#[derive(Debug)]
pub struct Hdf5Writer<W> {
    session: Session,
    out: W,
}

impl<W: Write> Hdf5Writer<W> {
    fn root(&self) -> hdf5_metno_sys::h5i::hid_t {
        self.session.file.as_ref().map_or(-1, Hid::id)
    }

    fn claim_links<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) -> Result<(), EncodeError> {
        let names: Vec<&str> = names.into_iter().collect();
        for n in &names {
            if self.session.root.links.contains(*n) {
                return Err(unsupported(format!("the file already has {n:?} at its root")));
            }
        }
        self.session.root.links.extend(names.into_iter().map(str::to_owned));
        Ok(())
    }

    fn root_attrs(&mut self, attrs: &[(String, AttrValue)]) -> Result<(), EncodeError> {
        for (k, _) in attrs {
            if self.session.root.attrs.contains(k) {
                return Err(unsupported(format!("the file's root already has attribute {k:?}")));
            }
        }
        self.session.root.attrs.extend(attrs.iter().map(|(k, _)| k.clone()));
        let root = self.root();
        with_lock(|| write_attrs(root, attrs))
    }

    /// Writes a container tree: the tree's metadata becomes root attributes and every child
    /// a group or dataset (see the crate docs).
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for names, dtypes or metadata HDF5 cannot hold (found
    /// before the node is written); [`EncodeError::Backend`] when libhdf5 fails.
    pub fn write_tree(&mut self, tree: &ContainerTree) -> Result<(), EncodeError> {
        check_tree(tree)?;
        self.claim_links(tree.children.keys().map(String::as_str))?;
        let attrs = attrs::convert(&tree.info.metadata, Profile::Hdf5, &HDF5, "the root container")?;
        self.root_attrs(&attrs)?;
        let root = self.root();
        with_lock(|| write_children(root, tree))
    }

    /// Writes a dataset's variables at the root (global attributes on the root), with
    /// dimension scales, as xarray's h5netcdf engine reads them.
    ///
    /// # Errors
    /// As [`write_tree`](Self::write_tree).
    pub fn write_dataset(&mut self, dataset: &Dataset) -> Result<(), EncodeError> {
        let enc = cf::encode(dataset, Profile::Hdf5, &HDF5)?;
        check_encoded(&enc)?;
        let mut links: Vec<&str> = enc.vars.iter().map(|v| v.name).collect();
        let placeholders: Vec<&str> =
            enc.dims.keys().map(String::as_str).filter(|d| !links.contains(d)).collect();
        links.extend(placeholders);
        self.claim_links(links)?;
        self.root_attrs(&enc.attrs)?;
        let root = self.root();
        with_lock(|| write_variables(root, &enc))
    }

    /// Writes one array as dataset `name` at the root, with `metadata` as its attributes.
    ///
    /// # Errors
    /// As [`write_tree`](Self::write_tree).
    pub fn write_array(
        &mut self,
        name: &str,
        array: &NdArray,
        metadata: &Map<String, Value>,
    ) -> Result<(), EncodeError> {
        names::check_link("array", name, &HDF5)?;
        check_array(name, array.data_type(), array.ndim())?;
        let attrs = attrs::convert(metadata, Profile::Hdf5, &HDF5, &format!("array {name:?}"))?;
        self.claim_links([name])?;
        let root = self.root();
        with_lock(|| {
            let d = write_array(root, name, array)?;
            write_attrs(d.id(), &attrs)
        })
    }

    /// Writes a table: one 1-D dataset per column, in group `name` (with `metadata` as its
    /// attributes) or at the root when `name` is `None` (then `metadata` goes on the root).
    ///
    /// # Errors
    /// As [`write_tree`](Self::write_tree); [`EncodeError::Input`] when the stream fails.
    pub fn write_table(
        &mut self,
        name: Option<&str>,
        table: &mut dyn BatchStream,
        metadata: &Map<String, Value>,
    ) -> Result<(), EncodeError> {
        let columns = table_columns(table)?;
        let attrs = attrs::convert(metadata, Profile::Hdf5, &HDF5, "the table")?;
        let root = self.root();
        match name {
            Some(name) => {
                names::check_link("table", name, &HDF5)?;
                self.claim_links([name])?;
                with_lock(|| {
                    let g = ffi::create_group(root, name).map_err(backend)?;
                    write_attrs(g.id(), &attrs)?;
                    write_columns(g.id(), &columns)
                })
            }
            None => {
                self.claim_links(columns.iter().map(|c| c.name.as_str()))?;
                self.root_attrs(&attrs)?;
                with_lock(|| write_columns(root, &columns))
            }
        }
    }

    /// Closes the file and streams it to the sink; the temporary file is removed.
    ///
    /// # Errors
    /// [`EncodeError::Backend`] when libhdf5 fails to close the file, [`EncodeError::Io`]
    /// when reading it back or writing to the sink fails.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        let image = match self.session.file.take() {
            Some(f) if self.session.tmp.is_none() => Some(
                with_lock(|| {
                    let image = ffi::file_image(&f)?;
                    f.close().map(|()| image)
                })
                .map_err(backend)?,
            ),
            Some(f) => {
                with_lock(|| f.close()).map_err(backend)?;
                None
            }
            None => None,
        };
        if let Some(image) = image {
            self.out.write_all(&image)?;
        }
        if let Some(tmp) = self.session.tmp.take() {
            clib::stream_out(tmp, &mut self.out)?;
        }
        self.out.flush()?;
        // `self` still owns an emptied session: dropping it does nothing.
        let Hdf5Writer { out, session } = self;
        drop(session);
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// Validation (before anything is written).

fn check_dtype(what: &str, dt: &DataType) -> Result<(), EncodeError> {
    let DataType::Record { fields, itemsize } = dt else { return Ok(()) };
    if fields.is_empty() {
        return Err(unsupported(format!("{what}: a record type without fields")));
    }
    let mut names = BTreeSet::new();
    let mut sorted: Vec<_> = fields.iter().collect();
    sorted.sort_by_key(|f| f.offset);
    let mut end = 0;
    for f in sorted {
        if f.name.is_empty() || f.name.contains('\0') || !names.insert(f.name.as_str()) {
            return Err(unsupported(format!(
                "{what}: record field name {:?} is empty, repeated or has a NUL",
                f.name
            )));
        }
        if f.offset < end || f.offset + f.data_type.itemsize() > *itemsize {
            return Err(unsupported(format!(
                "{what}: record field {:?} overlaps another or passes the record's end",
                f.name
            )));
        }
        end = f.offset + f.data_type.itemsize();
        check_dtype(what, &f.data_type)?;
    }
    Ok(())
}

/// HDF5's maximum rank (`H5S_MAX_RANK`).
const MAX_RANK: usize = 32;

fn check_array(what: &str, dt: &DataType, ndim: usize) -> Result<(), EncodeError> {
    if ndim > MAX_RANK {
        return Err(unsupported(format!("{what}: HDF5 holds at most {MAX_RANK} dimensions, not {ndim}")));
    }
    check_dtype(what, dt)
}

/// Attributes of dimension scales (libhdf5_hl's) and of netCDF-4, which the layout writes.
const SCALE_ATTRS: [&str; 6] =
    ["CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Dimid", "_Netcdf4Coordinates"];

fn check_encoded(enc: &cf::Encoded<'_>) -> Result<(), EncodeError> {
    for v in &enc.vars {
        if let Some((k, _)) = v.attrs.iter().find(|(k, _)| SCALE_ATTRS.contains(&k.as_str())) {
            return Err(unsupported(format!(
                "variable {:?}: attribute {k:?} is reserved for dimension scales in HDF5",
                v.name
            )));
        }
        if let Values::Array(a) = &v.values {
            check_array(&format!("variable {:?}", v.name), a.data_type(), a.ndim())?;
        }
    }
    Ok(())
}

fn check_tree(tree: &ContainerTree) -> Result<(), EncodeError> {
    for (name, node) in &tree.children {
        names::check_link("node", name, &HDF5)?;
        match node {
            Node::Array { data, .. } => {
                check_array(&format!("array {name:?}"), data.data_type(), data.ndim())?
            }
            Node::Container(c) => check_tree(c)?,
            Node::Dataset { .. } | Node::Table { .. } => {}
            _ => return Err(unsupported(format!("node {name:?} is of a kind HDF5 export does not know"))),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Writing (every function below runs with the library lock held).

fn write_attrs(obj: hdf5_metno_sys::h5i::hid_t, attrs: &[(String, AttrValue)]) -> Result<(), EncodeError> {
    for (name, value) in attrs {
        match value {
            AttrValue::Text(s) => {
                let ty = ffi::vlen_str().map_err(backend)?;
                let p = StringPtrs::new([s.as_bytes()]);
                ffi::attribute(obj, name, &ty, None, Data::Strings(&p)).map_err(backend)?;
            }
            AttrValue::Strings(list) => {
                let ty = ffi::vlen_str().map_err(backend)?;
                let p = StringPtrs::new(list.iter().map(String::as_bytes));
                ffi::attribute(obj, name, &ty, Some(&[list.len()]), Data::Strings(&p)).map_err(backend)?;
            }
            AttrValue::Numbers(a) => {
                let ty = ffi::elem_type(a.data_type()).map_err(backend)?;
                let shape = (a.ndim() > 0).then_some(a.shape());
                ffi::attribute(obj, name, &ty.hid, shape, Data::Bytes(a.as_bytes())).map_err(backend)?;
            }
        }
    }
    Ok(())
}

/// Writes `a` as dataset `name` of `loc` in its native HDF5 type.
fn write_array(loc: hdf5_metno_sys::h5i::hid_t, name: &str, a: &NdArray) -> Result<Hid, EncodeError> {
    let ty = ffi::elem_type(a.data_type()).map_err(backend)?;
    let variable = ffi::has_unicode(a.data_type());
    let d = if ty.repack {
        let r = ffi::repack(a);
        ffi::dataset(loc, name, &ty.hid, variable, a.shape(), Some(Data::Bytes(&r.bytes)))
    } else if *a.data_type() == DataType::Bool && a.as_bytes().iter().any(|&b| b > 1) {
        // Any non-zero byte is true; the enum has only 0 and 1.
        let b: Vec<u8> = a.as_bytes().iter().map(|&b| u8::from(b != 0)).collect();
        ffi::dataset(loc, name, &ty.hid, false, a.shape(), Some(Data::Bytes(&b)))
    } else {
        ffi::dataset(loc, name, &ty.hid, false, a.shape(), Some(Data::Bytes(a.as_bytes())))
    };
    d.map_err(backend)
}

fn write_strings(
    loc: hdf5_metno_sys::h5i::hid_t,
    name: &str,
    shape: &[usize],
    values: &[String],
) -> Result<Hid, EncodeError> {
    let ty = ffi::vlen_str().map_err(backend)?;
    let p = StringPtrs::new(values.iter().map(String::as_bytes));
    ffi::dataset(loc, name, &ty, true, shape, Some(Data::Strings(&p))).map_err(backend)
}

/// Writes CF-encoded variables into `loc`, with a dimension scale per dimension: the 1-D
/// coordinate variable of that name, or a placeholder dataset marked as netCDF-4 does.
fn write_variables(loc: hdf5_metno_sys::h5i::hid_t, enc: &cf::Encoded<'_>) -> Result<(), EncodeError> {
    let mut handles = Vec::with_capacity(enc.vars.len());
    for v in &enc.vars {
        let shape: Vec<usize> = v.dims.iter().map(|d| enc.dims[d.as_str()]).collect();
        let d = match &v.values {
            Values::Array(a) => write_array(loc, v.name, a)?,
            Values::Strings(s) => write_strings(loc, v.name, &shape, s)?,
            Values::Chars(_) => unreachable!("the HDF5 profile keeps bytes as fixed-length strings"),
        };
        write_attrs(d.id(), &v.attrs)?;
        handles.push(d);
    }
    let mut scales = Vec::with_capacity(enc.dims.len());
    for (dim, &len) in &enc.dims {
        match enc.vars.iter().position(|v| v.name == dim && v.dims == [dim.clone()]) {
            Some(i) => {
                ffi::set_scale(&handles[i], dim).map_err(backend)?;
                scales.push(None);
            }
            None => {
                let ty = ffi::elem_type(&DataType::Float32).map_err(backend)?;
                let placeholder = ffi::dataset(loc, dim, &ty.hid, false, &[len], None).map_err(backend)?;
                ffi::set_scale(&placeholder, &not_a_variable(len)).map_err(backend)?;
                scales.push(Some(placeholder));
            }
        }
    }
    for (v, h) in enc.vars.iter().zip(&handles) {
        if v.dims.len() == 1 && v.name == v.dims[0] {
            continue; // a dimension coordinate is its own scale
        }
        for (axis, d) in v.dims.iter().enumerate() {
            let k = enc.dims.get_index_of(d.as_str()).expect("every dim is listed");
            let scale = match &scales[k] {
                Some(p) => p,
                None => &handles[enc.vars.iter().position(|w| w.name == d).expect("coordinate of the dim")],
            };
            ffi::attach_scale(h, scale, axis).map_err(backend)?;
        }
    }
    Ok(())
}

fn write_children(loc: hdf5_metno_sys::h5i::hid_t, tree: &ContainerTree) -> Result<(), EncodeError> {
    for (name, node) in &tree.children {
        let owner = format!("node {name:?}");
        match node {
            Node::Array { info, data, .. } => {
                let attrs = attrs::convert(&info.metadata, Profile::Hdf5, &HDF5, &owner)?;
                let d = write_array(loc, name, data)?;
                write_attrs(d.id(), &attrs)?;
            }
            Node::Container(c) => {
                let attrs = attrs::convert(&c.info.metadata, Profile::Hdf5, &HDF5, &owner)?;
                let g = ffi::create_group(loc, name).map_err(backend)?;
                write_attrs(g.id(), &attrs)?;
                write_children(g.id(), c)?;
            }
            Node::Table { info, table } => {
                let columns = table_columns(&mut table.stream())?;
                let attrs = attrs::convert(&info.metadata, Profile::Hdf5, &HDF5, &owner)?;
                let g = ffi::create_group(loc, name).map_err(backend)?;
                write_attrs(g.id(), &attrs)?;
                write_columns(g.id(), &columns)?;
            }
            Node::Dataset { info, dataset } => {
                // xarray's layout: the dataset's attrs on the group; other metadata keys
                // (Tiled keeps the attrs under "attrs") join them where they do not clash.
                let mut ds = dataset.clone();
                for (k, v) in &info.metadata {
                    if k != "attrs" && !ds.attrs.contains_key(k) {
                        ds.attrs.insert(k.clone(), v.clone());
                    }
                }
                let enc = cf::encode(&ds, Profile::Hdf5, &HDF5)?;
                check_encoded(&enc)?;
                let g = ffi::create_group(loc, name).map_err(backend)?;
                write_attrs(g.id(), &enc.attrs)?;
                write_variables(g.id(), &enc)?;
            }
            _ => return Err(unsupported(format!("{owner} is of a kind HDF5 export does not know"))),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tables.

/// One column, ready to write.
struct Column {
    name: String,
    values: ColumnValues,
    attrs: Vec<(String, AttrValue)>,
}

enum ColumnValues {
    Array(NdArray),
    Strings(Vec<String>),
}

fn time_unit(u: &ArrowUnit) -> TimeUnit {
    match u {
        ArrowUnit::Second => TimeUnit::Second,
        ArrowUnit::Millisecond => TimeUnit::Millisecond,
        ArrowUnit::Microsecond => TimeUnit::Microsecond,
        ArrowUnit::Nanosecond => TimeUnit::Nanosecond,
    }
}

fn cast(a: &dyn Array, to: &ArrowType) -> Result<ArrayRef, EncodeError> {
    arrow::compute::cast(a, to).map_err(|e| EncodeError::Input(Box::new(e)))
}

fn times(a: &dyn Array, dt: DataType) -> Result<NdArray, EncodeError> {
    let ints = cast(a, &ArrowType::Int64)?;
    let ints = ints.as_primitive::<arrow::datatypes::Int64Type>();
    let bytes: Vec<u8> = (0..ints.len())
        .flat_map(|i| if ints.is_null(i) { i64::MIN } else { ints.value(i) }.to_le_bytes())
        .collect();
    NdArray::new(dt, vec![ints.len()], bytes).map_err(|e| EncodeError::Input(Box::new(e)))
}

/// A column as HDF5 stores it. Nulls: NaN in float columns, and integer or boolean columns
/// with nulls become float64 with NaN (pandas' rule); NaT in time columns; "" in strings
/// and bytes.
fn column_values(name: &str, a: &dyn Array) -> Result<(ColumnValues, Vec<(String, AttrValue)>), EncodeError> {
    use ArrowType as A;
    let n = a.len();
    let from = |a: &dyn Array| {
        tessera_core::convert::from_arrow(a)
            .map(ColumnValues::Array)
            .map_err(|e| EncodeError::Input(Box::new(e)))
    };
    Ok(match a.data_type() {
        A::Dictionary(_, value) => return column_values(name, cast(a, value)?.as_ref()),
        A::Utf8 | A::LargeUtf8 | A::Utf8View => {
            let s = cast(a, &A::Utf8)?;
            let s = s.as_string::<i32>();
            let v =
                (0..n).map(|i| if s.is_null(i) { String::new() } else { s.value(i).to_owned() }).collect();
            (ColumnValues::Strings(v), Vec::new())
        }
        A::Binary | A::LargeBinary | A::BinaryView | A::FixedSizeBinary(_) => {
            let b = cast(a, &A::LargeBinary)?;
            let b = b.as_binary::<i64>();
            let width = (0..n).map(|i| b.value(i).len()).max().unwrap_or(0).max(1);
            let mut bytes = Vec::with_capacity(n * width);
            for i in 0..n {
                let v = if b.is_null(i) { &[][..] } else { b.value(i) };
                bytes.extend_from_slice(v);
                bytes.resize(bytes.len() + width - v.len(), 0);
            }
            let arr = NdArray::new(DataType::Bytes(width), vec![n], bytes)
                .map_err(|e| EncodeError::Input(Box::new(e)))?;
            (ColumnValues::Array(arr), Vec::new())
        }
        A::Null => {
            (ColumnValues::Array(NdArray::from_vec(vec![n], vec![f64::NAN; n]).expect("shape")), Vec::new())
        }
        A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
            if a.null_count() > 0 =>
        {
            (from(cast(a, &A::Float64)?.as_ref())?, Vec::new())
        }
        A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float16
        | A::Float32
        | A::Float64 => (from(a)?, Vec::new()),
        A::Timestamp(u, tz) => {
            let attrs =
                tz.iter().map(|tz| ("timezone".to_owned(), AttrValue::Text(tz.to_string()))).collect();
            (ColumnValues::Array(times(a, DataType::Datetime64(time_unit(u)))?), attrs)
        }
        A::Date32 => (
            ColumnValues::Array(times(cast(a, &A::Int32)?.as_ref(), DataType::Datetime64(TimeUnit::Day))?),
            Vec::new(),
        ),
        A::Date64 => {
            (ColumnValues::Array(times(a, DataType::Datetime64(TimeUnit::Millisecond))?), Vec::new())
        }
        A::Duration(u) => (ColumnValues::Array(times(a, DataType::Timedelta64(time_unit(u)))?), Vec::new()),
        other => {
            return Err(unsupported(format!(
                "column {name:?} is of type {other}, which has no HDF5 dataset form here (lists, structs, \
                 decimals, times of day, intervals); select other columns"
            )));
        }
    })
}

/// Reads the whole stream (HDF5 is written at once anyway) and converts each column.
fn table_columns(table: &mut dyn BatchStream) -> Result<Vec<Column>, EncodeError> {
    let schema = table.schema();
    let mut seen = BTreeSet::new();
    for f in schema.fields() {
        names::check_link("column", f.name(), &HDF5)?;
        if !seen.insert(f.name().as_str()) {
            return Err(unsupported(format!("column name {:?} is repeated", f.name())));
        }
    }
    let batches: Vec<_> = table.collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(schema.fields().len());
    for (i, f) in schema.fields().iter().enumerate() {
        let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(i).as_ref()).collect();
        let whole: ArrayRef = match parts.as_slice() {
            [] => arrow::array::new_empty_array(f.data_type()),
            [one] => Arc::new(arrow::array::make_array(one.to_data())),
            many => arrow::compute::concat(many).map_err(|e| EncodeError::Input(Box::new(e)))?,
        };
        let (values, attrs) = column_values(f.name(), whole.as_ref())?;
        if let ColumnValues::Array(a) = &values {
            check_dtype(&format!("column {:?}", f.name()), a.data_type())?;
        }
        out.push(Column { name: f.name().clone(), values, attrs });
    }
    Ok(out)
}

fn write_columns(loc: hdf5_metno_sys::h5i::hid_t, columns: &[Column]) -> Result<(), EncodeError> {
    for c in columns {
        let d = match &c.values {
            ColumnValues::Array(a) => write_array(loc, &c.name, a)?,
            ColumnValues::Strings(s) => write_strings(loc, &c.name, &[s.len()], s)?,
        };
        write_attrs(d.id(), &c.attrs)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The registered encoder.

/// `application/x-hdf5` for arrays, tables, datasets and containers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hdf5Encoder;

fn run(
    params: &Params,
    out: &mut dyn Write,
    input_bytes: Option<usize>,
    f: impl FnOnce(&mut Hdf5Writer<&mut dyn Write>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let in_memory = input_bytes.is_some_and(|n| n <= clib::MEMORY_LIMIT);
    let mut w = Hdf5Options::from_params(params)?.with_in_memory(in_memory).build(out)?;
    f(&mut w)?;
    w.finish().map(|_| ())
}

fn dataset_bytes(ds: &Dataset) -> usize {
    ds.variables().map(|(_, v)| v.data.as_bytes().len()).sum()
}

fn tree_bytes(tree: &ContainerTree) -> usize {
    tree.children
        .values()
        .map(|node| match node {
            Node::Array { data, .. } => data.as_bytes().len(),
            Node::Dataset { dataset, .. } => dataset_bytes(dataset),
            Node::Table { table, .. } => table.stream().flatten().map(|b| b.get_array_memory_size()).sum(),
            Node::Container(c) => tree_bytes(c),
            _ => 0,
        })
        .sum()
}

impl ArrayEncoder for Hdf5Encoder {
    fn spec(&self) -> &'static Spec {
        &ARRAY_SPEC
    }

    fn check(&self, data_type: &DataType, shape: &[usize], params: &Params) -> Result<(), EncodeError> {
        Hdf5Options::from_params(params)?;
        check_array("the array", data_type, shape.len())
    }

    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        ArrayEncoder::check(self, array.data_type(), array.shape(), params)?;
        let a = read_all(array)?;
        run(params, out, Some(a.as_bytes().len()), |w| w.write_array(ARRAY_DATASET, &a, &Map::new()))
    }
}

impl TableEncoder for Hdf5Encoder {
    fn spec(&self) -> &'static Spec {
        &TABLE_SPEC
    }

    fn check(&self, schema: &arrow::datatypes::Schema, params: &Params) -> Result<(), EncodeError> {
        Hdf5Options::from_params(params)?;
        for f in schema.fields() {
            names::check_link("column", f.name(), &HDF5)?;
            let empty = arrow::array::new_empty_array(f.data_type());
            column_values(f.name(), empty.as_ref())?;
        }
        Ok(())
    }

    fn encode(
        &self,
        table: &mut dyn BatchStream,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        TableEncoder::check(self, &table.schema(), params)?;
        run(params, out, None, |w| w.write_table(None, table, &Map::new()))
    }
}

impl DatasetEncoder for Hdf5Encoder {
    fn spec(&self) -> &'static Spec {
        &DATASET_SPEC
    }

    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        // Everything the format refuses is found before the temporary file exists.
        Hdf5Options::from_params(params)?;
        check_encoded(&cf::encode(dataset, Profile::Hdf5, &HDF5)?)?;
        run(params, out, Some(dataset_bytes(dataset)), |w| w.write_dataset(dataset))
    }
}

impl ContainerEncoder for Hdf5Encoder {
    fn spec(&self) -> &'static Spec {
        &CONTAINER_SPEC
    }

    fn encode(&self, tree: &ContainerTree, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        Hdf5Options::from_params(params)?;
        check_tree(tree)?;
        run(params, out, Some(tree_bytes(tree)), |w| w.write_tree(tree))
    }
}
