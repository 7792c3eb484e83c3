//! Students: the models a teacher's knowledge is distilled into.
//!
//! A student is fitted on features with soft targets (an `n × K` probability matrix), optionally the
//! hard labels and per-row weights, and then predicts probabilities. Fitting a student on one-hot labels
//! gives the "hard" baseline with the very same learner.
//!
//! * [`tree`] — our multi-output regression tree (CART on probability vectors).
//! * [`mlp`] — a small tch MLP trained with `α·CE + (1−α)·T²·KL`.
//! * [`adapters`] — smartcore regressors (one per class) and linfa-trees as baselines.
pub mod adapters;
pub mod mlp;
pub mod tree;

use crate::error::Result;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Training data for a student.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    /// `n × d` features.
    pub x: ArrayView2<'a, f32>,
    /// `n × K` soft targets (probabilities; one-hot labels for a hard student).
    pub targets: ArrayView2<'a, f32>,
    /// Optional hard labels (used by losses that mix in cross-entropy).
    pub labels: Option<ArrayView1<'a, usize>>,
    /// Optional non-negative row weights.
    pub weights: Option<ArrayView1<'a, f32>>,
}

/// A learner that can be distilled into. `fit` validates parameters and data (typed errors, no panics).
pub trait Student {
    /// The fitted model.
    type Model: Predictor;
    /// Fit on `data`.
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model>;
}

/// A fitted student.
pub trait Predictor {
    /// Class probabilities `n × K`.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>>;
    /// Predicted classes (argmax of [`Predictor::predict_proba`]).
    fn predict(&self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        Ok(crate::soft::argmax_rows(self.predict_proba(x)?.view()))
    }
}
