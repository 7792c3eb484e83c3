//! Teachers: anything that maps rows of features to class scores.
//!
//! A teacher returns either logits `z` or probabilities `p` for a batch of rows ([`TeacherOutput`]);
//! [`Teacher::soft_targets`] turns either into temperature-softened probabilities
//! (`softmax(z/T)`, or `p^{1/T}` renormalised — see [`crate::soft`]).
//!
//! Implementations: [`crate::neural::Mlp`] (a tch network trained here, with [`mlp::teacher_params`]), [`table::ProbTable`] (probabilities
//! computed by any outside model and loaded from a file), [`ensemble::Ensemble`] (mean of probabilities),
//! `cnn::Cnn` (a small convolutional network for 28×28-style images).
#[cfg(feature = "torch")]
pub mod bank;
#[cfg(feature = "torch")]
pub mod cnn;
pub mod ensemble;
#[cfg(feature = "torch")]
pub mod mlp;
pub mod table;

use crate::error::Result;
use ndarray::{Array1, Array2, ArrayView2};

/// What a teacher produces for a batch of rows.
///
/// # Examples
///
/// ```
/// use kdistill::teacher::{table::ProbTable, Teacher, TeacherOutput};
/// use ndarray::array;
/// let t = ProbTable::new(array![[0.0f32]], array![[0.25f32, 0.75]], vec!["a".into(), "b".into()], "p.csv").unwrap();
/// // A probability table answers with probabilities; an MLP would answer with logits.
/// assert_eq!(t.predict_raw(array![[0.0f32]].view()).unwrap(), TeacherOutput::Probabilities(array![[0.25f32, 0.75]]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TeacherOutput {
    /// Unnormalised class scores (`n × K`).
    Logits(Array2<f32>),
    /// Class probabilities, rows summing to 1 (`n × K`).
    Probabilities(Array2<f32>),
}

/// A model whose knowledge we distil.
///
/// # Examples
///
/// Any model is a teacher once it gives scores for rows; here a fixed linear rule with logits
/// `z = (x₀, −x₀)`:
///
/// ```
/// use kdistill::teacher::{Teacher, TeacherOutput};
/// use ndarray::{array, Array2, ArrayView2};
/// struct Linear;
/// impl Teacher for Linear {
///     fn n_classes(&self) -> usize {
///         2
///     }
///     fn predict_raw(&self, x: ArrayView2<f32>) -> kdistill::Result<TeacherOutput> {
///         Ok(TeacherOutput::Logits(Array2::from_shape_fn((x.nrows(), 2), |(i, k)| if k == 0 { x[[i, 0]] } else { -x[[i, 0]] })))
///     }
/// }
/// let x = array![[1.0f32], [-2.0]];
/// assert_eq!(Linear.predict(x.view()).unwrap().to_vec(), vec![0, 1]);
/// let p = Linear.predict_proba(x.view()).unwrap(); // softmax([1, −1]) = [0.881, 0.119]
/// assert!((p[[0, 0]] - 0.880_797).abs() < 1e-5);
/// let q = Linear.soft_targets(x.view(), 4.0).unwrap(); // softmax([0.25, −0.25])
/// assert!((q[[0, 0]] - 0.622_459).abs() < 1e-5);
/// ```
pub trait Teacher {
    /// Number of classes `K`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{table::ProbTable, Teacher};
    /// let t = ProbTable::new(ndarray::array![[0.0f32]], ndarray::array![[0.2f32, 0.3, 0.5]], vec!["a".into(), "b".into(), "c".into()], "p").unwrap();
    /// assert_eq!(t.n_classes(), 3);
    /// ```
    fn n_classes(&self) -> usize;

    /// Raw output for the rows of `x` (`n × d`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{table::ProbTable, Teacher, TeacherOutput};
    /// use ndarray::array;
    /// let t = ProbTable::new(array![[0.0f32], [1.0]], array![[0.9f32, 0.1], [0.3, 0.7]], vec!["a".into(), "b".into()], "p").unwrap();
    /// let TeacherOutput::Probabilities(p) = t.predict_raw(array![[1.0f32]].view()).unwrap() else { unreachable!() };
    /// assert_eq!(p, array![[0.3f32, 0.7]]);
    /// ```
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput>;

    /// Temperature-softened probabilities `n × K`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{table::ProbTable, Teacher};
    /// use ndarray::array;
    /// let t = ProbTable::new(array![[0.0f32]], array![[0.2f32, 0.8]], vec!["a".into(), "b".into()], "p").unwrap();
    /// let q = t.soft_targets(array![[0.0f32]].view(), 2.0).unwrap(); // ∝ [√0.2, √0.8] = [1/3, 2/3]
    /// assert!((q[[0, 0]] - 1.0 / 3.0).abs() < 1e-6);
    /// assert!(t.soft_targets(array![[0.0f32]].view(), 0.0).is_err());
    /// ```
    fn soft_targets(&self, x: ArrayView2<f32>, temperature: f32) -> Result<Array2<f32>> {
        match self.predict_raw(x)? {
            TeacherOutput::Logits(z) => crate::soft::softmax_t(z.view(), temperature),
            TeacherOutput::Probabilities(p) => crate::soft::soften_probs(p.view(), temperature),
        }
    }

    /// Probabilities at `T = 1`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{table::ProbTable, Teacher};
    /// use ndarray::array;
    /// let t = ProbTable::new(array![[0.0f32]], array![[0.2f32, 0.8]], vec!["a".into(), "b".into()], "p").unwrap();
    /// let p = t.predict_proba(array![[0.0f32]].view()).unwrap();
    /// assert!((p[[0, 1]] - 0.8).abs() < 1e-6);
    /// ```
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.soft_targets(x, 1.0)
    }

    /// Predicted class (argmax).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{table::ProbTable, Teacher};
    /// use ndarray::array;
    /// let t = ProbTable::new(array![[0.0f32], [1.0]], array![[0.2f32, 0.8], [0.6, 0.4]], vec!["a".into(), "b".into()], "p").unwrap();
    /// assert_eq!(t.predict(array![[1.0f32], [0.0]].view()).unwrap().to_vec(), vec![0, 1]);
    /// ```
    fn predict(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        Ok(crate::base::argmax_rows(self.predict_proba(x)?.view()))
    }
}
