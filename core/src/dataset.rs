//! Datasets in the xarray model: named variables over named dimensions, coordinates, and
//! attributes.
//!
//! A dataset's table form ([`Dataset::to_table`]) is what `xarray.Dataset.to_dataframe()`
//! gives with its index reset: one row per point of the product of all dimensions (in the
//! order they first appear), a column per dimension coordinate, then one per variable,
//! each broadcast over the dimensions it lacks. Table formats (CSV, JSON, Arrow, Parquet)
//! export datasets through it.
//!
//! ```
//! use tessera_core::{NdArray, dataset::{Dataset, Variable}};
//! let mut ds = Dataset::default();
//! ds.add_coord("x", Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![10i64, 20]).unwrap())).unwrap();
//! ds.add_data_var("t", Variable::new(vec!["x".into()], NdArray::from_vec(vec![2], vec![0.5f64, 1.5]).unwrap())).unwrap();
//! let table = ds.to_table(&[]).unwrap();
//! assert_eq!(table.num_rows(), 2);
//! assert_eq!(table.schema().field(0).name(), "x");
//! ```

use std::sync::Arc;

use arrow::array::{RecordBatch, UInt64Array};
use arrow::datatypes::{Field, Schema};
use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::array::NdArray;
use crate::convert::{ConvertError, to_arrow};
use crate::table::Table;
use crate::{EncodeError, MediaType};

/// One variable: an array over named dimensions, with attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Dimension names, one per axis of `data`.
    pub dims: Vec<String>,
    /// The values.
    pub data: NdArray,
    /// Attributes (`units`, ...).
    pub attrs: Map<String, Value>,
}

impl Variable {
    /// A variable without attributes.
    pub fn new(dims: Vec<String>, data: NdArray) -> Self {
        Variable { dims, data, attrs: Map::new() }
    }

    /// Adds attributes.
    pub fn with_attrs(mut self, attrs: Map<String, Value>) -> Self {
        self.attrs = attrs;
        self
    }
}

/// Variables that do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// `dims` length differs from the array's number of dimensions.
    #[error("variable {name:?} has {ndim} dimensions but {dims} dimension names")]
    DimCount {
        /// Variable name.
        name: String,
        /// Array dimensions.
        ndim: usize,
        /// Names given.
        dims: usize,
    },
    /// A dimension used with two lengths.
    #[error("dimension {dim:?} has length {existing} but variable {name:?} gives it length {new}")]
    DimLength {
        /// The dimension.
        dim: String,
        /// Length so far.
        existing: usize,
        /// Variable that disagrees.
        name: String,
        /// Its length.
        new: usize,
    },
    /// A name used twice.
    #[error("variable {0:?} is defined twice")]
    Duplicate(String),
    /// A variable with no table form.
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// The table form would be too large.
    #[error("the table form of this dataset would have {0} rows; slice it first")]
    TooLarge(u128),
}

/// An xarray-style dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Data variables, in order.
    pub data_vars: IndexMap<String, Variable>,
    /// Coordinate variables, in order.
    pub coords: IndexMap<String, Variable>,
    /// Global attributes.
    pub attrs: Map<String, Value>,
}

impl Dataset {
    fn check(&self, name: &str, v: &Variable) -> Result<(), DatasetError> {
        if self.data_vars.contains_key(name) || self.coords.contains_key(name) {
            return Err(DatasetError::Duplicate(name.to_owned()));
        }
        if v.dims.len() != v.data.ndim() {
            return Err(DatasetError::DimCount {
                name: name.to_owned(),
                ndim: v.data.ndim(),
                dims: v.dims.len(),
            });
        }
        let dims = self.dims();
        for (d, &n) in v.dims.iter().zip(v.data.shape()) {
            if let Some(&existing) = dims.get(d) {
                if existing != n {
                    return Err(DatasetError::DimLength {
                        dim: d.clone(),
                        existing,
                        name: name.to_owned(),
                        new: n,
                    });
                }
            }
        }
        Ok(())
    }

    /// Adds a data variable.
    ///
    /// # Errors
    /// [`DatasetError`] when names, dims or lengths disagree.
    pub fn add_data_var(&mut self, name: &str, v: Variable) -> Result<(), DatasetError> {
        self.check(name, &v)?;
        self.data_vars.insert(name.to_owned(), v);
        Ok(())
    }

    /// Adds a coordinate variable.
    ///
    /// # Errors
    /// [`DatasetError`] when names, dims or lengths disagree.
    pub fn add_coord(&mut self, name: &str, v: Variable) -> Result<(), DatasetError> {
        self.check(name, &v)?;
        self.coords.insert(name.to_owned(), v);
        Ok(())
    }

    /// Every variable, coordinates first.
    pub fn variables(&self) -> impl Iterator<Item = (&String, &Variable)> {
        self.coords.iter().chain(self.data_vars.iter())
    }

    /// Dimension lengths, in order of first appearance (coordinates first).
    pub fn dims(&self) -> IndexMap<String, usize> {
        let mut out = IndexMap::new();
        for (_, v) in self.variables() {
            for (d, &n) in v.dims.iter().zip(v.data.shape()) {
                out.entry(d.clone()).or_insert(n);
            }
        }
        out
    }

    /// The dataset restricted to some variables (all when `names` is empty). Coordinates
    /// of the selected variables' dimensions are kept.
    pub fn select(&self, names: &[String]) -> Dataset {
        if names.is_empty() {
            return self.clone();
        }
        let keep = |n: &String| names.contains(n);
        let data_vars: IndexMap<_, _> =
            self.data_vars.iter().filter(|(n, _)| keep(n)).map(|(n, v)| (n.clone(), v.clone())).collect();
        let used: Vec<&String> = data_vars.values().flat_map(|v| v.dims.iter()).collect();
        let coords = self
            .coords
            .iter()
            .filter(|(n, v)| keep(n) || (v.dims.len() == 1 && used.contains(n)))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        Dataset { data_vars, coords, attrs: self.attrs.clone() }
    }

    /// The whole table form for an encoder of `media_type` that writes datasets as tables,
    /// with its errors in an encoder's terms.
    ///
    /// ```
    /// use tessera_core::{EncodeError, MediaType, NdArray, dataset::{Dataset, Variable}};
    /// let mut ds = Dataset::default();
    /// ds.add_data_var("t", Variable::new(vec!["x".into()], NdArray::from_vec(vec![3], vec![1i64, 2, 3]).unwrap())).unwrap();
    /// assert_eq!(ds.table_form(MediaType::from_static("text/csv")).unwrap().num_rows(), 3);
    /// // Complex numbers have no Arrow type, so no table form.
    /// ds.add_data_var("z", Variable::new(vec!["x".into()], NdArray::from_vec(vec![3], vec![num_complex::Complex64::new(0.0, 1.0); 3]).unwrap())).unwrap();
    /// assert!(matches!(ds.table_form(MediaType::from_static("text/csv")), Err(EncodeError::Unsupported { .. })));
    /// ```
    ///
    /// # Errors
    /// [`EncodeError::Limit`] past `u32::MAX` rows, [`EncodeError::Unsupported`] for a
    /// variable with no Arrow type, [`EncodeError::Input`] otherwise.
    pub fn table_form(&self, media_type: MediaType) -> Result<Table, EncodeError> {
        self.to_table(&[]).map_err(|e| match e {
            DatasetError::TooLarge(rows) => EncodeError::Limit {
                what: format!("the table form of this dataset ({rows} rows)"),
                limit: u64::from(u32::MAX),
            },
            DatasetError::Convert(c) => {
                EncodeError::unsupported(media_type, format!("this dataset has no table form: {c}"))
            }
            other => EncodeError::Input(Box::new(other)),
        })
    }

    /// The table form (see the module docs), restricted to `fields` (all when empty).
    ///
    /// # Errors
    /// [`DatasetError::Convert`] for a dtype with no Arrow type (complex, records),
    /// [`DatasetError::TooLarge`] past `u32::MAX` rows.
    pub fn to_table(&self, fields: &[String]) -> Result<Table, DatasetError> {
        let ds = self.select(fields);
        let dims = ds.dims();
        let dim_names: Vec<&String> = dims.keys().collect();
        let lens: Vec<usize> = dims.values().copied().collect();
        let rows: u128 = lens.iter().map(|&n| n as u128).product();
        if rows > u128::from(u32::MAX) {
            return Err(DatasetError::TooLarge(rows));
        }
        let rows = rows as usize;
        let mut columns = Vec::new();
        let mut schema_fields = Vec::new();
        // Dimension coordinates first (the frame's index), then everything else in order.
        let mut ordered: Vec<(&String, &Variable)> = dim_names
            .iter()
            .filter_map(|d| ds.coords.get_key_value(*d))
            .filter(|(_, v)| v.dims.len() == 1)
            .collect();
        for (n, v) in ds.variables() {
            if !ordered.iter().any(|(m, _)| *m == n) {
                ordered.push((n, v));
            }
        }
        for (name, var) in ordered {
            let flat = to_arrow(&var.data)?;
            // Strides of the variable's axes within the full row index.
            let mut gather = Vec::with_capacity(rows);
            let var_axes: Vec<usize> =
                var.dims.iter().map(|d| dim_names.iter().position(|x| *x == d).unwrap_or(0)).collect();
            let mut var_strides = vec![1usize; var.dims.len()];
            for i in (0..var.dims.len().saturating_sub(1)).rev() {
                var_strides[i] = var_strides[i + 1] * var.data.shape()[i + 1];
            }
            let mut idx = vec![0usize; lens.len()];
            for _ in 0..rows {
                let mut flat_i = 0usize;
                for (k, &ax) in var_axes.iter().enumerate() {
                    flat_i += idx[ax] * var_strides[k];
                }
                gather.push(flat_i as u64);
                for ax in (0..lens.len()).rev() {
                    idx[ax] += 1;
                    if idx[ax] < lens[ax] {
                        break;
                    }
                    idx[ax] = 0;
                }
            }
            let col = arrow::compute::take(flat.as_ref(), &UInt64Array::from(gather), None)
                .map_err(|e| ConvertError(e.to_string()))?;
            schema_fields.push(Field::new(name.as_str(), col.data_type().clone(), col.null_count() > 0));
            columns.push(col);
        }
        let schema = Arc::new(Schema::new(schema_fields));
        let batch = if columns.is_empty() {
            RecordBatch::new_empty(schema.clone())
        } else {
            RecordBatch::try_new(schema.clone(), columns).map_err(|e| ConvertError(e.to_string()))?
        };
        Table::from_batches(schema, vec![batch])
            .map_err(|e| DatasetError::Convert(ConvertError(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Float64Array};
    use arrow::datatypes::Float64Type;

    #[test]
    fn broadcasts_like_to_dataframe() {
        let mut ds = Dataset::default();
        let v = |dims: &[&str], shape: Vec<usize>, vals: Vec<f64>| {
            Variable::new(
                dims.iter().map(|s| s.to_string()).collect(),
                NdArray::from_vec(shape, vals).unwrap(),
            )
        };
        ds.add_coord("x", v(&["x"], vec![2], vec![0.0, 1.0])).unwrap();
        ds.add_data_var("a", v(&["x", "y"], vec![2, 3], vec![1., 2., 3., 4., 5., 6.])).unwrap();
        ds.add_data_var("b", v(&["y"], vec![3], vec![7., 8., 9.])).unwrap();
        let t = ds.to_table(&[]).unwrap();
        let batch = t.stream().next().unwrap().unwrap();
        assert_eq!(batch.num_rows(), 6);
        let col = |i: usize| batch.column(i).as_primitive::<Float64Type>().values().to_vec();
        assert_eq!(col(0), vec![0., 0., 0., 1., 1., 1.]);
        assert_eq!(col(1), vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(col(2), vec![7., 8., 9., 7., 8., 9.]);
        let only_b = ds.to_table(&["b".into()]).unwrap();
        assert_eq!(only_b.schema().fields().len(), 1);
        let _ = Float64Array::from(vec![0.0]);
    }

    #[test]
    fn inconsistent_dims_are_errors() {
        let mut ds = Dataset::default();
        let a = NdArray::from_vec(vec![2], vec![1i64, 2]).unwrap();
        ds.add_data_var("a", Variable::new(vec!["x".into()], a.clone())).unwrap();
        let b = NdArray::from_vec(vec![3], vec![1i64, 2, 3]).unwrap();
        assert!(matches!(
            ds.add_data_var("b", Variable::new(vec!["x".into()], b)),
            Err(DatasetError::DimLength { .. })
        ));
        assert!(matches!(
            ds.add_data_var("a", Variable::new(vec!["x".into()], a.clone())),
            Err(DatasetError::Duplicate(_))
        ));
        assert!(matches!(ds.add_data_var("c", Variable::new(vec![], a)), Err(DatasetError::DimCount { .. })));
    }
}
