//! The paper's data protocol: a seeded 80/20 train/test split, standard scaling of X and y
//! fitted on the training part, and the last 20% of the training part as validation
//! (Keras's `validation_split`, taken after scaling as the authors' script does).

use caadam_data::{train_test_split, validation_split, Dataset, StandardScaler};

/// Standardized training, validation and test sets.
///
/// ```
/// use caadam::experiment::Splits;
/// use caadam_data::Dataset;
/// let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
/// let y: Vec<f32> = (0..100).map(|i| 2.0 * i as f32 + 1.0).collect();
/// let s = Splits::paper(&Dataset::new(x, y, vec!["x".into()], "y"), 0);
/// assert_eq!((s.train.n, s.val.n, s.test.n), (64, 16, 20));
/// // y is standardized with the 80 training-part rows (train + val): mean 0 there.
/// let mean: f32 = s.train.y.iter().chain(&s.val.y).sum::<f32>() / 80.0;
/// assert!(mean.abs() < 1e-5);
/// ```
#[derive(Clone, Debug)]
pub struct Splits {
    /// Rows the optimizer trains on (the first 80% of the training part).
    pub train: Dataset,
    /// Rows that drive early stopping and the plateau schedule (the last 20%).
    pub val: Dataset,
    /// Held-out rows for the reported RMSE and MAE.
    pub test: Dataset,
    /// The target scaler (so errors can be turned back into the target's units).
    pub y_scaler: StandardScaler,
}

impl Splits {
    /// The paper's protocol on `data`, with the test rows drawn by `seed`.
    ///
    /// ```
    /// use caadam_data::Dataset;
    /// let d = Dataset::new(vec![0.0; 10], (0..10).map(|i| i as f32).collect(), vec!["c".into()], "y");
    /// let s = caadam::experiment::Splits::paper(&d, 1);
    /// assert_eq!(s.train.n + s.val.n + s.test.n, 10);
    /// ```
    pub fn paper(data: &Dataset, seed: u64) -> Self {
        let (train_part, test) = train_test_split(data, 0.2, seed);
        let x_scaler = StandardScaler::fit(&train_part.x, train_part.d);
        let y_scaler = StandardScaler::fit(&train_part.y, 1);
        let scale = |d: &Dataset| {
            Dataset::new(
                x_scaler.transform(&d.x),
                y_scaler.transform(&d.y),
                d.feature_names.clone(),
                d.target_name.clone(),
            )
        };
        let (train, val) = validation_split(&scale(&train_part), 0.2);
        Self {
            train,
            val,
            test: scale(&test),
            y_scaler,
        }
    }
}
