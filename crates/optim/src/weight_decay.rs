//! Weight decay, in its two forms, shared by every optimizer that offers it.
//!
//! - L2 (torch's `weight_decay` for SGD, Adam, ...): the gradient becomes `g + wd * theta`
//!   before anything else reads it;
//! - decoupled (AdamW): the parameter is shrunk, `theta *= 1 - lr * wd`, before the update.

/// The L2-regularised gradient `g + wd * theta` (unchanged when `wd == 0`, as torch skips it).
///
/// ```
/// use caadam_optim::weight_decay::l2;
/// assert_eq!(l2(1.0, 2.0, 0.5), 2.0);
/// assert_eq!(l2(1.0, f32::INFINITY, 0.0), 1.0);
/// ```
#[inline(always)]
pub fn l2(grad: f32, param: f32, wd: f32) -> f32 {
    if wd == 0.0 {
        grad
    } else {
        grad + wd * param
    }
}

/// The factor `1 - lr * wd` that decoupled weight decay multiplies the parameters by,
/// computed in f64 and rounded once.
///
/// ```
/// use caadam_optim::weight_decay::decoupled_factor;
/// assert_eq!(decoupled_factor(0.01, 0.1), 0.999);
/// ```
pub fn decoupled_factor(lr: f64, wd: f64) -> f32 {
    (1.0 - lr * wd) as f32
}
