//! The exponential moving averages of the gradient and of its square that Adam, AdamW,
//! CaAdam, NAdam and RAdam all keep, written once so that their kernels round alike.

/// `1 - beta1`, `beta2` and `1 - beta2` rounded to f32 once per step.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MomentDecay {
    one_minus_b1: f32,
    b2: f32,
    one_minus_b2: f32,
}

impl MomentDecay {
    /// The f32 factors of `(beta1, beta2)`; `1 - beta` is taken in f64 before rounding.
    pub fn new((beta1, beta2): (f64, f64)) -> Self {
        Self {
            one_minus_b1: (1.0 - beta1) as f32,
            b2: beta2 as f32,
            one_minus_b2: (1.0 - beta2) as f32,
        }
    }

    /// Updates the moments of one element from its gradient `g`: torch's lerp form for `m`
    /// (`m + (1-b1)(g-m)`), `b2*v + (1-b2)g^2` for `v`. Inlined into each kernel's loop so
    /// that the loop still vectorizes.
    #[inline(always)]
    pub fn update(self, g: f32, m: &mut f32, v: &mut f32) {
        *m += self.one_minus_b1 * (g - *m);
        *v = self.b2 * *v + self.one_minus_b2 * (g * g);
    }
}
