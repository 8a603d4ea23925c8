//! Checking backward rules against finite differences.
//!
//! The analytic gradient comes from [`Tape::backward`]; the numeric one from central
//! differences `(L(x + h) - L(x - h)) / (2h)` of the forward pass, evaluated in `f64`.
//! A function with a tensor output is reduced to the scalar `L = sum_k w_k out_k` with fixed,
//! unequal weights `w_k`, so every output element gets a different upstream gradient and a
//! rule that mixes up elements is caught.

use std::fmt;

use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// Step size and tolerances of [`gradcheck`].
///
/// ```
/// let opts = caadam_autograd::GradcheckOptions { eps: 1e-2, ..Default::default() };
/// assert_eq!(opts.rtol, 1e-2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Relative step: element `x` is moved by `h = eps * max(1, |x|)` each way.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance: pass if `|analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)`.
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    /// `eps = 1e-3`, `atol = 1e-3`, `rtol = 1e-2`: the forward runs in `f32`, so a difference
    /// quotient carries about `1e-7 / eps` relative rounding noise.
    ///
    /// ```
    /// let o = caadam_autograd::GradcheckOptions::default();
    /// assert_eq!((o.eps, o.atol, o.rtol), (1e-3, 1e-3, 1e-2));
    /// ```
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-3,
            atol: 1e-3,
            rtol: 1e-2,
        }
    }
}

/// The first element whose analytic and numeric gradients disagree.
///
/// ```
/// use caadam_autograd::{gradcheck, GradcheckOptions, Tensor};
/// // a deliberately wrong "gradient": stop the gradient by feeding the value as an input
/// let err = gradcheck(&[Tensor::from_slice(&[2.0], &[1])], &GradcheckOptions::default(), |t, v| {
///     let x = t.value(v[0]).clone();
///     let c = t.input(x);
///     t.mul(v[0], c) // d/dx (x * c) = c, but the true derivative of x^2 is 2x
/// })
/// .unwrap_err();
/// assert_eq!((err.input, err.index), (0, 0));
/// assert!((err.analytic - 2.0).abs() < 1e-6 && (err.numeric - 4.0).abs() < 1e-2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckError {
    /// Which input tensor.
    pub input: usize,
    /// Which element of it (row-major offset).
    pub index: usize,
    /// From backward.
    pub analytic: f64,
    /// From central differences.
    pub numeric: f64,
}

impl fmt::Display for GradcheckError {
    /// ```
    /// let e = caadam_autograd::GradcheckError { input: 1, index: 2, analytic: 0.5, numeric: 0.25 };
    /// assert!(e.to_string().contains("input 1, element 2"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck: input {}, element {}: analytic gradient {} but numeric {}",
            self.input, self.index, self.analytic, self.numeric
        )
    }
}

impl std::error::Error for GradcheckError {}

/// The fixed weight of output element `k` in the scalar that is differentiated:
/// values in `[0.5, 1.5)`, unequal for neighbours.
fn weight(k: usize) -> f64 {
    0.5 + ((k * 37 + 11) % 23) as f64 / 23.0
}

/// `sum_k w_k out_k` in f64.
fn weighted_sum(out: &Tensor) -> f64 {
    if out.len() == 1 {
        return f64::from(out.data()[0]);
    }
    out.data()
        .iter()
        .enumerate()
        .map(|(k, &v)| weight(k) * f64::from(v))
        .sum()
}

/// Compares the gradients `backward` computes for `f` at `inputs` with central differences
/// of its forward pass. Every input becomes a parameter leaf; `f` builds the function on the
/// given tape from those `Var`s and returns its output (any shape). Returns the first
/// disagreeing element as an error.
///
/// ```
/// use caadam_autograd::{gradcheck, GradcheckOptions, Tensor};
/// let x = Tensor::from_slice(&[0.3, -1.2, 2.0], &[3]);
/// let ok = gradcheck(&[x], &GradcheckOptions::default(), |t, v| t.tanh(v[0]));
/// assert!(ok.is_ok());
/// ```
pub fn gradcheck<F>(inputs: &[Tensor], opts: &GradcheckOptions, f: F) -> Result<(), GradcheckError>
where
    F: Fn(&mut Tape, &[Var]) -> Var,
{
    let analytic = analytic_grads(inputs, &f);
    let mut moved: Vec<Tensor> = inputs.to_vec();
    for (input, grad) in analytic.iter().enumerate() {
        for index in 0..inputs[input].len() {
            let x = f64::from(inputs[input].data()[index]);
            let h = opts.eps * x.abs().max(1.0);
            // the step actually taken, after rounding x +- h to f32
            let (up, down) = ((x + h) as f32, (x - h) as f32);
            moved[input].data_mut()[index] = up;
            let l_up = forward(&moved, &f);
            moved[input].data_mut()[index] = down;
            let l_down = forward(&moved, &f);
            moved[input].data_mut()[index] = inputs[input].data()[index];
            let numeric = (l_up - l_down) / (f64::from(up) - f64::from(down));
            let a = f64::from(grad.data()[index]);
            let tolerance = opts.atol + opts.rtol * a.abs().max(numeric.abs());
            let agrees = (a - numeric).abs() <= tolerance; // false for NaN
            if !agrees {
                return Err(GradcheckError {
                    input,
                    index,
                    analytic: a,
                    numeric,
                });
            }
        }
    }
    Ok(())
}

fn leaves(tape: &mut Tape, inputs: &[Tensor]) -> Vec<Var> {
    inputs
        .iter()
        .enumerate()
        .map(|(slot, t)| tape.param(t.data(), t.shape(), slot))
        .collect()
}

fn analytic_grads<F: Fn(&mut Tape, &[Var]) -> Var>(inputs: &[Tensor], f: &F) -> Vec<Tensor> {
    let mut tape = Tape::new();
    let vars = leaves(&mut tape, inputs);
    let out = f(&mut tape, &vars);
    let loss = if tape.value(out).len() == 1 {
        out
    } else {
        let shape = tape.shape(out).to_vec();
        let w: Vec<f32> = (0..tape.value(out).len())
            .map(|k| weight(k) as f32)
            .collect();
        let w = tape.input_from(&w, &shape);
        let weighted = tape.mul(out, w);
        tape.sum(weighted)
    };
    tape.backward(loss);
    vars.iter()
        .map(|&v| tape.grad(v).expect("every param gets a gradient").clone())
        .collect()
}

fn forward<F: Fn(&mut Tape, &[Var]) -> Var>(inputs: &[Tensor], f: &F) -> f64 {
    let mut tape = Tape::inference();
    let vars = leaves(&mut tape, inputs);
    let out = f(&mut tape, &vars);
    weighted_sum(tape.value(out))
}
