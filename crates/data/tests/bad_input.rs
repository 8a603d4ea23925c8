//! Each kind of bad input is a clear error that names the file and the line, for the
//! user CSV loader and the housing parser alike.

use std::path::{Path, PathBuf};

use caadam_data::{
    load_california_housing_file, load_csv, parse_california_housing, read_csv, CsvOptions,
    DataError, TargetColumn,
};

fn csv(text: &str) -> Result<caadam_data::Dataset, DataError> {
    read_csv(text.as_bytes(), "table.csv", &CsvOptions::default())
}

fn housing(text: &str) -> Result<caadam_data::Dataset, DataError> {
    parse_california_housing(text.as_bytes(), "cal_housing.data")
}

const GOOD_ROW: &str = "-122.23,37.88,41,880,129,322,126,8.3252,452600";

#[test]
fn wrong_column_count_names_file_and_line() {
    let err = csv("a,b,y\n1,2,3\n4,5\n").unwrap_err();
    assert!(
        matches!(&err, DataError::ColumnCount { file, line: 3, expected: 3, found: 2 } if file == Path::new("table.csv")),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "table.csv:3: expected 3 columns, found 2");

    // The housing file must have exactly nine columns, from the first row on.
    let err = housing("1,2,3\n").unwrap_err();
    assert!(
        matches!(
            err,
            DataError::ColumnCount {
                line: 1,
                expected: 9,
                found: 3,
                ..
            }
        ),
        "{err:?}"
    );
    let err = housing(&format!("{GOOD_ROW}\n{GOOD_ROW},7\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cal_housing.data:2: expected 9 columns, found 10"
    );
}

#[test]
fn a_cell_that_is_not_a_number() {
    let err = csv("a,b,y\n1,2,3\n4,five,6\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "table.csv:3: column 2: `five` is not a number"
    );
    let err = csv("a,b,y\n1,,3\n").unwrap_err();
    assert!(
        matches!(&err, DataError::NotANumber { line: 2, column: 2, cell, .. } if cell.is_empty()),
        "{err:?}"
    );
    let err = housing(&format!("{GOOD_ROW}\n{}\n", GOOD_ROW.replace("41", "4l"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cal_housing.data:2: column 3: `4l` is not a number"
    );
}

#[test]
fn nan_and_infinity_are_refused() {
    for cell in ["NaN", "nan", "inf", "-infinity", "+Inf"] {
        let err = csv(&format!("a,y\n1,2\n{cell},3\n")).unwrap_err();
        assert!(
            matches!(&err, DataError::NotFinite { line: 3, column: 1, cell: c, .. } if c == cell),
            "{cell}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("table.csv:3: column 1: `{cell}` is not finite (NaN or infinity)")
        );
    }
    let err = housing(&GOOD_ROW.replace("8.3252", "NaN")).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::NotFinite {
                line: 1,
                column: 8,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn numbers_beyond_f32_are_refused() {
    let err = csv("a,y\n1e39,2\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "table.csv:2: column 1: `1e39` is outside the f32 range"
    );
}

#[test]
fn zero_households_is_refused_by_line() {
    let bad = "-122.23,37.88,41,880,129,322,0,8.3252,452600";
    let err = housing(&format!("{GOOD_ROW}\n{GOOD_ROW}\n{bad}\n")).unwrap_err();
    assert!(
        matches!(err, DataError::InvalidValue { line: 3, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("cal_housing.data:3: households is 0"),
        "{err}"
    );
}

#[test]
fn empty_files() {
    for text in ["", "\n\n", "a,b,y\n"] {
        let err = csv(text).unwrap_err();
        assert!(
            matches!(&err, DataError::Empty { file } if file == Path::new("table.csv")),
            "{text:?}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "table.csv: the file is empty (no data rows)"
        );
    }
    let err = housing("").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cal_housing.data: the file is empty (no data rows)"
    );
}

#[test]
fn missing_files_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.csv");
    let err = load_csv(&path, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(&err, DataError::Io { file, source } if *file == path && source.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {}: ", path.display())),
        "{err}"
    );

    let path = dir.path().join("cal_housing.data");
    let err = load_california_housing_file(&path).unwrap_err();
    assert!(
        matches!(&err, DataError::Io { file, .. } if *file == path),
        "{err:?}"
    );
}

#[test]
fn errors_from_a_real_file_carry_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.csv");
    std::fs::write(&path, "x,y\n1,2\n3,oops\n").unwrap();
    let err = load_csv(&path, &CsvOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:3: column 2: `oops` is not a number", path.display())
    );
}

#[test]
fn target_selection_by_name_index_and_default() {
    let text = "a,b,c\n1,2,3\n4,5,6\n";
    let by_name = CsvOptions {
        target: TargetColumn::Name("b".into()),
        ..CsvOptions::default()
    };
    let ds = read_csv(text.as_bytes(), "t.csv", &by_name).unwrap();
    assert_eq!((ds.n, ds.d), (2, 2));
    assert_eq!(ds.feature_names, vec!["a", "c"]);
    assert_eq!(ds.target_name, "b");
    assert_eq!(ds.x, vec![1.0, 3.0, 4.0, 6.0]);
    assert_eq!(ds.y, vec![2.0, 5.0]);

    let ds = read_csv(text.as_bytes(), "t.csv", &CsvOptions::default()).unwrap();
    assert_eq!(ds.target_name, "c");
    assert_eq!(ds.y, vec![3.0, 6.0]);

    let no_header = CsvOptions {
        has_header: false,
        target: TargetColumn::Index(0),
        ..CsvOptions::default()
    };
    let ds = read_csv(" 1 , 2.5 \n\n3,-4e-1\n".as_bytes(), "t.csv", &no_header).unwrap();
    assert_eq!(ds.feature_names, vec!["column_1"]);
    assert_eq!(ds.target_name, "column_0");
    assert_eq!(ds.x, vec![2.5, -0.4]);
    assert_eq!(ds.y, vec![1.0, 3.0]);

    let semicolons = CsvOptions {
        delimiter: b';',
        ..CsvOptions::default()
    };
    let ds = read_csv("\u{feff}p;q\n1;2\n".as_bytes(), "t.csv", &semicolons).unwrap();
    assert_eq!(ds.feature_names, vec!["p"]);
    assert_eq!(ds.y, vec![2.0]);
}

#[test]
fn bad_target_selection() {
    let text = "a,b\n1,2\n";
    let file = PathBuf::from("t.csv");
    let unknown = CsvOptions {
        target: TargetColumn::Name("z".into()),
        ..CsvOptions::default()
    };
    let err = read_csv(text.as_bytes(), "t.csv", &unknown).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.csv: no column named `z` (the header has: a, b)"
    );

    let no_header = CsvOptions {
        has_header: false,
        ..unknown
    };
    let err = read_csv("1,2\n".as_bytes(), "t.csv", &no_header).unwrap_err();
    assert!(
        matches!(&err, DataError::NoHeader { file: f, name } if *f == file && name == "z"),
        "{err:?}"
    );

    let index = CsvOptions {
        target: TargetColumn::Index(2),
        ..CsvOptions::default()
    };
    let err = read_csv(text.as_bytes(), "t.csv", &index).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::ColumnIndex {
                index: 2,
                columns: 2,
                ..
            }
        ),
        "{err:?}"
    );

    let err = read_csv("y\n1\n".as_bytes(), "t.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(err, DataError::TooFewColumns { found: 1, .. }),
        "{err:?}"
    );
}
