//! Dropout: random zeroing of activations during training.

use std::sync::Mutex;

use caadam_autograd::{Tape, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::module::Module;
use crate::rng_state::RngState;
use crate::store::ParamStore;

/// Zeroes each element with probability `p` in training mode and scales the kept ones by
/// `1 / (1 - p)` ("inverted" dropout), so that the expected activation is unchanged and
/// evaluation mode is the identity.
///
/// The mask comes from the layer's own ChaCha8 generator, seeded at construction. Each
/// training-mode `forward` draws exactly one number per element, so the sequence of masks
/// depends only on the seed and the shapes seen, never on threads or timing.
///
/// ```
/// use caadam_autograd::Tape;
/// use caadam_nn::{Dropout, Module, ParamLayout, ParamStore};
/// let params = ParamStore::new(ParamLayout::new());
/// let mut dropout = Dropout::new(0.5, 7);
/// let mut tape = Tape::new();
/// let x = tape.input_from(&[1.0; 8], &[2, 4]);
/// let y = dropout.forward(&mut tape, &params, x);
/// assert!(tape.value(y).data().iter().all(|&v| v == 0.0 || v == 2.0));
/// dropout.set_training(false);
/// let z = dropout.forward(&mut tape, &params, x);
/// assert_eq!(tape.value(z).data(), &[1.0; 8]);
/// ```
#[derive(Debug)]
pub struct Dropout {
    p: f32,
    training: bool,
    /// The generator and a reusable mask buffer (no allocation once warmed up). A mutex
    /// because `forward` takes `&self` and modules are shared between threads.
    state: Mutex<(ChaCha8Rng, Vec<f32>)>,
}

impl Dropout {
    /// Dropout with drop probability `p` in `[0, 1)`, its masks seeded by `seed`.
    ///
    /// Panics if `p` is outside `[0, 1)`.
    ///
    /// ```
    /// let d = caadam_nn::Dropout::new(0.1, 0);
    /// assert_eq!(d.p(), 0.1);
    /// ```
    pub fn new(p: f32, seed: u64) -> Self {
        assert!(
            (0.0..1.0).contains(&p),
            "Dropout::new: p = {p} is not in [0, 1)"
        );
        Self {
            p,
            training: true,
            state: Mutex::new((ChaCha8Rng::seed_from_u64(seed), Vec::new())),
        }
    }

    /// The drop probability.
    ///
    /// ```
    /// assert_eq!(caadam_nn::Dropout::new(0.25, 0).p(), 0.25);
    /// ```
    pub fn p(&self) -> f32 {
        self.p
    }

    /// The generator and mask buffer. A panic while they were held (in another thread's
    /// `forward`) cannot leave them inconsistent, so a poisoned lock is simply taken.
    fn lock(&self) -> std::sync::MutexGuard<'_, (ChaCha8Rng, Vec<f32>)> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True in training mode (the default).
    ///
    /// ```
    /// assert!(caadam_nn::Dropout::new(0.25, 0).is_training());
    /// ```
    pub fn is_training(&self) -> bool {
        self.training
    }
}

impl Module for Dropout {
    fn forward(&self, tape: &mut Tape, _params: &ParamStore, x: Var) -> Var {
        if !self.training || self.p == 0.0 {
            return x;
        }
        let scale = 1.0 / (1.0 - self.p);
        let shape = tape.shape(x).to_vec();
        let n: usize = shape.iter().product();
        let mut state = self.lock();
        let (rng, mask) = &mut *state;
        mask.clear();
        // gen::<f32>() is uniform on [0, 1): P(u < p) = p exactly drops.
        mask.extend((0..n).map(|_| {
            if rng.gen::<f32>() < self.p {
                0.0
            } else {
                scale
            }
        }));
        let m = tape.input_from(mask, &shape);
        tape.mul(x, m)
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// Only where `forward` is the identity: training masks are drawn from one generator
    /// row after row, so parts of a batch run apart would draw other masks.
    fn rows_independent(&self) -> bool {
        !self.training || self.p == 0.0
    }

    fn rng_states(&self) -> Vec<RngState> {
        vec![RngState::of(&self.lock().0)]
    }

    fn set_rng_states(&mut self, states: &[RngState]) -> usize {
        let state = states
            .first()
            .expect("Dropout::set_rng_states: no state left for this layer");
        self.lock().0 = state.generator();
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::ParamLayout;

    fn run(d: &Dropout, x: &[f32], shape: &[usize]) -> (Vec<f32>, Vec<f32>) {
        let params = ParamStore::new(ParamLayout::new());
        let mut tape = Tape::new();
        let xv = tape.param(x, shape, 0); // a parameter, so that it gets a gradient
        let y = d.forward(&mut tape, &params, xv);
        let loss = tape.sum(y);
        tape.backward(loss);
        (
            tape.value(y).data().to_vec(),
            tape.grad(xv).unwrap().data().to_vec(),
        )
    }

    #[test]
    fn training_drops_about_p_and_scales_the_rest() {
        let d = Dropout::new(0.3, 11);
        let n = 20_000;
        let x: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32).collect();
        let (y, g) = run(&d, &x, &[100, 200]);
        let mut dropped = 0;
        for ((&xi, &yi), &gi) in x.iter().zip(&y).zip(&g) {
            if yi == 0.0 {
                dropped += 1;
                assert_eq!(gi, 0.0);
            } else {
                // Kept: y = x / 0.7 and dy/dx = 1 / 0.7.
                assert!((yi - xi / 0.7).abs() < 1e-5 * yi.abs(), "{yi} vs {xi}");
                assert!((gi - 1.0 / 0.7).abs() < 1e-6);
            }
        }
        // Binomial(20000, 0.3): standard deviation 64.8; allow 5 of them.
        assert!((dropped as f64 - 6000.0).abs() < 325.0, "dropped {dropped}");
        // Expected activation preserved: the mean of y (standard error about 0.025) stays
        // within 5% of the mean of x (about 4).
        let mean = |v: &[f32]| v.iter().map(|&a| f64::from(a)).sum::<f64>() / n as f64;
        assert!((mean(&y) - mean(&x)).abs() < 0.05 * mean(&x));
    }

    #[test]
    fn evaluation_mode_is_the_identity() {
        let mut d = Dropout::new(0.9, 1);
        d.set_training(false);
        assert!(!d.is_training());
        let x = [1.0, -2.0, 3.0];
        let (y, g) = run(&d, &x, &[3]);
        assert_eq!(y, x);
        assert_eq!(g, [1.0; 3]);
    }

    #[test]
    fn masks_follow_the_seed_and_advance_deterministically() {
        let x = vec![1.0f32; 64];
        let (a, b) = (Dropout::new(0.5, 3), Dropout::new(0.5, 3));
        let a1 = run(&a, &x, &[64]).0;
        let a2 = run(&a, &x, &[64]).0;
        assert_ne!(a1, a2, "the generator must advance between steps");
        assert_eq!(run(&b, &x, &[64]).0, a1);
        assert_eq!(run(&b, &x, &[64]).0, a2);
        assert_ne!(run(&Dropout::new(0.5, 4), &x, &[64]).0, a1);
    }

    /// N forwards, save the positions, M more: a model with other seeds, restored from the
    /// saved positions (through serde, as a resumed run reads them), draws the same M masks.
    #[test]
    fn restored_generators_continue_the_saved_run() {
        use crate::{restore_rng_states, Sequential};
        let x = vec![1.0f32; 96];
        let model = Sequential::new()
            .push(Dropout::new(0.5, 1))
            .push(Dropout::new(0.3, 2));
        let forward = |m: &Sequential| {
            let params = ParamStore::new(ParamLayout::new());
            let mut tape = Tape::new();
            let xv = tape.input_from(&x, &[8, 12]);
            let y = m.forward(&mut tape, &params, xv);
            tape.value(y).data().to_vec()
        };
        for _ in 0..3 {
            forward(&model);
        }
        let json = serde_json::to_string(&model.rng_states()).unwrap();
        let expected: Vec<Vec<f32>> = (0..2).map(|_| forward(&model)).collect();

        let mut resumed = Sequential::new()
            .push(Dropout::new(0.5, 7))
            .push(Dropout::new(0.3, 8));
        assert_ne!(forward(&resumed), expected[0]);
        let saved: Vec<RngState> = serde_json::from_str(&json).unwrap();
        restore_rng_states(&mut resumed, &saved).unwrap();
        let got: Vec<Vec<f32>> = (0..2).map(|_| forward(&resumed)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_wrong_count_of_states_changes_nothing() {
        use crate::{restore_rng_states, NnError, Sequential};
        let mut model = Sequential::new()
            .push(Dropout::new(0.5, 1))
            .push(Dropout::new(0.5, 2));
        let before = model.rng_states();
        let other = Dropout::new(0.5, 9).rng_states();
        let err = restore_rng_states(&mut model, &other).unwrap_err();
        assert!(matches!(
            err,
            NnError::RngStateCount {
                expected: 2,
                found: 1
            }
        ));
        assert_eq!(
            err.to_string(),
            "2 random-generator states expected (one per Dropout layer), 1 given"
        );
        assert_eq!(model.rng_states(), before);
    }

    #[test]
    #[should_panic(expected = "not in [0, 1)")]
    fn p_of_one_is_rejected() {
        Dropout::new(1.0, 0);
    }
}
