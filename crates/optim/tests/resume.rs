//! "Train N, save, load, train M" is bit-identical to "train N+M", for SGD with momentum,
//! Adam, CaAdam and a learning-rate schedule, through bincode bytes.

mod common;

use caadam_nn::ParamLayout;
use caadam_optim::schedule::{
    CosineWithWarmup, LrSchedule, PlateauConfig, ReduceOnPlateau, ScheduleState,
};
use caadam_optim::{
    AdamConfig, CaAdamConfig, OptimizerConfig, OptimizerState, SgdConfig, Strategy,
};
use common::{bits, grad, mlp};

const N: usize = 7;
const M: usize = 9;

/// One training segment: steps `from..to`, the cosine schedule stepping every step and the
/// plateau schedule fed a loss-like metric.
fn train(
    opt: &mut dyn caadam_optim::Optimizer,
    cosine: &mut CosineWithWarmup,
    plateau: &mut ReduceOnPlateau,
    params: &mut [f32],
    from: usize,
    to: usize,
) {
    for step in from..to {
        let g = grad(params, step);
        opt.step(params, &g).unwrap();
        cosine.step(opt);
        // A metric that stalls, so the plateau schedule acts too.
        let metric = 1.0 / (1.0 + (step.min(4)) as f32);
        plateau.step(metric, opt);
    }
}

fn schedules() -> (CosineWithWarmup, ReduceOnPlateau) {
    (
        CosineWithWarmup::new(0.01, 3, 20, 1e-4),
        ReduceOnPlateau::new(PlateauConfig {
            factor: 0.5,
            patience: 2,
            ..Default::default()
        }),
    )
}

fn check(config: OptimizerConfig, layout: &ParamLayout, params0: &[f32]) {
    // Straight N + M.
    let mut opt = config.build(layout).unwrap();
    let (mut cosine, mut plateau) = schedules();
    let mut straight = params0.to_vec();
    train(
        opt.as_mut(),
        &mut cosine,
        &mut plateau,
        &mut straight,
        0,
        N + M,
    );

    // N, save to bytes, drop everything.
    let bytes = {
        let mut opt = config.build(layout).unwrap();
        let (mut cosine, mut plateau) = schedules();
        let mut params = params0.to_vec();
        train(opt.as_mut(), &mut cosine, &mut plateau, &mut params, 0, N);
        bincode::serialize(&(params, opt.state(), cosine.state(), plateau.state())).unwrap()
    };

    // Fresh objects, load, M more.
    type Saved = (Vec<f32>, OptimizerState, ScheduleState, ScheduleState);
    let (mut params, state, cosine_state, plateau_state): Saved =
        bincode::deserialize(&bytes).unwrap();
    let mut opt = config.build(layout).unwrap();
    let (mut cosine, mut plateau) = schedules();
    opt.load_state(&state).unwrap();
    cosine.load_state(&cosine_state).unwrap();
    plateau.load_state(&plateau_state).unwrap();
    assert_eq!(opt.learning_rate(), state.learning_rate as f32);
    train(
        opt.as_mut(),
        &mut cosine,
        &mut plateau,
        &mut params,
        N,
        N + M,
    );

    assert_eq!(bits(&params), bits(&straight), "{config:?}");
    assert_ne!(bits(&params), bits(params0));
}

#[test]
fn sgd_momentum_adam_and_caadam_resume_bit_for_bit() {
    let (layout, params0) = mlp(&[8, 32, 16, 1]);
    let configs = [
        OptimizerConfig::Sgd(SgdConfig {
            lr: 0.01,
            momentum: 0.9,
            ..Default::default()
        }),
        OptimizerConfig::Adam(AdamConfig {
            lr: 0.01,
            ..Default::default()
        }),
        OptimizerConfig::CaAdam(CaAdamConfig {
            lr: 0.01,
            strategy: Strategy::Additive,
            ..Default::default()
        }),
        OptimizerConfig::CaAdam(CaAdamConfig::keras_reference(Strategy::Multiplicative)),
    ];
    for config in configs {
        check(config, &layout, &params0);
    }
}

#[test]
fn a_record_for_another_layout_is_a_clear_error() {
    let (layout, _) = mlp(&[8, 32, 16, 1]);
    let (other, _) = mlp(&[8, 32, 17, 1]);
    let config = OptimizerConfig::Adam(AdamConfig::default());
    let state = config.build(&layout).unwrap().state();
    let err = config
        .build(&other)
        .unwrap()
        .load_state(&state)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("layers.1.weight") && msg.contains("512") && msg.contains("544"),
        "{msg}"
    );
    // Another optimizer's record is refused too, by name.
    let sgd_state = OptimizerConfig::Sgd(SgdConfig::default())
        .build(&layout)
        .unwrap()
        .state();
    let msg = config
        .build(&layout)
        .unwrap()
        .load_state(&sgd_state)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("sgd"), "{msg}");
    // And a record from a future format version.
    let mut future = state.clone();
    future.version += 1;
    assert!(config
        .build(&layout)
        .unwrap()
        .load_state(&future)
        .unwrap_err()
        .to_string()
        .contains("version"));
}
