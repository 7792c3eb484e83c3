//! Teachers: anything that maps rows of features to class scores.
//!
//! A teacher returns either logits `z` or probabilities `p` for a batch of rows ([`TeacherOutput`]);
//! [`Teacher::soft_targets`] turns either into temperature-softened probabilities
//! (`softmax(z/T)`, or `p^{1/T}` renormalised — see [`crate::soft`]).
//!
//! Implementations: [`mlp::MlpTeacher`] (a tch network trained here), [`table::ProbTable`] (probabilities
//! computed by any outside model and loaded from a file), [`ensemble::Ensemble`] (mean of probabilities).
pub mod ensemble;
pub mod mlp;
pub mod table;

use crate::error::Result;
use ndarray::{Array1, Array2, ArrayView2};

/// What a teacher produces for a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum TeacherOutput {
    /// Unnormalised class scores (`n × K`).
    Logits(Array2<f32>),
    /// Class probabilities, rows summing to 1 (`n × K`).
    Probabilities(Array2<f32>),
}

/// A model whose knowledge we distil.
pub trait Teacher {
    /// Number of classes `K`.
    fn n_classes(&self) -> usize;

    /// Raw output for the rows of `x` (`n × d`).
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput>;

    /// Temperature-softened probabilities `n × K`.
    fn soft_targets(&self, x: ArrayView2<f32>, temperature: f32) -> Result<Array2<f32>> {
        match self.predict_raw(x)? {
            TeacherOutput::Logits(z) => crate::soft::softmax_t(z.view(), temperature),
            TeacherOutput::Probabilities(p) => crate::soft::soften_probs(p.view(), temperature),
        }
    }

    /// Probabilities at `T = 1`.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.soft_targets(x, 1.0)
    }

    /// Predicted class (argmax).
    fn predict(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        Ok(crate::soft::argmax_rows(self.predict_proba(x)?.view()))
    }
}
