//! Markdown tables of the runs, and the statistics against the baseline.

use std::fmt::Write;

use caadam::stats::{mean, sample_std, welch_t_test};

use super::tasks::Task;
use super::train::RunResult;

/// Significance level of the "better"/"worse" marks.
const ALPHA: f64 = 0.05;

/// The runs of one optimizer on one task, one per seed.
pub struct Summary {
    /// Optimizer label.
    pub label: &'static str,
    /// Its learning rate.
    pub lr: f64,
    /// One result per seed, in seed order.
    pub runs: Vec<RunResult>,
}

impl Summary {
    /// Final held-out losses of the runs that did not diverge.
    pub fn finals(&self) -> Vec<f64> {
        self.runs.iter().filter_map(|r| r.final_loss).collect()
    }

    fn accuracies(&self) -> Vec<f64> {
        self.runs.iter().filter_map(|r| r.final_accuracy).collect()
    }

    fn diverged(&self) -> usize {
        self.runs.iter().filter(|r| r.final_loss.is_none()).count()
    }
}

/// Welch's test of this optimizer's final losses against the baseline's, when defined.
pub struct Comparison {
    /// Two-sided p-value.
    pub p: f64,
    /// Mean final loss relative to the baseline's, in percent (negative: lower loss).
    pub relative: f64,
}

/// Compares `row` with `baseline` (`None` when a side has fewer than two finite runs or
/// both have zero variance).
pub fn compare(row: &Summary, baseline: &Summary) -> Option<Comparison> {
    let (a, b) = (row.finals(), baseline.finals());
    let w = welch_t_test(&a, &b)?;
    Some(Comparison {
        p: w.p,
        relative: 100.0 * (mean(&a) / mean(&b) - 1.0),
    })
}

fn loss(x: f64) -> String {
    if x.abs() >= 1e-3 || x == 0.0 {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

/// A p-value with three decimals, or in scientific notation below 1e-3.
pub fn p_value(p: f64) -> String {
    if p >= 1e-3 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

fn final_cell(row: &Summary) -> String {
    let finals = row.finals();
    let diverged = row.diverged();
    if finals.is_empty() {
        return format!("diverged ({diverged}/{})", row.runs.len());
    }
    let mut cell = loss(mean(&finals));
    if finals.len() > 1 {
        cell += &format!(" ± {}", loss(sample_std(&finals)));
    }
    if diverged > 0 {
        cell += &format!(" ({diverged} diverged)");
    }
    cell
}

fn p_cell(row: &Summary, baseline: &Summary) -> String {
    if row.label == baseline.label {
        return "—".into();
    }
    match compare(row, baseline) {
        None => "n/a".into(),
        Some(c) if c.p < ALPHA && c.relative < 0.0 => format!("**{}** (better)", p_value(c.p)),
        Some(c) if c.p < ALPHA => format!("{} (worse)", p_value(c.p)),
        Some(c) => p_value(c.p),
    }
}

fn target_cell(row: &Summary) -> String {
    let reached: Vec<f64> = row
        .runs
        .iter()
        .filter_map(|r| r.steps_to_target.map(|s| s as f64))
        .collect();
    let of = format!("({}/{})", reached.len(), row.runs.len());
    if reached.is_empty() {
        format!("— {of}")
    } else {
        format!("{:.0} {of}", mean(&reached))
    }
}

/// The Markdown table of one task: one row per optimizer, `baseline` the t-tests' reference.
pub fn table(task: &Task, rows: &[Summary], baseline: &Summary) -> String {
    let classify = rows.iter().any(|r| !r.accuracies().is_empty());
    let mut out = String::new();
    let acc_head = if classify { " test acc |" } else { "" };
    let acc_rule = if classify { "---:|" } else { "" };
    let _ = writeln!(
        out,
        "| optimizer | lr | final test loss (mean ± std) |{acc_head} p vs {} (Welch) | \
         steps to loss ≤ {} (reached) | train s/run |",
        baseline.label, task.target
    );
    let _ = writeln!(out, "|---|---:|---:|{acc_rule}---:|---:|---:|");
    for row in rows {
        let acc = if classify {
            let a = row.accuracies();
            if a.is_empty() {
                " — |".to_string()
            } else {
                format!(" {:.3} |", mean(&a))
            }
        } else {
            String::new()
        };
        let seconds: Vec<f64> = row.runs.iter().map(|r| r.train_seconds).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |{acc} {} | {} | {:.2} |",
            row.label,
            row.lr,
            final_cell(row),
            p_cell(row, baseline),
            target_cell(row),
            mean(&seconds)
        );
    }
    out
}
