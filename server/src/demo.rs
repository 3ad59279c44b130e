//! The demo tree of `tessera serve demo`: the nodes Tiled's tutorials use, at the root,
//! with deterministic data.
//!
//! Every random value comes from [`uniform`] / [`hash`] (SplitMix64 of `seed << 40 | index`),
//! so data is the same on every run and on every machine, any element can be computed
//! alone (`big_image`, 10000×10000 float64, is generated box by box and never held
//! whole), and a test in another language can recompute it (the interop suite does, with
//! numpy). The seeds and formulas below are part of the demo's contract.
//!
//! ```
//! use tessera_server::demo;
//! let root = demo::tree();
//! let node = root.lookup(&["medium_image".to_owned()]).unwrap();
//! let s = node.as_array().unwrap().structure();
//! assert_eq!((s.shape.clone(), s.chunks[0].len(), s.chunks[1].len()), (vec![1000, 1000], 4, 10));
//! let corner = node.as_array().unwrap().read_box(&[0..1, 0..1]).unwrap();
//! assert_eq!(corner.as_slice::<f64>().unwrap()[0], demo::uniform(demo::seeds::MEDIUM_IMAGE, 0));
//! ```

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampSecondArray,
    UInt8Array,
};
use arrow::datatypes::{
    DataType as ArrowType, Field as ArrowField, Schema, SchemaRef, TimeUnit as ArrowUnit,
};
use num_complex::Complex64;
use serde_json::json;
use tessera_core::array::Element;
use tessera_core::dtype::Field;
use tessera_core::table::{BatchStream, IterStream};
use tessera_core::{ArrayStructure, DataType, EncodeError, NdArray, Table, TimeUnit};

use crate::tree::{ArrayData, MemArray, MemTable, Node, TableData, XARRAY_DATASET};

/// The seeds of the demo's random data, one per node (or table column).
pub mod seeds {
    /// `tiny_image`.
    pub const TINY_IMAGE: u64 = 1;
    /// `small_image`.
    pub const SMALL_IMAGE: u64 = 2;
    /// `medium_image`.
    pub const MEDIUM_IMAGE: u64 = 3;
    /// `big_image`.
    pub const BIG_IMAGE: u64 = 4;
    /// `tiny_cube`.
    pub const TINY_CUBE: u64 = 5;
    /// `tiny_hypercube`.
    pub const TINY_HYPERCUBE: u64 = 6;
    /// `complex` (real part at even stream indices `2i`, imaginary at `2i + 1`).
    pub const COMPLEX: u64 = 7;
    /// `high_entropy`: `hash % 20 - 10`.
    pub const HIGH_ENTROPY: u64 = 8;
    /// `flat_array`.
    pub const FLAT_ARRAY: u64 = 9;
    /// `short_table` column `A`: `hash % 256`.
    pub const SHORT_A: u64 = 21;
    /// `short_table` column `B`: uniform.
    pub const SHORT_B: u64 = 22;
    /// `short_table` column `C`: three letters `'A' + (hash >> 5k) % 26`, k = 0, 1, 2.
    pub const SHORT_C: u64 = 23;
    /// `short_table` column `E`: `hash & 1 == 1`.
    pub const SHORT_E: u64 = 25;
    /// `long_table` column `A` (`B = 2A`, `C = 3A`).
    pub const LONG_A: u64 = 30;
    /// `huge_table` column `x`.
    pub const HUGE_X: u64 = 40;
    /// `xarray_dataset` variable `temperature`: `30 * uniform`.
    pub const TEMPERATURE: u64 = 50;
    /// `xarray_dataset` variable `precipitation`: `10 * uniform`.
    pub const PRECIPITATION: u64 = 51;
}

/// SplitMix64 of `seed << 40 | index` (`index < 2^40`).
pub fn hash(seed: u64, index: u64) -> u64 {
    let mut z = (seed << 40 | index).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A float64 in `[0, 1)`: the top 53 bits of [`hash`].
pub fn uniform(seed: u64, index: u64) -> f64 {
    (hash(seed, index) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Rows of `huge_table`.
pub const HUGE_TABLE_ROWS: usize = 10_000_000;
const HUGE_TABLE_PARTITIONS: usize = 100;
const HUGE_TABLE_BATCH: usize = 50_000;

/// Arrays up to this size are generated whole on first read and kept, as Tiled's demo keeps
/// all of its data in memory; larger ones (`big_image`, `tiny_hypercube`) are generated box by
/// box on every read and never held.
const MATERIALISE_BYTES: usize = 16 << 20;

/// An array computed element by element from its flat C-order index.
struct GenArray<T> {
    structure: ArrayStructure,
    value: fn(u64) -> T,
    /// The whole array, once read, when it is at most [`MATERIALISE_BYTES`].
    whole: OnceLock<NdArray>,
}

impl<T: Element> GenArray<T> {
    fn new(shape: Vec<usize>, chunk: &[usize], value: fn(u64) -> T) -> Self {
        GenArray {
            structure: ArrayStructure::regular(T::DATA_TYPE, shape, chunk),
            value,
            whole: OnceLock::new(),
        }
    }

    fn generate(&self, ranges: &[Range<usize>]) -> Result<NdArray, EncodeError> {
        let shape = &self.structure.shape;
        let out_shape: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
        let n: usize = out_shape.iter().product();
        let mut out = Vec::with_capacity(n);
        let mut strides = vec![1u64; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * shape[i + 1] as u64;
        }
        if n > 0 {
            fill(ranges, &strides, 0, self.value, &mut out);
        }
        NdArray::from_vec(out_shape, out).map_err(|e| EncodeError::Input(Box::new(e)))
    }
}

impl<T: Element> ArrayData for GenArray<T> {
    fn structure(&self) -> &ArrayStructure {
        &self.structure
    }

    fn read_box(&self, ranges: &[Range<usize>]) -> Result<NdArray, EncodeError> {
        let shape = &self.structure.shape;
        let bytes = shape.iter().try_fold(T::DATA_TYPE.itemsize(), |n, &d| n.checked_mul(d));
        let inside = ranges.len() == shape.len()
            && ranges.iter().zip(shape).all(|(r, &d)| r.start <= r.end && r.end <= d);
        if !inside || bytes.is_none_or(|b| b > MATERIALISE_BYTES) {
            return self.generate(ranges);
        }
        let whole = match self.whole.get() {
            Some(w) => w,
            None => {
                let all: Vec<Range<usize>> = shape.iter().map(|&d| 0..d).collect();
                let w = self.generate(&all)?;
                self.whole.get_or_init(|| w)
            }
        };
        // The whole array or a run of rows shares the buffer; other boxes are copied.
        Ok(crate::tree::box_of(whole, ranges))
    }
}

fn fill<T>(ranges: &[Range<usize>], strides: &[u64], base: u64, value: fn(u64) -> T, out: &mut Vec<T>) {
    match ranges.split_first() {
        None => out.push(value(base)),
        Some((r, [])) => out.extend(r.clone().map(|j| value(base + j as u64))),
        Some((r, rest)) => {
            for j in r.clone() {
                fill(rest, &strides[1..], base + j as u64 * strides[0], value, out);
            }
        }
    }
}

fn arc(n: Node) -> Arc<Node> {
    Arc::new(n)
}

fn green() -> serde_json::Value {
    json!({"animal": "cat", "color": "green"})
}

fn red() -> serde_json::Value {
    json!({"animal": "dog", "color": "red"})
}

/// The demo tree.
pub fn tree() -> Arc<Node> {
    let image = |shape: usize, chunk: usize, value: fn(u64) -> f64| {
        arc(Node::array(GenArray::new(vec![shape, shape], &[chunk, chunk], value)).with_metadata(green()))
    };
    let children: Vec<(&str, Arc<Node>)> = vec![
        (
            "short_table",
            arc(Node::table(MemTable(short_table())).with_metadata(red()).with_specs(&["dataframe"])),
        ),
        (
            "long_table",
            arc(Node::table(MemTable(long_table()))
                .with_metadata(json!({"animal": "dog", "color": "green"}))
                .with_specs(&["dataframe"])),
        ),
        (
            "wide_table",
            arc(Node::table(MemTable(wide_table())).with_metadata(red()).with_specs(&["dataframe"])),
        ),
        (
            "huge_table",
            arc(Node::table(HugeTable::new())
                .with_metadata(json!({"rows": HUGE_TABLE_ROWS, "generated": "lazily"}))
                .with_specs(&["dataframe"])),
        ),
        ("tiny_image", image(50, 50, |i| uniform(seeds::TINY_IMAGE, i))),
        ("small_image", image(300, 300, |i| uniform(seeds::SMALL_IMAGE, i))),
        (
            "medium_image",
            arc(Node::array(GenArray::new(vec![1000, 1000], &[250, 100], |i| {
                uniform(seeds::MEDIUM_IMAGE, i)
            }))
            .with_metadata(green())),
        ),
        ("big_image", image(10_000, 4096, |i| uniform(seeds::BIG_IMAGE, i))),
        (
            "tiny_cube",
            arc(Node::array(GenArray::new(vec![50; 3], &[50; 3], |i| uniform(seeds::TINY_CUBE, i)))
                .with_metadata(red())),
        ),
        (
            "tiny_hypercube",
            arc(Node::array(GenArray::new(vec![50; 5], &[27; 5], |i| uniform(seeds::TINY_HYPERCUBE, i)))
                .with_metadata(red())),
        ),
        ("scalars", arc(scalars())),
        ("structured_data", arc(structured_data())),
        (
            "complex",
            arc(Node::array(GenArray::new(vec![30, 50], &[30, 50], |i| {
                Complex64::new(uniform(seeds::COMPLEX, 2 * i), uniform(seeds::COMPLEX, 2 * i + 1))
            }))),
        ),
        (
            "low_entropy",
            arc(Node::array(GenArray::new(vec![100, 100], &[100, 100], |_| 1i32))
                .with_metadata(json!({"entropy": "low"}))),
        ),
        (
            "high_entropy",
            arc(Node::array(GenArray::new(vec![100, 100], &[100, 100], |i| {
                (hash(seeds::HIGH_ENTROPY, i) % 20) as i64 - 10
            }))
            .with_metadata(json!({"entropy": "high"}))),
        ),
        ("flat_array", arc(Node::array(GenArray::new(vec![100], &[100], |i| uniform(seeds::FLAT_ARRAY, i))))),
    ];
    arc(Node::container(children.into_iter().map(|(k, v)| (k.to_owned(), v))))
}

fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(schema.clone(), columns).expect("demo columns match their schema")
}

/// `short_table`: 100 rows of `A` uint8, `B` float64, `C` string, `D` timestamp[s]
/// (2025-01-01 plus `i` days), `E` bool.
pub fn short_table() -> Table {
    let n = 100u64;
    let schema = Arc::new(Schema::new(vec![
        ArrowField::new("A", ArrowType::UInt8, false),
        ArrowField::new("B", ArrowType::Float64, false),
        ArrowField::new("C", ArrowType::Utf8, false),
        ArrowField::new("D", ArrowType::Timestamp(ArrowUnit::Second, None), false),
        ArrowField::new("E", ArrowType::Boolean, false),
    ]));
    let letters = |i: u64| {
        let h = hash(seeds::SHORT_C, i);
        (0..3).map(|k| char::from(b'A' + ((h >> (5 * k)) % 26) as u8)).collect::<String>()
    };
    const JAN_1_2025: i64 = 1_735_689_600;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt8Array::from_iter_values((0..n).map(|i| (hash(seeds::SHORT_A, i) % 256) as u8))),
        Arc::new(Float64Array::from_iter_values((0..n).map(|i| uniform(seeds::SHORT_B, i)))),
        Arc::new(StringArray::from_iter_values((0..n).map(letters))),
        Arc::new(TimestampSecondArray::from_iter_values((0..n as i64).map(|i| JAN_1_2025 + i * 86_400))),
        Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(hash(seeds::SHORT_E, i) & 1 == 1)))),
    ];
    Table::from_batches(schema.clone(), vec![batch(&schema, columns)]).expect("one schema")
}

/// `long_table`: 100,000 rows in 5 partitions; `A` uniform, `B = 2A`, `C = 3A`.
pub fn long_table() -> Table {
    let schema = Arc::new(Schema::new(
        ["A", "B", "C"].map(|c| ArrowField::new(c, ArrowType::Float64, false)).to_vec(),
    ));
    let partitions = (0..5u64)
        .map(|p| {
            let a: Vec<f64> = (p * 20_000..(p + 1) * 20_000).map(|i| uniform(seeds::LONG_A, i)).collect();
            let scaled =
                |k: f64| Arc::new(Float64Array::from_iter_values(a.iter().map(|v| v * k))) as ArrayRef;
            vec![batch(&schema, vec![scaled(1.0), scaled(2.0), scaled(3.0)])]
        })
        .collect();
    Table::new(schema, partitions).expect("one schema")
}

/// `wide_table`: 10 rows, columns `A`..`Z` (float64), row `i` of the `k`-th column is
/// `i * (k + 1)`.
pub fn wide_table() -> Table {
    let names: Vec<String> = (b'A'..=b'Z').map(|c| char::from(c).to_string()).collect();
    let schema = Arc::new(Schema::new(
        names.iter().map(|c| ArrowField::new(c, ArrowType::Float64, false)).collect::<Vec<_>>(),
    ));
    let columns = (0..26)
        .map(|k| Arc::new(Float64Array::from_iter_values((0..10).map(|i| (i * (k + 1)) as f64))) as ArrayRef)
        .collect();
    Table::from_batches(schema.clone(), vec![batch(&schema, columns)]).expect("one schema")
}

/// `huge_table`: 10 million rows generated on demand (`i` int64 = row number, `x` =
/// `uniform(HUGE_X, i)`, `label` = `"row-<i>"`), in 100 partitions.
pub struct HugeTable {
    schema: SchemaRef,
}

impl HugeTable {
    fn new() -> Self {
        HugeTable {
            schema: Arc::new(Schema::new(vec![
                ArrowField::new("i", ArrowType::Int64, false),
                ArrowField::new("x", ArrowType::Float64, false),
                ArrowField::new("label", ArrowType::Utf8, false),
            ])),
        }
    }
}

impl TableData for HugeTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn npartitions(&self) -> usize {
        HUGE_TABLE_PARTITIONS
    }
    fn partition(&self, i: usize) -> Box<dyn BatchStream> {
        let per = HUGE_TABLE_ROWS / HUGE_TABLE_PARTITIONS;
        let (start, end) = (i * per, ((i + 1) * per).min(HUGE_TABLE_ROWS));
        let schema = self.schema.clone();
        let batches = (start..end).step_by(HUGE_TABLE_BATCH).map(move |from| {
            let rows = from as i64..(from + HUGE_TABLE_BATCH).min(end) as i64;
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from_iter_values(rows.clone())),
                    Arc::new(Float64Array::from_iter_values(
                        rows.clone().map(|r| uniform(seeds::HUGE_X, r as u64)),
                    )),
                    Arc::new(StringArray::from_iter_values(rows.map(|r| format!("row-{r}")))),
                ],
            )
        });
        Box::new(IterStream::new(self.schema.clone(), batches))
    }
    fn byte_size(&self) -> u64 {
        // int64 + float64 + about 11 bytes of label and a 4-byte offset per row.
        HUGE_TABLE_ROWS as u64 * 31
    }
}

fn unicode(chars: usize, values: &[&str]) -> NdArray {
    let mut bytes = Vec::with_capacity(values.len() * chars * 4);
    for v in values {
        let mut n = 0;
        for c in v.chars().take(chars) {
            bytes.extend_from_slice(&(c as u32).to_le_bytes());
            n += 1;
        }
        bytes.resize(bytes.len() + (chars - n) * 4, 0);
    }
    let shape = if values.len() == 1 { vec![] } else { vec![values.len()] };
    NdArray::new(DataType::Unicode(chars), shape, bytes).expect("sizes match")
}

/// `scalars`: `pi` (float64, 0-d), `fortytwo` (int64, 0-d), `fsc` (`<U5` "1/137", 0-d),
/// `e_arr` (`<U7`, shape (1,), "2.71828").
fn scalars() -> Node {
    let scalar = |a: NdArray| arc(Node::array(MemArray::new(a)));
    let e_arr = unicode(7, &["2.71828"]).reshape(vec![1]).expect("one element");
    Node::container([
        ("pi".to_owned(), scalar(NdArray::from_vec(vec![], vec![std::f64::consts::PI]).expect("0-d"))),
        ("fortytwo".to_owned(), scalar(NdArray::from_vec(vec![], vec![42i64]).expect("0-d"))),
        ("fsc".to_owned(), scalar(unicode(5, &["1/137"]))),
        ("e_arr".to_owned(), scalar(e_arr)),
    ])
    .with_metadata(json!({"numbers": "constants", "precision": 5}))
}

/// The structured dtype of `pets`: `name <U10, age <i4, weight <f4` (48 bytes).
pub fn pets_dtype() -> DataType {
    DataType::Record {
        fields: vec![
            Field { name: "name".into(), data_type: DataType::Unicode(10), offset: 0 },
            Field { name: "age".into(), data_type: DataType::Int32, offset: 40 },
            Field { name: "weight".into(), data_type: DataType::Float32, offset: 44 },
        ],
        itemsize: 48,
    }
}

fn pets() -> NdArray {
    let mut bytes = Vec::new();
    for (name, age, weight) in [("Rex", 9i32, 81.0f32), ("Fido", 3, 27.0)] {
        bytes.extend_from_slice(unicode(10, &[name]).as_bytes());
        bytes.extend_from_slice(&age.to_le_bytes());
        bytes.extend_from_slice(&weight.to_le_bytes());
    }
    NdArray::new(pets_dtype(), vec![2], bytes).expect("two 48-byte records")
}

/// `structured_data`: `pets` and the xarray dataset `xarray_dataset`.
fn structured_data() -> Node {
    Node::container([
        ("pets".to_owned(), arc(Node::array(MemArray::new(pets())))),
        ("xarray_dataset".to_owned(), arc(xarray_dataset())),
    ])
    .with_metadata(green())
}

fn variable(data: NdArray, dims: &[&str], spec: &str) -> Arc<Node> {
    let mut structure = ArrayStructure::single_chunk(data.data_type().clone(), data.shape().to_vec());
    structure.dims = Some(dims.iter().map(|d| (*d).to_owned()).collect());
    arc(Node::array(MemArray::with_structure(data, structure))
        .with_metadata(json!({"attrs": {}}))
        .with_specs(&[spec]))
}

/// `xarray_dataset`: `temperature` and `precipitation` (2, 2, 3) over `x, y, time`,
/// coordinates `lon`, `lat` (2, 2) over `x, y` and `time` (datetime64[ns], 2014-09-06..08).
fn xarray_dataset() -> Node {
    let field = |seed: u64, scale: f64| {
        NdArray::from_vec(vec![2, 2, 3], (0..12).map(|i| scale * uniform(seed, i)).collect())
            .expect("12 values")
    };
    let grid = |v: [f64; 4]| NdArray::from_vec(vec![2, 2], v.to_vec()).expect("4 values");
    const DAY_NS: i64 = 86_400_000_000_000;
    const SEP_6_2014_NS: i64 = 1_409_961_600_000_000_000;
    let times: Vec<u8> = (0..3).flat_map(|d| (SEP_6_2014_NS + d * DAY_NS).to_le_bytes()).collect();
    let time = NdArray::new(DataType::Datetime64(TimeUnit::Nanosecond), vec![3], times).expect("3 values");
    Node::container([
        (
            "temperature".to_owned(),
            variable(field(seeds::TEMPERATURE, 30.0), &["x", "y", "time"], "xarray_data_var"),
        ),
        (
            "precipitation".to_owned(),
            variable(field(seeds::PRECIPITATION, 10.0), &["x", "y", "time"], "xarray_data_var"),
        ),
        ("lon".to_owned(), variable(grid([-99.83, -99.32, -99.79, -99.23]), &["x", "y"], "xarray_coord")),
        ("lat".to_owned(), variable(grid([42.25, 42.21, 42.63, 42.59]), &["x", "y"], "xarray_coord")),
        ("time".to_owned(), variable(time, &["time"], "xarray_coord")),
    ])
    .with_metadata(json!({"attrs": {}}))
    .with_specs(&[XARRAY_DATASET])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_stable() {
        // Pinned: the interop suite recomputes these with numpy.
        assert_eq!(hash(0, 0), 0xE220_A839_7B1D_CDAF);
        assert!((0.0..1.0).contains(&uniform(3, 12345)));
    }

    #[test]
    fn big_image_reads_any_box_without_materialising() {
        let root = tree();
        let big = root.lookup(&["big_image".into()]).unwrap();
        let data = big.as_array().unwrap();
        assert_eq!(data.structure().chunks[0], vec![4096, 4096, 1808]);
        let b = data.read_box(&[9999..10_000, 9998..10_000]).unwrap();
        let want = [uniform(seeds::BIG_IMAGE, 99_999_998), uniform(seeds::BIG_IMAGE, 99_999_999)];
        assert_eq!(b.as_slice::<f64>().unwrap(), &want);
    }

    #[test]
    fn moderate_arrays_are_generated_once_and_read_as_boxes() {
        let root = tree();
        let medium = root.lookup(&["medium_image".into()]).unwrap();
        let data = medium.as_array().unwrap();
        let whole = data.read_box(&[0..1000, 0..1000]).unwrap();
        let again = data.read_box(&[0..1000, 0..1000]).unwrap();
        assert_eq!(whole.as_bytes().as_ptr(), again.as_bytes().as_ptr(), "kept, not generated again");
        // A run of rows is a view of the kept array; any other box a copy; both exact.
        let rows = data.read_box(&[10..12, 0..1000]).unwrap();
        assert_eq!(rows.as_bytes().as_ptr(), whole.as_bytes()[10 * 1000 * 8..].as_ptr());
        let b = data.read_box(&[3..5, 998..1000]).unwrap();
        let want: Vec<f64> =
            [3998, 3999, 4998, 4999].iter().map(|&i| uniform(seeds::MEDIUM_IMAGE, i)).collect();
        assert_eq!(b.as_slice::<f64>().unwrap(), &want[..]);
        assert_eq!(rows.as_slice::<f64>().unwrap()[1000], uniform(seeds::MEDIUM_IMAGE, 11_000));
        // Out of bounds (callers check first) goes to the generator, which cannot panic.
        let _ = data.read_box(&[999..1001, 0..1]);
    }

    #[test]
    fn tables_and_scalars() {
        let t = short_table();
        assert_eq!(t.num_rows(), 100);
        assert_eq!(long_table().npartitions(), 5);
        assert_eq!(long_table().num_rows(), 100_000);
        let h = HugeTable::new();
        let rows: usize = h.partition(99).map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 100_000);
        let root = tree();
        let fsc = root.lookup(&["scalars".into(), "fsc".into()]).unwrap();
        let a = fsc.as_array().unwrap().read_box(&[]).unwrap();
        assert_eq!(a.cell(0), tessera_core::Cell::Str("1/137".into()));
        let pets = root.lookup(&["structured_data".into(), "pets".into()]).unwrap();
        assert_eq!(pets.as_array().unwrap().structure().data_type.itemsize(), 48);
    }
}
