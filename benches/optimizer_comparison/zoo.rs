//! The optimizers compared, with their learning rates.
//!
//! One learning rate per family, torch-like, the same on every task (no tuning, on purpose:
//! the question is how each optimizer does out of the box):
//! - Adam family (Adam, AdamW, NAdam, RAdam, Adamax and every CaAdam variant): 1e-3, the
//!   paper's and torch's Adam default. torch's own defaults for NAdam and Adamax are 2e-3;
//!   1e-3 keeps the family comparable with Adam.
//! - SGD (plain and momentum 0.9), Adagrad, RMSprop: 1e-2 (torch's default for Adagrad and
//!   RMSprop; SGD has no torch default).
//! - Adadelta: 1.0 (torch's default; its step is already scaled by its own accumulators).
//! - Controls `adam-x1.95` and `adam-x5`: Adam at 1.95e-3 and 5e-3, the uniform multipliers
//!   that Keras-reference CaAdam (additive, multiplicative) nearly amounts to.
//!
//! Every other hyperparameter is the optim crate's default, which follows torch.optim
//! (AdamW's weight decay 0.01; CaAdam's eps 1e-8 per layer and 1e-7 in Keras-reference
//! mode). CaAdam's gammas are the root library's `caadam::experiment::Gammas::default()`,
//! as in the `california_housing` example: 0.95 for every per-layer strategy (the method),
//! and the authors' package defaults in Keras-reference mode (additive 0.95,
//! multiplicative 5, depth 1).

use caadam::experiment::Gammas;
use caadam::optim::{CaAdamConfig, Mode, OptimizerConfig, SgdConfig, Strategy};

/// Learning rate of the Adam family, CaAdam included.
pub const ADAM_FAMILY_LR: f64 = 1e-3;
/// Learning rate of SGD, Adagrad and RMSprop.
pub const OTHER_LR: f64 = 1e-2;
/// Learning rate of Adadelta.
pub const ADADELTA_LR: f64 = 1.0;

/// The label every other optimizer is tested against.
pub const BASELINE: &str = "adam";

/// The larger-step controls: Adam at 1.95x and 5x its learning rate.
pub const CONTROLS: [(&str, f64); 2] = [("adam-x1.95", 1.95), ("adam-x5", 5.0)];

/// One optimizer of the comparison.
pub struct Entry {
    /// Name in the tables.
    pub label: &'static str,
    /// The config, learning rate included.
    pub config: OptimizerConfig,
}

impl Entry {
    /// The CaAdam config, for CaAdam entries.
    pub fn caadam(&self) -> Option<&CaAdamConfig> {
        match &self.config {
            OptimizerConfig::CaAdam(c) => Some(c),
            _ => None,
        }
    }
}

fn named(name: &str, lr: f64) -> OptimizerConfig {
    OptimizerConfig::default_for(name)
        .expect("every zoo name is known to the optim crate")
        .with_learning_rate(lr)
}

fn caadam(strategy: Strategy, mode: Mode) -> OptimizerConfig {
    OptimizerConfig::CaAdam(CaAdamConfig {
        lr: ADAM_FAMILY_LR,
        strategy,
        mode,
        gamma: Gammas::default().get(strategy, mode),
        ..Default::default()
    })
}

/// The whole zoo, in table order.
pub fn zoo() -> Vec<Entry> {
    use Mode::{KerasReference, PerLayer};
    use Strategy::{Additive, Depth, Multiplicative};
    let entry = |label, config| Entry { label, config };
    vec![
        entry("sgd", named("sgd", OTHER_LR)),
        entry(
            "sgd-m0.9",
            OptimizerConfig::Sgd(SgdConfig {
                lr: OTHER_LR,
                momentum: 0.9,
                ..Default::default()
            }),
        ),
        entry("adagrad", named("adagrad", OTHER_LR)),
        entry("rmsprop", named("rmsprop", OTHER_LR)),
        entry("adadelta", named("adadelta", ADADELTA_LR)),
        entry(BASELINE, named("adam", ADAM_FAMILY_LR)),
        entry("adamw", named("adamw", ADAM_FAMILY_LR)),
        entry("nadam", named("nadam", ADAM_FAMILY_LR)),
        entry("radam", named("radam", ADAM_FAMILY_LR)),
        entry("adamax", named("adamax", ADAM_FAMILY_LR)),
        // Controls: Adam with the learning rate multiplied about as much as the
        // Keras-reference strategies multiply it (additive ~x2, multiplicative ~x5), to
        // tell structure-aware scaling from a larger step.
        entry(CONTROLS[0].0, named("adam", CONTROLS[0].1 * ADAM_FAMILY_LR)),
        entry(CONTROLS[1].0, named("adam", CONTROLS[1].1 * ADAM_FAMILY_LR)),
        entry("caadam-add", caadam(Additive, PerLayer)),
        entry("caadam-mul", caadam(Multiplicative, PerLayer)),
        entry("caadam-depth", caadam(Depth, PerLayer)),
        entry("caadam-ref-add", caadam(Additive, KerasReference)),
        entry("caadam-ref-mul", caadam(Multiplicative, KerasReference)),
        entry("caadam-ref-depth", caadam(Depth, KerasReference)),
    ]
}
