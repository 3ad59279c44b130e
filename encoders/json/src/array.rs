//! Arrays as JSON nested lists, streamed in slabs of rows.

use std::io::Write;

use ndarray::ArrayViewD;
use tessera_core::array::{ArrayVisitor, Element};
use tessera_core::encoder::row_slabs;
use tessera_core::raw::SLAB_BYTES;
use tessera_core::{ArraySource, EncodeError, NdArray};

use crate::writer::FLUSH_BYTES;

/// Writes `array` as JSON: nested lists, one level per dimension, or a bare value for a
/// 0-d array. See the crate docs for the value mapping. Streams: the array is read in
/// slabs of about 4 MiB and the output passed to `out` every 64 KiB.
///
/// ```
/// use tessera_core::NdArray;
/// let a = NdArray::from_vec(vec![2, 2], vec![1.5f64, f64::NAN, 0.0, -2.0]).unwrap();
/// let mut out = Vec::new();
/// tessera_json::write_array(&a, &mut out).unwrap();
/// assert_eq!(out, b"[[1.5,null],[0.0,-2.0]]");
/// ```
///
/// # Errors
/// Errors of [`ArraySource::read_rows`]; [`EncodeError::Io`] from the sink.
pub fn write_array<W: Write>(array: &dyn ArraySource, out: W) -> Result<W, EncodeError> {
    let mut sink = Sink { out, buf: Vec::with_capacity(FLUSH_BYTES + 4096) };
    let shape = array.shape().to_vec();
    if shape.is_empty() {
        let a = array.read_rows(0..1)?;
        a.visit(Nested { sink: &mut sink, shape: &[], base: 0 })?;
    } else {
        sink.buf.push(b'[');
        let inner = &shape[1..];
        let per_row: usize = inner.iter().product();
        let mut first = true;
        for rows in row_slabs(array, SLAB_BYTES) {
            let slab = array.read_rows(rows.clone())?;
            for r in 0..rows.len() {
                if !first {
                    sink.buf.push(b',');
                }
                first = false;
                slab.visit(Nested { sink: &mut sink, shape: inner, base: r * per_row })?;
            }
        }
        sink.buf.push(b']');
    }
    sink.out.write_all(&sink.buf)?;
    sink.out.flush()?;
    Ok(sink.out)
}

/// The output buffer and the sink it is flushed to.
struct Sink<W> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> Sink<W> {
    /// Writes the sub-array of `shape` whose first element is at flat index `base`;
    /// `elem(i, out)` writes element `i`.
    fn nested(
        &mut self,
        shape: &[usize],
        base: usize,
        elem: &mut impl FnMut(usize, &mut Vec<u8>),
    ) -> Result<(), EncodeError> {
        match shape {
            [] => elem(base, &mut self.buf),
            [n] => {
                self.buf.push(b'[');
                for i in 0..*n {
                    if i > 0 {
                        self.buf.push(b',');
                    }
                    elem(base + i, &mut self.buf);
                }
                self.buf.push(b']');
                if self.buf.len() >= FLUSH_BYTES {
                    self.out.write_all(&self.buf)?;
                    self.buf.clear();
                }
            }
            [n, rest @ ..] => {
                let stride: usize = rest.iter().product();
                self.buf.push(b'[');
                for i in 0..*n {
                    if i > 0 {
                        self.buf.push(b',');
                    }
                    self.nested(rest, base + i * stride, elem)?;
                }
                self.buf.push(b']');
            }
        }
        Ok(())
    }
}

/// Writes one sub-array of a slab with the element type known statically.
struct Nested<'s, 'sh, W> {
    sink: &'s mut Sink<W>,
    shape: &'sh [usize],
    base: usize,
}

impl<'a, W: Write> ArrayVisitor<'a> for Nested<'_, '_, W> {
    type Output = Result<(), EncodeError>;

    fn primitive<T: Element>(self, view: ArrayViewD<'a, T>) -> Self::Output {
        // Slabs come from `NdArray`, which is always C-contiguous.
        let v = view.as_slice().unwrap_or_default();
        self.sink.nested(self.shape, self.base, &mut |i, out| v[i].write_json(out))
    }

    fn other(self, a: &'a NdArray) -> Self::Output {
        self.sink.nested(self.shape, self.base, &mut |i, out| a.cell(i).write_json(out))
    }
}
