//! One training run of the comparison, and the loop over architectures, optimizers and runs.

use caadam_data::Dataset;
use caadam_nn::{Activation, Init, Mlp, ParamStore};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Gammas, OptimizerSpec, Splits};
use crate::train::{errors_on, fit, EpochEnd, FitConfig};
use crate::Error;

/// The six architectures of the paper (hidden layer widths).
///
/// ```
/// assert_eq!(caadam::experiment::PAPER_ARCHITECTURES.len(), 6);
/// ```
pub const PAPER_ARCHITECTURES: [&[usize]; 6] = [
    &[64, 32],
    &[128, 64, 32],
    &[128, 128, 64],
    &[256, 128, 64, 32],
    &[128, 128, 128, 128, 128],
    &[1024, 256, 64, 16],
];

/// What the comparison runs.
///
/// ```
/// let c = caadam::experiment::ExperimentConfig::default();
/// assert_eq!((c.batch_size, c.lr, c.max_epochs), (128, 1e-3, 1000));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentConfig {
    /// Hidden layer widths of each architecture (ReLU, linear output).
    pub architectures: Vec<Vec<usize>>,
    /// Optimizers, in table order.
    pub optimizers: Vec<OptimizerSpec>,
    /// Runs per (architecture, optimizer); run `r` shuffles with seed `seed * 1000 + r`.
    pub runs: usize,
    /// Epoch limit under early stopping.
    pub max_epochs: usize,
    /// Exactly this many epochs, no validation, no callbacks (speed runs).
    pub fixed_epochs: Option<usize>,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Base learning rate.
    pub lr: f64,
    /// Seeds the test split, the initial weights and the shuffling.
    pub seed: u64,
    /// CaAdam's gamma per strategy and mode.
    pub gammas: Gammas,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            architectures: vec![vec![64, 32]],
            optimizers: vec![OptimizerSpec::Adam],
            runs: 1,
            max_epochs: 1000,
            fixed_epochs: None,
            batch_size: 128,
            lr: 1e-3,
            seed: 0,
            gammas: Gammas::default(),
        }
    }
}

impl ExperimentConfig {
    /// The shuffling seed of run `run` (the same for every optimizer and architecture, so
    /// optimizers see the same batches; as the authors' script, `seed * 1000 + run`).
    ///
    /// ```
    /// let c = caadam::experiment::ExperimentConfig { seed: 2, ..Default::default() };
    /// assert_eq!(c.shuffle_seed(3), 2003);
    /// ```
    pub fn shuffle_seed(&self, run: usize) -> u64 {
        self.seed.wrapping_mul(1000).wrapping_add(run as u64)
    }

    /// The training settings of run `run`.
    ///
    /// ```
    /// let c = caadam::experiment::ExperimentConfig { fixed_epochs: Some(5), ..Default::default() };
    /// let f = c.fit_config(0);
    /// assert_eq!(f.max_epochs, 5);
    /// assert!(f.early_stopping.is_none());
    /// ```
    pub fn fit_config(&self, run: usize) -> FitConfig {
        let base = match self.fixed_epochs {
            Some(n) => FitConfig::fixed(n, self.shuffle_seed(run)),
            None => FitConfig::paper(self.max_epochs, self.shuffle_seed(run)),
        };
        FitConfig {
            batch_size: self.batch_size,
            ..base
        }
    }
}

/// The MLP of an architecture and its one initial weight set, shared by every optimizer and
/// run: Glorot-uniform weights, zero biases, drawn from a seed derived from `seed` and the
/// layer sizes (so an architecture gets the same weights whatever else is run).
///
/// ```
/// let (mlp, p1) = caadam::experiment::initial_model(8, &[64, 32], 0);
/// let (_, p2) = caadam::experiment::initial_model(8, &[64, 32], 0);
/// assert_eq!(mlp.sizes(), &[8, 64, 32, 1]);
/// assert_eq!(p1.values(), p2.values());
/// ```
pub fn initial_model(inputs: usize, hidden: &[usize], seed: u64) -> (Mlp, ParamStore) {
    let mut sizes = vec![inputs];
    sizes.extend_from_slice(hidden);
    sizes.push(1);
    // FNV-1a over the sizes, mixed with the seed: a stable per-architecture stream.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &s in &sizes {
        h = (h ^ s as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(h);
    Mlp::new(&sizes, Activation::Relu, Init::GlorotUniform, &mut rng)
}

/// One run's results, as written to `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Optimizer name as given (`adam`, `caadam-ref-mul`, ...).
    pub optimizer: String,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Run index.
    pub run: usize,
    /// Batch shuffling seed.
    pub shuffle_seed: u64,
    /// Epochs run.
    pub epochs: usize,
    /// The 0-based epoch whose weights were kept by early stopping.
    pub best_epoch: Option<usize>,
    /// Optimizer steps.
    pub steps: u64,
    /// Seconds spent in the training steps.
    pub train_seconds: f64,
    /// Test root mean squared error, standardized units.
    pub test_rmse: f64,
    /// Test mean absolute error, standardized units.
    pub test_mae: f64,
    /// Learning rate in the last epoch.
    pub final_lr: f32,
    /// Validation MSE per epoch (empty for fixed-epoch runs).
    pub val_loss: Vec<f64>,
}

/// Trains a copy of `init` (the architecture's shared initial weights) with `spec` for run
/// `run`, and measures it on the test set.
///
/// ```no_run
/// # fn main() -> Result<(), caadam::Error> {
/// use caadam::experiment::*;
/// let splits = Splits::paper(&caadam_data::california_housing()?, 0);
/// let config = ExperimentConfig::default();
/// let (mlp, init) = initial_model(splits.train.d, &[64, 32], config.seed);
/// let record = run_one(&splits, &mlp, &init, OptimizerSpec::Adam, 0, &config, &mut |_| {})?;
/// println!("test RMSE {:.4}", record.test_rmse);
/// # Ok(()) }
/// ```
pub fn run_one(
    splits: &Splits,
    mlp: &Mlp,
    init: &ParamStore,
    spec: OptimizerSpec,
    run: usize,
    config: &ExperimentConfig,
    on_epoch: &mut dyn FnMut(&EpochEnd),
) -> Result<RunRecord, Error> {
    let mut params = init.clone();
    let mut optimizer = spec.build(config.lr, &config.gammas, params.layout())?;
    let fit_config = config.fit_config(run);
    let val: Option<&Dataset> = config.fixed_epochs.is_none().then_some(&splits.val);
    let history = fit(
        mlp,
        &mut params,
        optimizer.as_mut(),
        &splits.train,
        val,
        &fit_config,
        on_epoch,
    )?;
    let (mse, mae) = errors_on(mlp, &params, &splits.test);
    Ok(RunRecord {
        optimizer: spec.to_string(),
        hidden: mlp.sizes()[1..mlp.sizes().len() - 1].to_vec(),
        run,
        shuffle_seed: fit_config.shuffle_seed,
        epochs: history.epochs,
        best_epoch: history.best_epoch,
        steps: history.steps,
        train_seconds: history.train_seconds,
        test_rmse: mse.sqrt(),
        test_mae: mae,
        final_lr: history
            .learning_rates
            .last()
            .copied()
            .unwrap_or(optimizer.learning_rate()),
        val_loss: history.val_loss,
    })
}

/// Hooks for watching [`run_experiment`] (progress bars); every method does nothing by
/// default.
pub trait Observer {
    /// A run is about to start.
    fn run_started(
        &mut self,
        _hidden: &[usize],
        _spec: OptimizerSpec,
        _run: usize,
        _max_epochs: usize,
    ) {
    }
    /// An epoch of the current run ended.
    fn epoch_ended(&mut self, _epoch: &EpochEnd) {}
    /// The current run ended.
    fn run_finished(&mut self, _record: &RunRecord) {}
}

/// An [`Observer`] that watches nothing.
///
/// ```
/// use caadam::experiment::{NoObserver, Observer};
/// NoObserver.epoch_ended(&caadam::train::EpochEnd { epoch: 0, max_epochs: 1, val_loss: None, learning_rate: 1e-3 });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// Runs every (architecture, optimizer, run) of `config` on `splits`, architecture by
/// architecture, optimizer by optimizer.
///
/// ```no_run
/// # fn main() -> Result<(), caadam::Error> {
/// use caadam::experiment::*;
/// let splits = Splits::paper(&caadam_data::california_housing()?, 0);
/// let config = ExperimentConfig { runs: 3, ..Default::default() };
/// let records = run_experiment(&config, &splits, &mut NoObserver)?;
/// assert_eq!(records.len(), 3);
/// # Ok(()) }
/// ```
pub fn run_experiment(
    config: &ExperimentConfig,
    splits: &Splits,
    observer: &mut dyn Observer,
) -> Result<Vec<RunRecord>, Error> {
    let mut records = Vec::new();
    let max_epochs = config.fixed_epochs.unwrap_or(config.max_epochs);
    for hidden in &config.architectures {
        let (mlp, init) = initial_model(splits.train.d, hidden, config.seed);
        for &spec in &config.optimizers {
            for run in 0..config.runs {
                observer.run_started(hidden, spec, run, max_epochs);
                let record = run_one(splits, &mlp, &init, spec, run, config, &mut |e| {
                    observer.epoch_ended(e)
                })?;
                observer.run_finished(&record);
                records.push(record);
            }
        }
    }
    Ok(records)
}
