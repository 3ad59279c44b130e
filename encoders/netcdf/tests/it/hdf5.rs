//! HDF5: read back with `hdf5-metno` (libhdf5's own reader), layout checks, refusals and
//! temporary-file cleanup.

use std::io::Write;

use hdf5_metno::types::{FixedAscii, VarLenUnicode};
use hdf5_metno::{Dataset as H5Dataset, File, H5Type};
use serde_json::{Map, json};
use tessera_core::container::{ContainerTree, Node, NodeInfo};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::{
    ArrayEncoder, ContainerEncoder, DataType, DatasetEncoder, EncodeError, Field, NdArray, Params,
    TableEncoder,
};
use tessera_netcdf::{Hdf5Encoder, Hdf5Options, JSON_ATTRS};

use crate::fixtures;

/// An encoded file, kept on disk for the reader.
pub struct Opened {
    _tmp: tempfile::NamedTempFile,
    pub file: File,
}

pub fn open(bytes: &[u8]) -> Opened {
    assert_eq!(&bytes[..8], b"\x89HDF\r\n\x1a\n");
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(bytes).unwrap();
    let file = File::open(tmp.path()).unwrap();
    Opened { _tmp: tmp, file }
}

fn text(obj: &hdf5_metno::Location, name: &str) -> String {
    obj.attr(name).unwrap().read_scalar::<VarLenUnicode>().unwrap().as_str().to_owned()
}

/// Member names, sorted (h5py lists them in creation order; hdf5-metno in its own).
fn members(g: &hdf5_metno::Group) -> Vec<String> {
    let mut names = g.member_names().unwrap();
    names.sort();
    names
}

fn opaque_tag(d: &H5Dataset) -> String {
    let t = d.dtype().unwrap();
    // SAFETY: reading the tag of a live type; the library returns a malloc'd C string.
    unsafe {
        let p = hdf5_metno_sys::h5t::H5Tget_tag(t.id());
        assert!(!p.is_null(), "{} is not opaque", d.name());
        let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
        hdf5_metno_sys::h5::H5free_memory(p.cast());
        s
    }
}

fn dataset_bytes(ds: &Dataset) -> Vec<u8> {
    let mut out = Vec::new();
    DatasetEncoder::encode(&Hdf5Encoder, ds, &Params::new(), &mut out).unwrap();
    out
}

fn tree_bytes(t: &ContainerTree) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    ContainerEncoder::encode(&Hdf5Encoder, t, &Params::new(), &mut out)?;
    Ok(out)
}

#[test]
fn d1_has_variables_and_dimension_scales() {
    let ds = tessera_testkit::workloads::d1();
    let o = open(&dataset_bytes(&ds));
    let a = o.file.dataset("a").unwrap();
    assert_eq!(a.shape(), vec![1000, 1000]);
    assert_eq!(a.read_raw::<f64>().unwrap(), ds.data_vars["a"].data.as_slice::<f64>().unwrap());
    assert_eq!(
        o.file.dataset("b").unwrap().read_raw::<f64>().unwrap(),
        ds.data_vars["b"].data.as_slice::<f64>().unwrap()
    );
    let time = o.file.dataset("time").unwrap();
    assert_eq!(time.read_raw::<i64>().unwrap(), (0..1000).collect::<Vec<i64>>());
    assert_eq!(text(&time, "units"), "seconds since 2020-01-01 00:00:00");
    // `time` is its own dimension scale; `x` has no coordinate: a placeholder scale marked
    // as netCDF-4 marks it; `a` lists its scales.
    assert_eq!(
        time.attr("CLASS").unwrap().read_scalar::<FixedAscii<16>>().unwrap().as_str(),
        "DIMENSION_SCALE"
    );
    let x = o.file.dataset("x").unwrap();
    assert_eq!(x.shape(), vec![1000]);
    let name = x.attr("NAME").unwrap().read_scalar::<FixedAscii<64>>().unwrap();
    assert!(
        name.as_str().starts_with("This is a netCDF dimension but not a netCDF variable."),
        "{}",
        name.as_str()
    );
    assert_eq!(a.attr("DIMENSION_LIST").unwrap().shape(), vec![2]);
    assert_eq!(members(&o.file), ["a", "b", "time", "x"]);
}

#[derive(H5Type, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct C128 {
    r: f64,
    i: f64,
}

#[derive(H5Type, Clone, Debug)]
#[repr(C)]
struct Pet {
    name: VarLenUnicode,
    age: i32,
    weight: f32,
}

#[test]
fn demo_tree_reads_back_with_its_layout() {
    let o = open(&tree_bytes(&fixtures::demo_tree()).unwrap());
    let f = &o.file;
    assert_eq!(text(f, "title"), "demo");
    assert_eq!(f.attr("version").unwrap().read_scalar::<i64>().unwrap(), 2);
    assert_eq!(members(f), ["dtypes", "meta", "nested", "scalars", "structured_data", "tables"]);
    let scalars = f.group("scalars").unwrap();
    assert_eq!(text(&scalars, "numbers"), "constants");
    assert_eq!(scalars.dataset("pi").unwrap().read_scalar::<f64>().unwrap(), std::f64::consts::PI);
    assert_eq!(scalars.dataset("fortytwo").unwrap().read_scalar::<i64>().unwrap(), 42);
    assert_eq!(scalars.dataset("fsc").unwrap().read_scalar::<VarLenUnicode>().unwrap().as_str(), "1/137");
    let img = f.dataset("nested/tiny_image").unwrap();
    assert_eq!(img.shape(), vec![50, 50]);
    assert_eq!(img.read_raw::<f64>().unwrap()[1], 1f64.sin());
    assert_eq!(text(&img, "units"), "counts");
    let tags = img.attr("tags").unwrap().read_raw::<VarLenUnicode>().unwrap();
    assert_eq!(tags.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(img.attr("shape").unwrap().read_raw::<i64>().unwrap(), [50, 50]);
    let z = f.dataset("nested/complex").unwrap().read_raw::<C128>().unwrap();
    assert_eq!(z[5], C128 { r: 5.0, i: -5.0 });

    // Every dtype, natively.
    let d = |n: &str| f.dataset(&format!("dtypes/{n}")).unwrap();
    assert_eq!(d("bool").read_raw::<bool>().unwrap(), [true, false, true]);
    assert_eq!(d("int64").read_raw::<i64>().unwrap(), [-5, 0, i64::from(i32::MAX)]);
    assert_eq!(d("uint64").read_raw::<u64>().unwrap(), [0, 4_000_000_000, 1]);
    assert_eq!(d("uint8").read_raw::<u8>().unwrap(), [0, 200, 255]);
    let half = d("float16").read_raw::<f32>().unwrap(); // libhdf5 converts half → float
    assert_eq!((half[0], half[1].is_nan(), half[2]), (0.5, true, 65504.0));
    assert_eq!(d("float32").read_raw::<f32>().unwrap()[0], 0.1);
    assert_eq!(opaque_tag(&d("datetime")), "NUMPY:<M8[s]");
    assert_eq!(opaque_tag(&d("timedelta")), "NUMPY:<m8[ms]");
    let u = d("unicode").read_raw::<VarLenUnicode>().unwrap();
    assert_eq!(u.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["a", "é名🙂", ""]);
    let b = d("bytes").read_raw::<FixedAscii<3>>().unwrap();
    assert_eq!(b.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["ab", "", "xyz"]);
    assert_eq!(d("empty").shape(), vec![0, 3]);
    assert_eq!(text(&d("int8"), "dtype"), "int8");

    // Records: a compound with the same fields (unicode as variable-length UTF-8).
    let pets = f.dataset("structured_data/pets").unwrap().read_raw::<Pet>().unwrap();
    assert_eq!((pets[0].name.as_str(), pets[0].age, pets[0].weight), ("Rex", 9, 81.0));
    assert_eq!(pets[1].name.as_str(), "Fido");

    // The xarray dataset: a group laid out like the dataset export.
    let xds = f.group("structured_data/xarray_dataset").unwrap();
    assert!(xds.attr_names().unwrap().is_empty(), "its attrs are empty; `attrs` is not copied as a key");
    let time = xds.dataset("time").unwrap();
    assert_eq!(time.read_raw::<i64>().unwrap(), [0, 1, 2]);
    assert_eq!(text(&time, "units"), "days since 2014-09-06 00:00:00");
    assert_eq!(text(&xds.dataset("temperature").unwrap(), "coordinates"), "lat lon");

    // Tables: a group with one 1-D dataset per column.
    let t = f.group("tables/short_table").unwrap();
    assert_eq!(text(&t, "color"), "red");
    assert_eq!(members(&t), ["A", "B", "C", "D", "E"]);
    assert_eq!(t.dataset("A").unwrap().read_raw::<u8>().unwrap(), [0, 1, 2, 3, 4]);
    assert_eq!(t.dataset("B").unwrap().shape(), vec![5]);
    let c = t.dataset("C").unwrap().read_raw::<VarLenUnicode>().unwrap();
    assert_eq!(c[2].as_str(), "HÉHÉ");
    assert_eq!(opaque_tag(&t.dataset("D").unwrap()), "NUMPY:<M8[s]");
    assert_eq!(t.dataset("E").unwrap().read_raw::<bool>().unwrap(), [true, false, true, false, true]);

    // Metadata HDF5 cannot hold natively is JSON text, listed in `tessera_json_attrs`.
    let meta = f.dataset("meta").unwrap();
    assert_eq!(text(&meta, "nested"), r#"{"a":{"b":[1,2]}}"#);
    assert_eq!(text(&meta, "mixed"), r#"[1,"two"]"#);
    assert_eq!(text(&meta, "none"), "null");
    assert_eq!(text(&meta, JSON_ATTRS), r#"["nested","mixed","none","empty"]"#);
    assert_eq!(meta.attr("flags").unwrap().read_raw::<bool>().unwrap(), [true, false]);
    assert_eq!(meta.attr("big").unwrap().read_scalar::<u64>().unwrap(), u64::MAX);
    assert_eq!(text(&meta, "text"), "é名🙂");
}

#[test]
fn array_and_table_exports() {
    let mut out = Vec::new();
    ArrayEncoder::encode(&Hdf5Encoder, &fixtures::pets(), &Params::new(), &mut out).unwrap();
    let o = open(&out);
    assert_eq!(o.file.member_names().unwrap(), [tessera_netcdf::ARRAY_DATASET]);
    assert_eq!(o.file.dataset("data").unwrap().read_raw::<Pet>().unwrap()[1].age, 3);

    let mut out = Vec::new();
    TableEncoder::encode(&Hdf5Encoder, &mut fixtures::short_table().stream(), &Params::new(), &mut out)
        .unwrap();
    let o = open(&out);
    assert_eq!(members(&o.file), ["A", "B", "C", "D", "E"]);
    assert_eq!(o.file.dataset("B").unwrap().read_raw::<f64>().unwrap(), [0.0, 0.25, 0.5, 0.75, 1.0]);
}

#[test]
fn nullable_and_odd_columns() {
    use arrow::array::{Array, Int32Array, ListArray, RecordBatch, StringArray};
    use arrow::datatypes::{DataType as A, Field as F, Int32Type, Schema};
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(vec![F::new("i", A::Int32, true), F::new("s", A::Utf8, true)]));
    let b1 = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from(vec![Some(1), None])),
            Arc::new(StringArray::from(vec![Some("a"), None])),
        ],
    )
    .unwrap();
    let b2 = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int32Array::from(vec![Some(3)])), Arc::new(StringArray::from(vec!["é"]))],
    )
    .unwrap();
    let t = tessera_core::Table::from_batches(schema, vec![b1, b2]).unwrap();
    let mut out = Vec::new();
    TableEncoder::encode(&Hdf5Encoder, &mut t.stream(), &Params::new(), &mut out).unwrap();
    let o = open(&out);
    let i = o.file.dataset("i").unwrap().read_raw::<f64>().unwrap();
    assert_eq!((i[0], i[1].is_nan(), i[2]), (1.0, true, 3.0), "integers with nulls become float64 with NaN");
    let s = o.file.dataset("s").unwrap().read_raw::<VarLenUnicode>().unwrap();
    assert_eq!(s.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["a", "", "é"]);

    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)])]);
    let schema = Arc::new(Schema::new(vec![F::new("l", list.data_type().clone(), true)]));
    let t = tessera_core::Table::from_batches(
        schema.clone(),
        vec![RecordBatch::try_new(schema.clone(), vec![Arc::new(list)]).unwrap()],
    )
    .unwrap();
    let err = TableEncoder::check(&Hdf5Encoder, &schema, &Params::new()).unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
    let err =
        TableEncoder::encode(&Hdf5Encoder, &mut t.stream(), &Params::new(), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("column \"l\""), "{err}");
}

fn node(data: NdArray) -> Node {
    Node::Array { info: NodeInfo::default(), data, dims: None }
}

#[test]
fn refusals_are_typed_and_write_nothing() {
    let mut t = ContainerTree::default();
    t.children.insert("a/b".into(), node(NdArray::zeros(DataType::Int8, vec![1]).unwrap()));
    let overlapping = DataType::Record {
        fields: vec![
            Field { name: "x".into(), data_type: DataType::Int32, offset: 0 },
            Field { name: "y".into(), data_type: DataType::Int32, offset: 2 },
        ],
        itemsize: 8,
    };
    let mut t2 = ContainerTree::default();
    t2.children.insert("r".into(), node(NdArray::zeros(overlapping.clone(), vec![1]).unwrap()));
    let mut t3 = ContainerTree::default();
    let mut ds = Dataset::default();
    let mut v = Variable::new(vec!["n".into()], NdArray::zeros(DataType::Float64, vec![2]).unwrap());
    v.attrs.insert("DIMENSION_LIST".into(), json!("x"));
    ds.add_data_var("v", v).unwrap();
    t3.children.insert("ds".into(), Node::Dataset { info: NodeInfo::default(), dataset: ds });
    for tree in [t, t2, t3] {
        let mut out = Vec::new();
        let err = ContainerEncoder::encode(&Hdf5Encoder, &tree, &Params::new(), &mut out).unwrap_err();
        assert!(matches!(err, EncodeError::Unsupported { .. }), "{err}");
        assert!(out.is_empty());
    }
    assert!(ArrayEncoder::check(&Hdf5Encoder, &overlapping, &[1], &Params::new()).is_err());
    assert!(ArrayEncoder::check(&Hdf5Encoder, &DataType::Float64, &[1; 33], &Params::new()).is_err());
    let err = ArrayEncoder::check(&Hdf5Encoder, &DataType::Float64, &[1], &Params::new().with("x", "1"))
        .unwrap_err();
    assert!(matches!(err, EncodeError::InvalidOption { .. }));
}

fn entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

struct Broken;
impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client left"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_temporary_file_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Hdf5Options::default().with_temp_dir(dir.path());
    // Success.
    let mut w = opts.clone().build(Vec::new()).unwrap();
    assert_eq!(entries(dir.path()), 1, "the file is written in the temporary directory");
    w.write_tree(&fixtures::demo_tree()).unwrap();
    w.write_dataset(&fixtures::demo_dataset()).unwrap();
    let bytes = w.finish().unwrap();
    assert!(!bytes.is_empty());
    assert_eq!(entries(dir.path()), 0);
    // A refusal after the file exists, then the writer is dropped.
    let mut w = opts.clone().build(Vec::new()).unwrap();
    w.write_array("x", &NdArray::zeros(DataType::Int8, vec![1]).unwrap(), &Map::new()).unwrap();
    assert!(w.write_array("x", &NdArray::zeros(DataType::Int8, vec![1]).unwrap(), &Map::new()).is_err());
    drop(w);
    assert_eq!(entries(dir.path()), 0);
    // The sink fails while the finished file streams out.
    let mut w = opts.build(Broken).unwrap();
    w.write_dataset(&tessera_testkit::workloads::d1()).unwrap();
    assert!(matches!(w.finish(), Err(EncodeError::Io(_))));
    assert_eq!(entries(dir.path()), 0);
}

#[test]
fn memory_and_temp_file_agree() {
    let via = |in_memory: bool| {
        let mut w = Hdf5Options::default().with_in_memory(in_memory).build(Vec::new()).unwrap();
        w.write_tree(&fixtures::demo_tree()).unwrap();
        w.finish().unwrap()
    };
    let (mem, file) = (open(&via(true)), open(&via(false)));
    assert_eq!(members(&mem.file), members(&file.file));
    let pets = |o: &Opened| o.file.dataset("structured_data/pets").unwrap().read_raw::<Pet>().unwrap()[1].age;
    assert_eq!(pets(&mem), pets(&file));
}
