use std::f64::consts::PI;

use super::LrSchedule;

/// Linear warmup then cosine annealing: torch's `SequentialLR([LinearLR(start_factor,
/// total_iters = warmup), CosineAnnealingLR(T_max = total - warmup, eta_min = min_lr)])` in
/// closed form.
///
/// - `epoch < warmup`: `lr = base * (start_factor + (1 - start_factor) * epoch / warmup)`;
/// - after: `lr = min_lr + (base - min_lr) * (1 + cos(pi * (epoch - warmup) / (total - warmup))) / 2`,
///   and `min_lr` once `epoch >= total`.
///
/// ```
/// use caadam_optim::schedule::{CosineWithWarmup, LrSchedule};
/// let s = CosineWithWarmup::new(1.0, 4, 14, 0.0).with_start_factor(0.5);
/// assert_eq!([s.lr_at(0), s.lr_at(2), s.lr_at(4)], [0.5, 0.75, 1.0]);
/// assert!((s.lr_at(9) - 0.5).abs() < 1e-12);
/// assert_eq!(s.lr_at(14), 0.0);
/// assert_eq!(s.lr_at(100), 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CosineWithWarmup {
    base_lr: f64,
    warmup: u64,
    total: u64,
    min_lr: f64,
    start_factor: f64,
    epoch: u64,
}

impl CosineWithWarmup {
    /// `warmup` epochs of linear warmup (from `base / 3`, torch's LinearLR default), then a
    /// cosine down to `min_lr` at epoch `total`.
    ///
    /// ```
    /// # use caadam_optim::schedule::LrSchedule;
    /// let s = caadam_optim::schedule::CosineWithWarmup::new(0.3, 3, 10, 0.0);
    /// assert!((s.lr_at(0) - 0.1).abs() < 1e-12);
    /// ```
    pub fn new(base_lr: f64, warmup: u64, total: u64, min_lr: f64) -> Self {
        Self {
            base_lr,
            warmup,
            total: total.max(warmup),
            min_lr,
            start_factor: 1.0 / 3.0,
            epoch: 0,
        }
    }

    /// Sets the warmup's starting fraction of the base rate.
    ///
    /// ```
    /// # use caadam_optim::schedule::LrSchedule;
    /// let s = caadam_optim::schedule::CosineWithWarmup::new(1.0, 2, 10, 0.0).with_start_factor(0.0);
    /// assert_eq!(s.lr_at(0), 0.0);
    /// ```
    pub fn with_start_factor(mut self, start_factor: f64) -> Self {
        self.start_factor = start_factor;
        self
    }
}

impl LrSchedule for CosineWithWarmup {
    fn kind(&self) -> &str {
        "cosine_with_warmup"
    }
    fn base_lr(&self) -> f64 {
        self.base_lr
    }
    fn lr_at(&self, epoch: u64) -> f64 {
        if epoch < self.warmup {
            let f =
                self.start_factor + (1.0 - self.start_factor) * epoch as f64 / self.warmup as f64;
            return self.base_lr * f;
        }
        if epoch >= self.total {
            return if self.total > self.warmup {
                self.min_lr
            } else {
                self.base_lr
            };
        }
        let progress = (epoch - self.warmup) as f64 / (self.total - self.warmup) as f64;
        self.min_lr + (self.base_lr - self.min_lr) * (1.0 + (PI * progress).cos()) / 2.0
    }
    fn epoch(&self) -> u64 {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
}
