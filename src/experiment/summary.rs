//! Per (architecture, optimizer) statistics over runs, compared against Adam.

use serde::{Deserialize, Serialize};

use super::RunRecord;
use crate::stats::{mean, sample_std, welch_t_test};

/// One row of the comparison table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Optimizer name.
    pub optimizer: String,
    /// Runs aggregated.
    pub runs: usize,
    /// Mean test RMSE (standardized units).
    pub rmse_mean: f64,
    /// Sample standard deviation of the test RMSE (NaN for one run).
    pub rmse_std: f64,
    /// Mean test MAE (standardized units).
    pub mae_mean: f64,
    /// Mean epochs run.
    pub epochs_mean: f64,
    /// Mean seconds in training steps per run.
    pub train_seconds_mean: f64,
    /// Optimizer steps per second of training-step time, over all runs.
    pub steps_per_second: f64,
    /// `100 * (rmse_mean / adam's rmse_mean - 1)`: negative is better than Adam. `None`
    /// without an Adam row for the architecture.
    pub change_vs_adam_pct: Option<f64>,
    /// Welch's two-sided p-value of this optimizer's RMSEs against Adam's (`None` for Adam
    /// itself, without Adam, or below two runs).
    pub welch_p: Option<f64>,
}

/// Groups `records` by architecture then optimizer, in first-appearance order, and
/// compares each optimizer with `adam` of the same architecture.
///
/// ```
/// use caadam::experiment::{summarize, RunRecord};
/// let rec = |opt: &str, run, rmse| RunRecord {
///     optimizer: opt.into(), hidden: vec![4], run, shuffle_seed: 0, epochs: 10, best_epoch: None,
///     steps: 100, train_seconds: 0.5, test_rmse: rmse, test_mae: rmse / 2.0, final_lr: 1e-3, val_loss: vec![],
/// };
/// let rows = summarize(&[rec("adam", 0, 0.50), rec("adam", 1, 0.52), rec("caadam-add", 0, 0.45), rec("caadam-add", 1, 0.47)]);
/// assert_eq!(rows.len(), 2);
/// assert!((rows[0].rmse_mean - 0.51).abs() < 1e-12);
/// assert_eq!(rows[0].steps_per_second, 200.0);
/// let change = rows[1].change_vs_adam_pct.unwrap();
/// assert!((change - (0.46 / 0.51 - 1.0) * 100.0).abs() < 1e-9);
/// // Welch: t = -0.05 / sqrt(0.0002/2 + 0.0002/2) = -sqrt(12.5), df = 2, where the two-sided
/// // p-value is 1 - |t| / sqrt(t^2 + 2).
/// let t: f64 = 12.5f64.sqrt();
/// assert!((rows[1].welch_p.unwrap() - (1.0 - t / (t * t + 2.0).sqrt())).abs() < 1e-9);
/// assert_eq!(rows[0].welch_p, None);
/// ```
pub fn summarize(records: &[RunRecord]) -> Vec<SummaryRow> {
    let mut groups: Vec<(&[usize], &str, Vec<&RunRecord>)> = Vec::new();
    for r in records {
        match groups
            .iter_mut()
            .find(|(h, o, _)| *h == r.hidden.as_slice() && *o == r.optimizer)
        {
            Some((_, _, runs)) => runs.push(r),
            None => groups.push((&r.hidden, &r.optimizer, vec![r])),
        }
    }
    let rmses = |runs: &[&RunRecord]| runs.iter().map(|r| r.test_rmse).collect::<Vec<f64>>();
    groups
        .iter()
        .map(|(hidden, optimizer, runs)| {
            let rmse = rmses(runs);
            let adam = groups
                .iter()
                .find(|(h, o, _)| h == hidden && *o == "adam")
                .map(|(_, _, r)| rmses(r));
            let total_seconds: f64 = runs.iter().map(|r| r.train_seconds).sum();
            let total_steps: u64 = runs.iter().map(|r| r.steps).sum();
            SummaryRow {
                hidden: hidden.to_vec(),
                optimizer: optimizer.to_string(),
                runs: runs.len(),
                rmse_mean: mean(&rmse),
                rmse_std: sample_std(&rmse),
                mae_mean: mean(&runs.iter().map(|r| r.test_mae).collect::<Vec<_>>()),
                epochs_mean: mean(&runs.iter().map(|r| r.epochs as f64).collect::<Vec<_>>()),
                train_seconds_mean: total_seconds / runs.len() as f64,
                steps_per_second: total_steps as f64 / total_seconds,
                change_vs_adam_pct: adam.as_ref().map(|a| 100.0 * (mean(&rmse) / mean(a) - 1.0)),
                welch_p: match &adam {
                    Some(a) if *optimizer != "adam" => welch_t_test(&rmse, a).map(|w| w.p),
                    _ => None,
                },
            }
        })
        .collect()
}

/// The hidden widths as the table shows them: `[64, 32]`.
///
/// ```
/// assert_eq!(caadam::experiment::arch_label(&[64, 32]), "[64, 32]");
/// ```
pub fn arch_label(hidden: &[usize]) -> String {
    format!("{hidden:?}")
}
