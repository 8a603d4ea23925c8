//! Shapes stored inline (no heap), and NumPy broadcasting rules.
//!
//! A tensor's shape lives in a fixed array so that creating a tensor never allocates for its
//! shape: together with the buffer pool this is what lets a warm training step run without
//! touching the allocator.

use std::fmt;

/// The largest rank a [`Tensor`](crate::Tensor) may have.
///
/// ```
/// assert_eq!(caadam_autograd::MAX_RANK, 6);
/// ```
pub const MAX_RANK: usize = 6;

/// A shape of rank `0..=MAX_RANK`, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    dims: [usize; MAX_RANK],
    rank: usize,
}

impl Shape {
    /// Panics (naming `op`) if the rank exceeds [`MAX_RANK`].
    pub(crate) fn new(dims: &[usize], op: &str) -> Shape {
        assert!(
            dims.len() <= MAX_RANK,
            "{op}: shape {dims:?} has rank {}, more than MAX_RANK = {MAX_RANK}",
            dims.len()
        );
        let mut s = Shape {
            dims: [0; MAX_RANK],
            rank: dims.len(),
        };
        s.dims[..dims.len()].copy_from_slice(dims);
        s
    }

    pub(crate) fn dims(&self) -> &[usize] {
        &self.dims[..self.rank]
    }

    pub(crate) fn numel(&self) -> usize {
        self.dims().iter().product()
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

/// Number of elements of a shape (1 for the rank-0 shape `[]`).
pub(crate) fn numel(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// The broadcast shape of `a` and `b` under NumPy rules (align at the right; each pair of
/// dimensions must be equal or one of them 1), or `None` if they are incompatible.
pub(crate) fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Shape> {
    let rank = a.len().max(b.len());
    if rank > MAX_RANK {
        return None;
    }
    let mut out = Shape {
        dims: [0; MAX_RANK],
        rank,
    };
    for i in 0..rank {
        // i counts from the right
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        out.dims[rank - 1 - i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// Row-major strides of `input` laid against an output of rank `out_rank`, with stride 0 on
/// every axis where `input` is broadcast (missing on the left, or of size 1).
pub(crate) fn broadcast_strides(input: &[usize], out: &[usize]) -> [usize; MAX_RANK] {
    let mut strides = [0; MAX_RANK];
    let offset = out.len() - input.len();
    let mut stride = 1;
    for i in (0..input.len()).rev() {
        strides[offset + i] = if input[i] == 1 && out[offset + i] != 1 {
            0
        } else {
            stride
        };
        stride *= input[i];
    }
    strides
}

/// How a broadcast op walks its output one row (last axis) at a time: the row length and
/// the step of each input along the row (1, or 0 where that input is broadcast along it).
pub(crate) fn row_walk(
    out: &[usize],
    sa: &[usize; MAX_RANK],
    sb: &[usize; MAX_RANK],
) -> (usize, usize, usize) {
    match out.len() {
        0 => (1, 0, 0),
        rank => (out[rank - 1], sa[rank - 1], sb[rank - 1]),
    }
}

/// Calls `f(o, ia, ib)` at the start of every output row of a row-major `out` shape (see
/// [`row_walk`]), with `ia`, `ib` the offsets of the matching input elements. Rows are
/// visited in order, so accumulations done by `f` are deterministic.
pub(crate) fn for_each_broadcast_row(
    out: &[usize],
    sa: &[usize; MAX_RANK],
    sb: &[usize; MAX_RANK],
    mut f: impl FnMut(usize, usize, usize),
) {
    let n = numel(out);
    if n == 0 {
        return;
    }
    let (inner, _, _) = row_walk(out, sa, sb);
    let outer_rank = out.len().saturating_sub(1);
    // multi-index over all axes but the last
    let mut index = [0usize; MAX_RANK];
    let (mut base_a, mut base_b) = (0usize, 0usize);
    for o in (0..n).step_by(inner) {
        f(o, base_a, base_b);
        // odometer increment of the outer axes, keeping the input offsets in step
        let mut axis = outer_rank;
        while axis > 0 {
            axis -= 1;
            index[axis] += 1;
            base_a += sa[axis];
            base_b += sb[axis];
            if index[axis] < out[axis] {
                break;
            }
            base_a -= sa[axis] * out[axis];
            base_b -= sb[axis] * out[axis];
            index[axis] = 0;
        }
    }
}

/// Splits `dims` around `axis` into (outer, axis length, inner) so an axis operation can be
/// written as three nested loops over a row-major buffer.
pub(crate) fn split_at_axis(dims: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = numel(&dims[..axis]);
    let inner = numel(&dims[axis + 1..]);
    (outer, dims[axis], inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_shapes_follow_numpy() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap().dims(), &[3, 4]);
        assert_eq!(broadcast_shapes(&[], &[2, 3]).unwrap().dims(), &[2, 3]);
        assert_eq!(
            broadcast_shapes(&[2, 1, 3], &[5, 1]).unwrap().dims(),
            &[2, 5, 3]
        );
        assert!(broadcast_shapes(&[2, 3], &[3, 2]).is_none());
    }

    #[test]
    fn broadcast_walk_visits_expected_offsets() {
        // out [2,3]; a = [2,1] (stride 1 on axis 0, 0 on axis 1); b = [3]
        let out = [2, 3];
        let sa = broadcast_strides(&[2, 1], &out);
        let sb = broadcast_strides(&[3], &out);
        let mut seen = vec![];
        for_each_broadcast_row(&out, &sa, &sb, |o, ia, ib| seen.push((o, ia, ib)));
        // two rows of length 3; a repeats along the row (step 0), b advances (step 1)
        assert_eq!(row_walk(&out, &sa, &sb), (3, 0, 1));
        assert_eq!(seen, vec![(0, 0, 0), (3, 1, 0)]);
        // [2, 1, 3] against [4, 1] -> [2, 4, 3]
        let out = [2, 4, 3];
        let sa = broadcast_strides(&[2, 1, 3], &out);
        let sb = broadcast_strides(&[4, 1], &out);
        let mut seen = vec![];
        for_each_broadcast_row(&out, &sa, &sb, |o, ia, ib| seen.push((o, ia, ib)));
        assert_eq!(row_walk(&out, &sa, &sb), (3, 1, 0));
        let expected: Vec<_> = (0..8).map(|r| (3 * r, 3 * (r / 4), r % 4)).collect();
        assert_eq!(seen, expected);
    }
}
