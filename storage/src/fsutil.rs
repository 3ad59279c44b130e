//! File-system helpers: temporary names, atomic file writes, directory sync, sweeping.

use std::borrow::Borrow;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::StorageError;

/// Every temporary file or directory starts with this prefix; nothing else does (locations
/// may not have a component starting with it), so a sweep can remove them all.
pub(crate) const TMP_PREFIX: &str = ".tmp-";

/// A fresh temporary name (`.tmp-<uuid v7>`), unique across threads and processes.
pub(crate) fn tmp_name() -> String {
    format!("{TMP_PREFIX}{}", uuid::Uuid::now_v7().simple())
}

/// Flushes a directory's entries (a rename or a new file inside it) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(StorageError::io("sync", dir))
}

/// Exchanges two paths (directories here) in one atomic step: Linux `renameat2` with
/// `RENAME_EXCHANGE`. Where the system or file system cannot, `a` is renamed over `b` after
/// `b` is moved aside into `a`'s place, which leaves a moment where `b` is missing.
pub(crate) fn exchange(a: &Path, b: &Path) -> Result<(), StorageError> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|_| StorageError::io("exchange", p)(io::ErrorKind::InvalidInput.into()))
        };
        let (ca, cb) = (c(a)?, c(b)?);
        // SAFETY: two valid NUL-terminated paths, relative to the working directory.
        let r = unsafe {
            libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE)
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)) {
            return Err(StorageError::io("exchange", a)(e));
        }
    }
    // No atomic exchange: b aside (to a temporary beside it), a into place, the old b into a.
    let aside = b.with_file_name(tmp_name());
    fs::rename(b, &aside).map_err(StorageError::io("rename", b))?;
    fs::rename(a, b).map_err(StorageError::io("rename", a))?;
    fs::rename(&aside, a).map_err(StorageError::io("rename", &aside))
}

/// Writes `path` atomically: `write` fills a temporary file in the same directory, which is
/// flushed to disk and renamed over `path`. On any error the temporary file is removed and
/// `path` is untouched.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(tmp_name());
    let result = (|| {
        let mut file = File::create_new(&tmp).map_err(StorageError::io("create", &tmp))?;
        write(&mut file)?;
        file.sync_all().map_err(StorageError::io("sync", &tmp))?;
        drop(file);
        fs::rename(&tmp, path).map_err(StorageError::io("rename", &tmp))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(dir)
}

/// A file writer that asks the kernel to start writing back each few MiB as soon as they are
/// written (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not wait), so the disk
/// works while the rest of the file is produced. Elsewhere a plain writer.
pub(crate) struct EarlyWriteback<F: Borrow<File>> {
    file: F,
    written: u64,
    kicked: u64,
}

/// Writeback is started in steps of this many bytes.
const WRITEBACK_STEP: u64 = 8 << 20;

impl<F: Borrow<File>> EarlyWriteback<F> {
    /// Writes to `file` (owned, or borrowed).
    pub(crate) fn new(file: F) -> Self {
        EarlyWriteback { file, written: 0, kicked: 0 }
    }

    /// The file.
    pub(crate) fn into_inner(self) -> F {
        self.file
    }

    #[cfg(target_os = "linux")]
    fn kick(&mut self) {
        use std::os::fd::AsRawFd;
        if self.written - self.kicked >= WRITEBACK_STEP {
            let (off, len) = (self.kicked, self.written - self.kicked);
            // SAFETY: a plain syscall on a file descriptor this writer borrows; the flags only
            // start writeback. Its result is advisory: on failure the final fsync does the work.
            let _ = unsafe {
                libc::sync_file_range(
                    self.file.borrow().as_raw_fd(),
                    off as libc::off64_t,
                    len as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                )
            };
            self.kicked = self.written;
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn kick(&mut self) {}
}

impl<F: Borrow<File>> Write for EarlyWriteback<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (&mut self.file.borrow()).write(buf)?;
        self.written += n as u64;
        self.kick();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Removes every file or directory under `root` whose name starts with [`TMP_PREFIX`]
/// (leftovers of interrupted writes) and that was last modified at or before `cutoff` (all of
/// them when `cutoff` is None). Symbolic links are not followed. Returns how many entries
/// were removed.
pub(crate) fn remove_leftovers(
    root: &Path,
    cutoff: Option<std::time::SystemTime>,
) -> Result<usize, StorageError> {
    let mut removed = 0;
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            // Removed concurrently (a node deleted meanwhile): nothing left to sweep there.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StorageError::io("list", &dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(StorageError::io("list", &dir))?;
            let path = entry.path();
            let ty = entry.file_type().map_err(StorageError::io("stat", &path))?;
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                let old_enough =
                    cutoff.is_none_or(|c| entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t <= c));
                if !old_enough {
                    continue;
                }
                let r = if ty.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
                match r {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StorageError::io("remove", &path)(e)),
                }
            } else if ty.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(removed)
}

/// Total size in bytes of the regular files under `dir` (0 when it does not exist).
pub(crate) fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(t) if t.is_file() => total += entry.metadata().map_or(0, |m| m.len()),
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn exchange_swaps_two_directories() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for (d, name) in [(&a, "from-a"), (&b, "from-b")] {
            std::fs::create_dir_all(d.join("sub")).unwrap();
            std::fs::write(d.join("sub").join(name), name).unwrap();
        }
        exchange(&a, &b).unwrap();
        assert!(a.join("sub/from-b").is_file() && !a.join("sub/from-a").exists());
        assert!(b.join("sub/from-a").is_file() && !b.join("sub/from-b").exists());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "nothing else left beside them: {names:?}");
        assert!(exchange(&a, &dir.path().join("missing")).is_err());
    }

    #[test]
    fn failed_atomic_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, |f| f.write_all(b"old").map_err(StorageError::io("write", "f"))).unwrap();
        let err = write_atomic(&path, |f| {
            f.write_all(b"half").unwrap();
            Err(StorageError::Schema { reason: "refused midway".into() })
        })
        .unwrap_err();
        assert!(matches!(err, StorageError::Schema { .. }));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn sweep_removes_only_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b/.tmp-x/c")).unwrap();
        fs::write(dir.path().join("a/.tmp-y"), b"").unwrap();
        fs::write(dir.path().join("a/b/keep.tmp-z"), b"").unwrap();
        let future = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(remove_leftovers(dir.path(), Some(future)).unwrap(), 0);
        assert_eq!(remove_leftovers(dir.path(), None).unwrap(), 2);
        assert!(dir.path().join("a/b/keep.tmp-z").exists());
        assert!(!dir.path().join("a/b/.tmp-x").exists() && !dir.path().join("a/.tmp-y").exists());
        assert_eq!(dir_size(dir.path()), 0);
    }
}
