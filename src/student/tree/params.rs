//! Hyper-parameters of the tree learner, validated at fit time.
use crate::error::{KdError, Result};
use serde::{Deserialize, Serialize};

/// Hyper-parameters of [`super::Tree`]. Build with [`TreeParams::default`] and the setters; every value
/// is checked when fitting (an invalid one gives [`KdError::InvalidParam`], never a panic).
///
/// | parameter | default | valid | meaning |
/// |---|---|---|---|
/// | `max_depth` | `None` | `Some(d ≥ 1)` or `None` | nodes at depth `d` (root = 0) are leaves |
/// | `max_leaves` | `None` | `Some(l ≥ 2)` or `None` | best-first growth, stop at `l` leaves |
/// | `min_samples_leaf` | 1 | ≥ 1 | rows (not weight) every leaf must hold |
/// | `min_impurity_decrease` | 0 | finite, ≥ 0 | split only if `(SSE_P − SSE_L − SSE_R) / W_total ≥` it |
/// | `max_bins` | 256 | 2..=256 | quantisation of each feature (used by [`TreeParams::fit`]) |
///
/// # Examples
///
/// Every setter, read back by its getter; invalid values surface at fit (or [`TreeParams::validate`]):
///
/// ```
/// use kdistill::student::tree::TreeParams;
/// let p = TreeParams::new()
///     .max_depth(Some(6))
///     .max_leaves(Some(32))
///     .min_samples_leaf(5)
///     .min_impurity_decrease(1e-4)
///     .max_bins(64);
/// assert_eq!((p.get_max_depth(), p.get_max_leaves(), p.get_min_samples_leaf()), (Some(6), Some(32), 5));
/// assert_eq!((p.get_min_impurity_decrease(), p.get_max_bins()), (1e-4, 64));
/// assert!(p.validate().is_ok());
/// let x = ndarray::Array2::from_shape_fn((100, 2), |(i, j)| ((i * (j + 3)) % 17) as f32);
/// let y = kdistill::base::one_hot(x.column(0).mapv(|v| usize::from(v > 8.0)).view(), 2).unwrap();
/// let tree = p.fit(x.view(), y.view(), None).unwrap();
/// assert!(tree.n_leaves() <= 32 && tree.depth() <= 6);
/// assert!(tree.stats().iter().all(|s| s.n_samples >= 5));
/// assert!(p.clone().max_bins(300).fit(x.view(), y.view(), None).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    pub(crate) max_depth: Option<usize>,
    pub(crate) max_leaves: Option<usize>,
    pub(crate) min_samples_leaf: usize,
    pub(crate) min_impurity_decrease: f64,
    pub(crate) max_bins: usize,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self { max_depth: None, max_leaves: None, min_samples_leaf: 1, min_impurity_decrease: 0.0, max_bins: 256 }
    }
}

impl TreeParams {
    /// The defaults: unlimited depth and leaves, `min_samples_leaf` 1, no impurity threshold, 256 bins.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// assert_eq!(TreeParams::new(), TreeParams::default());
    /// assert_eq!((TreeParams::new().get_max_depth(), TreeParams::new().get_max_bins()), (None, 256));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Maximum depth (root has depth 0); `None` = unlimited. `Some(0)` is rejected at fit.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Maximum number of leaves (≥ 2); when set, the tree grows best-first (largest gain first).
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn max_leaves(mut self, l: Option<usize>) -> Self {
        self.max_leaves = l;
        self
    }
    /// Minimum number of training rows in each leaf (≥ 1).
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn min_samples_leaf(mut self, m: usize) -> Self {
        self.min_samples_leaf = m;
        self
    }
    /// Minimum weighted impurity decrease of a split (finite, ≥ 0), scikit-learn's semantics.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn min_impurity_decrease(mut self, v: f64) -> Self {
        self.min_impurity_decrease = v;
        self
    }
    /// Number of bins per feature (2..=256) used by [`TreeParams::fit`].
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn max_bins(mut self, b: usize) -> Self {
        self.max_bins = b;
        self
    }

    /// Current `max_depth`.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn get_max_depth(&self) -> Option<usize> {
        self.max_depth
    }
    /// Current `max_leaves`.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn get_max_leaves(&self) -> Option<usize> {
        self.max_leaves
    }
    /// Current `min_samples_leaf`.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn get_min_samples_leaf(&self) -> usize {
        self.min_samples_leaf
    }
    /// Current `min_impurity_decrease`.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn get_min_impurity_decrease(&self) -> f64 {
        self.min_impurity_decrease
    }
    /// Current `max_bins`.
    ///
    /// See the [`TreeParams`] example, which sets every parameter and reads it back.
    pub fn get_max_bins(&self) -> usize {
        self.max_bins
    }

    /// Check every parameter (called by the fit functions).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{student::tree::TreeParams, KdError};
    /// assert!(TreeParams::new().validate().is_ok());
    /// let e = TreeParams::new().max_depth(Some(0)).validate().unwrap_err();
    /// assert!(matches!(e, KdError::InvalidParam { name: "max_depth", .. }));
    /// assert!(TreeParams::new().min_impurity_decrease(f64::NAN).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(KdError::param("max_depth", 0, "must be ≥ 1 (or None for unlimited)"));
        }
        if let Some(l) = self.max_leaves {
            if l < 2 {
                return Err(KdError::param("max_leaves", l, "must be ≥ 2 (or None for unlimited)"));
            }
        }
        if self.min_samples_leaf == 0 {
            return Err(KdError::param("min_samples_leaf", 0, "must be ≥ 1"));
        }
        if !(self.min_impurity_decrease.is_finite() && self.min_impurity_decrease >= 0.0) {
            return Err(KdError::param("min_impurity_decrease", self.min_impurity_decrease, "must be finite and ≥ 0"));
        }
        validate_max_bins(self.max_bins)
    }
}

pub(crate) fn validate_max_bins(b: usize) -> Result<()> {
    if !(2..=256).contains(&b) {
        return Err(KdError::param("max_bins", b, "must be in 2..=256"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_values_are_typed_errors() {
        let bad = [
            TreeParams::new().max_depth(Some(0)),
            TreeParams::new().max_leaves(Some(1)),
            TreeParams::new().min_samples_leaf(0),
            TreeParams::new().min_impurity_decrease(-0.1),
            TreeParams::new().min_impurity_decrease(f64::NAN),
            TreeParams::new().max_bins(1),
            TreeParams::new().max_bins(257),
        ];
        for p in bad {
            assert!(matches!(p.validate(), Err(KdError::InvalidParam { .. })), "{p:?}");
        }
        assert!(TreeParams::new().max_depth(Some(1)).max_leaves(Some(2)).max_bins(2).validate().is_ok());
        let e = TreeParams::new().max_depth(Some(0)).validate().unwrap_err().to_string();
        assert!(e.contains("max_depth"), "{e}");
    }
}
