//! Ops that move elements without changing them: reshape, 2-D transpose, concat.
//! Their backward moves the gradient back the same way.

use crate::op::Op;
use crate::parallel;
use crate::shape::{split_at_axis, Shape, MAX_RANK};
use crate::tape::{GradSink, Node, Tape, Var};
use crate::tensor::Tensor;

pub(crate) fn reshape_backward(a: usize, g: &[f32], sink: &mut GradSink<'_>) {
    if sink.wants(a) {
        // same elements in the same row-major order
        parallel::for_chunks(sink.of(a), |start, ga| {
            ga.iter_mut().zip(&g[start..]).for_each(|(v, &d)| *v += d)
        });
    }
}

pub(crate) fn transpose_backward(a: usize, g: &[f32], nodes: &[Node], sink: &mut GradSink<'_>) {
    if sink.wants(a) {
        let (rows, cols) = (nodes[a].value.shape()[0], nodes[a].value.shape()[1]);
        let ga = sink.of(a);
        // y[j, i] = x[i, j], so dx[i, j] += dy[j, i]
        for i in 0..rows {
            for j in 0..cols {
                ga[i * cols + j] += g[j * rows + i];
            }
        }
    }
}

pub(crate) fn concat_backward(
    inputs: &[usize],
    axis: usize,
    out: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    let (outer, out_len, inner) = split_at_axis(nodes[out].value.shape(), axis);
    let mut offset = 0; // where this input starts along the axis
    for &p in inputs {
        let len = nodes[p].value.shape()[axis];
        if sink.wants(p) {
            let gp = sink.of(p);
            for o in 0..outer {
                let src = (o * out_len + offset) * inner;
                let dst = o * len * inner;
                for (v, &d) in gp[dst..dst + len * inner]
                    .iter_mut()
                    .zip(&g[src..src + len * inner])
                {
                    *v += d;
                }
            }
        }
        offset += len;
    }
}

impl Tape {
    /// The same elements in the same order, with a new shape of equal element count.
    /// Panics, naming both shapes, if the counts differ.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let y = tape.reshape(x, &[3, 2]);
    /// assert_eq!(tape.shape(y), &[3, 2]);
    /// assert_eq!(tape.value(y).get(&[2, 0]), 5.0);
    /// ```
    pub fn reshape(&mut self, a: Var, shape: &[usize]) -> Var {
        let a = self.index(a, "reshape");
        let x = &self.nodes[a].value;
        let new = Shape::new(shape, "reshape");
        assert_eq!(
            new.numel(),
            x.len(),
            "reshape: cannot reshape {:?} ({} elements) to {shape:?} ({} elements)",
            x.shape(),
            x.len(),
            new.numel()
        );
        let y = self.pool.copy_of(x.data());
        let needs = self.needs_grad(a);
        self.push(Tensor::from_parts(y, new), Op::Reshape { a }, needs)
    }

    /// The transpose of a 2-D tensor: `[m, n]` to `[n, m]`. Panics on other ranks.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let y = tape.transpose(x);
    /// assert_eq!(tape.value(y).data(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    pub fn transpose(&mut self, a: Var) -> Var {
        let a = self.index(a, "transpose");
        let x = &self.nodes[a].value;
        assert_eq!(
            x.shape().len(),
            2,
            "transpose: needs a 2-D tensor, got shape {:?}",
            x.shape()
        );
        let (rows, cols) = (x.shape()[0], x.shape()[1]);
        let mut y = self.pool.zeros(x.len());
        let xd = x.data();
        for i in 0..rows {
            for j in 0..cols {
                y[j * rows + i] = xd[i * cols + j];
            }
        }
        let needs = self.needs_grad(a);
        let shape = Shape::new(&[cols, rows], "transpose");
        self.push(Tensor::from_parts(y, shape), Op::Transpose { a }, needs)
    }

    /// Joins tensors along `axis`; all other dimensions must agree. Panics, naming the
    /// shapes, if they do not, or if `parts` is empty.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let a = tape.input_from(&[1.0, 2.0], &[2, 1]);
    /// let b = tape.input_from(&[3.0, 4.0, 5.0, 6.0], &[2, 2]);
    /// let c = tape.concat(&[a, b], 1);
    /// assert_eq!(tape.shape(c), &[2, 3]);
    /// assert_eq!(tape.value(c).data(), &[1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
    /// ```
    pub fn concat(&mut self, parts: &[Var], axis: usize) -> Var {
        assert!(!parts.is_empty(), "concat: needs at least one tensor");
        let start = self.arena.len();
        for &p in parts {
            let i = self.index(p, "concat");
            self.arena.push(i);
        }
        let inputs = &self.arena[start..];
        let first = self.nodes[inputs[0]].value.shape();
        assert!(
            axis < first.len(),
            "concat: axis {axis} out of range for shape {first:?}"
        );
        let mut dims = [0; MAX_RANK];
        dims[..first.len()].copy_from_slice(first);
        dims[axis] = 0;
        for &i in inputs {
            let s = self.nodes[i].value.shape();
            let compatible = s.len() == first.len()
                && s.iter()
                    .zip(first)
                    .enumerate()
                    .all(|(d, (x, y))| d == axis || x == y);
            assert!(
                compatible,
                "concat: shapes {first:?} and {s:?} differ outside axis {axis}"
            );
            dims[axis] += s[axis];
        }
        let shape = Shape::new(&dims[..first.len()], "concat");
        let (outer, out_len, inner) = split_at_axis(shape.dims(), axis);
        let mut y = self.pool.zeros(shape.numel());
        let mut offset = 0;
        let mut needs = false;
        for &i in inputs {
            let x = &self.nodes[i].value;
            let len = x.shape()[axis];
            for o in 0..outer {
                let dst = (o * out_len + offset) * inner;
                let src = o * len * inner;
                y[dst..dst + len * inner].copy_from_slice(&x.data()[src..src + len * inner]);
            }
            offset += len;
            needs |= self.nodes[i].requires_grad;
        }
        let op = Op::Concat {
            start,
            count: parts.len(),
            axis,
        };
        self.push(Tensor::from_parts(y, shape), op, needs)
    }
}
