//! Reduce-on-plateau with the paper's settings (Keras: factor 0.25, patience 8,
//! min_delta 1e-5, min_lr 2.5e-5) on a scripted validation curve, and the same sequence
//! from the optim crate's torch-style schedule under the mapping patience - 1, absolute
//! threshold.

use caadam::train::{KerasPlateau, PlateauConfig};
use caadam_nn::ParamLayout;
use caadam_optim::schedule::ThresholdMode;
use caadam_optim::{Adam, AdamConfig, Optimizer, ReduceOnPlateau};

/// The scripted curve and the learning rate used in each of its epochs, derived by hand:
/// - epoch 0: 1.0 is the first loss: best. Epochs 1..=8: 1.0 again, 8 bad epochs; at
///   epoch 8 wait = patience = 8: lr 1e-3 -> 2.5e-4, used from epoch 9.
/// - epoch 9: 0.5 improves (best 0.5, wait 0). Epochs 10..=17: 0.499995, lower but by
///   less than min_delta: 8 bad epochs; at epoch 17: 2.5e-4 -> 6.25e-5 from epoch 18.
/// - epochs 18..=25: 0.6, bad; at epoch 25: 6.25e-5 * 0.25 = 1.5625e-5 is below min_lr,
///   so 2.5e-5 from epoch 26.
/// - epochs 26..=40: 0.6, bad; at epoch 33 wait is 8 again but lr is min_lr: no change.
fn scripted() -> (Vec<f64>, Vec<f32>) {
    let mut losses = vec![1.0; 9];
    losses.push(0.5);
    losses.extend([0.499_995; 8]);
    losses.extend([0.6; 23]);
    let mut lrs = vec![1e-3f32; 9];
    lrs.extend([2.5e-4f32; 9]);
    lrs.extend([6.25e-5f32; 8]);
    lrs.extend([2.5e-5f32; 15]);
    assert_eq!((losses.len(), lrs.len()), (41, 41));
    (losses, lrs)
}

#[test]
fn keras_plateau_follows_the_hand_derived_sequence() {
    let (losses, expected) = scripted();
    let mut plateau = KerasPlateau::new(PlateauConfig::default());
    let mut lr = 1e-3f32;
    let mut used = Vec::new();
    for &loss in &losses {
        used.push(lr);
        if let Some(new) = plateau.on_epoch_end(loss, lr) {
            lr = new;
        }
    }
    assert_eq!(used, expected);
}

#[test]
fn torch_style_schedule_matches_under_the_mapping() {
    let (losses, expected) = scripted();
    let keras = PlateauConfig::default();
    let mut schedule = ReduceOnPlateau::new(caadam_optim::PlateauConfig {
        factor: f64::from(keras.factor),
        // torch reduces after `patience + 1` bad epochs, Keras after `patience`.
        patience: keras.patience as u64 - 1,
        threshold: keras.min_delta,
        threshold_mode: ThresholdMode::Abs,
        min_lr: f64::from(keras.min_lr),
        ..Default::default()
    });
    let mut opt = Adam::new(
        AdamConfig {
            lr: 1e-3,
            ..Default::default()
        },
        &ParamLayout::flat("w", 1),
    )
    .unwrap();
    let mut used = Vec::new();
    for &loss in &losses {
        used.push(opt.learning_rate());
        schedule.step(loss as f32, &mut opt);
    }
    assert_eq!(used, expected);
}

#[test]
fn cooldown_suspends_counting() {
    // patience 2, cooldown 2, a constant loss: bad epochs 1, 2 -> reduce at epoch 2 and
    // start a cooldown of 2. Epoch 3: the counter drops to 1, still in cooldown, not
    // counted. Epoch 4: the counter drops to 0 and Keras, re-reading it, counts the epoch
    // (wait 1); epoch 5: wait 2 -> reduce. Epochs 6, 7 repeat the cooldown pattern.
    let config = PlateauConfig {
        patience: 2,
        cooldown: 2,
        min_lr: 0.0,
        ..Default::default()
    };
    let mut plateau = KerasPlateau::new(config);
    let mut lr = 1.0f32;
    let mut reductions = Vec::new();
    for epoch in 0..8 {
        if let Some(new) = plateau.on_epoch_end(1.0, lr) {
            lr = new;
            reductions.push(epoch);
        }
    }
    assert_eq!(reductions, vec![2, 5]);
    assert_eq!(lr, 0.0625);
}
