//! When and how work is split across rayon threads.
//!
//! Two rules keep results reproducible:
//! - small buffers (below [`PAR_THRESHOLD`] elements) run on the calling thread, so small
//!   models never pay thread start-up;
//! - a reduction is always cut into the same fixed chunks of [`CHUNK`] elements, each chunk
//!   summed left to right in `f64`, and the chunk sums combined left to right, whether the
//!   chunks ran on one thread or many. The result is therefore bit-identical for any pool size.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::simd_kernel;
use crate::tape::Write;

/// Buffers with at least this many elements are processed with rayon.
///
/// Measured on the 2-core development machine (`x + 1` and `tanh(x)` over `n` elements,
/// sequential against rayon over 4096-element chunks): the cheap, memory-bound map never
/// gained from a second thread below 2^17 elements, while `tanh` broke even near 2^15. Most
/// tape ops are cheap, so the threshold sits at 2^17; below it nothing pays thread start-up.
///
/// ```
/// assert!(caadam_autograd::PAR_THRESHOLD >= caadam_autograd::CHUNK);
/// ```
pub const PAR_THRESHOLD: usize = 1 << 17;

/// The fixed chunk length used to split elementwise work and reductions.
///
/// ```
/// assert_eq!(caadam_autograd::CHUNK, 4096);
/// ```
pub const CHUNK: usize = 4096;

/// Calls `f(start, chunk)` over `out` cut into pieces; `start` is the chunk's offset in `out`.
/// In parallel above the threshold. Only for elementwise work (no cross-element state).
pub(crate) fn for_chunks(out: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    if out.len() < PAR_THRESHOLD {
        f(0, out);
    } else {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| f(c * CHUNK, chunk));
    }
}

/// `dst.copy_from_slice(src)`, with the copy spread over the rayon pool when it has at
/// least [`PAR_THRESHOLD`] elements. A training step copies every parameter into the tape
/// and every gradient out of it; for a layer of 2^18 weights those copies ran on one thread
/// while the other waited.
///
/// ```
/// let src: Vec<f32> = (0..300_000).map(|i| i as f32).collect();
/// let mut dst = vec![0.0; src.len()];
/// caadam_autograd::parallel_copy(&mut dst, &src);
/// assert_eq!(dst, src);
/// ```
///
/// # Panics
/// If the lengths differ.
pub fn parallel_copy(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len(), "parallel_copy: lengths differ");
    for_chunks(dst, |start, d| {
        d.copy_from_slice(&src[start..start + d.len()])
    });
}

/// [`parallel_copy`], answering whether every element copied is finite (no NaN, no
/// infinity).
///
/// Why the test rides on the copy: an optimizer must not apply a non-finite gradient, and a
/// separate scan before its update reads every gradient once more from memory (at 1e7
/// parameters, 4 of the 32 bytes per parameter an Adam step then moves). Here each block
/// is tested right after it is copied, while it is in the L1 cache, so the test adds no
/// traffic to memory. The gradient writes of `caadam_nn::ParamStore` use it (and
/// [`parallel_add_finite`]) to know that its gradients are finite without a scan.
///
/// ```
/// let mut dst = [0.0f32; 3];
/// assert!(caadam_autograd::parallel_copy_finite(&mut dst, &[1.0, -2.0, 0.0]));
/// assert!(!caadam_autograd::parallel_copy_finite(&mut dst, &[1.0, f32::NAN, 0.0]));
/// assert!(dst[1].is_nan()); // copied all the same
/// ```
///
/// # Panics
/// If the lengths differ.
pub fn parallel_copy_finite(dst: &mut [f32], src: &[f32]) -> bool {
    assert_eq!(dst.len(), src.len(), "parallel_copy_finite: lengths differ");
    all_chunks(dst, |start, d| {
        copy_finite_chunk(d, &src[start..start + d.len()])
    })
}

/// `dst += src` elementwise, spread over the pool like [`parallel_copy`], answering
/// whether every sum is finite (the sum of two finite values can overflow to infinity, so
/// it is the sums that are tested, not the addends).
///
/// ```
/// let mut dst = [1.0f32, f32::MAX];
/// assert!(caadam_autograd::parallel_add_finite(&mut dst, &[2.0, 0.0]));
/// assert_eq!(dst, [3.0, f32::MAX]);
/// assert!(!caadam_autograd::parallel_add_finite(&mut dst, &[0.0, f32::MAX]));
/// assert_eq!(dst[1], f32::INFINITY);
/// ```
///
/// # Panics
/// If the lengths differ.
pub fn parallel_add_finite(dst: &mut [f32], src: &[f32]) -> bool {
    assert_eq!(dst.len(), src.len(), "parallel_add_finite: lengths differ");
    all_chunks(dst, |start, d| {
        add_finite_chunk(d, &src[start..start + d.len()])
    })
}

/// `x[i] = f(x[i])` for every element, spread over the pool like [`parallel_copy`],
/// answering whether every result is finite: gradient clipping on a store that keeps
/// track of whether its gradients are finite.
///
/// ```
/// let mut x = [1.0f32, -4.0, f32::INFINITY];
/// assert!(caadam_autograd::parallel_map_finite(&mut x, |v| v.clamp(-2.0, 2.0)));
/// assert_eq!(x, [1.0, -2.0, 2.0]);
/// assert!(!caadam_autograd::parallel_map_finite(&mut x, |v| v * f32::MAX));
/// ```
pub fn parallel_map_finite(x: &mut [f32], f: impl Fn(f32) -> f32 + Sync + Send) -> bool {
    all_chunks(x, |_, chunk| map_finite_chunk(chunk, &f))
}

/// [`for_chunks`] with a verdict per chunk: true if `f` returned true for every chunk (the
/// same answer whatever the number of threads, since "and" does not depend on the order).
fn all_chunks(out: &mut [f32], f: impl Fn(usize, &mut [f32]) -> bool + Sync + Send) -> bool {
    let all = AtomicBool::new(true);
    for_chunks(out, |start, chunk| {
        if !f(start, chunk) {
            all.store(false, Ordering::Relaxed);
        }
    });
    all.into_inner()
}

/// `out[i] = f(x[i])`.
pub(crate) fn map(out: &mut [f32], x: &[f32], f: impl Fn(f32) -> f32 + Sync + Send) {
    for_chunks(out, |start, o| map_chunk(o, &x[start..], &f));
}

/// `out[i] = f(x[i], y[i])`.
pub(crate) fn map2(
    out: &mut [f32],
    x: &[f32],
    y: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) {
    for_chunks(out, |start, o| map2_chunk(o, &x[start..], &y[start..], &f));
}

/// `out[i] = f(x[i], y[i])` or `out[i] += f(x[i], y[i])`, as `mode` says (a gradient's
/// first contribution, or a later one).
pub(crate) fn write_map2(
    out: &mut [f32],
    mode: Write,
    x: &[f32],
    y: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) {
    for_chunks(out, |start, o| {
        let (x, y) = (&x[start..], &y[start..]);
        match mode {
            Write::Assign => map2_chunk(o, x, y, &f),
            Write::Add => add_map2_chunk(o, x, y, &f),
        }
    });
}

/// `out[i] = f(x[i], y[i], z[i])` or `out[i] += ...`, as `mode` says.
pub(crate) fn write_map3(
    out: &mut [f32],
    mode: Write,
    x: &[f32],
    y: &[f32],
    z: &[f32],
    f: impl Fn(f32, f32, f32) -> f32 + Sync + Send,
) {
    for_chunks(out, |start, o| {
        let (x, y, z) = (&x[start..], &y[start..], &z[start..]);
        match mode {
            Write::Assign => map3_chunk(o, x, y, z, &f),
            Write::Add => add_map3_chunk(o, x, y, z, &f),
        }
    });
}

// The loops of the maps above, one chunk at a time, each compiled for the CPU's widest SIMD
// (`simd_kernel!`); the rule `f` is inlined into the loop, so each op gets its own loop.

simd_kernel! {
    /// `row[j] += b[j]` for every row of the row-major `rows`: a dense layer's bias, added
    /// to all rows in one call (a call per row cost more than the additions at 64 columns).
    pub(crate) fn add_to_rows(rows: &mut [f32], b: &[f32]) {
        if b.is_empty() {
            return;
        }
        for row in rows.chunks_exact_mut(b.len()) {
            for (o, &x) in row.iter_mut().zip(b) {
                *o += x;
            }
        }
    }
}

simd_kernel! {
    /// `out[j] += row[j]` for every row of the row-major `rows`, in row order: a dense
    /// layer's bias gradient (the sum of its output gradient's rows).
    pub(crate) fn add_rows(out: &mut [f32], rows: &[f32]) {
        if out.is_empty() {
            return;
        }
        for row in rows.chunks_exact(out.len()) {
            for (o, &x) in out.iter_mut().zip(row) {
                *o += x;
            }
        }
    }
}

/// `dst = src`, and whether every element is finite: [`CHUNK`] elements at a time, the copy
/// by `copy_from_slice`, then the test on the block of `dst` the copy has just brought into
/// the L1 cache.
///
/// Why not one loop doing both: `copy_from_slice` is glibc's `memcpy`, which at this size
/// copies with `rep movsb`, whose stores may fill whole cache lines without first reading
/// them from memory; a loop of vector stores makes the core read every line of `dst` before
/// overwriting it. Measured at 1e7 elements on one core (benches/bandwidth.rs): the single
/// loop took 5.5 ms against the plain copy's 3.7, while copy-then-test takes 2-11% longer
/// than the plain copy (alternating runs); the separate scan it replaces read the 40 MB
/// again from memory.
fn copy_finite_chunk(dst: &mut [f32], src: &[f32]) -> bool {
    dst.chunks_mut(CHUNK)
        .zip(src.chunks(CHUNK))
        .fold(true, |finite, (d, s)| {
            d.copy_from_slice(s);
            finite & all_finite(d)
        })
}

simd_kernel! {
    /// True if no element of `x` is NaN or infinite (`&=` rather than an early exit, so that
    /// the loop vectorizes). One stream, front to back: it runs on blocks that were just
    /// copied and sit in the L1 cache. The optimizers' own scan (`all_finite` in
    /// `caadam_optim::parallel`) reads whole buffers from memory and so interleaves eight
    /// streams to keep more cache-line fetches in flight.
    pub(crate) fn all_finite(x: &[f32]) -> bool {
        x.iter().fold(true, |ok, v| ok & v.is_finite())
    }
}

simd_kernel! {
    /// `x = f(x)` in place, and whether every result is finite.
    pub(crate) fn map_finite_chunk<F: Fn(f32) -> f32>(x: &mut [f32], f: F) -> bool {
        let mut finite = true;
        for v in x.iter_mut() {
            *v = f(*v);
            finite &= v.is_finite();
        }
        finite
    }
}

simd_kernel! {
    /// `dst += src`, and whether every sum is finite.
    pub(crate) fn add_finite_chunk(dst: &mut [f32], src: &[f32]) -> bool {
        let mut finite = true;
        for (d, &s) in dst.iter_mut().zip(src) {
            *d += s;
            finite &= d.is_finite();
        }
        finite
    }
}

simd_kernel! {
    /// `out[i] = f(x[i])`.
    pub(crate) fn map_chunk<F: Fn(f32) -> f32>(out: &mut [f32], x: &[f32], f: F) {
        for (o, &x) in out.iter_mut().zip(x) {
            *o = f(x);
        }
    }
}

simd_kernel! {
    /// `out[i] = f(x[i], y[i])`.
    pub(crate) fn map2_chunk<F: Fn(f32, f32) -> f32>(
        out: &mut [f32],
        x: &[f32],
        y: &[f32],
        f: F,
    ) {
        for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
            *o = f(x, y);
        }
    }
}

simd_kernel! {
    /// `out[i] += f(x[i], y[i])`.
    pub(crate) fn add_map2_chunk<F: Fn(f32, f32) -> f32>(
        out: &mut [f32],
        x: &[f32],
        y: &[f32],
        f: F,
    ) {
        for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
            *o += f(x, y);
        }
    }
}

simd_kernel! {
    /// `out[i] = f(x[i], y[i], z[i])`.
    pub(crate) fn map3_chunk<F: Fn(f32, f32, f32) -> f32>(
        out: &mut [f32],
        x: &[f32],
        y: &[f32],
        z: &[f32],
        f: F,
    ) {
        for (((o, &x), &y), &z) in out.iter_mut().zip(x).zip(y).zip(z) {
            *o = f(x, y, z);
        }
    }
}

simd_kernel! {
    /// `out[i] += f(x[i], y[i], z[i])`.
    pub(crate) fn add_map3_chunk<F: Fn(f32, f32, f32) -> f32>(
        out: &mut [f32],
        x: &[f32],
        y: &[f32],
        z: &[f32],
        f: F,
    ) {
        for (((o, &x), &y), &z) in out.iter_mut().zip(x).zip(y).zip(z) {
            *o += f(x, y, z);
        }
    }
}

/// The sum of `chunk_sum(range)` over `0..len` cut into fixed [`CHUNK`]-sized ranges, combined
/// in order. `partials` is scratch space kept by the caller so warm calls do not allocate.
pub(crate) fn chunked_sum(
    len: usize,
    partials: &mut Vec<f64>,
    chunk_sum: impl Fn(Range<usize>) -> f64 + Sync + Send,
) -> f64 {
    let chunks = len.div_ceil(CHUNK);
    let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(len);
    if len < PAR_THRESHOLD {
        // same chunking as the parallel path, so both give the same bits
        return (0..chunks).map(|c| chunk_sum(range(c))).sum();
    }
    partials.clear();
    partials.resize(chunks, 0.0);
    partials
        .par_iter_mut()
        .enumerate()
        .for_each(|(c, p)| *p = chunk_sum(range(c)));
    partials.iter().sum()
}

/// `sum_{i < len} term(i)` with eight accumulators: element `i` always goes to accumulator
/// `i % 8` and the eight are combined in a fixed tree, so the result is the same bits every
/// time, but the additions no longer wait on one another.
#[inline]
pub(crate) fn lane_sum(len: usize, term: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let full = len - len % 8;
    for base in (0..full).step_by(8) {
        for (lane, a) in acc.iter_mut().enumerate() {
            *a += term(base + lane);
        }
    }
    for (lane, i) in (full..len).enumerate() {
        acc[lane] += term(i);
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_copy_copies_every_element_below_and_above_the_threshold() {
        for n in [
            0,
            5,
            PAR_THRESHOLD - 1,
            PAR_THRESHOLD,
            3 * PAR_THRESHOLD + 17,
        ] {
            let src: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
            let mut dst = vec![f32::NAN; n];
            parallel_copy(&mut dst, &src);
            assert!(
                dst.iter()
                    .zip(&src)
                    .all(|(d, s)| d.to_bits() == s.to_bits()),
                "n = {n}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "parallel_copy: lengths differ")]
    fn parallel_copy_refuses_different_lengths() {
        parallel_copy(&mut [0.0; 3], &[1.0; 4]);
    }

    /// Every element copied (or added) and the verdict right, below and above the
    /// threshold, for a NaN, each infinity, and a sum that overflows, at the first, a middle
    /// and the last element, and none at all.
    #[test]
    fn copy_and_add_report_non_finite_values_anywhere() {
        for n in [1, 5, 4099, PAR_THRESHOLD, 3 * PAR_THRESHOLD + 17] {
            let src: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
            let mut dst = vec![f32::NAN; n];
            assert!(parallel_copy_finite(&mut dst, &src), "n = {n}");
            assert_eq!(dst, src, "n = {n}");
            assert!(parallel_add_finite(&mut dst, &src), "n = {n}");
            assert!(dst.iter().zip(&src).all(|(d, s)| *d == 2.0 * s), "n = {n}");
            for at in [0, n / 2, n - 1] {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut with_bad = src.clone();
                    with_bad[at] = bad;
                    assert!(
                        !parallel_copy_finite(&mut dst, &with_bad),
                        "n = {n}, {bad} at {at}"
                    );
                    assert_eq!(dst[at].to_bits(), bad.to_bits(), "n = {n}, at {at}");
                    let mut sums = src.clone();
                    assert!(
                        !parallel_add_finite(&mut sums, &with_bad),
                        "n = {n}, {bad} at {at}"
                    );
                }
                let mut big = vec![0.0f32; n];
                big[at] = f32::MAX;
                let mut sums = big.clone();
                assert!(
                    !parallel_add_finite(&mut sums, &big),
                    "n = {n}, overflow at {at}"
                );
                assert_eq!(sums[at], f32::INFINITY);
            }
        }
    }

    /// Every element mapped and the verdict right below and above the threshold, with a
    /// non-finite result at the first, a middle and the last element.
    #[test]
    fn map_reports_non_finite_results_anywhere() {
        for n in [1, 4099, 3 * PAR_THRESHOLD + 17] {
            let start: Vec<f32> = (0..n).map(|i| i as f32 - 7.0).collect();
            let mut x = start.clone();
            assert!(parallel_map_finite(&mut x, |v| v * 0.5), "n = {n}");
            assert!(x.iter().zip(&start).all(|(x, s)| *x == s * 0.5), "n = {n}");
            for at in [0, n / 2, n - 1] {
                let mut x = start.clone();
                x[at] = 1e30;
                assert!(
                    !parallel_map_finite(&mut x, |v| v * 1e10),
                    "n = {n}, at {at}"
                );
                assert_eq!(x[at], f32::INFINITY);
            }
        }
    }

    #[test]
    #[should_panic(expected = "parallel_add_finite: lengths differ")]
    fn parallel_add_finite_refuses_different_lengths() {
        parallel_add_finite(&mut [0.0; 3], &[1.0; 4]);
    }

    #[test]
    fn chunked_sum_matches_sequential_chunks() {
        let x: Vec<f32> = (0..100_000)
            .map(|i| ((i * 7919) % 1000) as f32 * 1e-3)
            .collect();
        let mut scratch = Vec::new();
        let s = chunked_sum(x.len(), &mut scratch, |r| {
            x[r].iter().map(|&v| v as f64).sum()
        });
        let expected: f64 = x
            .chunks(CHUNK)
            .map(|c| c.iter().map(|&v| v as f64).sum::<f64>())
            .sum();
        assert_eq!(s.to_bits(), expected.to_bits());
    }

    #[test]
    fn lane_sum_adds_every_term() {
        for len in [0, 1, 7, 8, 9, 100] {
            let s = lane_sum(len, |i| i as f64);
            assert_eq!(s, (len * len.saturating_sub(1) / 2) as f64);
        }
    }
}
