//! The register-blocked kernel for small products: `C (+)= A B` read where the operands
//! are, with the widest SIMD the CPU has (see the parent module for the blocking and the
//! arithmetic every path shares).

#[cfg(target_arch = "x86_64")]
use super::simd;
use super::MatRef;

/// `C (+)= A B` with B's rows contiguous: row `p` of B starts at `b[p * b_rs]`; row `i` of
/// C (`n` wide) starts at `c[i * c_rs]`, so C may be a block of columns of a wider matrix.
/// Picks the widest SIMD the CPU has (the arithmetic is the same in each, see the module
/// docs).
pub(super) fn small_gemm(
    a: MatRef<'_>,
    b: &[f32],
    b_rs: usize,
    n: usize,
    c_rs: usize,
    accumulate: bool,
    c: &mut [f32],
) {
    let job = Job {
        a,
        b,
        b_rs,
        n,
        c_rs,
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

/// AVX-512: 24 of the 32 registers accumulate a block of C, enough independent chains to
/// keep both FMA units busy despite their 4-cycle latency, in one of two shapes:
///
/// - C at least 64 columns wide: blocks of 6 rows by 64 columns (four 16-lane registers a
///   row). Each step of `p` loads four registers of B and broadcasts six scalars of A for
///   its 24 multiply-adds.
/// - Narrower: blocks of 12 rows by 32 columns (two registers a row): two loads of B and
///   twelve broadcasts a step.
///
/// The wide block is the faster where it fits. Each broadcast reads a different row of A
/// (row-major A: `rs` floats apart), and the compiled loop spends integer instructions on
/// those addresses: about 15 a step for twelve rows, 8 for six (counted in the
/// disassembly), for the same 24 multiply-adds, and integer instructions may take the two
/// ports the 512-bit multiply-adds need; the six-row block also loads less per
/// multiply-add (10 loads for 24, against 14). (The development machine has no cycle
/// counters to say which of the two matters.) Measured (medians, the two shapes
/// alternating in one process, same bits): a 128 x 64 x 64 product alone 0.90x the
/// time; forward and backward of an 8-64-64-1 MLP 0.95x at batch 128 and at batch 32; the
/// `california_housing` example 1.09x steps/s at batch 128 (20 paired runs) and 1.07x at
/// batch 32 (12), `[1024,256,64,16]` 1.03x (8). With 32 columns, six rows by two registers
/// (12 accumulators) was no faster than twelve rows (1.00x), eight rows 3% slower. Then
/// narrower panels, then single columns, and leftover rows (see [`Job::row_blocks`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn small_gemm_avx512(job: Job<'_>, c: &mut [f32]) {
    if job.n == 1 && job.c_rs == 1 {
        job.single_column::<simd::Zmm>(c);
    } else if job.n >= 64 {
        job.row_blocks::<simd::Zmm, 6, 4>(c);
    } else {
        job.row_blocks::<simd::Zmm, 12, 2>(c);
    }
}

/// AVX2: blocks of 4 rows by 16 columns (two 8-lane registers per row): 8 accumulators of
/// the 16 registers, leaving room for the loaded row of B and the broadcast scalar of A.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn small_gemm_avx2(job: Job<'_>, c: &mut [f32]) {
    if job.n == 1 && job.c_rs == 1 {
        job.single_column::<simd::Ymm>(c);
    } else {
        job.row_blocks::<simd::Ymm, 4, 2>(c);
    }
}

/// The operands of one small product (see [`small_gemm`]).
#[derive(Clone, Copy)]
struct Job<'a> {
    a: MatRef<'a>,
    b: &'a [f32],
    b_rs: usize,
    n: usize,
    /// Row stride of C (`n` unless C is a block of columns of a wider matrix).
    c_rs: usize,
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

    /// All of C with the SIMD micro-kernel: blocks of `R` rows, then at most one of 8 (when
    /// `R > 8`), then of 4, then of 2, then single rows (each block through
    /// [`Job::row_block`], in panels up to `V` registers wide). The 2-row block is for the
    /// 6-row one: a 128-row batch leaves two rows, each alone a chain of only `V`
    /// multiply-adds a step, too few to hide their latency.
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn row_blocks<S: simd::Vector, const R: usize, const V: usize>(self, c: &mut [f32]) {
        let m = self.a.rows;
        let mut i = 0;
        while i + R <= m {
            self.row_block::<S, R, V>(i, c);
            i += R;
        }
        // Eight rows (16 accumulators with two registers a row) before four: a batch of
        // 32 or 128 rows leaves 8 after the 12-row blocks, and two 4-row blocks would
        // stream B twice with too few independent chains to hide the FMA latency.
        if R > 8 && i + 8 <= m {
            self.row_block::<S, 8, V>(i, c);
            i += 8;
        }
        while i + 4 <= m {
            self.row_block::<S, 4, V>(i, c);
            i += 4;
        }
        while i + 2 <= m {
            self.row_block::<S, 2, V>(i, c);
            i += 2;
        }
        while i < m {
            self.row_block::<S, 1, V>(i, c);
            i += 1;
        }
    }

    /// Rows `i0..i0 + R` of C, every column: panels of `V` registers, then of two, then of
    /// one, then single columns.
    ///
    /// (Copying the block of A into a panel where the `R` broadcast scalars of a step are
    /// consecutive, as BLAS libraries do, was tried: on these shapes a whole training step
    /// got about 15% slower, since each copied block of A feeds only a few column panels.)
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn row_block<S: simd::Vector, const R: usize, const V: usize>(
        self,
        i0: usize,
        c: &mut [f32],
    ) {
        let (a, n, c_rs) = (self.a, self.n, self.c_rs);
        let rows = MatRef {
            data: &a.data[i0 * a.rs..],
            rows: R,
            ..a
        };
        self.with_rows(rows)
            .row_block_columns::<S, R, V>(&mut c[i0 * c_rs..(i0 + R - 1) * c_rs + n]);
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

    /// Every column of C for an A of exactly `R` rows (`c` holds those `R` rows), in panels of
    /// `V` registers, then two, then one (see [`Job::row_block`]).
    ///
    /// Safety: the CPU must support `S`'s instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn row_block_columns<S: simd::Vector, const R: usize, const V: usize>(
        self,
        c: &mut [f32],
    ) {
        let (n, lanes) = (self.n, S::LANES);
        let mut j = 0;
        while j + V * lanes <= n {
            self.simd_block::<S, R, V>(0, j, c);
            j += V * lanes;
        }
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
        assert!(
            i0 + R <= a.rows && j0 + w <= self.n && c.len() == (a.rows - 1) * self.c_rs + self.n
        );
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
            let c_row = c.as_mut_ptr().add((i0 + r) * self.c_rs + j0);
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
        assert!(self.n == 1 && self.c_rs == 1 && c.len() == m);
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
            let c_row = &mut c[(i0 + r) * self.c_rs + j0..][..W];
            if self.accumulate {
                c_row.iter_mut().zip(acc_r).for_each(|(c, &acc)| *c += acc);
            } else {
                c_row.copy_from_slice(acc_r);
            }
        }
    }
}
