//! Early stopping on the validation loss, with Keras's semantics (keras 3,
//! `keras.callbacks.EarlyStopping`, mode "min"), since the paper's numbers come from it.

/// Settings of [`EarlyStopping`]; the defaults are the paper's protocol.
///
/// ```
/// let c = caadam::train::EarlyStoppingConfig::default();
/// assert_eq!((c.min_delta, c.patience, c.start_from_epoch), (1e-5, 25, 12));
/// assert!(c.restore_best_weights);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStoppingConfig {
    /// A loss counts as an improvement only if it is below the best by more than this.
    pub min_delta: f64,
    /// Epochs without improvement (counted after `start_from_epoch`) before stopping.
    pub patience: usize,
    /// 0-based epochs `0..start_from_epoch` are ignored entirely (warm-up), as in Keras.
    pub start_from_epoch: usize,
    /// Keep a copy of the best weights and put them back when training ends.
    pub restore_best_weights: bool,
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        Self {
            min_delta: 1e-5,
            patience: 25,
            start_from_epoch: 12,
            restore_best_weights: true,
        }
    }
}

/// Stops training when the validation loss has not improved for `patience` epochs and
/// remembers the best weights.
///
/// Keras's rules, step by step, at the end of 0-based epoch `e` with loss `L`:
/// 1. if `e < start_from_epoch`, nothing happens;
/// 2. the first epoch past the warm-up snapshots the weights even if nothing improves later;
/// 3. `wait += 1`; if `L < best - min_delta` (or there is no best yet), `best = L`, the
///    weights are snapshotted and `wait = 0`;
/// 4. otherwise, if `wait >= patience`, training stops.
///
/// So after a best epoch `b`, training stops at the end of epoch `b + patience`, having run
/// `b + patience + 1` epochs. At the end of training (stopped or not) the best weights are
/// restored.
///
/// ```
/// use caadam::train::{EarlyStopping, EarlyStoppingConfig};
/// let cfg = EarlyStoppingConfig { min_delta: 0.0, patience: 2, start_from_epoch: 0, restore_best_weights: true };
/// let mut es = EarlyStopping::new(cfg);
/// let mut w = vec![0.0f32];
/// let losses = [3.0, 2.0, 2.5, 2.5, 1.0];
/// let mut ran = 0;
/// for (epoch, &loss) in losses.iter().enumerate() {
///     w[0] = epoch as f32; // the weights after this epoch
///     ran += 1;
///     if es.on_epoch_end(epoch, loss, &w) { break; }
/// }
/// assert_eq!(ran, 4); // best at epoch 1, two more epochs without improvement
/// assert!(es.restore(&mut w));
/// assert_eq!((w[0], es.best_epoch()), (1.0, Some(1)));
/// ```
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    config: EarlyStoppingConfig,
    wait: usize,
    best: Option<f64>,
    best_epoch: Option<usize>,
    best_weights: Option<Vec<f32>>,
    stopped_epoch: Option<usize>,
}

impl EarlyStopping {
    /// A fresh monitor (Keras's `on_train_begin`).
    ///
    /// ```
    /// let es = caadam::train::EarlyStopping::new(Default::default());
    /// assert_eq!(es.best_epoch(), None);
    /// ```
    pub fn new(config: EarlyStoppingConfig) -> Self {
        Self {
            config,
            wait: 0,
            best: None,
            best_epoch: None,
            best_weights: None,
            stopped_epoch: None,
        }
    }

    /// Records the loss of 0-based `epoch`, with `weights` the parameters after that epoch;
    /// returns `true` when training should stop now.
    ///
    /// ```
    /// let mut es = caadam::train::EarlyStopping::new(Default::default());
    /// // Warm-up epochs (0..12) never stop training, whatever the loss.
    /// assert!(!es.on_epoch_end(0, f64::INFINITY, &[1.0]));
    /// ```
    pub fn on_epoch_end(&mut self, epoch: usize, loss: f64, weights: &[f32]) -> bool {
        if epoch < self.config.start_from_epoch {
            return false;
        }
        if self.config.restore_best_weights && self.best_weights.is_none() {
            // Keras: "if best weights were never set, the current weights are the best".
            self.snapshot(weights);
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        let improved = match self.best {
            None => true,
            Some(best) => loss + self.config.min_delta < best,
        };
        if improved {
            self.best = Some(loss);
            self.best_epoch = Some(epoch);
            if self.config.restore_best_weights {
                self.snapshot(weights);
            }
            self.wait = 0;
            return false;
        }
        if self.wait >= self.config.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            return true;
        }
        false
    }

    /// Keras's `on_train_end`: copies the best weights back into `weights` if there are
    /// any; returns whether it did.
    ///
    /// ```
    /// let mut es = caadam::train::EarlyStopping::new(Default::default());
    /// assert!(!es.restore(&mut [0.0])); // nothing recorded yet
    /// ```
    pub fn restore(&self, weights: &mut [f32]) -> bool {
        match &self.best_weights {
            Some(best) if self.config.restore_best_weights => {
                weights.copy_from_slice(best);
                true
            }
            _ => false,
        }
    }

    /// The 0-based epoch whose weights are kept, once one has been seen past the warm-up.
    ///
    /// ```
    /// let mut es = caadam::train::EarlyStopping::new(caadam::train::EarlyStoppingConfig {
    ///     start_from_epoch: 0, ..Default::default() });
    /// es.on_epoch_end(0, 1.0, &[0.0]);
    /// assert_eq!(es.best_epoch(), Some(0));
    /// ```
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The best loss seen past the warm-up.
    ///
    /// ```
    /// let es = caadam::train::EarlyStopping::new(Default::default());
    /// assert_eq!(es.best_loss(), None);
    /// ```
    pub fn best_loss(&self) -> Option<f64> {
        self.best
    }

    /// The epoch at which training was stopped, if it was.
    ///
    /// ```
    /// let es = caadam::train::EarlyStopping::new(Default::default());
    /// assert_eq!(es.stopped_epoch(), None);
    /// ```
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    fn snapshot(&mut self, weights: &[f32]) {
        // Reuse the buffer: snapshots happen at every improvement.
        let best = self.best_weights.get_or_insert_with(Vec::new);
        best.clear();
        best.extend_from_slice(weights);
    }
}
