//! Summary charts for the MNIST report: a horizontal bar chart with reference markers ([`plot_bars`]),
//! a confusion-matrix heatmap ([`plot_confusion`]) and a line chart over categorical x values such as
//! temperatures ([`plot_lines`]).
//!
//! * **Bars**: one horizontal bar per model, its value printed at the end of the bar; an optional
//!   reference value (e.g. the published figure) is drawn as a black tick across the bar and printed
//!   in parentheses, with a legend naming both.
//! * **Confusion matrix**: cell `(i, j)` counts test items of true class `i` predicted as `j`; the
//!   colour is `log(1 + count) / log(1 + max count)` on a white→blue ramp, so single errors are
//!   visible next to diagonal counts in the thousands; zero cells are left blank. The subtitle states
//!   the number of errors (off-diagonal sum) and the accuracy.
//! * **Lines**: one series per model over evenly spaced categories (e.g. T ∈ {1, 2, 3, 4, 8, 20}),
//!   `tab10` colours with markers, dashed series for baselines, legend under the title.
//!
//! # Example
//! ```
//! use kdistill::report::{plot_bars, plot_confusion, plot_lines, Bar, Series};
//! use ndarray::array;
//! let dir = tempfile::tempdir().unwrap();
//! let bars = [Bar::new("teacher", 70.0).with_reference(67.0), Bar::new("student, distilled", 75.0)];
//! plot_bars(dir.path().join("bars.png"), "MNIST test errors", "test errors (of 10 000)", "published", &bars)?;
//! plot_confusion(dir.path().join("cm.png"), "teacher", array![[50usize, 2], [1, 47]].view(), &[])?;
//! let s = [Series::new("784→30→30→10, distilled", vec![0.95, 0.96, 0.955])];
//! let ticks = ["1", "4", "20"].map(String::from);
//! plot_lines(dir.path().join("t.png"), "accuracy vs temperature", "temperature T", "test accuracy", &ticks, &s)?;
//! # Ok::<(), kdistill::KdError>(())
//! ```
use super::canvas::{bold, check_finite_values, fmt_num, fmt_tick, legend_row, render_png, text, titled, Swatch, INK, MUTED};
use super::palette::{blues, class_color};
use crate::error::{KdError, Result};
use ndarray::ArrayView2;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One bar of [`plot_bars`].
///
/// # Examples
///
/// ```
/// use kdistill::report::Bar;
/// let b = Bar::new("teacher", 70.0).with_reference(67.0);
/// assert_eq!((b.label.as_str(), b.value, b.reference), ("teacher", 70.0, Some(67.0)));
/// assert_eq!(Bar::new("student", 75.0).reference, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Category label (model name), drawn left of the bar.
    pub label: String,
    /// Bar length (e.g. test errors).
    pub value: f64,
    /// Optional reference value (e.g. the published figure), drawn as a tick.
    pub reference: Option<f64>,
}

impl Bar {
    /// A bar without reference.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::report::Bar::new("tree", 12.0);
    /// assert_eq!((b.label, b.value, b.reference), ("tree".to_string(), 12.0, None));
    /// ```
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Bar { label: label.into(), value, reference: None }
    }
    /// Attach a reference value.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::report::Bar::new("teacher", 70.0).with_reference(67.0);
    /// assert_eq!(b.reference, Some(67.0));
    /// ```
    pub fn with_reference(mut self, reference: f64) -> Self {
        self.reference = Some(reference);
        self
    }
}

/// One line of [`plot_lines`].
///
/// # Examples
///
/// ```
/// use kdistill::report::Series;
/// let s = Series::new("distilled", vec![0.95, 0.96]);
/// let base = Series::new("hard labels", vec![0.94, 0.94]).dashed();
/// assert_eq!((s.dashed, base.dashed, s.values.len()), (false, true, 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per x category.
    pub values: Vec<f64>,
    /// Draw dashed without markers (for baselines).
    pub dashed: bool,
}

impl Series {
    /// A solid series with markers.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = kdistill::report::Series::new("MLP", vec![1.0, 2.0]);
    /// assert_eq!((s.name.as_str(), s.values, s.dashed), ("MLP", vec![1.0, 2.0], false));
    /// ```
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Series { name: name.into(), values, dashed: false }
    }
    /// Make the series dashed (a baseline).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(kdistill::report::Series::new("baseline", vec![0.5]).dashed().dashed);
    /// ```
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

const BAR_COLOR: RGBColor = RGBColor(31, 119, 180);

/// Horizontal bar chart, one bar per entry (first entry on top), written to `path` as PNG.
///
/// `value_label` describes the x axis; `reference_label` names the reference ticks in the legend
/// (only shown when some bar has a reference). Errors: [`KdError::Empty`] for no bars,
/// [`KdError::NonFinite`] / [`KdError::InvalidParam`] for non-finite or negative values.
///
/// # Examples
///
/// ```
/// use kdistill::report::{plot_bars, Bar};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("errors.png");
/// let bars = [Bar::new("teacher", 70.0).with_reference(67.0), Bar::new("tree, soft", 410.0)];
/// plot_bars(&path, "test errors", "errors (of 10 000)", "published", &bars).unwrap();
/// assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
/// assert!(plot_bars(&path, "t", "v", "r", &[]).is_err());
/// assert!(plot_bars(&path, "t", "v", "r", &[Bar::new("bad", -1.0)]).is_err());
/// ```
pub fn plot_bars(path: impl AsRef<Path>, title: &str, value_label: &str, reference_label: &str, bars: &[Bar]) -> Result<()> {
    if bars.is_empty() {
        return Err(KdError::Empty("bar chart without bars".into()));
    }
    check_finite_values(bars.iter().map(|b| b.value), "bar values")?;
    check_finite_values(bars.iter().filter_map(|b| b.reference), "bar reference values")?;
    if let Some(b) = bars.iter().find(|b| b.value < 0.0 || b.reference.is_some_and(|r| r < 0.0)) {
        return Err(KdError::param("bar value", format!("{} ({})", b.value, b.label), "bars must be ≥ 0"));
    }
    let n = bars.len();
    let has_ref = bars.iter().any(|b| b.reference.is_some());
    let max = bars.iter().flat_map(|b| [Some(b.value), b.reference]).flatten().fold(0.0, f64::max);
    let xmax = if max > 0.0 { max * 1.28 } else { 1.0 };
    let size = (960, 150 + 40 * n as u32);
    render_png(path.as_ref(), size, |root| {
        root.fill(&WHITE)?;
        let mut area = titled(&root.margin(10, 0, 0, 0), title, None, 24.0)?;
        if has_ref {
            area = legend_row(&area, &[(Swatch::Square(BAR_COLOR), "this run".into()), (Swatch::Tick(INK), reference_label.into())], 14.0)?;
        }
        let label_w = bars.iter().map(|b| area.estimate_text_size(&b.label, &text(15.0, INK)).map(|(w, _)| w)).try_fold(0u32, |m, w| w.map(|w| m.max(w)))?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(30)
            .x_label_area_size(48)
            .y_label_area_size(label_w as i32 + 14)
            .build_cartesian_2d(0.0..xmax, (0..n as i32 - 1).into_segmented())?;
        let row = |i: usize| (n - 1 - i) as i32; // first bar on top
        let names: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        let fmt_y = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(j) if (0..n as i32).contains(j) => names[n - 1 - *j as usize].to_string(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .y_labels(n + 1)
            .y_label_formatter(&fmt_y)
            .x_label_formatter(&fmt_tick)
            .x_desc(value_label)
            .label_style(text(15.0, INK))
            .axis_desc_style(text(15.0, MUTED))
            .draw()?;
        let band = chart.plotting_area().dim_in_pixel().1 as f64 / n as f64;
        let inset = (band * 0.18) as u32;
        for (i, b) in bars.iter().enumerate() {
            let j = row(i);
            let mut r = Rectangle::new([(0.0, SegmentValue::Exact(j)), (b.value, SegmentValue::Exact(j + 1))], BAR_COLOR.filled());
            r.set_margin(inset, inset, 0, 0);
            chart.draw_series(std::iter::once(r))?;
            let mut label = fmt_num(b.value, 2);
            if let Some(rf) = b.reference {
                let hh = (band * 0.42) as i32;
                let tick = EmptyElement::at((rf, SegmentValue::CenterOf(j))) + PathElement::new(vec![(0, -hh), (0, hh)], INK.stroke_width(3));
                chart.draw_series(std::iter::once(tick))?;
                label = format!("{label}   ({reference_label}: {})", fmt_num(rf, 2));
            }
            let end = b.value.max(b.reference.unwrap_or(0.0));
            let txt = EmptyElement::at((end, SegmentValue::CenterOf(j))) + Text::new(label, (8, 0), text(14.0, INK).pos(Pos::new(HPos::Left, VPos::Center)));
            chart.draw_series(std::iter::once(txt))?;
        }
        Ok(())
    })
}

/// Confusion-matrix heatmap of `counts` (K × K, row = true class, column = predicted), written to
/// `path` as PNG. `class_names` labels the classes (empty: "0", "1", …). The subtitle reports the
/// errors and accuracy. Errors: [`KdError::Shape`] for a non-square matrix or wrong number of names,
/// [`KdError::Empty`] for an empty or all-zero matrix.
///
/// # Examples
///
/// ```
/// use kdistill::report::plot_confusion;
/// use ndarray::array;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("cm.png");
/// let names = ["cat", "dog", "emu"].map(String::from);
/// plot_confusion(&path, "tree", array![[50usize, 2, 0], [1, 47, 0], [0, 0, 9]].view(), &names).unwrap();
/// assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
/// assert!(plot_confusion(&path, "t", array![[1usize, 2]].view(), &[]).is_err()); // not square
/// ```
pub fn plot_confusion(path: impl AsRef<Path>, title: &str, counts: ArrayView2<usize>, class_names: &[String]) -> Result<()> {
    let k = counts.nrows();
    if k != counts.ncols() {
        return Err(KdError::Shape(format!("confusion matrix must be square, got {:?}", counts.dim())));
    }
    let total: usize = counts.sum();
    if k == 0 || total == 0 {
        return Err(KdError::Empty(format!("confusion matrix {:?} has no counts", counts.dim())));
    }
    if !class_names.is_empty() && class_names.len() != k {
        return Err(KdError::Shape(format!("{} class names for a {k}×{k} confusion matrix", class_names.len())));
    }
    let name = |i: usize| class_names.get(i).cloned().unwrap_or_else(|| i.to_string());
    let correct: usize = (0..k).map(|i| counts[[i, i]]).sum();
    let subtitle = format!("{} errors in {} ({:.2}% accuracy)", total - correct, total, 100.0 * correct as f64 / total as f64);
    let max = *counts.iter().max().unwrap_or(&1) as f64;
    let cell = (560 / k as u32).clamp(24, 80);
    let side = cell * k as u32;
    render_png(path.as_ref(), (side + 150, side + 170), |root| {
        root.fill(&WHITE)?;
        let area = titled(&root.margin(10, 0, 0, 0), title, Some(&subtitle), 24.0)?;
        let fs = (cell as f64 * 0.3).clamp(9.0, 16.0);
        let mut chart = ChartBuilder::on(&area)
            .margin(10)
            .margin_right(40)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((0..k as i32 - 1).into_segmented(), (0..k as i32 - 1).into_segmented())?;
        let lab = |v: &SegmentValue<i32>, flip: bool| match v {
            SegmentValue::CenterOf(j) if (0..k as i32).contains(j) => name(if flip { k - 1 - *j as usize } else { *j as usize }),
            _ => String::new(),
        };
        let (fx, fy) = (|v: &SegmentValue<i32>| lab(v, false), |v: &SegmentValue<i32>| lab(v, true));
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(k + 1)
            .y_labels(k + 1)
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .x_desc("predicted class")
            .y_desc("true class")
            .label_style(text(15.0, INK))
            .axis_desc_style(text(15.0, MUTED))
            .draw()?;
        for ((i, j), &c) in counts.indexed_iter() {
            let t = ((1.0 + c as f64).ln() / (1.0 + max).ln()) as f32;
            let (x, y) = (j as i32, (k - 1 - i) as i32);
            let mut r = Rectangle::new([(SegmentValue::Exact(x), SegmentValue::Exact(y)), (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1))], blues(t).filled());
            r.set_margin(1, 1, 1, 1);
            chart.draw_series(std::iter::once(r))?;
            if c > 0 {
                let color = if t > 0.6 { WHITE } else { INK };
                let style = if i == j { bold(fs).color(&color) } else { text(fs, color) };
                let txt = Text::new(c.to_string(), (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)), style.pos(Pos::new(HPos::Center, VPos::Center)));
                chart.draw_series(std::iter::once(txt))?;
            }
        }
        Ok(())
    })
}

/// Line chart of `series` over the categories `x_ticks` (evenly spaced, e.g. temperatures), written
/// to `path` as PNG. Errors: [`KdError::Empty`] for no series or no ticks, [`KdError::Shape`] when a
/// series has a different length than `x_ticks`, [`KdError::NonFinite`] for NaN/inf values.
///
/// # Examples
///
/// ```
/// use kdistill::report::{plot_lines, Series};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.png");
/// let ticks = ["1", "2", "4"].map(String::from);
/// let s = [Series::new("distilled", vec![0.95, 0.97, 0.96]), Series::new("hard", vec![0.94; 3]).dashed()];
/// plot_lines(&path, "accuracy vs T", "temperature T", "test accuracy", &ticks, &s).unwrap();
/// assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
/// assert!(plot_lines(&path, "t", "x", "y", &ticks[..2], &s).is_err()); // 3 values, 2 ticks
/// ```
pub fn plot_lines(path: impl AsRef<Path>, title: &str, x_label: &str, y_label: &str, x_ticks: &[String], series: &[Series]) -> Result<()> {
    plot_line_panels(path, title, x_label, x_ticks, &[Panel { y_label: y_label.to_string(), series: series.to_vec() }])
}

/// One panel of [`plot_line_panels`]: its y-axis label and its series.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Y-axis label.
    pub y_label: String,
    /// The lines, one value per x tick each.
    pub series: Vec<Series>,
}

/// Side-by-side line charts sharing the x categories `x_ticks` and one legend (taken from the first
/// panel: give every panel the same series names in the same order, e.g. accuracy and fidelity of the
/// same models). Same errors as [`plot_lines`], per panel; [`KdError::Empty`] for no panels.
///
/// # Examples
///
/// ```
/// use kdistill::report::{plot_line_panels, Panel, Series};
/// let dir = tempfile::tempdir().unwrap();
/// let ticks = ["256", "1024", "4096"].map(String::from);
/// let acc = Panel { y_label: "test accuracy".into(), series: vec![Series::new("tree", vec![0.80, 0.86, 0.88])] };
/// let fid = Panel { y_label: "fidelity".into(), series: vec![Series::new("tree", vec![0.81, 0.87, 0.89])] };
/// plot_line_panels(dir.path().join("curve.png"), "size curve", "leaves", &ticks, &[acc, fid])?;
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub fn plot_line_panels(path: impl AsRef<Path>, title: &str, x_label: &str, x_ticks: &[String], panels: &[Panel]) -> Result<()> {
    if panels.is_empty() {
        return Err(KdError::Empty("line chart without panels".into()));
    }
    let m = x_ticks.len();
    for panel in panels {
        if panel.series.is_empty() || m == 0 {
            return Err(KdError::Empty(format!("line chart with {} series over {m} x values", panel.series.len())));
        }
        for s in &panel.series {
            if s.values.len() != m {
                return Err(KdError::Shape(format!("series `{}` has {} values for {m} x ticks", s.name, s.values.len())));
            }
            check_finite_values(s.values.iter().copied(), &format!("series `{}`", s.name))?;
        }
    }
    let first = &panels[0].series;
    let colors: Vec<RGBColor> = (0..first.len()).map(class_color).collect();
    let legend: Vec<_> = first
        .iter()
        .zip(&colors)
        .map(|(s, &c)| (if s.dashed { Swatch::Line(c) } else { Swatch::LineDot(c) }, s.name.clone()))
        .collect();
    let width = 900 * panels.len() as u32 - 100 * (panels.len() as u32 - 1);
    render_png(path.as_ref(), (width, 560), |root| {
        root.fill(&WHITE)?;
        let mut area = titled(&root.margin(10, 0, 0, 0), title, None, 24.0)?;
        // At most 3 legend entries per row per panel, rows balanced.
        let per_row_max = 3 * panels.len();
        let per_row = legend.len().div_ceil(legend.len().div_ceil(per_row_max));
        for chunk in legend.chunks(per_row) {
            area = legend_row(&area, chunk, 14.0)?;
        }
        for (panel, sub) in panels.iter().zip(area.split_evenly((1, panels.len()))) {
            draw_lines(&sub, x_label, &panel.y_label, x_ticks, &panel.series)?;
        }
        Ok(())
    })
}

fn draw_lines(area: &super::canvas::Area, x_label: &str, y_label: &str, x_ticks: &[String], series: &[Series]) -> super::canvas::DrawResult {
    let m = x_ticks.len();
    let (lo, hi) = series.iter().flat_map(|s| s.values.iter()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.12).max(hi.abs().max(1e-3) * 1e-3);
    let (lo, hi) = (lo - pad, hi + pad);
    let colors: Vec<RGBColor> = (0..series.len()).map(class_color).collect();
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .margin_right(30)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((0..m as i32 - 1).into_segmented(), lo..hi)?;
    let fx = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(j) if (0..m as i32).contains(j) => x_ticks[*j as usize].clone(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .x_labels(m + 1)
        .y_labels(8)
        .x_label_formatter(&fx)
        .y_label_formatter(&fmt_tick)
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(text(15.0, INK))
        .axis_desc_style(text(15.0, MUTED))
        .draw()?;
    for (s, &c) in series.iter().zip(&colors) {
        let pts: Vec<_> = s.values.iter().enumerate().map(|(j, &v)| (SegmentValue::CenterOf(j as i32), v)).collect();
        if s.dashed {
            chart.draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(2)))?;
        } else {
            chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?;
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::check_png;
    use ndarray::Array2;

    #[test]
    fn bars_confusion_and_lines_write_pngs_of_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let bars = [Bar::new("teacher", 70.0).with_reference(67.0), Bar::new("student", 80.0), Bar::new("distilled", 74.0).with_reference(74.0)];
        let p = dir.path().join("bars.png");
        plot_bars(&p, "errors", "test errors", "published", &bars).unwrap();
        check_png(&p, (960, 150 + 40 * 3));

        let cm = Array2::from_shape_fn((10, 10), |(i, j)| if i == j { 980 } else { (i * j) % 3 });
        let p = dir.path().join("cm.png");
        plot_confusion(&p, "teacher", cm.view(), &[]).unwrap();
        check_png(&p, (56 * 10 + 150, 56 * 10 + 170));

        let ticks: Vec<String> = [1, 2, 3, 4, 8, 20].iter().map(|t| t.to_string()).collect();
        let s = [Series::new("a", vec![0.9, 0.92, 0.93, 0.94, 0.93, 0.91]), Series::new("base", vec![0.9; 6]).dashed()];
        let p = dir.path().join("lines.png");
        plot_lines(&p, "acc vs T", "T", "accuracy", &ticks, &s).unwrap();
        check_png(&p, (900, 560));
    }

    #[test]
    fn invalid_chart_inputs_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.png");
        assert!(matches!(plot_bars(&p, "t", "v", "r", &[]), Err(KdError::Empty(_))));
        assert!(matches!(plot_bars(&p, "t", "v", "r", &[Bar::new("a", f64::NAN)]), Err(KdError::NonFinite { .. })));
        assert!(matches!(plot_bars(&p, "t", "v", "r", &[Bar::new("a", -1.0)]), Err(KdError::InvalidParam { .. })));
        assert!(matches!(plot_confusion(&p, "t", Array2::<usize>::zeros((2, 3)).view(), &[]), Err(KdError::Shape(_))));
        assert!(matches!(plot_confusion(&p, "t", Array2::<usize>::zeros((2, 2)).view(), &[]), Err(KdError::Empty(_))));
        assert!(matches!(plot_confusion(&p, "t", Array2::<usize>::ones((2, 2)).view(), &["a".into()]), Err(KdError::Shape(_))));
        let ticks = vec!["1".to_string(), "2".to_string()];
        assert!(matches!(plot_lines(&p, "t", "x", "y", &ticks, &[]), Err(KdError::Empty(_))));
        assert!(matches!(plot_lines(&p, "t", "x", "y", &ticks, &[Series::new("a", vec![1.0])]), Err(KdError::Shape(_))));
        assert!(matches!(plot_lines(&p, "t", "x", "y", &ticks, &[Series::new("a", vec![1.0, f64::INFINITY])]), Err(KdError::NonFinite { .. })));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
