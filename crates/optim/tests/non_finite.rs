//! The non-finite gradient policy: the step is refused with an error naming the first bad
//! tensor, and parameters and optimizer state stay exactly as they were.

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
