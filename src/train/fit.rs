//! The training loop: seeded shuffled mini-batches, MSE on a tape, backward, one optimizer
//! step per batch, and the end-of-epoch validation that drives the callbacks.

use std::time::Instant;

use caadam_autograd::{Tape, Tensor};
use caadam_data::{BatchIter, Dataset};
use caadam_nn::{Module, ParamStore};
use caadam_optim::{OptimError, Optimizer};

use super::{EarlyStopping, EarlyStoppingConfig, KerasPlateau, PlateauConfig};

/// How [`fit`] trains.
///
/// ```
/// use caadam::train::FitConfig;
/// let paper = FitConfig::paper(1000, 7);
/// assert_eq!((paper.batch_size, paper.max_epochs), (128, 1000));
/// assert!(paper.early_stopping.is_some() && paper.plateau.is_some());
/// let speed = FitConfig::fixed(20, 7);
/// assert!(speed.early_stopping.is_none() && speed.plateau.is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitConfig {
    /// Rows per mini-batch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Epochs to run at most (exactly, without early stopping).
    pub max_epochs: usize,
    /// Seed of the batch shuffling (each epoch draws its own order from it).
    pub shuffle_seed: u64,
    /// Stop on the validation loss (needs validation data).
    pub early_stopping: Option<EarlyStoppingConfig>,
    /// Reduce the learning rate on a validation plateau (needs validation data).
    pub plateau: Option<PlateauConfig>,
}

impl FitConfig {
    /// The paper's protocol: batch 128, Keras early stopping and reduce-on-plateau.
    ///
    /// ```
    /// let c = caadam::train::FitConfig::paper(50, 0);
    /// assert_eq!(c.early_stopping.unwrap().patience, 25);
    /// ```
    pub fn paper(max_epochs: usize, shuffle_seed: u64) -> Self {
        Self {
            batch_size: 128,
            max_epochs,
            shuffle_seed,
            early_stopping: Some(EarlyStoppingConfig::default()),
            plateau: Some(PlateauConfig::default()),
        }
    }

    /// Exactly `epochs` epochs with no callbacks (for speed runs; pass no validation set to
    /// [`fit`] so that no validation pass runs either).
    ///
    /// ```
    /// assert_eq!(caadam::train::FitConfig::fixed(3, 0).max_epochs, 3);
    /// ```
    pub fn fixed(epochs: usize, shuffle_seed: u64) -> Self {
        Self {
            batch_size: 128,
            max_epochs: epochs,
            shuffle_seed,
            early_stopping: None,
            plateau: None,
        }
    }
}

/// What [`fit`] reports after each epoch (for progress bars).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochEnd {
    /// 0-based epoch just finished.
    pub epoch: usize,
    /// The epoch limit.
    pub max_epochs: usize,
    /// Validation MSE after the epoch, when validating.
    pub val_loss: Option<f64>,
    /// Learning rate used during the epoch.
    pub learning_rate: f32,
}

/// The record of one training run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Validation MSE after each epoch (empty without a validation set).
    pub val_loss: Vec<f64>,
    /// Learning rate used during each epoch.
    pub learning_rates: Vec<f32>,
    /// Epochs run.
    pub epochs: usize,
    /// Optimizer steps taken.
    pub steps: u64,
    /// Wall time of the training steps alone (batching, forward, backward, step), without
    /// validation passes and callbacks.
    pub train_seconds: f64,
    /// The 0-based epoch whose weights were restored by early stopping, if any.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before `max_epochs`.
    pub stopped_early: bool,
}

/// Mean squared error of `model` on `data`, computed on an inference tape, accumulated in
/// f64.
///
/// ```
/// use caadam::train::mse_on;
/// use caadam_data::Dataset;
/// use caadam_nn::{Activation, Init, Mlp};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let (mlp, mut params) = Mlp::new(&[1, 1], Activation::Identity, Init::GlorotUniform, &mut rng);
/// params.values_mut().copy_from_slice(&[2.0, 0.0]); // y = 2x
/// let data = Dataset::new(vec![1.0, 2.0], vec![2.0, 5.0], vec!["x".into()], "y");
/// assert_eq!(mse_on(&mlp, &params, &data), 0.5); // errors 0 and 1
/// ```
pub fn mse_on(model: &dyn Module, params: &ParamStore, data: &Dataset) -> f64 {
    errors_on(model, params, data).0
}

/// `(MSE, MAE)` of `model` on `data`, in the target's units, accumulated in f64.
///
/// ```
/// use caadam::train::errors_on;
/// use caadam_data::Dataset;
/// use caadam_nn::{Activation, Init, Mlp};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let (mlp, mut params) = Mlp::new(&[1, 1], Activation::Identity, Init::GlorotUniform, &mut rng);
/// params.values_mut().copy_from_slice(&[1.0, 0.0]); // y = x
/// let data = Dataset::new(vec![0.0, 0.0], vec![1.0, -3.0], vec!["x".into()], "y");
/// assert_eq!(errors_on(&mlp, &params, &data), (5.0, 2.0));
/// ```
pub fn errors_on(model: &dyn Module, params: &ParamStore, data: &Dataset) -> (f64, f64) {
    if data.n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let x = Tensor::from_slice(&data.x, &[data.n, data.d]);
    let pred = caadam_nn::predict(model, params, &x);
    let (mut se, mut ae) = (0.0f64, 0.0f64);
    for (&p, &y) in pred.data().iter().zip(&data.y) {
        let e = f64::from(p) - f64::from(y);
        se += e * e;
        ae += e.abs();
    }
    let n = data.n as f64;
    (se / n, ae / n)
}

/// Trains `model` (its parameters in `params`) on `train` with mean squared error.
///
/// Each epoch visits every row once in a seeded shuffled order, in mini-batches; each batch
/// is one forward pass on the tape, one backward pass, one optimizer step. When the current
/// rayon pool has more than one thread, each next epoch's order is drawn on a helper
/// thread while the epoch before it trains ([`BatchIter::prefetching`]; the same orders
/// either way). With `val`, the validation MSE is computed after every epoch and fed to
/// early stopping (which may stop training and, at the end, restores the best weights) and
/// to the Keras-style plateau schedule (which may lower the optimizer's learning rate for
/// the next epoch). Without `val`, no validation pass runs and the callbacks are inactive.
///
/// `on_epoch` is called after every epoch. An optimizer error (a non-finite gradient, so
/// training diverged) ends training with that error.
///
/// ```
/// use caadam::train::{fit, FitConfig};
/// use caadam_data::Dataset;
/// use caadam_nn::{Activation, Init, Mlp};
/// use caadam_optim::{Adam, AdamConfig};
/// use rand::SeedableRng;
/// // y = 3x - 1 on 64 points.
/// let xs: Vec<f32> = (0..64).map(|i| i as f32 / 32.0 - 1.0).collect();
/// let ys: Vec<f32> = xs.iter().map(|x| 3.0 * x - 1.0).collect();
/// let data = Dataset::new(xs, ys, vec!["x".into()], "y");
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let (mlp, mut params) = Mlp::new(&[1, 1], Activation::Identity, Init::GlorotUniform, &mut rng);
/// let mut adam = Adam::new(AdamConfig { lr: 0.05, ..Default::default() }, params.layout()).unwrap();
/// let cfg = FitConfig { batch_size: 16, ..FitConfig::fixed(100, 1) };
/// let history = fit(&mlp, &mut params, &mut adam, &data, None, &cfg, &mut |_| {}).unwrap();
/// assert_eq!((history.epochs, history.steps), (100, 400));
/// assert!(caadam::train::mse_on(&mlp, &params, &data) < 1e-3);
/// ```
pub fn fit(
    model: &dyn Module,
    params: &mut ParamStore,
    optimizer: &mut dyn Optimizer,
    train: &Dataset,
    val: Option<&Dataset>,
    config: &FitConfig,
    on_epoch: &mut dyn FnMut(&EpochEnd),
) -> Result<History, OptimError> {
    // The next epoch's order drawn while this one trains, when there is a second core
    // (same orders either way).
    let mut batches = BatchIter::new(train, config.batch_size, config.shuffle_seed)
        .prefetching(rayon::current_num_threads() > 1);
    let mut early = val.and(config.early_stopping).map(EarlyStopping::new);
    let mut plateau = val.and(config.plateau).map(KerasPlateau::new);
    let mut tape = Tape::new();
    let mut history = History::default();

    for epoch in 0..config.max_epochs {
        let learning_rate = optimizer.learning_rate();
        let started = Instant::now();
        batches.start_epoch(epoch as u64);
        while let Some(batch) = batches.next_batch() {
            let x = tape.input_from(batch.x, &[batch.rows, batch.d]);
            let y = tape.input_from(batch.y, &[batch.rows, 1]);
            let pred = model.forward(&mut tape, params, x);
            let loss = tape.mse(pred, y);
            tape.backward(loss);
            params.set_grads(&tape);
            let stepped = optimizer.step_store(params);
            tape.clear();
            stepped?;
            history.steps += 1;
        }
        history.train_seconds += started.elapsed().as_secs_f64();
        history.epochs = epoch + 1;
        history.learning_rates.push(learning_rate);

        let val_loss = val.map(|v| mse_on(model, params, v));
        on_epoch(&EpochEnd {
            epoch,
            max_epochs: config.max_epochs,
            val_loss,
            learning_rate,
        });
        let Some(loss) = val_loss else { continue };
        history.val_loss.push(loss);
        // Keras calls the callbacks in list order: early stopping, then the plateau.
        let stop = early
            .as_mut()
            .is_some_and(|es| es.on_epoch_end(epoch, loss, params.values()));
        if let Some(p) = plateau.as_mut() {
            if let Some(lr) = p.on_epoch_end(loss, optimizer.learning_rate()) {
                optimizer.set_learning_rate(lr);
            }
        }
        if stop {
            history.stopped_early = true;
            break;
        }
    }
    if let Some(es) = &early {
        if es.restore(params.values_mut()) {
            history.best_epoch = es.best_epoch();
        }
    }
    Ok(history)
}
