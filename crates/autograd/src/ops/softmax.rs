//! softmax and log_softmax along an axis, numerically stable.
//!
//! Subtracting the largest element of each slice before `exp` changes nothing
//! mathematically (it cancels in the ratio) but keeps `exp` from overflowing.
//! Backward, with `y` the output and `g` its gradient, along each slice:
//! - softmax: `dx = y * (g - sum(g * y))`
//! - log_softmax: `dx = g - softmax(x) * sum(g)`, and `softmax(x) = exp(y)`.

use crate::op::Op;
use crate::shape::split_at_axis;
use crate::tape::{GradSink, Node, Tape, Var};
use crate::tensor::Tensor;

/// Calls `f(start, step, len)` for each slice along `axis`: the slice's elements sit at
/// offsets `start + j * step` for `j < len`.
fn for_each_slice(dims: &[usize], axis: usize, mut f: impl FnMut(usize, usize, usize)) {
    let (outer, len, inner) = split_at_axis(dims, axis);
    for o in 0..outer {
        for i in 0..inner {
            f(o * len * inner + i, inner, len);
        }
    }
}

/// Writes softmax (or log_softmax) of every slice of `x` into `y`.
fn forward(x: &[f32], dims: &[usize], axis: usize, log: bool, y: &mut [f32]) {
    for_each_slice(dims, axis, |start, step, len| {
        let at = |j: usize| start + j * step;
        let max = (0..len).map(|j| x[at(j)]).fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f32;
        for j in 0..len {
            let e = (x[at(j)] - max).exp();
            y[at(j)] = e;
            sum += e;
        }
        if log {
            let log_sum = sum.ln();
            for j in 0..len {
                y[at(j)] = x[at(j)] - max - log_sum;
            }
        } else {
            for j in 0..len {
                y[at(j)] /= sum;
            }
        }
    });
}

pub(crate) fn softmax_backward(
    a: usize,
    axis: usize,
    out: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    if !sink.wants(a) {
        return;
    }
    let y = nodes[out].value.data();
    let ga = sink.of(a);
    for_each_slice(nodes[a].value.shape(), axis, |start, step, len| {
        let at = |j: usize| start + j * step;
        let dot: f32 = (0..len).map(|j| g[at(j)] * y[at(j)]).sum();
        for j in 0..len {
            ga[at(j)] += y[at(j)] * (g[at(j)] - dot);
        }
    });
}

pub(crate) fn log_softmax_backward(
    a: usize,
    axis: usize,
    out: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    if !sink.wants(a) {
        return;
    }
    let y = nodes[out].value.data();
    let ga = sink.of(a);
    for_each_slice(nodes[a].value.shape(), axis, |start, step, len| {
        let at = |j: usize| start + j * step;
        let g_sum: f32 = (0..len).map(|j| g[at(j)]).sum();
        for j in 0..len {
            ga[at(j)] += g[at(j)] - y[at(j)].exp() * g_sum;
        }
    });
}

impl Tape {
    fn softmax_like(&mut self, a: Var, axis: usize, log: bool) -> Var {
        let name = if log { "log_softmax" } else { "softmax" };
        let a = self.index(a, name);
        let x = &self.nodes[a].value;
        assert!(
            axis < x.shape().len(),
            "{name}: axis {axis} out of range for shape {:?}",
            x.shape()
        );
        let mut y = self.pool.zeros(x.len());
        forward(x.data(), x.shape(), axis, log, &mut y);
        let value = Tensor::from_parts(y, x.shape_inline());
        let needs = self.needs_grad(a);
        let op = if log {
            Op::LogSoftmax { a, axis }
        } else {
            Op::Softmax { a, axis }
        };
        self.push(value, op, needs)
    }

    /// `exp(a) / sum(exp(a))` along `axis`, computed after subtracting each slice's maximum
    /// so large inputs do not overflow.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1000.0, 1000.0, 0.0, 0.0], &[2, 2]);
    /// let y = tape.softmax(x, 1);
    /// assert_eq!(tape.value(y).data(), &[0.5, 0.5, 0.5, 0.5]);
    /// ```
    pub fn softmax(&mut self, a: Var, axis: usize) -> Var {
        self.softmax_like(a, axis, false)
    }

    /// `a - log(sum(exp(a)))` along `axis`, stable for large inputs.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[0.0, 0.0], &[1, 2]);
    /// let y = tape.log_softmax(x, 1);
    /// let ln_half = 0.5f32.ln();
    /// assert_eq!(tape.value(y).data(), &[ln_half, ln_half]);
    /// ```
    pub fn log_softmax(&mut self, a: Var, axis: usize) -> Var {
        self.softmax_like(a, axis, true)
    }
}
