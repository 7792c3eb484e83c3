//! The fitted tree: a flat node array, batched parallel prediction on raw `f32` features.
use crate::error::{KdError, Result};
use crate::student::Predictor;
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// `feature` value marking a leaf.
pub const LEAF: u32 = u32::MAX;

/// Routing part of a node (16 bytes): rows with `x[feature] ≤ threshold` go to `left`, others to `right`.
/// Leaves have `feature == LEAF`. Children always have larger indices than their parent.
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
    pub fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }
}

/// Training statistics of a node.
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    n_features: usize,
    n_outputs: usize,
    nodes: Vec<Node>,
    stats: Vec<NodeStats>,
    values: Vec<f32>,
}

/// Rows per parallel prediction task.
const PREDICT_CHUNK: usize = 2048;

impl Tree {
    pub(crate) fn from_parts(n_features: usize, n_outputs: usize, nodes: Vec<Node>, stats: Vec<NodeStats>, values: Vec<f32>) -> Self {
        Self { n_features, n_outputs, nodes, stats, values }
    }

    /// Number of features the tree was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// Number of outputs `K` (columns of the target matrix).
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }
    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }
    /// Depth: the largest leaf depth (a single leaf has depth 0).
    pub fn depth(&self) -> usize {
        self.stats.iter().zip(&self.nodes).filter(|(_, n)| n.is_leaf()).map(|(s, _)| s.depth as usize).max().unwrap_or(0)
    }
    /// The routing nodes (index 0 is the root).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// Training statistics per node.
    pub fn stats(&self) -> &[NodeStats] {
        &self.stats
    }
    /// Mean target of node `i` (its prediction when it is a leaf).
    pub fn value(&self, i: usize) -> &[f32] {
        &self.values[i * self.n_outputs..(i + 1) * self.n_outputs]
    }

    /// Normalised total SSE decrease per feature (sums to 1 unless the tree is a single leaf; then all 0).
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

    /// Leaf reached by each row of `x`.
    pub fn apply(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        let x = self.check_input(x)?;
        let x = x.as_slice().expect("standard layout");
        let d = self.n_features.max(1);
        Ok(x.par_chunks(d).map(|r| self.leaf_index(r)).collect::<Vec<_>>().into())
    }

    /// Predicted target rows (`n × n_outputs`), in parallel over chunks of rows. Errors on a column
    /// count mismatch or a NaN/infinite feature value.
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let x = self.check_input(x)?;
        let n = x.nrows();
        let (d, k) = (self.n_features, self.n_outputs);
        let xs = x.as_slice().expect("standard layout");
        let mut out = Array2::<f32>::zeros((n, k));
        if n == 0 || k == 0 {
            return Ok(out);
        }
        out.as_slice_mut()
            .expect("fresh array")
            .par_chunks_mut(PREDICT_CHUNK * k)
            .enumerate()
            .for_each(|(c, o)| {
                let r0 = c * PREDICT_CHUNK;
                for (i, orow) in o.chunks_exact_mut(k).enumerate() {
                    let row = &xs[(r0 + i) * d..(r0 + i + 1) * d];
                    let leaf = self.leaf_index(row);
                    orow.copy_from_slice(&self.values[leaf * k..(leaf + 1) * k]);
                }
            });
        Ok(out)
    }

    fn check_input<'a>(&self, x: ArrayView2<'a, f32>) -> Result<ndarray::CowArray<'a, f32, ndarray::Ix2>> {
        if x.ncols() != self.n_features {
            return Err(KdError::Shape(format!("tree expects {} features, got {}", self.n_features, x.ncols())));
        }
        // Only the features the tree tests can affect the result, but reject any non-finite value like
        // fitting does; a parallel scan keeps this cheap.
        let bad = x
            .axis_iter(ndarray::Axis(0))
            .into_par_iter()
            .enumerate()
            .find_first(|(_, r)| r.iter().any(|v| !v.is_finite()));
        if let Some((row, r)) = bad {
            let (col, &value) = r.iter().enumerate().find(|(_, v)| !v.is_finite()).expect("found above");
            return Err(KdError::NonFinite { what: "features".into(), row, col, value });
        }
        Ok(if x.is_standard_layout() { ndarray::CowArray::from(x) } else { ndarray::CowArray::from(x.as_standard_layout().into_owned()) })
    }

    /// Structural check of a tree from outside (deserialised): sizes, indices, features, finiteness.
    pub fn validate(&self) -> std::result::Result<(), String> {
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
        Tree::predict(self, x)
    }
}
