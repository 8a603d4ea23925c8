//! Stochastic gradient descent with momentum, dampening, Nesterov and weight decay
//! (torch.optim.SGD).

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::{ensure, ensure_non_negative};
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{momentum, objective, weight_decay, FiniteGrads, OptimError, Optimizer};
use caadam_autograd::simd_kernel;

/// SGD's hyperparameters; defaults are torch.optim.SGD's.
///
/// Update (torch): `g = ±grad + wd*theta`; with momentum, `buf = g` on the first step, then
/// `buf = momentum*buf + (1-dampening)*g`, and `g = g + momentum*buf` (Nesterov) or
/// `g = buf`; finally `theta -= lr*g`.
///
/// ```
/// let c = caadam_optim::SgdConfig::default();
/// assert_eq!((c.lr, c.momentum, c.dampening, c.weight_decay, c.nesterov, c.maximize),
///            (1e-3, 0.0, 0.0, 0.0, false, false));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0 disables the buffer).
    pub momentum: f64,
    /// Dampening of the momentum's new direction.
    pub dampening: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

/// torch.optim.SGD over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Optimizer, Sgd, SgdConfig};
/// let layout = ParamLayout::flat("w", 1);
/// let mut sgd = Sgd::new(SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }, &layout).unwrap();
/// let mut w = [1.0f32];
/// sgd.step(&mut w, &[1.0]).unwrap(); // buf = 1
/// sgd.step(&mut w, &[1.0]).unwrap(); // buf = 0.9 + 1 = 1.9
/// assert!((w[0] - (1.0 - 0.1 - 0.19)).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    config: SgdConfig,
    /// `momentum_buffer` when `momentum != 0`, else no buffer at all.
    slots: Slots,
}

impl Sgd {
    /// Builds SGD for `layout`, checking the config as torch does.
    ///
    /// ```
    /// use caadam_optim::{Sgd, SgdConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(Sgd::new(SgdConfig { nesterov: true, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: SgdConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let buffers: &[_] = if c.momentum != 0.0 {
            &[("momentum_buffer", 0.0)]
        } else {
            &[]
        };
        let slots = Slots::new("sgd", layout, c.lr, buffers)?;
        ensure_non_negative(
            "sgd",
            &[("momentum", c.momentum), ("weight_decay", c.weight_decay)],
        )?;
        ensure(
            !c.nesterov || (c.momentum > 0.0 && c.dampening == 0.0),
            "sgd",
            || "nesterov needs momentum > 0 and dampening = 0".to_string(),
        )?;
        Ok(Self { config, slots })
    }

    /// The config this optimizer was built from (its `lr` is the initial one).
    ///
    /// ```
    /// let sgd = caadam_optim::Sgd::new(Default::default(), &caadam_nn::ParamLayout::flat("w", 1)).unwrap();
    /// assert_eq!(sgd.config().lr, 1e-3);
    /// ```
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }
}

/// The momentum settings of one step.
#[derive(Clone, Copy)]
struct Momentum {
    mu: f32,
    keep: f32,
    first: bool,
    nesterov: bool,
}

// The loops sit in their own functions so that the slices and scalars arrive as arguments
// (known not to alias each other), which lets the compiler vectorize them; `simd_kernel!`
// compiles each for the widest SIMD the CPU has.

simd_kernel! {
    fn plain(params: &mut [f32], grads: &[f32], lr: f32, wd: f32, sign: f32) {
        for (p, &g) in params.iter_mut().zip(grads) {
            let g = weight_decay::l2(sign * g, *p, wd);
            *p -= lr * g;
        }
    }
}

simd_kernel! {
    fn with_momentum(
        params: &mut [f32],
        grads: &[f32],
        buf: &mut [f32],
        lr: f32,
        wd: f32,
        sign: f32,
        m: Momentum,
    ) {
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf.iter_mut()) {
            let g = weight_decay::l2(sign * g, *p, wd);
            let b = momentum::update(b, g, m.mu, m.keep, m.first);
            let d = if m.nesterov { g + m.mu * b } else { b };
            *p -= lr * d;
        }
    }
}

impl Optimizer for Sgd {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let c = &self.config;
        let lr = self.slots.lr as f32;
        let wd = c.weight_decay as f32;
        let sign = objective::sign(c.maximize);
        if self.slots.is_stateless() {
            for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 0>| {
                plain(l.params, l.grads, lr, wd, sign);
            });
        } else {
            let m = Momentum {
                mu: c.momentum as f32,
                keep: (1.0 - c.dampening) as f32,
                first: self.slots.step == 0,
                nesterov: c.nesterov,
            };
            for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 1>| {
                let [buf] = l.state;
                with_momentum(l.params, l.grads, buf, lr, wd, sign, m);
            });
        }
        self.slots.step += 1;
        Ok(())
    }

    delegate_to_slots!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: SgdConfig, grads: &[[f32; 2]]) -> [f32; 2] {
        let layout = ParamLayout::flat("w", 2);
        let mut sgd = Sgd::new(config, &layout).unwrap();
        let mut w = [1.0f32, -2.0];
        for g in grads {
            sgd.step(&mut w, g).unwrap();
        }
        w
    }

    #[test]
    fn plain_step_is_lr_times_grad() {
        let w = run(
            SgdConfig {
                lr: 0.5,
                ..Default::default()
            },
            &[[1.0, 2.0]],
        );
        assert_eq!(w, [0.5, -3.0]);
    }

    #[test]
    fn maximize_ascends() {
        let w = run(
            SgdConfig {
                lr: 0.5,
                maximize: true,
                ..Default::default()
            },
            &[[1.0, 2.0]],
        );
        assert_eq!(w, [1.5, -1.0]);
    }

    #[test]
    fn weight_decay_adds_l2_gradient() {
        // g' = g + 0.5*theta = [1 + 0.5, 0 - 1]; theta -= 0.5 g'
        let w = run(
            SgdConfig {
                lr: 0.5,
                weight_decay: 0.5,
                ..Default::default()
            },
            &[[1.0, 0.0]],
        );
        assert_eq!(w, [0.25, -1.5]);
    }

    #[test]
    fn dampening_skips_the_first_step_then_scales() {
        // buf1 = g = 1 (no dampening on the first step), buf2 = 0.5*1 + 0.5*1 = 1
        let c = SgdConfig {
            lr: 1.0,
            momentum: 0.5,
            dampening: 0.5,
            ..Default::default()
        };
        let w = run(c, &[[1.0, 0.0], [1.0, 0.0]]);
        assert_eq!(w, [-1.0, -2.0]);
    }

    #[test]
    fn nesterov_looks_ahead() {
        // step 1: buf = 1, d = 1 + 0.5*1 = 1.5; step 2: buf = 0.5 + 1 = 1.5, d = 1 + 0.75 = 1.75
        let c = SgdConfig {
            lr: 1.0,
            momentum: 0.5,
            nesterov: true,
            ..Default::default()
        };
        let w = run(c, &[[1.0, 0.0], [1.0, 0.0]]);
        assert_eq!(w, [1.0 - 1.5 - 1.75, -2.0]);
    }

    #[test]
    fn invalid_configs_are_refused() {
        let layout = ParamLayout::flat("w", 1);
        assert!(Sgd::new(
            SgdConfig {
                lr: -1.0,
                ..Default::default()
            },
            &layout
        )
        .is_err());
        let c = SgdConfig {
            momentum: 0.9,
            dampening: 0.1,
            nesterov: true,
            ..Default::default()
        };
        assert!(Sgd::new(c, &layout).is_err());
    }

    #[test]
    fn state_without_momentum_refuses_a_record_with_momentum() {
        let layout = ParamLayout::flat("w", 1);
        let with = Sgd::new(
            SgdConfig {
                momentum: 0.9,
                ..Default::default()
            },
            &layout,
        )
        .unwrap();
        let mut without = Sgd::new(SgdConfig::default(), &layout).unwrap();
        assert!(without.load_state(&with.state()).is_err());
    }
}
