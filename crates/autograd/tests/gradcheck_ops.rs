//! A finite-difference gradient check for every op, on ordinary shapes, broadcasting
//! cases, 1x1, 1xN, Nx1 and large-magnitude inputs.

use caadam_autograd::{gradcheck, GradcheckOptions, Tape, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Uniform in [-scale, scale).
fn uniform(shape: &[usize], scale: f32, seed: u64) -> Tensor {
    Tensor::uniform(shape, -scale, scale, &mut rng(seed))
}

/// Uniform magnitudes in [lo, hi) with random signs: keeps inputs away from 0, where
/// relu, abs, mae and friends have kinks that finite differences cannot see across.
fn away_from_zero(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let mut r = rng(seed);
    let mut t = Tensor::uniform(shape, lo, hi, &mut r);
    for v in t.data_mut() {
        if r.gen::<bool>() {
            *v = -*v;
        }
    }
    t
}

/// Uniform in [lo, hi) (all positive for log, sqrt, powf).
fn positive(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    Tensor::uniform(shape, lo, hi, &mut rng(seed))
}

fn check(inputs: &[Tensor], f: impl Fn(&mut Tape, &[Var]) -> Var) {
    check_with(inputs, GradcheckOptions::default(), f)
}

/// `check` for a single input, by reference.
fn check1(input: &Tensor, f: impl Fn(&mut Tape, &[Var]) -> Var) {
    check(std::slice::from_ref(input), f)
}

fn check_with(inputs: &[Tensor], opts: GradcheckOptions, f: impl Fn(&mut Tape, &[Var]) -> Var) {
    if let Err(e) = gradcheck(inputs, &opts, f) {
        panic!(
            "{e} (input shapes {:?})",
            inputs.iter().map(Tensor::shape).collect::<Vec<_>>()
        );
    }
}

/// The shapes every unary op is checked on: a matrix, 1x1, 1xN, Nx1, a rank-0 scalar.
const UNARY_SHAPES: [&[usize]; 5] = [&[3, 4], &[1, 1], &[1, 7], &[6, 1], &[]];

#[test]
fn affine() {
    for (i, (m, k, n)) in [(3, 4, 5), (1, 1, 1), (1, 6, 1), (5, 1, 4), (7, 3, 1)]
        .into_iter()
        .enumerate()
    {
        let x = uniform(&[m, k], 1.0, 30 + i as u64);
        let w = uniform(&[k, n], 1.0, 40 + i as u64);
        let b = uniform(&[n], 1.0, 50 + i as u64);
        check(&[x, w, b], |t, v| t.affine(v[0], v[1], v[2]));
    }
    // x used as the input and, through a product, again: both contributions reach it
    let x = uniform(&[3, 3], 1.0, 4);
    let b = uniform(&[3], 1.0, 5);
    check(&[x, b], |t, v| {
        let z = t.affine(v[0], v[0], v[1]);
        t.mul(z, v[0])
    });
}

/// The value of `layer(x, w, b)` and the three parameter gradients of
/// `sum(layer(x, w, b) * weights)`, as raw bits. With `shared_bias`, b also feeds a later op
/// (`sum(b * b)`), so its gradient from that op is written first and the layer's is added
/// to it (the other write mode).
fn dense_layer_bits(
    [x, w, b, weights]: [&Tensor; 4],
    shared_bias: bool,
    layer: impl Fn(&mut Tape, Var, Var, Var) -> Var,
) -> Vec<Vec<u32>> {
    let mut t = Tape::new();
    let xv = t.param(x.data(), x.shape(), 0);
    let wv = t.param(w.data(), w.shape(), 1);
    let bv = t.param(b.data(), b.shape(), 2);
    let z = layer(&mut t, xv, wv, bv);
    let c = t.input_from(weights.data(), weights.shape());
    let zc = t.mul(z, c);
    let mut loss = t.sum(zc);
    if shared_bias {
        let bb = t.mul(bv, bv);
        let extra = t.sum(bb);
        loss = t.add(loss, extra);
    }
    t.backward(loss);
    let mut out = vec![t.value(z).data().to_vec()];
    out.extend(t.param_grads().map(|(_, g)| g.data().to_vec()));
    out.iter()
        .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn affine_is_matmul_plus_bias_bit_for_bit() {
    let (x, w, b) = (
        uniform(&[37, 29], 1.0, 6),
        uniform(&[29, 45], 1.0, 7),
        uniform(&[45], 1.0, 8),
    );
    let weights = uniform(&[37, 45], 1.0, 9);
    for shared_bias in [false, true] {
        let fused = dense_layer_bits([&x, &w, &b, &weights], shared_bias, |t, x, w, b| {
            t.affine(x, w, b)
        });
        let apart = dense_layer_bits([&x, &w, &b, &weights], shared_bias, |t, x, w, b| {
            let xw = t.matmul(x, w);
            t.add(xw, b)
        });
        assert_eq!(fused, apart, "shared bias {shared_bias}");
    }
}

#[test]
fn affine_relu() {
    // |x w| <= k * 0.3 * 0.3 < 0.4 and |b| >= 0.5: every pre-activation stays at least 0.1
    // from the kink, some units on and some off.
    for (i, (m, k, n)) in [(3, 4, 5), (1, 1, 1), (1, 4, 1), (5, 1, 4), (6, 3, 1)]
        .into_iter()
        .enumerate()
    {
        let x = uniform(&[m, k], 0.3, 60 + i as u64);
        let w = uniform(&[k, n], 0.3, 70 + i as u64);
        let b = away_from_zero(&[n], 0.5, 1.0, 80 + i as u64);
        check(&[x, w, b], |t, v| t.affine_relu(v[0], v[1], v[2]));
    }
    // x as the input and as the weight: both contributions reach it
    let x = uniform(&[3, 3], 0.3, 7);
    let b = away_from_zero(&[3], 0.5, 1.0, 8);
    check(&[x, b], |t, v| {
        let y = t.affine_relu(v[0], v[0], v[1]);
        t.mul(y, v[0])
    });
}

/// `affine_relu` against `relu(affine(..))`, recorded apart: value and every gradient, bit
/// for bit. `weights` gives each output element its own (signed) gradient, with exact zeros
/// among them, pre-activations at exactly 0, a bias gradient of -0, and a NaN in `x` (its
/// row goes to 0 through the ReLU and NaN into `dw`).
fn affine_relu_matches_the_separate_ops(m: usize, k: usize, n: usize, shared_bias: bool) {
    let mut x = uniform(&[m, k], 1.0, 11);
    let mut w = uniform(&[k, n], 1.0, 12);
    let mut b = uniform(&[n], 1.0, 13);
    let mut weights = uniform(&[m, n], 1.0, 14);
    if m > 2 && k > 0 && n > 1 {
        x.data_mut()[2 * k] = f32::NAN;
        weights.data_mut()[n..n + n / 2].fill(0.0);
        // Column 0 of w (below) and b[0] zero: that column's pre-activations are exactly 0,
        // so the unit is off in every row; with negative output gradients its bias
        // gradient is a sum of -0s, -0 only if row 0 is stored, not added to +0.
        b.data_mut()[0] = 0.0;
        for i in 0..m {
            weights.data_mut()[i * n] = -weights.data()[i * n].abs() - 0.1;
        }
    }
    for p in 0..k {
        w.data_mut()[p * n] = 0.0;
    }
    let run = |fused: bool| {
        dense_layer_bits([&x, &w, &b, &weights], shared_bias, |t, x, w, b| {
            if fused {
                t.affine_relu(x, w, b)
            } else {
                let z = t.affine(x, w, b);
                t.relu(z)
            }
        })
    };
    let fused = run(true);
    assert_eq!(
        fused,
        run(false),
        "[{m}, {k}] x [{k}, {n}], shared bias {shared_bias}"
    );
    if m > 2 && k > 0 && n > 1 {
        // the cases above are really there
        let y = &fused[0];
        assert!(y.contains(&0) && y.iter().any(|&v| f32::from_bits(v) > 0.0));
        assert!(fused[2].iter().any(|&v| f32::from_bits(v).is_nan())); // dw
        assert!(fused[3].iter().all(|&v| !f32::from_bits(v).is_nan())); // db
        if !shared_bias {
            assert_eq!(fused[3][0], (-0.0f32).to_bits());
        }
    }
}

#[test]
fn affine_relu_is_relu_of_affine_bit_for_bit() {
    for shared_bias in [false, true] {
        // small (one fused pass: column blocks of 64, 16 and 1; products on the kernel's
        // 12-row blocks with 8-, 4-, 2- and 1-row rests, and on its 6 x 64 blocks as at
        // batch 128 with a 4-row rest), 1 x 1, a weight too large to read in place (packed
        // panels), no rows, and a [128, 1024] output, the size from which the passes run on
        // the rayon pool
        for (m, k, n) in [
            (37, 29, 45),
            (20, 5, 150),
            (27, 7, 49),
            (130, 64, 64),
            (1, 1, 1),
            (20, 200, 200),
            (0, 3, 4),
            (128, 8, 1024),
        ] {
            affine_relu_matches_the_separate_ops(m, k, n, shared_bias);
        }
    }
    assert_eq!(128 * 1024, caadam_autograd::PAR_THRESHOLD);
}

#[test]
fn matmul() {
    for (i, (m, k, n)) in [
        (3, 4, 5),
        (1, 1, 1),
        (1, 6, 1),
        (5, 1, 4),
        (1, 3, 7),
        (7, 3, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let a = uniform(&[m, k], 1.0, 10 + i as u64);
        let b = uniform(&[k, n], 1.0, 20 + i as u64);
        check(&[a, b], |t, v| t.matmul(v[0], v[1]));
    }
    // large magnitude
    let a = uniform(&[4, 3], 100.0, 1);
    let b = uniform(&[3, 2], 100.0, 2);
    check(&[a, b], |t, v| t.matmul(v[0], v[1]));
    // the same matrix on both sides: both contributions reach it
    let a = uniform(&[3, 3], 1.0, 3);
    check(&[a], |t, v| t.matmul(v[0], v[0]));
}

/// Shape pairs for the broadcasting binary ops.
const BROADCAST_PAIRS: [(&[usize], &[usize]); 9] = [
    (&[3, 4], &[3, 4]),
    (&[3, 4], &[4]),
    (&[4], &[3, 4]),
    (&[3, 1], &[1, 4]),
    (&[], &[2, 3]),
    (&[2, 3], &[1]),
    (&[2, 1, 3], &[4, 1]),
    (&[1, 1], &[1, 1]),
    (&[5, 1], &[5, 1]),
];

#[test]
fn add_sub_mul_div_with_broadcasting() {
    for (i, (sa, sb)) in BROADCAST_PAIRS.into_iter().enumerate() {
        let seed = 100 + 2 * i as u64;
        let a = uniform(sa, 1.0, seed);
        let b = uniform(sb, 1.0, seed + 1);
        check(&[a.clone(), b.clone()], |t, v| t.add(v[0], v[1]));
        check(&[a.clone(), b.clone()], |t, v| t.sub(v[0], v[1]));
        check(&[a.clone(), b], |t, v| t.mul(v[0], v[1]));
        let d = away_from_zero(sb, 0.5, 2.0, seed + 7);
        check(&[a, d], |t, v| t.div(v[0], v[1]));
    }
}

#[test]
fn binary_ops_large_magnitude() {
    let a = uniform(&[3, 4], 1000.0, 1);
    let b = uniform(&[4], 1000.0, 2);
    check(&[a.clone(), b.clone()], |t, v| t.add(v[0], v[1]));
    check(&[a.clone(), b.clone()], |t, v| t.sub(v[0], v[1]));
    check(&[a.clone(), b], |t, v| t.mul(v[0], v[1]));
    let d = away_from_zero(&[3, 1], 100.0, 1000.0, 3);
    check(&[a, d], |t, v| t.div(v[0], v[1]));
}

#[test]
fn pointwise_maps() {
    for (i, shape) in UNARY_SHAPES.into_iter().enumerate() {
        let seed = 200 + 10 * i as u64;
        let x = uniform(shape, 2.0, seed);
        let pos = positive(shape, 0.2, 3.0, seed + 1);
        let off = away_from_zero(shape, 0.05, 2.0, seed + 2);
        check1(&x, |t, v| t.neg(v[0]));
        check1(&x, |t, v| t.add_scalar(v[0], 1.5));
        check1(&x, |t, v| t.mul_scalar(v[0], -2.5));
        check1(&pos, |t, v| t.powf(v[0], 2.5));
        check1(&pos, |t, v| t.powf(v[0], -1.5));
        check1(&x, |t, v| t.powf(v[0], 3.0)); // integer power of negative numbers
        check1(&x, |t, v| t.exp(v[0]));
        check1(&pos, |t, v| t.log(v[0]));
        check(&[pos], |t, v| t.sqrt(v[0]));
        check1(&off, |t, v| t.abs(v[0]));
        // bounds placed between the inputs' magnitudes, away from every input
        let clamp_input = away_from_zero(shape, 0.05, 0.45, seed + 3);
        let mut wide = clamp_input.clone();
        for (k, v) in wide.data_mut().iter_mut().enumerate() {
            if k % 2 == 0 {
                *v *= 4.0; // now in (0.2, 1.8) in magnitude: some beyond the bounds
            }
        }
        check(&[wide], |t, v| t.clamp(v[0], -0.5, 0.5));
    }
}

#[test]
fn pointwise_maps_large_magnitude() {
    let x = away_from_zero(&[2, 5], 50.0, 500.0, 1);
    check1(&x, |t, v| t.neg(v[0]));
    check1(&x, |t, v| t.mul_scalar(v[0], 3.0));
    check1(&x, |t, v| t.add_scalar(v[0], 1e3));
    check1(&x, |t, v| t.abs(v[0]));
    check1(&x, |t, v| t.clamp(v[0], -100.0, 100.0));
    let big = positive(&[2, 5], 1e3, 1e5, 2);
    check1(&big, |t, v| t.log(v[0]));
    check1(&big, |t, v| t.sqrt(v[0]));
    check(&[big], |t, v| t.powf(v[0], 0.5));
    let x = uniform(&[2, 5], 30.0, 3); // e^30 ~ 1e13, still finite in f32
    check(&[x], |t, v| t.exp(v[0]));
}

#[test]
fn activations() {
    for (i, shape) in UNARY_SHAPES.into_iter().enumerate() {
        let seed = 300 + 10 * i as u64;
        let x = uniform(shape, 3.0, seed);
        let off = away_from_zero(shape, 0.05, 3.0, seed + 1);
        check1(&off, |t, v| t.relu(v[0]));
        check(&[off], |t, v| t.leaky_relu(v[0], 0.1));
        check1(&x, |t, v| t.tanh(v[0]));
        check1(&x, |t, v| t.sigmoid(v[0]));
        check1(&x, |t, v| t.gelu(v[0]));
        check(&[x], |t, v| t.gelu_exact(v[0]));
    }
}

#[test]
fn activations_large_magnitude() {
    // saturated regions: slopes 0 or 1, and no NaN from overflowing intermediates
    let x = away_from_zero(&[3, 4], 20.0, 1e4, 1);
    check1(&x, |t, v| t.relu(v[0]));
    check1(&x, |t, v| t.leaky_relu(v[0], 0.01));
    check1(&x, |t, v| t.tanh(v[0]));
    check1(&x, |t, v| t.sigmoid(v[0]));
    check1(&x, |t, v| t.gelu(v[0]));
    check(&[x], |t, v| t.gelu_exact(v[0]));
}

#[test]
fn full_reductions() {
    for (i, shape) in [&[3, 4][..], &[1, 1], &[1, 9], &[9, 1], &[], &[2, 3, 4]]
        .into_iter()
        .enumerate()
    {
        let x = uniform(shape, 1.0, 400 + i as u64);
        check1(&x, |t, v| t.sum(v[0]));
        check(&[x], |t, v| t.mean(v[0]));
    }
    let x = uniform(&[4, 5], 1e4, 1);
    check1(&x, |t, v| t.sum(v[0]));
    check(&[x], |t, v| t.mean(v[0]));
}

#[test]
fn axis_reductions() {
    for (i, shape) in [&[3, 4][..], &[1, 1], &[1, 6], &[6, 1], &[2, 3, 4]]
        .into_iter()
        .enumerate()
    {
        let x = uniform(shape, 1.0, 500 + i as u64);
        for axis in 0..shape.len() {
            for keepdim in [false, true] {
                check1(&x, |t, v| t.sum_axis(v[0], axis, keepdim));
                check1(&x, |t, v| t.mean_axis(v[0], axis, keepdim));
            }
        }
    }
    let x = uniform(&[3, 4], 1e3, 2);
    check1(&x, |t, v| t.sum_axis(v[0], 0, false));
    check(&[x], |t, v| t.mean_axis(v[0], 1, true));
}

#[test]
fn shape_ops() {
    let x = uniform(&[2, 3, 4], 1.0, 600);
    check1(&x, |t, v| t.reshape(v[0], &[6, 4]));
    check(&[x], |t, v| t.reshape(v[0], &[24]));
    for (i, shape) in [[3, 4], [1, 1], [1, 5], [5, 1]].into_iter().enumerate() {
        let x = uniform(&shape, 1.0, 610 + i as u64);
        check(&[x], |t, v| t.transpose(v[0]));
    }
    let a = uniform(&[2, 3], 1.0, 620);
    let b = uniform(&[4, 3], 1.0, 621);
    let c = uniform(&[1, 3], 1.0, 622);
    check(&[a.clone(), b, c], |t, v| t.concat(&[v[0], v[1], v[2]], 0));
    let d = uniform(&[2, 1], 1.0, 623);
    let e = uniform(&[2, 5], 1.0, 624);
    check(&[a.clone(), d, e], |t, v| t.concat(&[v[0], v[1], v[2]], 1));
    // the same tensor twice: both copies send their gradient back
    check(&[a], |t, v| t.concat(&[v[0], v[0]], 1));
    let big = uniform(&[2, 2], 1e4, 625);
    check(&[big], |t, v| t.transpose(v[0]));
}

#[test]
fn softmax_and_log_softmax() {
    for (i, shape) in [&[3, 4][..], &[1, 1], &[1, 6], &[6, 1], &[2, 3, 4]]
        .into_iter()
        .enumerate()
    {
        let x = uniform(shape, 2.0, 700 + i as u64);
        for axis in 0..shape.len() {
            check1(&x, |t, v| t.softmax(v[0], axis));
            check1(&x, |t, v| t.log_softmax(v[0], axis));
        }
    }
}

#[test]
fn softmax_large_logits() {
    // Logits near 1000 would overflow exp without the max shift. A step that is small in
    // absolute terms is used: the functions depend only on differences between logits.
    let mut x = uniform(&[3, 4], 2.0, 710);
    x.data_mut().iter_mut().for_each(|v| *v += 1000.0);
    let opts = GradcheckOptions {
        eps: 5e-6,
        atol: 2e-3,
        rtol: 2e-2,
    };
    check_with(std::slice::from_ref(&x), opts, |t, v| t.softmax(v[0], 1));
    check_with(&[x], opts, |t, v| t.log_softmax(v[0], 1));
}

#[test]
fn pointwise_losses() {
    for (i, shape) in [&[4, 3][..], &[1, 1], &[1, 5], &[5, 1], &[]]
        .into_iter()
        .enumerate()
    {
        let seed = 800 + 10 * i as u64;
        let p = uniform(shape, 2.0, seed);
        // targets kept well away from predictions so |p - t| is far from the kinks of mae
        // (0) and huber (delta = 1)
        let gap = away_from_zero(shape, 0.2, 0.8, seed + 1);
        let mut t_small = p.clone();
        t_small
            .data_mut()
            .iter_mut()
            .zip(gap.data())
            .for_each(|(t, g)| *t += g);
        let mut t_large = p.clone();
        t_large
            .data_mut()
            .iter_mut()
            .zip(gap.data())
            .for_each(|(t, g)| *t += 3.0 * g.signum() + g);
        check(&[p.clone(), t_small.clone()], |t, v| t.mse(v[0], v[1]));
        check(&[p.clone(), t_small.clone()], |t, v| t.mae(v[0], v[1]));
        check(&[p.clone(), t_small], |t, v| t.huber(v[0], v[1], 1.0)); // quadratic part
        check(&[p.clone(), t_large], |t, v| t.huber(v[0], v[1], 1.0)); // linear part
        let targets = positive(shape, 0.0, 1.0, seed + 2);
        check(&[p, targets], |t, v| t.bce_with_logits(v[0], v[1]));
    }
}

#[test]
fn losses_large_magnitude() {
    let p = uniform(&[3, 3], 1e3, 1);
    let gap = away_from_zero(&[3, 3], 10.0, 100.0, 2);
    let mut target = p.clone();
    target
        .data_mut()
        .iter_mut()
        .zip(gap.data())
        .for_each(|(t, g)| *t += g);
    check(&[p.clone(), target.clone()], |t, v| t.mse(v[0], v[1]));
    check(&[p.clone(), target.clone()], |t, v| t.mae(v[0], v[1]));
    check(&[p, target], |t, v| t.huber(v[0], v[1], 1.0));
    // logits of +-50: sigmoid saturates, the stable form must not produce inf or NaN
    let z = away_from_zero(&[2, 3], 20.0, 50.0, 3);
    let y = positive(&[2, 3], 0.0, 1.0, 4);
    check(&[z, y], |t, v| t.bce_with_logits(v[0], v[1]));
}

#[test]
fn cross_entropy() {
    let z = uniform(&[4, 3], 2.0, 900);
    check(&[z], |t, v| t.cross_entropy(v[0], &[0, 2, 1, 2]));
    check(&[uniform(&[1, 1], 1.0, 901)], |t, v| {
        t.cross_entropy(v[0], &[0])
    });
    check(&[uniform(&[1, 5], 1.0, 902)], |t, v| {
        t.cross_entropy(v[0], &[3])
    });
    check(&[uniform(&[5, 1], 1.0, 903)], |t, v| {
        t.cross_entropy(v[0], &[0, 0, 0, 0, 0])
    });
    // large logits: shifted by 1000, same gradient as unshifted
    let mut z = uniform(&[3, 4], 2.0, 904);
    z.data_mut().iter_mut().for_each(|v| *v += 1000.0);
    let opts = GradcheckOptions {
        eps: 5e-6,
        atol: 2e-3,
        rtol: 2e-2,
    };
    check_with(&[z], opts, |t, v| t.cross_entropy(v[0], &[1, 0, 3]));
}

#[test]
fn composite_mlp_with_reuse() {
    // x W1 + b1 -> tanh -> W2 + b2, plus the hidden layer used a second time
    let x = uniform(&[4, 3], 1.0, 1000);
    let w1 = uniform(&[3, 5], 1.0, 1001);
    let b1 = uniform(&[5], 1.0, 1002);
    let w2 = uniform(&[5, 2], 1.0, 1003);
    let b2 = uniform(&[1, 2], 1.0, 1004);
    let y = uniform(&[4, 2], 1.0, 1005);
    check(&[x, w1, b1, w2, b2, y], |t, v| {
        let h = t.matmul(v[0], v[1]);
        let h = t.add(h, v[2]);
        let h = t.tanh(h);
        let o = t.matmul(h, v[3]);
        let o = t.add(o, v[4]);
        let l1 = t.mse(o, v[5]);
        let hh = t.mul(h, h);
        let l2 = t.mean(hh);
        t.add(l1, l2)
    });
}
