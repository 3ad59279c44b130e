//! The `Auto` dictionary choice: which columns not to dictionary-encode.
//!
//! Parquet writers dictionary-encode every column by default and fall back to plain
//! encoding when a chunk's dictionary passes 1 MiB. A column of mostly distinct values
//! (ids, timestamps, measured floats) gains nothing from a dictionary, and with row groups
//! of 128 Ki rows an 8-byte column never reaches the fallback: the writer spends time
//! building a dictionary as large as the data and then writes it *plus* an index per value.
//! So, from the first batch, columns whose sampled values are mostly distinct are written
//! plain.
//!
//! The `Auto` integer encoding, in the same way: integer-like columns (integers, dates,
//! times, timestamps, durations) whose consecutive sampled values differ by a narrow range
//! (ids, sorted keys, regular timestamps) are written `DELTA_BINARY_PACKED`. Such a column
//! then takes a few bits per value instead of 4 or 8 bytes, and, on T1, encoding it is
//! about twice as fast as plain encoding followed by snappy, which finds little to
//! compress in 8-byte counters.

use std::collections::HashSet;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use parquet::basic::Encoding;
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

/// Sets `DELTA_BINARY_PACKED` for the top-level integer-like columns of `batch` whose
/// sampled deltas are [narrow](narrow_deltas), or for all of them when `always`.
pub(crate) fn delta_where_narrow(
    mut props: WriterPropertiesBuilder,
    batch: &RecordBatch,
    always: bool,
) -> WriterPropertiesBuilder {
    let fields = batch.schema_ref().fields();
    for (field, col) in fields.iter().zip(batch.columns()) {
        // Properties are keyed by column path: a name that two top-level columns share
        // would give the encoding to both, and the library cannot delta-encode floats.
        let shared = fields.iter().filter(|f| f.name() == field.name()).count() > 1;
        if !shared && integer_bits(col.data_type()).is_some() && (always || narrow_deltas(col.as_ref())) {
            props = props
                .set_column_encoding(ColumnPath::from(field.name().as_str()), Encoding::DELTA_BINARY_PACKED);
        }
    }
    props
}

/// The Parquet physical width (32 or 64 bits) of a type stored as Parquet integers, which
/// `DELTA_BINARY_PACKED` can encode.
pub(crate) fn integer_bits(dt: &DataType) -> Option<u32> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::Date32
        | DataType::Time32(_) => Some(32),
        DataType::Int64
        | DataType::UInt64
        | DataType::Date64
        | DataType::Time64(_)
        | DataType::Timestamp(..)
        | DataType::Duration(_) => Some(64),
        _ => None,
    }
}

/// Whether the differences between consecutive sampled non-null values of an
/// integer-like column span fewer than half the bits of its Parquet width: then
/// `DELTA_BINARY_PACKED` (which stores each delta in the bits of its miniblock's range)
/// at least halves the column. Fewer than 64 sampled values decide nothing.
pub(crate) fn narrow_deltas(col: &dyn Array) -> bool {
    let (Some(bits), Some(width)) = (integer_bits(col.data_type()), col.data_type().primitive_width()) else {
        return false;
    };
    let data = col.to_data();
    let Some(buf) = data.buffers().first() else {
        return false;
    };
    let unsigned = col.data_type().is_unsigned_integer();
    let bytes = &buf.as_slice()[(data.offset() * width).min(buf.len())..];
    let values = bytes
        .chunks_exact(width)
        .take(col.len().min(SAMPLE_ROWS))
        .enumerate()
        .filter(|(i, _)| col.is_valid(*i))
        .map(|(_, v)| {
            let mut le = [0u8; 8];
            le[..width].copy_from_slice(v);
            let x = u64::from_le_bytes(le);
            // Sign-extend signed narrow values; unsigned 64-bit values are taken as the
            // encoder takes them, as i64 bit patterns.
            let shift = 64 - 8 * width as u32;
            if unsigned { x as i64 as i128 } else { ((x << shift) as i64 >> shift) as i128 }
        });
    let (mut prev, mut lo, mut hi, mut n) = (None::<i128>, i128::MAX, i128::MIN, 0usize);
    for v in values {
        if let Some(p) = prev {
            let d = v - p;
            lo = lo.min(d);
            hi = hi.max(d);
        }
        prev = Some(v);
        n += 1;
    }
    n >= MIN_SAMPLE && hi - lo < 1i128 << (bits / 2)
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

    #[test]
    fn narrow_deltas_are_detected() {
        use arrow::array::{Int8Array, TimestampMicrosecondArray, UInt64Array};
        assert!(narrow_deltas(&Int64Array::from_iter_values(0..10_000)));
        assert!(narrow_deltas(&Int64Array::from_iter_values((0..10_000).rev().map(|i| i * 1000 - 7))));
        assert!(narrow_deltas(&TimestampMicrosecondArray::from_iter_values(
            (0..10_000).map(|i| 1_577_836_800_000_000 + i * 1_000_000)
        )));
        // Random-looking values: deltas as wide as the values.
        assert!(!narrow_deltas(&Int64Array::from_iter_values(
            (0..10_000i64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15u64 as i64))
        )));
        // Signed and unsigned narrow types are extended correctly.
        assert!(narrow_deltas(&Int8Array::from_iter_values((0..1000).map(|i| (i % 200 - 100) as i8))));
        assert!(narrow_deltas(&UInt64Array::from_iter_values((0..1000).map(|i| u64::MAX - i))));
        // Nulls are skipped; too few values, floats and strings decide nothing.
        let with_nulls: Int64Array = (0..1000).map(|i| (i % 2 == 0).then_some(i)).collect();
        assert!(narrow_deltas(&with_nulls));
        assert!(!narrow_deltas(&Int64Array::from_iter_values(0..10)));
        assert!(!narrow_deltas(&Float64Array::from_iter_values((0..1000).map(f64::from))));
        assert!(!narrow_deltas(&StringArray::from_iter_values((0..1000).map(|i| i.to_string()))));
    }
}
