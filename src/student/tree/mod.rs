//! The crate's own multi-output regression tree: CART on a target matrix (e.g. probability vectors),
//! fast enough for MNIST (histogram split search on binned features, parallel with rayon).
//!
//! # Public API
//!
//! * [`TreeParams`] — builder (`Default` + setters `max_depth(Option<usize>)`, `max_leaves(Option<usize>)`,
//!   `min_samples_leaf(usize)`, `min_impurity_decrease(f64)`, `max_bins(usize)`), validated at fit:
//!   * [`TreeParams::fit`]`(x: ArrayView2<f32>, y: ArrayView2<f32>, weights: Option<ArrayView1<f32>>) -> Result<Tree>`
//!   * [`TreeParams::fit_binned`]`(&BinnedMatrix, y, weights) -> Result<Tree>` — bin once, fit many trees;
//!   * `impl Student for TreeParams` (fits `FitData.targets` with `FitData.weights`).
//! * [`BinnedMatrix::new`]`(x, max_bins)` — the quantised features (`u8` codes, column-major).
//! * [`Tree`] — fitted model: [`Tree::predict_proba`]`(x) -> Result<Array2<f32>>` (`n × K`, batched, parallel),
//!   [`Tree::n_leaves`], [`Tree::depth`], [`Tree::n_outputs`], [`Tree::n_features`],
//!   [`Tree::feature_importances`], [`Tree::apply`] (leaf per row); `impl Predictor for Tree`
//!   (`predict_proba` gives the probability rows, `Predictor::predict` the argmax class: one meaning per name).
//! * [`Tree::for_bytes`]`(decode) -> Result<ByteTree>` — the same tree on `u8` rows of features
//!   `decode(b)` (pixels): [`ByteTree::predict_proba`]`(x: ArrayView2<u8>)`, [`ByteTree::apply`].
//! * [`export`] — [`Tree::save_json`]/[`Tree::load_json`] (versioned JSON), [`export::to_dot`]
//!   (Graphviz), [`export::to_text`] (rules like scikit-learn's `export_text`), `save_dot`, `save_text`.
//!
//! # The maths
//!
//! Rows `i = 1..n` have features `x_i ∈ ℝ^d`, a target row `y_i ∈ ℝ^K` and a weight `w_i ≥ 0`. A node `t`
//! holding rows `I_t` has weight `W_t = Σ_{i∈I_t} w_i`, mean `ȳ_t = Σ w_i y_i / W_t` (its prediction) and
//!
//! ```text
//! SSE_t = Σ_{i∈I_t} w_i ‖y_i − ȳ_t‖² = Σ_k ( Σ w_i y_ik² − S_tk² / W_t ),   S_tk = Σ_{i∈I_t} w_i y_ik,
//! impurity_t = SSE_t / W_t   (weighted variance summed over the K outputs).
//! ```
//!
//! A split of `t` into `L`, `R` gains `Δ = SSE_t − SSE_L − SSE_R = Σ_k (S_Lk²/W_L + S_Rk²/W_R − S_tk²/W_t)`,
//! which needs only the per-bin sums `(count, W, S_k)`: no squares are accumulated. The split with the
//! largest `Δ` wins (ties: lowest feature, then lowest bin).
//!
//! *One-hot targets give exactly a Gini tree*: with `y_i = e_{c_i}`, `Σ_k var_k = Σ_k p_k(1 − p_k)
//! = 1 − Σ_k p_k²`, the Gini impurity of the class frequencies `p`, and the leaf value is the class
//! frequency vector. So hard-label and soft-label trees come from the same learner.
//!
//! Stopping (scikit-learn's semantics): a node is a leaf when it is at `max_depth`, holds fewer than
//! `2·min_samples_leaf` rows, is pure (`impurity / K ≤ ε`, the machine epsilon), has no split leaving
//! `min_samples_leaf` rows on both sides, or when the best split's weighted impurity decrease
//! `Δ / W_root` is below `min_impurity_decrease` (a zero-gain split is taken when that is 0, as in
//! scikit-learn, so XOR-like data still separate). Without `max_leaves` the growth order does not matter (depth-first, subtrees
//! in parallel); with `max_leaves` the open node with the largest `Δ` is split first (best-first, like
//! scikit-learn's `max_leaf_nodes`) until there are `max_leaves` leaves.
//!
//! Features are quantised once ([`bin`]); thresholds are real midpoints between the values on both
//! sides, so [`Tree::predict_proba`] runs on raw features. Same input ⇒ identical tree at any thread count.
//!
//! # How it is fast
//!
//! * **Binning** ([`bin`]): ≤ 256 bins per feature, exact for features with ≤ 256 distinct values
//!   (8-bit pixels); one pass over the rows with small hash tables (sorting only for features with more
//!   distinct values than bins).
//! * **Contiguous nodes**: the fit partitions, in place and stably, every column that can still split
//!   (and the rows' `[count, w, w·y]` slots), so a node is one contiguous range in every column.
//!   Features constant in a node are dropped for its subtree.
//! * **Histograms with the dominant bin skipped**: per node and feature, a 256-bin histogram of the
//!   slots; rows in the feature's most frequent bin (zero pixels) are skipped eight codes at a time
//!   and that bin is recovered as node total − other bins. Nodes of ≤ 48 rows sort their codes instead;
//!   nodes of two rows split on the lowest separating feature (all such splits have the same gain).
//! * **Vectorised scan**: the boundaries between present bins are evaluated four at a time (AVX2,
//!   chosen at run time, bit-identical to the portable code).
//! * **Parallelism** (rayon): over features within a large node, over subtrees in depth-first growth.
//! * **Memory**: the binned codes (`n·d` bytes; moved, not copied, by [`TreeParams::fit`]; copied once
//!   by [`TreeParams::fit_binned`]), the slot rows (`n · ⌈(K + 1 or 2)/4⌉·4` f64), and per-thread
//!   scratch of a few hundred kB: at most about twice the binned data plus the targets.
//! * **Prediction**: a flat array of 16-byte nodes; 32 rows are routed together, each step
//!   prefetching what the row's next step reads, chunks of rows in parallel. For 8-bit data, [`Tree::for_bytes`] gives a
//!   [`ByteTree`] that predicts from the `u8` rows, a quarter of the memory traffic.
//!
//! ```
//! use kdistill::student::tree::TreeParams;
//! use ndarray::array;
//! // A step at x = 1.5 in a two-output target.
//! let x = array![[0.0f32], [1.0], [2.0], [3.0]];
//! let y = array![[1.0f32, 0.0], [1.0, 0.0], [0.2, 0.8], [0.2, 0.8]];
//! let tree = TreeParams::default().max_depth(Some(3)).fit(x.view(), y.view(), None).unwrap();
//! assert_eq!((tree.n_leaves(), tree.depth()), (2, 1));
//! assert_eq!(tree.nodes()[0].threshold, 1.5);
//! let p = tree.predict_proba(array![[1.4f32], [1.6]].view()).unwrap();
//! assert_eq!(p, array![[1.0f32, 0.0], [0.2, 0.8]]);
//! ```
pub mod bin;
mod bin_bytes;
pub mod bytes;
pub mod export;
mod grow;
mod kernel;
pub mod model;
pub mod params;
mod route;
pub mod table_tree;

#[cfg(test)]
mod tests;

pub use bin::{BinnedMatrix, FeatureBins};
pub use bin_bytes::ByteBinner;
pub use bytes::ByteTree;
pub use model::{Node, NodeStats, Tree, LEAF};
pub use params::{TreeParams, TreeValidParams};
pub use table_tree::TableTree;

use crate::error::{KdError, Result};
use crate::student::{FitData, Student};
use ndarray::{ArrayView1, ArrayView2};

impl TreeParams {
    /// Bin `x` with this `max_bins` and fit (see [`TreeParams::fit_binned`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// use ndarray::array;
    /// let x = array![[0.0f32], [1.0], [2.0], [3.0]];
    /// let y = array![[0.9f32, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]];
    /// let tree = TreeParams::new().max_leaves(Some(2)).fit(x.view(), y.view(), None).unwrap();
    /// let p = tree.predict_proba(array![[0.5f32]].view()).unwrap(); // the left leaf's mean target
    /// assert!((p[[0, 0]] - 0.85).abs() < 1e-6 && (p[[0, 1]] - 0.15).abs() < 1e-6);
    /// // Row weights shift the leaf means.
    /// let w = array![3.0f32, 1.0, 1.0, 1.0];
    /// let tw = TreeParams::new().max_leaves(Some(2)).fit(x.view(), y.view(), Some(w.view())).unwrap();
    /// let left = tw.nodes()[0].left as usize;
    /// assert!((tw.value(left)[0] - 0.875).abs() < 1e-6); // (3·0.9 + 0.8) / 4
    /// // Typed errors: 4 rows vs 3 targets, a negative weight.
    /// assert!(TreeParams::new().fit(x.view(), y.slice(ndarray::s![..3, ..]), None).is_err());
    /// assert!(TreeParams::new().fit(x.view(), y.view(), Some(array![1.0f32, -1.0, 1.0, 1.0].view())).is_err());
    /// ```
    pub fn fit(&self, x: ArrayView2<f32>, y: ArrayView2<f32>, weights: Option<ArrayView1<f32>>) -> Result<Tree> {
        let p = self.check()?;
        check_targets(x.nrows(), y, weights)?;
        let mut binned = BinnedMatrix::new(x, p.max_bins)?;
        let codes = binned.take_codes();
        Ok(grow::fit(&p, &binned, codes, y, weights))
    }

    /// Fit on already binned features (the matrix's own bins are used; `max_bins` is ignored). The
    /// codes are copied once (the fit partitions them in place); the matrix is not modified.
    /// `y` is `n × K` (finite), `weights` optional, finite, non-negative, with a positive sum.
    ///
    /// # Examples
    ///
    /// Bin once, fit several trees (here a depth sweep) on the same codes:
    ///
    /// ```
    /// use kdistill::student::tree::{BinnedMatrix, TreeParams};
    /// use ndarray::Array2;
    /// let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * 7 + j * 13) % 50) as f32);
    /// let y = Array2::from_shape_fn((200, 2), |(i, k)| if (x[[i, 0]] > 25.0) == (k == 1) { 1.0 } else { 0.0 });
    /// let binned = BinnedMatrix::new(x.view(), 256).unwrap();
    /// let depths: Vec<usize> = (1..=3)
    ///     .map(|d| TreeParams::new().max_depth(Some(d)).fit_binned(&binned, y.view(), None).unwrap().depth())
    ///     .collect();
    /// assert_eq!(depths, vec![1, 1, 1]); // one split on feature 0 already separates the classes
    /// // The same tree as fitting on the raw features.
    /// let direct = TreeParams::new().fit(x.view(), y.view(), None).unwrap();
    /// assert_eq!(TreeParams::new().fit_binned(&binned, y.view(), None).unwrap(), direct);
    /// ```
    pub fn fit_binned(&self, x: &BinnedMatrix, y: ArrayView2<f32>, weights: Option<ArrayView1<f32>>) -> Result<Tree> {
        let p = self.check()?;
        check_targets(x.n_rows(), y, weights)?;
        Ok(grow::fit(&p, x, x.codes().to_vec(), y, weights))
    }
}

fn check_targets(n: usize, y: ArrayView2<f32>, weights: Option<ArrayView1<f32>>) -> Result<()> {
    if n == 0 {
        return Err(KdError::Empty("no training rows".into()));
    }
    if y.nrows() != n {
        return Err(KdError::Shape(format!("{n} feature rows but {} target rows", y.nrows())));
    }
    if y.ncols() == 0 {
        return Err(KdError::Empty("target matrix has no columns".into()));
    }
    crate::base::check_finite(y, "targets")?;
    if let Some(w) = weights {
        crate::base::check_weights(w, n)?;
    }
    Ok(())
}

impl Student for TreeParams {
    type Model = Tree;
    fn fit_student(&self, data: FitData<'_>) -> Result<Tree> {
        data.check()?;
        self.fit(data.x, data.targets, data.weights)
    }
}
