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
    /// ```
    pub fn fit(x: ArrayView2<f32>) -> Result<Self> {
        crate::data::check_rows(x, "standardiser input")?;
        crate::data::check_finite(x, "standardiser input")?;
        let mean = x.mean_axis(Axis(0)).expect("rows checked").to_vec();
        let scale = x.std_axis(Axis(0), 0.0).iter().map(|&s| if s > 0.0 && s.is_finite() { s } else { 1.0 }).collect();
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
            c.mapv_inplace(|v| (v - m) / s);
        }
        Ok(z)
    }
}
