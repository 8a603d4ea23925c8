//! RAdam (torch.optim.RAdam): Adam with the variance of the adaptive step rectified.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::ensure;
use crate::optimizer::bias_correction;
use crate::parallel::{for_each_chunk, Lanes};
use crate::{check_step, weight_decay, OptimError, Optimizer, OptimizerState};

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
}

impl Default for RAdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
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
    layout: ParamLayout,
    lr: f64,
    step: u64,
    m: Vec<f32>,
    v: Vec<f32>,
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
        ensure(c.lr >= 0.0, "radam", || format!("lr {} < 0", c.lr))?;
        ensure(
            (0.0..1.0).contains(&c.betas.0) && (0.0..1.0).contains(&c.betas.1),
            "radam",
            || format!("betas {:?} not in [0, 1)", c.betas),
        )?;
        ensure(c.eps >= 0.0, "radam", || format!("eps {} < 0", c.eps))?;
        ensure(c.weight_decay >= 0.0, "radam", || {
            format!("weight_decay {} < 0", c.weight_decay)
        })?;
        let n = layout.len();
        Ok(Self {
            lr: c.lr,
            config,
            layout: layout.clone(),
            step: 0,
            m: vec![0.0; n],
            v: vec![0.0; n],
        })
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
    one_minus_b1: f32,
    b2: f32,
    one_minus_b2: f32,
    wd: f32,
    eps: f32,
    coef: f32,
    bc2_sqrt: f32,
    adaptive: bool,
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it.
#[inline(never)]
fn kernel(params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32], k: Consts) {
    for (((p, &g), m), v) in params
        .iter_mut()
        .zip(grads)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
    {
        let g = weight_decay::l2(g, *p, k.wd);
        *m += k.one_minus_b1 * (g - *m);
        *v = k.b2 * *v + k.one_minus_b2 * (g * g);
        if k.adaptive {
            *p -= k.coef * *m * (k.bc2_sqrt / (v.sqrt() + k.eps));
        } else {
            *p -= k.coef * *m;
        }
    }
}

impl Optimizer for RAdam {
    fn step(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), OptimError> {
        check_step(&self.layout, params, grads)?;
        let c = &self.config;
        let (b1, b2) = c.betas;
        let t = self.step + 1;
        let bc1 = bias_correction(b1, t);
        let rect = rectification(b2, t);
        // Adaptive: coef * m * sqrt(bc2)/(sqrt(v)+eps); else coef * m.
        let coef = (self.lr * rect.unwrap_or(1.0) / bc1) as f32;
        let bc2_sqrt = bias_correction(b2, t).sqrt() as f32;
        let adaptive = rect.is_some();
        let (one_minus_b1, b2f, one_minus_b2) = ((1.0 - b1) as f32, b2 as f32, (1.0 - b2) as f32);
        let (wd, eps) = (c.weight_decay as f32, c.eps as f32);
        let k = Consts {
            one_minus_b1,
            b2: b2f,
            one_minus_b2,
            wd,
            eps,
            coef,
            bc2_sqrt,
            adaptive,
        };
        for_each_chunk(
            Lanes::new(params, grads, [&mut self.m, &mut self.v]),
            &|l: Lanes<'_, 2>| {
                let [m, v] = l.state;
                kernel(l.params, l.grads, m, v, k);
            },
        );
        self.step = t;
        Ok(())
    }

    fn learning_rate(&self) -> f32 {
        self.lr as f32
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr as f64;
    }

    fn name(&self) -> &str {
        "radam"
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn state(&self) -> OptimizerState {
        let buffers: [(&str, &[f32]); 2] = [("exp_avg", &self.m), ("exp_avg_sq", &self.v)];
        OptimizerState::capture("radam", self.step, self.lr, &self.layout, &buffers, vec![])
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        state.validate("radam", &self.layout, &["exp_avg", "exp_avg_sq"])?;
        state.restore_buffer(0, &self.layout, &mut self.m);
        state.restore_buffer(1, &self.layout, &mut self.v);
        self.step = state.step;
        self.lr = state.learning_rate;
        Ok(())
    }
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
