//! Gradient clipping, by global norm (deterministic) and by value.
//!
//! Call these on the gradient buffer between backward and `step`. On a
//! `caadam_nn::ParamStore` they go through `grads_mut`, after which the store no longer
//! knows its gradients are finite, so `Optimizer::step_store` scans them again (clipping
//! reads every gradient for the norm anyway).

use crate::parallel::{chunked_sum, map_in_place};

/// The L2 norm of all gradients together, summed in f64 over fixed chunks combined in
/// order: the same bits on any number of threads.
///
/// ```
/// assert_eq!(caadam_optim::clip::global_norm(&[3.0, 4.0]), 5.0);
/// ```
pub fn global_norm(grads: &[f32]) -> f64 {
    chunked_sum(grads, |c| {
        c.iter().map(|&g| (g as f64) * (g as f64)).sum::<f64>()
    })
    .sqrt()
}

/// Scales `grads` so that their global norm is at most `max_norm` (torch's
/// `clip_grad_norm_`: the factor is `max_norm / (norm + 1e-6)`, applied only when below 1)
/// and returns the norm before clipping. A non-finite norm leaves the gradients untouched
/// (the optimizer's step will then refuse them and name the tensor).
///
/// ```
/// let mut g = [3.0f32, 4.0];
/// let norm = caadam_optim::clip::clip_grad_norm(&mut g, 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm(grads: &mut [f32], max_norm: f32) -> f64 {
    let norm = global_norm(grads);
    if norm.is_finite() {
        let factor = max_norm as f64 / (norm + 1e-6);
        if factor < 1.0 {
            let factor = factor as f32;
            map_in_place(grads, |g| g * factor);
        }
    }
    norm
}

/// Clamps every gradient to `[-clip, clip]` (torch's `clip_grad_value_`); NaN stays NaN.
///
/// ```
/// let mut g = [-3.0f32, 0.5, 2.0];
/// caadam_optim::clip::clip_grad_value(&mut g, 1.0);
/// assert_eq!(g, [-1.0, 0.5, 1.0]);
/// ```
pub fn clip_grad_value(grads: &mut [f32], clip: f32) {
    map_in_place(grads, |g| g.clamp(-clip, clip));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_is_the_same_bits_on_one_and_two_threads() {
        let g: Vec<f32> = (0..300_000).map(|i| ((i as f32) * 0.013).sin()).collect();
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| global_norm(&g));
        let two = pool(2).install(|| global_norm(&g));
        assert_eq!(one.to_bits(), two.to_bits());
        let direct = g.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
        assert!((one - direct).abs() < 1e-9 * direct);
    }

    #[test]
    fn small_gradients_are_not_clipped() {
        let mut g = [0.3f32, 0.4];
        assert!((clip_grad_norm(&mut g, 1.0) - 0.5).abs() < 1e-7);
        assert_eq!(g, [0.3, 0.4]);
    }

    #[test]
    fn nan_norm_leaves_gradients_alone() {
        let mut g = [f32::NAN, 10.0];
        assert!(clip_grad_norm(&mut g, 1.0).is_nan());
        assert_eq!(g[1], 10.0);
    }
}
