//! Tables of rows from CSV or Parquet files (read with polars), turned into the crate's arrays.
//!
//! A [`TableReader`] reads one file and returns a [`Table`]: the features as an `n × d` `Array2<f32>`,
//! their names, and optionally
//!
//! * **labels** from a target column (strings or integers, mapped to class names), and
//! * **teacher probabilities** (`n × K`), either from the columns of the same file whose names start
//!   with a prefix (`p_setosa, p_versicolor, …` with prefix `p_`), or from a separate file aligned by row
//!   whose header names the classes (one column per class, any order).
//!
//! # Classes
//! The class list (and so the column order of every probability matrix in the crate) is, in this order
//! of precedence: the list given with [`TableReader::classes`] (a model's classes when reading test or
//! prediction rows); else the probability columns in file order; else the distinct label values, sorted
//! numerically when they are all integers, else lexicographically. Label values are matched to class
//! names after trimming, with integral numbers written canonically (`"1.0"` and `"1"` are the class
//! `1`), so integer labels match probability headers such as `p_0, p_1`.
//!
//! # Features
//! Every column that is not the target, not a probability column and not [ignored](TableReader::ignore)
//! is a feature. Numbers are parsed as `f64` and stored as `f32`. A feature column whose values are all
//! non-numeric strings is **categorical**: by default it is refused with an error naming the column and
//! suggesting the fix; with [`Categorical::OneHot`] it is one-hot encoded into one 0/1 column per
//! category (sorted), named `column=category`. A column mixing numbers and other strings is never
//! treated as categorical: the first non-numeric value is an error (it is most likely a typo). The
//! resulting [`Encoding`] is serialisable and is reused to read test or prediction rows
//! ([`TableReader::encoding`]), where an unseen category is an error.
//!
//! # Validation
//! Every problem is a [`KdError::Data`] naming the file, the row and the column. **Rows are numbered
//! from 1 over data rows, the header excluded** (row 1 is the second line of a CSV file).
//! Refused: an empty file or a header without rows; a missing target, feature or probability column;
//! a missing (empty) cell; a non-numeric feature value; NaN or ±inf; a negative probability; a
//! probability row whose sum differs from 1 by more than the tolerance
//! ([`crate::soft::PROB_SUM_TOLERANCE`] = 1e-3 by default; rows are rescaled to sum to 1 only with
//! [`TableReader::renormalise`]); a probability file whose row count differs from the data file's; a
//! label that is not among the probability columns; fewer than two classes when the classes are
//! inferred from the file.
//!
//! ```
//! use kdistill::data::tabular::TableReader;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("t.csv");
//! std::fs::write(&path, "x1,x2,label,p_a,p_b\n0.5,1,a,0.9,0.1\n2,3.5,b,0.2,0.8\n").unwrap();
//! let t = TableReader::new(&path).target("label").prob_prefix("p_").read().unwrap();
//! assert_eq!(t.feature_names, ["x1", "x2"]);
//! assert_eq!(t.classes, ["a", "b"]);
//! assert_eq!(t.labels.as_ref().unwrap().to_vec(), vec![0, 1]);
//! assert_eq!(t.probs.as_ref().unwrap()[[1, 1]], 0.8);
//! ```
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// What to do with feature columns that hold non-numeric strings.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::{Categorical, TableReader};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "colour,size,y\nred,1,a\nblue,2,b\nred,3,a\n").unwrap();
/// let e = TableReader::new(&path).target("y").read().unwrap_err(); // Categorical::Refuse
/// assert!(e.to_string().contains("colour"), "{e}");
/// let t = TableReader::new(&path).target("y").categorical(Categorical::OneHot).read().unwrap();
/// assert_eq!(t.feature_names, ["colour=blue", "colour=red", "size"]);
/// assert_eq!(t.x.row(0).to_vec(), vec![0.0, 1.0, 1.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Categorical {
    /// Refuse them with an error naming the column (the default).
    #[default]
    Refuse,
    /// One-hot encode them: one 0/1 feature per category, named `column=category`.
    OneHot,
}

/// How one input column becomes features.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::{Categorical, ColumnEncoding, TableReader};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "colour,size\nred,1\nblue,2\n").unwrap();
/// let t = TableReader::new(&path).categorical(Categorical::OneHot).read().unwrap();
/// assert_eq!(t.encoding.columns[0].encoding, ColumnEncoding::OneHot { categories: vec!["blue".into(), "red".into()] });
/// assert_eq!(t.encoding.columns[1].encoding, ColumnEncoding::Numeric);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnEncoding {
    /// A numeric column, copied as one feature.
    Numeric,
    /// A categorical column, one 0/1 feature per category (in this order).
    OneHot {
        /// The known categories.
        categories: Vec<String>,
    },
}

/// One input column and its encoding.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
/// let c = EncodedColumn { name: "size".into(), encoding: ColumnEncoding::Numeric };
/// assert_eq!(Encoding { columns: vec![c] }.feature_names(), ["size"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedColumn {
    /// Column name in the file.
    pub name: String,
    /// How it is encoded.
    pub encoding: ColumnEncoding,
}

/// How a file's columns map to the feature matrix. Inferred from a training file and reused for
/// test and prediction files so the same columns land in the same places.
///
/// # Examples
///
/// Read a training file, then a prediction file with the training file's encoding, so that a one-hot
/// column lands in the same features even when the new file lacks some categories:
///
/// ```
/// use kdistill::data::tabular::{Categorical, TableReader};
/// let dir = tempfile::tempdir().unwrap();
/// let (train, new) = (dir.path().join("train.csv"), dir.path().join("new.csv"));
/// std::fs::write(&train, "colour,size\nred,1\nblue,2\ngreen,3\n").unwrap();
/// std::fs::write(&new, "colour,size\ngreen,7\n").unwrap();
/// let enc = TableReader::new(&train).categorical(Categorical::OneHot).read().unwrap().encoding;
/// assert_eq!((enc.n_features(), enc.all_numeric()), (4, false));
/// let t = TableReader::new(&new).encoding(enc.clone()).read().unwrap();
/// assert_eq!(t.x.row(0).to_vec(), vec![0.0, 1.0, 0.0, 7.0]); // blue, green, red, size
/// let json = serde_json::to_string(&enc).unwrap(); // saved with models
/// assert_eq!(serde_json::from_str::<kdistill::data::tabular::Encoding>(&json).unwrap(), enc);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Encoding {
    /// Input columns in feature order.
    pub columns: Vec<EncodedColumn>,
}

impl Encoding {
    /// Names of the resulting features (`column` or `column=category`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
    /// let e = Encoding {
    ///     columns: vec![
    ///         EncodedColumn { name: "age".into(), encoding: ColumnEncoding::Numeric },
    ///         EncodedColumn { name: "city".into(), encoding: ColumnEncoding::OneHot { categories: vec!["Oslo".into(), "Rome".into()] } },
    ///     ],
    /// };
    /// assert_eq!(e.feature_names(), ["age", "city=Oslo", "city=Rome"]);
    /// ```
    pub fn feature_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.columns {
            match &c.encoding {
                ColumnEncoding::Numeric => out.push(c.name.clone()),
                ColumnEncoding::OneHot { categories } => {
                    out.extend(categories.iter().map(|k| format!("{}={k}", c.name)))
                }
            }
        }
        out
    }
    /// Number of features.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
    /// let e = Encoding {
    ///     columns: vec![
    ///         EncodedColumn { name: "age".into(), encoding: ColumnEncoding::Numeric },
    ///         EncodedColumn { name: "city".into(), encoding: ColumnEncoding::OneHot { categories: vec!["Oslo".into(), "Rome".into()] } },
    ///     ],
    /// };
    /// assert_eq!(e.n_features(), 3);
    /// ```
    pub fn n_features(&self) -> usize {
        self.columns
            .iter()
            .map(|c| match &c.encoding {
                ColumnEncoding::Numeric => 1,
                ColumnEncoding::OneHot { categories } => categories.len(),
            })
            .sum()
    }
    /// True when every column is numeric (no one-hot features).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
    /// let mut e = Encoding { columns: vec![EncodedColumn { name: "age".into(), encoding: ColumnEncoding::Numeric }] };
    /// assert!(e.all_numeric());
    /// e.columns.push(EncodedColumn { name: "city".into(), encoding: ColumnEncoding::OneHot { categories: vec!["Oslo".into()] } });
    /// assert!(!e.all_numeric());
    /// ```
    pub fn all_numeric(&self) -> bool {
        self.columns.iter().all(|c| c.encoding == ColumnEncoding::Numeric)
    }
}

/// A table read from a file.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::TableReader;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "x,label,p_0,p_1\n0.5,1,0.3,0.7\n2,0,0.6,0.4\n3,1,0.1,0.9\n").unwrap();
/// let t = TableReader::new(&path).target("label").prob_prefix("p_").read().unwrap();
/// assert_eq!((t.n_rows(), t.n_classes()), (3, 2));
/// assert_eq!(t.classes, ["0", "1"]); // from the probability columns; labels "1", "0" match them
/// assert_eq!(t.labels.as_ref().unwrap().to_vec(), vec![1, 0, 1]);
/// assert_eq!(t.probs_path.as_deref(), Some(path.as_path()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file it came from.
    pub path: PathBuf,
    /// `n × d` features.
    pub x: Array2<f32>,
    /// `d` feature names.
    pub feature_names: Vec<String>,
    /// How the columns were encoded (reuse it for test / prediction files).
    pub encoding: Encoding,
    /// Class names (empty when the file has neither labels nor probabilities and none were given).
    pub classes: Vec<String>,
    /// Class indices into [`Table::classes`], when a target column was read.
    pub labels: Option<Array1<usize>>,
    /// `n × K` teacher probabilities (columns in the order of [`Table::classes`]), when read.
    pub probs: Option<Array2<f32>>,
    /// The file the probabilities came from (the data file itself for prefixed columns).
    pub probs_path: Option<PathBuf>,
}

impl Table {
    /// Number of rows.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.csv");
    /// std::fs::write(&path, "a,b\n1,2\n3,4\n5,6\n").unwrap();
    /// assert_eq!(kdistill::data::tabular::TableReader::new(&path).read().unwrap().n_rows(), 3);
    /// ```
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }
    /// Number of classes.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.csv");
    /// std::fs::write(&path, "a,y\n1,cat\n3,dog\n5,emu\n").unwrap();
    /// assert_eq!(kdistill::data::tabular::TableReader::new(&path).target("y").read().unwrap().n_classes(), 3);
    /// ```
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }
    /// The rows at `idx`, in that order (labels and probabilities follow).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.csv");
    /// std::fs::write(&path, "a,y\n1,cat\n3,dog\n5,cat\n").unwrap();
    /// let t = kdistill::data::tabular::TableReader::new(&path).target("y").read().unwrap();
    /// let s = t.select(&[2, 1]);
    /// assert_eq!(s.x.column(0).to_vec(), vec![5.0, 3.0]);
    /// assert_eq!(s.labels.unwrap().to_vec(), vec![0, 1]); // cat, dog
    /// ```
    pub fn select(&self, idx: &[usize]) -> Table {
        Table {
            x: self.x.select(Axis(0), idx),
            labels: self.labels.as_ref().map(|l| idx.iter().map(|&i| l[i]).collect()),
            probs: self.probs.as_ref().map(|p| p.select(Axis(0), idx)),
            ..self.clone()
        }
    }
    /// Seeded random split into (train, test) with `test_fraction` of the rows in the test part
    /// (the same permutation as [`crate::data::Dataset::split`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.csv");
    /// let rows: String = (0..10).map(|i| format!("{i},{}\n", i % 2)).collect();
    /// std::fs::write(&path, format!("x,y\n{rows}")).unwrap();
    /// let t = kdistill::data::tabular::TableReader::new(&path).target("y").read().unwrap();
    /// let (train, test) = t.split(0.3, 1).unwrap();
    /// assert_eq!((train.n_rows(), test.n_rows()), (7, 3));
    /// // Labels follow their rows: y = x mod 2.
    /// for (x, y) in test.x.column(0).iter().zip(test.labels.as_ref().unwrap()) {
    ///     assert_eq!(*x as usize % 2, *y);
    /// }
    /// ```
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Table, Table)> {
        let (train, test) = crate::data::split_indices(self.n_rows(), test_fraction, seed)?;
        Ok((self.select(&train), self.select(&test)))
    }
    /// Features and labels as a [`crate::data::Dataset`]; errors when no target column was read.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.csv");
    /// std::fs::write(&path, "a,y\n1,0\n3,1\n").unwrap();
    /// let reader = kdistill::data::tabular::TableReader::new(&path);
    /// let d = reader.clone().target("y").read().unwrap().dataset().unwrap();
    /// assert_eq!((d.len(), d.n_classes), (2, 2));
    /// assert!(reader.read().unwrap().dataset().is_err()); // no target column read: no labels
    /// ```
    pub fn dataset(&self) -> Result<crate::data::Dataset> {
        let y = self.labels.clone().ok_or_else(|| KdError::Data {
            path: self.path.clone(),
            row: None,
            column: None,
            msg: "no target column was read, so there are no labels".into(),
        })?;
        crate::data::Dataset::new(self.x.clone(), y, self.n_classes())
    }
}

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
            tolerance: crate::soft::PROB_SUM_TOLERANCE,
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
    /// Tolerance on `|Σ p − 1|` (default [`crate::soft::PROB_SUM_TOLERANCE`]).
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
        let frame = read_frame(path)?;
        let n = frame.height;
        let names: Vec<String> = frame.columns.iter().map(|c| c.0.clone()).collect();
        let col = |name: &str| frame.columns.iter().position(|c| c.0 == name);

        // Target column.
        let target = self.target.clone().filter(|t| !(self.target_optional && col(t).is_none()));
        let target_idx = match &target {
            Some(t) => Some(col(t).ok_or_else(|| KdError::Data {
                path: path.clone(),
                row: None,
                column: Some(t.clone()),
                msg: format!("target column not found (columns: {})", names.join(", ")),
            })?),
            None => None,
        };
        for ig in &self.ignore {
            if col(ig).is_none() {
                return Err(KdError::Data {
                    path: path.clone(),
                    row: None,
                    column: Some(ig.clone()),
                    msg: format!("column to ignore not found (columns: {})", names.join(", ")),
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
                    msg: format!("no probability columns start with `{prefix}` (columns: {})", names.join(", ")),
                });
            }
        }

        // Features.
        let encoding = match &self.encoding {
            Some(e) => e.clone(),
            None => {
                let mut cols = Vec::new();
                for (i, (name, raw)) in frame.columns.iter().enumerate() {
                    if Some(i) == target_idx || prob_cols.contains(&i) || self.ignore.contains(name) {
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
        let mut j0 = 0;
        for ec in &encoding.columns {
            let raw = &frame.columns[col(&ec.name).ok_or_else(|| KdError::Data {
                path: path.clone(),
                row: None,
                column: Some(ec.name.clone()),
                msg: format!("feature column not found (columns: {})", names.join(", ")),
            })?]
            .1;
            match &ec.encoding {
                ColumnEncoding::Numeric => {
                    let v = numeric_values(path, &ec.name, raw, "feature")?;
                    for (i, &val) in v.iter().enumerate() {
                        x[[i, j0]] = val as f32;
                    }
                    j0 += 1;
                }
                ColumnEncoding::OneHot { categories } => {
                    let index: HashMap<&str, usize> = categories.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
                    let s = string_values(path, &ec.name, raw)?;
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
            Some(i) => Some(
                string_values(path, &names[i], &frame.columns[i].1)?.into_iter().map(|s| canonical_label(&s)).collect(),
            ),
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

/// Read a probability file on its own: every column (or those starting with `prefix`, which is then
/// stripped) is a class. Returns the class names in file order and the validated `n × K` matrix.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::read_probability_file;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("p.csv");
/// std::fs::write(&path, "id,p_no,p_yes\n1,0.25,0.75\n2,1,0\n").unwrap();
/// let (classes, p) = read_probability_file(&path, Some("p_"), false, 1e-3).unwrap();
/// assert_eq!(classes, ["no", "yes"]);
/// assert_eq!(p, ndarray::array![[0.25f32, 0.75], [1.0, 0.0]]);
/// ```
pub fn read_probability_file(
    path: impl AsRef<Path>,
    prefix: Option<&str>,
    renormalise: bool,
    tolerance: f32,
) -> Result<(Vec<String>, Array2<f32>)> {
    let path = path.as_ref().to_path_buf();
    let frame = read_frame(&path)?;
    let cols: Vec<(String, &RawColumn)> = frame
        .columns
        .iter()
        .filter(|(name, _)| prefix.is_none_or(|p| name.starts_with(p)))
        .map(|(name, raw)| (name.clone(), raw))
        .collect();
    if cols.is_empty() {
        return Err(KdError::Data {
            path,
            row: None,
            column: prefix.map(|p| format!("{p}*")),
            msg: "no probability columns".into(),
        });
    }
    probability_matrix(&path, &cols, prefix.unwrap_or(""), renormalise, tolerance)
}

/// The class-name form used for matching labels to probability columns: trimmed, and integral
/// numbers written without a fractional part (`"2.0"` → `"2"`).
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::canonical_label;
/// assert_eq!(canonical_label(" 2.0 "), "2");
/// assert_eq!(canonical_label("1e2"), "100");
/// assert_eq!(canonical_label("setosa"), "setosa");
/// assert_eq!(canonical_label("0.5"), "0.5");
/// ```
pub fn canonical_label(s: &str) -> String {
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            return format!("{}", v as i64);
        }
    }
    t.to_string()
}

/// Format an `n × K` probability matrix as CSV text with the class names as header, optionally preceded
/// by a column of predicted class names (the argmax) named `predicted_column`.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::format_probabilities_csv;
/// let classes = vec!["no".to_string(), "yes, really".to_string()];
/// let csv = format_probabilities_csv(&classes, ndarray::array![[0.25f32, 0.75]].view(), Some("predicted")).unwrap();
/// assert_eq!(csv, "predicted,no,\"yes, really\"\n\"yes, really\",0.25,0.75\n");
/// ```
pub fn format_probabilities_csv(classes: &[String], p: ArrayView2<f32>, predicted_column: Option<&str>) -> Result<String> {
    use std::fmt::Write as _;
    if classes.len() != p.ncols() {
        return Err(KdError::Shape(format!("{} class names for {} probability columns", classes.len(), p.ncols())));
    }
    let pred = crate::soft::argmax_rows(p);
    let mut header: Vec<String> = Vec::new();
    if let Some(c) = predicted_column {
        header.push(csv_field(c));
    }
    header.extend(classes.iter().map(|c| csv_field(c)));
    let mut out = header.join(",");
    out.push('\n');
    for (i, row) in p.axis_iter(Axis(0)).enumerate() {
        if predicted_column.is_some() {
            let _ = write!(out, "{},", csv_field(&classes[pred[i]]));
        }
        let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// [`format_probabilities_csv`] written atomically to `path`.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::{read_probability_file, write_probabilities_csv};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("probs.csv");
/// let p = ndarray::array![[0.1f32, 0.9], [0.6, 0.4]];
/// write_probabilities_csv(&path, &["a".into(), "b".into()], p.view(), None).unwrap();
/// assert_eq!(read_probability_file(&path, None, false, 1e-3).unwrap().1, p); // exact round trip
/// ```
pub fn write_probabilities_csv(
    path: impl AsRef<Path>,
    classes: &[String],
    p: ArrayView2<f32>,
    predicted_column: Option<&str>,
) -> Result<()> {
    crate::io::atomic_write(path, format_probabilities_csv(classes, p, predicted_column)?.as_bytes())
}

/// Quote a CSV field when it needs it.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::csv_field;
/// assert_eq!(csv_field("plain"), "plain");
/// assert_eq!(csv_field("a,b"), "\"a,b\"");
/// assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
/// ```
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Per-feature standardisation `z_j = (x_j − μ_j) / σ_j` with the mean `μ_j` and the population standard
/// deviation `σ_j` of training rows (`σ_j = 0` is replaced by 1, so constant features map to 0).
/// Neural teachers train far better on standardised inputs; trees do not need it (and stay readable on
/// raw values).
///
/// ```
/// use kdistill::data::tabular::Standardiser;
/// use ndarray::array;
/// let s = Standardiser::fit(array![[1.0f32, 5.0], [3.0, 5.0]].view()).unwrap();
/// assert_eq!(s.transform(array![[2.0f32, 5.0], [3.0, 6.0]].view()).unwrap(), array![[0.0f32, 0.0], [1.0, 1.0]]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Per-feature means.
    pub mean: Vec<f32>,
    /// Per-feature standard deviations (1 for constant features).
    pub scale: Vec<f32>,
}

impl Standardiser {
    /// Fit on training rows (at least one row, finite values).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::Standardiser;
    /// let s = Standardiser::fit(ndarray::array![[0.0f32, 3.0], [4.0, 3.0]].view()).unwrap();
    /// assert_eq!((s.mean, s.scale), (vec![2.0, 3.0], vec![2.0, 1.0])); // constant feature: scale 1
    /// assert!(Standardiser::fit(ndarray::Array2::<f32>::zeros((0, 2)).view()).is_err());
    /// ```
    pub fn fit(x: ArrayView2<f32>) -> Result<Self> {
        crate::data::check_rows(x, "standardiser input")?;
        crate::data::check_finite(x, "standardiser input")?;
        let mean = x.mean_axis(Axis(0)).expect("rows checked").to_vec();
        let scale = x.std_axis(Axis(0), 0.0).iter().map(|&s| if s > 0.0 && s.is_finite() { s } else { 1.0 }).collect();
        Ok(Self { mean, scale })
    }
    /// Standardise rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::Standardiser;
    /// let s = Standardiser { mean: vec![1.0, 0.0], scale: vec![2.0, 1.0] };
    /// assert_eq!(s.transform(ndarray::array![[5.0f32, -1.0]].view()).unwrap(), ndarray::array![[2.0f32, -1.0]]);
    /// assert!(s.transform(ndarray::array![[1.0f32]].view()).is_err()); // wrong width
    /// ```
    pub fn transform(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.mean.len() {
            return Err(KdError::Shape(format!("standardiser fitted on {} features, got {}", self.mean.len(), x.ncols())));
        }
        let mut z = x.to_owned();
        for (j, mut c) in z.axis_iter_mut(Axis(1)).enumerate() {
            let (m, s) = (self.mean[j], self.scale[j]);
            c.mapv_inplace(|v| (v - m) / s);
        }
        Ok(z)
    }
}

// ----------------------------------------------------------------------------------------------
// internals

/// A column as read: numbers (Parquet numeric) or strings (CSV, Parquet strings); `None` = missing.
#[derive(Debug)]
enum RawColumn {
    Num(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
}

struct Frame {
    height: usize,
    columns: Vec<(String, RawColumn)>,
}

fn is_parquet(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(), Some("parquet" | "pq"))
}

fn polars_err(path: &Path, e: PolarsError) -> KdError {
    KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: format!("cannot read table: {e}") }
}

fn read_frame(path: &Path) -> Result<Frame> {
    let meta = std::fs::metadata(path).map_err(|e| KdError::io(path, e))?;
    let empty = || KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "file is empty".into() };
    if meta.len() == 0 {
        return Err(empty());
    }
    let df = if is_parquet(path) {
        let f = std::fs::File::open(path).map_err(|e| KdError::io(path, e))?;
        ParquetReader::new(f).finish().map_err(|e| polars_err(path, e))?
    } else {
        let text = std::fs::read(path).map_err(|e| KdError::io(path, e))?;
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(empty());
        }
        // Every column as a string: we parse numbers ourselves to name the offending row and column.
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| polars_err(path, e))?
    };
    if df.width() == 0 {
        return Err(empty());
    }
    if df.height() == 0 {
        return Err(KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "no data rows (only a header)".into() });
    }
    let mut seen = BTreeSet::new();
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        let name = c.name().to_string();
        if !seen.insert(name.clone()) {
            return Err(KdError::Data { path: path.to_path_buf(), row: None, column: Some(name), msg: "duplicate column name".into() });
        }
        let dt = c.dtype().clone();
        let raw = if dt == DataType::String {
            RawColumn::Str(c.str().map_err(|e| polars_err(path, e))?.into_iter().map(|v| v.map(str::to_string)).collect())
        } else if dt.is_primitive_numeric() || dt == DataType::Boolean {
            let f = c.cast(&DataType::Float64).map_err(|e| polars_err(path, e))?;
            RawColumn::Num(f.f64().map_err(|e| polars_err(path, e))?.into_iter().collect())
        } else {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: None,
                column: Some(name),
                msg: format!("unsupported column type {dt} (use numbers or strings)"),
            });
        };
        columns.push((name, raw));
    }
    Ok(Frame { height: df.height(), columns })
}

fn missing(path: &Path, column: &str, row: usize, what: &str) -> KdError {
    KdError::Data { path: path.to_path_buf(), row: Some(row + 1), column: Some(column.to_string()), msg: format!("missing {what} value") }
}

/// Numbers of a column; missing, non-numeric and non-finite values are errors.
fn numeric_values(path: &Path, column: &str, raw: &RawColumn, what: &str) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    match raw {
        RawColumn::Num(v) => {
            for (i, x) in v.iter().enumerate() {
                out.push(x.ok_or_else(|| missing(path, column, i, what))?);
            }
        }
        RawColumn::Str(v) => {
            for (i, s) in v.iter().enumerate() {
                let s = s.as_deref().ok_or_else(|| missing(path, column, i, what))?;
                let x = s.trim().parse::<f64>().map_err(|_| KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(column.to_string()),
                    msg: format!("non-numeric {what} value `{s}`"),
                })?;
                out.push(x);
            }
        }
    }
    for (i, x) in out.iter().enumerate() {
        if !x.is_finite() {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: Some(i + 1),
                column: Some(column.to_string()),
                msg: format!("non-finite {what} value {x}"),
            });
        }
    }
    Ok(out)
}

/// Values of a column as strings (numbers formatted); missing values are errors.
fn string_values(path: &Path, column: &str, raw: &RawColumn) -> Result<Vec<String>> {
    match raw {
        RawColumn::Num(v) => v
            .iter()
            .enumerate()
            .map(|(i, x)| x.map(|x| format!("{x}")).ok_or_else(|| missing(path, column, i, "")))
            .collect(),
        RawColumn::Str(v) => v
            .iter()
            .enumerate()
            .map(|(i, s)| s.as_ref().map(|s| s.trim().to_string()).ok_or_else(|| missing(path, column, i, "")))
            .collect(),
    }
}

fn infer_encoding(path: &Path, name: &str, raw: &RawColumn, policy: Categorical) -> Result<ColumnEncoding> {
    let RawColumn::Str(v) = raw else { return Ok(ColumnEncoding::Numeric) };
    let parses = |s: &Option<String>| s.as_deref().is_some_and(|s| s.trim().parse::<f64>().is_ok());
    if v.iter().any(parses) {
        return Ok(ColumnEncoding::Numeric); // mixed columns fail later at the first non-numeric value
    }
    let first = v.iter().position(|s| s.is_some());
    let Some(first) = first else { return Err(missing(path, name, 0, "feature")) };
    match policy {
        Categorical::Refuse => Err(KdError::Data {
            path: path.to_path_buf(),
            row: Some(first + 1),
            column: Some(name.to_string()),
            msg: format!(
                "non-numeric feature value `{}`: the column looks categorical; one-hot encode it \
                 (--one-hot / Categorical::OneHot) or leave it out (--ignore {name})",
                v[first].as_deref().unwrap_or("")
            ),
        }),
        Categorical::OneHot => {
            let mut cats = BTreeSet::new();
            for (i, s) in v.iter().enumerate() {
                cats.insert(s.as_deref().ok_or_else(|| missing(path, name, i, "feature"))?.trim().to_string());
            }
            Ok(ColumnEncoding::OneHot { categories: cats.into_iter().collect() })
        }
    }
}

/// Build and validate a probability matrix from columns; class names are the column names without
/// `prefix`, canonicalised.
fn probability_matrix(
    path: &Path,
    cols: &[(String, &RawColumn)],
    prefix: &str,
    renormalise: bool,
    tol: f32,
) -> Result<(Vec<String>, Array2<f32>)> {
    let col_list = cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ");
    if cols.len() < 2 {
        return Err(KdError::Data {
            path: path.to_path_buf(),
            row: None,
            column: Some(col_list),
            msg: "need at least 2 probability columns (one per class)".into(),
        });
    }
    let mut classes = Vec::new();
    for (name, _) in cols {
        let c = canonical_label(name.strip_prefix(prefix).unwrap_or(name));
        if classes.contains(&c) {
            return Err(KdError::Data { path: path.to_path_buf(), row: None, column: Some(name.clone()), msg: format!("class `{c}` appears twice") });
        }
        classes.push(c);
    }
    let n = match cols[0].1 {
        RawColumn::Num(v) => v.len(),
        RawColumn::Str(v) => v.len(),
    };
    let mut p = Array2::<f32>::zeros((n, cols.len()));
    for (j, (name, raw)) in cols.iter().enumerate() {
        let v = numeric_values(path, name, raw, "probability")?;
        for (i, &x) in v.iter().enumerate() {
            if x < 0.0 {
                return Err(KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(name.clone()),
                    msg: format!("negative probability {x}"),
                });
            }
            p[[i, j]] = x as f32;
        }
    }
    for (i, mut row) in p.axis_iter_mut(Axis(0)).enumerate() {
        let s: f64 = row.iter().map(|&v| v as f64).sum();
        if renormalise {
            if s <= 0.0 {
                return Err(KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(col_list.clone()),
                    msg: "cannot renormalise a probability row that sums to 0".into(),
                });
            }
            row.mapv_inplace(|v| (v as f64 / s) as f32);
        } else if (s - 1.0).abs() > tol as f64 {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: Some(i + 1),
                column: Some(col_list.clone()),
                msg: format!("probabilities sum to {s:.6}, not 1 (tolerance {tol}; pass --renormalise to rescale rows)"),
            });
        }
    }
    Ok((classes, p))
}

/// Reorder probability columns named `have` into the order `want` (same set of names).
fn reorder_columns(path: &Path, have: &[String], p: &Array2<f32>, want: &[String]) -> Result<Array2<f32>> {
    let mismatch = || KdError::Data {
        path: path.to_path_buf(),
        row: None,
        column: Some(have.join(", ")),
        msg: format!("probability columns name classes [{}] but the model's classes are [{}]", have.join(", "), want.join(", ")),
    };
    if have.len() != want.len() {
        return Err(mismatch());
    }
    let idx: Vec<usize> = want.iter().map(|w| have.iter().position(|h| h == w).ok_or_else(mismatch)).collect::<Result<_>>()?;
    Ok(p.select(Axis(1), &idx))
}

/// Distinct labels, numerically sorted when all are integers, else lexicographically.
fn sorted_classes(labels: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = labels.iter().collect();
    let mut v: Vec<String> = set.into_iter().cloned().collect();
    if v.iter().all(|s| s.parse::<i64>().is_ok()) {
        v.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn data_err(e: KdError) -> (PathBuf, Option<usize>, Option<String>, String) {
        match e {
            KdError::Data { path, row, column, msg } => (path, row, column, msg),
            other => panic!("expected a Data error, got {other:?}"),
        }
    }

    #[test]
    fn reads_features_labels_and_prefixed_probs() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x1,x2,y,p_1,p_0\n1,2,0,0.25,0.75\n3,4,1,0.5,0.5\n5,6,1.0,1,0\n");
        let t = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap();
        assert_eq!(t.x, ndarray::array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(t.classes, ["1", "0"]); // file order of the probability columns
        assert_eq!(t.labels.unwrap().to_vec(), vec![1, 0, 0]);
        assert_eq!(t.probs.unwrap().row(0).to_vec(), vec![0.25, 0.75]);
    }

    #[test]
    fn separate_probability_file_any_column_order_and_given_classes() {
        let d = tempfile::tempdir().unwrap();
        let data = write(&d, "d.csv", "a,label\n1,cat\n2,dog\n3,cat\n");
        let probs = write(&d, "p.csv", "dog,cat\n0.1,0.9\n0.8,0.2\n0.3,0.7\n");
        let t = TableReader::new(&data).target("label").probs_file(Some(&probs)).read().unwrap();
        assert_eq!(t.classes, ["dog", "cat"]);
        assert_eq!(t.labels.as_ref().unwrap().to_vec(), vec![1, 0, 1]);
        // With the classes fixed by a model, columns are reordered to them.
        let t2 = TableReader::new(&data).target("label").probs_file(Some(&probs)).classes(vec!["cat".into(), "dog".into()]).read().unwrap();
        assert_eq!(t2.labels.unwrap().to_vec(), vec![0, 1, 0]);
        assert_eq!(t2.probs.unwrap().row(1).to_vec(), vec![0.2, 0.8]);
    }

    #[test]
    fn labels_without_probs_sorted_numerically() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x,y\n1,10\n2,2\n3,10\n");
        let t = TableReader::new(&p).target("y").read().unwrap();
        assert_eq!(t.classes, ["2", "10"]);
        assert_eq!(t.labels.unwrap().to_vec(), vec![1, 0, 1]);
    }

    #[test]
    fn optional_target_reads_no_labels_when_absent() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x,z\n1,0\n2,1\n");
        let t = TableReader::new(&p).target("label").target_optional(true).classes(vec!["a".into(), "b".into()]).read().unwrap();
        assert!(t.labels.is_none());
        assert_eq!(t.feature_names, ["x", "z"]);
    }

    #[test]
    fn select_and_split_keep_rows_together() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x,y,p_a,p_b\n0,a,1,0\n1,b,0,1\n2,a,1,0\n3,b,0,1\n4,a,1,0\n");
        let t = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap();
        let s = t.select(&[3, 0]);
        assert_eq!(s.x.column(0).to_vec(), vec![3.0, 0.0]);
        assert_eq!(s.labels.unwrap().to_vec(), vec![1, 0]);
        assert_eq!(s.probs.unwrap().column(1).to_vec(), vec![1.0, 0.0]);
        let (a, b) = t.split(0.4, 1).unwrap();
        assert_eq!((a.n_rows(), b.n_rows()), (3, 2));
        for part in [&a, &b] {
            for (i, &x) in part.x.column(0).iter().enumerate() {
                assert_eq!(part.labels.as_ref().unwrap()[i], x as usize % 2, "labels follow their rows");
            }
        }
        // Same permutation as Dataset::split.
        let (da, _) = t.dataset().unwrap().split(0.4, 1).unwrap();
        assert_eq!(da.x, a.x);
        assert!(t.split(1.0, 0).is_err());
    }

    #[test]
    fn missing_target_column() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x,y\n1,0\n2,1\n");
        let (path, _, col, msg) = data_err(TableReader::new(&p).target("label").read().unwrap_err());
        assert_eq!((path, col.as_deref()), (p, Some("label")));
        assert!(msg.contains("target column not found"), "{msg}");
    }

    #[test]
    fn non_numeric_feature_value_names_row_and_column() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x1,x2,y\n1,2,0\n3,abc,1\n");
        let e = TableReader::new(&p).target("y").read().unwrap_err();
        assert!(e.to_string().contains("t.csv, row 2, column `x2`: non-numeric feature value `abc`"), "{e}");
    }

    #[test]
    fn categorical_refused_by_default_one_hot_on_request() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "color,x,y\nred,1,0\nblue,2,1\nred,3,1\n");
        let e = TableReader::new(&p).target("y").read().unwrap_err();
        let (_, row, col, msg) = data_err(e);
        assert_eq!((row, col.as_deref()), (Some(1), Some("color")));
        assert!(msg.contains("categorical") && msg.contains("--one-hot"), "{msg}");
        let t = TableReader::new(&p).target("y").categorical(Categorical::OneHot).read().unwrap();
        assert_eq!(t.feature_names, ["color=blue", "color=red", "x"]);
        assert_eq!(t.x, ndarray::array![[0.0f32, 1.0, 1.0], [1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]);
        // Reusing the encoding: an unseen category is an error naming row and column.
        let q = write(&d, "u.csv", "x,color\n1,green\n");
        let (_, row, col, msg) = data_err(TableReader::new(&q).encoding(t.encoding.clone()).read().unwrap_err());
        assert_eq!((row, col.as_deref()), (Some(1), Some("color")));
        assert!(msg.contains("unknown category `green`"), "{msg}");
        // The encoding picks columns by name, any order.
        let q = write(&d, "v.csv", "x,color\n7,blue\n");
        assert_eq!(TableReader::new(&q).encoding(t.encoding).read().unwrap().x, ndarray::array![[1.0f32, 0.0, 7.0]]);
    }

    #[test]
    fn nan_and_inf_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for (bad, shown) in [("NaN", "NaN"), ("inf", "inf"), ("-inf", "-inf")] {
            let p = write(&d, "t.csv", &format!("x1,x2,y\n1,2,0\n3,{bad},1\n"));
            let e = TableReader::new(&p).target("y").read().unwrap_err();
            assert!(e.to_string().contains(&format!("row 2, column `x2`: non-finite feature value {shown}")), "{e}");
        }
        let p = write(&d, "t.csv", "x,y,p_a,p_b\n1,a,NaN,0.5\n2,b,0.5,0.5\n");
        let e = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap_err();
        assert!(e.to_string().contains("row 1, column `p_a`: non-finite probability"), "{e}");
    }

    #[test]
    fn missing_cell_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x1,x2,y\n1,,0\n3,4,1\n");
        let e = TableReader::new(&p).target("y").read().unwrap_err();
        assert!(e.to_string().contains("row 1, column `x2`: missing feature value"), "{e}");
    }

    #[test]
    fn probability_rows_must_sum_to_one_unless_renormalised() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x,y,p_a,p_b\n1,a,0.6,0.4\n2,b,0.5,0.6\n");
        let e = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap_err();
        let (path, row, col, msg) = data_err(e);
        assert_eq!((path, row, col.as_deref()), (p.clone(), Some(2), Some("p_a, p_b")));
        assert!(msg.contains("sum to 1.1") && msg.contains("--renormalise"), "{msg}");
        let t = TableReader::new(&p).target("y").prob_prefix("p_").renormalise(true).read().unwrap();
        let r = t.probs.unwrap();
        assert!((r[[1, 0]] - 0.5 / 1.1).abs() < 1e-6 && (r[[1, 1]] - 0.6 / 1.1).abs() < 1e-6);
        assert!((r[[0, 0]] - 0.6).abs() < 1e-7);
        // Within the tolerance is accepted as is.
        let p = write(&d, "t.csv", "x,y,p_a,p_b\n1,a,0.5,0.5005\n2,b,0.5,0.5\n");
        assert!(TableReader::new(&p).target("y").prob_prefix("p_").read().is_ok());
    }

    #[test]
    fn negative_probability() {
        let d = tempfile::tempdir().unwrap();
        let data = write(&d, "d.csv", "x,y\n1,a\n2,b\n");
        let probs = write(&d, "p.csv", "a,b\n0.5,0.5\n1.2,-0.2\n");
        let e = TableReader::new(&data).target("y").probs_file(Some(&probs)).read().unwrap_err();
        let (path, row, col, msg) = data_err(e);
        assert_eq!((path, row, col.as_deref()), (probs, Some(2), Some("b")));
        assert!(msg.contains("negative probability -0.2"), "{msg}");
    }

    #[test]
    fn probability_file_row_count_differs() {
        let d = tempfile::tempdir().unwrap();
        let data = write(&d, "d.csv", "x,y\n1,a\n2,b\n3,a\n");
        let probs = write(&d, "p.csv", "a,b\n0.5,0.5\n0.2,0.8\n");
        let e = TableReader::new(&data).target("y").probs_file(Some(&probs)).read().unwrap_err();
        let (path, row, _, msg) = data_err(e);
        assert_eq!((path, row), (probs, Some(3)));
        assert!(msg.contains("2 data rows") && msg.contains("has 3"), "{msg}");
    }

    #[test]
    fn label_not_among_probability_columns() {
        let d = tempfile::tempdir().unwrap();
        let data = write(&d, "d.csv", "x,y\n1,a\n2,c\n");
        let probs = write(&d, "p.csv", "a,b\n0.5,0.5\n0.2,0.8\n");
        let e = TableReader::new(&data).target("y").probs_file(Some(&probs)).read().unwrap_err();
        let (path, row, col, msg) = data_err(e);
        assert_eq!((path, row, col.as_deref()), (data, Some(2), Some("y")));
        assert!(msg.contains("label `c` is not among the probability columns") && msg.contains("p.csv"), "{msg}");
    }

    #[test]
    fn empty_file_and_header_only() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "e.csv", "");
        let (path, _, _, msg) = data_err(TableReader::new(&p).read().unwrap_err());
        assert_eq!(path, p);
        assert!(msg.contains("empty"), "{msg}");
        let p = write(&d, "h.csv", "x,y\n");
        let (_, _, _, msg) = data_err(TableReader::new(&p).target("y").read().unwrap_err());
        assert!(msg.contains("no data rows"), "{msg}");
    }

    #[test]
    fn single_class_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "x,y\n1,a\n2,a\n");
        let (_, _, col, msg) = data_err(TableReader::new(&p).target("y").read().unwrap_err());
        assert_eq!(col.as_deref(), Some("y"));
        assert!(msg.contains("only one class (a)"), "{msg}");
        // One probability column is also a single class.
        let p = write(&d, "u.csv", "x,y,p_a\n1,a,1\n2,a,1\n");
        let (_, _, _, msg) = data_err(TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap_err());
        assert!(msg.contains("at least 2 probability columns"), "{msg}");
    }

    #[test]
    fn parquet_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.parquet");
        let mut df = df!(
            "x1" => [1.0f64, 2.0, 3.0],
            "x2" => [1i64, 0, 5],
            "label" => ["a", "b", "a"],
            "p_a" => [0.9f64, 0.2, 0.6],
            "p_b" => [0.1f64, 0.8, 0.4],
        )
        .unwrap();
        let f = std::fs::File::create(&p).unwrap();
        ParquetWriter::new(f).finish(&mut df).unwrap();
        let t = TableReader::new(&p).target("label").prob_prefix("p_").read().unwrap();
        assert_eq!(t.x, ndarray::array![[1.0f32, 1.0], [2.0, 0.0], [3.0, 5.0]]);
        assert_eq!(t.labels.unwrap().to_vec(), vec![0, 1, 0]);
        assert_eq!(t.classes, ["a", "b"]);
        // NaN in a Parquet numeric column is found too.
        let mut df = df!("x" => [1.0f64, f64::NAN], "y" => [0i64, 1]).unwrap();
        ParquetWriter::new(std::fs::File::create(&p).unwrap()).finish(&mut df).unwrap();
        let e = TableReader::new(&p).target("y").read().unwrap_err();
        assert!(e.to_string().contains("row 2, column `x`: non-finite"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        /// Whatever probability matrix we write reads back bit for bit, classes in the same order.
        #[test]
        fn written_probabilities_read_back_exactly(
            rows in proptest::collection::vec(proptest::collection::vec(0.0f32..1.0, 3), 1..20),
        ) {
            let mut p = Array2::from_shape_vec((rows.len(), 3), rows.concat()).unwrap();
            for mut r in p.axis_iter_mut(Axis(0)) {
                r[0] += 1e-3;
                let s: f32 = r.sum();
                r.mapv_inplace(|v| v / s);
            }
            let d = tempfile::tempdir().unwrap();
            let out = d.path().join("p.csv");
            let classes = vec!["z".to_string(), "1".to_string(), "a b".to_string()];
            write_probabilities_csv(&out, &classes, p.view(), None).unwrap();
            let (c, q) = read_probability_file(&out, None, false, 1e-3).unwrap();
            proptest::prop_assert_eq!(c, classes);
            proptest::prop_assert_eq!(q, p);
        }
    }

    #[test]
    fn canonical_labels_and_csv_writing() {
        assert_eq!(canonical_label(" 2.0 "), "2");
        assert_eq!(canonical_label("2.5"), "2.5");
        assert_eq!(canonical_label("setosa"), "setosa");
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("o.csv");
        write_probabilities_csv(&out, &["a".into(), "b,c".into()], ndarray::array![[0.25f32, 0.75]].view(), Some("predicted")).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "predicted,a,\"b,c\"\n\"b,c\",0.25,0.75\n");
        // Without the prediction column, what we write reads back (header = class names).
        write_probabilities_csv(&out, &["a".into(), "b".into()], ndarray::array![[0.25f32, 0.75], [1.0, 0.0]].view(), None).unwrap();
        let (classes, p) = read_probability_file(&out, None, false, 1e-3).unwrap();
        assert_eq!(classes, ["a", "b"]);
        assert_eq!(p, ndarray::array![[0.25f32, 0.75], [1.0, 0.0]]);
    }
}
