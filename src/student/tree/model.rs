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
/// Rows routed together (interleaved) by one task.
const LANES: usize = 8;

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

    /// Route up to [`LANES`] rows at once, stepping all of them one level per round so that their
    /// (independent) node loads overlap. Writes `slots.len()` leaves; on a non-finite tested value
    /// returns the first such lane and its feature.
    #[inline]
    fn leaves_interleaved(&self, rows: &[&[f32]; LANES], slots: &mut [usize]) -> std::result::Result<(), (usize, usize)> {
        let m = slots.len();
        let mut idx = [0usize; LANES];
        let mut bad: Option<(usize, usize)> = None;
        let mut stopped = 0u32; // lanes halted on a non-finite value
        loop {
            let mut moved = false;
            for l in 0..m {
                let n = self.nodes[idx[l]];
                if n.feature == LEAF || stopped & (1 << l) != 0 {
                    continue;
                }
                let v = rows[l][n.feature as usize];
                if !v.is_finite() {
                    stopped |= 1 << l;
                    if bad.is_none_or(|b| l < b.0) {
                        bad = Some((l, n.feature as usize));
                    }
                    continue;
                }
                idx[l] = if v <= n.threshold { n.left } else { n.right } as usize;
                moved = true;
            }
            if !moved {
                break;
            }
        }
        if let Some(b) = bad {
            return Err(b);
        }
        slots.copy_from_slice(&idx[..m]);
        Ok(())
    }

    /// The leaf of every row of `x` into `out`, in parallel chunks; errors name the first row (in
    /// order) with a non-finite value in a feature the tree tests on that row's path.
    fn route(&self, x: ArrayView2<f32>, out: &mut [usize]) -> Result<()> {
        if x.ncols() != self.n_features {
            return Err(KdError::Shape(format!("tree expects {} features, got {}", self.n_features, x.ncols())));
        }
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let d = self.n_features.max(1);
        let bad = out
            .par_chunks_mut(PREDICT_CHUNK)
            .enumerate()
            .map(|(c, o)| {
                let r0 = c * PREDICT_CHUNK;
                for (g, slots) in o.chunks_mut(LANES).enumerate() {
                    let base = r0 + g * LANES;
                    let rows: [&[f32]; LANES] = std::array::from_fn(|l| {
                        let r = base + l.min(slots.len() - 1);
                        &xs[r * d..(r + 1) * d]
                    });
                    if let Err((lane, col)) = self.leaves_interleaved(&rows, slots) {
                        return Some((base + lane, col, rows[lane][col]));
                    }
                }
                None
            })
            .find_first(|b| b.is_some())
            .flatten();
        match bad {
            Some((row, col, value)) => Err(KdError::NonFinite { what: "features".into(), row, col, value }),
            None => Ok(()),
        }
    }

    /// Leaf reached by each row of `x`.
    pub fn apply(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        let mut out = vec![0usize; x.nrows()];
        self.route(x, &mut out)?;
        Ok(out.into())
    }

    /// Predicted target rows (`n × n_outputs`), in parallel over chunks of rows. Errors on a column
    /// count mismatch, or a NaN/infinite value in a feature the tree tests on that row's path (other
    /// features are not read).
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let n = x.nrows();
        let k = self.n_outputs;
        let mut leaves = vec![0usize; n];
        self.route(x, &mut leaves)?;
        let mut out = Array2::<f32>::zeros((n, k));
        if n == 0 || k == 0 {
            return Ok(out);
        }
        out.as_slice_mut()
            .expect("fresh array")
            .par_chunks_mut(PREDICT_CHUNK * k)
            .zip(leaves.par_chunks(PREDICT_CHUNK))
            .for_each(|(o, ls)| {
                for (orow, &leaf) in o.chunks_exact_mut(k).zip(ls) {
                    orow.copy_from_slice(&self.values[leaf * k..(leaf + 1) * k]);
                }
            });
        Ok(out)
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
