use super::LrSchedule;

/// A constant learning rate (the schedule to use when none is wanted).
///
/// ```
/// use caadam_optim::schedule::{ConstantLr, LrSchedule};
/// let s = ConstantLr::new(0.01);
/// assert_eq!(s.lr_at(1000), 0.01);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConstantLr {
    base_lr: f64,
    epoch: u64,
}

impl ConstantLr {
    /// Always `base_lr`.
    ///
    /// ```
    /// assert_eq!(caadam_optim::schedule::ConstantLr::new(0.5).base_lr(), 0.5);
    /// # use caadam_optim::schedule::LrSchedule;
    /// ```
    pub fn new(base_lr: f64) -> Self {
        Self { base_lr, epoch: 0 }
    }
}

impl LrSchedule for ConstantLr {
    fn kind(&self) -> &str {
        "constant"
    }
    fn base_lr(&self) -> f64 {
        self.base_lr
    }
    fn lr_at(&self, _epoch: u64) -> f64 {
        self.base_lr
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
}
