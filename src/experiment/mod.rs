//! The paper's comparison on California housing, as library code: the data protocol, the
//! optimizers by name, the runs, the statistics against Adam and the output files. The
//! `california_housing` example is a thin command line over this module.

mod report;
mod run;
mod spec;
mod splits;
mod summary;

pub use report::{
    caadam_scales, rows_for, scales_text, summary_table, write_report_md, write_results_json,
    write_summary_csv, ScaleRow,
};
pub use run::{
    initial_model, run_experiment, run_one, ExperimentConfig, NoObserver, Observer, RunRecord,
    PAPER_ARCHITECTURES,
};
pub use spec::{Gammas, OptimizerSpec};
pub use splits::Splits;
pub use summary::{arch_label, summarize, SummaryRow};
