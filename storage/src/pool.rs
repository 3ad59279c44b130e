//! Output buffers of large array reads (and large request bodies), kept for the next one.
//!
//! A read of a 100 MB box needs 100 MB of fresh memory, and fresh memory costs: the kernel
//! maps and zeroes it page by page as the decoders first touch it, which measured as more than
//! the decoding itself. So the buffers of large reads go back to a small pool when the last
//! view of them is dropped, and the next read of a similar size takes one, already mapped.
//! The pool holds at most [`MAX_IDLE_BYTES`]; the reader overwrites every byte of a buffer
//! it takes (old contents never show).

use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use arrow::buffer::Buffer;

/// Buffers smaller than this are left to the allocator, which reuses them well on its own.
const MIN_BYTES: usize = 4 << 20;

/// Idle bytes the pool keeps at most (the oldest buffers go first).
pub(crate) const MAX_IDLE_BYTES: usize = 256 << 20;

static IDLE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A buffer of `len` bytes with unspecified contents (a reused buffer's old bytes, or zeros):
/// the caller must overwrite all of it before anyone reads it.
pub(crate) fn take(len: usize) -> Vec<u8> {
    if len >= MIN_BYTES {
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        // The smallest idle buffer that holds `len`, unless it is more than twice as large.
        let best = idle
            .iter()
            .enumerate()
            .filter(|(_, v)| v.len() >= len && v.len() / 2 <= len)
            .min_by_key(|(_, v)| v.len())
            .map(|(i, _)| i);
        if let Some(i) = best {
            let mut v = idle.swap_remove(i);
            v.truncate(len);
            return v;
        }
    }
    let mut v = vec![0u8; len];
    huge_pages(&mut v);
    v
}

/// `v` as an Arrow buffer; a large one returns to the pool when its last view is dropped.
pub(crate) fn into_buffer(v: Vec<u8>) -> Buffer {
    if v.len() < MIN_BYTES {
        return Buffer::from_vec(v);
    }
    let len = v.len();
    let Some(ptr) = NonNull::new(v.as_ptr().cast_mut()) else { return Buffer::from_vec(v) };
    // Moving the vector moves its handle, not its heap memory: `ptr` stays valid.
    let owner = Arc::new(PooledBuffer(v));
    // SAFETY: `ptr` points to `len` initialized bytes owned by `owner`, which the buffer keeps
    // alive as long as any view of it exists; nothing mutates them meanwhile (the vector is
    // only reachable through `owner`, and is moved out only when `owner` is dropped).
    unsafe { Buffer::from_custom_allocation(ptr, len, owner) }
}

/// A large transient buffer (a request body, say) from the pool, given back when dropped (it
/// is also the owner of the pooled memory behind large read buffers), so
/// that the next one of a similar size is already mapped: `len` bytes of unspecified contents
/// (a reused buffer's old bytes, or zeros), to be overwritten before they are read.
///
/// ```
/// let mut b = tessera_storage::PooledBuffer::take(8 << 20);
/// b.as_mut().fill(7);
/// assert_eq!((b.as_ref().len(), b.as_ref()[123]), (8 << 20, 7));
/// ```
pub struct PooledBuffer(Vec<u8>);

impl PooledBuffer {
    /// A buffer of exactly `len` bytes (see the type's docs).
    pub fn take(len: usize) -> PooledBuffer {
        PooledBuffer(take(len))
    }
}

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsMut<[u8]> for PooledBuffer {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.len() < MIN_BYTES {
            return;
        }
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(v);
        let mut total: usize = idle.iter().map(Vec::len).sum();
        while total > MAX_IDLE_BYTES && !idle.is_empty() {
            total -= idle.remove(0).len();
        }
    }
}

/// Asks Linux to back `buf` with transparent huge pages where it can (when THP is in `madvise`
/// mode, the common default). A large zeroed allocation is a fresh mapping that the decoders
/// then touch page by page: with 4 KiB pages that is one fault per page (32 768 for 128 MiB,
/// a third of the read time measured); with 2 MiB pages, 64. Contents are unchanged; failure
/// is harmless and ignored.
pub(crate) fn huge_pages(buf: &mut [u8]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        if buf.len() < 2 * HUGE {
            return;
        }
        let start = buf.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        let end = (start + buf.len()) / HUGE * HUGE;
        if end > aligned {
            // SAFETY: [aligned, end) lies inside `buf`, which we hold mutably; MADV_HUGEPAGE
            // only changes how the kernel backs these pages, never their contents.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, end - aligned, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_reused_and_the_pool_is_bounded() {
        let len = MIN_BYTES + 12_345;
        let mut v = take(len);
        assert_eq!(v.len(), len);
        v[0] = 7;
        let addr = v.as_ptr() as usize;
        let b = into_buffer(v);
        assert_eq!(b.len(), len);
        let view = b.slice(1);
        drop(b);
        assert!(IDLE.lock().unwrap().iter().all(|v| v.as_ptr() as usize != addr), "still viewed");
        drop(view);
        // Back in the pool: the next read of a similar size gets it (other tests may take it
        // first, so this is not asserted), and the pool never holds more than its cap.
        let again = take(len - 10);
        assert_eq!(again.len(), len - 10);
        drop(into_buffer(again));
        for _ in 0..(MAX_IDLE_BYTES / MIN_BYTES + 3) {
            drop(into_buffer(vec![0u8; MIN_BYTES]));
        }
        assert!(IDLE.lock().unwrap().iter().map(Vec::len).sum::<usize>() <= MAX_IDLE_BYTES);
        // Small buffers are plain allocations.
        assert_eq!(into_buffer(vec![1, 2, 3]).as_slice(), &[1, 2, 3]);
    }
}
