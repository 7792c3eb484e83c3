//! The small MLP student (e.g. `2 → 8 → K`), trained either on labels or with the distillation loss
//! `α·CE(y) + (1−α)·T²·KL(q_T ‖ softmax(z/T))` of [`crate::neural::loss`].
//!
//! As a [`Student`], [`MlpParams`] reads `FitData.targets` as the teacher's soft targets, softened at
//! `FitData.temperature`, which must be the objective's (a mismatch is an error), and `FitData.labels` as the hard labels (for a hard
//! student without labels, the argmax of the targets is used).
//!
//! ```no_run
//! use kdistill::{data::moons::Moons, student::{FitData, Predictor, Student, mlp::student_params}};
//! use kdistill::{neural::TrainData, teacher::{Teacher, mlp::teacher_params}};
//! let d = Moons::new().generate().unwrap();
//! let teacher = teacher_params().fit(TrainData::new(d.x.view()).labels(d.y.view()), 2).unwrap();
//! let q = teacher.soft_targets(d.x.view(), 2.0).unwrap();
//! let s = student_params().distill(0.1, 2.0)
//!     .fit_student(FitData::new(d.x.view(), q.view()).temperature(2.0).labels(d.y.view()))
//!     .unwrap();
//! // `Mlp` is both a Teacher and a Predictor: name the trait when both are in scope.
//! let acc = kdistill::metrics::accuracy(Predictor::predict(&s, d.x.view()).unwrap().view(), d.y.view()).unwrap();
//! ```
use crate::neural::{Mlp, MlpParams};
use crate::error::{KdError, Result};
use crate::neural::{Objective, TrainData};
use crate::student::{FitData, Predictor, Student};
use ndarray::{Array2, ArrayView2};

/// Student defaults: one hidden layer of 8, 80 epochs, batch 128, Adam lr 2·10⁻², cross-entropy.
///
/// # Examples
///
/// ```
/// use kdistill::neural::DeviceChoice;
/// use kdistill::student::{mlp::student_params, FitData, Predictor, Student};
/// use ndarray::{array, Array2};
/// let x = Array2::from_shape_fn((40, 1), |(i, _)| i as f32 / 20.0 - 1.0);
/// // Soft targets of a teacher that is sure far from 0 and unsure near it.
/// let q = Array2::from_shape_fn((40, 2), |(i, k)| {
///     let p1 = 1.0 / (1.0 + (-4.0 * x[[i, 0]]).exp());
///     if k == 1 { p1 } else { 1.0 - p1 }
/// });
/// let s = student_params().epochs(60).device(DeviceChoice::Cpu).seed(0).distill(0.0, 2.0)
///     .fit_student(FitData::new(x.view(), q.view()).temperature(2.0)) // q taken as softened at T = 2
///     .unwrap();
/// assert_eq!(Predictor::predict(&s, array![[-0.9f32], [0.9]].view()).unwrap().to_vec(), vec![0, 1]);
/// ```
pub fn student_params() -> MlpParams {
    MlpParams::new(&[8]).epochs(80).batch_size(128).learning_rate(2e-2)
}

impl Student for MlpParams {
    type Model = Mlp;
    fn fit_student(&self, d: FitData<'_>) -> Result<Mlp> {
        let k = d.check()?;
        if let Objective::LogitMatch { .. } = self.objective {
            return Err(KdError::param("objective", "logit matching", "a Student is fitted on probabilities; fit logit matching with MlpParams::fit and TrainData::teacher_logits"));
        }
        let labels = d.labels_or_argmax(self.objective == Objective::Hard);
        let mut data = TrainData::new(d.x.view());
        if let Some(l) = &labels {
            data = data.labels(l.view());
        }
        if let Objective::Distill { .. } = self.objective {
            data = data.soft(d.targets.view(), d.temperature);
        }
        if let Some(w) = &d.weights {
            data = data.weights(w.view());
        }
        self.fit(data, k)
    }
}

impl Predictor for Mlp {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Mlp::predict_proba(self, x)
    }
}
