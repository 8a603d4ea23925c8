//! The fully connected layer `y = x W + b`.

use caadam_autograd::{Tape, Var};

use crate::activation::Activation;
use crate::connection::{ConnectionInfo, LayerInfo};
use crate::init::Init;
use crate::layout::ParamKind;
use crate::module::{Module, ParamRegistry};
use crate::store::ParamStore;

/// A fully connected layer: `y = x W + b` for `x` of shape `[batch, fan_in]`, with `W` of
/// shape `[fan_in, fan_out]` (row-major, as Keras stores its kernel) and `b` of shape
/// `[fan_out]`. Weights start from the registry's [`Init`] (or the layer's own), biases at 0.
///
/// Its [`ConnectionInfo`]:
/// - `fan_in`: input features, each read by every output unit;
/// - `fan_out`: output units;
/// - `depth`: index among the model's parametrized layers (set when a container lays out
///   the parameters; 0 before);
/// - `connections`: `fan_in * fan_out`, one per weight (the bias is not a connection).
///
/// ```
/// use caadam_autograd::Tape;
/// use caadam_nn::{ConnectionInfo, Init, Linear, Module, ParamRegistry};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut layer = Linear::new(2, 3);
/// let mut registry = ParamRegistry::new(Init::GlorotUniform, &mut rng);
/// layer.register(&mut registry);
/// let mut params = registry.finish();
/// params.tensor_mut("layers.0.weight").unwrap().copy_from_slice(&[1.0, 0.0, 2.0, 0.0, 1.0, 3.0]);
/// params.tensor_mut("layers.0.bias").unwrap().copy_from_slice(&[0.5, 0.5, 0.5]);
/// let mut tape = Tape::new();
/// let x = tape.input_from(&[1.0, 2.0], &[1, 2]);
/// let y = layer.forward(&mut tape, &params, x);
/// // [1, 2] x [[1, 0, 2], [0, 1, 3]] + 0.5 = [1.5, 2.5, 8.5]
/// assert_eq!(tape.value(y).data(), &[1.5, 2.5, 8.5]);
/// assert_eq!(layer.connections(), 6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    fan_in: usize,
    fan_out: usize,
    depth: usize,
    init: Option<Init>,
    /// Segment indices of (weight, bias), once registered.
    slots: Option<(usize, usize)>,
}

impl Linear {
    /// A layer from `fan_in` features to `fan_out` units, initialised with the container's
    /// scheme.
    ///
    /// ```
    /// let layer = caadam_nn::Linear::new(8, 64);
    /// assert!(layer.slots().is_none()); // not laid out yet
    /// ```
    pub fn new(fan_in: usize, fan_out: usize) -> Self {
        assert!(
            fan_in > 0 && fan_out > 0,
            "Linear::new: empty layer {fan_in} -> {fan_out}"
        );
        Self {
            fan_in,
            fan_out,
            depth: 0,
            init: None,
            slots: None,
        }
    }

    /// The same layer with its own initialisation scheme, overriding the container's.
    ///
    /// ```
    /// let layer = caadam_nn::Linear::new(8, 64).with_init(caadam_nn::Init::HeNormal);
    /// assert_eq!(layer.init(), Some(caadam_nn::Init::HeNormal));
    /// ```
    pub fn with_init(mut self, init: Init) -> Self {
        self.init = Some(init);
        self
    }

    /// The layer's own initialisation scheme, if it has one.
    ///
    /// ```
    /// assert_eq!(caadam_nn::Linear::new(1, 1).init(), None);
    /// ```
    pub fn init(&self) -> Option<Init> {
        self.init
    }

    /// Segment indices of the weight and the bias in the store's layout, once registered.
    ///
    /// ```
    /// assert_eq!(caadam_nn::Linear::new(1, 1).slots(), None);
    /// ```
    pub fn slots(&self) -> Option<(usize, usize)> {
        self.slots
    }

    /// `activation(x w + b)`: this layer followed by `activation`. With
    /// [`Activation::Relu`] the two are one tape node (`Tape::affine_relu`, the same bits as
    /// the layer and the ReLU recorded apart, one buffer and two passes over the output
    /// fewer); any other activation is recorded after the layer as its own node.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// use caadam_nn::{Activation, Init, Mlp};
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let (mlp, params) = Mlp::new(&[2, 3, 1], Activation::Relu, Init::default(), &mut rng);
    /// let layer = &mlp.linears()[0];
    /// let mut tape = Tape::inference();
    /// let x = tape.input_from(&[0.5, -1.0], &[1, 2]);
    /// let fused = layer.forward_activated(&mut tape, &params, x, Activation::Relu);
    /// let z = caadam_nn::Module::forward(layer, &mut tape, &params, x);
    /// let apart = tape.relu(z);
    /// assert_eq!(tape.value(fused).data(), tape.value(apart).data());
    /// ```
    pub fn forward_activated(
        &self,
        tape: &mut Tape,
        params: &ParamStore,
        x: Var,
        activation: Activation,
    ) -> Var {
        if activation == Activation::Relu {
            let (w, b) = self.bind(tape, params, "Linear::forward_activated");
            return tape.affine_relu(x, w, b);
        }
        let z = self.forward(tape, params, x);
        activation.apply(tape, z)
    }

    /// The weight and bias as tape leaves; panics, naming `caller`, before registration.
    fn bind(&self, tape: &mut Tape, params: &ParamStore, caller: &str) -> (Var, Var) {
        let (w, b) = self.slots.unwrap_or_else(|| {
            panic!("{caller}: the layer has no parameters yet; build it in a container")
        });
        (params.bind(tape, w), params.bind(tape, b))
    }
}

impl ConnectionInfo for Linear {
    /// Input features.
    fn fan_in(&self) -> usize {
        self.fan_in
    }
    /// Output units.
    fn fan_out(&self) -> usize {
        self.fan_out
    }
    /// Index among the model's parametrized layers.
    fn depth(&self) -> usize {
        self.depth
    }
}

impl Module for Linear {
    fn forward(&self, tape: &mut Tape, params: &ParamStore, x: Var) -> Var {
        let (w, b) = self.bind(tape, params, "Linear::forward");
        tape.affine(x, w, b)
    }

    fn register(&mut self, registry: &mut ParamRegistry<'_>) {
        self.depth = registry.begin_layer();
        let info = LayerInfo::of(self);
        let init = self.init.unwrap_or(registry.init());
        let (fan_in, fan_out) = (self.fan_in, self.fan_out);
        let w = init.sample(fan_in, fan_out, fan_in * fan_out, registry.rng());
        let w = registry.push(ParamKind::Weight, &[fan_in, fan_out], info, &w);
        let b = registry.push(ParamKind::Bias, &[fan_out], info, &vec![0.0; fan_out]);
        self.slots = Some((w, b));
    }

    fn layer_infos(&self) -> Vec<LayerInfo> {
        vec![LayerInfo::of(self)]
    }

    fn rows_independent(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::ParamLayout;

    /// A layer used before a container registered it has no parameters to bind: the panic
    /// names the entry point and says what to do.
    #[test]
    #[should_panic(expected = "Linear::forward: the layer has no parameters yet")]
    fn forward_before_registration() {
        let store = ParamStore::new(ParamLayout::flat("p", 1));
        let mut tape = Tape::new();
        let x = tape.input_from(&[1.0, 2.0], &[1, 2]);
        Linear::new(2, 3).forward(&mut tape, &store, x);
    }

    #[test]
    #[should_panic(expected = "Linear::forward_activated: the layer has no parameters yet")]
    fn forward_activated_before_registration() {
        let store = ParamStore::new(ParamLayout::flat("p", 1));
        let mut tape = Tape::new();
        let x = tape.input_from(&[1.0, 2.0], &[1, 2]);
        Linear::new(2, 3).forward_activated(&mut tape, &store, x, Activation::Relu);
    }
}
