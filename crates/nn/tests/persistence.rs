//! A trained-looking model survives a checkpoint and a safetensors round trip: same bits,
//! same predictions.

use caadam_autograd::Tensor;
use caadam_nn::{
    export_safetensors, import_safetensors, load_checkpoint, load_checkpoint_into, save_checkpoint,
    Activation, Init, Mlp, NnError,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn model(seed: u64) -> (Mlp, caadam_nn::ParamStore) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Mlp::new(&[8, 64, 32, 1], Activation::Relu, Init::HeNormal, &mut rng)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn checkpoint_round_trip_gives_identical_bits_and_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.ckpt");
    let (mlp, trained) = model(1);
    save_checkpoint(&path, &trained).unwrap();

    let (_, fresh) = model(2);
    assert_ne!(bits(fresh.values()), bits(trained.values()));
    let mut restored = fresh;
    load_checkpoint_into(&path, &mut restored).unwrap();
    assert_eq!(bits(restored.values()), bits(trained.values()));

    let x = Tensor::new((0..40).map(|i| (i as f32 * 0.37).sin()).collect(), &[5, 8]);
    assert_eq!(
        bits(mlp.predict(&restored, &x).data()),
        bits(mlp.predict(&trained, &x).data())
    );
    assert_eq!(load_checkpoint(&path).unwrap().layout(), trained.layout());
}

#[test]
fn checkpoint_of_another_architecture_names_the_first_differing_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.ckpt");
    save_checkpoint(&path, &model(1).1).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (_, mut other) = Mlp::new(&[8, 64, 16, 1], Activation::Relu, Init::HeNormal, &mut rng);
    let err = load_checkpoint_into(&path, &mut other).unwrap_err();
    match err {
        NnError::LayoutMismatch { tensor, reason } => {
            assert_eq!(tensor, "layers.1.weight");
            assert_eq!(
                reason,
                "shape [64, 32] in the checkpoint, [64, 16] in the model"
            );
        }
        other => panic!("expected LayoutMismatch, got {other}"),
    }
}

#[test]
fn safetensors_round_trip_gives_identical_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.safetensors");
    let (mlp, trained) = model(1);
    export_safetensors(&path, &trained).unwrap();
    let (_, mut restored) = model(2);
    import_safetensors(&path, &mut restored).unwrap();
    assert_eq!(bits(restored.values()), bits(trained.values()));
    let x = Tensor::new((0..16).map(|i| i as f32 / 16.0).collect(), &[2, 8]);
    assert_eq!(
        bits(mlp.predict(&restored, &x).data()),
        bits(mlp.predict(&trained, &x).data())
    );
}

#[test]
fn safetensors_into_a_smaller_model_reports_the_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.safetensors");
    export_safetensors(&path, &model(1).1).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (_, mut other) = Mlp::new(&[8, 32, 32, 1], Activation::Relu, Init::HeNormal, &mut rng);
    let err = import_safetensors(&path, &mut other).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tensor `layers.0.weight` has shape [8, 64] in the file, the model expects [8, 32]"
    );
}

#[test]
fn early_stopping_snapshot_restores_the_best_values() {
    let (_, mut params) = model(3);
    let best = params.snapshot();
    for v in params.values_mut() {
        *v += 1.0;
    }
    params.restore(&best);
    assert_eq!(bits(params.values()), bits(&best));
}
