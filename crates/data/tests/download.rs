//! The download path, end to end through the real `ureq` fetcher, without the
//! internet: a small `.tgz` built here is served once from 127.0.0.1.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::thread::{self, JoinHandle};

use caadam_data::{
    california_housing_in, sha256_hex, ArchiveSource, DataError, HttpFetcher, HOUSING_FILE_NAME,
};

const ROWS: &str = "\
-122.23,37.88,41,880,129,322,126,8.3252,452600
-122.22,37.86,21,7099,1106,2401,1138,8.3014,358500
-122.24,37.85,52,1467,190,496,177,7.2574,352100
";

/// A gzip-compressed tar archive holding `files` (path, contents).
fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    for (path, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, *contents).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// Serves `body` with `status` to exactly one connection, then the thread ends.
/// Returns the URL and the thread (which yields the request line it saw).
fn serve_once(status: &'static str, body: Vec<u8>) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/files/cal_housing.tgz",
        listener.local_addr().unwrap()
    );
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        // Consume the headers, up to the blank line.
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut stream = reader.into_inner();
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        stream.flush().unwrap();
        request_line
    });
    (url, server)
}

fn source(url: String, archive: &[u8]) -> ArchiveSource {
    ArchiveSource {
        url,
        sha256: sha256_hex(archive),
        member: "CaliforniaHousing/cal_housing.data".to_string(),
    }
}

/// Names in `dir`, or an empty list if `dir` was never created.
fn names_in(dir: &Path) -> Vec<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn downloads_checks_extracts_and_caches() {
    let archive = tgz(&[
        (
            "CaliforniaHousing/cal_housing.domain",
            b"longitude: continuous.\n",
        ),
        ("CaliforniaHousing/cal_housing.data", ROWS.as_bytes()),
    ]);
    let (url, server) = serve_once("200 OK", archive.clone());
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("caadam"); // created on success only

    let ds = california_housing_in(&cache, &source(url, &archive), &HttpFetcher::new()).unwrap();
    assert_eq!(
        server.join().unwrap(),
        "GET /files/cal_housing.tgz HTTP/1.1\r\n"
    );

    assert_eq!((ds.n, ds.d), (3, 8));
    assert_eq!(ds.y, vec![4.526, 3.585, 3.521]);
    // Row 2 by hand: MedInc, HouseAge, 7099/1138, 1106/1138, 2401, 2401/1138, lat, lon.
    let expected: [f64; 8] = [
        8.3014,
        21.0,
        7099.0 / 1138.0,
        1106.0 / 1138.0,
        2401.0,
        2401.0 / 1138.0,
        37.86,
        -122.22,
    ];
    let expected: Vec<f32> = expected.iter().map(|&v| v as f32).collect();
    assert_eq!(ds.row(1), &expected[..]);

    // Cached byte for byte, and nothing else (no temporary file) in the directory.
    assert_eq!(
        fs::read_to_string(cache.join(HOUSING_FILE_NAME)).unwrap(),
        ROWS
    );
    assert_eq!(names_in(&cache), vec![HOUSING_FILE_NAME.to_string()]);

    // A second load reads the cache; this URL has no server, so any fetch would fail.
    let offline = source("http://127.0.0.1:9/unused".into(), &archive);
    let again = california_housing_in(&cache, &offline, &HttpFetcher::new()).unwrap();
    assert_eq!(again, ds);
}

#[test]
fn checksum_mismatch_leaves_nothing_in_the_cache() {
    let archive = tgz(&[("CaliforniaHousing/cal_housing.data", ROWS.as_bytes())]);
    let (url, server) = serve_once("200 OK", archive);
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("caadam");
    fs::create_dir(&cache).unwrap();
    let wrong = "0".repeat(64);
    let source = ArchiveSource {
        sha256: wrong.clone(),
        ..source(url.clone(), b"")
    };

    let err = california_housing_in(&cache, &source, &HttpFetcher::new()).unwrap_err();
    server.join().unwrap();
    let DataError::FetchFailed { file, cause, .. } = &err else {
        panic!("expected FetchFailed, got {err:?}");
    };
    assert_eq!(*file, cache.join(HOUSING_FILE_NAME));
    assert!(
        matches!(&**cause, DataError::Checksum { url: u, expected, .. } if *u == url && *expected == wrong),
        "{cause:?}"
    );
    let message = err.to_string();
    assert!(message.contains("SHA-256 mismatch"), "{message}");
    assert!(
        message.contains(&cache.join(HOUSING_FILE_NAME).display().to_string()),
        "{message}"
    );
    assert!(
        names_in(&cache).is_empty(),
        "left behind: {:?}",
        names_in(&cache)
    );
}

#[test]
fn archive_without_the_member_is_a_clear_error() {
    let archive = tgz(&[("CaliforniaHousing/other.data", ROWS.as_bytes())]);
    let (url, server) = serve_once("200 OK", archive.clone());
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("caadam");

    let err =
        california_housing_in(&cache, &source(url, &archive), &HttpFetcher::new()).unwrap_err();
    server.join().unwrap();
    let DataError::FetchFailed { cause, .. } = &err else {
        panic!("expected FetchFailed, got {err:?}");
    };
    assert!(
        matches!(&**cause, DataError::MissingMember { member, .. } if member == "CaliforniaHousing/cal_housing.data"),
        "{cause:?}"
    );
    assert!(
        err.to_string()
            .contains("the archive has no member `CaliforniaHousing/cal_housing.data`"),
        "{err}"
    );
    assert!(names_in(&cache).is_empty());
}

#[test]
fn a_damaged_member_is_not_cached() {
    let bad_rows = format!("{ROWS}1,2,3\n");
    let archive = tgz(&[("CaliforniaHousing/cal_housing.data", bad_rows.as_bytes())]);
    let (url, server) = serve_once("200 OK", archive.clone());
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("caadam");

    let err =
        california_housing_in(&cache, &source(url, &archive), &HttpFetcher::new()).unwrap_err();
    server.join().unwrap();
    let DataError::FetchFailed { cause, .. } = &err else {
        panic!("expected FetchFailed, got {err:?}");
    };
    assert!(
        matches!(
            **cause,
            DataError::ColumnCount {
                line: 4,
                found: 3,
                ..
            }
        ),
        "{cause:?}"
    );
    assert!(names_in(&cache).is_empty());
}

#[test]
fn not_an_archive_and_http_errors() {
    let body = b"<html>not a tarball</html>".to_vec();
    let (url, server) = serve_once("200 OK", body.clone());
    let temp = tempfile::tempdir().unwrap();
    let err =
        california_housing_in(temp.path(), &source(url, &body), &HttpFetcher::new()).unwrap_err();
    server.join().unwrap();
    assert!(
        matches!(&err, DataError::FetchFailed { cause, .. } if matches!(**cause, DataError::Archive { .. })),
        "{err:?}"
    );

    let (url, server) = serve_once("404 Not Found", b"gone".to_vec());
    let err =
        california_housing_in(temp.path(), &source(url, b""), &HttpFetcher::new()).unwrap_err();
    server.join().unwrap();
    assert!(
        matches!(&err, DataError::FetchFailed { cause, .. } if matches!(**cause, DataError::HttpStatus { status: 404, .. })),
        "{err:?}"
    );
    assert!(names_in(temp.path()).is_empty());
}

#[test]
fn no_network_says_where_to_put_the_file() {
    // A port that was just free: connecting is refused, as on a machine offline.
    let url = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/cal_housing.tgz", listener.local_addr().unwrap())
    };
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("caadam");
    let err = california_housing_in(&cache, &source(url, b""), &HttpFetcher::new()).unwrap_err();
    let DataError::FetchFailed { cause, .. } = &err else {
        panic!("expected FetchFailed, got {err:?}");
    };
    assert!(matches!(**cause, DataError::Network { .. }), "{cause:?}");
    let message = err.to_string();
    let path = cache.join("cal_housing.data").display().to_string();
    assert!(
        message.contains(&format!("put the file at {path}")),
        "{message}"
    );
    assert!(
        message.contains("set CAADAM_DATA_HOME to a directory that contains cal_housing.data"),
        "{message}"
    );
    assert!(!cache.exists());
}
