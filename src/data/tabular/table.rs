//! [`Table`]: what a [`super::TableReader`] returns.
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, Axis};
use std::path::PathBuf;
use super::*;

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
