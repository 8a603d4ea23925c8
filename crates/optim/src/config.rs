//! Choosing an optimizer by name: one enum over every config.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, CaAdam, CaAdamConfig, NAdam, NAdamConfig, OptimError, Optimizer, RAdam,
    RAdamConfig, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};

/// Any optimizer's config, tagged by its lower-case torch name.
///
/// Its serde form is `{"optimizer": "adam", "hyperparameters": {"lr": 0.01, "betas": [0.8, 0.99]}}`
/// with torch's keyword names; unknown names and unknown hyperparameters are errors.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::OptimizerConfig;
/// let json = r#"{"optimizer": "adam", "hyperparameters": {"lr": 0.01, "amsgrad": true}}"#;
/// let config: OptimizerConfig = serde_json::from_str(json).unwrap();
/// let opt = config.build(&ParamLayout::flat("w", 4)).unwrap();
/// assert_eq!((opt.name(), opt.learning_rate()), ("adam", 0.01));
/// assert!(serde_json::from_str::<OptimizerConfig>(r#"{"optimizer": "lion", "hyperparameters": {}}"#).is_err());
/// assert!(serde_json::from_str::<OptimizerConfig>(r#"{"optimizer": "sgd", "hyperparameters": {"nesterovv": true}}"#).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "optimizer",
    content = "hyperparameters",
    rename_all = "lowercase"
)]
pub enum OptimizerConfig {
    /// [`Sgd`].
    Sgd(SgdConfig),
    /// [`Adagrad`].
    Adagrad(AdagradConfig),
    /// [`RmsProp`].
    RmsProp(RmsPropConfig),
    /// [`Adam`].
    Adam(AdamConfig),
    /// [`AdamW`].
    AdamW(AdamWConfig),
    /// [`NAdam`].
    NAdam(NAdamConfig),
    /// [`RAdam`].
    RAdam(RAdamConfig),
    /// [`Adamax`].
    Adamax(AdamaxConfig),
    /// [`Adadelta`].
    Adadelta(AdadeltaConfig),
    /// [`CaAdam`].
    CaAdam(CaAdamConfig),
}

impl OptimizerConfig {
    /// The default config of the optimizer called `name` (`sgd`, `adagrad`, `rmsprop`,
    /// `adam`, `adamw`, `nadam`, `radam`, `adamax`, `adadelta`, `caadam`; case-insensitive).
    ///
    /// ```
    /// use caadam_optim::{OptimizerConfig, OptimError};
    /// assert!(matches!(OptimizerConfig::default_for("AdamW"), Ok(OptimizerConfig::AdamW(_))));
    /// assert!(matches!(OptimizerConfig::default_for("lion"), Err(OptimError::UnknownOptimizer(_))));
    /// ```
    pub fn default_for(name: &str) -> Result<Self, OptimError> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "sgd" => Self::Sgd(Default::default()),
            "adagrad" => Self::Adagrad(Default::default()),
            "rmsprop" => Self::RmsProp(Default::default()),
            "adam" => Self::Adam(Default::default()),
            "adamw" => Self::AdamW(Default::default()),
            "nadam" => Self::NAdam(Default::default()),
            "radam" => Self::RAdam(Default::default()),
            "adamax" => Self::Adamax(Default::default()),
            "adadelta" => Self::Adadelta(Default::default()),
            "caadam" => Self::CaAdam(Default::default()),
            _ => return Err(OptimError::UnknownOptimizer(name.to_string())),
        })
    }

    /// The same config with learning rate `lr`.
    ///
    /// ```
    /// let c = caadam_optim::OptimizerConfig::default_for("sgd").unwrap().with_learning_rate(0.1);
    /// assert_eq!(c.learning_rate(), 0.1);
    /// ```
    pub fn with_learning_rate(mut self, lr: f64) -> Self {
        *self.lr_mut() = lr;
        self
    }

    /// The configured (initial) learning rate.
    ///
    /// ```
    /// assert_eq!(caadam_optim::OptimizerConfig::default_for("adadelta").unwrap().learning_rate(), 1.0);
    /// ```
    pub fn learning_rate(&self) -> f64 {
        let mut c = self.clone();
        *c.lr_mut()
    }

    fn lr_mut(&mut self) -> &mut f64 {
        match self {
            Self::Sgd(c) => &mut c.lr,
            Self::Adagrad(c) => &mut c.lr,
            Self::RmsProp(c) => &mut c.lr,
            Self::Adam(c) => &mut c.lr,
            Self::AdamW(c) => &mut c.lr,
            Self::NAdam(c) => &mut c.lr,
            Self::RAdam(c) => &mut c.lr,
            Self::Adamax(c) => &mut c.lr,
            Self::Adadelta(c) => &mut c.lr,
            Self::CaAdam(c) => &mut c.lr,
        }
    }

    /// Builds the optimizer for `layout`.
    ///
    /// ```
    /// use caadam_optim::{CaAdamConfig, OptimizerConfig, Strategy};
    /// let c = OptimizerConfig::CaAdam(CaAdamConfig { strategy: Strategy::Depth, ..Default::default() });
    /// assert_eq!(c.build(&caadam_nn::ParamLayout::flat("w", 2)).unwrap().name(), "caadam");
    /// ```
    pub fn build(&self, layout: &ParamLayout) -> Result<Box<dyn Optimizer>, OptimError> {
        Ok(match self.clone() {
            Self::Sgd(c) => Box::new(Sgd::new(c, layout)?),
            Self::Adagrad(c) => Box::new(Adagrad::new(c, layout)?),
            Self::RmsProp(c) => Box::new(RmsProp::new(c, layout)?),
            Self::Adam(c) => Box::new(Adam::new(c, layout)?),
            Self::AdamW(c) => Box::new(AdamW::new(c, layout)?),
            Self::NAdam(c) => Box::new(NAdam::new(c, layout)?),
            Self::RAdam(c) => Box::new(RAdam::new(c, layout)?),
            Self::Adamax(c) => Box::new(Adamax::new(c, layout)?),
            Self::Adadelta(c) => Box::new(Adadelta::new(c, layout)?),
            Self::CaAdam(c) => Box::new(CaAdam::new(c, layout)?),
        })
    }
}
