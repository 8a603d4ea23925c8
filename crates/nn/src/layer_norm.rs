//! Layer normalisation over the last axis, with a learned gain and shift.

use caadam_autograd::{Tape, Var};

use crate::connection::{ConnectionInfo, LayerInfo};
use crate::layout::ParamKind;
use crate::module::{Module, ParamRegistry};
use crate::store::ParamStore;

/// Normalises each row over its last axis to mean 0 and variance 1, then applies a learned
/// per-feature gain `g` (the segment of kind `Weight`, initialised to 1) and shift `b`
/// (kind `Bias`, initialised to 0):
///
/// `y = (x - mean(x)) / sqrt(var(x) + eps) * g + b`, with the biased variance (divided by
/// `width`, as PyTorch and Keras do) and `eps = 1e-5` by default (PyTorch's; Keras uses
/// 1e-3, see [`LayerNorm::with_eps`]).
///
/// Its [`ConnectionInfo`], and why:
/// - `fan_in = width`: each output depends on all `width` inputs of its row, through the
///   mean and the variance;
/// - `fan_out = width`: one output per feature;
/// - `depth`: index among the model's parametrized layers, as for every layer;
/// - `connections = width`, **not** the default `fan_in * fan_out = width²`: the learned
///   map is diagonal (feature `j` is multiplied by `g_j` alone), so the layer has one
///   trainable connection per feature. Counting `width²` would make a connection-aware
///   optimizer treat a handful of gains like a dense `width × width` matrix and scale its
///   steps as if it were one of the largest layers of the model.
///
/// ```
/// use caadam_autograd::Tape;
/// use caadam_nn::{ConnectionInfo, Init, LayerNorm, Module, ParamRegistry};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut norm = LayerNorm::new(4);
/// let mut registry = ParamRegistry::new(Init::GlorotUniform, &mut rng);
/// norm.register(&mut registry);
/// let params = registry.finish();
/// let mut tape = Tape::new();
/// let x = tape.input_from(&[1.0, 2.0, 3.0, 4.0], &[1, 4]);
/// let y = norm.forward(&mut tape, &params, x);
/// let mean: f32 = tape.value(y).data().iter().sum::<f32>() / 4.0;
/// assert!(mean.abs() < 1e-6);
/// assert_eq!((norm.fan_in(), norm.fan_out(), norm.connections()), (4, 4, 4));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    width: usize,
    eps: f32,
    depth: usize,
    /// Segment indices of (gain, shift), once registered.
    slots: Option<(usize, usize)>,
}

impl LayerNorm {
    /// Normalisation of rows of `width` features.
    ///
    /// ```
    /// assert_eq!(caadam_nn::LayerNorm::new(16).width(), 16);
    /// ```
    pub fn new(width: usize) -> Self {
        assert!(width > 0, "LayerNorm::new: width must be positive");
        Self {
            width,
            eps: 1e-5,
            depth: 0,
            slots: None,
        }
    }

    /// The same layer with another `eps` (added to the variance before the square root).
    ///
    /// ```
    /// assert_eq!(caadam_nn::LayerNorm::new(16).with_eps(1e-3).eps(), 1e-3);
    /// ```
    pub fn with_eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }

    /// Number of features normalised together.
    ///
    /// ```
    /// assert_eq!(caadam_nn::LayerNorm::new(3).width(), 3);
    /// ```
    pub fn width(&self) -> usize {
        self.width
    }

    /// The variance offset.
    ///
    /// ```
    /// assert_eq!(caadam_nn::LayerNorm::new(3).eps(), 1e-5);
    /// ```
    pub fn eps(&self) -> f32 {
        self.eps
    }
}

impl ConnectionInfo for LayerNorm {
    /// `width`: each output reads its whole row through the statistics.
    fn fan_in(&self) -> usize {
        self.width
    }
    /// `width`: one output per feature.
    fn fan_out(&self) -> usize {
        self.width
    }
    /// Index among the model's parametrized layers.
    fn depth(&self) -> usize {
        self.depth
    }
    /// `width`: one learned gain per feature (a diagonal map).
    fn connections(&self) -> usize {
        self.width
    }
}

impl Module for LayerNorm {
    fn forward(&self, tape: &mut Tape, params: &ParamStore, x: Var) -> Var {
        let (g, b) = self
            .slots
            .expect("LayerNorm::forward: the layer has no parameters yet; build it in a container");
        let shape = tape.shape(x);
        assert!(
            shape.last() == Some(&self.width),
            "LayerNorm::forward: input shape {shape:?} does not end in width {}",
            self.width
        );
        let axis = shape.len() - 1;
        let mean = tape.mean_axis(x, axis, true);
        let centred = tape.sub(x, mean);
        let squares = tape.mul(centred, centred);
        let var = tape.mean_axis(squares, axis, true);
        let var_eps = tape.add_scalar(var, self.eps);
        let std = tape.sqrt(var_eps);
        let normalised = tape.div(centred, std);
        let g = params.bind(tape, g);
        let b = params.bind(tape, b);
        let scaled = tape.mul(normalised, g);
        tape.add(scaled, b)
    }

    fn register(&mut self, registry: &mut ParamRegistry<'_>) {
        self.depth = registry.begin_layer();
        let info = LayerInfo::of(self);
        let g = registry.push(
            ParamKind::Weight,
            &[self.width],
            info,
            &vec![1.0; self.width],
        );
        let b = registry.push(ParamKind::Bias, &[self.width], info, &vec![0.0; self.width]);
        self.slots = Some((g, b));
    }

    fn layer_infos(&self) -> Vec<LayerInfo> {
        vec![LayerInfo::of(self)]
    }

    /// Each row is normalized over its own last axis.
    fn rows_independent(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Init;
    use rand::SeedableRng;

    /// Values against a hand computation of two rows.
    ///
    /// Row [1, 2, 3, 6]: mean 3, deviations [-2, -1, 0, 3], variance (4+1+0+9)/4 = 3.5.
    /// Row [2, 2, 2, 2]: mean 2, variance 0, so every output is the shift.
    /// With gain [1, 2, 0.5, -1] and shift [0, 1, 0, 0.25] and eps = 0.5 (large, so that
    /// it visibly matters): std = sqrt(4) = 2 for the first row, sqrt(0.5) for the second.
    #[test]
    fn values_match_a_hand_computation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut norm = LayerNorm::new(4).with_eps(0.5);
        let mut registry = ParamRegistry::new(Init::GlorotUniform, &mut rng);
        norm.register(&mut registry);
        let mut params = registry.finish();
        assert_eq!(params.values(), &[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        params
            .values_mut()
            .copy_from_slice(&[1.0, 2.0, 0.5, -1.0, 0.0, 1.0, 0.0, 0.25]);

        let mut tape = Tape::new();
        let x = tape.input_from(&[1.0, 2.0, 3.0, 6.0, 2.0, 2.0, 2.0, 2.0], &[2, 4]);
        let y = norm.forward(&mut tape, &params, x);
        // Row 1: normalised [-1, -0.5, 0, 1.5]; times the gain: [-1, -1, 0, -1.5]; plus shift.
        let expected = [-1.0, 0.0, 0.0, -1.25, 0.0, 1.0, 0.0, 0.25];
        for (a, e) in tape.value(y).data().iter().zip(expected) {
            assert!(
                (a - e).abs() < 1e-6,
                "{:?} vs {expected:?}",
                tape.value(y).data()
            );
        }
    }

    #[test]
    fn layout_and_connection_info() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut registry = ParamRegistry::new(Init::GlorotUniform, &mut rng);
        registry.begin_layer(); // a layer before it
        let mut norm = LayerNorm::new(6);
        norm.register(&mut registry);
        let params = registry.finish();
        let seg = params.layout().find("layers.1.weight").unwrap();
        assert_eq!(
            (seg.shape.as_slice(), seg.kind),
            (&[6][..], ParamKind::Weight)
        );
        assert_eq!(seg.info, LayerInfo::with_connections(6, 6, 1, 6));
        assert_eq!(norm.layer_infos(), vec![seg.info]);
    }
}
