//! Step throughput (parameters per second) of the optimizers over flat buffers.
//!
//! Group `optim_step`: SGD, SGD with momentum, Adam, AdamW and CaAdam's three strategies at
//! about 4.8e3, 1e5, 1e6 and 1e7 parameters, on a 1-thread pool and on a pool of all cores.
//! Group `threshold`: Adam forced serial vs forced parallel around the crossover, which sets
//! `caadam_optim::parallel::PARALLEL_THRESHOLD`.
//!
//! Run: `cargo bench --bench optim_step` (a few minutes; short measurements on purpose).

use std::time::{Duration, Instant};

use caadam_nn::{LayerInfo, ParamKind, ParamLayout, ParamStore};
use caadam_optim::parallel::{set_parallel_threshold, PARALLEL_THRESHOLD};
use caadam_optim::{AdamConfig, AdamWConfig, CaAdamConfig, OptimizerConfig, SgdConfig, Strategy};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::ThreadPool;

/// An MLP-shaped layout `[8, h, h, 1]` with about `n` parameters.
fn layout_of(n: usize) -> ParamLayout {
    // h^2 + 11h + 1 = n
    let h = ((-11.0 + (121.0 + 4.0 * n as f64).sqrt()) / 2.0)
        .round()
        .max(1.0) as usize;
    let mut layout = ParamLayout::new();
    for (i, (a, b)) in [(8, h), (h, h), (h, 1)].into_iter().enumerate() {
        let info = LayerInfo::new(a, b, i);
        layout.push(
            &format!("layers.{i}.weight"),
            &[a, b],
            ParamKind::Weight,
            info,
        );
        layout.push(&format!("layers.{i}.bias"), &[b], ParamKind::Bias, info);
    }
    layout
}

fn optimizers() -> Vec<(&'static str, OptimizerConfig)> {
    let caadam = |strategy| {
        OptimizerConfig::CaAdam(CaAdamConfig {
            strategy,
            ..Default::default()
        })
    };
    vec![
        ("sgd", OptimizerConfig::Sgd(SgdConfig::default())),
        (
            "sgd_momentum",
            OptimizerConfig::Sgd(SgdConfig {
                momentum: 0.9,
                ..Default::default()
            }),
        ),
        ("adam", OptimizerConfig::Adam(AdamConfig::default())),
        ("adamw", OptimizerConfig::AdamW(AdamWConfig::default())),
        ("caadam_additive", caadam(Strategy::Additive)),
        ("caadam_multiplicative", caadam(Strategy::Multiplicative)),
        ("caadam_depth", caadam(Strategy::Depth)),
    ]
}

fn pool(threads: usize) -> ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}

/// Benchmarks `config` on `layout` inside `pool` (each timed batch of steps runs there, so
/// the pool hand-off is paid once per batch, not per step).
fn bench_one(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    config: &OptimizerConfig,
    layout: &ParamLayout,
    pool: &ThreadPool,
) {
    let n = layout.len();
    let mut opt = config.build(layout).expect("valid config");
    // Parameters and gradients where training keeps them, in a ParamStore.
    let values: Vec<f32> = (0..n).map(|i| ((i % 1000) as f32 - 500.0) * 1e-3).collect();
    let mut store = ParamStore::from_values(layout.clone(), values).expect("n values");
    for (i, g) in store.grads_mut().iter_mut().enumerate() {
        *g = ((i % 777) as f32 - 388.0) * 1e-4;
    }
    c.throughput(Throughput::Elements(n as u64));
    c.bench_function(id, |b| {
        b.iter_custom(|iters| {
            pool.install(|| {
                let start = Instant::now();
                for _ in 0..iters {
                    let (params, grads) = store.split_mut();
                    opt.step(params, grads).expect("finite");
                }
                start.elapsed()
            })
        })
    });
}

fn optim_step(c: &mut Criterion) {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pools = [(1, pool(1)), (all, pool(all))];
    let mut group = c.benchmark_group("optim_step");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for n in [4_800, 100_000, 1_000_000, 10_000_000] {
        let layout = layout_of(n);
        for (name, config) in optimizers() {
            for (threads, pool) in &pools {
                let id = BenchmarkId::new(format!("{name}/{threads}t"), n);
                bench_one(&mut group, id, &config, &layout, pool);
            }
        }
    }
    group.finish();
}

fn threshold(c: &mut Criterion) {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = pool(all);
    let mut group = c.benchmark_group("threshold");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let adam = OptimizerConfig::Adam(AdamConfig::default());
    for n in [8_192, 32_768, 65_536, 131_072, 262_144] {
        let layout = layout_of(n);
        for (path, threshold) in [("serial", usize::MAX), ("parallel", 0)] {
            set_parallel_threshold(threshold);
            bench_one(
                &mut group,
                BenchmarkId::new(format!("adam/{path}/{all}t"), n),
                &adam,
                &layout,
                &pool,
            );
        }
    }
    set_parallel_threshold(PARALLEL_THRESHOLD);
    group.finish();
}

criterion_group!(benches, optim_step, threshold);
criterion_main!(benches);
