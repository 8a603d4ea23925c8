use super::LrSchedule;

/// torch's MultiStepLR: `lr = base * gamma^(number of milestones <= epoch)`.
///
/// ```
/// use caadam_optim::schedule::{LrSchedule, MultiStepLr};
/// let s = MultiStepLr::new(1.0, &[2, 5], 0.5);
/// assert_eq!([s.lr_at(1), s.lr_at(2), s.lr_at(4), s.lr_at(5)], [1.0, 0.5, 0.5, 0.25]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MultiStepLr {
    base_lr: f64,
    milestones: Vec<u64>,
    gamma: f64,
    epoch: u64,
}

impl MultiStepLr {
    /// Multiplies the rate by `gamma` at each milestone (sorted here; repeats count twice, as
    /// in torch).
    ///
    /// ```
    /// # use caadam_optim::schedule::LrSchedule;
    /// let s = caadam_optim::schedule::MultiStepLr::new(1.0, &[3, 3], 0.5);
    /// assert_eq!(s.lr_at(3), 0.25);
    /// ```
    pub fn new(base_lr: f64, milestones: &[u64], gamma: f64) -> Self {
        let mut milestones = milestones.to_vec();
        milestones.sort_unstable();
        Self {
            base_lr,
            milestones,
            gamma,
            epoch: 0,
        }
    }
}

impl LrSchedule for MultiStepLr {
    fn kind(&self) -> &str {
        "multi_step"
    }
    fn base_lr(&self) -> f64 {
        self.base_lr
    }
    fn lr_at(&self, epoch: u64) -> f64 {
        let passed = self.milestones.partition_point(|&m| m <= epoch);
        self.base_lr * self.gamma.powi(passed as i32)
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
}
