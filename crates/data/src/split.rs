//! Seeded train/test splits and Keras-style validation splits.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::Dataset;

/// Shuffles the rows with `seed` and splits them into `(train, test)`.
///
/// As scikit-learn: `n_test = ceil(test_fraction * n)` (float noise such as
/// `0.2 * 20640 = 4128.000…1` is ignored), the test rows are the first `n_test` of a
/// random permutation and the train rows the rest, each in permutation order. The
/// permutation comes from `ChaCha8Rng::seed_from_u64(seed)`, so it is the same on every
/// platform and thread count.
///
/// # Panics
/// If `test_fraction` is not within `[0, 1]`.
///
/// ```
/// use caadam_data::{train_test_split, Dataset};
///
/// let ds = Dataset::new((0..10).map(|i| i as f32).collect(), (0..10).map(|i| i as f32).collect(), vec!["x".into()], "y");
/// let (train, test) = train_test_split(&ds, 0.2, 42);
/// assert_eq!((train.n, test.n), (8, 2));
/// assert_eq!(train_test_split(&ds, 0.2, 42), (train, test)); // deterministic
/// ```
pub fn train_test_split(data: &Dataset, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
    assert!(
        (0.0..=1.0).contains(&test_fraction),
        "train_test_split: test_fraction must be within [0, 1], got {test_fraction}"
    );
    let exact = data.n as f64 * test_fraction;
    let n_test = if (exact - exact.round()).abs() < 1e-9 {
        exact.round()
    } else {
        exact.ceil()
    } as usize;
    let mut order: Vec<usize> = (0..data.n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let (test, train) = order.split_at(n_test.min(data.n));
    (data.select_rows(train), data.select_rows(test))
}

/// Splits off the LAST `fraction` of the rows as validation, without shuffling, as Keras
/// `validation_split` does: the first `floor(n * (1 - fraction))` rows train.
///
/// # Panics
/// If `fraction` is not within `[0, 1]`.
///
/// ```
/// use caadam_data::{validation_split, Dataset};
///
/// let ds = Dataset::new((0..10).map(|i| i as f32).collect(), (0..10).map(|i| i as f32).collect(), vec!["x".into()], "y");
/// let (train, val) = validation_split(&ds, 0.25);
/// assert_eq!(train.y, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // floor(10 * 0.75) = 7
/// assert_eq!(val.y, vec![7.0, 8.0, 9.0]);
/// ```
pub fn validation_split(data: &Dataset, fraction: f64) -> (Dataset, Dataset) {
    assert!(
        (0.0..=1.0).contains(&fraction),
        "validation_split: fraction must be within [0, 1], got {fraction}"
    );
    // Keras: split_at = int(num_samples * (1.0 - validation_split)).
    let split_at = ((data.n as f64 * (1.0 - fraction)).floor() as usize).min(data.n);
    (
        data.slice_rows(0, split_at),
        data.slice_rows(split_at, data.n),
    )
}
