//! Teachers for tables of rows: probabilities computed elsewhere (scikit-learn, XGBoost, a remote API,
//! …) and loaded from a file ([`ProbTable`], [`NearestProbTable`]), and the crate's own MLP trained on a
//! table ([`TableMlp`]).
//!
//! # Probability tables
//!
//! A table knows the probabilities of the rows it was given and nothing else. [`ProbTable`] therefore
//! answers a batch `x` only when every row of `x` is one of its own rows:
//!
//! * if `x` is exactly its feature matrix (same rows, same order) it returns its probabilities;
//! * otherwise each row of `x` is looked up by exact feature values (bit-for-bit, `-0 = +0`), so a
//!   subset, a permutation or a split of its rows works too;
//! * a row it has never seen is an error (it never guesses), and so is a row that appears several
//!   times in the table with different probabilities.
//!
//! To label *new* points — e.g. the MUNGE transfer set of [`crate::augment`] — wrap it with
//! [`ProbTable::nearest`]: [`NearestProbTable`] gives every query row the probabilities of its nearest
//! table row (Euclidean distance after standardising each feature by the table's mean and standard
//! deviation; the first on ties). This is a 1-nearest-neighbour smoother of the teacher: it adds
//! transfer points but no knowledge the table did not have. The search is an exact k-d tree
//! ([`crate::data::knn`]) built once when wrapping (`O(n_table · d · log n_table)`): about
//! `O(n_query · log n_table)` for low-dimensional tables (tending to brute force's
//! `O(n_query · n_table · d)` as `d` grows), parallel over query rows. For real gains from augmentation use a teacher you can query, such as the
//! MLP of [`crate::teacher::mlp`].
//!
//! # An MLP on a table
//! [`TableMlp`] is the tch MLP teacher of [`crate::teacher::mlp`] behind a
//! [`Standardiser`](crate::data::tabular::Standardiser) fitted on the training rows (networks need standardised inputs; the
//! distilled tree still reads raw values), together with the table's column [`Encoding`](crate::data::tabular::Encoding) and class
//! names, saved as `model.json` + `model.safetensors` (the network) and `table.json` (the rest).
//!
//! ```
//! use kdistill::teacher::{table::ProbTable, Teacher};
//! use ndarray::array;
//! let x = array![[0.0f32, 0.0], [1.0, 1.0]];
//! let p = array![[0.9f32, 0.1], [0.3, 0.7]];
//! let t = ProbTable::new(x, p, vec!["a".into(), "b".into()], "probs.csv").unwrap();
//! assert_eq!(t.predict(array![[1.0f32, 1.0]].view()).unwrap().to_vec(), vec![1]);
//! assert!(t.predict_proba(array![[0.5f32, 0.5]].view()).is_err()); // not one of its rows
//! let nn = t.nearest();
//! assert!((nn.predict_proba(array![[0.1f32, 0.2]].view()).unwrap()[[0, 0]] - 0.9).abs() < 1e-6);
//! ```
use super::{Teacher, TeacherOutput};
use crate::data::knn::KdTree;
use crate::data::tabular::Table;
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use std::collections::HashMap;
use std::path::PathBuf;

#[cfg(feature = "torch")]
mod mlp;
#[cfg(feature = "torch")]
pub use mlp::{TableMlp, TABLE_MLP_FORMAT_VERSION};

/// Probabilities for a fixed set of rows, looked up by row. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use kdistill::teacher::{table::ProbTable, Teacher};
/// use ndarray::array;
/// let x = array![[0.0f32, 0.0], [1.0, 1.0], [2.0, 0.0]];
/// let p = array![[0.9f32, 0.1], [0.3, 0.7], [0.5, 0.5]];
/// let t = ProbTable::new(x, p, vec!["no".into(), "yes".into()], "probs.csv").unwrap();
/// // A permutation / subset of its own rows is answered; an unknown row is an error naming the file.
/// let q = t.predict_proba(array![[2.0f32, 0.0], [0.0, 0.0]].view()).unwrap();
/// assert!((q[[0, 0]] - 0.5).abs() < 1e-6 && (q[[1, 0]] - 0.9).abs() < 1e-6);
/// let e = t.predict(array![[5.0f32, 5.0]].view()).unwrap_err();
/// assert!(e.to_string().starts_with("probs.csv, row 1"), "{e}");
/// ```
#[derive(Debug, Clone)]
pub struct ProbTable {
    source: PathBuf,
    classes: Vec<String>,
    x: Array2<f32>,
    p: Array2<f32>,
    /// Row key → row index; `None` when the key occurs with different probabilities.
    index: HashMap<Vec<u32>, Option<usize>>,
}

fn row_key(r: ArrayView1<f32>) -> Vec<u32> {
    r.iter().map(|&v| if v == 0.0 { 0u32 } else { v.to_bits() }).collect()
}

impl ProbTable {
    /// A table of `n` rows: features `x` (`n × d`), probabilities `p` (`n × K`, validated with
    /// [`crate::base::check_probabilities`]), class names and the file it came from (for messages).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::ProbTable;
    /// use ndarray::array;
    /// let c = || vec!["a".to_string(), "b".to_string()];
    /// assert!(ProbTable::new(array![[0.0f32]], array![[0.4f32, 0.6]], c(), "p.csv").is_ok());
    /// let e = ProbTable::new(array![[0.0f32]], array![[0.4f32, 0.7]], c(), "p.csv").unwrap_err();
    /// assert!(e.to_string().contains("p.csv at row 1"), "{e}"); // sums to 1.1
    /// assert!(ProbTable::new(array![[0.0f32], [1.0]], array![[0.4f32, 0.6]], c(), "p.csv").is_err()); // 2 rows vs 1
    /// ```
    pub fn new(x: Array2<f32>, p: Array2<f32>, classes: Vec<String>, source: impl Into<PathBuf>) -> Result<Self> {
        let source = source.into();
        crate::base::check_rows(x.view(), "probability table features")?;
        crate::base::check_finite(x.view(), "probability table features")?;
        if x.nrows() != p.nrows() {
            return Err(KdError::Shape(format!("{}: {} feature rows but {} probability rows", source.display(), x.nrows(), p.nrows())));
        }
        if classes.len() != p.ncols() {
            return Err(KdError::Shape(format!("{}: {} class names for {} probability columns", source.display(), classes.len(), p.ncols())));
        }
        crate::base::check_probabilities(p.view(), &source.display().to_string(), crate::base::PROB_SUM_TOLERANCE)?;
        let mut index: HashMap<Vec<u32>, Option<usize>> = HashMap::with_capacity(x.nrows());
        for (i, r) in x.axis_iter(Axis(0)).enumerate() {
            index
                .entry(row_key(r))
                .and_modify(|e| {
                    if let Some(j) = *e {
                        if p.row(j) != p.row(i) {
                            *e = None;
                        }
                    }
                })
                .or_insert(Some(i));
        }
        Ok(Self { source, classes, x, p, index })
    }

    /// The teacher of a [`Table`] read with probabilities (errors when it has none).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::TableReader;
    /// use kdistill::teacher::{table::ProbTable, Teacher};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("train.csv");
    /// std::fs::write(&path, "x,p_a,p_b\n1,0.8,0.2\n2,0.1,0.9\n").unwrap();
    /// let table = TableReader::new(&path).prob_prefix("p_").read().unwrap();
    /// let t = ProbTable::from_table(&table).unwrap();
    /// assert_eq!(t.predict(table.x.view()).unwrap().to_vec(), vec![0, 1]);
    /// let no_probs = TableReader::new(&path).read().unwrap(); // every column a feature
    /// assert!(ProbTable::from_table(&no_probs).is_err());
    /// ```
    pub fn from_table(t: &Table) -> Result<Self> {
        let p = t.probs.clone().ok_or_else(|| KdError::Data {
            path: t.path.clone(),
            row: None,
            column: None,
            msg: "no teacher probabilities were read for this table".into(),
        })?;
        Self::new(t.x.clone(), p, t.classes.clone(), t.probs_path.clone().unwrap_or_else(|| t.path.clone()))
    }

    /// Class names, in probability column order.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::ProbTable;
    /// let t = ProbTable::new(ndarray::array![[0.0f32]], ndarray::array![[0.4f32, 0.6]], vec!["cat".into(), "dog".into()], "p").unwrap();
    /// assert_eq!(t.classes(), ["cat", "dog"]);
    /// ```
    pub fn classes(&self) -> &[String] {
        &self.classes
    }
    /// The stored probabilities (`n × K`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::ProbTable;
    /// let t = ProbTable::new(ndarray::array![[0.0f32]], ndarray::array![[0.4f32, 0.6]], vec!["a".into(), "b".into()], "p").unwrap();
    /// assert_eq!(t.probabilities(), ndarray::array![[0.4f32, 0.6]]);
    /// ```
    pub fn probabilities(&self) -> ArrayView2<'_, f32> {
        self.p.view()
    }
    /// The stored feature rows (`n × d`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::ProbTable;
    /// let t = ProbTable::new(ndarray::array![[3.0f32, 4.0]], ndarray::array![[0.4f32, 0.6]], vec!["a".into(), "b".into()], "p").unwrap();
    /// assert_eq!(t.features(), ndarray::array![[3.0f32, 4.0]]);
    /// ```
    pub fn features(&self) -> ArrayView2<'_, f32> {
        self.x.view()
    }
    /// A teacher that answers any row with the probabilities of its nearest table row.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{table::ProbTable, Teacher};
    /// use ndarray::array;
    /// let t = ProbTable::new(array![[0.0f32], [10.0]], array![[0.9f32, 0.1], [0.2, 0.8]], vec!["a".into(), "b".into()], "p").unwrap();
    /// let nn = t.nearest();
    /// assert_eq!(nn.predict(array![[3.0f32], [7.0], [100.0]].view()).unwrap().to_vec(), vec![0, 1, 1]);
    /// ```
    pub fn nearest(self) -> NearestProbTable {
        NearestProbTable::new(self)
    }

    fn lookup(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.x.ncols() {
            return Err(KdError::Shape(format!("{}: table has {} features, query has {}", self.source.display(), self.x.ncols(), x.ncols())));
        }
        if x == self.x.view() {
            return Ok(self.p.clone());
        }
        let mut out = Array2::zeros((x.nrows(), self.p.ncols()));
        for (i, r) in x.axis_iter(Axis(0)).enumerate() {
            match self.index.get(&row_key(r)) {
                Some(Some(j)) => out.row_mut(i).assign(&self.p.row(*j)),
                Some(None) => {
                    return Err(KdError::Data {
                        path: self.source.clone(),
                        row: Some(i + 1),
                        column: None,
                        msg: "query row matches several table rows with different probabilities".into(),
                    })
                }
                None => {
                    return Err(KdError::Data {
                        path: self.source.clone(),
                        row: Some(i + 1),
                        column: None,
                        msg: format!(
                            "query row {:?} is not one of the {} rows this probability table was loaded for; a \
                             table can only answer for its own rows (use ProbTable::nearest or a queryable teacher)",
                            r.to_vec(),
                            self.x.nrows()
                        ),
                    })
                }
            }
        }
        Ok(out)
    }
}

impl Teacher for ProbTable {
    fn n_classes(&self) -> usize {
        self.p.ncols()
    }
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
        Ok(TeacherOutput::Probabilities(self.lookup(x)?))
    }
}

/// A [`ProbTable`] that answers any row with the probabilities of the nearest table row
/// (standardised Euclidean distance). See the [module docs](self).
///
/// # Examples
///
/// Label MUNGE transfer points with a probability table (each gets its nearest table row's probabilities):
///
/// ```
/// use kdistill::{augment::munge, teacher::{table::ProbTable, Teacher}};
/// use ndarray::array;
/// let x = array![[0.0f32, 0.0], [0.2, 0.1], [5.0, 5.0], [5.1, 4.8]];
/// let p = array![[0.9f32, 0.1], [0.8, 0.2], [0.1, 0.9], [0.3, 0.7]];
/// let nn = ProbTable::new(x.clone(), p, vec!["a".into(), "b".into()], "p.csv").unwrap().nearest();
/// let transfer = munge(x.view(), 5, 0.5, 1.0, 1).unwrap();
/// let q = nn.predict_proba(transfer.view()).unwrap();
/// assert_eq!(q.dim(), (20, 2));
/// // Copies of rows 0/1 stay near the origin, so they take class a's probabilities.
/// assert_eq!(nn.predict(transfer.view()).unwrap().iter().step_by(4).collect::<Vec<_>>(), vec![&0; 5]);
/// ```
#[derive(Debug, Clone)]
pub struct NearestProbTable {
    table: ProbTable,
    mean: Array1<f32>,
    scale: Array1<f32>,
    /// The standardised table rows.
    tree: KdTree,
}

impl NearestProbTable {
    /// Wrap a table.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::{NearestProbTable, ProbTable};
    /// let t = ProbTable::new(ndarray::array![[0.0f32], [1.0]], ndarray::array![[0.9f32, 0.1], [0.2, 0.8]], vec!["a".into(), "b".into()], "p").unwrap();
    /// let nn = NearestProbTable::new(t); // the same as t.nearest()
    /// assert_eq!(nn.nearest_rows(ndarray::array![[0.4f32], [0.6]].view()).unwrap(), vec![0, 1]);
    /// ```
    pub fn new(table: ProbTable) -> Self {
        let mean = table.x.mean_axis(Axis(0)).expect("table has rows");
        let scale = table.x.std_axis(Axis(0), 0.0).mapv(|s| if s > 0.0 { 1.0 / s } else { 1.0 });
        let z = (&table.x - &mean) * &scale;
        Self { tree: KdTree::new(z.view()), table, mean, scale }
    }
    /// The wrapped table.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::ProbTable;
    /// let t = ProbTable::new(ndarray::array![[0.0f32]], ndarray::array![[0.9f32, 0.1]], vec!["a".into(), "b".into()], "p").unwrap();
    /// assert_eq!(t.clone().nearest().table().classes(), t.classes());
    /// ```
    pub fn table(&self) -> &ProbTable {
        &self.table
    }
    /// Index of the nearest table row for each row of `x` (standardised Euclidean distance, the lowest
    /// index on ties), from an exact k-d tree ([`crate::data::knn`]), parallel over rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::table::ProbTable;
    /// use ndarray::array;
    /// // Feature 1 spans 0..100, feature 0 spans 0..1: after standardising both count equally.
    /// let x = array![[0.0f32, 0.0], [1.0, 0.0], [0.0, 100.0], [1.0, 0.0]];
    /// let p = array![[0.9f32, 0.1], [0.5, 0.5], [0.1, 0.9], [0.5, 0.5]];
    /// let nn = ProbTable::new(x, p, vec!["a".into(), "b".into()], "p").unwrap().nearest();
    /// // [0.9, 30]: raw distance would pick row 1 (or 3), standardised it is also row 1; row 3 is its duplicate,
    /// // and the lower index wins the tie.
    /// assert_eq!(nn.nearest_rows(array![[0.9f32, 30.0], [0.1, 90.0]].view()).unwrap(), vec![1, 2]);
    /// assert!(nn.nearest_rows(array![[0.0f32]].view()).is_err()); // 1 feature, table has 2
    /// ```
    pub fn nearest_rows(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        if x.ncols() != self.tree.dim() {
            return Err(KdError::Shape(format!("table has {} features, query has {}", self.tree.dim(), x.ncols())));
        }
        crate::base::check_finite(x, "query rows")?;
        let q = (&x - &self.mean) * &self.scale;
        // `None` only when no table row is at a finite distance (overflowing values): row 0, as before.
        Ok(self.tree.nearest_rows(q.view()).into_iter().map(|k| k.unwrap_or(0)).collect())
    }
}

impl Teacher for NearestProbTable {
    fn n_classes(&self) -> usize {
        self.table.n_classes()
    }
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
        let idx = self.nearest_rows(x)?;
        Ok(TeacherOutput::Probabilities(self.table.p.select(Axis(0), &idx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use proptest::strategy::Strategy;

    fn table() -> ProbTable {
        let x = array![[0.0f32, 0.0], [1.0, 0.0], [0.0, 10.0]];
        let p = array![[0.8f32, 0.2], [0.4, 0.6], [0.1, 0.9]];
        ProbTable::new(x, p, vec!["a".into(), "b".into()], "p.csv").unwrap()
    }

    #[test]
    fn same_rows_subset_and_permutation() {
        let t = table();
        assert_eq!(t.predict_proba(array![[0.0f32, 0.0], [1.0, 0.0], [0.0, 10.0]].view()).unwrap()[[2, 1]], 0.9);
        // predict_raw returns the stored rows exactly; predict_proba renormalises (last-bit changes).
        let TeacherOutput::Probabilities(q) = t.predict_raw(array![[0.0f32, 10.0], [-0.0, 0.0]].view()).unwrap() else { panic!() };
        assert_eq!(q, array![[0.1f32, 0.9], [0.8, 0.2]]);
        let q = t.predict_proba(array![[0.0f32, 10.0]].view()).unwrap();
        assert!((q[[0, 0]] - 0.1).abs() < 1e-6);
        assert_eq!(t.n_classes(), 2);
        // Temperature is applied to what the table holds: p^(1/T) renormalised.
        let s = t.soft_targets(array![[0.0f32, 0.0]].view(), 2.0).unwrap();
        let (a, b) = (0.8f32.sqrt(), 0.2f32.sqrt());
        assert!((s[[0, 0]] - a / (a + b)).abs() < 1e-6);
    }

    #[test]
    fn unknown_or_ambiguous_rows_are_errors() {
        let t = table();
        let e = t.predict_proba(array![[0.0f32, 0.0], [2.0, 2.0]].view()).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("p.csv, row 2") && s.contains("not one of the 3 rows"), "{s}");
        assert!(matches!(t.predict_proba(array![[0.0f32]].view()), Err(KdError::Shape(_))));
        let amb = ProbTable::new(array![[1.0f32], [1.0]], array![[0.5f32, 0.5], [0.9, 0.1]], vec!["a".into(), "b".into()], "q.csv").unwrap();
        assert!(amb.predict_proba(array![[1.0f32]].view()).unwrap_err().to_string().contains("several table rows"));
        // Duplicates with equal probabilities are fine.
        let dup = ProbTable::new(array![[1.0f32], [1.0], [2.0]], array![[0.5f32, 0.5], [0.5, 0.5], [0.0, 1.0]], vec!["a".into(), "b".into()], "q.csv").unwrap();
        assert_eq!(dup.predict_proba(array![[1.0f32]].view()).unwrap(), array![[0.5f32, 0.5]]);
    }

    #[test]
    fn construction_validates() {
        let c = vec!["a".to_string(), "b".to_string()];
        assert!(ProbTable::new(array![[0.0f32]], array![[0.5f32, 0.6]], c.clone(), "p").is_err());
        assert!(ProbTable::new(array![[0.0f32], [1.0]], array![[0.5f32, 0.5]], c.clone(), "p").is_err());
        assert!(ProbTable::new(array![[f32::NAN]], array![[0.5f32, 0.5]], c, "p").is_err());
    }

    #[test]
    fn nearest_uses_standardised_distance() {
        // Feature 1 spans 0..10, feature 0 spans 0..1: standardising makes them comparable.
        let nn = table().nearest();
        // [0.9, 3]: raw distance is nearest to row 1 ([1,0]); standardised, still row 1 (x0 std≈0.47,
        // x1 std≈4.71): d(row1) = (0.1/0.47)^2 + (3/4.71)^2 ≈ 0.45, d(row2) = (0.9/0.47)^2 + (7/4.71)^2 ≈ 5.9.
        assert_eq!(nn.nearest_rows(array![[0.9f32, 3.0], [0.0, 9.0], [0.1, 0.1]].view()).unwrap(), vec![1, 2, 0]);
        let TeacherOutput::Probabilities(q) = nn.predict_raw(array![[0.0f32, 9.0]].view()).unwrap() else { panic!() };
        assert_eq!(q, array![[0.1f32, 0.9]]);
    }

    /// The brute-force scan `nearest_rows` used before the k-d tree (row 0 when no table row is at a
    /// finite distance), kept as the reference.
    fn brute_nearest_rows(nn: &NearestProbTable, x: ArrayView2<f32>) -> Vec<usize> {
        let z = (&nn.table.x - &nn.mean) * &nn.scale;
        let q = (&x - &nn.mean) * &nn.scale;
        q.axis_iter(Axis(0)).map(|r| crate::data::knn::brute_nearest(z.view(), &r.to_vec(), None).unwrap_or(0)).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(100))]
        /// Same rows as brute force, with duplicate table rows and queries on the same grid (ties).
        #[test]
        fn nearest_rows_match_brute_force(
            (n, d, v, q) in (1usize..150, 1usize..4).prop_flat_map(|(n, d)| (
                proptest::prelude::Just(n),
                proptest::prelude::Just(d),
                proptest::collection::vec(0i32..4, n * d),
                proptest::collection::vec(-1i32..5, 30 * d),
            ))
        ) {
            let x = Array2::from_shape_fn((n, d), |(i, j)| v[i * d + j] as f32);
            let p = Array2::from_shape_fn((n, 2), |(i, j)| if (i + j) % 2 == 0 { 0.25 } else { 0.75 });
            let nn = ProbTable::new(x, p, vec!["a".into(), "b".into()], "p.csv").unwrap().nearest();
            let qx = Array2::from_shape_fn((30, d), |(i, j)| q[i * d + j] as f32 * 0.5);
            proptest::prop_assert_eq!(nn.nearest_rows(qx.view()).unwrap(), brute_nearest_rows(&nn, qx.view()));
        }
    }
}
