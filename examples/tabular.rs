//! Distil a neural teacher into a small readable tree on a real table: the UCI wine data
//! (`data/tables/wine.csv`, 178 wines × 13 chemical measurements, 3 cultivars).
//!
//! ```text
//! cargo run --release --example tabular [-- --seeds 5 --leaves 8 --munge 20 --out reports/tabular]
//! ```
//!
//! For each seed: a seeded 70/30 split; the tch MLP teacher ([`TableMlp`], standardised inputs) trained
//! on the 70 %; then three trees with the same leaf budget, all on raw feature values so their rules
//! read in the table's units:
//!
//! * **hard** — fitted on the labels (a Gini tree);
//! * **soft** — fitted on the teacher's probabilities for the training rows;
//! * **soft + MUNGE** — the same plus `--munge` MUNGE copies of the training rows labelled by the
//!   teacher (the teacher is a function we can query anywhere).
//!
//! Test accuracy and fidelity (agreement with the teacher's argmax on the test rows) are averaged over
//! the seeds. Seed 0's trees are exported (rules, DOT, JSON), and a 2-feature version (colour intensity
//! × proline) is drawn as decision-boundary plots. Everything goes to `reports/tabular/`.
//!
//! The same pipeline from the command line:
//! `distill teacher --data train.csv --target cultivar --out t/` then
//! `distill tree --data train.csv --target cultivar --teacher-model t/ --augment munge:20 --max-leaves 8 --out o/`.
use clap::Parser;
use kdistill::data::tabular::{Table, TableReader};
use kdistill::metrics::{accuracy, fidelity};
use kdistill::report::{markdown_table, plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
use kdistill::base::{argmax_rows, one_hot};
use kdistill::student::tree::{export, Tree, TreeParams};
use kdistill::teacher::mlp::teacher_params;
use kdistill::teacher::table::TableMlp;
use kdistill::teacher::Teacher;
use kdistill::Result;
use ndarray::{concatenate, Axis};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Distil an MLP teacher into a small tree on the UCI wine table")]
struct Args {
    /// The table (CSV or Parquet) and its label column.
    #[arg(long, default_value = "data/tables/wine.csv")]
    data: PathBuf,
    #[arg(long, default_value = "cultivar")]
    target: String,
    /// Number of seeds (splits and teachers).
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Leaf budget of every tree.
    #[arg(long, default_value_t = 8)]
    leaves: usize,
    /// MUNGE copies of the training rows for the augmented soft tree.
    #[arg(long, default_value_t = 20)]
    munge: usize,
    /// Device for the teacher: auto, cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Output folder.
    #[arg(long, default_value = "reports/tabular")]
    out: PathBuf,
}

const MODELS: [&str; 4] = ["teacher", "tree_hard", "tree_soft", "tree_soft_munge"];

struct SeedResult {
    acc: [f64; 4],
    fid: [f64; 4],
    leaves: [usize; 3],
    depth: [usize; 3],
    trees: Option<[Tree; 3]>,
}

/// One seed's split of `table`, its MLP teacher, and the three trees: on labels, on the teacher's
/// probabilities, and on those plus MUNGE rows labelled by the teacher.
fn fit_seed(table: &Table, a: &Args, seed: u64) -> Result<(TableMlp, Table, [Tree; 3])> {
    let (train, test) = table.split(0.3, seed)?;
    let teacher = TableMlp::fit(&teacher_params().seed(seed).device(a.device.parse()?), &train)?;
    let y_train = train.labels.as_ref().expect("labels");
    let p_train = teacher.predict_proba(train.x.view())?;
    let tree = TreeParams::new().max_leaves(Some(a.leaves));
    let hard = tree.fit(train.x.view(), one_hot(y_train.view(), train.n_classes())?.view(), None)?;
    let soft = tree.fit(train.x.view(), p_train.view(), None)?;
    let xa = kdistill::augment::munge(train.x.view(), a.munge, 0.5, 1.0, seed)?;
    let qa = teacher.predict_proba(xa.view())?;
    let soft_m = tree.fit(
        concatenate![Axis(0), train.x.view(), xa.view()].view(),
        concatenate![Axis(0), p_train.view(), qa.view()].view(),
        None,
    )?;
    Ok((teacher, test, [hard, soft, soft_m]))
}

fn run_seed(table: &Table, a: &Args, seed: u64, keep: bool) -> Result<SeedResult> {
    let (teacher, test, [hard, soft, soft_m]) = fit_seed(table, a, seed)?;
    let y_test = test.labels.as_ref().expect("labels");
    let t_test = teacher.predict(test.x.view())?;
    let mut acc = [accuracy(t_test.view(), y_test.view())?, 0.0, 0.0, 0.0];
    let mut fid = [1.0, 0.0, 0.0, 0.0];
    for (i, t) in [&hard, &soft, &soft_m].into_iter().enumerate() {
        let pred = argmax_rows(t.predict_proba(test.x.view())?.view());
        acc[i + 1] = accuracy(pred.view(), y_test.view())?;
        fid[i + 1] = fidelity(pred.view(), t_test.view())?;
    }
    let leaves = [hard.n_leaves(), soft.n_leaves(), soft_m.n_leaves()];
    let depth = [hard.depth(), soft.depth(), soft_m.depth()];
    Ok(SeedResult { acc, fid, leaves, depth, trees: keep.then_some([hard, soft, soft_m]) })
}

/// Two features only, so the boundaries can be drawn.
fn two_feature_view(table: &Table, a: &Args, out: &Path) -> Result<PathBuf> {
    let cols = ["color_intensity", "proline"];
    // Read the file again, leaving the other features out.
    let others: Vec<String> = table.feature_names.iter().filter(|n| !cols.contains(&n.as_str())).cloned().collect();
    let t2 = TableReader::new(&table.path).target(&a.target).ignore(others).read()?;
    if t2.feature_names != cols {
        return Err(kdistill::KdError::Data { path: table.path.clone(), row: None, column: None, msg: format!("expected columns {cols:?}, got {:?}", t2.feature_names) });
    }
    let (teacher, test, [hard, _, soft]) = fit_seed(&t2, a, 0)?;
    let y_test = test.labels.as_ref().expect("labels");
    let t_test = teacher.predict(test.x.view())?;

    let grid = Grid::covering(t2.x.view(), 0.05, 240, 200)?;
    let pts = grid.points();
    let (pt, ph, ps) = (teacher.predict_proba(pts.view())?, hard.predict_proba(pts.view())?, soft.predict_proba(pts.view())?);
    let score = |p: &ndarray::Array2<f32>| -> Result<(f64, f64)> {
        let pred = argmax_rows(p.view());
        Ok((accuracy(pred.view(), y_test.view())?, fidelity(pred.view(), t_test.view())?))
    };
    let (ta, _) = score(&teacher.predict_proba(test.x.view())?)?;
    let (ha, hf) = score(&hard.predict_proba(test.x.view())?)?;
    let (sa, sf) = score(&soft.predict_proba(test.x.view())?)?;
    let plots = [
        BoundaryPlot::new(format!("MLP teacher — test accuracy {:.1}%", 100.0 * ta), pt.view()),
        BoundaryPlot::new(format!("tree on labels — {:.1}%", 100.0 * ha), ph.view()).with_subtitle(format!("{} leaves · fidelity {:.1}%", hard.n_leaves(), 100.0 * hf)),
        BoundaryPlot::new(format!("tree on teacher + MUNGE — {:.1}%", 100.0 * sa), ps.view()).with_subtitle(format!("{} leaves · fidelity {:.1}%", soft.n_leaves(), 100.0 * sf)),
    ];
    let opts = BoundaryOptions { class_names: t2.classes.clone(), axis_labels: (cols[0].into(), cols[1].into()), columns: Some(3), ..BoundaryOptions::default() };
    let path = out.join("boundary_2d.png");
    plot_boundary_panel(&path, "wine, 2 features (test points; seed 0)", &grid, &plots, test.x.view(), y_test.view(), &opts)?;
    Ok(path)
}

fn main() {
    let a = Args::parse();
    if let Err(e) = run(&a) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(a: &Args) -> Result<()> {
    let start = Instant::now();
    let table = TableReader::new(&a.data).target(&a.target).read()?;
    println!(
        "{}: {} rows, {} features, classes {:?}; {} seeds, {} leaves, MUNGE ×{}",
        a.data.display(),
        table.n_rows(),
        table.feature_names.len(),
        table.classes,
        a.seeds,
        a.leaves,
        a.munge
    );
    let mut results = Vec::new();
    for seed in 0..a.seeds {
        results.push(run_seed(&table, a, seed, seed == 0)?);
    }
    let n = results.len() as f64;
    let mean = |f: &dyn Fn(&SeedResult) -> f64| results.iter().map(f).sum::<f64>() / n;
    let mut rows = Vec::new();
    let mut mean_json = serde_json::Map::new();
    for (i, m) in MODELS.iter().enumerate() {
        let acc = mean(&|r| r.acc[i]);
        let fid = mean(&|r| r.fid[i]);
        let (leaves, depth) = if i == 0 { (None, None) } else { (Some(mean(&|r| r.leaves[i - 1] as f64)), Some(mean(&|r| r.depth[i - 1] as f64))) };
        rows.push(vec![
            m.to_string(),
            format!("{:.1}%", 100.0 * acc),
            format!("{:.1}%", 100.0 * fid),
            leaves.map_or("—".into(), |v| format!("{v:.1}")),
            depth.map_or("—".into(), |v| format!("{v:.1}")),
        ]);
        mean_json.insert(format!("{m}_acc"), json!(acc));
        mean_json.insert(format!("{m}_fidelity"), json!(fid));
        if let (Some(l), Some(d)) = (leaves, depth) {
            mean_json.insert(format!("{m}_leaves"), json!(l));
            mean_json.insert(format!("{m}_depth"), json!(d));
        }
    }
    let table_md = markdown_table(&["model", "test accuracy", "fidelity to teacher", "leaves", "depth"], &rows)?;
    println!("\nmeans over {} seeds (70/30 splits, {} test rows each):\n{table_md}", a.seeds, table.n_rows() - table.split(0.3, 0)?.0.n_rows());

    let out = &a.out;
    let per_seed: Vec<_> = results
        .iter()
        .enumerate()
        .map(|(s, r)| {
            let mut o = serde_json::Map::new();
            for (i, m) in MODELS.iter().enumerate() {
                o.insert(format!("{m}_acc"), json!(r.acc[i]));
                o.insert(format!("{m}_fidelity"), json!(r.fid[i]));
                if i > 0 {
                    o.insert(format!("{m}_leaves"), json!(r.leaves[i - 1]));
                    o.insert(format!("{m}_depth"), json!(r.depth[i - 1]));
                }
            }
            o.insert("seed".into(), json!(s));
            serde_json::Value::Object(o)
        })
        .collect();

    let trees = results[0].trees.as_ref().expect("seed 0 keeps its trees");
    let names = &table.feature_names;
    let mut rules = String::new();
    for (tree, tag) in trees.iter().zip(["hard", "soft", "soft_munge"]) {
        tree.save_json(out.join(format!("tree_{tag}.json")))?;
        export::save_dot(tree, out.join(format!("tree_{tag}.dot")), Some(names), Some(&table.classes))?;
        export::save_text(tree, out.join(format!("rules_{tag}.txt")), Some(names), Some(&table.classes))?;
        if tag != "soft" {
            rules.push_str(&format!("\n### tree_{tag} (seed 0)\n\n```text\n{}```\n", export::to_text(tree, Some(names), Some(&table.classes))?));
        }
    }
    println!("seed 0, tree on teacher + MUNGE, as rules:\n{}", export::to_text(&trees[2], Some(names), Some(&table.classes))?);
    let png = two_feature_view(&table, a, out)?;
    let wall = start.elapsed().as_secs_f64();
    kdistill::io::write_json(
        out.join("metrics.json"),
        &json!({ "data": a.data.display().to_string(), "seeds": a.seeds, "leaves": a.leaves, "munge": a.munge, "mean": mean_json, "per_seed": per_seed, "wall_seconds": wall }),
    )?;
    let readme = format!(
        "# Tabular distillation: UCI wine\n\n`cargo run --release --example tabular` — {} rows, {} features, {} classes; \
         {} seeds of a 70/30 split; MLP teacher (128-128, standardised inputs); trees limited to {} leaves; \
         MUNGE ×{} transfer rows labelled by the teacher.\n\n{table_md}\n\
         *fidelity* = agreement with the teacher's predicted class on the test rows. Per-seed numbers: `metrics.json`.\n\n\
         ![2-feature boundaries](boundary_2d.png)\n{rules}\nWall time {wall:.1} s.\n",
        table.n_rows(),
        names.len(),
        table.n_classes(),
        a.seeds,
        a.leaves,
        a.munge
    );
    kdistill::io::atomic_write(out.join("README.md"), readme.as_bytes())?;
    println!("wrote {} (README.md, metrics.json, rules/DOT/JSON of seed 0's trees) and {}", out.display(), png.display());
    println!("wall time {wall:.1} s");
    Ok(())
}
