//! California housing (StatLib, 1990 census block groups) with scikit-learn's eight
//! derived features and target in units of $100,000.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::cache::write_atomically;
use crate::download::{fetch_archive_member, ArchiveSource, Fetcher, HttpFetcher};
use crate::table::{read_table, TableFormat};
use crate::{data_home, DataError, Dataset};

/// The raw file's name in the data directory.
///
/// ```
/// let path = std::path::Path::new("/data").join(caadam_data::HOUSING_FILE_NAME);
/// assert!(path.ends_with("cal_housing.data"));
/// ```
pub const HOUSING_FILE_NAME: &str = "cal_housing.data";

/// SHA-256 of the genuine `cal_housing.data` (20,640 rows).
///
/// ```no_run
/// let raw = std::fs::read("/data/cal_housing.data")?;
/// assert_eq!(caadam_data::sha256_hex(&raw), caadam_data::HOUSING_DATA_SHA256);
/// # Ok::<(), std::io::Error>(())
/// ```
pub const HOUSING_DATA_SHA256: &str =
    "a2b44dcc7e1c9091b43c4f458b25cbd1f7e8068d08edd26bc4703108d3fa6214";

/// The eight features, in scikit-learn's order (the columns of `Dataset::x`).
///
/// ```
/// let j = caadam_data::HOUSING_FEATURES.iter().position(|&f| f == "AveRooms");
/// assert_eq!(j, Some(2));
/// ```
pub const HOUSING_FEATURES: [&str; 8] = [
    "MedInc",
    "HouseAge",
    "AveRooms",
    "AveBedrms",
    "Population",
    "AveOccup",
    "Latitude",
    "Longitude",
];

/// The target: median house value in units of $100,000.
///
/// ```
/// assert_eq!(caadam_data::HOUSING_TARGET, "MedHouseVal");
/// ```
pub const HOUSING_TARGET: &str = "MedHouseVal";

/// Columns of the raw file, in order.
const RAW_COLUMNS: usize = 9;

/// Loads California housing from [`data_home`], downloading and caching it on first use.
///
/// ```no_run
/// let ds = caadam_data::california_housing()?;
/// assert_eq!((ds.n, ds.d), (20640, 8));
/// # Ok::<(), caadam_data::DataError>(())
/// ```
///
/// # Errors
/// [`DataError::NoDataHome`]; [`DataError::FetchFailed`] (whose message says where to
/// put the file) if the file is missing and cannot be downloaded; parse errors naming
/// the file and line if the file is damaged.
pub fn california_housing() -> Result<Dataset, DataError> {
    california_housing_in(
        &data_home()?,
        &ArchiveSource::california_housing(),
        &HttpFetcher::new(),
    )
}

/// Loads `dir/cal_housing.data`; if it is missing, fetches `source` with `fetcher`,
/// checks and parses the member, then writes it to `dir` (temporary file + rename).
/// On any failure nothing new is left in `dir`.
///
/// ```
/// use caadam_data::{california_housing_in, ArchiveSource, DataError, Download, Fetcher};
///
/// struct Offline;
/// impl Fetcher for Offline {
///     fn open(&self, url: &str) -> Result<Download, DataError> {
///         Err(DataError::Network { url: url.into(), message: "offline".into() })
///     }
/// }
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(
///     dir.path().join("cal_housing.data"),
///     "-122.23,37.88,41,880,129,322,126,8.3252,452600\n",
/// ).unwrap();
/// let ds = california_housing_in(dir.path(), &ArchiveSource::california_housing(), &Offline).unwrap();
/// assert_eq!(ds.y, vec![4.526]);
///
/// let empty = tempfile::tempdir().unwrap();
/// let err = california_housing_in(empty.path(), &ArchiveSource::california_housing(), &Offline);
/// assert!(err.unwrap_err().to_string().contains("CAADAM_DATA_HOME"));
/// ```
///
/// # Errors
/// As [`california_housing`].
pub fn california_housing_in(
    dir: &Path,
    source: &ArchiveSource,
    fetcher: &dyn Fetcher,
) -> Result<Dataset, DataError> {
    let path = dir.join(HOUSING_FILE_NAME);
    match File::open(&path) {
        Ok(file) => parse_california_housing(BufReader::new(file), &path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let fetched = fetch_and_parse(source, fetcher, &path).map_err(|cause| {
                DataError::FetchFailed {
                    file: path.clone(),
                    url: source.url.clone(),
                    cause: Box::new(cause),
                }
            })?;
            let (bytes, dataset) = fetched;
            write_atomically(dir, HOUSING_FILE_NAME, &bytes)?;
            Ok(dataset)
        }
        Err(source) => Err(DataError::Io { file: path, source }),
    }
}

/// Downloads and parses before anything is written, so a damaged member never
/// reaches the cache.
fn fetch_and_parse(
    source: &ArchiveSource,
    fetcher: &dyn Fetcher,
    path: &Path,
) -> Result<(Vec<u8>, Dataset), DataError> {
    let bytes = fetch_archive_member(source, fetcher)?;
    let dataset = parse_california_housing(bytes.as_slice(), path)?;
    Ok((bytes, dataset))
}

/// Reads a `cal_housing.data` file at `path` (no download).
///
/// ```no_run
/// let ds = caadam_data::load_california_housing_file("/data/cal_housing.data")?;
/// assert_eq!(ds.feature_names[0], "MedInc");
/// # Ok::<(), caadam_data::DataError>(())
/// ```
///
/// # Errors
/// [`DataError::Io`] if it cannot be opened, and the errors of
/// [`parse_california_housing`].
pub fn load_california_housing_file(path: impl AsRef<Path>) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_california_housing(BufReader::new(file), path)
}

/// Parses StatLib's 9-column rows (longitude, latitude, housingMedianAge, totalRooms,
/// totalBedrooms, population, households, medianIncome, medianHouseValue) into
/// scikit-learn's features and target. Ratios are computed in `f64`, then cast, as
/// scikit-learn computes them in float64.
///
/// ```
/// use caadam_data::parse_california_housing;
///
/// let row = "-122.23,37.88,41,880,129,322,126,8.3252,452600\n";
/// let ds = parse_california_housing(row.as_bytes(), "inline.data").unwrap();
/// assert_eq!(ds.feature_names[2], "AveRooms");
/// assert_eq!(ds.x[2], (880.0_f64 / 126.0) as f32);
/// assert_eq!(ds.y, vec![4.526]);
/// ```
///
/// # Errors
/// [`DataError::Empty`], [`DataError::ColumnCount`] (not 9 columns),
/// [`DataError::NotANumber`], [`DataError::NotFinite`], and
/// [`DataError::InvalidValue`] when a block has zero households.
pub fn parse_california_housing<R: Read>(
    reader: R,
    file: impl AsRef<Path>,
) -> Result<Dataset, DataError> {
    let file = file.as_ref();
    let format = TableFormat {
        has_header: false,
        delimiter: b',',
        columns: Some(RAW_COLUMNS),
    };
    let table = read_table(reader, file, &format)?;
    let mut x = Vec::with_capacity(table.rows * HOUSING_FEATURES.len());
    let mut y = Vec::with_capacity(table.rows);
    for (raw, &line) in table.values.chunks_exact(RAW_COLUMNS).zip(&table.lines) {
        let [longitude, latitude, age, rooms, bedrooms, population, households, income, value] =
            raw.try_into().expect("chunks of RAW_COLUMNS");
        if households <= 0.0 {
            return Err(DataError::InvalidValue {
                file: PathBuf::from(file),
                line,
                message: format!(
                    "households is {households}: the per-household features need a positive count"
                ),
            });
        }
        let features = [
            income,
            age,
            rooms / households,
            bedrooms / households,
            population,
            population / households,
            latitude,
            longitude,
        ];
        // Huge counts over tiny ones could overflow f32; refuse rather than train on inf.
        if features.iter().any(|&f| !(f as f32).is_finite()) {
            return Err(DataError::InvalidValue {
                file: PathBuf::from(file),
                line,
                message: "a per-household ratio is outside the f32 range".to_string(),
            });
        }
        x.extend(features.iter().map(|&f| f as f32));
        y.push((value / 100_000.0) as f32);
    }
    Ok(Dataset::new(
        x,
        y,
        HOUSING_FEATURES.iter().map(|s| s.to_string()).collect(),
        HOUSING_TARGET,
    ))
}
