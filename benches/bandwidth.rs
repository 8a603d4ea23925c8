//! The optimizer step at 1e7 parameters against the machine's memory bandwidth.
//!
//! An Adam `step` on plain buffers first reads g to refuse a non-finite gradient before
//! anything is written, then reads p, g, m, v and writes p, m, v: 8 f32 = 32 bytes per
//! parameter. torch's fused Adam, which has no such check, moves 28, and so does our
//! `step_store`, whose store tested g while `set_grads` wrote it. The step does a handful
//! of flops per parameter, so at 1e7 parameters (320 MB of traffic, far beyond the caches)
//! it can go no faster than memory allows. This bench measures:
//!
//! - the bandwidth, with a STREAM-like triad `a[i] = b[i] + s * c[i]` over three arrays
//!   that together hold as many bytes as Adam's four buffers (160 MB), counted as STREAM
//!   does (12 bytes per element: two reads, one write). The same footprint matters: the
//!   development machine reports a 300 MB last-level cache, and triads over three 40 MB
//!   arrays ran partly from it (up to 60 GB/s on two threads), so they measured a
//!   different memory level from the step they were compared with. STREAM's
//!   count leaves out the hidden read of `a` a write-back cache makes before writing it
//!   ("write-allocate"), so it understates what the memory did. Adam has no such hidden
//!   traffic (every array it writes it has just read), so the bench also runs an in-place
//!   triad `a[i] = a[i] + s * b[i]` (12 bytes, all of them real) and compares the step
//!   with the larger of the two bandwidths;
//! - the Adam and CaAdam (additive) steps on `N` parameters, and the Adam step with its
//!   finiteness scan turned off (`Optimizer::set_finite_check(false)`): the 28 bytes per
//!   parameter torch's fused step moves, with torch's policy of applying a non-finite
//!   gradient;
//! - the Adam step as a training loop takes it: `Optimizer::step_store` on a `ParamStore`
//!   whose gradients `ParamStore::set_grads` copied out of a tape, testing them on the way,
//!   so that the step needs no scan (28 bytes, with the check kept); and, to show where
//!   the check went, that `set_grads` against a plain copy of the same gradients
//!   (`caadam_autograd::parallel_copy`);
//!
//! on one thread and on all cores (each in its own rayon pool), and prints the step's
//! effective bandwidth (32 bytes per parameter over the step time) as a fraction of the
//! triad's. Every buffer, the triads' as well as the step's, is allocated as the library
//! allocates parameters, gradients and optimizer state (`caadam_autograd::buffer`: large
//! buffers advised for huge pages), so that both sides run on the same kind of pages. The
//! peer, `torch.optim.Adam(fused=True)` at the same size, is `benches/peers_optim_step.py`
//! (run by `benches/peers.sh`); torch puts its tensors on huge pages only when
//! `THP_MEM_ALLOC_ENABLE=1`, so peers.sh times it both ways.
//!
//! Run: `cargo bench --bench bandwidth` (about 20 s). Times are medians of `REPS` runs.

use std::hint::black_box;
use std::time::Instant;

use caadam_autograd::{buffer, parallel_copy, simd_kernel, Tape};
use caadam_nn::{ParamLayout, ParamStore};
use caadam_optim::{Adam, AdamConfig, CaAdam, CaAdamConfig, Optimizer, Strategy};
use rayon::prelude::*;

/// Parameters.
const N: usize = 10_000_000;
/// f32 elements the Adam step's buffers hold (p, g, m, v), and the triads' total.
const FOOTPRINT: usize = 4 * N;
/// Timed repetitions of each measurement.
const REPS: usize = 15;
/// Bytes an Adam step moves per parameter: read g (the finiteness check), then read p, g,
/// m, v and write p, m, v (f32).
const ADAM_BYTES: f64 = 32.0;
/// Bytes the Adam step moves per parameter without the finiteness scan.
const ADAM_UNCHECKED_BYTES: f64 = 28.0;
/// Bytes STREAM counts per triad element: read b, c; write a (f32).
const TRIAD_BYTES: f64 = 12.0;

/// Median wall time of `f` over `REPS` runs, after one warm-up run.
fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..REPS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPS / 2]
}

/// Elements of `a` before its first 64-byte boundary. The triads' wide loops start there,
/// as the optimizer kernels' do (`caadam_optim::parallel`), so that neither side's loads
/// straddle cache lines and the bandwidth is not understated.
fn head(a: &[f32]) -> usize {
    a.as_ptr().align_offset(64).min(a.len())
}

/// `a = b + s c`, in 64 Ki-element chunks spread over the current rayon pool.
fn triad(a: &mut [f32], b: &[f32], c: &[f32], s: f32) {
    const CHUNK: usize = 1 << 16;
    let h = head(a);
    triad_chunk(&mut a[..h], &b[..h], &c[..h], s);
    let (a, b, c) = (&mut a[h..], &b[h..], &c[h..]);
    a.par_chunks_mut(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .zip(c.par_chunks(CHUNK))
        .for_each(|((a, b), c)| triad_chunk(a, b, c, s));
}

// The triads' loops are compiled for the CPU's widest SIMD, as the optimizer kernels are,
// so that the bandwidth they measure is what wide loads and stores can reach.
simd_kernel! {
    fn triad_chunk(a: &mut [f32], b: &[f32], c: &[f32], s: f32) {
        for ((a, &b), &c) in a.iter_mut().zip(b).zip(c) {
            *a = b + s * c;
        }
    }
}

/// `a += s b`, as [`triad`] (the read-modify-write pattern of an optimizer step).
fn triad_in_place(a: &mut [f32], b: &[f32], s: f32) {
    const CHUNK: usize = 1 << 16;
    let h = head(a);
    triad_in_place_chunk(&mut a[..h], &b[..h], s);
    let (a, b) = (&mut a[h..], &b[h..]);
    a.par_chunks_mut(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .for_each(|(a, b)| triad_in_place_chunk(a, b, s));
}

simd_kernel! {
    fn triad_in_place_chunk(a: &mut [f32], b: &[f32], s: f32) {
        for (a, &b) in a.iter_mut().zip(b) {
            *a += s * b;
        }
    }
}

/// Median step time of `opt` on `N` parameters, held where training holds them: in a
/// [`ParamStore`] (whose large buffers, like the optimizer's state, are advised for huge
/// pages; see `caadam_autograd::buffer`).
fn step_seconds(opt: &mut dyn Optimizer, layout: &ParamLayout) -> f64 {
    let mut store = store_of(layout);
    for (i, g) in store.grads_mut().iter_mut().enumerate() {
        *g = gradient(i);
    }
    let t = median_seconds(|| {
        let (params, grads) = store.split_mut();
        opt.step(params, grads).expect("finite gradients")
    });
    black_box(store.values());
    t
}

/// The step as training takes it, and where its check went: the gradients reach the store
/// through `set_grads` from a tape (loss `sum(p * c)`, so that the gradient is `c`), then
/// `opt` steps with `step_store`. Returns the median times of `step_store`, of `set_grads`,
/// and of a plain copy of the same gradients into the same buffer.
fn store_step_seconds(opt: &mut dyn Optimizer, layout: &ParamLayout) -> (f64, f64, f64) {
    let mut store = store_of(layout);
    let c: Vec<f32> = (0..N).map(gradient).collect();
    let mut tape = Tape::new();
    let p = store.bind(&mut tape, 0);
    let c = tape.input_from(&c, &[N]);
    let pc = tape.mul(p, c);
    let loss = tape.sum(pc);
    tape.backward(loss);
    let t_set_grads = median_seconds(|| store.set_grads(&tape));
    let (_, grad) = tape.param_grads().next().expect("one parameter");
    let t_copy = median_seconds(|| parallel_copy(store.grads_mut(), grad.data()));
    store.set_grads(&tape);
    assert!(store.grads_known_finite());
    let t_step = median_seconds(|| opt.step_store(&mut store).expect("finite gradients"));
    black_box(store.values());
    (t_step, t_set_grads, t_copy)
}

/// A store of `N` parameters with values that vary, as a model's do.
fn store_of(layout: &ParamLayout) -> ParamStore {
    let values: Vec<f32> = (0..N).map(|i| ((i % 1000) as f32 - 500.0) * 1e-3).collect();
    ParamStore::from_values(layout.clone(), values).expect("N values")
}

/// The gradient the benches give parameter `i` (small, varied, never subnormal).
fn gradient(i: usize) -> f32 {
    ((i % 777) as f32 - 388.0) * 1e-4
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported here.
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let layout = ParamLayout::flat("p", N);
    println!(
        "| threads | triad GB/s | in-place triad GB/s | Adam step ms | Adam GB/s | Adam / best triad | Adam unchecked ms | unchecked / best triad | CaAdam step ms | CaAdam / best triad | Adam step_store ms | step_store / best triad | set_grads ms | plain copy ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut thread_counts = vec![1];
    if all > 1 {
        thread_counts.push(all);
    }
    for threads in thread_counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("rayon pool");
        pool.install(|| {
            // Both triads touch as many bytes as the Adam step (its four buffers p, g, m, v),
            // so that all three meet the same caches.
            let n3 = FOOTPRINT / 3;
            let b = buffer::filled(n3, 1.0);
            let c = buffer::filled(n3, 2.0);
            let mut a = buffer::filled(n3, 0.0);
            let t_triad = median_seconds(|| triad(&mut a, &b, &c, 3.0));
            black_box(&a);
            let triad_gbs = TRIAD_BYTES * n3 as f64 / t_triad / 1e9;
            drop((a, b, c));
            let n2 = FOOTPRINT / 2;
            let b = buffer::filled(n2, 1.0);
            let mut a = buffer::filled(n2, 0.0);
            let t_in_place = median_seconds(|| triad_in_place(&mut a, &b, 1e-3));
            black_box(&a);
            let in_place_gbs = TRIAD_BYTES * n2 as f64 / t_in_place / 1e9;
            drop((a, b));
            let best_gbs = triad_gbs.max(in_place_gbs);

            let mut adam = Adam::new(AdamConfig::default(), &layout).expect("valid config");
            let t_adam = step_seconds(&mut adam, &layout);
            let adam_gbs = ADAM_BYTES * N as f64 / t_adam / 1e9;

            let mut unchecked = Adam::new(AdamConfig::default(), &layout).expect("valid config");
            unchecked.set_finite_check(false);
            let t_unchecked = step_seconds(&mut unchecked, &layout);
            let unchecked_gbs = ADAM_UNCHECKED_BYTES * N as f64 / t_unchecked / 1e9;

            let config = CaAdamConfig {
                strategy: Strategy::Additive,
                ..Default::default()
            };
            let mut caadam = CaAdam::new(config, &layout).expect("valid config");
            let t_caadam = step_seconds(&mut caadam, &layout);
            let caadam_gbs = ADAM_BYTES * N as f64 / t_caadam / 1e9;

            let mut trained = Adam::new(AdamConfig::default(), &layout).expect("valid config");
            let (t_store, t_set_grads, t_copy) = store_step_seconds(&mut trained, &layout);
            let store_gbs = ADAM_UNCHECKED_BYTES * N as f64 / t_store / 1e9;

            println!(
                "| {threads} | {triad_gbs:.2} | {in_place_gbs:.2} | {:.3} | {adam_gbs:.2} | {:.0}% | {:.3} | {:.0}% | {:.3} | {:.0}% | {:.3} | {:.0}% | {:.3} | {:.3} |",
                t_adam * 1e3,
                100.0 * adam_gbs / best_gbs,
                t_unchecked * 1e3,
                100.0 * unchecked_gbs / best_gbs,
                t_caadam * 1e3,
                100.0 * caadam_gbs / best_gbs,
                t_store * 1e3,
                100.0 * store_gbs / best_gbs,
                t_set_grads * 1e3,
                t_copy * 1e3,
            );
        });
    }
}
