//! One run: a fixed number of optimizer steps, the held-out loss measured along the way.
//!
//! The root library's `caadam::train::fit` trains by whole epochs with MSE only; this
//! comparison needs BCE for the spirals and the held-out loss every few steps (for "steps
//! to target"), so the loop is written here. Its step is `fit`'s:
//! `caadam::train::batch_gradients` (forward, loss, backward and gradients into the store,
//! a batch of 128 rows in two halves side by side), `optimizer.step_store`, clear the
//! tapes.

use std::time::{Duration, Instant};

use caadam::autograd::{Tape, Var};
use caadam::data::BatchIter;
use caadam::nn::{predict, Init, Mlp, ParamStore};
use caadam::optim::{Optimizer, OptimizerConfig};
use caadam::train::batch_gradients;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::tasks::{LossKind, Task};

/// What one run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// Held-out loss after the last step; `None` when the run diverged (a non-finite
    /// gradient or loss).
    pub final_loss: Option<f64>,
    /// Held-out accuracy after the last step (classification only).
    pub final_accuracy: Option<f64>,
    /// The first step count, on the evaluation grid, at which the held-out loss was at or
    /// below the task's target.
    pub steps_to_target: Option<usize>,
    /// Wall time of the training steps alone (no evaluation passes).
    pub train_seconds: f64,
}

/// `(loss, accuracy)` of the model on the task's held-out rows, accumulated in f64.
fn evaluate(task: &Task, model: &Mlp, params: &ParamStore) -> (f64, Option<f64>) {
    let out = predict(model, params, &task.test_x);
    let n = task.test.n as f64;
    let pairs = out.data().iter().zip(&task.test.y);
    match task.loss {
        LossKind::Mse => {
            let se: f64 = pairs
                .map(|(&p, &y)| (f64::from(p) - f64::from(y)).powi(2))
                .sum();
            (se / n, None)
        }
        LossKind::BceWithLogits => {
            let (mut loss, mut correct) = (0.0f64, 0usize);
            for (&z, &y) in pairs {
                let (z, y) = (f64::from(z), f64::from(y));
                // Stable form of -[y ln s(z) + (1-y) ln(1-s(z))].
                loss += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
                correct += usize::from((z > 0.0) == (y > 0.5));
            }
            (loss / n, Some(correct as f64 / n))
        }
    }
}

/// A diverged run: no final loss, whatever was measured before.
fn diverged(result: RunResult, elapsed: Duration) -> RunResult {
    RunResult {
        final_loss: None,
        final_accuracy: None,
        train_seconds: elapsed.as_secs_f64(),
        ..result
    }
}

/// Trains a fresh model for `task` with the optimizer `config`.
///
/// `seed` draws the initial weights and the batch order; every optimizer gets the same
/// ones for the same seed.
pub fn run(task: &Task, config: &OptimizerConfig, seed: u64) -> RunResult {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (model, mut params) = Mlp::new(&task.sizes, task.activation, Init::GlorotUniform, &mut rng);
    let mut optimizer: Box<dyn Optimizer> = config
        .build(params.layout())
        .expect("the zoo's configs are valid");
    // The next epoch's order drawn while this one trains, as `caadam::train::fit` does.
    let mut batches = BatchIter::new(&task.train, task.batch_size, seed ^ 0x5eed_ba7c)
        .prefetching(rayon::current_num_threads() > 1);
    let per_epoch = batches.batches_per_epoch();
    let mut tapes = [Tape::new(), Tape::new()];
    let loss: fn(&mut Tape, Var, Var) -> Var = match task.loss {
        LossKind::Mse => Tape::mse,
        LossKind::BceWithLogits => Tape::bce_with_logits,
    };
    let mut result = RunResult {
        final_loss: None,
        final_accuracy: None,
        steps_to_target: None,
        train_seconds: 0.0,
    };
    let mut elapsed = Duration::ZERO;
    let mut step = 0;
    while step < task.steps {
        let until = (step + task.eval_every).min(task.steps);
        let started = Instant::now();
        while step < until {
            if step > 0 && step % per_epoch == 0 {
                batches.start_epoch((step / per_epoch) as u64);
            }
            let batch = batches
                .next_batch()
                .expect("an epoch has batches_per_epoch batches");
            batch_gradients(&model, &mut params, &mut tapes, &batch, loss);
            let stepped = optimizer.step_store(&mut params);
            tapes.iter_mut().for_each(Tape::clear);
            step += 1;
            if stepped.is_err() {
                // A non-finite gradient: the run diverged.
                return diverged(result, elapsed + started.elapsed());
            }
        }
        elapsed += started.elapsed();
        let (loss, accuracy) = evaluate(task, &model, &params);
        if !loss.is_finite() {
            return diverged(result, elapsed);
        }
        if result.steps_to_target.is_none() && loss <= task.target {
            result.steps_to_target = Some(step);
        }
        result.final_loss = Some(loss);
        result.final_accuracy = accuracy;
    }
    result.train_seconds = elapsed.as_secs_f64();
    result
}
