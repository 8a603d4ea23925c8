//! The optimizer comparison (issue 6): every optimizer of the zoo, on three tasks, over
//! several seeds, with a fixed budget; a Markdown table per task.
//!
//! ```text
//! CAADAM_DATA_HOME=../shared/data cargo bench --bench optimizer_comparison            # ~5 min on 2 cores
//! CAADAM_DATA_HOME=../shared/data cargo bench --bench optimizer_comparison -- --quick  # ~30 s
//! cargo bench --bench optimizer_comparison -- --help
//! ```
//!
//! Tasks (see `tasks.rs`): California housing regression ([8, 64, 32, 1] ReLU, the paper's
//! smallest network), two-spirals classification ([2, 32, 32, 1] tanh, BCE with logits),
//! and a deep narrow regression against a random teacher, whose leaky-ReLU student
//! [16, 128, 8, 8, 8, 128, 1] has connection counts varying 32x across layers, so that
//! CaAdam's per-layer factors range from 0.05 to 1.95.
//!
//! Optimizers and learning rates: see `zoo.rs` (1e-3 for the Adam family and CaAdam, 1e-2
//! for SGD, Adagrad and RMSprop, 1.0 for Adadelta; torch defaults otherwise), plus two
//! controls, Adam at 1.95x and 5x the learning rate: Keras-reference CaAdam is close to a
//! uniform learning-rate multiplier of about that size (its factors are printed per task).
//!
//! Protocol: for each task and seed, every optimizer starts from the same initial weights
//! and sees the same batch order (both drawn from the seed); the data is fixed per task.
//! Each run takes the task's fixed number of steps; the held-out loss is measured every 50
//! steps. Reported: the final held-out loss (mean ± sample std over seeds), Welch's t-test
//! of the final losses against Adam, the mean step count at which the held-out loss first
//! reached the task's target (over the seeds that reached it, on the 50-step grid), and the
//! mean wall time of the training steps per run (evaluation excluded). Runs are sequential
//! and single-model, so all numbers except the wall times are identical for the same flags.

// A bench's root file is its crate root, so its submodules are looked up beside it in
// benches/; the paths put them in their own directory.
#[path = "optimizer_comparison/args.rs"]
mod args;
#[path = "optimizer_comparison/report.rs"]
mod report;
#[path = "optimizer_comparison/tasks.rs"]
mod tasks;
#[path = "optimizer_comparison/train.rs"]
mod train;
#[path = "optimizer_comparison/zoo.rs"]
mod zoo;

use std::io::Write as _;
use std::time::Instant;

use caadam::nn::{Init, Mlp};
use caadam::optim::{CaAdam, Mode};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use args::{Args, USAGE};
use report::{compare, p_value, table, Summary};
use tasks::{Budget, Task};
use zoo::{zoo, Entry, ADADELTA_LR, ADAM_FAMILY_LR, BASELINE, CONTROLS, OTHER_LR};

/// CaAdam's factors S for the task's network, one line per CaAdam entry.
fn scales_text(task: &Task, entries: &[Entry]) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (_, params) = Mlp::new(&task.sizes, task.activation, Init::GlorotUniform, &mut rng);
    let mut out = String::new();
    for entry in entries {
        let Some(config) = entry.caadam() else {
            continue;
        };
        let opt = CaAdam::new(config.clone(), params.layout()).expect("valid CaAdam config");
        let (what, scales) = match config.mode {
            Mode::PerLayer => ("per layer", opt.layer_scales()),
            Mode::KerasReference => ("per tensor W0, b0, W1, ...", opt.segment_scales()),
        };
        let list: Vec<String> = scales.iter().map(|s| format!("{s:.3}")).collect();
        out += &format!("- {} S ({what}): [{}]\n", entry.label, list.join(", "));
    }
    out
}

/// One cell of the summary: `row` against `reference` (`—` against itself).
fn verdict(row: &Summary, reference: Option<&Summary>) -> String {
    let Some(reference) = reference else {
        return "not run".into();
    };
    if reference.label == row.label {
        return "—".into();
    }
    match compare(row, reference) {
        Some(c) => format!("{:+.1}% (p = {})", c.relative, p_value(c.p)),
        None => "n/a".into(),
    }
}

/// Runs every selected optimizer on `task`; the baseline's summary is the returned index.
fn run_task(task: &Task, entries: &[Entry], args: &Args) -> (Vec<Summary>, usize) {
    let mut summaries = Vec::new();
    for entry in entries {
        let started = Instant::now();
        let runs = (0..args.seeds as u64)
            .map(|i| train::run(task, &entry.config, args.first_seed + i))
            .collect();
        eprintln!(
            "  {:<8} {:<17} {} seeds in {:.1}s",
            task.name,
            entry.label,
            args.seeds,
            started.elapsed().as_secs_f64()
        );
        summaries.push(Summary {
            label: entry.label,
            lr: entry.config.learning_rate(),
            runs,
        });
    }
    let baseline = summaries
        .iter()
        .position(|s| s.label == BASELINE)
        .expect("the baseline is always run");
    (summaries, baseline)
}

fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("optimizer_comparison: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return;
    }
    let budget = if args.quick {
        Budget::Quick
    } else {
        Budget::Full
    };
    let all = zoo();
    let known_tasks = ["housing", "spirals", "deep"];
    let unknown: Vec<&String> = (args.optimizers.iter().flatten())
        .filter(|n| !all.iter().any(|e| e.label == n.as_str()))
        .chain((args.tasks.iter().flatten()).filter(|n| !known_tasks.contains(&n.as_str())))
        .collect();
    if !unknown.is_empty() {
        eprintln!("optimizer_comparison: unknown task or optimizer {unknown:?}\n\n{USAGE}");
        std::process::exit(2);
    }
    let entries: Vec<Entry> = all
        .into_iter()
        .filter(|e| args.wants_optimizer(e.label, BASELINE))
        .collect();
    let started = Instant::now();

    let mut tasks = Vec::new();
    if args.wants_task("housing") {
        match tasks::housing(budget) {
            Ok(t) => tasks.push(t),
            Err(e) => eprintln!(
                "optimizer_comparison: skipping California housing ({e}); set CAADAM_DATA_HOME \
                 to the directory holding cal_housing.data"
            ),
        }
    }
    if args.wants_task("spirals") {
        tasks.push(tasks::spirals(budget));
    }
    if args.wants_task("deep") {
        tasks.push(tasks::deep_narrow(budget));
    }

    println!("# Optimizer comparison\n");
    println!(
        "{} mode, {} seeds ({}..={}), {} optimizers. Learning rates: {ADAM_FAMILY_LR} for the \
         Adam family and CaAdam, {OTHER_LR} for SGD, Adagrad and RMSprop, {ADADELTA_LR} for \
         Adadelta (adam-x1.95 and adam-x5: Adam at 1.95x and 5x its rate, controls for a \
         larger step); other hyperparameters torch's defaults; CaAdam gamma 0.95 per layer, \
         the authors' package defaults (0.95, 5, 1) in Keras-reference mode. Same initial \
         weights and batch order for every optimizer at a given seed. p: Welch's two-sided t-test of the final \
         test losses against {BASELINE} (bold: lower loss at p < 0.05). Steps to target: mean \
         over the seeds that reached it, measured every 50 steps.\n",
        if args.quick { "Quick" } else { "Full" },
        args.seeds,
        args.first_seed,
        args.first_seed + args.seeds as u64 - 1,
        entries.len()
    );
    // The runs train inside the pool, as the example does: a step's parallel work (the two
    // halves of a batch) then starts on a pool thread instead of being handed to the pool
    // from this one, step after step.
    let pool = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("a rayon thread pool");
    let mut verdicts = Vec::new();
    for task in &tasks {
        eprintln!("{}:", task.title);
        let (summaries, b) = pool.install(|| run_task(task, &entries, &args));
        println!("## {}\n\n{}\n", task.title, task.description);
        print!("{}", scales_text(task, &entries));
        println!("\n{}", table(task, &summaries, &summaries[b]));
        let by_label = |label: &str| summaries.iter().find(|s| s.label == label);
        let references = [
            Some(&summaries[b]),
            by_label(CONTROLS[0].0),
            by_label(CONTROLS[1].0),
        ];
        let compared =
            |s: &&Summary| s.label.starts_with("caadam") || s.label.starts_with("adam-x");
        for row in summaries.iter().filter(compared) {
            let cells: Vec<String> = references
                .iter()
                .map(|reference| verdict(row, *reference))
                .collect();
            verdicts.push(format!(
                "| {} | {} | {} |",
                task.name,
                row.label,
                cells.join(" | ")
            ));
        }
        let _ = std::io::stdout().flush();
    }
    if !verdicts.is_empty() {
        println!(
            "## CaAdam against Adam and the larger-step controls\n\nFinal test loss relative to \
             the reference's mean (negative: lower loss), Welch's p.\n"
        );
        println!(
            "| task | optimizer | vs adam | vs adam-x1.95 | vs adam-x5 |\n|---|---|---:|---:|---:|"
        );
        for v in &verdicts {
            println!("{v}");
        }
        println!();
    }
    eprintln!(
        "optimizer_comparison: total {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
