//! The multilayer perceptron builder.

use caadam_autograd::{Tape, Tensor, Var};
use rand::RngCore;

use crate::activation::Activation;
use crate::connection::LayerInfo;
use crate::init::Init;
use crate::linear::Linear;
use crate::module::{predict, Module, ParamRegistry};
use crate::store::ParamStore;

/// A stack of [`Linear`] layers with an activation between them: `sizes = [8, 64, 32, 1]`
/// means 8 inputs, hidden layers of 64 and 32 units (each followed by the activation) and
/// a linear output of 1 unit (apply a sigmoid or softmax in the loss, e.g.
/// `bce_with_logits`). With [`Activation::Relu`] each hidden layer and its ReLU are one tape
/// node ([`Linear::forward_activated`]): the same bits as the two recorded apart, in fewer
/// passes over the activations.
///
/// ```
/// use caadam_autograd::{Tape, Tensor};
/// use caadam_nn::{Activation, ConnectionInfo, Init, Mlp, Module};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let (mlp, mut params) = Mlp::new(&[8, 64, 32, 1], Activation::Relu, Init::GlorotUniform, &mut rng);
/// assert_eq!(params.len(), 2689); // 512 + 64 + 2048 + 32 + 32 + 1
/// assert_eq!(mlp.linears()[1].connections(), 2048);
///
/// // One training step's worth of gradient.
/// let mut tape = Tape::new();
/// let x = tape.input_from(&[0.1; 4 * 8], &[4, 8]);
/// let y = tape.input_from(&[1.0; 4], &[4, 1]);
/// let pred = mlp.forward(&mut tape, &params, x);
/// let loss = tape.mse(pred, y);
/// tape.backward(loss);
/// params.accumulate_grads(&tape);
/// assert!(params.grads().iter().any(|&g| g != 0.0));
///
/// // Inference.
/// let out = mlp.predict(&params, &Tensor::zeros(&[3, 8]));
/// assert_eq!(out.shape(), &[3, 1]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    sizes: Vec<usize>,
    activation: Activation,
    linears: Vec<Linear>,
}

impl Mlp {
    /// Builds the network and its parameters: weights drawn with `init` from `rng`, layer
    /// by layer, biases zero.
    ///
    /// Panics if `sizes` has fewer than two entries or a zero.
    ///
    /// ```
    /// use caadam_nn::{Activation, Init, Mlp};
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let (mlp, params) = Mlp::new(&[2, 16, 1], Activation::Tanh, Init::HeUniform, &mut rng);
    /// assert_eq!(mlp.sizes(), &[2, 16, 1]);
    /// assert_eq!(params.layout().segments().len(), 4);
    /// ```
    pub fn new(
        sizes: &[usize],
        activation: Activation,
        init: Init,
        rng: &mut dyn RngCore,
    ) -> (Mlp, ParamStore) {
        assert!(
            sizes.len() >= 2,
            "Mlp::new: need at least input and output sizes, got {sizes:?}"
        );
        let mut mlp = Mlp {
            sizes: sizes.to_vec(),
            activation,
            linears: sizes.windows(2).map(|w| Linear::new(w[0], w[1])).collect(),
        };
        let mut registry = ParamRegistry::new(init, rng);
        mlp.register(&mut registry);
        (mlp, registry.finish())
    }

    /// The layer sizes, input first.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let (mlp, _) = caadam_nn::Mlp::new(&[3, 1], caadam_nn::Activation::Relu, caadam_nn::Init::default(), &mut rng);
    /// assert_eq!(mlp.sizes(), &[3, 1]);
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The hidden layers' activation.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let (mlp, _) = caadam_nn::Mlp::new(&[3, 1], caadam_nn::Activation::Relu, caadam_nn::Init::default(), &mut rng);
    /// assert_eq!(mlp.activation(), caadam_nn::Activation::Relu);
    /// ```
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The linear layers, input side first; each is a [`ConnectionInfo`](crate::ConnectionInfo).
    ///
    /// ```
    /// use caadam_nn::ConnectionInfo;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let (mlp, _) = caadam_nn::Mlp::new(&[3, 5, 1], caadam_nn::Activation::Relu, caadam_nn::Init::default(), &mut rng);
    /// assert_eq!(mlp.linears()[1].depth(), 1);
    /// ```
    pub fn linears(&self) -> &[Linear] {
        &self.linears
    }

    /// The output for `x` (shape `[batch, sizes[0]]`) on an inference tape, as a tensor of
    /// shape `[batch, sizes.last()]`.
    ///
    /// ```
    /// use caadam_autograd::Tensor;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let (mlp, params) = caadam_nn::Mlp::new(&[3, 1], caadam_nn::Activation::Relu, caadam_nn::Init::default(), &mut rng);
    /// // Biases start at zero, so a zero input gives a zero output.
    /// assert_eq!(mlp.predict(&params, &Tensor::zeros(&[2, 3])).data(), &[0.0, 0.0]);
    /// ```
    pub fn predict(&self, params: &ParamStore, x: &Tensor) -> Tensor {
        predict(self, params, x)
    }
}

impl Module for Mlp {
    fn forward(&self, tape: &mut Tape, params: &ParamStore, x: Var) -> Var {
        let last = self.linears.len() - 1;
        let mut h = x;
        for (i, linear) in self.linears.iter().enumerate() {
            h = if i < last {
                // a hidden layer and its activation (one node for ReLU)
                linear.forward_activated(tape, params, h, self.activation)
            } else {
                linear.forward(tape, params, h)
            };
        }
        h
    }

    fn register(&mut self, registry: &mut ParamRegistry<'_>) {
        for linear in &mut self.linears {
            linear.register(registry);
        }
    }

    fn layer_infos(&self) -> Vec<LayerInfo> {
        self.linears.iter().map(LayerInfo::of).collect()
    }

    fn rows_independent(&self) -> bool {
        true
    }
}
