//! Minimizing or maximizing: torch's `maximize` option, shared by every optimizer.
//!
//! torch negates the gradient before anything else reads it, so a maximizing optimizer is
//! the minimizing one run on `-g`: its moments hold `-g`, and an L2 penalty, added after
//! the negation, still pulls the parameters toward zero. The kernels multiply the gradient
//! by [`sign`], which is exact (multiplying by -1 flips the sign bit and by 1 changes
//! nothing, so a minimizing step is bit for bit what it was without the option) and
//! branch-free, so the loops still vectorize.

/// `-1` to maximize, `1` to minimize: the factor every kernel applies to the gradient first.
///
/// ```
/// use caadam_optim::objective::sign;
/// assert_eq!((sign(true) * 2.5, sign(false) * 2.5), (-2.5, 2.5));
/// ```
pub fn sign(maximize: bool) -> f32 {
    if maximize {
        -1.0
    } else {
        1.0
    }
}
