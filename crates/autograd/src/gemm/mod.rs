//! Matrix products `C = beta C + A B` for the tape's `matmul`: a register-blocked kernel for
//! the small shapes of MLP training, the same kernel on B packed into column panels for
//! mid-sized ones (a B of up to 2^18 elements, 1 MB) or, when that B is a transposed view
//! and A is small, on `C^T = B^T A^T`, and matrixmultiply's `sgemm` beyond.
//!
//! ## Why a kernel of our own
//!
//! `sgemm` first copies ("packs") panels of A and B into a freshly allocated buffer laid out
//! for its micro-kernel. For a large product the copy is cheap next to the `m k n`
//! multiply-adds; for the layers of a small MLP (say `[32, 64] x [64, 64]`) packing and the
//! allocation are a large part of the call. The kernel below reads the operands where they
//! are, so it needs no packing and allocates nothing. (For mid-sized products it reads B
//! from panels copied into a scratch buffer that is kept from call to call: `panel.rs`.)
//!
//! Files: this one dispatches (our kernel, packed panels, the swapped product, the
//! one-column product or `sgemm`, one thread or row blocks on rayon); `kernel.rs` is the
//! register-blocked kernel; `matvec.rs` the one-column product with a row-major A on
//! AVX-512 (A's tiles transposed in registers); `panel.rs` packs B for the kernel;
//! `swapped.rs` computes `C^T = B^T A^T` for a transposed B (the input gradient of a wide
//! layer) instead of transposing all of B into panels; `simd.rs` the few AVX-512 and AVX2
//! operations they use, and the in-register transposes; `large.rs` runs `sgemm` in one
//! piece per thread.
//!
//! ## The blocking
//!
//! With B row-major, row `p` of B holds `B[p, j..j + W]` contiguously. The micro-kernel
//! keeps an `R x W` block of C in SIMD registers (AVX-512: 6 rows by 64 columns when C is
//! at least 64 wide, else 12 rows by 32 columns, either way 24 registers of 16 lanes; AVX2:
//! 4 rows by 16 columns = 8 registers of 8 lanes) and, for `p = 0..k`, loads row `p` of B
//! into `W / lanes` registers, broadcasts `A[i, p]` for each of the `R` rows and does
//! `R * W / lanes` fused multiply-adds. Each loaded row of B is used `R` times, each scalar
//! of A `W` times, and the block of C is written once at the end. With 24 (or 8)
//! independent accumulators there is enough work in flight to cover the 4-cycle latency of
//! the two FMA units. Columns left over after the `W`-wide panels go through narrower
//! panels (two registers, then one), then single columns; rows left over after the `R`-row
//! blocks go eight at once (after 12-row blocks), then four, then two, then one at a time.
//! (For 32-column C, 12 rows measured 2-4% faster than 8 on a whole 8-64-64-1 training step
//! at batch 128; why 6 x 64 beats 12 x 32 where it fits: `kernel.rs`.) With `beta = 0` the
//! previous contents of C are never read.
//!
//! When B's rows are not contiguous (the backward product `dC B^T`), B is first copied into
//! a scratch buffer in row-major order; the scratch is kept between calls, so a warm step
//! still allocates nothing.
//!
//! ## Threads
//!
//! A large product (see [`PAR_MIN_MACS`]) for the kernel is cut into fixed blocks of rows of
//! C, each computed by one thread with the code above; a packed one packs its panels of B in
//! parallel, then computes blocks of 12 rows of C on the pool; a swapped one computes `C^T`
//! in the kernel's row blocks and transposes it into C in blocks of 8 rows, both on the
//! pool; one for `sgemm` is cut into one piece per thread (`large.rs`: each `sgemm` call
//! packs its operands, so fewer, larger calls copy less). Small ones run on the calling
//! thread.
//!
//! ## Determinism
//!
//! Every element `C[i, j]` is computed the same way whatever the blocking or the ISA:
//! `acc = 0; for p in 0..k { acc = fma(A[i, p], B[p, j], acc) }`, then `C = acc` or
//! `C += acc`. So the result does not depend on the block sizes, on which SIMD width ran,
//! nor on the number of threads (the row blocks are the same whatever the pool size, and
//! each element is computed inside one of them), nor on whether B was packed first (the
//! panels hold the same numbers; `panel.rs` tests the bits), nor on whether it was computed
//! as element `(j, i)` of `C^T = B^T A^T` (the chain multiplies the same two numbers in the
//! other order, which a fused multiply-add, rounding once, does not see; `swapped.rs` tests
//! the bits), nor, for one column, on whether A's columns came from a copy or from tiles
//! transposed in registers (`matvec.rs` tests the bits). `sgemm` has its own arithmetic
//! (fused chains over runs of 256 `k`, added to C run by run), also the same for every
//! element whatever part of C a call covers; `large.rs` tests that its pieces give the
//! bits of one call. On x86-64 the kernel is
//! compiled for AVX-512 and for AVX2+FMA and picked at run time; a CPU with neither runs the
//! portable version, which rounds after the multiply and after the add (no fused
//! multiply-add), so its last bits can differ from an FMA machine's (as `sgemm`'s do across
//! its kernels).

use rayon::prelude::*;

use kernel::small_gemm;

mod kernel;
mod large;
#[cfg(target_arch = "x86_64")]
mod matvec;
mod panel;
#[cfg(target_arch = "x86_64")]
mod simd;
mod swapped;

/// A matrix view: `rows x cols`, element `(i, j)` at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows x cols` matrix.
    pub(crate) fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose, by swapping dimensions and strides (no copy).
    pub(crate) fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// True if each row is a contiguous slice (a single column trivially is).
    fn rows_contiguous(&self) -> bool {
        self.cs == 1 || self.cols == 1
    }
}

/// Products whose B has more elements than this are not read in place, unless A has at most
/// [`SMALL_GEMM_FEW_ROWS`] rows: B goes into packed panels (up to [`PACKED_MAX_B`]) or to
/// `sgemm`. The kernel streams all of B once per `R`-row block of C, so it is fast while B
/// stays in the L2 cache (2^15 f32 = 128 KB) and its rows do not evict one another from L1;
/// with so few rows that B is streamed only once or twice anyway (the weight gradient
/// `x^T dC` of a first layer) reading it in place still wins. Measured on the development
/// machine (AVX-512, GFLOP/s, kernel vs sgemm): `[128, 64] x [64, 64]` 121 vs 106,
/// `[128, 256] x [256, 64]` 127 vs 107, `[1024, 128] x [128, 256]` 129 vs 127; but
/// `[128, 512] x [512, 256]` 110 vs 131 and `[128, 1024] x [1024, 256]` 84 vs 121.
pub(crate) const SMALL_GEMM_MAX_B: usize = 1 << 15;

/// Products with a larger B than [`SMALL_GEMM_MAX_B`] but no larger than this (2^18 f32,
/// 1 MB: half the L2 cache, which each block of rows streams the panels from) go through
/// packed panels (`panel.rs`); larger ones to `sgemm`, whose blocking over `k` and `n`
/// keeps its panels in cache. Measured alone (medians of 30 calls, G multiply-adds/s,
/// sgemm vs packed, 1 / 2 threads): `[128, 1024] x [1024, 256]` 35 vs 38 / 44 vs 60,
/// `[128, 256] x [256, 1024]` with B transposed 34 vs 41 / 53 vs 55, `[128, 512] x [512,
/// 512]` 36 vs 44 / 54 vs 57; with a 4 MB B, `[128, 1024] x [1024, 1024]`, 34 vs 31 / 55 vs
/// 49. In a [1024, 256, 64, 16] training step, where the first two are the big layer's
/// forward and backward products, packing them instead of calling `sgemm` gave +10% steps/s
/// on two threads (ten paired runs).
pub(crate) const PACKED_MAX_B: usize = 1 << 18;

/// Products of at least this many multiply-adds are cut into blocks of [`PAR_ROWS`] rows
/// of C computed on the rayon pool (about 40 microseconds of work: well above the cost of
/// handing blocks to threads); for `sgemm`, into one piece per thread with at least this
/// many each.
pub(crate) const PAR_MIN_MACS: usize = 1 << 22;

/// Rows of C per parallel block (see [`PAR_MIN_MACS`]): four of the AVX-512 kernel's
/// 12-row blocks, or eight of its 6-row ones for C at least 64 wide (twelve of AVX2's 4-row
/// ones). With 64, when the blocks were all 12 rows, every block ended in a 4-row block
/// (64 = 5 x 12 + 4), which has too few accumulators to keep both FMA units busy; the
/// [1024, 256, 64, 16] step's two 1024-row products (the big layer's weight gradient and,
/// swapped, its input gradient) made 48 about 1.5% faster a step on two threads and on one
/// (median step time, the two settings alternating step by step in one run, four runs).
/// 96 had measured no different from 64.
pub(crate) const PAR_ROWS: usize = 48;

/// See [`SMALL_GEMM_MAX_B`].
pub(crate) const SMALL_GEMM_FEW_ROWS: usize = 16;

/// A one-column product with a row-major A of at least this many rows reads a transposed
/// copy of A (see [`gemm`]); fewer rows do not fill one register of the one-column kernel.
pub(crate) const TRANSPOSE_A_MIN_ROWS: usize = 16;

/// `c (row-major m x n) = beta * c + a b`, with `beta` 0 or 1. `scratch` is reused storage
/// for a row-major copy of `b` when its rows are not contiguous.
pub(crate) fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32], scratch: &mut Vec<f32>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && c.len() == m * n);
    assert!(beta == 0.0 || beta == 1.0, "gemm: beta must be 0 or 1");
    // Every element of A and B that is read lies inside the slices.
    assert!(m == 0 || k == 0 || (m - 1) * a.rs + (k - 1) * a.cs < a.data.len());
    assert!(k == 0 || n == 0 || (k - 1) * b.rs + (n - 1) * b.cs < b.data.len());
    if k == 0 {
        // An empty sum (e.g. the weight gradient of a batch of no rows): C is 0 + beta C,
        // and the kernels below would index A's empty buffer.
        if beta == 0.0 {
            c.fill(0.0);
        }
        return;
    }
    if k * n > SMALL_GEMM_MAX_B && m > SMALL_GEMM_FEW_ROWS {
        // Too large a B to read in place: packed panels, or beyond them `sgemm` (one call
        // per thread, see `large.rs`, each of at least PAR_MIN_MACS multiply-adds), which
        // reads strided views itself.
        if k * n <= PACKED_MAX_B {
            if swapped::takes(a, b, beta) {
                swapped::swapped_gemm(a, b, c, scratch);
            } else {
                panel::packed_gemm(a, b, beta, c, scratch);
            }
        } else {
            let parts = (m * k * n / PAR_MIN_MACS).clamp(1, rayon::current_num_threads());
            large::sgemm_in_parts(a, b, beta, c, parts);
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if matvec::takes(a, n) {
        // One column and a row-major A (the output layer's forward), on AVX-512: A's tiles
        // transposed in registers (`matvec.rs`) instead of the copy below.
        matvec::row_major_matvec(a, b.data, b.rs, beta, c);
        return;
    }
    // The kernel, reading B in place: its rows must be contiguous.
    let (a, b) = if n == 1 && a.cs == 1 && a.rs != 1 && m >= TRANSPOSE_A_MIN_ROWS {
        // One column and a row-major A (the output layer's forward) without AVX-512: the
        // kernel reads A down its columns, which for a row-major A gathers scattered
        // elements at every step of every chain. A's transpose, copied once, is read with
        // contiguous loads by four chains at a time (see `Job::single_column`). B, a single
        // column, needs no copy, so the scratch is free for A.
        let at = copy_row_major(a.t(), scratch);
        (MatRef::row_major(at, k, m).t(), b)
    } else if b.rows_contiguous() {
        (a, b)
    } else {
        let b = copy_row_major(b, scratch);
        (a, MatRef::row_major(b, k, n))
    };
    kernel_product(a, b, beta, c);
}

/// `c (row-major m x n) = beta * c + a b` with the kernel reading both operands in place
/// (`b`'s rows contiguous): on the calling thread, or in blocks of [`PAR_ROWS`] rows of C
/// on the pool from [`PAR_MIN_MACS`] multiply-adds.
fn kernel_product(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    debug_assert!(b.rows_contiguous() && c.len() == m * n);
    if m * k * n < PAR_MIN_MACS || m <= PAR_ROWS || n == 0 {
        small_gemm(a, b.data, b.rs, n, n, beta == 1.0, c);
        return;
    }
    // Large, for the kernel: fixed blocks of PAR_ROWS rows of C, each an independent
    // product, spread over the rayon pool. Each element of C is computed within one block,
    // so the result does not depend on the thread count.
    c.par_chunks_mut(PAR_ROWS * n)
        .enumerate()
        .for_each(|(block, c)| {
            let rows = MatRef {
                data: &a.data[block * PAR_ROWS * a.rs..],
                rows: c.len() / n,
                ..a
            };
            small_gemm(rows, b.data, b.rs, n, n, beta == 1.0, c);
        });
}

/// `f((index, block))` for each `len`-element block of `out` in order (the last may be
/// shorter): on the rayon pool when `parallel`, else on the calling thread. The blocks are
/// the same either way, so a result computed block by block does not depend on it.
fn for_blocks(
    out: &mut [f32],
    len: usize,
    parallel: bool,
    f: impl Fn((usize, &mut [f32])) + Sync + Send,
) {
    if parallel {
        out.par_chunks_mut(len).enumerate().for_each(f);
    } else {
        out.chunks_mut(len).enumerate().for_each(f);
    }
}

/// Writes the `rows x cols` view `b` in row-major order into the first `rows * cols`
/// floats of `out`, and returns them. The view comes from `matmul`'s backward as the
/// transpose of a row-major matrix (its columns are the contiguous rows of that matrix),
/// so the copy is a transpose: 8 x 8 blocks in registers where the CPU has AVX, the
/// leftover rows and columns one element at a time.
///
/// `out` (the tape's scratch, shared by every product of a step) grows when too short and
/// is never shrunk: every element used is overwritten, so a long enough buffer needs no
/// zero fill, and shrinking it made the next larger product zero-fill the difference again
/// (a megabyte per step for the packed panels of a [1024, 256, 64, 16] MLP).
fn copy_row_major<'s>(b: MatRef<'_>, out: &'s mut Vec<f32>) -> &'s [f32] {
    let len = b.rows * b.cols;
    if out.len() < len {
        out.resize(len, 0.0);
    }
    write_row_major(b, &mut out[..len]);
    &out[..len]
}

/// [`copy_row_major`] into `out`, which holds exactly `b.rows * b.cols` floats.
fn write_row_major(b: MatRef<'_>, out: &mut [f32]) {
    let (rows, cols) = (b.rows, b.cols);
    assert_eq!(out.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return;
    }
    if b.cs == 1 {
        // Rows already contiguous (packing a row-major B into panels): row by row.
        for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
            out_row.copy_from_slice(&b.data[i * b.rs..][..cols]);
        }
        return;
    }
    if b.rs != 1 {
        for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
            for (j, o) in out_row.iter_mut().enumerate() {
                *o = b.data[i * b.rs + j * b.cs];
            }
        }
        return;
    }
    // Column j of B is contiguous: `rows` floats from `j * cs`.
    assert!(rows == 0 || cols == 0 || (cols - 1) * b.cs + rows <= b.data.len());
    #[allow(unused_mut)] // only x86-64 has the block path
    let mut j = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX is present (checked just above); the assert above is the function's
        // bounds contract.
        j = unsafe { transpose_column_blocks(b, out) };
    }
    for j in j..cols {
        let column = &b.data[j * b.cs..][..rows];
        for (i, &x) in column.iter().enumerate() {
            out[i * cols + j] = x;
        }
    }
}

/// The columns of `b` (a view with contiguous columns) in blocks of 8, written to the
/// row-major `out`: 8 x 8 blocks transposed in registers, then each block's leftover rows
/// element by element. (One scattered store per element made this copy about a tenth of a
/// small MLP's step.) Returns the first column not copied.
///
/// Safety: the CPU supports AVX; `b.rs == 1`; column `b.cols - 1` ends inside `b.data`
/// (`(cols - 1) * cs + rows <= len`); `out` holds `rows * cols` floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose_column_blocks(b: MatRef<'_>, out: &mut [f32]) -> usize {
    let (rows, cols, cs) = (b.rows, b.cols, b.cs);
    debug_assert!(b.rs == 1 && out.len() == rows * cols);
    let mut j = 0;
    while j + 8 <= cols {
        let mut i = 0;
        while i + 8 <= rows {
            // SAFETY: columns j..j + 8 of B hold elements i..i + 8 inside `b.data` (the
            // contract: every column ends inside it); rows i..i + 8 of `out` hold columns
            // j..j + 8; `out` and `b.data` are distinct borrows, so they do not overlap.
            unsafe {
                simd::transpose8x8(
                    b.data.as_ptr().add(j * cs + i),
                    cs,
                    out.as_mut_ptr().add(i * cols + j),
                    cols,
                );
            }
            i += 8;
        }
        for i in i..rows {
            for t in 0..8 {
                out[i * cols + j + t] = b.data[(j + t) * cs + i];
            }
        }
        j += 8;
    }
    j
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `C = beta C + A B` by the definition, in f64.
    pub(super) fn naive(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &[f32]) -> Vec<f64> {
        let (m, k, n) = (a.rows, a.cols, b.cols);
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = f64::from(beta) * f64::from(c[i * n + j]);
                for p in 0..k {
                    s += f64::from(a.data[i * a.rs + p * a.cs])
                        * f64::from(b.data[p * b.rs + j * b.cs]);
                }
                out[i * n + j] = s;
            }
        }
        out
    }

    /// A rayon pool of `threads` threads (the parallel paths' tests run on 1 to 3).
    pub(super) fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// Test values: `sin(i k + 0.3)`.
    pub(super) fn values(len: usize, k: f32) -> Vec<f32> {
        (0..len).map(|i| ((i as f32) * k + 0.3).sin()).collect()
    }

    /// How many elements of `got` differ from `want` in their bits (0 when the two paths
    /// computed the same numbers).
    pub(super) fn differing_bits(got: &[f32], want: &[f32]) -> usize {
        assert_eq!(got.len(), want.len());
        got.iter()
            .zip(want)
            .filter(|(x, y)| x.to_bits() != y.to_bits())
            .count()
    }

    /// `data` as a `rows x cols` view: row-major, or the transpose of a row-major
    /// `cols x rows` matrix (the backward products' operands).
    pub(super) fn view(data: &[f32], rows: usize, cols: usize, transposed: bool) -> MatRef<'_> {
        if transposed {
            MatRef::row_major(data, cols, rows).t()
        } else {
            MatRef::row_major(data, rows, cols)
        }
    }

    #[test]
    fn matches_the_definition_for_every_panel_and_transpose() {
        let mut scratch = Vec::new();
        // shapes that hit full blocks, leftover rows, 32/16/8/1-wide column panels, a large
        // B with few rows (read in place), packed panels, and sgemm
        for (m, k, n) in [
            (1, 1, 1),
            (5, 3, 1),
            (4, 8, 64),
            (7, 5, 45),
            (33, 17, 73),
            (9, 300, 120),
            (20, 200, 200),
            (18, 520, 520),
        ] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ad, bd) = (values(m * k, 0.37), values(k * n, 0.91));
                let (a, b) = (view(&ad, m, k, ta), view(&bd, k, n, tb));
                for beta in [0.0, 1.0] {
                    let mut c = values(m * n, 0.13);
                    let expected = naive(a, b, beta, &c);
                    gemm(a, b, beta, &mut c, &mut scratch);
                    for (got, want) in c.iter().zip(&expected) {
                        let tol = 1e-5 * (k as f64 + 1.0);
                        assert!(
                            (f64::from(*got) - want).abs() < tol,
                            "{m}x{k}x{n} ta={ta} tb={tb} beta={beta}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_empty_inner_dimension_gives_beta_c() {
        // k = 0: the weight gradient of a batch of no rows, `x^T dz` with x [0, m]; A is a
        // transposed view of an empty buffer (this panicked before the early return).
        let mut scratch = Vec::new();
        for (m, n) in [(3, 4), (40, 33), (1, 1)] {
            let a = MatRef::row_major(&[], 0, m).t();
            let b = MatRef::row_major(&[], 0, n);
            let mut c = vec![f32::NAN; m * n];
            gemm(a, b, 0.0, &mut c, &mut scratch);
            assert!(c.iter().all(|&x| x.to_bits() == 0), "{m} x 0 x {n}, beta 0");
            let mut c = values(m * n, 0.5);
            let before = c.clone();
            gemm(a, b, 1.0, &mut c, &mut scratch);
            assert_eq!(c, before, "{m} x 0 x {n}, beta 1");
        }
    }

    #[test]
    fn copy_row_major_is_the_view_element_by_element() {
        // Transposed views (contiguous columns) with whole and partial 8 x 8 blocks, a
        // column stride longer than the column (a view of part of a matrix), and a strided
        // view that takes the generic path; the scratch starts longer than needed, with
        // stale values in it.
        for (rows, cols, cs) in [
            (1, 1, 1),
            (8, 8, 8),
            (64, 64, 64),
            (13, 21, 13),
            (7, 9, 11),
            (128, 64, 130),
        ] {
            let data = values((cols - 1) * cs + rows, 0.77);
            let b = MatRef {
                data: &data,
                rows,
                cols,
                rs: 1,
                cs,
            };
            let mut scratch = vec![f32::NAN; rows * cols + 40];
            let out = copy_row_major(b, &mut scratch);
            assert_eq!(out.len(), rows * cols);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        out[i * cols + j].to_bits(),
                        data[i + j * cs].to_bits(),
                        "{rows}x{cols} ({i}, {j})"
                    );
                }
            }
        }
        let data = values(60, 0.5);
        let strided = MatRef {
            data: &data,
            rows: 4,
            cols: 5,
            rs: 12,
            cs: 2,
        };
        let mut scratch = Vec::new();
        let out = copy_row_major(strided, &mut scratch);
        assert_eq!(out.len(), 20);
        for i in 0..4 {
            for j in 0..5 {
                assert_eq!(out[i * 5 + j].to_bits(), data[i * 12 + j * 2].to_bits());
            }
        }
        // Contiguous rows with a row stride longer than the row (a block of columns, as the
        // packed panels copy): row by row. Then a shorter copy into the same scratch, which
        // keeps its length (no zero fill when a larger product comes next).
        let rows = MatRef {
            data: &data[3..],
            rows: 4,
            cols: 7,
            rs: 12,
            cs: 1,
        };
        let out = copy_row_major(rows, &mut scratch);
        assert_eq!(out.len(), 28);
        for i in 0..4 {
            for j in 0..7 {
                assert_eq!(out[i * 7 + j].to_bits(), data[3 + i * 12 + j].to_bits());
            }
        }
        let out = copy_row_major(MatRef::row_major(&data, 2, 3), &mut scratch);
        assert_eq!(out, &data[..6]);
        assert_eq!(scratch.len(), 28);
    }

    #[test]
    fn large_products_cut_for_the_pool_match_the_definition() {
        // above PAR_MIN_MACS: row blocks on the pool for the kernel (B read in place), packed
        // panels (B of 2^15 to 2^18 elements), pieces for sgemm (a larger B)
        for (m, k, n) in [(200, 150, 150), (130, 200, 200), (20, 520, 520)] {
            assert!(m * k * n >= PAR_MIN_MACS && m > SMALL_GEMM_FEW_ROWS);
            let (ad, bd) = (values(m * k, 0.37), values(k * n, 0.91));
            let (a, b) = (MatRef::row_major(&ad, m, k), MatRef::row_major(&bd, k, n));
            let mut c = vec![0.0; m * n];
            gemm(a, b, 0.0, &mut c, &mut Vec::new());
            let expected = naive(a, b, 0.0, &c);
            for (got, want) in c.iter().zip(&expected) {
                assert!(
                    (f64::from(*got) - want).abs() < 1e-5 * k as f64,
                    "{m}x{k}x{n}"
                );
            }
            if k * n <= PACKED_MAX_B {
                // the kernel's bits, whether B was packed or not
                let mut unpacked = vec![0.0; m * n];
                small_gemm(a, &bd, n, n, n, false, &mut unpacked);
                assert!(
                    c.iter()
                        .zip(&unpacked)
                        .all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{m}x{k}x{n}"
                );
            }
        }
    }

    #[test]
    fn each_element_is_one_fused_chain_over_k() {
        // The documented arithmetic, bit for bit: acc = fma(a, b, acc) over p in order, then
        // C = acc (beta 0) or C + acc (beta 1). The shapes reach every path of the kernel:
        // for C narrower than 64, 12-, 8-, 4-, 2- and 1-row blocks on 32-, 16-wide and
        // single-column panels (27 x 49 = 12 + 8 + 4 + 2 + 1 rows by 32 + 16 + 1 columns);
        // for C at least 64 wide, 6-, 4-, 2- and 1-row blocks on 64-, 32-, 16-wide and
        // single-column panels (19 x 115 = 2 x 6 + 4 + 2 + 1 rows by 64 + 32 + 16 + 3
        // columns); and the one-column product (n = 1) with row-major and transposed A over
        // each of its row tiers.
        let fused = cfg!(target_arch = "x86_64")
            && (std::is_x86_feature_detected!("avx512f")
                || (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")));
        let mut shapes = vec![
            (6, 19, 41),
            (29, 64, 64),
            (13, 5, 33),
            (20, 31, 48),
            (19, 23, 115),
            (22, 9, 64),
            (27, 7, 49),
        ];
        for m in [1, 7, 8, 13, 16, 17, 40, 64, 70, 130] {
            shapes.push((m, 23, 1));
        }
        for (m, k, n) in shapes {
            for transposed_a in [false, true] {
                for beta in [0.0, 1.0] {
                    let (ad, bd) = (values(m * k, 1.7), values(k * n, 2.3));
                    // element (i, p) of A at `ai(i, p)`
                    let (a, ai): (MatRef<'_>, Box<dyn Fn(usize, usize) -> usize>) = if transposed_a
                    {
                        (
                            MatRef::row_major(&ad, k, m).t(),
                            Box::new(move |i, p| p * m + i),
                        )
                    } else {
                        (
                            MatRef::row_major(&ad, m, k),
                            Box::new(move |i, p| i * k + p),
                        )
                    };
                    let c0 = values(m * n, 0.61);
                    let mut c = c0.clone();
                    let b = MatRef::row_major(&bd, k, n);
                    gemm(a, b, beta, &mut c, &mut Vec::new());
                    for i in 0..m {
                        for j in 0..n {
                            let mut acc = 0.0f32;
                            for p in 0..k {
                                let (x, y) = (ad[ai(i, p)], bd[p * n + j]);
                                acc = if fused {
                                    x.mul_add(y, acc)
                                } else {
                                    x * y + acc
                                };
                            }
                            let expected = if beta == 1.0 {
                                c0[i * n + j] + acc
                            } else {
                                acc
                            };
                            assert_eq!(
                                c[i * n + j].to_bits(),
                                expected.to_bits(),
                                "C[{i}, {j}] of {m}x{k}x{n}, transposed A {transposed_a}, beta {beta}"
                            );
                        }
                    }
                }
            }
        }
    }
}
