//! Tables: an Arrow schema plus a stream of record batches.
//!
//! Encoders consume a [`BatchStream`] one batch at a time, so a table of any size exports
//! in memory bounded by the batch size. [`Table`] is the in-memory form (partitions of
//! batches); [`Projected`] and [`Filtered`] wrap any stream to select columns and rows
//! without materialising it.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_core::table::{BatchStream, Table};
//!
//! let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap();
//! let table = Table::new(schema, vec![vec![batch]]).unwrap();
//! let mut stream = table.stream();
//! assert_eq!(stream.next().unwrap().unwrap().num_rows(), 3);
//! assert!(stream.next().is_none());
//! ```

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::error::FilterError;
use crate::filter::RowFilter;

/// A stream of record batches of one schema.
///
/// Every batch has exactly [`BatchStream::schema`]. Errors end the stream.
pub trait BatchStream: Iterator<Item = Result<RecordBatch, ArrowError>> + Send {
    /// The schema of every batch.
    fn schema(&self) -> SchemaRef;
}

/// A [`BatchStream`] over any iterator of batches.
pub struct IterStream<I> {
    schema: SchemaRef,
    inner: I,
}

impl<I> IterStream<I>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>> + Send,
{
    /// Wraps `inner`, whose batches must all have `schema`.
    pub fn new(schema: SchemaRef, inner: I) -> Self {
        IterStream { schema, inner }
    }
}

impl<I> Iterator for IterStream<I>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>> + Send,
{
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl<I> BatchStream for IterStream<I>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>> + Send,
{
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// An in-memory table: a schema and one or more partitions of batches.
#[derive(Debug, Clone)]
pub struct Table {
    schema: SchemaRef,
    partitions: Vec<Vec<RecordBatch>>,
}

impl Table {
    /// A table; every batch must have `schema` exactly.
    ///
    /// # Errors
    /// [`ArrowError::SchemaError`] for a batch of another schema.
    pub fn new(schema: SchemaRef, partitions: Vec<Vec<RecordBatch>>) -> Result<Self, ArrowError> {
        for b in partitions.iter().flatten() {
            if b.schema().fields() != schema.fields() {
                return Err(ArrowError::SchemaError(format!(
                    "batch schema {:?} differs from table schema {:?}",
                    b.schema(),
                    schema
                )));
            }
        }
        Ok(Table { schema, partitions })
    }

    /// One partition holding `batches`.
    ///
    /// # Errors
    /// As [`Table::new`].
    pub fn from_batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Self, ArrowError> {
        Self::new(schema, vec![batches])
    }

    /// The schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Number of partitions.
    pub fn npartitions(&self) -> usize {
        self.partitions.len()
    }

    /// Total rows.
    pub fn num_rows(&self) -> usize {
        self.partitions.iter().flatten().map(RecordBatch::num_rows).sum()
    }

    /// Batches of every partition, in order.
    pub fn stream(&self) -> IterStream<std::vec::IntoIter<Result<RecordBatch, ArrowError>>> {
        let batches: Vec<_> = self.partitions.iter().flatten().cloned().map(Ok).collect();
        IterStream::new(self.schema.clone(), batches.into_iter())
    }

    /// Batches of partition `i`, or `None` when out of range.
    pub fn partition(
        &self,
        i: usize,
    ) -> Option<IterStream<std::vec::IntoIter<Result<RecordBatch, ArrowError>>>> {
        let p = self.partitions.get(i)?;
        let batches: Vec<_> = p.iter().cloned().map(Ok).collect();
        Some(IterStream::new(self.schema.clone(), batches.into_iter()))
    }
}

/// Resolves a column selection against a schema: indices in the order requested.
/// Duplicates are kept once. An empty selection means every column.
///
/// # Errors
/// [`FilterError::UnknownColumn`] for a name the schema does not have.
pub fn select_columns(schema: &Schema, names: &[String]) -> Result<Vec<usize>, FilterError> {
    if names.is_empty() {
        return Ok((0..schema.fields().len()).collect());
    }
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let i = schema.index_of(n).map_err(|_| FilterError::UnknownColumn {
            name: n.clone(),
            available: schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", "),
        })?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}

/// A stream with a subset of the columns, in a given order.
pub struct Projected<S> {
    inner: S,
    indices: Vec<usize>,
    schema: SchemaRef,
}

impl<S: BatchStream> Projected<S> {
    /// Projects `inner` onto `columns` (names; empty = all).
    ///
    /// # Errors
    /// [`FilterError::UnknownColumn`].
    pub fn new(inner: S, columns: &[String]) -> Result<Self, FilterError> {
        let schema = inner.schema();
        let indices = select_columns(&schema, columns)?;
        let projected = schema.project(&indices).map_err(|e| FilterError::Type(e.to_string()))?;
        Ok(Projected { inner, indices, schema: Arc::new(projected) })
    }
}

impl<S: BatchStream> Iterator for Projected<S> {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.inner.next()?;
        Some(b.and_then(|b| b.project(&self.indices)))
    }
}

impl<S: BatchStream> BatchStream for Projected<S> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A stream keeping only the rows where a [`RowFilter`] holds. Empty batches are skipped.
pub struct Filtered<S> {
    inner: S,
    filter: RowFilter,
}

impl<S: BatchStream> Filtered<S> {
    /// Filters `inner`; the filter must have been checked against `inner.schema()`.
    pub fn new(inner: S, filter: RowFilter) -> Self {
        Filtered { inner, filter }
    }
}

impl<S: BatchStream> Iterator for Filtered<S> {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let batch = match self.inner.next()? {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            match self.filter.apply(&batch) {
                Ok(b) if b.num_rows() == 0 => continue,
                other => return Some(other),
            }
        }
    }
}

impl<S: BatchStream> BatchStream for Filtered<S> {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

impl BatchStream for Box<dyn BatchStream> {
    fn schema(&self) -> SchemaRef {
        (**self).schema()
    }
}

/// Applies a column selection and a `where=` filter to any stream: the "query" form
/// (`t.where(...).select(...)`) that every table export goes through. The filter is
/// checked against the full schema, so it may use columns that are not selected.
///
/// # Errors
/// [`FilterError`] for unknown columns or a filter that does not fit the schema.
pub fn query(
    stream: Box<dyn BatchStream>,
    columns: &[String],
    filter: Option<&str>,
) -> Result<Box<dyn BatchStream>, FilterError> {
    let stream: Box<dyn BatchStream> = match filter {
        Some(f) if !f.trim().is_empty() => {
            let rf = RowFilter::parse(f, &stream.schema())?;
            Box::new(Filtered::new(stream, rf))
        }
        _ => stream,
    };
    if columns.is_empty() {
        return Ok(stream);
    }
    Ok(Box::new(Projected::new(stream, columns)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};

    fn table() -> Table {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Utf8, true),
        ]));
        let mk = |r: std::ops::Range<i64>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(r.clone().collect::<Vec<_>>())),
                    Arc::new(StringArray::from(r.map(|i| Some(format!("s{i}"))).collect::<Vec<_>>())),
                ],
            )
            .unwrap()
        };
        Table::new(schema.clone(), vec![vec![mk(0..3)], vec![mk(3..5), mk(5..9)]]).unwrap()
    }

    #[test]
    fn partitions_and_rows() {
        let t = table();
        assert_eq!(t.npartitions(), 2);
        assert_eq!(t.num_rows(), 9);
        assert_eq!(t.partition(1).unwrap().map(|b| b.unwrap().num_rows()).sum::<usize>(), 6);
        assert!(t.partition(2).is_none());
    }

    #[test]
    fn query_projects_and_filters() {
        let t = table();
        let s = query(Box::new(t.stream()), &["b".into()], Some("a >= 2 AND a < 6")).unwrap();
        assert_eq!(s.schema().fields().len(), 1);
        let rows: usize = s.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 4);
        let err = query(Box::new(t.stream()), &["zz".into()], None).err().unwrap();
        assert!(err.to_string().contains("zz") && err.to_string().contains("a, b"));
        assert!(query(Box::new(t.stream()), &[], Some("nope > 1")).is_err());
    }
}
