//! Gradient clipping, by global norm (deterministic) and by value.
//!
//! Call these on the gradient buffer between backward and `step`, or, in a training loop
//! over a [`ParamStore`], the `clip_store_*` forms between `set_grads` and
//! `Optimizer::step_store`: they rewrite the gradients through [`ParamStore::map_grads`],
//! which tests every result, so the store still knows whether its gradients are finite and
//! the step still needs no scan (clipping through `grads_mut` would make that unknown).

use caadam_nn::ParamStore;

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
    if let Some(factor) = norm_clip_factor(norm, max_norm) {
        map_in_place(grads, |g| g * factor);
    }
    norm
}

/// [`clip_grad_norm`] on a store's gradients (the same bits), keeping track of whether they
/// are finite (see the [module docs](self)).
///
/// ```
/// use caadam_nn::{ParamLayout, ParamStore};
/// let mut store = ParamStore::new(ParamLayout::flat("w", 2));
/// store.map_grads(|_| 4.0); // gradients (4, 4), known finite
/// let norm = caadam_optim::clip::clip_store_grad_norm(&mut store, 1.0);
/// assert!((norm - 32f64.sqrt()).abs() < 1e-12);
/// assert!((store.grads()[0] - 0.5f32.sqrt()).abs() < 1e-6);
/// assert!(store.grads_known_finite());
/// ```
pub fn clip_store_grad_norm(store: &mut ParamStore, max_norm: f32) -> f64 {
    let norm = global_norm(store.grads());
    if let Some(factor) = norm_clip_factor(norm, max_norm) {
        store.map_grads(|g| g * factor);
    }
    norm
}

/// torch's factor `max_norm / (norm + 1e-6)`, when the gradients need it: the norm is finite
/// and the factor below 1.
fn norm_clip_factor(norm: f64, max_norm: f32) -> Option<f32> {
    let factor = max_norm as f64 / (norm + 1e-6);
    (norm.is_finite() && factor < 1.0).then_some(factor as f32)
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

/// [`clip_grad_value`] on a store's gradients, keeping track of whether they are finite
/// (an infinity is clamped to `±clip`, so it becomes finite; a NaN stays NaN).
///
/// ```
/// use caadam_nn::{ParamLayout, ParamStore};
/// let mut store = ParamStore::new(ParamLayout::flat("w", 2));
/// store.grads_mut().copy_from_slice(&[-3.0, f32::INFINITY]);
/// caadam_optim::clip::clip_store_grad_value(&mut store, 1.0);
/// assert_eq!(store.grads(), &[-1.0, 1.0]);
/// assert!(store.grads_known_finite());
/// ```
pub fn clip_store_grad_value(store: &mut ParamStore, clip: f32) {
    store.map_grads(|g| g.clamp(-clip, clip));
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

    /// The store forms give the bits of the slice forms, above and below the parallel
    /// threshold, and leave the store knowing whether its gradients are finite: still
    /// finite after a clip of finite gradients; not finite with a NaN (the norm clip leaves
    /// them alone, the value clip keeps the NaN).
    #[test]
    fn store_forms_match_the_slice_forms_and_keep_the_answer() {
        for n in [5, 300_000] {
            let layout = caadam_nn::ParamLayout::flat("w", n);
            let g: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
            let mut store = ParamStore::new(layout);
            let mut tape = caadam_autograd::Tape::new();
            let w = store.bind(&mut tape, 0);
            let c = tape.input_from(&g, &[n]);
            let wc = tape.mul(w, c);
            let loss = tape.sum(wc);
            tape.backward(loss);
            store.set_grads(&tape);
            assert!(store.grads_known_finite());

            let mut expected = g.clone();
            let norm = clip_grad_norm(&mut expected, 0.5);
            assert_eq!(
                clip_store_grad_norm(&mut store, 0.5).to_bits(),
                norm.to_bits()
            );
            assert_eq!(bits(store.grads()), bits(&expected), "n = {n}");
            assert!(store.grads_known_finite(), "n = {n}");
            clip_grad_value(&mut expected, 1e-3);
            clip_store_grad_value(&mut store, 1e-3);
            assert_eq!(bits(store.grads()), bits(&expected), "n = {n}");
            assert!(store.grads_known_finite(), "n = {n}");

            store.grads_mut()[n / 2] = f32::NAN;
            assert!(clip_store_grad_norm(&mut store, 1e-9).is_nan());
            assert_eq!(
                store.grads()[0].to_bits(),
                expected[0].to_bits(),
                "left alone"
            );
            assert!(!store.grads_known_finite(), "n = {n}");
            clip_store_grad_value(&mut store, 1.0);
            assert!(store.grads()[n / 2].is_nan());
            assert!(!store.grads_known_finite(), "n = {n}");
        }
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
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
