//! N-dimensional arrays: C-order bytes of one [`DataType`], with typed views.
//!
//! An [`NdArray`] owns its elements as an aligned byte buffer (numpy's memory layout,
//! little-endian), so every dtype — numbers, datetimes, fixed-width text and records — has
//! one representation and the raw encoder is a copy. Numeric code gets typed `ndarray` views
//! through [`NdArray::view`] or, generically over the dtype, through [`NdArray::visit`], so
//! an encoder writes one generic function instead of a `match` over dtypes.
//!
//! ```
//! use tessera_core::{NdArray, DataType};
//! let a = NdArray::from_vec(vec![2, 3], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
//! assert_eq!(a.data_type(), &DataType::Float64);
//! assert_eq!(a.view::<f64>().unwrap()[[1, 2]], 6.0);
//! assert_eq!(a.as_bytes().len(), 48);
//! ```

use std::borrow::Cow;

use arrow::buffer::Buffer;
use half::f16;
use ndarray::{ArrayViewD, IxDyn};
use num_complex::Complex;
use serde_json::{Value, json};

use crate::dtype::{DataType, TimeUnit};
use crate::error::ArrayError;
use crate::time::write_datetime;

/// A `bool` stored as one byte. Any non-zero byte is `true`, so a view over untrusted bytes
/// is always valid (a Rust `bool` must be exactly 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct Bool8(pub u8);

impl Bool8 {
    /// The truth value.
    pub fn get(self) -> bool {
        self.0 != 0
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A numeric element type with a typed view: `Bool8`, the integers, `f16`, `f32`, `f64`,
/// `Complex<f32>`, `Complex<f64>`. Sealed: the set is closed.
pub trait Element: sealed::Sealed + Copy + Send + Sync + std::fmt::Debug + 'static {
    /// The matching data type.
    const DATA_TYPE: DataType;
    /// Rust's name for the type (for error messages).
    const NAME: &'static str;
    /// Writes the shortest text that parses back to the same value (`nan`, `inf`, `-inf`
    /// for non-finite floats; `true`/`false`; complex as `re+imj`).
    fn write_text(self, out: &mut Vec<u8>);
    /// Writes strict JSON (non-finite floats become `null`, complex `[re, im]`).
    fn write_json(self, out: &mut Vec<u8>);
    /// The value as `f64` (the real part of complex numbers, 0/1 for booleans).
    fn to_f64(self) -> f64;
}

macro_rules! int_element {
    ($t:ty, $dt:ident) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DATA_TYPE: DataType = DataType::$dt;
            const NAME: &'static str = stringify!($t);
            #[inline]
            fn write_text(self, out: &mut Vec<u8>) {
                out.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
            }
            #[inline]
            fn write_json(self, out: &mut Vec<u8>) {
                self.write_text(out)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
int_element!(i8, Int8);
int_element!(i16, Int16);
int_element!(i32, Int32);
int_element!(i64, Int64);
int_element!(u8, UInt8);
int_element!(u16, UInt16);
int_element!(u32, UInt32);
int_element!(u64, UInt64);

impl sealed::Sealed for Bool8 {}
impl Element for Bool8 {
    const DATA_TYPE: DataType = DataType::Bool;
    const NAME: &'static str = "bool";
    #[inline]
    fn write_text(self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.get() { b"true" } else { b"false" });
    }
    #[inline]
    fn write_json(self, out: &mut Vec<u8>) {
        self.write_text(out)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        if self.get() { 1.0 } else { 0.0 }
    }
}

/// Writes a float as the shortest round-trip text; `nan`, `inf`, `-inf` when not finite.
#[inline]
pub fn write_f64_text(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        write_non_finite(v.is_nan(), v.is_sign_negative(), out);
    }
}

/// Writes an `f32` as the shortest text that round-trips to the same `f32`.
#[inline]
pub fn write_f32_text(v: f32, out: &mut Vec<u8>) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        write_non_finite(v.is_nan(), v.is_sign_negative(), out);
    }
}

#[cold]
fn write_non_finite(nan: bool, negative: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(match (nan, negative) {
        (true, _) => b"nan".as_slice(),
        (false, false) => b"inf",
        (false, true) => b"-inf",
    });
}

macro_rules! float_element {
    ($t:ty, $dt:ident, $text:expr, $finite:expr, $f64:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DATA_TYPE: DataType = DataType::$dt;
            const NAME: &'static str = stringify!($t);
            #[inline]
            fn write_text(self, out: &mut Vec<u8>) {
                $text(self, out)
            }
            #[inline]
            fn write_json(self, out: &mut Vec<u8>) {
                if $finite(self) { $text(self, out) } else { out.extend_from_slice(b"null") }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                $f64(self)
            }
        }
    };
}
float_element!(f64, Float64, write_f64_text, f64::is_finite, |v| v);
float_element!(f32, Float32, write_f32_text, f32::is_finite, f64::from);
float_element!(
    f16,
    Float16,
    |v: f16, out: &mut Vec<u8>| write_f32_text(v.to_f32(), out),
    |v: f16| v.is_finite(),
    |v: f16| f64::from(v.to_f32())
);

macro_rules! complex_element {
    ($t:ty, $dt:ident, $text:expr) => {
        impl sealed::Sealed for Complex<$t> {}
        impl Element for Complex<$t> {
            const DATA_TYPE: DataType = DataType::$dt;
            const NAME: &'static str = concat!("Complex<", stringify!($t), ">");
            fn write_text(self, out: &mut Vec<u8>) {
                $text(self.re, out);
                if !(self.im.is_sign_negative() || self.im.is_nan()) {
                    out.push(b'+');
                }
                $text(self.im, out);
                out.push(b'j');
            }
            fn write_json(self, out: &mut Vec<u8>) {
                out.push(b'[');
                self.re.write_json(out);
                out.push(b',');
                self.im.write_json(out);
                out.push(b']');
            }
            fn to_f64(self) -> f64 {
                f64::from(self.re)
            }
        }
    };
}
complex_element!(f32, Complex64, write_f32_text);
complex_element!(f64, Complex128, write_f64_text);

/// Visits an array with its elements' static type: `primitive` for the numeric dtypes
/// (monomorphised, so inner loops are tight), `other` for datetimes, text and records.
pub trait ArrayVisitor<'a> {
    /// What the visit returns.
    type Output;
    /// Called with a typed view for numeric dtypes.
    fn primitive<T: Element>(self, view: ArrayViewD<'a, T>) -> Self::Output;
    /// Called for every other dtype; read elements with [`NdArray::cell`].
    fn other(self, array: &'a NdArray) -> Self::Output;
}

/// One element of any dtype, for formats that handle every kind generically.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Cell<'a> {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A `float32` or `float16` value (kept narrow so its text is the shortest for `f32`).
    Float32(f32),
    /// A `float64` value.
    Float(f64),
    /// A complex number (real, imaginary).
    Complex(f64, f64),
    /// A datetime: count of units since the epoch; `None` is NaT.
    Datetime(Option<i64>, TimeUnit),
    /// A duration: count of units; `None` is NaT.
    Timedelta(Option<i64>, TimeUnit),
    /// Text (fixed-width unicode with its NUL padding removed).
    Str(Cow<'a, str>),
    /// Bytes (fixed-width `S`, NUL padding removed).
    Bytes(&'a [u8]),
    /// A structured record: the fields in order.
    Record(Vec<(&'a str, Cell<'a>)>),
}

impl Cell<'_> {
    /// Writes the cell as text, as [`Element::write_text`] does for numbers, ISO 8601 for
    /// datetimes (empty for NaT), the count of units for durations, text as-is (bytes
    /// decoded as UTF-8, invalid sequences replaced), a record as its JSON array.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Bool(b) => Bool8(u8::from(*b)).write_text(out),
            Cell::Int(v) => v.write_text(out),
            Cell::UInt(v) => v.write_text(out),
            Cell::Float32(v) => write_f32_text(*v, out),
            Cell::Float(v) => write_f64_text(*v, out),
            Cell::Complex(re, im) => Complex::new(*re, *im).write_text(out),
            Cell::Datetime(Some(v), u) => write_datetime(out, *v, *u),
            Cell::Timedelta(Some(v), _) => v.write_text(out),
            Cell::Datetime(None, _) | Cell::Timedelta(None, _) => {}
            Cell::Str(s) => out.extend_from_slice(s.as_bytes()),
            Cell::Bytes(b) => out.extend_from_slice(String::from_utf8_lossy(b).as_bytes()),
            Cell::Record(_) => self.write_json(out),
        }
    }

    /// Writes the cell as strict JSON: NaN/Inf and NaT as `null`, datetimes as ISO strings,
    /// durations as their count, complex as `[re, im]`, records as arrays of their fields.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Float32(v) => v.write_json(out),
            Cell::Float(v) => v.write_json(out),
            Cell::Complex(re, im) => Complex::new(*re, *im).write_json(out),
            Cell::Datetime(None, _) | Cell::Timedelta(None, _) => out.extend_from_slice(b"null"),
            Cell::Datetime(Some(v), u) => {
                out.push(b'"');
                write_datetime(out, *v, *u);
                out.push(b'"');
            }
            Cell::Str(s) => write_json_str(s, out),
            Cell::Bytes(b) => write_json_str(&String::from_utf8_lossy(b), out),
            Cell::Record(fields) => {
                out.push(b'[');
                for (i, (_, c)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    c.write_json(out);
                }
                out.push(b']');
            }
            other => other.write_text(out),
        }
    }
}

/// Writes `s` as a JSON string literal (RFC 8259 escaping, non-ASCII kept as UTF-8).
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// An n-d array: element type, shape and C-order little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    data_type: DataType,
    shape: Vec<usize>,
    data: Buffer,
}

/// Number of elements of `shape`, or an error when it overflows.
pub fn element_count(shape: &[usize]) -> Result<usize, ArrayError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| ArrayError::TooLarge(shape.to_vec()))
}

/// Number of bytes of an array of `shape` and `dt`, or an error when it overflows.
pub fn byte_count(dt: &DataType, shape: &[usize]) -> Result<usize, ArrayError> {
    element_count(shape)?.checked_mul(dt.itemsize()).ok_or_else(|| ArrayError::TooLarge(shape.to_vec()))
}

fn alignment(dt: &DataType) -> usize {
    match dt {
        DataType::Complex64 => 4,
        DataType::Complex128 => 8,
        DataType::Unicode(_) => 4,
        DataType::Bytes(_) | DataType::Record { .. } => 1,
        other => other.itemsize(),
    }
}

impl NdArray {
    /// An array over `data`, which must hold exactly `shape.product() * itemsize` bytes in
    /// C order. Misaligned buffers are copied once so typed views are always possible.
    ///
    /// # Errors
    /// [`ArrayError::Length`] when the byte count does not match, [`ArrayError::TooLarge`]
    /// when the shape overflows.
    pub fn new(data_type: DataType, shape: Vec<usize>, data: impl Into<Buffer>) -> Result<Self, ArrayError> {
        let mut data: Buffer = data.into();
        let expected = byte_count(&data_type, &shape)?;
        if data.len() != expected {
            return Err(ArrayError::Length {
                shape,
                data_type: data_type.to_string(),
                expected,
                actual: data.len(),
            });
        }
        if data.as_ptr() as usize % alignment(&data_type) != 0 {
            data = Buffer::from_slice_ref(data.as_slice());
        }
        Ok(NdArray { data_type, shape, data })
    }

    /// An array from typed elements in C order.
    ///
    /// # Errors
    /// [`ArrayError::Length`] when `values.len()` is not the product of `shape`.
    pub fn from_vec<T: Element>(shape: Vec<usize>, values: Vec<T>) -> Result<Self, ArrayError> {
        // SAFETY: every `Element` is plain old data without padding; viewing its memory as
        // bytes is sound, and the byte slice lives as long as `values`.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values.as_slice()))
        };
        Self::new(T::DATA_TYPE, shape, Buffer::from_slice_ref(bytes))
    }

    /// An array of zeros (what unwritten blocks of a chunked array read as).
    ///
    /// # Errors
    /// [`ArrayError::TooLarge`] when the shape overflows.
    pub fn zeros(data_type: DataType, shape: Vec<usize>) -> Result<Self, ArrayError> {
        let n = byte_count(&data_type, &shape)?;
        let buf = arrow::buffer::MutableBuffer::from_len_zeroed(n);
        Self::new(data_type, shape, Buffer::from(buf))
    }

    /// The element type.
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// The shape (empty for a 0-d array).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements (1 for a 0-d array).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The C-order bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_slice()
    }

    /// The underlying buffer (cheap to clone: reference-counted).
    pub fn buffer(&self) -> &Buffer {
        &self.data
    }

    /// The same elements with another shape of the same element count.
    ///
    /// # Errors
    /// [`ArrayError::Length`] when the counts differ.
    pub fn reshape(&self, shape: Vec<usize>) -> Result<Self, ArrayError> {
        Self::new(self.data_type.clone(), shape, self.data.clone())
    }

    /// A typed view.
    ///
    /// # Errors
    /// [`ArrayError::View`] when `T` is not the array's element type.
    pub fn view<T: Element>(&self) -> Result<ArrayViewD<'_, T>, ArrayError> {
        if T::DATA_TYPE != self.data_type {
            return Err(ArrayError::View { actual: self.data_type.to_string(), requested: T::NAME });
        }
        Ok(self.view_unchecked())
    }

    /// Elements as a flat typed slice (C order).
    ///
    /// # Errors
    /// [`ArrayError::View`] when `T` is not the array's element type.
    pub fn as_slice<T: Element>(&self) -> Result<&[T], ArrayError> {
        if T::DATA_TYPE != self.data_type {
            return Err(ArrayError::View { actual: self.data_type.to_string(), requested: T::NAME });
        }
        Ok(self.slice_unchecked())
    }

    fn slice_unchecked<T: Element>(&self) -> &[T] {
        let bytes = self.data.as_slice();
        let n = bytes.len() / std::mem::size_of::<T>();
        // SAFETY: `new` guarantees the buffer is aligned for the dtype's element and holds
        // exactly `n * size_of::<T>()` bytes; the caller checked that `T` is that element
        // type. Every `Element` is plain old data for which any bit pattern is valid
        // (`Bool8` exists for that reason).
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), n) }
    }

    fn view_unchecked<T: Element>(&self) -> ArrayViewD<'_, T> {
        ArrayViewD::from_shape(IxDyn(&self.shape), self.slice_unchecked())
            .expect("shape and length were checked in NdArray::new")
    }

    /// Calls the visitor with a typed view (numeric dtypes) or the array itself.
    pub fn visit<'a, V: ArrayVisitor<'a>>(&'a self, v: V) -> V::Output {
        match self.data_type {
            DataType::Bool => v.primitive(self.view_unchecked::<Bool8>()),
            DataType::Int8 => v.primitive(self.view_unchecked::<i8>()),
            DataType::Int16 => v.primitive(self.view_unchecked::<i16>()),
            DataType::Int32 => v.primitive(self.view_unchecked::<i32>()),
            DataType::Int64 => v.primitive(self.view_unchecked::<i64>()),
            DataType::UInt8 => v.primitive(self.view_unchecked::<u8>()),
            DataType::UInt16 => v.primitive(self.view_unchecked::<u16>()),
            DataType::UInt32 => v.primitive(self.view_unchecked::<u32>()),
            DataType::UInt64 => v.primitive(self.view_unchecked::<u64>()),
            DataType::Float16 => v.primitive(self.view_unchecked::<f16>()),
            DataType::Float32 => v.primitive(self.view_unchecked::<f32>()),
            DataType::Float64 => v.primitive(self.view_unchecked::<f64>()),
            DataType::Complex64 => v.primitive(self.view_unchecked::<Complex<f32>>()),
            DataType::Complex128 => v.primitive(self.view_unchecked::<Complex<f64>>()),
            _ => v.other(self),
        }
    }

    /// The element at flat (C-order) index `i`, of any dtype.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn cell(&self, i: usize) -> Cell<'_> {
        let size = self.data_type.itemsize();
        cell_from_bytes(&self.data_type, &self.data.as_slice()[i * size..(i + 1) * size])
    }
}

fn le_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_le_bytes(a)
}

/// Decodes one element of `dt` from its bytes (`bytes.len() == dt.itemsize()`).
pub fn cell_from_bytes<'a>(dt: &'a DataType, bytes: &'a [u8]) -> Cell<'a> {
    macro_rules! le {
        ($t:ty) => {{
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(&bytes[..std::mem::size_of::<$t>()]);
            <$t>::from_le_bytes(a)
        }};
    }
    match dt {
        DataType::Bool => Cell::Bool(bytes[0] != 0),
        DataType::Int8 => Cell::Int(i64::from(bytes[0] as i8)),
        DataType::Int16 => Cell::Int(i64::from(le!(i16))),
        DataType::Int32 => Cell::Int(i64::from(le!(i32))),
        DataType::Int64 => Cell::Int(le!(i64)),
        DataType::UInt8 => Cell::UInt(u64::from(bytes[0])),
        DataType::UInt16 => Cell::UInt(u64::from(le!(u16))),
        DataType::UInt32 => Cell::UInt(u64::from(le!(u32))),
        DataType::UInt64 => Cell::UInt(le!(u64)),
        DataType::Float16 => Cell::Float32(f16::from_bits(le!(u16)).to_f32()),
        DataType::Float32 => Cell::Float32(le!(f32)),
        DataType::Float64 => Cell::Float(le!(f64)),
        DataType::Complex64 => {
            let re = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let im = f32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            Cell::Complex(f64::from(re), f64::from(im))
        }
        DataType::Complex128 => {
            let re = f64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
            let im = f64::from_le_bytes(bytes[8..16].try_into().unwrap_or([0; 8]));
            Cell::Complex(re, im)
        }
        DataType::Datetime64(u) => {
            let v = le_i64(bytes);
            Cell::Datetime((v != i64::MIN).then_some(v), *u)
        }
        DataType::Timedelta64(u) => {
            let v = le_i64(bytes);
            Cell::Timedelta((v != i64::MIN).then_some(v), *u)
        }
        DataType::Unicode(_) => {
            let s: String = bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .take_while(|&c| c != 0)
                .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            Cell::Str(Cow::Owned(s))
        }
        DataType::Bytes(_) => {
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            Cell::Bytes(&bytes[..end])
        }
        DataType::Record { fields, .. } => Cell::Record(
            fields
                .iter()
                .map(|f| {
                    let n = f.data_type.itemsize();
                    (f.name.as_str(), cell_from_bytes(&f.data_type, &bytes[f.offset..f.offset + n]))
                })
                .collect(),
        ),
    }
}

/// Tiled's `ArrayStructure`: what a client needs to know to read an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayStructure {
    /// Element type.
    pub data_type: DataType,
    /// Shape.
    pub shape: Vec<usize>,
    /// Chunk lengths along each dimension (they sum to the dimension's length).
    pub chunks: Vec<Vec<usize>>,
    /// Optional dimension names (xarray).
    pub dims: Option<Vec<String>>,
}

impl ArrayStructure {
    /// A structure with one chunk per dimension.
    pub fn single_chunk(data_type: DataType, shape: Vec<usize>) -> Self {
        let chunks = shape.iter().map(|&d| vec![d]).collect();
        ArrayStructure { data_type, shape, chunks, dims: None }
    }

    /// A structure with regular chunks of `chunk_shape` (the last chunk may be shorter).
    pub fn regular(data_type: DataType, shape: Vec<usize>, chunk_shape: &[usize]) -> Self {
        let chunks = shape
            .iter()
            .zip(chunk_shape)
            .map(|(&d, &c)| {
                let c = c.max(1);
                if d == 0 {
                    return vec![0];
                }
                let mut v = vec![c; d / c];
                if d % c != 0 {
                    v.push(d % c);
                }
                v
            })
            .collect();
        ArrayStructure { data_type, shape, chunks, dims: None }
    }

    /// Checks that chunks tile the shape and dims match the number of dimensions.
    ///
    /// # Errors
    /// [`ArrayError::Chunks`] or [`ArrayError::Dims`].
    pub fn validate(&self) -> Result<(), ArrayError> {
        byte_count(&self.data_type, &self.shape)?;
        let tiles = self.chunks.len() == self.shape.len()
            && self.chunks.iter().zip(&self.shape).all(|(c, &d)| {
                c.iter().try_fold(0usize, |a, &x| a.checked_add(x)) == Some(d)
                    && (d == 0 || c.iter().all(|&x| x > 0))
            });
        if !tiles {
            return Err(ArrayError::Chunks { shape: self.shape.clone(), chunks: self.chunks.clone() });
        }
        if let Some(dims) = &self.dims {
            if dims.len() != self.shape.len() {
                return Err(ArrayError::Dims { dims: dims.clone(), ndim: self.shape.len() });
            }
        }
        Ok(())
    }

    /// Number of blocks along each dimension.
    pub fn block_counts(&self) -> Vec<usize> {
        self.chunks.iter().map(Vec::len).collect()
    }

    /// Offset and shape of block `index` (validated with [`crate::slice::parse_block`]).
    pub fn block_region(&self, index: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let mut offset = Vec::with_capacity(index.len());
        let mut shape = Vec::with_capacity(index.len());
        for (c, &i) in self.chunks.iter().zip(index) {
            offset.push(c[..i].iter().sum());
            shape.push(c[i]);
        }
        (offset, shape)
    }

    /// Tiled's JSON form (`resizable` is always false; the client refuses anything else).
    pub fn to_wire(&self) -> Value {
        json!({
            "data_type": self.data_type.to_wire(),
            "chunks": self.chunks,
            "shape": self.shape,
            "dims": self.dims,
            "resizable": false,
        })
    }

    /// Parses Tiled's JSON form and validates it.
    ///
    /// # Errors
    /// A message naming the field that is missing or wrong.
    pub fn from_wire(v: &Value) -> Result<Self, String> {
        let data_type = DataType::from_wire(v.get("data_type").ok_or("structure.data_type is missing")?)
            .map_err(|e| format!("structure.data_type: {e}"))?;
        let usizes = |v: &Value, what: &str| -> Result<Vec<usize>, String> {
            v.as_array()
                .ok_or_else(|| format!("{what} must be a list"))?
                .iter()
                .map(|x| {
                    x.as_u64()
                        .and_then(|x| usize::try_from(x).ok())
                        .ok_or_else(|| format!("{what} must hold non-negative integers"))
                })
                .collect()
        };
        let shape = usizes(v.get("shape").ok_or("structure.shape is missing")?, "structure.shape")?;
        let chunks = match v.get("chunks") {
            None | Some(Value::Null) => shape.iter().map(|&d| vec![d]).collect(),
            Some(c) => c
                .as_array()
                .ok_or("structure.chunks must be a list of lists")?
                .iter()
                .map(|c| usizes(c, "structure.chunks"))
                .collect::<Result<_, _>>()?,
        };
        let dims = match v.get("dims") {
            None | Some(Value::Null) => None,
            Some(d) => Some(
                d.as_array()
                    .ok_or("structure.dims must be a list of strings or null")?
                    .iter()
                    .map(|x| x.as_str().map(str::to_owned).ok_or("structure.dims must hold strings"))
                    .collect::<Result<_, _>>()?,
            ),
        };
        if v.get("resizable").is_some_and(|r| r.as_bool() == Some(true)) {
            return Err("resizable arrays are not supported".into());
        }
        let s = ArrayStructure { data_type, shape, chunks, dims };
        s.validate().map_err(|e| e.to_string())?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_checked() {
        assert!(NdArray::new(DataType::Float64, vec![2, 2], Buffer::from_vec(vec![0u8; 31])).is_err());
        assert!(
            NdArray::new(DataType::Float64, vec![usize::MAX, 2], Buffer::from_vec(vec![0u8; 0])).is_err()
        );
        let z = NdArray::zeros(DataType::Int32, vec![0, 5]).unwrap();
        assert!(z.is_empty());
        assert_eq!(NdArray::zeros(DataType::Float64, vec![]).unwrap().len(), 1);
    }

    #[test]
    fn misaligned_input_is_copied() {
        let raw = Buffer::from_vec(vec![0u8; 17]);
        let sliced = raw.slice(1);
        let a = NdArray::new(DataType::Float64, vec![2], sliced).unwrap();
        assert_eq!(a.view::<f64>().unwrap().len(), 2);
    }

    #[test]
    fn wrong_view_type_is_an_error() {
        let a = NdArray::from_vec(vec![1], vec![1i32]).unwrap();
        assert!(a.view::<f64>().is_err());
        assert_eq!(a.as_slice::<i32>().unwrap(), &[1]);
    }

    #[test]
    fn cells_of_every_kind() {
        let dt = DataType::Unicode(3);
        let mut b = Vec::new();
        for c in ['a', 'é', '\0'] {
            b.extend_from_slice(&(c as u32).to_le_bytes());
        }
        let a = NdArray::new(dt, vec![1], Buffer::from_vec(b)).unwrap();
        assert_eq!(a.cell(0), Cell::Str("aé".into()));
        let mut out = Vec::new();
        Cell::Datetime(None, TimeUnit::Second).write_json(&mut out);
        Cell::Float(f64::NAN).write_json(&mut out);
        Cell::Str("q\"\n\u{1}".into()).write_json(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "nullnull\"q\\\"\\n\\u0001\"");
        let mut t = Vec::new();
        Complex::new(1.5f64, -2.0).write_text(&mut t);
        t.push(b' ');
        Complex::new(1.0f64, 0.5).write_text(&mut t);
        assert_eq!(t, b"1.5-2.0j 1.0+0.5j");
    }

    #[test]
    fn structure_validation() {
        let s = ArrayStructure::regular(DataType::Float64, vec![1000, 1000], &[250, 100]);
        s.validate().unwrap();
        assert_eq!(s.block_counts(), vec![4, 10]);
        assert_eq!(s.block_region(&[1, 2]), (vec![250, 200], vec![250, 100]));
        let w = s.to_wire();
        assert_eq!(ArrayStructure::from_wire(&w).unwrap(), s);
        let mut bad = w.clone();
        bad["chunks"] = json!([[500], [1000]]);
        assert!(ArrayStructure::from_wire(&bad).is_err());
        let mut bad = w;
        bad["dims"] = json!(["x"]);
        assert!(ArrayStructure::from_wire(&bad).is_err());
        let r = ArrayStructure::regular(DataType::Int8, vec![10, 0], &[3, 4]);
        assert_eq!(r.chunks, vec![vec![3, 3, 3, 1], vec![0]]);
        r.validate().unwrap();
    }
}
