//! linfa-trees' Gini decision tree as a hard-label baseline, with leaf class frequencies as its
//! probabilities (see the [module docs](super)).
use super::check_pred_shape;
use crate::error::{KdError, Result};
use crate::student::{FitData, Predictor, Student};
use linfa::prelude::*;
use linfa_trees::{DecisionTree, TreeNode};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use std::collections::HashMap;

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

    /// Check the settings: a depth limit ≥ 1, `min_weight_leaf` and `min_impurity_decrease` finite
    /// and > 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::LinfaTreeStudent;
    /// let p = LinfaTreeStudent::new().max_depth(Some(4)).check()?;
    /// assert_eq!((p.max_depth(), p.min_weight_leaf(), p.min_impurity_decrease()), (Some(4), 1.0, 1e-5));
    /// assert!(LinfaTreeStudent::new().min_weight_leaf(f32::NAN).check().is_err());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn check(&self) -> Result<LinfaTreeValidParams> {
        if self.max_depth == Some(0) {
            return Err(KdError::param("max_depth", 0, "must be ≥ 1"));
        }
        if !(self.min_weight_leaf.is_finite() && self.min_weight_leaf > 0.0) {
            return Err(KdError::param("min_weight_leaf", self.min_weight_leaf, "must be finite and > 0"));
        }
        if !(self.min_impurity_decrease.is_finite() && self.min_impurity_decrease > 0.0) {
            return Err(KdError::param("min_impurity_decrease", self.min_impurity_decrease, "must be finite and > 0"));
        }
        Ok(LinfaTreeValidParams(self.clone()))
    }
}

/// Checked [`LinfaTreeStudent`] settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LinfaTreeValidParams(LinfaTreeStudent);

impl LinfaTreeValidParams {
    /// Maximum depth (`None`: unlimited).
    pub fn max_depth(&self) -> Option<usize> {
        self.0.max_depth
    }
    /// Minimum total row weight in a leaf.
    pub fn min_weight_leaf(&self) -> f32 {
        self.0.min_weight_leaf
    }
    /// Minimum impurity decrease for a split.
    pub fn min_impurity_decrease(&self) -> f64 {
        self.0.min_impurity_decrease
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
        self.check()?;
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

