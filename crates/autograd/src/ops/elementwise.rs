//! Pointwise maps `y = f(x)` of one tensor: negation, scalar add/mul, powers, exp, log,
//! sqrt, abs, clamp. Backward: `dx += dy * f'(x)`.

use crate::op::Op;
use crate::parallel;
use crate::tape::{GradSink, Node, Tape, Var, Write};
use crate::tensor::Tensor;

/// A pointwise function with its derivative.
#[derive(Clone, Copy, Debug)]
pub(crate) enum UnaryKind {
    Neg,
    AddScalar(f32),
    MulScalar(f32),
    PowF(f32),
    Exp,
    Log,
    Sqrt,
    Abs,
    Clamp(f32, f32),
}

impl Pointwise for UnaryKind {
    /// Each kind's `x -> (f(x), f'(x))`: forward and backward rule side by side.
    fn with<J: PointwiseLoop>(self, job: J) {
        match self {
            UnaryKind::Neg => job.run(|x| (-x, -1.0)),
            UnaryKind::AddScalar(s) => job.run(move |x| (x + s, 1.0)),
            UnaryKind::MulScalar(s) => job.run(move |x| (x * s, s)),
            // d/dx x^p = p x^(p-1); p = 0 is the constant 1, slope 0 (not 0 * x^-1 = NaN at 0)
            UnaryKind::PowF(p) => {
                job.run(move |x| (x.powf(p), if p == 0.0 { 0.0 } else { p * x.powf(p - 1.0) }))
            }
            UnaryKind::Exp => job.run(|x| {
                let y = x.exp();
                (y, y)
            }),
            UnaryKind::Log => job.run(|x| (x.ln(), 1.0 / x)),
            UnaryKind::Sqrt => job.run(|x| {
                let y = x.sqrt();
                (y, 0.5 / y)
            }),
            // the subgradient 0 at the kink, as PyTorch
            UnaryKind::Abs => job.run(|x| {
                let slope = if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                (x.abs(), slope)
            }),
            // gradient passes inside the closed interval, as PyTorch
            UnaryKind::Clamp(lo, hi) => {
                job.run(move |x| (x.clamp(lo, hi), if x >= lo && x <= hi { 1.0 } else { 0.0 }))
            }
        }
    }
}

/// A loop to run with one concrete pointwise function `x -> (f(x), f'(x))`.
///
/// Handing the function over as a generic closure (one instantiation per kind) lets the
/// compiler inline it into the loop and vectorize, instead of matching on the kind for every
/// element.
pub(crate) trait PointwiseLoop {
    fn run<F: Fn(f32) -> (f32, f32) + Copy + Send + Sync>(self, f: F);
}

/// A family of pointwise functions (one enum per file), each with its derivative.
pub(crate) trait Pointwise: Copy {
    /// Runs `job` with this kind's function.
    fn with<J: PointwiseLoop>(self, job: J);
}

/// `y = f(x)`.
struct ForwardLoop<'a> {
    x: &'a [f32],
    y: &'a mut [f32],
}

impl PointwiseLoop for ForwardLoop<'_> {
    fn run<F: Fn(f32) -> (f32, f32) + Copy + Send + Sync>(self, f: F) {
        parallel::map(self.y, self.x, move |x| f(x).0);
    }
}

/// `dx += dy * f'(x)` (or `dx = ...` for the first contribution).
struct BackwardLoop<'a> {
    x: &'a [f32],
    dy: &'a [f32],
    dx: &'a mut [f32],
    mode: Write,
}

impl PointwiseLoop for BackwardLoop<'_> {
    fn run<F: Fn(f32) -> (f32, f32) + Copy + Send + Sync>(self, f: F) {
        let slope = move |dy: f32, x| dy * f(x).1;
        parallel::write_map2(self.dx, self.mode, self.dy, self.x, slope);
    }
}

/// `y = f(x)` into a pooled buffer.
pub(crate) fn forward_pointwise(tape: &mut Tape, a: usize, f: impl Pointwise) -> Tensor {
    let x = &tape.nodes[a].value;
    let mut y = tape.pool.for_overwrite(x.len()); // every element is written
    f.with(ForwardLoop {
        x: x.data(),
        y: &mut y,
    });
    Tensor::from_parts(y, x.shape_inline())
}

/// `dx += dy * f'(x)`.
pub(crate) fn backward_pointwise(
    f: impl Pointwise,
    a: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    if sink.wants(a) {
        let x = nodes[a].value.data();
        let (dx, mode) = sink.write(a);
        f.with(BackwardLoop { x, dy: g, dx, mode });
    }
}

pub(crate) fn backward(
    kind: UnaryKind,
    a: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    backward_pointwise(kind, a, g, nodes, sink)
}

impl Tape {
    fn unary(&mut self, a: Var, kind: UnaryKind, name: &str) -> Var {
        let a = self.index(a, name);
        let y = forward_pointwise(self, a, kind);
        let needs = self.needs_grad(a);
        self.push(y, Op::Unary { a, kind }, needs)
    }

    /// `-a`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, -2.0], &[2]);
    /// let y = tape.neg(x);
    /// assert_eq!(tape.value(y).data(), &[-1.0, 2.0]);
    /// ```
    pub fn neg(&mut self, a: Var) -> Var {
        self.unary(a, UnaryKind::Neg, "neg")
    }

    /// `a + s` for a constant `s`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0], &[2]);
    /// let y = tape.add_scalar(x, 0.5);
    /// assert_eq!(tape.value(y).data(), &[1.5, 2.5]);
    /// ```
    pub fn add_scalar(&mut self, a: Var, s: f32) -> Var {
        self.unary(a, UnaryKind::AddScalar(s), "add_scalar")
    }

    /// `a * s` for a constant `s`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0], &[2]);
    /// let y = tape.mul_scalar(x, 3.0);
    /// assert_eq!(tape.value(y).data(), &[3.0, 6.0]);
    /// ```
    pub fn mul_scalar(&mut self, a: Var, s: f32) -> Var {
        self.unary(a, UnaryKind::MulScalar(s), "mul_scalar")
    }

    /// `a^p` elementwise (NaN for negative `a` and non-integer `p`, as `f32::powf`).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[2.0, 3.0], &[2]);
    /// let y = tape.powf(x, 2.0);
    /// assert_eq!(tape.value(y).data(), &[4.0, 9.0]);
    /// ```
    pub fn powf(&mut self, a: Var, p: f32) -> Var {
        self.unary(a, UnaryKind::PowF(p), "powf")
    }

    /// `e^a` elementwise.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[0.0], &[1]);
    /// let y = tape.exp(x);
    /// assert_eq!(tape.value(y).data(), &[1.0]);
    /// ```
    pub fn exp(&mut self, a: Var) -> Var {
        self.unary(a, UnaryKind::Exp, "exp")
    }

    /// Natural logarithm elementwise.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0], &[1]);
    /// let y = tape.log(x);
    /// assert_eq!(tape.value(y).data(), &[0.0]);
    /// ```
    pub fn log(&mut self, a: Var) -> Var {
        self.unary(a, UnaryKind::Log, "log")
    }

    /// Square root elementwise.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[4.0, 9.0], &[2]);
    /// let y = tape.sqrt(x);
    /// assert_eq!(tape.value(y).data(), &[2.0, 3.0]);
    /// ```
    pub fn sqrt(&mut self, a: Var) -> Var {
        self.unary(a, UnaryKind::Sqrt, "sqrt")
    }

    /// `|a|` elementwise; its gradient at 0 is 0.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[-1.5, 2.0], &[2]);
    /// let y = tape.abs(x);
    /// assert_eq!(tape.value(y).data(), &[1.5, 2.0]);
    /// ```
    pub fn abs(&mut self, a: Var) -> Var {
        self.unary(a, UnaryKind::Abs, "abs")
    }

    /// Clamps every element to `[lo, hi]`; the gradient passes where `lo <= a <= hi`.
    /// Panics if `lo > hi`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[-2.0, 0.5, 2.0], &[3]);
    /// let y = tape.clamp(x, -1.0, 1.0);
    /// assert_eq!(tape.value(y).data(), &[-1.0, 0.5, 1.0]);
    /// ```
    pub fn clamp(&mut self, a: Var, lo: f32, hi: f32) -> Var {
        assert!(lo <= hi, "clamp: need lo <= hi, got lo = {lo}, hi = {hi}");
        self.unary(a, UnaryKind::Clamp(lo, hi), "clamp")
    }
}
