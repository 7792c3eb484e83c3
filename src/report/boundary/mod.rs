//! Decision-boundary plots for 2-D, K-class models: one model per image ([`plot_boundary`]) or
//! several side by side in one panel ([`plot_boundary_panel`]).
//!
//! # What is drawn
//! The caller evaluates its model on a regular [`Grid`] of `nx × ny` points spanning the x1/x2 box
//! (get them from [`Grid::points`]; row `iy·nx + ix` holds the point `(x_min + ix·Δx, y_min + iy·Δy)`,
//! so x varies fastest and `iy = 0` is the bottom edge) and passes the `nx·ny × K` probability matrix.
//! Each pixel of the plotting area then gets:
//!
//! * its probability vector `p`, bilinearly interpolated from the four surrounding grid points;
//! * the colour of its predicted class `a = argmax p`, blended with white by the confidence
//!   `t = (p_a − 1/K) / (1 − 1/K)` (white where the model is at chance, saturated where it is sure; for
//!   K = 2 this is a blue–white–orange diverging map of `P(class 1)`);
//! * an anti-aliased dark line where the predicted class changes: with the margin
//!   `m = p_a − max_{j≠a} p_j` (zero exactly on the decision boundary, and for K = 2 the 0.5 contour),
//!   the distance to the boundary in pixels is estimated as `m / |∇m|` and the line is drawn where it
//!   is below ~1 px.
//!
//! The background is written pixel by pixel (no per-cell rectangles), so a plot renders in a few
//! milliseconds. Test points are drawn on top in their true class colour with dark edges; points
//! outside the grid box are skipped.
//!
//! # Example
//! ```
//! use kdistill::report::{plot_boundary, BoundaryOptions, BoundaryPlot, Grid};
//! use ndarray::{array, Array2};
//!
//! let grid = Grid::new((-1.0, 1.0), (-1.0, 1.0), 50, 40)?;
//! let pts = grid.points();
//! // A "model": P(class 1) = sigmoid(4·x1).
//! let probs = Array2::from_shape_fn((grid.len(), 2), |(i, k)| {
//!     let p1 = 1.0 / (1.0 + (-4.0 * pts[[i, 0]]).exp());
//!     if k == 1 { p1 } else { 1.0 - p1 }
//! });
//! let test_x = array![[-0.5f32, 0.2], [0.6, -0.3]];
//! let test_y = array![0usize, 1];
//! let dir = tempfile::tempdir().unwrap();
//! let plot = BoundaryPlot::new("sigmoid model — test accuracy 100.0%", probs.view());
//! plot_boundary(dir.path().join("b.png"), &grid, &plot, test_x.view(), test_y.view(), &BoundaryOptions::default())?;
//! # Ok::<(), kdistill::KdError>(())
//! ```

mod grid;
mod raster;
#[cfg(test)]
mod tests;

pub use grid::Grid;
use raster::rasterise;

use crate::report::canvas::{legend_row, render_png, titled, Area, DrawResult, Swatch, INK, MUTED};
use crate::report::palette::class_color;
use crate::error::{KdError, Result};
use ndarray::{ArrayView1, ArrayView2};
use plotters::prelude::*;
use std::path::Path;

/// One model's panel: its title (model name and test accuracy, say), an optional second line, and its
/// `nx·ny × K` probabilities on the [`Grid`].
///
/// # Examples
///
/// ```
/// use kdistill::report::{BoundaryPlot, Grid};
/// let grid = Grid::new((0.0, 1.0), (0.0, 1.0), 2, 2).unwrap();
/// let probs = ndarray::Array2::from_elem((grid.len(), 2), 0.5f32);
/// let plot = BoundaryPlot::new("tree, soft", probs.view()).with_subtitle("2 leaves · fidelity 100%");
/// assert_eq!((plot.title.as_str(), plot.subtitle.as_deref()), ("tree, soft", Some("2 leaves · fidelity 100%")));
/// ```
#[derive(Debug, Clone)]
pub struct BoundaryPlot<'a> {
    /// Bold first line.
    pub title: String,
    /// Optional smaller grey second line (e.g. "63 leaves · fidelity 98.7%").
    pub subtitle: Option<String>,
    /// Predicted probabilities on the grid, in [`Grid::points`] order.
    pub probs: ArrayView2<'a, f32>,
}

impl<'a> BoundaryPlot<'a> {
    /// A plot with a title and no subtitle.
    ///
    /// # Examples
    ///
    /// ```
    /// let probs = ndarray::Array2::from_elem((4, 2), 0.5f32);
    /// let plot = kdistill::report::BoundaryPlot::new("teacher", probs.view());
    /// assert_eq!((plot.title.as_str(), plot.subtitle, plot.probs.dim()), ("teacher", None, (4, 2)));
    /// ```
    pub fn new(title: impl Into<String>, probs: ArrayView2<'a, f32>) -> Self {
        BoundaryPlot { title: title.into(), subtitle: None, probs }
    }
    /// Set the second title line.
    ///
    /// # Examples
    ///
    /// ```
    /// let probs = ndarray::Array2::from_elem((4, 2), 0.5f32);
    /// let plot = kdistill::report::BoundaryPlot::new("teacher", probs.view()).with_subtitle("17154 params");
    /// assert_eq!(plot.subtitle.as_deref(), Some("17154 params"));
    /// ```
    pub fn with_subtitle(mut self, subtitle: impl Into<String>) -> Self {
        self.subtitle = Some(subtitle.into());
        self
    }
}

/// Presentation options for boundary plots.
///
/// # Examples
///
/// ```
/// use kdistill::report::BoundaryOptions;
/// let opts = BoundaryOptions {
///     size: (320, 300),
///     class_names: vec!["benign".into(), "malignant".into()],
///     axis_labels: ("radius".into(), "texture".into()),
///     ..BoundaryOptions::default()
/// };
/// assert_eq!((opts.cell_size, opts.columns), ((480, 450), None));
/// ```
#[derive(Debug, Clone)]
pub struct BoundaryOptions {
    /// Image size of a single plot ([`plot_boundary`]), pixels.
    pub size: (u32, u32),
    /// Size of one cell of a panel ([`plot_boundary_panel`]), pixels.
    pub cell_size: (u32, u32),
    /// Panel columns; `None` picks at most 4 per row.
    pub columns: Option<usize>,
    /// Class names for the legend; empty means "class 0", "class 1", ….
    pub class_names: Vec<String>,
    /// Axis descriptions.
    pub axis_labels: (String, String),
    /// Radius of the test points in pixels (scaled with the plot size).
    pub point_radius: f64,
}

impl Default for BoundaryOptions {
    fn default() -> Self {
        BoundaryOptions {
            size: (640, 600),
            cell_size: (480, 450),
            columns: None,
            class_names: Vec::new(),
            axis_labels: ("x1".into(), "x2".into()),
            point_radius: 3.5,
        }
    }
}

/// Validate the inputs shared by both entry points; returns the number of classes K.
fn validate(grid: &Grid, plots: &[BoundaryPlot], x: ArrayView2<f32>, y: ArrayView1<usize>, opts: &BoundaryOptions) -> Result<usize> {
    let first = plots.first().ok_or_else(|| KdError::Empty("no models to plot".into()))?;
    let k = first.probs.ncols();
    for p in plots {
        let what = format!("boundary probabilities of `{}`", p.title);
        if p.probs.nrows() != grid.len() {
            return Err(KdError::Shape(format!(
                "{what}: {} rows, but the {}×{} grid has {} points",
                p.probs.nrows(),
                grid.nx,
                grid.ny,
                grid.len()
            )));
        }
        if p.probs.ncols() != k {
            return Err(KdError::Shape(format!("{what}: {} classes, but `{}` has {k}", p.probs.ncols(), first.title)));
        }
        crate::base::check_probabilities(p.probs, &what, 1e-3)?;
    }
    if x.ncols() != 2 || x.nrows() != y.len() {
        return Err(KdError::Shape(format!("test points {:?} with {} labels; need n × 2 and n labels", x.dim(), y.len())));
    }
    crate::base::check_finite(x, "test points")?;
    crate::base::check_labels(y, k, &format!("the probabilities' {k} columns"))?;
    if !opts.class_names.is_empty() && opts.class_names.len() != k {
        return Err(KdError::Shape(format!("{} class names for {k} classes", opts.class_names.len())));
    }
    if !(opts.point_radius.is_finite() && opts.point_radius >= 0.0) {
        return Err(KdError::param("point_radius", opts.point_radius, "must be finite and ≥ 0"));
    }
    Ok(k)
}

/// Legend entries: one dot per class, then the boundary line.
fn legend_items(k: usize, opts: &BoundaryOptions) -> Vec<(Swatch, String)> {
    let mut items: Vec<_> = (0..k)
        .map(|c| (Swatch::Dot(class_color(c)), opts.class_names.get(c).cloned().unwrap_or_else(|| format!("class {c}"))))
        .collect();
    items.push((Swatch::Line(INK), "decision boundary".into()));
    items
}

/// Draw one model's boundary plot into `area`, scaled by `s` (1.0 ≈ 600 px tall).
#[allow(clippy::too_many_arguments)]
fn draw_plot(
    area: &Area,
    grid: &Grid,
    plot: &BoundaryPlot,
    x: ArrayView2<f32>,
    y: ArrayView1<usize>,
    opts: &BoundaryOptions,
    s: f64,
    legend: Option<&[(Swatch, String)]>,
) -> DrawResult {
    let f = s.max(0.85); // text shrinks less than the plot
    let mut area = titled(&area.margin((4.0 * s) as i32, 0, 0, 0), &plot.title, plot.subtitle.as_deref(), 20.0 * f)?;
    if let Some(items) = legend {
        area = legend_row(&area, items, 13.0 * f)?;
    }
    let fs = 14.0 * f;
    let (x0, x1) = (grid.x.0 as f64, grid.x.1 as f64);
    let (y0, y1) = (grid.y.0 as f64, grid.y.1 as f64);
    // Room for the y tick labels ("-1.0" fits the base size) and the axis name beside them: wider ticks
    // such as "1600.0" get about 0.62 em per extra character, so the name does not overlap them.
    let tick_chars = tick(&y0).len().max(tick(&y1).len());
    let y_area = 52.0 * f + tick_chars.saturating_sub(4) as f64 * 0.62 * fs;
    let mut chart = ChartBuilder::on(&area)
        .margin_top((6.0 * s) as i32)
        .margin_right((18.0 * s) as i32)
        .margin_left((4.0 * s) as i32)
        .margin_bottom((4.0 * s) as i32)
        .x_label_area_size((42.0 * f) as i32)
        .y_label_area_size(y_area as i32)
        .build_cartesian_2d(x0..x1, y0..y1)?;

    // Background and boundary line, pixel by pixel.
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let screen = chart.plotting_area().strip_coord_spec();
    let raster = rasterise(grid, plot.probs, w as usize, h as usize);
    for (i, c) in raster.iter().enumerate() {
        screen.draw_pixel(((i % w as usize) as i32, (i / w as usize) as i32), c)?;
    }

    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(opts.axis_labels.0.as_str())
        .y_desc(opts.axis_labels.1.as_str())
        .label_style(super::canvas::text(fs, INK))
        .axis_desc_style(super::canvas::text(fs, MUTED))
        .axis_style(INK.stroke_width(1))
        .x_labels(7)
        .y_labels(7)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    // A frame around the plotting area.
    screen.draw(&Rectangle::new([(0, 0), (w as i32 - 1, h as i32 - 1)], INK.stroke_width(1)))?;

    let plotting = chart.plotting_area();
    let r = (opts.point_radius * s).max(1.0) as i32;
    let inside = |px: f64, py: f64| (x0..=x1).contains(&px) && (y0..=y1).contains(&py);
    for (row, &label) in x.outer_iter().zip(y.iter()) {
        let p = (row[0] as f64, row[1] as f64);
        if !inside(p.0, p.1) {
            continue;
        }
        plotting.draw(&Circle::new(p, r, class_color(label).filled()))?;
        plotting.draw(&Circle::new(p, r, INK.mix(0.85).stroke_width(1)))?;
    }
    Ok(())
}

/// Scale factor of a plot of size `(w, h)` relative to the 640 × 600 reference.
fn scale((w, h): (u32, u32)) -> f64 {
    (w as f64 / 640.0).min(h as f64 / 600.0).clamp(0.5, 3.0)
}

/// Write one model's decision-boundary plot to `path` (PNG, `opts.size`), with a legend of the classes.
///
/// `plot.probs` holds the model's probabilities on `grid` (see [`Grid::points`] for the row order);
/// `x` (n × 2) and `y` are the test points and their true labels. Errors: [`KdError::Shape`] when the
/// probabilities do not match the grid or the points do not match the labels, [`KdError::NonFinite`] /
/// [`KdError::Probabilities`] for invalid probabilities, [`KdError::UnknownClass`] for a label ≥ K,
/// [`KdError::Plot`] if drawing fails.
///
/// # Examples
///
/// ```
/// use kdistill::report::{plot_boundary, BoundaryOptions, BoundaryPlot, Grid};
/// use ndarray::{array, Array2};
/// let grid = Grid::new((-1.0, 1.0), (-1.0, 1.0), 20, 20).unwrap();
/// let pts = grid.points();
/// // A linear model: class 1 where x1 + x2 > 0.
/// let probs = Array2::from_shape_fn((grid.len(), 2), |(i, k)| {
///     let p1 = 1.0 / (1.0 + (-3.0 * (pts[[i, 0]] + pts[[i, 1]])).exp());
///     if k == 1 { p1 } else { 1.0 - p1 }
/// });
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("boundary.png");
/// let opts = BoundaryOptions { size: (320, 300), ..BoundaryOptions::default() };
/// let plot = BoundaryPlot::new("linear", probs.view());
/// plot_boundary(&path, &grid, &plot, array![[-0.5f32, -0.5], [0.5, 0.5]].view(), array![0usize, 1].view(), &opts).unwrap();
/// let info = png::Decoder::new(std::fs::File::open(&path).unwrap()).read_info().unwrap().info().clone();
/// assert_eq!((info.width, info.height), (320, 300));
/// // Probabilities for a different grid are refused.
/// let wrong = Array2::from_elem((10, 2), 0.5f32);
/// let bad = BoundaryPlot::new("wrong", wrong.view());
/// assert!(plot_boundary(&path, &grid, &bad, array![[0.0f32, 0.0]].view(), array![0usize].view(), &opts).is_err());
/// ```
pub fn plot_boundary(path: impl AsRef<Path>, grid: &Grid, plot: &BoundaryPlot, x: ArrayView2<f32>, y: ArrayView1<usize>, opts: &BoundaryOptions) -> Result<()> {
    let k = validate(grid, std::slice::from_ref(plot), x, y, opts)?;
    let s = scale(opts.size);
    render_png(path.as_ref(), opts.size, |root| {
        root.fill(&WHITE)?;
        draw_plot(root, grid, plot, x, y, opts, s, Some(&legend_items(k, opts)))
    })
}

/// Write several models' boundary plots side by side in one PNG under a common `title` and one
/// legend. Cells are `opts.cell_size`, `opts.columns` per row (default: at most 4). All plots share
/// the grid, the test points and the number of classes. Errors as for [`plot_boundary`], plus
/// [`KdError::Empty`] for an empty `plots`.
///
/// # Examples
///
/// ```
/// use kdistill::report::{plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
/// use ndarray::{array, Array2};
/// let grid = Grid::new((-1.0, 1.0), (-1.0, 1.0), 16, 16).unwrap();
/// let pts = grid.points();
/// let model = |w: f32| Array2::from_shape_fn((grid.len(), 2), |(i, k)| {
///     let p1 = 1.0 / (1.0 + (-w * pts[[i, 0]]).exp());
///     if k == 1 { p1 } else { 1.0 - p1 }
/// });
/// let (soft, sharp, steep) = (model(1.0), model(5.0), model(50.0));
/// let plots = [
///     BoundaryPlot::new("w = 1", soft.view()),
///     BoundaryPlot::new("w = 5", sharp.view()),
///     BoundaryPlot::new("w = 50", steep.view()),
/// ];
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("panel.png");
/// let opts = BoundaryOptions { cell_size: (200, 180), columns: Some(2), ..BoundaryOptions::default() };
/// plot_boundary_panel(&path, "three models", &grid, &plots, array![[-0.5f32, 0.0], [0.5, 0.0]].view(), array![0usize, 1].view(), &opts).unwrap();
/// let info = png::Decoder::new(std::fs::File::open(&path).unwrap()).read_info().unwrap().info().clone();
/// assert_eq!(info.width, 2 * 200); // two columns, two rows of cells under a header
/// assert!(info.height > 2 * 180);
/// assert!(plot_boundary_panel(&path, "none", &grid, &[], array![[0.0f32, 0.0]].view(), array![0usize].view(), &opts).is_err());
/// ```
pub fn plot_boundary_panel(
    path: impl AsRef<Path>,
    title: &str,
    grid: &Grid,
    plots: &[BoundaryPlot],
    x: ArrayView2<f32>,
    y: ArrayView1<usize>,
    opts: &BoundaryOptions,
) -> Result<()> {
    let k = validate(grid, plots, x, y, opts)?;
    let n = plots.len();
    let cols = match opts.columns {
        Some(0) => return Err(KdError::param("columns", 0, "must be ≥ 1")),
        Some(c) => c.min(n),
        None => n.div_ceil(n.div_ceil(4)),
    };
    let rows = n.div_ceil(cols);
    let (cw, ch) = opts.cell_size;
    let s = scale(opts.cell_size);
    let header = (96.0 * s.max(1.0)) as u32;
    let size = (cw.saturating_mul(cols as u32), ch.saturating_mul(rows as u32).saturating_add(header));
    render_png(path.as_ref(), size, |root| {
        root.fill(&WHITE)?;
        let hs = s.max(1.0);
        let (head, body) = root.split_vertically(header);
        let head = titled(&head.margin((10.0 * hs) as i32, 0, 0, 0), title, None, 30.0 * hs)?;
        legend_row(&head, &legend_items(k, opts), 16.0 * hs)?;
        for (cell, plot) in body.split_evenly((rows, cols)).iter().zip(plots) {
            draw_plot(cell, grid, plot, x, y, opts, s, None)?;
        }
        Ok(())
    })
}

/// An axis tick: one decimal for everyday magnitudes, scientific notation for very large or very small
/// ones (features near the f32 limit would otherwise print 39 digits).
///
/// ```text
/// 1.5 → "1.5", 1600 → "1600.0", 3e38 → "3.0e38", 0.0001 → "1.0e-4", 0 → "0.0"
/// ```
fn tick(v: &f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.1e}")
    } else {
        format!("{v:.1}")
    }
}
