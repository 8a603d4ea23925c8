//! caadam-data: the data side of training.
//!
//! - [`california_housing`]: the StatLib California housing table with scikit-learn's
//!   eight features, found in [`data_home`] or downloaded once (SHA-256 checked).
//! - [`load_csv`] / [`read_csv`]: your own numeric tables.
//! - [`StandardScaler`], [`train_test_split`], [`validation_split`], [`BatchIter`].
//!
//! Every error that comes from a file names the file and, for a bad row, its line.
//!
//! ```
//! use caadam_data::{read_csv, train_test_split, validation_split, BatchIter, CsvOptions, StandardScaler};
//!
//! let text: String = (0..50).map(|i| format!("{i},{},{}\n", i * 2, i % 7)).collect();
//! let ds = read_csv(format!("a,b,y\n{text}").as_bytes(), "inline.csv", &CsvOptions::default())?;
//! let (train, test) = train_test_split(&ds, 0.2, 42);
//! let (train, val) = validation_split(&train, 0.2);
//!
//! let x_scaler = StandardScaler::fit(&train.x, train.d);
//! let x_train = x_scaler.transform(&train.x);
//! assert_eq!(x_train.len(), train.x.len());
//! # let _ = (test, val);
//!
//! let mut batches = BatchIter::new(&train, 8, 0);
//! while let Some(batch) = batches.next_batch() {
//!     assert!(batch.rows <= 8);
//! }
//! # Ok::<(), caadam_data::DataError>(())
//! ```

#![warn(missing_docs)]

mod batch;
mod cache;
mod csv_table;
mod dataset;
mod download;
mod error;
mod housing;
mod scale;
mod split;
mod table;

pub use batch::{Batch, BatchIter, PREFETCH_MIN_ROWS};
pub use cache::{data_home, data_home_from, DATA_HOME_ENV};
pub use csv_table::{load_csv, read_csv, CsvOptions, TargetColumn};
pub use dataset::Dataset;
pub use download::{
    fetch_archive_member, sha256_hex, ArchiveSource, Download, Fetcher, HttpFetcher,
};
pub use error::DataError;
pub use housing::{
    california_housing, california_housing_in, load_california_housing_file,
    parse_california_housing, HOUSING_DATA_SHA256, HOUSING_FEATURES, HOUSING_FILE_NAME,
    HOUSING_TARGET,
};
pub use scale::StandardScaler;
pub use split::{train_test_split, validation_split};
