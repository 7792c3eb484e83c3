//! The neural teacher: a tch MLP `d → 128 → 128 → K` (ReLU, linear logits), trained with Adam on labels.
//! It is an [`Mlp`] with teacher defaults; it answers with logits, so soft targets are `softmax(z/T)`.
//!
//! ```no_run
//! use kdistill::{data::moons::Moons, neural::TrainData, teacher::{Teacher, mlp::teacher_params}};
//! let data = Moons::new().seed(0).generate().unwrap();
//! let teacher = teacher_params().seed(0).fit(TrainData::new(data.x.view()).labels(data.y.view()), 2).unwrap();
//! let q = teacher.soft_targets(data.x.view(), 2.0).unwrap(); // n × 2, rows sum to 1
//! ```
use crate::neural::{Mlp, MlpParams};
use crate::{error::Result, teacher::{Teacher, TeacherOutput}};
use ndarray::ArrayView2;

/// Teacher defaults: hidden 128×128, 60 epochs, batch 128, Adam lr 5·10⁻³ decayed ×0.97 per epoch,
/// weight decay 10⁻⁴.
///
/// # Examples
///
/// ```
/// use kdistill::{data::moons::Moons, neural::{DeviceChoice, TrainData}, teacher::{mlp::teacher_params, Teacher}};
/// let data = Moons::new().n_samples(200).seed(0).generate().unwrap();
/// // A few epochs on the CPU to keep the example quick; the defaults train 60.
/// let teacher = teacher_params().epochs(5).device(DeviceChoice::Cpu).seed(0)
///     .fit(TrainData::new(data.x.view()).labels(data.y.view()), 2).unwrap();
/// let q = teacher.soft_targets(data.x.view(), 2.0).unwrap();
/// assert_eq!(q.dim(), (200, 2));
/// assert!(q.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
/// ```
pub fn teacher_params() -> MlpParams {
    let mut p = MlpParams::new(&[128, 128]).epochs(60).batch_size(128).learning_rate(5e-3).weight_decay(1e-4);
    p.train.lr_decay = 0.97;
    p
}

impl Teacher for Mlp {
    fn n_classes(&self) -> usize {
        Mlp::n_classes(self)
    }
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
        Ok(TeacherOutput::Logits(self.logits(x)?))
    }
}
