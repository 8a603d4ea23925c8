//! A warm training step allocates nothing.
//!
//! A counting global allocator counts the allocations made by this thread while a step
//! runs. The matrix products of a small MLP go through the crate's own kernel, which needs
//! no packing buffer, and mid-sized ones pack B (or compute the product transposed) in the
//! tape's reused scratch buffer (only products with a B of more than 2^18 elements go to
//! matrixmultiply's sgemm, which allocates a packing buffer per call), so a warm MLP step,
//! like a step without matmul, must not allocate at all.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use caadam_autograd::{Tape, Var};

struct Counting;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only bumps a thread-local counter besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

fn count() {
    // try_with: the thread-locals may already be gone while a thread shuts down
    let _ = ENABLED.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while running `f`.
fn allocations_during(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    ENABLED.with(|on| on.set(true));
    f();
    ENABLED.with(|on| on.set(false));
    COUNT.with(|c| c.get())
}

struct Batch {
    x: Vec<f32>,
    y: Vec<f32>,
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
}

const N: usize = 32;
const D: usize = 8;
const H: usize = 64;

fn batch() -> Batch {
    let wave = |len: usize, k: f32| {
        (0..len)
            .map(|i| ((i as f32) * k).sin() * 0.3)
            .collect::<Vec<f32>>()
    };
    Batch {
        x: wave(N * D, 0.7),
        y: wave(N, 1.3),
        w1: wave(D * H, 0.11),
        b1: wave(H, 0.5),
        w2: wave(H, 0.23),
        b2: vec![0.1],
    }
}

/// The batch and the parameters of `b` as tape leaves: `[x, y, w1, b1, w2, b2]`.
fn leaves(tape: &mut Tape, b: &Batch) -> [Var; 6] {
    [
        tape.input_from(&b.x, &[N, D]),
        tape.input_from(&b.y, &[N, 1]),
        tape.param(&b.w1, &[D, H], 0),
        tape.param(&b.b1, &[H], 1),
        tape.param(&b.w2, &[H, 1], 2),
        tape.param(&b.b2, &[1], 3),
    ]
}

/// One MLP step: matmul, add bias, relu, matmul, add bias, mse, backward, read grads, clear.
fn mlp_step(tape: &mut Tape, b: &Batch, sink: &mut f32) {
    let [x, y, w1, b1, w2, b2] = leaves(tape, b);
    let h = tape.matmul(x, w1);
    let h = tape.add(h, b1);
    let h = tape.relu(h);
    let o = tape.matmul(h, w2);
    let o = tape.add(o, b2);
    let loss = tape.mse(o, y);
    tape.backward(loss);
    for (_, g) in tape.param_grads() {
        *sink += g.data()[0];
    }
    tape.clear();
}

/// The MLP step with its layers as dense nodes (`affine_relu`, whose backward borrows a
/// scratch buffer from the pool, and `affine`).
fn dense_step(tape: &mut Tape, b: &Batch, sink: &mut f32) {
    let [x, y, w1, b1, w2, b2] = leaves(tape, b);
    let h = tape.affine_relu(x, w1, b1);
    let o = tape.affine(h, w2, b2);
    let loss = tape.mse(o, y);
    tape.backward(loss);
    for (_, g) in tape.param_grads() {
        *sink += g.data()[0];
    }
    tape.clear();
}

/// A step whose second layer has a 256 x 256 weight: a B too large to read in place, so
/// its forward product goes through packed panels, and the backward one with its transpose
/// (a small left operand, 32 x 256) is computed transposed; both in the tape's scratch.
fn packed_step(tape: &mut Tape, b: &Batch, w: &[f32], sink: &mut f32) {
    let x = tape.input_from(&b.x, &[N, D]);
    let wide = tape.param(&w[..D * 256], &[D, 256], 0);
    let square = tape.param(w, &[256, 256], 1);
    let h = tape.matmul(x, wide);
    let h = tape.tanh(h);
    let h = tape.matmul(h, square);
    let loss = tape.mean(h);
    tape.backward(loss);
    for (_, g) in tape.param_grads() {
        *sink += g.data()[0];
    }
    tape.clear();
}

/// The same kind of step without matmul (elementwise weights, axis sum).
fn elementwise_step(tape: &mut Tape, b: &Batch, sink: &mut f32) {
    let x = tape.input_from(&b.x, &[N, D]);
    let y = tape.input_from(&b.y, &[N, 1]);
    let w = tape.param(&b.w1[..D], &[D], 0);
    let bias = tape.param(&b.b2, &[1], 1);
    let h = tape.mul(x, w);
    let h = tape.tanh(h);
    let o = tape.sum_axis(h, 1, true);
    let o = tape.add(o, bias);
    let loss = tape.mse(o, y);
    tape.backward(loss);
    for (_, g) in tape.param_grads() {
        *sink += g.data()[0];
    }
    tape.clear();
}

#[test]
fn warm_steps_allocate_nothing() {
    let b = batch();
    let mut sink = 0.0;

    let mut tape = Tape::new();
    for _ in 0..2 {
        mlp_step(&mut tape, &b, &mut sink); // warm up: fill the pool, grow the node list
    }
    let allocs = allocations_during(|| mlp_step(&mut tape, &b, &mut sink));
    assert_eq!(allocs, 0, "a warm MLP step must not allocate");

    let mut tape = Tape::new();
    for _ in 0..2 {
        dense_step(&mut tape, &b, &mut sink);
    }
    let allocs = allocations_during(|| dense_step(&mut tape, &b, &mut sink));
    assert_eq!(allocs, 0, "a warm step of dense nodes must not allocate");

    let w: Vec<f32> = (0..256 * 256)
        .map(|i| ((i as f32) * 0.013).sin() * 0.05)
        .collect();
    // On a pool of one thread, counting on that thread: on more, the two backward products
    // would run side by side on the pool's threads, out of the count (the unit tests of
    // `matmul` check that each keeps its own scratch buffer then).
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let allocs = one_thread.install(|| {
        let mut tape = Tape::new();
        for _ in 0..2 {
            packed_step(&mut tape, &b, &w, &mut sink);
        }
        allocations_during(|| packed_step(&mut tape, &b, &w, &mut sink))
    });
    assert_eq!(
        allocs, 0,
        "a warm step with packed products must not allocate"
    );

    let mut tape = Tape::new();
    for _ in 0..2 {
        elementwise_step(&mut tape, &b, &mut sink);
    }
    let allocs = allocations_during(|| elementwise_step(&mut tape, &b, &mut sink));
    assert_eq!(allocs, 0, "a warm step without matmul must not allocate");
    assert!(sink.is_finite());
}
