//! [`TableReader`]: one file (and optionally a probability file) read into a [`super::Table`].
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2};
use std::collections::{BTreeSet, HashMap};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use super::*;

/// Reads a CSV or Parquet file into a [`Table`]. Files ending in `.parquet` or `.pq` are Parquet;
/// everything else is CSV (comma-separated, with a header).
///
/// # Examples
///
/// Every builder option in one place: the target, probabilities from a separate file (its prefix
/// stripped), an ignored id column, one-hot categories, renormalised probability rows and their
/// tolerance; then a test file read with the training table's encoding and classes.
///
/// ```
/// use kdistill::data::tabular::{Categorical, TableReader};
/// let dir = tempfile::tempdir().unwrap();
/// let p = |name: &str| dir.path().join(name);
/// std::fs::write(p("train.csv"), "id,colour,x,y\n7,red,0.5,b\n8,blue,1.5,a\n").unwrap();
/// std::fs::write(p("probs.csv"), "q_b,q_a\n0.8,0.1\n0.3,0.7\n").unwrap(); // row 1 sums to 0.9
/// let train = TableReader::new(p("train.csv"))
///     .target("y")
///     .probs_file(Some(p("probs.csv")))
///     .prob_prefix("q_")
///     .ignore(["id"])
///     .categorical(Categorical::OneHot)
///     .renormalise(true)
///     .tolerance(1e-3)
///     .read()
///     .unwrap();
/// assert_eq!(train.classes, ["b", "a"]); // probability file order
/// assert_eq!(train.feature_names, ["colour=blue", "colour=red", "x"]);
/// assert!((train.probs.as_ref().unwrap()[[0, 0]] - 0.8 / 0.9).abs() < 1e-6);
/// // Without renormalise(true) the same row is refused.
/// assert!(TableReader::new(p("train.csv")).probs_file(Some(p("probs.csv"))).prob_prefix("q_")
///     .ignore(["id"]).categorical(Categorical::OneHot).read().is_err());
/// // A test file, maybe without labels, read the training table's way.
/// std::fs::write(p("test.csv"), "id,colour,x\n9,red,2.5\n").unwrap();
/// let test = TableReader::new(p("test.csv"))
///     .target_opt(Some("y".into()))
///     .target_optional(true)
///     .prob_prefix_opt(None)
///     .ignore(["id"])
///     .encoding(train.encoding.clone())
///     .classes(train.classes.clone())
///     .read()
///     .unwrap();
/// assert!(test.labels.is_none());
/// assert_eq!(test.x.row(0).to_vec(), vec![0.0, 1.0, 2.5]);
/// ```
#[derive(Debug, Clone)]
pub struct TableReader {
    path: PathBuf,
    target: Option<String>,
    target_optional: bool,
    prob_prefix: Option<String>,
    probs_file: Option<PathBuf>,
    ignore: Vec<String>,
    categorical: Categorical,
    renormalise: bool,
    tolerance: f32,
    encoding: Option<Encoding>,
    classes: Option<Vec<String>>,
}

impl TableReader {
    /// A reader for `path` with no target, no probabilities, categorical columns refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::TableReader;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("rows.csv");
    /// std::fs::write(&path, "a,b\n1,2\n").unwrap();
    /// let t = TableReader::new(&path).read().unwrap(); // every column is a feature
    /// assert_eq!((t.feature_names.len(), t.labels, t.probs), (2, None, None));
    /// ```
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            target: None,
            target_optional: false,
            prob_prefix: None,
            probs_file: None,
            ignore: Vec::new(),
            categorical: Categorical::Refuse,
            renormalise: false,
            tolerance: crate::base::PROB_SUM_TOLERANCE,
            encoding: None,
            classes: None,
        }
    }
    /// Read labels from this column.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn target(mut self, column: impl Into<String>) -> Self {
        self.target = Some(column.into());
        self
    }
    /// When the target column is absent, read no labels instead of failing (for test or prediction
    /// files that may or may not carry labels).
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn target_optional(mut self, yes: bool) -> Self {
        self.target_optional = yes;
        self
    }
    /// Like [`TableReader::target`] with an optional column.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn target_opt(mut self, column: Option<String>) -> Self {
        self.target = column;
        self
    }
    /// Probability columns are those whose names start with `prefix`; the rest of the name is the
    /// class. With [`TableReader::probs_file`] the prefix selects columns of that file instead.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn prob_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prob_prefix = Some(prefix.into());
        self
    }
    /// Like [`TableReader::prob_prefix`] with an optional prefix.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn prob_prefix_opt(mut self, prefix: Option<String>) -> Self {
        self.prob_prefix = prefix;
        self
    }
    /// Read teacher probabilities from a separate file aligned by row (header = class names).
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn probs_file(mut self, path: Option<impl AsRef<Path>>) -> Self {
        self.probs_file = path.map(|p| p.as_ref().to_path_buf());
        self
    }
    /// Columns that are neither features nor targets (ids, free text, …).
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn ignore(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.ignore.extend(columns.into_iter().map(Into::into));
        self
    }
    /// Policy for non-numeric feature columns (ignored when an [`Encoding`] is given).
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn categorical(mut self, c: Categorical) -> Self {
        self.categorical = c;
        self
    }
    /// Rescale probability rows to sum to 1 instead of refusing rows outside the tolerance.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn renormalise(mut self, yes: bool) -> Self {
        self.renormalise = yes;
        self
    }
    /// Tolerance on `|Σ p − 1|` (default [`crate::base::PROB_SUM_TOLERANCE`]).
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn tolerance(mut self, tol: f32) -> Self {
        self.tolerance = tol;
        self
    }
    /// Use this encoding (from a training table or a saved model) instead of inferring one.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn encoding(mut self, e: Encoding) -> Self {
        self.encoding = Some(e);
        self
    }
    /// Use these classes (from a training table or a saved model) instead of inferring them.
    ///
    /// See the [`TableReader`] example, which uses every builder method.
    pub fn classes(mut self, c: Vec<String>) -> Self {
        self.classes = Some(c);
        self
    }

    /// Read and validate the table.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::TableReader;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("t.csv");
    /// std::fs::write(&path, "x1,x2,label\n1,2,a\n3,oops,b\n").unwrap();
    /// let e = TableReader::new(&path).target("label").read().unwrap_err();
    /// // Rows are numbered from 1 over data rows.
    /// assert!(e.to_string().contains("row 2, column `x2`"), "{e}");
    /// std::fs::write(&path, "x1,x2,label\n1,2,a\n3,4,b\n").unwrap();
    /// assert_eq!(TableReader::new(&path).target("label").read().unwrap().n_classes(), 2);
    /// assert!(TableReader::new(&path).target("nope").read().is_err());
    /// ```
    pub fn read(&self) -> Result<Table> {
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(KdError::param("tolerance", self.tolerance, "must be finite and ≥ 0"));
        }
        let path = &self.path;
        let mut frame = read_frame(path)?;
        let n = frame.height;
        let names: Vec<String> = frame.columns.iter().map(|c| c.0.clone()).collect();
        // Name → index once: wide tables (100 000 columns) must not pay a scan per column.
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let col = |name: &str| index.get(name).copied();

        // Target column.
        let target = self.target.clone().filter(|t| !(self.target_optional && col(t).is_none()));
        let target_idx = match &target {
            Some(t) => Some(col(t).ok_or_else(|| KdError::Data {
                path: path.clone(),
                row: None,
                column: Some(t.clone()),
                msg: format!("target column not found (columns: {})", some_columns(&names)),
            })?),
            None => None,
        };
        for ig in &self.ignore {
            if col(ig).is_none() {
                return Err(KdError::Data {
                    path: path.clone(),
                    row: None,
                    column: Some(ig.clone()),
                    msg: format!("column to ignore not found (columns: {})", some_columns(&names)),
                });
            }
        }

        // Probability columns in this file.
        let mut prob_cols: Vec<usize> = Vec::new();
        if let (Some(prefix), None) = (&self.prob_prefix, &self.probs_file) {
            prob_cols = (0..names.len()).filter(|&i| names[i].starts_with(prefix.as_str()) && Some(i) != target_idx).collect();
            if prob_cols.is_empty() {
                return Err(KdError::Data {
                    path: path.clone(),
                    row: None,
                    column: Some(format!("{prefix}*")),
                    msg: format!("no probability columns start with `{prefix}` (columns: {})", some_columns(&names)),
                });
            }
        }

        // Features.
        let encoding = match &self.encoding {
            Some(e) => e.clone(),
            None => {
                let mut cols = Vec::new();
                let skip: BTreeSet<usize> = prob_cols.iter().copied().chain(target_idx).collect();
                let ignored: BTreeSet<&str> = self.ignore.iter().map(String::as_str).collect();
                for (i, (name, raw)) in frame.columns.iter().enumerate() {
                    if skip.contains(&i) || ignored.contains(name.as_str()) {
                        continue;
                    }
                    cols.push(EncodedColumn { name: name.clone(), encoding: infer_encoding(path, name, raw, self.categorical)? });
                }
                if cols.is_empty() {
                    return Err(KdError::Data { path: path.clone(), row: None, column: None, msg: "no feature columns left after removing target, probability and ignored columns".into() });
                }
                Encoding { columns: cols }
            }
        };
        let mut x = Array2::<f32>::zeros((n, encoding.n_features()));
        // Columns are read and converted a few at a time, in parallel (one per thread), then written
        // into the matrix; each is taken out of the frame and dropped once converted, so the file's
        // columns and the feature matrix are never both held whole. Errors come in column order.
        let mut j0 = 0;
        for chunk in encoding.columns.chunks(rayon::current_num_threads().max(1)) {
            let mut raws = Vec::with_capacity(chunk.len());
            for ec in chunk {
                let j = col(&ec.name).ok_or_else(|| KdError::Data {
                    path: path.clone(),
                    row: None,
                    column: Some(ec.name.clone()),
                    msg: format!("feature column not found (columns: {})", some_columns(&names)),
                })?;
                raws.push(frame.take(j));
            }
            let converted: Vec<Result<Converted>> = chunk
                .par_iter()
                .zip(raws.par_iter())
                .map(|(ec, raw)| match &ec.encoding {
                    ColumnEncoding::Numeric => numeric_values(path, &ec.name, raw, "feature").map(Converted::Num),
                    ColumnEncoding::OneHot { .. } => string_values(path, &ec.name, raw).map(Converted::Cat),
                })
                .collect();
            drop(raws);
            for (ec, c) in chunk.iter().zip(converted) {
                match (&ec.encoding, c?) {
                    (ColumnEncoding::OneHot { categories }, Converted::Cat(s)) => {
                        let index: HashMap<&str, usize> = categories.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
                        for (i, v) in s.iter().enumerate() {
                            let k = *index.get(v.as_str()).ok_or_else(|| KdError::Data {
                                path: path.clone(),
                                row: Some(i + 1),
                                column: Some(ec.name.clone()),
                                msg: format!("unknown category `{v}` (known: {})", categories.join(", ")),
                            })?;
                            x[[i, j0 + k]] = 1.0;
                        }
                        j0 += categories.len();
                    }
                    (_, Converted::Num(v)) => {
                        for (i, &val) in v.iter().enumerate() {
                            x[[i, j0]] = val as f32;
                        }
                        j0 += 1;
                    }
                    (_, Converted::Cat(_)) => unreachable!("numeric columns convert to numbers"),
                }
            }
        }

        // Probabilities: (file, names as classes, matrix).
        let probs: Option<(PathBuf, Vec<String>, Array2<f32>)> = if let Some(pf) = &self.probs_file {
            let (classes, p) = read_probability_file(pf, self.prob_prefix.as_deref(), self.renormalise, self.tolerance)?;
            if p.nrows() != n {
                return Err(KdError::Data {
                    path: pf.clone(),
                    row: Some(p.nrows().min(n) + 1),
                    column: None,
                    msg: format!(
                        "probability file has {} data rows but {} has {n}; rows must be aligned one to one",
                        p.nrows(),
                        path.display()
                    ),
                });
            }
            Some((pf.clone(), classes, p))
        } else if !prob_cols.is_empty() {
            let prefix = self.prob_prefix.as_deref().unwrap_or("");
            let cols: Vec<(String, &RawColumn)> = prob_cols.iter().map(|&i| (names[i].clone(), &frame.columns[i].1)).collect();
            let (classes, p) = probability_matrix(path, &cols, prefix, self.renormalise, self.tolerance)?;
            Some((path.clone(), classes, p))
        } else {
            None
        };

        // Classes.
        let raw_labels: Option<Vec<String>> = match target_idx {
            Some(i) => {
                let labels: Vec<String> = string_values(path, &names[i], &frame.columns[i].1)?.into_iter().map(|s| canonical_label(&s)).collect();
                if let Some(r) = labels.iter().position(|l| l.is_empty()) {
                    return Err(KdError::Data {
                        path: path.clone(),
                        row: Some(r + 1),
                        column: Some(names[i].clone()),
                        msg: "empty label (only spaces): every row needs a class name".into(),
                    });
                }
                Some(labels)
            }
            None => None,
        };
        let (classes, probs, probs_path) = match (&self.classes, probs) {
            (Some(given), Some((pp, pc, p))) => {
                let p = reorder_columns(&pp, &pc, &p, given)?;
                (given.clone(), Some(p), Some(pp))
            }
            (Some(given), None) => (given.clone(), None, None),
            (None, Some((pp, pc, p))) => (pc, Some(p), Some(pp)),
            (None, None) => match &raw_labels {
                Some(l) => (sorted_classes(l), None, None),
                None => (Vec::new(), None, None),
            },
        };
        if self.classes.is_none() {
            if let (Some(l), Some(t)) = (&raw_labels, &target) {
                let distinct: BTreeSet<&String> = l.iter().collect();
                if distinct.len() < 2 {
                    return Err(KdError::Data {
                        path: path.clone(),
                        row: None,
                        column: Some(t.clone()),
                        msg: format!(
                            "only one class ({}) in the target column; distillation needs at least 2 classes",
                            distinct.iter().next().map(|s| s.as_str()).unwrap_or("")
                        ),
                    });
                }
            }
        }
        let labels = match (&raw_labels, &target) {
            (Some(l), Some(t)) => {
                let index: HashMap<&str, usize> = classes.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
                let mut y = Array1::zeros(n);
                for (i, v) in l.iter().enumerate() {
                    y[i] = *index.get(v.as_str()).ok_or_else(|| KdError::Data {
                        path: path.clone(),
                        row: Some(i + 1),
                        column: Some(t.clone()),
                        msg: match &probs_path {
                            Some(pp) => format!(
                                "label `{v}` is not among the probability columns of {} (classes: {})",
                                pp.display(),
                                classes.join(", ")
                            ),
                            None => format!("label `{v}` is not a known class (classes: {})", classes.join(", ")),
                        },
                    })?;
                }
                Some(y)
            }
            _ => None,
        };
        Ok(Table { path: path.clone(), x, feature_names: encoding.feature_names(), encoding, classes, labels, probs, probs_path })
    }
}


/// Distinct labels, numerically sorted when all are integers, else lexicographically.
pub(super) fn sorted_classes(labels: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = labels.iter().collect();
    let mut v: Vec<String> = set.into_iter().cloned().collect();
    if v.iter().all(|s| s.parse::<i64>().is_ok()) {
        v.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
    }
    v
}

/// The column names for an error message: all of them up to 20, else the first 20 and a count.
fn some_columns(names: &[String]) -> String {
    const SHOWN: usize = 20;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!("{}, … and {} more", names[..SHOWN].join(", "), names.len() - SHOWN)
    }
}

/// A feature column converted: numbers, or category names for a one-hot column.
enum Converted {
    Num(Vec<f64>),
    Cat(Vec<String>),
}
