//! CaAdam (Genet & Inzirillo, arXiv 2410.24216): Adam whose step is multiplied, per
//! parameter tensor, by a factor S taken from the network's structure.
//!
//! The moments and the update are Adam's own kernel; CaAdam only supplies S per layout
//! segment (see [`scales`]).

pub mod scales;

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::adam::AdamCore;
use crate::error::ensure;
use crate::slots::{delegate_to_slots, Slots};
use crate::{EpsilonForm, FiniteGrads, OptimError, Optimizer, OptimizerState};
pub use scales::{Mode, Strategy};

/// CaAdam's hyperparameters.
///
/// Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8 in per-layer mode and 1e-7 (Keras's) in
/// Keras-reference mode (`eps: None` picks the mode's default), no weight decay (L2 as
/// Adam's when set), no amsgrad, additive strategy, gamma 0.95, per-layer mode.
///
/// ```
/// use caadam_optim::{CaAdamConfig, Mode, Strategy};
/// let c = CaAdamConfig { strategy: Strategy::Depth, ..Default::default() };
/// assert_eq!((c.gamma, c.mode, c.effective_eps()), (0.95, Mode::PerLayer, 1e-8));
/// let k = CaAdamConfig::keras_reference(Strategy::Multiplicative);
/// assert_eq!((k.mode, k.effective_eps()), (Mode::KerasReference, 1e-7));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaAdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`.
    pub betas: (f64, f64),
    /// Added to the denominator; `None` for the mode's default (1e-8 or 1e-7).
    pub eps: Option<f64>,
    /// L2 penalty added to the gradient (as Adam).
    pub weight_decay: f64,
    /// Divide by the running maximum of the second moment (as Adam).
    pub amsgrad: bool,
    /// How S is computed.
    pub strategy: Strategy,
    /// The strength of the scaling (0.95 for every strategy).
    pub gamma: f64,
    /// Per-layer (the method) or Keras-reference (the authors' package).
    pub mode: Mode,
    /// Ascend the objective instead of descending it (torch's `maximize`: the gradient is
    /// negated before anything reads it, see [`crate::objective`]).
    pub maximize: bool,
}

impl Default for CaAdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: None,
            weight_decay: 0.0,
            amsgrad: false,
            strategy: Strategy::Additive,
            gamma: 0.95,
            mode: Mode::PerLayer,
            maximize: false,
        }
    }
}

impl CaAdamConfig {
    /// The Keras-reference configuration for `strategy`: the authors' package as run in the
    /// paper (gamma 0.95, eps 1e-7, lr 1e-3).
    ///
    /// ```
    /// let c = caadam_optim::CaAdamConfig::keras_reference(caadam_optim::Strategy::Additive);
    /// assert_eq!(c.mode, caadam_optim::Mode::KerasReference);
    /// ```
    pub fn keras_reference(strategy: Strategy) -> Self {
        Self {
            strategy,
            mode: Mode::KerasReference,
            ..Default::default()
        }
    }

    /// `eps`, or the mode's default when it is `None`.
    ///
    /// ```
    /// let c = caadam_optim::CaAdamConfig { eps: Some(1e-6), ..Default::default() };
    /// assert_eq!(c.effective_eps(), 1e-6);
    /// ```
    pub fn effective_eps(&self) -> f64 {
        self.eps.unwrap_or(match self.mode {
            Mode::PerLayer => 1e-8,
            Mode::KerasReference => 1e-7,
        })
    }
}

/// CaAdam over a flat buffer, with S computed once from the layout.
///
/// ```
/// use caadam_nn::{LayerInfo, ParamKind, ParamLayout};
/// use caadam_optim::{CaAdam, CaAdamConfig, Optimizer, Strategy};
/// let mut layout = ParamLayout::new();
/// for (i, (a, b)) in [(8, 32), (32, 32), (32, 1)].into_iter().enumerate() {
///     let info = LayerInfo::new(a, b, i);
///     layout.push(&format!("layers.{i}.weight"), &[a, b], ParamKind::Weight, info);
///     layout.push(&format!("layers.{i}.bias"), &[b], ParamKind::Bias, info);
/// }
/// let mut opt = CaAdam::new(CaAdamConfig { strategy: Strategy::Additive, gamma: 0.95, ..Default::default() }, &layout).unwrap();
/// assert_eq!(opt.layer_scales(), &[1.0, 0.05, 1.95]);
/// let mut params = vec![0.0f32; layout.len()];
/// opt.step(&mut params, &vec![1.0; layout.len()]).unwrap();
/// // First step: about lr*S against the gradient.
/// assert!((params[layout.len() - 1] + 1.95e-3).abs() < 1e-8);
/// ```
#[derive(Clone, Debug)]
pub struct CaAdam {
    config: CaAdamConfig,
    slots: Slots,
    core: AdamCore,
    segment_scales: Vec<f64>,
    segment_scales_f32: Vec<f32>,
    layer_scales: Vec<f32>,
}

impl CaAdam {
    /// Builds CaAdam for `layout`, computing S from its [`caadam_nn::ConnectionInfo`].
    ///
    /// ```
    /// use caadam_optim::{CaAdam, CaAdamConfig};
    /// let layout = caadam_nn::ParamLayout::flat("w", 3);
    /// assert!(CaAdam::new(CaAdamConfig { gamma: -1.0, ..Default::default() }, &layout).is_err());
    /// assert_eq!(CaAdam::new(CaAdamConfig::default(), &layout).unwrap().layer_scales(), &[1.0]);
    /// ```
    pub fn new(config: CaAdamConfig, layout: &ParamLayout) -> Result<Self, OptimError> {
        let slots = Slots::new(
            "caadam",
            layout,
            config.lr,
            AdamCore::buffers(config.amsgrad),
        )?;
        ensure(
            config.gamma >= 0.0 && config.gamma.is_finite(),
            "caadam",
            || format!("gamma {} is not a finite value >= 0", config.gamma),
        )?;
        let form = match config.mode {
            Mode::PerLayer => EpsilonForm::Torch,
            Mode::KerasReference => EpsilonForm::Keras,
        };
        let core = AdamCore::new(
            "caadam",
            config.betas,
            config.effective_eps(),
            config.weight_decay,
            config.amsgrad,
            form,
        )?
        .maximizing(config.maximize);
        let segment_scales =
            scales::per_segment(layout, config.strategy, config.gamma, config.mode);
        let layer_scales = match config.mode {
            Mode::PerLayer => scales::per_layer(layout, config.strategy, config.gamma)
                .iter()
                .map(|&s| s as f32)
                .collect(),
            // One entry per layer: the S of the layer's first tensor (its weight).
            Mode::KerasReference => {
                let segs = layout.segments();
                (0..segs.len())
                    .filter(|&i| i == 0 || segs[i - 1].layer != segs[i].layer)
                    .map(|i| segment_scales[i] as f32)
                    .collect()
            }
        };
        Ok(Self {
            segment_scales_f32: segment_scales.iter().map(|&s| s as f32).collect(),
            segment_scales,
            layer_scales,
            config,
            slots,
            core,
        })
    }

    /// S per parametrized layer, in depth order. In Keras-reference mode a layer's weight and
    /// bias have different factors; this gives the weight's (see [`CaAdam::segment_scales`]).
    ///
    /// ```
    /// use caadam_optim::{CaAdam, CaAdamConfig};
    /// let opt = CaAdam::new(CaAdamConfig::default(), &caadam_nn::ParamLayout::flat("w", 3)).unwrap();
    /// assert_eq!(opt.layer_scales(), &[1.0]);
    /// ```
    pub fn layer_scales(&self) -> &[f32] {
        &self.layer_scales
    }

    /// S per parameter tensor (layout segment), in layout order, in either mode.
    ///
    /// ```
    /// use caadam_optim::{CaAdam, CaAdamConfig};
    /// let opt = CaAdam::new(CaAdamConfig::default(), &caadam_nn::ParamLayout::flat("w", 3)).unwrap();
    /// assert_eq!(opt.segment_scales(), &[1.0]);
    /// ```
    pub fn segment_scales(&self) -> &[f32] {
        &self.segment_scales_f32
    }

    /// The config this optimizer was built from.
    ///
    /// ```
    /// use caadam_optim::{CaAdam, CaAdamConfig};
    /// let opt = CaAdam::new(CaAdamConfig::default(), &caadam_nn::ParamLayout::flat("w", 1)).unwrap();
    /// assert_eq!(opt.config().gamma, 0.95);
    /// ```
    pub fn config(&self) -> &CaAdamConfig {
        &self.config
    }

    fn scale_scalars(&self) -> Vec<(String, f64)> {
        self.slots
            .layout()
            .segments()
            .iter()
            .zip(&self.segment_scales)
            .map(|(seg, &s)| (format!("scale.{}", seg.name), s))
            .collect()
    }
}

impl Optimizer for CaAdam {
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError> {
        let grads = self.slots.check_lengths(params, grads)?;
        let scales = &self.segment_scales;
        self.core.step(&mut self.slots, params, grads, scales, 1.0);
        Ok(())
    }

    delegate_to_slots!(accessors);

    fn state(&self) -> OptimizerState {
        self.slots.state(self.scale_scalars())
    }

    fn layer_scales(&self) -> Option<&[f32]> {
        Some(&self.layer_scales)
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        self.slots.validate(state)?;
        // S is computed from the config, not restored: a record saved under other scales
        // would continue another optimizer, so it is refused.
        for (name, s) in self.scale_scalars() {
            let saved = state.scalar(&name)?;
            if saved.to_bits() != s.to_bits() {
                return Err(OptimError::StateMismatch(format!(
                    "`{name}` was {saved} when saved but is {s} now (another strategy, gamma or mode?)"
                )));
            }
        }
        self.slots.restore(state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::scales::tests::mlp;
    use super::*;
    use crate::{Adam, AdamConfig};

    fn trajectory(opt: &mut dyn Optimizer, n: usize) -> Vec<u32> {
        let mut w: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        for s in 0..5 {
            let g: Vec<f32> = (0..n)
                .map(|i| ((i * 7 + s * 3) as f32 * 0.11).cos() * 0.1)
                .collect();
            opt.step(&mut w, &g).unwrap();
        }
        w.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn gamma_zero_is_adam_bit_for_bit_in_both_epsilon_forms() {
        let layout = mlp(&[6, 3, 3, 3, 9]);
        let n = layout.len();
        for (mode, form) in [
            (Mode::PerLayer, EpsilonForm::Torch),
            (Mode::KerasReference, EpsilonForm::Keras),
        ] {
            let eps = if mode == Mode::PerLayer { 1e-8 } else { 1e-7 };
            let adam_cfg = AdamConfig {
                lr: 0.01,
                eps,
                epsilon_form: form,
                ..Default::default()
            };
            let mut adam = Adam::new(adam_cfg, &layout).unwrap();
            let want = trajectory(&mut adam, n);
            for strategy in [Strategy::Additive, Strategy::Depth] {
                let c = CaAdamConfig {
                    lr: 0.01,
                    gamma: 0.0,
                    strategy,
                    mode,
                    ..Default::default()
                };
                let mut ca = CaAdam::new(c, &layout).unwrap();
                assert_eq!(trajectory(&mut ca, n), want, "{strategy:?} {mode:?}");
            }
        }
    }

    #[test]
    fn equal_connections_are_adam() {
        let layout = mlp(&[5, 5, 5]);
        let n = layout.len();
        let mut adam = Adam::new(
            AdamConfig {
                lr: 0.01,
                ..Default::default()
            },
            &layout,
        )
        .unwrap();
        let c = CaAdamConfig {
            lr: 0.01,
            strategy: Strategy::Multiplicative,
            ..Default::default()
        };
        let mut ca = CaAdam::new(c, &layout).unwrap();
        assert_eq!(ca.layer_scales(), &[1.0, 1.0]);
        assert_eq!(trajectory(&mut ca, n), trajectory(&mut adam, n));
    }

    #[test]
    fn each_layer_moves_by_its_own_factor() {
        // Step 1 with eps 0 moves each parameter by exactly lr*S.
        let layout = mlp(&[8, 32, 32, 1]);
        let c = CaAdamConfig {
            lr: 0.01,
            eps: Some(0.0),
            ..Default::default()
        };
        let mut ca = CaAdam::new(c, &layout).unwrap();
        let mut w = vec![0.0f32; layout.len()];
        ca.step(&mut w, &vec![-2.0; layout.len()]).unwrap();
        for seg in layout.segments() {
            let s = [1.0f32, 0.05, 1.95][seg.layer];
            for &x in &w[seg.range()] {
                assert!((x - 0.01 * s).abs() < 1e-8, "{}: {x}", seg.name);
            }
        }
    }

    #[test]
    fn state_records_the_scales_and_refuses_other_ones() {
        let layout = mlp(&[8, 32, 32, 1]);
        let a = CaAdam::new(CaAdamConfig::default(), &layout).unwrap();
        let mut b = CaAdam::new(
            CaAdamConfig {
                strategy: Strategy::Depth,
                ..Default::default()
            },
            &layout,
        )
        .unwrap();
        let err = b.load_state(&a.state()).unwrap_err();
        assert!(err.to_string().contains("scale.layers.0.weight"), "{err}");
    }
}
