//! The checks and conversions every stage shares: non-empty and finite matrices, class labels in
//! range, row weights, probability rows (and the tolerance on their sums), temperatures, one-hot
//! encoding, the row-wise argmax and the canonical form of class names ([`canonical_label`]).
//!
//! Errors name rows and columns **1-based** (the first row is row 1), as every error of the crate does.
//!
//! ```
//! use kdistill::base::{argmax_rows, check_probabilities, one_hot, PROB_SUM_TOLERANCE};
//! let q = one_hot(ndarray::array![1usize, 0].view(), 2).unwrap();
//! assert!(check_probabilities(q.view(), "targets", PROB_SUM_TOLERANCE).is_ok());
//! assert_eq!(argmax_rows(q.view()).to_vec(), vec![1, 0]);
//! ```
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

/// Default tolerance on `|Σ_j p_ij − 1|` when validating probability rows.
///
/// # Examples
///
/// ```
/// use kdistill::base::{check_probabilities, PROB_SUM_TOLERANCE};
/// let p = ndarray::array![[0.3f32, 0.7005]]; // sums to 1.0005: within 1e-3
/// assert!(check_probabilities(p.view(), "p", PROB_SUM_TOLERANCE).is_ok());
/// ```
pub const PROB_SUM_TOLERANCE: f32 = 1e-3;

/// Check a temperature: finite and strictly positive.
///
/// # Examples
///
/// ```
/// use kdistill::base::check_temperature;
/// assert!(check_temperature(2.0).is_ok());
/// assert!(check_temperature(0.0).is_err() && check_temperature(f32::NAN).is_err());
/// ```
pub fn check_temperature(t: f32) -> Result<()> {
    if !(t.is_finite() && t > 0.0) {
        return Err(KdError::param("temperature", t, "must be finite and > 0"));
    }
    Ok(())
}

/// One-hot encode class indices into an `n × k` matrix. Errors on a label `≥ k`.
///
/// # Examples
///
/// ```
/// use kdistill::base::one_hot;
/// use ndarray::array;
/// assert_eq!(one_hot(array![2usize, 0].view(), 3).unwrap(), array![[0.0f32, 0.0, 1.0], [1.0, 0.0, 0.0]]);
/// assert!(one_hot(array![3usize].view(), 3).is_err());
/// ```
pub fn one_hot(labels: ArrayView1<usize>, k: usize) -> Result<Array2<f32>> {
    let mut y = Array2::zeros((labels.len(), k));
    for (i, &l) in labels.iter().enumerate() {
        if l >= k {
            return Err(KdError::unknown_class(l, i, format!("0..{k}")));
        }
        y[[i, l]] = 1.0;
    }
    Ok(y)
}

/// Validate a probability matrix: finite, non-negative, rows summing to 1 within `tol`.
/// `what` names the source in the error (e.g. a file name).
///
/// # Examples
///
/// ```
/// use kdistill::base::check_probabilities;
/// use ndarray::array;
/// assert!(check_probabilities(array![[0.25f32, 0.75]].view(), "probs.csv", 1e-3).is_ok());
/// let e = check_probabilities(array![[0.5f32, 0.5], [0.5, 0.6]].view(), "probs.csv", 1e-3).unwrap_err();
/// assert!(e.to_string().contains("probs.csv at row 2"), "{e}"); // rows are 1-based
/// assert!(check_probabilities(array![[1.5f32, -0.5]].view(), "p", 1e-3).is_err());
/// ```
pub fn check_probabilities(p: ArrayView2<f32>, what: &str, tol: f32) -> Result<()> {
    if p.ncols() < 2 {
        return Err(KdError::Shape(format!("{what}: need at least 2 class columns, got {}", p.ncols())));
    }
    for (i, row) in p.axis_iter(Axis(0)).enumerate() {
        let mut s = 0.0f64;
        for (j, &v) in row.iter().enumerate() {
            if !v.is_finite() {
                return Err(KdError::non_finite(what, i, j, v));
            }
            if v < 0.0 {
                return Err(KdError::probabilities(what, i, format!("negative probability {v} in column {}", j + 1)));
            }
            s += v as f64;
        }
        if (s - 1.0).abs() > tol as f64 {
            return Err(KdError::probabilities(what, i, format!("row sums to {s:.6}, not 1 (tolerance {tol})")));
        }
    }
    Ok(())
}

/// Renormalise each row to sum to 1 (rows must be non-negative with a positive sum).
///
/// # Examples
///
/// ```
/// use kdistill::base::renormalise;
/// let mut p = ndarray::array![[1.0f32, 3.0], [0.5, 0.5]];
/// renormalise(&mut p, "p").unwrap();
/// assert_eq!(p, ndarray::array![[0.25f32, 0.75], [0.5, 0.5]]);
/// assert!(renormalise(&mut ndarray::array![[0.0f32, 0.0]], "p").is_err());
/// ```
pub fn renormalise(p: &mut Array2<f32>, what: &str) -> Result<()> {
    for (i, mut row) in p.axis_iter_mut(Axis(0)).enumerate() {
        let s: f32 = row.sum();
        if !(s > 0.0 && s.is_finite()) || row.iter().any(|&v| v < 0.0 || !v.is_finite()) {
            return Err(KdError::probabilities(what, i, format!("cannot renormalise a row with sum {s} or negative/non-finite entries")));
        }
        row.mapv_inplace(|v| v / s);
    }
    Ok(())
}

/// Row-wise argmax (first maximum on ties).
///
/// # Examples
///
/// ```
/// use kdistill::base::argmax_rows;
/// let p = ndarray::array![[0.1f32, 0.9], [0.5, 0.5], [0.7, 0.3]];
/// assert_eq!(argmax_rows(p.view()).to_vec(), vec![1, 0, 0]); // ties: the first column
/// ```
pub fn argmax_rows(p: ArrayView2<f32>) -> ndarray::Array1<usize> {
    p.axis_iter(Axis(0))
        .map(|r| {
            let mut best = 0;
            for (j, &v) in r.iter().enumerate() {
                if v > r[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// Error unless `x` has at least one row and one column.
///
/// # Examples
///
/// ```
/// use kdistill::base::check_rows;
/// assert!(check_rows(ndarray::array![[1.0f32]].view(), "x").is_ok());
/// let e = check_rows(ndarray::Array2::<f32>::zeros((0, 3)).view(), "features").unwrap_err();
/// assert_eq!(e.to_string(), "empty input: features has shape (0, 3)");
/// ```
pub fn check_rows(x: ArrayView2<f32>, what: &str) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(KdError::Empty(format!("{what} has shape {:?}", x.dim())));
    }
    Ok(())
}

/// Error naming the first NaN/inf cell of `x`.
///
/// # Examples
///
/// ```
/// use kdistill::base::check_finite;
/// assert!(check_finite(ndarray::array![[1.0f32, 2.0]].view(), "x").is_ok());
/// let e = check_finite(ndarray::array![[1.0f32, 2.0], [f32::INFINITY, 0.0]].view(), "x").unwrap_err();
/// assert_eq!(e.to_string(), "non-finite value (inf) in x at row 2, column 1"); // 1-based
/// ```
pub fn check_finite(x: ArrayView2<f32>, what: &str) -> Result<()> {
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(KdError::non_finite(what, row, col, value));
        }
    }
    Ok(())
}

/// Error naming the first label outside `0..k`; `what` says where `k` comes from (e.g. "the targets'
/// 3 columns").
///
/// # Examples
///
/// ```
/// use kdistill::base::check_labels;
/// assert!(check_labels(ndarray::array![0usize, 2].view(), 3, "3 classes").is_ok());
/// let e = check_labels(ndarray::array![0usize, 3].view(), 3, "the targets' 3 columns").unwrap_err();
/// assert_eq!(e.to_string(), "unknown class 3 at row 2 (known classes: 0..3, from the targets' 3 columns)");
/// ```
pub fn check_labels(labels: ArrayView1<usize>, k: usize, what: &str) -> Result<()> {
    match labels.iter().enumerate().find(|&(_, &l)| l >= k) {
        Some((i, &l)) => Err(KdError::unknown_class(l, i, format!("0..{k}, from {what}"))),
        None => Ok(()),
    }
}

/// Check row weights: one per row, finite, non-negative, with a positive sum.
///
/// # Examples
///
/// ```
/// use kdistill::base::check_weights;
/// assert!(check_weights(ndarray::array![1.0f32, 0.0].view(), 2).is_ok());
/// assert!(check_weights(ndarray::array![1.0f32].view(), 2).is_err()); // 2 rows, 1 weight
/// let e = check_weights(ndarray::array![1.0f32, -1.0].view(), 2).unwrap_err();
/// assert!(e.to_string().contains("row 2"), "{e}");
/// assert!(check_weights(ndarray::array![0.0f32, 0.0].view(), 2).is_err()); // sums to 0
/// ```
pub fn check_weights(w: ArrayView1<f32>, n_rows: usize) -> Result<()> {
    if w.len() != n_rows {
        return Err(KdError::Shape(format!("{n_rows} rows but {} weights", w.len())));
    }
    let mut total = 0f64;
    for (i, &v) in w.iter().enumerate() {
        if !v.is_finite() {
            return Err(KdError::non_finite("weights", i, 0, v));
        }
        if v < 0.0 {
            return Err(KdError::param("weights", v, format!("row {}: weights must be ≥ 0", i + 1)));
        }
        total += v as f64;
    }
    if total <= 0.0 {
        return Err(KdError::param("weights", total, "the weights sum to 0"));
    }
    Ok(())
}

/// The class-name form used for matching labels to probability columns: trimmed, and integral
/// numbers written without a fractional part (`"2.0"` → `"2"`).
///
/// # Examples
///
/// ```
/// use kdistill::base::canonical_label;
/// assert_eq!(canonical_label(" 2.0 "), "2");
/// assert_eq!(canonical_label("1e2"), "100");
/// assert_eq!(canonical_label("setosa"), "setosa");
/// assert_eq!(canonical_label("0.5"), "0.5");
/// ```
pub fn canonical_label(s: &str) -> String {
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            return format!("{}", v as i64);
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn probability_checks() {
        assert!(check_probabilities(array![[0.25f32, 0.75]].view(), "p", 1e-3).is_ok());
        let e = check_probabilities(array![[0.5f32, 0.5], [0.5, 0.6]].view(), "probs.csv", 1e-3).unwrap_err();
        assert!(e.to_string().contains("probs.csv") && e.to_string().contains("row 2"), "{e}");
        let e = check_probabilities(array![[0.5f32, 0.5], [1.5, -0.5]].view(), "p", 1e-3).unwrap_err();
        assert!(e.to_string().contains("negative probability -0.5 in column 2") && e.to_string().contains("row 2"), "{e}");
    }

    #[test]
    fn one_hot_and_argmax() {
        let y = one_hot(array![2usize, 0].view(), 3).unwrap();
        assert_eq!(y, array![[0.0f32, 0.0, 1.0], [1.0, 0.0, 0.0]]);
        assert_eq!(argmax_rows(y.view()).to_vec(), vec![2, 0]);
        assert!(matches!(one_hot(array![0usize, 3].view(), 3), Err(KdError::UnknownClass { row: 2, .. })));
    }

    #[test]
    fn rows_and_columns_are_one_based() {
        let e = check_finite(array![[0.0f32, 0.0], [0.0, f32::NAN]].view(), "x").unwrap_err();
        assert!(matches!(e, KdError::NonFinite { row: 2, col: 2, .. }), "{e}");
        assert!(matches!(check_weights(array![1.0f32, f32::NAN].view(), 2), Err(KdError::NonFinite { row: 2, col: 1, .. })));
    }
}
