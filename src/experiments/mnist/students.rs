//! The 2×800 students' training settings, their `(α, T)` chosen on validation, and distillation on a
//! jittered transfer set.
use super::grid::Setting;
use super::results::BigChoice;
use super::run::Ctx;
use super::small::arch_name;
use super::teachers::{lr_decay_for, teacher_probs};
use super::{label, say, Inputs, MnistConfig};
use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::neural::{Objective, TargetScale, TrainData};
use crate::teacher::bank::ViewBank;
use ndarray::{Array2, ArrayView2, Axis};

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
/// loss `α·CE(y) + (1−α)·T²·KL(q ‖ p_T)` with `(α, T) = setting`. Returns the net and its seconds.
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
    setting: (f32, f32),
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
    let (alpha, t) = setting;
    let jitter = move |idx: &tch::Tensor, xb: &tch::Tensor| bank.batch(idx, xb, TargetScale::Probabilities { temperature: t });
    let data = crate::neural::TrainData::new(x.view()).labels(y.view()).augmented(&jitter, TargetScale::Probabilities { temperature: t });
    let report = crate::neural::train_model(&mut net, &p, data, crate::neural::Objective::Distill { alpha, temperature: t })?;
    Ok((net, report.seconds))
}

/// A 2×800 student's parameters: [`student_train_params`], `784 → 800 → 800 → K`, on `cfg.device`.
pub(super) fn big_params(cfg: &MnistConfig, seed: u64, what: &str) -> crate::neural::MlpParams {
    let mut p = crate::neural::MlpParams::new(&[800, 800]).device(cfg.device);
    p.train = student_train_params(cfg, seed, what);
    p
}

/// The 2×800 students' `(α, T)`, chosen on the validation split ([`super::BigGrid`]): each candidate
/// distils a 2×800 net (student seed `seed`) on the `fit_rows` of `train`, on jittered images looked up
/// in `bank` when `student_jitter`, else on the plain images with the teacher probabilities of
/// `train_logits`; the fewest errors on `val_rows` choose (ties: the earlier candidate). One candidate
/// trains nothing.
#[allow(clippy::too_many_arguments)]
pub(super) fn choose_big(
    cfg: &MnistConfig,
    ctx: &Ctx<'_>,
    train: &Dataset,
    train_logits: &[&Array2<f32>],
    fit_rows: &[usize],
    val_rows: &[usize],
    bank: &ViewBank,
    seed: u64,
) -> Result<BigChoice> {
    let candidates = cfg.big_grid.candidates();
    if let [(alpha, temperature)] = candidates[..] {
        return Ok(BigChoice { runs: Vec::new(), chosen: None, alpha, temperature });
    }
    let (fit, val, k) = (train.select(fit_rows), train.select(val_rows), train.n_classes);
    let (inputs, bank) = if cfg.student_jitter { (Inputs::Translations, Some(bank.subset(fit_rows)?)) } else { (Inputs::Plain, None) };
    let fit_logits: Vec<Array2<f32>> = train_logits.iter().map(|z| z.select(Axis(0), fit_rows)).collect();
    let epochs = cfg.budget.student_epochs;
    say(cfg, format!("2×800 students: α and T chosen on the validation split ({} settings, each trained on the {} images outside it)", candidates.len(), fit.len()));
    let mut runs = Vec::new();
    for &(alpha, t) in &candidates {
        let what = format!("2×800 α={alpha} T={t}");
        let (val_z, test_z, seconds) = match &bank {
            Some(b) => {
                let (net, secs) = distill_jittered(cfg, &[800, 800], seed, &what, fit.x.view(), fit.y.view(), b, k, (alpha, t))?;
                (net.logits(val.x.view())?, net.logits(ctx.test.x.view())?, secs)
            }
            None => {
                let q = teacher_probs(&fit_logits.iter().collect::<Vec<_>>(), t)?;
                let m = big_params(cfg, seed, &what).distill(alpha, t).fit(TrainData::new(fit.x.view()).labels(fit.y.view()).soft(q.view(), t), k)?;
                (m.logits(val.x.view())?, m.logits(ctx.test.x.view())?, m.report.seconds)
            }
        };
        let s = Setting { objective: Objective::Distill { alpha, temperature: t }, inputs, epochs };
        runs.push(ctx.grid_run(arch_name(fit.x.ncols(), &[800, 800], k), s, val_z.view(), val.y.view(), test_z.view(), seconds)?);
    }
    let chosen = (0..runs.len()).min_by_key(|&i| (runs[i].val_errors, i)).expect("at least two candidates");
    let (alpha, temperature) = candidates[chosen];
    say(cfg, format!("2×800 students: validation chose α = {alpha}, T = {temperature} ({} validation errors)", runs[chosen].val_errors));
    Ok(BigChoice { runs, chosen: Some(chosen), alpha, temperature })
}
