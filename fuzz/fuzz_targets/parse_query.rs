//! The query parsers the server feeds with client input: numpy slices (`slice=`) resolved
//! against a shape and applied, `block=`, `expected_shape=`, SQL row filters (`where=`)
//! against a fixed schema and applied to a batch, media ranges, and format negotiation.
//! None may panic, whatever the text.
#![no_main]

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef};
use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tessera_core::array::ArrayStructure;
use tessera_core::filter::RowFilter;
use tessera_core::media::parse_media_range;
use tessera_core::slice::{SliceSpec, parse_block, parse_expected_shape};
use tessera_core::{DataType, Family, NdArray, Registry};

#[derive(Debug, Arbitrary)]
struct Query {
    slice: String,
    shape: Vec<u8>,
    chunk: Vec<u8>,
    block: String,
    expected_shape: String,
    filter: String,
    media_range: String,
    format: Option<String>,
    accept: Option<String>,
    family: u8,
}

fn batch() -> &'static RecordBatch {
    static BATCH: OnceLock<RecordBatch> = OnceLock::new();
    BATCH.get_or_init(|| {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("id", ArrowType::Int64, false),
            Field::new("x", ArrowType::Float64, true),
            Field::new("name", ArrowType::Utf8, true),
            Field::new("flag", ArrowType::Boolean, true),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![0, 1, -2, i64::MAX])),
            Arc::new(Float64Array::from(vec![Some(0.5), None, Some(f64::NAN), Some(-1e300)])),
            Arc::new(StringArray::from(vec![Some("a"), Some("ünï"), None, Some("")])),
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false), Some(true)])),
        ];
        RecordBatch::try_new(schema, cols).expect("columns match")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = Query::arbitrary(&mut Unstructured::new(data)) else { return };

    // Slices: small shapes (at most 4 dims of at most 7) so applying stays cheap.
    let shape: Vec<usize> = q.shape.iter().take(4).map(|&d| usize::from(d % 8)).collect();
    if let Ok(spec) = SliceSpec::parse(&q.slice) {
        if let Ok(sel) = spec.resolve(&shape) {
            let n = shape.iter().product::<usize>();
            let a = NdArray::from_vec(shape.clone(), (0..n as i32).collect()).expect("shape matches");
            let out = sel.apply(&a);
            assert_eq!(out.shape(), sel.output_shape().as_slice());
        }
    }
    // One chunk length per dimension (`regular` expects as many as the shape has).
    let chunk: Vec<usize> =
        (0..shape.len()).map(|i| usize::from(q.chunk.get(i).copied().unwrap_or(1))).collect();
    let structure = ArrayStructure::regular(DataType::Float64, shape.clone(), &chunk);
    if let Ok(index) = parse_block(&q.block, &structure) {
        assert_eq!(index.len(), shape.len());
    }
    let _ = parse_expected_shape(&q.expected_shape);

    let b = batch();
    if let Ok(filter) = RowFilter::parse(&q.filter, b.schema_ref()) {
        if let Ok(rows) = filter.apply(b) {
            assert!(rows.num_rows() <= b.num_rows());
        }
    }

    let _ = parse_media_range(&q.media_range);
    let family = Family::ALL[usize::from(q.family) % Family::ALL.len()];
    let reg = Registry::global().expect("the raw encoders are always registered");
    if let Ok((enc, _params)) = reg.negotiate(family, q.format.as_deref(), q.accept.as_deref()) {
        assert_eq!(enc.spec().family, family);
    }
});
