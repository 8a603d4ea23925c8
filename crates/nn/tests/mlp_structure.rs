//! The structure an `Mlp` reports: what CaAdam reads.

use caadam_nn::{Activation, ConnectionInfo, Init, LayerInfo, Mlp, Module, ParamKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// [8, 64, 32, 1]: connections are the weight counts 8*64, 64*32, 32*1; depth counts the
/// Linear layers from 0.
#[test]
fn mlp_8_64_32_1_reports_its_connection_info() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (mlp, params) = Mlp::new(
        &[8, 64, 32, 1],
        Activation::Relu,
        Init::GlorotUniform,
        &mut rng,
    );
    let expected = [(8, 64, 0, 512), (64, 32, 1, 2048), (32, 1, 2, 32)];

    let from_layers: Vec<_> = mlp
        .linears()
        .iter()
        .map(|l| (l.fan_in(), l.fan_out(), l.depth(), l.connections()))
        .collect();
    assert_eq!(from_layers, expected);

    let from_layout: Vec<_> = params
        .layout()
        .layer_infos()
        .iter()
        .map(|i| (i.fan_in(), i.fan_out(), i.depth(), i.connections()))
        .collect();
    assert_eq!(from_layout, expected);
    assert_eq!(mlp.layer_infos(), params.layout().layer_infos());
}

/// Offsets: W0 8*64 = 512 at 0, b0 64 at 512, W1 64*32 = 2048 at 576, b1 32 at 2624,
/// W2 32 at 2656, b2 1 at 2688; 2689 in total.
///
/// (The issue lists "0, 512, 576, 2624, 2656 and total 2657", which stops one tensor
/// short: 2656 + 32 = 2688 is where b2 starts, and the total is 2689. The full list is
/// checked here.)
#[test]
fn mlp_8_64_32_1_flat_layout() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (_mlp, params) = Mlp::new(
        &[8, 64, 32, 1],
        Activation::Relu,
        Init::GlorotUniform,
        &mut rng,
    );
    let rows: Vec<_> = params
        .layout()
        .segments()
        .iter()
        .map(|s| (s.name.as_str(), s.offset, s.shape.clone(), s.layer, s.kind))
        .collect();
    use ParamKind::{Bias, Weight};
    assert_eq!(
        rows,
        vec![
            ("layers.0.weight", 0, vec![8, 64], 0, Weight),
            ("layers.0.bias", 512, vec![64], 0, Bias),
            ("layers.1.weight", 576, vec![64, 32], 1, Weight),
            ("layers.1.bias", 2624, vec![32], 1, Bias),
            ("layers.2.weight", 2656, vec![32, 1], 2, Weight),
            ("layers.2.bias", 2688, vec![1], 2, Bias),
        ]
    );
    assert_eq!(params.len(), 2689);
    assert_eq!(params.grads().len(), 2689);
    assert_eq!(
        params.layout().segments()[2].info,
        LayerInfo::new(64, 32, 1)
    );
}

/// Keras initialisation: Glorot-uniform weights within their limit, zero biases.
#[test]
fn mlp_weights_are_glorot_uniform_and_biases_zero() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (_mlp, params) = Mlp::new(
        &[8, 64, 32, 1],
        Activation::Relu,
        Init::GlorotUniform,
        &mut rng,
    );
    for seg in params.layout().segments() {
        let v = &params.values()[seg.range()];
        match seg.kind {
            ParamKind::Bias => assert!(v.iter().all(|&b| b == 0.0), "{}", seg.name),
            ParamKind::Weight => {
                let limit = (6.0 / (seg.info.fan_in + seg.info.fan_out) as f32).sqrt();
                assert!(v.iter().all(|w| w.abs() <= limit), "{}", seg.name);
                assert!(v.iter().any(|&w| w != 0.0), "{}", seg.name);
            }
        }
    }
}

/// An `Mlp` records each hidden layer and its ReLU as one tape node (`affine_relu`); a
/// `Sequential` of the same layers records them apart. Same parameters, same batch: the
/// same output, loss and gradients, bit for bit (and for Tanh, which `Mlp` records apart).
#[test]
fn mlp_hidden_layers_give_the_bits_of_the_layers_recorded_apart() {
    use caadam_autograd::{Tape, Tensor};
    use caadam_nn::{Linear, Sequential};
    for activation in [Activation::Relu, Activation::Tanh] {
        let sizes = [5, 16, 8, 1];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mlp, mut mlp_params) = Mlp::new(&sizes, activation, Init::GlorotUniform, &mut rng);
        let (seq, mut seq_params) = Sequential::new()
            .push(Linear::new(5, 16))
            .push(activation)
            .push(Linear::new(16, 8))
            .push(activation)
            .push(Linear::new(8, 1))
            .build(Init::GlorotUniform, &mut rng);
        // Nonzero biases, so that the bias and the ReLU's cut both matter.
        for (i, v) in mlp_params.values_mut().iter_mut().enumerate() {
            *v += ((i as f32) * 0.37).sin() * 0.3;
        }
        seq_params.values_mut().copy_from_slice(mlp_params.values());
        let mut data = ChaCha8Rng::seed_from_u64(4);
        let x = Tensor::uniform(&[12, 5], -2.0, 2.0, &mut data);
        let y = Tensor::uniform(&[12, 1], -1.0, 1.0, &mut data);

        let step = |model: &dyn Module, params: &mut caadam_nn::ParamStore| {
            let mut tape = Tape::new();
            let xv = tape.input_from(x.data(), x.shape());
            let yv = tape.input_from(y.data(), y.shape());
            let pred = model.forward(&mut tape, params, xv);
            let loss = tape.mse(pred, yv);
            tape.backward(loss);
            params.set_grads(&tape);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let nodes = tape.len();
            (bits(tape.value(pred).data()), bits(params.grads()), nodes)
        };
        let (mlp_out, mlp_grads, mlp_nodes) = step(&mlp, &mut mlp_params);
        let (seq_out, seq_grads, seq_nodes) = step(&seq, &mut seq_params);
        assert_eq!(mlp_out, seq_out, "{activation:?}: output");
        assert_eq!(mlp_grads, seq_grads, "{activation:?}: gradients");
        assert!(mlp_grads.iter().any(|&g| g != 0));
        // the fusion happened: one node fewer per hidden layer with ReLU
        let fused_away = if activation == Activation::Relu { 2 } else { 0 };
        assert_eq!(
            mlp_nodes + fused_away,
            seq_nodes,
            "{activation:?}: tape nodes"
        );
    }
}
