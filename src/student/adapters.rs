//! Adapters that let other crates' learners act as students, for comparison with our own tree.
//!
//! * [`SmartcoreTreeStudent`] / [`SmartcoreForestStudent`] — smartcore 0.4's single-output
//!   `DecisionTreeRegressor` / `RandomForestRegressor` as a **multi-class soft student**: one regressor
//!   per class `k`, fitted on the column `q_{·k}` of the soft targets. A prediction
//!   `r = (r_1, …, r_K)` is turned into probabilities by clipping and renormalising,
//!   `p_k = max(r_k, 0) / Σ_j max(r_j, 0)`, or the uniform `1/K` when every `r_k ≤ 0`.
//!   (Forest and tree leaf means of probabilities are already in `[0, 1]`; the clip is a guard.)
//!   smartcore has no sample weights, so passing [`FitData::weights`] is an error.
//! * [`LinfaTreeStudent`] — linfa-trees 0.8's Gini `DecisionTree` as a **hard-label baseline**. It is
//!   fitted on [`FitData::labels`] (or, when absent, the argmax of the targets) with the optional row
//!   weights. Its probabilities are the weighted class frequencies of the training rows in the leaf a
//!   row falls into (as scikit-learn's `predict_proba`), computed here by routing the training rows
//!   through the fitted tree, because linfa only stores each leaf's majority class.
//!
//! All features are converted to `f64` for these libraries.
//!
//! ```
//! use kdistill::data::moons::Moons;
//! use kdistill::base::one_hot;
//! use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Predictor, Student};
//! let d = Moons::new().n_samples(200).seed(3).generate().unwrap();
//! let y = one_hot(d.y.view(), 2).unwrap();
//! let m = SmartcoreTreeStudent::new().max_depth(Some(4))
//!     .fit_student(FitData::new(d.x.view(), y.view())).unwrap();
//! let p = m.predict_proba(d.x.view()).unwrap();
//! assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
//! ```
use super::{FitData, Predictor, Student};
use crate::error::{KdError, Result};
use linfa::prelude::*;
use linfa_trees::{DecisionTree, TreeNode};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use smartcore::ensemble::random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_regressor::{DecisionTreeRegressor, DecisionTreeRegressorParameters};
use std::collections::HashMap;

type SmTree = DecisionTreeRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;
type SmForest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// Clip each row at 0 and renormalise to sum 1; a row with no positive entry becomes uniform.
///
/// # Examples
///
/// ```
/// use kdistill::student::adapters::clip_renormalise;
/// use ndarray::array;
/// let p = clip_renormalise(array![[0.6f32, -0.2, 0.2], [-1.0, -1.0, 0.0]]);
/// assert!((p[[0, 0]] - 0.75).abs() < 1e-6 && p[[0, 1]] == 0.0 && (p[[0, 2]] - 0.25).abs() < 1e-6);
/// assert!(p.row(1).iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6)); // nothing positive: uniform
/// ```
pub fn clip_renormalise(mut r: Array2<f32>) -> Array2<f32> {
    let k = r.ncols();
    for mut row in r.axis_iter_mut(Axis(0)) {
        row.mapv_inplace(|v| if v > 0.0 && v.is_finite() { v } else { 0.0 });
        let s: f32 = row.sum();
        if s > 0.0 {
            row.mapv_inplace(|v| v / s);
        } else {
            row.fill(1.0 / k as f32);
        }
    }
    r
}

fn dense(x: ArrayView2<f32>) -> Result<DenseMatrix<f64>> {
    let values: Vec<f64> = x.iter().map(|&v| v as f64).collect(); // row-major
    DenseMatrix::new(x.nrows(), x.ncols(), values, false).map_err(|e| KdError::Shape(format!("smartcore matrix: {e}")))
}

fn no_weights(data: &FitData<'_>, who: &str) -> Result<()> {
    if data.weights.is_some() {
        return Err(KdError::param("weights", "Some(..)", format!("{who} does not support sample weights")));
    }
    Ok(())
}

fn check_pred_shape(x: ArrayView2<f32>, d: usize) -> Result<()> {
    if x.ncols() != d {
        return Err(KdError::Shape(format!("model was fitted on {d} features, got {}", x.ncols())));
    }
    crate::base::check_finite(x, "prediction features")
}

/// One fitted smartcore regressor per class. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Predictor, Student};
/// use ndarray::array;
/// let x = array![[0.0f32], [1.0], [2.0]];
/// let q = array![[0.7f32, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]];
/// let m = SmartcoreTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
/// assert_eq!(m.n_classes(), 3); // one regressor per class
/// let p = m.predict_proba(x.view()).unwrap();
/// assert!((p[[1, 1]] - 0.8).abs() < 1e-6);
/// assert!(m.predict_proba(array![[0.0f32, 1.0]].view()).is_err()); // fitted on 1 feature
/// ```
#[derive(Debug)]
pub struct PerClassRegressors<M> {
    models: Vec<M>,
    n_features: usize,
}

impl<M> PerClassRegressors<M> {
    /// Number of classes (= regressors).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Student};
    /// let x = ndarray::array![[0.0f32], [1.0]];
    /// let q = ndarray::array![[0.9f32, 0.1], [0.2, 0.8]];
    /// let m = SmartcoreTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.n_classes(), 2);
    /// ```
    pub fn n_classes(&self) -> usize {
        self.models.len()
    }
}

trait Regress {
    fn regress(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>>;
}
impl Regress for SmTree {
    fn regress(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>> {
        self.predict(x).map_err(|e| KdError::Model { path: "<smartcore tree>".into(), msg: e.to_string() })
    }
}
impl Regress for SmForest {
    fn regress(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>> {
        self.predict(x).map_err(|e| KdError::Model { path: "<smartcore forest>".into(), msg: e.to_string() })
    }
}

#[allow(private_bounds)]
impl<M: Regress> Predictor for PerClassRegressors<M> {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_pred_shape(x, self.n_features)?;
        let mut r = Array2::zeros((x.nrows(), self.models.len()));
        if x.nrows() == 0 {
            return Ok(r);
        }
        let m = dense(x)?;
        for (k, model) in self.models.iter().enumerate() {
            let col = model.regress(&m)?;
            r.column_mut(k).assign(&Array1::from_iter(col.into_iter().map(|v| v as f32)));
        }
        Ok(clip_renormalise(r))
    }
}

fn fit_per_class<M>(data: FitData<'_>, who: &str, fit: impl Fn(&DenseMatrix<f64>, &Vec<f64>) -> Result<M, smartcore::error::Failed>) -> Result<PerClassRegressors<M>> {
    let k = data.check()?;
    no_weights(&data, who)?;
    let m = dense(data.x)?;
    let mut models = Vec::with_capacity(k);
    for j in 0..k {
        let y: Vec<f64> = data.targets.column(j).iter().map(|&v| v as f64).collect();
        models.push(fit(&m, &y).map_err(|e| KdError::backend(who, e))?);
    }
    Ok(PerClassRegressors { models, n_features: data.x.ncols() })
}

fn depth_u16(d: Option<usize>) -> Result<Option<u16>> {
    match d {
        None => Ok(None),
        Some(0) => Err(KdError::param("max_depth", 0, "must be ≥ 1")),
        Some(d) => u16::try_from(d).map(Some).map_err(|_| KdError::param("max_depth", d, "must be ≤ 65535")),
    }
}

/// smartcore `DecisionTreeRegressor`, one per class. Defaults: unlimited depth, `min_samples_leaf = 1`.
///
/// # Examples
///
/// ```
/// use kdistill::data::moons::Moons;
/// use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Predictor, Student};
/// let d = Moons::new().n_samples(200).noise(0.2).seed(1).generate().unwrap();
/// let q = kdistill::base::one_hot(d.y.view(), 2).unwrap();
/// let data = FitData::new(d.x.view(), q.view());
/// let shallow = SmartcoreTreeStudent::new().max_depth(Some(2)).min_samples_leaf(5).fit_student(data).unwrap();
/// let deep = SmartcoreTreeStudent::new().fit_student(data).unwrap();
/// let acc = |m: &dyn Predictor| kdistill::metrics::accuracy(m.predict(d.x.view()).unwrap().view(), d.y.view()).unwrap();
/// assert_eq!(acc(&deep), 1.0); // unlimited depth memorises the training rows
/// assert!(acc(&shallow) < 1.0);
/// // No sample weights in smartcore: asking for them is an error.
/// let w = ndarray::Array1::<f32>::ones(200);
/// assert!(SmartcoreTreeStudent::new().fit_student(data.weights(w.view())).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreTreeStudent {
    max_depth: Option<usize>,
    min_samples_leaf: usize,
}

impl Default for SmartcoreTreeStudent {
    fn default() -> Self {
        Self { max_depth: None, min_samples_leaf: 1 }
    }
}

impl SmartcoreTreeStudent {
    /// Defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::SmartcoreTreeStudent;
    /// assert_eq!(SmartcoreTreeStudent::new(), SmartcoreTreeStudent::default());
    /// let x = ndarray::array![[0.0f32], [1.0]];
    /// let q = ndarray::array![[1.0f32, 0.0], [0.0, 1.0]];
    /// use kdistill::student::{FitData, Predictor, Student};
    /// let m = SmartcoreTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.predict(x.view()).unwrap().to_vec(), vec![0, 1]);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Maximum depth (≥ 1), `None` = unlimited.
    ///
    /// See the [`SmartcoreTreeStudent`] example, which uses every builder method.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum rows per leaf (≥ 1).
    ///
    /// See the [`SmartcoreTreeStudent`] example, which uses every builder method.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
}

impl Student for SmartcoreTreeStudent {
    type Model = PerClassRegressors<SmTree>;
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model> {
        let max_depth = depth_u16(self.max_depth)?;
        if self.min_samples_leaf == 0 {
            return Err(KdError::param("min_samples_leaf", 0, "must be ≥ 1"));
        }
        let params = DecisionTreeRegressorParameters { max_depth, min_samples_leaf: self.min_samples_leaf, min_samples_split: 2, seed: Some(0) };
        fit_per_class(data, "smartcore DecisionTreeRegressor", |x, y| SmTree::fit(x, y, params.clone()))
    }
}

/// smartcore `RandomForestRegressor`, one per class. Defaults: 100 trees, unlimited depth,
/// `min_samples_leaf = 1`, smartcore's default number of features per split, seed 0.
///
/// # Examples
///
/// ```
/// use kdistill::data::moons::Moons;
/// use kdistill::student::{adapters::SmartcoreForestStudent, FitData, Predictor, Student};
/// let d = Moons::new().n_samples(200).noise(0.2).seed(1).generate().unwrap();
/// let q = kdistill::base::one_hot(d.y.view(), 2).unwrap();
/// let data = FitData::new(d.x.view(), q.view());
/// let forest = SmartcoreForestStudent::new().n_trees(10).max_depth(Some(6)).min_samples_leaf(2).seed(7);
/// let m = forest.fit_student(data).unwrap();
/// let acc = kdistill::metrics::accuracy(m.predict(d.x.view()).unwrap().view(), d.y.view()).unwrap();
/// assert!(acc > 0.9, "{acc}");
/// assert_eq!(forest.fit_student(data).unwrap().predict_proba(d.x.view()).unwrap(), m.predict_proba(d.x.view()).unwrap()); // seeded
/// assert!(SmartcoreForestStudent::new().n_trees(0).fit_student(data).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreForestStudent {
    n_trees: usize,
    max_depth: Option<usize>,
    min_samples_leaf: usize,
    seed: u64,
}

impl Default for SmartcoreForestStudent {
    fn default() -> Self {
        Self { n_trees: 100, max_depth: None, min_samples_leaf: 1, seed: 0 }
    }
}

impl SmartcoreForestStudent {
    /// Defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::SmartcoreForestStudent;
    /// use kdistill::student::{FitData, Predictor, Student};
    /// let x = ndarray::Array2::from_shape_fn((40, 1), |(i, _)| i as f32);
    /// let q = kdistill::base::one_hot(x.column(0).mapv(|v| usize::from(v >= 20.0)).view(), 2).unwrap();
    /// let m = SmartcoreForestStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.predict(ndarray::array![[2.0f32], [38.0]].view()).unwrap().to_vec(), vec![0, 1]); // 100 trees
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of trees (≥ 1).
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }
    /// Maximum depth (≥ 1), `None` = unlimited.
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum rows per leaf (≥ 1).
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
    /// Seed for bootstrap samples and feature subsets (class `k` uses `seed + k`).
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
}

impl Student for SmartcoreForestStudent {
    type Model = PerClassRegressors<SmForest>;
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model> {
        let max_depth = depth_u16(self.max_depth)?;
        if self.n_trees == 0 {
            return Err(KdError::param("n_trees", 0, "must be ≥ 1"));
        }
        if self.min_samples_leaf == 0 {
            return Err(KdError::param("min_samples_leaf", 0, "must be ≥ 1"));
        }
        let k = std::cell::Cell::new(0u64);
        fit_per_class(data, "smartcore RandomForestRegressor", |x, y| {
            let params = RandomForestRegressorParameters {
                max_depth,
                min_samples_leaf: self.min_samples_leaf,
                min_samples_split: 2,
                n_trees: self.n_trees,
                m: None,
                keep_samples: false,
                seed: self.seed.wrapping_add(k.get()),
            };
            k.set(k.get() + 1);
            SmForest::fit(x, y, params)
        })
    }
}

/// linfa-trees Gini decision tree on hard labels (a baseline). Defaults: unlimited depth,
/// `min_weight_leaf = 1`, `min_impurity_decrease = 1e-5` (linfa's defaults).
///
/// # Examples
///
/// ```
/// use kdistill::data::moons::Moons;
/// use kdistill::student::{adapters::LinfaTreeStudent, FitData, Predictor, Student};
/// let d = Moons::new().n_samples(200).noise(0.2).seed(1).generate().unwrap();
/// let q = kdistill::base::one_hot(d.y.view(), 2).unwrap();
/// let data = FitData::new(d.x.view(), q.view()).labels(d.y.view());
/// let m = LinfaTreeStudent::new().max_depth(Some(3)).min_weight_leaf(2.0).min_impurity_decrease(1e-4).fit_student(data).unwrap();
/// assert!(m.depth() <= 3 && m.n_leaves() <= 8);
/// // Probabilities are the class frequencies of the training rows in each leaf.
/// let p = m.predict_proba(d.x.view()).unwrap();
/// assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
/// assert!(LinfaTreeStudent::new().min_impurity_decrease(0.0).fit_student(data).is_err()); // linfa needs > 0
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinfaTreeStudent {
    max_depth: Option<usize>,
    min_weight_leaf: f32,
    min_impurity_decrease: f64,
}

impl Default for LinfaTreeStudent {
    fn default() -> Self {
        Self { max_depth: None, min_weight_leaf: 1.0, min_impurity_decrease: 1e-5 }
    }
}

impl LinfaTreeStudent {
    /// Defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::LinfaTreeStudent;
    /// use kdistill::student::{FitData, Predictor, Student};
    /// let x = ndarray::array![[0.0f32], [1.0], [2.0], [3.0]];
    /// let q = ndarray::array![[0.9f32, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]];
    /// // Without labels the argmax of the targets is used: 0, 0, 1, 1.
    /// let m = LinfaTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.predict(x.view()).unwrap().to_vec(), vec![0, 0, 1, 1]);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Maximum depth (≥ 1), `None` = unlimited.
    ///
    /// See the [`LinfaTreeStudent`] example, which uses every builder method.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum total row weight in a leaf (> 0).
    ///
    /// See the [`LinfaTreeStudent`] example, which uses every builder method.
    pub fn min_weight_leaf(mut self, w: f32) -> Self {
        self.min_weight_leaf = w;
        self
    }
    /// Minimum impurity decrease for a split (> 0, as linfa requires).
    ///
    /// See the [`LinfaTreeStudent`] example, which uses every builder method.
    pub fn min_impurity_decrease(mut self, v: f64) -> Self {
        self.min_impurity_decrease = v;
        self
    }
}

/// A fitted linfa-trees model with per-leaf class frequencies.
///
/// # Examples
///
/// ```
/// use kdistill::student::{adapters::LinfaTreeStudent, FitData, Predictor, Student};
/// use ndarray::array;
/// // One split, between 0.2 and 5: the right leaf holds labels 1, 1, 0.
/// let x = array![[0.0f32], [0.1], [0.2], [5.0], [5.1], [5.2]];
/// let y = array![0usize, 0, 0, 1, 1, 0];
/// let q = kdistill::base::one_hot(y.view(), 2).unwrap();
/// let m = LinfaTreeStudent::new().max_depth(Some(1))
///     .fit_student(FitData::new(x.view(), q.view()).labels(y.view())).unwrap();
/// let p = m.predict_proba(array![[0.05f32], [9.0]].view()).unwrap();
/// assert_eq!(p[[0, 1]], 0.0);
/// assert!((p[[1, 1]] - 2.0 / 3.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct LinfaTreeModel {
    tree: DecisionTree<f64, usize>,
    /// Leaf path (false = left) → class frequencies.
    leaf_probs: HashMap<Vec<bool>, Vec<f32>>,
    n_classes: usize,
    n_features: usize,
}

fn leaf_path(x: ArrayView1<f64>, mut node: &TreeNode<f64, usize>) -> Vec<bool> {
    let mut path = Vec::new();
    while !node.is_leaf() {
        let (f, v, _) = node.split();
        let right = x[f] >= v;
        let children = node.children();
        let next = if right { children[1] } else { children[0] };
        match next {
            Some(n) => node = n,
            None => break,
        }
        path.push(right);
    }
    path
}

impl LinfaTreeModel {
    /// The underlying linfa tree.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{adapters::LinfaTreeStudent, FitData, Student};
    /// let x = ndarray::array![[0.0f32], [1.0]];
    /// let y = ndarray::array![0usize, 1];
    /// let q = kdistill::base::one_hot(y.view(), 2).unwrap();
    /// let m = LinfaTreeStudent::new().fit_student(FitData::new(x.view(), q.view()).labels(y.view())).unwrap();
    /// assert_eq!(m.tree().num_leaves(), 2); // the linfa-trees API
    /// ```
    pub fn tree(&self) -> &DecisionTree<f64, usize> {
        &self.tree
    }
    /// Number of leaves.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{adapters::LinfaTreeStudent, FitData, Student};
    /// let x = ndarray::array![[0.0f32], [1.0], [2.0]];
    /// let y = ndarray::array![0usize, 1, 0];
    /// let q = kdistill::base::one_hot(y.view(), 2).unwrap();
    /// let m = LinfaTreeStudent::new().fit_student(FitData::new(x.view(), q.view()).labels(y.view())).unwrap();
    /// assert_eq!(m.n_leaves(), 3);
    /// ```
    pub fn n_leaves(&self) -> usize {
        self.tree.num_leaves()
    }
    /// Depth.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{adapters::LinfaTreeStudent, FitData, Student};
    /// let x = ndarray::array![[0.0f32], [1.0], [2.0], [3.0]];
    /// let y = ndarray::array![0usize, 0, 1, 1];
    /// let q = kdistill::base::one_hot(y.view(), 2).unwrap();
    /// let m = LinfaTreeStudent::new().fit_student(FitData::new(x.view(), q.view()).labels(y.view())).unwrap();
    /// assert_eq!(m.depth(), 1);
    /// ```
    pub fn depth(&self) -> usize {
        self.tree.max_depth()
    }
}

impl Predictor for LinfaTreeModel {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_pred_shape(x, self.n_features)?;
        let xf = x.mapv(|v| v as f64);
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        for (i, r) in xf.axis_iter(Axis(0)).enumerate() {
            match self.leaf_probs.get(&leaf_path(r, self.tree.root_node())) {
                Some(p) => out.row_mut(i).assign(&ArrayView1::from(p.as_slice())),
                None => {
                    // A leaf no training row reached cannot occur for a tree built from those rows;
                    // fall back to linfa's own prediction, one-hot.
                    let c = self.tree.predict(&xf.row(i).insert_axis(Axis(0)))[0];
                    out[[i, c]] = 1.0;
                }
            }
        }
        Ok(out)
    }
}

impl Student for LinfaTreeStudent {
    type Model = LinfaTreeModel;
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model> {
        let k = data.check()?;
        if self.max_depth == Some(0) {
            return Err(KdError::param("max_depth", 0, "must be ≥ 1"));
        }
        if !(self.min_weight_leaf.is_finite() && self.min_weight_leaf > 0.0) {
            return Err(KdError::param("min_weight_leaf", self.min_weight_leaf, "must be finite and > 0"));
        }
        if !(self.min_impurity_decrease.is_finite() && self.min_impurity_decrease > 0.0) {
            return Err(KdError::param("min_impurity_decrease", self.min_impurity_decrease, "must be finite and > 0"));
        }
        let y: Array1<usize> = match data.labels {
            Some(l) => l.to_owned(),
            None => crate::base::argmax_rows(data.targets),
        };
        let xf = data.x.mapv(|v| v as f64);
        let w: Array1<f32> = data.weights.map(|w| w.to_owned()).unwrap_or_else(|| Array1::ones(y.len()));
        let ds = linfa::Dataset::new(xf.clone(), y.clone()).with_weights(w.clone());
        let tree = DecisionTree::params()
            .max_depth(self.max_depth)
            .min_weight_leaf(self.min_weight_leaf)
            .min_weight_split(2.0 * self.min_weight_leaf)
            .min_impurity_decrease(self.min_impurity_decrease)
            .fit(&ds)
            .map_err(|e| KdError::backend("linfa-trees DecisionTree", e))?;
        let mut leaf_probs: HashMap<Vec<bool>, Vec<f32>> = HashMap::new();
        for (i, r) in xf.axis_iter(Axis(0)).enumerate() {
            leaf_probs.entry(leaf_path(r, tree.root_node())).or_insert_with(|| vec![0.0; k])[y[i]] += w[i];
        }
        for p in leaf_probs.values_mut() {
            let s: f32 = p.iter().sum();
            if s > 0.0 {
                p.iter_mut().for_each(|v| *v /= s);
            } else {
                p.iter_mut().for_each(|v| *v = 1.0 / k as f32);
            }
        }
        Ok(LinfaTreeModel { tree, leaf_probs, n_classes: k, n_features: data.x.ncols() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::moons::Moons;
    use crate::base::one_hot;
    use ndarray::array;

    fn acc(pred: &Array1<usize>, y: &Array1<usize>) -> f64 {
        pred.iter().zip(y.iter()).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
    }

    fn moons() -> (crate::data::Dataset, crate::data::Dataset) {
        Moons::new().n_samples(1000).noise(0.3).seed(4).generate().unwrap().split(0.3, 4).unwrap()
    }

    #[test]
    fn clip_renormalise_hand_computed() {
        let p = clip_renormalise(array![[0.6f32, -0.2, 0.2], [-1.0, 0.0, -3.0], [0.5, 0.5, 1.0]]);
        assert_eq!(p.row(0).to_vec(), vec![0.75, 0.0, 0.25]);
        assert_eq!(p.row(1).to_vec(), vec![1.0 / 3.0; 3]);
        assert_eq!(p.row(2).to_vec(), vec![0.25, 0.25, 0.5]);
    }

    proptest::proptest! {
        /// Any finite regressor output becomes a probability row.
        #[test]
        fn clip_renormalise_gives_probabilities(v in proptest::collection::vec(-5.0f32..5.0, 1..40)) {
            let k = 4;
            let n = v.len() / k;
            proptest::prop_assume!(n > 0);
            let r = Array2::from_shape_vec((n, k), v[..n * k].to_vec()).unwrap();
            let p = clip_renormalise(r.clone());
            for (i, row) in p.axis_iter(Axis(0)).enumerate() {
                proptest::prop_assert!((row.sum() - 1.0).abs() < 1e-5);
                proptest::prop_assert!(row.iter().all(|&x| x >= 0.0));
                // Order among positive entries is kept.
                let best = crate::base::argmax_rows(r.row(i).insert_axis(Axis(0)))[0];
                if r[[i, best]] > 0.0 {
                    proptest::prop_assert_eq!(crate::base::argmax_rows(row.insert_axis(Axis(0)))[0], best);
                }
            }
        }
    }

    #[test]
    fn smartcore_tree_on_moons() {
        let (tr, te) = moons();
        let y = one_hot(tr.y.view(), 2).unwrap();
        let m = SmartcoreTreeStudent::new()
            .max_depth(Some(5))
            .fit_student(FitData::new(tr.x.view(), y.view()))
            .unwrap();
        assert_eq!(m.n_classes(), 2);
        let p = m.predict_proba(te.x.view()).unwrap();
        assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
        let a = acc(&m.predict(te.x.view()).unwrap(), &te.y);
        assert!(a > 0.85, "smartcore tree accuracy {a}");
        // Fitted on a one-hot matrix, both regressors agree: p_0 + p_1 = 1 before renormalising,
        // so a leaf of pure class 1 gives exactly [0, 1].
        assert!(p.iter().any(|&v| v == 1.0));
    }

    #[test]
    fn smartcore_forest_on_soft_targets() {
        let (tr, te) = moons();
        // Soft targets: labels smoothed 0.8 / 0.2.
        let y = one_hot(tr.y.view(), 2).unwrap().mapv(|v| 0.2 + 0.6 * v);
        let m = SmartcoreForestStudent::new()
            .n_trees(20)
            .max_depth(Some(6))
            .seed(1)
            .fit_student(FitData::new(tr.x.view(), y.view()))
            .unwrap();
        let p = m.predict_proba(te.x.view()).unwrap();
        assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
        // Averages of values in [0.2, 0.8] stay there.
        assert!(p.iter().all(|&v| (0.19..=0.81).contains(&v)), "{p:?}");
        let a = acc(&m.predict(te.x.view()).unwrap(), &te.y);
        assert!(a > 0.85, "smartcore forest accuracy {a}");
        // Same seed ⇒ same predictions.
        let m2 = SmartcoreForestStudent::new()
            .n_trees(20)
            .max_depth(Some(6))
            .seed(1)
            .fit_student(FitData::new(tr.x.view(), y.view()))
            .unwrap();
        assert_eq!(p, m2.predict_proba(te.x.view()).unwrap());
    }

    #[test]
    fn linfa_baseline_leaf_frequencies() {
        let (tr, te) = moons();
        let y = one_hot(tr.y.view(), 2).unwrap();
        let m = LinfaTreeStudent::new()
            .max_depth(Some(4))
            .fit_student(FitData::new(tr.x.view(), y.view()).labels(tr.y.view()))
            .unwrap();
        assert!(m.depth() <= 4 && m.n_leaves() >= 2);
        let p = m.predict_proba(te.x.view()).unwrap();
        assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
        // Leaf frequencies, not one-hot: a depth-4 tree on noisy moons has impure leaves.
        assert!(p.iter().any(|&v| v > 0.0 && v < 1.0));
        // Argmax of leaf frequencies is linfa's own prediction (its leaves predict the majority class).
        let own = m.tree().predict(&te.x.mapv(|v| v as f64));
        let ours = m.predict(te.x.view()).unwrap();
        let agree = own.iter().zip(ours.iter()).filter(|(a, b)| a == b).count();
        assert!(agree as f64 >= 0.99 * te.len() as f64, "{agree}/{}", te.len()); // ties may differ
        let a = acc(&ours, &te.y);
        assert!(a > 0.85, "linfa accuracy {a}");
    }

    #[test]
    fn linfa_leaf_probs_hand_computed() {
        // Labels [0, 1, 0 | 1, 1]: the best Gini split is between 0.2 and 1.0 (weighted Gini 4/15,
        // against 0.3 and 7/15 for the other cuts), giving leaves p = [2/3, 1/3] and [0, 1].
        let x = array![[0.0f32], [0.1], [0.2], [1.0], [1.1]];
        let y = array![0usize, 1, 0, 1, 1];
        let t = one_hot(y.view(), 2).unwrap();
        let m = LinfaTreeStudent::new().max_depth(Some(1)).fit_student(FitData::new(x.view(), t.view()).labels(y.view())).unwrap();
        let p = m.predict_proba(array![[0.05f32], [2.0]].view()).unwrap();
        assert!((p[[0, 0]] - 2.0 / 3.0).abs() < 1e-6 && (p[[1, 1]] - 1.0).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let x = array![[0.0f32], [1.0]];
        let t = array![[1.0f32, 0.0], [0.0, 1.0]];
        let w = array![1.0f32, 2.0];
        let fd = FitData::new(x.view(), t.view()).weights(w.view());
        assert!(SmartcoreTreeStudent::new().fit_student(fd).unwrap_err().to_string().contains("weights"));
        let fd = FitData::new(x.view(), t.view());
        assert!(SmartcoreTreeStudent::new().max_depth(Some(0)).fit_student(fd).is_err());
        assert!(SmartcoreForestStudent::new().n_trees(0).fit_student(fd).is_err());
        assert!(LinfaTreeStudent::new().max_depth(Some(0)).fit_student(fd).is_err());
        let short = array![[1.0f32, 0.0]];
        let bad = FitData::new(x.view(), short.view());
        assert!(matches!(SmartcoreTreeStudent::new().fit_student(bad), Err(KdError::Shape(_))));
        let nan = array![[f32::NAN], [1.0]];
        let bad = FitData::new(nan.view(), t.view());
        assert!(matches!(LinfaTreeStudent::new().fit_student(bad), Err(KdError::NonFinite { .. })));
        let m = SmartcoreTreeStudent::new().fit_student(fd).unwrap();
        assert!(matches!(m.predict_proba(array![[0.0f32, 1.0]].view()), Err(KdError::Shape(_))));
    }
}
