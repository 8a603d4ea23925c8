//! The numeric-table reader shared by the CSV loader and the housing parser: every cell
//! must be a finite number that fits `f32`; any other input is an error naming the
//! file, the line and the column.

use std::io::Read;
use std::path::Path;

use crate::DataError;

/// A parsed table: `rows * columns` values (row-major, kept in `f64` so derived
/// features can be computed before the final cast) and the header, if asked for.
pub(crate) struct RawTable {
    pub header: Option<Vec<String>>,
    pub columns: usize,
    pub rows: usize,
    pub values: Vec<f64>,
    /// The 1-based file line where each row starts, for errors raised after parsing.
    pub lines: Vec<u64>,
}

/// How to read the table.
pub(crate) struct TableFormat {
    pub has_header: bool,
    pub delimiter: u8,
    /// If set, every row must have exactly this many cells (otherwise the first row
    /// or header decides).
    pub columns: Option<usize>,
}

/// Reads a whole delimited table of numbers; `file` is only used in error messages.
pub(crate) fn read_table<R: Read>(
    reader: R,
    file: &Path,
    format: &TableFormat,
) -> Result<RawTable, DataError> {
    // `flexible` so ragged rows reach our own check, which knows the file name;
    // header handling is ours too, so the header is just the first record.
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(format.delimiter)
        .trim(csv::Trim::All)
        .from_reader(reader);

    let mut record = csv::ByteRecord::new();
    let mut header = None;
    let mut columns = format.columns;
    let mut values = Vec::new();
    let mut lines = Vec::new();
    let mut first = true;

    while read_record(&mut csv_reader, &mut record, file)? {
        let line = record.position().map_or(0, |p| p.line());
        if first && format.has_header {
            let names: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let name = String::from_utf8_lossy(cell);
                    if i == 0 {
                        name.trim_start_matches('\u{feff}').to_string()
                    } else {
                        name.into_owned()
                    }
                })
                .collect();
            check_columns(&mut columns, names.len(), file, line)?;
            header = Some(names);
            first = false;
            continue;
        }
        check_columns(&mut columns, record.len(), file, line)?;
        for (i, cell) in record.iter().enumerate() {
            // A UTF-8 byte-order mark may precede the very first cell of a file.
            let cell = if first && i == 0 {
                cell.strip_prefix("\u{feff}".as_bytes()).unwrap_or(cell)
            } else {
                cell
            };
            values.push(parse_cell(cell, file, line, i + 1)?);
        }
        lines.push(line);
        first = false;
    }

    if lines.is_empty() {
        return Err(DataError::Empty {
            file: file.to_path_buf(),
        });
    }
    Ok(RawTable {
        header,
        columns: columns.unwrap_or(0),
        rows: lines.len(),
        values,
        lines,
    })
}

fn read_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    file: &Path,
) -> Result<bool, DataError> {
    reader.read_byte_record(record).map_err(|e| DataError::Csv {
        file: file.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    })
}

/// The first row (or the caller's fixed count) sets the column count; every later row
/// must match it.
fn check_columns(
    expected: &mut Option<usize>,
    found: usize,
    file: &Path,
    line: u64,
) -> Result<(), DataError> {
    match *expected {
        Some(expected) if expected != found => Err(DataError::ColumnCount {
            file: file.to_path_buf(),
            line,
            expected,
            found,
        }),
        Some(_) => Ok(()),
        None => {
            *expected = Some(found);
            Ok(())
        }
    }
}

/// Parses one cell: a decimal number, finite, within `f32` range (so the final cast to
/// `f32` can never create an infinity).
fn parse_cell(cell: &[u8], file: &Path, line: u64, column: usize) -> Result<f64, DataError> {
    let text = String::from_utf8_lossy(cell);
    let not_a_number = || DataError::NotANumber {
        file: file.to_path_buf(),
        line,
        column,
        cell: text.to_string(),
    };
    let value: f64 = std::str::from_utf8(cell)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(not_a_number)?;
    if !value.is_finite() {
        return Err(DataError::NotFinite {
            file: file.to_path_buf(),
            line,
            column,
            cell: text.to_string(),
        });
    }
    if value.abs() > f64::from(f32::MAX) {
        return Err(DataError::InvalidValue {
            file: file.to_path_buf(),
            line,
            message: format!("column {column}: `{text}` is outside the f32 range"),
        });
    }
    Ok(value)
}
