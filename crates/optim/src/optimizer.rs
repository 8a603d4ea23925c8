//! The interface every optimizer implements, and the checks every step starts with.

use caadam_nn::{ParamLayout, ParamStore};

use crate::{parallel, FiniteGrads, OptimError, OptimizerState};

/// An optimizer over the flat parameter and gradient buffers of a
/// [`caadam_nn::ParamLayout`].
///
/// Every optimizer is built from its config and the layout (`Adam::new(config, &layout)`),
/// steps with `step(params, grads)` (or `step_store(&mut store)` in a training loop over a
/// [`ParamStore`]) and saves/restores its state as an [`OptimizerState`].
///
/// Non-finite gradients: `step` scans the gradients first and refuses the step with
/// [`OptimError::NonFiniteGradient`] naming the first tensor holding a NaN or an infinity;
/// the parameters and the optimizer state (step count included) are then left untouched,
/// so the caller may skip the batch, lower the learning rate, or stop. The scan can be
/// turned off with [`Optimizer::set_finite_check`] (see there for what it costs), and
/// [`Optimizer::step_store`] skips it when the store already knows (from writing them)
/// that its gradients are finite. Of the stepping methods an optimizer implements only
/// [`Optimizer::update`], the step without the scan; `step` and `step_store` are built on
/// it here, once for all, so that no optimizer can skip the check or do it differently.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Optimizer, OptimizerConfig};
/// let layout = ParamLayout::flat("w", 2);
/// let mut opt: Box<dyn Optimizer> = OptimizerConfig::default_for("sgd").unwrap()
///     .with_learning_rate(0.5).build(&layout).unwrap();
/// let mut w = [1.0f32, -1.0];
/// opt.step(&mut w, &[1.0, 2.0]).unwrap();
/// assert_eq!(w, [0.5, -2.0]);
/// assert_eq!((opt.name(), opt.learning_rate(), opt.steps()), ("sgd", 0.5, 1));
/// opt.set_learning_rate(0.25);
/// assert_eq!(opt.learning_rate(), 0.25);
/// ```
pub trait Optimizer: Send {
    /// One update of `params` from `grads` (both of the layout's length), after the scan
    /// for non-finite gradients unless it was turned off.
    fn step(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), OptimError> {
        if self.finite_check() {
            check_step(self.layout(), params, grads)?;
        }
        self.update(params, FiniteGrads::assume(grads))
    }

    /// One update of the store's values from its gradients: [`Optimizer::step`], without
    /// the scan when the store knows its gradients are finite
    /// ([`ParamStore::grads_known_finite`]: its gradient writes tested every value on the
    /// way). The same result and the same refusals as `step` on the same buffers.
    ///
    /// Why it exists: the scan is a pass of its own over every gradient, which at 1e7
    /// parameters adds 4 bytes of memory traffic per parameter to the 28 of an Adam update;
    /// the store's test rides on the copy of the gradients out of the tape, which moves
    /// them anyway.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// use caadam_nn::{ParamLayout, ParamStore};
    /// use caadam_optim::{OptimError, OptimizerConfig};
    /// let mut store = ParamStore::from_values(ParamLayout::flat("w", 2), vec![1.0, -1.0]).unwrap();
    /// let mut sgd = OptimizerConfig::default_for("sgd").unwrap()
    ///     .with_learning_rate(0.5).build(store.layout()).unwrap();
    /// let mut tape = Tape::new();
    /// let w = store.bind(&mut tape, 0);
    /// let loss = tape.sum(w); // d loss / d w = 1
    /// tape.backward(loss);
    /// store.set_grads(&tape); // tested on the way: finite
    /// sgd.step_store(&mut store).unwrap();
    /// assert_eq!(store.values(), &[0.5, -1.5]);
    ///
    /// store.grads_mut()[1] = f32::NAN; // not seen by the store: step_store scans
    /// assert!(matches!(sgd.step_store(&mut store), Err(OptimError::NonFiniteGradient { index: 1, .. })));
    /// assert_eq!(store.values(), &[0.5, -1.5]);
    /// ```
    fn step_store(&mut self, store: &mut ParamStore) -> Result<(), OptimError> {
        let known_finite = store.grads_known_finite();
        let (values, grads) = store.split_mut();
        if known_finite {
            self.update(values, FiniteGrads::assume(grads))
        } else {
            self.step(values, grads)
        }
    }

    /// The update itself, on gradients vouched finite: the one method each optimizer
    /// writes. Checks only the lengths (a [`OptimError::LengthMismatch`] changes
    /// nothing); call [`Optimizer::step`] unless the gradients are known to be finite.
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// use caadam_optim::{FiniteGrads, OptimError, OptimizerConfig};
    /// let mut sgd = OptimizerConfig::default_for("sgd").unwrap()
    ///     .with_learning_rate(0.5).build(&ParamLayout::flat("w", 2)).unwrap();
    /// let mut w = [1.0f32, 1.0];
    /// sgd.update(&mut w, FiniteGrads::assume(&[1.0, 2.0])).unwrap();
    /// assert_eq!(w, [0.5, 0.0]);
    /// assert!(matches!(sgd.update(&mut w, FiniteGrads::assume(&[1.0])),
    ///     Err(OptimError::LengthMismatch { .. })));
    /// ```
    fn update(&mut self, params: &mut [f32], grads: FiniteGrads<'_>) -> Result<(), OptimError>;

    /// The layout the optimizer was built for.
    ///
    /// ```
    /// use caadam_optim::OptimizerConfig;
    /// let opt = OptimizerConfig::default_for("adam").unwrap().build(&caadam_nn::ParamLayout::flat("w", 2)).unwrap();
    /// assert_eq!(opt.layout().len(), 2);
    /// ```
    fn layout(&self) -> &ParamLayout;

    /// The learning rate used by the next step.
    fn learning_rate(&self) -> f32;
    /// Changes the learning rate (schedules call this).
    fn set_learning_rate(&mut self, lr: f32);
    /// The lower-case torch-style name: `sgd`, `adam`, `caadam`, ...
    fn name(&self) -> &str;
    /// Steps taken so far.
    fn steps(&self) -> u64;
    /// A snapshot of the state, keyed by parameter name.
    fn state(&self) -> OptimizerState;
    /// Restores a snapshot taken by the same kind of optimizer on the same layout; on error
    /// nothing is changed.
    fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError>;

    /// Whether `step` scans the gradients for NaN and infinities before it writes anything
    /// (on unless turned off with [`Optimizer::set_finite_check`]).
    ///
    /// ```
    /// use caadam_optim::OptimizerConfig;
    /// let opt = OptimizerConfig::default_for("adam").unwrap().build(&caadam_nn::ParamLayout::flat("w", 2)).unwrap();
    /// assert!(opt.finite_check());
    /// ```
    fn finite_check(&self) -> bool;

    /// Turns the scan for non-finite gradients off (`false`) or back on.
    ///
    /// Why one would: the scan is a pass of its own over the gradients, made before the
    /// update so that a refused step writes nothing. The update of the Adam family is
    /// bound by memory bandwidth, and the scan adds a read of every gradient to the 28
    /// bytes per parameter the update moves (the scan reads eight streams at once, which
    /// a single core streams faster than one). On 1e7 parameters on one core of the
    /// development machine the scan added about 2.9 ms to Adam's 12.5 ms step (medians of
    /// 30 runs of `benches/bandwidth.rs`; its loop alone read the 40 MB in 1.9 ms).
    /// Turn it off when the gradients are known to be finite, or when, as with
    /// `torch.optim` and optax (which do not scan), a non-finite gradient may simply be
    /// applied: then a NaN gradient makes its parameter (and its moments) NaN. The length
    /// checks stay. A training loop over a [`ParamStore`] seldom needs it:
    /// [`Optimizer::step_store`] skips the scan whenever the store knows its gradients are
    /// finite.
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// use caadam_optim::{OptimError, OptimizerConfig};
    /// let layout = ParamLayout::flat("w", 2);
    /// let mut opt = OptimizerConfig::default_for("sgd").unwrap()
    ///     .with_learning_rate(0.5).build(&layout).unwrap();
    /// let mut w = [1.0f32, 1.0];
    /// assert!(matches!(opt.step(&mut w, &[f32::NAN, 1.0]), Err(OptimError::NonFiniteGradient { .. })));
    /// opt.set_finite_check(false);
    /// opt.step(&mut w, &[f32::NAN, 1.0]).unwrap();
    /// assert!(w[0].is_nan() && w[1] == 0.5);
    /// ```
    fn set_finite_check(&mut self, check: bool);

    /// CaAdam's factor S per parametrized layer (for reports); `None` for every other
    /// optimizer. Lets code that built the optimizer by name read the scales.
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// use caadam_optim::OptimizerConfig;
    /// let layout = ParamLayout::flat("w", 2);
    /// assert!(OptimizerConfig::default_for("adam").unwrap().build(&layout).unwrap().layer_scales().is_none());
    /// assert_eq!(OptimizerConfig::default_for("caadam").unwrap().build(&layout).unwrap().layer_scales(), Some(&[1.0f32][..]));
    /// ```
    fn layer_scales(&self) -> Option<&[f32]> {
        None
    }
}

/// The checks every step starts with: buffer lengths, then finite gradients.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{check_step, OptimError};
/// let layout = ParamLayout::flat("w", 2);
/// assert!(check_step(&layout, &[0.0; 2], &[1.0, 2.0]).is_ok());
/// assert!(matches!(check_step(&layout, &[0.0; 2], &[1.0]), Err(OptimError::LengthMismatch { .. })));
/// assert!(matches!(check_step(&layout, &[0.0; 2], &[1.0, f32::INFINITY]),
///     Err(OptimError::NonFiniteGradient { index: 1, .. })));
/// ```
pub fn check_step(layout: &ParamLayout, params: &[f32], grads: &[f32]) -> Result<(), OptimError> {
    check_lengths(layout, params, grads)?;
    if let Some(i) = parallel::first_non_finite(grads) {
        let seg = layout
            .segments()
            .iter()
            .find(|s| s.range().contains(&i))
            .expect("a layout without gaps covers every index");
        return Err(OptimError::NonFiniteGradient {
            tensor: seg.name.clone(),
            index: i - seg.offset,
            value: grads[i],
        });
    }
    Ok(())
}

/// The first half of [`check_step`]: both buffers have the layout's length.
pub(crate) fn check_lengths(
    layout: &ParamLayout,
    params: &[f32],
    grads: &[f32],
) -> Result<(), OptimError> {
    let expected = layout.len();
    if params.len() != expected || grads.len() != expected {
        return Err(OptimError::LengthMismatch {
            expected,
            params: params.len(),
            grads: grads.len(),
        });
    }
    Ok(())
}

/// Bias-correction factor `1 - beta^t`, in f64 so that it stays exact to the last f32 bit
/// even when it is tiny (t = 1, beta = 0.999).
pub(crate) fn bias_correction(beta: f64, t: u64) -> f64 {
    1.0 - beta.powi(t.min(i32::MAX as u64) as i32)
}
