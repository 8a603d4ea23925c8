//! Command line (after `--`) and environment flags.

use std::env;

/// Usage text of `--help`.
pub const USAGE: &str = "\
optimizer_comparison: every optimizer of the zoo on three tasks, several seeds, a fixed budget.

cargo bench --bench optimizer_comparison -- [flags]

  --quick              a sixth of the steps and 3 seeds (under a minute on 2 cores)
  --seeds N            seeds per optimizer and task (default 5, or 3 with --quick)
  --seed S             first seed; runs use S, S+1, ..., S+N-1 (default 0)
  --tasks LIST         comma-separated subset of housing,spirals,deep (default all)
  --optimizers LIST    comma-separated subset of the zoo's labels (default all; adam is
                       always run, as the baseline of the t-tests)
  --help               this text

Environment: CAADAM_CMP_QUICK=1 and CAADAM_CMP_SEEDS=N set the defaults of --quick and
--seeds; CAADAM_DATA_HOME is where California housing is read from.
Unknown flags (such as the --bench that cargo passes) are ignored.";

/// The parsed flags.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    /// `--quick`.
    pub quick: bool,
    /// Seeds per optimizer and task.
    pub seeds: usize,
    /// First seed.
    pub first_seed: u64,
    /// Task names to run (`None` for all).
    pub tasks: Option<Vec<String>>,
    /// Optimizer labels to run (`None` for all).
    pub optimizers: Option<Vec<String>>,
    /// `--help`.
    pub help: bool,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a valid number"))
}

impl Args {
    /// Parses `args` (without the program name), with defaults from the environment.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let env_quick = env::var("CAADAM_CMP_QUICK").is_ok_and(|v| v == "1" || v == "true");
        let env_seeds = env::var("CAADAM_CMP_SEEDS").ok();
        let mut quick = env_quick;
        let mut seeds: Option<usize> = env_seeds
            .map(|s| number("CAADAM_CMP_SEEDS", Some(s)))
            .transpose()?;
        let mut parsed = Args {
            quick: false,
            seeds: 0,
            first_seed: 0,
            tasks: None,
            optimizers: None,
            help: false,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            // Accept both `--flag value` and `--flag=value`.
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_string(), Some(v.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| args.next());
            match flag.as_str() {
                "--quick" => quick = true,
                "--seeds" => seeds = Some(number("--seeds", value())?),
                "--seed" => parsed.first_seed = number("--seed", value())?,
                "--tasks" => parsed.tasks = Some(list(&value().unwrap_or_default())),
                "--optimizers" => parsed.optimizers = Some(list(&value().unwrap_or_default())),
                "--help" | "-h" => parsed.help = true,
                // cargo bench passes --bench; anything else unknown is ignored as well.
                _ => {}
            }
        }
        parsed.quick = quick;
        parsed.seeds = seeds.unwrap_or(if quick { 3 } else { 5 });
        if parsed.seeds == 0 {
            return Err("--seeds must be at least 1".into());
        }
        Ok(parsed)
    }

    /// Whether the task called `name` is selected.
    pub fn wants_task(&self, name: &str) -> bool {
        self.tasks
            .as_ref()
            .is_none_or(|t| t.iter().any(|n| n == name))
    }

    /// Whether the optimizer labelled `label` is selected (the baseline always is).
    pub fn wants_optimizer(&self, label: &str, baseline: &str) -> bool {
        label == baseline
            || self
                .optimizers
                .as_ref()
                .is_none_or(|o| o.iter().any(|n| n == label))
    }
}
