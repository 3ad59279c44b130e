//! Zarr chunk files written straight from the uploaded array: the chunk's rows stream from
//! the request body into the file, with no chunk-shaped copy in between.
//!
//! Every chunk is one zstd frame, so zarrs, zarr-python (numcodecs) and any zstd decoder read
//! it. What goes in the frame depends on the data, judged on a sample:
//! - data zstd can shrink (images, counts, repeated values) is compressed at the array's level;
//! - data it cannot shrink by more than [`MIN_SAVING`] (random or noisy floats, which is
//!   most measured data) is stored as zstd *raw blocks*: a frame header, then the bytes in
//!   128 KiB blocks each behind a 3-byte header. That is what zstd itself emits for a block it
//!   cannot shrink, without first spending the CPU to find out, block after block; and it reads
//!   back at the speed of a copy.
//!
//! The choice is made per chunk, on its first bytes (see [`crate::upload`]); a chunk that is
//! mostly padding past the array's edge is always compressed (zeros cost zstd little).

use std::fs::File;
use std::io::{self, Write};

/// zstd's largest block: 128 KiB.
const BLOCK: usize = 128 << 10;

/// The smallest saving worth compressing for: 1/16 of the bytes (6.25 %). Below it a chunk is
/// stored raw; zstd's fast levels would spend several times the CPU of a copy (on write and on
/// every read) to save a few percent of the disk.
pub(crate) const MIN_SAVING: (usize, usize) = (1, 16);

/// Bytes sampled to judge compressibility: four windows of 32 KiB spread over the chunk.
const SAMPLE_WINDOWS: usize = 4;
const SAMPLE_WINDOW: usize = 32 << 10;

/// A run of all-zero bytes to take zero padding from.
pub(crate) static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

/// The content of one chunk: its C-order bytes, taken row by row from a C-order source array
/// and zero-padded where the chunk passes the edge of the array (Zarr's fill value, 0).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkContent<'a> {
    /// The source array's bytes (C order, little-endian).
    pub src: &'a [u8],
    /// Its shape.
    pub src_shape: &'a [usize],
    /// Where the chunk's region starts in the source.
    pub offset: &'a [usize],
    /// The region's shape (within the source; at most the chunk's shape).
    pub region: &'a [usize],
    /// The Zarr chunk shape (≥ 1 dimension).
    pub chunk: &'a [usize],
    /// Bytes per element.
    pub itemsize: usize,
}

/// One piece of a chunk's content, in order.
enum Piece<'a> {
    Bytes(&'a [u8]),
    Zeros(usize),
}

impl ChunkContent<'_> {
    /// The chunk's length in bytes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.chunk.iter().product::<usize>() * self.itemsize
    }

    /// Calls `f` with the content's pieces in order: source rows (merged where they are
    /// adjacent in the source) and zero runs.
    fn for_each_piece<E>(&self, mut f: impl FnMut(Piece<'_>) -> Result<(), E>) -> Result<(), E> {
        let nd = self.chunk.len();
        let item = self.itemsize;
        let mut src_strides = vec![1usize; nd];
        for k in (0..nd.saturating_sub(1)).rev() {
            src_strides[k] = src_strides[k + 1] * self.src_shape[k + 1];
        }
        let row_taken = self.region[nd - 1] * item;
        let row_pad = (self.chunk[nd - 1] - self.region[nd - 1]) * item;
        let row_len = row_taken + row_pad;
        // Pending merged run: a source range, or zeros.
        let mut bytes: Option<(usize, usize)> = None;
        let mut zeros = 0usize;
        macro_rules! flush_bytes {
            () => {
                if let Some((s, e)) = bytes.take() {
                    f(Piece::Bytes(&self.src[s..e]))?;
                }
            };
        }
        macro_rules! flush_zeros {
            () => {
                if zeros > 0 {
                    f(Piece::Zeros(zeros))?;
                    zeros = 0;
                }
            };
        }
        let mut at = vec![0usize; nd - 1];
        loop {
            let inside = at.iter().zip(self.region).all(|(&a, &r)| a < r);
            if inside && row_taken > 0 {
                let mut start = self.offset[nd - 1];
                for k in 0..nd - 1 {
                    start += (self.offset[k] + at[k]) * src_strides[k];
                }
                let (s, e) = (start * item, start * item + row_taken);
                flush_zeros!();
                bytes = match bytes {
                    Some((ps, pe)) if pe == s => Some((ps, e)),
                    _ => {
                        flush_bytes!();
                        Some((s, e))
                    }
                };
                if row_pad > 0 {
                    flush_bytes!();
                    zeros += row_pad;
                }
            } else {
                flush_bytes!();
                zeros += row_len;
            }
            // Next row of the chunk (odometer over the outer dimensions).
            let mut k = nd - 1;
            loop {
                if k == 0 {
                    flush_bytes!();
                    return if zeros > 0 { f(Piece::Zeros(zeros)) } else { Ok(()) };
                }
                k -= 1;
                at[k] += 1;
                if at[k] < self.chunk[k] {
                    break;
                }
                at[k] = 0;
            }
        }
    }

    /// Writes the whole content to `out`.
    pub(crate) fn write_to(&self, out: &mut dyn ContentSink) -> io::Result<()> {
        self.for_each_piece(|piece| match piece {
            Piece::Bytes(b) => out.write_all(b),
            Piece::Zeros(n) => out.write_zeros(n),
        })
    }

    /// True when every byte is zero (the chunk equals the fill value and is not stored).
    pub(crate) fn is_zero(&self) -> bool {
        self.for_each_piece(|piece| match piece {
            Piece::Bytes(b) if !all_zero(b) => Err(()),
            _ => Ok(()),
        })
        .is_ok()
    }

    /// Up to [`SAMPLE_WINDOWS`] × [`SAMPLE_WINDOW`] bytes spread evenly over the content's
    /// data (padding left out: it costs nothing either way, see [`ContentSink::write_zeros`]);
    /// all of it when it is smaller.
    fn sample(&self) -> Vec<u8> {
        let mut data = 0usize;
        let _ = self.for_each_piece(|piece| {
            if let Piece::Bytes(b) = piece {
                data += b.len();
            }
            Ok::<(), ()>(())
        });
        let windows: Vec<(usize, usize)> = if data <= SAMPLE_WINDOWS * SAMPLE_WINDOW {
            vec![(0, data)]
        } else {
            (0..SAMPLE_WINDOWS)
                .map(|k| {
                    let s = k * (data - SAMPLE_WINDOW) / (SAMPLE_WINDOWS - 1);
                    (s, s + SAMPLE_WINDOW)
                })
                .collect()
        };
        let mut out = Vec::with_capacity(windows.iter().map(|(s, e)| e - s).sum());
        let mut pos = 0usize;
        let _ = self.for_each_piece(|piece| {
            let Piece::Bytes(b) = piece else { return Ok(()) };
            for &(s, e) in &windows {
                let (lo, hi) = (s.max(pos), e.min(pos + b.len()));
                if lo < hi {
                    out.extend_from_slice(&b[lo - pos..hi - pos]);
                }
            }
            pos += b.len();
            // Stop once past the last window.
            if windows.last().is_some_and(|&(_, e)| pos >= e) { Err(()) } else { Ok(()) }
        });
        out
    }

    /// Whether zstd at `level` saves at least [`MIN_SAVING`] on a sample of the content.
    pub(crate) fn compressible(&self, level: i32) -> bool {
        let sample = self.sample();
        if sample.is_empty() {
            return false;
        }
        match zstd::bulk::compress(&sample, level) {
            Ok(c) => c.len() * MIN_SAVING.1 <= sample.len() * (MIN_SAVING.1 - MIN_SAVING.0),
            Err(_) => true,
        }
    }
}

/// True when every byte of `b` is zero (checked 256 bytes at a time so that it vectorizes,
/// stopping at the first non-zero block).
fn all_zero(b: &[u8]) -> bool {
    let mut blocks = b.chunks_exact(256);
    for block in blocks.by_ref() {
        if block.iter().fold(0u8, |acc, &x| acc | x) != 0 {
            return false;
        }
    }
    blocks.remainder().iter().all(|&x| x == 0)
}

/// The header of a zstd frame of `len` content bytes stored in raw blocks: the magic number;
/// a descriptor saying "8-byte content size, not single-segment, no checksum, no
/// dictionary"; a window of 128 KiB (the block size: raw blocks reference nothing, and a
/// small window lets streaming decoders take any size); the content size.
fn raw_frame_header(len: u64) -> [u8; 14] {
    let mut h = [0u8; 14];
    h[..4].copy_from_slice(&0xFD2F_B528u32.to_le_bytes());
    h[4] = 0b1100_0000; // Frame_Content_Size_flag = 3 (8 bytes); Single_Segment_flag = 0
    h[5] = 7 << 3; // Window_Descriptor: exponent 7, mantissa 0 → 2^(10 + 7) = 128 KiB
    h[6..].copy_from_slice(&len.to_le_bytes());
    h
}

/// A zstd block header: 21 bits of size, 2 bits of type (0: raw), 1 bit "last block".
fn raw_block_header(size: usize, last: bool) -> [u8; 3] {
    block_header(size, 0, last)
}

/// The header of an RLE block (type 1): `size` copies of the one byte that follows.
fn rle_block_header(size: usize, last: bool) -> [u8; 3] {
    block_header(size, 1, last)
}

fn block_header(size: usize, kind: u32, last: bool) -> [u8; 3] {
    let v = ((size as u32) << 3) | (kind << 1) | u32::from(last);
    let b = v.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// Where a chunk's content goes: bytes, and runs of zeros (padding), which a sink may store
/// without writing them.
pub(crate) trait ContentSink: Write {
    /// Writes `n` zero bytes.
    fn write_zeros(&mut self, mut n: usize) -> io::Result<()> {
        while n > 0 {
            let k = n.min(ZEROS.len());
            self.write_all(&ZEROS[..k])?;
            n -= k;
        }
        Ok(())
    }
}

impl<W: Write> ContentSink for zstd::stream::write::Encoder<'_, W> {}

#[cfg(test)]
impl ContentSink for Vec<u8> {}

/// Writes a zstd frame of exactly `len` bytes of content, in raw blocks.
pub(crate) struct RawFrameWriter<W: Write> {
    out: W,
    /// Content bytes in all.
    len: u64,
    /// Content bytes still to come.
    remaining: u64,
    /// Bytes left in the current block (0: the next byte starts a block).
    block_left: usize,
}

impl<W: Write> RawFrameWriter<W> {
    /// Writes the frame header.
    pub(crate) fn new(mut out: W, len: u64) -> io::Result<Self> {
        out.write_all(&raw_frame_header(len))?;
        Ok(RawFrameWriter { out, len, remaining: len, block_left: 0 })
    }

    /// Checks that all the content came and ends the frame.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        if self.remaining > 0 || self.block_left > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "a raw zstd frame ended before its content",
            ));
        }
        if self.len == 0 {
            // A frame has at least one block: here an empty last one.
            self.out.write_all(&raw_block_header(0, true))?;
        }
        Ok(self.out)
    }
}

impl<W: Write> ContentSink for RawFrameWriter<W> {
    /// Zeros that run to the end of the frame (padding past the array's last row) fill the
    /// current block, then take one RLE block of 4 bytes per 128 KiB rather than the bytes
    /// themselves. Other zeros are written as bytes.
    fn write_zeros(&mut self, mut n: usize) -> io::Result<()> {
        let to_end = self.block_left as u64 + self.remaining;
        if n as u64 != to_end {
            while n > 0 {
                let k = n.min(ZEROS.len());
                self.write_all(&ZEROS[..k])?;
                n -= k;
            }
            return Ok(());
        }
        while self.block_left > 0 {
            let k = self.block_left.min(ZEROS.len());
            self.write_all(&ZEROS[..k])?;
        }
        while self.remaining > 0 {
            let size = self.remaining.min(BLOCK as u64) as usize;
            self.remaining -= size as u64;
            let last = self.remaining == 0;
            if size == 1 {
                // As large as a raw block of one byte, which keeps the layout unambiguous.
                self.out.write_all(&raw_block_header(1, last))?;
                self.out.write_all(&[0])?;
            } else {
                self.out.write_all(&rle_block_header(size, last))?;
                self.out.write_all(&[0])?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for RawFrameWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.block_left == 0 {
            if self.remaining == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "more bytes than the raw zstd frame holds",
                ));
            }
            let size = self.remaining.min(BLOCK as u64) as usize;
            self.remaining -= size as u64;
            self.out.write_all(&raw_block_header(size, self.remaining == 0))?;
            self.block_left = size;
        }
        let n = buf.len().min(self.block_left);
        self.out.write_all(&buf[..n])?;
        self.block_left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads a chunk file written as raw blocks ([`RawFrameWriter`]) by position: the content's
/// bytes sit at known offsets, so a box is read with `pread`s straight into the output and
/// skipped bytes are never read. Every block header crossed is checked.
#[cfg(unix)]
pub(crate) struct RawChunkReader {
    file: File,
    len: u64,
    pos: u64,
    /// Blocks before this one are raw; the rest are RLE blocks of zeros (trailing padding).
    raw_blocks: u64,
    /// The last block whose header was checked, and whether it is raw.
    checked: Option<(u64, bool)>,
}

#[cfg(unix)]
impl RawChunkReader {
    /// `Ok` when `file` holds a frame of `len` content bytes laid out as [`RawFrameWriter`]
    /// writes it (its header, and a file length that fits some number of raw blocks followed
    /// by RLE blocks); `Err(file)` for any other file (a compressed frame: decode it with
    /// zstd). The file's position is not moved.
    pub(crate) fn open(file: File, len: u64) -> io::Result<Result<Self, File>> {
        use std::os::unix::fs::FileExt;
        let blocks = len.div_ceil(BLOCK as u64).max(1);
        let size = file.metadata()?.len();
        // All raw: header, 3 bytes per block, the content. The first k raw and the rest RLE
        // (k < blocks, so the raw ones are whole): 4 bytes per RLE block.
        let raw_blocks = if size == 14 + 3 * blocks + len {
            blocks
        } else {
            match size.checked_sub(14 + 4 * blocks) {
                Some(extra) if extra % (BLOCK as u64 - 1) == 0 && extra / (BLOCK as u64 - 1) < blocks => {
                    extra / (BLOCK as u64 - 1)
                }
                _ => return Ok(Err(file)),
            }
        };
        let mut header = [0u8; 14];
        if file.read_exact_at(&mut header, 0).is_err() || header != raw_frame_header(len) {
            return Ok(Err(file));
        }
        Ok(Ok(RawChunkReader { file, len, pos: 0, raw_blocks, checked: None }))
    }

    /// Skips `n` content bytes.
    pub(crate) fn skip(&mut self, n: usize) -> io::Result<()> {
        self.pos += n as u64;
        if self.pos > self.len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    /// Reads the next `dst.len()` content bytes.
    pub(crate) fn read_exact(&mut self, mut dst: &mut [u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        if self.pos + dst.len() as u64 > self.len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let raw_span = BLOCK as u64 + 3;
        while !dst.is_empty() {
            let (block, within) = (self.pos / BLOCK as u64, (self.pos % BLOCK as u64) as usize);
            let start =
                14 + block.min(self.raw_blocks) * raw_span + block.saturating_sub(self.raw_blocks) * 4;
            let raw = match self.checked {
                Some((b, raw)) if b == block => raw,
                _ => {
                    let size = (self.len - block * BLOCK as u64).min(BLOCK as u64) as usize;
                    let last = block * (BLOCK as u64) + size as u64 == self.len;
                    let mut h = [0u8; 4];
                    let n = if block < self.raw_blocks && size > 1 { 3 } else { 4 };
                    self.file.read_exact_at(&mut h[..n], start)?;
                    // A last block of one byte is as long raw as RLE: either may be there.
                    let raw = if h[..3] == raw_block_header(size, last)
                        && (block < self.raw_blocks || size == 1)
                    {
                        true
                    } else if h[..3] == rle_block_header(size, last) && h[3] == 0 && block >= self.raw_blocks
                    {
                        false
                    } else {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "block {block}'s header is {h:?}, not that of a raw block or a zero RLE block"
                            ),
                        ));
                    };
                    self.checked = Some((block, raw));
                    raw
                }
            };
            let n = dst.len().min(BLOCK - within);
            let (now, rest) = dst.split_at_mut(n);
            if raw {
                self.file.read_exact_at(now, start + 3 + within as u64)?;
            } else {
                now.fill(0);
            }
            self.pos += n as u64;
            dst = rest;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn content<'a>(
        src: &'a [u8],
        src_shape: &'a [usize],
        offset: &'a [usize],
        region: &'a [usize],
        chunk: &'a [usize],
        itemsize: usize,
    ) -> ChunkContent<'a> {
        ChunkContent { src, src_shape, offset, region, chunk, itemsize }
    }

    fn collect(c: &ChunkContent<'_>) -> Vec<u8> {
        let mut v = Vec::new();
        c.write_to(&mut v).unwrap();
        v
    }

    /// The chunk's bytes computed element by element, the obvious way.
    fn expected(c: &ChunkContent<'_>) -> Vec<u8> {
        let nd = c.chunk.len();
        let n: usize = c.chunk.iter().product();
        let mut out = vec![0u8; n * c.itemsize];
        for i in 0..n {
            let mut rest = i;
            let mut idx = vec![0; nd];
            for k in (0..nd).rev() {
                idx[k] = rest % c.chunk[k];
                rest /= c.chunk[k];
            }
            if idx.iter().zip(c.region).all(|(&a, &r)| a < r) {
                let mut s = 0;
                for k in 0..nd {
                    s = s * c.src_shape[k] + c.offset[k] + idx[k];
                }
                out[i * c.itemsize..(i + 1) * c.itemsize]
                    .copy_from_slice(&c.src[s * c.itemsize..(s + 1) * c.itemsize]);
            }
        }
        out
    }

    #[test]
    fn content_is_the_chunk_in_c_order_zero_padded() {
        let src: Vec<u8> = (0..7 * 5 * 3 * 2).map(|x| (x % 251) as u8 + 1).collect();
        let shape = [7, 5, 3];
        // Interior, edge (padded in every dimension), whole-array and single-row chunks.
        for (offset, region, chunk) in [
            (vec![0, 0, 0], vec![4, 4, 2], vec![4, 4, 2]),
            (vec![4, 4, 2], vec![3, 1, 1], vec![4, 4, 2]),
            (vec![0, 0, 0], vec![7, 5, 3], vec![7, 5, 3]),
            (vec![2, 0, 0], vec![1, 5, 3], vec![1, 5, 3]),
            (vec![6, 0, 0], vec![1, 5, 3], vec![4, 5, 3]),
        ] {
            let c = content(&src, &shape, &offset, &region, &chunk, 2);
            assert_eq!(collect(&c), expected(&c), "{offset:?} {region:?} {chunk:?}");
            assert_eq!(c.len(), collect(&c).len());
            assert!(!c.is_zero());
        }
        let zeros = vec![0u8; src.len()];
        let c = content(&zeros, &shape, &[4, 4, 2], &[3, 1, 1], &[4, 4, 2], 2);
        assert!(c.is_zero());
    }

    #[test]
    fn raw_frames_decode_with_zstd() {
        for len in [0usize, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7919 % 256) as u8).collect();
            let mut w = RawFrameWriter::new(Vec::new(), len as u64).unwrap();
            // In uneven pieces, across block boundaries.
            for piece in data.chunks(50_000) {
                w.write_all(piece).unwrap();
            }
            let frame = w.finish().unwrap();
            assert_eq!(zstd::stream::decode_all(&frame[..]).unwrap(), data, "len {len}");
            assert_eq!(zstd::bulk::decompress(&frame, len).unwrap(), data, "len {len}");
            assert_eq!(
                zstd::zstd_safe::get_frame_content_size(&frame).unwrap(),
                Some(len as u64),
                "the frame says its size (numcodecs sizes its output by it)"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn raw_chunks_read_by_position_and_other_files_are_left_to_zstd() {
        let dir = tempfile::tempdir().unwrap();
        let len = 3 * BLOCK + 1000;
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 253) as u8).collect();
        let path = dir.path().join("raw");
        let mut w = RawFrameWriter::new(File::create(&path).unwrap(), len as u64).unwrap();
        w.write_all(&data).unwrap();
        w.finish().unwrap();
        let mut r = RawChunkReader::open(File::open(&path).unwrap(), len as u64).unwrap().ok().unwrap();
        // Reads and skips across block boundaries.
        let mut pos = 0;
        for (skip, take) in [(0, 10), (BLOCK - 20, 30), (5, BLOCK + 7), (BLOCK - 100, 1068)] {
            r.skip(skip).unwrap();
            pos += skip;
            let mut got = vec![0; take];
            r.read_exact(&mut got).unwrap();
            assert_eq!(got, data[pos..pos + take], "at {pos}");
            pos += take;
        }
        assert_eq!(pos, len, "the walk ends at the end");
        assert!(r.read_exact(&mut [0; 1]).is_err(), "past the end");
        // The wrong length, or a compressed frame: not read by position.
        assert!(RawChunkReader::open(File::open(&path).unwrap(), len as u64 - 1).unwrap().is_err());
        let zpath = dir.path().join("z");
        std::fs::write(&zpath, zstd::bulk::compress(&data, -1).unwrap()).unwrap();
        assert!(RawChunkReader::open(File::open(&zpath).unwrap(), len as u64).unwrap().is_err());
        // A damaged block header is an error, not wrong data.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[14 + BLOCK + 3] ^= 0x02; // block 1's type bits: raw -> RLE
        std::fs::write(&path, &bytes).unwrap();
        let mut r = RawChunkReader::open(File::open(&path).unwrap(), len as u64).unwrap().ok().unwrap();
        r.skip(BLOCK).unwrap();
        assert!(r.read_exact(&mut [0; 4]).is_err());
    }

    #[test]
    fn raw_frames_refuse_too_few_or_too_many_bytes() {
        let mut w = RawFrameWriter::new(Vec::new(), 10).unwrap();
        w.write_all(&[1; 9]).unwrap();
        assert!(w.finish().is_err());
        let mut w = RawFrameWriter::new(Vec::new(), 10).unwrap();
        assert!(w.write_all(&[1; 11]).is_err());
    }

    #[test]
    fn random_bytes_are_judged_incompressible_and_repetitive_ones_compressible() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let random: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let smooth: Vec<u8> = (0..(1 << 20) / 8).flat_map(|i| ((i / 64) as f64).to_le_bytes()).collect();
        let shape = [1024, 128];
        for (src, compressible) in [(&random, false), (&smooth, true)] {
            let c = content(src, &shape, &[0, 0], &[1024, 128], &[1024, 128], 8);
            assert_eq!(c.compressible(-1), compressible);
        }
        // Random bytes in a corner of the chunk: judged on the data, not on the padding.
        let c = content(&random, &shape, &[0, 0], &[1024, 16], &[1024, 128], 8);
        assert!(!c.compressible(-1));
    }

    #[cfg(unix)]
    #[test]
    fn trailing_zeros_become_rle_blocks_and_read_back() {
        // Content lengths with a last block whole, partial, or of one byte; trailing zeros
        // starting mid-block, at a block boundary, or covering everything.
        let dir = tempfile::tempdir().unwrap();
        for (len, data) in [
            (5 * BLOCK, 2 * BLOCK + 100),
            (5 * BLOCK + 77, 3 * BLOCK),
            (4 * BLOCK + 1, BLOCK - 1),
            (3 * BLOCK, 0),
            (1000, 10),
        ] {
            let bytes: Vec<u8> = (0..data).map(|i| (i % 251) as u8 + 1).collect();
            let mut frame = Vec::new();
            let mut w = RawFrameWriter::new(&mut frame, len as u64).unwrap();
            w.write_all(&bytes).unwrap();
            w.write_zeros(len - data).unwrap();
            w.finish().unwrap();
            let mut want = bytes.clone();
            want.resize(len, 0);
            assert_eq!(zstd::stream::decode_all(&frame[..]).unwrap(), want, "{len} {data}");
            assert!(
                frame.len() < data + 14 + 4 * len.div_ceil(BLOCK) + BLOCK,
                "{len} {data}: {}",
                frame.len()
            );
            let path = dir.path().join(format!("{len}-{data}"));
            std::fs::write(&path, &frame).unwrap();
            let mut r = RawChunkReader::open(File::open(&path).unwrap(), len as u64).unwrap().ok().unwrap();
            r.skip(data.saturating_sub(5)).unwrap();
            let mut got = vec![9; len - data.saturating_sub(5)];
            r.read_exact(&mut got).unwrap();
            assert_eq!(got, want[data.saturating_sub(5)..], "{len} {data}");
        }
        // Zeros that do not run to the end are written as bytes.
        let mut frame = Vec::new();
        let mut w = RawFrameWriter::new(&mut frame, 3 * BLOCK as u64).unwrap();
        w.write_zeros(2 * BLOCK).unwrap();
        w.write_all(&[1; BLOCK]).unwrap();
        w.finish().unwrap();
        assert_eq!(frame.len(), 14 + 9 + 3 * BLOCK);
    }
}
