//! The one error type of the crate: every failure names the file (or URL) and, for
//! bad cells, the line, so a user can open the file and fix it.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while finding, downloading or parsing data.
///
/// Lines and columns in messages are 1-based, as an editor shows them.
///
/// ```
/// use caadam_data::{read_csv, CsvOptions, DataError};
///
/// let err = read_csv("a,b\n1,oops\n".as_bytes(), "table.csv", &CsvOptions::default()).unwrap_err();
/// assert!(matches!(err, DataError::NotANumber { line: 2, column: 2, .. }));
/// assert_eq!(err.to_string(), "table.csv:2: column 2: `oops` is not a number");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read (for example, it does not exist).
    #[error("cannot read {}: {source}", file.display())]
    Io {
        /// The file that failed.
        file: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },

    /// The file holds no data rows (it is empty, blank, or only a header).
    #[error("{}: the file is empty (no data rows)", file.display())]
    Empty {
        /// The empty file.
        file: PathBuf,
    },

    /// A row has a different number of cells than the first row (or the header).
    #[error("{}:{line}: expected {expected} columns, found {found}", file.display())]
    ColumnCount {
        /// The file.
        file: PathBuf,
        /// The line where the row starts.
        line: u64,
        /// The column count of the first row or header.
        expected: usize,
        /// The column count of this row.
        found: usize,
    },

    /// A cell could not be parsed as a number.
    #[error("{}:{line}: column {column}: `{cell}` is not a number", file.display())]
    NotANumber {
        /// The file.
        file: PathBuf,
        /// The line of the row.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The cell text (lossily decoded if it was not UTF-8).
        cell: String,
    },

    /// A cell is NaN or infinite: models cannot learn from it, so it is refused.
    #[error("{}:{line}: column {column}: `{cell}` is not finite (NaN or infinity)", file.display())]
    NotFinite {
        /// The file.
        file: PathBuf,
        /// The line of the row.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The cell text.
        cell: String,
    },

    /// A row is well formed but its values are unusable (out of `f32` range, or a
    /// derived feature divides by zero).
    #[error("{}:{line}: {message}", file.display())]
    InvalidValue {
        /// The file.
        file: PathBuf,
        /// The line of the row.
        line: u64,
        /// What is wrong.
        message: String,
    },

    /// The CSV reader itself failed (for example, an I/O error mid-file).
    #[error("{}:{line}: {message}", file.display())]
    Csv {
        /// The file.
        file: PathBuf,
        /// The line where reading failed (0 if unknown).
        line: u64,
        /// The reader's message.
        message: String,
    },

    /// The target column was asked for by a name the header does not have.
    #[error("{}: no column named `{name}` (the header has: {available})", file.display())]
    UnknownColumn {
        /// The file.
        file: PathBuf,
        /// The requested name.
        name: String,
        /// The header's names, comma separated.
        available: String,
    },

    /// The target column was asked for by name, but the file has no header.
    #[error("{}: the target column `{name}` is given by name, but the file has no header", file.display())]
    NoHeader {
        /// The file.
        file: PathBuf,
        /// The requested name.
        name: String,
    },

    /// The target column index is past the last column.
    #[error("{}: target column index {index} is out of range (the table has {columns} columns, indices start at 0)", file.display())]
    ColumnIndex {
        /// The file.
        file: PathBuf,
        /// The requested 0-based index.
        index: usize,
        /// The table's column count.
        columns: usize,
    },

    /// A table needs at least one feature column beside the target.
    #[error("{}: a table needs at least two columns (features and a target), found {found}", file.display())]
    TooFewColumns {
        /// The file.
        file: PathBuf,
        /// The column count found.
        found: usize,
    },

    /// Neither `CAADAM_DATA_HOME`, `XDG_CACHE_HOME` nor `HOME` gives a data directory.
    #[error("cannot choose a data directory: set CAADAM_DATA_HOME to the directory that holds (or should hold) the data files")]
    NoDataHome,

    /// The connection or transfer failed.
    #[error("network error: {message}")]
    Network {
        /// The URL.
        url: String,
        /// The transport's message.
        message: String,
    },

    /// The server answered with an error status.
    #[error("download of {url} failed: HTTP status {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },

    /// The body (or an archive member) is larger than any legitimate copy; the
    /// transfer is stopped instead of filling memory.
    #[error("{url}: more than {limit} bytes, refusing to continue")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },

    /// The downloaded bytes are not the expected file.
    #[error("{url}: SHA-256 mismatch: expected {expected}, got {actual} (a corrupted or different download)")]
    Checksum {
        /// The URL.
        url: String,
        /// The expected digest (lowercase hex).
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },

    /// The archive is not a readable gzip-compressed tar file.
    #[error("{url}: cannot read the archive (gzip + tar): {message}")]
    Archive {
        /// The URL.
        url: String,
        /// The decoder's message.
        message: String,
    },

    /// The archive does not contain the expected member.
    #[error("{url}: the archive has no member `{member}`")]
    MissingMember {
        /// The URL.
        url: String,
        /// The member path that was looked for.
        member: String,
    },

    /// A data file is missing and fetching it failed; says where to put a copy.
    #[error(
        "{} is missing, and fetching it from {url} failed: {cause}\n\
         To use a copy you already have: put the file at {}, \
         or set CAADAM_DATA_HOME to a directory that contains {}.",
        file.display(), file.display(),
        file.file_name().map(|name| name.to_string_lossy()).unwrap_or_default()
    )]
    FetchFailed {
        /// Where the file was expected.
        file: PathBuf,
        /// Where the download was attempted.
        url: String,
        /// Why it failed.
        #[source]
        cause: Box<DataError>,
    },
}
