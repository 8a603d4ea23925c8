//! Stochastic gradient descent with momentum, dampening, Nesterov and weight decay
//! (torch.optim.SGD).

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::ensure;
use crate::parallel::{for_each_chunk, Lanes};
use crate::{check_step, momentum, weight_decay, OptimError, Optimizer, OptimizerState};

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
    /// Ascend instead of descend.
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
    layout: ParamLayout,
    lr: f64,
    step: u64,
    momentum_buffer: Vec<f32>,
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
        ensure(c.lr >= 0.0, "sgd", || format!("lr {} < 0", c.lr))?;
        ensure(c.momentum >= 0.0, "sgd", || {
            format!("momentum {} < 0", c.momentum)
        })?;
        ensure(c.weight_decay >= 0.0, "sgd", || {
            format!("weight_decay {} < 0", c.weight_decay)
        })?;
        ensure(
            !c.nesterov || (c.momentum > 0.0 && c.dampening == 0.0),
            "sgd",
            || "nesterov needs momentum > 0 and dampening = 0".to_string(),
        )?;
        let buffer_len = if c.momentum != 0.0 { layout.len() } else { 0 };
        Ok(Self {
            lr: c.lr,
            config,
            layout: layout.clone(),
            step: 0,
            momentum_buffer: vec![0.0; buffer_len],
        })
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

    fn buffer_names(&self) -> &'static [&'static str] {
        if self.momentum_buffer.is_empty() {
            &[]
        } else {
            &["momentum_buffer"]
        }
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
// (known not to alias each other), which lets the compiler vectorize them.

#[inline(never)]
fn plain(params: &mut [f32], grads: &[f32], lr: f32, wd: f32, sign: f32) {
    for (p, &g) in params.iter_mut().zip(grads) {
        let g = weight_decay::l2(sign * g, *p, wd);
        *p -= lr * g;
    }
}

#[inline(never)]
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

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), OptimError> {
        check_step(&self.layout, params, grads)?;
        let c = &self.config;
        let lr = self.lr as f32;
        let wd = c.weight_decay as f32;
        let sign = if c.maximize { -1.0f32 } else { 1.0 };
        if self.momentum_buffer.is_empty() {
            for_each_chunk(Lanes::new(params, grads, []), &|l: Lanes<'_, 0>| {
                plain(l.params, l.grads, lr, wd, sign);
            });
        } else {
            let m = Momentum {
                mu: c.momentum as f32,
                keep: (1.0 - c.dampening) as f32,
                first: self.step == 0,
                nesterov: c.nesterov,
            };
            for_each_chunk(
                Lanes::new(params, grads, [&mut self.momentum_buffer]),
                &|l: Lanes<'_, 1>| {
                    let [buf] = l.state;
                    with_momentum(l.params, l.grads, buf, lr, wd, sign, m);
                },
            );
        }
        self.step += 1;
        Ok(())
    }

    fn learning_rate(&self) -> f32 {
        self.lr as f32
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr as f64;
    }

    fn name(&self) -> &str {
        "sgd"
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn state(&self) -> OptimizerState {
        let buffers: Vec<(&str, &[f32])> = self
            .buffer_names()
            .iter()
            .map(|&n| (n, self.momentum_buffer.as_slice()))
            .collect();
        OptimizerState::capture("sgd", self.step, self.lr, &self.layout, &buffers, vec![])
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        state.validate("sgd", &self.layout, self.buffer_names())?;
        if !self.momentum_buffer.is_empty() {
            state.restore_buffer(0, &self.layout, &mut self.momentum_buffer);
        }
        self.step = state.step;
        self.lr = state.learning_rate;
        Ok(())
    }
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
