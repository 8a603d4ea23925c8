//! Fetching an archive over HTTP(S), checking its SHA-256 and taking one member out of
//! it. The transport is a trait so tests (and offline users) can supply their own.

use std::io::{self, Read};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::DataError;

/// An open download: the body as a stream, and its length if the server said.
///
/// ```
/// use caadam_data::Download;
///
/// let body = Download { reader: Box::new(&b"hello"[..]), len: Some(5) };
/// assert_eq!(body.len, Some(5));
/// ```
pub struct Download {
    /// The body bytes.
    pub reader: Box<dyn Read + Send>,
    /// The announced length in bytes (`Content-Length`), for the progress bar.
    pub len: Option<u64>,
}

/// Opens a URL for reading. [`HttpFetcher`] is the real one; tests can serve bytes from
/// memory, or refuse, to exercise the failure paths.
///
/// ```
/// use caadam_data::{DataError, Download, Fetcher};
///
/// /// A fetcher for machines without network access.
/// struct Offline;
/// impl Fetcher for Offline {
///     fn open(&self, url: &str) -> Result<Download, DataError> {
///         Err(DataError::Network { url: url.to_string(), message: "offline".into() })
///     }
/// }
/// assert!(Offline.open("https://example.invalid/x").is_err());
/// ```
pub trait Fetcher {
    /// Starts the transfer of `url`.
    ///
    /// # Errors
    /// Typically [`DataError::Network`] or [`DataError::HttpStatus`].
    fn open(&self, url: &str) -> Result<Download, DataError>;
}

/// HTTP(S) through `ureq`, following redirects, with connect and read timeouts so a
/// dead network fails instead of hanging.
///
/// ```no_run
/// use caadam_data::{Fetcher, HttpFetcher};
///
/// let download = HttpFetcher::new().open("https://ndownloader.figshare.com/files/5976036")?;
/// println!("{:?} bytes", download.len);
/// # Ok::<(), caadam_data::DataError>(())
/// ```
#[derive(Debug)]
pub struct HttpFetcher {
    agent: ureq::Agent,
}

impl HttpFetcher {
    /// A fetcher with a 30 s connect timeout and a 60 s read timeout.
    ///
    /// ```
    /// let fetcher = caadam_data::HttpFetcher::new();
    /// # let _ = fetcher;
    /// ```
    pub fn new() -> HttpFetcher {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            .timeout_read(Duration::from_secs(60))
            .build();
        HttpFetcher { agent }
    }
}

impl Default for HttpFetcher {
    fn default() -> Self {
        HttpFetcher::new()
    }
}

impl Fetcher for HttpFetcher {
    fn open(&self, url: &str) -> Result<Download, DataError> {
        match self.agent.get(url).call() {
            Ok(response) => {
                let len = response
                    .header("Content-Length")
                    .and_then(|value| value.trim().parse().ok());
                Ok(Download {
                    reader: response.into_reader(),
                    len,
                })
            }
            Err(ureq::Error::Status(status, _)) => Err(DataError::HttpStatus {
                url: url.to_string(),
                status,
            }),
            Err(ureq::Error::Transport(transport)) => Err(DataError::Network {
                url: url.to_string(),
                message: transport.to_string(),
            }),
        }
    }
}

/// A file published inside a `.tar.gz` archive: where to get it, the archive's
/// SHA-256, and the member's path inside the archive.
///
/// ```
/// use caadam_data::ArchiveSource;
///
/// let source = ArchiveSource::california_housing();
/// assert_eq!(source.member, "CaliforniaHousing/cal_housing.data");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveSource {
    /// The archive's URL.
    pub url: String,
    /// The archive's SHA-256, lowercase hex.
    pub sha256: String,
    /// The member to extract, e.g. `CaliforniaHousing/cal_housing.data`.
    pub member: String,
}

impl ArchiveSource {
    /// scikit-learn's copy of the StatLib California housing archive (`cal_housing.tgz`).
    ///
    /// ```
    /// let source = caadam_data::ArchiveSource::california_housing();
    /// assert!(source.url.starts_with("https://"));
    /// ```
    pub fn california_housing() -> ArchiveSource {
        ArchiveSource {
            url: "https://ndownloader.figshare.com/files/5976036".to_string(),
            sha256: "aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681".to_string(),
            member: "CaliforniaHousing/cal_housing.data".to_string(),
        }
    }
}

/// No legitimate archive or member here comes near this; a misbehaving server is cut off.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Downloads the archive (with a progress bar on a terminal), checks its SHA-256 and
/// returns the bytes of the member.
///
/// ```no_run
/// use caadam_data::{fetch_archive_member, ArchiveSource, HttpFetcher};
///
/// let bytes = fetch_archive_member(&ArchiveSource::california_housing(), &HttpFetcher::new())?;
/// assert!(bytes.starts_with(b"-122.23"));
/// # Ok::<(), caadam_data::DataError>(())
/// ```
///
/// # Errors
/// The fetcher's errors, [`DataError::Network`] if the transfer breaks,
/// [`DataError::TooLarge`], [`DataError::Checksum`], [`DataError::Archive`] and
/// [`DataError::MissingMember`].
pub fn fetch_archive_member(
    source: &ArchiveSource,
    fetcher: &dyn Fetcher,
) -> Result<Vec<u8>, DataError> {
    let archive = download_checked(source, fetcher)?;
    extract_member(&archive, source)
}

fn download_checked(source: &ArchiveSource, fetcher: &dyn Fetcher) -> Result<Vec<u8>, DataError> {
    let url = &source.url;
    let download = fetcher.open(url)?;
    let bar = progress_bar(download.len, url);
    let mut body = Vec::new();
    let read = bar
        .wrap_read(download.reader)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut body);
    bar.finish_and_clear();
    read.map_err(|e| DataError::Network {
        url: url.clone(),
        message: format!("{url}: {e}"),
    })?;
    if body.len() as u64 > MAX_BYTES {
        return Err(DataError::TooLarge {
            url: url.clone(),
            limit: MAX_BYTES,
        });
    }
    let actual = sha256_hex(&body);
    if !actual.eq_ignore_ascii_case(source.sha256.trim()) {
        return Err(DataError::Checksum {
            url: url.clone(),
            expected: source.sha256.trim().to_ascii_lowercase(),
            actual,
        });
    }
    Ok(body)
}

/// A byte-count bar; indicatif draws nothing when stderr is not a terminal.
fn progress_bar(len: Option<u64>, url: &str) -> indicatif::ProgressBar {
    let bar = match len {
        Some(len) => indicatif::ProgressBar::new(len),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = match len {
        Some(_) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
        None => "{msg} {spinner} {bytes}",
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("downloading {url}"));
    bar
}

fn extract_member(archive: &[u8], source: &ArchiveSource) -> Result<Vec<u8>, DataError> {
    let archive_error = |e: io::Error| DataError::Archive {
        url: source.url.clone(),
        message: e.to_string(),
    };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries().map_err(archive_error)? {
        let entry = entry.map_err(archive_error)?;
        let is_member = entry
            .path()
            .map_err(archive_error)?
            .to_str()
            .is_some_and(|path| path.trim_start_matches("./") == source.member);
        if !is_member || !entry.header().entry_type().is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(archive_error)?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(DataError::TooLarge {
                url: source.url.clone(),
                limit: MAX_BYTES,
            });
        }
        return Ok(bytes);
    }
    Err(DataError::MissingMember {
        url: source.url.clone(),
        member: source.member.clone(),
    })
}

/// Lowercase hex SHA-256 of `bytes`.
///
/// ```
/// assert_eq!(
///     caadam_data::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
