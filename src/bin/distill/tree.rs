//! `distill tree`: fit the tree on the teacher's probabilities and its twin on labels; metrics, exports,
//! the boundary picture.
use kdistill::data::tabular::{Table, TableReader};
use kdistill::error::{KdError, Result};
use kdistill::report::{plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
use kdistill::soft::mean_kl;
use kdistill::base::{argmax_rows, one_hot};
use kdistill::student::tree::{export, BinnedMatrix, TableTree, Tree, TreeParams};
use kdistill::teacher::table::ProbTable;
use kdistill::teacher::Teacher;
use ndarray::{concatenate, Array2, ArrayView1, ArrayView2, Axis};
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use crate::teacher_model;
use crate::cli::{categorical, stage_output, TreeArgs};

/// Microseconds per row of `tree.predict` on `x` (repeated to at least ~20k rows, best of 3).
pub(crate) fn predict_us_per_row(tree: &Tree, x: ArrayView2<f32>) -> Result<f64> {
    let n = x.nrows().max(1);
    let reps = 20_000usize.div_ceil(n).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(tree.predict_proba(x)?);
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
    }
    Ok(best)
}

/// Metrics of one tree on the evaluation rows (`metrics.json`'s `soft` and `hard`).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct TreeMetrics {
    /// Test accuracy, when the evaluation rows have labels.
    accuracy: Option<f64>,
    /// Agreement with the teacher's class, when there are teacher probabilities for the rows.
    fidelity: Option<f64>,
    /// Mean KL(teacher ‖ tree), likewise.
    kl: Option<f64>,
    leaves: usize,
    depth: usize,
    predict_us_per_row: f64,
}

/// Metrics of one tree on the evaluation rows.
pub(crate) fn tree_metrics(tree: &Tree, x: ArrayView2<f32>, labels: Option<ArrayView1<usize>>, teacher: Option<ArrayView2<f32>>) -> Result<TreeMetrics> {
    let p = tree.predict_proba(x)?;
    let pred = argmax_rows(p.view());
    let accuracy = labels.map(|y| kdistill::metrics::accuracy(pred.view(), y)).transpose()?;
    let fidelity = teacher.map(|t| kdistill::metrics::fidelity(pred.view(), argmax_rows(t).view())).transpose()?;
    let kl = teacher.map(|t| mean_kl(t, p.view())).transpose()?;
    Ok(TreeMetrics { accuracy, fidelity, kl, leaves: tree.n_leaves(), depth: tree.depth(), predict_us_per_row: predict_us_per_row(tree, x)? })
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("—".into(), |f| format!("{f:.4}"))
}

pub(crate) fn cmd_tree(a: &TreeArgs) -> Result<()> {
    kdistill::base::check_temperature(a.temperature)?;
    if a.teacher_probs.is_none() && a.prob_prefix.is_none() && a.teacher_model.is_none() {
        return Err(KdError::param(
            "teacher",
            "none",
            "give the teacher's probabilities with --teacher-probs FILE or --prob-prefix PREFIX, or a saved teacher with --teacher-model DIR",
        ));
    }
    let augment = a.augment;
    let params = TreeParams::new()
        .max_depth(a.max_depth)
        .max_leaves(if a.max_depth.is_some() { a.max_leaves } else { Some(a.max_leaves.unwrap_or(64)) })
        .min_samples_leaf(a.min_samples_leaf);
    let checked = params.check()?;
    let staged = stage_output(&a.out, &[Some(&a.table.data), a.teacher_probs.as_ref(), a.teacher_model.as_ref(), a.test.as_ref(), a.test_teacher_probs.as_ref()])?;

    // Training rows and the teacher.
    let model = a.teacher_model.as_ref().map(|d| teacher_model::load(d, a.device)).transpose()?;
    let mut reader = TableReader::new(&a.table.data)
        .target(&a.table.target)
        .ignore(a.table.ignore.clone())
        .categorical(categorical(a.table.one_hot))
        .renormalise(a.renormalise);
    if let Some(m) = &model {
        let (encoding, classes) = teacher_model::encoding_and_classes(m);
        reader = reader.encoding(encoding).classes(classes);
    } else {
        reader = reader.probs_file(a.teacher_probs.as_ref()).prob_prefix_opt(a.prob_prefix.clone());
    }
    let mut train = reader.read()?;
    let labels = train.labels.clone().expect("target was required");
    let k = train.n_classes();
    // `query` answers for any row: the MLP, or the table's nearest row (its k-d tree is built only
    // when augmented rows need it).
    let (mut train_probs, query): (Array2<f32>, Option<Box<dyn Teacher>>) = match model {
        Some(m) => (m.predict_proba(train.x.view())?, Some(Box::new(m))),
        None if augment.is_some() => {
            let t = ProbTable::from_table(&train)?;
            (t.probabilities().to_owned(), Some(Box::new(t.nearest())))
        }
        // No queries: the probabilities as read (the reader checked them), no copy of the features.
        None => (train.probs.take().expect("the reader was given a probability source"), None),
    };
    let query = || query.as_deref().expect("a teacher model, or augmentation with a probability table");
    let teacher_kind = if a.teacher_model.is_some() { "mlp (queried)" } else { "probability table" };

    // Soft targets (+ augmentation).
    let softened;
    let soft = if a.teacher_model.is_some() {
        softened = query().soft_targets(train.x.view(), a.temperature)?;
        softened.view()
    } else if a.temperature == 1.0 {
        // The teacher's probabilities, rescaled in place to sum to exactly 1 (no copy).
        for mut row in train_probs.axis_iter_mut(Axis(0)) {
            let sum: f64 = row.iter().map(|&v| v as f64).sum();
            row.mapv_inplace(|v| (v as f64 / sum) as f32);
        }
        train_probs.view()
    } else {
        softened = kdistill::soft::soften_probs(train_probs.view(), a.temperature)?;
        softened.view()
    };
    // The training rows themselves are not copied unless augmented rows join them.
    let augmented = match augment {
        Some(copies) => {
            let xa = kdistill::augment::munge(train.x.view(), copies, 0.5, 1.0, a.seed)?;
            let qa = query().soft_targets(xa.view(), a.temperature)?;
            Some((concatenate![Axis(0), train.x.view(), xa.view()], concatenate![Axis(0), soft.view(), qa.view()]))
        }
        None => None,
    };
    let n_train = train.n_rows();
    let soft_rows = augmented.as_ref().map_or(n_train, |(x, _)| x.nrows());
    let hard_targets = one_hot(labels.view(), k)?;
    let draws_boundary = train.encoding.all_numeric() && train.feature_names.len() == 2;
    let t0 = Instant::now();
    let (soft_tree, soft_secs, hard_tree, hard_secs) = match &augmented {
        Some((x, y)) => {
            let soft_tree = params.fit(x.view(), y.view(), None)?;
            let soft_secs = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let hard_tree = params.fit(train.x.view(), hard_targets.view(), None)?;
            (soft_tree, soft_secs, hard_tree, t1.elapsed().as_secs_f64())
        }
        None => {
            // Both trees see the same features: bin them once. When a test file is the evaluation set
            // and no boundary picture needs them, the training features are freed before the fits.
            let binned = BinnedMatrix::new(train.x.view(), checked.max_bins())?;
            if a.test.is_some() && !draws_boundary {
                train.x = Array2::zeros((0, train.x.ncols()));
            }
            let soft_tree = params.fit_binned(&binned, soft.view(), None)?;
            let soft_secs = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let hard_tree = params.fit_binned(&binned, hard_targets.view(), None)?;
            (soft_tree, soft_secs, hard_tree, t1.elapsed().as_secs_f64())
        }
    };
    drop((augmented, hard_targets));

    // Evaluation rows.
    let (eval, eval_teacher, held_out): (Table, Option<Array2<f32>>, bool) = match &a.test {
        Some(test) => {
            let mut r = TableReader::new(test)
                .target(&a.table.target)
                .target_optional(true)
                .encoding(train.encoding.clone())
                .classes(train.classes.clone())
                .renormalise(a.renormalise);
            let from_file = a.test_teacher_probs.is_some() || (a.teacher_model.is_none() && a.prob_prefix.is_some());
            if from_file {
                r = r.probs_file(a.test_teacher_probs.as_ref()).prob_prefix_opt(a.prob_prefix.clone());
            }
            let t = r.read()?;
            let p = match (&t.probs, a.teacher_model.is_some()) {
                (Some(p), _) => Some(p.clone()),
                (None, true) => Some(query().predict_proba(t.x.view())?),
                (None, false) => None,
            };
            (t, p, true)
        }
        None => {
            let p = train_probs.clone();
            (train.clone(), Some(p), false)
        }
    };
    let eval_labels = eval.labels.as_ref().map(|l| l.view());
    let soft_m = tree_metrics(&soft_tree, eval.x.view(), eval_labels, eval_teacher.as_ref().map(|p| p.view()))?;
    let hard_m = tree_metrics(&hard_tree, eval.x.view(), eval_labels, eval_teacher.as_ref().map(|p| p.view()))?;
    let teacher_acc = match (&eval_teacher, eval_labels) {
        (Some(p), Some(y)) => Some(kdistill::metrics::accuracy(argmax_rows(p.view()).view(), y)?),
        _ => None,
    };

    // Outputs, staged and moved into place together.
    let out = staged.path();
    let names = train.feature_names.clone();
    for (tag, tree) in [("soft", &soft_tree), ("hard", &hard_tree)] {
        let model = TableTree { tree: tree.clone(), fitted_on: tag.into(), target: a.table.target.clone(), classes: train.classes.clone(), encoding: train.encoding.clone() };
        model.save(out.join(format!("tree_{tag}.json")))?;
        export::save_dot(tree, out.join(format!("tree_{tag}.dot")), Some(&names), Some(&train.classes))?;
        export::save_text(tree, out.join(format!("rules_{tag}.txt")), Some(&names), Some(&train.classes))?;
    }
    let boundary = if draws_boundary {
        let path = out.join("boundary.png");
        let teacher_model = a.teacher_model.is_some().then(query);
        draw_boundary(&path, &train, &eval, teacher_model, &soft_tree, &hard_tree, &soft_m, &hard_m)?;
        Some(path)
    } else {
        None
    };
    let metrics = json!({
        "soft": soft_m,
        "hard": hard_m,
        "teacher": { "kind": teacher_kind, "accuracy": teacher_acc },
        "evaluated_on": {
            "file": eval.path.display().to_string(),
            "rows": eval.n_rows(),
            "held_out": held_out,
            "teacher_probabilities": eval_teacher.is_some(),
        },
        "train": {
            "file": train.path.display().to_string(),
            "rows": n_train,
            "soft_tree_rows": soft_rows,
            "augment": a.augment.map(|n| format!("munge:{n}")),
            "temperature": a.temperature,
            "fit_seconds": { "soft": soft_secs, "hard": hard_secs },
        },
        "params": {
            "max_leaves": checked.max_leaves(),
            "max_depth": checked.max_depth(),
            "min_samples_leaf": checked.min_samples_leaf(),
        },
        "classes": train.classes,
        "features": names,
    });
    kdistill::io::write_json(out.join("metrics.json"), &metrics)?;
    staged.commit()?;
    let boundary = boundary.map(|_| a.out.join("boundary.png"));
    let out = &a.out;

    // Summary.
    let on = if held_out { format!("{} (held out)", eval.path.display()) } else { format!("{} (training rows: no --test)", eval.path.display()) };
    println!("distill tree: {n_train} rows, {} features, {} classes; teacher: {teacher_kind}", names.len(), k);
    if let Some(acc) = teacher_acc {
        println!("teacher accuracy on {on}: {acc:.4}");
    }
    println!("{:<6} {:>9} {:>9} {:>9} {:>7} {:>6} {:>10}", "tree", "accuracy", "fidelity", "KL", "leaves", "depth", "µs/row");
    for (tag, m) in [("soft", &soft_m), ("hard", &hard_m)] {
        println!(
            "{:<6} {:>9} {:>9} {:>9} {:>7} {:>6} {:>10.3}",
            tag,
            fmt_opt(m.accuracy),
            fmt_opt(m.fidelity),
            fmt_opt(m.kl),
            m.leaves,
            m.depth,
            m.predict_us_per_row
        );
    }
    println!("measured on {on}");
    if eval.labels.is_none() {
        println!("note: {} has no `{}` column, so accuracy is null", eval.path.display(), a.table.target);
    }
    if eval_teacher.is_none() {
        println!("note: no teacher probabilities for the test rows (--test-teacher-probs), so fidelity and KL are null");
    }
    println!("wrote {}/{{tree_soft,tree_hard}}.{{json,dot}}, rules_{{soft,hard}}.txt, metrics.json", out.display());
    if let Some(b) = boundary {
        println!("wrote {}", b.display());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_boundary(
    path: &Path,
    train: &Table,
    eval: &Table,
    teacher_model: Option<&dyn Teacher>,
    soft: &Tree,
    hard: &Tree,
    soft_m: &TreeMetrics,
    hard_m: &TreeMetrics,
) -> Result<()> {
    // Points: the evaluation rows with labels (else the training rows).
    let (px, py) = match &eval.labels {
        Some(y) => (eval.x.view(), y.view()),
        None => (train.x.view(), train.labels.as_ref().expect("training labels").view()),
    };
    let all = concatenate![Axis(0), train.x.view(), eval.x.view()];
    let grid = Grid::covering(all.view(), 0.05, 220, 200)?;
    let pts = grid.points();
    let p_soft = soft.predict_proba(pts.view())?;
    let p_hard = hard.predict_proba(pts.view())?;
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |f| format!("{:.1}%", 100.0 * f));
    let sub = |m: &TreeMetrics| format!("{} leaves · depth {} · fidelity {}", m.leaves, m.depth, pct(m.fidelity));
    let mut plots = Vec::new();
    let p_teacher;
    if let Some(teacher) = teacher_model {
        p_teacher = teacher.predict_proba(pts.view())?;
        plots.push(BoundaryPlot::new("teacher (MLP)", p_teacher.view()));
    }
    plots.push(BoundaryPlot::new(format!("tree on labels — accuracy {}", pct(hard_m.accuracy)), p_hard.view()).with_subtitle(sub(hard_m)));
    plots.push(BoundaryPlot::new(format!("tree on teacher — accuracy {}", pct(soft_m.accuracy)), p_soft.view()).with_subtitle(sub(soft_m)));
    let opts = BoundaryOptions {
        class_names: train.classes.clone(),
        axis_labels: (train.feature_names[0].clone(), train.feature_names[1].clone()),
        ..BoundaryOptions::default()
    };
    plot_boundary_panel(path, &format!("distill: {}", train.path.display()), &grid, &plots, px, py, &opts)
}
