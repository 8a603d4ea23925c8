//! The reference trajectories of ../shared/fixtures (copied into tests/fixtures/): every
//! case of torch_optim.json, caadam_seed.json and caadam_keras.json is replayed and checked
//! after step 1 and after the last step within `1e-5 * max(1, |expected|)`.
//!
//! Set `CAADAM_FIXTURES` to another folder to run other case files of the same format.
//!
//! torch_maximize.json is this crate's own (made by torch_maximize.py beside it, since the
//! shared set has no `maximize` case) and is always read from tests/fixtures.

use std::path::{Path, PathBuf};

use caadam_nn::{Activation, Init, Mlp, ParamLayout};
use caadam_optim::{CaAdam, CaAdamConfig, Mode, Optimizer, OptimizerConfig, Strategy};
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::Value;

/// A case of torch_optim.json.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TorchCase {
    optimizer: String,
    hyperparameters: Value,
    params0: Vec<f64>,
    grads: Vec<Vec<f64>>,
    expected_step1: Vec<f64>,
    expected_final: Vec<f64>,
}

/// One parameter tensor of a CaAdam case's layout.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutEntry {
    layer: usize,
    kind: String,
    shape: Vec<usize>,
    offset: usize,
    len: usize,
}

/// A case of caadam_seed.json or caadam_keras.json.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaAdamCase {
    sizes: Vec<usize>,
    strategy: Strategy,
    gamma: f64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    #[serde(default)]
    layer_scales: Option<Vec<f64>>,
    layout: Vec<LayoutEntry>,
    params0: Vec<f64>,
    grads: Vec<Vec<f64>>,
    expected_step1: Vec<f64>,
    expected_final: Vec<f64>,
}

/// This crate's copy of the fixtures.
fn own_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The shared fixture `file`, from `CAADAM_FIXTURES` if set.
fn shared(file: &str) -> PathBuf {
    match std::env::var_os("CAADAM_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => own_fixtures(),
    }
    .join(file)
}

/// The `cases` of a fixture file; panics, naming the path, if it is missing or malformed.
fn cases<C: for<'de> Deserialize<'de>>(path: &Path) -> Vec<C> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("fixture file {} missing or unreadable: {e}", path.display()));
    let mut json: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    let cases = json
        .get_mut("cases")
        .unwrap_or_else(|| panic!("{}: no `cases` list", path.display()))
        .take();
    let cases: Vec<C> = serde_json::from_value(cases)
        .unwrap_or_else(|e| panic!("{}: bad case: {e}", path.display()));
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    cases
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// `got` within `1e-5 * max(1, |want|)` of `want`, element by element.
fn compare(what: &str, got: &[f32], want: &[f64]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{what}: {} values, expected {}",
            got.len(),
            want.len()
        ));
    }
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-5 * w.abs().max(1.0);
        // Written so that a NaN result fails too.
        let within = (g as f64 - w).abs() <= tol;
        if !within {
            return Err(format!(
                "{what}: element {i} is {g}, expected {w} (tolerance {tol:e})"
            ));
        }
    }
    Ok(())
}

/// Runs the optimizer over every gradient of the case and compares step 1 and the last.
fn replay(
    opt: &mut dyn Optimizer,
    params0: &[f64],
    grads: &[Vec<f64>],
    step1: &[f64],
    last: &[f64],
) -> Result<(), String> {
    if grads.is_empty() {
        return Err("the case has no gradients".into());
    }
    let mut params = to_f32(params0);
    for (t, g) in grads.iter().enumerate() {
        if g.len() != params.len() {
            return Err(format!(
                "gradient {t} has {} values, params {}",
                g.len(),
                params.len()
            ));
        }
        opt.step(&mut params, &to_f32(g))
            .map_err(|e| format!("step {}: {e}", t + 1))?;
        if t == 0 {
            compare("after step 1", &params, step1)?;
        }
    }
    compare(&format!("after step {}", grads.len()), &params, last)
}

fn check_torch_case(case: &TorchCase) -> Result<(), String> {
    // The config enum has exactly the fixture's shape: an unknown optimizer or option fails.
    let tagged =
        serde_json::json!({ "optimizer": case.optimizer, "hyperparameters": case.hyperparameters });
    let config: OptimizerConfig =
        serde_json::from_value(tagged).map_err(|e| format!("unknown optimizer or option: {e}"))?;
    let layout = ParamLayout::flat("params", case.params0.len());
    let mut opt = config.build(&layout).map_err(|e| e.to_string())?;
    replay(
        opt.as_mut(),
        &case.params0,
        &case.grads,
        &case.expected_step1,
        &case.expected_final,
    )
}

/// The layout of an MLP of `sizes`, as nn builds it.
fn mlp_layout(sizes: &[usize]) -> ParamLayout {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let (_mlp, store) = Mlp::new(sizes, Activation::Relu, Init::GlorotUniform, &mut rng);
    store.layout().clone()
}

fn check_caadam_case(case: &CaAdamCase, mode: Mode) -> Result<(), String> {
    let layout = mlp_layout(&case.sizes);
    let segments = layout.segments();
    if segments.len() != case.layout.len() {
        return Err(format!(
            "nn's Mlp{:?} has {} tensors, the case lists {}",
            case.sizes,
            segments.len(),
            case.layout.len()
        ));
    }
    for (seg, e) in segments.iter().zip(&case.layout) {
        let same = seg.layer == e.layer
            && seg.kind.as_str() == e.kind
            && seg.shape == e.shape
            && seg.offset == e.offset
            && seg.len() == e.len;
        if !same {
            return Err(format!(
                "layout differs at `{}`: nn has {seg:?}, the case {e:?}",
                seg.name
            ));
        }
    }
    let config = CaAdamConfig {
        lr: case.lr,
        betas: (case.beta1, case.beta2),
        eps: Some(case.eps),
        strategy: case.strategy,
        gamma: case.gamma,
        mode,
        ..Default::default()
    };
    let mut opt = CaAdam::new(config, &layout).map_err(|e| e.to_string())?;
    if let Some(want) = &case.layer_scales {
        compare("layer_scales", opt.layer_scales(), want)?;
    }
    replay(
        &mut opt,
        &case.params0,
        &case.grads,
        &case.expected_step1,
        &case.expected_final,
    )
}

/// Runs every case and reports all failures at once.
fn check_all<C>(path: &Path, check: impl Fn(&C) -> Result<(), String>) -> usize
where
    C: for<'de> Deserialize<'de> + std::fmt::Debug,
{
    let cases: Vec<C> = cases(path);
    let file = path.display();
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, c)| check(c).err().map(|e| format!("{file} case {i}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn torch_optim_cases_match() {
    let n = check_all(&shared("torch_optim.json"), check_torch_case);
    println!("torch_optim.json: {n} cases");
}

/// torch with `maximize=True` (every optimizer torch has, weight decay on where it exists).
#[test]
fn torch_maximize_cases_match() {
    let n = check_all(
        &own_fixtures().join("torch_maximize.json"),
        check_torch_case,
    );
    assert_eq!(n, 10);
}

#[test]
fn caadam_seed_cases_match() {
    let n = check_all(&shared("caadam_seed.json"), |c: &CaAdamCase| {
        check_caadam_case(c, Mode::PerLayer)
    });
    println!("caadam_seed.json: {n} cases");
}

#[test]
fn caadam_keras_cases_match() {
    let n = check_all(&shared("caadam_keras.json"), |c: &CaAdamCase| {
        check_caadam_case(c, Mode::KerasReference)
    });
    println!("caadam_keras.json: {n} cases");
}

/// Moves one expected value by `delta` (relative to `max(1, |x|)`).
fn nudge(values: &mut [f64], index: usize, delta: f64) {
    values[index] += delta * values[index].abs().max(1.0);
}

#[test]
fn a_moved_expected_value_is_caught() {
    for case in cases::<TorchCase>(&shared("torch_optim.json")) {
        assert!(check_torch_case(&case).is_ok());
        let last = case.expected_final.len() - 1;
        for (which, index, delta) in [(0, 0, 2e-5), (1, last, -2e-5), (1, last / 2, 1e-3)] {
            let mut moved = case.clone();
            nudge(
                if which == 0 {
                    &mut moved.expected_step1
                } else {
                    &mut moved.expected_final
                },
                index,
                delta,
            );
            assert!(
                check_torch_case(&moved).is_err(),
                "{} with a moved value passed",
                case.optimizer
            );
        }
    }
    for (file, mode) in [
        ("caadam_seed.json", Mode::PerLayer),
        ("caadam_keras.json", Mode::KerasReference),
    ] {
        for case in cases::<CaAdamCase>(&shared(file)) {
            let mut moved = case.clone();
            nudge(&mut moved.expected_final, 0, 2e-5);
            assert!(
                check_caadam_case(&moved, mode).is_err(),
                "{file}: moved final value passed"
            );
            let mut moved = case.clone();
            nudge(
                &mut moved.expected_step1,
                case.expected_step1.len() - 1,
                -2e-5,
            );
            assert!(
                check_caadam_case(&moved, mode).is_err(),
                "{file}: moved step-1 value passed"
            );
            if let Some(s) = &case.layer_scales {
                let mut moved = case.clone();
                moved.layer_scales = Some(s.iter().map(|x| x + 1e-3).collect());
                assert!(
                    check_caadam_case(&moved, mode).is_err(),
                    "{file}: moved layer scale passed"
                );
            }
        }
    }
}

#[test]
fn unknown_optimizers_and_options_fail_loudly() {
    let case = cases::<TorchCase>(&shared("torch_optim.json")).remove(0);
    let mut unknown = case.clone();
    unknown.optimizer = "lion".into();
    assert!(check_torch_case(&unknown).unwrap_err().contains("unknown"));
    let mut bad_option = case.clone();
    bad_option.hyperparameters["lookahead"] = serde_json::json!(5);
    assert!(check_torch_case(&bad_option)
        .unwrap_err()
        .contains("unknown"));
    // A CaAdam case with an unknown key or strategy does not parse.
    let text = r#"{"sizes": [2, 1], "strategy": "quadratic", "gamma": 0.95, "lr": 0.01, "beta1": 0.9,
        "beta2": 0.999, "eps": 1e-8, "layout": [], "params0": [], "grads": [], "expected_step1": [], "expected_final": []}"#;
    assert!(serde_json::from_str::<CaAdamCase>(text).is_err());
    let text = text
        .replace("quadratic", "additive")
        .replace("\"gamma\"", "\"gama\"");
    assert!(serde_json::from_str::<CaAdamCase>(&text).is_err());
}

#[test]
#[should_panic(expected = "missing or unreadable")]
fn a_missing_file_fails_loudly() {
    let _: Vec<TorchCase> = cases(&shared("no_such_file.json"));
}
