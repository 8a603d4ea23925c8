//! Gradients someone has vouched are finite: what [`Optimizer::update`] takes.
//!
//! [`Optimizer::update`]: crate::Optimizer::update

/// A gradient buffer that its maker has vouched holds no NaN and no infinity, or that the
/// caller has chosen to apply as it is (the policy of `torch.optim` and optax, which do
/// not check).
///
/// It exists so that [`Optimizer::update`](crate::Optimizer::update), the step without the
/// scan for non-finite values, cannot be handed a plain `&[f32]` by accident: the caller
/// has to write `FiniteGrads::assume`, which says what it is doing. The library makes one
/// after [`check_step`](crate::check_step) (in [`Optimizer::step`](crate::Optimizer::step))
/// or when a `ParamStore` knows its gradients are finite (in
/// [`Optimizer::step_store`](crate::Optimizer::step_store)). Nothing unsafe follows from a
/// wrong promise: a NaN gradient then makes its parameter and its optimizer state NaN.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{FiniteGrads, Optimizer, OptimizerConfig};
/// let mut sgd = OptimizerConfig::default_for("sgd").unwrap()
///     .with_learning_rate(0.5).build(&ParamLayout::flat("w", 2)).unwrap();
/// let mut w = [1.0f32, 1.0];
/// let g = [f32::NAN, 1.0];
/// sgd.update(&mut w, FiniteGrads::assume(&g)).unwrap(); // no scan: the NaN goes through
/// assert!(w[0].is_nan() && w[1] == 0.5);
/// assert_eq!(FiniteGrads::assume(&g).get().len(), 2);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FiniteGrads<'a>(&'a [f32]);

impl<'a> FiniteGrads<'a> {
    /// Vouches for `grads` without looking at them.
    ///
    /// ```
    /// let g = [1.0f32, 2.0];
    /// assert_eq!(caadam_optim::FiniteGrads::assume(&g).get(), &[1.0, 2.0]);
    /// ```
    pub fn assume(grads: &'a [f32]) -> Self {
        Self(grads)
    }

    /// The gradients.
    ///
    /// ```
    /// let g = [3.0f32];
    /// assert_eq!(caadam_optim::FiniteGrads::assume(&g).get()[0], 3.0);
    /// ```
    pub fn get(self) -> &'a [f32] {
        self.0
    }
}
