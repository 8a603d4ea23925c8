use super::LrSchedule;

/// torch's ExponentialLR: `lr = base * gamma^epoch`.
///
/// ```
/// use caadam_optim::schedule::{ExponentialLr, LrSchedule};
/// assert_eq!(ExponentialLr::new(2.0, 0.5).lr_at(3), 0.25);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialLr {
    base_lr: f64,
    gamma: f64,
    epoch: u64,
}

impl ExponentialLr {
    /// Multiplies the rate by `gamma` every epoch.
    ///
    /// ```
    /// # use caadam_optim::schedule::LrSchedule;
    /// assert_eq!(caadam_optim::schedule::ExponentialLr::new(1.0, 0.9).lr_at(0), 1.0);
    /// ```
    pub fn new(base_lr: f64, gamma: f64) -> Self {
        Self {
            base_lr,
            gamma,
            epoch: 0,
        }
    }
}

impl LrSchedule for ExponentialLr {
    fn kind(&self) -> &str {
        "exponential"
    }
    fn base_lr(&self) -> f64 {
        self.base_lr
    }
    fn lr_at(&self, epoch: u64) -> f64 {
        self.base_lr * self.gamma.powf(epoch as f64)
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
}
