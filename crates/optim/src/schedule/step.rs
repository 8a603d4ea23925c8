use super::LrSchedule;

/// torch's StepLR: `lr = base * gamma^floor(epoch / step_size)`.
///
/// ```
/// use caadam_optim::schedule::{LrSchedule, StepLr};
/// let s = StepLr::new(1.0, 3, 0.1);
/// assert_eq!(s.lr_at(2), 1.0);
/// assert!((s.lr_at(3) - 0.1).abs() < 1e-15 && (s.lr_at(6) - 0.01).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StepLr {
    base_lr: f64,
    step_size: u64,
    gamma: f64,
    epoch: u64,
}

impl StepLr {
    /// Multiplies the rate by `gamma` every `step_size` epochs (`step_size` of 0 is taken as 1).
    ///
    /// ```
    /// # use caadam_optim::schedule::LrSchedule;
    /// assert_eq!(caadam_optim::schedule::StepLr::new(0.1, 10, 0.5).epoch(), 0);
    /// ```
    pub fn new(base_lr: f64, step_size: u64, gamma: f64) -> Self {
        Self {
            base_lr,
            step_size: step_size.max(1),
            gamma,
            epoch: 0,
        }
    }
}

impl LrSchedule for StepLr {
    fn kind(&self) -> &str {
        "step"
    }
    fn base_lr(&self) -> f64 {
        self.base_lr
    }
    fn lr_at(&self, epoch: u64) -> f64 {
        self.base_lr * self.gamma.powi((epoch / self.step_size) as i32)
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
}
