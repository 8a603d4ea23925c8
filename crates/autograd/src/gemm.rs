//! Matrix products `C = beta C + A B` for the tape's `matmul`: a register-blocked kernel for
//! the small shapes of MLP training, and matrixmultiply's `sgemm` for large ones.
//!
//! ## Why a kernel of our own
//!
//! `sgemm` first copies ("packs") panels of A and B into a freshly allocated buffer laid out
//! for its micro-kernel. For a large product the copy is cheap next to the `m k n`
//! multiply-adds; for the layers of a small MLP (say `[32, 64] x [64, 64]`) packing and the
//! allocation are a large part of the call. The kernel below reads the operands where they
//! are, so it needs no packing and allocates nothing.
//!
//! ## The blocking
//!
//! With B row-major, row `p` of B holds `B[p, j..j + W]` contiguously. The micro-kernel
//! keeps an `R x W` block of C in SIMD registers (AVX-512: 12 rows by 32 columns = 24
//! registers of 16 lanes; AVX2: 4 rows by 16 columns = 8 registers of 8 lanes) and, for
//! `p = 0..k`, loads row `p` of B into `W / lanes` registers, broadcasts `A[i, p]` for each
//! of the `R` rows and does `R * W / lanes` fused multiply-adds. Each loaded row of B is
//! used `R` times, each scalar of A `W` times, and the block of C is written once at the
//! end. With 24 (or 8) independent accumulators there is enough work in flight to cover the
//! 4-cycle latency of the two FMA units. Columns left over after the `W`-wide panels go
//! through one-register panels, then single columns; rows left over after the `R`-row
//! blocks go four at a time, then one at a time. (12 rows measured 2-4% faster than 8 on a
//! whole 8-64-64-1 training step at batch 128.) With `beta = 0` the previous contents of C
//! are never read.
//!
//! When B's rows are not contiguous (the backward product `dC B^T`), B is first copied into
//! a scratch buffer in row-major order; the scratch is kept between calls, so a warm step
//! still allocates nothing.
//!
//! ## Threads
//!
//! A large product (see [`PAR_MIN_MACS`]) is cut into fixed blocks of rows of C, each
//! computed by one thread with the code above; small ones run on the calling thread.
//!
//! ## Determinism
//!
//! Every element `C[i, j]` is computed the same way whatever the blocking or the ISA:
//! `acc = 0; for p in 0..k { acc = fma(A[i, p], B[p, j], acc) }`, then `C = acc` or
//! `C += acc`. So the result does not depend on the block sizes, on which SIMD width ran,
//! nor on the number of threads (the row blocks are the same whatever the pool size, and
//! each element is computed inside one of them). On x86-64 the kernel is compiled for AVX-512 and for
//! AVX2+FMA and picked at run time; a CPU with neither runs the portable version, which
//! rounds after the multiply and after the add (no fused multiply-add), so its last bits can
//! differ from an FMA machine's (as `sgemm`'s do across its kernels).

use rayon::prelude::*;

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

/// Products whose B has more elements than this go to `sgemm`, unless A has at most
/// [`SMALL_GEMM_FEW_ROWS`] rows. The kernel below streams all of B once per `R`-row block
/// of C, so it is fast while B stays in the L2 cache (2^15 f32 = 128 KB); beyond that
/// `sgemm`'s cache blocking wins, except when there are so few rows that B is streamed
/// only once or twice anyway (the weight gradient `x^T dC` of a first layer). Measured on the
/// development machine (AVX-512, GFLOP/s, kernel vs sgemm): `[128, 64] x [64, 64]` 121 vs
/// 106, `[128, 256] x [256, 64]` 127 vs 107, `[1024, 128] x [128, 256]` 129 vs 127; but
/// `[128, 512] x [512, 256]` 110 vs 131 and `[128, 1024] x [1024, 256]` 84 vs 121.
pub(crate) const SMALL_GEMM_MAX_B: usize = 1 << 15;

/// Products of at least this many multiply-adds are cut into blocks of [`PAR_ROWS`] rows
/// of C computed on the rayon pool (about 40 microseconds of work: well above the cost of
/// handing blocks to threads).
pub(crate) const PAR_MIN_MACS: usize = 1 << 22;

/// Rows of C per parallel block (see [`PAR_MIN_MACS`]).
pub(crate) const PAR_ROWS: usize = 64;

/// See [`SMALL_GEMM_MAX_B`].
pub(crate) const SMALL_GEMM_FEW_ROWS: usize = 16;

/// `c (row-major m x n) = beta * c + a b`, with `beta` 0 or 1. `scratch` is reused storage
/// for a row-major copy of `b` when its rows are not contiguous.
pub(crate) fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32], scratch: &mut Vec<f32>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && c.len() == m * n);
    assert!(beta == 0.0 || beta == 1.0, "gemm: beta must be 0 or 1");
    // Every element of A and B that is read lies inside the slices.
    assert!(m == 0 || k == 0 || (m - 1) * a.rs + (k - 1) * a.cs < a.data.len());
    assert!(k == 0 || n == 0 || (k - 1) * b.rs + (n - 1) * b.cs < b.data.len());
    let use_sgemm = k * n > SMALL_GEMM_MAX_B && m > SMALL_GEMM_FEW_ROWS;
    let b = if use_sgemm || b.rows_contiguous() {
        b
    } else {
        copy_row_major(b, scratch);
        MatRef::row_major(scratch, k, n)
    };
    let product = |a: MatRef<'_>, c: &mut [f32]| {
        if use_sgemm {
            sgemm(a, b, beta, c);
        } else {
            small_gemm(a, b.data, b.rs, n, beta == 1.0, c);
        }
    };
    if m * k * n < PAR_MIN_MACS || m <= PAR_ROWS || n == 0 {
        product(a, c);
        return;
    }
    // Large: fixed blocks of PAR_ROWS rows of C, each an independent product, spread over
    // the rayon pool. The blocks are the same for any pool size, and each element of C is
    // computed within one block, so the result does not depend on the thread count.
    c.par_chunks_mut(PAR_ROWS * n)
        .enumerate()
        .for_each(|(block, c)| {
            let rows = MatRef {
                data: &a.data[block * PAR_ROWS * a.rs..],
                rows: c.len() / n,
                ..a
            };
            product(rows, c);
        });
}

/// matrixmultiply's `sgemm` on the same views.
fn sgemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    // SAFETY: `gemm` checked that every strided element of A and B lies inside its slice and
    // that `c` holds m*n elements (row-major, row stride n); `c` does not alias `a` or `b`
    // (it is a `&mut` borrow).
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

/// `C (+)= A B` with B's rows contiguous: row `p` of B starts at `b[p * b_rs]`.
/// Picks the widest SIMD the CPU has (the arithmetic is the same in each, see the module
/// docs).
fn small_gemm(a: MatRef<'_>, b: &[f32], b_rs: usize, n: usize, accumulate: bool, c: &mut [f32]) {
    let job = Job {
        a,
        b,
        b_rs,
        n,
        accumulate,
    };
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            unsafe { small_gemm_avx512(job, c) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            unsafe { small_gemm_avx2(job, c) };
            return;
        }
    }
    job.run::<4, 16, false>(c);
}

/// AVX-512: blocks of 12 rows by 32 columns (two 16-lane registers per row), i.e. 24
/// accumulator registers of the 32: enough independent chains to keep both FMA units busy
/// despite their 4-cycle latency, with room left for the two loaded registers of B and the
/// broadcast scalar of A. Then 16-wide panels, then single columns (see [`Job::row_blocks`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn small_gemm_avx512(job: Job<'_>, c: &mut [f32]) {
    if job.n == 1 {
        job.single_column::<simd::Zmm>(c);
    } else {
        job.row_blocks::<simd::Zmm, 12>(c);
    }
}

/// AVX2: blocks of 4 rows by 16 columns (two 8-lane registers per row): 8 accumulators of
/// the 16 registers, leaving room for the loaded row of B and the broadcast scalar of A.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn small_gemm_avx2(job: Job<'_>, c: &mut [f32]) {
    if job.n == 1 {
        job.single_column::<simd::Ymm>(c);
    } else {
        job.row_blocks::<simd::Ymm, 4>(c);
    }
}

/// The few SIMD operations the micro-kernel needs, for one register width.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// A register of `LANES` f32. The methods are `unsafe` because they need the CPU
    /// feature of their width, and pointer ones read or write `LANES` floats.
    pub(super) trait Vector: Copy {
        const LANES: usize;
        unsafe fn zero() -> Self;
        unsafe fn splat(x: f32) -> Self;
        unsafe fn load(p: *const f32) -> Self;
        unsafe fn store(self, p: *mut f32);
        /// `self * b + c` with one rounding.
        unsafe fn mul_add(self, b: Self, c: Self) -> Self;
        unsafe fn add(self, b: Self) -> Self;
    }

    #[derive(Clone, Copy)]
    pub(super) struct Zmm(__m512);

    // The AVX-512 intrinsics and `target_feature(enable = "avx512f")` are stable since Rust
    // 1.89, which is why the workspace's `rust-version` is 1.89. The AVX2 path alone runs the
    // kernel at about half the speed on AVX-512 machines.
    impl Vector for Zmm {
        const LANES: usize = 16;
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn zero() -> Self {
            Zmm(_mm512_setzero_ps())
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn splat(x: f32) -> Self {
            Zmm(_mm512_set1_ps(x))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn load(p: *const f32) -> Self {
            Zmm(_mm512_loadu_ps(p))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn store(self, p: *mut f32) {
            _mm512_storeu_ps(p, self.0)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn mul_add(self, b: Self, c: Self) -> Self {
            Zmm(_mm512_fmadd_ps(self.0, b.0, c.0))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn add(self, b: Self) -> Self {
            Zmm(_mm512_add_ps(self.0, b.0))
        }
    }

    #[derive(Clone, Copy)]
    pub(super) struct Ymm(__m256);

    impl Vector for Ymm {
        const LANES: usize = 8;
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn zero() -> Self {
            Ymm(_mm256_setzero_ps())
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn splat(x: f32) -> Self {
            Ymm(_mm256_set1_ps(x))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn load(p: *const f32) -> Self {
            Ymm(_mm256_loadu_ps(p))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn store(self, p: *mut f32) {
            _mm256_storeu_ps(p, self.0)
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn mul_add(self, b: Self, c: Self) -> Self {
            Ymm(_mm256_fmadd_ps(self.0, b.0, c.0))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn add(self, b: Self) -> Self {
            Ymm(_mm256_add_ps(self.0, b.0))
        }
    }
}

/// The operands of one small product (see [`small_gemm`]).
#[derive(Clone, Copy)]
struct Job<'a> {
    a: MatRef<'a>,
    b: &'a [f32],
    b_rs: usize,
    n: usize,
    accumulate: bool,
}

impl Job<'_> {
    /// All of C: `W`-wide column panels, then 8-wide, then single columns.
    /// `FUSED` selects `mul_add` (one rounding) over `x * y + z`.
    #[inline(always)]
    fn run<const R: usize, const W: usize, const FUSED: bool>(self, c: &mut [f32]) {
        let mut j = 0;
        while j + W <= self.n {
            self.panel::<R, W, FUSED>(j, c);
            j += W;
        }
        while j + 8 <= self.n {
            self.panel::<R, 8, FUSED>(j, c);
            j += 8;
        }
        while j < self.n {
            self.panel::<R, 1, FUSED>(j, c);
            j += 1;
        }
    }

    /// Columns `j0..j0 + W` of C: blocks of `R` rows, then the leftover rows one by one.
    #[inline(always)]
    fn panel<const R: usize, const W: usize, const FUSED: bool>(self, j0: usize, c: &mut [f32]) {
        let m = self.a.rows;
        let mut i = 0;
        while i + R <= m {
            self.block::<R, W, FUSED>(i, j0, c);
            i += R;
        }
        while i < m {
            self.block::<1, W, FUSED>(i, j0, c);
            i += 1;
        }
    }

    /// All of C with the SIMD micro-kernel: blocks of `R` rows, then of 4, then single rows
    /// (each block through [`Job::row_block`]).
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn row_blocks<S: simd::Vector, const R: usize>(self, c: &mut [f32]) {
        let m = self.a.rows;
        let mut i = 0;
        while i + R <= m {
            self.row_block::<S, R>(i, c);
            i += R;
        }
        while i + 4 <= m {
            self.row_block::<S, 4>(i, c);
            i += 4;
        }
        while i < m {
            self.row_block::<S, 1>(i, c);
            i += 1;
        }
    }

    /// Rows `i0..i0 + R` of C, every column: panels of two registers, then of one, then
    /// single columns.
    ///
    /// (Copying the block of A into a panel where the `R` broadcast scalars of a step are
    /// consecutive, as BLAS libraries do, was tried: on these shapes a whole training step
    /// got about 15% slower, since each copied block of A feeds only a few column panels.)
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn row_block<S: simd::Vector, const R: usize>(self, i0: usize, c: &mut [f32]) {
        let (a, n) = (self.a, self.n);
        let rows = MatRef {
            data: &a.data[i0 * a.rs..],
            rows: R,
            ..a
        };
        self.with_rows(rows)
            .row_block_columns::<S, R>(&mut c[i0 * n..(i0 + R) * n]);
    }

    /// This job with A replaced by `a` (a block of its rows).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn with_rows<'b>(self, a: MatRef<'b>) -> Job<'b>
    where
        Self: 'b,
    {
        Job { a, ..self }
    }

    /// Every column of C for an A of exactly `R` rows (`c` holds those `R` rows).
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn row_block_columns<S: simd::Vector, const R: usize>(self, c: &mut [f32]) {
        let (n, lanes) = (self.n, S::LANES);
        let mut j = 0;
        while j + 2 * lanes <= n {
            self.simd_block::<S, R, 2>(0, j, c);
            j += 2 * lanes;
        }
        while j + lanes <= n {
            self.simd_block::<S, R, 1>(0, j, c);
            j += lanes;
        }
        while j < n {
            self.block::<R, 1, true>(0, j, c);
            j += 1;
        }
    }

    /// The SIMD micro-kernel: the `R x (V * LANES)` block of C at `(i0, j0)` lives in `R * V`
    /// registers while `p` runs over the inner dimension; each step loads `V` registers of
    /// row `p` of B, broadcasts `A[i, p]` for each of the `R` rows and does `R * V` fused
    /// multiply-adds. Same arithmetic per element as [`Job::block`].
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn simd_block<S: simd::Vector, const R: usize, const V: usize>(
        self,
        i0: usize,
        j0: usize,
        c: &mut [f32],
    ) {
        let a = self.a;
        let w = V * S::LANES;
        assert!(i0 + R <= a.rows && j0 + w <= self.n && c.len() == a.rows * self.n);
        let mut acc = [[S::zero(); V]; R];
        for p in 0..a.cols {
            // SAFETY (all pointer reads): `gemm` asserted that A(i, p) for i < rows, p < cols
            // and B(p, j) for p < k, j < n lie inside their slices, and i0 + R <= rows,
            // j0 + w <= n (asserted above).
            let b_row = self.b.as_ptr().add(p * self.b_rs + j0);
            let mut b = [S::zero(); V];
            for (v, b) in b.iter_mut().enumerate() {
                *b = S::load(b_row.add(v * S::LANES));
            }
            let a_col = a.data.as_ptr().add(i0 * a.rs + p * a.cs);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let x = S::splat(*a_col.add(r * a.rs));
                for (acc, &b) in acc_r.iter_mut().zip(&b) {
                    *acc = x.mul_add(b, *acc);
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            // SAFETY: row i0 + r < rows, columns j0..j0 + w <= n of the m x n buffer `c`.
            let c_row = c.as_mut_ptr().add((i0 + r) * self.n + j0);
            for (v, &acc) in acc_r.iter().enumerate() {
                let at = c_row.add(v * S::LANES);
                let out = if self.accumulate {
                    S::load(at).add(acc)
                } else {
                    acc
                };
                out.store(at);
            }
        }
    }

    /// `C (+)= A b` for a B of one column (`n == 1`: the output layer of a regression MLP
    /// and its weight gradient), where the column panels above would leave every row to the
    /// scalar single-column block. Same chain per element: `acc = fma(A[i, p], b[p], acc)`
    /// for `p = 0..k` in order.
    ///
    /// - A a transposed view (`A[i, p]` and `A[i + 1, p]` adjacent): `LANES` rows per
    ///   register, four registers of rows at a time (four chains in flight), then one.
    /// - Then (and for a row-major A) eight rows at a time, each read along its own row with
    ///   scalar fused multiply-adds (eight independent chains); then single rows.
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn single_column<S: simd::Vector>(self, c: &mut [f32]) {
        let (a, m, k) = (self.a, self.a.rows, self.a.cols);
        assert!(self.n == 1 && c.len() == m);
        // SAFETY (all reads below): `gemm` asserted that A(i, p) for i < m, p < k and
        // B(p, 0) for p < k lie inside their slices.
        let b = |p: usize| *self.b.get_unchecked(p * self.b_rs);
        let store = |c: &mut f32, acc: f32| *c = if self.accumulate { *c + acc } else { acc };
        let mut i = 0;
        if a.rs == 1 {
            while i + 4 * S::LANES <= m {
                self.column_rows::<S, 4>(i, c);
                i += 4 * S::LANES;
            }
            while i + S::LANES <= m {
                self.column_rows::<S, 1>(i, c);
                i += S::LANES;
            }
        }
        while i + 8 <= m {
            let rows: [*const f32; 8] =
                std::array::from_fn(|r| a.data.as_ptr().add((i + r) * a.rs));
            let mut acc = [0.0f32; 8];
            for p in 0..k {
                let y = b(p);
                for (acc, row) in acc.iter_mut().zip(&rows) {
                    *acc = (*row.add(p * a.cs)).mul_add(y, *acc);
                }
            }
            for (c, &acc) in c[i..i + 8].iter_mut().zip(&acc) {
                store(c, acc);
            }
            i += 8;
        }
        for (i, c) in c.iter_mut().enumerate().skip(i) {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc = (*a.data.get_unchecked(i * a.rs + p * a.cs)).mul_add(b(p), acc);
            }
            store(c, acc);
        }
    }

    /// Rows `i0..i0 + V * LANES` of a one-column C whose A is a transposed view (see
    /// [`Job::single_column`]): `V` registers of consecutive rows.
    ///
    /// Safety: the CPU must support `S`'s instructions; `a.rs == 1`, `n == 1` and
    /// `i0 + V * LANES <= rows`.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn column_rows<S: simd::Vector, const V: usize>(self, i0: usize, c: &mut [f32]) {
        let a = self.a;
        debug_assert!(a.rs == 1 && self.n == 1 && i0 + V * S::LANES <= a.rows);
        let mut acc = [S::zero(); V];
        for p in 0..a.cols {
            // SAFETY: `gemm` asserted that A(i, p) for i < rows, p < cols and B(p, 0) for
            // p < k lie inside their slices; rows i0.. i0 + V * LANES are below `rows`.
            let x = S::splat(*self.b.get_unchecked(p * self.b_rs));
            let col = a.data.as_ptr().add(i0 + p * a.cs);
            for (v, acc) in acc.iter_mut().enumerate() {
                *acc = S::load(col.add(v * S::LANES)).mul_add(x, *acc);
            }
        }
        for (v, &acc) in acc.iter().enumerate() {
            // SAFETY: as above, `c` holds `rows` elements.
            let at = c.as_mut_ptr().add(i0 + v * S::LANES);
            let out = if self.accumulate {
                S::load(at).add(acc)
            } else {
                acc
            };
            out.store(at);
        }
    }

    /// The micro-kernel: the `R x W` block of C at `(i0, j0)`, accumulated in registers over
    /// the whole inner dimension, then stored once.
    #[inline(always)]
    fn block<const R: usize, const W: usize, const FUSED: bool>(
        self,
        i0: usize,
        j0: usize,
        c: &mut [f32],
    ) {
        let a = self.a;
        debug_assert!(i0 + R <= a.rows && j0 + W <= self.n);
        let mut acc = [[0.0f32; W]; R];
        for p in 0..a.cols {
            // SAFETY: `gemm` asserted that A(i, p) for i < rows, p < cols and B(p, j) for
            // p < k, j < n lie inside their slices; here i0 + R <= rows and j0 + W <= n.
            // (Unchecked because this loop is the whole cost of a product: a bounds check per
            // scalar of A would cost as much as the multiply-adds it feeds.)
            let b_row: &[f32; W] = unsafe {
                &*self
                    .b
                    .get_unchecked(p * self.b_rs + j0..p * self.b_rs + j0 + W)
                    .as_ptr()
                    .cast::<[f32; W]>()
            };
            let a_col = i0 * a.rs + p * a.cs;
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: see above.
                let x = unsafe { *a.data.get_unchecked(a_col + r * a.rs) };
                for (acc, &y) in acc_r.iter_mut().zip(b_row) {
                    *acc = if FUSED {
                        x.mul_add(y, *acc)
                    } else {
                        x * y + *acc
                    };
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            let c_row = &mut c[(i0 + r) * self.n + j0..][..W];
            if self.accumulate {
                c_row.iter_mut().zip(acc_r).for_each(|(c, &acc)| *c += acc);
            } else {
                c_row.copy_from_slice(acc_r);
            }
        }
    }
}

/// Writes the `rows x cols` view `b` into `out` in row-major order. The view comes from
/// `matmul`'s backward as the transpose of a row-major matrix, so its columns are the
/// contiguous rows of that matrix: each is read in one pass and written down a column of
/// `out` (for the layer sizes of an MLP, `out` stays in the L1 or L2 cache).
fn copy_row_major(b: MatRef<'_>, out: &mut Vec<f32>) {
    let (rows, cols) = (b.rows, b.cols);
    out.clear();
    out.resize(rows * cols, 0.0);
    if b.rs == 1 {
        // B is the transpose of a row-major matrix: column j of B is contiguous. Eight
        // columns at a time, so that each row of `out` gets whole 8-element stores while the
        // eight columns are read as eight sequential streams (one scattered store per element
        // made this copy about a tenth of a small MLP's step).
        let mut j = 0;
        while j + 8 <= cols {
            let column: [&[f32]; 8] = std::array::from_fn(|t| &b.data[(j + t) * b.cs..][..rows]);
            for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
                let dst: &mut [f32; 8] = (&mut out_row[j..j + 8]).try_into().expect("8 wide");
                for (d, c) in dst.iter_mut().zip(&column) {
                    *d = c[i];
                }
            }
            j += 8;
        }
        for j in j..cols {
            let column = &b.data[j * b.cs..][..rows];
            for (i, &x) in column.iter().enumerate() {
                out[i * cols + j] = x;
            }
        }
    } else {
        for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
            for (j, o) in out_row.iter_mut().enumerate() {
                *o = b.data[i * b.rs + j * b.cs];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `C = beta C + A B` by the definition, in f64.
    fn naive(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &[f32]) -> Vec<f64> {
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

    fn values(len: usize, k: f32) -> Vec<f32> {
        (0..len).map(|i| ((i as f32) * k + 0.3).sin()).collect()
    }

    #[test]
    fn matches_the_definition_for_every_panel_and_transpose() {
        let mut scratch = Vec::new();
        // shapes that hit full blocks, leftover rows, 32/16/8/1-wide column panels, and sgemm
        for (m, k, n) in [
            (1, 1, 1),
            (5, 3, 1),
            (4, 8, 64),
            (7, 5, 45),
            (33, 17, 73),
            (9, 300, 120),
        ] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ad, bd) = (values(m * k, 0.37), values(k * n, 0.91));
                let a = if ta {
                    MatRef::row_major(&ad, k, m).t()
                } else {
                    MatRef::row_major(&ad, m, k)
                };
                let b = if tb {
                    MatRef::row_major(&bd, n, k).t()
                } else {
                    MatRef::row_major(&bd, k, n)
                };
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
    fn large_products_split_in_row_blocks_match_the_definition() {
        // above PAR_MIN_MACS: row blocks on the pool, with the kernel and with sgemm
        for (m, k, n) in [(200, 150, 150), (130, 200, 200)] {
            assert!(m * k * n >= PAR_MIN_MACS && m > PAR_ROWS);
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
        }
    }

    #[test]
    fn each_element_is_one_fused_chain_over_k() {
        // The documented arithmetic, bit for bit: acc = fma(a, b, acc) over p in order, then
        // C = acc (beta 0) or C + acc (beta 1). The shapes reach every path of the kernel:
        // 12-, 4- and 1-row blocks, 32-, 16-wide and single-column panels, and the one-column
        // product (n = 1) with row-major and transposed A over each of its row tiers.
        let fused = cfg!(target_arch = "x86_64")
            && (std::is_x86_feature_detected!("avx512f")
                || (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")));
        let mut shapes = vec![(6, 19, 41), (29, 64, 64), (13, 5, 33)];
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
