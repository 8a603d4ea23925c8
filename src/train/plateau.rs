//! Reduce the learning rate when the validation loss stops improving, with the semantics
//! of Keras's `ReduceLROnPlateau` (mode "min"), the callback of the paper's protocol.
//!
//! Why not the optim crate's torch-like `ReduceOnPlateau` directly: torch reduces after
//! `patience + 1` bad epochs (`num_bad_epochs > patience`) where Keras reduces after
//! `patience` (`wait >= patience`), and Keras's `min_delta` is an absolute margin where
//! torch's default threshold is relative. Both can be mapped (torch patience = Keras
//! patience - 1, absolute threshold), but the protocol is Keras's, so it is written here
//! once, as Keras states it, and tested on its own.

/// Settings of [`KerasPlateau`]; the defaults are the paper's protocol.
///
/// ```
/// let c = caadam::train::PlateauConfig::default();
/// assert_eq!((c.factor, c.patience, c.min_delta, c.min_lr), (0.25, 8, 1e-5, 2.5e-5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlateauConfig {
    /// New learning rate = old * factor.
    pub factor: f32,
    /// Epochs without improvement before a reduction.
    pub patience: usize,
    /// A loss improves only if below the best by more than this (absolute).
    pub min_delta: f64,
    /// Epochs to wait after a reduction before counting bad epochs again.
    pub cooldown: usize,
    /// The learning rate never goes below this.
    pub min_lr: f32,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        Self {
            factor: 0.25,
            patience: 8,
            min_delta: 1e-5,
            cooldown: 0,
            min_lr: 2.5e-5,
        }
    }
}

/// Keras's `ReduceLROnPlateau`, as a state machine fed one validation loss per epoch.
///
/// At the end of each epoch with loss `L` and current learning rate `lr`:
/// 1. in cooldown: `cooldown_counter -= 1`, `wait = 0`;
/// 2. if `L < best - min_delta`: `best = L`, `wait = 0`;
/// 3. else, out of cooldown: `wait += 1`; if `wait >= patience` and `lr > min_lr`, the new
///    rate is `max(lr * factor, min_lr)`, the cooldown starts and `wait = 0`.
///
/// ```
/// use caadam::train::{KerasPlateau, PlateauConfig};
/// let mut p = KerasPlateau::new(PlateauConfig { patience: 2, ..Default::default() });
/// let mut lr = 1e-3f32;
/// let mut seen = vec![];
/// for loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9] {
///     if let Some(new) = p.on_epoch_end(loss, lr) { lr = new; }
///     seen.push(lr);
/// }
/// // Two epochs without improvement after 0.9, then a reduction, twice.
/// assert_eq!(seen, [1e-3, 1e-3, 1e-3, 2.5e-4, 2.5e-4, 6.25e-5]);
/// ```
#[derive(Clone, Debug)]
pub struct KerasPlateau {
    config: PlateauConfig,
    best: f64,
    wait: usize,
    cooldown_counter: usize,
}

impl KerasPlateau {
    /// A fresh schedule (Keras's `on_train_begin`).
    ///
    /// ```
    /// let p = caadam::train::KerasPlateau::new(Default::default());
    /// assert_eq!(p.best(), f64::INFINITY);
    /// ```
    pub fn new(config: PlateauConfig) -> Self {
        Self {
            config,
            best: f64::INFINITY,
            wait: 0,
            cooldown_counter: 0,
        }
    }

    /// Feeds one epoch's loss; returns the new learning rate when it changes.
    ///
    /// ```
    /// let mut p = caadam::train::KerasPlateau::new(Default::default());
    /// assert_eq!(p.on_epoch_end(0.5, 1e-3), None);
    /// ```
    pub fn on_epoch_end(&mut self, loss: f64, lr: f32) -> Option<f32> {
        let in_cooldown = self.cooldown_counter > 0;
        if in_cooldown {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if loss < self.best - self.config.min_delta {
            self.best = loss;
            self.wait = 0;
            return None;
        }
        // Keras re-reads the cooldown after decrementing it.
        if self.cooldown_counter > 0 {
            return None;
        }
        self.wait += 1;
        if self.wait >= self.config.patience && lr > self.config.min_lr {
            self.cooldown_counter = self.config.cooldown;
            self.wait = 0;
            return Some((lr * self.config.factor).max(self.config.min_lr));
        }
        None
    }

    /// The best loss seen so far.
    ///
    /// ```
    /// let mut p = caadam::train::KerasPlateau::new(Default::default());
    /// p.on_epoch_end(0.25, 1e-3);
    /// assert_eq!(p.best(), 0.25);
    /// ```
    pub fn best(&self) -> f64 {
        self.best
    }
}
