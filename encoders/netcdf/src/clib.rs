//! What the C-library encoders (NetCDF-4, HDF5) share: the library lock and the temporary
//! file they write before streaming it out.
//!
//! libnetcdf and libhdf5 are not reentrant (a distribution may build HDF5 without its
//! thread-safety option, and libnetcdf calls HDF5 itself). Every call into either runs with
//! [`hdf5_metno_sys::LOCK`] held: the one re-entrant mutex that the `netcdf` and
//! `hdf5-metno` crates take around their own calls too, so nothing in the process calls the
//! libraries concurrently. The lock is released while the finished file is streamed to the
//! sink, so a slow client holds no other export up.
//!
//! Both libraries need a file path (they seek and rewrite headers), so the encoders write a
//! temporary file, stream it to the sink, and delete it — on success, on error and on panic
//! (the file is owned by a guard that removes it on drop).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use tempfile::NamedTempFile;
use tessera_core::EncodeError;

/// Inputs up to this many bytes are exported through a file built in memory (libhdf5's
/// core driver) rather than a temporary file; larger ones through the temporary file, so
/// memory stays bounded.
pub const MEMORY_LIMIT: usize = 64 << 20;

/// Runs `f` with the shared C-library lock held.
pub(crate) fn with_lock<T>(f: impl FnOnce() -> T) -> T {
    let _guard = hdf5_metno_sys::LOCK.lock();
    f()
}

/// A temporary file in `dir` (the system's temporary directory when `None`), removed when
/// dropped.
pub(crate) fn temp_file(dir: Option<&Path>, suffix: &str) -> Result<NamedTempFile, EncodeError> {
    let mut b = tempfile::Builder::new();
    b.prefix(".tessera-").suffix(suffix);
    Ok(match dir {
        Some(d) => b.tempfile_in(d)?,
        None => b.tempfile()?,
    })
}

/// Bytes copied per read when streaming a finished file out.
const COPY_BYTES: usize = 1 << 20;

/// Streams the finished file to `out`, then removes it.
pub(crate) fn stream_out(mut file: NamedTempFile, out: &mut dyn Write) -> Result<(), EncodeError> {
    let f = file.as_file_mut();
    let len = f.seek(SeekFrom::End(0))?;
    f.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; COPY_BYTES.min(usize::try_from(len).unwrap_or(COPY_BYTES)).max(1)];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
    }
    file.close()?;
    Ok(())
}

/// A path as the C string the libraries take.
pub(crate) fn c_path(path: &Path) -> Result<std::ffi::CString, EncodeError> {
    path.to_str().and_then(|p| std::ffi::CString::new(p).ok()).ok_or_else(|| {
        EncodeError::invalid_option("temp_dir", "the temporary file's path is not UTF-8 without NUL bytes")
    })
}
