//! One full training step, as the example runs it: forward, MSE, backward and gradients
//! into the flat store ([`caadam::train::batch_gradients`], which computes a batch of 128
//! rows as two halves side by side on the pool), optimizer step, clear the tapes.
//!
//! Group `training_step`: the 8-64-64-1 ReLU MLP at batch 32 and 128 and the
//! 8-1024-256-64-16-1 MLP at batch 128, each with Adam and with CaAdam (additive, per
//! layer). Throughput is in samples, so criterion's "elem/s" reads as samples per second;
//! steps per second is 1 / time.
//!
//! Run: `cargo bench --bench training_step` (short measurements on purpose; add
//! `-- --quick` for a faster pass). The comparison with JAX and PyTorch is
//! `benches/peers.sh`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use caadam::train::batch_gradients;
use caadam_autograd::{Tape, Tensor};
use caadam_data::Batch;
use caadam_nn::{Activation, Init, Mlp, ParamStore};
use caadam_optim::{Adam, AdamConfig, CaAdam, CaAdamConfig, Optimizer, Strategy};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Batches the steps cycle through. The targets are noise, so the loss cannot reach zero:
/// a model trained for thousands of steps on one small batch would drive its gradients
/// towards zero, and subnormal floats (hundreds of cycles per operation) would then
/// dominate the timing.
const BATCHES: usize = 64;

/// A model, its parameters, an optimizer, the two tapes of a step and a small random data
/// set.
struct Trainer {
    mlp: Mlp,
    params: ParamStore,
    opt: Box<dyn Optimizer>,
    tapes: [Tape; 2],
    x: Tensor,
    y: Tensor,
    batch: usize,
    next: usize,
}

impl Trainer {
    fn new(sizes: &[usize], batch: usize, optimizer: &str) -> Trainer {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (mlp, params) = Mlp::new(sizes, Activation::Relu, Init::GlorotUniform, &mut rng);
        let opt: Box<dyn Optimizer> = match optimizer {
            "adam" => Box::new(Adam::new(AdamConfig::default(), params.layout()).expect("config")),
            "caadam" => {
                let config = CaAdamConfig {
                    strategy: Strategy::Additive,
                    ..Default::default()
                };
                Box::new(CaAdam::new(config, params.layout()).expect("config"))
            }
            other => panic!("unknown optimizer {other}"),
        };
        let x = Tensor::normal(&[BATCHES * batch, sizes[0]], 0.0, 1.0, &mut rng);
        let y = Tensor::normal(&[BATCHES * batch, 1], 0.0, 1.0, &mut rng);
        Trainer {
            mlp,
            params,
            opt,
            tapes: [Tape::new(), Tape::new()],
            x,
            y,
            batch,
            next: 0,
        }
    }

    /// One training step; returns the loss.
    fn step(&mut self) -> f32 {
        let (n, d) = (self.batch, self.x.shape()[1]);
        let rows = self.next * n..(self.next + 1) * n;
        self.next = (self.next + 1) % BATCHES;
        let batch = Batch {
            x: &self.x.data()[rows.start * d..rows.end * d],
            y: &self.y.data()[rows],
            rows: n,
            d,
        };
        let loss = batch_gradients(
            &self.mlp,
            &mut self.params,
            &mut self.tapes,
            &batch,
            Tape::mse,
        );
        self.opt
            .step_store(&mut self.params)
            .expect("finite gradients");
        self.tapes.iter_mut().for_each(Tape::clear);
        loss
    }
}

fn training_step(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().build().expect("rayon pool");
    let mut group = c.benchmark_group("training_step");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let small: &[usize] = &[8, 64, 64, 1];
    let large: &[usize] = &[8, 1024, 256, 64, 16, 1];
    for (label, sizes, batch) in [
        ("8-64-64-1", small, 32),
        ("8-64-64-1", small, 128),
        ("8-1024-256-64-16-1", large, 128),
    ] {
        for optimizer in ["adam", "caadam"] {
            let mut trainer = Trainer::new(sizes, batch, optimizer);
            group.throughput(Throughput::Elements(batch as u64));
            let id = BenchmarkId::new(format!("{label}/{optimizer}"), batch);
            // The timed steps run inside the rayon pool, as the example trains: the
            // parallel operations of a step (the large products, the optimizer) then start
            // on a pool thread instead of being handed over from criterion's thread, which
            // cost about 10% of a [1024,256,64,16] step.
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    pool.install(|| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(trainer.step());
                        }
                        start.elapsed()
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, training_step);
criterion_main!(benches);
