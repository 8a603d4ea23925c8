//! Matrix product `C = A B` of `[m, k]` by `[k, n]`, with matrixmultiply's `sgemm`.
//!
//! Backward: `dA += dC B^T` and `dB += A^T dC`. The transposes are never materialized: sgemm
//! takes a row stride and a column stride per operand, so `B^T` is `B` read with its strides
//! swapped. `beta = 1` makes sgemm add into the gradient buffer directly.
//!
//! matrixmultiply is used single-threaded (its `threading` feature is off): its results then
//! do not depend on the machine's thread count. Note that sgemm allocates a packing buffer
//! on every call; that is the only allocation of a warm training step (see the crate docs).

use crate::op::Op;
use crate::shape::Shape;
use crate::tape::{GradSink, Node, Tape, Var};
use crate::tensor::Tensor;

/// A row-major matrix view: data plus (rows, cols) and strides (row stride, column stride).
struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatRef<'a> {
    fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose, by swapping dimensions and strides (no copy).
    fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// `c (row-major m x n) = beta * c + a b`.
fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && c.len() == m * n);
    // These lengths guarantee every strided access sgemm makes stays inside the slices.
    assert!(a.data.len() >= m * k && b.data.len() >= k * n);
    // SAFETY: the pointers come from slices that hold m*k, k*n and m*n elements; the strides
    // describe row-major layouts (or their transposes) of exactly those shapes, so every
    // element sgemm reads or writes is in bounds, and `c` does not alias `a` or `b` (it is a
    // `&mut` borrow).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

pub(crate) fn backward(a: usize, b: usize, g: &[f32], nodes: &[Node], sink: &mut GradSink<'_>) {
    let (x, w) = (&nodes[a].value, &nodes[b].value);
    let (m, k, n) = (x.shape()[0], x.shape()[1], w.shape()[1]);
    let dc = || MatRef::row_major(g, m, n);
    if sink.wants(a) {
        // dA [m,k] += dC [m,n] . B^T [n,k]
        gemm(dc(), MatRef::row_major(w.data(), k, n).t(), 1.0, sink.of(a));
    }
    if sink.wants(b) {
        // dB [k,n] += A^T [k,m] . dC [m,n]
        gemm(MatRef::row_major(x.data(), m, k).t(), dc(), 1.0, sink.of(b));
    }
}

impl Tape {
    /// Matrix product of `a` `[m, k]` and `b` `[k, n]`, giving `[m, n]`. Panics, naming both
    /// shapes, unless both are 2-D with matching inner dimensions.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let a = tape.input_from(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = tape.input_from(&[1.0, 0.0, 0.0, 1.0], &[2, 2]);
    /// let c = tape.matmul(a, b);
    /// assert_eq!(tape.value(c).data(), &[1.0, 2.0, 3.0, 4.0]);
    /// ```
    pub fn matmul(&mut self, a: Var, b: Var) -> Var {
        let (a, b) = (self.index(a, "matmul"), self.index(b, "matmul"));
        let (x, w) = (&self.nodes[a].value, &self.nodes[b].value);
        let (xs, ws) = (x.shape(), w.shape());
        assert!(
            xs.len() == 2 && ws.len() == 2 && xs[1] == ws[0],
            "matmul: shapes {xs:?} and {ws:?} are not [m, k] and [k, n]"
        );
        let (m, k, n) = (xs[0], xs[1], ws[1]);
        let mut c = self.pool.zeros(m * n);
        gemm(
            MatRef::row_major(x.data(), m, k),
            MatRef::row_major(w.data(), k, n),
            0.0,
            &mut c,
        );
        let needs = self.needs_grad(a) || self.needs_grad(b);
        self.push(
            Tensor::from_parts(c, Shape::new(&[m, n], "matmul")),
            Op::MatMul { a, b },
            needs,
        )
    }
}
