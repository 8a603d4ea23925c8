//! The `Module` trait every layer implements, and the registry that lays out parameters.

use std::fmt::Debug;

use caadam_autograd::{Tape, Tensor, Var};
use rand::RngCore;

use crate::connection::LayerInfo;
use crate::init::Init;
use crate::layout::{ParamKind, ParamLayout};
use crate::rng_state::RngState;
use crate::store::ParamStore;

/// A layer, or a container of layers, that computes on a [`Tape`].
///
/// A module does not own its parameters: they live in a [`ParamStore`], and the module
/// remembers which segments of the store's layout are its own (learned in
/// [`Module::register`]). `forward` pushes them onto the tape with [`ParamStore::bind`].
///
/// ```
/// use caadam_autograd::{Tape, Var};
/// use caadam_nn::{Module, ParamStore};
///
/// /// A parameter-free layer: doubles its input.
/// #[derive(Debug)]
/// struct Double;
/// impl Module for Double {
///     fn forward(&self, tape: &mut Tape, _params: &ParamStore, x: Var) -> Var {
///         tape.mul_scalar(x, 2.0)
///     }
/// }
///
/// let params = ParamStore::new(caadam_nn::ParamLayout::new());
/// let mut tape = Tape::new();
/// let x = tape.input_from(&[1.0, 2.0], &[1, 2]);
/// let y = Double.forward(&mut tape, &params, x);
/// assert_eq!(tape.value(y).data(), &[2.0, 4.0]);
/// ```
pub trait Module: Send + Sync + Debug {
    /// Computes the output for input `x`, reading parameters from `params`.
    fn forward(&self, tape: &mut Tape, params: &ParamStore, x: Var) -> Var;

    /// Switches between training (`true`) and evaluation mode. Only layers that behave
    /// differently (Dropout) care; containers pass it on. Modules start in training mode.
    fn set_training(&mut self, _training: bool) {}

    /// Appends this module's parameters to the layout, initialised, and remembers their
    /// segment indices. Parameter-free modules keep the default, which does nothing.
    fn register(&mut self, _registry: &mut ParamRegistry<'_>) {}

    /// The [`LayerInfo`] of each parametrized layer inside, in forward order (empty for a
    /// parameter-free module).
    fn layer_infos(&self) -> Vec<LayerInfo> {
        Vec::new()
    }

    /// Whether a batch may be cut into parts of rows, each run on a tape of its own, without
    /// changing any row's output: every output row depends only on the same input row and
    /// the parameters, and nothing is drawn at random. A training loop may then run the
    /// parts of a batch side by side (as `caadam::train::fit` does on two cores).
    ///
    /// `false` unless a module says otherwise, so that a layer that mixes rows (batch
    /// statistics) or draws random numbers row after row is never cut. Containers answer
    /// for all their layers.
    ///
    /// ```
    /// use caadam_nn::{Activation, Dropout, Module};
    /// assert!(Activation::Relu.rows_independent());
    /// let mut dropout = Dropout::new(0.5, 0);
    /// assert!(!dropout.rows_independent()); // its masks come from one generator, in row order
    /// dropout.set_training(false);
    /// assert!(dropout.rows_independent()); // the identity in evaluation mode
    /// ```
    fn rows_independent(&self) -> bool {
        false
    }

    /// Where the random generators inside are (one per Dropout layer), in forward order:
    /// saved beside a checkpoint and given back with [`crate::restore_rng_states`], they
    /// make a resumed run draw the masks the uninterrupted run would have drawn. Empty for
    /// a module without randomness; containers list their layers' in order.
    fn rng_states(&self) -> Vec<RngState> {
        Vec::new()
    }

    /// Moves the generators inside to the first states of `states` (in the order of
    /// [`Module::rng_states`]) and returns how many it used. Call it through
    /// [`crate::restore_rng_states`], which checks the count first.
    fn set_rng_states(&mut self, _states: &[RngState]) -> usize {
        0
    }
}

/// Runs `module` on `x` on an inference tape (no backward bookkeeping) and returns the
/// output; what `Mlp::predict` and `Sequential::predict` do.
///
/// Layers in training mode stay in training mode: call `set_training(false)` first on a
/// model with Dropout.
///
/// ```
/// use caadam_autograd::Tensor;
/// use caadam_nn::{predict, Activation, ParamLayout, ParamStore};
/// let params = ParamStore::new(ParamLayout::new());
/// let y = predict(&Activation::Relu, &params, &Tensor::new(vec![-1.0, 2.0], &[1, 2]));
/// assert_eq!(y.data(), &[0.0, 2.0]);
/// ```
pub fn predict(module: &dyn Module, params: &ParamStore, x: &Tensor) -> Tensor {
    let mut tape = Tape::inference();
    let input = tape.input_from(x.data(), x.shape());
    let output = module.forward(&mut tape, params, input);
    tape.value(output).clone()
}

/// Builds a [`ParamStore`] while a container walks its layers in forward order.
///
/// Each parametrized layer calls [`ParamRegistry::begin_layer`] to learn its depth (the
/// 0-based index among parametrized layers), then [`ParamRegistry::push`] once per tensor,
/// weight first. Tensors are named `layers.{depth}.weight` / `layers.{depth}.bias`.
///
/// ```
/// use caadam_nn::{Init, LayerInfo, ParamKind, ParamRegistry};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut registry = ParamRegistry::new(Init::GlorotUniform, &mut rng);
/// let depth = registry.begin_layer();
/// let info = LayerInfo::new(2, 3, depth);
/// let w = registry.init().sample(2, 3, 6, registry.rng());
/// assert_eq!(registry.push(ParamKind::Weight, &[2, 3], info, &w), 0);
/// assert_eq!(registry.push(ParamKind::Bias, &[3], info, &[0.0; 3]), 1);
/// let store = registry.finish();
/// assert_eq!(store.layout().segments()[1].name, "layers.0.bias");
/// ```
pub struct ParamRegistry<'r> {
    layout: ParamLayout,
    values: Vec<f32>,
    next_depth: usize,
    init: Init,
    rng: &'r mut dyn RngCore,
}

impl Debug for ParamRegistry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamRegistry")
            .field("layout", &self.layout)
            .field("next_depth", &self.next_depth)
            .field("init", &self.init)
            .finish_non_exhaustive()
    }
}

impl<'r> ParamRegistry<'r> {
    /// An empty registry whose layers draw weights with `init` from `rng` (unless a layer
    /// was given its own scheme).
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let registry = caadam_nn::ParamRegistry::new(caadam_nn::Init::HeUniform, &mut rng);
    /// assert_eq!(registry.init(), caadam_nn::Init::HeUniform);
    /// ```
    pub fn new(init: Init, rng: &'r mut dyn RngCore) -> Self {
        Self {
            layout: ParamLayout::new(),
            values: Vec::new(),
            next_depth: 0,
            init,
            rng,
        }
    }

    /// The default initialisation scheme.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let registry = caadam_nn::ParamRegistry::new(caadam_nn::Init::HeNormal, &mut rng);
    /// assert_eq!(registry.init(), caadam_nn::Init::HeNormal);
    /// ```
    pub fn init(&self) -> Init {
        self.init
    }

    /// The random source for initial values; layers draw from it in forward order, so the
    /// same seed gives the same model.
    ///
    /// ```
    /// use rand::{Rng, SeedableRng};
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let mut registry = caadam_nn::ParamRegistry::new(caadam_nn::Init::HeNormal, &mut rng);
    /// let _x: f32 = registry.rng().gen();
    /// ```
    pub fn rng(&mut self) -> &mut dyn RngCore {
        self.rng
    }

    /// Starts the next parametrized layer and returns its depth.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let mut registry = caadam_nn::ParamRegistry::new(caadam_nn::Init::HeNormal, &mut rng);
    /// assert_eq!((registry.begin_layer(), registry.begin_layer()), (0, 1));
    /// ```
    pub fn begin_layer(&mut self) -> usize {
        self.next_depth += 1;
        self.next_depth - 1
    }

    /// Appends one tensor of the current layer with its initial values and returns its
    /// segment index (the slot the layer passes to [`ParamStore::bind`]).
    ///
    /// Panics if `values` does not have the shape's number of elements.
    ///
    /// ```
    /// use caadam_nn::{LayerInfo, ParamKind};
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let mut registry = caadam_nn::ParamRegistry::new(caadam_nn::Init::HeNormal, &mut rng);
    /// let d = registry.begin_layer();
    /// let slot = registry.push(ParamKind::Bias, &[2], LayerInfo::new(1, 2, d), &[0.5, 0.5]);
    /// assert_eq!(slot, 0);
    /// assert_eq!(registry.finish().values(), &[0.5, 0.5]);
    /// ```
    pub fn push(
        &mut self,
        kind: ParamKind,
        shape: &[usize],
        info: LayerInfo,
        values: &[f32],
    ) -> usize {
        let len: usize = shape.iter().product();
        assert_eq!(
            values.len(),
            len,
            "ParamRegistry::push: {} values for shape {shape:?}",
            values.len()
        );
        let name = format!("layers.{}.{}", info.depth, kind.as_str());
        self.values.extend_from_slice(values);
        self.layout.push(&name, shape, kind, info)
    }

    /// The finished store: the layout, the initial values, zero gradients.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let registry = caadam_nn::ParamRegistry::new(caadam_nn::Init::HeNormal, &mut rng);
    /// assert!(registry.finish().is_empty());
    /// ```
    pub fn finish(self) -> ParamStore {
        ParamStore::from_values(self.layout, self.values)
            .expect("the registry appends values and segments together")
    }
}
