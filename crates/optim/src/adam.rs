//! Adam (torch.optim.Adam), and the moment-update kernel that AdamW and CaAdam share.

use caadam_autograd::simd_kernel;
use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::error::{ensure, ensure_non_negative};
use crate::moments::MomentDecay;
use crate::optimizer::bias_correction;
use crate::parallel::{for_each_chunk, Lanes};
use crate::slots::{delegate_to_slots, Slots};
use crate::{objective, weight_decay, FiniteGrads, OptimError, Optimizer};

/// Where epsilon enters Adam's denominator.
///
/// ```
/// assert_eq!(caadam_optim::EpsilonForm::default(), caadam_optim::EpsilonForm::Torch);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EpsilonForm {
    /// torch (and the paper): `theta -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)`.
    #[default]
    Torch,
    /// Keras ("epsilon hat"): `alpha = lr*sqrt(1-b2^t)/(1-b1^t)`,
    /// `theta -= alpha*m / (sqrt(v) + eps)`.
    Keras,
}

/// Adam's hyperparameters; defaults are torch.optim.Adam's.
///
/// ```
/// let c = caadam_optim::AdamConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps, c.weight_decay, c.amsgrad), (1e-3, (0.9, 0.999), 1e-8, 0.0, false));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`: decay of the first and second moments.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    /// Divide by the running maximum of the second moment.
    pub amsgrad: bool,
    /// Where `eps` enters (torch's form by default).
    pub epsilon_form: EpsilonForm,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            epsilon_form: EpsilonForm::Torch,
            maximize: false,
        }
    }
}

/// The hyperparameters of an Adam-family optimizer, and its update kernel.
///
/// Adam, AdamW and CaAdam all step through [`AdamCore::step`]; they differ only in the
/// per-tensor factor S (CaAdam) and the decoupled decay factor (AdamW). The moments live in
/// the optimizer's [`Slots`], created from [`AdamCore::buffers`].
#[derive(Clone, Debug)]
pub(crate) struct AdamCore {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// L2 penalty (0 for AdamW, which decays the parameters instead).
    pub l2: f64,
    pub amsgrad: bool,
    pub form: EpsilonForm,
    /// Negate the gradient first ([`crate::objective`]).
    pub maximize: bool,
    /// `(end, coefficient)` of each run of equal step sizes, rebuilt every step.
    spans: Vec<(usize, f32)>,
}

/// The per-element constants of one Adam step.
#[derive(Clone, Copy)]
struct Consts {
    decay_rates: MomentDecay,
    /// [`objective::sign`].
    sign: f32,
    eps: f32,
    l2: f32,
    /// Decoupled decay factor `1 - lr*wd` (1 for none).
    decay: f32,
    /// `sqrt(1 - b2^t)` for the torch form.
    bc2_sqrt: f32,
    form: EpsilonForm,
}

impl AdamCore {
    pub fn new(
        name: &str,
        betas: (f64, f64),
        eps: f64,
        l2: f64,
        amsgrad: bool,
        form: EpsilonForm,
    ) -> Result<Self, OptimError> {
        ensure((0.0..1.0).contains(&betas.0), name, || {
            format!("beta1 {} not in [0, 1)", betas.0)
        })?;
        ensure((0.0..1.0).contains(&betas.1), name, || {
            format!("beta2 {} not in [0, 1)", betas.1)
        })?;
        ensure_non_negative(name, &[("eps", eps), ("weight_decay", l2)])?;
        Ok(Self {
            beta1: betas.0,
            beta2: betas.1,
            eps,
            l2,
            amsgrad,
            form,
            maximize: false,
            spans: Vec::new(),
        })
    }

    /// The same core, maximizing if `maximize`.
    pub fn maximizing(self, maximize: bool) -> Self {
        Self { maximize, ..self }
    }

    /// The state buffers, as torch names them, for [`Slots::new`]: the moments, and the
    /// running maximum of the second moment with amsgrad.
    pub fn buffers(amsgrad: bool) -> &'static [(&'static str, f32)] {
        if amsgrad {
            &[
                ("exp_avg", 0.0),
                ("exp_avg_sq", 0.0),
                ("max_exp_avg_sq", 0.0),
            ]
        } else {
            &[("exp_avg", 0.0), ("exp_avg_sq", 0.0)]
        }
    }

    /// One step of the optimizer whose state is `slots` (made from [`AdamCore::buffers`]).
    /// `scales[i]` multiplies the step of segment `i` of the layout (an empty slice means 1
    /// everywhere); `decay` is the decoupled weight-decay factor (1 for none). The caller
    /// has already run [`Slots::check_lengths`].
    pub fn step(
        &mut self,
        slots: &mut Slots,
        params: &mut [f32],
        grads: &[f32],
        scales: &[f64],
        decay: f32,
    ) {
        slots.step += 1;
        let (lr, t) = (slots.lr, slots.step);
        // Keras raises the betas *as float32* to the power t (`ops.power(cast(beta, f32), t)`);
        // f32(0.999) is 0.99900001, which moves sqrt(1 - b2^t) by 6e-6 at t = 1, enough to
        // matter for the authors' runs, so the Keras form rounds the betas the same way.
        let (b1, b2) = match self.form {
            EpsilonForm::Torch => (self.beta1, self.beta2),
            EpsilonForm::Keras => (self.beta1 as f32 as f64, self.beta2 as f32 as f64),
        };
        let bc1 = bias_correction(b1, t);
        let bc2 = bias_correction(b2, t);
        // The scalar part of the step size, in f64; S multiplies it before the one rounding.
        let base = match self.form {
            EpsilonForm::Torch => lr / bc1,
            EpsilonForm::Keras => lr * bc2.sqrt() / bc1,
        };
        self.spans.clear();
        let n = params.len();
        if scales.is_empty() {
            self.spans.push((n, base as f32));
        } else {
            for (seg, &s) in slots.layout().segments().iter().zip(scales) {
                let coef = (base * s) as f32;
                match self.spans.last_mut() {
                    Some(last) if last.1 == coef => last.0 = seg.offset + seg.len(),
                    _ => self.spans.push((seg.offset + seg.len(), coef)),
                }
            }
        }
        let k = Consts {
            decay_rates: MomentDecay::new((self.beta1, self.beta2)),
            sign: objective::sign(self.maximize),
            eps: self.eps as f32,
            l2: self.l2 as f32,
            decay,
            bc2_sqrt: bc2.sqrt() as f32,
            form: self.form,
        };
        let spans = self.spans.as_slice();
        if self.amsgrad {
            for_each_chunk(slots.lanes(params, grads), &|l: Lanes<'_, 3>| {
                let [m, v, vmax] = l.state;
                for_spans(spans, l.offset, l.params.len(), |r, coef| {
                    update(
                        k,
                        coef,
                        &mut l.params[r.clone()],
                        &l.grads[r.clone()],
                        &mut m[r.clone()],
                        &mut v[r.clone()],
                        Some(&mut vmax[r]),
                    );
                });
            });
        } else {
            for_each_chunk(slots.lanes(params, grads), &|l: Lanes<'_, 2>| {
                let [m, v] = l.state;
                for_spans(spans, l.offset, l.params.len(), |r, coef| {
                    update(
                        k,
                        coef,
                        &mut l.params[r.clone()],
                        &l.grads[r.clone()],
                        &mut m[r.clone()],
                        &mut v[r],
                        None,
                    );
                });
            });
        }
    }
}

/// Calls `f(local range, coefficient)` for each piece of the chunk `[offset, offset+len)`
/// that lies in one span.
fn for_spans(
    spans: &[(usize, f32)],
    offset: usize,
    len: usize,
    mut f: impl FnMut(std::ops::Range<usize>, f32),
) {
    let end = offset + len;
    let mut i = spans.partition_point(|&(e, _)| e <= offset);
    let mut start = offset;
    while start < end {
        let (span_end, coef) = spans[i];
        let stop = span_end.min(end);
        f(start - offset..stop - offset, coef);
        start = stop;
        i += 1;
    }
}

simd_kernel! {
    /// The element-wise Adam update of one span with step coefficient `coef`.
    ///
    /// Kept out of line so that the slices arrive as function arguments (known not to alias),
    /// and branch-free inside the loops, so that the compiler vectorizes them; `simd_kernel!`
    /// compiles it for the widest SIMD the CPU has.
    fn update(
        k: Consts,
        coef: f32,
        params: &mut [f32],
        grads: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        vmax: Option<&mut [f32]>,
    ) {
        match (k.form, vmax) {
            (EpsilonForm::Torch, None) => update_with::<false>(k, coef, params, grads, m, v),
            (EpsilonForm::Keras, None) => update_with::<true>(k, coef, params, grads, m, v),
            (EpsilonForm::Torch, Some(vmax)) => {
                update_amsgrad::<false>(k, coef, params, grads, m, v, vmax)
            }
            (EpsilonForm::Keras, Some(vmax)) => {
                update_amsgrad::<true>(k, coef, params, grads, m, v, vmax)
            }
        }
    }
}

/// The moment updates of one element; returns the decayed parameter.
#[inline(always)]
fn moments(k: Consts, p: f32, g: f32, m: &mut f32, v: &mut f32) -> f32 {
    let g = weight_decay::l2(k.sign * g, p, k.l2);
    k.decay_rates.update(g, m, v);
    // decay is exactly 1 without decoupled weight decay, and x*1 == x bit for bit.
    p * k.decay
}

/// The step of one element from its moments.
#[inline(always)]
fn delta<const KERAS: bool>(k: Consts, coef: f32, m: f32, v: f32) -> f32 {
    if KERAS {
        (m * coef) / (v.sqrt() + k.eps)
    } else {
        coef * (m / (v.sqrt() / k.bc2_sqrt + k.eps))
    }
}

#[inline(always)]
fn update_with<const KERAS: bool>(
    k: Consts,
    coef: f32,
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    for (((p, &g), m), v) in params
        .iter_mut()
        .zip(grads)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
    {
        let decayed = moments(k, *p, g, m, v);
        *p = decayed - delta::<KERAS>(k, coef, *m, *v);
    }
}

#[inline(always)]
fn update_amsgrad<const KERAS: bool>(
    k: Consts,
    coef: f32,
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
) {
    for ((((p, &g), m), v), vm) in params
        .iter_mut()
        .zip(grads)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
        .zip(vmax.iter_mut())
    {
        let decayed = moments(k, *p, g, m, v);
        *vm = vm.max(*v);
        *p = decayed - delta::<KERAS>(k, coef, *m, *vm);
    }
}

/// torch.optim.Adam over a flat buffer.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Adam, AdamConfig, Optimizer};
/// let layout = ParamLayout::flat("w", 2);
/// let mut adam = Adam::new(AdamConfig { lr: 0.1, ..Default::default() }, &layout).unwrap();
/// let mut w = [1.0f32, 1.0];
/// adam.step(&mut w, &[3.0, -0.5]).unwrap();
/// // The first Adam step moves every coordinate by about lr, against the gradient's sign.
/// assert!((w[0] - 0.9).abs() < 1e-6 && (w[1] - 1.1).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    config: AdamConfig,
    slots: Slots,
    core: AdamCore,
}

impl Adam {
    /// Builds Adam for `layout`.
    ///
    /// ```
    /// use caadam_optim::{Adam, AdamConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 4);
    /// assert!(Adam::new(AdamConfig { betas: (1.0, 0.999), ..Default::default() }, &layout).is_err());
    /// ```
    pub fn new(config: AdamConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let slots = Slots::new("adam", layout, config.lr, AdamCore::buffers(config.amsgrad))?;
        let core = AdamCore::new(
            "adam",
            config.betas,
            config.eps,
            config.weight_decay,
            config.amsgrad,
            config.epsilon_form,
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
    /// let adam = caadam_optim::Adam::new(Default::default(), &caadam_nn::ParamLayout::flat("w", 1)).unwrap();
    /// assert_eq!(adam.config().betas, (0.9, 0.999));
    /// ```
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }
}

impl Optimizer for Adam {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        self.core.step(&mut self.slots, params, grads, &[], 1.0);
        Ok(())
    }

    delegate_to_slots!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adam with learning rate `lr` and `eps = 0` over `n` parameters, so that the steps
    /// below are exact ratios of the moments.
    fn without_eps(lr: f64, n: usize) -> Adam {
        let config = AdamConfig {
            lr,
            eps: 0.0,
            ..Default::default()
        };
        Adam::new(config, &ParamLayout::flat("w", n)).unwrap()
    }

    #[test]
    fn first_step_is_lr_times_sign_up_to_eps() {
        // After one step mh = g and vh = g^2, so the step is lr*g/(|g| + eps).
        let mut adam = without_eps(0.01, 3);
        let mut w = [0.0f32; 3];
        adam.step(&mut w, &[2.0, -1e-3, 7.0]).unwrap();
        for (got, want) in w.iter().zip([-0.01f32, 0.01, -0.01]) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
    }

    #[test]
    fn constant_gradient_keeps_a_unit_step() {
        // With a constant gradient, mh = g and vh = g^2 at every step.
        let mut adam = without_eps(0.1, 1);
        let mut w = [0.0f32];
        for _ in 0..10 {
            adam.step(&mut w, &[0.5]).unwrap();
        }
        assert!((w[0] + 1.0).abs() < 1e-5, "{}", w[0]);
    }

    #[test]
    fn amsgrad_uses_the_largest_second_moment() {
        // Step 1: g = 10, step 2: g = 0. Without amsgrad the second step divides by
        // sqrt(vh2) where v2 = 0.999*0.1*... ; with amsgrad by sqrt(max(v1, v2)) = sqrt(v1).
        let layout = ParamLayout::flat("w", 1);
        let c = AdamConfig {
            lr: 1.0,
            eps: 0.0,
            amsgrad: true,
            ..Default::default()
        };
        let mut adam = Adam::new(c, &layout).unwrap();
        let mut w = [0.0f32];
        adam.step(&mut w, &[10.0]).unwrap();
        adam.step(&mut w, &[0.0]).unwrap();
        // m2 = 0.9*1 = 0.9 (m1 = 1); v1 = 0.1, vmax = 0.1; bc1 = 0.19, bc2 = 1-0.999^2.
        let bc2 = 1.0f64 - 0.999f64 * 0.999;
        let expected = -1.0 - 0.9 / 0.19 / ((0.1f64).sqrt() / bc2.sqrt());
        assert!(
            (w[0] as f64 - expected).abs() < 1e-5,
            "{} vs {expected}",
            w[0]
        );
    }

    #[test]
    fn keras_form_puts_eps_outside_the_correction() {
        let layout = ParamLayout::flat("w", 1);
        let c = AdamConfig {
            lr: 1.0,
            eps: 0.1,
            epsilon_form: EpsilonForm::Keras,
            ..Default::default()
        };
        let mut adam = Adam::new(c, &layout).unwrap();
        let mut w = [0.0f32];
        adam.step(&mut w, &[1.0]).unwrap();
        // alpha = sqrt(1 - b2)/(1 - b1) with the betas rounded to f32 as Keras does;
        // m = 0.1, v = 0.001: step = alpha*0.1/(sqrt(0.001) + 0.1)
        let (b1, b2) = (0.9f32 as f64, 0.999f32 as f64);
        let a = (1.0 - b2).sqrt() / (1.0 - b1);
        let expected = -a * 0.1 / (0.001f64.sqrt() + 0.1);
        assert!(
            (w[0] as f64 - expected).abs() < 1e-6,
            "{} vs {expected}",
            w[0]
        );
    }
}
