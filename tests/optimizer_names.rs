//! The example's optimizer names: each parses, prints back, builds, and the CaAdam
//! variants get the gammas the issue specifies (0.95 per layer; the authors' 0.95, 5.0 and
//! 1.0 in Keras-reference mode).

use caadam::experiment::{initial_model, Gammas, OptimizerSpec};

const NAMES: [&str; 13] = [
    "sgd",
    "adam",
    "adamw",
    "nadam",
    "adamax",
    "caadam-add",
    "caadam-mul",
    "caadam-depth",
    "caadam-ref-add",
    "caadam-ref-mul",
    "caadam-ref-depth",
    "adam-x1.95",
    "adam-x5",
];

#[test]
fn every_name_round_trips_and_builds() {
    let (_, params) = initial_model(8, &[64, 32], 0);
    let specs = OptimizerSpec::parse_list(&NAMES.join(",")).unwrap();
    for (name, spec) in NAMES.iter().zip(&specs) {
        assert_eq!(spec.to_string(), *name);
        let opt = spec
            .build(1e-3, &Gammas::default(), params.layout())
            .unwrap();
        let lr = match *name {
            "adam-x1.95" => 1.95e-3,
            "adam-x5" => 5e-3,
            _ => 1e-3,
        };
        assert!(
            (opt.learning_rate() - lr).abs() < 1e-9,
            "{name}: lr {}",
            opt.learning_rate()
        );
    }
}

#[test]
fn reference_defaults_on_the_64_32_network() {
    // [8, 64, 32, 1]: weight element counts 512, 2048, 32; lo 32, median 512, hi 2048.
    // Keras-reference mode scales every weight with the last weight's count (32, the
    // minimum: sigma = 1) and every bias with count 0: sigma = 512 / (512 - 32) = 16/15.
    let (_, params) = initial_model(8, &[64, 32], 0);
    let layout = params.layout();
    let scales = |name: &str| -> Vec<f64> {
        let spec: OptimizerSpec = name.parse().unwrap();
        spec.scales(&Gammas::default(), layout)
            .unwrap()
            .unwrap()
            .iter()
            .map(|(_, s)| f64::from(*s))
            .collect()
    };
    let sigma_bias = 16.0 / 15.0;
    // Multiplicative, gamma 5: weights 5^1 = 5, biases 5^(16/15).
    let mul = scales("caadam-ref-mul");
    for (i, s) in mul.iter().enumerate() {
        let want = if i % 2 == 0 {
            5.0
        } else {
            5f64.powf(sigma_bias)
        };
        assert!((s - want).abs() < 1e-5, "ref-mul tensor {i}: {s} vs {want}");
    }
    // Additive, gamma 0.95: weights 1.95, biases 1 + 0.95 * 16/15.
    let add = scales("caadam-ref-add");
    for (i, s) in add.iter().enumerate() {
        let want = if i % 2 == 0 {
            1.95
        } else {
            1.0 + 0.95 * sigma_bias
        };
        assert!((s - want).abs() < 1e-5, "ref-add tensor {i}: {s} vs {want}");
    }
    // Depth, gamma 1: (1 + 1)^((6 - (1 + i)) / 6) for variable i of 6.
    let depth = scales("caadam-ref-depth");
    for (i, s) in depth.iter().enumerate() {
        let want = 2f64.powf((6.0 - (1.0 + i as f64)) / 6.0);
        assert!(
            (s - want).abs() < 1e-5,
            "ref-depth tensor {i}: {s} vs {want}"
        );
    }
    // Per layer, gamma 0.95, connections 512, 2048, 32 (median 512): additive S = 1,
    // 1 - 0.95, 1 + 0.95; multiplicative 1, 0.95, 0.95; depth 1.95^(2/3), 1.95^(1/3), 1.
    assert_eq!(
        scales("caadam-add"),
        [1.0, f64::from(0.05f32), f64::from(1.95f32)]
    );
    assert_eq!(
        scales("caadam-mul"),
        [1.0, f64::from(0.95f32), f64::from(0.95f32)]
    );
    let d = scales("caadam-depth");
    for (s, want) in d
        .iter()
        .zip([1.95f64.powf(2.0 / 3.0), 1.95f64.powf(1.0 / 3.0), 1.0])
    {
        assert!((s - want).abs() < 1e-6);
    }
}

#[test]
fn gamma_settings_reach_the_optimizer() {
    let (_, params) = initial_model(8, &[64, 32], 0);
    let mut gammas = Gammas::default();
    gammas.apply("add=0.5").unwrap();
    let s = OptimizerSpec::parse_list("caadam-add").unwrap()[0]
        .scales(&gammas, params.layout())
        .unwrap()
        .unwrap();
    let values: Vec<f32> = s.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [1.0, 0.5, 1.5]);
}
