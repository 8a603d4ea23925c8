//! How the tape behaves: gradient accumulation, one backward per step, clear, inference.

use caadam_autograd::{Tape, Tensor};

#[test]
fn multiply_used_nodes_accumulate() {
    // y = x*x + 3x at x = 2: dy/dx = 2x + 3 = 7
    let mut tape = Tape::new();
    let x = tape.param(&[2.0], &[], 0);
    let xx = tape.mul(x, x);
    let three_x = tape.mul_scalar(x, 3.0);
    let y = tape.add(xx, three_x);
    tape.backward(y);
    assert_eq!(tape.value(y).item(), 10.0);
    assert_eq!(tape.grad(x).unwrap().item(), 7.0);
}

#[test]
fn diamond_graph() {
    // a = x + 1; b = a * 2; c = a * b = 2 a^2; dc/dx = 4a = 4 (x + 1) = 12 at x = 2
    let mut tape = Tape::new();
    let x = tape.param(&[2.0], &[1], 0);
    let a = tape.add_scalar(x, 1.0);
    let b = tape.mul_scalar(a, 2.0);
    let c = tape.mul(a, b);
    let l = tape.sum(c);
    tape.backward(l);
    assert_eq!(tape.grad(x).unwrap().data(), &[12.0]);
    assert_eq!(tape.grad(a).unwrap().data(), &[12.0]);
}

#[test]
fn second_step_after_clear_gives_the_same_gradients() {
    // A second backward panics (see tests/misuse.rs); the supported way to differentiate
    // again is clear + record again, which must not double count.
    let mut tape = Tape::new();
    let mut grads = vec![];
    for _ in 0..3 {
        let w = tape.param(&[1.5, -2.0], &[2], 0);
        let x = tape.input_from(&[3.0, 4.0], &[2]);
        let y = tape.mul(w, x);
        let l = tape.sum(y);
        tape.backward(l);
        grads.push(tape.grad(w).unwrap().data().to_vec());
        tape.clear();
    }
    assert_eq!(grads, vec![vec![3.0, 4.0]; 3]);
}

#[test]
fn nodes_without_parameters_get_no_gradient() {
    let mut tape = Tape::new();
    let x = tape.input_from(&[1.0, 2.0], &[2]);
    let x2 = tape.mul(x, x); // depends on no parameter
    let w = tape.param(&[3.0, 4.0], &[2], 5);
    let y = tape.mul(x2, w);
    let l = tape.sum(y);
    let after = tape.relu(l); // recorded after the loss: not part of its graph
    tape.backward(l);
    assert!(tape.grad(x).is_none());
    assert!(tape.grad(x2).is_none());
    assert!(tape.grad(after).is_none());
    assert_eq!(tape.grad(w).unwrap().data(), &[1.0, 4.0]);
    assert_eq!(tape.grad(l).unwrap().item(), 1.0);
}

#[test]
fn param_grads_in_push_order_with_slots() {
    let mut tape = Tape::new();
    assert_eq!(tape.param_grads().count(), 0);
    let a = tape.param(&[1.0, 2.0], &[2], 3);
    let unused = tape.param(&[1.0; 3], &[3], 1);
    let b = tape.param(&[5.0], &[1], 2);
    let ab = tape.mul(a, b);
    let l = tape.sum(ab);
    assert_eq!(
        tape.param_grads().count(),
        0,
        "no gradients before backward"
    );
    tape.backward(l);
    let got: Vec<(usize, Vec<f32>)> = tape
        .param_grads()
        .map(|(s, g)| (s, g.data().to_vec()))
        .collect();
    // d(sum(a * b))/da = b = [5, 5]; /db = sum(a) = 3; unused: zeros
    assert_eq!(
        got,
        vec![(3, vec![5.0, 5.0]), (1, vec![0.0; 3]), (2, vec![3.0])]
    );
    assert_eq!(tape.grad(unused).unwrap().data(), &[0.0; 3]);
}

#[test]
fn inference_tape_computes_the_same_values() {
    let build = |tape: &mut Tape| {
        let x = tape.input_from(&[0.5, -1.0, 2.0, 0.1], &[2, 2]);
        let w = tape.param(&[1.0, 2.0, -1.0, 0.5], &[2, 2], 0);
        let h = tape.matmul(x, w);
        let h = tape.gelu(h);
        let s = tape.softmax(h, 1);
        tape.value(s).clone()
    };
    let mut train = Tape::new();
    let mut infer = Tape::inference();
    assert!(train.is_recording() && !infer.is_recording());
    assert_eq!(build(&mut train), build(&mut infer));
    assert_eq!(infer.len(), 5);
}

#[test]
fn tape_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Tape>();
    assert_send::<Tensor>();
}

#[test]
fn input_takes_ownership_and_display_formats() {
    let mut tape = Tape::new();
    let x = tape.input(Tensor::from_slice(
        &[1.0, 2.5, -3.0, 4.0, 5.0, 6.0],
        &[3, 2],
    ));
    assert_eq!(tape.value(x).to_string(), "[[1, 2.5], [-3, 4], [5, 6]]");
    let t = Tensor::new((0..8).map(|i| i as f32).collect(), &[2, 2, 2]);
    assert_eq!(t.to_string(), "[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]");
}

#[test]
fn seeded_constructors_are_reproducible() {
    use rand::SeedableRng;
    let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    assert_eq!(
        Tensor::normal(&[5, 3], 0.0, 2.0, &mut r1),
        Tensor::normal(&[5, 3], 0.0, 2.0, &mut r2)
    );
    assert_eq!(
        Tensor::uniform(&[7], -1.0, 1.0, &mut r1),
        Tensor::uniform(&[7], -1.0, 1.0, &mut r2)
    );
}

/// Records a small network that goes through every backward rule that stores (rather than
/// adds) a gradient's first contribution: matmul (both operands), a bias add (repeated
/// block), a general broadcast, an elementwise product, activations, a dense layer
/// (`affine`) and the MSE loss.
/// Returns every parameter's gradient.
fn record_and_differentiate(tape: &mut Tape, fill: Option<f32>, rows: usize) -> Vec<Vec<f32>> {
    let value = |i: usize| fill.unwrap_or(((i * 37 % 11) as f32 - 3.0) * 0.1);
    let values = |n: usize| (0..n).map(value).collect::<Vec<f32>>();
    let x = tape.input_from(&values(rows * 3), &[rows, 3]);
    let target = tape.input_from(&values(rows * 2), &[rows, 2]);
    let w1 = tape.param(&values(3 * 4), &[3, 4], 0);
    let b1 = tape.param(&values(4), &[4], 1);
    let col = tape.param(&values(rows), &[rows, 1], 2);
    let row = tape.param(&values(4), &[1, 4], 3);
    let w2 = tape.param(&values(4 * 2), &[4, 2], 4);
    let w3 = tape.param(&values(2 * 2), &[2, 2], 5);
    let b3 = tape.param(&values(2), &[2], 6);
    let xw = tape.matmul(x, w1);
    let z = tape.add(xw, b1); // bias: [rows, 4] + [4]
    let outer = tape.mul(col, row); // general broadcast: [rows, 1] * [1, 4]
    let zz = tape.mul(z, outer); // same shapes
    let h = tape.relu(zz);
    let t = tape.tanh(h);
    let tw = tape.matmul(t, w2);
    let pred = tape.affine(tw, w3, b3); // a dense layer as one node
    let loss = tape.mse(pred, target);
    tape.backward(loss);
    let grads = tape.param_grads().map(|(_, g)| g.data().to_vec()).collect();
    tape.clear();
    grads
}

#[test]
fn warm_steps_overwrite_stale_buffers_and_match_a_fresh_tape() {
    for rows in [5, 1] {
        let fresh = record_and_differentiate(&mut Tape::new(), None, rows);
        assert!(fresh.iter().flatten().all(|g| g.is_finite()));
        for g in &fresh {
            assert!(g.iter().any(|&g| g != 0.0), "rows = {rows}: {fresh:?}");
        }
        // A step whose every value is NaN leaves NaN in every pooled buffer; a rule that
        // took a recycled buffer for a fresh gradient without overwriting all of it would
        // carry that NaN into the next step.
        let mut tape = Tape::new();
        let poisoned = record_and_differentiate(&mut tape, Some(f32::NAN), rows);
        assert!(poisoned.iter().flatten().any(|g| g.is_nan()));
        let warm = record_and_differentiate(&mut tape, None, rows);
        let bits = |g: &[Vec<f32>]| {
            g.iter()
                .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&warm), bits(&fresh), "rows = {rows}");
    }
}

#[test]
fn a_bias_over_zero_rows_gets_a_zero_gradient_on_a_warm_tape() {
    let mut tape = Tape::new();
    for (rows, fill) in [(3, f32::NAN), (0, 1.0)] {
        let x = tape.input_from(&vec![fill; rows * 2], &[rows, 2]);
        let b = tape.param(&[fill, fill], &[2], 0);
        let z = tape.add(x, b);
        let l = tape.sum(z);
        tape.backward(l);
        let g = tape.grad(b).unwrap().data().to_vec();
        if rows == 0 {
            assert_eq!(g, vec![0.0, 0.0]);
        }
        tape.clear();
    }
}
