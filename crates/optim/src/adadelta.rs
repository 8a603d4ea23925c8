//! Adadelta (torch.optim.Adadelta).

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::ensure;
use crate::parallel::{for_each_chunk, Lanes};
use crate::{check_step, weight_decay, OptimError, Optimizer, OptimizerState};

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
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
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
    layout: ParamLayout,
    lr: f64,
    step: u64,
    square_avg: Vec<f32>,
    acc_delta: Vec<f32>,
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
        ensure(c.lr >= 0.0, "adadelta", || format!("lr {} < 0", c.lr))?;
        ensure((0.0..=1.0).contains(&c.rho), "adadelta", || {
            format!("rho {} not in [0, 1]", c.rho)
        })?;
        ensure(c.eps >= 0.0, "adadelta", || format!("eps {} < 0", c.eps))?;
        ensure(c.weight_decay >= 0.0, "adadelta", || {
            format!("weight_decay {} < 0", c.weight_decay)
        })?;
        let n = layout.len();
        Ok(Self {
            lr: c.lr,
            config,
            layout: layout.clone(),
            step: 0,
            square_avg: vec![0.0; n],
            acc_delta: vec![0.0; n],
        })
    }
}

// The loop sits in its own function so that slices and scalars arrive as arguments (known
// not to alias), which lets the compiler keep the scalars in registers and vectorize it.
#[inline(never)]
fn kernel(params: &mut [f32], grads: &[f32], sq: &mut [f32], acc: &mut [f32], k: [f32; 5]) {
    let [lr, rho, one_minus_rho, wd, eps] = k;
    for (((p, &g), sq), acc) in params
        .iter_mut()
        .zip(grads)
        .zip(sq.iter_mut())
        .zip(acc.iter_mut())
    {
        let g = weight_decay::l2(g, *p, wd);
        *sq = rho * *sq + one_minus_rho * (g * g);
        let delta = (*acc + eps).sqrt() / (*sq + eps).sqrt() * g;
        *acc = rho * *acc + one_minus_rho * (delta * delta);
        *p -= lr * delta;
    }
}

impl Optimizer for Adadelta {
    fn step(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), OptimError> {
        check_step(&self.layout, params, grads)?;
        let c = &self.config;
        let (lr, rho, one_minus_rho) = (self.lr as f32, c.rho as f32, (1.0 - c.rho) as f32);
        let (wd, eps) = (c.weight_decay as f32, c.eps as f32);
        let lanes = Lanes::new(params, grads, [&mut self.square_avg, &mut self.acc_delta]);
        for_each_chunk(lanes, &|l: Lanes<'_, 2>| {
            let [sq, acc] = l.state;
            kernel(
                l.params,
                l.grads,
                sq,
                acc,
                [lr, rho, one_minus_rho, wd, eps],
            );
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
        "adadelta"
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn state(&self) -> OptimizerState {
        let buffers: [(&str, &[f32]); 2] = [
            ("square_avg", &self.square_avg),
            ("acc_delta", &self.acc_delta),
        ];
        OptimizerState::capture(
            "adadelta",
            self.step,
            self.lr,
            &self.layout,
            &buffers,
            vec![],
        )
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        state.validate("adadelta", &self.layout, &["square_avg", "acc_delta"])?;
        state.restore_buffer(0, &self.layout, &mut self.square_avg);
        state.restore_buffer(1, &self.layout, &mut self.acc_delta);
        self.step = state.step;
        self.lr = state.learning_rate;
        Ok(())
    }
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
