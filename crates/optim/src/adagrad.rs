//! Adagrad (torch.optim.Adagrad).

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::ensure_non_negative;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{objective, weight_decay, FiniteGrads, OptimError, Optimizer};
use caadam_autograd::simd_kernel;

/// Adagrad's hyperparameters; defaults are torch.optim.Adagrad's.
///
/// Update (torch): `g += wd*theta; clr = lr / (1 + (t-1)*lr_decay); sum += g^2;
/// theta -= clr * g / (sqrt(sum) + eps)`, with `sum` starting at `initial_accumulator_value`.
///
/// ```
/// let c = caadam_optim::AdagradConfig::default();
/// assert_eq!((c.lr, c.lr_decay, c.weight_decay, c.initial_accumulator_value, c.eps), (1e-2, 0.0, 0.0, 0.0, 1e-10));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdagradConfig {
    /// Learning rate.
    pub lr: f64,
    /// Learning-rate decay per step.
    pub lr_decay: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Starting value of the sum of squared gradients.
    pub initial_accumulator_value: f64,
    /// Added to the denominator.
    pub eps: f64,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

/// torch.optim.Adagrad over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Adagrad, AdagradConfig, Optimizer};
/// let mut opt = Adagrad::new(AdagradConfig { lr: 1.0, eps: 0.0, ..Default::default() }, &ParamLayout::flat("w", 1)).unwrap();
/// let mut w = [0.0f32];
/// opt.step(&mut w, &[3.0]).unwrap(); // sum = 9: step 3/3
/// opt.step(&mut w, &[4.0]).unwrap(); // sum = 25: step 4/5
/// assert!((w[0] + 1.8).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Adagrad {
    config: AdagradConfig,
    /// `sum`: the running sum of squared gradients.
    slots: Slots,
}

impl Adagrad {
    /// Builds Adagrad for `layout`.
    ///
    /// ```
    /// use caadam_optim::{Adagrad, AdagradConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(Adagrad::new(AdagradConfig { initial_accumulator_value: -1.0, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: AdagradConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let sum = [("sum", c.initial_accumulator_value as f32)];
        let slots = Slots::new("adagrad", layout, c.lr, &sum)?;
        ensure_non_negative(
            "adagrad",
            &[
                ("lr_decay", c.lr_decay),
                ("weight_decay", c.weight_decay),
                ("initial_accumulator_value", c.initial_accumulator_value),
                ("eps", c.eps),
            ],
        )?;
        Ok(Self { config, slots })
    }
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it;
// `simd_kernel!` compiles it for the widest SIMD the CPU has.
simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], sum: &mut [f32], sign: f32, clr: f32, wd: f32, eps: f32) {
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(sum.iter_mut()) {
            let g = weight_decay::l2(sign * g, *p, wd);
            *s += g * g;
            *p -= clr * (g / (s.sqrt() + eps));
        }
    }
}

impl Optimizer for Adagrad {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        self.slots.step += 1;
        let decays = (self.slots.step - 1) as f64 * self.config.lr_decay;
        let clr = (self.slots.lr / (1.0 + decays)) as f32;
        let wd = self.config.weight_decay as f32;
        let eps = self.config.eps as f32;
        let sign = objective::sign(self.config.maximize);
        for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 1>| {
            let [sum] = l.state;
            kernel(l.params, l.grads, sum, sign, clr, wd, eps);
        });
        Ok(())
    }

    delegate_to_slots!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lr_decay_and_initial_accumulator() {
        // step 1: sum = 1 + 1 = 2, clr = 1: theta = -1/sqrt(2)
        // step 2: sum = 2 + 1 = 3, clr = 1/(1 + 1) = 0.5: theta -= 0.5/sqrt(3)
        let c = AdagradConfig {
            lr: 1.0,
            lr_decay: 1.0,
            initial_accumulator_value: 1.0,
            eps: 0.0,
            ..Default::default()
        };
        let mut opt = Adagrad::new(c, &ParamLayout::flat("w", 1)).unwrap();
        let mut w = [0.0f32];
        opt.step(&mut w, &[1.0]).unwrap();
        opt.step(&mut w, &[1.0]).unwrap();
        let expected = -1.0 / 2f64.sqrt() - 0.5 / 3f64.sqrt();
        assert!((w[0] as f64 - expected).abs() < 1e-6);
    }
}
