//! The errors of everything in this crate that reads files or user data.
//!
//! Programming mistakes (a shape that cannot be multiplied, a layer used before a container
//! laid out its parameters) panic instead, as in `caadam-autograd`.

use std::path::PathBuf;

/// What went wrong while saving, loading, importing or exporting parameters.
///
/// Every message names the file or the tensor involved, so that it can be acted on without
/// a debugger.
///
/// ```
/// use caadam_nn::NnError;
/// let e = NnError::MissingTensor { name: "layers.0.weight".into() };
/// assert_eq!(e.to_string(), "tensor `layers.0.weight` is missing from the file");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NnError {
    /// The file system refused an operation.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file ends before the data its header announces.
    #[error("{path}: truncated checkpoint: expected {expected} bytes, found {found}")]
    Truncated {
        /// The checkpoint file.
        path: PathBuf,
        /// Bytes the header (or the fixed header size) requires.
        expected: u64,
        /// Bytes actually present.
        found: u64,
    },
    /// The file does not start with the checkpoint magic number.
    #[error("{path}: not a caadam checkpoint (wrong magic number {found:02x?})")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first bytes found instead of the magic.
        found: Vec<u8>,
    },
    /// The checkpoint was written by a newer (or unknown) format version.
    #[error(
        "{path}: checkpoint format version {found} is not supported \
         (this build reads versions 1 to {supported}); upgrade caadam-nn"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Version found in the header.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// The bytes after the header do not match the checksum stored in it.
    #[error(
        "{path}: checkpoint is corrupt: CRC-32 is {found:#010x}, header says {expected:#010x}"
    )]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// Checksum stored in the header.
        expected: u32,
        /// Checksum of the bytes read.
        found: u32,
    },
    /// The file has the right checksum but its contents cannot be decoded or are
    /// inconsistent (for instance more values than the layout describes).
    #[error("{path}: checkpoint cannot be decoded: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The stored layout differs from the model's; names the first tensor that differs.
    #[error("parameter layout mismatch at tensor `{tensor}`: {reason}")]
    LayoutMismatch {
        /// The first tensor (in buffer order) that differs.
        tensor: String,
        /// How it differs.
        reason: String,
    },
    /// A values buffer does not have the length its layout requires.
    #[error("{len} values given for a layout of {expected} parameters")]
    LengthMismatch {
        /// Length of the layout.
        expected: usize,
        /// Length given.
        len: usize,
    },
    /// A model was given a different number of random-generator states than it has
    /// generators ([`crate::restore_rng_states`]).
    #[error("{expected} random-generator states expected (one per Dropout layer), {found} given")]
    RngStateCount {
        /// Generators in the model.
        expected: usize,
        /// States given.
        found: usize,
    },
    /// A tensor of the layout is absent from a safetensors file.
    #[error("tensor `{name}` is missing from the file")]
    MissingTensor {
        /// The missing tensor's name.
        name: String,
    },
    /// A safetensors file holds a tensor the layout does not know.
    #[error("tensor `{name}` in the file is not a parameter of the model")]
    UnexpectedTensor {
        /// The unexpected tensor's name.
        name: String,
    },
    /// A tensor has another shape than its layout segment.
    #[error("tensor `{name}` has shape {found:?} in the file, the model expects {expected:?}")]
    ShapeMismatch {
        /// The tensor.
        name: String,
        /// Shape in the layout.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// A tensor is not stored as 32-bit floats.
    #[error("tensor `{name}` has dtype {found}, only F32 is supported")]
    WrongDtype {
        /// The tensor.
        name: String,
        /// The dtype found, as the safetensors crate names it.
        found: String,
    },
    /// The safetensors crate rejected the data.
    #[error("safetensors: {0}")]
    Safetensors(String),
}

impl NnError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NnError::Io {
            path: path.into(),
            source,
        }
    }
}
