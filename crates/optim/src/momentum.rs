//! The heavy-ball momentum buffer shared by SGD and RMSprop.

use crate::moments::flush_subnormal;

/// Updates the momentum buffer with the new direction `x` and returns the new buffer value.
///
/// torch's rule: the first step copies `x` into the buffer; later steps do
/// `buf = momentum * buf + (1 - dampening) * x`. A buffer that starts at zero can pass
/// `first = false` from the start (RMSprop does).
///
/// ```
/// use caadam_optim::momentum::update;
/// let mut buf = 0.0;
/// assert_eq!(update(&mut buf, 2.0, 0.5, 0.9, true), 2.0);
/// assert_eq!(update(&mut buf, 2.0, 0.5, 0.5, false), 2.0); // 0.5*2 + 0.5*2
/// ```
///
/// The buffer is flushed to zero once it falls below the smallest normal f32, as every
/// decaying optimizer state here is (see the crate docs: subnormal floats are slow).
#[inline(always)]
pub fn update(buf: &mut f32, x: f32, momentum: f32, one_minus_dampening: f32, first: bool) -> f32 {
    *buf = flush_subnormal(if first {
        x
    } else {
        momentum * *buf + one_minus_dampening * x
    });
    *buf
}
