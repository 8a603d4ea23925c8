//! Results do not depend on the number of rayon threads: every optimizer gives the same
//! bits on pools of 1 and 2 threads, on a model large enough to take the parallel path; nor
//! on where in memory the buffers start.

mod common;

use caadam_optim::parallel::PARALLEL_THRESHOLD;
use common::{bits, grad, mlp, zoo};

fn run(pool_threads: usize, config: &caadam_optim::OptimizerConfig, sizes: &[usize]) -> Vec<u32> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(pool_threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (layout, mut params) = mlp(sizes);
        let mut opt = config.build(&layout).unwrap();
        for step in 0..3 {
            let g = grad(&params, step);
            opt.step(&mut params, &g).unwrap();
        }
        bits(&params)
    })
}

#[test]
fn one_and_two_threads_give_the_same_bits() {
    // 256*256 + 256*300 + ... parameters: several chunks, above the threshold.
    let sizes = [256, 256, 300, 10];
    let (layout, _) = mlp(&sizes);
    assert!(
        layout.len() > 2 * PARALLEL_THRESHOLD,
        "{} parameters",
        layout.len()
    );
    for config in zoo() {
        assert_eq!(
            run(1, &config, &sizes),
            run(2, &config, &sizes),
            "{config:?}"
        );
    }
}

#[test]
fn small_models_on_the_serial_path_agree_too() {
    // Below the threshold the step runs on the calling thread whatever the pool.
    let sizes = [8, 64, 32, 1];
    for config in zoo() {
        assert_eq!(
            run(1, &config, &sizes),
            run(2, &config, &sizes),
            "{config:?}"
        );
    }
}

/// The bits of three steps of `config` on an MLP of `sizes` whose parameters and gradients
/// start `skip` elements into their allocations.
fn run_shifted(config: &caadam_optim::OptimizerConfig, sizes: &[usize], skip: usize) -> Vec<u32> {
    let (layout, values) = mlp(sizes);
    let mut params = vec![0.0f32; skip];
    params.extend_from_slice(&values);
    let mut opt = config.build(&layout).unwrap();
    let mut g = vec![0.0f32; skip + values.len()];
    for step in 0..3 {
        let fresh = grad(&params[skip..], step);
        g[skip..].copy_from_slice(&fresh);
        opt.step(&mut params[skip..], &g[skip..]).unwrap();
    }
    bits(&params[skip..])
}

#[test]
fn where_the_buffers_start_in_memory_changes_no_bit() {
    // The kernels start their wide loops on a 64-byte boundary (a chunk is cut in two when
    // the parameters do not start on one); a buffer shifted by 1 or 3 elements is cut in
    // other places and must give the same bits, on the serial and the parallel path.
    for sizes in [&[8, 64, 32, 1][..], &[256, 256, 300, 10]] {
        for config in zoo() {
            let want = run_shifted(&config, sizes, 0);
            for skip in [1, 3] {
                assert_eq!(
                    run_shifted(&config, sizes, skip),
                    want,
                    "{config:?} skip {skip}"
                );
            }
        }
    }
}
