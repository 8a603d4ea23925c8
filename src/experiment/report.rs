//! The comparison's outputs: `results.json`, `summary.csv`, `report.md`, and the text table.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{arch_label, initial_model, ExperimentConfig, RunRecord, SummaryRow};
use crate::Error;

/// CaAdam's factors S for one architecture and one CaAdam variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleRow {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Optimizer name (`caadam-add`, `caadam-ref-mul`, ...).
    pub optimizer: String,
    /// `(label, S)`: per layer, or per tensor in Keras-reference mode.
    pub scales: Vec<(String, f32)>,
}

/// S for every CaAdam variant of `config` on every architecture, with `inputs` features.
///
/// ```
/// use caadam::experiment::{caadam_scales, ExperimentConfig, OptimizerSpec};
/// let config = ExperimentConfig {
///     optimizers: OptimizerSpec::parse_list("adam,caadam-add").unwrap(), ..Default::default() };
/// let rows = caadam_scales(&config, 8).unwrap();
/// // [8,64,32,1]: connections 512, 2048, 32; median 512, so S = 1, 1 - 0.95, 1 + 0.95.
/// let s: Vec<f32> = rows[0].scales.iter().map(|(_, s)| *s).collect();
/// assert_eq!(s, [1.0, 0.05, 1.95]);
/// ```
pub fn caadam_scales(config: &ExperimentConfig, inputs: usize) -> Result<Vec<ScaleRow>, Error> {
    let mut rows = Vec::new();
    for hidden in &config.architectures {
        let (_, params) = initial_model(inputs, hidden, config.seed);
        for spec in &config.optimizers {
            if let Some(scales) = spec.scales(&config.gammas, params.layout())? {
                rows.push(ScaleRow {
                    hidden: hidden.clone(),
                    optimizer: spec.to_string(),
                    scales,
                });
            }
        }
    }
    Ok(rows)
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "-".to_string(), f)
}

fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// The comparison table of one architecture, as Markdown (readable in a terminal too).
///
/// ```
/// use caadam::experiment::{summary_table, SummaryRow};
/// let row = SummaryRow { hidden: vec![4], optimizer: "adam".into(), runs: 2, rmse_mean: 0.5,
///     rmse_std: 0.01, mae_mean: 0.3, epochs_mean: 40.0, train_seconds_mean: 1.0,
///     steps_per_second: 1000.0, change_vs_adam_pct: Some(0.0), welch_p: None };
/// let table = summary_table(&[row]);
/// assert!(table.contains("| adam | 2 | 0.5000 | 0.0100 | 0.3000 | 40.0 | 1.00 | 1000 | +0.00 | - |"));
/// ```
pub fn summary_table(rows: &[SummaryRow]) -> String {
    let mut s = String::from(
        "| optimizer | runs | test RMSE | std | test MAE | epochs | train s | steps/s | vs Adam % | Welch p |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.4} | {} | {:.4} | {:.1} | {:.2} | {:.0} | {} | {} |",
            r.optimizer,
            r.runs,
            r.rmse_mean,
            fmt_opt(Some(r.rmse_std), |x| format!("{x:.4}")),
            r.mae_mean,
            r.epochs_mean,
            r.train_seconds_mean,
            r.steps_per_second,
            fmt_opt(r.change_vs_adam_pct, |x| format!("{x:+.2}")),
            fmt_opt(r.welch_p, fmt_p),
        );
    }
    s
}

/// CaAdam's S as text lines, one per variant.
///
/// ```
/// use caadam::experiment::{scales_text, ScaleRow};
/// let row = ScaleRow { hidden: vec![4], optimizer: "caadam-add".into(), scales: vec![("layer 0".into(), 1.95)] };
/// assert_eq!(scales_text(&[row]), "caadam-add: layer 0 1.9500\n");
/// ```
pub fn scales_text(rows: &[ScaleRow]) -> String {
    let mut s = String::new();
    for r in rows {
        let parts: Vec<String> = r
            .scales
            .iter()
            .map(|(label, v)| format!("{label} {v:.4}"))
            .collect();
        let _ = writeln!(s, "{}: {}", r.optimizer, parts.join(", "));
    }
    s
}

/// The rows of one architecture, in order.
///
/// ```
/// assert!(caadam::experiment::rows_for(&[], &[64, 32]).is_empty());
/// ```
pub fn rows_for(rows: &[SummaryRow], hidden: &[usize]) -> Vec<SummaryRow> {
    rows.iter()
        .filter(|r| r.hidden == hidden)
        .cloned()
        .collect()
}

fn write(path: PathBuf, contents: &[u8]) -> Result<PathBuf, Error> {
    fs::write(&path, contents).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// `results.json`: `{"runs": [...]}`, one record per run.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = caadam::experiment::write_results_json(dir.path(), &[]).unwrap();
/// assert_eq!(std::fs::read_to_string(path).unwrap(), "{\n  \"runs\": []\n}");
/// ```
pub fn write_results_json(dir: &Path, records: &[RunRecord]) -> Result<PathBuf, Error> {
    #[derive(Serialize)]
    struct Results<'a> {
        runs: &'a [RunRecord],
    }
    let json =
        serde_json::to_vec_pretty(&Results { runs: records }).expect("run records serialize");
    write(dir.join("results.json"), &json)
}

/// `summary.csv`: one line per (architecture, optimizer); empty cells where a value does
/// not exist.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = caadam::experiment::write_summary_csv(dir.path(), &[]).unwrap();
/// assert!(std::fs::read_to_string(path).unwrap().starts_with("hidden,optimizer,runs,"));
/// ```
pub fn write_summary_csv(dir: &Path, rows: &[SummaryRow]) -> Result<PathBuf, Error> {
    let path = dir.join("summary.csv");
    let io = |e: csv::Error| Error::io(&path, std::io::Error::other(e));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "hidden",
        "optimizer",
        "runs",
        "rmse_mean",
        "rmse_std",
        "mae_mean",
        "epochs_mean",
        "train_seconds_mean",
        "steps_per_second",
        "change_vs_adam_pct",
        "welch_p",
    ])
    .map_err(io)?;
    let num = |v: f64| {
        if v.is_finite() {
            v.to_string()
        } else {
            String::new()
        }
    };
    for r in rows {
        let hidden: Vec<String> = r.hidden.iter().map(usize::to_string).collect();
        w.write_record([
            hidden.join("-"),
            r.optimizer.clone(),
            r.runs.to_string(),
            num(r.rmse_mean),
            num(r.rmse_std),
            num(r.mae_mean),
            num(r.epochs_mean),
            num(r.train_seconds_mean),
            num(r.steps_per_second),
            r.change_vs_adam_pct.map_or_else(String::new, num),
            r.welch_p.map_or_else(String::new, num),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::io(&path, std::io::Error::other(e.to_string())))?;
    write(path, &bytes)
}

/// `report.md`: the settings, one table per architecture, CaAdam's S, and `plots` (SVG file
/// names in the same directory) as images.
///
/// ```
/// use caadam::experiment::{write_report_md, ExperimentConfig};
/// let dir = tempfile::tempdir().unwrap();
/// let path = write_report_md(dir.path(), &ExperimentConfig::default(), &[], &[], &["x.svg"]).unwrap();
/// assert!(std::fs::read_to_string(path).unwrap().contains("![x.svg](x.svg)"));
/// ```
pub fn write_report_md(
    dir: &Path,
    config: &ExperimentConfig,
    rows: &[SummaryRow],
    scales: &[ScaleRow],
    plots: &[&str],
) -> Result<PathBuf, Error> {
    let mut s = String::from("# California housing: optimizer comparison\n\n");
    let names: Vec<String> = config.optimizers.iter().map(|o| o.to_string()).collect();
    let epochs = match config.fixed_epochs {
        Some(n) => format!("exactly {n} epochs, no validation, no callbacks"),
        None => format!(
            "up to {} epochs, early stopping (patience 25 from epoch 12, best weights restored), \
             reduce-on-plateau (factor 0.25, patience 8, min lr 2.5e-5)",
            config.max_epochs
        ),
    };
    let _ = writeln!(
        s,
        "Optimizers: {}. Runs: {}. Batch {}, lr {}, seed {}; {epochs}.\n\n\
         Standardized X and y (fitted on the training part), 80/20 train/test, the last 20% of \
         train as validation; one initial weight set per architecture for every optimizer and \
         run; runs differ by batch order. RMSE and MAE are in standardized units. \"vs Adam\" is \
         the change of mean RMSE against Adam (negative is better); the p-value is Welch's \
         two-sided t-test on the runs' RMSEs.\n",
        names.join(", "),
        config.runs,
        config.batch_size,
        config.lr,
        config.seed,
    );
    for hidden in &config.architectures {
        let _ = writeln!(
            s,
            "## {}\n\n{}",
            arch_label(hidden),
            summary_table(&rows_for(rows, hidden))
        );
        let arch_scales: Vec<ScaleRow> = scales
            .iter()
            .filter(|r| &r.hidden == hidden)
            .cloned()
            .collect();
        if !arch_scales.is_empty() {
            let _ = writeln!(s, "CaAdam's S:\n\n```\n{}```\n", scales_text(&arch_scales));
        }
    }
    for plot in plots {
        let _ = writeln!(s, "![{plot}]({plot})\n");
    }
    write(dir.join("report.md"), s.as_bytes())
}
