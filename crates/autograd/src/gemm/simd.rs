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
