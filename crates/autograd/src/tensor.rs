//! `Tensor`: a contiguous row-major buffer of `f32` plus a shape.

use std::fmt;

use rand::Rng;
use rand_distr::{Distribution, Normal};

use crate::shape::{numel, Shape};

/// An N-dimensional array of `f32`, contiguous and row-major (the last axis varies fastest).
///
/// A rank-0 tensor (shape `[]`) holds one element; that is what `sum`, `mean` and the losses
/// return.
///
/// ```
/// use caadam_autograd::Tensor;
/// let t = Tensor::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.get(&[1, 0]), 4.0);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor {
    data: Vec<f32>,
    shape: Shape,
}

impl Tensor {
    /// Wraps `data` with `shape`; panics if `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// let t = caadam_autograd::Tensor::new(vec![0.5; 4], &[2, 2]);
    /// assert_eq!(t.len(), 4);
    /// ```
    pub fn new(data: Vec<f32>, shape: &[usize]) -> Tensor {
        let s = Shape::new(shape, "Tensor::new");
        assert_eq!(
            data.len(),
            s.numel(),
            "Tensor::new: data has {} elements but shape {shape:?} needs {}",
            data.len(),
            s.numel()
        );
        Tensor { data, shape: s }
    }

    /// Crate-internal constructor used with pooled buffers (shape already validated).
    pub(crate) fn from_parts(data: Vec<f32>, shape: Shape) -> Tensor {
        debug_assert_eq!(data.len(), shape.numel());
        Tensor { data, shape }
    }

    pub(crate) fn shape_inline(&self) -> Shape {
        self.shape
    }

    /// Copies `data` into a new tensor of `shape`.
    ///
    /// ```
    /// let t = caadam_autograd::Tensor::from_slice(&[1.0, 2.0], &[2, 1]);
    /// assert_eq!(t.shape(), &[2, 1]);
    /// ```
    pub fn from_slice(data: &[f32], shape: &[usize]) -> Tensor {
        Tensor::new(data.to_vec(), shape)
    }

    /// All zeros.
    ///
    /// ```
    /// assert_eq!(caadam_autograd::Tensor::zeros(&[3]).data(), &[0.0; 3]);
    /// ```
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// All ones.
    ///
    /// ```
    /// assert_eq!(caadam_autograd::Tensor::ones(&[2, 2]).data(), &[1.0; 4]);
    /// ```
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Every element equal to `value`.
    ///
    /// ```
    /// assert_eq!(caadam_autograd::Tensor::full(&[2], 7.0).data(), &[7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        Tensor::new(vec![value; numel(shape)], shape)
    }

    /// A rank-0 tensor (shape `[]`) holding `value`.
    ///
    /// ```
    /// let s = caadam_autograd::Tensor::scalar(2.5);
    /// assert_eq!(s.shape(), &[] as &[usize]);
    /// assert_eq!(s.item(), 2.5);
    /// ```
    pub fn scalar(value: f32) -> Tensor {
        Tensor::new(vec![value], &[])
    }

    /// Independent draws from the uniform distribution on `[low, high)`.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let t = caadam_autograd::Tensor::uniform(&[100], -1.0, 1.0, &mut rng);
    /// assert!(t.data().iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    pub fn uniform(shape: &[usize], low: f32, high: f32, rng: &mut impl Rng) -> Tensor {
        assert!(
            low < high,
            "Tensor::uniform: need low < high, got [{low}, {high})"
        );
        let data = (0..numel(shape))
            .map(|_| rng.gen_range(low..high))
            .collect();
        Tensor::new(data, shape)
    }

    /// Independent draws from the normal distribution N(`mean`, `std`²).
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let t = caadam_autograd::Tensor::normal(&[1000], 0.0, 1.0, &mut rng);
    /// let mean: f32 = t.data().iter().sum::<f32>() / 1000.0;
    /// assert!(mean.abs() < 0.1);
    /// ```
    pub fn normal(shape: &[usize], mean: f32, std: f32, rng: &mut impl Rng) -> Tensor {
        let dist = Normal::new(mean, std)
            .unwrap_or_else(|e| panic!("Tensor::normal: invalid std {std}: {e}"));
        let data = (0..numel(shape)).map(|_| dist.sample(rng)).collect();
        Tensor::new(data, shape)
    }

    /// The shape (empty for a rank-0 tensor).
    ///
    /// ```
    /// assert_eq!(caadam_autograd::Tensor::zeros(&[4, 5]).shape(), &[4, 5]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The elements in row-major order.
    ///
    /// ```
    /// let t = caadam_autograd::Tensor::from_slice(&[1.0, 2.0], &[2]);
    /// assert_eq!(t.data(), &[1.0, 2.0]);
    /// ```
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    ///
    /// ```
    /// let mut t = caadam_autograd::Tensor::zeros(&[2]);
    /// t.data_mut()[1] = 3.0;
    /// assert_eq!(t.data(), &[0.0, 3.0]);
    /// ```
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(caadam_autograd::Tensor::zeros(&[3, 4]).len(), 12);
    /// ```
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True if the tensor has no elements (some dimension is 0).
    ///
    /// ```
    /// assert!(caadam_autograd::Tensor::zeros(&[0, 4]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The element at a multi-index; panics if the index has the wrong rank or is out of range.
    ///
    /// ```
    /// let t = caadam_autograd::Tensor::new((0..6).map(|i| i as f32).collect(), &[2, 3]);
    /// assert_eq!(t.get(&[1, 2]), 5.0);
    /// ```
    pub fn get(&self, index: &[usize]) -> f32 {
        let dims = self.shape();
        assert_eq!(
            index.len(),
            dims.len(),
            "Tensor::get: index {index:?} has rank {} but shape {dims:?} has rank {}",
            index.len(),
            dims.len()
        );
        let mut offset = 0;
        for (&i, &d) in index.iter().zip(dims) {
            assert!(
                i < d,
                "Tensor::get: index {index:?} out of range for shape {dims:?}"
            );
            offset = offset * d + i;
        }
        self.data[offset]
    }

    /// The single element of a one-element tensor (e.g. a loss); panics otherwise.
    ///
    /// ```
    /// assert_eq!(caadam_autograd::Tensor::from_slice(&[4.0], &[1, 1]).item(), 4.0);
    /// ```
    pub fn item(&self) -> f32 {
        assert_eq!(
            self.len(),
            1,
            "Tensor::item: tensor of shape {:?} has {} elements, not 1",
            self.shape(),
            self.len()
        );
        self.data[0]
    }

    /// Gives up the buffer.
    ///
    /// ```
    /// let v = caadam_autograd::Tensor::ones(&[2]).into_data();
    /// assert_eq!(v, vec![1.0, 1.0]);
    /// ```
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
}

/// Prints nested brackets, one level per axis, e.g. `[[1, 2], [3, 4]]` for shape `[2, 2]`.
///
/// ```
/// let t = caadam_autograd::Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(t.to_string(), "[[1, 2], [3, 4]]");
/// assert_eq!(caadam_autograd::Tensor::scalar(0.5).to_string(), "0.5");
/// ```
impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn nested(f: &mut fmt::Formatter<'_>, data: &[f32], dims: &[usize]) -> fmt::Result {
            match dims.split_first() {
                None => write!(f, "{}", data[0]),
                Some((&n, rest)) => {
                    let step = numel(rest);
                    write!(f, "[")?;
                    for i in 0..n {
                        if i > 0 {
                            write!(f, ", ")?;
                        }
                        nested(f, &data[i * step..(i + 1) * step], rest)?;
                    }
                    write!(f, "]")
                }
            }
        }
        nested(f, &self.data, self.shape())
    }
}

/// Shows the shape and the elements.
///
/// ```
/// let t = caadam_autograd::Tensor::zeros(&[1]);
/// assert_eq!(format!("{t:?}"), "Tensor { shape: [1], data: [0.0] }");
/// ```
impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("shape", &self.shape())
            .field("data", &self.data)
            .finish()
    }
}
