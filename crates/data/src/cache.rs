//! Where data files live, and writing them there so that a failure never leaves a
//! partial file behind.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::DataError;

/// The environment variable that names the data directory.
///
/// ```
/// if let Some(dir) = std::env::var_os(caadam_data::DATA_HOME_ENV) {
///     println!("data in {}", dir.to_string_lossy());
/// }
/// ```
pub const DATA_HOME_ENV: &str = "CAADAM_DATA_HOME";

/// The directory data files are read from and cached in.
///
/// `CAADAM_DATA_HOME` if set (a relative path is taken relative to the current
/// directory, as a shell user expects), else `$XDG_CACHE_HOME/caadam`, else
/// `$HOME/.cache/caadam`.
///
/// ```
/// let dir = caadam_data::data_home();
/// // Fails only when none of CAADAM_DATA_HOME, XDG_CACHE_HOME and HOME is set.
/// if let Ok(dir) = dir {
///     assert!(dir.is_absolute());
/// }
/// ```
///
/// # Errors
/// [`DataError::NoDataHome`] if no variable gives a directory, [`DataError::Io`] if the
/// current directory is needed and unreadable.
pub fn data_home() -> Result<PathBuf, DataError> {
    let cwd = || {
        std::env::current_dir().map_err(|source| DataError::Io {
            file: PathBuf::from("."),
            source,
        })
    };
    data_home_from(|name| std::env::var_os(name), cwd)
}

/// [`data_home`] with the environment and current directory passed in, so the rule
/// can be tested without touching the process environment.
///
/// ```
/// use std::path::PathBuf;
/// use caadam_data::data_home_from;
///
/// let env = |name: &str| match name {
///     "CAADAM_DATA_HOME" => Some("data".into()),
///     _ => None,
/// };
/// let dir = data_home_from(env, || Ok(PathBuf::from("/project"))).unwrap();
/// assert_eq!(dir, PathBuf::from("/project/data"));
/// ```
///
/// # Errors
/// As [`data_home`]; `cwd` is called only for a relative `CAADAM_DATA_HOME`.
pub fn data_home_from(
    env: impl Fn(&str) -> Option<OsString>,
    cwd: impl FnOnce() -> Result<PathBuf, DataError>,
) -> Result<PathBuf, DataError> {
    let non_empty = |name: &str| {
        env(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = non_empty(DATA_HOME_ENV) {
        return if dir.is_absolute() {
            Ok(dir)
        } else {
            Ok(cwd()?.join(dir))
        };
    }
    // The XDG spec says relative values are invalid and must be ignored.
    if let Some(cache) = non_empty("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()) {
        return Ok(cache.join("caadam"));
    }
    match non_empty("HOME") {
        Some(home) => Ok(home.join(".cache").join("caadam")),
        None => Err(DataError::NoDataHome),
    }
}

/// Writes `bytes` to `dir/name` through a temporary file in the same directory and a
/// rename, so readers see either no file or the whole file. Creates `dir` if needed.
/// On failure the temporary file is removed.
pub(crate) fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, DataError> {
    let target = dir.join(name);
    let io_error = |file: &Path| {
        let file = file.to_path_buf();
        move |source| DataError::Io { file, source }
    };
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let temp = TempFile::create(dir, name).map_err(io_error(dir))?;
    temp.write_all_and_sync(bytes)
        .map_err(io_error(&temp.path))?;
    temp.persist(&target).map_err(io_error(&target))?;
    Ok(target)
}

/// A uniquely named file that deletes itself unless persisted.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
    persisted: bool,
}

impl TempFile {
    fn create(dir: &Path, name: &str) -> io::Result<TempFile> {
        // Unique within the process (counter) and across processes (pid); `create_new`
        // refuses to reuse a name left over from a crashed run.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{name}.{}.{unique}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file: Some(file),
                        persisted: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn write_all_and_sync(&self, bytes: &[u8]) -> io::Result<()> {
        let mut file = self
            .file
            .as_ref()
            .expect("temp file is open until persisted");
        file.write_all(bytes)?;
        file.sync_all()
    }

    fn persist(mut self, target: &Path) -> io::Result<()> {
        drop(self.file.take());
        fs::rename(&self.path, target)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            drop(self.file.take());
            // Best effort: the error that brought us here is the one worth reporting.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn no_cwd() -> Result<PathBuf, DataError> {
        panic!("cwd must not be needed here")
    }

    #[test]
    fn caadam_data_home_wins_and_relative_paths_use_the_cwd() {
        let vars = [
            ("CAADAM_DATA_HOME", "/data"),
            ("XDG_CACHE_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            data_home_from(env_of(&vars), no_cwd).unwrap(),
            PathBuf::from("/data")
        );
        let vars = [("CAADAM_DATA_HOME", "../shared/data"), ("HOME", "/home/u")];
        let dir = data_home_from(env_of(&vars), || Ok(PathBuf::from("/work/main"))).unwrap();
        assert_eq!(dir, PathBuf::from("/work/main/../shared/data"));
    }

    #[test]
    fn xdg_cache_then_home_then_error() {
        let vars = [
            ("CAADAM_DATA_HOME", ""),
            ("XDG_CACHE_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            data_home_from(env_of(&vars), no_cwd).unwrap(),
            PathBuf::from("/xdg/caadam")
        );
        let vars = [("XDG_CACHE_HOME", "relative/ignored"), ("HOME", "/home/u")];
        assert_eq!(
            data_home_from(env_of(&vars), no_cwd).unwrap(),
            PathBuf::from("/home/u/.cache/caadam")
        );
        assert!(matches!(
            data_home_from(env_of(&[]), no_cwd),
            Err(DataError::NoDataHome)
        ));
    }

    #[test]
    fn atomic_write_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("nested").join("cache");
        let path = write_atomically(&cache, "f.data", b"1,2\n").unwrap();
        assert_eq!(path, cache.join("f.data"));
        assert_eq!(fs::read(&path).unwrap(), b"1,2\n");
        let names: Vec<_> = fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("f.data")]);
    }

    #[test]
    fn a_failed_rename_removes_the_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target name is an existing non-empty directory, so the rename fails.
        fs::create_dir_all(dir.path().join("f.data").join("x")).unwrap();
        let err = write_atomically(dir.path(), "f.data", b"1\n").unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("f.data")]);
    }
}
