//! Every schedule drives the optimizer's learning rate and resumes exactly from its state.

use caadam_nn::ParamLayout;
use caadam_optim::schedule::{
    ConstantLr, CosineWithWarmup, ExponentialLr, LrSchedule, MultiStepLr, ScheduleState, StepLr,
};
use caadam_optim::{Optimizer, Sgd, SgdConfig};

fn schedules() -> Vec<Box<dyn LrSchedule>> {
    vec![
        Box::new(ConstantLr::new(0.1)),
        Box::new(StepLr::new(0.1, 3, 0.5)),
        Box::new(MultiStepLr::new(0.1, &[2, 7], 0.1)),
        Box::new(ExponentialLr::new(0.1, 0.9)),
        Box::new(CosineWithWarmup::new(0.1, 3, 10, 0.001)),
    ]
}

fn sgd() -> Sgd {
    Sgd::new(
        SgdConfig {
            lr: 0.1,
            ..Default::default()
        },
        &ParamLayout::flat("w", 1),
    )
    .unwrap()
}

#[test]
fn step_writes_lr_at_the_new_epoch_into_the_optimizer() {
    for mut s in schedules() {
        let mut opt = sgd();
        for epoch in 1..=12 {
            let lr = s.step(&mut opt);
            assert_eq!(lr, s.lr_at(epoch) as f32, "{}", s.kind());
            assert_eq!(opt.learning_rate(), lr);
        }
    }
}

#[test]
fn torch_values() {
    // StepLR(0.1, step_size 3, gamma 0.5) at epochs 0..7.
    let s = StepLr::new(0.1, 3, 0.5);
    let got: Vec<f64> = (0..7).map(|e| s.lr_at(e)).collect();
    let want = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025];
    assert!(
        got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-15),
        "{got:?}"
    );
    // MultiStepLR(milestones [2, 7], gamma 0.1).
    let s = MultiStepLr::new(0.1, &[2, 7], 0.1);
    assert!((s.lr_at(6) - 0.01).abs() < 1e-15 && (s.lr_at(7) - 0.001).abs() < 1e-15);
    // Warmup 2 epochs from base/3, then a cosine over 4 epochs down to 0.
    let s = CosineWithWarmup::new(0.1, 2, 6, 0.0);
    let got: Vec<f64> = (0..7).map(|e| s.lr_at(e)).collect();
    let want = [
        0.1 / 3.0,
        0.1 * 2.0 / 3.0,
        0.1,
        0.085355339,
        0.05,
        0.014644661,
        0.0,
    ];
    assert!(
        got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-9),
        "{got:?}"
    );
}

#[test]
fn state_round_trips_through_bincode() {
    for mut s in schedules() {
        let mut opt = sgd();
        for _ in 0..5 {
            s.step(&mut opt);
        }
        let bytes = bincode::serialize(&s.state()).unwrap();
        let state: ScheduleState = bincode::deserialize(&bytes).unwrap();
        let mut fresh = schedules()
            .into_iter()
            .find(|f| f.kind() == s.kind())
            .unwrap();
        fresh.load_state(&state).unwrap();
        let (mut a, mut b) = (sgd(), sgd());
        for _ in 0..6 {
            assert_eq!(
                s.step(&mut a).to_bits(),
                fresh.step(&mut b).to_bits(),
                "{}",
                s.kind()
            );
        }
    }
}

#[test]
fn a_state_from_another_schedule_or_base_rate_is_refused() {
    let step = StepLr::new(0.1, 3, 0.5).state();
    let mut exp = ExponentialLr::new(0.1, 0.9);
    assert!(exp.load_state(&step).is_err());
    let mut other_base = StepLr::new(0.2, 3, 0.5);
    assert!(other_base.load_state(&step).is_err());
}
