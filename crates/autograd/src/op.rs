//! What each node remembers about how it was computed, and the one place where backward
//! dispatches on it.
//!
//! The `match` in [`backward`] has no wildcard arm: adding an `Op` variant without a backward
//! rule is a compile error. Each rule lives beside its forward in `ops/*`.

use crate::ops::{activation, broadcast, dense, elementwise, loss, matmul, reduce, shape, softmax};
use crate::tape::{GradSink, Node};

/// How a node was computed. Inputs are node indices (always smaller than the node's own).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// A leaf without gradient (data), or any node of an inference tape.
    Input,
    /// A leaf that wants a gradient.
    Param,
    MatMul {
        a: usize,
        b: usize,
    },
    /// `x w + b`: a matrix product and a bias added to every row (a dense layer).
    Affine {
        x: usize,
        w: usize,
        b: usize,
    },
    /// `relu(x w + b)`: a hidden dense layer and its ReLU (see `ops/dense.rs`).
    AffineRelu {
        x: usize,
        w: usize,
        b: usize,
    },
    Binary {
        a: usize,
        b: usize,
        kind: broadcast::BinaryKind,
    },
    Unary {
        a: usize,
        kind: elementwise::UnaryKind,
    },
    Activation {
        a: usize,
        kind: activation::ActivationKind,
    },
    /// Sum of all elements times `scale` (1 for sum, 1/n for mean).
    Sum {
        a: usize,
        scale: f32,
    },
    /// Sum along one axis times `scale` (keepdim only changes the output shape).
    SumAxis {
        a: usize,
        axis: usize,
        scale: f32,
    },
    Reshape {
        a: usize,
    },
    Transpose {
        a: usize,
    },
    /// Inputs are `arena[start..start + count]`.
    Concat {
        start: usize,
        count: usize,
        axis: usize,
    },
    Softmax {
        a: usize,
        axis: usize,
    },
    LogSoftmax {
        a: usize,
        axis: usize,
    },
    /// Mean over elements of a pointwise loss between `pred` and `target`.
    Loss {
        pred: usize,
        target: usize,
        kind: loss::LossKind,
    },
    /// Mean softmax cross-entropy; labels are `arena[start..start + rows]`.
    CrossEntropy {
        logits: usize,
        start: usize,
    },
}

/// Adds node `out`'s contribution to its inputs' gradients, given its gradient `g`.
pub(crate) fn backward(
    op: &Op,
    out: usize,
    g: &[f32],
    nodes: &[Node],
    arena: &[usize],
    sink: &mut GradSink<'_>,
) {
    match *op {
        Op::Input | Op::Param => {}
        Op::MatMul { a, b } => matmul::backward(a, b, g, nodes, sink),
        Op::Affine { x, w, b } => matmul::affine_backward(x, w, b, g, nodes, sink),
        Op::AffineRelu { x, w, b } => dense::backward(x, w, b, out, g, nodes, sink),
        Op::Binary { a, b, kind } => broadcast::backward(kind, a, b, out, g, nodes, sink),
        Op::Unary { a, kind } => elementwise::backward(kind, a, g, nodes, sink),
        Op::Activation { a, kind } => activation::backward(kind, a, g, nodes, sink),
        Op::Sum { a, scale } => reduce::sum_backward(a, scale, g, sink),
        Op::SumAxis { a, axis, scale } => reduce::sum_axis_backward(a, axis, scale, g, nodes, sink),
        Op::Reshape { a } => shape::reshape_backward(a, g, sink),
        Op::Transpose { a } => shape::transpose_backward(a, g, nodes, sink),
        Op::Concat { start, count, axis } => {
            shape::concat_backward(&arena[start..start + count], axis, out, g, nodes, sink)
        }
        Op::Softmax { a, axis } => softmax::softmax_backward(a, axis, out, g, nodes, sink),
        Op::LogSoftmax { a, axis } => softmax::log_softmax_backward(a, axis, out, g, nodes, sink),
        Op::Loss { pred, target, kind } => loss::backward(kind, pred, target, g, nodes, sink),
        Op::CrossEntropy { logits, start } => {
            let rows = nodes[logits].value.shape()[0];
            loss::cross_entropy_backward(logits, &arena[start..start + rows], g, nodes, sink)
        }
    }
}
