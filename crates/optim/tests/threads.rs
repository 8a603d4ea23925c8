//! Results do not depend on the number of rayon threads: every optimizer gives the same
//! bits on pools of 1 and 2 threads, on a model large enough to take the parallel path.

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
