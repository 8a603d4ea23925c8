//! The non-finite gradient policy: the step is refused with an error naming the first bad
//! tensor, and parameters and optimizer state stay exactly as they were; with the check
//! turned off, the bad value is applied like any other, as torch applies it.

mod common;

use caadam_optim::{OptimError, STATE_VERSION};
use common::{bits, grad, mlp, zoo};

fn refuses(sizes: &[usize], bad_tensor: usize, bad_value: f32) {
    let (layout, mut params) = mlp(sizes);
    let seg = &layout.segments()[bad_tensor];
    for config in zoo() {
        let mut opt = config.build(&layout).unwrap();
        let g = grad(&params, 0);
        opt.step(&mut params, &g).unwrap();
        let (params_before, state_before) = (params.clone(), opt.state());
        assert_eq!(state_before.version, STATE_VERSION);
        let mut g = grad(&params, 1);
        let index = seg.len() / 2;
        g[seg.offset + index] = bad_value;
        g[layout.len() - 1] = f32::NAN; // a later bad value is not the one reported
        let err = opt.step(&mut params, &g).unwrap_err();
        match err {
            OptimError::NonFiniteGradient {
                ref tensor,
                index: i,
                value,
            } => {
                assert_eq!(tensor, &seg.name, "{config:?}");
                assert_eq!(i, index);
                assert_eq!(value.to_bits(), bad_value.to_bits());
            }
            other => panic!("{config:?}: {other:?}"),
        }
        assert!(err.to_string().contains(&seg.name));
        assert_eq!(
            bits(&params),
            bits(&params_before),
            "{config:?}: parameters changed"
        );
        assert_eq!(opt.state(), state_before, "{config:?}: state changed");
        assert_eq!(opt.steps(), 1);
    }
}

#[test]
fn nan_in_a_small_model_is_refused() {
    refuses(&[8, 16, 4, 1], 2, f32::NAN);
}

#[test]
fn infinity_in_a_large_model_is_refused() {
    // Above the parallel threshold, so the scan runs on the pool.
    refuses(&[256, 256, 300, 10], 3, f32::NEG_INFINITY);
}

/// With the finite check off, a step on a gradient holding a NaN goes through: that one
/// parameter becomes NaN and every other one gets exactly the update it gets when the bad
/// value is replaced by a finite one (the updates are element-wise). Turned back on, the
/// check refuses the next bad gradient again.
fn applies_when_unchecked(sizes: &[usize]) {
    let (layout, start) = mlp(sizes);
    let bad = layout.segments()[1].offset + 1;
    for config in zoo() {
        let (mut unchecked, mut twin) = (
            config.build(&layout).unwrap(),
            config.build(&layout).unwrap(),
        );
        assert!(unchecked.finite_check(), "{config:?}: on by default");
        let (mut params, mut twin_params) = (start.clone(), start.clone());
        let g = grad(&params, 0);
        unchecked.step(&mut params, &g).unwrap();
        twin.step(&mut twin_params, &g).unwrap();

        unchecked.set_finite_check(false);
        assert!(!unchecked.finite_check());
        let mut g = grad(&params, 1);
        g[bad] = 0.25;
        twin.step(&mut twin_params, &g).unwrap();
        g[bad] = f32::NAN;
        unchecked.step(&mut params, &g).unwrap();
        assert_eq!(unchecked.steps(), 2, "{config:?}");
        assert!(params[bad].is_nan(), "{config:?}: the NaN was not applied");
        twin_params[bad] = params[bad];
        assert_eq!(
            bits(&params),
            bits(&twin_params),
            "{config:?}: other parameters moved differently"
        );

        // The length checks stay when the scan is off.
        assert!(matches!(
            unchecked.step(&mut params, &g[1..]),
            Err(OptimError::LengthMismatch { .. })
        ));
        unchecked.set_finite_check(true);
        let before = bits(&params);
        assert!(matches!(
            unchecked.step(&mut params, &g),
            Err(OptimError::NonFiniteGradient { .. })
        ));
        assert_eq!(
            (bits(&params), unchecked.steps()),
            (before, 2),
            "{config:?}"
        );
    }
}

#[test]
fn unchecked_small_model_applies_the_nan() {
    applies_when_unchecked(&[8, 16, 4, 1]);
}

#[test]
fn unchecked_large_model_applies_the_nan() {
    // Above the parallel threshold: the kernels run on the pool.
    applies_when_unchecked(&[256, 256, 300, 10]);
}

#[test]
fn wrong_lengths_are_an_error_not_a_panic() {
    let (layout, mut params) = mlp(&[4, 3]);
    let mut opt = zoo()[0].build(&layout).unwrap();
    let err = opt.step(&mut params, &[0.0; 3]).unwrap_err();
    assert!(matches!(
        err,
        OptimError::LengthMismatch {
            expected: 15,
            params: 15,
            grads: 3
        }
    ));
}
