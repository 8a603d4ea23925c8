//! Reductions: sum and mean over all elements (to a rank-0 scalar) or along one axis.
//!
//! Forward of the full sum uses the fixed chunking of [`crate::parallel`] (bit-identical on
//! any number of threads). Axis sums run on the calling thread in index order. Backward
//! spreads the output gradient back over the summed elements (times 1/n for the mean).

use crate::op::Op;
use crate::parallel;
use crate::shape::{split_at_axis, Shape, MAX_RANK};
use crate::tape::{GradSink, Node, Tape, Var};
use crate::tensor::Tensor;

pub(crate) fn sum_backward(a: usize, scale: f32, g: &[f32], sink: &mut GradSink<'_>) {
    if !sink.wants(a) {
        return;
    }
    let dy = g[0] * scale;
    parallel::for_chunks(sink.of(a), |_, ga| ga.iter_mut().for_each(|v| *v += dy));
}

pub(crate) fn sum_axis_backward(
    a: usize,
    axis: usize,
    scale: f32,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    if !sink.wants(a) {
        return;
    }
    let (outer, len, inner) = split_at_axis(nodes[a].value.shape(), axis);
    let ga = sink.of(a);
    for o in 0..outer {
        let g_row = &g[o * inner..(o + 1) * inner];
        for j in 0..len {
            let start = (o * len + j) * inner;
            for (v, &d) in ga[start..start + inner].iter_mut().zip(g_row) {
                *v += d * scale;
            }
        }
    }
}

impl Tape {
    fn reduce_all(&mut self, a: Var, mean: bool, name: &str) -> Var {
        let a = self.index(a, name);
        let x = self.nodes[a].value.data();
        let total = parallel::chunked_sum(x.len(), &mut self.partials, |r| {
            let chunk = &x[r];
            parallel::lane_sum(chunk.len(), |i| f64::from(chunk[i]))
        });
        let n = x.len();
        let scale = if mean { 1.0 / n as f32 } else { 1.0 };
        let value = if mean { total / n as f64 } else { total };
        let mut out = self.pool.zeros(1);
        out[0] = value as f32;
        let needs = self.needs_grad(a);
        self.push(
            Tensor::from_parts(out, Shape::new(&[], name)),
            Op::Sum { a, scale },
            needs,
        )
    }

    fn reduce_axis(&mut self, a: Var, axis: usize, keepdim: bool, mean: bool, name: &str) -> Var {
        let a = self.index(a, name);
        let x = &self.nodes[a].value;
        let dims = x.shape();
        assert!(
            axis < dims.len(),
            "{name}: axis {axis} out of range for shape {dims:?}"
        );
        let (outer, len, inner) = split_at_axis(dims, axis);
        let mut out = self.pool.zeros(outer * inner);
        let xd = x.data();
        for o in 0..outer {
            let row = &mut out[o * inner..(o + 1) * inner];
            for j in 0..len {
                let start = (o * len + j) * inner;
                for (acc, &v) in row.iter_mut().zip(&xd[start..start + inner]) {
                    *acc += v;
                }
            }
        }
        let scale = if mean { 1.0 / len as f32 } else { 1.0 };
        if mean {
            out.iter_mut().for_each(|v| *v *= scale);
        }
        let mut out_dims = [0; MAX_RANK];
        let mut rank = 0;
        for (i, &d) in dims.iter().enumerate() {
            if i != axis {
                out_dims[rank] = d;
                rank += 1;
            } else if keepdim {
                out_dims[rank] = 1;
                rank += 1;
            }
        }
        let shape = Shape::new(&out_dims[..rank], name);
        let needs = self.needs_grad(a);
        self.push(
            Tensor::from_parts(out, shape),
            Op::SumAxis { a, axis, scale },
            needs,
        )
    }

    /// Sum of all elements, as a rank-0 tensor (shape `[]`). Accumulated in `f64` over fixed
    /// chunks, so the result does not depend on the thread count.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0], &[3]);
    /// let s = tape.sum(x);
    /// assert_eq!(tape.value(s).item(), 6.0);
    /// assert_eq!(tape.shape(s), &[] as &[usize]);
    /// ```
    pub fn sum(&mut self, a: Var) -> Var {
        self.reduce_all(a, false, "sum")
    }

    /// Mean of all elements, as a rank-0 tensor.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0, 6.0], &[2, 2]);
    /// let m = tape.mean(x);
    /// assert_eq!(tape.value(m).item(), 3.0);
    /// ```
    pub fn mean(&mut self, a: Var) -> Var {
        self.reduce_all(a, true, "mean")
    }

    /// Sum along `axis`; with `keepdim` the axis stays with size 1, otherwise it is removed.
    /// Panics if `axis` is out of range.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let rows = tape.sum_axis(x, 1, false);
    /// assert_eq!(tape.value(rows).data(), &[6.0, 15.0]);
    /// let cols = tape.sum_axis(x, 0, true);
    /// assert_eq!(tape.shape(cols), &[1, 3]);
    /// assert_eq!(tape.value(cols).data(), &[5.0, 7.0, 9.0]);
    /// ```
    pub fn sum_axis(&mut self, a: Var, axis: usize, keepdim: bool) -> Var {
        self.reduce_axis(a, axis, keepdim, false, "sum_axis")
    }

    /// Mean along `axis`; `keepdim` as in [`sum_axis`](Tape::sum_axis).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let m = tape.mean_axis(x, 0, false);
    /// assert_eq!(tape.value(m).data(), &[2.0, 3.0]);
    /// ```
    pub fn mean_axis(&mut self, a: Var, axis: usize, keepdim: bool) -> Var {
        self.reduce_axis(a, axis, keepdim, true, "mean_axis")
    }
}
