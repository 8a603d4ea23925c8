//! Weight initialisation schemes.
//!
//! Weights are drawn from a distribution scaled by the layer's fans so that activations and
//! gradients keep roughly the same variance from layer to layer; biases start at zero. The
//! default, Glorot uniform with zero biases, is what Keras uses, which is how the CaAdam
//! paper's models were initialised.

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Keras truncates its normal initialisers at two standard deviations; a normal distribution
/// cut there has only this fraction of its standard deviation left, so Keras divides by it
/// first to keep the requested variance (the constant is Keras's own, to the digit).
const TRUNCATED_NORMAL_STD_RATIO: f64 = 0.879_625_661_034_239_8;

/// How the weights of a layer are drawn.
///
/// | scheme | distribution | variance |
/// |---|---|---|
/// | `GlorotUniform` | `U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))` | `2 / (fan_in + fan_out)` |
/// | `HeUniform` | `U(-a, a)`, `a = sqrt(6 / fan_in)` | `2 / fan_in` |
/// | `HeNormal` | `N(0, s^2)` cut at `±2s`, `s = sqrt(2 / fan_in) / 0.8796…` (as Keras) | `2 / fan_in` |
///
/// ```
/// use caadam_nn::Init;
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let w = Init::GlorotUniform.sample(8, 64, 8 * 64, &mut rng);
/// let a = (6.0f32 / 72.0).sqrt();
/// assert!(w.iter().all(|x| x.abs() <= a));
/// assert_eq!(Init::default(), Init::GlorotUniform);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Init {
    /// Glorot (Xavier) uniform, the Keras default.
    #[default]
    GlorotUniform,
    /// He (Kaiming) uniform, for ReLU networks.
    HeUniform,
    /// He (Kaiming) normal, truncated at two standard deviations as Keras does.
    HeNormal,
}

impl Init {
    /// The variance the scheme gives each weight.
    ///
    /// ```
    /// use caadam_nn::Init;
    /// assert!((Init::GlorotUniform.variance(8, 64) - 2.0 / 72.0).abs() < 1e-15);
    /// assert!((Init::HeNormal.variance(8, 64) - 0.25).abs() < 1e-15);
    /// ```
    pub fn variance(self, fan_in: usize, fan_out: usize) -> f64 {
        match self {
            Init::GlorotUniform => 2.0 / (fan_in + fan_out) as f64,
            Init::HeUniform | Init::HeNormal => 2.0 / fan_in as f64,
        }
    }

    /// The largest magnitude a weight can have: the uniform limit `a`, or the truncation
    /// point `2s` of `HeNormal`.
    ///
    /// ```
    /// use caadam_nn::Init;
    /// assert!((Init::HeUniform.bound(6, 1) - 1.0).abs() < 1e-12);
    /// ```
    pub fn bound(self, fan_in: usize, fan_out: usize) -> f64 {
        match self {
            // A uniform U(-a, a) has variance a^2 / 3.
            Init::GlorotUniform | Init::HeUniform => (3.0 * self.variance(fan_in, fan_out)).sqrt(),
            Init::HeNormal => 2.0 * self.untruncated_std(fan_in, fan_out),
        }
    }

    /// Standard deviation of the normal before truncation (HeNormal only).
    fn untruncated_std(self, fan_in: usize, fan_out: usize) -> f64 {
        self.variance(fan_in, fan_out).sqrt() / TRUNCATED_NORMAL_STD_RATIO
    }

    /// Fills `out` with weights for a layer of the given fans.
    ///
    /// Panics if `fan_in` is zero (the variance would be infinite).
    ///
    /// ```
    /// use caadam_nn::Init;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let mut w = [0.0f32; 12];
    /// Init::HeNormal.fill(3, 4, &mut w, &mut rng);
    /// assert!(w.iter().all(|x| f64::from(x.abs()) <= Init::HeNormal.bound(3, 4)));
    /// ```
    pub fn fill<R: Rng + ?Sized>(
        self,
        fan_in: usize,
        fan_out: usize,
        out: &mut [f32],
        rng: &mut R,
    ) {
        assert!(fan_in > 0, "Init::fill: fan_in must be positive");
        match self {
            Init::GlorotUniform | Init::HeUniform => {
                let a = self.bound(fan_in, fan_out) as f32;
                for w in out.iter_mut() {
                    *w = rng.gen_range(-a..a);
                }
            }
            Init::HeNormal => {
                let s = self.untruncated_std(fan_in, fan_out);
                for w in out.iter_mut() {
                    // Rejection keeps the shape of the normal inside ±2s; about 4.6% of
                    // draws are redrawn.
                    let z = loop {
                        let z: f64 = rng.sample(StandardNormal);
                        if z.abs() <= 2.0 {
                            break z;
                        }
                    };
                    *w = (z * s) as f32;
                }
            }
        }
    }

    /// `len` weights for a layer of the given fans.
    ///
    /// ```
    /// use caadam_nn::Init;
    /// use rand::SeedableRng;
    /// let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    /// let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    /// assert_eq!(Init::HeUniform.sample(4, 2, 8, &mut a), Init::HeUniform.sample(4, 2, 8, &mut b));
    /// ```
    pub fn sample<R: Rng + ?Sized>(
        self,
        fan_in: usize,
        fan_out: usize,
        len: usize,
        rng: &mut R,
    ) -> Vec<f32> {
        let mut out = vec![0.0; len];
        self.fill(fan_in, fan_out, &mut out, rng);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Mean and (population) variance in f64.
    fn moments(xs: &[f32]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = xs
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    /// Checks bounds, mean and variance of 65 536 draws against the closed forms.
    ///
    /// Tolerances: the sample mean has standard error `sqrt(var / n)`, we allow 5 of them;
    /// the sample variance has relative standard error at most `sqrt(2 / n)` = 0.55% for
    /// these distributions (less for the uniform), we allow 3%.
    fn check(init: Init, fan_in: usize, fan_out: usize, expected_var: f64, expected_bound: f64) {
        let n = 65_536;
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let w = init.sample(fan_in, fan_out, n, &mut rng);
        let (mean, var) = moments(&w);
        let max = w.iter().fold(0.0f64, |m, &x| m.max(f64::from(x.abs())));
        assert!(
            max <= expected_bound + 1e-7,
            "{init:?}: max {max} > bound {expected_bound}"
        );
        // The extremes are reached: the sample is not narrower than the distribution.
        assert!(
            max > 0.97 * expected_bound,
            "{init:?}: max {max} far below {expected_bound}"
        );
        assert!(
            mean.abs() < 5.0 * (expected_var / n as f64).sqrt(),
            "{init:?}: mean {mean}"
        );
        let rel = (var - expected_var).abs() / expected_var;
        assert!(
            rel < 0.03,
            "{init:?}: variance {var}, expected {expected_var}"
        );
    }

    #[test]
    fn glorot_uniform_bounds_and_variance() {
        // a = sqrt(6 / (100 + 200)) = sqrt(0.02); variance a^2 / 3 = 2 / 300.
        check(Init::GlorotUniform, 100, 200, 2.0 / 300.0, 0.02f64.sqrt());
    }

    #[test]
    fn he_uniform_bounds_and_variance() {
        // a = sqrt(6 / 24) = 0.5; variance 2 / 24.
        check(Init::HeUniform, 24, 7, 2.0 / 24.0, 0.5);
    }

    #[test]
    fn he_normal_bounds_and_variance() {
        // Variance 2 / 50 = 0.04 after truncation; s = 0.2 / 0.8796..., cut at 2s.
        let s = 0.2 / 0.879_625_661_034_239_8;
        check(Init::HeNormal, 50, 3, 0.04, 2.0 * s);
    }

    #[test]
    fn he_normal_is_bell_shaped_not_uniform() {
        // For a normal cut at ±2s, P(|z| <= 1) = (2Φ(1) - 1) / (2Φ(2) - 1)
        // = 0.682689 / 0.954500 = 0.71523; a uniform on ±2s would give 0.5.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let w = Init::HeNormal.sample(8, 8, 65_536, &mut rng);
        let s = Init::HeNormal.bound(8, 8) / 2.0;
        let inside = w.iter().filter(|&&x| f64::from(x.abs()) <= s).count() as f64 / 65_536.0;
        assert!(
            (inside - 0.71523).abs() < 0.01,
            "fraction within one s: {inside}"
        );
    }

    #[test]
    fn same_seed_same_bits_other_seed_other_values() {
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            Init::HeNormal.sample(16, 16, 256, &mut rng)
        };
        let (a, b, c) = (draw(5), draw(5), draw(6));
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert_ne!(a, c);
    }
}
