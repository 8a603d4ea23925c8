//! The error type of the training protocol and the experiment around it.

use std::path::PathBuf;

/// Everything that can stop an experiment: missing or bad data, a refused optimizer step,
/// a file that cannot be written, an unknown optimizer name.
///
/// ```
/// let e = caadam::Error::Spec("unknown optimizer `lion`".into());
/// assert_eq!(e.to_string(), "unknown optimizer `lion`");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Loading or parsing the dataset failed (the message says where to put the file).
    #[error(transparent)]
    Data(#[from] caadam_data::DataError),
    /// An optimizer refused a step (a non-finite gradient: training diverged) or a config.
    #[error(transparent)]
    Optim(#[from] caadam_optim::OptimError),
    /// Writing an output file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A malformed optimizer list, gamma setting or architecture.
    #[error("{0}")]
    Spec(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    ///
    /// ```
    /// let e = caadam::Error::io("out/report.md", std::io::Error::other("disk full"));
    /// assert_eq!(e.to_string(), "cannot write out/report.md: disk full");
    /// ```
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
