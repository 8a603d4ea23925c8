//! Adadelta (torch.optim.Adadelta).

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::{ensure, ensure_non_negative};
use crate::moments::flush_subnormal;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{objective, weight_decay, FiniteGrads, OptimError, Optimizer};
use caadam_autograd::simd_kernel;

/// Adadelta's hyperparameters; defaults are torch.optim.Adadelta's.
///
/// Update (torch): `g += wd*theta; sq = rho*sq + (1-rho)*g^2;
/// delta = sqrt(acc + eps)/sqrt(sq + eps) * g; acc = rho*acc + (1-rho)*delta^2;
/// theta -= lr*delta`.
///
/// ```
/// let c = caadam_optim::AdadeltaConfig::default();
/// assert_eq!((c.lr, c.rho, c.eps, c.weight_decay), (1.0, 0.9, 1e-6, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdadeltaConfig {
    /// Learning rate (scales the computed delta).
    pub lr: f64,
    /// Decay of both running averages.
    pub rho: f64,
    /// Added inside both square roots.
    pub eps: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

/// torch.optim.Adadelta over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Adadelta, AdadeltaConfig, Optimizer};
/// let mut opt = Adadelta::new(AdadeltaConfig::default(), &ParamLayout::flat("w", 1)).unwrap();
/// let mut w = [0.0f32];
/// opt.step(&mut w, &[1.0]).unwrap(); // delta = sqrt(1e-6)/sqrt(0.1 + 1e-6)
/// assert!((w[0] + (1e-6f32).sqrt() / (0.1f32 + 1e-6).sqrt()).abs() < 1e-8);
/// ```
#[derive(Clone, Debug)]
pub struct Adadelta {
    config: AdadeltaConfig,
    /// `square_avg` (of the gradients) and `acc_delta` (of the steps).
    slots: Slots,
}

impl Adadelta {
    /// Builds Adadelta for `layout`.
    ///
    /// ```
    /// use caadam_optim::{Adadelta, AdadeltaConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(Adadelta::new(AdadeltaConfig { rho: 1.5, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: AdadeltaConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let buffers = [("square_avg", 0.0), ("acc_delta", 0.0)];
        let slots = Slots::new("adadelta", layout, c.lr, &buffers)?;
        ensure((0.0..=1.0).contains(&c.rho), "adadelta", || {
            format!("rho {} not in [0, 1]", c.rho)
        })?;
        ensure_non_negative(
            "adadelta",
            &[("eps", c.eps), ("weight_decay", c.weight_decay)],
        )?;
        Ok(Self { config, slots })
    }
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it;
// `simd_kernel!` compiles it for the widest SIMD the CPU has.
simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], sq: &mut [f32], acc: &mut [f32], k: [f32; 6]) {
        let [sign, lr, rho, one_minus_rho, wd, eps] = k;
        for (((p, &g), sq), acc) in params
            .iter_mut()
            .zip(grads)
            .zip(sq.iter_mut())
            .zip(acc.iter_mut())
        {
            let g = weight_decay::l2(sign * g, *p, wd);
            *sq = flush_subnormal(rho * *sq + one_minus_rho * (g * g));
            let delta = (*acc + eps).sqrt() / (*sq + eps).sqrt() * g;
            *acc = flush_subnormal(rho * *acc + one_minus_rho * (delta * delta));
            *p -= lr * delta;
        }
    }
}

impl Optimizer for Adadelta {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let c = &self.config;
        let (lr, rho, one_minus_rho) = (self.slots.lr as f32, c.rho as f32, (1.0 - c.rho) as f32);
        let sign = objective::sign(c.maximize);
        let k = [
            sign,
            lr,
            rho,
            one_minus_rho,
            c.weight_decay as f32,
            c.eps as f32,
        ];
        for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 2>| {
            let [sq, acc] = l.state;
            kernel(l.params, l.grads, sq, acc, k);
        });
        self.slots.step += 1;
        Ok(())
    }

    delegate_to_slots!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_step_uses_the_accumulated_delta() {
        // rho = 0.5, eps = 0.01, g = 1 twice.
        let c = AdadeltaConfig {
            rho: 0.5,
            eps: 0.01,
            ..Default::default()
        };
        let mut opt = Adadelta::new(c, &ParamLayout::flat("w", 1)).unwrap();
        let mut w = [0.0f32];
        opt.step(&mut w, &[1.0]).unwrap();
        opt.step(&mut w, &[1.0]).unwrap();
        let d1 = (0.01f64).sqrt() / (0.5f64 + 0.01).sqrt();
        let acc = 0.5 * d1 * d1;
        let d2 = (acc + 0.01).sqrt() / (0.75f64 + 0.01).sqrt();
        assert!((w[0] as f64 + d1 + d2).abs() < 1e-6);
    }
}
