//! A fitted [`Tree`] compiled for 8-bit features: prediction straight from `u8` rows.
//!
//! Data that are bytes at heart (image pixels, quantised sensors, ordinal codes) are usually fitted
//! as `f32` values `x = decode(b)`, e.g. `b / 255`. Predicting from the `f32` matrix then reads four
//! bytes per feature; for a deep tree on MNIST, where a row's path tests about 50 of its 784 features
//! spread over the whole row, that is most of its 3 KB row from memory, and memory bandwidth bounds the
//! speed. A [`ByteTree`] reads the bytes themselves (784 B per MNIST row).
//!
//! # The maths
//!
//! With `decode` non-decreasing, `decode(b) ≤ t` holds exactly for the bytes `b < c(t)`, where
//! `c(t) = #{b ∈ 0..=255 : decode(b) ≤ t}` (a prefix of the bytes, `0 ≤ c ≤ 256`). Each node's
//! threshold `t` becomes the cut `c(t)`, computed in `f32` with the same `decode`, so for every row
//! `ByteTree::predict_proba(b) == Tree::predict_proba(decode(b))` bit for bit (tested). A `decode` that decreases
//! anywhere, or gives a non-finite value, is refused.
//!
//! # Examples
//!
//! ```
//! use kdistill::student::tree::TreeParams;
//! use ndarray::array;
//! let bytes = array![[0u8, 10], [60, 200], [130, 30], [255, 90]];
//! let decode = |b: u8| b as f32 / 255.0;
//! let y = array![[1.0f32, 0.0], [1.0, 0.0], [0.3, 0.7], [0.0, 1.0]];
//! let tree = TreeParams::new().fit(bytes.mapv(decode).view(), y.view(), None).unwrap();
//! let fast = tree.for_bytes(decode).unwrap();
//! let test = array![[100u8, 0], [129, 255], [131, 7]];
//! assert_eq!(fast.predict_proba(test.view()).unwrap(), tree.predict_proba(test.mapv(decode).view()).unwrap());
//! assert_eq!(fast.apply(test.view()).unwrap(), tree.apply(test.mapv(decode).view()).unwrap());
//! ```
use super::model::Tree;
use super::route::{self, Split};
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, ArrayView2};

/// A routing node on bytes (8 bytes): `key = feature << 9 | cut`; rows with `x[feature] < cut` go to
/// `left`, others to `left + 1`. A leaf has `key = LEAF_KEY` (feature 0 and cut 511, which no split
/// has) and `left` its own index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(8))]
struct ByteNode {
    key: u32,
    left: u32,
}

/// Bits of `key` holding the cut (`0..=256` for a split).
const CUT_BITS: u32 = 9;
const CUT_MASK: u32 = (1 << CUT_BITS) - 1;
/// The key of a leaf: feature 0, a cut no byte reaches.
const LEAF_KEY: u32 = CUT_MASK;
/// Features must fit in the other 23 bits.
const MAX_FEATURES: usize = (u32::MAX >> CUT_BITS) as usize;
/// Rows in flight when routing byte rows (fastest of 32, 64 and 128 on MNIST).
const LANES: usize = 64;

impl Split<u8> for ByteNode {
    const PAIRED: bool = true;
    #[inline(always)]
    fn is_leaf(self) -> bool {
        self.key == LEAF_KEY
    }
    #[inline(always)]
    fn feature(self) -> usize {
        (self.key >> CUT_BITS) as usize
    }
    /// Every byte routes (a leaf gives itself).
    #[inline(always)]
    fn child(self, v: u8) -> Option<u32> {
        Some(self.left + (v as u32 >= self.key & CUT_MASK) as u32)
    }
    #[inline(always)]
    fn kids(self) -> (u32, u32) {
        (self.left, self.left + 1)
    }
}

/// A [`Tree`] whose thresholds are cuts between byte values (see the [module docs](self)), with the
/// same leaves and values. Its nodes are 8 bytes, laid out depth-first with the two children of a node
/// side by side in one cache line (index 1 is padding, so every pair starts at an even index).
///
/// # Examples
///
/// MNIST-like pixels: fit on `pixel / 255` ([`crate::data::idx::pixel_value`]), predict from the pixels.
///
/// ```
/// use kdistill::data::idx::pixel_value;
/// use kdistill::student::tree::TreeParams;
/// use ndarray::Array2;
/// let pixels = Array2::from_shape_fn((300, 16), |(i, j)| ((i * 37 + j * 101) % 256) as u8);
/// let y = Array2::from_shape_fn((300, 3), |(i, k)| ((pixels[[i, 3]] as usize + pixels[[i, 9]] as usize) % 3 == k) as u8 as f32);
/// let tree = TreeParams::new().fit(pixels.mapv(pixel_value).view(), y.view(), None).unwrap();
/// let fast = tree.for_bytes(pixel_value).unwrap();
/// assert_eq!((fast.n_features(), fast.n_outputs()), (16, 3));
/// assert_eq!(fast.predict_proba(pixels.view()).unwrap(), tree.predict_proba(pixels.mapv(pixel_value).view()).unwrap());
/// assert!(fast.predict_proba(Array2::<u8>::zeros((2, 15)).view()).is_err()); // 15 columns, tree has 16
/// // A decoding that is not monotone cannot be turned into cuts.
/// assert!(tree.for_bytes(|b| -(b as f32)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ByteTree {
    n_features: usize,
    n_outputs: usize,
    nodes: Vec<ByteNode>,
    /// Per node of `nodes`, the index of the node in the tree it came from (`u32::MAX` for the padding).
    orig: Vec<u32>,
    /// `nodes.len() × n_outputs` values (zeros for internal nodes and the padding).
    values: Vec<f32>,
}

impl Tree {
    /// This tree for byte rows `b` of features `x = decode(b)`; `decode` must be finite and
    /// non-decreasing on `0..=255` (an error names the first byte where it is not).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// // The threshold 0.5 on b / 100 sends bytes 0..=50 left: cut 51.
    /// let fast = tree.for_bytes(|b| b as f32 / 100.0).unwrap();
    /// assert_eq!(fast.apply(ndarray::array![[50u8], [51]].view()).unwrap().to_vec(), vec![1, 2]);
    /// let e = tree.for_bytes(|b| if b == 7 { f32::NAN } else { b as f32 }).unwrap_err();
    /// assert!(e.to_string().contains("decode(7)"), "{e}");
    /// ```
    pub fn for_bytes(&self, decode: impl Fn(u8) -> f32) -> Result<ByteTree> {
        let table: Vec<f32> = (0..=255u8).map(&decode).collect();
        for (b, &v) in table.iter().enumerate() {
            if !v.is_finite() {
                return Err(KdError::param("decode", format!("decode({b}) = {v}"), "the decoded values must be finite"));
            }
            if b > 0 && v < table[b - 1] {
                return Err(KdError::param(
                    "decode",
                    format!("decode({b}) = {v} < decode({}) = {}", b - 1, table[b - 1]),
                    "the decoding must be non-decreasing, so that each threshold is a cut between bytes",
                ));
            }
        }
        if self.n_features() >= MAX_FEATURES {
            return Err(KdError::param("n_features", self.n_features(), format!("a byte tree takes fewer than {MAX_FEATURES} features")));
        }
        let src = self.nodes();
        let k = self.n_outputs();
        let m = src.len() + usize::from(src.len() > 1);
        let mut nodes: Vec<ByteNode> = (0..m as u32).map(|i| ByteNode { key: LEAF_KEY, left: i }).collect();
        let mut orig = vec![u32::MAX; m];
        let mut values = vec![0f32; m * k];
        // Depth-first: a node's children get the next free pair, then its left subtree is laid out first.
        let mut free = 2u32;
        let mut stack = vec![(0usize, 0usize)];
        while let Some((o, i)) = stack.pop() {
            let n = src[o];
            orig[i] = o as u32;
            if n.is_leaf() {
                values[i * k..(i + 1) * k].copy_from_slice(self.value(o));
                continue;
            }
            // These hold for any validated tree; they keep a malformed one from making a malformed copy.
            if n.feature as usize >= self.n_features() || free as usize + 2 > m {
                return Err(KdError::Shape(format!("node {o} of the tree does not fit a binary tree on {} features", self.n_features())));
            }
            let cut = table.partition_point(|&v| v <= n.threshold) as u32;
            nodes[i] = ByteNode { key: (n.feature << CUT_BITS) | cut, left: free };
            stack.push((n.right as usize, free as usize + 1));
            stack.push((n.left as usize, free as usize));
            free += 2;
        }
        Ok(ByteTree { n_features: self.n_features(), n_outputs: k, nodes, orig, values })
    }
}

impl ByteTree {
    /// Number of features (bytes per row).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of outputs `K`.
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// The leaf of every row, as an index into `nodes`.
    fn leaves(&self, x: ArrayView2<u8>) -> Result<Vec<usize>> {
        // Every byte routes (`ByteNode::child` is never `None`), so the error is never built.
        route::leaves::<LANES, _, _>(&self.nodes, self.n_features, x, |row, col, v| KdError::non_finite("byte features", row, col, v as f32))
    }

    /// Leaf reached by each byte row, as its index in the [`Tree`] (what [`Tree::apply`] gives on the
    /// decoded rows).
    pub fn apply(&self, x: ArrayView2<u8>) -> Result<Array1<usize>> {
        Ok(self.leaves(x)?.into_iter().map(|i| self.orig[i] as usize).collect())
    }

    /// Predicted target rows (`n × n_outputs`), in parallel over chunks of rows; errors on a column
    /// count mismatch.
    pub fn predict_proba(&self, x: ArrayView2<u8>) -> Result<Array2<f32>> {
        Ok(route::gather(&self.values, self.n_outputs, &self.leaves(x)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::student::tree::TreeParams;
    use ndarray::Array2;
    use proptest::prelude::*;

    #[test]
    fn cuts_are_counted_by_hand() {
        // Thresholds 0.5 (x ≤ 0.5 left) on decode(b) = b / 4: bytes 0, 1, 2 decode to ≤ 0.5, so cut 3.
        let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
        let fast = tree.for_bytes(|b| b as f32 / 4.0).unwrap();
        // Root (feature 0, cut 3), padding, then the two leaves side by side.
        assert_eq!(fast.nodes[0], ByteNode { key: 3, left: 2 });
        assert!(fast.nodes[1..].iter().all(|n| n.is_leaf()));
        assert_eq!(fast.orig, vec![0, u32::MAX, 1, 2]);
        // A threshold below every decoded value sends every byte right (cut 0); above all, left (256).
        assert_eq!(tree.for_bytes(|b| 1.0 + b as f32).unwrap().nodes[0].key, 0);
        assert_eq!(tree.for_bytes(|b| -1.0 - 1e-3 * (255 - b) as f32).unwrap().nodes[0].key, 256);
        // A flat decoding is allowed: all bytes decode to 0 ≤ 0.5.
        assert_eq!(tree.for_bytes(|_| 0.0).unwrap().apply(ndarray::array![[255u8]].view()).unwrap().to_vec(), vec![1]);
    }

    #[test]
    fn a_decreasing_decoding_is_refused_naming_the_byte() {
        let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
        let e = tree.for_bytes(|b| if b == 200 { 0.0 } else { b as f32 }).unwrap_err().to_string();
        assert!(e.contains("decode(200) = 0 < decode(199) = 199"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Random bytes, a random monotone decoding (with flat runs), random targets: the byte tree
        /// predicts exactly what the tree predicts on the decoded rows, on unseen rows too.
        #[test]
        fn byte_predictions_equal_decoded_predictions(seed in 0u64..1000, n in 2usize..120, d in 1usize..6, step in 1u8..4, depth in 1usize..8) {
            let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut next = move || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (s >> 33) as u32 };
            let decode = move |b: u8| (b / step) as f32 * 0.37 - 5.0;
            let x = Array2::from_shape_fn((n, d), |_| (next() % 256) as u8);
            let y = Array2::from_shape_fn((n, 2), |_| (next() % 1000) as f32 / 1000.0);
            let tree = TreeParams::new().max_depth(Some(depth)).fit(x.mapv(decode).view(), y.view(), None).unwrap();
            let fast = tree.for_bytes(decode).unwrap();
            let test = Array2::from_shape_fn((77, d), |_| (next() % 256) as u8);
            for q in [&x, &test] {
                prop_assert_eq!(fast.apply(q.view()).unwrap(), tree.apply(q.mapv(decode).view()).unwrap());
                prop_assert_eq!(fast.predict_proba(q.view()).unwrap(), tree.predict_proba(q.mapv(decode).view()).unwrap());
            }
        }
    }
}
