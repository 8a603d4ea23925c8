//! Activation functions: relu, leaky_relu, tanh, sigmoid, gelu (tanh approximation) and
//! gelu_exact (with the error function). Pointwise, so they share the machinery of
//! `elementwise`: forward `y = f(x)`, backward `dx += dy * f'(x)`.

use crate::erf::erf;
use crate::op::Op;
use crate::ops::elementwise::{backward_pointwise, forward_pointwise, Pointwise, PointwiseLoop};
use crate::tape::{GradSink, Node, Tape, Var};

/// sqrt(2/pi), the scale inside the tanh approximation of GELU.
const SQRT_2_OVER_PI: f32 = 0.797_884_6;
/// The cubic coefficient of the tanh approximation (Hendrycks & Gimpel 2016).
const GELU_CUBIC: f32 = 0.044_715;

#[derive(Clone, Copy, Debug)]
pub(crate) enum ActivationKind {
    Relu,
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
    Gelu,
    GeluExact,
}

impl Pointwise for ActivationKind {
    /// Each kind's `x -> (f(x), f'(x))`: forward and backward rule side by side.
    fn with<J: PointwiseLoop>(self, job: J) {
        match self {
            // slope 0 at the kink, as PyTorch
            ActivationKind::Relu => job.run(|x| if x > 0.0 { (x, 1.0) } else { (0.0, 0.0) }),
            ActivationKind::LeakyRelu(slope) => job.run(move |x| {
                if x > 0.0 {
                    (x, 1.0)
                } else {
                    (slope * x, slope)
                }
            }),
            ActivationKind::Tanh => job.run(|x| {
                let y = x.tanh();
                (y, 1.0 - y * y)
            }),
            ActivationKind::Sigmoid => job.run(|x| {
                let y = sigmoid(x);
                (y, y * (1.0 - y))
            }),
            ActivationKind::Gelu => job.run(gelu_tanh),
            ActivationKind::GeluExact => job.run(gelu_erf),
        }
    }
}

/// The logistic function, written so that `exp` never overflows: for negative x use
/// `e^x / (1 + e^x)`, for positive x `1 / (1 + e^-x)`.
#[inline]
pub(crate) fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `0.5 x (1 + tanh(u))`, `u = sqrt(2/pi) (x + 0.044715 x^3)`, and its derivative
/// `0.5 (1 + t) + 0.5 x (1 - t^2) du/dx`.
#[inline]
fn gelu_tanh(x: f32) -> (f32, f32) {
    // Far out, tanh has saturated; x^3 would overflow and 0 * inf would give NaN.
    if x > 10.0 {
        return (x, 1.0);
    }
    if x < -10.0 {
        return (0.0, 0.0);
    }
    let u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
    let t = u.tanh();
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
    (
        0.5 * x * (1.0 + t),
        0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du,
    )
}

/// `x Phi(x)` with `Phi` the standard normal CDF, and its derivative `Phi(x) + x phi(x)`.
#[inline]
fn gelu_erf(x: f32) -> (f32, f32) {
    let x = f64::from(x);
    let cdf = 0.5 * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2));
    let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    ((x * cdf) as f32, (cdf + x * pdf) as f32)
}

/// `dx += dy * f'(x)`.
pub(crate) fn backward(
    kind: ActivationKind,
    a: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    backward_pointwise(kind, a, g, nodes, sink)
}

impl Tape {
    fn activation(&mut self, a: Var, kind: ActivationKind, name: &str) -> Var {
        let a = self.index(a, name);
        let y = forward_pointwise(self, a, kind);
        let needs = self.needs_grad(a);
        self.push(y, Op::Activation { a, kind }, needs)
    }

    /// `max(a, 0)` elementwise (gradient 0 at 0).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[-1.0, 0.0, 2.0], &[3]);
    /// let y = tape.relu(x);
    /// assert_eq!(tape.value(y).data(), &[0.0, 0.0, 2.0]);
    /// ```
    pub fn relu(&mut self, a: Var) -> Var {
        self.activation(a, ActivationKind::Relu, "relu")
    }

    /// `a` where positive, `slope * a` elsewhere.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[-2.0, 3.0], &[2]);
    /// let y = tape.leaky_relu(x, 0.1);
    /// assert_eq!(tape.value(y).data(), &[-0.2, 3.0]);
    /// ```
    pub fn leaky_relu(&mut self, a: Var, slope: f32) -> Var {
        self.activation(a, ActivationKind::LeakyRelu(slope), "leaky_relu")
    }

    /// Hyperbolic tangent elementwise.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[0.0], &[1]);
    /// let y = tape.tanh(x);
    /// assert_eq!(tape.value(y).data(), &[0.0]);
    /// ```
    pub fn tanh(&mut self, a: Var) -> Var {
        self.activation(a, ActivationKind::Tanh, "tanh")
    }

    /// The logistic function `1 / (1 + e^-a)`, computed without overflow.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[0.0, -1000.0], &[2]);
    /// let y = tape.sigmoid(x);
    /// assert_eq!(tape.value(y).data(), &[0.5, 0.0]);
    /// ```
    pub fn sigmoid(&mut self, a: Var) -> Var {
        self.activation(a, ActivationKind::Sigmoid, "sigmoid")
    }

    /// GELU with the tanh approximation (as PyTorch's `approximate="tanh"` and Keras's
    /// `approximate=True`): `0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3)))`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[0.0, 1.0], &[2]);
    /// let y = tape.gelu(x);
    /// assert_eq!(tape.value(y).data()[0], 0.0);
    /// assert!((tape.value(y).data()[1] - 0.841192).abs() < 1e-5);
    /// ```
    pub fn gelu(&mut self, a: Var) -> Var {
        self.activation(a, ActivationKind::Gelu, "gelu")
    }

    /// Exact GELU, `a * Phi(a)` with `Phi` the standard normal CDF (via [`erf`](crate::erf())).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0], &[1]);
    /// let y = tape.gelu_exact(x);
    /// assert!((tape.value(y).data()[0] - 0.8413447).abs() < 1e-6); // Phi(1)
    /// ```
    pub fn gelu_exact(&mut self, a: Var) -> Var {
        self.activation(a, ActivationKind::GeluExact, "gelu_exact")
    }
}
