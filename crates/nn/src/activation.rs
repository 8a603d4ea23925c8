//! Element-wise activation functions, usable as parameter-free layers.

use caadam_autograd::{Tape, Var};
use serde::{Deserialize, Serialize};

use crate::module::Module;
use crate::store::ParamStore;

/// An element-wise nonlinearity; each variant is also a parameter-free [`Module`].
///
/// | variant | `f(x)` |
/// |---|---|
/// | `Relu` | `max(x, 0)` |
/// | `LeakyRelu(a)` | `x` if `x > 0`, else `a x` |
/// | `Tanh` | `tanh x` |
/// | `Sigmoid` | `1 / (1 + e^-x)` |
/// | `Gelu` | `x Φ(x)` with the tanh approximation `0.5 x (1 + tanh(sqrt(2/π)(x + 0.044715 x³)))` |
/// | `GeluExact` | `x Φ(x)`, `Φ` the normal CDF (through `erf`) |
/// | `Identity` | `x` |
///
/// ```
/// use caadam_autograd::{Tape, Tensor};
/// use caadam_nn::{predict, Activation, ParamLayout, ParamStore};
/// let params = ParamStore::new(ParamLayout::new());
/// let x = Tensor::new(vec![-2.0, 3.0], &[1, 2]);
/// assert_eq!(predict(&Activation::LeakyRelu(0.1), &params, &x).data(), &[-0.2, 3.0]);
/// assert_eq!(predict(&Activation::Identity, &params, &x).data(), &[-2.0, 3.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// Rectified linear unit.
    Relu,
    /// ReLU with slope `a` (the value carried) for negative inputs.
    LeakyRelu(f32),
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// GELU, tanh approximation (as `torch.nn.GELU(approximate="tanh")`).
    Gelu,
    /// GELU through the error function (as `torch.nn.GELU()`).
    GeluExact,
    /// No-op (a linear layer's output stays linear).
    Identity,
}

impl Activation {
    /// Applies the function to `x` on the tape.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// use caadam_nn::Activation;
    /// let mut tape = Tape::new();
    /// let x = tape.input_from(&[-1.0, 0.0, 1.0], &[3]);
    /// let y = Activation::Relu.apply(&mut tape, x);
    /// assert_eq!(tape.value(y).data(), &[0.0, 0.0, 1.0]);
    /// ```
    pub fn apply(self, tape: &mut Tape, x: Var) -> Var {
        match self {
            Activation::Relu => tape.relu(x),
            Activation::LeakyRelu(slope) => tape.leaky_relu(x, slope),
            Activation::Tanh => tape.tanh(x),
            Activation::Sigmoid => tape.sigmoid(x),
            Activation::Gelu => tape.gelu(x),
            Activation::GeluExact => tape.gelu_exact(x),
            Activation::Identity => x,
        }
    }
}

impl Module for Activation {
    fn forward(&self, tape: &mut Tape, _params: &ParamStore, x: Var) -> Var {
        self.apply(tape, x)
    }

    /// Elementwise.
    fn rows_independent(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caadam_autograd::Tensor;

    use crate::layout::ParamLayout;
    use crate::module::predict;

    /// Values from the closed forms, computed in f64 here rather than by the tape.
    #[test]
    fn each_activation_matches_its_formula() {
        let xs = [-2.0f32, -0.5, 0.0, 0.7, 3.0];
        let params = ParamStore::new(ParamLayout::new());
        let x = Tensor::new(xs.to_vec(), &[1, 5]);
        let erf_phi = |x: f64| 0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2));
        type Formula = fn(f64) -> f64;
        let cases: [(Activation, Formula); 5] = [
            (Activation::Relu, |x| x.max(0.0)),
            (Activation::LeakyRelu(0.2), |x| {
                if x > 0.0 {
                    x
                } else {
                    0.2 * x
                }
            }),
            (Activation::Tanh, f64::tanh),
            (Activation::Sigmoid, |x| 1.0 / (1.0 + (-x).exp())),
            (Activation::Gelu, |x| {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())
            }),
        ];
        for (act, f) in cases {
            let y = predict(&act, &params, &x);
            for (&xi, &yi) in xs.iter().zip(y.data()) {
                let expected = f(f64::from(xi));
                assert!(
                    (f64::from(yi) - expected).abs() < 1e-6,
                    "{act:?}({xi}) = {yi}, not {expected}"
                );
            }
        }
        let y = predict(&Activation::GeluExact, &params, &x);
        for (&xi, &yi) in xs.iter().zip(y.data()) {
            let expected = f64::from(xi) * erf_phi(f64::from(xi));
            assert!(
                (f64::from(yi) - expected).abs() < 1e-5,
                "gelu_exact({xi}) = {yi}"
            );
        }
    }

    /// erf by its Maclaurin series, enough terms for |x| <= 3 to 1e-12.
    fn erf(x: f64) -> f64 {
        let mut term = x;
        let mut sum = x;
        for n in 1..120 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }
}
