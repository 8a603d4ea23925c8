//! NAdam (torch.optim.NAdam): Adam with Nesterov momentum and momentum decay.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::{ensure_betas, ensure_non_negative};
use crate::moments::MomentDecay;
use crate::optimizer::bias_correction;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{objective, weight_decay, FiniteGrads, OptimError, Optimizer, OptimizerState};
use caadam_autograd::simd_kernel;

/// NAdam's hyperparameters; defaults are torch.optim.NAdam's.
///
/// Update (torch): `mu_t = b1*(1 - 0.5*0.96^(t*psi))` with `psi = momentum_decay`,
/// `P_t = prod mu_1..mu_t`; `m, v` as Adam; `d = sqrt(v/(1-b2^t)) + eps`;
/// `theta -= lr*(1-mu_t)/(1-P_t) * g/d + lr*mu_{t+1}/(1-P_t*mu_{t+1}) * m/d`.
///
/// ```
/// let c = caadam_optim::NAdamConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps, c.weight_decay, c.momentum_decay), (2e-3, (0.9, 0.999), 1e-8, 0.0, 4e-3));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NAdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Momentum decay `psi`.
    pub momentum_decay: f64,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            maximize: false,
        }
    }
}

/// torch.optim.NAdam over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{NAdam, NAdamConfig, Optimizer};
/// let mut opt = NAdam::new(NAdamConfig { lr: 0.1, ..Default::default() }, &ParamLayout::flat("w", 1)).unwrap();
/// let mut w = [0.0f32];
/// opt.step(&mut w, &[1.0]).unwrap();
/// assert!(w[0] < 0.0 && w[0] > -0.2);
/// ```
#[derive(Clone, Debug)]
pub struct NAdam {
    config: NAdamConfig,
    /// `exp_avg` and `exp_avg_sq`, as Adam.
    slots: Slots,
    /// `P_t`, the product of the momentum coefficients so far.
    mu_product: f64,
}

impl NAdam {
    /// Builds NAdam for `layout`.
    ///
    /// ```
    /// use caadam_optim::{NAdam, NAdamConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 1);
    /// assert!(NAdam::new(NAdamConfig { momentum_decay: -1.0, ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: NAdamConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let c = &config;
        let buffers = [("exp_avg", 0.0), ("exp_avg_sq", 0.0)];
        let slots = Slots::new("nadam", layout, c.lr, &buffers)?;
        ensure_betas("nadam", c.betas)?;
        ensure_non_negative(
            "nadam",
            &[
                ("eps", c.eps),
                ("weight_decay", c.weight_decay),
                ("momentum_decay", c.momentum_decay),
            ],
        )?;
        Ok(Self {
            config,
            slots,
            mu_product: 1.0,
        })
    }
}

/// The scalars of one NAdam step.
#[derive(Clone, Copy)]
struct Consts {
    decay_rates: MomentDecay,
    /// [`objective::sign`].
    sign: f32,
    bc2: f32,
    wd: f32,
    eps: f32,
    coef_g: f32,
    coef_m: f32,
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
            let d = (*v / k.bc2).sqrt() + k.eps;
            *p -= k.coef_g * (g / d);
            *p -= k.coef_m * (*m / d);
        }
    }
}

impl Optimizer for NAdam {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let c = &self.config;
        let (b1, b2) = c.betas;
        let (lr, t) = (self.slots.lr, self.slots.step + 1);
        let mu_at = |t: u64| b1 * (1.0 - 0.5 * 0.96f64.powf(t as f64 * c.momentum_decay));
        let (mu, mu_next) = (mu_at(t), mu_at(t + 1));
        let mu_product = self.mu_product * mu;
        let k = Consts {
            decay_rates: MomentDecay::new(c.betas),
            sign: objective::sign(c.maximize),
            bc2: bias_correction(b2, t) as f32,
            wd: c.weight_decay as f32,
            eps: c.eps as f32,
            coef_g: (lr * (1.0 - mu) / (1.0 - mu_product)) as f32,
            coef_m: (lr * mu_next / (1.0 - mu_product * mu_next)) as f32,
        };
        for_each_chunk(self.slots.lanes(params, grads), &|l: Lanes<'_, 2>| {
            let [m, v] = l.state;
            kernel(l.params, l.grads, m, v, k);
        });
        self.slots.step = t;
        self.mu_product = mu_product;
        Ok(())
    }

    delegate_to_slots!(accessors);

    fn state(&self) -> OptimizerState {
        self.slots
            .state(vec![("mu_product".into(), self.mu_product)])
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        self.slots.validate(state)?;
        let mu_product = state.scalar("mu_product")?;
        self.slots.restore(state);
        self.mu_product = mu_product;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_by_hand() {
        // t = 1, g = 1, eps = 0: m = 0.1, v = 0.001, d = sqrt(0.001/0.001) = 1.
        let c = NAdamConfig {
            lr: 1.0,
            eps: 0.0,
            ..Default::default()
        };
        let mut opt = NAdam::new(c, &ParamLayout::flat("w", 1)).unwrap();
        let mut w = [0.0f32];
        opt.step(&mut w, &[1.0]).unwrap();
        let mu1 = 0.9 * (1.0 - 0.5 * 0.96f64.powf(0.004));
        let mu2 = 0.9 * (1.0 - 0.5 * 0.96f64.powf(0.008));
        let expected = -(1.0 - mu1) / (1.0 - mu1) - mu2 / (1.0 - mu1 * mu2) * 0.1;
        assert!(
            (w[0] as f64 - expected).abs() < 1e-6,
            "{} vs {expected}",
            w[0]
        );
    }
}
