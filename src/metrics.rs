//! Metrics: accuracy, fidelity (agreement with the teacher's argmax), error counts, confusion matrices,
//! and mean ± standard deviation over seeds.
//!
//! ```
//! use kdistill::metrics::{accuracy, fidelity, MeanStd};
//! use ndarray::array;
//! let acc = accuracy(array![0usize, 1, 1].view(), array![0usize, 1, 0].view()).unwrap();
//! assert!((acc - 2.0 / 3.0).abs() < 1e-12);
//! assert_eq!(fidelity(array![1usize, 1].view(), array![1usize, 0].view()).unwrap(), 0.5);
//! let s = MeanStd::of(&[1.0, 3.0]);
//! assert_eq!((s.mean, s.std), (2.0, 2f64.sqrt()));
//! ```
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

fn same_len(a: usize, b: usize, what: &str) -> Result<()> {
    if a != b {
        return Err(KdError::Shape(format!("{what}: {a} predictions vs {b} references")));
    }
    if a == 0 {
        return Err(KdError::Empty(format!("{what} of zero rows")));
    }
    Ok(())
}

/// Number of positions where `pred ≠ truth`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// assert_eq!(kdistill::metrics::errors(array![0usize, 1, 2].view(), array![0usize, 2, 1].view()).unwrap(), 2);
/// assert!(kdistill::metrics::errors(array![0usize].view(), array![0usize, 1].view()).is_err());
/// ```
pub fn errors(pred: ArrayView1<usize>, truth: ArrayView1<usize>) -> Result<usize> {
    same_len(pred.len(), truth.len(), "errors")?;
    Ok(pred.iter().zip(truth.iter()).filter(|(a, b)| a != b).count())
}

/// Fraction of positions where `pred = truth`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// let acc = kdistill::metrics::accuracy(array![0usize, 1, 1, 0].view(), array![0usize, 1, 0, 0].view()).unwrap();
/// assert_eq!(acc, 0.75);
/// ```
pub fn accuracy(pred: ArrayView1<usize>, truth: ArrayView1<usize>) -> Result<f64> {
    Ok(1.0 - errors(pred, truth)? as f64 / pred.len() as f64)
}

/// Fraction of rows where the student's class equals the teacher's class.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// // Student and teacher classes agree on 3 rows of 4, whatever the true labels are.
/// let f = kdistill::metrics::fidelity(array![1usize, 1, 0, 2].view(), array![1usize, 1, 0, 0].view()).unwrap();
/// assert_eq!(f, 0.75);
/// ```
pub fn fidelity(student: ArrayView1<usize>, teacher: ArrayView1<usize>) -> Result<f64> {
    accuracy(student, teacher)
}

/// `K × K` confusion counts, rows = truth, columns = prediction.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// let m = kdistill::metrics::confusion(array![0usize, 1, 1, 0].view(), array![0usize, 1, 0, 0].view(), 2).unwrap();
/// assert_eq!(m, array![[2usize, 1], [0, 1]]); // one true 0 predicted as 1
/// assert!(kdistill::metrics::confusion(array![2usize].view(), array![0usize].view(), 2).is_err());
/// ```
pub fn confusion(pred: ArrayView1<usize>, truth: ArrayView1<usize>, k: usize) -> Result<Array2<usize>> {
    same_len(pred.len(), truth.len(), "confusion")?;
    let mut m = Array2::zeros((k, k));
    for (i, (&p, &t)) in pred.iter().zip(truth.iter()).enumerate() {
        if p >= k || t >= k {
            return Err(KdError::unknown_class(p.max(t), i, format!("0..{k}")));
        }
        m[[t, p]] += 1;
    }
    Ok(m)
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
///
/// # Examples
///
/// ```
/// let s = kdistill::metrics::MeanStd { mean: 0.9, std: 0.01 };
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"mean":0.9,"std":0.01}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub std: f64,
}

impl MeanStd {
    /// Summarise `v` (NaN for an empty slice).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::metrics::MeanStd;
    /// let s = MeanStd::of(&[1.0, 2.0, 3.0]);
    /// assert_eq!((s.mean, s.std), (2.0, 1.0));
    /// assert_eq!(MeanStd::of(&[5.0]).std, 0.0);
    /// assert!(MeanStd::of(&[]).mean.is_nan());
    /// ```
    pub fn of(v: &[f64]) -> Self {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let std = if v.len() > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
        Self { mean, std }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn confusion_hand_computed() {
        let m = confusion(array![0usize, 1, 1, 0].view(), array![0usize, 1, 0, 0].view(), 2).unwrap();
        assert_eq!(m, array![[2usize, 1], [0, 1]]);
        assert!(confusion(array![2usize].view(), array![0usize].view(), 2).is_err());
    }

    #[test]
    fn length_mismatch_and_empty_are_errors() {
        assert!(accuracy(array![0usize].view(), array![0usize, 1].view()).is_err());
        assert!(accuracy(ndarray::Array1::<usize>::zeros(0).view(), ndarray::Array1::<usize>::zeros(0).view()).is_err());
    }
}
