//! The 2×800 students' training settings and distillation on a jittered transfer set.
use crate::neural::TargetScale;
use crate::teacher::bank::ViewBank;
use super::teachers::lr_decay_for;
use super::{label, MnistConfig};
use crate::error::{KdError, Result};
use ndarray::ArrayView2;

/// Optimiser settings of the 2×800 students.
pub(super) fn student_train_params(cfg: &MnistConfig, seed: u64, what: &str) -> crate::neural::TrainParams {
    let mut params = crate::neural::TrainParams::default()
        .epochs(cfg.budget.student_epochs)
        .batch_size(cfg.budget.batch_size)
        .learning_rate(1e-3)
        .lr_decay(lr_decay_for(cfg.budget.student_epochs))
        .seed(seed);
    params.progress = label(cfg, what);
    params
}

/// Distil into a fresh `784 → hidden → K` net on a jittered transfer set: every mini-batch of `x` is
/// translated by up to `budget.max_shift` pixels and labelled by the teacher *on the translated images*
/// (looked up in `bank`, the teacher's logits on every translation of `x`; `q = teacher_probs(·, T)`),
/// loss `α·CE(y) + (1−α)·T²·KL(q ‖ p_T)`. Returns the net and its seconds.
#[allow(clippy::too_many_arguments)]
pub(super) fn distill_jittered(
    cfg: &MnistConfig,
    hidden: &[usize],
    seed: u64,
    what: &str,
    x: ArrayView2<f32>,
    y: ndarray::ArrayView1<usize>,
    bank: &ViewBank,
    k: usize,
) -> Result<(crate::neural::Net, f64)> {
    let p = student_train_params(cfg, seed, what);
    p.check()?;
    crate::base::check_rows(x, "transfer set")?;
    let device = cfg.device.resolve()?;
    let _guard = crate::neural::seeded_fit_lock();
    let mut net = crate::neural::Net::new(&crate::neural::MlpSpec::new(x.ncols(), hidden, k), device, seed)?;
    if bank.len() != x.nrows() {
        return Err(KdError::Shape(format!("the view bank has {} rows, the transfer set {}", bank.len(), x.nrows())));
    }
    let (alpha, t) = (cfg.alpha, cfg.temperature);
    let jitter = move |idx: &tch::Tensor, xb: &tch::Tensor| bank.batch(idx, xb, TargetScale::Probabilities { temperature: t });
    let data = crate::neural::TrainData::new(x.view()).labels(y.view()).augmented(&jitter, TargetScale::Probabilities { temperature: t });
    let report = crate::neural::train_model(&mut net, &p, data, crate::neural::Objective::Distill { alpha, temperature: t })?;
    Ok((net, report.seconds))
}
