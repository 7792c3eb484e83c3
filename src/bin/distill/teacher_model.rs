//! The teacher of `--teacher-model`: the crate's table MLP ([`TableMlp`], `torch` feature). Built
//! without the feature, [`TeacherModel`] has no values and [`load`] says how to get one.
use kdistill::data::tabular::Encoding;
use kdistill::error::Result;
use kdistill::neural::DeviceChoice;
use std::path::Path;

#[cfg(feature = "torch")]
pub(crate) use kdistill::teacher::table::TableMlp as TeacherModel;

/// Load a teacher saved by `distill teacher`.
#[cfg(feature = "torch")]
pub(crate) fn load(dir: &Path, device: DeviceChoice) -> Result<TeacherModel> {
    TeacherModel::load(dir, device)
}

/// The column encoding and class names the teacher was trained with.
#[cfg(feature = "torch")]
pub(crate) fn encoding_and_classes(m: &TeacherModel) -> (Encoding, Vec<String>) {
    (m.encoding.clone(), m.classes.clone())
}

/// No teacher model exists in a build without `torch`.
#[cfg(not(feature = "torch"))]
pub(crate) enum TeacherModel {}

#[cfg(not(feature = "torch"))]
impl kdistill::teacher::Teacher for TeacherModel {
    fn n_classes(&self) -> usize {
        match *self {}
    }
    fn predict_raw(&self, _: ndarray::ArrayView2<f32>) -> Result<kdistill::teacher::TeacherOutput> {
        match *self {}
    }
}

/// Always an error: this build cannot run a neural teacher.
#[cfg(not(feature = "torch"))]
pub(crate) fn load(_: &Path, _: DeviceChoice) -> Result<TeacherModel> {
    Err(without_torch("a saved teacher (--teacher-model)"))
}

#[cfg(not(feature = "torch"))]
pub(crate) fn encoding_and_classes(m: &TeacherModel) -> (Encoding, Vec<String>) {
    match *m {}
}

/// The error for a command that needs libtorch in a build without it.
#[cfg(not(feature = "torch"))]
pub(crate) fn without_torch(what: &str) -> kdistill::KdError {
    kdistill::KdError::FeatureDisabled { what: what.to_string(), feature: "torch" }
}
