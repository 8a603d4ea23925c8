//! Standard scaling: subtract each column's mean and divide by its (population)
//! standard deviation, both learned from the training rows only.

/// Per-column mean and scale learned by [`StandardScaler::fit`].
///
/// Statistics are computed in `f64` (two passes: mean, then squared deviations) and the
/// transform is applied in `f64`, so `f32` rounding happens once per value. A constant
/// column gets scale 1, as in scikit-learn, so it maps to 0 instead of NaN.
///
/// ```
/// use caadam_data::StandardScaler;
///
/// // Two rows, two columns: [1, 10], [3, 10].
/// let train = [1.0, 10.0, 3.0, 10.0];
/// let scaler = StandardScaler::fit(&train, 2);
/// assert_eq!(scaler.mean(), &[2.0, 10.0]);
/// assert_eq!(scaler.scale(), &[1.0, 1.0]); // std of [1, 3] is 1; constant column -> 1
/// assert_eq!(scaler.transform(&[5.0, 10.0]), vec![3.0, 0.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StandardScaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
    mean_f32: Vec<f32>,
    scale_f32: Vec<f32>,
}

impl StandardScaler {
    /// Learns column means and population standard deviations of `x`, row-major with
    /// `d` columns. Fit on the training rows only, then transform every split.
    ///
    /// # Panics
    /// If `d == 0`, `x` is empty, or `x.len()` is not a multiple of `d`.
    ///
    /// ```
    /// use caadam_data::StandardScaler;
    ///
    /// let y_train = [1.0, 2.0, 3.0, 4.0];
    /// let scaler = StandardScaler::fit(&y_train, 1);
    /// assert_eq!(scaler.mean(), &[2.5]);
    /// assert_eq!(scaler.scale(), &[1.25_f32.sqrt()]);
    /// ```
    pub fn fit(x: &[f32], d: usize) -> StandardScaler {
        assert!(d > 0, "StandardScaler::fit: d must be positive");
        assert!(
            !x.is_empty() && x.len().is_multiple_of(d),
            "StandardScaler::fit: {} values do not form rows of {d} (and at least one row)",
            x.len()
        );
        let n = (x.len() / d) as f64;
        let mut mean = vec![0.0f64; d];
        for row in x.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);

        let mut var = vec![0.0f64; d];
        for row in x.chunks_exact(d) {
            for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
                let dev = f64::from(v) - m;
                *s += dev * dev;
            }
        }
        let scale: Vec<f64> = (0..d)
            .map(|j| {
                // Exactly constant columns are detected directly: a summed mean may
                // differ from the value by rounding and leave a tiny nonzero variance.
                let first = x[j];
                let constant = x.iter().skip(j).step_by(d).all(|&v| v == first);
                if constant {
                    mean[j] = f64::from(first);
                    1.0
                } else {
                    (var[j] / n).sqrt()
                }
            })
            .collect();
        StandardScaler {
            mean_f32: mean.iter().map(|&m| m as f32).collect(),
            scale_f32: scale.iter().map(|&s| s as f32).collect(),
            mean,
            scale,
        }
    }

    /// Number of columns.
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// assert_eq!(StandardScaler::fit(&[1.0, 2.0, 3.0], 3).d(), 3);
    /// ```
    pub fn d(&self) -> usize {
        self.mean.len()
    }

    /// Column means (rounded to `f32`; the transform uses the `f64` values).
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// assert_eq!(StandardScaler::fit(&[1.0, 2.0], 1).mean(), &[1.5]);
    /// ```
    pub fn mean(&self) -> &[f32] {
        &self.mean_f32
    }

    /// Column scales: population standard deviations, 1 for constant columns.
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// assert_eq!(StandardScaler::fit(&[1.0, 3.0], 1).scale(), &[1.0]);
    /// ```
    pub fn scale(&self) -> &[f32] {
        &self.scale_f32
    }

    /// `(x - mean) / scale`, column by column, into a new vector.
    ///
    /// # Panics
    /// If `x.len()` is not a multiple of [`d`](Self::d).
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// let scaler = StandardScaler::fit(&[0.0, 4.0], 1);
    /// assert_eq!(scaler.transform(&[2.0, 6.0]), vec![0.0, 2.0]);
    /// ```
    pub fn transform(&self, x: &[f32]) -> Vec<f32> {
        let mut out = x.to_vec();
        self.transform_in_place(&mut out);
        out
    }

    /// [`transform`](Self::transform) without allocating.
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// let scaler = StandardScaler::fit(&[0.0, 4.0], 1);
    /// let mut x = [2.0, 6.0];
    /// scaler.transform_in_place(&mut x);
    /// assert_eq!(x, [0.0, 2.0]);
    /// ```
    pub fn transform_in_place(&self, x: &mut [f32]) {
        self.check_len(x.len(), "transform");
        for row in x.chunks_exact_mut(self.d()) {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = ((f64::from(*v) - m) / s) as f32;
            }
        }
    }

    /// `x * scale + mean`: back to original units (e.g. predictions of a scaled target).
    ///
    /// # Panics
    /// If `x.len()` is not a multiple of [`d`](Self::d).
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// let scaler = StandardScaler::fit(&[0.0, 4.0], 1);
    /// assert_eq!(scaler.inverse_transform(&[0.0, 2.0]), vec![2.0, 6.0]);
    /// ```
    pub fn inverse_transform(&self, x: &[f32]) -> Vec<f32> {
        let mut out = x.to_vec();
        self.inverse_transform_in_place(&mut out);
        out
    }

    /// [`inverse_transform`](Self::inverse_transform) without allocating.
    ///
    /// ```
    /// # use caadam_data::StandardScaler;
    /// let scaler = StandardScaler::fit(&[0.0, 4.0], 1);
    /// let mut x = [0.0, 2.0];
    /// scaler.inverse_transform_in_place(&mut x);
    /// assert_eq!(x, [2.0, 6.0]);
    /// ```
    pub fn inverse_transform_in_place(&self, x: &mut [f32]) {
        self.check_len(x.len(), "inverse_transform");
        for row in x.chunks_exact_mut(self.d()) {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (f64::from(*v) * s + m) as f32;
            }
        }
    }

    fn check_len(&self, len: usize, op: &str) {
        assert!(
            len.is_multiple_of(self.d()),
            "StandardScaler::{op}: {len} values do not form rows of {}",
            self.d()
        );
    }
}
