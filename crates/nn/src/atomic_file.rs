//! Writing a file so that a crash never leaves it half-written.
//!
//! The bytes go to a temporary file in the same directory (so the rename stays on one file
//! system), which is flushed to disk before being renamed over the target. Readers see
//! either the old file or the new one, never a torn mix.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::NnError;

/// Makes temporary names unique between threads of one process; the process id separates
/// processes.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: temp file, `fsync`, rename, then `fsync` of the
/// directory so that the rename itself is durable.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), NnError> {
    let file_name = path
        .file_name()
        .ok_or_else(|| NnError::io(path, std::io::Error::other("not a file path")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{n}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = write_and_sync(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| NnError::io(path, e)));
    if result.is_err() {
        // Best effort: the temp file is garbage either way.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(&dir);
    Ok(())
}

fn write_and_sync(tmp: &Path, bytes: &[u8]) -> Result<(), NnError> {
    let mut f = File::create(tmp).map_err(|e| NnError::io(tmp, e))?;
    f.write_all(bytes).map_err(|e| NnError::io(tmp, e))?;
    f.sync_all().map_err(|e| NnError::io(tmp, e))
}

/// Flushes the directory entry of the rename. Not every platform can open a directory
/// (Windows cannot); there the rename is as durable as the OS makes it, so failure is
/// ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new contents").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new contents");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.bin")]);
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/x.bin");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(matches!(err, NnError::Io { .. }));
        assert!(err.to_string().contains("no/such/dir"), "{err}");
    }
}
