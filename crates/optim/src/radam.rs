//! RAdam (torch.optim.RAdam): Adam with the variance of the adaptive step rectified.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::{ensure_betas, ensure_non_negative};
use crate::moments::MomentDecay;
use crate::optimizer::bias_correction;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{objective, weight_decay, FiniteGrads, OptimError, Optimizer};
use caadam_autograd::simd_kernel;

/// RAdam's hyperparameters; defaults are torch.optim.RAdam's.
///
/// Update (torch): `m, v` as Adam; `rho_inf = 2/(1-b2) - 1`,
/// `rho_t = rho_inf - 2 t b2^t/(1-b2^t)`. If `rho_t > 5`:
/// `r = sqrt((rho_t-4)(rho_t-2)rho_inf / ((rho_inf-4)(rho_inf-2)rho_t))` and
/// `theta -= lr * m/(1-b1^t) * r * sqrt(1-b2^t)/(sqrt(v)+eps)`; else
/// `theta -= lr * m/(1-b1^t)` (plain momentum SGD while the variance is untrustworthy).
///
/// ```
/// let c = caadam_optim::RAdamConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps, c.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RAdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

/// torch.optim.RAdam over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Optimizer, RAdam, RAdamConfig};
/// let mut opt = RAdam::new(RAdamConfig { lr: 0.1, ..Default::default() }, &ParamLayout::flat("w", 1)).unwrap();
/// let mut w = [0.0f32];
/// opt.step(&mut w, &[2.0]).unwrap(); // rho_1 = 1 <= 5: an SGD step on m/(1-b1) = 2
/// assert!((w[0] + 0.2).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct RAdam {
    config: RAdamConfig,
    /// `exp_avg` and `exp_avg_sq`, as Adam.
    slots: Slots,
}

impl RAdam {
    /// Builds RAdam for `layout`.
    ///
    /// ```
    /// use caadam_optim::{RAdam, RAdamConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(RAdam::new(RAdamConfig { eps: -1.0, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: RAdamConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let buffers = [("exp_avg", 0.0), ("exp_avg_sq", 0.0)];
        let slots = Slots::new("radam", layout, c.lr, &buffers)?;
        ensure_betas("radam", c.betas)?;
        ensure_non_negative("radam", &[("eps", c.eps), ("weight_decay", c.weight_decay)])?;
        Ok(Self { config, slots })
    }
}

/// The rectification factor `r_t`, or `None` while `rho_t <= 5`.
fn rectification(beta2: f64, t: u64) -> Option<f64> {
    let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    let rho_t = rho_inf - 2.0 * t as f64 * beta2.powi(t as i32) / bias_correction(beta2, t);
    (rho_t > 5.0).then(|| {
        ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            .sqrt()
    })
}

/// The scalars of one RAdam step.
#[derive(Clone, Copy)]
struct Consts {
    decay_rates: MomentDecay,
    /// [`objective::sign`].
    sign: f32,
    wd: f32,
    eps: f32,
    coef: f32,
    bc2_sqrt: f32,
    adaptive: bool,
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it;
// `simd_kernel!` compiles it for the widest SIMD the CPU has.
simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32], k: Consts) {
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            let g = weight_decay::l2(k.sign * g, *p, k.wd);
            k.decay_rates.update(g, m, v);
            if k.adaptive {
                *p -= k.coef * *m * (k.bc2_sqrt / (v.sqrt() + k.eps));
            } else {
                *p -= k.coef * *m;
            }
        }
    }
}

impl Optimizer for RAdam {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let c = &self.config;
        let (b1, b2) = c.betas;
        let t = self.slots.step + 1;
        let rect = rectification(b2, t);
        let k = Consts {
            decay_rates: MomentDecay::new(c.betas),
            sign: objective::sign(c.maximize),
            wd: c.weight_decay as f32,
            eps: c.eps as f32,
            // Adaptive: coef * m * sqrt(bc2)/(sqrt(v)+eps); else coef * m.
            coef: (self.slots.lr * rect.unwrap_or(1.0) / bias_correction(b1, t)) as f32,
            bc2_sqrt: bias_correction(b2, t).sqrt() as f32,
            adaptive: rect.is_some(),
        };
        for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 2>| {
            let [m, v] = l.state;
            kernel(l.params, l.grads, m, v, k);
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
    fn rectification_turns_on_after_rho_exceeds_five() {
        // With beta2 = 0.999, rho_t is about t - 1 for small t: off up to t = 5, on from 7.
        assert!(rectification(0.999, 1).is_none());
        assert!(rectification(0.999, 5).is_none());
        let r = rectification(0.999, 7).unwrap();
        assert!(r > 0.0 && r < 1.0);
        // Far out it tends to 1.
        assert!((rectification(0.999, 1_000_000).unwrap() - 1.0).abs() < 1e-3);
    }
}
