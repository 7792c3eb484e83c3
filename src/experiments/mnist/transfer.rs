//! The students' training sources outside the validation split: the plain images with the teachers'
//! logits, every translation of them (a [`ViewBank`]), the transfer set (`transfer_views` views of
//! each image drawn from [`MnistConfig::transfer`], labelled by the teachers) and the CART trees' own
//! (as many views, drawn from [`MnistConfig::tree_transfer`]), each cached beside its teacher. [`Sources::with_data`] turns an [`Inputs`] and an [`Objective`] into the training data of
//! the crate's one loop.
use super::cache::{hash_data, key_of};
use super::teachers::{teacher_probs, view_bank, Member};
use super::{Inputs, MnistConfig};
use crate::augment::images::random_translate;
use crate::augment::views::Views;
use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::neural::{Objective, TrainData};
use crate::neural::TargetScale;
use crate::teacher::bank::ViewBank;
use ndarray::Array2;

/// Where the small students and the soft trees learn from.
pub(super) struct Sources<'a> {
    pub(super) cfg: &'a MnistConfig,
    /// Training images outside the validation split, with labels.
    pub(super) plain: Dataset,
    /// The validation split.
    pub(super) val: Dataset,
    /// Each teacher member's logits on `plain`.
    pub(super) plain_logits: Vec<Array2<f32>>,
    /// Every translation of `plain`.
    pub(super) shifts: ViewBank,
    /// The transfer set over `plain`.
    pub(super) transfer: ViewBank,
    /// The CART trees' transfer set over `plain`; `None` when its recipe is the students' (then it is
    /// `transfer`).
    pub(super) tree_transfer: Option<ViewBank>,
    pub(super) rows: usize,
    pub(super) cols: usize,
}

impl Sources<'_> {
    /// The CART trees' transfer set.
    pub(super) fn tree_transfer(&self) -> &ViewBank {
        self.tree_transfer.as_ref().unwrap_or(&self.transfer)
    }

    /// Teacher probabilities at `t` on the plain images.
    pub(super) fn plain_probs(&self, t: f32) -> Result<Array2<f32>> {
        teacher_probs(&self.plain_logits.iter().collect::<Vec<_>>(), t)
    }

    /// The teachers' combined logits on the plain images (for logit matching): the logits of a single
    /// teacher, `ln p̄` for an ensemble.
    pub(super) fn plain_teacher_logits(&self) -> Result<Array2<f32>> {
        let zs: Vec<tch::Tensor> = self.plain_logits.iter().map(|z| crate::neural::to_tensor(z.view(), tch::Device::Cpu)).collect();
        crate::neural::to_array2(&crate::teacher::bank::mean_logits(&zs))
    }

    /// Call `f` with the training data for `inputs` and `objective`: labels always; the teacher's
    /// probabilities at the objective's temperature (or its logits, for logit matching) on the plain
    /// images, on a random translation by up to `max_shift` pixels per batch (at most the bank's
    /// `budget.max_shift`), or on a random transfer view per batch. Labels of transfer views are their
    /// own image's, so a hard-label term is refused there (a mixture has none).
    pub(super) fn with_data<R>(&self, inputs: Inputs, objective: Objective, max_shift: usize, f: impl FnOnce(TrainData<'_>) -> Result<R>) -> Result<R> {
        let base = TrainData::new(self.plain.x.view()).labels(self.plain.y.view());
        let targets = match objective {
            Objective::Hard => None,
            Objective::Distill { temperature, .. } => Some(TargetScale::Probabilities { temperature }),
            Objective::LogitMatch { .. } => Some(TargetScale::Logits),
        };
        let (rows, cols, bank_shift) = (self.rows, self.cols, self.cfg.budget.max_shift);
        if max_shift > bank_shift {
            return Err(KdError::param("max_shift", max_shift, format!("the bank of translations moves images by up to {bank_shift} pixels")));
        }
        let s = max_shift;
        match (inputs, targets) {
            (Inputs::Transfer, _) if objective.alpha() > 0.0 => Err(KdError::param(
                "alpha",
                objective.alpha(),
                "the transfer set mixes images, so its views have no labels: distil on it with α = 0",
            )),
            (Inputs::Plain, None) => f(base),
            (Inputs::Translations, None) => {
                let tf = move |x: &tch::Tensor| random_translate(x, rows, cols, s);
                f(base.transform(&tf))
            }
            (Inputs::Transfer, None) => Err(KdError::param("inputs", "transfer set", "has no labels: train on labels with the plain images or translations")),
            (Inputs::Plain, Some(TargetScale::Probabilities { temperature })) => {
                let q = self.plain_probs(temperature)?;
                f(base.soft(q.view(), temperature))
            }
            (Inputs::Plain, Some(TargetScale::Logits)) => {
                let z = self.plain_teacher_logits()?;
                f(base.teacher_logits(z.view()))
            }
            (Inputs::Translations, Some(t)) => {
                let slots = tch::Tensor::from_slice(&Views::translation_slots(bank_shift, s));
                let aug = |idx: &tch::Tensor, xb: &tch::Tensor| self.shifts.batch_among(idx, xb, t, &slots);
                f(base.augmented(&aug, t))
            }
            (Inputs::Transfer, Some(t)) => {
                let aug = |idx: &tch::Tensor, xb: &tch::Tensor| self.transfer.batch(idx, xb, t);
                f(base.augmented(&aug, t))
            }
        }
    }
}

/// Build the sources: `plain_rows` of `train` are the students' images, `val_rows` the validation
/// split; `shifts` is the bank of every translation of all of `train`.
#[allow(clippy::too_many_arguments)]
pub(super) fn sources<'a>(
    cfg: &'a MnistConfig,
    members: &[Member],
    train: &Dataset,
    plain_rows: &[usize],
    val_rows: &[usize],
    shifts: &ViewBank,
    rows: usize,
    cols: usize,
) -> Result<Sources<'a>> {
    let plain = train.select(plain_rows);
    let val = train.select(val_rows);
    let plain_logits = members.iter().map(|m| m.train.select(ndarray::Axis(0), plain_rows)).collect();
    let per_image = cfg.budget.transfer_views;
    let seed = cfg.seed + 40;
    let data_key = hash_data(&plain);
    let images = crate::neural::to_tensor(plain.x.view(), tch::Device::Cpu);
    let views = Views::sample_near(&images, rows, cols, per_image, &cfg.transfer, seed)?;
    let key = key_of(&(data_key, per_image, &cfg.transfer, seed));
    let what = format!("the transfer set ({per_image} views of each of {} images, {} of them mixtures)", plain.len(), views.n_mixed());
    let transfer = view_bank(cfg, members, &plain, views, &format!("views-transfer-{key}"), &what)?;
    let tree_views = cfg.budget.tree_views();
    let tree_transfer = if cfg.tree_transfer == cfg.transfer && tree_views == per_image {
        None
    } else {
        let (recipe, seed) = (&cfg.tree_transfer, cfg.seed + 42);
        let start = std::time::Instant::now();
        let views = Views::sample_near(&images, rows, cols, tree_views, recipe, seed)?;
        if recipe.near() {
            super::say(cfg, format!("the trees' transfer set: {} nearest neighbours of each of the {} images in {:.1} s", recipe.neighbours, plain.len(), start.elapsed().as_secs_f64()));
        }
        let key = key_of(&(data_key, tree_views, recipe, seed));
        let what = format!("the trees' transfer set ({tree_views} views of each of {} images, {} of them mixtures)", plain.len(), views.n_mixed());
        Some(view_bank(cfg, members, &plain, views, &format!("views-tree-transfer-{key}"), &what)?)
    };
    Ok(Sources { cfg, shifts: shifts.subset(plain_rows)?, plain, val, plain_logits, transfer, tree_transfer, rows, cols })
}
