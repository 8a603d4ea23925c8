//! A short end-to-end run of the comparison's library path on a subset of California
//! housing: sensible errors, consistent records, the output files, and the fit loop's
//! early stopping restoring the best validation weights on a real model.
//!
//! The data comes from `CAADAM_DATA_HOME`, else `../shared/data` beside the workspace (as
//! CI sets it).

use std::path::PathBuf;

use caadam::experiment::{
    caadam_scales, initial_model, run_experiment, run_one, summarize, write_report_md,
    write_results_json, write_summary_csv, ExperimentConfig, NoObserver, OptimizerSpec, Splits,
};
use caadam::train::{fit, mse_on, FitConfig};
use caadam_data::{california_housing_in, ArchiveSource, Dataset, HttpFetcher};
use caadam_optim::{Adam, AdamConfig};

/// Every `stride`-th row: the file is ordered by place, so a prefix would be one region.
fn housing_subset(stride: usize) -> Dataset {
    let dir = std::env::var_os("CAADAM_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let data = california_housing_in(
        &dir,
        &ArchiveSource::california_housing(),
        &HttpFetcher::new(),
    )
    .expect("California housing: set CAADAM_DATA_HOME to the directory of cal_housing.data");
    let rows: Vec<usize> = (0..data.n).step_by(stride).collect();
    data.select_rows(&rows)
}

fn small_config() -> ExperimentConfig {
    ExperimentConfig {
        architectures: vec![vec![32, 16]],
        optimizers: OptimizerSpec::parse_list("adam,caadam-add,caadam-ref-mul").unwrap(),
        runs: 2,
        max_epochs: 15,
        ..Default::default()
    }
}

#[test]
fn short_comparison_gives_sensible_numbers_and_writes_its_files() {
    let splits = Splits::paper(&housing_subset(5), 0);
    // 4128 rows: ceil(825.6) = 826 test, 3302 in the training part, of which the first
    // floor(0.8 * 3302) = 2641 train and the last 661 validate.
    assert_eq!(
        (splits.train.n, splits.val.n, splits.test.n),
        (2641, 661, 826)
    );
    let config = small_config();
    let records = run_experiment(&config, &splits, &mut NoObserver).unwrap();
    assert_eq!(records.len(), 6);
    for r in &records {
        // Predicting the mean gives RMSE about 1 in standardized units; 15 epochs of any
        // of these optimizers does much better.
        assert!(
            r.test_rmse.is_finite() && r.test_rmse < 0.8,
            "{}: RMSE {}",
            r.optimizer,
            r.test_rmse
        );
        assert!(
            r.test_mae > 0.0 && r.test_mae < r.test_rmse,
            "MAE {} vs RMSE {}",
            r.test_mae,
            r.test_rmse
        );
        assert_eq!(r.epochs, 15);
        assert_eq!(r.val_loss.len(), 15);
        assert_eq!(r.steps, 15 * 21); // ceil(2641 / 128) = 21 batches per epoch
        assert!(r.train_seconds > 0.0);
        // Early stopping keeps the best epoch past the warm-up (epochs 12..15).
        let best = r.best_epoch.unwrap();
        assert!((12..15).contains(&best));
        assert_eq!(r.shuffle_seed, r.run as u64);
    }
    // One shared initial weight set and shared batch orders: the same optimizer and run
    // repeat bit for bit.
    let (mlp, init) = initial_model(splits.train.d, &[32, 16], config.seed);
    let again = run_one(
        &splits,
        &mlp,
        &init,
        OptimizerSpec::Adam,
        1,
        &config,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(again.test_rmse.to_bits(), records[1].test_rmse.to_bits());
    assert_eq!(again.val_loss, records[1].val_loss);

    let rows = summarize(&records);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].change_vs_adam_pct, Some(0.0));
    assert!(rows[0].welch_p.is_none());
    assert!(rows[1..]
        .iter()
        .all(|r| r.welch_p.is_some_and(|p| (0.0..=1.0).contains(&p))));

    let scales = caadam_scales(&config, splits.train.d).unwrap();
    assert_eq!(scales.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    write_results_json(dir.path(), &records).unwrap();
    write_summary_csv(dir.path(), &rows).unwrap();
    write_report_md(dir.path(), &config, &rows, &scales, &[]).unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 6);
    assert_eq!(runs[2]["optimizer"], "caadam-add");
    assert_eq!(runs[2]["hidden"], serde_json::json!([32, 16]));
    assert_eq!(runs[2]["val_loss"].as_array().unwrap().len(), 15);
    let csv = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv
        .lines()
        .nth(3)
        .unwrap()
        .starts_with("32-16,caadam-ref-mul,2,"));
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(report.contains("## [32, 16]") && report.contains("| caadam-add | 2 |"));
    assert!(report.contains("caadam-ref-mul: layers.0.weight 5.0000"));
}

#[test]
fn fixed_epochs_skip_validation() {
    let splits = Splits::paper(&housing_subset(10), 3);
    let config = ExperimentConfig {
        fixed_epochs: Some(3),
        ..small_config()
    };
    let (mlp, init) = initial_model(splits.train.d, &[32, 16], config.seed);
    let r = run_one(
        &splits,
        &mlp,
        &init,
        OptimizerSpec::Adam,
        0,
        &config,
        &mut |e| {
            assert!(e.val_loss.is_none());
        },
    )
    .unwrap();
    assert_eq!((r.epochs, r.best_epoch, r.val_loss.len()), (3, None, 0));
    // 2064 rows: 413 test, 1651 in the training part, floor(1320.8) = 1320 train rows,
    // ceil(1320 / 128) = 11 batches.
    assert_eq!(splits.train.n, 1320);
    assert_eq!(r.steps, 3 * 11);
}

#[test]
fn fit_restores_the_weights_of_the_best_validation_epoch() {
    let splits = Splits::paper(&housing_subset(7), 1);
    let (mlp, mut params) = initial_model(splits.train.d, &[32], 5);
    // A large step makes the validation loss bounce, so the best epoch is rarely the last.
    let mut adam = Adam::new(
        AdamConfig {
            lr: 0.03,
            ..Default::default()
        },
        params.layout(),
    )
    .unwrap();
    let config = FitConfig::paper(40, 9);
    let history = fit(
        &mlp,
        &mut params,
        &mut adam,
        &splits.train,
        Some(&splits.val),
        &config,
        &mut |_| {},
    )
    .unwrap();
    let best = history.best_epoch.unwrap();
    let counted = &history.val_loss[12..];
    let min = counted.iter().copied().fold(f64::INFINITY, f64::min);
    // The kept epoch is within min_delta of the lowest counted loss...
    assert!(best >= 12 && history.val_loss[best] <= min + 1e-5);
    // ...and the parameters now are exactly that epoch's: same validation loss, bit for bit.
    assert_eq!(
        mse_on(&mlp, &params, &splits.val).to_bits(),
        history.val_loss[best].to_bits()
    );
    assert_eq!(history.learning_rates.len(), history.epochs);
}

#[test]
fn a_run_is_bit_identical_on_one_and_two_threads() {
    let splits = Splits::paper(&housing_subset(10), 2);
    let config = ExperimentConfig {
        max_epochs: 14,
        ..small_config()
    };
    let (mlp, init) = initial_model(splits.train.d, &[32, 16], config.seed);
    let spec: OptimizerSpec = "caadam-depth".parse().unwrap();
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run_one(&splits, &mlp, &init, spec, 0, &config, &mut |_| {}).unwrap())
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one.test_rmse.to_bits(), two.test_rmse.to_bits());
    assert_eq!(one.val_loss, two.val_loss);
    assert_eq!((one.epochs, one.best_epoch), (two.epochs, two.best_epoch));
}
