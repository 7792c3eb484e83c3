//! [`MlpParams`] (hyper-parameters, validated at fit) and [`Mlp`] (a fitted network). The teacher and the
//! MLP student are both this model; they differ only in defaults and [`Objective`].
use super::{describe_device, train, DeviceChoice, MlpSpec, Net, Objective, TrainData, TrainParams, TrainReport, TrainValidParams};
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Hyper-parameters of a tch MLP classifier: a builder; [`MlpParams::check`] turns it into
/// [`MlpValidParams`] with the getters (linfa's pattern), and [`MlpParams::fit`] checks, then fits.
///
/// # Examples
///
/// Every builder method, then a one-epoch fit on four rows:
///
/// ```
/// use kdistill::neural::{DeviceChoice, MlpParams, Objective, TrainData, TrainParams};
/// use ndarray::{array, Array1};
/// let params = MlpParams::new(&[8])
///     .dropout(0.1, 0.2)
///     .train_params(TrainParams::default())
///     .epochs(1)
///     .batch_size(2)
///     .learning_rate(1e-2)
///     .weight_decay(1e-4)
///     .seed(5)
///     .device(DeviceChoice::Cpu)
///     .progress("demo")   // a bar on stderr when it is a terminal (hidden by KD_NO_PROGRESS=1)
///     .distill(0.5, 2.0)
///     .hard();            // the last objective wins
/// let checked = params.check()?;
/// assert_eq!((checked.hidden(), checked.objective()), (&[8][..], Objective::Hard));
/// assert_eq!((checked.train().epochs(), checked.train().batch_size(), checked.train().seed()), (1, 2, 5));
/// assert!(MlpParams::new(&[0]).check().is_err()); // an empty hidden layer
/// assert!(MlpParams::new(&[8]).dropout(1.0, 0.0).check().is_err());
/// let x = array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// let y: Array1<usize> = array![0, 1, 1, 0];
/// let model = params.fit(TrainData::new(x.view()).labels(y.view()), 2)?;
/// assert_eq!(model.n_classes(), 2);
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpParams {
    pub(crate) hidden: Vec<usize>,
    pub(crate) dropout_input: f64,
    pub(crate) dropout_hidden: f64,
    pub(crate) train: TrainParams,
    pub(crate) device: DeviceChoice,
    pub(crate) objective: Objective,
}

/// Checked MLP hyper-parameters (from [`MlpParams::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MlpValidParams(MlpParams);

impl MlpValidParams {
    /// Hidden widths.
    pub fn hidden(&self) -> &[usize] {
        &self.0.hidden
    }
    /// Dropout probabilities `(input, hidden)`.
    pub fn dropout(&self) -> (f64, f64) {
        (self.0.dropout_input, self.0.dropout_hidden)
    }
    /// Optimiser settings.
    pub fn train(&self) -> TrainValidParams {
        TrainValidParams(self.0.train.clone())
    }
    /// Where to train.
    pub fn device(&self) -> DeviceChoice {
        self.0.device
    }
    /// What is minimised.
    pub fn objective(&self) -> Objective {
        self.0.objective
    }
}

impl MlpParams {
    /// `d → hidden… → K`, cross-entropy on labels, default optimiser settings.
    pub fn new(hidden: &[usize]) -> Self {
        Self {
            hidden: hidden.to_vec(),
            dropout_input: 0.0,
            dropout_hidden: 0.0,
            train: TrainParams::default(),
            device: DeviceChoice::Auto,
            objective: Objective::Hard,
        }
    }
    /// Hidden widths (each ≥ 1; none for a linear model).
    pub fn hidden(mut self, widths: &[usize]) -> Self {
        self.hidden = widths.to_vec();
        self
    }
    /// Set dropout on the input and hidden layers.
    pub fn dropout(mut self, input: f64, hidden: f64) -> Self {
        self.dropout_input = input;
        self.dropout_hidden = hidden;
        self
    }
    /// Replace the optimiser settings.
    pub fn train_params(mut self, t: TrainParams) -> Self {
        self.train = t;
        self
    }
    /// Passes over the data.
    pub fn epochs(mut self, e: usize) -> Self {
        self.train.epochs = e;
        self
    }
    /// Mini-batch size.
    pub fn batch_size(mut self, b: usize) -> Self {
        self.train.batch_size = b;
        self
    }
    /// Adam learning rate.
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.train.learning_rate = lr;
        self
    }
    /// Decoupled weight decay.
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.train.weight_decay = wd;
        self
    }
    /// Seed for initialisation, shuffling and dropout.
    pub fn seed(mut self, s: u64) -> Self {
        self.train.seed = s;
        self
    }
    /// Device choice.
    pub fn device(mut self, d: DeviceChoice) -> Self {
        self.device = d;
        self
    }
    /// Show a progress bar with this label.
    pub fn progress(mut self, label: impl Into<String>) -> Self {
        self.train.progress = Some(label.into());
        self
    }
    /// Train on labels only.
    pub fn hard(mut self) -> Self {
        self.objective = Objective::Hard;
        self
    }
    /// Train with `α·CE + (1−α)·T²·KL` (soft targets must be softened at the same `T`).
    pub fn distill(mut self, alpha: f32, temperature: f32) -> Self {
        self.objective = Objective::Distill { alpha, temperature };
        self
    }

    /// Check every setting: hidden widths ≥ 1, dropout in `[0, 1)`, the optimiser settings and the
    /// objective. The checked parameters have the getters.
    pub fn check(&self) -> Result<MlpValidParams> {
        if let Some(&w) = self.hidden.iter().find(|&&w| w == 0) {
            return Err(KdError::param("hidden", w, "every hidden width must be ≥ 1"));
        }
        for (name, p) in [("dropout_input", self.dropout_input), ("dropout_hidden", self.dropout_hidden)] {
            if !(0.0..1.0).contains(&p) {
                return Err(KdError::param(name, p, "must be in [0, 1)"));
            }
        }
        self.train.check()?;
        self.objective.check()?;
        Ok(MlpValidParams(self.clone()))
    }

    /// Fit on `data` (features with labels, soft targets at the objective's temperature, weights, an
    /// input transform: see [`TrainData`]); `n_classes` is the output width.
    ///
    /// The same seed gives the same network (on the CPU); fits on different threads are serialised
    /// because libtorch's random generator is process-global.
    ///
    /// # Examples
    ///
    /// Distil a probability table into a net (α = 0: no labels needed), two epochs:
    ///
    /// ```
    /// use kdistill::neural::{DeviceChoice, MlpParams, TrainData};
    /// use ndarray::array;
    /// let x = array![[0.0f32], [1.0], [2.0], [3.0]];
    /// let q = array![[0.9f32, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]]; // softened at T = 2
    /// let params = MlpParams::new(&[8]).epochs(2).batch_size(2).device(DeviceChoice::Cpu).distill(0.0, 2.0);
    /// let a = params.fit(TrainData::new(x.view()).soft(q.view(), 2.0), 2)?;
    /// let b = params.fit(TrainData::new(x.view()).soft(q.view(), 2.0), 2)?;
    /// assert_eq!(a.logits(x.view())?, b.logits(x.view())?); // seeded
    /// // labels are required when the hard-label weight is > 0
    /// assert!(params.clone().distill(0.5, 2.0).fit(TrainData::new(x.view()).soft(q.view(), 2.0), 2).is_err());
    /// // and the targets' temperature must be the loss's
    /// assert!(params.fit(TrainData::new(x.view()).soft(q.view(), 4.0), 2).is_err());
    /// // Gaussian input noise as a training-time transform, on labels:
    /// let y = ndarray::array![0usize, 0, 1, 1];
    /// let noise = |b: &tch::Tensor| b + 0.05 * b.randn_like();
    /// let m = params.clone().hard().fit(TrainData::new(x.view()).labels(y.view()).transform(&noise), 2)?;
    /// assert!(m.report.final_loss.is_finite());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn fit(&self, data: TrainData<'_>, n_classes: usize) -> Result<Mlp> {
        self.check()?;
        if n_classes < 2 {
            return Err(KdError::param("n_classes", n_classes, "need at least 2 classes"));
        }
        crate::base::check_rows(data.x, "training features")?;
        let spec = MlpSpec { input: data.x.ncols(), hidden: self.hidden.clone(), output: n_classes, dropout_input: self.dropout_input, dropout_hidden: self.dropout_hidden };
        spec.check()?;
        let device = self.device.resolve()?;
        // libtorch's random generator is process-global: serialise seeded fits.
        let _guard = super::seeded_fit_lock();
        let mut net = Net::new(&spec, device, self.train.seed)?;
        let report = train(&mut net, &self.train, data, self.objective)?;
        Ok(Mlp { net, report })
    }
}

/// A trained MLP classifier (logits out).
///
/// # Examples
///
/// ```
/// use kdistill::neural::{DeviceChoice, MlpParams, TrainData};
/// use ndarray::{array, Array1};
/// let x = array![[0.0f32, 1.0], [1.0, 0.0], [0.2, 0.8], [0.9, 0.3]];
/// let y: Array1<usize> = array![1, 0, 1, 0];
/// let m = MlpParams::new(&[4]).epochs(2).batch_size(4).device(DeviceChoice::Cpu).fit(TrainData::new(x.view()).labels(y.view()), 2)?;
/// assert_eq!(m.logits(x.view())?.dim(), (4, 2));
/// let p = m.predict_proba(x.view())?;                // softmax of the logits
/// assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
/// assert_eq!(m.predict(x.view())?, kdistill::base::argmax_rows(p.view())); // classes, with no trait to name
/// assert_eq!(m.n_params(), (2 * 4 + 4) + (4 * 2 + 2));
/// assert_eq!(m.n_params(), m.net().spec().n_params());
/// assert!(m.device_name().starts_with("cpu"));
/// assert!(m.report.seconds >= 0.0);
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug)]
pub struct Mlp {
    net: Net,
    /// How training went.
    pub report: TrainReport,
}

#[derive(Serialize, Deserialize)]
struct SavedSpec {
    format_version: u32,
    spec: MlpSpec,
    report: TrainReport,
}
const FORMAT_VERSION: u32 = 1;

impl Mlp {
    /// Logits `n × K`.
    ///
    /// See the example on [`Mlp`].
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.net.logits(x)
    }
    /// Probabilities at `T = 1`. An `Mlp` is both a [`crate::teacher::Teacher`] and a
    /// [`crate::student::Predictor`]; these inherent methods mean `mlp.predict_proba(x)` and
    /// `mlp.predict(x)` need neither trait named.
    ///
    /// See the example on [`Mlp`].
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        crate::soft::softmax_t(self.logits(x)?.view(), 1.0)
    }
    /// Predicted classes (argmax of [`Mlp::predict_proba`]).
    ///
    /// See the example on [`Mlp`].
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<ndarray::Array1<usize>> {
        Ok(crate::base::argmax_rows(self.predict_proba(x)?.view()))
    }
    /// The underlying network.
    ///
    /// See the example on [`Mlp`].
    pub fn net(&self) -> &Net {
        &self.net
    }
    /// Number of classes.
    ///
    /// See the example on [`Mlp`].
    pub fn n_classes(&self) -> usize {
        self.net.spec().output
    }
    /// Trainable parameter count.
    ///
    /// See the example on [`Mlp`].
    pub fn n_params(&self) -> usize {
        self.net.spec().n_params()
    }
    /// Device description, e.g. `cpu (2 threads)`.
    ///
    /// See the example on [`Mlp`].
    pub fn device_name(&self) -> String {
        describe_device(self.net.device())
    }
    /// Save to `dir/model.json` (architecture) and `dir/model.safetensors` (weights), atomically.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{DeviceChoice, Mlp, MlpParams, TrainData};
    /// use ndarray::{array, Array1};
    /// let x = array![[0.0f32], [1.0]];
    /// let y: Array1<usize> = array![0, 1];
    /// let m = MlpParams::new(&[4]).epochs(1).device(DeviceChoice::Cpu).fit(TrainData::new(x.view()).labels(y.view()), 2)?;
    /// let dir = tempfile::tempdir().unwrap();
    /// m.save(dir.path())?;
    /// assert!(dir.path().join("model.json").exists() && dir.path().join("model.safetensors").exists());
    /// let back = Mlp::load(dir.path(), DeviceChoice::Cpu)?;
    /// assert_eq!(back.logits(x.view())?, m.logits(x.view())?);
    /// assert_eq!(back.report, m.report);
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.net.save(dir.join("model.safetensors"))?;
        let saved = SavedSpec { format_version: FORMAT_VERSION, spec: self.net.spec().clone(), report: self.report.clone() };
        crate::io::write_json(dir.join("model.json"), &saved)
    }
    /// Load what [`Mlp::save`] wrote (see there for a round trip). A missing folder, a corrupted
    /// `model.json` or one from a newer format version is an error naming the file.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{neural::{DeviceChoice, Mlp}, KdError};
    /// let dir = tempfile::tempdir().unwrap();
    /// assert!(matches!(Mlp::load(dir.path(), DeviceChoice::Cpu), Err(KdError::Io { .. })));
    /// std::fs::write(dir.path().join("model.json"), "{ not json").unwrap();
    /// assert!(matches!(Mlp::load(dir.path(), DeviceChoice::Cpu), Err(KdError::Model { .. })));
    /// ```
    pub fn load(dir: impl AsRef<Path>, device: DeviceChoice) -> Result<Mlp> {
        let dir = dir.as_ref();
        let jp = dir.join("model.json");
        let text = std::fs::read_to_string(&jp).map_err(|e| KdError::io(&jp, e))?;
        let saved: SavedSpec = serde_json::from_str(&text).map_err(|e| KdError::Model { path: jp.clone(), msg: e.to_string() })?;
        if saved.format_version > FORMAT_VERSION {
            return Err(KdError::Model { path: jp, msg: format!("format_version {} is newer than this build understands ({FORMAT_VERSION})", saved.format_version) });
        }
        let net = Net::load(&saved.spec, dir.join("model.safetensors"), device.resolve()?)?;
        Ok(Mlp { net, report: saved.report })
    }
}
