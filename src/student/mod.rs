//! Students: the models a teacher's knowledge is distilled into.
//!
//! A student is fitted on features with soft targets (an `n × K` probability matrix), optionally the
//! hard labels and per-row weights, and then predicts probabilities. Fitting a student on one-hot labels
//! gives the "hard" baseline with the very same learner.
//!
//! * [`tree`] — our multi-output regression tree (CART on probability vectors).
//! * [`mlp`] — a small tch MLP trained with `α·CE + (1−α)·T²·KL`.
//! * [`adapters`] — smartcore regressors (one per class) and linfa-trees as baselines.
pub mod adapters;
#[cfg(feature = "torch")]
pub mod mlp;
#[cfg(feature = "torch")]
pub mod soft_tree;
pub mod tree;

use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Training data for a student: features and an `n × K` matrix of soft targets, with the temperature
/// they were softened at (1 unless said: plain probabilities), optional hard labels and row weights.
/// Built with [`FitData::new`] and the setters; every [`Student`] checks it with [`FitData::check`].
///
/// A distilling MLP or soft tree compares the targets' temperature with its loss's and refuses a
/// mismatch; trees fit the probabilities whatever their temperature.
///
/// # Examples
///
/// ```
/// use kdistill::student::{tree::TreeParams, FitData, Predictor, Student};
/// use ndarray::array;
/// let x = array![[0.0f32], [1.0], [2.0], [3.0]];
/// let q = array![[0.9f32, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]]; // a teacher's probabilities
/// let w = array![1.0f32, 1.0, 1.0, 3.0];
/// let data = FitData::new(x.view(), q.view()).weights(w.view());
/// let tree = TreeParams::new().max_depth(Some(1)).fit_student(data).unwrap();
/// assert_eq!(Predictor::predict(&tree, x.view()).unwrap().to_vec(), vec![0, 0, 1, 1]);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct FitData<'a> {
    /// `n × d` features.
    pub x: ArrayView2<'a, f32>,
    /// `n × K` soft targets (probabilities; one-hot labels for a hard student).
    pub targets: ArrayView2<'a, f32>,
    /// The temperature `T` the targets were softened at (`softmax(z/T)`); 1 for plain probabilities.
    pub temperature: f32,
    /// Optional hard labels (used by losses that mix in cross-entropy).
    pub labels: Option<ArrayView1<'a, usize>>,
    /// Optional non-negative row weights.
    pub weights: Option<ArrayView1<'a, f32>>,
}

impl<'a> FitData<'a> {
    /// Features and soft targets (taken to be at temperature 1: plain probabilities or one-hot labels).
    ///
    /// ndarray views are invariant in their lifetime, so views with different lifetimes are put
    /// together by reborrowing them: `FitData::new(x.view(), q.view()).labels(y.view())`.
    pub fn new(x: ArrayView2<'a, f32>, targets: ArrayView2<'a, f32>) -> Self {
        FitData { x, targets, temperature: 1.0, labels: None, weights: None }
    }
    /// The temperature the targets were softened at, e.g. `teacher.soft_targets(x, 2.0)` → 2.
    pub fn temperature(mut self, t: f32) -> Self {
        self.temperature = t;
        self
    }
    /// Hard labels in `0..K`, one per row.
    pub fn labels(mut self, y: ArrayView1<'a, usize>) -> Self {
        self.labels = Some(y);
        self
    }
    /// Non-negative row weights, one per row.
    pub fn weights(mut self, w: ArrayView1<'a, f32>) -> Self {
        self.weights = Some(w);
        self
    }

    /// The checks every [`Student`] runs before it fits, so all of them refuse the same data the same
    /// way: features non-empty and finite; targets with one row per feature row, at least two columns,
    /// and every row a probability distribution (non-negative, summing to 1 within
    /// [`PROB_SUM_TOLERANCE`](crate::base::PROB_SUM_TOLERANCE); raw logits are refused); labels, when
    /// given, one per row and inside `0..K` where `K` is the targets' number of columns; weights, when
    /// given, one per row, finite, non-negative, with a positive sum. Returns `K`. Rows in the errors are
    /// 1-based.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::FitData;
    /// use ndarray::array;
    /// let x = array![[0.0f32], [1.0]];
    /// let q = array![[0.9f32, 0.1], [0.2, 0.8]];
    /// assert_eq!(FitData::new(x.view(), q.view()).check().unwrap(), 2);
    /// let logits = array![[2.0f32, -1.0], [0.5, 3.0]];
    /// let e = FitData::new(x.view(), logits.view()).check().unwrap_err();
    /// assert!(e.to_string().contains("row 1"), "{e}");
    /// let y = array![0usize, 2];
    /// let e = FitData::new(x.view(), q.view()).labels(y.view()).check().unwrap_err();
    /// assert_eq!(e.to_string(), "unknown class 2 at row 2 (known classes: 0..2, from the targets' 2 columns)");
    /// ```
    pub fn check(&self) -> Result<usize> {
        use crate::base::{check_finite, check_labels, check_probabilities, check_rows, check_weights, PROB_SUM_TOLERANCE};
        crate::base::check_temperature(self.temperature)?;
        check_rows(self.x, "student features")?;
        check_finite(self.x, "student features")?;
        let (n, k) = (self.x.nrows(), self.targets.ncols());
        if self.targets.nrows() != n {
            return Err(KdError::Shape(format!("{n} feature rows but {} target rows", self.targets.nrows())));
        }
        if k < 2 {
            return Err(KdError::Shape(format!("targets need at least 2 class columns, got {k}")));
        }
        check_probabilities(self.targets, "student targets", PROB_SUM_TOLERANCE)?;
        if let Some(l) = self.labels {
            if l.len() != n {
                return Err(KdError::Shape(format!("{n} feature rows but {} labels", l.len())));
            }
            check_labels(l, k, &format!("the targets' {k} columns"))?;
        }
        if let Some(w) = self.weights {
            check_weights(w, n)?;
        }
        Ok(k)
    }

    /// The hard labels: the given ones, or the targets' argmax when `derive` and none are given
    /// (a hard-label learner fitted on one-hot targets needs no separate labels).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::FitData;
    /// use ndarray::array;
    /// let x = array![[0.0f32], [1.0]];
    /// let q = array![[0.9f32, 0.1], [0.2, 0.8]];
    /// let d = FitData::new(x.view(), q.view());
    /// assert_eq!(d.labels_or_argmax(true).unwrap().to_vec(), vec![0, 1]);
    /// assert!(d.labels_or_argmax(false).is_none());
    /// ```
    pub fn labels_or_argmax(&self, derive: bool) -> Option<Array1<usize>> {
        match self.labels {
            Some(l) => Some(l.to_owned()),
            None if derive => Some(crate::base::argmax_rows(self.targets)),
            None => None,
        }
    }
}

/// A learner that can be distilled into. `fit` validates parameters and data (typed errors, no panics).
///
/// # Examples
///
/// Code written against `Student` takes any learner; here the same function fits our tree and a
/// smartcore tree:
///
/// ```
/// use kdistill::student::{adapters::SmartcoreTreeStudent, tree::TreeParams, FitData, Predictor, Student};
/// use ndarray::array;
/// fn fit_and_score<S: Student>(s: &S, d: FitData<'_>) -> f64 {
///     let m = s.fit_student(d).unwrap();
///     let pred = m.predict(d.x).unwrap();
///     kdistill::metrics::fidelity(pred.view(), kdistill::base::argmax_rows(d.targets).view()).unwrap()
/// }
/// let x = array![[0.0f32], [1.0], [2.0], [3.0]];
/// let q = array![[0.9f32, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]];
/// let d = FitData::new(x.view(), q.view());
/// assert_eq!(fit_and_score(&TreeParams::new(), d), 1.0);
/// assert_eq!(fit_and_score(&SmartcoreTreeStudent::new(), d), 1.0);
/// ```
pub trait Student {
    /// The fitted model.
    type Model: Predictor;
    /// Fit on `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{tree::TreeParams, FitData, Student};
    /// use ndarray::array;
    /// let x = array![[0.0f32], [1.0]];
    /// let q = array![[0.7f32, 0.3], [0.2, 0.8]];
    /// let tree = TreeParams::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(tree.n_leaves(), 2);
    /// // Parameters are validated here, with a typed error.
    /// let bad = TreeParams::new().max_leaves(Some(1));
    /// assert!(bad.fit_student(FitData::new(x.view(), q.view())).is_err());
    /// ```
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model>;
}

/// A fitted student.
///
/// # Examples
///
/// ```
/// use kdistill::student::Predictor;
/// use ndarray::{array, Array2, ArrayView2};
/// /// Always the class prior [0.3, 0.7].
/// struct Prior;
/// impl Predictor for Prior {
///     fn predict_proba(&self, x: ArrayView2<f32>) -> kdistill::Result<Array2<f32>> {
///         Ok(Array2::from_shape_fn((x.nrows(), 2), |(_, k)| [0.3, 0.7][k]))
///     }
/// }
/// assert_eq!(Prior.predict(array![[5.0f32], [6.0]].view()).unwrap().to_vec(), vec![1, 1]);
/// ```
pub trait Predictor {
    /// Class probabilities `n × K`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{tree::TreeParams, Predictor};
    /// use ndarray::array;
    /// let y = array![[1.0f32, 0.0], [0.5, 0.5], [0.0, 1.0]];
    /// let tree = TreeParams::new().fit(array![[0.0f32], [1.0], [2.0]].view(), y.view(), None).unwrap();
    /// assert_eq!(Predictor::predict_proba(&tree, array![[1.1f32]].view()).unwrap(), array![[0.5f32, 0.5]]);
    /// ```
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>>;
    /// Predicted classes (argmax of [`Predictor::predict_proba`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{tree::TreeParams, Predictor};
    /// use ndarray::array;
    /// let y = array![[1.0f32, 0.0], [0.4, 0.6], [0.0, 1.0]];
    /// let tree = TreeParams::new().fit(array![[0.0f32], [1.0], [2.0]].view(), y.view(), None).unwrap();
    /// // `predict` gives classes, `predict_proba` (here and as `Tree::predict_proba`) the probability rows.
    /// assert_eq!(Predictor::predict(&tree, array![[0.0f32], [1.0]].view()).unwrap().to_vec(), vec![0, 1]);
    /// ```
    fn predict(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        Ok(crate::base::argmax_rows(self.predict_proba(x)?.view()))
    }
}
