//! numpy basic slicing in Tiled's query syntax: `slice=0,10:20,::2`, `block=i,j`.
//!
//! A [`SliceSpec`] is the parsed text; [`SliceSpec::resolve`] checks it against a shape and
//! gives a [`Selection`] (numpy semantics: negative indices count from the end, an integer
//! drops its dimension, out-of-range slice bounds are clamped, missing trailing items mean
//! "everything"); [`Selection::apply`] copies the selected elements into a new array.
//!
//! ```
//! use tessera_core::{NdArray, slice::SliceSpec};
//! let a = NdArray::from_vec(vec![3, 4], (0..12i64).collect()).unwrap();
//! let sel = SliceSpec::parse("-1,::2").unwrap().resolve(a.shape()).unwrap();
//! let b = sel.apply(&a);
//! assert_eq!(b.shape(), &[2]);
//! assert_eq!(b.as_slice::<i64>().unwrap(), &[8, 10]);
//! ```

use std::ops::Range;

use crate::array::{ArrayStructure, NdArray, byte_count};
use crate::error::SliceError;

/// One item of a slice: an integer index or a `start:stop:step` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceItem {
    /// An integer index (drops the dimension).
    Index(i64),
    /// A range; `None` bounds take numpy's defaults.
    Range {
        /// Start, or `None`.
        start: Option<i64>,
        /// Stop, or `None`.
        stop: Option<i64>,
        /// Step, or `None` (1).
        step: Option<i64>,
    },
}

/// A parsed `slice=` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SliceSpec {
    /// The items, one per leading dimension.
    pub items: Vec<SliceItem>,
}

fn parse_int(s: &str, input: &str) -> Result<Option<i64>, SliceError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SliceError::Syntax {
            input: input.to_owned(),
            reason: format!("{s:?} is not an integer"),
        });
    }
    s.parse()
        .map(Some)
        .map_err(|_| SliceError::Syntax { input: input.to_owned(), reason: format!("{s:?} is out of range") })
}

impl SliceSpec {
    /// Everything (an empty slice).
    pub fn all() -> Self {
        SliceSpec::default()
    }

    /// Parses Tiled's syntax: comma-separated items, each `i` or `start:stop[:step]` with
    /// any part omitted. An empty string selects everything. `...` is not accepted.
    ///
    /// # Errors
    /// [`SliceError::Syntax`] saying which part is malformed.
    pub fn parse(input: &str) -> Result<Self, SliceError> {
        if input.trim().is_empty() {
            return Ok(Self::all());
        }
        if input.len() > 4096 {
            // The first 64 characters (not bytes: a byte index may split a character).
            let head = input.chars().take(64).collect();
            return Err(SliceError::Syntax { input: head, reason: "too long".into() });
        }
        let mut items = Vec::new();
        for part in input.split(',') {
            let pieces: Vec<&str> = part.split(':').collect();
            let item = match pieces.as_slice() {
                [i] => match parse_int(i, input)? {
                    Some(i) => SliceItem::Index(i),
                    None => SliceItem::Range { start: None, stop: None, step: None },
                },
                [a, b] => {
                    SliceItem::Range { start: parse_int(a, input)?, stop: parse_int(b, input)?, step: None }
                }
                [a, b, c] => SliceItem::Range {
                    start: parse_int(a, input)?,
                    stop: parse_int(b, input)?,
                    step: parse_int(c, input)?,
                },
                _ => {
                    return Err(SliceError::Syntax {
                        input: input.to_owned(),
                        reason: format!("{part:?} has more than two `:`"),
                    });
                }
            };
            items.push(item);
        }
        Ok(SliceSpec { items })
    }

    /// Resolves against a shape with numpy's rules.
    ///
    /// # Errors
    /// Too many items, an integer index out of range, or a zero step.
    pub fn resolve(&self, shape: &[usize]) -> Result<Selection, SliceError> {
        if self.items.len() > shape.len() {
            return Err(SliceError::TooManyItems { items: self.items.len(), ndim: shape.len() });
        }
        let mut dims = Vec::with_capacity(shape.len());
        for (dim, &len) in shape.iter().enumerate() {
            let ilen = len as i64;
            let d = match self.items.get(dim) {
                None => DimSelection { start: 0, step: 1, len, keep: true },
                Some(SliceItem::Index(i)) => {
                    let idx = if *i < 0 { i + ilen } else { *i };
                    if idx < 0 || idx >= ilen {
                        return Err(SliceError::IndexOutOfRange { index: *i, dim, len });
                    }
                    DimSelection { start: idx as usize, step: 1, len: 1, keep: false }
                }
                Some(SliceItem::Range { start, stop, step }) => {
                    let step = step.unwrap_or(1);
                    if step == 0 {
                        return Err(SliceError::ZeroStep { dim });
                    }
                    // Python's slice.indices().
                    let adjust = |v: i64, lo: i64, hi: i64| {
                        let v = if v < 0 { v.saturating_add(ilen) } else { v };
                        v.clamp(lo, hi)
                    };
                    let (start, stop) = if step > 0 {
                        (start.map_or(0, |v| adjust(v, 0, ilen)), stop.map_or(ilen, |v| adjust(v, 0, ilen)))
                    } else {
                        (
                            start.map_or(ilen - 1, |v| adjust(v, -1, ilen - 1)),
                            stop.map_or(-1, |v| adjust(v, -1, ilen - 1)),
                        )
                    };
                    let count = if step > 0 {
                        if stop > start { (stop - start - 1) / step + 1 } else { 0 }
                    } else if start > stop {
                        (start - stop - 1) / (-step) + 1
                    } else {
                        0
                    };
                    DimSelection {
                        start: if count == 0 { 0 } else { start as usize },
                        step: step as isize,
                        len: count as usize,
                        keep: true,
                    }
                }
            };
            dims.push(d);
        }
        Ok(Selection { dims })
    }
}

/// The selection along one dimension: `len` elements from `start` by `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimSelection {
    /// First index.
    pub start: usize,
    /// Step (negative walks backwards).
    pub step: isize,
    /// Number of indices selected.
    pub len: usize,
    /// False when an integer index dropped this dimension.
    pub keep: bool,
}

/// A resolved selection: one [`DimSelection`] per input dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Per input dimension.
    pub dims: Vec<DimSelection>,
}

impl Selection {
    /// Shape of the result (dropped dimensions removed).
    pub fn output_shape(&self) -> Vec<usize> {
        self.dims.iter().filter(|d| d.keep).map(|d| d.len).collect()
    }

    /// True when the selection is the whole input unchanged.
    pub fn is_identity(&self, shape: &[usize]) -> bool {
        self.dims.iter().zip(shape).all(|(d, &n)| d.keep && d.start == 0 && d.step == 1 && d.len == n)
    }

    /// The byte range of the selected elements in a C-order array of `shape`, when they are
    /// one contiguous run in order: unit steps, every dimension after the first cut one
    /// whole, every dimension before it a single index. `None` otherwise (and when empty).
    pub fn contiguous_bytes(&self, shape: &[usize], itemsize: usize) -> Option<Range<usize>> {
        if self.dims.len() != shape.len() || self.dims.iter().any(|d| d.step != 1 || d.len == 0) {
            return None;
        }
        // The first dimension (from the left) that is not a single index.
        let first = self.dims.iter().position(|d| d.len != 1).unwrap_or(self.dims.len());
        if self.dims.iter().zip(shape).skip(first + 1).any(|(d, &n)| d.start != 0 || d.len != n) {
            return None;
        }
        let mut start = 0usize;
        let mut len = itemsize;
        for (d, &n) in self.dims.iter().zip(shape) {
            start = start.checked_mul(n)?.checked_add(d.start)?;
            len = len.checked_mul(d.len)?;
        }
        let start = start.checked_mul(itemsize)?;
        Some(start..start.checked_add(len)?)
    }

    /// The selected elements as a new array: the input itself when nothing is cut, a view of
    /// its buffer (no copy) when the selection is one contiguous run, a copy otherwise.
    pub fn apply(&self, array: &NdArray) -> NdArray {
        let shape = array.shape();
        if self.is_identity(shape) {
            return array.clone();
        }
        let itemsize = array.data_type().itemsize();
        let out_shape = self.output_shape();
        if let Some(run) = self.contiguous_bytes(shape, itemsize).filter(|r| r.end <= array.as_bytes().len())
        {
            let view = array.buffer().slice_with_length(run.start, run.len());
            if let Ok(a) = NdArray::new(array.data_type().clone(), out_shape.clone(), view) {
                return a;
            }
        }
        let total = byte_count(array.data_type(), &out_shape).unwrap_or(0);
        let mut out = Vec::with_capacity(total);
        // C-order strides in bytes.
        let mut strides = vec![itemsize; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * shape[i + 1];
        }
        if out_shape.iter().all(|&n| n > 0) {
            copy_rec(array.as_bytes(), &self.dims, &strides, 0, itemsize, &mut out);
        }
        NdArray::new(array.data_type().clone(), out_shape, out)
            .expect("a selection of a valid array is a valid array")
    }
}

fn copy_rec(
    src: &[u8],
    dims: &[DimSelection],
    strides: &[usize],
    base: usize,
    itemsize: usize,
    out: &mut Vec<u8>,
) {
    let Some((d, rest)) = dims.split_first() else {
        out.extend_from_slice(&src[base..base + itemsize]);
        return;
    };
    let stride = strides[0];
    if rest.is_empty() && d.step == 1 {
        let from = base + d.start * stride;
        out.extend_from_slice(&src[from..from + d.len * itemsize]);
        return;
    }
    let mut idx = d.start as isize;
    for _ in 0..d.len {
        copy_rec(src, rest, &strides[1..], base + idx as usize * stride, itemsize, out);
        idx += d.step;
    }
}

/// Parses `block=i,j,k` against a structure: one non-negative index per dimension, each
/// within the number of chunks of its dimension. A 0-d array takes an empty value.
///
/// # Errors
/// [`SliceError::Block`] with Tiled's wording.
pub fn parse_block(input: &str, structure: &ArrayStructure) -> Result<Vec<usize>, SliceError> {
    let ndim = structure.shape.len();
    let parts: Vec<&str> = if input.trim().is_empty() { Vec::new() } else { input.split(',').collect() };
    if parts.len() != ndim {
        return Err(SliceError::Block(format!(
            "Block parameter must have {ndim} comma-separated parameters, corresponding to the dimensions of this {ndim}-dimensional array."
        )));
    }
    let counts = structure.block_counts();
    parts
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(dim, (p, &n))| {
            let i: usize = p.trim().parse().map_err(|_| {
                SliceError::Block(format!("Block index {p:?} must be a non-negative integer."))
            })?;
            if i >= n {
                return Err(SliceError::Block(format!(
                    "Block index {i} out of range for dimension {dim} with {n} blocks."
                )));
            }
            Ok(i)
        })
        .collect()
}

/// Parses `expected_shape=a,b` (or `scalar` for 0-d).
///
/// # Errors
/// [`SliceError::Syntax`] when a part is not a non-negative integer.
pub fn parse_expected_shape(input: &str) -> Result<Vec<usize>, SliceError> {
    let input = input.trim();
    if input == "scalar" || input.is_empty() {
        return Ok(Vec::new());
    }
    input
        .split(',')
        .map(|p| {
            p.trim().parse().map_err(|_| SliceError::Syntax {
                input: input.to_owned(),
                reason: format!("expected_shape part {p:?} is not a non-negative integer"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DataType;
    use proptest::prelude::*;

    fn arange(shape: &[usize]) -> NdArray {
        let n: usize = shape.iter().product();
        NdArray::from_vec(shape.to_vec(), (0..n as i64).collect()).unwrap()
    }

    #[test]
    fn tiled_examples() {
        let a = arange(&[10, 20]);
        let s = |q: &str| SliceSpec::parse(q).unwrap().resolve(a.shape()).unwrap().apply(&a);
        assert_eq!(s("").shape(), &[10, 20]);
        assert_eq!(s("0").shape(), &[20]);
        assert_eq!(s(":10,100:200").shape(), &[10, 0]);
        assert_eq!(s("0:10:1,0:20:2").shape(), &[10, 10]);
        assert_eq!(s("5,10:20:1").as_slice::<i64>().unwrap(), &(110..120).collect::<Vec<_>>()[..]);
        assert_eq!(s("-1,-1").as_slice::<i64>().unwrap(), &[199]);
        assert_eq!(s("::-1,0").as_slice::<i64>().unwrap(), &[180, 160, 140, 120, 100, 80, 60, 40, 20, 0]);
        assert_eq!(s("8:2:-3,1").as_slice::<i64>().unwrap(), &[161, 101]);
    }

    #[test]
    fn errors() {
        let shape = [4, 4];
        assert!(matches!(SliceSpec::parse("0:10,abc"), Err(SliceError::Syntax { .. })));
        assert!(matches!(SliceSpec::parse("1:2:3:4"), Err(SliceError::Syntax { .. })));
        assert!(SliceSpec::parse("...").is_err());
        assert!(SliceSpec::parse("99999999999999999999").is_err());
        let r = |q: &str| SliceSpec::parse(q).unwrap().resolve(&shape);
        assert!(matches!(r("0,0,0"), Err(SliceError::TooManyItems { .. })));
        assert!(matches!(r("4"), Err(SliceError::IndexOutOfRange { .. })));
        assert!(matches!(r("-5"), Err(SliceError::IndexOutOfRange { .. })));
        assert!(matches!(r("::0"), Err(SliceError::ZeroStep { .. })));
        assert_eq!(r("100:200").unwrap().output_shape(), vec![0, 4]);
        // Too long, with a multibyte character across byte 64 (found by fuzz/parse_query).
        let long = format!("{}é{}", "1".repeat(63), "0".repeat(5000));
        assert!(matches!(SliceSpec::parse(&long), Err(SliceError::Syntax { .. })));
    }

    #[test]
    fn blocks_and_expected_shape() {
        let s = ArrayStructure::regular(DataType::Float64, vec![1000, 1000], &[250, 100]);
        assert_eq!(parse_block("3,9", &s).unwrap(), vec![3, 9]);
        assert!(parse_block("4,0", &s).unwrap_err().to_string().contains("out of range"));
        assert!(parse_block("0", &s).unwrap_err().to_string().contains("2 comma-separated"));
        assert!(parse_block("a,0", &s).is_err());
        let scalar = ArrayStructure::single_chunk(DataType::Float64, vec![]);
        assert_eq!(parse_block("", &scalar).unwrap(), Vec::<usize>::new());
        assert_eq!(parse_expected_shape("scalar").unwrap(), Vec::<usize>::new());
        assert_eq!(parse_expected_shape("10,500").unwrap(), vec![10, 500]);
        assert!(parse_expected_shape("10,x").is_err());
    }

    // The reference: a naive per-element implementation of numpy's rules.
    fn reference(shape: &[usize], items: &[SliceItem]) -> Option<Vec<i64>> {
        let mut per_dim: Vec<(Vec<usize>, bool)> = Vec::new();
        for (d, &n) in shape.iter().enumerate() {
            let n = n as i64;
            match items.get(d) {
                None => per_dim.push(((0..n as usize).collect(), true)),
                Some(SliceItem::Index(i)) => {
                    let i = if *i < 0 { i + n } else { *i };
                    if i < 0 || i >= n {
                        return None;
                    }
                    per_dim.push((vec![i as usize], false));
                }
                Some(SliceItem::Range { start, stop, step }) => {
                    let step = step.unwrap_or(1);
                    if step == 0 {
                        return None;
                    }
                    let norm = |v: i64| if v < 0 { v + n } else { v };
                    let mut idx = Vec::new();
                    if step > 0 {
                        let s = start.map_or(0, |v| norm(v).clamp(0, n));
                        let e = stop.map_or(n, |v| norm(v).clamp(0, n));
                        let mut i = s;
                        while i < e {
                            idx.push(i as usize);
                            i += step;
                        }
                    } else {
                        let s = start.map_or(n - 1, |v| norm(v).clamp(-1, n - 1));
                        let e = stop.map_or(-1, |v| norm(v).clamp(-1, n - 1));
                        let mut i = s;
                        while i > e {
                            idx.push(i as usize);
                            i += step;
                        }
                    }
                    per_dim.push((idx, true));
                }
            }
        }
        let mut out = Vec::new();
        let mut strides = vec![1usize; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * shape[i + 1];
        }
        fn rec(pd: &[(Vec<usize>, bool)], strides: &[usize], base: usize, out: &mut Vec<i64>) {
            match pd.split_first() {
                None => out.push(base as i64),
                Some(((idx, _), rest)) => {
                    for &i in idx {
                        rec(rest, &strides[1..], base + i * strides[0], out)
                    }
                }
            }
        }
        rec(&per_dim, &strides, 0, &mut out);
        Some(out)
    }

    fn item() -> impl Strategy<Value = SliceItem> {
        let b = proptest::option::of(-8i64..8);
        prop_oneof![
            (-8i64..8).prop_map(SliceItem::Index),
            (b.clone(), b, proptest::option::of(-4i64..4)).prop_map(|(start, stop, step)| SliceItem::Range {
                start,
                stop,
                step
            }),
        ]
    }

    #[test]
    fn contiguous_runs_are_views() {
        let a = arange(&[4, 5, 6]);
        let base = a.as_bytes().as_ptr() as usize;
        let sel = |s: &str| SliceSpec::parse(s).unwrap().resolve(&[4, 5, 6]).unwrap();
        // Rows 1..3 whole, one index then a row range, a single element: views.
        for (s, first, n) in [("1:3", 30, 60), ("2,1:4", 66, 18), ("3,4,5", 119, 1), ("1,2", 42, 6)] {
            let out = sel(s).apply(&a);
            assert_eq!(out.as_slice::<i64>().unwrap(), &(first..first + n).collect::<Vec<i64>>()[..], "{s}");
            assert_eq!(out.as_bytes().as_ptr() as usize, base + first as usize * 8, "{s} is a view");
        }
        // Cut in a later dimension, a step, or reversed: copies, still right.
        for s in [":,1:3", "::2", "::-1", "1:3,0"] {
            let sel = sel(s);
            assert_eq!(sel.contiguous_bytes(&[4, 5, 6], 8), None, "{s}");
            let out = sel.apply(&a);
            let inside = (base..base + a.as_bytes().len()).contains(&(out.as_bytes().as_ptr() as usize));
            assert!(!inside || out.is_empty(), "{s} is a copy");
        }
    }

    proptest! {
        #[test]
        fn matches_numpy_rules(shape in proptest::collection::vec(0usize..6, 0..4),
                               items in proptest::collection::vec(item(), 0..4)) {
            let a = arange(&shape);
            let spec = SliceSpec { items: items.clone() };
            match (spec.resolve(&shape), reference(&shape, &items)) {
                (Ok(sel), Some(expected)) => {
                    let out = sel.apply(&a);
                    prop_assert_eq!(out.as_slice::<i64>().unwrap(), &expected[..]);
                    prop_assert_eq!(out.len(), expected.len());
                }
                (Err(_), None) => {}
                (r, e) => prop_assert!(items.len() > shape.len() && r.is_err(), "{:?} vs {:?}", r, e),
            }
        }

        #[test]
        fn parse_never_panics(s in "[-0-9:,. a]{0,20}") {
            let _ = SliceSpec::parse(&s).map(|p| p.resolve(&[3, 4, 5]));
        }
    }
}
