//! Loss values and gradients checked against hand computations (derivations in comments;
//! the few exp/ln values were evaluated with tests/reference/losses.py).

use caadam_autograd::Tape;

fn assert_close(got: &[f32], expected: &[f32], tol: f32) {
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() <= tol, "got {got:?}, expected {expected:?}");
    }
}

/// Records `loss(pred, target)` with `pred` as a parameter; returns (loss, d loss / d pred).
fn run(
    pred: &[f32],
    target: &[f32],
    shape: &[usize],
    loss: impl Fn(&mut Tape, caadam_autograd::Var, caadam_autograd::Var) -> caadam_autograd::Var,
) -> (f32, Vec<f32>) {
    let mut tape = Tape::new();
    let p = tape.param(pred, shape, 0);
    let t = tape.input_from(target, shape);
    let l = loss(&mut tape, p, t);
    assert_eq!(tape.shape(l), &[] as &[usize], "losses are rank-0 scalars");
    tape.backward(l);
    (tape.value(l).item(), tape.grad(p).unwrap().data().to_vec())
}

#[test]
fn mse_by_hand() {
    // r = p - t = [1, 0, -2]; mean(r^2) = (1 + 0 + 4) / 3 = 5/3
    // d/dp = 2 r / n = [2/3, 0, -4/3]
    let (l, g) = run(&[1.0, 2.0, 3.0], &[0.0, 2.0, 5.0], &[3], |t, p, y| {
        t.mse(p, y)
    });
    assert_close(&[l], &[5.0 / 3.0], 1e-6);
    assert_close(&g, &[2.0 / 3.0, 0.0, -4.0 / 3.0], 1e-6);
}

#[test]
fn mae_by_hand() {
    // r = [1, 0, -2]; mean |r| = 3 / 3 = 1; d/dp = sign(r) / n = [1/3, 0, -1/3] (0 at r = 0)
    let (l, g) = run(&[1.0, 2.0, 3.0], &[0.0, 2.0, 5.0], &[3, 1], |t, p, y| {
        t.mae(p, y)
    });
    assert_close(&[l], &[1.0], 1e-6);
    assert_close(&g, &[1.0 / 3.0, 0.0, -1.0 / 3.0], 1e-6);
}

#[test]
fn huber_by_hand() {
    // delta = 1, r = [0.5, -3, 1]:
    //   |0.5| <= 1: 0.5 * 0.25 = 0.125;  |-3| > 1: 1 * (3 - 0.5) = 2.5;  |1| <= 1: 0.5
    //   mean = 3.125 / 3; d/dp = [0.5, -delta, 1] / 3
    let (l, g) = run(&[0.5, -3.0, 1.0], &[0.0, 0.0, 0.0], &[3], |t, p, y| {
        t.huber(p, y, 1.0)
    });
    assert_close(&[l], &[3.125 / 3.0], 1e-6);
    assert_close(&g, &[0.5 / 3.0, -1.0 / 3.0, 1.0 / 3.0], 1e-6);
    // delta = 2, r = [3]: 2 * (3 - 1) = 4; slope delta = 2
    let (l, g) = run(&[3.0], &[0.0], &[1], |t, p, y| t.huber(p, y, 2.0));
    assert_close(&[l], &[4.0], 1e-6);
    assert_close(&g, &[2.0], 1e-6);
}

#[test]
fn bce_with_logits_by_hand() {
    // z = [0, 2], y = [1, 0]
    //   element 0: -ln s(0) = ln 2 = 0.6931472
    //   element 1: -ln(1 - s(2)) = ln(1 + e^2) = 2.1269280
    //   mean = 1.4100376
    // d/dz = (s(z) - y) / n = [(0.5 - 1) / 2, s(2) / 2] = [-0.25, 0.4403985]
    let (l, g) = run(&[0.0, 2.0], &[1.0, 0.0], &[2], |t, p, y| {
        t.bce_with_logits(p, y)
    });
    assert_close(&[l], &[1.410_037_6], 1e-6);
    assert_close(&g, &[-0.25, 0.440_398_54], 1e-6);
    // Large logits, confidently wrong: loss = max(z,0) - z y + ln(1 + e^-|z|) = 100 for both
    // (z = 100, y = 0 and z = -100, y = 1); the naive formula would take ln(0).
    let (l, g) = run(&[100.0, -100.0], &[0.0, 1.0], &[2], |t, p, y| {
        t.bce_with_logits(p, y)
    });
    assert_close(&[l], &[100.0], 1e-4);
    assert_close(&g, &[0.5, -0.5], 1e-6); // (1 - 0) / 2 and (0 - 1) / 2
}

#[test]
fn cross_entropy_by_hand() {
    // row 0: logits [1, 2, 3], label 2: ln(e + e^2 + e^3) - 3 = ln(1 + e^-1 + e^-2) = 0.4076060
    // row 1: logits [1, 1, 1], label 0: ln 3 = 1.0986123
    // mean = 0.7531091
    // d/dz = (softmax - onehot) / 2:
    //   row 0: softmax = [0.0900306, 0.2447285, 0.6652410] -> [0.0450153, 0.1223642, -0.1673795]
    //   row 1: softmax = [1/3, 1/3, 1/3] -> [-1/3, 1/6, 1/6]
    let mut tape = Tape::new();
    let z = tape.param(&[1.0, 2.0, 3.0, 1.0, 1.0, 1.0], &[2, 3], 0);
    let l = tape.cross_entropy(z, &[2, 0]);
    tape.backward(l);
    assert_close(&[tape.value(l).item()], &[0.753_109_1], 1e-6);
    assert_close(
        tape.grad(z).unwrap().data(),
        &[
            0.045_015_29,
            0.122_364_24,
            -0.167_379_52,
            -1.0 / 3.0,
            1.0 / 6.0,
            1.0 / 6.0,
        ],
        1e-6,
    );
}

#[test]
fn cross_entropy_large_logits_is_stable() {
    // [1000, 0] with label 0: ln(1 + e^-1000) = 0 to f32 precision; with label 1: 1000.
    let mut tape = Tape::new();
    let z = tape.param(&[1000.0, 0.0, 1000.0, 0.0], &[2, 2], 0);
    let l = tape.cross_entropy(z, &[0, 1]);
    tape.backward(l);
    assert_close(&[tape.value(l).item()], &[500.0], 1e-3);
    // softmax rows are [1, 0]: grads (softmax - onehot)/2 = [0, 0] and [0.5, -0.5]
    assert_close(tape.grad(z).unwrap().data(), &[0.0, 0.0, 0.5, -0.5], 1e-6);
}

#[test]
fn log_softmax_of_large_logits_is_finite() {
    // log_softmax([1000, 1000, 1000]) = -ln 3 each; a naive exp would overflow to inf.
    let mut tape = Tape::new();
    let x = tape.input_from(&[1000.0, 1000.0, 1000.0], &[3]);
    let y = tape.log_softmax(x, 0);
    assert_close(tape.value(y).data(), &[-(3f32.ln()); 3], 1e-6);
}
