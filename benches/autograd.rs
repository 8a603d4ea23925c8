//! Benchmarks of the autograd engine.
//!
//! - `matmul/MxKxN`: one forward matmul on the tape plus node bookkeeping: the small-matrix
//!   kernel reading B in place (32x8x64, 128x64x64) and on B packed into panels
//!   (128x1024x256 and 512x512x512, each a B of 2^18 elements; larger ones go to
//!   matrixmultiply's `sgemm`).
//!   Throughput is reported as "elements" = 2*M*K*N, i.e. floating-point operations, so
//!   criterion's "Gelem/s" reads as GFLOP/s.
//! - `matmul/fma_peak`: the ceiling those products are measured against, one core's rate
//!   of fused multiply-adds with nothing loaded or stored (see [`fma_peak`]), in the same
//!   GFLOP/s.
//! - `mlp_fwd_bwd/batch`: forward and backward of an 8-64-64-1 ReLU MLP with MSE loss, built
//!   directly from tape ops, including `clear` (a full warm training step minus the update).
//!
//! Run: `cargo bench --bench autograd` (add `-- --quick` for a fast pass).

use std::hint::black_box;
use std::time::Duration;

use caadam_autograd::{Tape, Tensor};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for (m, k, n) in [
        (32, 8, 64),
        (128, 64, 64),
        (128, 1024, 256),
        (512, 512, 512),
    ] {
        let a = Tensor::uniform(&[m, k], -1.0, 1.0, &mut rng);
        let b = Tensor::uniform(&[k, n], -1.0, 1.0, &mut rng);
        // "elements" here are flops: one multiply and one add per (i, l, j)
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        let id = BenchmarkId::from_parameter(format!("{m}x{k}x{n}"));
        let mut tape = Tape::inference();
        group.bench_function(id, |bench| {
            bench.iter(|| {
                let x = tape.input_from(a.data(), a.shape());
                let w = tape.input_from(b.data(), b.shape());
                let y = tape.matmul(x, w);
                black_box(tape.value(y).data()[0]);
                tape.clear();
            })
        });
    }
    fma_peak(&mut group);
    group.finish();
}

/// Independent chains in [`fma_peak`]: two FMA units with a 4-cycle latency need 8 in
/// flight to stay busy; 12 leave slack for the loop's own instructions.
const FMA_CHAINS: usize = 12;
/// Steps of every chain per timed call.
const FMA_STEPS: usize = 4096;

/// One core's peak rate of fused multiply-adds on the widest registers the CPU has:
/// [`FMA_CHAINS`] independent chains `acc = acc * m + a`, all in registers. A product can
/// only approach it, as its loads, stores and loop control share the core with its
/// multiply-adds; the kernel's rate on `128x64x64` over this one is how close the kernel
/// comes to what the core can do at all.
fn fma_peak(group: &mut BenchmarkGroup<'_, WallTime>) {
    let Some((lanes, chains)) = fma_chains() else {
        eprintln!("matmul/fma_peak: no AVX-512 or AVX2 with FMA on this CPU, skipped");
        return;
    };
    group.throughput(Throughput::Elements(
        (2 * FMA_CHAINS * FMA_STEPS * lanes) as u64,
    ));
    group.bench_function("fma_peak", |bench| {
        bench.iter(|| black_box(chains(black_box(0.999_999), black_box(1e-7))))
    });
}

/// An FMA loop: `(m, a)` in, the chains' sum out.
type FmaLoop = fn(f32, f32) -> f32;

/// The widest FMA loop this CPU runs: its lanes per register, and the loop.
#[cfg(target_arch = "x86_64")]
fn fma_chains() -> Option<(usize, FmaLoop)> {
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F was detected just above.
        return Some((16, |m, a| unsafe { fma_chains_avx512(m, a) }));
    }
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: AVX2 and FMA were detected just above.
        return Some((8, |m, a| unsafe { fma_chains_avx2(m, a) }));
    }
    None
}

#[cfg(not(target_arch = "x86_64"))]
fn fma_chains() -> Option<(usize, FmaLoop)> {
    None
}

/// [`FMA_CHAINS`] chains of [`FMA_STEPS`] 16-lane fused multiply-adds; returns their sum,
/// so that none of the work can be dropped.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_chains_avx512(m: f32, a: f32) -> f32 {
    use std::arch::x86_64::{_mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps};
    let (m, a) = (_mm512_set1_ps(m), _mm512_set1_ps(a));
    let mut acc: [_; FMA_CHAINS] = std::array::from_fn(|i| _mm512_set1_ps(i as f32));
    for _ in 0..FMA_STEPS {
        for acc in &mut acc {
            *acc = _mm512_fmadd_ps(*acc, m, a);
        }
    }
    acc.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
}

/// [`fma_chains_avx512`] on 8-lane AVX2 registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_chains_avx2(m: f32, a: f32) -> f32 {
    use std::arch::x86_64::{_mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps};
    let (m, a) = (_mm256_set1_ps(m), _mm256_set1_ps(a));
    let mut acc: [_; FMA_CHAINS] = std::array::from_fn(|i| _mm256_set1_ps(i as f32));
    for _ in 0..FMA_STEPS {
        for acc in &mut acc {
            *acc = _mm256_fmadd_ps(*acc, m, a);
        }
    }
    let mut lanes = [0.0f32; 8];
    acc.iter()
        .map(|&v| {
            _mm256_storeu_ps(lanes.as_mut_ptr(), v);
            lanes.iter().sum::<f32>()
        })
        .sum()
}

/// Parameters of an 8-64-64-1 MLP (Glorot-uniform-like weights, zero biases).
struct Mlp {
    layers: Vec<(Tensor, Tensor)>,
}

impl Mlp {
    fn new(sizes: &[usize], rng: &mut ChaCha8Rng) -> Mlp {
        let layers = sizes
            .windows(2)
            .map(|w| {
                let limit = (6.0 / (w[0] + w[1]) as f32).sqrt();
                (
                    Tensor::uniform(&[w[0], w[1]], -limit, limit, rng),
                    Tensor::zeros(&[w[1]]),
                )
            })
            .collect();
        Mlp { layers }
    }

    /// Forward, MSE, backward, read the gradients, clear.
    fn step(&self, tape: &mut Tape, x: &Tensor, y: &Tensor) -> f32 {
        let mut h = tape.input_from(x.data(), x.shape());
        let target = tape.input_from(y.data(), y.shape());
        let last = self.layers.len() - 1;
        for (i, (w, b)) in self.layers.iter().enumerate() {
            let w = tape.param(w.data(), w.shape(), 2 * i);
            let b = tape.param(b.data(), b.shape(), 2 * i + 1);
            // hidden layers as one node each (bias and ReLU fused), the output layer affine
            h = if i < last {
                tape.affine_relu(h, w, b)
            } else {
                tape.affine(h, w, b)
            };
        }
        let loss = tape.mse(h, target);
        tape.backward(loss);
        let mut checksum = tape.value(loss).item();
        for (_, g) in tape.param_grads() {
            checksum += g.data()[0];
        }
        tape.clear();
        checksum
    }
}

fn mlp_fwd_bwd(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp_fwd_bwd");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mlp = Mlp::new(&[8, 64, 64, 1], &mut rng);
    for batch in [32, 128] {
        let x = Tensor::normal(&[batch, 8], 0.0, 1.0, &mut rng);
        let y = Tensor::normal(&[batch, 1], 0.0, 1.0, &mut rng);
        let mut tape = Tape::new();
        group.throughput(Throughput::Elements(batch as u64)); // samples
        group.bench_function(BenchmarkId::from_parameter(batch), |bench| {
            bench.iter(|| black_box(mlp.step(&mut tape, &x, &y)))
        });
    }
    group.finish();
}

criterion_group!(benches, matmul, mlp_fwd_bwd);
criterion_main!(benches);
