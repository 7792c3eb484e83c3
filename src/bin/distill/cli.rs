//! The command line: subcommands, their arguments and help texts, and small argument parsers.
use clap::{Args, Parser, Subcommand};
use kdistill::data::tabular::Categorical;
use kdistill::error::{KdError, Result};
use kdistill::neural::DeviceChoice;
use kdistill::io::StagedDir;
use std::path::{Path, PathBuf};

pub(crate) const ABOUT: &str = "Distil any classifier's class probabilities on a table into a small, readable decision tree.";

pub(crate) const LONG_ABOUT: &str = "\
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
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
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
    /// Write a saved tree as code that runs without kdistill (C, Python, SQL), or as rules or DOT.
    #[command(long_about = EXPORT_ABOUT)]
    Export(ExportArgs),
}

pub(crate) const EXPORT_ABOUT: &str = "\
Write a tree saved by `distill tree` in a form that runs or reads without kdistill. Every code format
routes a row exactly as `distill predict` does (left when value <= threshold) and gives the same class
probabilities:
  onnx     an ai.onnx.ml TreeEnsembleClassifier (input X: float n × d; outputs label: the class names,
           probabilities: float n × K), for onnxruntime and every ONNX runtime
  c        one header: int NAME_predict_proba(const float *x, float *out), returning -1 for NaN or
           infinity on the row's path; NAME_FEATURE_NAMES, NAME_CLASS_NAMES
  python   a module without dependencies: predict_proba(rows), predict(rows)
  sql      one query over --table (a column per feature): every input column plus p_<class>
  rules    indented if/else text (like scikit-learn's export_text)
  dot      Graphviz
The features are the encoded ones, in the order of FEATURE_NAMES (a one-hot column becomes its
`column=category` 0/1 features).";

/// Output formats of `distill export`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    Onnx,
    C,
    Python,
    Sql,
    Rules,
    Dot,
}

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// A tree saved by `distill tree` (tree_soft.json / tree_hard.json).
    #[arg(long, value_name = "FILE")]
    pub(crate) model: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub(crate) format: ExportFormat,
    /// Prefix of the C symbols.
    #[arg(long, default_value = "kdtree")]
    pub(crate) name: String,
    /// Table the SQL query reads.
    #[arg(long, default_value = "input")]
    pub(crate) table: String,
    /// Write here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) const TREE_ABOUT: &str = "\
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

pub(crate) const TEACHER_ABOUT: &str = "\
Train the crate's neural teacher (a tch MLP, hidden layers 128-128 by default, Adam) on a table with
labels, on standardised features, and write it to --out together with its probabilities:
  model.json, model.safetensors, table.json   the teacher (use with `distill tree --teacher-model`)
  train_probs.csv                             its probabilities on --data (header = class names)
  test_probs.csv                              the same for --test, if given
  metrics.json                                its accuracy on the train (and test) rows";

pub(crate) const PREDICT_ABOUT: &str = "\
Predict with a tree saved by `distill tree` (tree_soft.json or tree_hard.json). The rows file
needs the model's feature columns (by name, any order; other columns are ignored). Output: CSV
with the column `predicted` (class name) and one probability column per class, to --out or
standard output.";

#[derive(Args, Debug, Clone)]
pub(crate) struct TableArgs {
    /// Training table (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) data: PathBuf,
    /// Label column.
    #[arg(long, value_name = "COLUMN")]
    pub(crate) target: String,
    /// Columns to leave out of the features (comma-separated), e.g. an id.
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// One-hot encode non-numeric feature columns (default: refuse them).
    #[arg(long)]
    pub(crate) one_hot: bool,
}

#[derive(Args, Debug)]
pub(crate) struct TreeArgs {
    #[command(flatten)]
    pub(crate) table: TableArgs,
    /// Teacher probabilities for the training rows, aligned by row (header = class names).
    #[arg(long, value_name = "FILE")]
    pub(crate) teacher_probs: Option<PathBuf>,
    /// Probability columns are those starting with this prefix (in --data, or in the probability files).
    #[arg(long, value_name = "PREFIX")]
    pub(crate) prob_prefix: Option<String>,
    /// A teacher saved by `distill teacher` (queried for every row it is asked about).
    #[arg(long, value_name = "DIR", conflicts_with = "teacher_probs")]
    pub(crate) teacher_model: Option<PathBuf>,
    /// Held-out rows for the metrics (CSV or Parquet; same feature columns).
    #[arg(long, value_name = "FILE")]
    pub(crate) test: Option<PathBuf>,
    /// Teacher probabilities for the --test rows, aligned by row.
    #[arg(long, value_name = "FILE", requires = "test")]
    pub(crate) test_teacher_probs: Option<PathBuf>,
    /// Maximum number of leaves (best-first growth). Default 64 unless --max-depth is given.
    #[arg(long, value_name = "N", conflicts_with = "max_depth")]
    pub(crate) max_leaves: Option<usize>,
    /// Maximum depth (root = depth 0).
    #[arg(long, value_name = "D")]
    pub(crate) max_depth: Option<usize>,
    /// Minimum training rows per leaf.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) min_samples_leaf: usize,
    /// Transfer-set augmentation for the soft tree: `munge:N` adds N MUNGE copies of the training rows.
    #[arg(long, value_name = "SPEC")]
    #[arg(value_parser = parse_augment)]
    pub(crate) augment: Option<usize>,
    /// Temperature applied to the teacher before fitting the soft tree.
    #[arg(long, value_name = "T", default_value_t = 1.0)]
    pub(crate) temperature: f32,
    /// Rescale probability rows to sum to 1 instead of refusing rows outside the tolerance.
    #[arg(long)]
    pub(crate) renormalise: bool,
    /// Seed for augmentation.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Device for --teacher-model: auto, cpu or cuda (checked even without --teacher-model).
    #[arg(long, default_value = "auto", value_parser = device)]
    pub(crate) device: DeviceChoice,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct TeacherArgs {
    #[command(flatten)]
    pub(crate) table: TableArgs,
    /// Held-out rows to write probabilities for (and report accuracy on, when labelled).
    #[arg(long, value_name = "FILE")]
    pub(crate) test: Option<PathBuf>,
    /// Hidden layer widths, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    pub(crate) hidden: Vec<usize>,
    /// Training epochs.
    #[arg(long, default_value_t = 60)]
    pub(crate) epochs: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub(crate) learning_rate: f64,
    /// Seed (initialisation, shuffling).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Device: auto, cpu or cuda.
    #[arg(long, default_value = "auto", value_parser = device)]
    pub(crate) device: DeviceChoice,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct PredictArgs {
    /// A tree saved by `distill tree` (tree_soft.json / tree_hard.json).
    #[arg(long, value_name = "FILE")]
    pub(crate) model: PathBuf,
    /// Rows to predict (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) data: PathBuf,
    /// Write the CSV here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}


pub(crate) fn categorical(one_hot: bool) -> Categorical {
    if one_hot {
        Categorical::OneHot
    } else {
        Categorical::Refuse
    }
}

pub(crate) fn device(s: &str) -> Result<DeviceChoice> {
    s.parse()
}

/// `munge:N` → N.
pub(crate) fn parse_augment(spec: &str) -> Result<usize> {
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

/// Every file `distill tree` and `distill teacher` write into `--out`: a folder holding only these
/// (or nothing) may be replaced by a new run.
pub(crate) const OUTPUT_FILES: &[&str] = &[
    "tree_soft.json",
    "tree_hard.json",
    "tree_soft.dot",
    "tree_hard.dot",
    "rules_soft.txt",
    "rules_hard.txt",
    "boundary.png",
    "metrics.json",
    "model.json",
    "model.safetensors",
    "table.json",
    "train_probs.csv",
    "test_probs.csv",
];

/// Stage `--out` (all-or-nothing, one run at a time; see [`StagedDir`]), refusing a folder that holds
/// one of the command's inputs, and say which leftovers of interrupted runs were removed.
pub(crate) fn stage_output(out: &Path, inputs: &[Option<&PathBuf>]) -> Result<StagedDir> {
    if let Ok(dest) = out.canonicalize() {
        for input in inputs.iter().flatten() {
            if input.canonicalize().is_ok_and(|p| p.starts_with(&dest)) {
                return Err(KdError::Data {
                    path: out.to_path_buf(),
                    row: None,
                    column: None,
                    msg: format!("the output folder holds an input ({}), and a run replaces the whole folder: choose another --out", input.display()),
                });
            }
        }
    }
    let staged = StagedDir::begin(out, OUTPUT_FILES)?;
    for p in staged.removed() {
        eprintln!("note: removed {}, left by an interrupted run", p.display());
    }
    Ok(staged)
}
