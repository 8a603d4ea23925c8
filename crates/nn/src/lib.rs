//! caadam-nn: layers that know their structure, a flat parameter store, checkpoints.
//!
//! - [`ConnectionInfo`]: what a parametrized layer tells a connection-aware optimizer
//!   (fan-in, fan-out, depth, connections).
//! - [`ParamStore`]: every parameter in one flat buffer, every gradient in another, and a
//!   [`ParamLayout`] naming each tensor (`layers.{i}.weight`, `layers.{i}.bias`).
//! - Layers implementing [`Module`]: [`Linear`], [`Activation`] (ReLU, LeakyReLU, Tanh,
//!   Sigmoid, GELU), [`Dropout`], [`LayerNorm`], [`Sequential`], and the [`Mlp`] builder.
//! - [`Init`]: Glorot uniform (default, as Keras), He uniform, He normal.
//! - Checkpoints ([`save_checkpoint`], [`load_checkpoint`], [`load_checkpoint_into`]) and
//!   safetensors export/import ([`export_safetensors`], [`import_safetensors`]); for an
//!   exact resume of a model with Dropout, its generators' positions
//!   ([`Module::rng_states`], [`restore_rng_states`]).
//!
//! One training step:
//!
//! ```
//! use caadam_autograd::Tape;
//! use caadam_nn::{Activation, Init, Mlp, Module};
//! use rand::SeedableRng;
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let (mlp, mut params) = Mlp::new(&[2, 8, 1], Activation::Tanh, Init::GlorotUniform, &mut rng);
//! let mut tape = Tape::new();
//! let x = tape.input_from(&[0.5, -1.0, 1.0, 2.0], &[2, 2]);
//! let y = tape.input_from(&[1.0, 0.0], &[2, 1]);
//! let logits = mlp.forward(&mut tape, &params, x);
//! let loss = tape.bce_with_logits(logits, y);
//! tape.backward(loss);
//! params.set_grads(&tape); // or accumulate_grads, to sum over micro-batches
//! let (values, grads) = params.split_mut();
//! for (v, g) in values.iter_mut().zip(grads) {
//!     *v -= 0.1 * g;
//! }
//! tape.clear();
//! ```

mod activation;
mod atomic_file;
mod checkpoint;
mod connection;
mod crc32;
mod dropout;
mod error;
mod init;
mod layer_norm;
mod layout;
mod linear;
mod mlp;
mod module;
mod rng_state;
mod safetensors_io;
mod sequential;
mod store;

pub use activation::Activation;
pub use checkpoint::{
    load_checkpoint, load_checkpoint_into, save_checkpoint, CHECKPOINT_MAGIC, CHECKPOINT_VERSION,
};
pub use connection::{ConnectionInfo, LayerInfo};
pub use dropout::Dropout;
pub use error::NnError;
pub use init::Init;
pub use layer_norm::LayerNorm;
pub use layout::{ParamKind, ParamLayout, Segment};
pub use linear::Linear;
pub use mlp::Mlp;
pub use module::{predict, Module, ParamRegistry};
pub use rng_state::{restore_rng_states, RngState};
pub use safetensors_io::{
    export_safetensors, import_safetensors, safetensors_from_bytes, safetensors_to_bytes,
};
pub use sequential::Sequential;
pub use store::ParamStore;
