//! What a network is trained on: [`TrainData`] (features, labels, soft targets and their
//! [`TargetScale`], weights, an input transform) and where a batch's soft targets come from
//! ([`SoftTargets`]).
use super::Objective;
use crate::error::{KdError, Result};
use ndarray::{ArrayView1, ArrayView2};
use tch::Tensor;

/// A per-batch input transform applied during training only (e.g. random translations), run on the
/// device with libtorch's seeded generator.
///
/// # Examples
///
/// ```
/// use kdistill::neural::InputTransform;
/// use tch::Tensor;
/// let negate = |x: &Tensor| -x;
/// let tf: InputTransform<'_> = &negate;
/// let y = tf(&Tensor::from_slice(&[1.0f32, -2.0]));
/// assert_eq!(Vec::<f32>::try_from(y).unwrap(), vec![-1.0, 2.0]);
/// ```
pub type InputTransform<'a> = &'a dyn Fn(&Tensor) -> Tensor;

/// Where the soft targets of a mini-batch come from (see [`TrainData`]).
///
/// # Examples
///
/// ```
/// use kdistill::neural::SoftTargets;
/// use ndarray::array;
/// let q = array![[0.9f32, 0.1], [0.2, 0.8]];
/// let fixed = SoftTargets::Rows(q.view());                       // one row per training row
/// let uniform = |x: &tch::Tensor| tch::Tensor::full([x.size()[0], 2], 0.5, (tch::Kind::Float, x.device()));
/// let live = SoftTargets::OnBatch(&uniform);                     // computed from each (transformed) batch
/// // looked up by row: the inputs flipped, and targets stored per row for the flipped inputs
/// let table = tch::Tensor::from_slice(&[0.1f32, 0.9, 0.8, 0.2]).view([2, 2]);
/// let flip = |idx: &tch::Tensor, xb: &tch::Tensor| (xb.flip([1]), table.index_select(0, idx));
/// let looked_up = SoftTargets::Augmented(&flip);
/// assert!(matches!(fixed, SoftTargets::Rows(_)) && matches!(live, SoftTargets::OnBatch(_)));
/// assert!(matches!(looked_up, SoftTargets::Augmented(_)));
/// ```
#[derive(Clone, Copy)]
pub enum SoftTargets<'a> {
    /// `q_T` for every training row (`n × K`, rows summing to 1), taken with the batch.
    Rows(ArrayView2<'a, f32>),
    /// Computed on the device from the batch *after* the input transform, without gradients: e.g. a
    /// teacher labelling randomly translated images. Must return `B × K` probabilities at the objective's
    /// temperature.
    OnBatch(&'a dyn Fn(&Tensor) -> Tensor),
    /// An augmentation that labels what it makes: given the batch's row indices into `x` (Int64, on
    /// the device) and its rows, returns the augmented rows and their `B × K` soft targets at the
    /// objective's temperature, without gradients. For targets that are looked up rather than computed,
    /// e.g. a teacher's logits on every translation of every row, computed once
    /// ([`crate::teacher::bank::ViewBank`]). It is the batch's input transform too, even when
    /// `α = 1`, so [`TrainData::transform`] must be unset.
    Augmented(&'a dyn Fn(&Tensor, &Tensor) -> (Tensor, Tensor)),
}

impl std::fmt::Debug for SoftTargets<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rows(q) => write!(f, "SoftTargets::Rows({:?})", q.dim()),
            Self::OnBatch(_) => f.write_str("SoftTargets::OnBatch(..)"),
            Self::Augmented(_) => f.write_str("SoftTargets::Augmented(..)"),
        }
    }
}

/// What soft targets are, so the loss can check them against its [`Objective`]: probabilities softened
/// at a temperature (for [`Objective::Distill`], which needs that temperature to be its own), or a
/// teacher's logits (for [`Objective::LogitMatch`]).
///
/// # Examples
///
/// ```
/// use kdistill::neural::{TargetScale, TrainData};
/// let x = ndarray::array![[0.0f32], [1.0]];
/// let q = ndarray::array![[0.6f32, 0.4], [0.3, 0.7]];
/// let data = TrainData::new(x.view()).soft(q.view(), 2.0);
/// assert_eq!(data.scale, Some(TargetScale::Probabilities { temperature: 2.0 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetScale {
    /// Rows of probabilities softened at `temperature` (`softmax(z/T)`).
    Probabilities {
        /// The temperature `T` they were softened at.
        temperature: f32,
    },
    /// A teacher's raw logits.
    Logits,
}

impl TargetScale {
    /// An error unless targets of this scale suit `objective` (only checked when it uses soft targets).
    pub(crate) fn check_against(self, objective: Objective) -> Result<()> {
        match (objective, self) {
            (Objective::Hard, _) => Ok(()),
            (Objective::Distill { temperature: t, .. }, TargetScale::Probabilities { temperature: s }) => {
                if (s - t).abs() <= 1e-6 * t.abs().max(1.0) {
                    Ok(())
                } else {
                    Err(KdError::param(
                        "temperature",
                        t,
                        format!("the loss distils at T = {t} but the soft targets were softened at T = {s}: soften them at T = {t}"),
                    ))
                }
            }
            (Objective::Distill { temperature: t, .. }, TargetScale::Logits) => Err(KdError::param(
                "objective",
                "distillation",
                format!("distillation takes probabilities softened at T = {t}, not logits (logit matching takes logits)"),
            )),
            (Objective::LogitMatch { .. }, TargetScale::Probabilities { .. }) => Err(KdError::param(
                "objective",
                "logit matching",
                "logit matching takes the teacher's logits (TrainData::teacher_logits), not probabilities",
            )),
            (Objective::LogitMatch { .. }, TargetScale::Logits) => Ok(()),
        }
    }
}

/// The training set of [`train_model`]: features plus whatever the [`Objective`] needs.
///
/// ndarray views are invariant in their lifetime, so views with different lifetimes (e.g. two function
/// parameters) are put together by reborrowing them: `TrainData::new(x.view()).labels(y.view())`.
///
/// # Examples
///
/// ```
/// use kdistill::neural::TrainData;
/// use ndarray::{array, Array1};
/// let x = array![[0.0f32, 1.0], [1.0, 0.0]];
/// let y: Array1<usize> = array![1, 0];
/// let q = array![[0.2f32, 0.8], [0.7, 0.3]];
/// let w = array![1.0f32, 2.0];
/// let data = TrainData::new(x.view()).labels(y.view()).soft(q.view(), 2.0).weights(w.view()); // q at T = 2
/// assert_eq!(data.x.nrows(), 2);
/// assert!(data.labels.is_some() && data.soft.is_some() && data.transform.is_none());
/// ```
#[derive(Clone, Copy)]
pub struct TrainData<'a> {
    /// Features, `n × d`.
    pub x: ArrayView2<'a, f32>,
    /// Hard labels (needed for [`Objective::Hard`] and for `Distill` with `α > 0`).
    pub labels: Option<ArrayView1<'a, usize>>,
    /// Soft targets `q_T` (needed for `Distill` with `α < 1`), or a teacher's logits.
    pub soft: Option<SoftTargets<'a>>,
    /// What `soft` holds (set with it by the builder); checked against the objective.
    pub scale: Option<TargetScale>,
    /// Optional non-negative per-row weights (weighted mean of per-row losses).
    pub weights: Option<ArrayView1<'a, f32>>,
    /// Optional training-time input transform, applied to each batch before the forward pass.
    pub transform: Option<InputTransform<'a>>,
}

impl std::fmt::Debug for TrainData<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainData")
            .field("x", &self.x.dim())
            .field("labels", &self.labels.map(|l| l.len()))
            .field("soft", &self.soft)
            .field("scale", &self.scale)
            .field("weights", &self.weights.map(|w| w.len()))
            .field("transform", &self.transform.map(|_| ".."))
            .finish()
    }
}

impl<'a> TrainData<'a> {
    /// Features only; add the rest with the builder methods.
    pub fn new(x: ArrayView2<'a, f32>) -> Self {
        Self { x, labels: None, soft: None, scale: None, weights: None, transform: None }
    }
    /// Hard labels in `0..K`.
    pub fn labels(mut self, y: ArrayView1<'a, usize>) -> Self {
        self.labels = Some(y);
        self
    }
    /// Fixed soft targets softened at `temperature`, one row per training row ([`SoftTargets::Rows`]).
    /// A distillation loss at another temperature refuses them.
    pub fn soft(mut self, q: ArrayView2<'a, f32>, temperature: f32) -> Self {
        self.soft = Some(SoftTargets::Rows(q));
        self.scale = Some(TargetScale::Probabilities { temperature });
        self
    }
    /// A teacher's logits, one row per training row, for [`Objective::LogitMatch`].
    pub fn teacher_logits(mut self, z: ArrayView2<'a, f32>) -> Self {
        self.soft = Some(SoftTargets::Rows(z));
        self.scale = Some(TargetScale::Logits);
        self
    }
    /// Soft targets computed from each transformed batch ([`SoftTargets::OnBatch`]), of the given scale.
    pub fn soft_on_batch(mut self, f: &'a dyn Fn(&Tensor) -> Tensor, scale: TargetScale) -> Self {
        self.soft = Some(SoftTargets::OnBatch(f));
        self.scale = Some(scale);
        self
    }
    /// Augmented rows and their soft targets (of the given scale) from each batch's row indices and
    /// rows ([`SoftTargets::Augmented`]; replaces [`TrainData::transform`]).
    pub fn augmented(mut self, f: &'a dyn Fn(&Tensor, &Tensor) -> (Tensor, Tensor), scale: TargetScale) -> Self {
        self.soft = Some(SoftTargets::Augmented(f));
        self.scale = Some(scale);
        self
    }
    /// Per-row weights.
    pub fn weights(mut self, w: ArrayView1<'a, f32>) -> Self {
        self.weights = Some(w);
        self
    }
    /// Training-time input transform.
    pub fn transform(mut self, f: InputTransform<'a>) -> Self {
        self.transform = Some(f);
        self
    }
}
