//! The two SVG figures of the report, per architecture: mean validation loss per epoch for
//! each optimizer, and every run's test RMSE per optimizer (a strip plot with the mean).
//!
//! Text uses plotters' built-in estimate of glyph widths (no font feature): SVG viewers
//! render the labels with their own sans-serif font.

use std::error::Error;
use std::path::Path;

use caadam::experiment::RunRecord;
use plotters::prelude::*;

type PlotResult = Result<(), Box<dyn Error>>;

/// Distinct colors, readable on white (Tableau 10).
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// Per-epoch mean of the validation loss over the runs that reached that epoch.
fn mean_curve(runs: &[&RunRecord]) -> Vec<(usize, f64)> {
    let longest = runs.iter().map(|r| r.val_loss.len()).max().unwrap_or(0);
    (0..longest)
        .filter_map(|e| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.val_loss.get(e).copied())
                .collect();
            (!values.is_empty()).then(|| (e + 1, values.iter().sum::<f64>() / values.len() as f64))
        })
        .collect()
}

/// `val_loss.svg`: one line per optimizer; after a run stops early, the line continues
/// as the mean of the runs still training.
pub fn validation_loss(
    path: &Path,
    title: &str,
    groups: &[(String, Vec<&RunRecord>)],
) -> PlotResult {
    let curves: Vec<(&str, Vec<(usize, f64)>)> = groups
        .iter()
        .map(|(name, runs)| (name.as_str(), mean_curve(runs)))
        .collect();
    let points = curves.iter().flat_map(|(_, c)| c.iter());
    let (lo, hi, last) = points.fold(
        (f64::INFINITY, 0.0f64, 1usize),
        |(lo, hi, last), &(e, v)| (lo.min(v), hi.max(v), last.max(e)),
    );
    if !(lo.is_finite() && lo > 0.0) {
        return Ok(()); // nothing to draw (fixed-epoch runs have no validation)
    }
    // The first epochs dwarf the rest: cap the view at 3x the best loss.
    let hi = hi.min(3.0 * lo);
    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(1usize..last, (lo - 0.02 * (hi - lo))..hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("mean validation MSE (standardized)")
        .y_label_formatter(&|v| format!("{v:.3}"))
        .draw()?;
    for (i, (name, curve)) in curves.iter().enumerate() {
        let color = color(i);
        let visible = curve.iter().map(|&(e, v)| (e, v.min(hi)));
        chart
            .draw_series(LineSeries::new(visible, color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// `test_rmse.svg`: each run's test RMSE as a dot, the mean as a bar, per optimizer.
pub fn test_rmse(path: &Path, title: &str, groups: &[(String, Vec<&RunRecord>)]) -> PlotResult {
    let all: Vec<f64> = groups
        .iter()
        .flat_map(|(_, runs)| runs.iter().map(|r| r.test_rmse))
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return Ok(());
    }
    let pad = ((hi - lo) * 0.15).max(1e-3);
    let names: Vec<&str> = groups.iter().map(|(n, _)| n.as_str()).collect();
    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            // A segmented range `0..k` has k + 1 segments: stop one short.
            (0..names.len() - 1).into_segmented(),
            (lo - pad)..(hi + pad),
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len() + 1)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).map_or(String::new(), |n| n.to_string()),
            _ => String::new(),
        })
        .y_desc("test RMSE (standardized)")
        .y_label_formatter(&|v| format!("{v:.3}"))
        .draw()?;
    for (i, (_, runs)) in groups.iter().enumerate() {
        let color = color(i);
        let n = runs.len() as i32;
        // Spread the dots sideways by run index (deterministic jitter) so equal values show.
        chart.draw_series(runs.iter().enumerate().map(|(k, r)| {
            let dx = (2 * k as i32 - (n - 1)) * 5;
            EmptyElement::at((SegmentValue::CenterOf(i), r.test_rmse))
                + Circle::new((dx, 0), 4, color.filled())
        }))?;
        let mean = runs.iter().map(|r| r.test_rmse).sum::<f64>() / runs.len() as f64;
        chart.draw_series(std::iter::once(
            EmptyElement::at((SegmentValue::CenterOf(i), mean))
                + PathElement::new(vec![(-22, 0), (22, 0)], BLACK.stroke_width(2)),
        ))?;
    }
    root.present()?;
    Ok(())
}
