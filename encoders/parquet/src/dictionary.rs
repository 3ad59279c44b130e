//! The `Auto` dictionary choice: which columns not to dictionary-encode.
//!
//! Parquet writers dictionary-encode every column by default and fall back to plain
//! encoding when a chunk's dictionary passes 1 MiB. A column of mostly distinct values
//! (ids, timestamps, measured floats) gains nothing from a dictionary, and with row groups
//! of 128 Ki rows an 8-byte column never reaches the fallback: the writer spends time
//! building a dictionary as large as the data and then writes it *plus* an index per value.
//! So, from the first batch, columns whose sampled values are mostly distinct are written
//! plain.

use std::collections::HashSet;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use parquet::file::properties::WriterPropertiesBuilder;
use parquet::schema::types::ColumnPath;

/// Values looked at per column.
pub(crate) const SAMPLE_ROWS: usize = 4096;

/// Fewer non-null sampled values than this decide nothing (the library's default stays).
const MIN_SAMPLE: usize = 64;

/// Turns dictionaries off for the top-level flat columns of `batch` whose first
/// [`SAMPLE_ROWS`] non-null values are more than half distinct.
pub(crate) fn plain_where_distinct(
    mut props: WriterPropertiesBuilder,
    batch: &RecordBatch,
) -> WriterPropertiesBuilder {
    for (field, col) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        if mostly_distinct(col.as_ref()) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
    }
    props
}

/// Whether the sampled non-null values of a flat column are more than half distinct.
/// Nested, boolean and already dictionary-typed columns are never "mostly distinct".
pub(crate) fn mostly_distinct(col: &dyn Array) -> bool {
    let n = col.len().min(SAMPLE_ROWS);
    let data = col.to_data();
    let values: Vec<&[u8]> = match col.data_type() {
        dt if dt.is_primitive() => {
            let (Some(width), Some(buf)) = (dt.primitive_width(), data.buffers().first()) else {
                return false;
            };
            let bytes = &buf.as_slice()[(data.offset() * width).min(buf.len())..];
            bytes
                .chunks_exact(width)
                .take(n)
                .enumerate()
                .filter(|(i, _)| col.is_valid(*i))
                .map(|(_, v)| v)
                .collect()
        }
        DataType::Utf8 => col.as_string::<i32>().iter().take(n).flatten().map(str::as_bytes).collect(),
        DataType::LargeUtf8 => col.as_string::<i64>().iter().take(n).flatten().map(str::as_bytes).collect(),
        DataType::Utf8View => col.as_string_view().iter().take(n).flatten().map(str::as_bytes).collect(),
        DataType::Binary => col.as_binary::<i32>().iter().take(n).flatten().collect(),
        DataType::LargeBinary => col.as_binary::<i64>().iter().take(n).flatten().collect(),
        DataType::BinaryView => col.as_binary_view().iter().take(n).flatten().collect(),
        DataType::FixedSizeBinary(_) => col.as_fixed_size_binary().iter().take(n).flatten().collect(),
        _ => return false,
    };
    let distinct: HashSet<&[u8]> = values.iter().copied().collect();
    values.len() >= MIN_SAMPLE && distinct.len() * 2 > values.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{BooleanArray, Float64Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn distinct_columns_are_detected() {
        assert!(mostly_distinct(&Int64Array::from_iter_values(0..10_000)));
        assert!(mostly_distinct(&Float64Array::from_iter_values((0..100).map(|i| f64::from(i).sin()))));
        assert!(!mostly_distinct(&Int64Array::from_iter_values((0..10_000).map(|i| i % 100))));
        assert!(!mostly_distinct(&StringArray::from_iter_values(
            (0..10_000).map(|i| format!("n{}", i % 1000))
        )));
        assert!(mostly_distinct(&StringArray::from_iter_values((0..10_000).map(|i| format!("n{i}")))));
        // Slices look at their own values.
        let sliced = Int64Array::from_iter_values((0..10_000).map(|i| if i < 5000 { 0 } else { i }));
        assert!(mostly_distinct(&sliced.slice(5000, 5000)));
        assert!(!mostly_distinct(&sliced.slice(0, 5000)));
        // Too few values, nulls, booleans: no decision.
        assert!(!mostly_distinct(&Int64Array::from_iter_values(0..10)));
        assert!(!mostly_distinct(&Int64Array::from(vec![None::<i64>; 1000])));
        assert!(!mostly_distinct(&BooleanArray::from(vec![true; 1000])));
        let _ = Arc::new(0);
    }
}
