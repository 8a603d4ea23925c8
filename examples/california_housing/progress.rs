//! One indicatif progress bar per run.

use caadam::experiment::{arch_label, Observer, OptimizerSpec, RunRecord};
use caadam::train::EpochEnd;
use indicatif::{ProgressBar, ProgressStyle};

/// Draws a bar for the current run and leaves a one-line summary when it ends.
#[derive(Default)]
pub struct Bars {
    bar: Option<ProgressBar>,
}

impl Observer for Bars {
    fn run_started(
        &mut self,
        hidden: &[usize],
        spec: OptimizerSpec,
        run: usize,
        max_epochs: usize,
    ) {
        let bar = ProgressBar::new(max_epochs as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix:<34} {bar:24} {pos:>4}/{len} ep {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{} {spec} run {run}", arch_label(hidden)));
        self.bar = Some(bar);
    }

    fn epoch_ended(&mut self, e: &EpochEnd) {
        if let Some(bar) = &self.bar {
            bar.set_position(e.epoch as u64 + 1);
            if let Some(loss) = e.val_loss {
                bar.set_message(format!("val {loss:.4} lr {:.1e}", e.learning_rate));
            }
        }
    }

    fn run_finished(&mut self, r: &RunRecord) {
        if let Some(bar) = self.bar.take() {
            bar.set_length(r.epochs as u64);
            bar.finish_with_message(format!(
                "test RMSE {:.4} MAE {:.4} in {:.1}s",
                r.test_rmse, r.test_mae, r.train_seconds
            ));
        }
    }
}
