//! `Optimizer::step_store`, the step of a training loop over a `ParamStore`: the same bits
//! as `step` on the same buffers, and the same refusals, whether the bad value came from
//! the tape (which the store tests as it copies) or was written through `grads_mut` (which
//! it cannot see, so the step scans).

mod common;

use caadam_autograd::Tape;
use caadam_nn::{ParamLayout, ParamStore};
use caadam_optim::OptimError;
use common::{bits, grad, mlp, zoo};

/// A tape whose loss is `sum(p * g)` over every tensor of `store`, backward done: the
/// gradient of the parameters is `g`.
fn tape_with_gradient(store: &ParamStore, g: &[f32]) -> Tape {
    let mut tape = Tape::new();
    let mut loss = None;
    for (k, seg) in store.layout().segments().iter().enumerate() {
        let p = store.bind(&mut tape, k);
        let c = tape.input_from(&g[seg.range()], &seg.shape);
        let pc = tape.mul(p, c);
        let s = tape.sum(pc);
        loss = Some(loss.map_or(s, |l| tape.add(l, s)));
    }
    tape.backward(loss.expect("a model with parameters"));
    tape
}

/// Three steps through a store whose gradients `set_grads` wrote, against three `step`s on
/// plain buffers with the same gradients: parameters and state bit for bit, every optimizer.
fn same_bits_as_step(sizes: &[usize]) {
    let (layout, start) = mlp(sizes);
    for config in zoo() {
        let mut store = ParamStore::from_values(layout.clone(), start.clone()).unwrap();
        let (mut opt, mut twin) = (
            config.build(&layout).unwrap(),
            config.build(&layout).unwrap(),
        );
        let mut twin_params = start.clone();
        for step in 0..3 {
            let g = grad(&twin_params, step);
            let tape = tape_with_gradient(&store, &g);
            store.set_grads(&tape);
            assert!(store.grads_known_finite());
            assert_eq!(bits(store.grads()), bits(&g));
            opt.step_store(&mut store).unwrap();
            twin.step(&mut twin_params, &g).unwrap();
            assert_eq!(
                bits(store.values()),
                bits(&twin_params),
                "{config:?}, step {step}"
            );
        }
        assert_eq!(opt.state(), twin.state(), "{config:?}");
        assert_eq!(opt.steps(), 3);
    }
}

#[test]
fn a_small_model_steps_as_with_step() {
    same_bits_as_step(&[8, 16, 4, 1]);
}

#[test]
fn a_large_model_steps_as_with_step() {
    // Above the parallel threshold: the copy-and-test of `set_grads` runs on the pool.
    same_bits_as_step(&[256, 256, 300, 10]);
}

/// A NaN or an infinity in the tape's gradient of tensor 2, and a later NaN: refused, with
/// the first bad value named, and parameters and state exactly as they were; with the
/// check off, applied as torch applies it.
#[test]
fn a_non_finite_gradient_from_the_tape_is_refused() {
    for sizes in [&[8, 16, 4, 1][..], &[256, 256, 300, 10]] {
        let (layout, start) = mlp(sizes);
        let seg = &layout.segments()[2];
        for bad_value in [f32::NAN, f32::INFINITY] {
            for config in zoo() {
                let mut store = ParamStore::from_values(layout.clone(), start.clone()).unwrap();
                let mut opt = config.build(&layout).unwrap();
                let tape = tape_with_gradient(&store, &grad(&start, 0));
                store.set_grads(&tape);
                opt.step_store(&mut store).unwrap();

                let (values_before, state_before) = (store.values().to_vec(), opt.state());
                let mut g = grad(store.values(), 1);
                let index = seg.len() / 2;
                g[seg.offset + index] = bad_value;
                g[layout.len() - 1] = f32::NAN;
                let tape = tape_with_gradient(&store, &g);
                store.set_grads(&tape);
                assert!(!store.grads_known_finite());
                match opt.step_store(&mut store).unwrap_err() {
                    OptimError::NonFiniteGradient {
                        tensor,
                        index: i,
                        value,
                    } => {
                        assert_eq!((tensor.as_str(), i), (seg.name.as_str(), index));
                        assert_eq!(value.to_bits(), bad_value.to_bits());
                    }
                    other => panic!("{config:?}: {other:?}"),
                }
                assert_eq!(bits(store.values()), bits(&values_before), "{config:?}");
                assert_eq!(opt.state(), state_before, "{config:?}");

                opt.set_finite_check(false);
                opt.step_store(&mut store).unwrap();
                assert!(
                    !store.values()[seg.offset + index].is_finite(),
                    "{config:?}"
                );
                assert_eq!(opt.steps(), 2);
            }
        }
    }
}

/// A value written through `grads_mut` is not one the store has seen: even after a
/// `set_grads` that found everything finite, the step scans, and refuses.
#[test]
fn a_gradient_written_by_hand_is_scanned() {
    let (layout, start) = mlp(&[8, 16, 4, 1]);
    let mut store = ParamStore::from_values(layout.clone(), start.clone()).unwrap();
    let tape = tape_with_gradient(&store, &grad(&start, 0));
    store.set_grads(&tape);
    assert!(store.grads_known_finite());
    store.grads_mut()[5] = f32::INFINITY;
    for config in zoo() {
        let mut opt = config.build(&layout).unwrap();
        assert!(matches!(
            opt.step_store(&mut store),
            Err(OptimError::NonFiniteGradient {
                index: 5,
                value: f32::INFINITY,
                ..
            })
        ));
        assert_eq!(bits(store.values()), bits(&start), "{config:?}");
        assert_eq!(opt.steps(), 0);
    }
}

/// A store of another model: a length error, nothing written, whether the gradients are
/// known finite or not.
#[test]
fn a_store_of_another_length_is_an_error() {
    let (layout, _) = mlp(&[4, 3]);
    let mut opt = zoo()[0].build(&layout).unwrap();
    let mut store = ParamStore::new(ParamLayout::flat("w", 3));
    store.values_mut().fill(1.0);
    for known_finite in [true, false] {
        if !known_finite {
            store.grads_mut().fill(0.5);
        }
        assert_eq!(store.grads_known_finite(), known_finite);
        assert!(matches!(
            opt.step_store(&mut store),
            Err(OptimError::LengthMismatch {
                expected: 15,
                params: 3,
                grads: 3
            })
        ));
        assert_eq!(store.values(), &[1.0; 3]);
        assert_eq!(opt.steps(), 0);
    }
}
