//! The genuine StatLib file: its checksum, size, and the scikit-learn feature means and
//! target statistics listed in ../shared/data/README.md (computed there with
//! scikit-learn's `fetch_california_housing`, in float64).

use std::path::{Path, PathBuf};

use caadam_data::{
    california_housing_in, sha256_hex, ArchiveSource, DataError, Download, Fetcher,
    HOUSING_DATA_SHA256, HOUSING_FEATURES, HOUSING_FILE_NAME,
};

/// The data directory as CI sets it. Cargo runs tests in the crate directory, while
/// CI gives `CAADAM_DATA_HOME=../shared/data` relative to the repository root, so a
/// relative value is resolved against the workspace root here.
fn data_dir() -> Option<PathBuf> {
    let workspace = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    match std::env::var_os("CAADAM_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            Some(if dir.is_absolute() {
                dir
            } else {
                workspace.join(dir)
            })
        }
        None => {
            Some(PathBuf::from("/work/shared/data")).filter(|d| d.join(HOUSING_FILE_NAME).exists())
        }
    }
}

/// This test must never download: the file is expected to be present.
struct NoDownload;
impl Fetcher for NoDownload {
    fn open(&self, url: &str) -> Result<Download, DataError> {
        Err(DataError::Network {
            url: url.to_string(),
            message: "this test reads the local copy only".into(),
        })
    }
}

#[test]
fn real_file_matches_the_reference_statistics() {
    let Some(dir) = data_dir() else {
        println!("skipped: set CAADAM_DATA_HOME to the directory holding cal_housing.data");
        return;
    };
    let path = dir.join(HOUSING_FILE_NAME);
    let raw = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} (from CAADAM_DATA_HOME): {e}",
            path.display()
        )
    });
    assert_eq!(sha256_hex(&raw), HOUSING_DATA_SHA256);
    assert_eq!(
        HOUSING_DATA_SHA256,
        "a2b44dcc7e1c9091b43c4f458b25cbd1f7e8068d08edd26bc4703108d3fa6214"
    );

    let ds = california_housing_in(&dir, &ArchiveSource::california_housing(), &NoDownload)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((ds.n, ds.d), (20640, 8));
    assert_eq!(ds.feature_names, HOUSING_FEATURES);
    assert_eq!(ds.target_name, "MedHouseVal");

    // From ../shared/data/README.md.
    let expected_means = [
        ("MedInc", 3.870671),
        ("HouseAge", 28.639486),
        ("AveRooms", 5.429000),
        ("AveBedrms", 1.096675),
        ("Population", 1425.476744),
        ("AveOccup", 3.070655),
        ("Latitude", 35.631861),
        ("Longitude", -119.569704),
    ];
    for (j, (name, expected)) in expected_means.iter().enumerate() {
        assert_eq!(ds.feature_names[j], *name);
        let mean =
            ds.x.iter()
                .skip(j)
                .step_by(ds.d)
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / ds.n as f64;
        assert_close(mean, *expected, name);
    }
    let y: Vec<f64> = ds.y.iter().map(|&v| f64::from(v)).collect();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let std = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    assert_close(mean, 2.068558, "MedHouseVal mean");
    assert_close(std, 1.153928, "MedHouseVal std");
}

/// The README gives six decimals; the f32 features agree to about 1e-7 relative, so
/// 1e-5 relative (plus half a unit of the last printed digit) is a safe, tight bound.
fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-5 * expected.abs() + 5e-7;
    eprintln!(
        "{what}: relative error {:.2e}",
        (actual - expected).abs() / expected.abs()
    );
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, README says {expected}"
    );
}
