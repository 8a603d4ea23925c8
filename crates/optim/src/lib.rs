//! caadam-optim: optimizers over flat parameter buffers — the torch.optim zoo and CaAdam
//! (Genet & Inzirillo, arXiv 2410.24216) — with learning-rate schedules, gradient clipping
//! and resumable state.
//!
//! Every optimizer is built from its config and the model's [`caadam_nn::ParamLayout`],
//! and steps the flat buffers in place:
//!
//! ```
//! use caadam_nn::ParamLayout;
//! use caadam_optim::{Adam, AdamConfig, Optimizer};
//! let layout = ParamLayout::flat("w", 3);
//! let mut adam = Adam::new(AdamConfig { lr: 0.01, ..Default::default() }, &layout).unwrap();
//! let mut params = vec![1.0f32, 2.0, 3.0];
//! let grads = vec![0.5f32, -0.5, 0.0];
//! adam.step(&mut params, &grads).unwrap();
//! assert!(params[0] < 1.0 && params[1] > 2.0 && params[2] == 3.0);
//! ```
//!
//! Every optimizer takes torch's `maximize` option ([`objective`]) and refuses a step on a
//! non-finite gradient unless told not to ([`Optimizer::set_finite_check`]). A training
//! loop over a `caadam_nn::ParamStore` steps with [`Optimizer::step_store`], which skips
//! that scan when the store already knows its gradients are finite (it tests them as it
//! writes them), so the check costs no extra pass over memory.
//!
//! Numerics: per-element arithmetic is f32; hyperparameters and scalar factors (bias
//! corrections, step sizes, CaAdam's S) are f64, rounded once. Results are bit-identical
//! for any rayon thread count, and for any SIMD width: each kernel is compiled for AVX-512,
//! AVX2 and the baseline and picked at run time (`caadam_autograd::simd_kernel!`), with the
//! same IEEE operations per element on every path. One deliberate difference from torch:
//! every state that decays geometrically (the moments of Adam, AdamW, CaAdam, NAdam, RAdam
//! and Adamax, RMSprop's and Adadelta's running averages, the momentum buffer of SGD and
//! RMSprop) is flushed to zero once it falls below the smallest normal f32 (about
//! 1.2e-38), as XLA does, because the state of a dead ReLU unit otherwise decays into
//! subnormal floats, which x86 cores process about a hundred times slower; the effect on
//! any parameter is far below its last bit (the torch fixtures still match).

#![warn(missing_docs)]

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
pub mod caadam;
pub mod clip;
mod config;
mod error;
mod finite_grads;
mod moments;
pub mod momentum;
mod nadam;
pub mod objective;
mod optimizer;
pub mod parallel;
mod radam;
mod rmsprop;
pub mod schedule;
mod sgd;
mod slots;
mod state;
pub mod weight_decay;

pub use adadelta::{Adadelta, AdadeltaConfig};
pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, EpsilonForm};
pub use adamax::{Adamax, AdamaxConfig};
pub use adamw::{AdamW, AdamWConfig};
pub use caadam::{CaAdam, CaAdamConfig, Mode, Strategy};
pub use config::OptimizerConfig;
pub use error::OptimError;
pub use finite_grads::FiniteGrads;
pub use nadam::{NAdam, NAdamConfig};
pub use optimizer::{check_step, Optimizer};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::{LrSchedule, PlateauConfig, PlateauMode, ReduceOnPlateau, ScheduleState};
pub use sgd::{Sgd, SgdConfig};
pub use state::{OptimizerState, ParamState, STATE_VERSION};
