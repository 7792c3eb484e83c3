//! The neural teacher: a tch MLP `d → 128 → 128 → K` (ReLU, linear logits), trained with Adam on labels.
//! It is an [`Mlp`] with teacher defaults; it answers with logits, so soft targets are `softmax(z/T)`.
//!
//! ```no_run
//! use kdistill::{data::moons::Moons, teacher::{Teacher, mlp::teacher_params}};
//! let data = Moons::new().seed(0).generate().unwrap();
//! let teacher = teacher_params().seed(0).fit(data.x.view(), Some(data.y.view()), None, None, 2).unwrap();
//! let q = teacher.soft_targets(data.x.view(), 2.0).unwrap(); // n × 2, rows sum to 1
//! ```
pub use crate::neural::{Mlp, MlpParams};
use crate::{error::Result, teacher::{Teacher, TeacherOutput}};
use ndarray::ArrayView2;

/// A trained MLP teacher.
///
/// # Examples
///
/// ```
/// use kdistill::neural::DeviceChoice;
/// use kdistill::teacher::{mlp::{teacher_params, MlpTeacher}, Teacher};
/// use ndarray::{array, Array1, Array2};
/// let x = Array2::from_shape_fn((40, 1), |(i, _)| i as f32 / 20.0 - 1.0);
/// let y: Array1<usize> = x.column(0).mapv(|v| usize::from(v > 0.0));
/// let t: MlpTeacher = teacher_params().epochs(100).device(DeviceChoice::Cpu).seed(0).fit(x.view(), Some(y.view()), None, None, 2).unwrap();
/// assert_eq!(Teacher::n_classes(&t), 2);
/// assert_eq!(Teacher::predict(&t, array![[-0.9f32], [0.9]].view()).unwrap().to_vec(), vec![0, 1]);
/// ```
pub type MlpTeacher = Mlp;

/// Teacher defaults: hidden 128×128, 60 epochs, batch 128, Adam lr 5·10⁻³ decayed ×0.97 per epoch,
/// weight decay 10⁻⁴.
///
/// # Examples
///
/// ```
/// use kdistill::{data::moons::Moons, neural::DeviceChoice, teacher::{mlp::teacher_params, Teacher}};
/// let data = Moons::new().n_samples(200).seed(0).generate().unwrap();
/// // A few epochs on the CPU to keep the example quick; the defaults train 60.
/// let teacher = teacher_params().epochs(5).device(DeviceChoice::Cpu).seed(0)
///     .fit(data.x.view(), Some(data.y.view()), None, None, 2).unwrap();
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
