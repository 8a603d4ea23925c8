//! StandardScaler against values worked out by hand, and round trips.

use caadam_data::{train_test_split, Dataset, StandardScaler};
use proptest::prelude::*;

#[test]
fn hand_computed_means_and_population_stds() {
    // Columns: [2,4,4,4,5,5,7,9] (mean 5, population std 2), a constant 0.1 column,
    // and 1..=8 (mean 4.5, population variance 42/8 = 5.25).
    let c0 = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    let x: Vec<f32> = (0..8).flat_map(|i| [c0[i], 0.1, (i + 1) as f32]).collect();
    let scaler = StandardScaler::fit(&x, 3);
    assert_eq!(scaler.d(), 3);
    assert_eq!(scaler.mean(), &[5.0, 0.1, 4.5]);
    assert_eq!(scaler.scale(), &[2.0, 1.0, 5.25f64.sqrt() as f32]);

    let z = scaler.transform(&x);
    let c2 = |i: usize| (((i + 1) as f64 - 4.5) / 5.25f64.sqrt()) as f32;
    assert_eq!(&z[..3], &[-1.5, 0.0, c2(0)]);
    assert_eq!(&z[21..], &[2.0, 0.0, c2(7)]);
    // The constant column maps to exactly 0 (scale 1), not NaN.
    assert!(z.iter().skip(1).step_by(3).all(|&v| v == 0.0));
}

#[test]
fn one_column_target_round_trip() {
    let y = [1.0, 2.0, 3.0, 4.0];
    let scaler = StandardScaler::fit(&y, 1);
    let z = scaler.transform(&y);
    let s = 1.25f64.sqrt();
    let expected: Vec<f32> = [-1.5, -0.5, 0.5, 1.5]
        .iter()
        .map(|v| (v / s) as f32)
        .collect();
    assert_eq!(z, expected);
    // z was rounded to f32, so the way back is exact only up to that rounding.
    let close = |back: &[f32]| {
        back.iter()
            .zip(&y)
            .all(|(b, a)| (b - a).abs() <= 2.0 * f32::EPSILON * a.abs())
    };
    let back = scaler.inverse_transform(&z);
    assert!(close(&back), "{back:?}");

    let mut in_place = z.clone();
    scaler.inverse_transform_in_place(&mut in_place);
    assert_eq!(in_place, back);
}

#[test]
fn fitted_on_the_training_split_only() {
    let n = 100;
    let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let ds = Dataset::new(x.clone(), x, vec!["x".into()], "y");
    let (train, test) = train_test_split(&ds, 0.2, 3);
    let scaler = StandardScaler::fit(&train.x, train.d);
    let train_mean = train.x.iter().map(|&v| f64::from(v)).sum::<f64>() / train.n as f64;
    assert_eq!(scaler.mean(), &[train_mean as f32]);
    // Transformed training data has mean 0 and std 1; the test part need not.
    let z = scaler.transform(&train.x);
    let mean = z.iter().map(|&v| f64::from(v)).sum::<f64>() / z.len() as f64;
    let var = z
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / z.len() as f64;
    assert!(
        mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5,
        "{mean} {var}"
    );
    assert_eq!(scaler.transform(&test.x).len(), test.n);
}

#[test]
#[should_panic(expected = "do not form rows of 3")]
fn ragged_input_panics() {
    StandardScaler::fit(&[1.0, 2.0, 3.0, 4.0], 3);
}

proptest! {
    #[test]
    fn inverse_undoes_transform(
        rows in prop::collection::vec(prop::collection::vec(-1e4f32..1e4, 3), 1..40)
    ) {
        let x: Vec<f32> = rows.concat();
        let scaler = StandardScaler::fit(&x, 3);
        let back = scaler.inverse_transform(&scaler.transform(&x));
        for (j, (a, b)) in x.iter().zip(&back).enumerate() {
            // Two f32 roundings, each relative to the column's magnitude.
            let magnitude = a.abs() + scaler.scale()[j % 3] + scaler.mean()[j % 3].abs();
            prop_assert!((a - b).abs() <= 4.0 * f32::EPSILON * magnitude, "{} vs {}", a, b);
        }
    }
}
