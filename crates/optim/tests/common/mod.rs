//! Helpers shared by the integration tests.
#![allow(dead_code)]

use caadam_nn::{Activation, Init, Mlp, ParamLayout};
use caadam_optim::{
    AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig, AdamaxConfig, CaAdamConfig, Mode,
    NAdamConfig, OptimizerConfig, RAdamConfig, RmsPropConfig, SgdConfig, Strategy,
};
use rand::SeedableRng;

/// The layout and initial values of an MLP of `sizes`, as nn builds it.
pub fn mlp(sizes: &[usize]) -> (ParamLayout, Vec<f32>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (_mlp, store) = Mlp::new(sizes, Activation::Relu, Init::GlorotUniform, &mut rng);
    (store.layout().clone(), store.values().to_vec())
}

/// A deterministic gradient that depends on the parameters and the step, as a real one does.
pub fn grad(params: &[f32], step: usize) -> Vec<f32> {
    params
        .iter()
        .enumerate()
        .map(|(i, &p)| (p * 3.0 + (i % 97) as f32 * 0.1 + step as f32 * 0.7).sin() * 0.5)
        .collect()
}

/// Every optimizer of the zoo with its non-default options switched on.
pub fn zoo() -> Vec<OptimizerConfig> {
    vec![
        OptimizerConfig::Sgd(SgdConfig {
            lr: 0.01,
            ..Default::default()
        }),
        OptimizerConfig::Sgd(SgdConfig {
            lr: 0.01,
            momentum: 0.9,
            dampening: 0.1,
            weight_decay: 1e-3,
            ..Default::default()
        }),
        OptimizerConfig::Sgd(SgdConfig {
            lr: 0.01,
            momentum: 0.9,
            nesterov: true,
            maximize: true,
            ..Default::default()
        }),
        OptimizerConfig::Adagrad(AdagradConfig {
            lr_decay: 0.01,
            initial_accumulator_value: 0.1,
            ..Default::default()
        }),
        OptimizerConfig::RmsProp(RmsPropConfig {
            momentum: 0.9,
            centered: true,
            weight_decay: 0.01,
            ..Default::default()
        }),
        OptimizerConfig::Adam(AdamConfig {
            lr: 0.01,
            weight_decay: 0.01,
            ..Default::default()
        }),
        OptimizerConfig::Adam(AdamConfig {
            lr: 0.01,
            amsgrad: true,
            ..Default::default()
        }),
        OptimizerConfig::AdamW(AdamWConfig {
            lr: 0.01,
            amsgrad: true,
            ..Default::default()
        }),
        OptimizerConfig::NAdam(NAdamConfig {
            weight_decay: 0.01,
            ..Default::default()
        }),
        OptimizerConfig::RAdam(RAdamConfig::default()),
        OptimizerConfig::Adamax(AdamaxConfig::default()),
        OptimizerConfig::Adadelta(AdadeltaConfig {
            weight_decay: 0.01,
            ..Default::default()
        }),
        OptimizerConfig::CaAdam(CaAdamConfig {
            lr: 0.01,
            strategy: Strategy::Additive,
            ..Default::default()
        }),
        OptimizerConfig::CaAdam(CaAdamConfig {
            lr: 0.01,
            strategy: Strategy::Multiplicative,
            amsgrad: true,
            ..Default::default()
        }),
        OptimizerConfig::CaAdam(CaAdamConfig {
            lr: 0.01,
            strategy: Strategy::Depth,
            mode: Mode::KerasReference,
            ..Default::default()
        }),
    ]
}

pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
