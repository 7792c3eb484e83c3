//! [`Standardiser`]: per-feature mean and standard deviation.
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Per-feature standardisation `z_j = (x_j − μ_j) / σ_j` with the mean `μ_j` and the population standard
/// deviation `σ_j` of training rows (`σ_j = 0` is replaced by 1, so constant features map to 0).
/// Neural teachers train far better on standardised inputs; trees do not need it (and stay readable on
/// raw values).
///
/// ```
/// use kdistill::data::tabular::Standardiser;
/// use ndarray::array;
/// let s = Standardiser::fit(array![[1.0f32, 5.0], [3.0, 5.0]].view()).unwrap();
/// assert_eq!(s.transform(array![[2.0f32, 5.0], [3.0, 6.0]].view()).unwrap(), array![[0.0f32, 0.0], [1.0, 1.0]]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Per-feature means.
    pub mean: Vec<f32>,
    /// Per-feature standard deviations (1 for constant features).
    pub scale: Vec<f32>,
}

impl Standardiser {
    /// Fit on training rows (at least one row, finite values).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::Standardiser;
    /// let s = Standardiser::fit(ndarray::array![[0.0f32, 3.0], [4.0, 3.0]].view()).unwrap();
    /// assert_eq!((s.mean, s.scale), (vec![2.0, 3.0], vec![2.0, 1.0])); // constant feature: scale 1
    /// assert!(Standardiser::fit(ndarray::Array2::<f32>::zeros((0, 2)).view()).is_err());
    /// // Values near the f32 limit standardise without overflow.
    /// let s = Standardiser::fit(ndarray::array![[3e38f32], [-3e38]].view()).unwrap();
    /// assert_eq!(s.transform(ndarray::array![[3e38f32]].view()).unwrap()[[0, 0]], 1.0);
    /// ```
    pub fn fit(x: ArrayView2<f32>) -> Result<Self> {
        crate::base::check_rows(x, "standardiser input")?;
        crate::base::check_finite(x, "standardiser input")?;
        // In f64: features near the f32 limit (±3.4e38) would overflow an f32 sum or square. A mean
        // and a standard deviation of values inside the f32 range are inside it too.
        let n = x.nrows() as f64;
        let (mut mean, mut scale) = (Vec::with_capacity(x.ncols()), Vec::with_capacity(x.ncols()));
        for c in x.axis_iter(Axis(1)) {
            let m = c.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = c.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n;
            let s = var.sqrt() as f32;
            mean.push(m as f32);
            scale.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
        }
        Ok(Self { mean, scale })
    }
    /// Standardise rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::Standardiser;
    /// let s = Standardiser { mean: vec![1.0, 0.0], scale: vec![2.0, 1.0] };
    /// assert_eq!(s.transform(ndarray::array![[5.0f32, -1.0]].view()).unwrap(), ndarray::array![[2.0f32, -1.0]]);
    /// assert!(s.transform(ndarray::array![[1.0f32]].view()).is_err()); // wrong width
    /// ```
    pub fn transform(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.mean.len() {
            return Err(KdError::Shape(format!("standardiser fitted on {} features, got {}", self.mean.len(), x.ncols())));
        }
        let mut z = x.to_owned();
        for (j, mut c) in z.axis_iter_mut(Axis(1)).enumerate() {
            let (m, s) = (self.mean[j], self.scale[j]);
            c.mapv_inplace(|v| ((v as f64 - m as f64) / s as f64) as f32);
        }
        Ok(z)
    }
}
