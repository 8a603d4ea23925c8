//! Forward and backward are bit-identical on rayon pools of 1 and 2 threads, on sizes above
//! the parallel threshold (so the rayon paths actually run).

use caadam_autograd::{Tape, Tensor, PAR_THRESHOLD};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Every value and gradient of a graph touching each parallel path, as raw bits.
fn run() -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (n, d, h) = (512, 1024, 16); // n * d = 2^19 elements, 4x the threshold
    assert!(n * d >= 4 * PAR_THRESHOLD);
    let x = Tensor::normal(&[n, d], 0.0, 1.0, &mut rng);
    let scale = Tensor::normal(&[n, d], 0.0, 1.0, &mut rng);
    let w = Tensor::normal(&[d, h], 0.0, 0.05, &mut rng);
    let target = Tensor::normal(&[n, d], 0.0, 1.0, &mut rng);

    let mut tape = Tape::new();
    let x = tape.param(x.data(), x.shape(), 0);
    let s = tape.param(scale.data(), scale.shape(), 1);
    let w = tape.param(w.data(), w.shape(), 2);
    let y = tape.input_from(target.data(), target.shape());

    let a = tape.mul(x, s); // same-shape binary
    let b = tape.add(a, x);
    let c = tape.tanh(b); // pointwise
    let e = tape.exp(c);
    let r = tape.relu(e);
    let l_mse = tape.mse(r, y); // chunked reduction
    let l_mean = tape.mean(c);
    let l_huber = tape.huber(b, y, 0.5);
    let m = tape.matmul(r, w);
    let m = tape.gelu(m);
    let l_sum = tape.sum(m);
    let l = tape.add(l_mse, l_mean);
    let l = tape.add(l, l_huber);
    let l = tape.add(l, l_sum);
    tape.backward(l);

    let mut bits = vec![];
    for v in [a, b, c, e, r, l_mse, l_mean, l_huber, m, l_sum, l] {
        bits.push(tape.value(v).data().iter().map(|f| f.to_bits()).collect());
    }
    for (_, g) in tape.param_grads() {
        bits.push(g.data().iter().map(|f| f.to_bits()).collect());
    }
    bits
}

#[test]
fn bit_identical_on_one_and_two_threads() {
    let pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    };
    let one = pool(1).install(run);
    let two = pool(2).install(run);
    assert_eq!(one.len(), two.len());
    for (i, (a, b)) in one.iter().zip(&two).enumerate() {
        assert!(a == b, "result {i} differs between 1 and 2 threads");
    }
    // and the same again on 2 threads (no run-to-run variation)
    assert!(two == pool(2).install(run));
}
