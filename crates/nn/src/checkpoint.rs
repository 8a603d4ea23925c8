//! Checkpoints: a model's parameters and layout in one self-checking file.
//!
//! File format (all integers little-endian):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `CAADAMCK` |
//! | 8 | 4 | format version (`u32`, currently 1) |
//! | 12 | 4 | CRC-32 of every byte from offset 16 to the end (`u32`) |
//! | 16 | 8 | payload length `n` in bytes (`u64`) |
//! | 24 | n | payload: bincode 1 (fixed-width integers) of `{ layout, values }` |
//!
//! The version is checked before the checksum, so that a file from a newer release says
//! "upgrade" rather than "corrupt". The file is written to a temporary file, synced, and
//! renamed over the target, so a crash never leaves a torn checkpoint.

use std::path::Path;

use bincode::Options;
use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomic;
use crate::crc32::crc32;
use crate::error::NnError;
use crate::layout::{ParamLayout, Segment};
use crate::store::ParamStore;

/// The first eight bytes of every checkpoint.
pub const CHECKPOINT_MAGIC: [u8; 8] = *b"CAADAMCK";

/// The format version this build writes (and the newest it reads).
pub const CHECKPOINT_VERSION: u32 = 1;

/// Bytes before the payload: magic, version, checksum, payload length.
const HEADER_LEN: usize = 24;

/// What the payload holds, as written (borrowing the store).
#[derive(Serialize)]
struct PayloadRef<'a> {
    layout: &'a ParamLayout,
    values: &'a [f32],
}

/// What the payload holds, as read.
#[derive(Deserialize)]
struct Payload {
    layout: ParamLayout,
    values: Vec<f32>,
}

/// bincode with fixed-width integers: the payload's size then depends only on the layout,
/// and a length field can be read without decoding varints.
fn bincode_options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
}

/// Writes the layout and values of `params` to `path` (gradients are not saved).
///
/// ```
/// use caadam_nn::{load_checkpoint, save_checkpoint, ParamLayout, ParamStore};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("model.ckpt");
/// let store = ParamStore::from_values(ParamLayout::flat("p", 2), vec![0.5, -1.0]).unwrap();
/// save_checkpoint(&path, &store).unwrap();
/// assert_eq!(load_checkpoint(&path).unwrap(), store);
/// ```
pub fn save_checkpoint(path: impl AsRef<Path>, params: &ParamStore) -> Result<(), NnError> {
    write_atomic(path.as_ref(), &encode(params))
}

/// Reads a checkpoint into a new store (layout and values from the file, gradients zero).
///
/// ```
/// use caadam_nn::{load_checkpoint, NnError};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("junk.ckpt");
/// std::fs::write(&path, b"not a checkpoint at all, just text").unwrap();
/// assert!(matches!(load_checkpoint(&path), Err(NnError::BadMagic { .. })));
/// ```
pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<ParamStore, NnError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| NnError::io(path, e))?;
    let payload = decode(&bytes, path)?;
    ParamStore::from_values(payload.layout, payload.values)
}

/// Reads a checkpoint into an existing model's store, after checking that the file's
/// layout is the model's; on a mismatch the error names the first tensor that differs and
/// the store is left untouched. The gradients are zeroed.
///
/// ```
/// use caadam_nn::{load_checkpoint_into, save_checkpoint, NnError, ParamLayout, ParamStore};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("model.ckpt");
/// save_checkpoint(&path, &ParamStore::new(ParamLayout::flat("p", 2))).unwrap();
/// let mut other = ParamStore::new(ParamLayout::flat("p", 3));
/// let err = load_checkpoint_into(&path, &mut other).unwrap_err();
/// assert!(err.to_string().contains("`p`"));
/// ```
pub fn load_checkpoint_into(
    path: impl AsRef<Path>,
    params: &mut ParamStore,
) -> Result<(), NnError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| NnError::io(path, e))?;
    let payload = decode(&bytes, path)?;
    if let Some(err) = first_mismatch(params.layout(), &payload.layout) {
        return Err(err);
    }
    params.restore(&payload.values);
    params.zero_grads();
    Ok(())
}

/// The whole file as bytes.
fn encode(params: &ParamStore) -> Vec<u8> {
    let payload = bincode_options()
        .serialize(&PayloadRef {
            layout: params.layout(),
            values: params.values(),
        })
        .expect("bincode cannot fail on a layout and a float vector");
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(&CHECKPOINT_MAGIC);
    bytes.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]); // checksum, filled in below
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let crc = crc32(&bytes[16..]);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// Checks the header, the length and the checksum, then decodes the payload.
fn decode(bytes: &[u8], path: &Path) -> Result<Payload, NnError> {
    let path_buf = || path.to_path_buf();
    let found = bytes.len() as u64;
    let magic_len = bytes.len().min(CHECKPOINT_MAGIC.len());
    if bytes[..magic_len] != CHECKPOINT_MAGIC[..magic_len] {
        return Err(NnError::BadMagic {
            path: path_buf(),
            found: bytes[..magic_len].to_vec(),
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(NnError::Truncated {
            path: path_buf(),
            expected: HEADER_LEN as u64,
            found,
        });
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let version = u32_at(8);
    if version == 0 || version > CHECKPOINT_VERSION {
        return Err(NnError::UnsupportedVersion {
            path: path_buf(),
            found: version,
            supported: CHECKPOINT_VERSION,
        });
    }
    let expected_crc = u32_at(12);
    let payload_len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let expected = (HEADER_LEN as u64).saturating_add(payload_len);
    if found < expected {
        return Err(NnError::Truncated {
            path: path_buf(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(NnError::Corrupt {
            path: path_buf(),
            reason: format!("{} bytes after the end of the payload", found - expected),
        });
    }
    let actual_crc = crc32(&bytes[16..]);
    if actual_crc != expected_crc {
        return Err(NnError::ChecksumMismatch {
            path: path_buf(),
            expected: expected_crc,
            found: actual_crc,
        });
    }
    let body = &bytes[HEADER_LEN..];
    let payload: Payload = bincode_options()
        .with_limit(body.len() as u64)
        .deserialize(body)
        .map_err(|e| NnError::Corrupt {
            path: path_buf(),
            reason: e.to_string(),
        })?;
    if payload.values.len() != payload.layout.len() {
        return Err(NnError::Corrupt {
            path: path_buf(),
            reason: format!(
                "{} values for a layout of {} parameters",
                payload.values.len(),
                payload.layout.len()
            ),
        });
    }
    Ok(payload)
}

/// The first difference between the model's layout and the checkpoint's, in buffer order.
fn first_mismatch(model: &ParamLayout, file: &ParamLayout) -> Option<NnError> {
    let (m, f) = (model.segments(), file.segments());
    let mismatch = |tensor: &str, reason: String| {
        Some(NnError::LayoutMismatch {
            tensor: tensor.to_string(),
            reason,
        })
    };
    for i in 0..m.len().max(f.len()) {
        match (m.get(i), f.get(i)) {
            (Some(ms), Some(fs)) => {
                if let Some(reason) = segment_difference(ms, fs) {
                    return mismatch(&ms.name, reason);
                }
            }
            (Some(ms), None) => {
                let reason = format!(
                    "missing from the checkpoint, which has {} tensors where the model has {}",
                    f.len(),
                    m.len()
                );
                return mismatch(&ms.name, reason);
            }
            (None, Some(fs)) => {
                let reason = format!(
                    "in the checkpoint but not in the model, which has {} tensors",
                    m.len()
                );
                return mismatch(&fs.name, reason);
            }
            (None, None) => unreachable!("index below the longer length"),
        }
    }
    None
}

/// How one segment of the checkpoint differs from the model's, if it does.
fn segment_difference(model: &Segment, file: &Segment) -> Option<String> {
    if model.name != file.name {
        Some(format!("the checkpoint has `{}` in its place", file.name))
    } else if model.shape != file.shape {
        Some(format!(
            "shape {:?} in the checkpoint, {:?} in the model",
            file.shape, model.shape
        ))
    } else if model.kind != file.kind {
        Some(format!(
            "kind {:?} in the checkpoint, {:?} in the model",
            file.kind, model.kind
        ))
    } else if model.info != file.info || model.layer != file.layer {
        Some(format!(
            "layer structure {:?} in the checkpoint, {:?} in the model",
            file.info, model.info
        ))
    } else if model.offset != file.offset {
        Some(format!(
            "offset {} in the checkpoint, {} in the model",
            file.offset, model.offset
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LayerInfo, ParamKind};

    /// A two-layer layout (3 -> 2 -> 1) with distinctive, non-round values.
    fn store() -> ParamStore {
        let mut layout = ParamLayout::new();
        let l0 = LayerInfo::new(3, 2, 0);
        let l1 = LayerInfo::new(2, 1, 1);
        layout.push("layers.0.weight", &[3, 2], ParamKind::Weight, l0);
        layout.push("layers.0.bias", &[2], ParamKind::Bias, l0);
        layout.push("layers.1.weight", &[2, 1], ParamKind::Weight, l1);
        layout.push("layers.1.bias", &[1], ParamKind::Bias, l1);
        let values = (0..layout.len())
            .map(|i| (i as f32 * 0.7).sin() / 3.0)
            .collect();
        ParamStore::from_values(layout, values).unwrap()
    }

    fn saved() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.ckpt");
        save_checkpoint(&path, &store()).unwrap();
        (dir, path)
    }

    #[test]
    fn save_then_load_gives_identical_bits() {
        let (_dir, path) = saved();
        let mut original = store();
        // Include values whose bits a text round trip would lose.
        original.values_mut()[0] = f32::MIN_POSITIVE / 2.0; // subnormal
        original.values_mut()[1] = -0.0;
        original.values_mut()[2] = f32::from_bits(0x7FC0_1234); // NaN with a payload
        save_checkpoint(&path, &original).unwrap();
        let loaded = load_checkpoint(&path).unwrap();
        assert_eq!(loaded.layout(), original.layout());
        let bits = |s: &ParamStore| s.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&loaded), bits(&original));

        let mut into = store();
        into.values_mut().fill(9.0);
        into.grads_mut().fill(1.0);
        load_checkpoint_into(&path, &mut into).unwrap();
        assert_eq!(bits(&into), bits(&original));
        assert!(into.grads().iter().all(|&g| g == 0.0));
    }

    #[test]
    fn header_is_as_documented() {
        let (_dir, path) = saved();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"CAADAMCK");
        assert_eq!(bytes[8..12], [1, 0, 0, 0]);
        let n = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
        assert_eq!(n as usize, bytes.len() - 24);
        // The payload ends with the 11 values as little-endian f32, preceded by their
        // count as a u64 (bincode's encoding of a vector).
        let values = store().values().to_vec();
        let tail = &bytes[bytes.len() - 4 * values.len() - 8..];
        assert_eq!(
            u64::from_le_bytes(tail[..8].try_into().unwrap()),
            values.len() as u64
        );
        for (chunk, v) in tail[8..].chunks_exact(4).zip(&values) {
            assert_eq!(
                f32::from_le_bytes(chunk.try_into().unwrap()).to_bits(),
                v.to_bits()
            );
        }
    }

    #[test]
    fn truncated_file_is_reported_with_sizes() {
        let (_dir, path) = saved();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let err = load_checkpoint(&path).unwrap_err();
        match &err {
            NnError::Truncated {
                expected, found, ..
            } => {
                assert_eq!(*expected, bytes.len() as u64);
                assert_eq!(*found, bytes.len() as u64 - 5);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
        assert!(err.to_string().contains("truncated"), "{err}");
        // Cut inside the header too.
        std::fs::write(&path, &bytes[..10]).unwrap();
        assert!(matches!(
            load_checkpoint(&path),
            Err(NnError::Truncated {
                expected: 24,
                found: 10,
                ..
            })
        ));
    }

    #[test]
    fn every_flipped_payload_byte_is_caught() {
        let (_dir, path) = saved();
        let bytes = std::fs::read(&path).unwrap();
        for i in 24..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            std::fs::write(&path, &b).unwrap();
            let err = load_checkpoint(&path).unwrap_err();
            assert!(
                matches!(err, NnError::ChecksumMismatch { .. }),
                "byte {i}: {err:?}"
            );
        }
        let mut b = bytes.clone();
        b[100] ^= 0x01;
        std::fs::write(&path, &b).unwrap();
        let msg = load_checkpoint(&path).unwrap_err().to_string();
        assert!(
            msg.contains("corrupt") && msg.contains("model.ckpt"),
            "{msg}"
        );
    }

    #[test]
    fn flipped_checksum_or_length_bytes_are_caught() {
        let (_dir, path) = saved();
        let bytes = std::fs::read(&path).unwrap();
        for i in 12..24 {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            std::fs::write(&path, &b).unwrap();
            assert!(
                load_checkpoint(&path).is_err(),
                "flip of header byte {i} undetected"
            );
        }
    }

    #[test]
    fn wrong_magic_is_reported() {
        let (_dir, path) = saved();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[0] = b'X';
        std::fs::write(&path, &bytes).unwrap();
        let err = load_checkpoint(&path).unwrap_err();
        assert!(matches!(err, NnError::BadMagic { .. }), "{err:?}");
        assert!(err.to_string().contains("not a caadam checkpoint"), "{err}");
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(
            load_checkpoint(&path),
            Err(NnError::Truncated { .. })
        ));
    }

    #[test]
    fn newer_version_asks_for_an_upgrade() {
        let (_dir, path) = saved();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let err = load_checkpoint(&path).unwrap_err();
        assert!(
            matches!(
                err,
                NnError::UnsupportedVersion {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade"), "{err}");
    }

    #[test]
    fn layout_mismatch_names_the_first_differing_tensor() {
        let (_dir, path) = saved();
        let info = |fi, fo, d| LayerInfo::new(fi, fo, d);

        // Same first layer, second layer wider: the first mismatch is layers.1.weight.
        let mut layout = ParamLayout::new();
        layout.push("layers.0.weight", &[3, 2], ParamKind::Weight, info(3, 2, 0));
        layout.push("layers.0.bias", &[2], ParamKind::Bias, info(3, 2, 0));
        layout.push("layers.1.weight", &[2, 4], ParamKind::Weight, info(2, 4, 1));
        layout.push("layers.1.bias", &[4], ParamKind::Bias, info(2, 4, 1));
        let mut model = ParamStore::new(layout);
        let err = load_checkpoint_into(&path, &mut model).unwrap_err();
        match &err {
            NnError::LayoutMismatch { tensor, .. } => assert_eq!(tensor, "layers.1.weight"),
            other => panic!("expected LayoutMismatch, got {other:?}"),
        }
        assert!(
            err.to_string()
                .contains("[2, 1] in the checkpoint, [2, 4] in the model"),
            "{err}"
        );
        assert!(
            model.values().iter().all(|&v| v == 0.0),
            "store changed on error"
        );

        // A model with one layer less: the checkpoint's extra tensor is named.
        let mut layout = ParamLayout::new();
        layout.push("layers.0.weight", &[3, 2], ParamKind::Weight, info(3, 2, 0));
        layout.push("layers.0.bias", &[2], ParamKind::Bias, info(3, 2, 0));
        let err = load_checkpoint_into(&path, &mut ParamStore::new(layout)).unwrap_err();
        assert!(
            err.to_string()
                .contains("`layers.1.weight`: in the checkpoint but not"),
            "{err}"
        );

        // A renamed tensor.
        let mut layout = ParamLayout::new();
        layout.push("layers.0.kernel", &[3, 2], ParamKind::Weight, info(3, 2, 0));
        let err = load_checkpoint_into(&path, &mut ParamStore::new(layout)).unwrap_err();
        assert!(err.to_string().contains("`layers.0.kernel`"), "{err}");
    }
}
