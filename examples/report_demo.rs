//! Renders every report chart from synthetic data into `target/report_demo/` (or the folder given as the
//! first argument), so the look of the charts can be checked without training anything.
//!
//! `cargo run --release --example report_demo [OUT_DIR]`
use kdistill::report::*;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> kdistill::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/report_demo".into()));
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let t0 = std::time::Instant::now();

    // Noisy two moons as test points.
    let n = 600;
    let (mut x, mut y) = (Array2::<f32>::zeros((n, 2)), Array1::<usize>::zeros(n));
    for i in 0..n {
        let c = i % 2;
        let a = rng.gen_range(0.0..std::f32::consts::PI);
        let (px, py) = if c == 0 { (a.cos(), a.sin()) } else { (1.0 - a.cos(), 0.5 - a.sin()) };
        x[[i, 0]] = px + 0.3 * (rng.r#gen::<f32>() - 0.5) * 2.0;
        x[[i, 1]] = py + 0.3 * (rng.r#gen::<f32>() - 0.5) * 2.0;
        y[i] = c;
    }
    let grid = Grid::covering(x.view(), 0.05, 240, 200)?;
    let pts = grid.points();
    // Smooth "teacher": a curved boundary; "tree": the same thresholded on a coarse axis-aligned lattice.
    let smooth = |px: f32, py: f32| 1.0 / (1.0 + (-(3.0 * (0.6 - py - 0.7 * (2.2 * px - 1.0).sin() * 0.6))).exp());
    let teacher = Array2::from_shape_fn((grid.len(), 2), |(i, c)| {
        let p = smooth(pts[[i, 0]], pts[[i, 1]]);
        if c == 1 { p } else { 1.0 - p }
    });
    let tree = Array2::from_shape_fn((grid.len(), 2), |(i, c)| {
        let (qx, qy) = ((pts[[i, 0]] * 3.0).floor() / 3.0 + 0.17, (pts[[i, 1]] * 4.0).floor() / 4.0 + 0.12);
        let p = (smooth(qx, qy) * 10.0).round() / 10.0;
        if c == 1 { p } else { 1.0 - p }
    });
    let opts = BoundaryOptions::default();
    let t = std::time::Instant::now();
    plot_boundary(
        out.join("boundary_teacher.png"),
        &grid,
        &BoundaryPlot::new("Teacher (MLP 2→128→128→2) — test accuracy 92.3%", teacher.view()).with_subtitle("seed 0 · 600 test points"),
        x.view(),
        y.view(),
        &opts,
    )?;
    println!("single boundary plot: {:.3} s", t.elapsed().as_secs_f64());
    let names = ["Teacher", "Tree, hard labels", "Tree, soft labels", "Compact tree, hard", "Compact tree, soft", "MLP 2→8→2, hard", "MLP 2→8→2, soft"];
    let plots: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let p = if i % 2 == 0 { teacher.view() } else { tree.view() };
            BoundaryPlot::new(format!("{n} — acc {:.1}%", 88.0 + i as f64 * 0.7), p).with_subtitle(format!("{} leaves", 10 + 20 * i))
        })
        .collect();
    let t = std::time::Instant::now();
    plot_boundary_panel(out.join("boundary_overview.png"), "Noisy moons: hard vs soft labels (seed 0)", &grid, &plots, x.view(), y.view(), &opts)?;
    println!("overview panel: {:.3} s", t.elapsed().as_secs_f64());

    // Three classes: softmax of negative squared distances to three centres.
    let centres = [(-0.5f32, 0.9f32), (1.6, 0.9), (0.5, -0.4)];
    let probs3 = Array2::from_shape_fn((grid.len(), 3), |(i, c)| {
        let e: Vec<f32> = centres.iter().map(|&(cx, cy)| (-3.0 * ((pts[[i, 0]] - cx).powi(2) + (pts[[i, 1]] - cy).powi(2))).exp()).collect();
        e[c] / e.iter().sum::<f32>()
    });
    let y3 = x.outer_iter().map(|r| {
        let d: Vec<f32> = centres.iter().map(|&(cx, cy)| (r[0] - cx).powi(2) + (r[1] - cy).powi(2)).collect();
        (0..3).min_by(|&a, &b| d[a].total_cmp(&d[b])).unwrap()
    }).collect::<Array1<usize>>();
    let opts3 = BoundaryOptions { class_names: vec!["left".into(), "right".into(), "bottom".into()], ..Default::default() };
    plot_boundary(out.join("boundary_3class.png"), &grid, &BoundaryPlot::new("Three classes (nearest centre)", probs3.view()), x.view(), y3.view(), &opts3)?;

    // MNIST-style charts.
    let bars = [
        Bar::new("teacher 784→1200→1200→10", 71.0).with_reference(67.0),
        Bar::new("2×800 student, labels", 146.0).with_reference(146.0),
        Bar::new("2×800 student, distilled", 78.0).with_reference(74.0),
        Bar::new("784→30→30 student, labels", 310.0),
        Bar::new("784→30→30 student, distilled", 265.0),
        Bar::new("omitted-3, bias fixed", 112.0).with_reference(109.0),
    ];
    plot_bars(out.join("mnist_errors.png"), "MNIST test errors (of 10 000)", "test errors", "Hinton et al. 2015", &bars)?;
    let cm = Array2::from_shape_fn((10, 10), |(i, j)| {
        if i == j { 960 + 17 * i } else if (i * 7 + j * 3) % 11 == 0 { 1 + (i + j) % 9 } else if (i + j) % 5 == 0 { 1 } else { 0 }
    });
    plot_confusion(out.join("mnist_confusion.png"), "Distilled 2×800 student — confusion matrix", cm.view(), &[])?;
    let temps: Vec<String> = [1, 2, 3, 4, 8, 20].iter().map(|t| t.to_string()).collect();
    let series = [
        Series::new("784→30→30→10, distilled", vec![0.962, 0.968, 0.970, 0.969, 0.965, 0.958]),
        Series::new("784→10→10, distilled", vec![0.921, 0.925, 0.923, 0.918, 0.910, 0.902]),
        Series::new("784→30→30→10, labels", vec![0.960; 6]).dashed(),
        Series::new("784→10→10, labels", vec![0.915; 6]).dashed(),
    ];
    plot_lines(out.join("mnist_temperature.png"), "Small students: test accuracy vs distillation temperature", "temperature T", "test accuracy", &temps, &series)?;
    let imgs = Array2::from_shape_fn((20, 784), |(k, p)| {
        let (r, c) = ((p / 28) as f32 - 14.0, (p % 28) as f32 - 14.0);
        let d = ((r * r) / (60.0 + 5.0 * k as f32) + (c * c) / 30.0).sqrt();
        if (d - 1.0).abs() < 0.25 { 255.0 } else { 0.0 }
    });
    let caps: Vec<String> = (0..20).map(|k| format!("true {} → pred {}", k % 10, (k * 3 + 1) % 10)).collect();
    plot_image_grid(out.join("mnist_wrong.png"), "Test digits the distilled student gets wrong", imgs.view(), &caps, 8)?;

    let table = markdown_table(&["model", "test accuracy", "leaves"], &[vec!["teacher".into(), "92.3%".into(), "—".into()], vec!["tree soft".into(), "91.0%".into(), "187".into()]])?;
    kdistill::io::atomic_write(out.join("table.md"), table.as_bytes())?;
    println!("wrote {} in {:.2} s", out.display(), t0.elapsed().as_secs_f64());
    Ok(())
}
