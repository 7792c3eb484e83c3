//! Column encodings: how each feature column of a table becomes numbers (numeric, or one-hot for
//! categories), kept so test and prediction files are read the same way.
use crate::error::{KdError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use super::*;

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
    /// Whether the encoding is one a reader could have produced: at least one column, column names
    /// non-empty and distinct, every one-hot column with at least one category, its categories
    /// non-empty and distinct. The message says what is wrong (used when a saved model is loaded).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
    /// let num = |n: &str| EncodedColumn { name: n.into(), encoding: ColumnEncoding::Numeric };
    /// assert!(Encoding { columns: vec![num("a"), num("b")] }.check().is_ok());
    /// assert!(Encoding { columns: vec![num("a"), num("a")] }.check().unwrap_err().contains("column `a` is listed twice"));
    /// assert!(Encoding { columns: vec![num(" ")] }.check().is_err());
    /// ```
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.columns.is_empty() {
            return Err("the encoding lists no columns".into());
        }
        let mut seen = BTreeSet::new();
        for c in &self.columns {
            if c.name.trim().is_empty() {
                return Err("a column has an empty name".into());
            }
            if !seen.insert(c.name.as_str()) {
                return Err(format!("column `{}` is listed twice in the encoding", c.name));
            }
            if let ColumnEncoding::OneHot { categories } = &c.encoding {
                if categories.is_empty() {
                    return Err(format!("one-hot column `{}` has no categories", c.name));
                }
                let mut cats = BTreeSet::new();
                for k in categories {
                    if k.trim().is_empty() {
                        return Err(format!("one-hot column `{}` has an empty category", c.name));
                    }
                    if !cats.insert(k.as_str()) {
                        return Err(format!("one-hot column `{}` lists category `{k}` twice", c.name));
                    }
                }
            }
        }
        Ok(())
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


pub(super) fn infer_encoding(path: &Path, name: &str, raw: &RawColumn, policy: Categorical) -> Result<ColumnEncoding> {
    if raw.is_numeric() {
        return Ok(ColumnEncoding::Numeric);
    }
    let loaded = raw.load()?;
    let RawColumn::Str(v) = loaded.as_ref() else { return Ok(ColumnEncoding::Numeric) };
    if v.into_iter().any(|s| s.is_some_and(|s| s.trim().parse::<f64>().is_ok())) {
        return Ok(ColumnEncoding::Numeric); // mixed columns fail later at the first non-numeric value
    }
    let Some((first, value)) = v.into_iter().enumerate().find_map(|(i, s)| s.map(|s| (i, s))) else { return Err(missing(path, name, 0, "feature")) };
    match policy {
        Categorical::Refuse => Err(KdError::Data {
            path: path.to_path_buf(),
            row: Some(first + 1),
            column: Some(name.to_string()),
            msg: format!(
                "non-numeric feature value `{value}`: the column looks categorical; one-hot encode it \
                 (`Categorical::OneHot`) or leave the column out"
            ),
        }),
        Categorical::OneHot => {
            let mut cats = BTreeSet::new();
            for (i, s) in v.into_iter().enumerate() {
                cats.insert(s.ok_or_else(|| missing(path, name, i, "feature"))?.trim().to_string());
            }
            Ok(ColumnEncoding::OneHot { categories: cats.into_iter().collect() })
        }
    }
}
