//! Adapters that let other crates' learners act as students, for comparison with our own tree.
//!
//! * [`SmartcoreTreeStudent`] / [`SmartcoreForestStudent`] — smartcore 0.4's single-output
//!   `DecisionTreeRegressor` / `RandomForestRegressor` as a **multi-class soft student**: one regressor
//!   per class `k`, fitted on the column `q_{·k}` of the soft targets. A prediction
//!   `r = (r_1, …, r_K)` is turned into probabilities by clipping and renormalising,
//!   `p_k = max(r_k, 0) / Σ_j max(r_j, 0)`, or the uniform `1/K` when every `r_k ≤ 0`.
//!   (Forest and tree leaf means of probabilities are already in `[0, 1]`; the clip is a guard.)
//!   smartcore has no sample weights, so passing [`FitData::weights`] is an error.
//! * [`LinfaTreeStudent`] — linfa-trees 0.8's Gini `DecisionTree` as a **hard-label baseline**. It is
//!   fitted on [`FitData::labels`] (or, when absent, the argmax of the targets) with the optional row
//!   weights. Its probabilities are the weighted class frequencies of the training rows in the leaf a
//!   row falls into (as scikit-learn's `predict_proba`), computed here by routing the training rows
//!   through the fitted tree, because linfa only stores each leaf's majority class.
//!
//! All features are converted to `f64` for these libraries.
//!
//! ```
//! use kdistill::data::moons::Moons;
//! use kdistill::base::one_hot;
//! use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Predictor, Student};
//! let d = Moons::new().n_samples(200).seed(3).generate().unwrap();
//! let y = one_hot(d.y.view(), 2).unwrap();
//! let m = SmartcoreTreeStudent::new().max_depth(Some(4))
//!     .fit_student(FitData::new(d.x.view(), y.view())).unwrap();
//! let p = m.predict_proba(d.x.view()).unwrap();
//! assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
//! ```
mod linfa_tree;
mod regressors;
#[cfg(test)]
mod tests;

pub use linfa_tree::{LinfaTreeModel, LinfaTreeStudent, LinfaTreeValidParams};
pub use regressors::{PerClassRegressors, SmartcoreForestStudent, SmartcoreForestValidParams, SmartcoreTreeStudent, SmartcoreTreeValidParams};

use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2, Axis};


/// Clip each row at 0 and renormalise to sum 1; a row with no positive entry becomes uniform.
///
/// # Examples
///
/// ```
/// use kdistill::student::adapters::clip_renormalise;
/// use ndarray::array;
/// let p = clip_renormalise(array![[0.6f32, -0.2, 0.2], [-1.0, -1.0, 0.0]]);
/// assert!((p[[0, 0]] - 0.75).abs() < 1e-6 && p[[0, 1]] == 0.0 && (p[[0, 2]] - 0.25).abs() < 1e-6);
/// assert!(p.row(1).iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6)); // nothing positive: uniform
/// ```
pub fn clip_renormalise(mut r: Array2<f32>) -> Array2<f32> {
    let k = r.ncols();
    for mut row in r.axis_iter_mut(Axis(0)) {
        row.mapv_inplace(|v| if v > 0.0 && v.is_finite() { v } else { 0.0 });
        let s: f32 = row.sum();
        if s > 0.0 {
            row.mapv_inplace(|v| v / s);
        } else {
            row.fill(1.0 / k as f32);
        }
    }
    r
}

pub(crate) fn check_pred_shape(x: ArrayView2<f32>, d: usize) -> Result<()> {
    if x.ncols() != d {
        return Err(KdError::Shape(format!("model was fitted on {d} features, got {}", x.ncols())));
    }
    crate::base::check_finite(x, "prediction features")
}
