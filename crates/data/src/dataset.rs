//! `Dataset`: a table of `f32` features with one target column.

/// Row-major `f32` features `x` of shape `[n, d]`, targets `y` of length `n`, and names.
///
/// The fields are public so training code can borrow `x` and `y` directly; build one
/// with [`Dataset::new`], which checks that the lengths agree.
///
/// ```
/// use caadam_data::Dataset;
///
/// let ds = Dataset::new(
///     vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
///     vec![10.0, 20.0, 30.0],
///     vec!["a".into(), "b".into()],
///     "target",
/// );
/// assert_eq!((ds.n, ds.d), (3, 2));
/// assert_eq!(ds.row(1), &[3.0, 4.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Features, row-major `[n, d]`: row `i` is `x[i * d..(i + 1) * d]`.
    pub x: Vec<f32>,
    /// Targets, one per row.
    pub y: Vec<f32>,
    /// Number of rows.
    pub n: usize,
    /// Number of features per row.
    pub d: usize,
    /// One name per feature column, in order.
    pub feature_names: Vec<String>,
    /// The target column's name.
    pub target_name: String,
}

impl Dataset {
    /// Builds a dataset; `n = y.len()` and `d = feature_names.len()`.
    ///
    /// # Panics
    /// If `x.len() != y.len() * feature_names.len()`.
    ///
    /// ```
    /// use caadam_data::Dataset;
    ///
    /// let ds = Dataset::new(vec![0.5, 1.5], vec![1.0, 2.0], vec!["x".into()], "y");
    /// assert_eq!(ds.len(), 2);
    /// ```
    pub fn new(
        x: Vec<f32>,
        y: Vec<f32>,
        feature_names: Vec<String>,
        target_name: impl Into<String>,
    ) -> Dataset {
        let (n, d) = (y.len(), feature_names.len());
        assert_eq!(
            x.len(),
            n * d,
            "Dataset::new: x has {} values, expected n * d = {n} * {d}",
            x.len()
        );
        Dataset {
            x,
            y,
            n,
            d,
            feature_names,
            target_name: target_name.into(),
        }
    }

    /// Number of rows (same as the field `n`).
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![], vec![], vec!["x".into()], "y");
    /// assert_eq!(ds.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.n
    }

    /// True if there are no rows.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// assert!(Dataset::new(vec![], vec![], vec!["x".into()], "y").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Features of row `i`, a slice of length `d`.
    ///
    /// # Panics
    /// If `i >= n`.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0, 2.0, 3.0, 4.0], vec![0.0, 1.0], vec!["a".into(), "b".into()], "y");
    /// assert_eq!(ds.row(0), &[1.0, 2.0]);
    /// ```
    pub fn row(&self, i: usize) -> &[f32] {
        assert!(i < self.n, "Dataset::row: row {i} of {}", self.n);
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// Features as a flat row-major slice `[n, d]`.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0, 2.0], vec![3.0], vec!["a".into(), "b".into()], "y");
    /// assert_eq!(ds.x(), &[1.0, 2.0]);
    /// ```
    pub fn x(&self) -> &[f32] {
        &self.x
    }

    /// Targets, one per row.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0], vec![3.0], vec!["a".into()], "y");
    /// assert_eq!(ds.y(), &[3.0]);
    /// ```
    pub fn y(&self) -> &[f32] {
        &self.y
    }

    /// The shape of `x`: `[n, d]`, as a tensor constructor wants it.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0, 2.0], vec![3.0], vec!["a".into(), "b".into()], "y");
    /// assert_eq!(ds.x_shape(), [1, 2]);
    /// ```
    pub fn x_shape(&self) -> [usize; 2] {
        [self.n, self.d]
    }

    /// Feature names, one per column of `x`.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0], vec![3.0], vec!["a".into()], "y");
    /// assert_eq!(ds.feature_names(), &["a".to_string()]);
    /// ```
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The target's name.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0], vec![3.0], vec!["a".into()], "price");
    /// assert_eq!(ds.target_name(), "price");
    /// ```
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// A new dataset made of the given rows, in the given order (repeats allowed).
    ///
    /// # Panics
    /// If an index is `>= n`.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0], vec!["a".into()], "y");
    /// let picked = ds.select_rows(&[2, 0]);
    /// assert_eq!(picked.x, vec![3.0, 1.0]);
    /// assert_eq!(picked.y, vec![30.0, 10.0]);
    /// ```
    pub fn select_rows(&self, indices: &[usize]) -> Dataset {
        let mut x = Vec::with_capacity(indices.len() * self.d);
        let mut y = Vec::with_capacity(indices.len());
        for &i in indices {
            x.extend_from_slice(self.row(i));
            y.push(self.y[i]);
        }
        Dataset::new(x, y, self.feature_names.clone(), self.target_name.clone())
    }

    /// A new dataset made of the contiguous rows `start..end`.
    ///
    /// # Panics
    /// If `start > end` or `end > n`.
    ///
    /// ```
    /// # use caadam_data::Dataset;
    /// let ds = Dataset::new(vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0], vec!["a".into()], "y");
    /// assert_eq!(ds.slice_rows(1, 3).y, vec![20.0, 30.0]);
    /// ```
    pub fn slice_rows(&self, start: usize, end: usize) -> Dataset {
        assert!(
            start <= end && end <= self.n,
            "Dataset::slice_rows: rows {start}..{end} of {}",
            self.n
        );
        Dataset::new(
            self.x[start * self.d..end * self.d].to_vec(),
            self.y[start..end].to_vec(),
            self.feature_names.clone(),
            self.target_name.clone(),
        )
    }
}
