//! AdamW (torch.optim.AdamW): Adam with decoupled weight decay.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::adam::AdamCore;
use crate::error::ensure_non_negative;
use crate::slots::{delegate_to_slots, Slots};
use crate::{weight_decay, EpsilonForm, FiniteGrads, OptimError, Optimizer};

/// AdamW's hyperparameters; defaults are torch.optim.AdamW's (note `weight_decay = 0.01`).
///
/// Update: `theta *= 1 - lr*wd`, then Adam's step without any L2 term.
///
/// ```
/// let c = caadam_optim::AdamWConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps, c.weight_decay, c.amsgrad), (1e-3, (0.9, 0.999), 1e-8, 1e-2, false));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamWConfig {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// Decoupled decay: the parameters shrink by `lr * weight_decay` each step.
    pub weight_decay: f64,
    /// Divide by the running maximum of the second moment.
    pub amsgrad: bool,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// torch.optim.AdamW over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{AdamW, AdamWConfig, Optimizer};
/// let layout = ParamLayout::flat("w", 1);
/// let mut opt = AdamW::new(AdamWConfig { lr: 0.1, weight_decay: 0.5, ..Default::default() }, &layout).unwrap();
/// let mut w = [2.0f32];
/// opt.step(&mut w, &[0.0]).unwrap(); // zero gradient: only the decay acts
/// assert!((w[0] - 2.0 * 0.95).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct AdamW {
    config: AdamWConfig,
    slots: Slots,
    core: AdamCore,
}

impl AdamW {
    /// Builds AdamW for `layout`.
    ///
    /// ```
    /// let opt = caadam_optim::AdamW::new(Default::default(), &caadam_nn::ParamLayout::flat("w", 3));
    /// assert!(opt.is_ok());
    /// ```
    pub fn new(config: AdamWConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let slots = Slots::new(
            "adamw",
            layout,
            config.lr,
            AdamCore::buffers(config.amsgrad),
        )?;
        ensure_non_negative("adamw", &[("weight_decay", config.weight_decay)])?;
        // The decay is decoupled (applied in `step`), so the core's L2 penalty is 0.
        let core = AdamCore::new(
            "adamw",
            config.betas,
            config.eps,
            0.0,
            config.amsgrad,
            EpsilonForm::Torch,
        )?
        .maximizing(config.maximize);
        Ok(Self {
            config,
            slots,
            core,
        })
    }

    /// The config this optimizer was built from.
    ///
    /// ```
    /// let opt = caadam_optim::AdamW::new(Default::default(), &caadam_nn::ParamLayout::flat("w", 1)).unwrap();
    /// assert_eq!(opt.config().weight_decay, 0.01);
    /// ```
    pub fn config(&self) -> &AdamWConfig {
        &self.config
    }
}

impl Optimizer for AdamW {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let decay = weight_decay::decoupled_factor(self.slots.lr, self.config.weight_decay);
        self.core.step(&mut self.slots, params, grads, &[], decay);
        Ok(())
    }

    delegate_to_slots!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Adam, AdamConfig};

    #[test]
    fn without_decay_it_is_adam_bit_for_bit() {
        let layout = ParamLayout::flat("w", 5);
        let mut a = Adam::new(
            AdamConfig {
                lr: 0.01,
                ..Default::default()
            },
            &layout,
        )
        .unwrap();
        let mut b = AdamW::new(
            AdamWConfig {
                lr: 0.01,
                weight_decay: 0.0,
                ..Default::default()
            },
            &layout,
        )
        .unwrap();
        let (mut wa, mut wb) = ([0.5f32, -1.0, 2.0, 0.0, 3.0], [0.5f32, -1.0, 2.0, 0.0, 3.0]);
        for s in 0..4 {
            let g: Vec<f32> = (0..5).map(|i| ((i + s) as f32).sin()).collect();
            a.step(&mut wa, &g).unwrap();
            b.step(&mut wb, &g).unwrap();
        }
        assert_eq!(wa.map(f32::to_bits), wb.map(f32::to_bits));
    }

    #[test]
    fn decay_is_not_divided_by_the_second_moment() {
        // One step, g = 1, lr = 0.1, wd = 0.5, theta = 2: theta*(1 - 0.05) - 0.1*1/(1+eps).
        let layout = ParamLayout::flat("w", 1);
        let mut opt = AdamW::new(
            AdamWConfig {
                lr: 0.1,
                weight_decay: 0.5,
                eps: 0.0,
                ..Default::default()
            },
            &layout,
        )
        .unwrap();
        let mut w = [2.0f32];
        opt.step(&mut w, &[1.0]).unwrap();
        assert!((w[0] - (1.9 - 0.1)).abs() < 1e-6, "{}", w[0]);
    }
}
