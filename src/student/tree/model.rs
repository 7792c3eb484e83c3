//! The fitted tree: a flat node array, batched parallel prediction on raw `f32` features.
use crate::error::{KdError, Result};
use crate::student::Predictor;
use ndarray::{Array1, Array2, ArrayView2};
use super::route::{self, Split};
use serde::{Deserialize, Serialize};

/// `feature` value marking a leaf.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{TreeParams, LEAF};
/// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[1.0f32], [0.0]].view(), None).unwrap();
/// assert_ne!(tree.nodes()[0].feature, LEAF);
/// assert_eq!(tree.nodes()[1].feature, LEAF);
/// ```
pub const LEAF: u32 = u32::MAX;

/// Routing part of a node (16 bytes): rows with `x[feature] ≤ threshold` go to `left`, others to `right`.
/// Leaves have `feature == LEAF`. Children always have larger indices than their parent.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::TreeParams;
/// let x = ndarray::array![[0.0f32, 9.0], [1.0, 9.0], [2.0, 9.0]];
/// let y = ndarray::array![[1.0f32], [1.0], [0.0]];
/// let tree = TreeParams::new().fit(x.view(), y.view(), None).unwrap();
/// let root = tree.nodes()[0];
/// assert_eq!((root.feature, root.threshold), (0, 1.5)); // x0 ≤ 1.5 goes left
/// assert!(tree.nodes()[root.left as usize].is_leaf() && tree.nodes()[root.right as usize].is_leaf());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Feature tested, or [`LEAF`].
    pub feature: u32,
    /// Threshold on the raw feature value.
    pub threshold: f32,
    /// Index of the left child (unused for leaves).
    pub left: u32,
    /// Index of the right child (unused for leaves).
    pub right: u32,
}

impl Node {
    /// True for a leaf.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::{Node, LEAF};
    /// assert!(Node { feature: LEAF, threshold: 0.0, left: 0, right: 0 }.is_leaf());
    /// assert!(!Node { feature: 2, threshold: 0.5, left: 1, right: 2 }.is_leaf());
    /// ```
    pub fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }
}

/// Training statistics of a node.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::TreeParams;
/// let y = kdistill::base::one_hot(ndarray::array![0usize, 0, 1, 1].view(), 2).unwrap();
/// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0], [2.0], [3.0]].view(), y.view(), None).unwrap();
/// let root = tree.stats()[0];
/// assert_eq!((root.n_samples, root.weight, root.depth), (4, 4.0, 0));
/// assert!((root.impurity - 0.5).abs() < 1e-12); // Gini of a 50/50 node
/// assert_eq!(tree.stats()[1].impurity, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NodeStats {
    /// Training rows that reached the node.
    pub n_samples: u64,
    /// Their total weight.
    pub weight: f64,
    /// Weighted variance summed over outputs, `SSE / weight` (Gini impurity for one-hot targets).
    pub impurity: f64,
    /// Depth (root = 0).
    pub depth: u32,
}

/// A fitted multi-output regression tree. `values` holds each node's weighted mean target
/// (`n_nodes × n_outputs`, row-major); a leaf's row is its prediction.
///
/// # Examples
///
/// Fit, inspect, predict, save and load (the JSON round trip gives identical predictions):
///
/// ```
/// use kdistill::student::{tree::{Tree, TreeParams}, Predictor};
/// use ndarray::array;
/// let x = array![[0.0f32, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]];
/// let y = kdistill::base::one_hot(array![0usize, 0, 1, 1].view(), 2).unwrap();
/// let tree: Tree = TreeParams::new().fit(x.view(), y.view(), None).unwrap();
/// assert_eq!((tree.n_features(), tree.n_outputs(), tree.n_nodes(), tree.n_leaves(), tree.depth()), (2, 2, 3, 2, 1));
/// assert_eq!(tree.predict_proba(array![[2.5f32, 0.0]].view()).unwrap(), array![[0.0f32, 1.0]]); // probability rows
/// assert_eq!(Predictor::predict(&tree, array![[0.5f32, 0.0]].view()).unwrap().to_vec(), vec![0]); // classes
/// let dir = tempfile::tempdir().unwrap();
/// tree.save_json(dir.path().join("tree.json")).unwrap();
/// let back = Tree::load_json(dir.path().join("tree.json")).unwrap();
/// assert_eq!(back.predict_proba(x.view()).unwrap(), tree.predict_proba(x.view()).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    n_features: usize,
    n_outputs: usize,
    nodes: Vec<Node>,
    stats: Vec<NodeStats>,
    values: Vec<f32>,
}

/// Rows in flight when routing `f32` rows (fastest of 32, 64 and 128 on MNIST).
const LANES: usize = 32;

impl Split<f32> for Node {
    const PAIRED: bool = false;
    #[inline(always)]
    fn is_leaf(self) -> bool {
        self.feature == LEAF
    }
    #[inline(always)]
    fn feature(self) -> usize {
        self.feature as usize
    }
    #[inline(always)]
    fn kids(self) -> (u32, u32) {
        (self.left, self.right)
    }
    /// NaN and ±∞ cannot be routed.
    #[inline(always)]
    fn child(self, v: f32) -> Option<u32> {
        v.is_finite().then_some(if v <= self.threshold { self.left } else { self.right })
    }
}

impl Tree {
    pub(crate) fn from_parts(n_features: usize, n_outputs: usize, nodes: Vec<Node>, stats: Vec<NodeStats>, values: Vec<f32>) -> Self {
        Self { n_features, n_outputs, nodes, stats, values }
    }

    /// Number of features the tree was fitted on.
    ///
    /// # Examples
    ///
    /// ```
    /// let y = ndarray::array![[1.0f32], [0.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(ndarray::array![[0.0f32, 1.0, 2.0], [1.0, 1.0, 2.0]].view(), y.view(), None).unwrap();
    /// assert_eq!(tree.n_features(), 3);
    /// ```
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// Number of outputs `K` (columns of the target matrix).
    ///
    /// # Examples
    ///
    /// ```
    /// let y = ndarray::array![[0.2f32, 0.3, 0.5], [0.0, 0.0, 1.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), y.view(), None).unwrap();
    /// assert_eq!(tree.n_outputs(), 3);
    /// ```
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }
    /// Number of nodes.
    ///
    /// # Examples
    ///
    /// ```
    /// let y = ndarray::array![[0.0f32], [1.0], [2.0], [3.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(ndarray::array![[0.0f32], [1.0], [2.0], [3.0]].view(), y.view(), None).unwrap();
    /// assert_eq!(tree.n_nodes(), 7); // 4 leaves + 3 splits
    /// ```
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }
    /// Number of leaves.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// let x = ndarray::Array2::from_shape_fn((50, 1), |(i, _)| i as f32);
    /// let y = x.mapv(|v| v * v);
    /// assert_eq!(TreeParams::new().fit(x.view(), y.view(), None).unwrap().n_leaves(), 50);
    /// assert_eq!(TreeParams::new().max_leaves(Some(8)).fit(x.view(), y.view(), None).unwrap().n_leaves(), 8);
    /// ```
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }
    /// Depth: the largest leaf depth (a single leaf has depth 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// let x = ndarray::Array2::from_shape_fn((64, 1), |(i, _)| i as f32);
    /// let y = x.mapv(|v| v * v);
    /// assert_eq!(TreeParams::new().max_depth(Some(3)).fit(x.view(), y.view(), None).unwrap().depth(), 3);
    /// let constant = ndarray::Array2::<f32>::ones((64, 1));
    /// assert_eq!(TreeParams::new().fit(x.view(), constant.view(), None).unwrap().depth(), 0); // a single leaf
    /// ```
    pub fn depth(&self) -> usize {
        self.stats.iter().zip(&self.nodes).filter(|(_, n)| n.is_leaf()).map(|(s, _)| s.depth as usize).max().unwrap_or(0)
    }
    /// The routing nodes (index 0 is the root).
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[0.0f32], [10.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(x.view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// let n = tree.nodes();
    /// assert_eq!((n.len(), n[0].threshold), (3, 5.0)); // the midpoint between the two values
    /// ```
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// Training statistics per node.
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[0.0f32], [1.0], [2.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(x.view(), ndarray::array![[0.0f32], [0.0], [1.0]].view(), None).unwrap();
    /// let rows: Vec<u64> = tree.stats().iter().map(|s| s.n_samples).collect();
    /// assert_eq!(rows, vec![3, 2, 1]); // root, left leaf, right leaf
    /// ```
    pub fn stats(&self) -> &[NodeStats] {
        &self.stats
    }
    /// Mean target of node `i` (its prediction when it is a leaf).
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[0.0f32], [1.0], [2.0], [3.0]];
    /// let y = ndarray::array![[1.0f32, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().max_depth(Some(1)).fit(x.view(), y.view(), None).unwrap();
    /// assert_eq!(tree.value(0), &[0.25, 0.75]); // the root's mean target
    /// ```
    pub fn value(&self, i: usize) -> &[f32] {
        &self.values[i * self.n_outputs..(i + 1) * self.n_outputs]
    }

    /// Normalised total SSE decrease per feature (sums to 1 unless the tree is a single leaf; then all 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// // Only feature 1 matters.
    /// let x = ndarray::Array2::from_shape_fn((40, 3), |(i, j)| ((i * (j + 1) * 7) % 40) as f32);
    /// let y = x.column(1).mapv(|v| if v < 20.0 { 0.0f32 } else { 1.0 }).insert_axis(ndarray::Axis(1));
    /// let imp = TreeParams::new().fit(x.view(), y.view(), None).unwrap().feature_importances();
    /// assert_eq!(imp.to_vec(), vec![0.0, 1.0, 0.0]);
    /// ```
    pub fn feature_importances(&self) -> Array1<f64> {
        let mut imp = Array1::<f64>::zeros(self.n_features);
        for (n, s) in self.nodes.iter().zip(&self.stats) {
            if !n.is_leaf() {
                let (l, r) = (&self.stats[n.left as usize], &self.stats[n.right as usize]);
                let dec = s.weight * s.impurity - l.weight * l.impurity - r.weight * r.impurity;
                imp[n.feature as usize] += dec.max(0.0);
            }
        }
        let total = imp.sum();
        if total > 0.0 {
            imp /= total;
        }
        imp
    }

    /// Index of the leaf reached by one row (`row.len() == n_features`, values compared as they are).
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[0.0f32], [1.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(x.view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// assert_eq!((tree.leaf_index(&[-3.0]), tree.leaf_index(&[0.7])), (1, 2));
    /// ```
    #[inline]
    pub fn leaf_index(&self, row: &[f32]) -> usize {
        let mut i = 0usize;
        loop {
            let n = self.nodes[i];
            if n.feature == LEAF {
                return i;
            }
            i = if row[n.feature as usize] <= n.threshold { n.left } else { n.right } as usize;
        }
    }

    /// The leaf of every row; a NaN or infinite value on a row's path is an error naming it.
    fn leaves(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        route::leaves::<LANES, _, _>(&self.nodes, self.n_features, x, |row, col, value| KdError::non_finite("features", row, col, value))
    }

    /// Leaf reached by each row of `x`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::array;
    /// let x = array![[0.0f32], [1.0]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(x.view(), array![[0.0f32], [1.0]].view(), None).unwrap();
    /// assert_eq!(tree.apply(array![[0.2f32], [0.9], [-1.0]].view()).unwrap().to_vec(), vec![1, 2, 1]);
    /// assert!(tree.apply(array![[0.0f32, 1.0]].view()).is_err()); // 2 columns, tree has 1
    /// ```
    pub fn apply(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        Ok(self.leaves(x)?.into())
    }

    /// Predicted target rows (`n × n_outputs`), in parallel over chunks of rows. Errors on a column
    /// count mismatch, or a NaN/infinite value in a feature the tree tests on that row's path (other
    /// features are not read).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::array;
    /// let x = array![[0.0f32, 7.0], [1.0, 7.0]];
    /// let y = array![[0.9f32, 0.1], [0.2, 0.8]];
    /// let tree = kdistill::student::tree::TreeParams::new().fit(x.view(), y.view(), None).unwrap();
    /// assert_eq!(tree.predict_proba(array![[0.1f32, 0.0], [5.0, 0.0]].view()).unwrap(), y);
    /// // Feature 1 is never tested, so a NaN there is harmless; one in feature 0 is an error.
    /// assert!(tree.predict_proba(array![[0.1f32, f32::NAN]].view()).is_ok());
    /// assert!(tree.predict_proba(array![[f32::NAN, 0.0]].view()).is_err());
    /// ```
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Ok(route::gather(&self.values, self.n_outputs, &self.leaves(x)?))
    }

    /// Structural check of a tree from outside (deserialised): sizes, indices, features, finiteness.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::{Tree, TreeParams};
    /// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// assert!(tree.check().is_ok());
    /// // A hand-edited file whose node points outside the tree is refused when loaded.
    /// let bad = tree.to_json().unwrap().replace("\"right\":2", "\"right\":9");
    /// let e = Tree::from_json(&bad, "tree.json".as_ref()).unwrap_err();
    /// assert!(e.to_string().contains("corrupted tree"), "{e}");
    /// ```
    pub fn check(&self) -> std::result::Result<(), String> {
        let m = self.nodes.len();
        if m == 0 {
            return Err("tree has no nodes".into());
        }
        if self.n_outputs == 0 {
            return Err("n_outputs is 0".into());
        }
        if self.stats.len() != m {
            return Err(format!("{} nodes but {} stats", m, self.stats.len()));
        }
        if self.values.len() != m * self.n_outputs {
            return Err(format!("{} values, expected {} nodes × {} outputs", self.values.len(), m, self.n_outputs));
        }
        let mut parents = vec![0u32; m];
        for (i, n) in self.nodes.iter().enumerate() {
            if n.is_leaf() {
                continue;
            }
            if n.feature as usize >= self.n_features {
                return Err(format!("node {i} tests feature {} of {}", n.feature, self.n_features));
            }
            if !n.threshold.is_finite() {
                return Err(format!("node {i} has threshold {}", n.threshold));
            }
            for c in [n.left as usize, n.right as usize] {
                if c <= i || c >= m {
                    return Err(format!("node {i} has child {c} (must be in {}..{m})", i + 1));
                }
                parents[c] += 1;
            }
        }
        if let Some(i) = (1..m).find(|&i| parents[i] != 1) {
            return Err(format!("node {i} has {} parents", parents[i]));
        }
        if let Some(v) = self.values.iter().find(|v| !v.is_finite()) {
            return Err(format!("non-finite value {v}"));
        }
        Ok(())
    }
}

impl Predictor for Tree {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Tree::predict_proba(self, x)
    }
}
