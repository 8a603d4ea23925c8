//! The three tasks: their data, network, loss, budget and loss target.
//!
//! The data of each task is fixed (its own seed, independent of the run seeds), so that
//! seeds vary only the initial weights and the batch order.

use std::f64::consts::{PI, TAU};

use caadam::autograd::Tensor;
use caadam::data::{california_housing, train_test_split, Dataset, StandardScaler};
use caadam::nn::{Activation, Init, Mlp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The training loss (and the held-out metric) of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// Mean squared error on a regression target.
    Mse,
    /// Binary cross-entropy on logits, targets 0 or 1.
    BceWithLogits,
}

/// One task of the comparison.
pub struct Task {
    /// Short name (for `--tasks`).
    pub name: &'static str,
    /// Heading of its table.
    pub title: &'static str,
    /// What the task is and why, printed above its table.
    pub description: String,
    /// Layer widths of the trained MLP, input first.
    pub sizes: Vec<usize>,
    /// Hidden activation (the output layer is linear).
    pub activation: Activation,
    /// Training loss, also the held-out metric.
    pub loss: LossKind,
    /// Training rows.
    pub train: Dataset,
    /// Held-out rows: the reported loss is measured here.
    pub test: Dataset,
    /// `test.x` as a `[n, d]` tensor, built once.
    pub test_x: Tensor,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Optimizer steps per run (the fixed budget).
    pub steps: usize,
    /// The held-out loss is measured every this many steps (and after the last one), which
    /// is also the resolution of "steps to target".
    pub eval_every: usize,
    /// The held-out loss a run has to reach.
    pub target: f64,
}

/// Which part of the full budget a run gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// The default: a few minutes for the whole zoo.
    Full,
    /// `--quick`: a sixth of the steps.
    Quick,
}

impl Budget {
    fn steps(self, full: usize) -> usize {
        match self {
            Budget::Full => full,
            Budget::Quick => full / 6,
        }
    }
}

fn with_test_tensor(task: Task) -> Task {
    Task {
        test_x: Tensor::from_slice(&task.test.x, &[task.test.n, task.test.d]),
        ..task
    }
}

fn names(prefix: &str, d: usize) -> Vec<String> {
    (0..d).map(|i| format!("{prefix}{i}")).collect()
}

/// Standardizes x (per feature) and y with scalers fitted on `train` only.
fn standardize(train: &Dataset, test: &Dataset) -> (Dataset, Dataset) {
    let xs = StandardScaler::fit(&train.x, train.d);
    let ys = StandardScaler::fit(&train.y, 1);
    let scale = |d: &Dataset| {
        Dataset::new(
            xs.transform(&d.x),
            ys.transform(&d.y),
            d.feature_names.clone(),
            d.target_name.clone(),
        )
    };
    (scale(train), scale(test))
}

/// California housing regression, the paper's data and smallest architecture.
///
/// Errors when the data cannot be loaded (set `CAADAM_DATA_HOME`).
pub fn housing(budget: Budget) -> Result<Task, String> {
    let data = california_housing().map_err(|e| e.to_string())?;
    // A fixed 80/20 split (seed 42), standardized on the training part.
    let (train, test) = train_test_split(&data, 0.2, 42);
    let (train, test) = standardize(&train, &test);
    let steps = budget.steps(6_000);
    Ok(with_test_tensor(Task {
        name: "housing",
        title: "California housing regression",
        description: format!(
            "California housing, {} train / {} test rows (fixed split, seed 42), x and y \
             standardized on train. MLP [8, 64, 32, 1] ReLU, Glorot uniform, MSE, batch 128, \
             {steps} steps (~{:.0} epochs). Loss: test MSE in standardized units.",
            train.n,
            test.n,
            steps as f64 * 128.0 / train.n as f64
        ),
        sizes: vec![8, 64, 32, 1],
        activation: Activation::Relu,
        loss: LossKind::Mse,
        test_x: Tensor::zeros(&[0]),
        train,
        test,
        batch_size: 128,
        steps,
        eval_every: 50,
        target: 0.25,
    }))
}

/// Turns of each spiral.
const TURNS: f64 = 1.25;
/// Outer radius of the spirals: inputs of a few units, so that tanh units with Glorot
/// weights start with enough curvature to separate the arms.
const RADIUS: f64 = 3.0;

/// Two interleaved spirals, `n_per_class` points per class, Gaussian noise.
///
/// Class c's points sit at angle `t + c*pi`, radius `RADIUS (0.1 + 0.9 t / t_max)`, with
/// `t` drawn so that points are uniform over the arm's area (`t = t_max sqrt(u)`).
fn two_spirals(n_per_class: usize, noise: f32, rng: &mut ChaCha8Rng) -> Dataset {
    let t_max = TURNS * TAU;
    let mut x = Vec::with_capacity(4 * n_per_class);
    let mut y = Vec::with_capacity(2 * n_per_class);
    for class in 0..2 {
        for _ in 0..n_per_class {
            let t = t_max * rng.gen::<f64>().sqrt();
            let r = RADIUS * (0.1 + 0.9 * t / t_max);
            let angle = t + class as f64 * PI;
            x.push((r * angle.cos()) as f32);
            x.push((r * angle.sin()) as f32);
            y.push(class as f32);
        }
    }
    let jitter = Tensor::normal(&[x.len()], 0.0, noise, rng);
    x.iter_mut()
        .zip(jitter.data())
        .for_each(|(xi, ni)| *xi += ni);
    Dataset::new(x, y, names("x", 2), "class")
}

/// Two-spirals binary classification.
pub fn spirals(budget: Budget) -> Task {
    // Fixed data: seed 7, train and test from separate ChaCha streams.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let train = two_spirals(1000, 0.03, &mut rng);
    rng.set_stream(1);
    let test = two_spirals(500, 0.03, &mut rng);
    let steps = budget.steps(4_000);
    with_test_tensor(Task {
        name: "spirals",
        title: "Two-spirals classification",
        description: format!(
            "Two spirals ({TURNS} turns, radius 0.3 to {RADIUS}, noise sd 0.03), {} train / \
             {} test points (fixed, seed 7). MLP [2, 32, 32, 1] tanh, Glorot uniform, BCE \
             with logits, batch 128, {steps} steps. Loss: test BCE; acc: test accuracy.",
            train.n, test.n
        ),
        sizes: vec![2, 32, 32, 1],
        activation: Activation::Tanh,
        loss: LossKind::BceWithLogits,
        test_x: Tensor::zeros(&[0]),
        train,
        test,
        batch_size: 128,
        steps,
        eval_every: 50,
        target: 0.10,
    })
}

/// Deep narrow regression: a student with very unequal layers learns a random teacher.
///
/// The student `[16, 128, 8, 8, 8, 128, 1]` has connection counts
/// `[2048, 1024, 64, 64, 1024, 128]` (median 576): per-layer CaAdam gives its layers
/// factors from 0.05 to 1.95, so if per-layer scaling matters anywhere, it is here. Leaky
/// ReLU (slope 0.01) keeps the width-8 layers from dying, and costs far less than tanh.
/// The teacher is a fixed `[16, 32, 32, 1]` tanh MLP with He-normal weights doubled (seed
/// 11), on standard normal inputs; the targets are standardized, so predicting the mean
/// scores 1. 16k training rows for a student of 4.6k parameters make overfitting within
/// the budget unlikely, so the test loss mostly measures optimization.
pub fn deep_narrow(budget: Budget) -> Task {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (teacher, mut teacher_params) =
        Mlp::new(&[16, 32, 32, 1], Activation::Tanh, Init::HeNormal, &mut rng);
    // Doubled weights: pre-activations of std ~2.8 saturate the tanh often, which makes
    // the target rough enough that the budget does not fit it completely.
    teacher_params
        .values_mut()
        .iter_mut()
        .for_each(|v| *v *= 2.0);
    let mut sample = |n: usize| {
        let x = Tensor::normal(&[n, 16], 0.0, 1.0, &mut rng);
        let y = teacher.predict(&teacher_params, &x).into_data();
        Dataset::new(x.into_data(), y, names("x", 16), "teacher")
    };
    let (train, test) = (sample(16_384), sample(2048));
    let (train, test) = standardize(&train, &test);
    let steps = budget.steps(4_000);
    with_test_tensor(Task {
        name: "deep",
        title: "Deep narrow regression (random teacher)",
        description: format!(
            "Random teacher [16, 32, 32, 1] tanh, He-normal weights x2 (seed 11), x ~ N(0, \
             I), y standardized; {} train / {} test rows. Student [16, 128, 8, 8, 8, 128, 1] \
             leaky ReLU (0.01), Glorot uniform: connection counts [2048, 1024, 64, 64, 1024, \
             128] differ 32x across layers. MSE, batch 128, {steps} steps. Loss: test MSE \
             (1.0 = predicting the mean).",
            train.n, test.n
        ),
        sizes: vec![16, 128, 8, 8, 8, 128, 1],
        activation: Activation::LeakyRelu(0.01),
        loss: LossKind::Mse,
        test_x: Tensor::zeros(&[0]),
        train,
        test,
        batch_size: 128,
        steps,
        eval_every: 50,
        target: 0.22,
    })
}
