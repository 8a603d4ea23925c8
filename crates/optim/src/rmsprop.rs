//! RMSprop (torch.optim.RMSprop), plain, centered and with momentum.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::ensure_non_negative;
use crate::moments::flush_subnormal;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{momentum, objective, weight_decay, FiniteGrads, OptimError, Optimizer};
use caadam_autograd::simd_kernel;

/// RMSprop's hyperparameters; defaults are torch.optim.RMSprop's.
///
/// Update (torch): `g += wd*theta; sq = alpha*sq + (1-alpha)*g^2`; centered:
/// `ga = alpha*ga + (1-alpha)*g`, `avg = sqrt(sq - ga^2) + eps`, else `avg = sqrt(sq) + eps`;
/// with momentum `buf = momentum*buf + g/avg; theta -= lr*buf`, else `theta -= lr*g/avg`.
///
/// ```
/// let c = caadam_optim::RmsPropConfig::default();
/// assert_eq!((c.lr, c.alpha, c.eps, c.weight_decay, c.momentum, c.centered), (1e-2, 0.99, 1e-8, 0.0, 0.0, false));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RmsPropConfig {
    /// Learning rate.
    pub lr: f64,
    /// Smoothing constant of the squared-gradient average.
    pub alpha: f64,
    /// Added to the denominator.
    pub eps: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Momentum factor (0: none).
    pub momentum: f64,
    /// Normalise by the estimated variance instead of the second moment.
    pub centered: bool,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

/// torch.optim.RMSprop over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Optimizer, RmsProp, RmsPropConfig};
/// let c = RmsPropConfig { lr: 0.1, alpha: 0.75, eps: 0.0, ..Default::default() };
/// let mut opt = RmsProp::new(c, &ParamLayout::flat("w", 1)).unwrap();
/// let mut w = [0.0f32];
/// opt.step(&mut w, &[2.0]).unwrap(); // sq = 0.25*4 = 1: step 0.1*2/1
/// assert!((w[0] + 0.2).abs() < 1e-7);
/// ```
#[derive(Clone, Debug)]
pub struct RmsProp {
    config: RmsPropConfig,
    // All three buffers exist so one kernel serves every variant; only the used ones are
    // saved.
    slots: Slots,
}

impl RmsProp {
    /// Builds RMSprop for `layout`.
    ///
    /// ```
    /// use caadam_optim::{RmsProp, RmsPropConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(RmsProp::new(RmsPropConfig { alpha: -0.1, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: RmsPropConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let buffers = [
            ("square_avg", 0.0),
            ("momentum_buffer", 0.0),
            ("grad_avg", 0.0),
        ];
        let slots = Slots::new("rmsprop", layout, c.lr, &buffers)?
            .saved_if("momentum_buffer", c.momentum > 0.0)
            .saved_if("grad_avg", c.centered);
        ensure_non_negative(
            "rmsprop",
            &[
                ("alpha", c.alpha),
                ("eps", c.eps),
                ("momentum", c.momentum),
                ("weight_decay", c.weight_decay),
            ],
        )?;
        Ok(Self { config, slots })
    }
}

/// The scalars of one RMSprop step.
#[derive(Clone, Copy)]
struct Consts {
    lr: f32,
    /// [`objective::sign`].
    sign: f32,
    wd: f32,
    eps: f32,
    alpha: f32,
    one_minus_alpha: f32,
    mu: f32,
    centered: bool,
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it;
// `simd_kernel!` compiles it for the widest SIMD the CPU has.
simd_kernel! {
    fn kernel(
        params: &mut [f32],
        grads: &[f32],
        sq: &mut [f32],
        buf: &mut [f32],
        ga: &mut [f32],
        k: Consts,
    ) {
        for ((((p, &g), sq), buf), ga) in params
            .iter_mut()
            .zip(grads)
            .zip(sq.iter_mut())
            .zip(buf.iter_mut())
            .zip(ga.iter_mut())
        {
            let g = weight_decay::l2(k.sign * g, *p, k.wd);
            *sq = flush_subnormal(k.alpha * *sq + k.one_minus_alpha * (g * g));
            let avg = if k.centered {
                *ga = flush_subnormal(*ga + k.one_minus_alpha * (g - *ga));
                (*sq - *ga * *ga).sqrt() + k.eps
            } else {
                sq.sqrt() + k.eps
            };
            if k.mu > 0.0 {
                *p -= k.lr * momentum::update(buf, g / avg, k.mu, 1.0, false);
            } else {
                *p -= k.lr * (g / avg);
            }
        }
    }
}

impl Optimizer for RmsProp {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let c = &self.config;
        let k = Consts {
            lr: self.slots.lr as f32,
            sign: objective::sign(c.maximize),
            wd: c.weight_decay as f32,
            eps: c.eps as f32,
            alpha: c.alpha as f32,
            one_minus_alpha: (1.0 - c.alpha) as f32,
            mu: c.momentum as f32,
            centered: c.centered,
        };
        for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 3>| {
            let [sq, buf, ga] = l.state;
            kernel(l.params, l.grads, sq, buf, ga, k);
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
    fn centered_with_momentum_by_hand() {
        // alpha 0.5, g = 2: sq = 2, ga = 1, avg = sqrt(2 - 1) = 1; buf = 2; theta = -0.1*2.
        // g = 2 again: sq = 3, ga = 1.5, avg = sqrt(0.75); buf = 0.5*2 + 2/sqrt(0.75).
        let c = RmsPropConfig {
            lr: 0.1,
            alpha: 0.5,
            eps: 0.0,
            momentum: 0.5,
            centered: true,
            ..Default::default()
        };
        let mut opt = RmsProp::new(c, &ParamLayout::flat("w", 1)).unwrap();
        let mut w = [0.0f32];
        opt.step(&mut w, &[2.0]).unwrap();
        assert!((w[0] + 0.2).abs() < 1e-7);
        opt.step(&mut w, &[2.0]).unwrap();
        let expected = -0.2 - 0.1 * (1.0 + 2.0 / 0.75f64.sqrt());
        assert!((w[0] as f64 - expected).abs() < 1e-6);
        assert_eq!(opt.state().params[0].buffers.len(), 3);
    }
}
