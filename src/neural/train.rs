//! The crate's one mini-batch training loop ([`train_model`]) and what it is given: [`TrainParams`],
//! [`Objective`], [`TrainData`], [`SoftTargets`], the [`Trainable`] trait.
use super::{loss, to_tensor, Net};
use crate::error::{KdError, Result};
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use tch::{nn, nn::OptimizerConfig, Kind, Tensor};

/// What the network is trained to minimise.
///
/// # Examples
///
/// ```
/// use kdistill::neural::Objective;
/// let hard = Objective::Hard;
/// // Hinton's setting for a large student: mostly the soft term, at a high temperature
/// let distil = Objective::Distill { alpha: 0.1, temperature: 20.0 };
/// assert_ne!(hard, distil);
/// assert_eq!((hard.alpha(), distil.alpha(), Objective::LogitMatch { alpha: 0.0 }.alpha()), (1.0, 0.1, 0.0));
/// assert!(Objective::Distill { alpha: 2.0, temperature: 1.0 }.check().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// Cross-entropy on the hard labels.
    Hard,
    /// `α·CE(labels) + (1−α)·T²·KL(q_T ‖ softmax(z/T))`, where `q_T` are the soft targets (already softened
    /// at the same `T`). With `α = 0` no labels are needed.
    Distill {
        /// Weight of the hard-label cross-entropy, in [0, 1].
        alpha: f32,
        /// Temperature `T > 0`.
        temperature: f32,
    },
    /// Logit matching (Caruana; the high-temperature limit of `Distill`, Hinton et al. 2015 §2.1):
    /// `α·CE(labels) + (1−α)·½·mean_k(((z − z̄) − (v − v̄))_k²)`, where the soft targets `v` are the
    /// teacher's *logits* (not probabilities) and `z̄`, `v̄` are row means (softmax ignores a shift of all
    /// logits, so only the centred logits are matched; see [`loss::logit_matching_loss`]).
    LogitMatch {
        /// Weight of the hard-label cross-entropy, in [0, 1].
        alpha: f32,
    },
}

impl Objective {
    /// The hard-label weight `α` (1 for [`Objective::Hard`]).
    pub fn alpha(&self) -> f32 {
        match *self {
            Objective::Hard => 1.0,
            Objective::Distill { alpha, .. } | Objective::LogitMatch { alpha } => alpha,
        }
    }
    /// `α ∈ [0, 1]` and a valid temperature.
    pub fn check(&self) -> Result<()> {
        let alpha = self.alpha();
        if !(0.0..=1.0).contains(&alpha) {
            return Err(KdError::param("alpha", alpha, "must be in [0, 1]"));
        }
        if let Objective::Distill { temperature, .. } = *self {
            crate::base::check_temperature(temperature)?;
        }
        Ok(())
    }
}

/// One mini-batch's targets, on the model's device, as [`Trainable::batch_loss`] receives them.
#[derive(Debug, Clone, Copy)]
pub struct BatchTargets<'a> {
    /// Hard labels (Int64, `B`), when the objective uses them.
    pub labels: Option<&'a Tensor>,
    /// Soft targets (`B × K`): probabilities at the objective's temperature, or the teacher's logits for
    /// [`Objective::LogitMatch`].
    pub soft: Option<&'a Tensor>,
    /// Row weights (`B`), when given.
    pub weights: Option<&'a Tensor>,
}

/// Mini-batch AdamW settings. Validated by [`train`] and [`train_model`].
///
/// # Examples
///
/// ```
/// use kdistill::neural::TrainParams;
/// // 20 epochs whose learning rate falls from 1e-3 to 1e-3 · 0.9^19
/// let p = TrainParams { epochs: 20, lr_decay: 0.9, seed: 4, ..TrainParams::default() };
/// assert_eq!((p.batch_size, p.learning_rate, p.max_norm), (64, 1e-3, None));
/// p.check()?;
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Passes over the data (≥ 1).
    pub epochs: usize,
    /// Rows per step (≥ 1).
    pub batch_size: usize,
    /// Adam step size (> 0).
    pub learning_rate: f64,
    /// Multiply the learning rate by this after every epoch (in (0, 1]); ignored with `cosine`.
    pub lr_decay: f64,
    /// Follow a half cosine from `learning_rate` down to 0 over all steps instead (updated every step).
    #[serde(default)]
    pub cosine: bool,
    /// Decoupled weight decay (AdamW), ≥ 0.
    pub weight_decay: f64,
    /// Optional max-norm on each unit's incoming weights.
    pub max_norm: Option<f64>,
    /// Seed for shuffling and dropout.
    pub seed: u64,
    /// Label for the progress bar; `None` hides it.
    pub progress: Option<String>,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            epochs: 50,
            batch_size: 64,
            learning_rate: 1e-3,
            lr_decay: 1.0,
            cosine: false,
            weight_decay: 0.0,
            max_norm: None,
            seed: 0,
            progress: None,
        }
    }
}

impl TrainParams {
    /// Validate every field.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{neural::TrainParams, KdError};
    /// let bad = TrainParams { lr_decay: 1.5, ..TrainParams::default() };
    /// assert!(matches!(bad.check(), Err(KdError::InvalidParam { .. })));
    /// assert!(TrainParams { epochs: 0, ..TrainParams::default() }.check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(KdError::param("epochs", 0, "must be ≥ 1"));
        }
        if self.batch_size == 0 {
            return Err(KdError::param("batch_size", 0, "must be ≥ 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(KdError::param("learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(KdError::param("lr_decay", self.lr_decay, "must be in (0, 1]"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(KdError::param("weight_decay", self.weight_decay, "must be finite and ≥ 0"));
        }
        if let Some(m) = self.max_norm {
            if !(m.is_finite() && m > 0.0) {
                return Err(KdError::param("max_norm", m, "must be finite and > 0"));
            }
        }
        Ok(())
    }
}

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

/// A network the shared mini-batch loop [`train_model`] can train: its widths, a forward pass, the
/// variables the optimiser updates, and a hook run after every optimiser step (e.g. a weight constraint).
///
/// [`Net`] implements it (and [`train`] adds the max-norm constraint through `after_step`); so does the
/// MNIST experiment's CNN teacher.
///
/// # Examples
///
/// Logistic regression as a `Trainable`, fitted by the shared loop:
///
/// ```
/// use kdistill::neural::{train_model, Objective, TrainData, TrainParams, Trainable};
/// use ndarray::{array, Array1};
/// use tch::{nn, Device, Tensor};
///
/// struct Logistic { vs: nn::VarStore, lin: nn::Linear, steps: usize }
/// impl Trainable for Logistic {
///     fn n_inputs(&self) -> usize { 1 }
///     fn n_outputs(&self) -> usize { 2 }
///     fn forward_t(&self, x: &Tensor, _train: bool) -> Tensor { x.apply(&self.lin) }
///     fn var_store(&self) -> &nn::VarStore { &self.vs }
///     fn after_step(&mut self) { self.steps += 1 }
/// }
///
/// tch::manual_seed(0);
/// let vs = nn::VarStore::new(Device::Cpu);
/// let lin = nn::linear(vs.root() / "lin", 1, 2, Default::default());
/// let mut model = Logistic { vs, lin, steps: 0 };
/// let x = array![[-2.0f32], [-1.0], [1.0], [2.0]];
/// let y: Array1<usize> = array![0, 0, 1, 1];
/// let params = TrainParams { epochs: 2, batch_size: 2, learning_rate: 0.1, ..TrainParams::default() };
/// let report = train_model(&mut model, &params, TrainData::new(x.view()).labels(y.view()), Objective::Hard)?;
/// assert_eq!(model.steps, 4); // 2 epochs × 2 batches
/// assert!(report.final_loss.is_finite());
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub trait Trainable {
    /// Input width `d` (columns of the training matrix).
    fn n_inputs(&self) -> usize;
    /// Output width `K` (logits; labels must lie in `0..K`).
    fn n_outputs(&self) -> usize;
    /// Logits (`B × K`) for a batch already on the model's device; `train` enables dropout.
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor;
    /// The variables the optimiser updates; training runs on their device.
    fn var_store(&self) -> &nn::VarStore;
    /// Called after every optimiser step (default: nothing).
    fn after_step(&mut self) {}
    /// The loss minimised on one training batch `x` (already augmented). Default:
    /// [`loss::objective_loss`] of `forward_t(x, true)`; a model with a loss of its own (e.g. the soft
    /// decision tree's path-weighted leaf losses and balance penalty) overrides it.
    fn batch_loss(&mut self, x: &Tensor, targets: BatchTargets<'_>, objective: Objective) -> Result<Tensor> {
        loss::objective_loss(&self.forward_t(x, true), targets, objective)
    }
}

/// A [`Net`] held to [`TrainParams::max_norm`]: every unit's incoming weights are clipped after each step.
struct MaxNormed<'a> {
    net: &'a mut Net,
    max_norm: f64,
}

impl Trainable for MaxNormed<'_> {
    fn n_inputs(&self) -> usize {
        self.net.spec().input
    }
    fn n_outputs(&self) -> usize {
        self.net.spec().output
    }
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        self.net.forward_t(x, train)
    }
    fn var_store(&self) -> &nn::VarStore {
        self.net.var_store()
    }
    fn after_step(&mut self) {
        self.net.apply_max_norm(self.max_norm);
    }
}

/// libtorch's random generator is process-global: two fits running at once on different threads would
/// interleave their draws and the seeds would stop meaning anything. Whoever seeds, initialises (also
/// to load weights: initialisation draws from the generator) or trains a network holds this lock for
/// the whole job. It is re-entrant on one thread, so a fit that holds it can build its network.
pub(crate) fn seeded_fit_lock() -> SeededFitGuard {
    static SEEDED_FIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = if SEEDED_FIT_DEPTH.with(|d| d.get()) == 0 { Some(SEEDED_FIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())) } else { None };
    SEEDED_FIT_DEPTH.with(|d| d.set(d.get() + 1));
    SeededFitGuard { _guard: guard }
}

thread_local! {
    static SEEDED_FIT_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Held while a thread owns libtorch's generator ([`seeded_fit_lock`]); the outermost one holds the mutex.
pub(crate) struct SeededFitGuard {
    _guard: Option<std::sync::MutexGuard<'static, ()>>,
}

impl Drop for SeededFitGuard {
    fn drop(&mut self) {
        SEEDED_FIT_DEPTH.with(|d| d.set(d.get() - 1));
    }
}

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
    fn check_against(self, objective: Objective) -> Result<()> {
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

/// Summary of a training run.
///
/// # Examples
///
/// ```
/// use kdistill::neural::{train, MlpSpec, Net, Objective, TrainData, TrainParams};
/// use ndarray::{array, Array1};
/// let x = array![[0.0f32], [1.0]];
/// let y: Array1<usize> = array![0, 1];
/// let mut net = Net::new(&MlpSpec::new(1, &[4], 2), tch::Device::Cpu, 0)?;
/// let params = TrainParams { epochs: 1, batch_size: 2, ..TrainParams::default() };
/// let report = train(&mut net, &params, TrainData::new(x.view()).labels(y.view()), Objective::Hard)?;
/// assert!(report.final_loss > 0.0 && report.seconds >= 0.0);
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Mean loss over the last epoch.
    pub final_loss: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Train a [`Net`] in place on `data` (see [`TrainData`]); [`TrainParams::max_norm`], when set, is
/// applied after every step. This is [`train_model`] on a [`Net`]; see there for the loop itself.
///
/// # Examples
///
/// Distil two rows' soft targets into a small net for one epoch, with max-norm on:
///
/// ```
/// use kdistill::neural::{train, MlpSpec, Net, Objective, TrainData, TrainParams};
/// use ndarray::array;
/// let x = array![[0.0f32, 1.0], [1.0, 0.0]];
/// let q = array![[0.3f32, 0.7], [0.6, 0.4]]; // softened at T = 2
/// let mut net = Net::new(&MlpSpec::new(2, &[8], 2), tch::Device::Cpu, 0)?;
/// let params = TrainParams { epochs: 1, batch_size: 1, max_norm: Some(1.0), ..TrainParams::default() };
/// let objective = Objective::Distill { alpha: 0.0, temperature: 2.0 };
/// let report = train(&mut net, &params, TrainData::new(x.view()).soft(q.view(), 2.0), objective)?;
/// assert!(report.final_loss >= 0.0);
/// // every unit's incoming weights now have L2 norm ≤ 1
/// let w = kdistill::neural::to_array2(&net.var_store().variables()["fc0.weight"])?;
/// assert!(w.rows().into_iter().all(|unit| unit.dot(&unit).sqrt() <= 1.0 + 1e-5));
/// // soft targets at another temperature than the loss's are refused
/// assert!(train(&mut net, &params, TrainData::new(x.view()).soft(q.view(), 1.0), objective).is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub fn train(net: &mut Net, params: &TrainParams, data: TrainData<'_>, objective: Objective) -> Result<TrainReport> {
    params.check()?;
    let unconstrained = TrainParams { max_norm: None, ..params.clone() };
    match params.max_norm {
        Some(max_norm) => train_model(&mut MaxNormed { net, max_norm }, &unconstrained, data, objective),
        None => train_model(net, &unconstrained, data, objective),
    }
}

/// The one mini-batch training loop (AdamW) shared by every network in the crate.
///
/// After validating `params` and `data`, it seeds libtorch with `params.seed` and, for each epoch,
/// sets the learning rate to `learning_rate · lr_decay^epoch` (with `cosine`: `learning_rate · ½(1 + cos(π·s/S))`
/// before step `s` of `S`), draws a random permutation of the rows,
/// and for each batch of `batch_size` rows: applies `data.transform`, computes the soft targets
/// ([`SoftTargets::OnBatch`] sees the transformed batch; [`SoftTargets::Augmented`] makes both the
/// batch and its targets from the row indices), runs `forward_t(·, true)`, minimises
/// [`loss::distillation_loss`] (cross-entropy for [`Objective::Hard`]), calls
/// [`Trainable::after_step`]. A progress bar shows epochs and the last epoch's mean loss
/// ([`TrainParams::progress`]); a non-finite epoch loss is an error.
///
/// Constraints belong to the model's `after_step`, so `params.max_norm` must be `None` here
/// ([`train`] turns it into an `after_step` for a [`Net`]).
///
/// # Examples
///
/// A net distilled from a "teacher" that labels every randomly shifted batch on the fly:
///
/// ```
/// use kdistill::neural::{train_model, MlpSpec, Net, Objective, TargetScale, TrainData, TrainParams};
/// use ndarray::{array, Array1};
/// use tch::{Kind, Tensor};
/// let x = array![[0.0f32, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]];
/// let y: Array1<usize> = array![1, 0, 1, 0];
/// let shift = |b: &Tensor| b + 0.01 * b.randn_like();
/// // the teacher: class 0 is more likely the larger the first feature is
/// let teacher = |b: &Tensor| Tensor::stack(&[b.select(1, 0), b.select(1, 1)], 1).softmax(-1, Kind::Float);
/// let mut net = Net::new(&MlpSpec::new(2, &[8], 2), tch::Device::Cpu, 0)?;
/// let params = TrainParams { epochs: 2, batch_size: 2, ..TrainParams::default() };
/// let data = TrainData::new(x.view()).labels(y.view()).soft_on_batch(&teacher, TargetScale::Probabilities { temperature: 1.0 }).transform(&shift);
/// let report = train_model(&mut net, &params, data, Objective::Distill { alpha: 0.5, temperature: 1.0 })?;
/// assert!(report.final_loss.is_finite());
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub fn train_model<M: Trainable + ?Sized>(model: &mut M, params: &TrainParams, data: TrainData<'_>, objective: Objective) -> Result<TrainReport> {
    params.check()?;
    if let Some(m) = params.max_norm {
        return Err(KdError::param("max_norm", m, "train_model leaves constraints to Trainable::after_step; use neural::train for a Net"));
    }
    let TrainData { x, labels, soft, scale, weights, transform } = data;
    let n = x.nrows();
    crate::base::check_rows(x, "training features")?;
    crate::base::check_finite(x, "training features")?;
    if x.ncols() != model.n_inputs() {
        return Err(KdError::Shape(format!("net expects {} features, got {}", model.n_inputs(), x.ncols())));
    }
    let k = model.n_outputs();
    objective.check()?;
    let alpha = objective.alpha();
    if alpha > 0.0 && labels.is_none() {
        return Err(KdError::param("alpha", alpha, "hard-label weight > 0 but no labels were given"));
    }
    if let Some(l) = labels {
        if l.len() != n {
            return Err(KdError::Shape(format!("{n} feature rows but {} labels", l.len())));
        }
        crate::base::check_labels(l, k, &format!("n_classes = {k}"))?;
    }
    if alpha < 1.0 {
        let given = soft.ok_or_else(|| KdError::param("alpha", alpha, "distillation needs soft targets"))?;
        scale.ok_or_else(|| KdError::param("soft", "unset", "soft targets need their scale: build them with TrainData::soft, teacher_logits, soft_on_batch or augmented"))?.check_against(objective)?;
        match given {
            SoftTargets::Rows(s) => {
                if s.dim() != (n, k) {
                    return Err(KdError::Shape(format!("soft targets are {:?}, expected ({n}, {k})", s.dim())));
                }
                match objective {
                    Objective::LogitMatch { .. } => crate::base::check_finite(s, "teacher logits")?,
                    _ => crate::base::check_probabilities(s, "soft targets", crate::base::PROB_SUM_TOLERANCE)?,
                }
            }
            SoftTargets::OnBatch(_) | SoftTargets::Augmented(_) => {}
        }
    }
    if matches!(soft, Some(SoftTargets::Augmented(_))) && transform.is_some() {
        return Err(KdError::param("transform", "set", "SoftTargets::Augmented is the input transform; leave TrainData::transform unset"));
    }
    if let Some(w) = weights {
        crate::base::check_weights(w, n)?;
    }

    let device = model.var_store().device();
    let start = std::time::Instant::now();
    tch::manual_seed(params.seed as i64);
    let xs = to_tensor(x, device);
    let ys = labels.map(|l| Tensor::from_slice(&l.iter().map(|&c| c as i64).collect::<Vec<_>>()).to_device(device));
    let (qs, on_batch) = match soft {
        Some(SoftTargets::Rows(s)) if alpha < 1.0 => (Some(to_tensor(s, device)), None),
        Some(SoftTargets::OnBatch(f)) if alpha < 1.0 => (None, Some(f)),
        _ => (None, None),
    };
    let augmented = match soft {
        Some(SoftTargets::Augmented(f)) => Some(f),
        _ => None,
    };
    let ws = weights.map(|w| Tensor::from_slice(w.as_standard_layout().as_slice().unwrap()).to_device(device));

    let mut opt = nn::AdamW::default().wd(params.weight_decay).build(model.var_store(), params.learning_rate)?;
    let bar = crate::progress::bar(params.progress.as_deref(), params.epochs as u64);
    let mut last_loss = f64::NAN;
    let n_batches = n.div_ceil(params.batch_size);
    for epoch in 0..params.epochs {
        if !params.cosine {
            opt.set_lr(params.learning_rate * params.lr_decay.powi(epoch as i32));
        }
        let perm = Tensor::randperm(n as i64, (Kind::Int64, device));
        let mut sum = Tensor::zeros([], (Kind::Float, device));
        for b in 0..n_batches {
            let lo = (b * params.batch_size) as i64;
            let hi = (((b + 1) * params.batch_size).min(n)) as i64;
            if params.cosine {
                let done = (epoch * n_batches + b) as f64 / (params.epochs * n_batches) as f64;
                opt.set_lr(params.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * done).cos()));
            }
            let idx = perm.narrow(0, lo, hi - lo);
            let mut xb = xs.index_select(0, &idx);
            if let Some(f) = transform {
                xb = f(&xb);
            }
            let qb = match (on_batch, augmented) {
                (Some(f), _) => Some(tch::no_grad(|| f(&xb))),
                (None, Some(f)) => {
                    let (xa, qa) = tch::no_grad(|| f(&idx, &xb));
                    xb = xa;
                    (alpha < 1.0).then_some(qa)
                }
                (None, None) => qs.as_ref().map(|q| q.index_select(0, &idx)),
            };
            let yb = ys.as_ref().map(|y| y.index_select(0, &idx));
            let wb = ws.as_ref().map(|w| w.index_select(0, &idx));
            let targets = BatchTargets { labels: yb.as_ref(), soft: qb.as_ref(), weights: wb.as_ref() };
            let loss = model.batch_loss(&xb, targets, objective)?;
            opt.backward_step(&loss);
            model.after_step();
            sum += loss.detach() * (hi - lo);
        }
        last_loss = sum.double_value(&[]) / n as f64;
        if !last_loss.is_finite() {
            bar.abandon();
            return Err(KdError::backend("training", format!("diverged (loss {last_loss}) in epoch {epoch} at learning rate {}; lower the learning rate", params.learning_rate)));
        }
        // Step first, then the message: a redraw between the two would show the old position with a
        // rate estimate that has decayed over the whole epoch (an ETA of hours on slow epochs).
        bar.inc(1);
        bar.set_message(format!("loss {last_loss:.4}"));
    }
    bar.finish_and_clear();
    Ok(TrainReport { final_loss: last_loss, seconds: start.elapsed().as_secs_f64() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::{to_array2, MlpSpec};
    use ndarray::{array, Array1, Array2};
    use tch::Device;

    fn toy() -> (Array2<f32>, Array1<usize>) {
        let x = Array2::from_shape_fn((23, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.5);
        let y = x.rows().into_iter().map(|r| usize::from(r[0] + r[1] > 0.0)).collect();
        (x, y)
    }

    fn weights(net: &Net) -> Vec<f32> {
        let mut named: Vec<_> = net.var_store().variables().into_iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named.iter().flat_map(|(_, t)| Vec::<f32>::try_from(t.view([-1])).unwrap()).collect()
    }

    /// A `Trainable` that counts `after_step` calls around a `Net`.
    struct Counting {
        net: Net,
        steps: usize,
    }
    impl Trainable for Counting {
        fn n_inputs(&self) -> usize {
            self.net.n_inputs()
        }
        fn n_outputs(&self) -> usize {
            self.net.n_outputs()
        }
        fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
            self.net.forward_t(x, train)
        }
        fn var_store(&self) -> &nn::VarStore {
            self.net.var_store()
        }
        fn after_step(&mut self) {
            self.steps += 1;
        }
    }

    #[test]
    fn train_is_train_model_on_a_net_and_after_step_runs_once_per_batch() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        let spec = MlpSpec::new(3, &[6], 2).dropout(0.1, 0.2);
        let p = TrainParams { epochs: 3, batch_size: 5, lr_decay: 0.9, seed: 11, ..TrainParams::default() };
        let mut a = Net::new(&spec, Device::Cpu, 1).unwrap();
        let ra = train(&mut a, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
        let mut b = Counting { net: Net::new(&spec, Device::Cpu, 1).unwrap(), steps: 0 };
        let rb = train_model(&mut b, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
        assert_eq!(weights(&a), weights(&b.net), "same seed, same loop, same weights");
        assert_eq!(ra.final_loss, rb.final_loss);
        assert_eq!(b.steps, 3 * 23usize.div_ceil(5));
    }

    #[test]
    fn max_norm_is_applied_by_train_and_refused_by_train_model() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        let spec = MlpSpec::new(3, &[6], 2);
        let p = TrainParams { epochs: 2, batch_size: 4, learning_rate: 0.5, max_norm: Some(0.3), ..TrainParams::default() };
        let mut net = Net::new(&spec, Device::Cpu, 0).unwrap();
        train(&mut net, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
        for name in ["fc0.weight", "fc1.weight"] {
            let w = to_array2(&net.var_store().variables()[name]).unwrap();
            for unit in w.rows() {
                assert!(unit.dot(&unit).sqrt() <= 0.3 + 1e-5, "{name}: {}", unit.dot(&unit).sqrt());
            }
        }
        let e = train_model(&mut net, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap_err();
        assert!(matches!(e, KdError::InvalidParam { name: "max_norm", .. }), "{e}");
    }

    #[test]
    fn soft_targets_on_the_batch_match_the_same_targets_given_as_rows() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        // A fixed "teacher": softmax(x·W / T) with T = 2.
        let w = Tensor::from_slice(&[1.0f32, -1.0, 0.5, 0.5, -2.0, 2.0]).view([3, 2]);
        let teacher = |b: &Tensor| (b.matmul(&w) / 2.0).softmax(-1, Kind::Float);
        let q = to_array2(&teacher(&to_tensor(x.view(), Device::Cpu))).unwrap();
        let spec = MlpSpec::new(3, &[6], 2);
        let p = TrainParams { epochs: 2, batch_size: 6, seed: 3, ..TrainParams::default() };
        let obj = Objective::Distill { alpha: 0.3, temperature: 2.0 };
        let mut a = Net::new(&spec, Device::Cpu, 2).unwrap();
        train_model(&mut a, &p, TrainData::new(x.view()).labels(y.view()).soft(q.view(), 2.0), obj).unwrap();
        let mut b = Net::new(&spec, Device::Cpu, 2).unwrap();
        train_model(&mut b, &p, TrainData::new(x.view()).labels(y.view()).soft_on_batch(&teacher, TargetScale::Probabilities { temperature: 2.0 }), obj).unwrap();
        let (wa, wb) = (weights(&a), weights(&b));
        assert!(wa.iter().zip(&wb).all(|(u, v)| (u - v).abs() < 1e-5), "rows and on-batch targets disagree");
    }

    #[test]
    fn the_transform_sees_every_row_once_per_epoch_before_the_soft_targets() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        let seen = std::cell::Cell::new(0i64);
        let count = |b: &Tensor| {
            seen.set(seen.get() + b.size()[0]);
            b * 2.0
        };
        // The on-batch targets receive the transformed batch: every value is doubled.
        let doubled = std::cell::Cell::new(true);
        let check = |b: &Tensor| {
            let back = to_array2(b).unwrap();
            let ok = back.rows().into_iter().all(|r| x.rows().into_iter().any(|xr| xr.iter().zip(r.iter()).all(|(u, v)| (2.0 * u - v).abs() < 1e-6)));
            doubled.set(doubled.get() && ok);
            Tensor::full([b.size()[0], 2], 0.5, (Kind::Float, Device::Cpu))
        };
        let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
        let p = TrainParams { epochs: 2, batch_size: 7, ..TrainParams::default() };
        let data = TrainData::new(x.view()).labels(y.view()).transform(&count).soft_on_batch(&check, TargetScale::Probabilities { temperature: 1.0 });
        train_model(&mut net, &p, data, Objective::Distill { alpha: 0.5, temperature: 1.0 }).unwrap();
        assert_eq!(seen.get(), 2 * 23);
        assert!(doubled.get());
    }

    #[test]
    fn an_augmentation_gets_the_batch_row_indices_and_its_rows_replace_the_batch() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        let seen = std::cell::RefCell::new(Vec::<i64>::new());
        let matches = std::cell::Cell::new(true);
        // Targets looked up by row index; the rows handed over must be exactly x[idx].
        let table = Tensor::full([23, 2], 0.5, (Kind::Float, Device::Cpu));
        let aug = |idx: &Tensor, xb: &Tensor| {
            let ids = Vec::<i64>::try_from(idx).unwrap();
            let rows = to_array2(xb).unwrap();
            let ok = ids.iter().zip(rows.rows()).all(|(&i, r)| r.iter().zip(x.row(i as usize)).all(|(a, b)| a == b));
            matches.set(matches.get() && ok);
            seen.borrow_mut().extend(ids);
            (xb * 2.0, table.index_select(0, idx))
        };
        let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
        let p = TrainParams { epochs: 2, batch_size: 7, ..TrainParams::default() };
        for alpha in [0.5f32, 1.0] {
            seen.borrow_mut().clear();
            let data = TrainData::new(x.view()).labels(y.view()).augmented(&aug, TargetScale::Probabilities { temperature: 1.0 });
            train_model(&mut net, &p, data, Objective::Distill { alpha, temperature: 1.0 }).unwrap();
            // Every row twice (two epochs), also when α = 1 ignores the targets.
            let mut ids = seen.borrow().clone();
            ids.sort_unstable();
            assert_eq!(ids, (0..23).flat_map(|i| [i, i]).collect::<Vec<_>>());
        }
        assert!(matches.get());
        let double = |b: &Tensor| b * 2.0;
        let both = TrainData::new(x.view()).labels(y.view()).augmented(&aug, TargetScale::Probabilities { temperature: 1.0 }).transform(&double);
        let err = train_model(&mut net, &p, both, Objective::Distill { alpha: 0.5, temperature: 1.0 }).unwrap_err();
        assert!(matches!(err, KdError::InvalidParam { name: "transform", .. }), "{err}");
    }

    #[test]
    fn bad_training_data_is_a_typed_error() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
        let p = TrainParams { epochs: 1, ..TrainParams::default() };
        let run = |net: &mut Net, d: TrainData<'_>, o: Objective| train_model(net, &p, d, o).unwrap_err();
        let wide = Array2::<f32>::zeros((23, 4));
        assert!(matches!(run(&mut net, TrainData::new(wide.view()).labels(y.view()), Objective::Hard), KdError::Shape(_)));
        let y3 = y.mapv(|c| c + 1);
        assert!(matches!(run(&mut net, TrainData::new(x.view()).labels(y3.view()), Objective::Hard), KdError::UnknownClass { .. }));
        assert!(matches!(run(&mut net, TrainData::new(x.view()), Objective::Hard), KdError::InvalidParam { name: "alpha", .. }));
        let distil = Objective::Distill { alpha: 0.0, temperature: 2.0 };
        assert!(matches!(run(&mut net, TrainData::new(x.view()), distil), KdError::InvalidParam { name: "alpha", .. }));
        let q = array![[0.5f32, 0.5]];
        assert!(matches!(run(&mut net, TrainData::new(x.view()).soft(q.view(), 2.0), distil), KdError::Shape(_)));
        // Soft targets carry their temperature; the loss refuses another one, and logits.
        let q23 = Array2::from_elem((23, 2), 0.5f32);
        let e = run(&mut net, TrainData::new(x.view()).soft(q23.view(), 1.0), distil);
        assert!(matches!(e, KdError::InvalidParam { name: "temperature", .. }) && e.to_string().contains("softened at T = 1"), "{e}");
        assert!(matches!(run(&mut net, TrainData::new(x.view()).teacher_logits(q23.view()), distil), KdError::InvalidParam { name: "objective", .. }));
        let logit_match = Objective::LogitMatch { alpha: 0.0 };
        assert!(matches!(run(&mut net, TrainData::new(x.view()).soft(q23.view(), 2.0), logit_match), KdError::InvalidParam { name: "objective", .. }));
        let neg = Array1::from_elem(23, -1.0f32);
        assert!(matches!(run(&mut net, TrainData::new(x.view()).labels(y.view()).weights(neg.view()), Objective::Hard), KdError::InvalidParam { name: "weights", .. }));
        let hot = Objective::Distill { alpha: 0.5, temperature: 0.0 };
        assert!(run(&mut net, TrainData::new(x.view()).labels(y.view()), hot).to_string().contains("temperature"));
    }

    #[test]
    fn divergence_is_reported_not_hidden() {
        let _g = seeded_fit_lock();
        let (x, y) = toy();
        let x = x.mapv(|v| v * 1e30);
        let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
        let p = TrainParams { epochs: 2, learning_rate: 1e30, ..TrainParams::default() };
        let e = train(&mut net, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap_err();
        assert!(matches!(&e, KdError::Backend { .. }) && e.to_string().contains("diverged"), "{e}");
    }
}
