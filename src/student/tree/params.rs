//! Hyper-parameters of the tree learner, validated at fit time.
use crate::error::{KdError, Result};
use serde::{Deserialize, Serialize};

/// Hyper-parameters of [`super::Tree`]: a builder; [`TreeParams::check`] turns it into
/// [`TreeValidParams`] (linfa's pattern), and the fit functions check, then fit (an invalid value gives
/// [`KdError::InvalidParam`], never a panic).
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
/// Every setter, read back from the checked parameters:
///
/// ```
/// use kdistill::student::tree::TreeParams;
/// let p = TreeParams::new()
///     .max_depth(Some(6))
///     .max_leaves(Some(32))
///     .min_samples_leaf(5)
///     .min_impurity_decrease(1e-4)
///     .max_bins(64);
/// let v = p.check()?;
/// assert_eq!((v.max_depth(), v.max_leaves(), v.min_samples_leaf()), (Some(6), Some(32), 5));
/// assert_eq!((v.min_impurity_decrease(), v.max_bins()), (1e-4, 64));
/// let x = ndarray::Array2::from_shape_fn((100, 2), |(i, j)| ((i * (j + 3)) % 17) as f32);
/// let y = kdistill::base::one_hot(x.column(0).mapv(|v| usize::from(v > 8.0)).view(), 2)?;
/// let tree = p.fit(x.view(), y.view(), None)?;
/// assert!(tree.n_leaves() <= 32 && tree.depth() <= 6);
/// assert!(tree.stats().iter().all(|s| s.n_samples >= 5));
/// assert!(p.clone().max_bins(300).fit(x.view(), y.view(), None).is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TreeParams(TreeValidParams);

/// Checked tree hyper-parameters (from [`TreeParams::check`]), with the getters and the fit functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeValidParams {
    pub(crate) max_depth: Option<usize>,
    pub(crate) max_leaves: Option<usize>,
    pub(crate) min_samples_leaf: usize,
    pub(crate) min_impurity_decrease: f64,
    pub(crate) max_bins: usize,
}

impl Default for TreeValidParams {
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
    /// let v = TreeParams::new().check().unwrap();
    /// assert_eq!((v.max_depth(), v.max_bins()), (None, 256));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Maximum depth (root has depth 0); `None` = unlimited. `Some(0)` is rejected by [`TreeParams::check`].
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.0.max_depth = d;
        self
    }
    /// Maximum number of leaves (≥ 2); when set, the tree grows best-first (largest gain first).
    pub fn max_leaves(mut self, l: Option<usize>) -> Self {
        self.0.max_leaves = l;
        self
    }
    /// Minimum number of training rows in each leaf (≥ 1).
    pub fn min_samples_leaf(mut self, m: usize) -> Self {
        self.0.min_samples_leaf = m;
        self
    }
    /// Minimum weighted impurity decrease of a split (finite, ≥ 0), scikit-learn's semantics.
    pub fn min_impurity_decrease(mut self, v: f64) -> Self {
        self.0.min_impurity_decrease = v;
        self
    }
    /// Number of bins per feature (2..=256) used by [`TreeParams::fit`].
    pub fn max_bins(mut self, b: usize) -> Self {
        self.0.max_bins = b;
        self
    }

    /// Check every parameter (the fit functions call it); the checked parameters have the getters.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{student::tree::TreeParams, KdError};
    /// assert!(TreeParams::new().check().is_ok());
    /// let e = TreeParams::new().max_depth(Some(0)).check().unwrap_err();
    /// assert!(matches!(e, KdError::InvalidParam { name: "max_depth", .. }));
    /// assert!(TreeParams::new().min_impurity_decrease(f64::NAN).check().is_err());
    /// ```
    pub fn check(&self) -> Result<TreeValidParams> {
        let p = &self.0;
        if p.max_depth == Some(0) {
            return Err(KdError::param("max_depth", 0, "must be ≥ 1 (or None for unlimited)"));
        }
        if let Some(l) = p.max_leaves {
            if l < 2 {
                return Err(KdError::param("max_leaves", l, "must be ≥ 2 (or None for unlimited)"));
            }
        }
        if p.min_samples_leaf == 0 {
            return Err(KdError::param("min_samples_leaf", 0, "must be ≥ 1"));
        }
        if !(p.min_impurity_decrease.is_finite() && p.min_impurity_decrease >= 0.0) {
            return Err(KdError::param("min_impurity_decrease", p.min_impurity_decrease, "must be finite and ≥ 0"));
        }
        validate_max_bins(p.max_bins)?;
        Ok(p.clone())
    }
}

impl TreeValidParams {
    /// `max_depth`.
    pub fn max_depth(&self) -> Option<usize> {
        self.max_depth
    }
    /// `max_leaves`.
    pub fn max_leaves(&self) -> Option<usize> {
        self.max_leaves
    }
    /// `min_samples_leaf`.
    pub fn min_samples_leaf(&self) -> usize {
        self.min_samples_leaf
    }
    /// `min_impurity_decrease`.
    pub fn min_impurity_decrease(&self) -> f64 {
        self.min_impurity_decrease
    }
    /// `max_bins`.
    pub fn max_bins(&self) -> usize {
        self.max_bins
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
            assert!(matches!(p.check(), Err(KdError::InvalidParam { .. })), "{p:?}");
        }
        assert!(TreeParams::new().max_depth(Some(1)).max_leaves(Some(2)).max_bins(2).check().is_ok());
        let e = TreeParams::new().max_depth(Some(0)).check().unwrap_err().to_string();
        assert!(e.contains("max_depth"), "{e}");
    }
}
