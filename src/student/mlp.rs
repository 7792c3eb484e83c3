//! The small MLP student (e.g. `2 → 8 → K`), trained either on labels or with the distillation loss
//! `α·CE(y) + (1−α)·T²·KL(q_T ‖ softmax(z/T))` of [`crate::neural::loss`].
//!
//! As a [`Student`], [`MlpParams`] reads `FitData.targets` as the teacher's soft targets **already
//! softened at the objective's temperature**, and `FitData.labels` as the hard labels (for a hard
//! student without labels, the argmax of the targets is used).
//!
//! ```no_run
//! use kdistill::{data::moons::Moons, student::{FitData, Predictor, Student, mlp::student_params}};
//! use kdistill::teacher::{Teacher, mlp::teacher_params};
//! let d = Moons::new().generate().unwrap();
//! let teacher = teacher_params().fit(d.x.view(), Some(d.y.view()), None, None, 2).unwrap();
//! let q = teacher.soft_targets(d.x.view(), 2.0).unwrap();
//! let s = student_params().distill(0.1, 2.0)
//!     .fit_student(FitData { x: d.x.view(), targets: q.view(), labels: Some(d.y.view()), weights: None })
//!     .unwrap();
//! // `Mlp` is both a Teacher and a Predictor: name the trait when both are in scope.
//! let acc = kdistill::metrics::accuracy(Predictor::predict(&s, d.x.view()).unwrap().view(), d.y.view()).unwrap();
//! ```
pub use crate::neural::{Mlp, MlpParams};
use crate::error::{KdError, Result};
use crate::neural::Objective;
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
///     .fit_student(FitData { x: x.view(), targets: q.view(), labels: None, weights: None })
///     .unwrap();
/// assert_eq!(Predictor::predict(&s, array![[-0.9f32], [0.9]].view()).unwrap().to_vec(), vec![0, 1]);
/// ```
pub fn student_params() -> MlpParams {
    MlpParams::new(&[8]).epochs(80).batch_size(128).learning_rate(2e-2)
}

impl Student for MlpParams {
    type Model = Mlp;
    fn fit_student(&self, d: FitData<'_>) -> Result<Mlp> {
        d.check()?;
        let labels = d.labels_or_argmax(self.objective == Objective::Hard);
        let soft = match self.objective {
            Objective::Hard => None,
            Objective::Distill { .. } => Some(d.targets),
            Objective::LogitMatch { .. } => {
                return Err(KdError::param("objective", "logit matching", "a Student is fitted on probabilities; fit logit matching with MlpParams::fit and the teacher's logits"))
            }
        };
        self.fit(d.x, labels.as_ref().map(|l| l.view()), soft, d.weights, d.targets.ncols())
    }
}

impl Predictor for Mlp {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Mlp::predict_proba(self, x)
    }
}
