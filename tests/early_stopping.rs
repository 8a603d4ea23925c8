//! Early stopping with Keras's semantics on scripted loss curves: when it stops, and that
//! the weights it restores are those of the best epoch.

use caadam::train::{EarlyStopping, EarlyStoppingConfig};

/// Feeds `losses` epoch by epoch, with the weights after epoch `e` set to `[e, -e]`, until
/// the monitor says stop; returns (epochs run, weights after restoring, monitor).
fn drive(config: EarlyStoppingConfig, losses: &[f64]) -> (usize, Vec<f32>, EarlyStopping) {
    let mut es = EarlyStopping::new(config);
    let mut weights = vec![0.0f32; 2];
    let mut ran = 0;
    for (epoch, &loss) in losses.iter().enumerate() {
        weights = vec![epoch as f32, -(epoch as f32)];
        ran += 1;
        if es.on_epoch_end(epoch, loss, &weights) {
            break;
        }
    }
    es.restore(&mut weights);
    (ran, weights, es)
}

#[test]
fn paper_settings_stop_25_epochs_after_the_best_and_restore_it() {
    // Epochs 0..12 are warm-up: even the lowest loss of all (0.1 at epoch 5) is ignored.
    let mut losses: Vec<f64> = (0..12).map(|e| 1.0 - 0.05 * e as f64).collect();
    losses[5] = 0.1;
    losses.push(0.5); // epoch 12: first counted epoch, becomes the best
    losses.push(0.4); // epoch 13: improves by 0.1 > 1e-5: the best from now on
    losses.push(0.399_995); // epoch 14: lower, but by less than min_delta 1e-5: no improvement
    losses.extend(std::iter::repeat_n(0.41, 100)); // epochs 15..: worse
    let (ran, weights, es) = drive(EarlyStoppingConfig::default(), &losses);
    // wait counts epochs 14, 15, ..., and reaches patience 25 at epoch 13 + 25 = 38: stop
    // there, after 39 epochs.
    assert_eq!(ran, 39);
    assert_eq!(es.stopped_epoch(), Some(38));
    assert_eq!(es.best_epoch(), Some(13));
    assert_eq!(es.best_loss(), Some(0.4));
    assert_eq!(weights, vec![13.0, -13.0]);
}

#[test]
fn best_weights_are_restored_when_the_epoch_limit_ends_training() {
    let config = EarlyStoppingConfig {
        patience: 5,
        start_from_epoch: 0,
        ..Default::default()
    };
    // Never 5 bad epochs in a row; the best is epoch 3 (0.2).
    let losses = [0.9, 0.5, 0.6, 0.2, 0.3, 0.25, 0.3, 0.21];
    let (ran, weights, es) = drive(config, &losses);
    assert_eq!(ran, losses.len());
    assert_eq!(es.stopped_epoch(), None);
    assert_eq!(weights, vec![3.0, -3.0]);
}

#[test]
fn a_flat_curve_after_the_warm_up_keeps_the_first_counted_epoch() {
    // start 2, patience 3, constant loss: epoch 2 is the best (first seen), epochs 3, 4, 5
    // bring wait to 1, 2, 3: stop at epoch 5 after 6 epochs, restore epoch 2.
    let config = EarlyStoppingConfig {
        patience: 3,
        start_from_epoch: 2,
        ..Default::default()
    };
    let (ran, weights, es) = drive(config, &[1.0; 10]);
    assert_eq!(ran, 6);
    assert_eq!(es.best_epoch(), Some(2));
    assert_eq!(weights, vec![2.0, -2.0]);
}

#[test]
fn without_restore_the_last_weights_stay() {
    let config = EarlyStoppingConfig {
        patience: 2,
        start_from_epoch: 0,
        restore_best_weights: false,
        ..Default::default()
    };
    let (ran, weights, _) = drive(config, &[1.0, 2.0, 3.0, 4.0]);
    // Best at epoch 0; epochs 1 and 2 are bad: stop at epoch 2 and keep its weights.
    assert_eq!(ran, 3);
    assert_eq!(weights, vec![2.0, -2.0]);
}
