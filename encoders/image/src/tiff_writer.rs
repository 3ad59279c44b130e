//! `image/tiff`: arrays as lossless TIFF pages (the `tiff` crate).

use std::borrow::Cow;
use std::io::{Cursor, Seek, Write};
use std::marker::PhantomData;

use half::slice::HalfFloatSliceExt;
use tessera_core::encoder::read_all;
use tessera_core::{
    ArrayEncoder, ArraySource, DataType, EncodeError, Family, MediaType, NdArray, Output, Params, Spec,
};
use tiff::encoder::colortype::ColorType;
use tiff::encoder::{TiffKind, TiffKindBig, TiffKindStandard, TiffValue};
use tiff::tags::{
    CompressionMethod, ExtraSamples, PhotometricInterpretation, PlanarConfiguration, SampleFormat, Tag,
};

const TIFF: MediaType = MediaType::from_static("image/tiff");

/// Above this many bytes of pixel data the file is written as BigTIFF (tifffile's threshold:
/// classic TIFF offsets are 32-bit; the 32 MiB left over hold the directories).
const BIGTIFF_ABOVE: u64 = (1 << 32) - (1 << 25);

/// Uncompressed pages are cut into strips of about this many bytes (as the `tiff` crate's
/// own image encoder does).
const STRIP_BYTES: u64 = 1_000_000;

pub(crate) static TIFF_SPEC: Spec = Spec {
    media_type: TIFF,
    aliases: &["tif", "tiff"],
    family: Family::Array,
    output: Output::Buffered,
    params: &["compression"],
    default_rank: 30,
    provider: "tessera-image",
    description: "TIFF pages with the exact integer or float samples (tifffile reads the same dtype and shape)",
};

/// Compression of the pixel data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TiffCompression {
    /// None (`compression=none`): the default, and what `tifffile.imwrite` writes by default.
    #[default]
    None,
    /// Deflate (zlib) at level 6 (`compression=deflate` or `zlib`; cargo feature `deflate`).
    Deflate,
    /// LZW (`compression=lzw`; cargo feature `lzw`).
    Lzw,
    /// PackBits run-length encoding (`compression=packbits`).
    PackBits,
}

impl TiffCompression {
    fn backend(self) -> Result<tiff::encoder::Compression, EncodeError> {
        Ok(match self {
            TiffCompression::None => tiff::encoder::Compression::Uncompressed,
            TiffCompression::PackBits => tiff::encoder::Compression::Packbits,
            #[cfg(feature = "deflate")]
            TiffCompression::Deflate => {
                tiff::encoder::Compression::Deflate(tiff::encoder::DeflateLevel::Balanced)
            }
            #[cfg(feature = "lzw")]
            TiffCompression::Lzw => tiff::encoder::Compression::Lzw,
            #[allow(unreachable_patterns)]
            other => {
                return Err(EncodeError::invalid_option(
                    "compression",
                    format!("{other:?} compression is not built in (enable the tessera-image cargo feature)"),
                ));
            }
        })
    }
}

/// Options of the TIFF encoder. Build with `TiffOptions::default()` and the `with_*`
/// setters, or from media-type parameters with [`TiffOptions::from_params`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TiffOptions {
    /// Compression; default [`TiffCompression::None`].
    pub compression: TiffCompression,
}

impl TiffOptions {
    /// Sets the compression (default [`TiffCompression::None`]).
    pub fn with_compression(mut self, compression: TiffCompression) -> Self {
        self.compression = compression;
        self
    }

    /// Reads media-type parameters: `compression=none|deflate|zlib|lzw|packbits`.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for an unknown parameter or value, or a compression
    /// whose cargo feature is off.
    pub fn from_params(params: &Params) -> Result<Self, EncodeError> {
        params.check_known(TIFF_SPEC.params)?;
        let mut o = TiffOptions::default();
        if let Some(c) = params.get("compression") {
            o.compression = match c.to_ascii_lowercase().as_str() {
                "none" => TiffCompression::None,
                "deflate" | "zlib" => TiffCompression::Deflate,
                "lzw" => TiffCompression::Lzw,
                "packbits" => TiffCompression::PackBits,
                _ => {
                    return Err(EncodeError::invalid_option(
                        "compression",
                        format!("{c:?} is not one of none, deflate, zlib, lzw, packbits"),
                    ));
                }
            };
            o.compression.backend()?;
        }
        Ok(o)
    }

    /// A writer of one TIFF file into `out`.
    pub fn build<W: Write>(self, out: W) -> TiffWriter<W> {
        TiffWriter { out, options: self }
    }
}

/// Writes one array as a TIFF file (see the [crate docs](crate) for the mapping).
#[derive(Debug)]
pub struct TiffWriter<W> {
    out: W,
    options: TiffOptions,
}

impl<W: Write> TiffWriter<W> {
    /// Encodes `array` and returns the sink. Uncompressed files stream a page at a time;
    /// compressed ones are assembled in memory and written at once.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`], [`EncodeError::InvalidOption`] or
    /// [`EncodeError::Limit`] when the array has no TIFF form; [`EncodeError::Io`] when
    /// writing fails; [`EncodeError::Backend`] if the TIFF library fails.
    pub fn write(mut self, array: &dyn ArraySource) -> Result<W, EncodeError> {
        encode(array, &self.options, &mut self.out)?;
        Ok(self.out)
    }
}

/// Writes arrays as TIFF: registered as `image/tiff` (aliases `tif`, `tiff`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TiffEncoder;

impl ArrayEncoder for TiffEncoder {
    fn spec(&self) -> &'static Spec {
        &TIFF_SPEC
    }

    fn check(&self, data_type: &DataType, shape: &[usize], params: &Params) -> Result<(), EncodeError> {
        TiffOptions::from_params(params)?;
        Pages::of(data_type, shape).map(drop)
    }

    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        let options = TiffOptions::from_params(params)?;
        encode(array, &options, out)
    }
}

/// How an array is cut into pages, decided from its type and shape alone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pages {
    count: usize,
    height: u32,
    width: u32,
    samples: u16,
    /// tifffile's shaped-series description (`{"shape": [...]}`), on the first page.
    description: String,
    /// Bytes of pixel data in all pages.
    data_bytes: u64,
}

impl Pages {
    fn of(dt: &DataType, shape: &[usize]) -> Result<Pages, EncodeError> {
        match dt {
            DataType::Bool
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64 => {}
            DataType::Complex64 | DataType::Complex128 => {
                return Err(EncodeError::unsupported(
                    TIFF,
                    format!(
                        "{dt} samples are not written: complex TIFF samples are an extension most \
                         readers lack. Export the real and imaginary parts separately, or use \
                         application/x-npy, which keeps complex values."
                    ),
                ));
            }
            other => {
                return Err(EncodeError::unsupported(
                    TIFF,
                    format!(
                        "{other} values have no TIFF sample type; TIFF takes booleans, integers and \
                         real floats. Use application/x-npy or application/json for this array."
                    ),
                ));
            }
        }
        // Tiled writes `numpy.atleast_2d(array)`: a 1-D array is one row.
        let (count, height, width, samples, described) = match *shape {
            [] => {
                return Err(EncodeError::unsupported(
                    TIFF,
                    "a 0-d array (a single value) is not an image; TIFF needs 1 to 4 dimensions",
                ));
            }
            [w] => (1, 1, w, 1, vec![1, w]),
            [h, w] => (1, h, w, 1, shape.to_vec()),
            [n, h, w] => (n, h, w, 1, shape.to_vec()),
            [n, h, w, c] => (n, h, w, c, shape.to_vec()),
            _ => {
                return Err(EncodeError::unsupported(
                    TIFF,
                    format!(
                        "TIFF export holds at most 4 dimensions (pages, height, width, samples) but \
                         this array has shape {shape:?}; slice it, e.g. slice={}",
                        vec!["0"; shape.len() - 4].join(",")
                    ),
                ));
            }
        };
        if shape.contains(&0) {
            return Err(EncodeError::unsupported(
                TIFF,
                format!("a TIFF page cannot be empty, but shape {shape:?} has a zero-length dimension"),
            ));
        }
        let side = |what: &str, n: usize| {
            u32::try_from(n).map_err(|_| EncodeError::Limit {
                what: format!("TIFF page {what} {n}"),
                limit: u32::MAX.into(),
            })
        };
        let (height, width) = (side("height", height)?, side("width", width)?);
        let samples = u16::try_from(samples).map_err(|_| EncodeError::Limit {
            what: format!("TIFF samples per pixel {samples}"),
            limit: u16::MAX.into(),
        })?;
        let data_bytes =
            shape.iter().try_fold(dt.itemsize() as u64, |acc, &d| acc.checked_mul(d as u64)).ok_or_else(
                || EncodeError::Limit { what: format!("TIFF of shape {shape:?}"), limit: u64::MAX },
            )?;
        let dims: Vec<String> = described.iter().map(usize::to_string).collect();
        let description = format!("{{\"shape\": [{}]}}", dims.join(", "));
        Ok(Pages { count, height, width, samples, description, data_bytes })
    }

    fn samples_per_page(&self) -> usize {
        self.height as usize * self.width as usize * usize::from(self.samples)
    }
}

fn backend(e: tiff::TiffError) -> EncodeError {
    match e {
        tiff::TiffError::IoError(io) => EncodeError::Io(io),
        other => EncodeError::backend(TIFF, other),
    }
}

pub(crate) fn encode(
    array: &dyn ArraySource,
    options: &TiffOptions,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let pages = Pages::of(array.data_type(), array.shape())?;
    let compression = options.compression.backend()?;
    let compressed = options.compression != TiffCompression::None;
    // Dispatches on the element type once; everything below is monomorphic.
    let encode_as = match array.data_type() {
        DataType::Bool => encode_as::<BoolSample>,
        DataType::Int8 => encode_as::<i8>,
        DataType::Int16 => encode_as::<i16>,
        DataType::Int32 => encode_as::<i32>,
        DataType::Int64 => encode_as::<i64>,
        DataType::UInt8 => encode_as::<u8>,
        DataType::UInt16 => encode_as::<u16>,
        DataType::UInt32 => encode_as::<u32>,
        DataType::UInt64 => encode_as::<u64>,
        DataType::Float16 => encode_as::<half::f16>,
        DataType::Float32 => encode_as::<f32>,
        DataType::Float64 => encode_as::<f64>,
        // `Pages::of` accepted only the types above.
        other => return Err(EncodeError::unsupported(TIFF, format!("{other} has no TIFF sample type"))),
    };
    encode_as(array, &pages, compressed.then_some(compression), out)
}

fn encode_as<S: Sample>(
    array: &dyn ArraySource,
    pages: &Pages,
    compression: Option<tiff::encoder::Compression>,
    out: &mut dyn Write,
) -> Result<(), EncodeError>
where
    [S::Inner]: TiffValue,
{
    // Room for every directory, and for LZW's worst case of 12-bit codes for 8-bit input.
    let worst = if compression.is_some() { pages.data_bytes / 2 * 3 } else { pages.data_bytes };
    let big = worst.saturating_add(pages.count as u64 * 1024) > BIGTIFF_ABOVE;
    match (compression, big) {
        (None, false) => stream_uncompressed::<S, TiffKindStandard>(array, pages, out),
        (None, true) => stream_uncompressed::<S, TiffKindBig>(array, pages, out),
        (Some(c), false) => buffer_compressed::<S, TiffKindStandard>(array, pages, c, out),
        (Some(c), true) => buffer_compressed::<S, TiffKindBig>(array, pages, c, out),
    }
}

/// Compressed pages: the `tiff` crate's image encoder compresses strip by strip into a
/// buffer (it seeks back to link each directory), which is then written out at once.
fn buffer_compressed<S: Sample, K: TiffKind>(
    array: &dyn ArraySource,
    pages: &Pages,
    compression: tiff::encoder::Compression,
    out: &mut dyn Write,
) -> Result<(), EncodeError>
where
    [S::Inner]: TiffValue,
{
    let mut buf = Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::<_, K>::new_generic(&mut buf)
        .map_err(backend)?
        .with_compression(compression);
    let (rgb, alpha) = (&[][..], &[ExtraSamples::UnassociatedAlpha][..]);
    let unspecified = vec![ExtraSamples::Unspecified; usize::from(pages.samples.saturating_sub(1))];
    for p in 0..pages.count {
        let page = read_page(array, pages, p)?;
        let data = S::samples(&page)?;
        let description = (p == 0).then_some(pages.description.as_str());
        match pages.samples {
            3 => page_of::<Rgb<S>, _, K>(&mut enc, pages, rgb, description, &data),
            4 => page_of::<Rgb<S>, _, K>(&mut enc, pages, alpha, description, &data),
            _ => page_of::<Gray<S>, _, K>(&mut enc, pages, &unspecified, description, &data),
        }
        .map_err(backend)?;
    }
    out.write_all(buf.get_ref())?;
    Ok(())
}

/// Page `p`, checked against what the source promised. 1-D and 2-D arrays are one page;
/// higher ones are read a page at a time.
fn read_page(array: &dyn ArraySource, pages: &Pages, p: usize) -> Result<NdArray, EncodeError> {
    let page = if array.shape().len() <= 2 { read_all(array)? } else { array.read_rows(p..p + 1)? };
    if page.data_type() != array.data_type() || page.len() != pages.samples_per_page() {
        return Err(EncodeError::Input(
            format!(
                "array source returned {} values of {} for page {p}, expected {} of {}",
                page.len(),
                page.data_type(),
                pages.samples_per_page(),
                array.data_type()
            )
            .into(),
        ));
    }
    Ok(page)
}

/// Uncompressed pages stream: the header and every page's directory come first, then the
/// pixel data of all pages back to back, copied from the array straight to `out`.
///
/// Directory sizes do not depend on the offsets they hold, so the directories are laid out
/// once to learn their length, then again with the data offsets that follow from it. Data
/// that is contiguous also keeps tifffile right: it reads a shaped series it finds
/// contiguous as one block from the first page's offset.
fn stream_uncompressed<S: Sample, K: TiffKind>(
    array: &dyn ArraySource,
    pages: &Pages,
    out: &mut dyn Write,
) -> Result<(), EncodeError>
where
    [S::Inner]: TiffValue,
{
    let layout = StripLayout::new::<S>(pages);
    let probe = directories::<K>(&layout, pages, 0).map_err(backend)?;
    // Data starts 16-byte aligned, so readers can map any sample type in place.
    let data_start = probe.len().next_multiple_of(16) as u64;
    let mut head = directories::<K>(&layout, pages, data_start).map_err(backend)?;
    if head.len() != probe.len() {
        return Err(EncodeError::backend(TIFF, "TIFF directories changed length between layouts"));
    }
    head.resize(data_start as usize, 0);
    for p in 0..pages.count {
        let page = read_page(array, pages, p)?;
        let samples = S::samples(&page)?;
        if p == 0 {
            // After the first page was read: a source failing at once writes nothing.
            out.write_all(&head)?;
        }
        out.write_all(&samples.data())?;
    }
    Ok(())
}

/// The header and the directories of all pages, page `p`'s data at
/// `data_start + p * page_bytes`.
fn directories<K: TiffKind>(
    layout: &StripLayout,
    pages: &Pages,
    data_start: u64,
) -> tiff::TiffResult<Vec<u8>> {
    let mut buf = Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::<_, K>::new_generic(&mut buf)?;
    for p in 0..pages.count as u64 {
        let mut d = enc.image_directory()?;
        let description = (p == 0).then_some(pages.description.as_str());
        layout.tags::<K, _>(&mut d, data_start + p * layout.page_bytes(), description)?;
        d.finish()?;
    }
    Ok(buf.into_inner())
}

/// The directory entries of an uncompressed page, the same for every page but the strip
/// offsets and the description.
struct StripLayout {
    width: u32,
    height: u32,
    samples: u16,
    row_bytes: u64,
    rows_per_strip: u32,
    bits: Vec<u16>,
    formats: Vec<u16>,
    photometric: PhotometricInterpretation,
    extra: Vec<u16>,
}

impl StripLayout {
    fn page_bytes(&self) -> u64 {
        self.row_bytes * u64::from(self.height)
    }

    fn new<S: Sample>(pages: &Pages) -> StripLayout {
        let row_bytes = u64::from(pages.width) * u64::from(pages.samples) * u64::from(S::BITS / 8);
        // At least one row, at most the page; fits u32 because the height does.
        let rows_per_strip = (STRIP_BYTES / row_bytes).clamp(1, u64::from(pages.height)) as u32;
        let n = usize::from(pages.samples);
        let (photometric, extra) = match pages.samples {
            3 => (PhotometricInterpretation::RGB, vec![]),
            4 => (PhotometricInterpretation::RGB, vec![ExtraSamples::UnassociatedAlpha.to_u16()]),
            _ => (PhotometricInterpretation::BlackIsZero, vec![ExtraSamples::Unspecified.to_u16(); n - 1]),
        };
        StripLayout {
            width: pages.width,
            height: pages.height,
            samples: pages.samples,
            row_bytes,
            rows_per_strip,
            bits: vec![S::BITS; n],
            formats: vec![S::FORMAT.to_u16(); n],
            photometric,
            extra,
        }
    }

    /// Writes the entries of a page whose data starts at `start`.
    fn tags<K: TiffKind, W: Write + Seek>(
        &self,
        d: &mut tiff::encoder::DirectoryEncoder<'_, W, K>,
        start: u64,
        description: Option<&str>,
    ) -> tiff::TiffResult<()> {
        let (mut offsets, mut counts) = (Vec::new(), Vec::new());
        let (height, per) = (u64::from(self.height), u64::from(self.rows_per_strip));
        let mut row = 0;
        while row < height {
            let rows = per.min(height - row);
            offsets.push(K::convert_offset(start + row * self.row_bytes)?);
            counts.push(K::convert_offset(rows * self.row_bytes)?);
            row += rows;
        }
        d.write_tag(Tag::ImageWidth, self.width)?;
        d.write_tag(Tag::ImageLength, self.height)?;
        d.write_tag(Tag::BitsPerSample, &self.bits[..])?;
        d.write_tag(Tag::Compression, CompressionMethod::None.to_u16())?;
        d.write_tag(Tag::PhotometricInterpretation, self.photometric.to_u16())?;
        if let Some(text) = description {
            d.write_tag(Tag::ImageDescription, text)?;
        }
        d.write_tag(Tag::StripOffsets, K::convert_slice(&offsets))?;
        d.write_tag(Tag::SamplesPerPixel, self.samples)?;
        d.write_tag(Tag::RowsPerStrip, self.rows_per_strip)?;
        d.write_tag(Tag::StripByteCounts, K::convert_slice(&counts))?;
        d.write_tag(Tag::PlanarConfiguration, PlanarConfiguration::Chunky.to_u16())?;
        if !self.extra.is_empty() {
            d.write_tag(Tag::ExtraSamples, &self.extra[..])?;
        }
        d.write_tag(Tag::SampleFormat, &self.formats[..])
    }
}

fn page_of<C: ColorType, W: Write + Seek, K: TiffKind>(
    enc: &mut tiff::encoder::TiffEncoder<W, K>,
    pages: &Pages,
    extra: &[ExtraSamples],
    description: Option<&str>,
    data: &[C::Inner],
) -> tiff::TiffResult<()>
where
    [C::Inner]: TiffValue,
{
    let mut image = enc.new_image::<C>(pages.width, pages.height)?;
    if !extra.is_empty() {
        image.extra_samples(extra)?;
    }
    if let Some(d) = description {
        image.encoder().write_tag(Tag::ImageDescription, d)?;
    }
    image.write_data(data)
}

/// An element type stored as TIFF samples.
trait Sample {
    /// What the TIFF library writes (the element itself, or its bits).
    type Inner: TiffValue + Copy;
    /// `BitsPerSample`.
    const BITS: u16;
    /// `SampleFormat`.
    const FORMAT: SampleFormat;
    /// The samples of an array of this type, borrowed when possible.
    fn samples(a: &NdArray) -> Result<Cow<'_, [Self::Inner]>, EncodeError>;
}

macro_rules! direct_sample {
    ($($t:ty => $format:ident),* $(,)?) => {$(
        impl Sample for $t {
            type Inner = $t;
            const BITS: u16 = (std::mem::size_of::<$t>() * 8) as u16;
            const FORMAT: SampleFormat = SampleFormat::$format;
            fn samples(a: &NdArray) -> Result<Cow<'_, [$t]>, EncodeError> {
                a.as_slice::<$t>().map(Cow::Borrowed).map_err(|e| EncodeError::Input(Box::new(e)))
            }
        }
    )*};
}
direct_sample!(
    u8 => Uint, u16 => Uint, u32 => Uint, u64 => Uint,
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    f32 => IEEEFP, f64 => IEEEFP,
);

/// `float16`: 16-bit IEEE samples, which tifffile and the `tiff` decoder read.
impl Sample for half::f16 {
    type Inner = u16;
    const BITS: u16 = 16;
    const FORMAT: SampleFormat = SampleFormat::IEEEFP;
    fn samples(a: &NdArray) -> Result<Cow<'_, [u16]>, EncodeError> {
        let v = a.as_slice::<half::f16>().map_err(|e| EncodeError::Input(Box::new(e)))?;
        Ok(Cow::Borrowed(v.reinterpret_cast()))
    }
}

/// `bool` as `uint8` 0/1 (numpy's bytes; any non-zero byte becomes 1).
struct BoolSample;

impl Sample for BoolSample {
    type Inner = u8;
    const BITS: u16 = 8;
    const FORMAT: SampleFormat = SampleFormat::Uint;
    fn samples(a: &NdArray) -> Result<Cow<'_, [u8]>, EncodeError> {
        let b = a.as_bytes();
        Ok(if b.iter().all(|&x| x <= 1) {
            Cow::Borrowed(b)
        } else {
            b.iter().map(|&x| u8::from(x != 0)).collect()
        })
    }
}

/// One sample per pixel (more as `ExtraSamples`), `BlackIsZero`.
struct Gray<S>(PhantomData<S>);

impl<S: Sample> ColorType for Gray<S> {
    type Inner = S::Inner;
    const TIFF_VALUE: PhotometricInterpretation = PhotometricInterpretation::BlackIsZero;
    const BITS_PER_SAMPLE: &'static [u16] = &[S::BITS];
    const SAMPLE_FORMAT: &'static [SampleFormat] = &[S::FORMAT];
    fn horizontal_predict(row: &[S::Inner], result: &mut Vec<S::Inner>) {
        // Only called with a predictor, which this encoder never sets.
        result.extend_from_slice(row);
    }
}

/// Three samples per pixel (a fourth as alpha), `RGB`.
struct Rgb<S>(PhantomData<S>);

impl<S: Sample> ColorType for Rgb<S> {
    type Inner = S::Inner;
    const TIFF_VALUE: PhotometricInterpretation = PhotometricInterpretation::RGB;
    const BITS_PER_SAMPLE: &'static [u16] = &[S::BITS, S::BITS, S::BITS];
    const SAMPLE_FORMAT: &'static [SampleFormat] = &[S::FORMAT, S::FORMAT, S::FORMAT];
    fn horizontal_predict(row: &[S::Inner], result: &mut Vec<S::Inner>) {
        // Only called with a predictor, which this encoder never sets.
        result.extend_from_slice(row);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tessera_core::TimeUnit;

    fn unsupported_text(r: Result<Pages, EncodeError>) -> String {
        match r {
            Err(e @ EncodeError::Unsupported { .. }) => e.to_string(),
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }

    #[test]
    fn pages_follow_shape() {
        let p = Pages::of(&DataType::UInt16, &[5]).unwrap();
        assert_eq!((p.count, p.height, p.width, p.samples), (1, 1, 5, 1));
        assert_eq!(p.description, r#"{"shape": [1, 5]}"#);
        let p = Pages::of(&DataType::Float64, &[3, 4]).unwrap();
        assert_eq!((p.count, p.height, p.width, p.samples, p.data_bytes), (1, 3, 4, 1, 96));
        let p = Pages::of(&DataType::Int8, &[2, 3, 4]).unwrap();
        assert_eq!((p.count, p.height, p.width, p.samples), (2, 3, 4, 1));
        let p = Pages::of(&DataType::Bool, &[2, 3, 4, 5]).unwrap();
        assert_eq!((p.count, p.height, p.width, p.samples), (2, 3, 4, 5));
        assert_eq!(p.description, r#"{"shape": [2, 3, 4, 5]}"#);
    }

    #[test]
    fn impossible_inputs_say_why() {
        assert!(unsupported_text(Pages::of(&DataType::UInt8, &[])).contains("0-d"));
        let t = unsupported_text(Pages::of(&DataType::UInt8, &[1, 2, 3, 4, 5, 6]));
        assert!(t.contains("slice=0,0"), "{t}");
        assert!(unsupported_text(Pages::of(&DataType::UInt8, &[0, 3])).contains("empty"));
        assert!(unsupported_text(Pages::of(&DataType::UInt8, &[2, 3, 4, 0])).contains("empty"));
        assert!(unsupported_text(Pages::of(&DataType::Complex128, &[2, 2])).contains("npy"));
        for dt in [DataType::Datetime64(TimeUnit::Day), DataType::Unicode(2), DataType::Bytes(2)] {
            assert!(unsupported_text(Pages::of(&dt, &[2, 2])).contains("no TIFF sample type"));
        }
        assert!(matches!(Pages::of(&DataType::UInt8, &[1, 1 << 33]), Err(EncodeError::Limit { .. })));
        assert!(matches!(Pages::of(&DataType::UInt8, &[1, 1, 1, 70_000]), Err(EncodeError::Limit { .. })));
    }

    /// Reads every page's samples back with the `tiff` decoder.
    fn decode_pages(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut d = tiff::decoder::Decoder::new(Cursor::new(bytes)).unwrap();
        let mut pages = Vec::new();
        loop {
            pages.push(d.read_image().unwrap().as_buffer(0).as_bytes().to_vec());
            if !d.more_images() {
                return pages;
            }
            d.next_image().unwrap();
        }
    }

    #[test]
    fn bigtiff_layouts_decode() {
        // The BigTIFF paths, on an array small enough for a test.
        let a = NdArray::from_vec(vec![2, 3, 4], (0..24u16).map(|i| i * 1000).collect()).unwrap();
        let pages = Pages::of(a.data_type(), a.shape()).unwrap();
        let expected: Vec<Vec<u8>> = a.as_bytes().chunks(24).map(<[u8]>::to_vec).collect();
        let mut out = Vec::new();
        stream_uncompressed::<u16, TiffKindBig>(&a, &pages, &mut out).unwrap();
        assert_eq!(&out[..4], b"II+\0");
        assert_eq!(decode_pages(&out), expected);
        let mut out = Vec::new();
        buffer_compressed::<u16, TiffKindBig>(&a, &pages, tiff::encoder::Compression::Packbits, &mut out)
            .unwrap();
        assert_eq!(&out[..4], b"II+\0");
        assert_eq!(decode_pages(&out), expected);
    }

    #[test]
    fn params_parse() {
        let p = |v: &str| TiffOptions::from_params(&Params::new().with("compression", v));
        assert_eq!(TiffOptions::from_params(&Params::new()).unwrap(), TiffOptions::default());
        assert_eq!(p("packbits").unwrap().compression, TiffCompression::PackBits);
        assert_eq!(p("none").unwrap().compression, TiffCompression::None);
        #[cfg(feature = "deflate")]
        assert_eq!(p("ZLIB").unwrap().compression, TiffCompression::Deflate);
        #[cfg(feature = "lzw")]
        assert_eq!(p("lzw").unwrap().compression, TiffCompression::Lzw);
        assert!(matches!(p("jpeg"), Err(EncodeError::InvalidOption { .. })));
        let other = TiffOptions::from_params(&Params::new().with("predictor", "2"));
        assert!(matches!(other, Err(EncodeError::InvalidOption { .. })));
    }
}
