//! Loading a user's own numeric table from CSV: every column but the target becomes a
//! feature.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::table::{read_table, TableFormat};
use crate::{DataError, Dataset};

/// Which column is the target.
///
/// ```
/// use caadam_data::TargetColumn;
///
/// let by_name = TargetColumn::Name("price".into());
/// let by_index = TargetColumn::Index(0);
/// assert_ne!(by_name, by_index);
/// assert_eq!(TargetColumn::default(), TargetColumn::Last);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TargetColumn {
    /// The last column (the default).
    #[default]
    Last,
    /// A 0-based column index.
    Index(usize),
    /// A header name (needs `has_header`).
    Name(String),
}

/// How to read a CSV table.
///
/// ```
/// use caadam_data::{CsvOptions, TargetColumn};
///
/// let options = CsvOptions { has_header: false, target: TargetColumn::Index(0), ..CsvOptions::default() };
/// assert_eq!(options.delimiter, b',');
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// The first line holds column names (default `true`).
    pub has_header: bool,
    /// The target column (default: the last one).
    pub target: TargetColumn,
    /// The field delimiter (default `b','`).
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            has_header: true,
            target: TargetColumn::Last,
            delimiter: b',',
        }
    }
}

/// Reads a numeric CSV file into a [`Dataset`].
///
/// Every cell must be a finite number; blank lines are skipped and cells are trimmed.
/// Without a header, columns are named `column_0`, `column_1`, ... by their position
/// in the file.
///
/// ```
/// use caadam_data::{load_csv, CsvOptions, TargetColumn};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("houses.csv");
/// std::fs::write(&path, "rooms,price,age\n3,250.5,10\n4,300,5\n").unwrap();
///
/// let options = CsvOptions { target: TargetColumn::Name("price".into()), ..CsvOptions::default() };
/// let ds = load_csv(&path, &options).unwrap();
/// assert_eq!(ds.feature_names, vec!["rooms", "age"]);
/// assert_eq!(ds.x, vec![3.0, 10.0, 4.0, 5.0]);
/// assert_eq!(ds.y, vec![250.5, 300.0]);
/// ```
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened, and every error of [`read_csv`].
pub fn load_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    read_table_dataset(BufReader::new(file), path, options)
}

/// Reads numeric CSV from any reader; `source_name` stands for the file in errors.
///
/// ```
/// use caadam_data::{read_csv, CsvOptions, TargetColumn};
///
/// let text = "1.5,2,10\n3,4,20\n";
/// let options = CsvOptions { has_header: false, target: TargetColumn::Index(2), ..CsvOptions::default() };
/// let ds = read_csv(text.as_bytes(), "inline.csv", &options).unwrap();
/// assert_eq!(ds.feature_names, vec!["column_0", "column_1"]);
/// assert_eq!(ds.target_name, "column_2");
/// assert_eq!(ds.y, vec![10.0, 20.0]);
/// ```
///
/// # Errors
/// [`DataError::Empty`], [`DataError::ColumnCount`], [`DataError::NotANumber`],
/// [`DataError::NotFinite`], [`DataError::InvalidValue`] (beyond `f32` range),
/// [`DataError::TooFewColumns`], and the target-selection errors
/// [`DataError::UnknownColumn`], [`DataError::NoHeader`], [`DataError::ColumnIndex`].
pub fn read_csv<R: Read>(
    reader: R,
    source_name: &str,
    options: &CsvOptions,
) -> Result<Dataset, DataError> {
    read_table_dataset(reader, Path::new(source_name), options)
}

fn read_table_dataset<R: Read>(
    reader: R,
    file: &Path,
    options: &CsvOptions,
) -> Result<Dataset, DataError> {
    let format = TableFormat {
        has_header: options.has_header,
        delimiter: options.delimiter,
        columns: None,
    };
    let table = read_table(reader, file, &format)?;
    let columns = table.columns;
    if columns < 2 {
        return Err(DataError::TooFewColumns {
            file: file.to_path_buf(),
            found: columns,
        });
    }
    let names = table
        .header
        .clone()
        .unwrap_or_else(|| (0..columns).map(|i| format!("column_{i}")).collect());
    let target = target_index(&options.target, table.header.as_deref(), columns, file)?;

    let mut x = Vec::with_capacity(table.rows * (columns - 1));
    let mut y = Vec::with_capacity(table.rows);
    for row in table.values.chunks_exact(columns) {
        for (j, &value) in row.iter().enumerate() {
            // In range by construction: read_table refuses values beyond f32::MAX.
            if j == target {
                y.push(value as f32);
            } else {
                x.push(value as f32);
            }
        }
    }
    let mut feature_names = names;
    let target_name = feature_names.remove(target);
    Ok(Dataset::new(x, y, feature_names, target_name))
}

fn target_index(
    target: &TargetColumn,
    header: Option<&[String]>,
    columns: usize,
    file: &Path,
) -> Result<usize, DataError> {
    match target {
        TargetColumn::Last => Ok(columns - 1),
        TargetColumn::Index(index) if *index < columns => Ok(*index),
        TargetColumn::Index(index) => Err(DataError::ColumnIndex {
            file: file.to_path_buf(),
            index: *index,
            columns,
        }),
        TargetColumn::Name(name) => {
            let header = header.ok_or_else(|| DataError::NoHeader {
                file: file.to_path_buf(),
                name: name.clone(),
            })?;
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| DataError::UnknownColumn {
                    file: file.to_path_buf(),
                    name: name.clone(),
                    available: header.join(", "),
                })
        }
    }
}
