//! The few SIMD operations the micro-kernel needs, for one register width.

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

/// Writes the transpose of an 8 x 8 block: row `t` of the source block (8 floats at
/// `src + t * src_stride`) becomes column `t` of the destination block (whose row `u` is
/// the 8 floats at `dst + u * dst_stride`). Three rounds of shuffles in registers: pairs of
/// rows interleaved, then pairs of pairs, then the 128-bit halves swapped, so each
/// destination row is written with one store instead of eight scattered ones.
///
/// Safety: the CPU supports AVX; the eight source rows and the eight destination rows
/// (8 floats each) are valid to read and to write, and do not overlap.
#[inline]
#[target_feature(enable = "avx")]
pub(super) unsafe fn transpose8x8(
    src: *const f32,
    src_stride: usize,
    dst: *mut f32,
    dst_stride: usize,
) {
    // SAFETY: the caller guarantees the eight rows of eight floats at each side.
    unsafe {
        let r: [__m256; 8] = std::array::from_fn(|t| _mm256_loadu_ps(src.add(t * src_stride)));
        // Rows a..h, elements 0..7; per 128-bit half (elements 0-3 | 4-7):
        // (a0 b0 a1 b1 | a4 b4 a5 b5) and (a2 b2 a3 b3 | a6 b6 a7 b7), and so on.
        let lo01 = _mm256_unpacklo_ps(r[0], r[1]);
        let hi01 = _mm256_unpackhi_ps(r[0], r[1]);
        let lo23 = _mm256_unpacklo_ps(r[2], r[3]);
        let hi23 = _mm256_unpackhi_ps(r[2], r[3]);
        let lo45 = _mm256_unpacklo_ps(r[4], r[5]);
        let hi45 = _mm256_unpackhi_ps(r[4], r[5]);
        let lo67 = _mm256_unpacklo_ps(r[6], r[7]);
        let hi67 = _mm256_unpackhi_ps(r[6], r[7]);
        // (a0 b0 c0 d0 | a4 b4 c4 d4), (a1 b1 c1 d1 | a5 b5 c5 d5), ... and e..h alike.
        let q0 = _mm256_shuffle_ps::<0x44>(lo01, lo23);
        let q1 = _mm256_shuffle_ps::<0xEE>(lo01, lo23);
        let q2 = _mm256_shuffle_ps::<0x44>(hi01, hi23);
        let q3 = _mm256_shuffle_ps::<0xEE>(hi01, hi23);
        let q4 = _mm256_shuffle_ps::<0x44>(lo45, lo67);
        let q5 = _mm256_shuffle_ps::<0xEE>(lo45, lo67);
        let q6 = _mm256_shuffle_ps::<0x44>(hi45, hi67);
        let q7 = _mm256_shuffle_ps::<0xEE>(hi45, hi67);
        // Low halves of (q0, q4) give a0..h0; high halves give a4..h4.
        let columns = [
            _mm256_permute2f128_ps::<0x20>(q0, q4),
            _mm256_permute2f128_ps::<0x20>(q1, q5),
            _mm256_permute2f128_ps::<0x20>(q2, q6),
            _mm256_permute2f128_ps::<0x20>(q3, q7),
            _mm256_permute2f128_ps::<0x31>(q0, q4),
            _mm256_permute2f128_ps::<0x31>(q1, q5),
            _mm256_permute2f128_ps::<0x31>(q2, q6),
            _mm256_permute2f128_ps::<0x31>(q3, q7),
        ];
        for (u, column) in columns.into_iter().enumerate() {
            _mm256_storeu_ps(dst.add(u * dst_stride), column);
        }
    }
}

/// The transpose of a 16 x 16 tile held as sixteen row registers: element `q` of the
/// returned register `j` is element `j` of row `q`, so register `j` is column `j` of the
/// tile. Four rounds of sixteen shuffles, all in registers: rows interleaved in pairs, then
/// pairs of pairs (as 64-bit elements), after which each 128-bit lane holds four rows of one
/// column; then two rounds moving whole 128-bit lanes gather each column's four lanes.
///
/// Safety: the CPU supports AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn transpose16x16(r: [__m512; 16]) -> [__m512; 16] {
    // Round 1, rows 2h and 2h + 1 (a and b), per 128-bit lane l (elements 4l..4l + 4):
    // t[2h] = (a[4l] b[4l] a[4l+1] b[4l+1]), t[2h + 1] = (a[4l+2] b[4l+2] a[4l+3] b[4l+3]).
    let t: [__m512; 16] = std::array::from_fn(|s| {
        let (a, b) = (r[s & !1], r[s | 1]);
        if s % 2 == 0 {
            _mm512_unpacklo_ps(a, b)
        } else {
            _mm512_unpackhi_ps(a, b)
        }
    });
    // Round 2, rows 4g..4g + 4: lane l of u[4g + c] is column 4l + c of those four rows.
    let u: [__m512; 16] = std::array::from_fn(|s| {
        let (g, c) = (s / 4, s % 4);
        // the round-1 registers of rows 4g, 4g + 1 and of rows 4g + 2, 4g + 3 holding
        // columns 4l + c (the low ones for c < 2)
        let first = _mm512_castps_pd(t[4 * g + c / 2]);
        let second = _mm512_castps_pd(t[4 * g + 2 + c / 2]);
        _mm512_castpd_ps(if c % 2 == 0 {
            _mm512_unpacklo_pd(first, second)
        } else {
            _mm512_unpackhi_pd(first, second)
        })
    });
    // Rounds 3 and 4: for each c, lanes (U0 U1 U2 U3) = u[c], u[4 + c], u[8 + c], u[12 + c]
    // hold rows 0-3, 4-7, 8-11, 12-15; column 4l + c is lane l of each, in that order:
    // a 4 x 4 transpose of 128-bit lanes.
    let mut columns = [_mm512_setzero_ps(); 16];
    for c in 0..4 {
        let (u0, u1, u2, u3) = (u[c], u[4 + c], u[8 + c], u[12 + c]);
        let v0 = _mm512_shuffle_f32x4::<0x44>(u0, u1); // (U0.0 U0.1 U1.0 U1.1)
        let v1 = _mm512_shuffle_f32x4::<0xEE>(u0, u1); // (U0.2 U0.3 U1.2 U1.3)
        let v2 = _mm512_shuffle_f32x4::<0x44>(u2, u3); // (U2.0 U2.1 U3.0 U3.1)
        let v3 = _mm512_shuffle_f32x4::<0xEE>(u2, u3); // (U2.2 U2.3 U3.2 U3.3)
        columns[c] = _mm512_shuffle_f32x4::<0x88>(v0, v2); // lanes 0 of U0..U3
        columns[4 + c] = _mm512_shuffle_f32x4::<0xDD>(v0, v2); // lanes 1
        columns[8 + c] = _mm512_shuffle_f32x4::<0x88>(v1, v3); // lanes 2
        columns[12 + c] = _mm512_shuffle_f32x4::<0xDD>(v1, v3); // lanes 3
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose16x16_returns_the_columns() {
        if !std::is_x86_feature_detected!("avx512f") {
            return;
        }
        // distinct values: element (i, j) is 100 i + j
        let tile: Vec<f32> = (0..256).map(|e| (100 * (e / 16) + e % 16) as f32).collect();
        let mut out = [[0.0f32; 16]; 16];
        // SAFETY: AVX-512F is present (checked above); each row and each output row holds 16
        // floats.
        unsafe {
            let rows = std::array::from_fn(|i| _mm512_loadu_ps(tile.as_ptr().add(16 * i)));
            for (column, out) in transpose16x16(rows).into_iter().zip(&mut out) {
                _mm512_storeu_ps(out.as_mut_ptr(), column);
            }
        }
        for (j, column) in out.iter().enumerate() {
            for (i, &x) in column.iter().enumerate() {
                assert_eq!(x, (100 * i + j) as f32, "element {i} of column {j}");
            }
        }
    }
}
