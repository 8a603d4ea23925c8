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
