//! Adamax (torch.optim.Adamax): Adam with an infinity-norm second moment.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::{ensure_betas, ensure_non_negative};
use crate::moments::flush_subnormal;
use crate::optimizer::bias_correction;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{objective, weight_decay, FiniteGrads, OptimError, Optimizer};
use caadam_autograd::simd_kernel;

/// Adamax's hyperparameters; defaults are torch.optim.Adamax's.
///
/// Update (torch): `m` as Adam; `u = max(b2*u, |g| + eps)`;
/// `theta -= lr/(1-b1^t) * m/u`.
///
/// ```
/// let c = caadam_optim::AdamaxConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps, c.weight_decay), (2e-3, (0.9, 0.999), 1e-8, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamaxConfig {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`.
    pub betas: (f64, f64),
    /// Added to `|g|` in the infinity norm.
    pub eps: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

/// torch.optim.Adamax over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Adamax, AdamaxConfig, Optimizer};
/// let c = AdamaxConfig { lr: 0.1, eps: 0.0, ..Default::default() };
/// let mut opt = Adamax::new(c, &ParamLayout::flat("w", 1)).unwrap();
/// let mut w = [0.0f32];
/// opt.step(&mut w, &[-4.0]).unwrap(); // m/(1-b1) = -4, u = 4
/// assert!((w[0] - 0.1).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Adamax {
    config: AdamaxConfig,
    /// `exp_avg` (m) and `exp_inf` (u, the infinity norm).
    slots: Slots,
}

impl Adamax {
    /// Builds Adamax for `layout`.
    ///
    /// ```
    /// use caadam_optim::{Adamax, AdamaxConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(Adamax::new(AdamaxConfig { lr: -1.0, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: AdamaxConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let buffers = [("exp_avg", 0.0), ("exp_inf", 0.0)];
        let slots = Slots::new("adamax", layout, c.lr, &buffers)?;
        ensure_betas("adamax", c.betas)?;
        ensure_non_negative(
            "adamax",
            &[("eps", c.eps), ("weight_decay", c.weight_decay)],
        )?;
        Ok(Self { config, slots })
    }
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it;
// `simd_kernel!` compiles it for the widest SIMD the CPU has.
simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], m: &mut [f32], u: &mut [f32], k: [f32; 6]) {
        let [sign, one_minus_b1, b2, wd, eps, clr] = k;
        for (((p, &g), m), u) in params
            .iter_mut()
            .zip(grads)
            .zip(m.iter_mut())
            .zip(u.iter_mut())
        {
            let g = weight_decay::l2(sign * g, *p, wd);
            *m = flush_subnormal(*m + one_minus_b1 * (g - *m));
            *u = (b2 * *u).max(g.abs() + eps);
            *p -= clr * (*m / *u);
        }
    }
}

impl Optimizer for Adamax {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let c = &self.config;
        let (b1, b2) = c.betas;
        let t = self.slots.step + 1;
        let clr = (self.slots.lr / bias_correction(b1, t)) as f32;
        let (one_minus_b1, b2f) = ((1.0 - b1) as f32, b2 as f32);
        let sign = objective::sign(c.maximize);
        let k = [
            sign,
            one_minus_b1,
            b2f,
            c.weight_decay as f32,
            c.eps as f32,
            clr,
        ];
        for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 2>| {
            let [m, u] = l.state;
            kernel(l.params, l.grads, m, u, k);
        });
        self.slots.step = t;
        Ok(())
    }

    delegate_to_slots!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinity_norm_remembers_a_large_gradient() {
        // step 1: g = 10, u = 10; step 2: g = 1, u = max(9.99, 1) = 9.99, m = 0.9 + 0.1 = 1.0.
        let c = AdamaxConfig {
            lr: 1.0,
            eps: 0.0,
            ..Default::default()
        };
        let mut opt = Adamax::new(c, &ParamLayout::flat("w", 1)).unwrap();
        let mut w = [0.0f32];
        opt.step(&mut w, &[10.0]).unwrap();
        opt.step(&mut w, &[1.0]).unwrap();
        let expected = -1.0 - (1.0 / 0.19) * (1.0 / 9.99);
        assert!(
            (w[0] as f64 - expected).abs() < 1e-5,
            "{} vs {expected}",
            w[0]
        );
    }
}
