//! `C (+)= A b` for a single column `b` and a row-major A (the forward product of a
//! regression MLP's output layer, `[batch, 64] x [64, 1]`), on AVX-512, reading A where
//! it is.
//!
//! The kernel's one-column path (`Job::single_column`) runs sixteen rows to a register,
//! which needs A's columns contiguous; for a row-major A, `gemm` first copied A's
//! transpose into its scratch, and that copy (8 x 8 blocks, each written to eight rows of
//! the copy half a kilobyte apart) took 3-4% of a whole batch-128 step of 8-64-64-1, more
//! than the product itself. Here the transpose never leaves the registers: sixteen rows at
//! a time, each 16 x 16 tile of A is loaded row by row (sixteen contiguous loads), turned
//! into its sixteen columns ([`simd::transpose16x16`]) and each column multiplied by its
//! element of `b` into the one accumulator of those rows. The arithmetic is the kernel's,
//! `acc = fma(A[i, p], b[p], acc)` for `p` in order, then `C = acc` or `C + acc`, so the
//! bits are those of the copy-then-kernel path (tested). Rows left over after the groups
//! of sixteen go to the kernel as they are (eight chains at a time along their rows).
//!
//! Measured against the copy (medians, the two paths alternating in one process, same
//! bits): the `[128, 64] x [64, 1]` product on the tape 0.81x the time; forward and
//! backward of 8-64-64-1 0.95x and 0.98x at batch 128 (two runs), 0.97-0.99x at batch 32.
//! Two groups of sixteen rows at a time, each with its own accumulator (two independent
//! chains for the FMA latency), were no faster.

use std::arch::x86_64::*;

use super::kernel::small_gemm;
use super::{for_blocks, simd, MatRef, PAR_MIN_MACS, PAR_ROWS};

/// Whether [`row_major_matvec`] computes this product: one column, A row-major with at
/// least sixteen rows (a full group), and a CPU with AVX-512F.
pub(super) fn takes(a: MatRef<'_>, n: usize) -> bool {
    n == 1 && a.cs == 1 && a.rs != 1 && a.rows >= 16 && std::is_x86_feature_detected!("avx512f")
}

/// `c = beta c + a b` for `b` one column (element `p` at `b[p * b_rs]`) and a row-major `a`
/// ([`takes`]); blocks of [`PAR_ROWS`] rows on the pool from [`PAR_MIN_MACS`]
/// multiply-adds (each element is computed within one block, so the bits do not depend on
/// the thread count).
pub(super) fn row_major_matvec(a: MatRef<'_>, b: &[f32], b_rs: usize, beta: f32, c: &mut [f32]) {
    let (m, k) = (a.rows, a.cols);
    assert!(a.cs == 1 && c.len() == m && k > 0);
    // Every element read lies inside the slices (`gemm` checked the same).
    assert!((m - 1) * a.rs + k <= a.data.len() && (k - 1) * b_rs < b.len());
    assert!(std::is_x86_feature_detected!("avx512f"));
    let accumulate = beta == 1.0;
    let rows = |(block, c): (usize, &mut [f32])| {
        let a = MatRef {
            data: &a.data[block * PAR_ROWS * a.rs..],
            rows: c.len(),
            ..a
        };
        // SAFETY: AVX-512F is present (asserted above); the block's rows lie inside A.
        let done = unsafe { groups_of_sixteen(a, b, b_rs, accumulate, c) };
        if done < a.rows {
            let rest = MatRef {
                data: &a.data[done * a.rs..],
                rows: a.rows - done,
                ..a
            };
            small_gemm(rest, b, b_rs, 1, 1, accumulate, &mut c[done..]);
        }
    };
    for_blocks(c, PAR_ROWS, m * k >= PAR_MIN_MACS, rows);
}

/// The rows of `c` in whole groups of sixteen; returns how many rows it computed.
///
/// Safety: the CPU supports AVX-512F; `a` is row-major (`cs == 1`) with `k >= 1` columns,
/// every row of it inside `a.data`; `b` holds `k` elements `b_rs` apart; `c` holds
/// `a.rows` floats.
#[target_feature(enable = "avx512f")]
unsafe fn groups_of_sixteen(
    a: MatRef<'_>,
    b: &[f32],
    b_rs: usize,
    accumulate: bool,
    c: &mut [f32],
) -> usize {
    let (m, k) = (a.rows, a.cols);
    let mut i0 = 0;
    while i0 + 16 <= m {
        // SAFETY (all reads): rows i0..i0 + 16 of A and elements p < k of each lie inside
        // `a.data`, and b(p) for p < k inside `b` (the caller's contract); a masked load
        // touches only the elements its mask selects, all with p < k.
        unsafe {
            let row0 = a.data.as_ptr().add(i0 * a.rs);
            let mut acc = _mm512_setzero_ps();
            let mut p = 0;
            while p < k {
                // A tile of sixteen columns, or the last few (the rest of the tile zero).
                let width = (k - p).min(16);
                let mask: __mmask16 = if width == 16 { !0 } else { (1 << width) - 1 };
                let rows: [__m512; 16] =
                    std::array::from_fn(|r| _mm512_maskz_loadu_ps(mask, row0.add(r * a.rs + p)));
                let columns = simd::transpose16x16(rows);
                for (q, &column) in columns.iter().enumerate().take(width) {
                    let y = _mm512_set1_ps(*b.get_unchecked((p + q) * b_rs));
                    acc = _mm512_fmadd_ps(column, y, acc);
                }
                p += 16;
            }
            let out = c.as_mut_ptr().add(i0);
            let sum = if accumulate {
                _mm512_add_ps(_mm512_loadu_ps(out), acc)
            } else {
                acc
            };
            _mm512_storeu_ps(out, sum);
        }
        i0 += 16;
    }
    i0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::tests::{differing_bits, pool, values};
    use crate::gemm::{copy_row_major, kernel_product};

    #[test]
    fn gives_the_bits_of_the_kernel_on_a_transposed_copy() {
        if !std::is_x86_feature_detected!("avx512f") {
            return;
        }
        // Whole groups and leftover rows; k below, at and across the sixteen-column tile;
        // A a block of a wider matrix (row stride longer than the row); b strided; beta 0
        // and 1; one product large enough for the pool, on 1 to 3 threads.
        let shapes = [
            (16, 1, 16),
            (16, 16, 16),
            (37, 5, 5),
            (40, 23, 30),
            (128, 64, 64),
            (70, 48, 48),
            (65_537, 64, 64),
        ];
        assert!(shapes[6].0 * shapes[6].1 >= PAR_MIN_MACS);
        for (m, k, rs) in shapes {
            let ad = values(m * rs, 0.37);
            let a = MatRef {
                data: &ad,
                rows: m,
                cols: k,
                rs,
                cs: 1,
            };
            assert!(takes(a, 1));
            for b_rs in [1, 3] {
                let bd = values(k * b_rs, 0.91);
                for beta in [0.0, 1.0] {
                    let c0 = values(m, 0.13);
                    // The path `gemm` took before: A's transpose copied, then the kernel's
                    // one-column product on it.
                    let mut want = c0.clone();
                    let mut scratch = Vec::new();
                    let at = copy_row_major(a.t(), &mut scratch);
                    let b = MatRef {
                        data: &bd,
                        rows: k,
                        cols: 1,
                        rs: b_rs,
                        cs: 1,
                    };
                    kernel_product(MatRef::row_major(at, k, m).t(), b, beta, &mut want);
                    for threads in 1..=3 {
                        let mut c = c0.clone();
                        pool(threads).install(|| row_major_matvec(a, &bd, b_rs, beta, &mut c));
                        assert_eq!(
                            differing_bits(&c, &want),
                            0,
                            "{m}x{k} (row stride {rs}), b stride {b_rs}, beta {beta}, {threads} threads"
                        );
                    }
                }
            }
        }
    }
}
