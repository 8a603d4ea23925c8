//! The training loop: seeded shuffled mini-batches, MSE on a tape, backward, one optimizer
//! step per batch, and the end-of-epoch validation that drives the callbacks.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use caadam_autograd::{Tape, Tensor, Var};
use caadam_data::{Batch, BatchIter, Dataset};
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

/// Batches of at least this many rows are split in two halves for [`fit`] (when the model's
/// rows are independent), each half's forward and backward on its own tape, the two side by
/// side on the rayon pool.
///
/// The split depends on the batch size alone, never on the thread count, so that a seed
/// gives the same bits on one thread as on two; on one thread the halves run one after the
/// other. Measured with the `california_housing` example (Adam, 50 epochs, pairs of runs
/// with and without the split): on two cores 1.30x steps/s for 8-64-64-1 at batch 128,
/// 1.60x at 256, 1.71x for 8-128-64-32-1 at 128, 1.05x for 8-1024-256-64-16-1 (whose large
/// products already used both cores); on one thread 0.92x at batch 128 (two 64-row
/// products take longer than one of 128 rows). A batch of 64 is not split: in halves of
/// 32 rows it ran at 0.94-0.99x in three of six runs and at 0.51-0.55x for the whole of
/// the other three. (Those pairs ran the halves on `rayon::join`, whose waiting caller
/// may sleep; they now wait by spinning, see `side_by_side` in the source.)
pub const SPLIT_MIN_ROWS: usize = 128;

/// Trains `model` (its parameters in `params`) on `train` with mean squared error.
///
/// Each epoch visits every row once in a seeded shuffled order, in mini-batches; each batch
/// is one forward pass on the tape, one backward pass, one optimizer step. A batch of at
/// least [`SPLIT_MIN_ROWS`] rows, for a model whose rows are independent
/// ([`Module::rows_independent`]), is computed as two halves on two tapes, side by side on
/// the rayon pool: each half's loss is its share of the batch's mean squared error, so the
/// two gradients, added in a fixed order (first half, then second), are the batch's
/// gradient (up to rounding: the sums run in another order than on one tape). The halves
/// use the second core only when `fit` runs on a thread of a rayon pool (inside
/// `ThreadPool::install`, as the example trains); called from any other thread they run
/// one after the other there, with the same results. When the current rayon pool has more
/// than one thread, each next epoch's order is drawn on a helper thread while the epoch
/// before it trains ([`BatchIter::prefetching`]; the same orders either way). With `val`, the validation MSE is computed after every epoch and fed to
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
    // One tape per half of a split batch (the first also takes unsplit batches).
    let mut tapes = [Tape::new(), Tape::new()];
    let mut history = History::default();

    for epoch in 0..config.max_epochs {
        let learning_rate = optimizer.learning_rate();
        let started = Instant::now();
        batches.start_epoch(epoch as u64);
        while let Some(batch) = batches.next_batch() {
            batch_gradients(model, params, &mut tapes, &batch, Tape::mse);
            let stepped = optimizer.step_store(params);
            tapes.iter_mut().for_each(Tape::clear);
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

/// The forward and backward half of a training step, as [`fit`] runs it (with
/// [`Tape::mse`]): the gradient of `batch`'s loss, written into `params`' gradients, and
/// that loss.
///
/// `loss(tape, prediction, target)` must be a mean over the batch's rows, as `Tape::mse`
/// and `Tape::bce_with_logits` are: each part of a split batch then adds its own mean
/// times its share of the rows, and the parts add up to the batch's loss.
///
/// On `tapes[0]`; or, for a batch of at least [`SPLIT_MIN_ROWS`] rows and a model whose
/// rows are independent ([`Module::rows_independent`]), in two halves, one on each tape,
/// side by side on the rayon pool (when called on a pool thread; else one after the
/// other), their gradients added first half first. The tapes are left for the caller to
/// clear before the next batch.
///
/// ```
/// use caadam::train::batch_gradients;
/// use caadam_autograd::Tape;
/// use caadam_data::Batch;
/// use caadam_nn::{Activation, Init, Mlp};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let (mlp, mut params) = Mlp::new(&[1, 1], Activation::Identity, Init::GlorotUniform, &mut rng);
/// params.values_mut().copy_from_slice(&[2.0, 0.0]); // y = 2x
/// // Errors -1 and 1 on 256 rows: an MSE of 1, split in two halves of 128 rows.
/// let x = vec![1.0f32; 256];
/// let y: Vec<f32> = (0..256).map(|i| if i % 2 == 0 { 3.0 } else { 1.0 }).collect();
/// let batch = Batch { x: &x, y: &y, rows: 256, d: 1 };
/// let mut tapes = [Tape::new(), Tape::new()];
/// assert_eq!(batch_gradients(&mlp, &mut params, &mut tapes, &batch, Tape::mse), 1.0);
/// assert!(!tapes[1].is_empty()); // the second half ran on the second tape
/// assert_eq!(params.grads(), &[0.0, 0.0]); // the errors cancel
/// ```
pub fn batch_gradients(
    model: &dyn Module,
    params: &mut ParamStore,
    tapes: &mut [Tape; 2],
    batch: &Batch<'_>,
    loss: fn(&mut Tape, Var, Var) -> Var,
) -> f32 {
    if batch.rows >= SPLIT_MIN_ROWS && model.rows_independent() {
        let half = batch.rows / 2;
        let [first, second] = tapes;
        let shared: &ParamStore = params;
        let (first_loss, second_loss) = side_by_side(
            || backward_rows(model, shared, first, batch, 0..half, loss),
            || backward_rows(model, shared, second, batch, half..batch.rows, loss),
        );
        params.set_grads(first);
        params.accumulate_grads(second);
        first_loss + second_loss
    } else {
        let value = backward_rows(model, params, &mut tapes[0], batch, 0..batch.rows, loss);
        params.set_grads(&tapes[0]);
        value
    }
}

/// `(first(), second())`, with `second` on another thread of the pool if one takes it up
/// before `first` is done, else here after `first`. Called from a thread outside any rayon
/// pool, both run here one after the other: handing each step to the pool and waiting for
/// it made the comparison bench's smallest task (before it trained inside its pool) 2.1x
/// slower on two threads and 3.8x on one than one tape on the calling thread.
///
/// Unlike a plain `rayon::join` of the two, a caller whose `second` was taken waits for it
/// by spinning, never by sleeping (`join` still carries the job, but by the time it would
/// wait, `second` is done). Each half of a batch takes a few microseconds; a caller put to
/// sleep must be woken by the other thread, which on this virtual machine cost more than a
/// half: with a plain `rayon::join`, batch 128 of 8-64-64-1 ran at about 64,000 steps/s in six of eleven
/// sittings of `benches/peers.sh`, at 52,000 in one and at 33,000-40,000 for the whole
/// run in four, slower than on one tape (47,000); with the spin, 61,000-66,000 in six
/// of six.
fn side_by_side<A: Send, B: Send>(
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    if rayon::current_thread_index().is_none() {
        let a = first();
        return (a, second());
    }
    /// Marks `second` finished when dropped, so that a panic in it ends the caller's wait
    /// (and `join` passes the panic on).
    struct Finished<'a>(&'a AtomicBool);
    impl Drop for Finished<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let second = Mutex::new(Some(second));
    let (claimed, finished) = (AtomicBool::new(false), AtomicBool::new(false));
    let result = Mutex::new(None);
    // Whoever claims `second` first runs it: the other thread, or the caller after `first`.
    let run_second_once = || {
        if !claimed.swap(true, Ordering::AcqRel) {
            let _finished = Finished(&finished);
            let run = second.lock().unwrap().take().expect("claimed once");
            let value = run();
            *result.lock().unwrap() = Some(value);
        }
    };
    // `join`'s job lives on this stack (a scope's spawn would allocate one per step); by the
    // time the first closure returns, `second` has finished, so `join` never waits long.
    let (a, ()) = rayon::join(
        || {
            let a = first();
            run_second_once();
            while !finished.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            a
        },
        run_second_once,
    );
    let b = result.into_inner().unwrap().expect("second ran");
    (a, b)
}

/// Forward and backward, on `tape`, of rows `rows` of `batch`, with the loss their share of
/// the whole batch's mean loss: their own mean times `rows.len() / batch.rows` (the factor
/// left out when they are the whole batch), so that the gradients of the parts add up to
/// the batch's. Returns that share.
fn backward_rows(
    model: &dyn Module,
    params: &ParamStore,
    tape: &mut Tape,
    batch: &Batch<'_>,
    rows: Range<usize>,
    mean_loss: fn(&mut Tape, Var, Var) -> Var,
) -> f32 {
    let (n, d) = (rows.len(), batch.d);
    let x = tape.input_from(&batch.x[rows.start * d..rows.end * d], &[n, d]);
    let y = tape.input_from(&batch.y[rows], &[n, 1]);
    let pred = model.forward(tape, params, x);
    let mut loss = mean_loss(tape, pred, y);
    if n < batch.rows {
        loss = tape.mul_scalar(loss, n as f32 / batch.rows as f32);
    }
    tape.backward(loss);
    tape.value(loss).item()
}

#[cfg(test)]
mod tests {
    use super::*;
    use caadam_nn::{Activation, Dropout, Init, Linear, Mlp, Sequential};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// `rows` random rows of 8 features and their targets.
    fn random_rows(rows: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = (0..rows * 8).map(|_| rng.gen_range(-2.0..2.0)).collect();
        let y = (0..rows).map(|_| rng.gen_range(-1.0..1.0)).collect();
        (x, y)
    }

    /// [`batch_gradients`] on the batch `(x, y)`: the loss, and whether the batch was split
    /// (the second tape used).
    fn as_fit_does(
        model: &dyn Module,
        params: &mut ParamStore,
        x: &[f32],
        y: &[f32],
    ) -> (f32, bool) {
        let batch = Batch {
            x,
            y,
            rows: y.len(),
            d: 8,
        };
        let mut tapes = [Tape::new(), Tape::new()];
        let loss = batch_gradients(model, params, &mut tapes, &batch, Tape::mse);
        (loss, !tapes[1].is_empty())
    }

    /// The gradient of the batch's mean squared error on one tape, as `fit` computed it
    /// before batches were split, and that error.
    fn on_one_tape(model: &dyn Module, params: &mut ParamStore, x: &[f32], y: &[f32]) -> f32 {
        let batch = Batch {
            x,
            y,
            rows: y.len(),
            d: 8,
        };
        let mut tape = Tape::new();
        let loss = backward_rows(model, params, &mut tape, &batch, 0..batch.rows, Tape::mse);
        params.set_grads(&tape);
        loss
    }

    fn mlp(seed: u64) -> (Mlp, ParamStore) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Mlp::new(
            &[8, 16, 16, 1],
            Activation::Relu,
            Init::GlorotUniform,
            &mut rng,
        )
    }

    #[test]
    fn a_split_batch_gives_the_whole_batchs_gradient() {
        // 131 rows: halves of 65 and 66, each weighted by its own share of the batch.
        for rows in [SPLIT_MIN_ROWS, 131, 256] {
            let (x, y) = random_rows(rows, rows as u64);
            let (model, mut split) = mlp(3);
            let mut whole = split.clone();
            let (split_loss, was_split) = as_fit_does(&model, &mut split, &x, &y);
            assert!(was_split, "{rows} rows were not split");
            let whole_loss = on_one_tape(&model, &mut whole, &x, &y);
            assert!(
                (split_loss - whole_loss).abs() <= 1e-6 * whole_loss,
                "{rows} rows"
            );
            let scale = whole.grads().iter().fold(0.0f32, |m, g| m.max(g.abs()));
            assert!(scale > 1e-3, "a vanishing gradient would prove nothing");
            for (i, (s, w)) in split.grads().iter().zip(whole.grads()).enumerate() {
                assert!(
                    (s - w).abs() <= 1e-5 * scale,
                    "{rows} rows, gradient {i}: {s} vs {w}"
                );
            }
        }
    }

    #[test]
    fn a_batch_under_the_threshold_is_one_tape_bit_for_bit() {
        let (x, y) = random_rows(SPLIT_MIN_ROWS - 1, 5);
        let (model, mut params) = mlp(4);
        let mut whole = params.clone();
        let (loss, was_split) = as_fit_does(&model, &mut params, &x, &y);
        assert!(!was_split);
        assert_eq!(loss, on_one_tape(&model, &mut whole, &x, &y));
        assert_eq!(params.grads(), whole.grads());
    }

    #[test]
    fn split_gradients_are_the_same_bits_on_one_and_two_threads() {
        let (x, y) = random_rows(2 * SPLIT_MIN_ROWS, 6);
        let on = |threads: usize| {
            let (model, mut params) = mlp(7);
            let (loss, was_split) =
                pool(threads).install(|| as_fit_does(&model, &mut params, &x, &y));
            assert!(was_split);
            let grads: Vec<u32> = params.grads().iter().map(|g| g.to_bits()).collect();
            (loss.to_bits(), grads)
        };
        assert_eq!(on(1), on(2));
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    #[test]
    fn side_by_side_runs_both_halves_once_on_any_thread_count() {
        for threads in [1, 2, 3] {
            let runs = std::sync::atomic::AtomicUsize::new(0);
            let (a, b) = pool(threads).install(|| {
                side_by_side(
                    || (0..1000u64).sum::<u64>(),
                    || {
                        runs.fetch_add(1, Ordering::Relaxed);
                        "second"
                    },
                )
            });
            assert_eq!((a, b, runs.into_inner()), (499_500, "second", 1));
        }
    }

    #[test]
    fn outside_a_pool_both_halves_run_on_the_calling_thread() {
        let here = std::thread::current().id();
        let (a, b) = side_by_side(
            || std::thread::current().id(),
            || std::thread::current().id(),
        );
        assert_eq!((a, b), (here, here));
        // Inside a pool of two, the caller is a pool thread (the second half may run on
        // either).
        let (a, _) = pool(2)
            .install(|| side_by_side(rayon::current_thread_index, rayon::current_thread_index));
        assert!(a.is_some());
    }

    #[test]
    #[should_panic(expected = "the second half failed")]
    fn a_panic_in_the_second_half_reaches_the_caller() {
        pool(2).install(|| side_by_side(|| 1, || -> u8 { panic!("the second half failed") }));
    }

    #[test]
    fn a_model_drawing_dropout_masks_is_never_split() {
        // Two models with the same weights and the same Dropout seed: the masks drawn for
        // a split batch would differ from those of one tape (and depend on which half ran
        // first), so `fit` must keep the batch whole.
        let build = || {
            let mut rng = ChaCha8Rng::seed_from_u64(8);
            Sequential::new()
                .push(Linear::new(8, 16))
                .push(Activation::Tanh)
                .push(Dropout::new(0.5, 9))
                .push(Linear::new(16, 1))
                .build(Init::GlorotUniform, &mut rng)
        };
        let (x, y) = random_rows(2 * SPLIT_MIN_ROWS, 10);
        let (model, mut params) = build();
        assert!(!model.rows_independent());
        let (loss, was_split) = as_fit_does(&model, &mut params, &x, &y);
        assert!(!was_split);
        let (reference, mut whole) = build();
        assert_eq!(loss, on_one_tape(&reference, &mut whole, &x, &y));
        assert_eq!(params.grads(), whole.grads());
    }
}
