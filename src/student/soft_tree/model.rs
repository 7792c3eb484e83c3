//! The fitted soft decision tree: plain arrays (no libtorch needed to predict, save or draw it).
use crate::error::{KdError, Result};
use crate::student::Predictor;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the JSON layout written by [`SoftTree::save_json`]; loading a newer version is an error.
pub const FORMAT_VERSION: u32 = 1;

impl crate::io::VersionedModel for SoftTree {
    const KIND: &'static str = "kdistill.soft_tree";
    const VERSION: u32 = FORMAT_VERSION;
    const KEY: &'static str = "soft_tree";
    const NAME: &'static str = "soft tree";
    fn check_loaded(&self) -> std::result::Result<(), String> {
        self.check_parts()
    }
}

/// How [`SoftTree::predict_proba`] turns the leaves into one distribution.
///
/// # Examples
///
/// ```
/// use kdistill::student::soft_tree::Routing;
/// assert_eq!(Routing::default(), Routing::MaxPath);
/// assert_eq!("mixture".parse::<Routing>()?, Routing::Mixture);
/// assert!("vote".parse::<Routing>().is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The distribution of the one leaf with the greatest path probability: a path of `depth` filters
    /// explains the decision (Frosst & Hinton's interpretable prediction).
    #[default]
    MaxPath,
    /// `Σ_ℓ P_ℓ(x) Q_ℓ`: every leaf weighted by its path probability.
    Mixture,
}

impl std::str::FromStr for Routing {
    type Err = KdError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "max_path" | "maxpath" => Ok(Routing::MaxPath),
            "mixture" => Ok(Routing::Mixture),
            other => Err(KdError::param("routing", other, "expected max-path or mixture")),
        }
    }
}

/// A fitted soft decision tree of depth `d` (Frosst & Hinton 2017): inner nodes `0..2^d − 1` in
/// breadth-first order (node `i`'s children are `2i + 1`, left, and `2i + 2`, right), leaves `0..2^d`
/// left to right. See [the module docs](super) for the maths.
///
/// # Examples
///
/// A hand-built depth-1 tree on one feature: right when `x > 0`, the right leaf says class 1.
///
/// ```
/// use kdistill::student::{soft_tree::{Routing, SoftTree}, Predictor};
/// use ndarray::array;
/// let t = SoftTree::from_parts(4.0, array![[1.0f32]], array![0.0f32], array![[2.0f32, 0.0], [0.0, 2.0]])?;
/// assert_eq!((t.depth(), t.n_inner(), t.n_leaves(), t.n_features(), t.n_classes()), (1, 1, 2, 1, 2));
/// let x = array![[-1.0f32], [0.5]];
/// assert_eq!(t.max_path_leaf(x.view())?.to_vec(), vec![0, 1]);
/// assert_eq!(t.predict(x.view())?.to_vec(), vec![0, 1]);
/// // p_right(0.5) = σ(4·0.5) = 0.881; the mixture blends the two leaves.
/// let mix = t.with_routing(Routing::Mixture).predict_proba(x.view())?;
/// let q = 1.0 / (1.0 + (-2.0f32).exp()); // leaf distribution softmax(2, 0)
/// let p = 1.0 / (1.0 + (-2.0f32).exp());
/// assert!((mix[[1, 1]] - (p * q + (1.0 - p) * (1.0 - q))).abs() < 1e-6);
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftTree {
    depth: usize,
    beta: f32,
    /// Inner-node filters `w_i`, one row per inner node (`(2^d − 1) × n_features`).
    weights: Array2<f32>,
    /// Inner-node biases `b_i`.
    biases: Array1<f32>,
    /// Leaf logits `φ_ℓ` (`2^d × K`).
    leaf_logits: Array2<f32>,
    routing: Routing,
}

/// `σ(v)` without overflow.
fn sigmoid(v: f32) -> f32 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

impl SoftTree {
    /// A tree from its parameters: inverse temperature `beta > 0`, filters (`(2^d − 1) × n_features`),
    /// biases (`2^d − 1`) and leaf logits (`2^d × K`, `K ≥ 2`); `d` follows from the number of filters.
    /// Every value must be finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::soft_tree::SoftTree;
    /// use ndarray::{array, Array1, Array2};
    /// assert!(SoftTree::from_parts(1.0, array![[1.0f32]], array![0.0f32], array![[0.0f32, 0.0], [0.0, 0.0]]).is_ok());
    /// // two filters do not make a complete tree
    /// assert!(SoftTree::from_parts(1.0, Array2::zeros((2, 1)), Array1::zeros(2), Array2::zeros((3, 2))).is_err());
    /// assert!(SoftTree::from_parts(0.0, array![[1.0f32]], array![0.0f32], Array2::zeros((2, 2))).is_err());
    /// ```
    pub fn from_parts(beta: f32, weights: Array2<f32>, biases: Array1<f32>, leaf_logits: Array2<f32>) -> Result<SoftTree> {
        let n_inner = weights.nrows();
        let depth = (n_inner + 1).trailing_zeros() as usize;
        let t = SoftTree { depth, beta, weights, biases, leaf_logits, routing: Routing::MaxPath };
        t.check_parts().map_err(|m| KdError::param("soft tree", "parts", m))?;
        Ok(t)
    }

    /// Internal consistency: a complete tree of depth ≥ 1, matching shapes, finite values, `β > 0`.
    fn check_parts(&self) -> std::result::Result<(), String> {
        let n_inner = self.weights.nrows();
        if self.depth == 0 || n_inner + 1 != 1 << self.depth {
            return Err(format!("{n_inner} inner nodes: a complete tree of depth d ≥ 1 has 2^d − 1"));
        }
        if self.weights.ncols() == 0 {
            return Err("the filters have no features".into());
        }
        if self.biases.len() != n_inner {
            return Err(format!("{} biases for {n_inner} inner nodes", self.biases.len()));
        }
        if self.leaf_logits.nrows() != n_inner + 1 || self.leaf_logits.ncols() < 2 {
            return Err(format!("leaf logits are {:?}, expected ({}, K ≥ 2)", self.leaf_logits.dim(), n_inner + 1));
        }
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err(format!("inverse temperature β = {} must be finite and > 0", self.beta));
        }
        let finite = self.weights.iter().chain(self.biases.iter()).chain(self.leaf_logits.iter()).all(|v| v.is_finite());
        if !finite {
            return Err("non-finite parameter".into());
        }
        Ok(())
    }

    /// Depth `d` (every leaf is `d` decisions from the root).
    pub fn depth(&self) -> usize {
        self.depth
    }
    /// Inner nodes, `2^d − 1`.
    pub fn n_inner(&self) -> usize {
        self.weights.nrows()
    }
    /// Leaves, `2^d`.
    pub fn n_leaves(&self) -> usize {
        self.leaf_logits.nrows()
    }
    /// Input width.
    pub fn n_features(&self) -> usize {
        self.weights.ncols()
    }
    /// Number of classes `K`.
    pub fn n_classes(&self) -> usize {
        self.leaf_logits.ncols()
    }
    /// Learned inverse temperature `β` of the inner nodes.
    pub fn beta(&self) -> f32 {
        self.beta
    }
    /// Trainable parameters: filters, biases, leaf logits and `β`.
    pub fn n_params(&self) -> usize {
        self.weights.len() + self.biases.len() + self.leaf_logits.len() + 1
    }
    /// The filter `w_i` of inner node `i` (its bias is [`SoftTree::bias`]).
    pub fn filter(&self, i: usize) -> ArrayView1<'_, f32> {
        self.weights.row(i)
    }
    /// The bias `b_i` of inner node `i`.
    pub fn bias(&self, i: usize) -> f32 {
        self.biases[i]
    }
    /// Leaf `ℓ`'s class distribution `softmax(φ_ℓ)`.
    pub fn leaf_distribution(&self, leaf: usize) -> Array1<f32> {
        let row = self.leaf_logits.row(leaf);
        let m = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let e = row.mapv(|v| (v - m).exp());
        let s = e.sum();
        e / s
    }
    /// How [`SoftTree::predict_proba`] combines the leaves.
    pub fn routing(&self) -> Routing {
        self.routing
    }
    /// The same tree predicting with `routing`.
    pub fn with_routing(mut self, routing: Routing) -> SoftTree {
        self.routing = routing;
        self
    }

    fn check_input(&self, x: ArrayView2<f32>) -> Result<()> {
        if x.ncols() != self.n_features() {
            return Err(KdError::Shape(format!("the soft tree expects {} features, got {}", self.n_features(), x.ncols())));
        }
        crate::base::check_finite(x, "features")
    }

    /// `p_i(x) = σ(β·(w_i·x + b_i))`, the probability of going right at each inner node (`n × (2^d − 1)`).
    pub fn right_probs(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.check_input(x)?;
        let mut a = x.dot(&self.weights.t());
        a += &self.biases;
        let beta = self.beta;
        a.mapv_inplace(|v| sigmoid(beta * v));
        Ok(a)
    }

    /// Path probabilities `P_ℓ(x)` (`n × 2^d`, rows summing to 1): the product over `ℓ`'s ancestors of
    /// `p_i` where the path goes right and `1 − p_i` where it goes left.
    pub fn path_probs(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let p = self.right_probs(x)?;
        let mut out = Array2::<f32>::zeros((x.nrows(), self.n_leaves()));
        for (pr, mut o) in p.axis_iter(Axis(0)).zip(out.axis_iter_mut(Axis(0))) {
            let o = o.as_slice_mut().expect("rows of a fresh array are contiguous");
            path_probs_row(pr.as_slice().expect("contiguous"), self.depth, o);
        }
        Ok(out)
    }

    /// The leaf of greatest path probability for each row (ties: the leftmost).
    pub fn max_path_leaf(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        let p = self.path_probs(x)?;
        Ok(p.axis_iter(Axis(0)).map(|r| argmax(r.as_slice().expect("contiguous"))).collect())
    }

    /// The inner nodes from the root to `leaf`, each with the direction taken (`true` = right).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::soft_tree::SoftTree;
    /// use ndarray::{Array1, Array2};
    /// let t = SoftTree::from_parts(1.0, Array2::zeros((7, 2)), Array1::zeros(7), Array2::zeros((8, 2)))?;
    /// // leaf 5 = binary 101 below the root: right, left, right
    /// assert_eq!(t.path(5), vec![(0, true), (2, false), (5, true)]);
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn path(&self, leaf: usize) -> Vec<(usize, bool)> {
        let mut node = 0;
        (0..self.depth)
            .map(|l| {
                let right = (leaf >> (self.depth - 1 - l)) & 1 == 1;
                let here = node;
                node = 2 * node + 1 + usize::from(right);
                (here, right)
            })
            .collect()
    }

    /// Class probabilities with the given routing (`n × K`).
    pub fn predict_proba_with(&self, x: ArrayView2<f32>, routing: Routing) -> Result<Array2<f32>> {
        let q = Array2::from_shape_fn((self.n_leaves(), self.n_classes()), |(l, k)| self.leaf_distribution(l)[k]);
        match routing {
            Routing::Mixture => Ok(self.path_probs(x)?.dot(&q)),
            Routing::MaxPath => {
                let leaves = self.max_path_leaf(x)?;
                Ok(q.select(Axis(0), leaves.as_slice().expect("contiguous")))
            }
        }
    }

    /// The tree as versioned JSON text.
    pub fn to_json(&self) -> Result<String> {
        crate::io::model_to_json(self)
    }

    /// Parse JSON written by [`SoftTree::to_json`]; `origin` names the source in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<SoftTree> {
        crate::io::model_from_json(text, origin)
    }

    /// Write the tree as versioned JSON to `path` (atomically).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::soft_tree::SoftTree;
    /// use ndarray::array;
    /// let t = SoftTree::from_parts(2.0, array![[0.5f32, -1.0]], array![0.1f32], array![[1.0f32, 0.0], [0.0, 1.0]])?;
    /// let dir = tempfile::tempdir().unwrap();
    /// t.save_json(dir.path().join("sdt.json"))?;
    /// assert_eq!(SoftTree::load_json(dir.path().join("sdt.json"))?, t);
    /// std::fs::write(dir.path().join("bad.json"), "{\"format_version\": 1, \"model\": \"kdistill.tree\"}").unwrap();
    /// assert!(SoftTree::load_json(dir.path().join("bad.json")).is_err());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::io::save_model(self, path)
    }

    /// Load a tree saved by [`SoftTree::save_json`] (a missing file is [`KdError::Io`], anything else
    /// wrong [`KdError::Model`] naming the path).
    pub fn load_json(path: impl AsRef<Path>) -> Result<SoftTree> {
        crate::io::load_model(path)
    }
}

/// Path probabilities of one row from its right-probabilities `p` (breadth-first), into `out` (`2^d`).
fn path_probs_row(p: &[f32], depth: usize, out: &mut [f32]) {
    out[0] = 1.0;
    for l in 0..depth {
        let width = 1usize << l;
        let first = width - 1;
        // Children of position j at level l are 2j (left) and 2j + 1 (right): go backwards so each
        // parent is read before its slots are overwritten.
        for j in (0..width).rev() {
            let (reach, right) = (out[j], p[first + j]);
            out[2 * j] = reach * (1.0 - right);
            out[2 * j + 1] = reach * right;
        }
    }
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

impl Predictor for SoftTree {
    /// Class probabilities with the tree's [`Routing`] (max-path unless changed by [`SoftTree::with_routing`]).
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.predict_proba_with(x, self.routing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Depth 2 on two features, hand-set: root tests x₀, node 1 tests x₁, node 2 tests −x₁.
    fn tree() -> SoftTree {
        let w = array![[1.0f32, 0.0], [0.0, 1.0], [0.0, -1.0]];
        let phi = array![[3.0f32, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]];
        SoftTree::from_parts(2.0, w, array![0.0f32, 0.5, 0.0], phi).unwrap()
    }

    #[test]
    fn forward_pass_matches_a_hand_computation() {
        let t = tree();
        let x = array![[0.3f32, -0.2]];
        let s = |v: f32| 1.0 / (1.0 + (-v).exp());
        let (p0, p1, p2) = (s(2.0 * 0.3), s(2.0 * (-0.2 + 0.5)), s(2.0 * 0.2));
        let want = [(1.0 - p0) * (1.0 - p1), (1.0 - p0) * p1, p0 * (1.0 - p2), p0 * p2];
        let got = t.path_probs(x.view()).unwrap();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got} vs {want:?}");
        }
        assert!((got.sum() - 1.0).abs() < 1e-6);
        let leaf = t.max_path_leaf(x.view()).unwrap()[0];
        assert_eq!(leaf, (0..4).max_by(|&a, &b| want[a].total_cmp(&want[b])).unwrap());
        let mix = t.predict_proba_with(x.view(), Routing::Mixture).unwrap();
        let manual: Vec<f32> = (0..3).map(|k| (0..4).map(|l| want[l] * t.leaf_distribution(l)[k]).sum()).collect();
        for (g, w) in mix.iter().zip(&manual) {
            assert!((g - w).abs() < 1e-6);
        }
        assert_eq!(t.path(leaf).len(), 2);
    }

    #[test]
    fn json_round_trip_and_corruption() {
        let t = tree().with_routing(Routing::Mixture);
        let json = t.to_json().unwrap();
        assert!(json.starts_with(r#"{"format_version":1,"model":"kdistill.soft_tree""#));
        assert_eq!(SoftTree::from_json(&json, "m".as_ref()).unwrap(), t);
        let bad_beta = json.replace("\"beta\":2.0", "\"beta\":-1.0");
        assert!(SoftTree::from_json(&bad_beta, "m".as_ref()).unwrap_err().to_string().contains("corrupted soft tree"));
        let e = SoftTree::from_json(&json.replace(":1,", ":7,"), "m".as_ref()).unwrap_err().to_string();
        assert!(e.contains("newer"), "{e}");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let t = tree();
        assert!(matches!(t.predict_proba(array![[1.0f32]].view()), Err(KdError::Shape(_))));
        assert!(matches!(t.predict_proba(array![[f32::NAN, 0.0]].view()), Err(KdError::NonFinite { .. })));
    }
}
