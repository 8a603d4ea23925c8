//! Learning-rate schedules, each with a saved state.
//!
//! Epoch-indexed schedules implement [`LrSchedule`]: `lr_at(epoch)` is a closed form
//! (as torch's `_get_closed_form_lr`), and `step(opt)` advances one epoch (or one batch, as
//! the caller counts) and writes the new rate into the optimizer. [`ReduceOnPlateau`]
//! reacts to a metric instead and has its own `step(metric, opt)`.

mod constant;
mod cosine;
mod exponential;
mod multi_step;
mod plateau;
mod step;

pub use constant::ConstantLr;
pub use cosine::CosineWithWarmup;
pub use exponential::ExponentialLr;
pub use multi_step::MultiStepLr;
pub use plateau::{PlateauConfig, PlateauMode, ReduceOnPlateau, ThresholdMode};
pub use step::StepLr;

use serde::{Deserialize, Serialize};

use crate::{OptimError, Optimizer};

/// Version of the [`ScheduleState`] format written by this crate.
///
/// ```
/// assert_eq!(caadam_optim::schedule::SCHEDULE_STATE_VERSION, 1);
/// ```
pub const SCHEDULE_STATE_VERSION: u32 = 1;

/// A schedule's saved state. Epoch schedules use `epoch` and `base_lr`; the plateau fields
/// are used by [`ReduceOnPlateau`] only.
///
/// ```
/// use caadam_optim::schedule::{LrSchedule, StepLr};
/// let mut s = StepLr::new(0.1, 2, 0.5);
/// s.set_epoch(3);
/// let bytes = bincode::serialize(&s.state()).unwrap();
/// let mut t = StepLr::new(0.1, 2, 0.5);
/// t.load_state(&bincode::deserialize(&bytes).unwrap()).unwrap();
/// assert_eq!(t.epoch(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    /// Format version, [`SCHEDULE_STATE_VERSION`].
    pub version: u32,
    /// Which schedule wrote it (`step`, `cosine_with_warmup`, `reduce_on_plateau`, ...).
    pub kind: String,
    /// Epochs (or metric reports) seen so far.
    pub epoch: u64,
    /// The schedule's starting learning rate.
    pub base_lr: f64,
    /// Plateau: the best metric so far.
    pub best: f64,
    /// Plateau: epochs without improvement.
    pub num_bad_epochs: u64,
    /// Plateau: epochs of cooldown left.
    pub cooldown_counter: u64,
}

impl ScheduleState {
    /// A record for an epoch schedule.
    ///
    /// ```
    /// let s = caadam_optim::schedule::ScheduleState::epoch("step", 4, 0.1);
    /// assert_eq!((s.kind.as_str(), s.epoch), ("step", 4));
    /// ```
    pub fn epoch(kind: &str, epoch: u64, base_lr: f64) -> Self {
        Self {
            version: SCHEDULE_STATE_VERSION,
            kind: kind.to_string(),
            epoch,
            base_lr,
            best: 0.0,
            num_bad_epochs: 0,
            cooldown_counter: 0,
        }
    }

    /// Checks version, kind and base learning rate before a load.
    ///
    /// ```
    /// let s = caadam_optim::schedule::ScheduleState::epoch("step", 4, 0.1);
    /// assert!(s.check("step", 0.1).is_ok());
    /// assert!(s.check("exponential", 0.1).is_err());
    /// ```
    pub fn check(&self, kind: &str, base_lr: f64) -> Result<(), OptimError> {
        let fail = |m: String| Err(OptimError::StateMismatch(m));
        if self.version != SCHEDULE_STATE_VERSION {
            return fail(format!(
                "schedule state version {} (this build reads {SCHEDULE_STATE_VERSION})",
                self.version
            ));
        }
        if self.kind != kind {
            return fail(format!(
                "schedule state of `{}` loaded into `{kind}`",
                self.kind
            ));
        }
        if self.base_lr.to_bits() != base_lr.to_bits() {
            return fail(format!(
                "schedule saved with base lr {} loaded into one with {base_lr}",
                self.base_lr
            ));
        }
        Ok(())
    }
}

/// A learning rate that is a function of the epoch.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{schedule::{ExponentialLr, LrSchedule}, Optimizer, Sgd, SgdConfig};
/// let mut opt = Sgd::new(SgdConfig { lr: 1.0, ..Default::default() }, &ParamLayout::flat("w", 1)).unwrap();
/// let mut sched = ExponentialLr::new(1.0, 0.5);
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert_eq!(opt.learning_rate(), 0.25);
/// ```
pub trait LrSchedule: Send {
    /// Short name stored in the state (`step`, `exponential`, ...).
    fn kind(&self) -> &str;
    /// The learning rate at the start of training.
    fn base_lr(&self) -> f64;
    /// The learning rate at `epoch` (0 is the start).
    fn lr_at(&self, epoch: u64) -> f64;
    /// Epochs stepped so far.
    fn epoch(&self) -> u64;
    /// Jumps to `epoch` (used by resume).
    fn set_epoch(&mut self, epoch: u64);

    /// The current learning rate, `lr_at(epoch())`.
    fn lr(&self) -> f32 {
        self.lr_at(self.epoch()) as f32
    }

    /// Advances one epoch and sets the optimizer's learning rate; returns it.
    fn step(&mut self, opt: &mut dyn Optimizer) -> f32 {
        self.set_epoch(self.epoch() + 1);
        let lr = self.lr();
        opt.set_learning_rate(lr);
        lr
    }

    /// The saved state.
    fn state(&self) -> ScheduleState {
        ScheduleState::epoch(self.kind(), self.epoch(), self.base_lr())
    }

    /// Restores a state saved by the same kind of schedule with the same base rate.
    fn load_state(&mut self, state: &ScheduleState) -> Result<(), OptimError> {
        state.check(self.kind(), self.base_lr())?;
        self.set_epoch(state.epoch);
        Ok(())
    }
}
