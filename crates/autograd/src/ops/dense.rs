//! `relu(x w + b)`: a hidden dense layer and its ReLU as one node.
//!
//! Bit for bit `relu(affine(x, w, b))`: the product rounded to f32, the bias added, then
//! `y = z` where `z > 0` and `0` elsewhere (NaN included), as the separate ops compute it.
//! What one node saves is passes over the `[m, n]` output and a buffer:
//! - forward, the bias and the ReLU go through the product once (`y = relu(z + b)` in
//!   place) instead of once for the bias and once more, into a new buffer, for the ReLU;
//! - backward, the ReLU's gradient `dz = dy * [y > 0]` and the bias gradient (the column
//!   sums of `dz`) come out of one pass over `dy`, and the two products read `dz` from a
//!   scratch buffer that goes back to the pool.
//!
//! Only `y` is kept: `y > 0` exactly when `z > 0`, since the ReLU sends every other `z`
//! (zero, negative, NaN) to 0. So the slope read from `y` is the slope the separate ReLU
//! reads from `z`.

use rayon::prelude::*;

use crate::op::Op;
use crate::ops::matmul;
use crate::parallel::{self, PAR_THRESHOLD};
use crate::simd_kernel;
use crate::tape::{GradSink, Node, Tape, Var, Write};

/// The ReLU's slope at the input that gave output `y`: 1 where the input was positive,
/// else 0 (PyTorch's choice at the kink). `y > 0` exactly when the input was `> 0`.
#[inline(always)]
fn slope(y: f32) -> f32 {
    if y > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// `dz = dy * relu'(y)` into a scratch buffer, `db (+)=` the rows of `dz` in order, then
/// `dx (+)= dz w^T` and `dw (+)= x^T dz`: the same operations, in the same order per
/// element, as the separate ReLU and `affine`.
pub(crate) fn backward(
    x: usize,
    w: usize,
    b: usize,
    out: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    let y = nodes[out].value.data();
    let mut dz = sink.scratch_buffer(g.len()); // every element is written below
    if sink.wants(b) {
        let (db, mode) = sink.write(b);
        relu_and_bias_grad(&mut dz, g, y, db, mode);
    } else {
        relu_grad(&mut dz, g, y);
    }
    matmul::backward(x, w, &dz, nodes, sink);
    sink.recycle(dz);
}

/// `dz = dy * relu'(y)`, elementwise (in parallel for large buffers).
fn relu_grad(dz: &mut [f32], dy: &[f32], y: &[f32]) {
    parallel::map2(dz, dy, y, |dy, y| dy * slope(y));
}

/// [`relu_grad`] and the bias gradient `db`, `db.len()` columns wide: row 0 of `dz` stored
/// (or added, as `mode` says), then rows 1, 2, ... added in order.
fn relu_and_bias_grad(dz: &mut [f32], dy: &[f32], y: &[f32], db: &mut [f32], mode: Write) {
    let n = db.len();
    if n == 0 {
        relu_grad(dz, dy, y);
        return;
    }
    if dz.len() >= PAR_THRESHOLD {
        // Large: the elementwise pass in parallel, then the column sums (as `affine` does).
        relu_grad(dz, dy, y);
        matmul::bias_grad(db, mode, dz);
        return;
    }
    // Small: one pass, each row's slope applied and added to `db` while it is in registers.
    let (rest, dy_rest, y_rest) = match mode {
        Write::Add => (&mut dz[..], dy, y),
        Write::Assign if dz.is_empty() => {
            db.fill(0.0); // no rows: nothing flows to the bias
            return;
        }
        Write::Assign => {
            let (first, rest) = dz.split_at_mut(n);
            relu_grad(first, &dy[..n], &y[..n]);
            db.copy_from_slice(first);
            (rest, &dy[n..], &y[n..])
        }
    };
    relu_grad_add_rows(rest, dy_rest, y_rest, db);
}

simd_kernel! {
    /// `dz = dy * relu'(y)` row by row (rows `db.len()` wide), adding each row of `dz` to
    /// `db` in order.
    ///
    /// Column blocks at a time, each block's sums kept in registers down all the rows:
    /// adding each row to `db` in memory made every row wait for the previous row's store
    /// (this pass then cost more than the two separate passes it replaces).
    fn relu_grad_add_rows(dz: &mut [f32], dy: &[f32], y: &[f32], db: &mut [f32]) {
        let n = db.len();
        let mut j = 0;
        while j + 64 <= n {
            relu_grad_add_rows_block::<64>(j, dz, dy, y, db);
            j += 64;
        }
        while j + 16 <= n {
            relu_grad_add_rows_block::<16>(j, dz, dy, y, db);
            j += 16;
        }
        while j < n {
            relu_grad_add_rows_block::<1>(j, dz, dy, y, db);
            j += 1;
        }
    }
}

/// Columns `j0..j0 + W` of [`relu_grad_add_rows`]: the `W` sums live in registers while the
/// rows go by, each row added in order (the same additions as `db += row` row by row).
#[inline(always)]
fn relu_grad_add_rows_block<const W: usize>(
    j0: usize,
    dz: &mut [f32],
    dy: &[f32],
    y: &[f32],
    db: &mut [f32],
) {
    let n = db.len();
    let block = j0..j0 + W;
    let mut sums: [f32; W] = db[block.clone()].try_into().expect("W columns");
    let rows = dz
        .chunks_exact_mut(n)
        .zip(dy.chunks_exact(n))
        .zip(y.chunks_exact(n));
    for ((dz, dy), y) in rows {
        let (dz, dy, y) = (
            &mut dz[block.clone()],
            &dy[block.clone()],
            &y[block.clone()],
        );
        for t in 0..W {
            let d = dy[t] * slope(y[t]);
            dz[t] = d;
            sums[t] += d;
        }
    }
    db[block].copy_from_slice(&sums);
}

simd_kernel! {
    /// `row[j] = relu(row[j] + b[j])` for every row of the row-major `rows`: the bias and
    /// the ReLU of a dense layer in one pass over its product.
    fn add_bias_relu(rows: &mut [f32], b: &[f32]) {
        if b.is_empty() {
            return;
        }
        for row in rows.chunks_exact_mut(b.len()) {
            for (o, &b) in row.iter_mut().zip(b) {
                let z = *o + b;
                *o = if z > 0.0 { z } else { 0.0 };
            }
        }
    }
}

/// [`add_bias_relu`] over whole rows, in parallel blocks of rows for large outputs (each
/// element's arithmetic is its own, so the blocks do not change the bits).
fn add_bias_relu_rows(rows: &mut [f32], b: &[f32]) {
    let n = b.len();
    if rows.len() < PAR_THRESHOLD || n == 0 {
        add_bias_relu(rows, b);
        return;
    }
    let block = n * (parallel::CHUNK / n).max(1);
    rows.par_chunks_mut(block)
        .for_each(|rows| add_bias_relu(rows, b));
}

impl Tape {
    /// A hidden dense layer: `relu(x w + b)` for `x` `[m, k]`, `w` `[k, n]` and a bias `b`
    /// `[n]` added to every row, as one node: bit for bit `relu(affine(x, w, b))`, with one
    /// buffer and two passes over the output fewer (forward, the bias and the ReLU in one
    /// pass; backward, the ReLU's gradient and the bias gradient in one). Backward reads the
    /// slope from the output: `y > 0` exactly where `x w + b > 0`. Panics, naming the three
    /// shapes, unless they fit.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0], &[1, 2]);
    /// let w = tape.param(&[1.0, 0.0, 0.0, -1.0], &[2, 2], 0);
    /// let b = tape.param(&[0.5, 0.5], &[2], 1);
    /// let y = tape.affine_relu(x, w, b); // relu([1.5, -1.5])
    /// assert_eq!(tape.value(y).data(), &[1.5, 0.0]);
    /// let loss = tape.sum(y);
    /// tape.backward(loss);
    /// // only the unit that is on passes a gradient
    /// assert_eq!(tape.grad(b).unwrap().data(), &[1.0, 0.0]);
    /// assert_eq!(tape.grad(w).unwrap().data(), &[1.0, 0.0, 2.0, 0.0]);
    /// ```
    pub fn affine_relu(&mut self, x: Var, w: Var, b: Var) -> Var {
        self.dense_layer(x, w, b, "affine_relu", add_bias_relu_rows, |x, w, b| {
            Op::AffineRelu { x, w, b }
        })
    }
}
