//! Arbitrary input to both parsers: an error is fine, a panic is not.

use caadam_data::{parse_california_housing, read_csv, CsvOptions, TargetColumn};
use proptest::prelude::*;

fn csv_options() -> impl Strategy<Value = CsvOptions> {
    let target = prop_oneof![
        Just(TargetColumn::Last),
        (0usize..12).prop_map(TargetColumn::Index),
        "[a-c]{1,2}".prop_map(TargetColumn::Name),
    ];
    (
        any::<bool>(),
        target,
        prop::sample::select(vec![b',', b';', b'\t']),
    )
        .prop_map(|(has_header, target, delimiter)| CsvOptions {
            has_header,
            target,
            delimiter,
        })
}

/// Text that looks like a numeric table, so parsing gets past the first cell: digits,
/// signs, exponents, NaN/inf words, delimiters, quotes, blank lines and stray bytes.
fn table_like() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        "-?[0-9]{1,6}(\\.[0-9]{0,4})?(e-?[0-9]{1,3})?",
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just(String::new()),
        "[a-c\"]{1,2}",
        Just("1e39".to_string()),
        Just("0".to_string()),
    ];
    let row = prop::collection::vec(cell, 1..11).prop_map(|cells| cells.join(","));
    prop::collection::vec(row, 0..8).prop_map(|rows| rows.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn csv_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), options in csv_options()) {
        if let Ok(ds) = read_csv(bytes.as_slice(), "fuzz.csv", &options) {
            prop_assert_eq!(ds.x.len(), ds.n * ds.d);
        }
    }

    #[test]
    fn csv_table_like_text(text in table_like(), options in csv_options()) {
        if let Ok(ds) = read_csv(text.as_bytes(), "fuzz.csv", &options) {
            prop_assert_eq!(ds.x.len(), ds.n * ds.d);
            prop_assert!(ds.x.iter().chain(&ds.y).all(|v| v.is_finite()));
        }
    }

    #[test]
    fn housing_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_california_housing(bytes.as_slice(), "fuzz.data");
    }

    #[test]
    fn housing_table_like_text(text in table_like()) {
        if let Ok(ds) = parse_california_housing(text.as_bytes(), "fuzz.data") {
            prop_assert_eq!(ds.d, 8);
            prop_assert!(ds.x.iter().chain(&ds.y).all(|v| v.is_finite()));
        }
    }

    #[test]
    fn housing_nine_number_rows(rows in prop::collection::vec(prop::collection::vec(-1e30f64..1e30, 9), 1..6)) {
        let text: String = rows.iter().map(|r| {
            r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n"
        }).collect();
        if let Ok(ds) = parse_california_housing(text.as_bytes(), "fuzz.data") {
            prop_assert_eq!(ds.n, rows.len());
            prop_assert!(ds.x.iter().chain(&ds.y).all(|v| v.is_finite()));
        }
    }
}
