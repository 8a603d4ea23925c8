//! Mid-sized products with a transposed B and a small A, computed the other way round:
//! `C^T = B^T A^T`, then `C^T` transposed into C.
//!
//! The case is the input gradient of a wide layer, `dX = dY W^T`: for the 1024 -> 256 layer
//! of a [1024, 256, 64, 16] MLP at batch 128, A = dY is 128 x 256 (2^15 elements) and
//! B = W^T is 256 x 1024 (2^18), a view whose rows are W's columns. The packed path
//! (`panel.rs`) would transpose all of W into panels (a megabyte, every step) and compute C
//! in blocks of 12 of its 128 rows. Swapped, the large operand becomes the kernel's A, which
//! it reads in place whatever its strides (`B^T` is W itself, row-major), and the small one
//! its B (`A^T`, copied row-major if its rows are not contiguous: 128 KB here), which fits
//! in L2 as the in-place kernel wants; `C^T` has 1024 rows, cut into blocks of
//! [`super::PAR_ROWS`] for the pool. Transposing the small A and `C^T` (2^17 elements) moves
//! less than transposing W, and the product runs on the faster in-place path. Measured
//! alone (paired medians of 15 rounds of 30 calls, two runs): 0.94x the packed product's
//! time on one thread, 0.88x on two; in whole [1024, 256, 64, 16] steps, with the two paths
//! alternating step by step, median step time 0.98-0.99x.
//!
//! Same bits as the other paths: element `C[i, j] = C^T[j, i]` is the chain
//! `acc = fma(B[p, j], A[i, p], acc)` over `p` in order, and a fused multiply-add rounds
//! `x y + z` once, so swapping its two factors changes nothing (nor does it for the
//! portable kernel's `x * y + z`). `C^T` is copied into C as it is; with `beta = 1` the
//! copy would have to add, so such products stay on the packed path (the backward pass
//! writes a first gradient with `beta = 0`).

use super::{for_blocks, kernel_product, write_row_major, MatRef, PAR_MIN_MACS, SMALL_GEMM_MAX_B};

/// Rows of C per parallel task of the final transpose: one row of 8 x 8 blocks.
const TRANSPOSE_ROWS: usize = 8;

/// True if `gemm` should send this product (already known to have a B of 2^15 to 2^18
/// elements and more than 16 rows of A) here: B's rows are not contiguous (packing it would
/// be a transpose), A would fit the in-place kernel as a B, and C is overwritten.
pub(super) fn takes(a: MatRef<'_>, b: MatRef<'_>, beta: f32) -> bool {
    beta == 0.0 && !b.rows_contiguous() && a.rows * a.cols <= SMALL_GEMM_MAX_B
}

/// `C (row-major m x n) = A B` as `C^T = B^T A^T`. `scratch` (kept between calls, never
/// shrunk) holds `A^T` row-major when A's columns are not contiguous, then `C^T`.
pub(super) fn swapped_gemm(a: MatRef<'_>, b: MatRef<'_>, c: &mut [f32], scratch: &mut Vec<f32>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && c.len() == m * n);
    // `gemm` asserted that every element of A and B it reads lies inside their slices;
    // B^T and A^T are the same elements, as the kernel's unchecked reads require.
    let at = a.t();
    let at_len = if at.rows_contiguous() { 0 } else { k * m };
    if scratch.len() < at_len + n * m {
        scratch.resize(at_len + n * m, 0.0);
    }
    let (at_copy, rest) = scratch.split_at_mut(at_len);
    let ct = &mut rest[..n * m];
    let at = if at_len == 0 {
        at
    } else {
        write_row_major(at, at_copy);
        MatRef::row_major(at_copy, k, m)
    };
    // C^T (n x m) = B^T (n x k, read in place) A^T (k x m, contiguous rows).
    kernel_product(b.t(), at, 0.0, ct);
    // C = (C^T)^T: row i of C is column i of C^T, so a block of rows of C reads a block of
    // contiguous columns of the view below, the case `write_row_major` transposes in
    // registers.
    let ct = &*ct;
    let transpose = |(block, c): (usize, &mut [f32])| {
        let i0 = block * TRANSPOSE_ROWS;
        let columns = MatRef {
            data: &ct[i0..],
            rows: c.len() / n,
            cols: n,
            rs: 1,
            cs: m,
        };
        write_row_major(columns, c);
    };
    for_blocks(c, TRANSPOSE_ROWS * n, m * k * n >= PAR_MIN_MACS, transpose);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::kernel::small_gemm;
    use crate::gemm::tests::{naive, pool, values, view};
    use crate::gemm::{copy_row_major, gemm, panel, PACKED_MAX_B, SMALL_GEMM_FEW_ROWS};

    #[test]
    fn swapped_products_give_the_kernels_bits() {
        // In `gemm`'s swapped range (a transposed B of 2^15 to 2^18 elements, an A of at most
        // 2^15): the first two on the pool (at least PAR_MIN_MACS), the third on the calling
        // thread with a row count that leaves partial 8 x 8 blocks; A row-major (copied
        // transposed) and transposed (read in place); on 1 to 3 threads, the scratch reused
        // from call to call with stale values in it. Reference: the unpacked kernel on a
        // row-major copy of B, checked against the definition too.
        let mut scratch = vec![f32::NAN; 7];
        for (m, k, n) in [(128, 256, 1024), (100, 200, 300), (21, 40, 1000)] {
            assert!(k * n > SMALL_GEMM_MAX_B && k * n <= PACKED_MAX_B && m * k <= SMALL_GEMM_MAX_B);
            assert!(m > SMALL_GEMM_FEW_ROWS);
            let (ad, bd) = (values(m * k, 0.37), values(k * n, 0.91));
            let b = view(&bd, k, n, true);
            let mut b_rows = Vec::new();
            let b_rows = copy_row_major(b, &mut b_rows);
            for transposed_a in [false, true] {
                let a = view(&ad, m, k, transposed_a);
                let mut want = vec![0.0; m * n];
                small_gemm(a, b_rows, n, n, n, false, &mut want);
                let exact = naive(a, b, 0.0, &want);
                for (got, exact) in want.iter().zip(&exact) {
                    assert!((f64::from(*got) - exact).abs() < 1e-5 * k as f64);
                }
                for threads in 1..=3 {
                    let mut c = values(m * n, 0.13); // overwritten: beta 0
                    assert!(takes(a, b, 0.0));
                    pool(threads).install(|| gemm(a, b, 0.0, &mut c, &mut scratch));
                    assert!(
                        c.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()),
                        "{m}x{k}x{n}, transposed A {transposed_a}, {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn only_overwritten_products_of_a_transposed_b_and_a_small_a_are_swapped() {
        let (m, k, n) = (128, 256, 1024);
        let (ad, bd) = (values(m * k, 0.37), values(k * n, 0.91));
        let a = view(&ad, m, k, false);
        assert!(takes(a, view(&bd, k, n, true), 0.0));
        // beta 1 (the copy of C^T would have to add), a row-major B (packing it is a plain
        // copy), an A above 2^15 elements (too large for the kernel's B): packed panels
        assert!(!takes(a, view(&bd, k, n, true), 1.0));
        assert!(!takes(a, view(&bd, k, n, false), 0.0));
        let big_a = values(m * (k + 1), 0.37);
        assert!(!takes(
            view(&big_a, m, k + 1, false),
            view(&bd, k, n, true),
            0.0
        ));
        // With beta 1 the packed path adds the product to C, with the swapped path's bits.
        let b = view(&bd, k, n, true);
        let mut swapped = vec![0.0; m * n];
        gemm(a, b, 0.0, &mut swapped, &mut Vec::new());
        let c0 = values(m * n, 0.13);
        let mut added = c0.clone();
        gemm(a, b, 1.0, &mut added, &mut Vec::new());
        let mut packed = c0.clone();
        panel::packed_gemm(a, b, 1.0, &mut packed, &mut Vec::new());
        for ((x, y), (c, s)) in added.iter().zip(&packed).zip(c0.iter().zip(&swapped)) {
            assert_eq!(x.to_bits(), y.to_bits());
            assert_eq!(x.to_bits(), (c + s).to_bits());
        }
    }
}
