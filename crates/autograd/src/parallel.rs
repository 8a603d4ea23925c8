//! When and how work is split across rayon threads.
//!
//! Two rules keep results reproducible:
//! - small buffers (below [`PAR_THRESHOLD`] elements) run on the calling thread, so small
//!   models never pay thread start-up;
//! - a reduction is always cut into the same fixed chunks of [`CHUNK`] elements, each chunk
//!   summed left to right in `f64`, and the chunk sums combined left to right, whether the
//!   chunks ran on one thread or many. The result is therefore bit-identical for any pool size.

use std::ops::Range;

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
