//! kdistill from a user's crate: the whole pipeline on noisy two moons.
//!
//! teacher (an MLP) → soft targets → students (a 16-leaf tree and a 2-8-2 MLP, each on labels and on
//! the teacher) → export (the soft tree as C and Python) → plot (the four boundaries in one PNG).
//!
//! `scripts/cargo run --release -p kdistill-downstream [-- OUT_DIR]` from the repository root (default
//! `reports/downstream/`). The binary runs without `LD_LIBRARY_PATH` thanks to `build.rs`;
//! `tests/downstream.rs` builds it and runs it that way.
use kdistill::data::moons::Moons;
use kdistill::metrics::accuracy;
use kdistill::neural::{DeviceChoice, TrainData};
use kdistill::report::{plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
use kdistill::base::one_hot;
use kdistill::student::tree::{export, TreeParams};
use kdistill::student::{mlp::student_params, FitData, Predictor, Student};
use kdistill::teacher::{mlp::teacher_params, Teacher};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "reports/downstream".into()));
    std::fs::create_dir_all(&out)?;

    // Data: 1 000 noisy moons, 70/30 split.
    let (train, test) = Moons::new().n_samples(1000).noise(0.3).seed(1).generate()?.split(0.3, 1)?;
    // Teacher: 2-128-128-2 MLP on the labels.
    let teacher = teacher_params().epochs(60).device(DeviceChoice::Auto).seed(1).fit(TrainData::new(train.x.view()).labels(train.y.view()), 2)?;
    // Soft targets: T = 1 for the tree, T = 2 for the MLP's distillation loss.
    let (q1, q2) = (teacher.soft_targets(train.x.view(), 1.0)?, teacher.soft_targets(train.x.view(), 2.0)?);
    let labels = one_hot(train.y.view(), 2)?;

    // Students: the same learner on labels and on the teacher.
    let tree = TreeParams::default().max_leaves(Some(16));
    let (tree_hard, tree_soft) = (tree.fit(train.x.view(), labels.view(), None)?, tree.fit(train.x.view(), q1.view(), None)?);
    let mlp = student_params().epochs(200).device(DeviceChoice::Auto).seed(1);
    let fit = |targets| FitData::new(train.x.view(), targets).labels(train.y.view());
    let mlp_hard = mlp.clone().fit_student(fit(labels.view()))?;
    let mlp_soft = mlp.distill(0.1, 2.0).fit_student(fit(q2.view()).temperature(2.0))?;

    let acc = |m: &dyn Predictor| -> kdistill::Result<f64> { accuracy(m.predict(test.x.view())?.view(), test.y.view()) };
    println!("teacher        {:.3}", acc(&teacher)?);
    let students = [("tree on labels", &tree_hard as &dyn Predictor), ("tree on the teacher", &tree_soft), ("MLP on labels", &mlp_hard), ("MLP on the teacher", &mlp_soft)];
    let mut titles = Vec::new();
    for (name, m) in students {
        let a = acc(m)?;
        println!("{name:<20} {a:.3}");
        titles.push(format!("{name}: {:.1} %", 100.0 * a));
    }

    // Export: the soft tree as a C header and a Python module.
    let (features, classes) = (vec!["x1".to_string(), "x2".to_string()], vec!["upper".to_string(), "lower".to_string()]);
    std::fs::write(out.join("moons_tree.h"), export::to_c(&tree_soft, "moons", &features, &classes)?)?;
    std::fs::write(out.join("moons_tree.py"), export::to_python(&tree_soft, &features, &classes)?)?;

    // Plot: the four students' boundaries on one grid, with the test points.
    let grid = Grid::covering(train.x.view(), 0.05, 200, 200)?;
    let probs: Vec<_> = students.iter().map(|(_, m)| m.predict_proba(grid.points().view())).collect::<Result<_, _>>()?;
    let plots: Vec<BoundaryPlot> = titles.iter().zip(&probs).map(|(t, p)| BoundaryPlot::new(t.as_str(), p.view())).collect();
    let options = BoundaryOptions { columns: Some(2), class_names: classes.clone(), ..BoundaryOptions::default() };
    plot_boundary_panel(out.join("students.png"), "Students of one teacher (test points)", &grid, &plots, test.x.view(), test.y.view(), &options)?;
    println!("wrote {}", out.display());
    Ok(())
}
