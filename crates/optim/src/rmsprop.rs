//! RMSprop (torch.optim.RMSprop), plain, centered and with momentum.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::ensure;
use crate::parallel::{for_each_chunk, Lanes};
use crate::{check_step, momentum, weight_decay, OptimError, Optimizer, OptimizerState};

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
    layout: ParamLayout,
    lr: f64,
    step: u64,
    // All three buffers exist so one kernel serves every variant; only the used ones are
    // saved.
    square_avg: Vec<f32>,
    momentum_buffer: Vec<f32>,
    grad_avg: Vec<f32>,
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
        ensure(c.lr >= 0.0, "rmsprop", || format!("lr {} < 0", c.lr))?;
        ensure(c.alpha >= 0.0, "rmsprop", || {
            format!("alpha {} < 0", c.alpha)
        })?;
        ensure(c.eps >= 0.0, "rmsprop", || format!("eps {} < 0", c.eps))?;
        ensure(c.momentum >= 0.0, "rmsprop", || {
            format!("momentum {} < 0", c.momentum)
        })?;
        ensure(c.weight_decay >= 0.0, "rmsprop", || {
            format!("weight_decay {} < 0", c.weight_decay)
        })?;
        let n = layout.len();
        Ok(Self {
            lr: c.lr,
            config,
            layout: layout.clone(),
            step: 0,
            square_avg: vec![0.0; n],
            momentum_buffer: vec![0.0; n],
            grad_avg: vec![0.0; n],
        })
    }

    fn buffers(&self) -> Vec<(&'static str, &[f32])> {
        let mut b: Vec<(&str, &[f32])> = vec![("square_avg", &self.square_avg)];
        if self.config.momentum > 0.0 {
            b.push(("momentum_buffer", &self.momentum_buffer));
        }
        if self.config.centered {
            b.push(("grad_avg", &self.grad_avg));
        }
        b
    }
}

/// The scalars of one RMSprop step.
#[derive(Clone, Copy)]
struct Consts {
    lr: f32,
    wd: f32,
    eps: f32,
    alpha: f32,
    one_minus_alpha: f32,
    mu: f32,
    centered: bool,
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it.
#[inline(never)]
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
        let g = weight_decay::l2(g, *p, k.wd);
        *sq = k.alpha * *sq + k.one_minus_alpha * (g * g);
        let avg = if k.centered {
            *ga += k.one_minus_alpha * (g - *ga);
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

impl Optimizer for RmsProp {
    fn step(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), OptimError> {
        check_step(&self.layout, params, grads)?;
        let c = &self.config;
        let (lr, wd, eps) = (self.lr as f32, c.weight_decay as f32, c.eps as f32);
        let (alpha, one_minus_alpha) = (c.alpha as f32, (1.0 - c.alpha) as f32);
        let (mu, centered) = (c.momentum as f32, c.centered);
        let lanes = Lanes::new(
            params,
            grads,
            [
                &mut self.square_avg,
                &mut self.momentum_buffer,
                &mut self.grad_avg,
            ],
        );
        let k = Consts {
            lr,
            wd,
            eps,
            alpha,
            one_minus_alpha,
            mu,
            centered,
        };
        for_each_chunk(lanes, &|l: Lanes<'_, 3>| {
            let [sq, buf, ga] = l.state;
            kernel(l.params, l.grads, sq, buf, ga, k);
        });
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
        "rmsprop"
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::capture(
            "rmsprop",
            self.step,
            self.lr,
            &self.layout,
            &self.buffers(),
            vec![],
        )
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        let names: Vec<&str> = self.buffers().iter().map(|(n, _)| *n).collect();
        state.validate("rmsprop", &self.layout, &names)?;
        for (i, name) in names.iter().enumerate() {
            let target = match *name {
                "square_avg" => &mut self.square_avg,
                "momentum_buffer" => &mut self.momentum_buffer,
                _ => &mut self.grad_avg,
            };
            state.restore_buffer(i, &self.layout, target);
        }
        self.step = state.step;
        self.lr = state.learning_rate;
        Ok(())
    }
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
