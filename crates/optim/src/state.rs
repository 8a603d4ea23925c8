//! The saved state of an optimizer: a versioned record keyed by parameter name.
//!
//! Every per-element buffer (Adam's moments, SGD's momentum, ...) is cut along the layout
//! into one slice per parameter tensor and stored under the tensor's name, so a record can
//! be read back only into a model whose tensors have the same names and sizes, and a
//! mismatch is reported by name instead of silently mixing up buffers.

use caadam_nn::ParamLayout;
use serde::{Deserialize, Serialize};

use crate::OptimError;

/// Version of the [`OptimizerState`] format written by this crate.
///
/// ```
/// assert_eq!(caadam_optim::STATE_VERSION, 1);
/// ```
pub const STATE_VERSION: u32 = 1;

/// The state of one parameter tensor: its name, its length and its named buffers.
///
/// ```
/// let p = caadam_optim::ParamState { name: "layers.0.bias".into(), len: 2,
///     buffers: vec![("exp_avg".into(), vec![0.0, 0.0])] };
/// assert_eq!(p.buffers[0].1.len(), p.len);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamState {
    /// The layout segment's name, such as `layers.0.weight`.
    pub name: String,
    /// Number of elements of the tensor.
    pub len: usize,
    /// `(buffer name, values)`, each of length `len`.
    pub buffers: Vec<(String, Vec<f32>)>,
}

/// Everything an optimizer needs to continue exactly where it stopped.
///
/// Serialize it with serde (for example bincode) next to the parameters; load it with
/// [`crate::Optimizer::load_state`] into an optimizer built from the same config and layout.
///
/// ```
/// use caadam_nn::ParamLayout;
/// use caadam_optim::{Adam, AdamConfig, Optimizer};
/// let layout = ParamLayout::flat("w", 3);
/// let mut adam = Adam::new(AdamConfig::default(), &layout).unwrap();
/// let mut w = [1.0f32, 2.0, 3.0];
/// adam.step(&mut w, &[0.1, 0.2, 0.3]).unwrap();
/// let bytes = bincode::serialize(&adam.state()).unwrap();
/// let state: caadam_optim::OptimizerState = bincode::deserialize(&bytes).unwrap();
/// let mut fresh = Adam::new(AdamConfig::default(), &layout).unwrap();
/// fresh.load_state(&state).unwrap();
/// assert_eq!(fresh.state(), adam.state());
/// // A record is refused by another layout, by another optimizer:
/// let other = ParamLayout::flat("v", 3);
/// assert!(Adam::new(AdamConfig::default(), &other).unwrap().load_state(&state).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// Format version, [`STATE_VERSION`] when written by this crate.
    pub version: u32,
    /// The optimizer's [`crate::Optimizer::name`].
    pub optimizer: String,
    /// Steps taken so far.
    pub step: u64,
    /// The learning rate in force (schedules change it).
    pub learning_rate: f64,
    /// Named scalar state (NAdam's running momentum product, CaAdam's scales, ...).
    pub scalars: Vec<(String, f64)>,
    /// Per-tensor buffers, in layout order.
    pub params: Vec<ParamState>,
}

impl OptimizerState {
    /// Cuts the flat `buffers` along `layout` into a record.
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// let layout = ParamLayout::flat("w", 2);
    /// let s = caadam_optim::OptimizerState::capture("sgd", 3, 0.1, &layout, &[("momentum_buffer", &[1.0, 2.0])], vec![]);
    /// assert_eq!(s.params[0].buffers[0].1, vec![1.0, 2.0]);
    /// ```
    pub fn capture(
        optimizer: &str,
        step: u64,
        learning_rate: f64,
        layout: &ParamLayout,
        buffers: &[(&str, &[f32])],
        scalars: Vec<(String, f64)>,
    ) -> Self {
        let params = layout
            .segments()
            .iter()
            .map(|seg| ParamState {
                name: seg.name.clone(),
                len: seg.len(),
                buffers: buffers
                    .iter()
                    .map(|(name, flat)| (name.to_string(), flat[seg.range()].to_vec()))
                    .collect(),
            })
            .collect();
        Self {
            version: STATE_VERSION,
            optimizer: optimizer.to_string(),
            step,
            learning_rate,
            scalars,
            params,
        }
    }

    /// Checks that this record was written by `optimizer` for `layout` and holds exactly the
    /// buffers `buffer_names`, each of the right length. Call it before changing anything, so
    /// that a refused load leaves the optimizer untouched.
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// let layout = ParamLayout::flat("w", 2);
    /// let s = caadam_optim::OptimizerState::capture("sgd", 0, 0.1, &layout, &[("momentum_buffer", &[0.0, 0.0])], vec![]);
    /// assert!(s.validate("sgd", &layout, &["momentum_buffer"]).is_ok());
    /// assert!(s.validate("adam", &layout, &["momentum_buffer"]).is_err());
    /// assert!(s.validate("sgd", &ParamLayout::flat("w", 3), &["momentum_buffer"]).is_err());
    /// ```
    pub fn validate(
        &self,
        optimizer: &str,
        layout: &ParamLayout,
        buffer_names: &[&str],
    ) -> Result<(), OptimError> {
        let fail = |msg: String| Err(OptimError::StateMismatch(msg));
        if self.version != STATE_VERSION {
            return fail(format!(
                "state format version {} (this build reads version {STATE_VERSION})",
                self.version
            ));
        }
        if self.optimizer != optimizer {
            return fail(format!(
                "the record was saved by `{}`, not `{optimizer}`",
                self.optimizer
            ));
        }
        let segments = layout.segments();
        if self.params.len() != segments.len() {
            return fail(format!(
                "the record has {} parameter tensors, the layout has {}",
                self.params.len(),
                segments.len()
            ));
        }
        for (p, seg) in self.params.iter().zip(segments) {
            if p.name != seg.name || p.len != seg.len() {
                return fail(format!(
                    "the record's tensor `{}` ({} elements) does not match the layout's `{}` ({} elements)",
                    p.name,
                    p.len,
                    seg.name,
                    seg.len()
                ));
            }
            let names: Vec<&str> = p.buffers.iter().map(|(n, _)| n.as_str()).collect();
            if names != buffer_names {
                return fail(format!(
                    "tensor `{}` has buffers {names:?}, expected {buffer_names:?}",
                    p.name
                ));
            }
            if let Some((n, v)) = p.buffers.iter().find(|(_, v)| v.len() != p.len) {
                return fail(format!(
                    "buffer `{n}` of `{}` has {} elements, expected {}",
                    p.name,
                    v.len(),
                    p.len
                ));
            }
        }
        Ok(())
    }

    /// Copies buffer number `index` of every tensor back into the flat `out`. Call
    /// [`OptimizerState::validate`] first.
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// let layout = ParamLayout::flat("w", 2);
    /// let s = caadam_optim::OptimizerState::capture("sgd", 0, 0.1, &layout, &[("b", &[4.0, 5.0])], vec![]);
    /// let mut out = vec![0.0; 2];
    /// s.restore_buffer(0, &layout, &mut out);
    /// assert_eq!(out, [4.0, 5.0]);
    /// ```
    pub fn restore_buffer(&self, index: usize, layout: &ParamLayout, out: &mut [f32]) {
        for (p, seg) in self.params.iter().zip(layout.segments()) {
            out[seg.range()].copy_from_slice(&p.buffers[index].1);
        }
    }

    /// The scalar named `name`, or a [`OptimError::StateMismatch`].
    ///
    /// ```
    /// use caadam_nn::ParamLayout;
    /// let s = caadam_optim::OptimizerState::capture("nadam", 0, 0.1, &ParamLayout::flat("w", 1), &[],
    ///     vec![("mu_product".into(), 0.5)]);
    /// assert_eq!(s.scalar("mu_product").unwrap(), 0.5);
    /// assert!(s.scalar("other").is_err());
    /// ```
    pub fn scalar(&self, name: &str) -> Result<f64, OptimError> {
        self.scalars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                OptimError::StateMismatch(format!("scalar `{name}` missing from the record"))
            })
    }
}
