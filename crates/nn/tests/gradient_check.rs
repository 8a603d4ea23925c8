//! Finite-difference checks of whole models: forward, backward and `accumulate_grads`
//! together, so that a wrong slot, offset or layer rule shows up as a wrong gradient.

use caadam_autograd::Tape;
use caadam_nn::{Activation, Init, LayerNorm, Linear, Mlp, Module, ParamStore, Sequential};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The loss on an inference tape, in f32 as training computes it.
fn loss(model: &dyn Module, params: &ParamStore, x: &[f32], x_shape: &[usize], t: &[f32]) -> f64 {
    let mut tape = Tape::inference();
    let xv = tape.input_from(x, x_shape);
    let tv = tape.input_from(t, &[x_shape[0], t.len() / x_shape[0]]);
    let y = model.forward(&mut tape, params, xv);
    let l = tape.mse(y, tv);
    f64::from(tape.value(l).item())
}

/// Compares `params.grads()` after one forward/backward/accumulate with central
/// differences `(L(p + h) - L(p - h)) / 2h` of every single parameter.
///
/// h = 1e-2: the models are smooth (tanh, sigmoid, GELU, LayerNorm), so the truncation
/// error O(h^2) is about 1e-4 of the third derivative, while the f32 rounding of L (about
/// 1e-7 relative) divided by 2h stays near 1e-5. Tolerance: 1e-3 absolute plus 2% relative.
fn check(model: &dyn Module, params: &mut ParamStore, x: &[f32], x_shape: &[usize], t: &[f32]) {
    let mut tape = Tape::new();
    let xv = tape.input_from(x, x_shape);
    let tv = tape.input_from(t, &[x_shape[0], t.len() / x_shape[0]]);
    let y = model.forward(&mut tape, params, xv);
    let l = tape.mse(y, tv);
    tape.backward(l);
    params.zero_grads();
    params.accumulate_grads(&tape);
    let analytic = params.grads().to_vec();

    let h = 1e-2f32;
    let mut worst = 0.0f64;
    for (i, &a) in analytic.iter().enumerate() {
        let original = params.values()[i];
        params.values_mut()[i] = original + h;
        let plus = loss(model, params, x, x_shape, t);
        params.values_mut()[i] = original - h;
        let minus = loss(model, params, x, x_shape, t);
        params.values_mut()[i] = original;
        let numeric = (plus - minus) / (2.0 * f64::from(h));
        let a = f64::from(a);
        let err = (a - numeric).abs();
        let name = &params
            .layout()
            .segments()
            .iter()
            .find(|s| s.range().contains(&i))
            .unwrap()
            .name;
        assert!(
            err <= 1e-3 + 0.02 * a.abs().max(numeric.abs()),
            "parameter {i} ({name}): analytic {a}, numeric {numeric}"
        );
        worst = worst.max(err);
    }
    // Not a vacuous check: some gradients are far from zero.
    assert!(
        analytic.iter().any(|g| g.abs() > 1e-2),
        "all gradients tiny: {analytic:?}"
    );
    eprintln!("largest |analytic - numeric| = {worst:e}");
}

fn data(rng: &mut ChaCha8Rng, n: usize, d: usize, k: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..n * d).map(|_| rng.gen_range(-1.5..1.5)).collect();
    let t = (0..n * k).map(|_| rng.gen_range(-1.0..1.0)).collect();
    (x, t)
}

#[test]
fn mlp_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (mlp, mut params) = Mlp::new(
        &[3, 6, 5, 2],
        Activation::Tanh,
        Init::GlorotUniform,
        &mut rng,
    );
    // Non-zero biases, so that their gradients are exercised away from the start point.
    for v in params.values_mut().iter_mut().filter(|v| **v == 0.0) {
        *v = rng.gen_range(-0.3..0.3);
    }
    let (x, t) = data(&mut rng, 4, 3, 2);
    check(&mlp, &mut params, &x, &[4, 3], &t);
}

#[test]
fn sequential_with_layer_norm_and_every_smooth_activation_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (model, mut params) = Sequential::new()
        .push(Linear::new(3, 5))
        .push(Activation::GeluExact)
        .push(LayerNorm::new(5))
        .push(Linear::new(5, 4).with_init(Init::HeNormal))
        .push(Activation::Sigmoid)
        .push(Linear::new(4, 4))
        .push(Activation::Gelu)
        .push(Linear::new(4, 2))
        .build(Init::GlorotUniform, &mut rng);
    // Move LayerNorm's gain and shift off 1 and 0 so that both have visible gradients.
    for v in params.values_mut().iter_mut() {
        *v += rng.gen_range(-0.2..0.2);
    }
    let (x, t) = data(&mut rng, 5, 3, 2);
    check(&model, &mut params, &x, &[5, 3], &t);
}

#[test]
fn accumulate_grads_sums_over_backward_passes() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (mlp, mut params) = Mlp::new(&[2, 4, 1], Activation::Relu, Init::HeUniform, &mut rng);
    let (x, t) = data(&mut rng, 3, 2, 1);
    let mut tape = Tape::new();
    let mut once = Vec::new();
    for pass in 0..2 {
        let xv = tape.input_from(&x, &[3, 2]);
        let tv = tape.input_from(&t, &[3, 1]);
        let y = mlp.forward(&mut tape, &params, xv);
        let l = tape.mse(y, tv);
        tape.backward(l);
        params.accumulate_grads(&tape);
        tape.clear();
        if pass == 0 {
            once = params.grads().to_vec();
        }
    }
    for (twice, once) in params.grads().iter().zip(&once) {
        assert_eq!(*twice, 2.0 * once);
    }
}
