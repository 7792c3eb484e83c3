//! `distill`: distil any classifier's probabilities on a table into a small, readable decision tree.
//!
//! Run `distill --help` (and `distill tree --help`, …) for the full guide.
use clap::{Args, Parser, Subcommand};
use kdistill::data::tabular::{format_probabilities_csv, write_probabilities_csv, Categorical, Encoding, Table, TableReader};
use kdistill::error::{KdError, Result};
use kdistill::neural::DeviceChoice;
use kdistill::report::{plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
use kdistill::soft::{argmax_rows, mean_kl, one_hot};
use kdistill::student::tree::{export, Tree, TreeParams};
use kdistill::teacher::table::{ProbTable, TableMlp};
use kdistill::teacher::Teacher;
use ndarray::{concatenate, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

const ABOUT: &str = "Distil any classifier's class probabilities on a table into a small, readable decision tree.";

const LONG_ABOUT: &str = "\
Distil any classifier's class probabilities on a table into a small, readable decision tree.

WHAT IS DISTILLATION?
  A big model (the *teacher*: a neural net, a boosted ensemble, a remote API) gives, for every
  row, a probability for every class, e.g. 0.70 / 0.25 / 0.05. Those probabilities carry more
  information than the single true label: which rows are ambiguous, and between which classes.
  *Distillation* trains a small model (the *student*, here a decision tree with a few dozen
  leaves) to reproduce the teacher's probabilities instead of the labels. The student is usually
  more accurate than the same-size tree fitted on labels, agrees more often with the teacher
  (*fidelity*), and can be read line by line.

  Our tree is CART on probability vectors: each leaf predicts the mean probability vector of its
  rows, and splits minimise the squared error summed over classes. On one-hot labels this is
  exactly a Gini classification tree, so `distill tree` also fits the hard-label tree with the
  same limits and reports both side by side.

INPUT
  CSV (comma-separated, header row) or Parquet (*.parquet, *.pq). The teacher's probabilities
  come either as columns of the data file named with a prefix (--prob-prefix p_ : p_setosa,
  p_virginica, …) or as a separate file with one column per class whose header names the classes
  (--teacher-probs), one row per data row, in the same order. Labels in --target are matched to
  those class names. Probability rows must be non-negative and sum to 1 within 1e-3
  (--renormalise rescales them instead). Non-numeric feature columns are refused unless
  --one-hot is given. Every input error names the file, the row (1-based data row, header
  excluded) and the column.

WORKED EXAMPLE (2 classes, probabilities from any outside model)
  $ head -3 train.csv                   $ head -3 train_probs.csv
  x1,x2,label                           no,yes
  0.31,1.20,yes                         0.12,0.88
  -0.70,0.45,no                         0.93,0.07

  $ distill tree --data train.csv --target label --teacher-probs train_probs.csv \\
        --test test.csv --test-teacher-probs test_probs.csv --max-leaves 16 --out out/
  $ cat out/rules_soft.txt              # if/else rules of the distilled tree
  $ cat out/metrics.json                # accuracy, fidelity, KL, leaves, depth: soft vs hard
  $ distill predict --model out/tree_soft.json --data new_rows.csv

  No outside model? Train the crate's MLP teacher on the table first:
  $ distill teacher --data train.csv --target label --test test.csv --out teacher/
  $ distill tree --data train.csv --target label --teacher-model teacher/ --test test.csv \\
        --augment munge:5 --max-leaves 16 --out out/";

#[derive(Parser, Debug)]
#[command(name = "distill", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fit a tree on a teacher's probabilities (and the hard-label tree beside it); write model, DOT,
    /// rules, metrics and, for 2 features, a boundary PNG.
    #[command(long_about = TREE_ABOUT)]
    Tree(TreeArgs),
    /// Train the crate's MLP teacher (tch) on a table and write its probabilities.
    #[command(long_about = TEACHER_ABOUT)]
    Teacher(TeacherArgs),
    /// Predict classes and probabilities for new rows with a saved tree.
    #[command(long_about = PREDICT_ABOUT)]
    Predict(PredictArgs),
}

const TREE_ABOUT: &str = "\
Fit a decision tree on a teacher's class probabilities (the *soft* tree) and, with the same size
limits, a tree on the labels (the *hard* tree), then compare them.

Teacher probabilities for the training rows come from exactly one of:
  --teacher-probs FILE   a file aligned by row, header = class names (with --prob-prefix, only the
                         columns starting with the prefix are read, the prefix stripped);
  --prob-prefix P        columns of --data whose names start with P;
  --teacher-model DIR    a teacher saved by `distill teacher` (queried on the rows).
Test rows (--test) get teacher probabilities from --test-teacher-probs, else from the prefixed columns
of the test file when --prob-prefix is given, else from --teacher-model. Without them fidelity and KL
are reported as null. Without --test, everything is measured on the training rows (and marked so).

--augment munge:N adds N MUNGE copies of the training rows (Bucila et al. 2006: each attribute
is, with probability 0.5, redrawn near the value of the row's nearest neighbour), labelled by
the teacher, to the soft tree's training set only. A probability table cannot label new points:
with --teacher-probs / --prob-prefix the augmented rows get the probabilities of their nearest
training row (standardised Euclidean distance), i.e. a 1-nearest-neighbour smoothing of the
table that adds transfer points but no new knowledge. Both neighbour searches (MUNGE's and this
one) use an exact k-d tree: about n log n for tables with up to ~10 features, approaching
brute force's n^2 as the number of features grows. With --teacher-model the MLP is queried,
which is what makes augmentation pay off. MUNGE treats every feature as numeric: with --one-hot,
the 0/1 columns of a category can take values in between on augmented rows (the tree's
thresholds still route them; the rules stay valid).

--temperature T softens the targets of the soft tree: p^(1/T) renormalised for probabilities,
softmax(z/T) for the MLP's logits (T = 1, the default, uses them as they are). Metrics always
compare with the teacher at T = 1.

Outputs in --out: tree_soft.json, tree_hard.json (load with `distill predict`), tree_soft.dot,
tree_hard.dot (Graphviz), rules_soft.txt, rules_hard.txt, metrics.json and, when the table has
exactly 2 numeric features, boundary.png. metrics.json has objects \"soft\" and \"hard\" with
accuracy (on the evaluation labels), fidelity (agreement with the teacher's argmax), kl (mean
KL(teacher || tree), nats), leaves, depth and predict_us_per_row.";

const TEACHER_ABOUT: &str = "\
Train the crate's neural teacher (a tch MLP, hidden layers 128-128 by default, Adam) on a table with
labels, on standardised features, and write it to --out together with its probabilities:
  model.json, model.safetensors, table.json   the teacher (use with `distill tree --teacher-model`)
  train_probs.csv                             its probabilities on --data (header = class names)
  test_probs.csv                              the same for --test, if given
  metrics.json                                its accuracy on the train (and test) rows";

const PREDICT_ABOUT: &str = "\
Predict with a tree saved by `distill tree` (tree_soft.json or tree_hard.json). The rows file
needs the model's feature columns (by name, any order; other columns are ignored). Output: CSV
with the column `predicted` (class name) and one probability column per class, to --out or
standard output.";

#[derive(Args, Debug, Clone)]
struct TableArgs {
    /// Training table (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Label column.
    #[arg(long, value_name = "COLUMN")]
    target: String,
    /// Columns to leave out of the features (comma-separated), e.g. an id.
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    ignore: Vec<String>,
    /// One-hot encode non-numeric feature columns (default: refuse them).
    #[arg(long)]
    one_hot: bool,
}

#[derive(Args, Debug)]
struct TreeArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Teacher probabilities for the training rows, aligned by row (header = class names).
    #[arg(long, value_name = "FILE")]
    teacher_probs: Option<PathBuf>,
    /// Probability columns are those starting with this prefix (in --data, or in the probability files).
    #[arg(long, value_name = "PREFIX")]
    prob_prefix: Option<String>,
    /// A teacher saved by `distill teacher` (queried for every row it is asked about).
    #[arg(long, value_name = "DIR", conflicts_with = "teacher_probs")]
    teacher_model: Option<PathBuf>,
    /// Held-out rows for the metrics (CSV or Parquet; same feature columns).
    #[arg(long, value_name = "FILE")]
    test: Option<PathBuf>,
    /// Teacher probabilities for the --test rows, aligned by row.
    #[arg(long, value_name = "FILE", requires = "test")]
    test_teacher_probs: Option<PathBuf>,
    /// Maximum number of leaves (best-first growth). Default 64 unless --max-depth is given.
    #[arg(long, value_name = "N", conflicts_with = "max_depth")]
    max_leaves: Option<usize>,
    /// Maximum depth (root = depth 0).
    #[arg(long, value_name = "D")]
    max_depth: Option<usize>,
    /// Minimum training rows per leaf.
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_samples_leaf: usize,
    /// Transfer-set augmentation for the soft tree: `munge:N` adds N MUNGE copies of the training rows.
    #[arg(long, value_name = "SPEC")]
    augment: Option<String>,
    /// Temperature applied to the teacher before fitting the soft tree.
    #[arg(long, value_name = "T", default_value_t = 1.0)]
    temperature: f32,
    /// Rescale probability rows to sum to 1 instead of refusing rows outside the tolerance.
    #[arg(long)]
    renormalise: bool,
    /// Seed for augmentation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Device for --teacher-model: auto, cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct TeacherArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Held-out rows to write probabilities for (and report accuracy on, when labelled).
    #[arg(long, value_name = "FILE")]
    test: Option<PathBuf>,
    /// Hidden layer widths, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    hidden: Vec<usize>,
    /// Training epochs.
    #[arg(long, default_value_t = 60)]
    epochs: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 3e-3)]
    learning_rate: f64,
    /// Seed (initialisation, shuffling).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Device: auto, cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct PredictArgs {
    /// A tree saved by `distill tree` (tree_soft.json / tree_hard.json).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Rows to predict (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Write the CSV here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

// ------------------------------------------------------------------------------------------------
// The saved model: a tree plus what is needed to read new rows the same way.

/// Version of the `tree_*.json` layout written by `distill tree`.
const MODEL_FORMAT_VERSION: u32 = 1;
const MODEL_KIND: &str = "kdistill.table_tree";

#[derive(Serialize, Deserialize)]
struct TableTreeFile {
    format_version: u32,
    model: String,
    /// "soft" (fitted on teacher probabilities) or "hard" (fitted on labels).
    fitted_on: String,
    target: String,
    classes: Vec<String>,
    feature_names: Vec<String>,
    encoding: Encoding,
    /// The tree in its own versioned layout ([`Tree::to_json`]).
    tree: serde_json::Value,
}

struct TableTree {
    tree: Tree,
    classes: Vec<String>,
    encoding: Encoding,
}

fn save_model(path: &Path, tree: &Tree, fitted_on: &str, target: &str, classes: &[String], encoding: &Encoding) -> Result<()> {
    let f = TableTreeFile {
        format_version: MODEL_FORMAT_VERSION,
        model: MODEL_KIND.into(),
        fitted_on: fitted_on.into(),
        target: target.into(),
        classes: classes.to_vec(),
        feature_names: encoding.feature_names(),
        encoding: encoding.clone(),
        tree: serde_json::from_str(&tree.to_json()?)?,
    };
    kdistill::io::write_json(path, &f)
}

fn load_model(path: &Path) -> Result<TableTree> {
    let err = |msg: String| KdError::Model { path: path.to_path_buf(), msg };
    let text = std::fs::read_to_string(path).map_err(|e| KdError::io(path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON (corrupted?): {e}")))?;
    let version = v
        .get("format_version")
        .and_then(|f| f.as_u64())
        .ok_or_else(|| err("missing or non-integer `format_version`".into()))?;
    if version > MODEL_FORMAT_VERSION as u64 {
        return Err(err(format!("format_version {version} is newer than this build understands ({MODEL_FORMAT_VERSION}); upgrade kdistill")));
    }
    if v.get("model").and_then(|m| m.as_str()) != Some(MODEL_KIND) {
        return Err(err(format!("not a `{MODEL_KIND}` model file (written by `distill tree`)")));
    }
    let f: TableTreeFile = serde_json::from_value(v).map_err(|e| err(format!("corrupted model file: {e}")))?;
    let tree = Tree::from_json(&f.tree.to_string(), path)?;
    if tree.n_features() != f.encoding.n_features() || tree.n_outputs() != f.classes.len() {
        return Err(err(format!(
            "corrupted model file: tree has {} features and {} outputs, header says {} and {}",
            tree.n_features(),
            tree.n_outputs(),
            f.encoding.n_features(),
            f.classes.len()
        )));
    }
    Ok(TableTree { tree, classes: f.classes, encoding: f.encoding })
}

// ------------------------------------------------------------------------------------------------

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tree(a) => cmd_tree(&a),
        Command::Teacher(a) => cmd_teacher(&a),
        Command::Predict(a) => cmd_predict(&a),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn categorical(one_hot: bool) -> Categorical {
    if one_hot {
        Categorical::OneHot
    } else {
        Categorical::Refuse
    }
}

fn device(s: &str) -> Result<DeviceChoice> {
    s.parse()
}

/// `munge:N` → N.
fn parse_augment(spec: &str) -> Result<usize> {
    let bad = |why: &str| KdError::param("augment", spec, why.to_string());
    let (kind, n) = spec.split_once(':').ok_or_else(|| bad("expected `munge:N`, e.g. munge:5"))?;
    if kind != "munge" {
        return Err(bad("the only augmentation is `munge:N`"));
    }
    let n: usize = n.parse().map_err(|_| bad("N must be a positive integer"))?;
    if n == 0 {
        return Err(bad("N must be ≥ 1"));
    }
    Ok(n)
}

/// Microseconds per row of `tree.predict` on `x` (repeated to at least ~20k rows, best of 3).
fn predict_us_per_row(tree: &Tree, x: ArrayView2<f32>) -> Result<f64> {
    let n = x.nrows().max(1);
    let reps = 20_000usize.div_ceil(n).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(tree.predict(x)?);
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
    }
    Ok(best)
}

/// Metrics of one tree on the evaluation rows.
fn tree_metrics(tree: &Tree, x: ArrayView2<f32>, labels: Option<ArrayView1<usize>>, teacher: Option<ArrayView2<f32>>) -> Result<serde_json::Value> {
    let p = tree.predict(x)?;
    let pred = argmax_rows(p.view());
    let accuracy = labels.map(|y| kdistill::metrics::accuracy(pred.view(), y)).transpose()?;
    let fidelity = teacher.map(|t| kdistill::metrics::fidelity(pred.view(), argmax_rows(t).view())).transpose()?;
    let kl = teacher.map(|t| mean_kl(t, p.view())).transpose()?;
    Ok(json!({
        "accuracy": accuracy,
        "fidelity": fidelity,
        "kl": kl,
        "leaves": tree.n_leaves(),
        "depth": tree.depth(),
        "predict_us_per_row": predict_us_per_row(tree, x)?,
    }))
}

fn fmt_opt(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_f64() => format!("{f:.4}"),
        Some(_) => v.to_string(),
        None => "—".into(),
    }
}

fn cmd_tree(a: &TreeArgs) -> Result<()> {
    kdistill::soft::check_temperature(a.temperature)?;
    if a.teacher_probs.is_none() && a.prob_prefix.is_none() && a.teacher_model.is_none() {
        return Err(KdError::param(
            "teacher",
            "none",
            "give the teacher's probabilities with --teacher-probs FILE or --prob-prefix PREFIX, or a saved teacher with --teacher-model DIR",
        ));
    }
    let augment = a.augment.as_deref().map(parse_augment).transpose()?;
    let params = TreeParams::new()
        .max_depth(a.max_depth)
        .max_leaves(if a.max_depth.is_some() { a.max_leaves } else { Some(a.max_leaves.unwrap_or(64)) })
        .min_samples_leaf(a.min_samples_leaf);
    params.validate()?;

    // Training rows and the teacher.
    let model = a.teacher_model.as_ref().map(|d| TableMlp::load(d, device(&a.device)?)).transpose()?;
    let mut reader = TableReader::new(&a.table.data)
        .target(&a.table.target)
        .ignore(a.table.ignore.clone())
        .categorical(categorical(a.table.one_hot))
        .renormalise(a.renormalise);
    if let Some(m) = &model {
        reader = reader.encoding(m.encoding.clone()).classes(m.classes.clone());
    } else {
        reader = reader.probs_file(a.teacher_probs.as_ref()).prob_prefix_opt(a.prob_prefix.clone());
    }
    let train = reader.read()?;
    let labels = train.labels.clone().expect("target was required");
    let k = train.n_classes();
    // `query` answers for any row: the MLP, or the table's nearest row.
    let (train_probs, query): (Array2<f32>, Box<dyn Teacher>) = match model {
        Some(m) => (m.predict_proba(train.x.view())?, Box::new(m)),
        None => {
            let t = ProbTable::from_table(&train)?;
            (t.probabilities().to_owned(), Box::new(t.nearest()))
        }
    };
    let teacher_kind = if a.teacher_model.is_some() { "mlp (queried)" } else { "probability table" };

    // Soft targets (+ augmentation).
    let soft = if a.teacher_model.is_some() {
        query.soft_targets(train.x.view(), a.temperature)?
    } else {
        kdistill::soft::soften_probs(train_probs.view(), a.temperature)?
    };
    let (x_soft, y_soft) = match augment {
        Some(copies) => {
            let xa = kdistill::augment::munge(train.x.view(), copies, 0.5, 1.0, a.seed)?;
            let qa = query.soft_targets(xa.view(), a.temperature)?;
            (concatenate![Axis(0), train.x.view(), xa.view()], concatenate![Axis(0), soft.view(), qa.view()])
        }
        None => (train.x.clone(), soft),
    };
    let t0 = Instant::now();
    let soft_tree = params.fit(x_soft.view(), y_soft.view(), None)?;
    let soft_secs = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let hard_tree = params.fit(train.x.view(), one_hot(labels.view(), k)?.view(), None)?;
    let hard_secs = t0.elapsed().as_secs_f64();

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
                (None, true) => Some(query.predict_proba(t.x.view())?),
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

    // Outputs.
    let out = &a.out;
    let names = train.feature_names.clone();
    for (tag, tree) in [("soft", &soft_tree), ("hard", &hard_tree)] {
        save_model(&out.join(format!("tree_{tag}.json")), tree, tag, &a.table.target, &train.classes, &train.encoding)?;
        export::save_dot(tree, out.join(format!("tree_{tag}.dot")), Some(&names), Some(&train.classes))?;
        export::save_text(tree, out.join(format!("rules_{tag}.txt")), Some(&names), Some(&train.classes))?;
    }
    let boundary = if train.encoding.all_numeric() && names.len() == 2 {
        let path = out.join("boundary.png");
        draw_boundary(&path, &train, &eval, query.as_ref(), a.teacher_model.is_some(), &soft_tree, &hard_tree, &soft_m, &hard_m)?;
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
            "rows": train.n_rows(),
            "soft_tree_rows": x_soft.nrows(),
            "augment": a.augment,
            "temperature": a.temperature,
            "fit_seconds": { "soft": soft_secs, "hard": hard_secs },
        },
        "params": {
            "max_leaves": params.get_max_leaves(),
            "max_depth": params.get_max_depth(),
            "min_samples_leaf": params.get_min_samples_leaf(),
        },
        "classes": train.classes,
        "features": names,
    });
    kdistill::io::write_json(out.join("metrics.json"), &metrics)?;

    // Summary.
    let on = if held_out { format!("{} (held out)", eval.path.display()) } else { format!("{} (training rows: no --test)", eval.path.display()) };
    println!("distill tree: {} rows, {} features, {} classes; teacher: {teacher_kind}", train.n_rows(), names.len(), k);
    if let Some(acc) = teacher_acc {
        println!("teacher accuracy on {on}: {acc:.4}");
    }
    println!("{:<6} {:>9} {:>9} {:>9} {:>7} {:>6} {:>10}", "tree", "accuracy", "fidelity", "KL", "leaves", "depth", "µs/row");
    for (tag, m) in [("soft", &metrics["soft"]), ("hard", &metrics["hard"])] {
        println!(
            "{:<6} {:>9} {:>9} {:>9} {:>7} {:>6} {:>10.3}",
            tag,
            fmt_opt(&m["accuracy"]),
            fmt_opt(&m["fidelity"]),
            fmt_opt(&m["kl"]),
            m["leaves"].as_u64().unwrap_or(0),
            m["depth"].as_u64().unwrap_or(0),
            m["predict_us_per_row"].as_f64().unwrap_or(f64::NAN)
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
fn draw_boundary(
    path: &Path,
    train: &Table,
    eval: &Table,
    teacher: &dyn Teacher,
    teacher_is_model: bool,
    soft: &Tree,
    hard: &Tree,
    soft_m: &serde_json::Value,
    hard_m: &serde_json::Value,
) -> Result<()> {
    // Points: the evaluation rows with labels (else the training rows).
    let (px, py) = match &eval.labels {
        Some(y) => (eval.x.view(), y.view()),
        None => (train.x.view(), train.labels.as_ref().expect("training labels").view()),
    };
    let all = concatenate![Axis(0), train.x.view(), eval.x.view()];
    let grid = Grid::covering(all.view(), 0.05, 220, 200)?;
    let pts = grid.points();
    let p_soft = soft.predict(pts.view())?;
    let p_hard = hard.predict(pts.view())?;
    let pct = |v: &serde_json::Value| v.as_f64().map_or("—".to_string(), |f| format!("{:.1}%", 100.0 * f));
    let sub = |m: &serde_json::Value| format!("{} leaves · depth {} · fidelity {}", m["leaves"], m["depth"], pct(&m["fidelity"]));
    let mut plots = Vec::new();
    let p_teacher;
    if teacher_is_model {
        p_teacher = teacher.predict_proba(pts.view())?;
        plots.push(BoundaryPlot::new("teacher (MLP)", p_teacher.view()));
    }
    plots.push(BoundaryPlot::new(format!("tree on labels — accuracy {}", pct(&hard_m["accuracy"])), p_hard.view()).with_subtitle(sub(hard_m)));
    plots.push(BoundaryPlot::new(format!("tree on teacher — accuracy {}", pct(&soft_m["accuracy"])), p_soft.view()).with_subtitle(sub(soft_m)));
    let opts = BoundaryOptions {
        class_names: train.classes.clone(),
        axis_labels: (train.feature_names[0].clone(), train.feature_names[1].clone()),
        ..BoundaryOptions::default()
    };
    plot_boundary_panel(path, &format!("distill: {}", train.path.display()), &grid, &plots, px, py, &opts)
}

fn cmd_teacher(a: &TeacherArgs) -> Result<()> {
    let train = TableReader::new(&a.table.data)
        .target(&a.table.target)
        .ignore(a.table.ignore.clone())
        .categorical(categorical(a.table.one_hot))
        .read()?;
    let mut params = kdistill::teacher::mlp::teacher_params()
        .epochs(a.epochs)
        .learning_rate(a.learning_rate)
        .seed(a.seed)
        .device(device(&a.device)?);
    params.hidden = a.hidden.clone();
    let t0 = Instant::now();
    let teacher = TableMlp::fit(&params, &train)?;
    let secs = t0.elapsed().as_secs_f64();
    teacher.save(&a.out)?;
    let p = teacher.predict_proba(train.x.view())?;
    write_probabilities_csv(a.out.join("train_probs.csv"), &train.classes, p.view(), None)?;
    let y = train.labels.as_ref().expect("target was required");
    let train_acc = kdistill::metrics::accuracy(argmax_rows(p.view()).view(), y.view())?;
    let mut test_acc = None;
    if let Some(test) = &a.test {
        let t = TableReader::new(test)
            .target(&a.table.target)
            .target_optional(true)
            .encoding(train.encoding.clone())
            .classes(train.classes.clone())
            .read()?;
        let q = teacher.predict_proba(t.x.view())?;
        write_probabilities_csv(a.out.join("test_probs.csv"), &train.classes, q.view(), None)?;
        test_acc = t.labels.as_ref().map(|l| kdistill::metrics::accuracy(argmax_rows(q.view()).view(), l.view())).transpose()?;
    }
    let metrics = json!({
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "device": teacher.mlp.device_name(),
        "hidden": a.hidden,
        "epochs": a.epochs,
        "parameters": teacher.mlp.n_params(),
        "seconds": secs,
        "classes": train.classes,
    });
    kdistill::io::write_json(a.out.join("metrics.json"), &metrics)?;
    println!("teacher: MLP {:?} on {}, {} rows, {} classes, trained in {secs:.1}s", a.hidden, teacher.mlp.device_name(), train.n_rows(), train.n_classes());
    println!("train accuracy {train_acc:.4}{}", test_acc.map_or(String::new(), |v| format!(", test accuracy {v:.4}")));
    println!("wrote {}/{{model.json,model.safetensors,table.json,train_probs.csv{}}}", a.out.display(), if a.test.is_some() { ",test_probs.csv" } else { "" });
    Ok(())
}

fn cmd_predict(a: &PredictArgs) -> Result<()> {
    let m = load_model(&a.model)?;
    let rows = TableReader::new(&a.data).encoding(m.encoding.clone()).classes(m.classes.clone()).read()?;
    let p = m.tree.predict(rows.x.view())?;
    match &a.out {
        Some(path) => write_probabilities_csv(path, &m.classes, p.view(), Some("predicted")),
        None => {
            print!("{}", format_probabilities_csv(&m.classes, p.view(), Some("predicted"))?);
            Ok(())
        }
    }
}
