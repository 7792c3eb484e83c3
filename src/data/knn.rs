//! Exact nearest-neighbour search with a k-d tree, used by MUNGE ([`crate::augment::munge`]) and by the
//! nearest-row teacher ([`crate::teacher::table::NearestProbTable`]).
//!
//! The tree is built on rows the caller has already standardised (each caller keeps its own
//! standardisation, so its distances are bit-for-bit what a brute-force scan computes). The answer
//! for a query `q` is the row `i` that minimises `(‖q − z_i‖², i)` lexicographically: the smallest
//! squared Euclidean distance, then the **lowest index** on ties (duplicate rows included). Rows at
//! infinite or NaN distance never win; when no row is at a finite distance the answer is `None`.
//!
//! # Algorithm and cost
//!
//! Building splits the rows at the median of the feature with the largest spread, recursively, down
//! to leaves of at most 16 rows: `O(n · d · log n)` time, `O(n · d)` memory (the rows are copied in
//! tree order, contiguous, for cache-friendly scans). A query descends to the query's leaf, then
//! visits the far side of a split only when the squared distance from the query to that side's cell
//! (`Σ_j off_j²`, with `off_j` the query's distance to the cell along feature `j`) is not *larger* than
//! the best distance so far (equal is visited, because a lower index may tie), and stops summing a
//! row's distance as soon as the partial sum exceeds the best. Both bounds hold in floating point as
//! well as exactly (they are summed in the same feature order as the distances, rounding is monotone
//! and all terms are non-negative), so the search is exact, not approximate. On low-dimensional data (`d` up to about 10) a query costs about
//! `O(log n)`; in high dimensions pruning fades and it tends to the brute-force `O(n · d)`. Batches are
//! parallel over query rows (rayon).
//!
//! ```
//! use kdistill::data::knn::KdTree;
//! use ndarray::array;
//! let z = array![[0.0f32, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]];
//! let tree = KdTree::new(z.view());
//! // [0.9, 0.1] is nearest to [1, 0], which is both row 1 and row 3: the lower index wins.
//! assert_eq!(tree.nearest(&[0.9, 0.1], None), Some(1));
//! // Each row's nearest *other* row (MUNGE's neighbours): row 1 and row 3 are duplicates.
//! assert_eq!(tree.nearest_other_rows(), vec![Some(1), Some(3), Some(0), Some(1)]);
//! ```
use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

/// Rows per leaf: below this a linear scan beats more splitting.
const LEAF_SIZE: usize = 16;

#[derive(Debug, Clone)]
enum Node {
    /// Rows `start..end` of the tree-ordered storage.
    Leaf { start: usize, end: usize },
    /// Left subtree: rows with `z[dim] ≤ value`; right subtree: rows with `z[dim] ≥ value`.
    Split { dim: usize, value: f32, left: usize, right: usize },
}

/// An exact k-d tree over the rows of a matrix. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use kdistill::data::knn::KdTree;
/// use ndarray::{array, Array2};
/// // 1000 points on a 10 × 100 grid; a query's nearest grid point is its rounding.
/// let z = Array2::from_shape_fn((1000, 2), |(i, j)| if j == 0 { (i / 100) as f32 } else { (i % 100) as f32 });
/// let tree = KdTree::new(z.view());
/// assert_eq!((tree.len(), tree.dim()), (1000, 2));
/// assert_eq!(tree.nearest(&[3.2, 41.9], None), Some(3 * 100 + 42));
/// // Excluding a row: the nearest row to row 0 other than itself.
/// assert_eq!(tree.nearest(&[0.0, 0.0], Some(0)), Some(1));
/// let q = array![[9.0f32, 99.0], [-5.0, -5.0]];
/// assert_eq!(tree.nearest_rows(q.view()), vec![Some(999), Some(0)]);
/// ```
#[derive(Debug, Clone)]
pub struct KdTree {
    d: usize,
    /// Rows in tree order, `n × d`, row-major.
    pts: Vec<f32>,
    /// Original row index of each stored row.
    ids: Vec<usize>,
    nodes: Vec<Node>,
}

impl KdTree {
    /// Build the tree on the rows of `z` (`n × d`, already standardised by the caller). Any shape is
    /// accepted: with no rows every query answers `None`; with no columns every row is at distance 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::knn::KdTree;
    /// use ndarray::array;
    /// let tree = KdTree::new(array![[0.0f32], [5.0], [2.0]].view());
    /// assert_eq!(tree.nearest(&[3.0], None), Some(2));
    /// assert!(KdTree::new(ndarray::Array2::<f32>::zeros((0, 3)).view()).is_empty());
    /// ```
    pub fn new(z: ArrayView2<f32>) -> Self {
        let (n, d) = z.dim();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut nodes = Vec::new();
        if n > 0 {
            build(z, &mut perm, 0, &mut nodes);
        }
        let mut pts = Vec::with_capacity(n * d);
        for &i in &perm {
            pts.extend(z.row(i).iter().copied());
        }
        Self { d, pts, ids: perm, nodes }
    }

    /// Number of rows.
    ///
    /// # Examples
    ///
    /// ```
    /// let tree = kdistill::data::knn::KdTree::new(ndarray::array![[1.0f32, 2.0]].view());
    /// assert_eq!(tree.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the tree has no rows.
    ///
    /// # Examples
    ///
    /// ```
    /// let tree = kdistill::data::knn::KdTree::new(ndarray::array![[1.0f32, 2.0]].view());
    /// assert!(!tree.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of features `d` of every row.
    ///
    /// # Examples
    ///
    /// ```
    /// let tree = kdistill::data::knn::KdTree::new(ndarray::array![[1.0f32, 2.0]].view());
    /// assert_eq!(tree.dim(), 2);
    /// ```
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Index of the row nearest to `q` (smallest squared distance, then lowest index), skipping row
    /// `exclude` when given. `None` when no (other) row is at a finite distance.
    ///
    /// # Panics
    /// When `q.len()` differs from [`KdTree::dim`] (callers check shapes and return a typed error).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::knn::KdTree;
    /// let tree = KdTree::new(ndarray::array![[0.0f32, 0.0], [2.0, 0.0]].view());
    /// assert_eq!(tree.nearest(&[1.0, 0.0], None), Some(0)); // a tie: the lower index
    /// assert_eq!(tree.nearest(&[1.0, 0.0], Some(0)), Some(1));
    /// assert_eq!(KdTree::new(ndarray::array![[0.0f32, 0.0]].view()).nearest(&[0.0, 0.0], Some(0)), None);
    /// ```
    pub fn nearest(&self, q: &[f32], exclude: Option<usize>) -> Option<usize> {
        assert_eq!(q.len(), self.d, "query has {} features, the tree {}", q.len(), self.d);
        if self.nodes.is_empty() {
            return None;
        }
        let mut best = Best { dist: f32::INFINITY, id: usize::MAX };
        let mut off = vec![0.0f32; self.d];
        self.search(0, q, exclude.unwrap_or(usize::MAX), &mut best, &mut off);
        (best.id != usize::MAX).then_some(best.id)
    }

    /// [`KdTree::nearest`] for every row of `q` (parallel over rows).
    ///
    /// # Panics
    /// When `q.ncols()` differs from [`KdTree::dim`].
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::knn::KdTree;
    /// use ndarray::array;
    /// let tree = KdTree::new(array![[0.0f32], [10.0]].view());
    /// assert_eq!(tree.nearest_rows(array![[4.0f32], [6.0], [5.0]].view()), vec![Some(0), Some(1), Some(0)]);
    /// ```
    pub fn nearest_rows(&self, q: ArrayView2<f32>) -> Vec<Option<usize>> {
        assert_eq!(q.ncols(), self.d, "query has {} features, the tree {}", q.ncols(), self.d);
        q.axis_iter(Axis(0))
            .into_par_iter()
            .map(|r| match r.as_slice() {
                Some(s) => self.nearest(s, None),
                None => self.nearest(&r.to_vec(), None),
            })
            .collect()
    }

    /// For each row `i` of the tree (original order), the nearest *other* row: `nearest(z_i, Some(i))`
    /// (parallel over rows). This is the neighbour MUNGE perturbs towards.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::knn::KdTree;
    /// let tree = KdTree::new(ndarray::array![[0.0f32], [1.0], [3.0]].view());
    /// assert_eq!(tree.nearest_other_rows(), vec![Some(1), Some(0), Some(1)]);
    /// ```
    pub fn nearest_other_rows(&self) -> Vec<Option<usize>> {
        // Queries in tree order (neighbouring queries share the cache), answers in row order.
        let found: Vec<Option<usize>> = (0..self.len()).into_par_iter().map(|p| self.nearest(self.row(p), Some(self.ids[p]))).collect();
        let mut out = vec![None; self.len()];
        for (p, f) in found.into_iter().enumerate() {
            out[self.ids[p]] = f;
        }
        out
    }

    /// Stored row at tree position `p`.
    fn row(&self, p: usize) -> &[f32] {
        &self.pts[p * self.d..(p + 1) * self.d]
    }

    /// Search the subtree `node`. `off[j]` is a lower bound on `|q_j − z_ij|` (as computed in `f32`)
    /// for every row `i` of the subtree: 0, or the distance to the plane of an ancestor split whose
    /// far side holds the subtree.
    fn search(&self, node: usize, q: &[f32], exclude: usize, best: &mut Best, off: &mut [f32]) {
        match self.nodes[node] {
            Node::Leaf { start, end } => {
                for p in start..end {
                    let id = self.ids[p];
                    if id == exclude {
                        continue;
                    }
                    let d = partial_dist(q, self.row(p), best.dist);
                    if d < best.dist || (d == best.dist && id < best.id && d < f32::INFINITY) {
                        *best = Best { dist: d, id };
                    }
                }
            }
            Node::Split { dim, value, left, right } => {
                let diff = q[dim] - value;
                let (near, far) = if diff < 0.0 { (left, right) } else { (right, left) };
                self.search(near, q, exclude, best, off);
                // Every row of `far` is at least |diff| away along `dim` (and `off[j]` along the other
                // features), so its squared distance is at least `Σ_j off_j²`, summed in the same order
                // as the distances themselves (rounding is monotone, the terms are non-negative).
                // Visit it unless that bound is strictly worse than the best: a row at an equal distance
                // may have a lower index.
                let old = off[dim];
                off[dim] = old.max(diff.abs());
                let mut bound = 0.0f32;
                for &o in off.iter() {
                    bound += o * o;
                }
                if !(bound > best.dist) {
                    self.search(far, q, exclude, best, off);
                }
                off[dim] = old;
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Best {
    dist: f32,
    id: usize,
}

/// `Σ_j (q_j − r_j)²` summed in feature order (the brute-force order); stops early once the partial
/// sum exceeds `bound` (the full sum could only be larger).
#[inline]
fn partial_dist(q: &[f32], r: &[f32], bound: f32) -> f32 {
    let mut s = 0.0f32;
    for (a, b) in q.iter().zip(r) {
        let t = a - b;
        s += t * t;
        if s > bound {
            return s;
        }
    }
    s
}

/// Build the subtree over `perm` (row indices of `z`), appending nodes to `nodes`; returns its index.
fn build(z: ArrayView2<f32>, perm: &mut [usize], offset: usize, nodes: &mut Vec<Node>) -> usize {
    let me = nodes.len();
    let n = perm.len();
    let leaf = Node::Leaf { start: offset, end: offset + n };
    if n <= LEAF_SIZE || z.ncols() == 0 {
        nodes.push(leaf);
        return me;
    }
    // The feature with the largest spread (NaN spreads are never chosen).
    let mut dim = 0;
    let mut spread = 0.0f32;
    for j in 0..z.ncols() {
        let (lo, hi) = perm.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &i| {
            let v = z[[i, j]];
            (lo.min(v), hi.max(v))
        });
        if hi - lo > spread {
            spread = hi - lo;
            dim = j;
        }
    }
    if !(spread > 0.0) {
        nodes.push(leaf); // all rows identical (or unsplittable)
        return me;
    }
    let mid = n / 2;
    perm.select_nth_unstable_by(mid, |&a, &b| z[[a, dim]].total_cmp(&z[[b, dim]]));
    let value = z[[perm[mid], dim]];
    nodes.push(Node::Split { dim, value, left: 0, right: 0 });
    let (l, r) = perm.split_at_mut(mid);
    let left = build(z, l, offset, nodes);
    let right = build(z, r, offset + mid, nodes);
    nodes[me] = Node::Split { dim, value, left, right };
    me
}

/// Brute-force reference with the same rule (test oracle only).
#[cfg(test)]
pub(crate) fn brute_nearest(z: ArrayView2<f32>, q: &[f32], exclude: Option<usize>) -> Option<usize> {
    let mut best = (f32::INFINITY, None);
    for (k, r) in z.axis_iter(Axis(0)).enumerate() {
        if Some(k) == exclude {
            continue;
        }
        let d: f32 = q.iter().zip(r.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
        if d < best.0 {
            best = (d, Some(k));
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use proptest::prelude::*;

    /// Random matrices with few distinct values per cell (so many ties and duplicate rows), sometimes
    /// with continuous values, and enough rows to force several levels of splits.
    fn matrix() -> impl Strategy<Value = Array2<f32>> {
        (1usize..200, 1usize..5, prop::bool::ANY).prop_flat_map(|(n, d, discrete)| {
            let cell = if discrete { (0i32..4).prop_map(|v| v as f32 * 0.5).boxed() } else { (-100.0f32..100.0).boxed() };
            prop::collection::vec(cell, n * d).prop_map(move |v| Array2::from_shape_vec((n, d), v).unwrap())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matches_brute_force(z in matrix(), q in prop::collection::vec((0i32..8).prop_map(|v| v as f32 * 0.25 - 0.25), 40)) {
            let tree = KdTree::new(z.view());
            let d = z.ncols();
            // Own rows, excluding themselves (MUNGE).
            let other = tree.nearest_other_rows();
            for i in 0..z.nrows() {
                let r = z.row(i).to_vec();
                prop_assert_eq!(other[i], brute_nearest(z.view(), &r, Some(i)), "row {}", i);
                prop_assert_eq!(tree.nearest(&r, None), brute_nearest(z.view(), &r, None));
            }
            // Outside queries (the nearest-row teacher), on the grid so that ties are common.
            let qs = Array2::from_shape_fn((q.len() / d, d), |(i, j)| q[i * d + j]);
            let got = tree.nearest_rows(qs.view());
            for (i, r) in qs.axis_iter(Axis(0)).enumerate() {
                prop_assert_eq!(got[i], brute_nearest(z.view(), &r.to_vec(), None));
            }
        }
    }

    #[test]
    fn ties_take_the_lowest_index_even_across_leaves() {
        // 100 copies of the same row: every query ties with all of them; the answer is row 0 (or 1).
        let z = Array2::from_elem((100, 3), 1.5f32);
        let tree = KdTree::new(z.view());
        assert_eq!(tree.nearest(&[0.0, 0.0, 0.0], None), Some(0));
        let other = tree.nearest_other_rows();
        assert_eq!(other[0], Some(1));
        assert!(other[1..].iter().all(|&o| o == Some(0)));
        // Each value 0..10 on 100 rows spread over many leaves: the lowest index of the value wins.
        let z = Array2::from_shape_fn((1000, 1), |(i, _)| (i % 10) as f32);
        let tree = KdTree::new(z.view());
        assert_eq!(tree.nearest(&[3.0], None), Some(3));
        assert_eq!(tree.nearest(&[3.5], None), Some(3));
        assert_eq!(tree.nearest_other_rows()[3], Some(13));
        assert_eq!(tree.nearest_other_rows()[993], Some(3));
        // Points on a line, query exactly between two of them after many splits.
        let z = Array2::from_shape_fn((1000, 1), |(i, _)| i as f32);
        let tree = KdTree::new(z.view());
        assert_eq!(tree.nearest(&[500.5], None), Some(500));
        assert_eq!(tree.nearest(&[2000.0], None), Some(999));
    }

    #[test]
    fn degenerate_inputs() {
        let empty = KdTree::new(Array2::<f32>::zeros((0, 2)).view());
        assert_eq!(empty.nearest(&[0.0, 0.0], None), None);
        assert!(empty.nearest_rows(Array2::zeros((3, 2)).view()).iter().all(Option::is_none));
        let single = KdTree::new(array![[1.0f32, 2.0]].view());
        assert_eq!(single.nearest_other_rows(), vec![None]);
        let no_cols = KdTree::new(Array2::<f32>::zeros((40, 0)).view());
        assert_eq!(no_cols.nearest(&[], Some(0)), Some(1));
        // A NaN row never wins; an infinite query is at infinite distance from everything.
        let z = array![[f32::NAN, 0.0], [5.0, 5.0]];
        assert_eq!(KdTree::new(z.view()).nearest(&[0.0, 0.0], None), Some(1));
        assert_eq!(KdTree::new(z.view()).nearest(&[f32::INFINITY, 0.0], None), None);
        // Non-contiguous query rows (a column-major view) work too.
        let t = KdTree::new(array![[0.0f32, 0.0], [1.0, 1.0]].view());
        let q = array![[0.9f32, 0.2], [0.8, 1.0]];
        assert_eq!(t.nearest_rows(q.t().t()), vec![Some(1), Some(1)]);
        assert_eq!(t.nearest_rows(q.reversed_axes().t()), vec![Some(1), Some(1)]);
    }
}
