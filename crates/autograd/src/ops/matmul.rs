//! Matrix product `C = A B` of `[m, k]` by `[k, n]`, and the dense layer `x w + b` (the
//! products themselves are in `crate::gemm`: a register-blocked kernel for small shapes,
//! the same on packed panels, or on the transposed product, for mid-sized ones,
//! matrixmultiply's `sgemm` for large ones).
//!
//! Backward: `dA += dC B^T` and `dB += A^T dC`. The transposes are views: a matrix is read
//! through a row stride and a column stride, so `B^T` is `B` with its strides swapped.
//! `beta = 1` adds into the gradient buffer directly; `beta = 0` stores into a fresh one.
//! Large enough, the two products run side by side (see [`JOIN_MIN_MACS`]).
//!
//! `affine(x, w, b)` is `add(matmul(x, w), b)` as one node, as `torch.addmm` is: the same
//! arithmetic to the bit (the product rounded to f32, then the bias added), without the
//! intermediate product node, whose gradient would be a copy of the output's.

use crate::gemm::{gemm, MatRef};
use crate::op::Op;
use crate::parallel;
use crate::shape::Shape;
use crate::tape::{GradSink, Node, Tape, Var, Write};
use crate::tensor::Tensor;

/// `dx (+)= dz w^T`, `dw (+)= x^T dz`, `db (+)=` the column sums of `dz`, summed row by
/// row in order (as the bias gradient of `add` sums them).
pub(crate) fn affine_backward(
    x: usize,
    w: usize,
    b: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    backward(x, w, g, nodes, sink);
    if sink.wants(b) {
        let (db, mode) = sink.write(b);
        bias_grad(db, mode, g);
    }
}

/// A bias's gradient from the output gradient `dz` of its layer (rows `db.len()` wide):
/// `db` = row 0 (stored, or added to earlier contributions, as `mode` says), then + row 1,
/// + row 2, ... in order.
pub(crate) fn bias_grad(db: &mut [f32], mode: Write, dz: &[f32]) {
    let n = db.len();
    let rows = match (mode, dz.split_at_checked(n)) {
        (Write::Add, _) => dz,
        (Write::Assign, Some((first, rest))) if n > 0 => {
            db.copy_from_slice(first);
            rest
        }
        (Write::Assign, _) => {
            db.fill(0.0); // no rows (or no columns): nothing flows to the bias
            &[]
        }
    };
    parallel::add_rows(db, rows);
}

pub(crate) fn backward(a: usize, b: usize, g: &[f32], nodes: &[Node], sink: &mut GradSink<'_>) {
    let (x, w) = (&nodes[a].value, &nodes[b].value);
    let (m, k, n) = (x.shape()[0], x.shape()[1], w.shape()[1]);
    let dc = || MatRef::row_major(g, m, n);
    // dA [m,k] += dC [m,n] . B^T [n,k]   and   dB [k,n] += A^T [k,m] . dC [m,n]
    let wt = || MatRef::row_major(w.data(), k, n).t();
    let xt = || MatRef::row_major(x.data(), m, k).t();
    // beta 0 stores the product into a fresh gradient buffer, beta 1 adds to earlier ones.
    let beta = |mode| if mode == Write::Assign { 0.0 } else { 1.0 };
    let (want_a, want_b) = (sink.wants(a), sink.wants(b));
    if want_a && want_b && a != b && m * k * n >= JOIN_MIN_MACS && rayon::current_num_threads() > 1
    {
        // The two products are independent: one beside the other (see JOIN_MIN_MACS).
        let ((da, mode_a, scratch_a), (db, mode_b, scratch_b)) = sink.write_two(a, b);
        rayon::join(
            || gemm(dc(), wt(), beta(mode_a), da, scratch_a),
            || gemm(xt(), dc(), beta(mode_b), db, scratch_b),
        );
        return;
    }
    if want_a {
        let (da, mode, scratch) = sink.write_with_scratch(a);
        gemm(dc(), wt(), beta(mode), da, scratch);
    }
    if want_b {
        let (db, mode, scratch) = sink.write_with_scratch(b);
        gemm(xt(), dc(), beta(mode), db, scratch);
    }
}

/// Backward products of at least this many multiply-adds each (`m k n`) run side by side
/// on the rayon pool rather than one after the other, when both operands want a gradient
/// and the pool has more than one thread. Below it, the products are on one thread anyway
/// (under `gemm`'s own parallel threshold) and the idle worker would have to be woken for
/// each: at 2^18 a batch-128 8-64-64-1 step (two 2^19 products per hidden layer) got about
/// 30% slower on two threads (0.78x even with the other thread kept polling for work: the
/// operands and results move between the cores' caches). At 2^20 the [1024, 256, 64, 16]
/// MLP gained about 5% (ten paired runs, measured while its big layer's products still went
/// to `sgemm`), from its 256-to-64 layer's two 2^21 products, which otherwise run one after
/// the other on one thread, and from the big layer's.
pub(crate) const JOIN_MIN_MACS: usize = 1 << 20;

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
        let (m, n) = (xs[0], ws[1]);
        let c = self.product(a, b);
        let needs = self.needs_grad(a) || self.needs_grad(b);
        self.push(
            Tensor::from_parts(c, Shape::new(&[m, n], "matmul")),
            Op::MatMul { a, b },
            needs,
        )
    }

    /// A dense layer: `x w + b` for `x` `[m, k]`, `w` `[k, n]` and a bias `b` `[n]` added to
    /// every row, as one node (bit for bit `add(matmul(x, w), b)`, with one buffer and one
    /// pass fewer). Panics, naming the three shapes, unless they fit.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0], &[1, 2]);
    /// let w = tape.param(&[1.0, 0.0, 0.0, 1.0], &[2, 2], 0);
    /// let b = tape.param(&[10.0, 20.0], &[2], 1);
    /// let z = tape.affine(x, w, b);
    /// assert_eq!(tape.value(z).data(), &[11.0, 22.0]);
    /// let loss = tape.sum(z);
    /// tape.backward(loss);
    /// assert_eq!(tape.grad(b).unwrap().data(), &[1.0, 1.0]);
    /// ```
    pub fn affine(&mut self, x: Var, w: Var, b: Var) -> Var {
        self.dense_layer(x, w, b, "affine", parallel::add_to_rows, |x, w, b| {
            Op::Affine { x, w, b }
        })
    }

    /// The forward of a dense layer node, what `affine` and `affine_relu` share: checks the
    /// shapes of `x` `[m, k]`, `w` `[k, n]` and `b` `[n]` (panicking, naming `name` and the
    /// three shapes, unless they fit), computes `x w`, lets `epilogue` apply the bias (and
    /// the activation) to its rows in place, and records the node as `op(x, w, b)`.
    pub(crate) fn dense_layer(
        &mut self,
        x: Var,
        w: Var,
        b: Var,
        name: &str,
        epilogue: impl FnOnce(&mut [f32], &[f32]),
        op: impl FnOnce(usize, usize, usize) -> Op,
    ) -> Var {
        let (x, w, b) = (
            self.index(x, name),
            self.index(w, name),
            self.index(b, name),
        );
        let (xs, ws, bs) = (
            self.nodes[x].value.shape(),
            self.nodes[w].value.shape(),
            self.nodes[b].value.shape(),
        );
        assert!(
            xs.len() == 2 && ws.len() == 2 && xs[1] == ws[0] && bs == [ws[1]],
            "{name}: shapes {xs:?}, {ws:?} and {bs:?} are not [m, k], [k, n] and [n]"
        );
        let (m, n) = (xs[0], ws[1]);
        let mut z = self.product(x, w);
        epilogue(&mut z, self.nodes[b].value.data());
        let needs = self.needs_grad(x) || self.needs_grad(w) || self.needs_grad(b);
        self.push(
            Tensor::from_parts(z, Shape::new(&[m, n], name)),
            op(x, w, b),
            needs,
        )
    }

    /// The forward product of nodes `a` `[m, k]` and `b` `[k, n]` (shapes checked by the
    /// caller), into a recycled buffer: what `matmul` and the dense layers share.
    fn product(&mut self, a: usize, b: usize) -> Vec<f32> {
        let (x, w) = (&self.nodes[a].value, &self.nodes[b].value);
        let (m, k, n) = (x.shape()[0], x.shape()[1], w.shape()[1]);
        let mut c = self.pool.for_overwrite(m * n); // gemm with beta = 0 writes all of it
        gemm(
            MatRef::row_major(x.data(), m, k),
            MatRef::row_major(w.data(), k, n),
            0.0,
            &mut c,
            &mut self.gemm_scratch[0],
        );
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits of `dx` and `dw` for `sum(tanh(x w))`, `x` [64, 24] and `w` [24, 1024], on a
    /// pool of `threads`, and the tape's two scratch lengths afterwards.
    fn grads_and_scratch(threads: usize, w_first: bool) -> (Vec<u32>, Vec<u32>, [usize; 2]) {
        let (m, k, n) = (64, 24, 1024);
        assert!(m * k * n >= JOIN_MIN_MACS);
        let xv: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let wv: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.91).cos()).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut tape = Tape::new();
            let (x, w) = if w_first {
                let w = tape.param(&wv, &[k, n], 1);
                (tape.param(&xv, &[m, k], 0), w)
            } else {
                let x = tape.param(&xv, &[m, k], 0);
                (x, tape.param(&wv, &[k, n], 1))
            };
            let y = tape.matmul(x, w);
            let y = tape.tanh(y);
            let loss = tape.sum(y);
            tape.backward(loss);
            let bits = |v: Var| {
                tape.grad(v)
                    .unwrap()
                    .data()
                    .iter()
                    .map(|g| g.to_bits())
                    .collect()
            };
            let (dx, dw) = (bits(x), bits(w));
            (dx, dw, tape.gemm_scratch.each_ref().map(Vec::len))
        })
    }

    #[test]
    fn side_by_side_products_give_the_sequential_bits_and_keep_their_scratch() {
        // On one thread the two products run one after the other; on two, side by side,
        // with the operands pushed in either order. dw = x^T dy has a B of 64 x 1024, which
        // goes through packed panels: into the second scratch buffer, kept by the tape.
        let (dx1, dw1, _) = grads_and_scratch(1, false);
        for w_first in [false, true] {
            let (dx2, dw2, scratch) = grads_and_scratch(2, w_first);
            assert!(dx1 == dx2 && dw1 == dw2, "w_first {w_first}");
            assert_eq!(scratch[1], 64 * 1024, "w_first {w_first}");
        }
    }
}
