use serde::{Deserialize, Serialize};

use super::{ScheduleState, SCHEDULE_STATE_VERSION};
use crate::{OptimError, Optimizer};

/// Whether the watched metric should go down (a loss) or up (an accuracy).
///
/// ```
/// assert_eq!(caadam_optim::schedule::PlateauMode::default(), caadam_optim::schedule::PlateauMode::Min);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlateauMode {
    /// Lower is better.
    #[default]
    Min,
    /// Higher is better.
    Max,
}

/// How `threshold` defines a significant improvement.
///
/// ```
/// assert_eq!(caadam_optim::schedule::ThresholdMode::default(), caadam_optim::schedule::ThresholdMode::Rel);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdMode {
    /// Better than `best * (1 ∓ threshold)`.
    #[default]
    Rel,
    /// Better than `best ∓ threshold`.
    Abs,
}

/// ReduceLROnPlateau's settings; defaults are torch's.
///
/// ```
/// let c = caadam_optim::schedule::PlateauConfig::default();
/// assert_eq!((c.factor, c.patience, c.threshold, c.cooldown, c.min_lr, c.eps), (0.1, 10, 1e-4, 0, 0.0, 1e-8));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlateauConfig {
    /// Minimise or maximise the metric.
    pub mode: PlateauMode,
    /// The rate is multiplied by this on a plateau.
    pub factor: f64,
    /// Epochs without improvement tolerated; the rate drops on the next one.
    pub patience: u64,
    /// Minimal improvement that counts.
    pub threshold: f64,
    /// Relative or absolute `threshold`.
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a reduction before counting bad epochs again.
    pub cooldown: u64,
    /// The rate never goes below this.
    pub min_lr: f64,
    /// Reductions smaller than this are skipped.
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        Self {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// torch's ReduceLROnPlateau: lowers the learning rate when a metric stops improving.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::schedule::{PlateauConfig, ReduceOnPlateau};
/// use caadam_optim::{Adam, AdamConfig, Optimizer};
/// let mut opt = Adam::new(AdamConfig { lr: 1e-3, ..Default::default() }, &ParamLayout::flat("w", 1)).unwrap();
/// let mut plateau = ReduceOnPlateau::new(PlateauConfig { factor: 0.25, patience: 2, min_lr: 2.5e-5, ..Default::default() });
/// for val_loss in [1.0, 0.9, 0.95, 0.93] {
///     plateau.step(val_loss, &mut opt); // 0.9 is best; two bad epochs are tolerated
/// }
/// assert_eq!(opt.learning_rate(), 1e-3);
/// assert!(plateau.step(0.91, &mut opt)); // third bad epoch: reduce
/// assert!((opt.learning_rate() - 2.5e-4).abs() < 1e-10);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceOnPlateau {
    config: PlateauConfig,
    best: f64,
    num_bad_epochs: u64,
    cooldown_counter: u64,
    epoch: u64,
}

impl ReduceOnPlateau {
    /// A fresh schedule (no best value yet).
    ///
    /// ```
    /// let p = caadam_optim::schedule::ReduceOnPlateau::new(Default::default());
    /// assert_eq!(p.best(), f64::INFINITY);
    /// ```
    pub fn new(config: PlateauConfig) -> Self {
        let best = match config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Self {
            config,
            best,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            epoch: 0,
        }
    }

    /// The settings.
    ///
    /// ```
    /// assert_eq!(caadam_optim::schedule::ReduceOnPlateau::new(Default::default()).config().patience, 10);
    /// ```
    pub fn config(&self) -> &PlateauConfig {
        &self.config
    }

    /// The best metric seen so far.
    ///
    /// ```
    /// let p = caadam_optim::schedule::ReduceOnPlateau::new(Default::default());
    /// assert!(p.best().is_infinite());
    /// ```
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Epochs since the last significant improvement (reset by a reduction and in cooldown).
    ///
    /// ```
    /// assert_eq!(caadam_optim::schedule::ReduceOnPlateau::new(Default::default()).num_bad_epochs(), 0);
    /// ```
    pub fn num_bad_epochs(&self) -> u64 {
        self.num_bad_epochs
    }

    fn is_better(&self, a: f64) -> bool {
        let (t, best) = (self.config.threshold, self.best);
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - t),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - t,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (t + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + t,
        }
    }

    /// Reports the epoch's metric; lowers the optimizer's rate when the plateau has lasted
    /// more than `patience` epochs. Returns whether the rate was lowered.
    ///
    /// ```
    /// use caadam_optim::{schedule::{PlateauConfig, PlateauMode, ReduceOnPlateau}, Optimizer, Sgd, SgdConfig};
    /// let mut opt = Sgd::new(SgdConfig { lr: 1.0, ..Default::default() }, &caadam_nn::ParamLayout::flat("w", 1)).unwrap();
    /// let mut p = ReduceOnPlateau::new(PlateauConfig { mode: PlateauMode::Max, patience: 0, factor: 0.5, ..Default::default() });
    /// assert!(!p.step(0.7, &mut opt));
    /// assert!(p.step(0.7, &mut opt)); // no gain in accuracy
    /// assert_eq!(opt.learning_rate(), 0.5);
    /// ```
    pub fn step(&mut self, metric: f32, opt: &mut dyn Optimizer) -> bool {
        let current = metric as f64;
        self.epoch += 1;
        if self.is_better(current) {
            self.best = current;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.config.patience {
            self.cooldown_counter = self.config.cooldown;
            self.num_bad_epochs = 0;
            let old = opt.learning_rate() as f64;
            let new = (old * self.config.factor).max(self.config.min_lr);
            if old - new > self.config.eps {
                opt.set_learning_rate(new as f32);
                return true;
            }
        }
        false
    }

    /// The saved state.
    ///
    /// ```
    /// let p = caadam_optim::schedule::ReduceOnPlateau::new(Default::default());
    /// assert_eq!(p.state().kind, "reduce_on_plateau");
    /// ```
    pub fn state(&self) -> ScheduleState {
        ScheduleState {
            version: SCHEDULE_STATE_VERSION,
            kind: "reduce_on_plateau".into(),
            epoch: self.epoch,
            base_lr: 0.0,
            best: self.best,
            num_bad_epochs: self.num_bad_epochs,
            cooldown_counter: self.cooldown_counter,
        }
    }

    /// Restores a saved state (the settings come from the constructor).
    ///
    /// ```
    /// use caadam_optim::schedule::ReduceOnPlateau;
    /// let mut a = ReduceOnPlateau::new(Default::default());
    /// let mut opt = caadam_optim::Sgd::new(Default::default(), &caadam_nn::ParamLayout::flat("w", 1)).unwrap();
    /// a.step(0.5, &mut opt);
    /// let mut b = ReduceOnPlateau::new(Default::default());
    /// b.load_state(&a.state()).unwrap();
    /// assert_eq!(a, b);
    /// ```
    pub fn load_state(&mut self, state: &ScheduleState) -> Result<(), OptimError> {
        state.check("reduce_on_plateau", 0.0)?;
        self.epoch = state.epoch;
        self.best = state.best;
        self.num_bad_epochs = state.num_bad_epochs;
        self.cooldown_counter = state.cooldown_counter;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sgd, SgdConfig};
    use caadam_nn::ParamLayout;

    fn sgd(lr: f64) -> Sgd {
        Sgd::new(
            SgdConfig {
                lr,
                ..Default::default()
            },
            &ParamLayout::flat("w", 1),
        )
        .unwrap()
    }

    #[test]
    fn cooldown_delays_counting_and_min_lr_floors() {
        let c = PlateauConfig {
            factor: 0.5,
            patience: 1,
            cooldown: 2,
            min_lr: 0.3,
            ..Default::default()
        };
        let mut p = ReduceOnPlateau::new(c);
        let mut opt = sgd(1.0);
        let mut lrs = vec![];
        for m in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0] {
            p.step(m, &mut opt);
            lrs.push(opt.learning_rate());
        }
        // epoch 1 best; 2 bad(1); 3 bad(2) > 1: cut to 0.5, cooldown 2; 4, 5 cooldown (bad
        // reset); 6 bad(1); 7 bad(2): cut to max(0.25, 0.3) = 0.3; ... 10: no change possible.
        assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]);
    }

    #[test]
    fn relative_threshold_ignores_tiny_gains() {
        let c = PlateauConfig {
            patience: 0,
            factor: 0.5,
            threshold: 0.1,
            ..Default::default()
        };
        let mut p = ReduceOnPlateau::new(c);
        let mut opt = sgd(1.0);
        assert!(!p.step(1.0, &mut opt));
        assert!(p.step(0.95, &mut opt)); // not below 1.0 * 0.9
        assert!(!p.step(0.85, &mut opt)); // below 0.9
        assert_eq!(p.best(), 0.85f32 as f64);
    }

    #[test]
    fn absolute_threshold_in_max_mode() {
        let c = PlateauConfig {
            mode: PlateauMode::Max,
            threshold_mode: ThresholdMode::Abs,
            threshold: 0.5,
            patience: 0,
            ..Default::default()
        };
        let mut p = ReduceOnPlateau::new(c);
        let mut opt = sgd(1.0);
        assert!(!p.step(1.0, &mut opt));
        assert!(p.step(1.4, &mut opt));
        assert!(!p.step(1.6, &mut opt));
    }

    #[test]
    fn state_of_another_schedule_is_refused() {
        let mut p = ReduceOnPlateau::new(Default::default());
        assert!(p.load_state(&ScheduleState::epoch("step", 1, 0.0)).is_err());
    }
}
