//! `maximize`: with it, a step on `g` is the step the same optimizer without it takes on
//! `-g`, bit for bit, for every optimizer of the zoo (CaAdam included, which torch does not
//! have). torch negates the gradient before anything else reads it; `torch_maximize_cases_match`
//! in fixtures.rs holds the optimizers to torch itself.

mod common;

use caadam_optim::OptimizerConfig;
use common::{bits, grad, mlp, zoo};

/// `config` with `maximize` set to `on`.
fn with_maximize(config: &OptimizerConfig, on: bool) -> OptimizerConfig {
    let mut value = serde_json::to_value(config).unwrap();
    value["hyperparameters"]["maximize"] = on.into();
    serde_json::from_value(value).unwrap()
}

#[test]
fn maximizing_is_minimizing_the_negated_gradient() {
    let (layout, start) = mlp(&[8, 16, 4, 1]);
    for config in zoo() {
        let mut up = with_maximize(&config, true).build(&layout).unwrap();
        let mut down = with_maximize(&config, false).build(&layout).unwrap();
        let mut descent = with_maximize(&config, false).build(&layout).unwrap();
        let (mut p_up, mut p_down, mut p_descent) = (start.clone(), start.clone(), start.clone());
        for step in 0..5 {
            let g = grad(&p_up, step);
            let negated: Vec<f32> = g.iter().map(|x| -x).collect();
            up.step(&mut p_up, &g).unwrap();
            down.step(&mut p_down, &negated).unwrap();
            descent.step(&mut p_descent, &g).unwrap();
        }
        assert_eq!(bits(&p_up), bits(&p_down), "{config:?}");
        assert_ne!(
            bits(&p_up),
            bits(&p_descent),
            "{config:?}: maximize changed nothing"
        );
    }
}

#[test]
fn maximize_is_off_by_default_and_named_like_torch() {
    for name in [
        "sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "adadelta",
        "caadam",
    ] {
        let config = OptimizerConfig::default_for(name).unwrap();
        let value = serde_json::to_value(&config).unwrap();
        assert_eq!(value["hyperparameters"]["maximize"], false, "{name}");
        let json = format!(r#"{{"optimizer": "{name}", "hyperparameters": {{"maximize": true}}}}"#);
        let on: OptimizerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(
            serde_json::to_value(&on).unwrap()["hyperparameters"]["maximize"],
            true,
            "{name}"
        );
    }
}
