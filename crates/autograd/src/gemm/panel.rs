//! Mid-sized products through the small kernel on B packed into column panels.
//!
//! Once B has more than [`super::SMALL_GEMM_MAX_B`] elements, reading it in place costs:
//! each block of rows of C streams all of B, and a row of a 32-column block of a 1024 x 256
//! B is 128 bytes every kilobyte; such rows fall on a few cache sets, so they evict one
//! another from L1 and every block reads B from L2 with the stride the prefetchers like
//! least.
//! Here each block of [`PANEL`] columns of B is first copied into its own contiguous
//! `k x PANEL` panel (one panel per task), then the rows of C are computed in blocks of
//! [`TASK_ROWS`], each reading the panels in order; both steps on the rayon pool from
//! [`PAR_MIN_MACS`] multiply-adds, on the calling thread below. The arithmetic is the
//! kernel's: one fused chain over all of `k` per element, so the result has the same bits
//! as the unpacked kernel's, whatever the pool size.

use super::kernel::small_gemm;
use super::{for_blocks, write_row_major, MatRef, PAR_MIN_MACS};

/// Columns of B per packed panel: two 16-lane registers, the AVX-512 kernel's width.
pub(super) const PANEL: usize = 32;

/// Rows of C per task: one AVX-512 register block (three AVX2 ones).
const TASK_ROWS: usize = 12;

/// `C (row-major m x n) = beta C + A B`, B packed into `packed` (reused storage).
pub(super) fn packed_gemm(
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: &mut [f32],
    packed: &mut Vec<f32>,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && c.len() == m * n);
    // `gemm` sends only products with a B of more than SMALL_GEMM_MAX_B elements and more
    // than SMALL_GEMM_FEW_ROWS rows here (an empty side would make empty chunks below).
    assert!(
        m > 0 && k > 0 && n > 0,
        "packed_gemm: empty side {m}x{k}x{n}"
    );
    // The kernel's unchecked reads of A rely on this (`gemm` checks it too); each panel
    // holds exactly `k x w` floats.
    assert!((m - 1) * a.rs + (k - 1) * a.cs < a.data.len());
    if packed.len() < k * n {
        packed.resize(k * n, 0.0);
    }
    let packed = &mut packed[..k * n];
    // Panel q holds columns q * PANEL.. of B (the last one may be narrower), row-major.
    let pack = |(q, panel): (usize, &mut [f32])| {
        let columns = MatRef {
            data: &b.data[q * PANEL * b.cs..],
            cols: panel.len() / k,
            ..b
        };
        write_row_major(columns, panel);
    };
    let parallel = m * k * n >= PAR_MIN_MACS;
    for_blocks(packed, k * PANEL, parallel, pack);
    let packed = &*packed;
    // Rows block * TASK_ROWS.. of C, every panel.
    let rows = |(block, c): (usize, &mut [f32])| {
        let a = MatRef {
            data: &a.data[block * TASK_ROWS * a.rs..],
            rows: c.len() / n,
            ..a
        };
        for (q, panel) in packed.chunks(k * PANEL).enumerate() {
            let (j0, w) = (q * PANEL, panel.len() / k);
            let end = (a.rows - 1) * n + j0 + w;
            small_gemm(a, panel, w, w, n, beta == 1.0, &mut c[j0..end]);
        }
    };
    for_blocks(c, TASK_ROWS * n, parallel, rows);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::copy_row_major;
    use crate::gemm::tests::{differing_bits, naive, pool, values, view};

    #[test]
    fn packed_panels_give_the_unpacked_kernels_bits() {
        // One panel and a narrower one, 16-wide and single-column rests, a last panel of one
        // column, leftover rows, A and B in place and transposed, beta 0 and 1, on 1 to 3
        // threads, one product large enough for the parallel path; the packed buffer is
        // reused from shape to shape (stale contents and a length longer than needed).
        let mut packed = Vec::new();
        let shapes = [
            (100, 200, 230),
            (30, 9, 97),
            (1, 7, 33),
            (13, 40, 64),
            (25, 64, 40),
            (12, 3, 32),
        ];
        assert!(shapes[0].0 * shapes[0].1 * shapes[0].2 >= PAR_MIN_MACS);
        for (m, k, n) in shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ad, bd) = (values(m * k, 0.37), values(k * n, 0.91));
                let (a, b) = (view(&ad, m, k, ta), view(&bd, k, n, tb));
                let mut b_rows = Vec::new();
                copy_row_major(b, &mut b_rows);
                for beta in [0.0, 1.0] {
                    let c0 = values(m * n, 0.13);
                    let mut want = c0.clone();
                    small_gemm(a, &b_rows, n, n, n, beta == 1.0, &mut want);
                    // The reference itself against the definition.
                    let exact = naive(a, b, beta, &c0);
                    for (got, want) in want.iter().zip(&exact) {
                        let tol = 1e-5 * (k as f64 + 1.0);
                        assert!((f64::from(*got) - want).abs() < tol, "{m}x{k}x{n}");
                    }
                    for threads in 1..=3 {
                        let mut c = c0.clone();
                        pool(threads).install(|| packed_gemm(a, b, beta, &mut c, &mut packed));
                        assert_eq!(
                            differing_bits(&c, &want),
                            0,
                            "{m}x{k}x{n} ta={ta} tb={tb} beta={beta} on {threads} threads"
                        );
                    }
                }
            }
        }
    }
}
