//! Large products through matrixmultiply's `sgemm`, cut into one piece per thread.
//!
//! `sgemm` packs (copies) the whole of B for each call and the rows of A it is given. Cutting
//! C into fixed row blocks (of 64 rows then), as the small kernel's products are, made every
//! block pack all of B again: for `[128, 1024] x [1024, 256]` a quarter of the time went to
//! packing. So a large product makes one call per thread, and cuts along the longer side of
//! C: rows when C is tall (each thread packs all of B and its share of A), columns when C is
//! wide (each thread packs its share of B and all of A), whichever copies less.
//!
//! The pieces may depend on the pool size without changing a bit: `sgemm` computes every
//! element of C as `alpha * ab + beta * c`, with `ab` the same chain of fused multiply-adds
//! over the same runs of `k` whatever part of C the call covers (tested below for 1 to 4
//! pieces in rows and in columns, against the whole product).

use rayon::prelude::*;

use super::MatRef;

/// Pieces are whole multiples of this many rows or columns: the `sgemm` AVX-512 kernel's
/// tile is 16 x 16, so a piece boundary is also a tile boundary.
const TILE: usize = 16;

/// `C (row-major m x n) = beta * C + A B` with `sgemm`, in at most `parts` calls run on the
/// rayon pool.
pub(super) fn sgemm_in_parts(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32], parts: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    // The bounds the unsafe calls below rely on (`gemm` checks them too; they are cheap).
    assert!(b.rows == k && c.len() == m * n);
    assert!(m == 0 || k == 0 || (m - 1) * a.rs + (k - 1) * a.cs < a.data.len());
    assert!(k == 0 || n == 0 || (k - 1) * b.rs + (n - 1) * b.cs < b.data.len());
    if m == 0 || n == 0 {
        return;
    }
    let parts = parts.max(1);
    if m >= n {
        let rows = piece(m, parts);
        c.par_chunks_mut(rows * n).enumerate().for_each(|(i, c)| {
            let a = MatRef {
                data: &a.data[i * rows * a.rs..],
                rows: c.len() / n,
                ..a
            };
            // SAFETY: `c` holds exactly the `a.rows x n` block (row stride n) this call
            // writes; every strided element of A and B lies in its slice (asserted above).
            unsafe { sgemm(a, b, beta, c.as_mut_ptr(), n) };
        });
    } else {
        let cols = piece(n, parts);
        let c_base = SharedOut(c.as_mut_ptr());
        (0..n.div_ceil(cols)).into_par_iter().for_each(|i| {
            let j0 = i * cols;
            let b = MatRef {
                data: &b.data[j0 * b.cs..],
                cols: cols.min(n - j0),
                ..b
            };
            // SAFETY: columns j0..j0 + b.cols of the m x n matrix C (row stride n) lie inside
            // `c`, and no other piece writes them: pieces cover disjoint column ranges. The
            // elements of A and B read lie in their slices (asserted above).
            unsafe { sgemm(a, b, beta, c_base.at(j0), n) };
        });
    }
}

/// The length of each of `parts` pieces of `len`, rounded up to whole tiles.
fn piece(len: usize, parts: usize) -> usize {
    len.div_ceil(parts).next_multiple_of(TILE).max(TILE)
}

/// The output pointer handed to the column pieces (each writes its own columns only).
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);

// SAFETY: the pieces write disjoint columns of C through it (see `sgemm_in_parts`).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// The pointer `offset` elements in (a method, so closures capture the whole `Send`
    /// wrapper rather than its raw-pointer field).
    fn at(self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }
}

/// matrixmultiply's `sgemm` writing the `a.rows x b.cols` block of C at `c` (row stride
/// `rsc`).
///
/// Safety: every strided element of `a` and `b` lies inside its slice, and `c` points to a
/// block of that shape, with row stride `rsc`, that nothing else reads or writes meanwhile.
unsafe fn sgemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: *mut f32, rsc: usize) {
    // SAFETY: see the function's contract.
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            1.0,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c,
            rsc as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::tests::{differing_bits, values, view};

    #[test]
    fn pieces_are_whole_tiles_that_cover_the_side() {
        assert_eq!(piece(128, 1), 128);
        assert_eq!(piece(128, 2), 64);
        assert_eq!(piece(100, 3), 48);
        assert_eq!(piece(5, 4), 16);
        for (len, parts) in [(1024, 3), (200, 7), (17, 2)] {
            let p = piece(len, parts);
            assert!(p.is_multiple_of(TILE) && p * parts >= len, "{len} {parts}");
        }
    }

    #[test]
    fn any_number_of_pieces_gives_the_bits_of_one_call() {
        // Tall and wide C (row and column pieces), sides that are not whole tiles, k past
        // sgemm's 256-long runs (so C is added to run by run), B as a transposed view (the
        // backward product), and beta 0 and 1.
        for (m, k, n, b_transposed) in [
            (200, 300, 72, false),
            (72, 300, 200, true),
            (130, 530, 130, false),
            (48, 64, 1000, true),
        ] {
            let ad = values(m * k, 0.37);
            let bd = values(k * n, 0.91);
            let (a, b) = (view(&ad, m, k, false), view(&bd, k, n, b_transposed));
            for beta in [0.0, 1.0] {
                let c0 = values(m * n, 0.13);
                let mut whole = c0.clone();
                // SAFETY: `whole` is the m x n output; the views are in bounds.
                unsafe { sgemm(a, b, beta, whole.as_mut_ptr(), n) };
                for parts in 1..=4 {
                    let mut c = c0.clone();
                    sgemm_in_parts(a, b, beta, &mut c, parts);
                    let differ = differing_bits(&c, &whole);
                    assert_eq!(differ, 0, "{m}x{k}x{n}, beta {beta}, {parts} parts");
                }
            }
        }
    }
}
