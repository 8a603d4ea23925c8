//! The optimizers the comparison can run, by name, and how each is built.

use std::fmt;
use std::str::FromStr;

use caadam_nn::ParamLayout;
use caadam_optim::{
    AdamConfig, CaAdam, CaAdamConfig, Mode, Optimizer, OptimizerConfig, SgdConfig, Strategy,
};

use crate::Error;

/// One entry of `--optimizers`.
///
/// Names: `sgd` (momentum 0.9), `adam`, `adamw`, `nadam`, `adamax` (torch defaults),
/// `caadam-add`, `caadam-mul`, `caadam-depth` (CaAdam per layer, the method),
/// `caadam-ref-add`, `caadam-ref-mul`, `caadam-ref-depth` (CaAdam as the authors' Keras
/// package computes it), and `adam-x<F>` (Adam with the learning rate multiplied by `F`,
/// e.g. `adam-x1.95`, `adam-x5`: the control for "CaAdam is only a larger step").
///
/// ```
/// use caadam::experiment::OptimizerSpec;
/// let specs = OptimizerSpec::parse_list("adam, caadam-ref-mul,adam-x1.95").unwrap();
/// assert_eq!(specs[2], OptimizerSpec::ScaledAdam(1.95));
/// assert_eq!(specs.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
///            ["adam", "caadam-ref-mul", "adam-x1.95"]);
/// assert!(OptimizerSpec::parse_list("lion").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerSpec {
    /// SGD with momentum 0.9 (plain SGD at lr 1e-3 barely moves in the epoch budget).
    Sgd,
    /// Adam, torch defaults.
    Adam,
    /// AdamW, torch defaults (weight decay 0.01).
    AdamW,
    /// NAdam, torch defaults.
    NAdam,
    /// Adamax, torch defaults.
    Adamax,
    /// CaAdam with a strategy and a mode.
    CaAdam(Strategy, Mode),
    /// Adam with its learning rate multiplied by the factor.
    ScaledAdam(f64),
}

impl OptimizerSpec {
    /// Parses a comma-separated list; names are trimmed and may not repeat.
    ///
    /// ```
    /// let specs = caadam::experiment::OptimizerSpec::parse_list("adam,caadam-add").unwrap();
    /// assert_eq!(specs.len(), 2);
    /// assert!(caadam::experiment::OptimizerSpec::parse_list("adam,adam").is_err());
    /// ```
    pub fn parse_list(list: &str) -> Result<Vec<Self>, Error> {
        let mut specs: Vec<Self> = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let spec: Self = name.parse()?;
            if specs.contains(&spec) {
                return Err(Error::Spec(format!("optimizer `{name}` is listed twice")));
            }
            specs.push(spec);
        }
        if specs.is_empty() {
            return Err(Error::Spec("the optimizer list is empty".into()));
        }
        Ok(specs)
    }

    /// The CaAdam strategy and mode, for CaAdam entries.
    ///
    /// ```
    /// use caadam::experiment::OptimizerSpec;
    /// use caadam_optim::{Mode, Strategy};
    /// let s: OptimizerSpec = "caadam-ref-depth".parse().unwrap();
    /// assert_eq!(s.caadam(), Some((Strategy::Depth, Mode::KerasReference)));
    /// assert_eq!(OptimizerSpec::Adam.caadam(), None);
    /// ```
    pub fn caadam(&self) -> Option<(Strategy, Mode)> {
        match *self {
            OptimizerSpec::CaAdam(strategy, mode) => Some((strategy, mode)),
            _ => None,
        }
    }

    /// Builds the optimizer for `layout` at base learning rate `lr`.
    ///
    /// ```
    /// use caadam::experiment::{Gammas, OptimizerSpec};
    /// let layout = caadam_nn::ParamLayout::flat("w", 4);
    /// let opt = OptimizerSpec::ScaledAdam(5.0).build(1e-3, &Gammas::default(), &layout).unwrap();
    /// assert_eq!((opt.name(), opt.learning_rate()), ("adam", 5e-3));
    /// ```
    pub fn build(
        &self,
        lr: f64,
        gammas: &Gammas,
        layout: &ParamLayout,
    ) -> Result<Box<dyn Optimizer>, Error> {
        let config = match *self {
            OptimizerSpec::Sgd => OptimizerConfig::Sgd(SgdConfig {
                lr,
                momentum: 0.9,
                ..Default::default()
            }),
            OptimizerSpec::Adam => OptimizerConfig::default_for("adam")?.with_learning_rate(lr),
            OptimizerSpec::AdamW => OptimizerConfig::default_for("adamw")?.with_learning_rate(lr),
            OptimizerSpec::NAdam => OptimizerConfig::default_for("nadam")?.with_learning_rate(lr),
            OptimizerSpec::Adamax => OptimizerConfig::default_for("adamax")?.with_learning_rate(lr),
            OptimizerSpec::ScaledAdam(factor) => OptimizerConfig::Adam(AdamConfig {
                lr: lr * factor,
                ..Default::default()
            }),
            OptimizerSpec::CaAdam(strategy, mode) => {
                OptimizerConfig::CaAdam(caadam_config(lr, strategy, mode, gammas))
            }
        };
        Ok(config.build(layout)?)
    }

    /// CaAdam's factors S for `layout`, labelled: one per layer in per-layer mode
    /// (`layer 0`, ...), one per tensor in Keras-reference mode (`layers.0.weight`, ...),
    /// where a layer's weight and bias differ. `None` for other optimizers.
    ///
    /// ```
    /// use caadam::experiment::{Gammas, OptimizerSpec};
    /// let layout = caadam_nn::ParamLayout::flat("w", 4);
    /// let s = OptimizerSpec::CaAdam(caadam_optim::Strategy::Additive, caadam_optim::Mode::PerLayer)
    ///     .scales(&Gammas::default(), &layout).unwrap().unwrap();
    /// assert_eq!(s, vec![("layer 0".to_string(), 1.0)]);
    /// ```
    pub fn scales(
        &self,
        gammas: &Gammas,
        layout: &ParamLayout,
    ) -> Result<Option<Vec<(String, f32)>>, Error> {
        let Some((strategy, mode)) = self.caadam() else {
            return Ok(None);
        };
        let opt = CaAdam::new(caadam_config(1e-3, strategy, mode, gammas), layout)?;
        Ok(Some(match mode {
            Mode::PerLayer => opt
                .layer_scales()
                .iter()
                .enumerate()
                .map(|(i, &s)| (format!("layer {i}"), s))
                .collect(),
            Mode::KerasReference => layout
                .segments()
                .iter()
                .zip(opt.segment_scales())
                .map(|(seg, &s)| (seg.name.clone(), s))
                .collect(),
        }))
    }
}

fn caadam_config(lr: f64, strategy: Strategy, mode: Mode, gammas: &Gammas) -> CaAdamConfig {
    CaAdamConfig {
        lr,
        strategy,
        mode,
        gamma: gammas.get(strategy, mode),
        ..Default::default()
    }
}

fn strategy_suffix(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Additive => "add",
        Strategy::Multiplicative => "mul",
        Strategy::Depth => "depth",
    }
}

fn parse_strategy(s: &str) -> Option<Strategy> {
    match s {
        "add" => Some(Strategy::Additive),
        "mul" => Some(Strategy::Multiplicative),
        "depth" => Some(Strategy::Depth),
        _ => None,
    }
}

/// Parses `caadam-add`, `ref-mul`, `depth`, ...: a CaAdam variant with or without the
/// `caadam-` prefix.
fn parse_caadam(name: &str) -> Option<(Strategy, Mode)> {
    let rest = name.strip_prefix("caadam-").unwrap_or(name);
    match rest.strip_prefix("ref-") {
        Some(s) => parse_strategy(s).map(|st| (st, Mode::KerasReference)),
        None => parse_strategy(rest).map(|st| (st, Mode::PerLayer)),
    }
}

impl FromStr for OptimizerSpec {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        let lower = name.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "sgd" => OptimizerSpec::Sgd,
            "adam" => OptimizerSpec::Adam,
            "adamw" => OptimizerSpec::AdamW,
            "nadam" => OptimizerSpec::NAdam,
            "adamax" => OptimizerSpec::Adamax,
            other => {
                if let Some(factor) = other.strip_prefix("adam-x") {
                    match factor.parse::<f64>() {
                        Ok(f) if f > 0.0 && f.is_finite() => OptimizerSpec::ScaledAdam(f),
                        _ => {
                            return Err(Error::Spec(format!(
                                "`{name}`: the factor after adam-x must be a positive number"
                            )))
                        }
                    }
                } else if let Some((strategy, mode)) = other
                    .strip_prefix("caadam-")
                    .and_then(|_| parse_caadam(other))
                {
                    OptimizerSpec::CaAdam(strategy, mode)
                } else {
                    return Err(Error::Spec(format!(
                        "unknown optimizer `{name}` (known: sgd, adam, adamw, nadam, adamax, caadam-add, caadam-mul, \
                         caadam-depth, caadam-ref-add, caadam-ref-mul, caadam-ref-depth, adam-x<factor>)"
                    )));
                }
            }
        })
    }
}

impl fmt::Display for OptimizerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OptimizerSpec::Sgd => f.write_str("sgd"),
            OptimizerSpec::Adam => f.write_str("adam"),
            OptimizerSpec::AdamW => f.write_str("adamw"),
            OptimizerSpec::NAdam => f.write_str("nadam"),
            OptimizerSpec::Adamax => f.write_str("adamax"),
            OptimizerSpec::ScaledAdam(factor) => write!(f, "adam-x{factor}"),
            OptimizerSpec::CaAdam(strategy, Mode::PerLayer) => {
                write!(f, "caadam-{}", strategy_suffix(strategy))
            }
            OptimizerSpec::CaAdam(strategy, Mode::KerasReference) => {
                write!(f, "caadam-ref-{}", strategy_suffix(strategy))
            }
        }
    }
}

/// CaAdam's gamma for each strategy and mode.
///
/// Defaults: 0.95 for every per-layer strategy (the method's default); in Keras-reference
/// mode the authors' package defaults, 0.95 (additive), 5.0 (multiplicative) and 1.0
/// (depth).
///
/// ```
/// use caadam::experiment::Gammas;
/// use caadam_optim::{Mode, Strategy};
/// let mut g = Gammas::default();
/// assert_eq!(g.get(Strategy::Multiplicative, Mode::KerasReference), 5.0);
/// g.apply("mul=0.5,ref-depth=2").unwrap();
/// assert_eq!(g.get(Strategy::Multiplicative, Mode::PerLayer), 0.5);
/// assert_eq!(g.get(Strategy::Depth, Mode::KerasReference), 2.0);
/// g.apply("0.9").unwrap(); // a bare number: every per-layer strategy
/// assert_eq!(g.get(Strategy::Additive, Mode::PerLayer), 0.9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gammas {
    /// Per-layer mode: additive, multiplicative, depth.
    pub per_layer: [f64; 3],
    /// Keras-reference mode: additive, multiplicative, depth.
    pub reference: [f64; 3],
}

impl Default for Gammas {
    fn default() -> Self {
        Self {
            per_layer: [0.95; 3],
            reference: [0.95, 5.0, 1.0],
        }
    }
}

fn strategy_index(strategy: Strategy) -> usize {
    match strategy {
        Strategy::Additive => 0,
        Strategy::Multiplicative => 1,
        Strategy::Depth => 2,
    }
}

impl Gammas {
    /// The gamma of a strategy in a mode.
    ///
    /// ```
    /// use caadam_optim::{Mode, Strategy};
    /// assert_eq!(caadam::experiment::Gammas::default().get(Strategy::Depth, Mode::PerLayer), 0.95);
    /// ```
    pub fn get(&self, strategy: Strategy, mode: Mode) -> f64 {
        let i = strategy_index(strategy);
        match mode {
            Mode::PerLayer => self.per_layer[i],
            Mode::KerasReference => self.reference[i],
        }
    }

    /// Applies a `--gamma` value: a comma list of `VARIANT=VALUE` with `VARIANT` one of
    /// `add`, `mul`, `depth`, `ref-add`, `ref-mul`, `ref-depth` (a `caadam-` prefix is
    /// allowed), or a bare number for every per-layer strategy.
    ///
    /// ```
    /// let mut g = caadam::experiment::Gammas::default();
    /// assert!(g.apply("caadam-add=0.5").is_ok());
    /// assert!(g.apply("lion=1").is_err());
    /// assert!(g.apply("add=-1").is_err());
    /// ```
    pub fn apply(&mut self, setting: &str) -> Result<(), Error> {
        for item in setting.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (Some(k.trim().to_ascii_lowercase()), v.trim()),
                None => (None, item),
            };
            let gamma: f64 = value
                .parse()
                .ok()
                .filter(|g: &f64| *g >= 0.0 && g.is_finite())
                .ok_or_else(|| {
                    Error::Spec(format!("--gamma `{item}`: `{value}` is not a number >= 0"))
                })?;
            match key {
                None => self.per_layer = [gamma; 3],
                Some(key) => {
                    let (strategy, mode) = parse_caadam(&key).ok_or_else(|| {
                        Error::Spec(format!(
                            "--gamma `{item}`: `{key}` is not one of add, mul, depth, ref-add, ref-mul, ref-depth"
                        ))
                    })?;
                    let i = strategy_index(strategy);
                    match mode {
                        Mode::PerLayer => self.per_layer[i] = gamma,
                        Mode::KerasReference => self.reference[i] = gamma,
                    }
                }
            }
        }
        Ok(())
    }
}
