//! A chain of modules applied one after the other.

use caadam_autograd::{Tape, Tensor, Var};
use rand::RngCore;

use crate::connection::LayerInfo;
use crate::init::Init;
use crate::module::{predict, Module, ParamRegistry};
use crate::rng_state::RngState;
use crate::store::ParamStore;

/// Modules applied in order, each to the previous one's output.
///
/// [`Sequential::build`] lays out the parameters: it walks the layers in forward order,
/// gives each parametrized layer its depth (0, 1, 2, … counting only layers with
/// parameters) and appends its tensors, weight then bias, named `layers.{depth}.weight` and
/// `layers.{depth}.bias`. A `Sequential` nested in another continues the outer numbering.
///
/// ```
/// use caadam_autograd::Tensor;
/// use caadam_nn::{Activation, Dropout, Init, LayerNorm, Linear, Module, Sequential};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let (mut model, params) = Sequential::new()
///     .push(Linear::new(3, 8))
///     .push(Activation::Relu)
///     .push(LayerNorm::new(8))
///     .push(Dropout::new(0.1, 42))
///     .push(Linear::new(8, 1))
///     .build(Init::GlorotUniform, &mut rng);
/// let names: Vec<_> = params.layout().segments().iter().map(|s| s.name.as_str()).collect();
/// assert_eq!(names, ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
///                    "layers.2.weight", "layers.2.bias"]);
/// model.set_training(false);
/// let y = model.predict(&params, &Tensor::zeros(&[5, 3]));
/// assert_eq!(y.shape(), &[5, 1]);
/// ```
#[derive(Debug, Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty chain (the identity).
    ///
    /// ```
    /// assert!(caadam_nn::Sequential::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The chain with `layer` appended (builder style).
    ///
    /// ```
    /// let model = caadam_nn::Sequential::new().push(caadam_nn::Activation::Tanh);
    /// assert_eq!(model.len(), 1);
    /// ```
    pub fn push(mut self, layer: impl Module + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends an already boxed layer.
    ///
    /// ```
    /// let mut model = caadam_nn::Sequential::new();
    /// model.add(Box::new(caadam_nn::Activation::Relu));
    /// assert_eq!(model.len(), 1);
    /// ```
    pub fn add(&mut self, layer: Box<dyn Module>) {
        self.layers.push(layer);
    }

    /// Number of layers (parametrized or not).
    ///
    /// ```
    /// assert_eq!(caadam_nn::Sequential::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True for an empty chain.
    ///
    /// ```
    /// assert!(caadam_nn::Sequential::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layers, in forward order.
    ///
    /// ```
    /// let model = caadam_nn::Sequential::new().push(caadam_nn::Activation::Relu);
    /// assert_eq!(format!("{:?}", model.layers()[0]), "Relu");
    /// ```
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    /// Lays out and initialises the parameters of every layer, drawing from `rng` in
    /// forward order, and returns the model with its store.
    ///
    /// ```
    /// use caadam_nn::{Init, Linear, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let (_model, params) = Sequential::new().push(Linear::new(2, 2)).build(Init::HeUniform, &mut rng);
    /// assert_eq!(params.len(), 6);
    /// ```
    pub fn build(mut self, init: Init, rng: &mut dyn RngCore) -> (Self, ParamStore) {
        let mut registry = ParamRegistry::new(init, rng);
        self.register(&mut registry);
        (self, registry.finish())
    }

    /// The output for `x` on an inference tape; see [`predict`].
    ///
    /// ```
    /// use caadam_autograd::Tensor;
    /// use caadam_nn::{Activation, ParamLayout, ParamStore, Sequential};
    /// let model = Sequential::new().push(Activation::Relu);
    /// let params = ParamStore::new(ParamLayout::new());
    /// let y = model.predict(&params, &Tensor::new(vec![-1.0, 1.0], &[2, 1]));
    /// assert_eq!(y.data(), &[0.0, 1.0]);
    /// ```
    pub fn predict(&self, params: &ParamStore, x: &Tensor) -> Tensor {
        predict(self, params, x)
    }
}

impl Module for Sequential {
    fn forward(&self, tape: &mut Tape, params: &ParamStore, x: Var) -> Var {
        self.layers
            .iter()
            .fold(x, |h, layer| layer.forward(tape, params, h))
    }

    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }

    fn register(&mut self, registry: &mut ParamRegistry<'_>) {
        for layer in &mut self.layers {
            layer.register(registry);
        }
    }

    fn layer_infos(&self) -> Vec<LayerInfo> {
        self.layers.iter().flat_map(|l| l.layer_infos()).collect()
    }

    fn rng_states(&self) -> Vec<RngState> {
        self.layers.iter().flat_map(|l| l.rng_states()).collect()
    }

    fn rows_independent(&self) -> bool {
        self.layers.iter().all(|l| l.rows_independent())
    }

    fn set_rng_states(&mut self, states: &[RngState]) -> usize {
        let mut used = 0;
        for layer in &mut self.layers {
            used += layer.set_rng_states(&states[used..]);
        }
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, ConnectionInfo, LayerNorm, Linear};
    use rand::SeedableRng;

    /// Rows are independent only if they are in every layer, nested containers included.
    #[test]
    fn rows_are_independent_only_if_they_are_in_every_layer() {
        let plain = || {
            Sequential::new()
                .push(Linear::new(3, 4))
                .push(LayerNorm::new(4))
        };
        assert!(plain().rows_independent());
        assert!(Sequential::new().push(plain()).rows_independent());
        let mut with_dropout = Sequential::new()
            .push(plain())
            .push(Sequential::new().push(crate::Dropout::new(0.2, 1)));
        assert!(!with_dropout.rows_independent());
        with_dropout.set_training(false);
        assert!(with_dropout.rows_independent());
        /// A layer that does not say: taken to mix rows.
        #[derive(Debug)]
        struct Unknown;
        impl Module for Unknown {
            fn forward(&self, _: &mut Tape, _: &ParamStore, x: Var) -> Var {
                x
            }
        }
        assert!(!plain().push(Unknown).rows_independent());
    }

    #[test]
    fn depth_counts_only_parametrized_layers_and_nesting_continues_it() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let inner = Sequential::new()
            .push(LayerNorm::new(5))
            .push(Linear::new(5, 2));
        let (model, params) = Sequential::new()
            .push(Activation::Tanh)
            .push(Linear::new(4, 5))
            .push(Activation::Relu)
            .push(inner)
            .build(Init::GlorotUniform, &mut rng);
        let infos = model.layer_infos();
        assert_eq!(
            infos,
            vec![
                LayerInfo::new(4, 5, 0),
                LayerInfo::with_connections(5, 5, 1, 5),
                LayerInfo::new(5, 2, 2)
            ]
        );
        assert_eq!(params.layout().layer_infos(), infos);
        let depths: Vec<_> = infos.iter().map(|i| i.depth()).collect();
        assert_eq!(depths, [0, 1, 2]);
        // W0 (20) + b0 (5) + gain (5) + shift (5) + W2 (10).
        assert_eq!(params.layout().find("layers.2.bias").unwrap().offset, 45);
    }

    #[test]
    fn same_seed_same_initial_bits() {
        let build = |seed| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            Sequential::new()
                .push(Linear::new(3, 4))
                .push(Linear::new(4, 2).with_init(Init::HeNormal))
                .build(Init::GlorotUniform, &mut rng)
                .1
        };
        let bits = |s: ParamStore| s.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(build(9)), bits(build(9)));
        assert_ne!(bits(build(9)), bits(build(10)));
    }
}
