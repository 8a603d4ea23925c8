//! Command-line flags of the example, turned into the library's `ExperimentConfig`.

use std::path::PathBuf;

use caadam::experiment::{ExperimentConfig, Gammas, OptimizerSpec, PAPER_ARCHITECTURES};
use clap::Parser;

/// The default comparison: the paper's smallest network ([64, 32], the default --hidden),
/// Adam against the three CaAdam strategies per layer, the authors' multiplicative
/// reference and the matching x5 Adam control, 3 runs each under the full protocol. On
/// [64, 32] early stopping ends runs after about 100 to 450 epochs (about 10 ms each in
/// release), so the 18 runs take well under a minute on two cores and the paper's
/// 1000-epoch cap never binds in practice; it is kept so that the numbers are the protocol's.
pub const DEFAULT_OPTIMIZERS: &str =
    "adam,caadam-add,caadam-mul,caadam-depth,caadam-ref-mul,adam-x5";

/// CaAdam against Adam on California housing, with the paper's protocol (Genet &
/// Inzirillo, arXiv 2410.24216).
///
/// Standardized X and y, 80/20 train/test, the last 20% of train as validation, early
/// stopping (patience 25 from epoch 12, best weights restored), reduce-on-plateau (factor
/// 0.25, patience 8, min lr 2.5e-5), one initial weight set per architecture. Set
/// CAADAM_DATA_HOME to the directory holding cal_housing.data, or let it be downloaded.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Args {
    /// Comma list from: sgd, adam, adamw, nadam, adamax, caadam-add, caadam-mul,
    /// caadam-depth, caadam-ref-add, caadam-ref-mul, caadam-ref-depth, adam-x1.95, adam-x5.
    #[arg(long, default_value = DEFAULT_OPTIMIZERS)]
    pub optimizers: String,

    /// CaAdam's gamma, per strategy: `add=0.9,ref-mul=5`, or a bare number for every
    /// per-layer strategy. Defaults: 0.95 per layer; 0.95, 5.0, 1.0 for ref-add, ref-mul,
    /// ref-depth (the authors' package). Repeatable.
    #[arg(long)]
    pub gamma: Vec<String>,

    /// Hidden layer widths of one architecture, e.g. `64,32`. Repeatable. Default 64,32.
    #[arg(long, value_parser = parse_hidden)]
    pub hidden: Vec<Hidden>,

    /// All six architectures of the paper (added to any --hidden).
    #[arg(long)]
    pub paper_archs: bool,

    /// Runs per optimizer and architecture (runs differ by batch order).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,

    /// Epoch limit under early stopping (the paper's 1000; early stopping usually ends a
    /// run long before).
    #[arg(long, default_value_t = 1000)]
    pub max_epochs: usize,

    /// Exactly N epochs with no callbacks and no validation pass (speed runs).
    #[arg(long, value_name = "N")]
    pub fixed_epochs: Option<usize>,

    /// Mini-batch size.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,

    /// Base learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,

    /// Seed of the test split, the initial weights and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Threads of the rayon pool (default: rayon's choice, one per core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Output directory for results.json, summary.csv, report.md and the plots.
    #[arg(long, default_value = "target/california_housing")]
    pub out: PathBuf,
}

/// One `--hidden` value.
#[derive(Clone, Debug)]
pub struct Hidden(pub Vec<usize>);

fn parse_hidden(s: &str) -> Result<Hidden, String> {
    let widths: Result<Vec<usize>, _> = s.split(',').map(|w| w.trim().parse::<usize>()).collect();
    match widths {
        Ok(w) if !w.is_empty() && w.iter().all(|&n| n > 0) => Ok(Hidden(w)),
        _ => Err(format!(
            "`{s}` is not a comma list of positive widths such as 64,32"
        )),
    }
}

impl Args {
    /// The experiment these flags ask for.
    pub fn experiment(&self) -> Result<ExperimentConfig, caadam::Error> {
        let mut gammas = Gammas::default();
        for g in &self.gamma {
            gammas.apply(g)?;
        }
        let mut architectures: Vec<Vec<usize>> = self.hidden.iter().map(|h| h.0.clone()).collect();
        if self.paper_archs {
            for arch in PAPER_ARCHITECTURES {
                if !architectures.iter().any(|a| a == arch) {
                    architectures.push(arch.to_vec());
                }
            }
        }
        if architectures.is_empty() {
            architectures.push(vec![64, 32]);
        }
        if self.runs == 0
            || self.batch_size == 0
            || self.max_epochs == 0
            || self.fixed_epochs == Some(0)
        {
            return Err(caadam::Error::Spec(
                "--runs, --batch-size, --max-epochs and --fixed-epochs must be positive".into(),
            ));
        }
        Ok(ExperimentConfig {
            architectures,
            optimizers: OptimizerSpec::parse_list(&self.optimizers)?,
            runs: self.runs,
            max_epochs: self.max_epochs,
            fixed_epochs: self.fixed_epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            seed: self.seed,
            gammas,
        })
    }
}
