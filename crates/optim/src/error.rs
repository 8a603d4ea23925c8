//! What can go wrong when stepping an optimizer or restoring its state.

use thiserror::Error;

/// Errors returned by optimizers, schedules and state records.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Optimizer, OptimError, Sgd, SgdConfig};
/// let layout = ParamLayout::flat("w", 2);
/// let mut sgd = Sgd::new(SgdConfig::default(), &layout).unwrap();
/// let mut params = [1.0f32, 2.0];
/// let err = sgd.step(&mut params, &[0.5, f32::NAN]).unwrap_err();
/// assert!(matches!(err, OptimError::NonFiniteGradient { ref tensor, index: 1, .. } if tensor == "w"));
/// assert_eq!(params, [1.0, 2.0]); // untouched
/// ```
#[derive(Debug, Error, Clone, PartialEq)]
pub enum OptimError {
    /// A gradient element is NaN or infinite. The step was refused: parameters and
    /// optimizer state are exactly as before the call.
    #[error("non-finite gradient {value} in `{tensor}` at element {index}: step refused, parameters and state untouched")]
    NonFiniteGradient {
        /// Name of the first parameter tensor (layout segment) holding a bad gradient.
        tensor: String,
        /// Index of the first bad element inside that tensor.
        index: usize,
        /// The offending value.
        value: f32,
    },
    /// The parameter or gradient buffer does not have the layout's length.
    #[error("buffer length mismatch: the layout has {expected} parameters, got {params} parameters and {grads} gradients")]
    LengthMismatch {
        /// Parameters in the layout.
        expected: usize,
        /// Length of the parameter buffer given.
        params: usize,
        /// Length of the gradient buffer given.
        grads: usize,
    },
    /// A hyperparameter is out of its valid range.
    #[error("invalid configuration for {optimizer}: {reason}")]
    InvalidConfig {
        /// Optimizer or schedule name.
        optimizer: String,
        /// What is wrong.
        reason: String,
    },
    /// An optimizer name that [`crate::OptimizerConfig::default_for`] does not know.
    #[error("unknown optimizer `{0}` (known: sgd, adagrad, rmsprop, adam, adamw, nadam, radam, adamax, adadelta, caadam)")]
    UnknownOptimizer(String),
    /// A saved state record that cannot be loaded into this optimizer or schedule.
    #[error("cannot load state: {0}")]
    StateMismatch(String),
}

/// Builds an [`OptimError::InvalidConfig`] unless `ok`.
pub(crate) fn ensure(
    ok: bool,
    optimizer: &str,
    reason: impl FnOnce() -> String,
) -> Result<(), OptimError> {
    if ok {
        Ok(())
    } else {
        Err(OptimError::InvalidConfig {
            optimizer: optimizer.to_string(),
            reason: reason(),
        })
    }
}

/// Refuses the first `(field, value)` of `checks` whose value is negative (or NaN), with
/// the message every optimizer uses: `"{field} {value} < 0"`.
pub(crate) fn ensure_non_negative(
    optimizer: &str,
    checks: &[(&str, f64)],
) -> Result<(), OptimError> {
    for &(field, value) in checks {
        ensure(value >= 0.0, optimizer, || format!("{field} {value} < 0"))?;
    }
    Ok(())
}

/// Refuses `(beta1, beta2)` unless both are in `[0, 1)`.
pub(crate) fn ensure_betas(optimizer: &str, betas: (f64, f64)) -> Result<(), OptimError> {
    ensure(
        (0.0..1.0).contains(&betas.0) && (0.0..1.0).contains(&betas.1),
        optimizer,
        || format!("betas {betas:?} not in [0, 1)"),
    )
}
