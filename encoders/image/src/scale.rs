//! Tiled's rule for drawing arbitrary numbers as 8-bit pixels: cast to `float32`, take the
//! 1st and 99th percentiles (numpy's default linear interpolation, NaN ignored), map that
//! range linearly onto 0..=255 and clip everything outside it.

use ndarray::ArrayViewD;
use tessera_core::{ArrayVisitor, Element, NdArray};

/// The linear map from values to 8-bit pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    /// Values at or below this are 0 (the 1st percentile).
    lo: f64,
    /// Values at or above this are 255 (the 99th percentile).
    hi: f64,
    /// `hi - lo`.
    range: f64,
}

impl Scale {
    /// The scale for `values` (already cast to `f32`, NaN removed). Reorders `values`.
    /// An empty slice (all NaN) gives a scale that maps everything to 0.
    pub(crate) fn from_values(values: &mut [f32]) -> Scale {
        let (lo, hi) = if values.is_empty() { (0.0, 0.0) } else { percentiles_1_99(values) };
        Scale::new(lo, hi)
    }

    pub(crate) fn new(lo: f64, hi: f64) -> Scale {
        Scale { lo, hi, range: hi - lo }
    }

    /// The pixel for `x` (a value already cast to `f32`, as Tiled does). NaN and values at or
    /// below the low percentile are 0 — so a constant image is all 0 — values at or above the
    /// high percentile 255, the rest rounded to the nearest step. Percentiles that are
    /// infinite leave the values strictly between them at 0.
    #[inline]
    pub(crate) fn apply(&self, x: f32) -> u8 {
        let x = f64::from(x);
        if x <= self.lo {
            0
        } else if x >= self.hi {
            255
        } else {
            // Dividing last keeps exact halves exact (255 * 49 / 98 is 127.5, rounded up).
            // `as` saturates and maps NaN (from infinite limits, or NaN input) to 0.
            ((x - self.lo) * 255.0 / self.range + 0.5) as u8
        }
    }
}

/// numpy's `percentile(values, (1, 99))` (method `linear`) by selection, not a full sort:
/// two `select_nth_unstable` calls, the second on the part left of the first.
fn percentiles_1_99(v: &mut [f32]) -> (f64, f64) {
    let n = v.len();
    let last = (n - 1) as f64;
    let (h1, h99) = (0.01 * last, 0.99 * last);
    let (k1, k99) = (h1 as usize, h99 as usize);
    let (left, at99, right) = v.select_nth_unstable_by(k99, f32::total_cmp);
    let a99 = *at99;
    let b99 = min_of(right).unwrap_or(a99);
    let (a1, b1) = if k1 == k99 {
        (a99, b99)
    } else {
        let (_, at1, between) = left.select_nth_unstable_by(k1, f32::total_cmp);
        (*at1, min_of(between).unwrap_or(a99))
    };
    (lerp(a1, b1, h1 - k1 as f64), lerp(a99, b99, h99 - k99 as f64))
}

fn min_of(v: &[f32]) -> Option<f32> {
    v.iter().copied().min_by(f32::total_cmp)
}

/// numpy's `_lerp`: exact at both ends, monotonic in between.
fn lerp(a: f32, b: f32, t: f64) -> f64 {
    let (a, b) = (f64::from(a), f64::from(b));
    if a == b || t == 0.0 {
        return a;
    }
    let d = b - a;
    if t >= 0.5 { b - d * (1.0 - t) } else { a + d * t }
}

/// Appends an array's values, cast to `f32`, without NaN (the percentiles' input).
pub(crate) struct CollectValues<'v>(pub(crate) &'v mut Vec<f32>);

impl<'a> ArrayVisitor<'a> for CollectValues<'_> {
    type Output = ();
    fn primitive<T: Element>(self, view: ArrayViewD<'a, T>) {
        let cast = |v: &T| v.to_f64() as f32;
        match view.as_slice() {
            Some(s) => self.0.extend(s.iter().map(cast).filter(|x| !x.is_nan())),
            None => self.0.extend(view.iter().map(cast).filter(|x| !x.is_nan())),
        }
    }
    fn other(self, _: &'a NdArray) {}
}

/// Appends an array's values as scaled 8-bit pixels.
pub(crate) struct ScalePixels<'v> {
    pub(crate) scale: Scale,
    pub(crate) out: &'v mut Vec<u8>,
}

impl<'a> ArrayVisitor<'a> for ScalePixels<'_> {
    type Output = ();
    fn primitive<T: Element>(self, view: ArrayViewD<'a, T>) {
        let s = self.scale;
        let px = |v: &T| s.apply(v.to_f64() as f32);
        match view.as_slice() {
            Some(v) => self.out.extend(v.iter().map(px)),
            None => self.out.extend(view.iter().map(px)),
        }
    }
    fn other(self, _: &'a NdArray) {}
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// numpy.percentile by sorting, as the reference.
    fn reference(values: &[f32], q: f64) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f32::total_cmp);
        let h = q / 100.0 * (s.len() - 1) as f64;
        let k = h as usize;
        let b = s.get(k + 1).copied().unwrap_or(s[k]);
        lerp(s[k], b, h - k as f64)
    }

    #[test]
    fn percentiles_match_a_full_sort() {
        let mut state = 12345u64;
        for n in [1usize, 2, 3, 7, 50, 99, 100, 101, 1000, 4097] {
            let vals: Vec<f32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((state >> 33) % 1000) as f32 - 500.0
                })
                .collect();
            let mut work = vals.clone();
            let (lo, hi) = percentiles_1_99(&mut work);
            assert_eq!(lo, reference(&vals, 1.0), "n={n}");
            assert_eq!(hi, reference(&vals, 99.0), "n={n}");
        }
    }

    #[test]
    fn numpy_values() {
        // numpy.percentile(numpy.arange(10, dtype=numpy.float32), (1, 99)) == [0.09, 8.91]
        let mut v: Vec<f32> = (0..10).rev().map(|i| i as f32).collect();
        let (lo, hi) = percentiles_1_99(&mut v);
        assert!((lo - 0.09).abs() < 1e-12 && (hi - 8.91).abs() < 1e-12, "{lo} {hi}");
    }

    #[test]
    fn mapping_clips_and_rounds() {
        let s = Scale::new(0.0, 255.0);
        assert_eq!(
            [s.apply(-1.0), s.apply(0.0), s.apply(1.4), s.apply(1.6), s.apply(300.0)],
            [0, 0, 1, 2, 255]
        );
        assert_eq!(s.apply(f32::NAN), 0);
        assert_eq!(s.apply(f32::INFINITY), 255);
        assert_eq!(s.apply(f32::NEG_INFINITY), 0);
        let constant = Scale::from_values(&mut [3.0; 10]);
        assert_eq!(constant.apply(3.0), 0);
        let empty = Scale::from_values(&mut []);
        assert_eq!(empty.apply(f32::NAN), 0);
        let infinite = Scale::new(f64::NEG_INFINITY, f64::INFINITY);
        assert_eq!(
            [infinite.apply(f32::NEG_INFINITY), infinite.apply(0.0), infinite.apply(f32::INFINITY)],
            [0, 0, 255]
        );
    }
}
