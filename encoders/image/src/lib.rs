//! PNG and TIFF encoders for tessera arrays: `image/png` (alias `png`) and `image/tiff`
//! (aliases `tif`, `tiff`).
//!
//! ```
//! use tessera_core::NdArray;
//! use tessera_image::{PngCompression, PngOptions};
//!
//! let a = NdArray::from_vec(vec![2, 3], vec![0u8, 1, 2, 253, 254, 255]).unwrap();
//! let png = PngOptions::default().with_compression(PngCompression::BEST).build(Vec::new()).write(&a).unwrap();
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//!
//! // Any PNG decoder reads the pixels back: 3 wide, 2 high, 8-bit gray.
//! let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
//! let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
//! let frame = reader.next_frame(&mut pixels).unwrap();
//! assert_eq!((frame.width, frame.height, frame.color_type), (3, 2, png::ColorType::Grayscale));
//! assert_eq!(pixels, [0, 1, 2, 253, 254, 255]);
//! ```
//!
//! # PNG (`image/png`)
//!
//! Which image an array becomes depends only on its type and shape, so the server can refuse
//! an impossible request before reading any data:
//!
//! | shape | image |
//! |---|---|
//! | `(w,)` | one row (as Tiled, `numpy.atleast_2d`) |
//! | `(h, w)` | gray |
//! | `(h, w, c)`, `c` = 1, 2, 3, 4 | gray, gray + alpha, RGB, RGBA |
//! | 0-d, more than 3 dims, another `c`, a zero-length dim | [`EncodeError::Unsupported`] (slice first) |
//!
//! | element type | samples |
//! |---|---|
//! | `uint8` | 8-bit, the values as they are |
//! | `uint16` | 16-bit, the values as they are (lossless) |
//! | `bool` | 8-bit, false 0 and true 255 |
//! | other integers, `float16/32/64` | 8-bit, scaled (Tiled's rule, below) |
//! | complex, datetime, timedelta, text, records | [`EncodeError::Unsupported`] |
//!
//! Scaling: values are cast to `float32`; the 1st and 99th percentiles `lo` and `hi` are
//! taken over all samples (numpy's default linear interpolation, NaN ignored; found by
//! selection, not a full sort), and a value `x` becomes `round(255 (x − lo) / (hi − lo))`
//! clipped to 0..=255. NaN becomes 0; values at or below `lo` become 0, so a constant image
//! is all 0. Scaling holds one `float32` per element; otherwise rows stream through in slabs.
//!
//! Parameters (`image/png;level=9`), also [`PngOptions`]:
//! - `compression=none|fast|default|best`: stored, zlib level 1 (the default), 6 (libpng's
//!   and Pillow's default), 9;
//! - `level=0..9`: a zlib level instead (0 is stored); not together with `compression`;
//! - `filter=none|sub|up|avg|paeth|adaptive`: the row filter (default `up`, which suits
//!   smooth data best; `adaptive` is libpng's per-row choice).
//!
//! The defaults were chosen on the shared benchmark workloads: level 1 with `up` writes the
//! 4096² `uint16` ramp (A1) in 209 KB and the 512² `uint8` image (A3) in 2.5 KB, several
//! times faster than Pillow (whose level 1 gives 377 KB and 32 KB). The `png` crate's
//! faster `fdeflate` mode was measured too and left out: it made A1 931 KB and A3 329 KB,
//! larger than the raw pixels.
//!
//! # TIFF (`image/tiff`)
//!
//! Every real numeric type is stored losslessly with its own sample format, so tifffile
//! reads back the same values and dtype: `uint8`…`uint64`, `int8`…`int64`, `float16`,
//! `float32`, `float64`; `bool` becomes `uint8` 0/1. Complex values are refused (complex
//! samples are a TIFF extension that most readers lack), as are datetimes, text and records.
//!
//! | shape | pages |
//! |---|---|
//! | `(w,)` | one page of one row |
//! | `(h, w)` | one page |
//! | `(n, h, w)` | `n` pages of `h × w` |
//! | `(n, h, w, c)` | `n` pages of `h × w` pixels with `c` interleaved samples: RGB for `c = 3`, RGB + alpha for 4, otherwise gray with `c − 1` extra samples |
//! | 0-d, more than 4 dims, a zero-length dim | [`EncodeError::Unsupported`] |
//!
//! The first page carries tifffile's shape description (`{"shape": [n, h, w]}`), so
//! `tifffile.imread` returns the array's exact shape. Files with more than 4 GiB − 32 MiB of
//! pixel data are BigTIFF. Uncompressed files (the default) stream: the header and all page
//! directories first, then the pages' samples back to back, copied straight from the array
//! one page at a time. Compressed files are assembled in memory, because the TIFF library
//! seeks back to link each page; so the encoder's spec says
//! [`Output::Buffered`](tessera_core::Output::Buffered).
//!
//! Parameters (`image/tiff;compression=deflate`), also [`TiffOptions`]:
//! `compression=none|deflate|zlib|lzw|packbits` (default `none`, as `tifffile.imwrite`).
//!
//! Exact output bytes are not covered by semver; the mappings above are.
//!
//! [`EncodeError::Unsupported`]: tessera_core::EncodeError::Unsupported

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod png_writer;
mod scale;
mod tiff_writer;

pub use png_writer::{PngCompression, PngEncoder, PngFilter, PngOptions, PngWriter};
pub use tiff_writer::{TiffCompression, TiffEncoder, TiffOptions, TiffWriter};

use tessera_core::Registration;

tessera_core::inventory::submit! { Registration::Array(&PngEncoder) }
tessera_core::inventory::submit! { Registration::Array(&TiffEncoder) }

/// The encoders of this crate, for [`Registry::from_static`](tessera_core::Registry::from_static).
pub const REGISTRATIONS: &[Registration] =
    &[Registration::Array(&PngEncoder), Registration::Array(&TiffEncoder)];
