//! caadam: facade over the workspace crates, plus the training protocol of the paper's
//! comparison (early stopping, reduce-on-plateau, the fit loop) and the statistics that
//! compare optimizers.
pub use caadam_autograd as autograd;
pub use caadam_data as data;
pub use caadam_nn as nn;
pub use caadam_optim as optim;

pub mod experiment;
pub mod stats;
pub mod train;

mod error;
pub use error::Error;

/// The README's Rust examples, run as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
