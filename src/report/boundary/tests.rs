//! Unit tests of the boundary plots.
use super::*;
use ndarray::{array, Array2};
use raster::{mix, top_two};

#[test]
fn grid_points_are_x_fastest_from_the_bottom() {
    let g = Grid::new((0.0, 2.0), (10.0, 11.0), 3, 2).unwrap();
    assert_eq!(g.points(), array![[0.0, 10.0], [1.0, 10.0], [2.0, 10.0], [0.0, 11.0], [1.0, 11.0], [2.0, 11.0]]);
}

#[test]
fn grid_rejects_bad_ranges_and_resolution() {
    assert!(matches!(Grid::new((1.0, 1.0), (0.0, 1.0), 5, 5), Err(KdError::InvalidParam { .. })));
    assert!(matches!(Grid::new((0.0, f32::NAN), (0.0, 1.0), 5, 5), Err(KdError::InvalidParam { .. })));
    assert!(matches!(Grid::new((0.0, 1.0), (0.0, 1.0), 0, 5), Err(KdError::InvalidParam { .. })));
    assert!(matches!(Grid::new((0.0, 1.0), (0.0, 1.0), 5, 1), Err(KdError::InvalidParam { .. })));
}

#[test]
fn covering_pads_the_bounding_box() {
    let g = Grid::covering(array![[0.0f32, 1.0], [10.0, 3.0]].view(), 0.1, 4, 4).unwrap();
    assert_eq!(g.x_range(), (-1.0, 11.0));
    assert!((g.y_range().0 - 0.8).abs() < 1e-6 && (g.y_range().1 - 3.2).abs() < 1e-6);
    assert!(Grid::covering(array![[0.0f32, 1.0, 2.0]].view(), 0.1, 4, 4).is_err());
}

#[test]
fn top_two_and_mix() {
    assert_eq!(top_two(&[0.2, 0.5, 0.3]), (1, 0.3));
    assert_eq!(mix(RGBColor(0, 100, 200), RGBColor(200, 100, 0), 0.5), RGBColor(100, 100, 100));
}

#[test]
fn rasterise_draws_the_line_where_the_class_changes() {
    // P(class 1) = x on a 2×2 grid over [0,1]²: boundary at x = 0.5, i.e. the middle column.
    let g = Grid::new((0.0, 1.0), (0.0, 1.0), 2, 2).unwrap();
    let probs = array![[1.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]];
    let px = rasterise(&g, probs.view(), 41, 5);
    let dark = |c: &RGBColor| (c.0 as u32 + c.1 as u32 + c.2 as u32) < 250;
    let row: Vec<bool> = px[2 * 41..3 * 41].iter().map(dark).collect();
    assert!(row[20], "middle pixel is on the boundary");
    assert!(!row[0] && !row[40] && !row[15] && !row[25]);
    // Left edge is class 0 (blue-ish), right edge class 1 (orange-ish).
    assert!(px[0].2 > px[0].0 && px[40].0 > px[40].2);
}

/// Two-class synthetic "model" and labelled points for the rendering tests.
fn fixture(nx: usize, ny: usize) -> (Grid, Array2<f32>, Array2<f32>, ndarray::Array1<usize>) {
    let grid = Grid::new((-2.0, 2.0), (-1.5, 1.5), nx, ny).unwrap();
    let pts = grid.points();
    let probs = Array2::from_shape_fn((grid.len(), 2), |(i, c)| {
        let p1 = 1.0 / (1.0 + (-3.0 * (pts[[i, 1]] - 0.5 * (2.0 * pts[[i, 0]]).sin())).exp());
        if c == 1 { p1 } else { 1.0 - p1 }
    });
    let x = array![[-1.0f32, -1.0], [1.0, 1.0], [0.0, 0.2], [5.0, 5.0]];
    (grid, probs, x, array![0usize, 1, 1, 0])
}

#[test]
fn single_plot_is_a_png_of_the_requested_size() {
    let (grid, probs, x, y) = fixture(120, 90);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.png");
    let opts = BoundaryOptions { size: (500, 420), ..Default::default() };
    let plot = BoundaryPlot::new("model — acc 97.5%", probs.view()).with_subtitle("12 leaves");
    let t = std::time::Instant::now();
    plot_boundary(&path, &grid, &plot, x.view(), y.view(), &opts).unwrap();
    assert!(t.elapsed().as_secs_f64() < 1.0, "slow: {:?}", t.elapsed());
    let px = crate::report::testutil::check_png(&path, (500, 420));
    // Both class colours appear in the background (blue-ish and orange-ish pixels).
    let rgb: Vec<&[u8]> = px.chunks(3).collect();
    assert!(rgb.iter().any(|p| p[2] > 200 && p[0] < 170));
    assert!(rgb.iter().any(|p| p[0] > 240 && p[2] < 170));
}

#[test]
fn panel_has_cells_times_grid_size() {
    let (grid, probs, x, y) = fixture(60, 40);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("panel.png");
    let plots: Vec<_> = (0..7).map(|i| BoundaryPlot::new(format!("model {i}"), probs.view())).collect();
    let opts = BoundaryOptions { cell_size: (300, 280), ..Default::default() };
    plot_boundary_panel(&path, "all models", &grid, &plots, x.view(), y.view(), &opts).unwrap();
    let header = (96.0 * scale((300, 280)).max(1.0)) as u32;
    crate::report::testutil::check_png(&path, (4 * 300, 2 * 280 + header));
    let opts = BoundaryOptions { columns: Some(7), ..opts };
    plot_boundary_panel(&path, "all models", &grid, &plots, x.view(), y.view(), &opts).unwrap();
    crate::report::testutil::check_png(&path, (7 * 300, 280 + header));
}

#[test]
fn invalid_inputs_are_typed_errors_and_write_nothing() {
    let (grid, mut probs, x, y) = fixture(30, 20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.png");
    let o = BoundaryOptions::default();
    let small = Grid::new((-2.0, 2.0), (-1.5, 1.5), 30, 19).unwrap();
    fn plot(p: &Array2<f32>) -> BoundaryPlot<'_> {
        BoundaryPlot::new("m", p.view())
    }
    let e = plot_boundary(&path, &small, &plot(&probs), x.view(), y.view(), &o).unwrap_err();
    assert!(matches!(&e, KdError::Shape(m) if m.contains("30×19")), "{e}");
    let e = plot_boundary(&path, &grid, &plot(&probs), x.view(), y.slice(ndarray::s![..3]), &o).unwrap_err();
    assert!(matches!(e, KdError::Shape(_)), "{e}");
    let bad_y = array![0usize, 1, 2, 0];
    assert!(matches!(plot_boundary(&path, &grid, &plot(&probs), x.view(), bad_y.view(), &o), Err(KdError::UnknownClass { .. })));
    let names = BoundaryOptions { class_names: vec!["a".into()], ..Default::default() };
    assert!(matches!(plot_boundary(&path, &grid, &plot(&probs), x.view(), y.view(), &names), Err(KdError::Shape(_))));
    assert!(matches!(
        plot_boundary_panel(&path, "t", &grid, &[], x.view(), y.view(), &o),
        Err(KdError::Empty(_))
    ));
    let zero_cols = BoundaryOptions { columns: Some(0), ..Default::default() };
    assert!(plot_boundary_panel(&path, "t", &grid, &[plot(&probs)], x.view(), y.view(), &zero_cols).is_err());
    let tiny = BoundaryOptions { size: (0, 10), ..Default::default() };
    assert!(matches!(plot_boundary(&path, &grid, &plot(&probs), x.view(), y.view(), &tiny), Err(KdError::InvalidParam { .. })));
    probs[[7, 1]] = f32::NAN;
    let e = plot_boundary(&path, &grid, &plot(&probs), x.view(), y.view(), &o).unwrap_err();
    assert!(matches!(e, KdError::NonFinite { row: 8, col: 2, .. }), "{e}");
    probs[[7, 1]] = 0.9;
    probs[[7, 0]] = 0.9;
    assert!(matches!(plot_boundary(&path, &grid, &plot(&probs), x.view(), y.view(), &o), Err(KdError::Probabilities { row: 8, .. })));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn ticks_switch_to_scientific_notation_outside_everyday_magnitudes() {
    let t = |v: f64| super::tick(&v);
    assert_eq!((t(1.5), t(-1600.0), t(0.0)), ("1.5".into(), "-1600.0".into(), "0.0".into()));
    assert_eq!((t(3e38), t(-2.5e7), t(1e-4)), ("3.0e38".into(), "-2.5e7".into(), "1.0e-4".into()));
}
