//! How much of a training step the parameter copy costs (the issue allows the copy if it is
//! under 2% of a batch-32 step of an 8-64-64-1 MLP).
//!
//! `ParamStore::bind` hands the tape a slice of the flat buffer and the tape copies it into
//! a pooled buffer: one `memcpy` per tensor, no allocation. This measurement prints the
//! time of a whole step and of the same copies alone. It asserts nothing about time (timed
//! assertions are flaky on shared machines), so it is `#[ignore]`d; run it with
//! `cargo test -p caadam-nn --release --test param_copy_cost -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use caadam_autograd::Tape;
use caadam_nn::{Activation, Init, Mlp, Module};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
#[ignore = "prints a timing; run by hand"]
fn parameter_copy_share_of_a_step() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (mlp, mut params) = Mlp::new(
        &[8, 64, 64, 1],
        Activation::Relu,
        Init::GlorotUniform,
        &mut rng,
    );
    let x: Vec<f32> = (0..32 * 8).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let t: Vec<f32> = (0..32).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut tape = Tape::new();
    let steps = 20_000;

    let mut step = || {
        let xv = tape.input_from(&x, &[32, 8]);
        let tv = tape.input_from(&t, &[32, 1]);
        let y = mlp.forward(&mut tape, &params, xv);
        let loss = tape.mse(y, tv);
        tape.backward(loss);
        params.accumulate_grads(&tape);
        tape.clear();
        params.zero_grads();
    };
    for _ in 0..1000 {
        step(); // warm the tape's pool
    }
    let start = Instant::now();
    for _ in 0..steps {
        step();
    }
    let per_step = start.elapsed().as_secs_f64() / steps as f64;

    // The same copies the tape makes: every segment into a preallocated buffer.
    let segments = params.layout().segments().to_vec();
    let mut buffers: Vec<Vec<f32>> = segments.iter().map(|s| vec![0.0; s.len()]).collect();
    let start = Instant::now();
    for _ in 0..steps {
        for (s, b) in segments.iter().zip(&mut buffers) {
            b.copy_from_slice(black_box(&params.values()[s.range()]));
        }
        black_box(&mut buffers);
    }
    let per_copy = start.elapsed().as_secs_f64() / steps as f64;
    println!(
        "{} parameters; step {:.2} us, copy {:.3} us = {:.2}% of a step",
        params.len(),
        per_step * 1e6,
        per_copy * 1e6,
        100.0 * per_copy / per_step
    );
}
