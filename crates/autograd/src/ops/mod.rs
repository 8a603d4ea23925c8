//! The ops, one file per family. Each file holds the forward (methods on `Tape`) and the
//! backward rule of its ops side by side.

pub(crate) mod activation;
pub(crate) mod broadcast;
pub(crate) mod dense;
pub(crate) mod elementwise;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
