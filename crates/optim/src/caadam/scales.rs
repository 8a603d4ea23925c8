//! CaAdam's scaling factors S, from the network's structure (see DESIGN.md, "CaAdam,
//! exactly").
//!
//! For connection counts `c` with minimum `lo`, median `med` and maximum `hi`:
//! `sigma = (med - c)/(med - lo)` if `c <= med`, else `(c - med)/(hi - med)`, and 0 where
//! that denominator is 0. Then
//! - additive: `S = 1 + gamma*sigma` if `c <= med`, else `1 - gamma*sigma`;
//! - multiplicative: `S = exp(sigma * ln gamma)` (= `gamma^sigma`);
//! - depth: `S = (1 + gamma)^((n - (1 + d))/n)` for the item at depth `d` of `n`.

use caadam_nn::{ConnectionInfo, ParamKind, ParamLayout};
use serde::{Deserialize, Serialize};

/// How CaAdam turns the structure into a factor S.
///
/// ```
/// use caadam_optim::Strategy;
/// assert_eq!(Strategy::default(), Strategy::Additive);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// `S = 1 ± gamma*sigma`: layers smaller than the median step more, larger ones less.
    #[default]
    Additive,
    /// `S = gamma^sigma`: layers far from the median (either way) step less for `gamma < 1`.
    Multiplicative,
    /// `S = (1+gamma)^((n-1-d)/n)`: earlier layers step more.
    Depth,
}

/// Which definition of the scales CaAdam uses.
///
/// ```
/// use caadam_optim::Mode;
/// assert_eq!(Mode::default(), Mode::PerLayer);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The method as the paper defines it: one S per parametrized layer from its
    /// connection count and depth, shared by the layer's weight and bias; torch's epsilon.
    #[default]
    PerLayer,
    /// What the authors' package (caadam 0.1.1 under Keras 3) actually computes: one S per
    /// variable in `[W0, b0, W1, b1, ...]` order, depth = variable index, every weight with
    /// the last weight's element count, every bias with count 0; Keras's epsilon form.
    KerasReference,
}

/// `sigma` for a count `c`, with 0 wherever the formula divides by zero.
///
/// ```
/// use caadam_optim::caadam::scales::sigma;
/// assert_eq!(sigma(32.0, 32.0, 256.0, 1024.0), 1.0);
/// assert_eq!(sigma(640.0, 32.0, 256.0, 1024.0), 0.5);
/// assert_eq!(sigma(9.0, 9.0, 9.0, 18.0), 0.0); // median = minimum: no NaN
/// ```
pub fn sigma(c: f64, lo: f64, med: f64, hi: f64) -> f64 {
    let s = if c <= med {
        (med - c) / (med - lo)
    } else {
        (c - med) / (hi - med)
    };
    // 0/0 (NaN) or x/0 (infinity): the published code's division by zero; sigma is 0.
    if s.is_finite() {
        s
    } else {
        0.0
    }
}

/// The median of `values` (the mean of the two middle values for an even count), with
/// the minimum and maximum: `(lo, med, hi)`. `None` for no values.
///
/// ```
/// use caadam_optim::caadam::scales::min_median_max;
/// assert_eq!(min_median_max(&[18.0, 9.0, 27.0, 9.0]), Some((9.0, 13.5, 27.0)));
/// ```
pub fn min_median_max(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let med = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((v[0], med, v[n - 1]))
}

/// S for one item: `c` its count, `(lo, med, hi)` the counts' statistics, `depth` its
/// index among `n` items.
///
/// ```
/// use caadam_optim::{caadam::scales::scale, Strategy};
/// let stats = (32.0, 256.0, 1024.0);
/// assert!((scale(Strategy::Additive, 0.95, 1024.0, stats, 1, 3) - 0.05).abs() < 1e-15);
/// assert_eq!(scale(Strategy::Multiplicative, 0.95, 32.0, stats, 2, 3), 0.95);
/// assert!((scale(Strategy::Depth, 1.0, 0.0, stats, 0, 2) - 2f64.sqrt()).abs() < 1e-15);
/// ```
pub fn scale(
    strategy: Strategy,
    gamma: f64,
    c: f64,
    (lo, med, hi): (f64, f64, f64),
    depth: usize,
    n: usize,
) -> f64 {
    match strategy {
        Strategy::Additive => {
            let s = sigma(c, lo, med, hi);
            if c <= med {
                1.0 + gamma * s
            } else {
                1.0 - gamma * s
            }
        }
        Strategy::Multiplicative => {
            let s = sigma(c, lo, med, hi);
            // gamma^0 = 1 even for gamma = 0, where s*ln(gamma) would be 0*(-inf).
            if s == 0.0 {
                1.0
            } else {
                (s * gamma.ln()).exp()
            }
        }
        Strategy::Depth => (1.0 + gamma).powf((n as f64 - (1.0 + depth as f64)) / n as f64),
    }
}

/// S per parametrized layer, from the layout's [`ConnectionInfo`] (per-layer mode).
///
/// ```
/// use caadam_nn::{LayerInfo, ParamKind, ParamLayout};
/// use caadam_optim::{caadam::scales::per_layer, Strategy};
/// let mut layout = ParamLayout::new();
/// for (i, (a, b)) in [(8, 32), (32, 32), (32, 1)].into_iter().enumerate() {
///     let info = LayerInfo::new(a, b, i);
///     layout.push(&format!("layers.{i}.weight"), &[a, b], ParamKind::Weight, info);
///     layout.push(&format!("layers.{i}.bias"), &[b], ParamKind::Bias, info);
/// }
/// let s = per_layer(&layout, Strategy::Additive, 0.95);
/// assert_eq!(s[0], 1.0);
/// assert!((s[1] - 0.05).abs() < 1e-12 && (s[2] - 1.95).abs() < 1e-12);
/// ```
pub fn per_layer(layout: &ParamLayout, strategy: Strategy, gamma: f64) -> Vec<f64> {
    let infos = layout.layer_infos();
    let counts: Vec<f64> = infos.iter().map(|i| i.connections() as f64).collect();
    let Some(stats) = min_median_max(&counts) else {
        return Vec::new();
    };
    let n = infos.len();
    infos
        .iter()
        .zip(&counts)
        .map(|(info, &c)| scale(strategy, gamma, c, stats, info.depth(), n))
        .collect()
}

/// S per layout segment (parameter tensor), in either mode.
///
/// In per-layer mode each segment takes its layer's S. In Keras-reference mode the
/// segments are the package's variables: weights (kind [`ParamKind::Weight`]) count as
/// kernels, biases as biases.
///
/// ```
/// use caadam_nn::{LayerInfo, ParamKind, ParamLayout};
/// use caadam_optim::{caadam::scales::per_segment, Mode, Strategy};
/// let mut layout = ParamLayout::new();
/// for (i, (a, b)) in [(8, 32), (32, 32), (32, 1)].into_iter().enumerate() {
///     let info = LayerInfo::new(a, b, i);
///     layout.push(&format!("layers.{i}.weight"), &[a, b], ParamKind::Weight, info);
///     layout.push(&format!("layers.{i}.bias"), &[b], ParamKind::Bias, info);
/// }
/// // Keras reference, depth: S = 1.95^((6 - 1 - index)/6) for the variable at `index`.
/// let s = per_segment(&layout, Strategy::Depth, 0.95, Mode::KerasReference);
/// assert!((s[0] - 1.95f64.powf(5.0 / 6.0)).abs() < 1e-12 && s[5] == 1.0);
/// ```
pub fn per_segment(layout: &ParamLayout, strategy: Strategy, gamma: f64, mode: Mode) -> Vec<f64> {
    let segments = layout.segments();
    match mode {
        Mode::PerLayer => {
            let layers = per_layer(layout, strategy, gamma);
            let mut index = 0;
            segments
                .iter()
                .enumerate()
                .map(|(i, seg)| {
                    if i > 0 && segments[i - 1].layer != seg.layer {
                        index += 1;
                    }
                    layers[index]
                })
                .collect()
        }
        Mode::KerasReference => {
            let kernel_counts: Vec<f64> = segments
                .iter()
                .filter(|s| s.kind == ParamKind::Weight)
                .map(|s| s.len() as f64)
                .collect();
            let Some(stats) = min_median_max(&kernel_counts) else {
                // No weights: the package's statistics are NaN, so every sigma is 0.
                let nan = (f64::NAN, f64::NAN, f64::NAN);
                return (0..segments.len())
                    .map(|i| scale(strategy, gamma, 0.0, nan, i, segments.len()))
                    .collect();
            };
            // The package keys the counts by the short name "kernel": the last one wins.
            let last_kernel = *kernel_counts.last().expect("stats exist, so a kernel does");
            let n = segments.len();
            segments
                .iter()
                .enumerate()
                .map(|(index, seg)| {
                    let c = match seg.kind {
                        ParamKind::Weight => last_kernel,
                        ParamKind::Bias => 0.0,
                    };
                    scale(strategy, gamma, c, stats, index, n)
                })
                .collect()
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use caadam_nn::LayerInfo;

    /// The layout of an MLP with layer widths `sizes` (weight then bias per layer), as
    /// caadam-nn builds it; CaAdam's own tests use it too.
    pub(crate) fn mlp(sizes: &[usize]) -> ParamLayout {
        let mut layout = ParamLayout::new();
        for (i, w) in sizes.windows(2).enumerate() {
            let info = LayerInfo::new(w[0], w[1], i);
            layout.push(
                &format!("layers.{i}.weight"),
                &[w[0], w[1]],
                ParamKind::Weight,
                info,
            );
            layout.push(&format!("layers.{i}.bias"), &[w[1]], ParamKind::Bias, info);
        }
        layout
    }

    #[test]
    fn equal_connections_give_one_everywhere() {
        let layout = mlp(&[7, 7, 7, 7]);
        for strategy in [Strategy::Additive, Strategy::Multiplicative] {
            assert_eq!(per_layer(&layout, strategy, 0.95), vec![1.0; 3]);
        }
    }

    #[test]
    fn median_equal_to_minimum_has_no_nan() {
        // counts 9, 9, 18: med = lo = 9.
        let layout = mlp(&[3, 3, 3, 6]);
        let s = per_layer(&layout, Strategy::Additive, 0.95);
        assert_eq!(s[0], 1.0);
        assert_eq!(s[1], 1.0);
        assert!((s[2] - 0.05).abs() < 1e-12);
        let m = per_layer(&layout, Strategy::Multiplicative, 0.95);
        assert!(m.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn a_single_layer_is_plain_adam() {
        let layout = mlp(&[4, 3]);
        for strategy in [
            Strategy::Additive,
            Strategy::Multiplicative,
            Strategy::Depth,
        ] {
            assert_eq!(per_layer(&layout, strategy, 0.95), vec![1.0]);
            assert_eq!(
                per_segment(&layout, strategy, 0.95, Mode::PerLayer),
                vec![1.0, 1.0]
            );
        }
    }

    #[test]
    fn even_count_median_is_the_mean_of_the_middle_two() {
        // counts 18, 9, 9, 27: med 13.5, so layer 0 (18) has sigma (18-13.5)/(27-13.5) = 1/3.
        let s = per_layer(&mlp(&[6, 3, 3, 3, 9]), Strategy::Additive, 0.95);
        assert!((s[0] - (1.0 - 0.95 / 3.0)).abs() < 1e-12);
        assert_eq!(s[1], 1.95);
    }

    #[test]
    fn keras_reference_uses_the_last_kernel_and_zero_bias_counts() {
        // Kernels 256, 1024, 32: lo 32, med 256, hi 1024. Every kernel uses c = 32
        // (sigma 1, S = 1.95); biases use c = 0 (sigma 256/224, S = 1 + 0.95*8/7).
        let s = per_segment(
            &mlp(&[8, 32, 32, 1]),
            Strategy::Additive,
            0.95,
            Mode::KerasReference,
        );
        for (i, x) in s.iter().enumerate() {
            let want = if i % 2 == 0 {
                1.95
            } else {
                1.0 + 0.95 * 256.0 / 224.0
            };
            assert!((x - want).abs() < 1e-12, "{i}: {x} vs {want}");
        }
    }

    #[test]
    fn keras_reference_division_by_zero_gives_sigma_zero() {
        // All kernels 25: med = lo = hi; kernels 0/0, biases 25/0 -> sigma 0 -> S = 1.
        let s = per_segment(
            &mlp(&[5, 5, 5]),
            Strategy::Multiplicative,
            0.95,
            Mode::KerasReference,
        );
        assert_eq!(s, vec![1.0; 4]);
    }
}
