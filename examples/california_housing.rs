//! CaAdam against Adam (and the zoo) on California housing, with the paper's protocol.
//!
//! `cargo run --release --example california_housing -- --help` for the flags. The protocol
//! lives in `caadam::experiment` and `caadam::train`; this file is the command line, the
//! printing and the plots.

#[path = "california_housing/cli.rs"]
mod cli;
#[path = "california_housing/plots.rs"]
mod plots;
#[path = "california_housing/progress.rs"]
mod progress;

use std::fs;
use std::process::ExitCode;
use std::time::Instant;

use caadam::experiment::{
    arch_label, caadam_scales, rows_for, run_experiment, scales_text, summarize, summary_table,
    write_report_md, write_results_json, write_summary_csv, RunRecord, Splits,
};
use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &cli::Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = args.experiment()?;
    // The whole experiment runs inside the pool (`install` below), not on the main thread:
    // every parallel operation of a step (the large matrix products, the optimizer step)
    // then starts on one of the pool's threads instead of being handed over from outside
    // and waited for, which cost about a tenth of a [1024, 256, 64, 16] step (measured on 1
    // and 2 threads).
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        pool = pool.num_threads(threads);
    }
    let pool = pool.build()?;
    let started = Instant::now();
    let data = caadam::data::california_housing().map_err(caadam::Error::from)?;
    let splits = Splits::paper(&data, config.seed);
    println!(
        "California housing: {} rows; train {}, validation {}, test {} (standardized). {} thread(s).",
        data.n,
        splits.train.n,
        splits.val.n,
        splits.test.n,
        pool.current_num_threads()
    );

    let mut bars = progress::Bars::default();
    let records = pool.install(|| run_experiment(&config, &splits, &mut bars))?;
    let rows = summarize(&records);
    let scales = caadam_scales(&config, splits.train.d)?;
    for hidden in &config.architectures {
        println!(
            "\n{}\n\n{}",
            arch_label(hidden),
            summary_table(&rows_for(&rows, hidden))
        );
        let arch_scales: Vec<_> = scales
            .iter()
            .filter(|r| &r.hidden == hidden)
            .cloned()
            .collect();
        if !arch_scales.is_empty() {
            println!("CaAdam's S:\n{}", scales_text(&arch_scales));
        }
    }

    fs::create_dir_all(&args.out).map_err(|e| caadam::Error::io(&args.out, e))?;
    let mut plot_files = Vec::new();
    for hidden in &config.architectures {
        let groups = by_optimizer(&records, hidden);
        let tag = hidden
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("-");
        let label = arch_label(hidden);
        if config.fixed_epochs.is_none() {
            let name = format!("val_loss_{tag}.svg");
            plots::validation_loss(
                &args.out.join(&name),
                &format!("Validation loss, {label}"),
                &groups,
            )?;
            plot_files.push(name);
        }
        let name = format!("test_rmse_{tag}.svg");
        plots::test_rmse(
            &args.out.join(&name),
            &format!("Test RMSE per run, {label}"),
            &groups,
        )?;
        plot_files.push(name);
    }
    let plot_refs: Vec<&str> = plot_files.iter().map(String::as_str).collect();
    let written = [
        write_results_json(&args.out, &records)?,
        write_summary_csv(&args.out, &rows)?,
        write_report_md(&args.out, &config, &rows, &scales, &plot_refs)?,
    ];
    println!(
        "Wrote {} and {} plot(s) in {}.",
        written.map(|p| p.display().to_string()).join(", "),
        plot_files.len(),
        args.out.display()
    );
    println!("Wall time {:.1}s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// The runs of one architecture, grouped by optimizer in run order.
fn by_optimizer<'r>(
    records: &'r [RunRecord],
    hidden: &[usize],
) -> Vec<(String, Vec<&'r RunRecord>)> {
    let mut groups: Vec<(String, Vec<&RunRecord>)> = Vec::new();
    for r in records.iter().filter(|r| r.hidden == hidden) {
        match groups.iter_mut().find(|(name, _)| *name == r.optimizer) {
            Some((_, runs)) => runs.push(r),
            None => groups.push((r.optimizer.clone(), vec![r])),
        }
    }
    groups
}
