//! Two moons: a small MLP classifier trained end to end with plain SGD.
//!
//! Generates the two interleaving half-circles of scikit-learn's `make_moons` (seeded),
//! trains a `[2, 16, 16, 1]` tanh MLP on them with binary cross-entropy on the logits, and
//! prints the accuracy on the training data. Run with
//! `cargo run --release --example two_moons`.
//!
//! The SGD loop is written out here (three lines over `ParamStore::split_mut`) so that the
//! example shows every step of training; real training uses `caadam-optim`.
//!
//! `crates/nn/tests/two_moons.rs` includes this file and checks that `train` reaches 95%.

use caadam_autograd::{Tape, Tensor};
use caadam_nn::{Activation, Init, Mlp, Module};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Points and labels: `x` is row-major `[n, 2]`, `y` holds 0.0 or 1.0.
pub struct Moons {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub n: usize,
}

/// `n` points, half on each moon, as `sklearn.datasets.make_moons`: the upper half of the
/// unit circle (label 0), the lower half of the unit circle shifted to (1, 0.5) (label 1),
/// angles evenly spaced on `[0, π]`, plus Gaussian noise of standard deviation `noise`.
pub fn two_moons(n: usize, noise: f32, seed: u64) -> Moons {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let half = n / 2;
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let upper = i < half;
        let (k, count) = if upper {
            (i, half)
        } else {
            (i - half, n - half)
        };
        let t = std::f32::consts::PI * k as f32 / (count - 1).max(1) as f32;
        let (px, py) = if upper {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        x.push(px + noise * gaussian(&mut rng));
        x.push(py + noise * gaussian(&mut rng));
        y.push(if upper { 0.0 } else { 1.0 });
    }
    Moons { x, y, n }
}

/// A standard normal draw (Box–Muller), to avoid a dependency for one distribution.
fn gaussian(rng: &mut impl Rng) -> f32 {
    let u1: f32 = 1.0 - rng.gen::<f32>(); // in (0, 1], so the log is finite
    let u2: f32 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
}

/// Trains on 400 noisy points (seeded by `seed`) and returns the accuracy on them.
pub fn train(seed: u64) -> f32 {
    let data = two_moons(400, 0.1, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 1);
    let (mlp, mut params) = Mlp::new(
        &[2, 16, 16, 1],
        Activation::Tanh,
        Init::GlorotUniform,
        &mut rng,
    );

    let (epochs, batch, lr) = (300, 32, 0.3f32);
    let mut order: Vec<usize> = (0..data.n).collect();
    let mut tape = Tape::new();
    let (mut xb, mut yb) = (Vec::new(), Vec::new());
    for epoch in 0..epochs {
        order.shuffle(&mut rng);
        let mut epoch_loss = 0.0;
        for chunk in order.chunks(batch) {
            xb.clear();
            yb.clear();
            for &i in chunk {
                xb.extend_from_slice(&data.x[2 * i..2 * i + 2]);
                yb.push(data.y[i]);
            }
            let x = tape.input_from(&xb, &[chunk.len(), 2]);
            let y = tape.input_from(&yb, &[chunk.len(), 1]);
            let logits = mlp.forward(&mut tape, &params, x);
            let loss = tape.bce_with_logits(logits, y);
            epoch_loss += tape.value(loss).item() * chunk.len() as f32;
            tape.backward(loss);
            params.set_grads(&tape); // (accumulate_grads would add, for micro-batches)
            tape.clear();

            let (values, grads) = params.split_mut();
            for (v, g) in values.iter_mut().zip(grads) {
                *v -= lr * g;
            }
        }
        if epoch % 50 == 0 || epoch == epochs - 1 {
            println!(
                "epoch {epoch:3}: mean loss {:.4}",
                epoch_loss / data.n as f32
            );
        }
    }

    let logits = mlp.predict(&params, &Tensor::from_slice(&data.x, &[data.n, 2]));
    let correct = logits
        .data()
        .iter()
        .zip(&data.y)
        .filter(|(&z, &y)| (z > 0.0) == (y > 0.5))
        .count();
    correct as f32 / data.n as f32
}

fn main() {
    let accuracy = train(0);
    println!("accuracy on the two moons: {:.1}%", 100.0 * accuracy);
}
