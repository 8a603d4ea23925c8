//! Running element-wise updates over the flat buffers, in parallel above a size threshold.
//!
//! The buffers are cut at fixed multiples of [`CHUNK`]; each chunk is updated by one call of
//! the kernel, or two when it does not start on a 64-byte boundary (`run_aligned`).
//! Updates are element-wise, so the result of an element never depends on which call or
//! thread computed it; reductions (the global gradient norm) sum each chunk separately and
//! combine the partial sums in chunk order, so they do not depend on the thread count
//! either.

use std::sync::atomic::{AtomicUsize, Ordering};

use caadam_autograd::simd_kernel;
use rayon::prelude::*;

/// Elements per chunk: 16 Ki `f32` (64 KiB per buffer), large enough to amortise a rayon
/// task, small enough to keep every core busy on a 1e5-parameter model.
///
/// ```
/// assert_eq!(caadam_optim::parallel::CHUNK % 16, 0);
/// ```
pub const CHUNK: usize = 16 * 1024;

/// Below this many parameters a step runs on the calling thread (the default of
/// [`parallel_threshold`]).
///
/// Set from `benches/optim_step.rs` (group `threshold`: Adam forced serial vs forced
/// parallel at 8Ki..256Ki parameters on a 2-thread pool). On the shared 2-core development
/// machine (load average ~6) the two paths were within noise of each other from 32Ki to
/// 256Ki (about 450 Melem/s each) and serial was ahead below that, so the threshold sits at
/// 4 chunks, the smallest size where the parallel path was not slower. Re-measure on an
/// idle many-core machine with `cargo bench --bench optim_step -- threshold`.
///
/// ```
/// assert!(caadam_optim::parallel::PARALLEL_THRESHOLD >= caadam_optim::parallel::CHUNK);
/// ```
pub const PARALLEL_THRESHOLD: usize = 4 * CHUNK;

static THRESHOLD: AtomicUsize = AtomicUsize::new(PARALLEL_THRESHOLD);

/// The current size below which steps run on the calling thread.
///
/// ```
/// assert_eq!(caadam_optim::parallel::parallel_threshold(), caadam_optim::parallel::PARALLEL_THRESHOLD);
/// ```
pub fn parallel_threshold() -> usize {
    THRESHOLD.load(Ordering::Relaxed)
}

/// Changes the threshold for the whole process (the step benchmark uses it to find the
/// crossover). Results are the same bits whatever the threshold: chunk boundaries and the
/// order of partial sums do not depend on it.
///
/// ```
/// use caadam_optim::parallel::{parallel_threshold, set_parallel_threshold, PARALLEL_THRESHOLD};
/// set_parallel_threshold(PARALLEL_THRESHOLD);
/// assert_eq!(parallel_threshold(), PARALLEL_THRESHOLD);
/// ```
pub fn set_parallel_threshold(elements: usize) {
    THRESHOLD.store(elements, Ordering::Relaxed);
}

/// The parameters, gradients and `K` per-element state buffers of one contiguous range of
/// the flat buffer, starting at element `offset`.
pub(crate) struct Lanes<'a, const K: usize> {
    /// Flat index of the first element.
    pub offset: usize,
    pub params: &'a mut [f32],
    pub grads: &'a [f32],
    pub state: [&'a mut [f32]; K],
}

impl<'a, const K: usize> Lanes<'a, K> {
    /// Lanes over whole buffers; panics (a bug in the caller) if lengths differ.
    pub fn new(params: &'a mut [f32], grads: &'a [f32], state: [&'a mut [f32]; K]) -> Self {
        let n = params.len();
        assert_eq!(grads.len(), n, "Lanes: gradient length");
        for s in &state {
            assert_eq!(s.len(), n, "Lanes: state buffer length");
        }
        Self {
            offset: 0,
            params,
            grads,
            state,
        }
    }

    fn len(&self) -> usize {
        self.params.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (p0, p1) = self.params.split_at_mut(mid);
        let (g0, g1) = self.grads.split_at(mid);
        let mut halves = self.state.map(|s| {
            let (a, b) = s.split_at_mut(mid);
            (Some(a), Some(b))
        });
        let s0 = std::array::from_fn(|i| halves[i].0.take().expect("split once"));
        let s1 = std::array::from_fn(|i| halves[i].1.take().expect("split once"));
        (
            Self {
                offset: self.offset,
                params: p0,
                grads: g0,
                state: s0,
            },
            Self {
                offset: self.offset + mid,
                params: p1,
                grads: g1,
                state: s1,
            },
        )
    }
}

/// Applies `kernel` to every chunk of `lanes`: on the calling thread when the buffers are
/// shorter than [`parallel_threshold`], else on the current rayon pool.
pub(crate) fn for_each_chunk<const K: usize, F>(lanes: Lanes<'_, K>, kernel: &F)
where
    F: Fn(Lanes<'_, K>) + Sync,
{
    if lanes.len() < parallel_threshold() {
        run_aligned(lanes, kernel);
    } else {
        split_run(lanes, kernel);
    }
}

/// The boundary, in bytes, on which [`run_aligned`] starts the parameters of a kernel call:
/// a cache line, and the width of an AVX-512 register.
const ALIGN_BYTES: usize = 64;

/// Runs `kernel` on `lanes`, in two calls when the parameters do not start on an
/// [`ALIGN_BYTES`] boundary: the few elements before the first boundary, then the rest.
///
/// Why: a large `Vec<f32>` starts 16 bytes past a page boundary (the allocator's header), so
/// a kernel that starts at its first element makes every 64-byte load and store straddle
/// two cache lines. Starting the wide loop on a boundary made the Adam step at 1e7
/// parameters 1-2% faster (medians of alternate steps in one process, 0.96-0.995x on one
/// thread over six runs, 0.98-0.99x on two). The gradients and the state buffers come from
/// the same allocator, so they usually share the parameters' offset and are aligned too.
/// Updates are element-wise, so the split changes no result.
fn run_aligned<const K: usize, F>(lanes: Lanes<'_, K>, kernel: &F)
where
    F: Fn(Lanes<'_, K>) + Sync,
{
    let head = lanes.params.as_ptr().align_offset(ALIGN_BYTES);
    if head == 0 || head >= lanes.len() {
        kernel(lanes);
        return;
    }
    let (head, rest) = lanes.split_at(head);
    kernel(head);
    kernel(rest);
}

fn split_run<const K: usize, F>(lanes: Lanes<'_, K>, kernel: &F)
where
    F: Fn(Lanes<'_, K>) + Sync,
{
    let chunks = lanes.len().div_ceil(CHUNK);
    if chunks <= 1 {
        run_aligned(lanes, kernel);
        return;
    }
    // Split on a chunk boundary so every task sees whole chunks.
    let (left, right) = lanes.split_at((chunks / 2) * CHUNK);
    rayon::join(|| split_run(left, kernel), || split_run(right, kernel));
}

/// Index of the first NaN or infinite element of `values`, if any (the same answer on
/// any number of threads).
pub(crate) fn first_non_finite(values: &[f32]) -> Option<usize> {
    // A whole-chunk test without early exit vectorizes; only the bad chunk is searched.
    let chunk = if values.len() < parallel_threshold() {
        values.chunks(CHUNK).position(|c| !all_finite(c))?
    } else {
        values
            .par_chunks(CHUNK)
            .position_first(|c| !all_finite(c))?
    };
    let start = chunk * CHUNK;
    values[start..]
        .iter()
        .position(|x| !x.is_finite())
        .map(|i| start + i)
}

/// Streams [`all_finite`] reads a chunk in (see there).
const SCAN_STREAMS: usize = 8;

simd_kernel! {
    /// True if no element of `chunk` is NaN or infinite.
    ///
    /// The chunk is read as [`SCAN_STREAMS`] equal parts in step (element `i` of every part,
    /// then `i + 1`), not front to back: one core reading one stream is held back by how
    /// many cache-line fetches it has in flight, and several streams keep more of them
    /// going. At 1e7 gradients (40 MB) on one core, `check_step` took 3.8 ms reading one
    /// stream (about 10 GB/s) and 2.9 ms reading eight (about 14 GB/s); the update that
    /// follows the scan already reads four buffers at once, and gained nothing from the same
    /// interleaving. (The test that `ParamStore::set_grads` runs on the gradients as it
    /// copies them, `caadam_autograd::parallel_copy_finite`, reads one stream: each block
    /// it tests was just copied and sits in the L1 cache.)
    fn all_finite(chunk: &[f32]) -> bool {
        let part = chunk.len() / SCAN_STREAMS;
        let (body, tail) = chunk.split_at(part * SCAN_STREAMS);
        let parts: [&[f32]; SCAN_STREAMS] = std::array::from_fn(|s| &body[s * part..][..part]);
        let mut ok = true;
        for i in 0..part {
            for p in &parts {
                ok &= p[i].is_finite();
            }
        }
        tail.iter().fold(ok, |ok, x| ok & x.is_finite())
    }
}

/// `f(chunk)` for every [`CHUNK`]-sized piece of `values`, summed in chunk order.
pub(crate) fn chunked_sum(values: &[f32], f: impl Fn(&[f32]) -> f64 + Sync) -> f64 {
    if values.len() < parallel_threshold() {
        return values.chunks(CHUNK).map(&f).fold(0.0, |a, b| a + b);
    }
    let partial: Vec<f64> = values.par_chunks(CHUNK).map(&f).collect();
    partial.into_iter().fold(0.0, |a, b| a + b)
}

/// Applies `f` to every element, in parallel above the threshold.
pub(crate) fn map_in_place(values: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    let apply = |c: &mut [f32]| c.iter_mut().for_each(|x| *x = f(*x));
    if values.len() < parallel_threshold() {
        apply(values);
    } else {
        values.par_chunks_mut(CHUNK).for_each(apply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_element_once_and_wide_loops_start_aligned() {
        let n = PARALLEL_THRESHOLD * 2 + 123;
        // Buffers that start 0, 4 and 20 bytes past their allocation.
        for skip in [0, 1, 5] {
            let mut params = vec![0.0f32; n + skip];
            let grads: Vec<f32> = (0..n + skip).map(|i| i as f32).collect();
            let mut seen = vec![-1.0f32; n + skip];
            let lanes = Lanes::new(&mut params[skip..], &grads[skip..], [&mut seen[skip..]]);
            for_each_chunk(lanes, &|l: Lanes<'_, 1>| {
                // A call starts on a 64-byte boundary, or is the short head of a chunk.
                let aligned = l.params.as_ptr().align_offset(ALIGN_BYTES) == 0;
                let head = l.offset.is_multiple_of(CHUNK) && l.params.len() < ALIGN_BYTES / 4;
                assert!(
                    aligned || head,
                    "offset {} len {}",
                    l.offset,
                    l.params.len()
                );
                // No call crosses a chunk boundary.
                assert!((l.offset + l.params.len() - 1) / CHUNK == l.offset / CHUNK);
                let [s] = l.state;
                for (i, (p, g)) in l.params.iter_mut().zip(l.grads).enumerate() {
                    *p += 1.0;
                    s[i] = (l.offset + i + skip) as f32 - g;
                }
            });
            assert!(params[skip..].iter().all(|&p| p == 1.0), "skip {skip}");
            assert!(seen[skip..].iter().all(|&s| s == 0.0), "skip {skip}");
        }
    }

    #[test]
    fn first_non_finite_finds_the_first_on_any_size() {
        for n in [10, PARALLEL_THRESHOLD * 3] {
            let mut v = vec![1.0f32; n];
            assert_eq!(first_non_finite(&v), None);
            v[n - 2] = f32::INFINITY;
            v[n - 1] = f32::NAN;
            assert_eq!(first_non_finite(&v), Some(n - 2));
        }
    }

    #[test]
    fn the_scan_finds_a_bad_value_in_every_stream_and_in_the_tail() {
        // One bad value at a time, at every index of short inputs (all in the tail, or
        // one element per stream) and at each stream's first and last element and the
        // tail of a whole chunk and a half.
        let long = CHUNK + CHUNK / 2 + 5;
        let part = CHUNK / SCAN_STREAMS;
        let mut at: Vec<usize> = (0..SCAN_STREAMS)
            .flat_map(|s| [s * part, (s + 1) * part - 1])
            .collect();
        at.extend([CHUNK, long - 1]);
        let mut cases: Vec<(usize, usize)> = at.into_iter().map(|i| (long, i)).collect();
        for n in [1, 7, 8, 9, 37] {
            cases.extend((0..n).map(|i| (n, i)));
        }
        for (n, i) in cases {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut v = vec![0.5f32; n];
                assert_eq!(first_non_finite(&v), None, "n = {n}");
                v[i] = bad;
                assert_eq!(first_non_finite(&v), Some(i), "n = {n}, {bad} at {i}");
            }
        }
    }

    #[test]
    fn chunked_sum_is_the_sum() {
        let v = vec![0.5f32; PARALLEL_THRESHOLD + 7];
        let s = chunked_sum(&v, |c| c.len() as f64);
        assert_eq!(s, (PARALLEL_THRESHOLD + 7) as f64);
    }
}
