//! Training with the paper's protocol: the fit loop, Keras-style early stopping and
//! reduce-on-plateau.

mod early_stopping;
mod fit;
mod plateau;

pub use early_stopping::{EarlyStopping, EarlyStoppingConfig};
pub use fit::{
    batch_gradients, errors_on, fit, mse_on, EpochEnd, FitConfig, History, SPLIT_MIN_ROWS,
};
pub use plateau::{KerasPlateau, PlateauConfig};
