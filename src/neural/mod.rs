//! Small fully-connected networks in tch (libtorch), shared by the teacher and the MLP student.
//!
//! A [`Net`] is `d → h₁ → … → h_L → K` with ReLU between layers and a *linear* output (logits), optional
//! dropout on the input and hidden activations, and optional max-norm constraints on each unit's
//! incoming weight vector (Srivastava et al. 2014; used by Hinton's MNIST teacher). [`train`] runs
//! seeded mini-batch Adam on an [`Objective`]: cross-entropy on labels, or the distillation loss of
//! [`loss::distillation_loss`].
//!
//! Everything is seeded: `tch::manual_seed(seed)` before initialisation and before training (shuffles
//! and dropout masks come from libtorch's generator), so on CPU the same seed gives the same numbers.
//!
//! ```
//! use kdistill::neural::{Net, MlpSpec, TrainParams, Objective, train};
//! use ndarray::{array, Array1};
//! let x = array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
//! let y: Array1<usize> = array![0, 1, 1, 0];
//! let spec = MlpSpec::new(2, &[16], 2);
//! let params = TrainParams { epochs: 300, batch_size: 4, learning_rate: 0.05, ..TrainParams::default() };
//! let mut net = Net::new(&spec, tch::Device::Cpu, 0).unwrap();
//! train(&mut net, &params, x.view(), Some(y.view()), None, None, Objective::Hard, None).unwrap();
//! let pred = kdistill::soft::argmax_rows(net.logits(x.view()).unwrap().view());
//! assert_eq!(pred.to_vec(), vec![0, 1, 1, 0]); // XOR needs the hidden layer
//! ```
pub mod loss;
mod model;

pub use model::{Mlp, MlpParams};

use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// Where to run: `Auto` takes CUDA when libtorch sees a GPU, else CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DeviceChoice {
    /// CUDA if available, else CPU.
    #[default]
    Auto,
    /// Always CPU.
    Cpu,
    /// CUDA device 0; an error if none is visible.
    Cuda,
}

impl std::str::FromStr for DeviceChoice {
    type Err = KdError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda),
            other => Err(KdError::param("device", other, "expected auto, cpu or cuda")),
        }
    }
}

impl DeviceChoice {
    /// The tch device this choice means on this machine.
    pub fn resolve(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Auto => Ok(Device::cuda_if_available()),
            Self::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
            Self::Cuda => Err(KdError::param(
                "device",
                "cuda",
                "libtorch sees no CUDA device (no GPU, no driver, or a CPU-only libtorch)",
            )),
        }
    }
}

/// A one-line description of a device, e.g. `cpu (2 threads)` or `cuda:0 (1 GPU visible)`.
pub fn describe_device(d: Device) -> String {
    match d {
        Device::Cuda(i) => format!("cuda:{i} ({} GPU visible)", tch::Cuda::device_count()),
        _ => match tch::get_num_threads() {
            1 => "cpu (1 thread)".to_string(),
            n => format!("cpu ({n} threads)"),
        },
    }
}

/// Architecture of a fully-connected net.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    /// Input width `d`.
    pub input: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Output width `K` (logits).
    pub output: usize,
    /// Dropout probability on the input (training only).
    pub dropout_input: f64,
    /// Dropout probability after each hidden ReLU (training only).
    pub dropout_hidden: f64,
}

impl MlpSpec {
    /// `input → hidden… → output`, no dropout.
    pub fn new(input: usize, hidden: &[usize], output: usize) -> Self {
        Self { input, hidden: hidden.to_vec(), output, dropout_input: 0.0, dropout_hidden: 0.0 }
    }
    /// Set dropout on input and hidden layers.
    pub fn dropout(mut self, input: f64, hidden: f64) -> Self {
        self.dropout_input = input;
        self.dropout_hidden = hidden;
        self
    }
    /// Validate widths and dropout rates.
    pub fn check(&self) -> Result<()> {
        if self.input == 0 || self.output < 2 || self.hidden.contains(&0) {
            return Err(KdError::param("mlp", format!("{self:?}"), "input and hidden widths must be ≥ 1, output ≥ 2"));
        }
        for (name, p) in [("dropout_input", self.dropout_input), ("dropout_hidden", self.dropout_hidden)] {
            if !(0.0..1.0).contains(&p) {
                return Err(KdError::param(name, p, "must be in [0, 1)"));
            }
        }
        Ok(())
    }
    /// Number of trainable parameters (weights + biases).
    pub fn n_params(&self) -> usize {
        let mut widths = vec![self.input];
        widths.extend(&self.hidden);
        widths.push(self.output);
        widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }
}

/// A fully-connected network with its parameters.
pub struct Net {
    vs: nn::VarStore,
    layers: Vec<nn::Linear>,
    spec: MlpSpec,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net").field("spec", &self.spec).field("device", &self.vs.device()).finish()
    }
}

impl Net {
    /// A freshly initialised net (PyTorch's default Kaiming-uniform init), seeded.
    pub fn new(spec: &MlpSpec, device: Device, seed: u64) -> Result<Net> {
        spec.check()?;
        tch::manual_seed(seed as i64);
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let mut widths = vec![spec.input];
        widths.extend(&spec.hidden);
        widths.push(spec.output);
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| nn::linear(&root / format!("fc{i}"), w[0] as i64, w[1] as i64, Default::default()))
            .collect();
        Ok(Net { vs, layers, spec: spec.clone() })
    }

    /// The architecture.
    pub fn spec(&self) -> &MlpSpec {
        &self.spec
    }

    /// The device holding the parameters.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Logits for a batch already on the device; `train` enables dropout.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let mut h = x.dropout(self.spec.dropout_input, train);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i < last {
                h = h.relu().dropout(self.spec.dropout_hidden, train);
            }
        }
        h
    }

    /// Logits (`n × K`) for the rows of `x`, in evaluation mode, in chunks.
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.spec.input {
            return Err(KdError::Shape(format!("net expects {} features, got {}", self.spec.input, x.ncols())));
        }
        crate::data::check_finite(x, "network input")?;
        let k = self.spec.output;
        let mut out = Array2::<f32>::zeros((x.nrows(), k));
        let chunk = 16_384;
        tch::no_grad(|| -> Result<()> {
            for start in (0..x.nrows()).step_by(chunk) {
                let end = (start + chunk).min(x.nrows());
                let xb = to_tensor(x.slice(ndarray::s![start..end, ..]), self.device());
                let z = self.forward_t(&xb, false);
                out.slice_mut(ndarray::s![start..end, ..]).assign(&to_array2(&z)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Clip each unit's incoming weight vector to L2 norm ≤ `max_norm`.
    pub fn apply_max_norm(&mut self, max_norm: f64) {
        tch::no_grad(|| {
            for layer in self.layers.iter_mut() {
                // ws is out × in: dim 0 indexes units.
                let _ = layer.ws.renorm_(2.0, 0, max_norm);
            }
        });
    }

    /// Save the parameters as safetensors (atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let tmp = crate::io::temp_path(path).with_extension("safetensors");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| KdError::io(dir, e))?;
        }
        self.vs.save(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| KdError::io(path, e))
    }

    /// Load parameters saved by [`Net::save`] into a net of architecture `spec`.
    pub fn load(spec: &MlpSpec, path: impl AsRef<Path>, device: Device) -> Result<Net> {
        let path = path.as_ref();
        let mut net = Net::new(spec, device, 0)?;
        net.vs.load(path).map_err(|e| KdError::Model { path: path.to_path_buf(), msg: e.to_string() })?;
        Ok(net)
    }

    /// The variable store (e.g. for custom optimisers).
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}

/// Copy a 2-D f32 view into a tensor on `device`.
pub fn to_tensor(x: ArrayView2<f32>, device: Device) -> Tensor {
    let std = x.as_standard_layout();
    Tensor::from_slice(std.as_slice().expect("standard layout"))
        .view([x.nrows() as i64, x.ncols() as i64])
        .to_device(device)
}

/// Copy a 2-D float tensor back into an ndarray.
pub fn to_array2(t: &Tensor) -> Result<Array2<f32>> {
    let size = t.size();
    if size.len() != 2 {
        return Err(KdError::Shape(format!("expected a 2-D tensor, got {size:?}")));
    }
    let v = Vec::<f32>::try_from(t.to_kind(Kind::Float).to_device(Device::Cpu).contiguous().view([-1]))?;
    Array2::from_shape_vec((size[0] as usize, size[1] as usize), v).map_err(|e| KdError::Shape(e.to_string()))
}

/// What the network is trained to minimise.
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
}

/// Mini-batch Adam settings. Validated by [`train`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Passes over the data (≥ 1).
    pub epochs: usize,
    /// Rows per step (≥ 1).
    pub batch_size: usize,
    /// Adam step size (> 0).
    pub learning_rate: f64,
    /// Multiply the learning rate by this after every epoch (in (0, 1]).
    pub lr_decay: f64,
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
            weight_decay: 0.0,
            max_norm: None,
            seed: 0,
            progress: None,
        }
    }
}

impl TrainParams {
    /// Validate every field.
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
pub type InputTransform<'a> = &'a dyn Fn(&Tensor) -> Tensor;

/// Summary of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Mean loss over the last epoch.
    pub final_loss: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Train `net` in place.
///
/// * `labels` — hard labels (needed for [`Objective::Hard`] and for `Distill` with `α > 0`);
/// * `soft` — soft targets `q_T` (`n × K`), needed for `Distill`;
/// * `weights` — optional non-negative per-row weights (weighted mean of per-row losses).
#[allow(clippy::too_many_arguments)]
pub fn train(
    net: &mut Net,
    params: &TrainParams,
    x: ArrayView2<f32>,
    labels: Option<ArrayView1<usize>>,
    soft: Option<ArrayView2<f32>>,
    weights: Option<ArrayView1<f32>>,
    objective: Objective,
    transform: Option<InputTransform<'_>>,
) -> Result<TrainReport> {
    params.check()?;
    let n = x.nrows();
    crate::data::check_rows(x, "training features")?;
    crate::data::check_finite(x, "training features")?;
    if x.ncols() != net.spec.input {
        return Err(KdError::Shape(format!("net expects {} features, got {}", net.spec.input, x.ncols())));
    }
    let k = net.spec.output;
    let (alpha, temperature) = match objective {
        Objective::Hard => (1.0f32, 1.0f32),
        Objective::Distill { alpha, temperature } => {
            if !(0.0..=1.0).contains(&alpha) {
                return Err(KdError::param("alpha", alpha, "must be in [0, 1]"));
            }
            crate::soft::check_temperature(temperature)?;
            (alpha, temperature)
        }
    };
    if alpha > 0.0 && labels.is_none() {
        return Err(KdError::param("alpha", alpha, "hard-label weight > 0 but no labels were given"));
    }
    if let Some(l) = labels {
        if l.len() != n {
            return Err(KdError::Shape(format!("{n} feature rows but {} labels", l.len())));
        }
        if let Some((i, &c)) = l.iter().enumerate().find(|(_, &c)| c >= k) {
            return Err(KdError::UnknownClass { label: c.to_string(), row: i, known: format!("0..{k}") });
        }
    }
    if alpha < 1.0 {
        let s = soft.ok_or_else(|| KdError::param("alpha", alpha, "distillation needs soft targets"))?;
        if s.dim() != (n, k) {
            return Err(KdError::Shape(format!("soft targets are {:?}, expected ({n}, {k})", s.dim())));
        }
        crate::soft::check_probabilities(s, "soft targets", crate::soft::PROB_SUM_TOLERANCE)?;
    }
    if let Some(w) = weights {
        if w.len() != n {
            return Err(KdError::Shape(format!("{n} rows but {} weights", w.len())));
        }
        if let Some((i, &v)) = w.iter().enumerate().find(|(_, &v)| !(v.is_finite() && v >= 0.0)) {
            return Err(KdError::param("weights", v, format!("row {i}: weights must be finite and ≥ 0")));
        }
    }

    let device = net.device();
    let start = std::time::Instant::now();
    tch::manual_seed(params.seed as i64);
    let xs = to_tensor(x, device);
    let ys = labels.map(|l| Tensor::from_slice(&l.iter().map(|&c| c as i64).collect::<Vec<_>>()).to_device(device));
    let qs = if alpha < 1.0 { soft.map(|s| to_tensor(s, device)) } else { None };
    let ws = weights.map(|w| Tensor::from_slice(w.as_standard_layout().as_slice().unwrap()).to_device(device));

    let mut opt = nn::AdamW::default().wd(params.weight_decay).build(&net.vs, params.learning_rate)?;
    let bar = crate::progress::bar(params.progress.as_deref(), params.epochs as u64);
    let mut last_loss = f64::NAN;
    let n_batches = n.div_ceil(params.batch_size);
    for epoch in 0..params.epochs {
        opt.set_lr(params.learning_rate * params.lr_decay.powi(epoch as i32));
        let perm = Tensor::randperm(n as i64, (Kind::Int64, device));
        let mut sum = Tensor::zeros([], (Kind::Float, device));
        for b in 0..n_batches {
            let lo = (b * params.batch_size) as i64;
            let hi = (((b + 1) * params.batch_size).min(n)) as i64;
            let idx = perm.narrow(0, lo, hi - lo);
            let mut xb = xs.index_select(0, &idx);
            if let Some(f) = transform {
                xb = f(&xb);
            }
            let z = net.forward_t(&xb, true);
            let yb = ys.as_ref().map(|y| y.index_select(0, &idx));
            let qb = qs.as_ref().map(|q| q.index_select(0, &idx));
            let wb = ws.as_ref().map(|w| w.index_select(0, &idx));
            let loss = loss::distillation_loss(&z, yb.as_ref(), qb.as_ref(), wb.as_ref(), alpha, temperature)?;
            opt.backward_step(&loss);
            if let Some(m) = params.max_norm {
                net.apply_max_norm(m);
            }
            sum += loss.detach() * (hi - lo);
        }
        last_loss = sum.double_value(&[]) / n as f64;
        if !last_loss.is_finite() {
            bar.abandon();
            return Err(KdError::param("learning_rate", params.learning_rate, format!("training diverged (loss {last_loss}) in epoch {epoch}")));
        }
        bar.set_message(format!("loss {last_loss:.4}"));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(TrainReport { final_loss: last_loss, seconds: start.elapsed().as_secs_f64() })
}
