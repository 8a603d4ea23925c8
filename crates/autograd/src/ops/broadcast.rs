//! add, sub, mul, div with NumPy broadcasting.
//!
//! Forward: each output element combines the input elements its index maps to (an axis of
//! size 1, or missing on the left, is repeated). Backward: an input element that was
//! repeated receives the sum of the gradients of all the outputs it fed, i.e. the output
//! gradient is summed over the broadcast axes.

use crate::op::Op;
use crate::parallel;
use crate::shape::{broadcast_shapes, broadcast_strides, for_each_broadcast_row, row_walk};
use crate::tape::{GradSink, Node, Tape, Var, Write};
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug)]
pub(crate) enum BinaryKind {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryKind {
    /// Runs `job` with this kind's `(x, y) -> (z, dz/dx, dz/dy)`: forward and backward rule
    /// side by side. (Generic closures, one per kind, so the loops inline them.)
    fn with<J: BinaryLoop>(self, job: J) {
        match self {
            BinaryKind::Add => job.run(|x, y| (x + y, 1.0, 1.0)),
            BinaryKind::Sub => job.run(|x, y| (x - y, 1.0, -1.0)),
            BinaryKind::Mul => job.run(|x, y| (x * y, y, x)),
            BinaryKind::Div => job.run(|x, y| (x / y, 1.0 / y, -x / (y * y))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            BinaryKind::Add => "add",
            BinaryKind::Sub => "sub",
            BinaryKind::Mul => "mul",
            BinaryKind::Div => "div",
        }
    }
}

/// A loop to run with one concrete `(x, y) -> (z, dz/dx, dz/dy)` (also used by the losses).
pub(crate) trait BinaryLoop {
    fn run<F: Fn(f32, f32) -> (f32, f32, f32) + Copy + Send + Sync>(self, f: F);
}

/// `z = x op y`, broadcasting to `out_shape`.
struct Forward<'a> {
    x: &'a Tensor,
    y: &'a Tensor,
    out_shape: &'a [usize],
    z: &'a mut [f32],
}

impl BinaryLoop for Forward<'_> {
    fn run<F: Fn(f32, f32) -> (f32, f32, f32) + Copy + Send + Sync>(self, f: F) {
        let (x, y, z) = (self.x, self.y, self.z);
        if x.shape() == y.shape() {
            parallel::map2(z, x.data(), y.data(), move |x, y| f(x, y).0);
            return;
        }
        if let Some(block) = repeated_block(x.shape(), y.shape(), self.out_shape) {
            // a bias: y repeats along x (same values as the general walk, without its
            // per-row bookkeeping)
            let rows = z.chunks_exact_mut(block).zip(x.data().chunks_exact(block));
            for (z, x) in rows {
                parallel::map2_chunk(z, x, y.data(), move |x, y| f(x, y).0);
            }
            return;
        }
        let sa = broadcast_strides(x.shape(), self.out_shape);
        let sb = broadcast_strides(y.shape(), self.out_shape);
        let (len, step_a, step_b) = row_walk(self.out_shape, &sa, &sb);
        for_each_broadcast_row(self.out_shape, &sa, &sb, |o, ia, ib| {
            let (xr, yr) = (
                Row::new(x.data(), ia, step_a, len),
                Row::new(y.data(), ib, step_b, len),
            );
            row_terms(
                xr,
                yr,
                len,
                move |x, y| f(x, y).0,
                Assign(&mut z[o..o + len]),
            );
        });
    }
}

/// `dx += g * dz/dx` (or, with `WRT_Y`, `dy += g * dz/dy`), summed over broadcast axes;
/// with [`Write::Assign`] the sums replace what `dst` held.
struct Backward<'a, const WRT_Y: bool> {
    x: &'a Tensor,
    y: &'a Tensor,
    out_shape: &'a [usize],
    g: &'a [f32],
    dst: &'a mut [f32],
    mode: Write,
}

impl<const WRT_Y: bool> BinaryLoop for Backward<'_, WRT_Y> {
    fn run<F: Fn(f32, f32) -> (f32, f32, f32) + Copy + Send + Sync>(self, f: F) {
        let slope = move |x, y| {
            let (_, dx, dy) = f(x, y);
            if WRT_Y {
                dy
            } else {
                dx
            }
        };
        let (x, y, g, dst, mode) = (self.x, self.y, self.g, self.dst, self.mode);
        let term = move |g: f32, x, y| g * slope(x, y);
        if x.shape() == y.shape() {
            // no broadcasting: purely elementwise, parallel above the threshold
            parallel::write_map3(dst, mode, g, x.data(), y.data(), term);
            return;
        }
        if let Some(block) = repeated_block(x.shape(), y.shape(), self.out_shape) {
            // a bias: y repeats along x. Row by row in output order, as the general walk
            // below (same sums in the same order, so the same bits). A fresh buffer takes
            // its first row by assignment (and zeros if there is no row).
            if mode == Write::Assign && g.len() < block {
                dst.fill(0.0);
            }
            let rows = g.chunks_exact(block).zip(x.data().chunks_exact(block));
            for (r, (g, x)) in rows.enumerate() {
                let dst = if WRT_Y {
                    &mut dst[..]
                } else {
                    &mut dst[r * block..][..block]
                };
                let first = r == 0 || !WRT_Y;
                if mode == Write::Assign && first {
                    parallel::map3_chunk(dst, g, x, y.data(), term);
                } else {
                    parallel::add_map3_chunk(dst, g, x, y.data(), term);
                }
            }
            return;
        }
        if mode == Write::Assign {
            dst.fill(0.0); // the walk below adds
        }
        // Broadcasting: the same input element receives several contributions, summed here
        // row by row in output order on this thread (a fixed order, hence deterministic).
        let sa = broadcast_strides(x.shape(), self.out_shape);
        let sb = broadcast_strides(y.shape(), self.out_shape);
        let (len, step_a, step_b) = row_walk(self.out_shape, &sa, &sb);
        for_each_broadcast_row(self.out_shape, &sa, &sb, |o, ia, ib| {
            let (xr, yr) = (
                Row::new(x.data(), ia, step_a, len),
                Row::new(y.data(), ib, step_b, len),
            );
            let (at, step) = if WRT_Y { (ib, step_b) } else { (ia, step_a) };
            let g = &g[o..o + len];
            if step == 0 {
                row_terms(
                    xr,
                    yr,
                    len,
                    slope,
                    AddSum {
                        dst: &mut dst[at],
                        g,
                    },
                );
            } else {
                row_terms(
                    xr,
                    yr,
                    len,
                    slope,
                    AddEach {
                        dst: &mut dst[at..at + len],
                        g,
                    },
                );
            }
        });
    }
}

/// If `x` has the output's shape and `y`'s elements repeat along it in blocks (the shape of
/// `y`, leading 1s dropped, equals the output's trailing axes: `[n, d] + [d]`, a bias), the
/// block length.
fn repeated_block(x: &[usize], y: &[usize], out: &[usize]) -> Option<usize> {
    let first = y.iter().position(|&d| d != 1).unwrap_or(y.len());
    let y = &y[first..];
    let block: usize = y.iter().product();
    let trailing = out.len().checked_sub(y.len())?;
    (x == out && &out[trailing..] == y && block > 0).then_some(block)
}

/// One input's values along an output row: a slice, or one value repeated (broadcast).
#[derive(Clone, Copy)]
enum Row<'a> {
    Slice(&'a [f32]),
    Repeat(f32),
}

impl<'a> Row<'a> {
    fn new(data: &'a [f32], start: usize, step: usize, len: usize) -> Row<'a> {
        if step == 0 {
            Row::Repeat(data[start])
        } else {
            Row::Slice(&data[start..start + len])
        }
    }
}

/// Consumes the terms computed along one output row.
trait RowSink {
    fn take(self, terms: impl Iterator<Item = f32>);
}

/// `z_k = term_k`.
struct Assign<'a>(&'a mut [f32]);

impl RowSink for Assign<'_> {
    fn take(self, terms: impl Iterator<Item = f32>) {
        self.0.iter_mut().zip(terms).for_each(|(z, t)| *z = t);
    }
}

/// `dst_k += g_k * term_k` (the input advances along the row).
struct AddEach<'a> {
    dst: &'a mut [f32],
    g: &'a [f32],
}

impl RowSink for AddEach<'_> {
    fn take(self, terms: impl Iterator<Item = f32>) {
        let it = self.dst.iter_mut().zip(self.g).zip(terms);
        it.for_each(|((d, &g), t)| *d += g * t);
    }
}

/// `dst += sum_k g_k * term_k` (the input is repeated along the row).
struct AddSum<'a> {
    dst: &'a mut f32,
    g: &'a [f32],
}

impl RowSink for AddSum<'_> {
    fn take(self, terms: impl Iterator<Item = f32>) {
        *self.dst += self.g.iter().zip(terms).map(|(&g, t)| g * t).sum::<f32>();
    }
}

/// Feeds `f(x_k, y_k)` along a row to `sink`, with one loop per slice/repeat combination so
/// each is a plain zip the compiler can vectorize.
#[inline(always)]
fn row_terms(x: Row<'_>, y: Row<'_>, len: usize, f: impl Fn(f32, f32) -> f32, sink: impl RowSink) {
    match (x, y) {
        (Row::Slice(xs), Row::Slice(ys)) => sink.take(xs.iter().zip(ys).map(|(&x, &y)| f(x, y))),
        (Row::Slice(xs), Row::Repeat(y)) => sink.take(xs.iter().map(|&x| f(x, y))),
        (Row::Repeat(x), Row::Slice(ys)) => sink.take(ys.iter().map(|&y| f(x, y))),
        (Row::Repeat(x), Row::Repeat(y)) => sink.take(std::iter::repeat_n(f(x, y), len)),
    }
}

pub(crate) fn backward(
    kind: BinaryKind,
    a: usize,
    b: usize,
    out: usize,
    g: &[f32],
    nodes: &[Node],
    sink: &mut GradSink<'_>,
) {
    let (x, y) = (&nodes[a].value, &nodes[b].value);
    let out_shape = nodes[out].value.shape();
    if sink.wants(a) {
        let (dst, mode) = sink.write(a);
        kind.with(Backward::<false> {
            x,
            y,
            out_shape,
            g,
            dst,
            mode,
        });
    }
    if sink.wants(b) {
        let (dst, mode) = sink.write(b);
        kind.with(Backward::<true> {
            x,
            y,
            out_shape,
            g,
            dst,
            mode,
        });
    }
}

impl Tape {
    fn binary(&mut self, a: Var, b: Var, kind: BinaryKind) -> Var {
        let name = kind.name();
        let (a, b) = (self.index(a, name), self.index(b, name));
        let (x, y) = (&self.nodes[a].value, &self.nodes[b].value);
        let shape = broadcast_shapes(x.shape(), y.shape()).unwrap_or_else(|| {
            panic!(
                "{name}: shapes {:?} and {:?} cannot be broadcast together",
                x.shape(),
                y.shape()
            )
        });
        let mut z = self.pool.for_overwrite(shape.numel()); // every element is written
        kind.with(Forward {
            x,
            y,
            out_shape: shape.dims(),
            z: &mut z,
        });
        let needs = self.needs_grad(a) || self.needs_grad(b);
        self.push(
            Tensor::from_parts(z, shape),
            Op::Binary { a, b, kind },
            needs,
        )
    }

    /// `a + b` with NumPy broadcasting (e.g. `[n, d] + [d]` adds a bias to every row).
    /// Panics, naming both shapes, if they cannot be broadcast.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = tape.input_from(&[10.0, 20.0], &[2]);
    /// let y = tape.add(x, b);
    /// assert_eq!(tape.value(y).data(), &[11.0, 22.0, 13.0, 24.0]);
    /// ```
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.binary(a, b, BinaryKind::Add)
    }

    /// `a - b` with NumPy broadcasting.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0], &[2, 1]);
    /// let y = tape.input_from(&[1.0], &[]);
    /// let z = tape.sub(x, y);
    /// assert_eq!(tape.value(z).data(), &[0.0, 1.0]);
    /// ```
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        self.binary(a, b, BinaryKind::Sub)
    }

    /// `a * b` elementwise with NumPy broadcasting.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let col = tape.input_from(&[1.0, 2.0], &[2, 1]);
    /// let row = tape.input_from(&[3.0, 4.0, 5.0], &[1, 3]);
    /// let outer = tape.mul(col, row);
    /// assert_eq!(tape.value(outer).data(), &[3.0, 4.0, 5.0, 6.0, 8.0, 10.0]);
    /// ```
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.binary(a, b, BinaryKind::Mul)
    }

    /// `a / b` elementwise with NumPy broadcasting.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 3.0], &[2]);
    /// let y = tape.input_from(&[2.0], &[1]);
    /// let z = tape.div(x, y);
    /// assert_eq!(tape.value(z).data(), &[0.5, 1.5]);
    /// ```
    pub fn div(&mut self, a: Var, b: Var) -> Var {
        self.binary(a, b, BinaryKind::Div)
    }
}
