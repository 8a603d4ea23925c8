//! Forward and backward are bit-identical on rayon pools of 1, 2 and 3 threads, on sizes
//! above the parallel thresholds (so the rayon paths actually run, the large products are
//! cut into as many pieces as there are threads, and the two backward products of each
//! large matmul run side by side on more than one thread but one after the other on one).

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
    // B of 300 x 300: packed into panels; a tall product and a wide one, with their
    // backward products (added to gradients the concatenation below wrote first); a third
    // whose input gradient is its first, with a left operand small enough (100 x 300) to
    // be computed transposed.
    let tall = Tensor::normal(&[400, 300], 0.0, 1.0, &mut rng);
    let wide = Tensor::normal(&[100, 300], 0.0, 1.0, &mut rng);
    let alone = Tensor::normal(&[100, 300], 0.0, 1.0, &mut rng);
    let w2 = Tensor::normal(&[300, 300], 0.0, 0.05, &mut rng);
    // B of 600 x 600, above the packed panels' limit: `sgemm` cut into column pieces.
    let long = Tensor::normal(&[40, 600], 0.0, 1.0, &mut rng);
    let w3 = Tensor::normal(&[600, 600], 0.0, 0.05, &mut rng);
    // A dense layer whose output [512, 300] takes the parallel bias + ReLU passes.
    let bias = Tensor::normal(&[300], 0.0, 1.0, &mut rng);

    let mut tape = Tape::new();
    let x = tape.param(x.data(), x.shape(), 0);
    let s = tape.param(scale.data(), scale.shape(), 1);
    let w = tape.param(w.data(), w.shape(), 2);
    let y = tape.input_from(target.data(), target.shape());
    let tall = tape.param(tall.data(), tall.shape(), 3);
    let wide = tape.param(wide.data(), wide.shape(), 4);
    let w2 = tape.param(w2.data(), w2.shape(), 5);
    let bias = tape.param(bias.data(), bias.shape(), 6);
    let long = tape.param(long.data(), long.shape(), 7);
    let w3 = tape.param(w3.data(), w3.shape(), 8);
    let alone = tape.param(alone.data(), alone.shape(), 9);

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
    let m_tall = tape.matmul(tall, w2);
    let m_wide = tape.matmul(wide, w2);
    let t_tall = tape.tanh(m_tall);
    let t_wide = tape.tanh(m_wide);
    let l_tall = tape.sum(t_tall);
    let l_wide = tape.sum(t_wide);
    let l = tape.add(l, l_tall);
    let l = tape.add(l, l_wide);
    let stacked = tape.concat(&[tall, tall, wide, wide], 0); // [1000, 300]
    let dense = tape.affine_relu(stacked, w2, bias);
    assert!(tape.value(dense).len() >= 2 * PAR_THRESHOLD);
    let l_dense = tape.sum(dense);
    let l = tape.add(l, l_dense);
    let m_long = tape.matmul(long, w3);
    let t_long = tape.tanh(m_long);
    let l_long = tape.sum(t_long);
    let l = tape.add(l, l_long);
    let m_alone = tape.matmul(alone, w2);
    let t_alone = tape.tanh(m_alone);
    let l_alone = tape.sum(t_alone);
    let l = tape.add(l, l_alone);
    tape.backward(l);

    let mut bits = vec![];
    for v in [
        a, b, c, e, r, l_mse, l_mean, l_huber, m, l_sum, m_tall, m_wide, dense, m_long, m_alone, l,
    ] {
        bits.push(tape.value(v).data().iter().map(|f| f.to_bits()).collect());
    }
    for (_, g) in tape.param_grads() {
        bits.push(g.data().iter().map(|f| f.to_bits()).collect());
    }
    bits
}

#[test]
fn bit_identical_on_one_two_and_three_threads() {
    let pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    };
    let one = pool(1).install(run);
    for threads in [2, 3] {
        let many = pool(threads).install(run);
        assert_eq!(one.len(), many.len());
        for (i, (a, b)) in one.iter().zip(&many).enumerate() {
            assert!(a == b, "result {i} differs between 1 and {threads} threads");
        }
    }
    // and the same again on 2 threads (no run-to-run variation)
    assert!(one == pool(2).install(run));
}
