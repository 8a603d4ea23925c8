//! Losses, each reduced by the mean to a rank-0 scalar: mse, mae, huber, bce_with_logits
//! (pointwise between a prediction and a target of the same shape) and softmax
//! cross-entropy with integer labels.
//!
//! The sum over elements uses the fixed chunking of [`crate::parallel`] with `f64`
//! accumulation, so a loss is bit-identical on any number of threads.

use crate::op::Op;
use crate::ops::activation::sigmoid;
use crate::ops::broadcast::BinaryLoop;
use crate::parallel;
use crate::shape::Shape;
use crate::tape::{GradSink, Node, Tape, Var, Write};
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug)]
pub(crate) enum LossKind {
    Mse,
    Mae,
    Huber(f32),
    BceWithLogits,
}

/// `1`, `-1` or `0` (the subgradient at 0, as PyTorch).
#[inline]
fn sign(r: f32) -> f32 {
    if r > 0.0 {
        1.0
    } else if r < 0.0 {
        -1.0
    } else {
        0.0
    }
}

impl LossKind {
    /// Runs `job` with this kind's `(p, t) -> (l, dl/dp, dl/dt)` for one prediction `p` and
    /// target `t`: forward and backward rule side by side.
    fn with<J: BinaryLoop>(self, job: J) {
        match self {
            LossKind::Mse => job.run(|p, t| {
                let r = p - t;
                (r * r, 2.0 * r, -2.0 * r)
            }),
            LossKind::Mae => job.run(|p, t| {
                let r = p - t;
                (r.abs(), sign(r), -sign(r))
            }),
            // quadratic inside [-delta, delta], linear outside, continuous slope (PyTorch's
            // HuberLoss)
            LossKind::Huber(delta) => job.run(move |p, t| {
                let r = p - t;
                if r.abs() <= delta {
                    (0.5 * r * r, r, -r)
                } else {
                    let s = delta * sign(r);
                    (delta * (r.abs() - 0.5 * delta), s, -s)
                }
            }),
            // -[t ln s(p) + (1-t) ln(1-s(p))] rewritten as max(p,0) - p t + ln(1 + e^-|p|),
            // which never takes the log of 0 nor overflows exp
            LossKind::BceWithLogits => job.run(|p, t| {
                let l = p.max(0.0) - p * t + (-p.abs()).exp().ln_1p();
                (l, sigmoid(p) - t, -p)
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            LossKind::Mse => "mse",
            LossKind::Mae => "mae",
            LossKind::Huber(_) => "huber",
            LossKind::BceWithLogits => "bce_with_logits",
        }
    }
}

pub(crate) fn backward(
    kind: LossKind,
    pred: usize,
    target: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    let (p, t) = (nodes[pred].value.data(), nodes[target].value.data());
    let scale = g[0] / p.len() as f32; // d(mean)/d(element) = 1/n
    if sink.wants(pred) {
        let (dst, mode) = sink.write(pred);
        kind.with(Backward::<false> {
            p,
            t,
            scale,
            dst,
            mode,
        });
    }
    if sink.wants(target) {
        let (dst, mode) = sink.write(target);
        kind.with(Backward::<true> {
            p,
            t,
            scale,
            dst,
            mode,
        });
    }
}

/// `dp += scale * dl/dp` (or, with `WRT_T`, `dt += scale * dl/dt`); `=` for the first
/// contribution.
struct Backward<'a, const WRT_T: bool> {
    p: &'a [f32],
    t: &'a [f32],
    scale: f32,
    dst: &'a mut [f32],
    mode: Write,
}

impl<const WRT_T: bool> BinaryLoop for Backward<'_, WRT_T> {
    fn run<F: Fn(f32, f32) -> (f32, f32, f32) + Copy + Send + Sync>(self, f: F) {
        let scale = self.scale;
        parallel::write_map2(self.dst, self.mode, self.p, self.t, move |p, t| {
            let (_, dp, dt) = f(p, t);
            scale * if WRT_T { dt } else { dp }
        });
    }
}

/// The sum of the per-element losses, in f64 over fixed chunks.
struct Total<'a> {
    p: &'a [f32],
    t: &'a [f32],
    partials: &'a mut Vec<f64>,
    total: &'a mut f64,
}

impl BinaryLoop for Total<'_> {
    fn run<F: Fn(f32, f32) -> (f32, f32, f32) + Copy + Send + Sync>(self, f: F) {
        let (p, t) = (self.p, self.t);
        *self.total = parallel::chunked_sum(p.len(), self.partials, move |r| {
            let (p, t) = (&p[r.clone()], &t[r]);
            parallel::lane_sum(p.len(), |i| f64::from(f(p[i], t[i]).0))
        });
    }
}

/// `log(sum(exp(row)))`, shifted by the row maximum so `exp` cannot overflow.
fn log_sum_exp(row: &[f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = row.iter().map(|&z| (z - max).exp()).sum();
    max + sum.ln()
}

pub(crate) fn cross_entropy_backward(
    logits: usize,
    labels: &[usize],
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    if !sink.wants(logits) {
        return;
    }
    let z = &nodes[logits].value;
    let classes = z.shape()[1];
    let scale = g[0] / labels.len() as f32;
    let gz = sink.of(logits);
    // d/dz_ij of (lse(z_i) - z_i,label) is softmax(z_i)_j - [j == label]
    for (i, &label) in labels.iter().enumerate() {
        let row = &z.data()[i * classes..(i + 1) * classes];
        let lse = log_sum_exp(row);
        for (j, (gv, &zv)) in gz[i * classes..(i + 1) * classes]
            .iter_mut()
            .zip(row)
            .enumerate()
        {
            let onehot = if j == label { 1.0 } else { 0.0 };
            *gv += scale * ((zv - lse).exp() - onehot);
        }
    }
}

impl Tape {
    fn pointwise_loss(&mut self, pred: Var, target: Var, kind: LossKind) -> Var {
        let name = kind.name();
        let (pred, target) = (self.index(pred, name), self.index(target, name));
        let (p, t) = (&self.nodes[pred].value, &self.nodes[target].value);
        assert!(
            p.shape() == t.shape(),
            "{name}: prediction shape {:?} and target shape {:?} must be equal",
            p.shape(),
            t.shape()
        );
        let (p, t) = (p.data(), t.data());
        let mut total = 0.0;
        let partials = &mut self.partials;
        kind.with(Total {
            p,
            t,
            partials,
            total: &mut total,
        });
        let mean = (total / p.len() as f64) as f32;
        let needs = self.needs_grad(pred) || self.needs_grad(target);
        self.push_scalar(mean, Op::Loss { pred, target, kind }, needs, name)
    }

    fn push_scalar(&mut self, value: f32, op: Op, needs: bool, name: &str) -> Var {
        let mut out = self.pool.zeros(1);
        out[0] = value;
        self.push(Tensor::from_parts(out, Shape::new(&[], name)), op, needs)
    }

    /// Mean squared error, `mean((pred - target)^2)`. The shapes must be equal (no
    /// broadcasting: a `[n, 1]` prediction against a `[n]` target is a bug, not a loss).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let p = tape.input_from(&[1.0, 2.0], &[2]);
    /// let t = tape.input_from(&[0.0, 4.0], &[2]);
    /// let l = tape.mse(p, t);
    /// assert_eq!(tape.value(l).item(), 2.5); // (1 + 4) / 2
    /// ```
    pub fn mse(&mut self, pred: Var, target: Var) -> Var {
        self.pointwise_loss(pred, target, LossKind::Mse)
    }

    /// Mean absolute error, `mean(|pred - target|)`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let p = tape.input_from(&[1.0, 2.0], &[2]);
    /// let t = tape.input_from(&[0.0, 4.0], &[2]);
    /// let l = tape.mae(p, t);
    /// assert_eq!(tape.value(l).item(), 1.5);
    /// ```
    pub fn mae(&mut self, pred: Var, target: Var) -> Var {
        self.pointwise_loss(pred, target, LossKind::Mae)
    }

    /// Huber loss (PyTorch's `HuberLoss`): per element `r = pred - target`, `0.5 r^2` if
    /// `|r| <= delta`, else `delta (|r| - 0.5 delta)`; then the mean. Panics if `delta <= 0`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let p = tape.input_from(&[0.5, 3.0], &[2]);
    /// let t = tape.input_from(&[0.0, 0.0], &[2]);
    /// let l = tape.huber(p, t, 1.0);
    /// assert_eq!(tape.value(l).item(), (0.125 + 2.5) / 2.0);
    /// ```
    pub fn huber(&mut self, pred: Var, target: Var, delta: f32) -> Var {
        assert!(delta > 0.0, "huber: delta must be positive, got {delta}");
        self.pointwise_loss(pred, target, LossKind::Huber(delta))
    }

    /// Binary cross-entropy on logits, `mean(-[t ln s(z) + (1 - t) ln(1 - s(z))])` with `s`
    /// the sigmoid, computed stably as `max(z, 0) - z t + ln(1 + e^-|z|)`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let z = tape.input_from(&[0.0], &[1]);
    /// let t = tape.input_from(&[1.0], &[1]);
    /// let l = tape.bce_with_logits(z, t);
    /// assert!((tape.value(l).item() - 2f32.ln()).abs() < 1e-7);
    /// ```
    pub fn bce_with_logits(&mut self, logits: Var, targets: Var) -> Var {
        self.pointwise_loss(logits, targets, LossKind::BceWithLogits)
    }

    /// Softmax cross-entropy of `logits` `[n, classes]` against integer `labels` (`n` of
    /// them, each `< classes`), averaged over the rows: `mean_i(logsumexp(z_i) - z_i[label_i])`.
    /// Stable for large logits.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let z = tape.input_from(&[0.0, 0.0, 5.0, 5.0], &[2, 2]);
    /// let l = tape.cross_entropy(z, &[0, 1]);
    /// assert!((tape.value(l).item() - 2f32.ln()).abs() < 1e-6); // uniform over 2 classes
    /// ```
    pub fn cross_entropy(&mut self, logits: Var, labels: &[usize]) -> Var {
        let logits = self.index(logits, "cross_entropy");
        let z = &self.nodes[logits].value;
        let dims = z.shape();
        assert!(
            dims.len() == 2 && dims[0] == labels.len(),
            "cross_entropy: logits of shape {dims:?} need shape [n, classes] with n = {} labels",
            labels.len()
        );
        let classes = dims[1];
        let mut total = 0.0f64;
        for (i, &label) in labels.iter().enumerate() {
            assert!(
                label < classes,
                "cross_entropy: label {label} at row {i} is out of range for {classes} classes (logits shape {dims:?})"
            );
            let row = &z.data()[i * classes..(i + 1) * classes];
            let lse = log_sum_exp(row);
            total += f64::from(lse - row[label]);
        }
        let mean = (total / labels.len() as f64) as f32;
        let start = self.arena.len();
        self.arena.extend_from_slice(labels);
        let needs = self.needs_grad(logits);
        self.push_scalar(
            mean,
            Op::CrossEntropy { logits, start },
            needs,
            "cross_entropy",
        )
    }
}
