//! The crate's one mini-batch training loop ([`train_model`]) and what it is given: [`TrainParams`],
//! [`Objective`], [`TrainData`], [`SoftTargets`], the [`Trainable`] trait.
use super::{loss, to_tensor, Net, SoftTargets, TrainData};
use crate::error::{KdError, Result};
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

/// Mini-batch AdamW settings: a builder (every field has a setter); [`TrainParams::check`] validates it
/// into [`TrainValidParams`], which has the getters (linfa's pattern). [`train`] and [`train_model`]
/// check before they train.
///
/// # Examples
///
/// ```
/// use kdistill::neural::TrainParams;
/// // 20 epochs whose learning rate falls from 1e-3 to 1e-3 · 0.9^19
/// let p = TrainParams::default().epochs(20).lr_decay(0.9).seed(4);
/// let checked = p.check()?;
/// assert_eq!((checked.epochs(), checked.batch_size(), checked.learning_rate(), checked.max_norm()), (20, 64, 1e-3, None));
/// // every setter
/// let q = TrainParams::default()
///     .batch_size(128)
///     .learning_rate(0.01)
///     .cosine(true)      // a half cosine down to 0 over all steps (lr_decay is then ignored)
///     .weight_decay(1e-4)
///     .max_norm(Some(3.5))
///     .progress("student"); // a bar on stderr when it is a terminal (hidden by KD_NO_PROGRESS=1)
/// assert_eq!(q.check()?.progress(), Some("student"));
/// assert!(TrainParams::default().epochs(0).check().is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub(crate) epochs: usize,
    pub(crate) batch_size: usize,
    pub(crate) learning_rate: f64,
    pub(crate) lr_decay: f64,
    #[serde(default)]
    pub(crate) cosine: bool,
    pub(crate) weight_decay: f64,
    pub(crate) max_norm: Option<f64>,
    pub(crate) seed: u64,
    pub(crate) progress: Option<String>,
}

impl Default for TrainParams {
    /// 50 epochs of 64 rows, step size 1e-3 without decay, no weight decay or max-norm, seed 0, no bar.
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

/// Checked optimiser settings (from [`TrainParams::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainValidParams(pub(crate) TrainParams);

impl TrainValidParams {
    /// Passes over the data (≥ 1).
    pub fn epochs(&self) -> usize {
        self.0.epochs
    }
    /// Rows per step (≥ 1).
    pub fn batch_size(&self) -> usize {
        self.0.batch_size
    }
    /// Adam step size (> 0).
    pub fn learning_rate(&self) -> f64 {
        self.0.learning_rate
    }
    /// Factor applied to the step size after every epoch, in (0, 1] (ignored with [`Self::cosine`]).
    pub fn lr_decay(&self) -> f64 {
        self.0.lr_decay
    }
    /// Whether the step size follows a half cosine from the learning rate down to 0 over all steps.
    pub fn cosine(&self) -> bool {
        self.0.cosine
    }
    /// Decoupled weight decay (AdamW), ≥ 0.
    pub fn weight_decay(&self) -> f64 {
        self.0.weight_decay
    }
    /// Max-norm on each unit's incoming weights, if any.
    pub fn max_norm(&self) -> Option<f64> {
        self.0.max_norm
    }
    /// Seed for shuffling and dropout.
    pub fn seed(&self) -> u64 {
        self.0.seed
    }
    /// Progress-bar label (`None`: no bar).
    pub fn progress(&self) -> Option<&str> {
        self.0.progress.as_deref()
    }
    /// The settings as a builder again (to change one and check again).
    pub fn into_params(self) -> TrainParams {
        self.0
    }
}

impl TrainParams {
    /// Passes over the data (≥ 1).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }
    /// Rows per step (≥ 1).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Adam step size (finite, > 0).
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }
    /// Multiply the step size by this after every epoch, in (0, 1]; ignored with [`Self::cosine`].
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.lr_decay = lr_decay;
        self
    }
    /// Follow a half cosine from the learning rate down to 0 over all steps instead (updated every step).
    pub fn cosine(mut self, cosine: bool) -> Self {
        self.cosine = cosine;
        self
    }
    /// Decoupled weight decay (AdamW), finite and ≥ 0.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// Max-norm on each unit's incoming weights (finite, > 0), or `None`.
    pub fn max_norm(mut self, max_norm: Option<f64>) -> Self {
        self.max_norm = max_norm;
        self
    }
    /// Seed for shuffling and dropout.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Show a progress bar with this label.
    pub fn progress(mut self, label: impl Into<String>) -> Self {
        self.progress = Some(label.into());
        self
    }

    /// Validate every field.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{neural::TrainParams, KdError};
    /// assert!(matches!(TrainParams::default().lr_decay(1.5).check(), Err(KdError::InvalidParam { .. })));
    /// assert!(TrainParams::default().learning_rate(f64::NAN).check().is_err());
    /// ```
    pub fn check(&self) -> Result<TrainValidParams> {
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
        Ok(TrainValidParams(self.clone()))
    }
}


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
/// let params = TrainParams::default().epochs(2).batch_size(2).learning_rate(0.1);
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
/// let params = TrainParams::default().epochs(1).batch_size(2);
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
/// let params = TrainParams::default().epochs(1).batch_size(1).max_norm(Some(1.0));
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
    let unconstrained = params.clone().max_norm(None);
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
/// let params = TrainParams::default().epochs(2).batch_size(2);
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
mod tests;
