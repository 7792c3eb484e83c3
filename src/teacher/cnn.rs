//! A small CNN teacher for images in the MNIST layout (rows × cols pixels, one channel); the MNIST
//! experiment's optional teacher.
//!
//! **CNN** ([`Cnn`]): `conv5×5(1→c₁, pad 2) → ReLU → maxpool 2 → conv5×5(c₁→c₂, pad 2) → ReLU → maxpool 2
//! → linear(c₂·⌊r/4⌋·⌊c/4⌋ → h) → ReLU → dropout 0.5 → linear(h → K)`, trained with AdamW on
//! cross-entropy with random translations by the crate's one training loop
//! ([`crate::neural::train_model`]; the CNN is a [`crate::neural::Trainable`]). It answers with logits,
//! so it is a [`Teacher`]. Its inputs are randomly translated during training
//! ([`crate::augment::images::random_translate`]).
use crate::augment::images::random_translate;
use crate::error::{KdError, Result};
use crate::neural::{describe_device, to_array2, to_tensor, train_model, DeviceChoice, Objective, TrainData, TrainParams};
use crate::teacher::{Teacher, TeacherOutput};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, Device, Tensor};

/// Hyper-parameters of the CNN teacher: a builder; [`CnnParams::check`] validates it into
/// [`CnnValidParams`], which has the getters, and [`CnnParams::fit`] checks, then fits.
///
/// # Examples
///
/// ```
/// use kdistill::{neural::DeviceChoice, teacher::cnn::CnnParams};
/// let p = CnnParams::default()
///     .channels(8, 16)
///     .hidden(64)
///     .dropout(0.25)
///     .epochs(3)
///     .batch_size(32)
///     .learning_rate(2e-3)
///     .lr_decay(0.9)
///     .weight_decay(0.0)
///     .max_shift(1)
///     .seed(7)
///     .device(DeviceChoice::Cpu)
///     .progress("teacher cnn");
/// let checked = p.check()?;
/// assert_eq!((checked.channels(), checked.hidden(), checked.epochs(), checked.max_shift()), ((8, 16), 64, 3, 1));
/// assert!(CnnParams::default().dropout(1.0).check().is_err());
/// assert!(CnnParams::default().channels(0, 16).check().is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnnParams {
    pub(crate) channels: (usize, usize),
    pub(crate) hidden: usize,
    pub(crate) dropout: f64,
    pub(crate) max_shift: usize,
    /// The optimiser's settings; its seed also initialises the network (the loop runs on `seed + 1`).
    pub(crate) train: TrainParams,
    pub(crate) device: DeviceChoice,
}

/// Checked CNN hyper-parameters (from [`CnnParams::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CnnValidParams(CnnParams);

impl CnnValidParams {
    /// Channels of the two convolutions.
    pub fn channels(&self) -> (usize, usize) {
        self.0.channels
    }
    /// Width of the fully connected hidden layer.
    pub fn hidden(&self) -> usize {
        self.0.hidden
    }
    /// Dropout before the output layer, in [0, 1).
    pub fn dropout(&self) -> f64 {
        self.0.dropout
    }
    /// Passes over the data.
    pub fn epochs(&self) -> usize {
        self.0.train.epochs
    }
    /// Mini-batch size.
    pub fn batch_size(&self) -> usize {
        self.0.train.batch_size
    }
    /// AdamW step size.
    pub fn learning_rate(&self) -> f64 {
        self.0.train.learning_rate
    }
    /// Step-size factor per epoch.
    pub fn lr_decay(&self) -> f64 {
        self.0.train.lr_decay
    }
    /// Decoupled weight decay.
    pub fn weight_decay(&self) -> f64 {
        self.0.train.weight_decay
    }
    /// Maximum random translation in pixels (0 = none).
    pub fn max_shift(&self) -> usize {
        self.0.max_shift
    }
    /// Seed (initialisation, shuffles, dropout, translations).
    pub fn seed(&self) -> u64 {
        self.0.train.seed
    }
    /// Where to train.
    pub fn device(&self) -> DeviceChoice {
        self.0.device
    }
    /// Progress-bar label (`None`: no bar).
    pub fn progress(&self) -> Option<&str> {
        self.0.train.progress.as_deref()
    }
}

impl Default for CnnParams {
    /// Convolutions of 32 and 64 channels, a 512-wide hidden layer with dropout 0.5; 12 epochs of 128
    /// images, AdamW from 1e-3 decaying by 0.85 per epoch, weight decay 1e-4; translations up to 2 pixels;
    /// seed 0 on the automatically chosen device, no progress bar.
    fn default() -> Self {
        Self {
            channels: (32, 64),
            hidden: 512,
            dropout: 0.5,
            max_shift: 2,
            train: TrainParams::default().epochs(12).batch_size(128).learning_rate(1e-3).lr_decay(0.85).weight_decay(1e-4).seed(0),
            device: DeviceChoice::Auto,
        }
    }
}

/// Architecture of a fitted CNN (what is saved next to the weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnnSpec {
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Channels of the two convolutions.
    pub channels: (usize, usize),
    /// Hidden width.
    pub hidden: usize,
    /// Dropout before the output.
    pub dropout: f64,
    /// Number of classes.
    pub n_classes: usize,
}

impl CnnSpec {
    fn check(&self) -> Result<()> {
        if self.rows < 4 || self.cols < 4 {
            return Err(KdError::param("image size", format!("{}×{}", self.rows, self.cols), "the CNN needs images of at least 4×4 pixels"));
        }
        if self.channels.0 == 0 || self.channels.1 == 0 || self.hidden == 0 || self.n_classes < 2 {
            return Err(KdError::param("cnn", format!("{self:?}"), "channels and hidden width must be ≥ 1, classes ≥ 2"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(KdError::param("dropout", self.dropout, "must be in [0, 1)"));
        }
        Ok(())
    }
    /// Trainable parameters.
    pub fn n_params(&self) -> usize {
        let (c1, c2) = self.channels;
        let flat = c2 * (self.rows / 4) * (self.cols / 4);
        (25 * c1 + c1) + (25 * c1 * c2 + c2) + (flat * self.hidden + self.hidden) + (self.hidden * self.n_classes + self.n_classes)
    }
}

/// A trained CNN classifier.
pub struct Cnn {
    vs: nn::VarStore,
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    fc1: nn::Linear,
    fc2: nn::Linear,
    spec: CnnSpec,
    /// Training wall time in seconds (0 when loaded).
    pub seconds: f64,
}

impl std::fmt::Debug for Cnn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cnn").field("spec", &self.spec).field("device", &self.vs.device()).finish()
    }
}

#[derive(Serialize, Deserialize)]
struct SavedCnn {
    format_version: u32,
    spec: CnnSpec,
}

impl Cnn {
    fn build(spec: &CnnSpec, device: Device, seed: u64) -> Result<Cnn> {
        spec.check()?;
        let _seeded = crate::neural::seeded_fit_lock();
        tch::manual_seed(seed as i64);
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let cfg = nn::ConvConfig { padding: 2, ..Default::default() };
        let (c1, c2) = (spec.channels.0 as i64, spec.channels.1 as i64);
        let flat = c2 * (spec.rows / 4) as i64 * (spec.cols / 4) as i64;
        let conv1 = nn::conv2d(&root / "conv1", 1, c1, 5, cfg);
        let conv2 = nn::conv2d(&root / "conv2", c1, c2, 5, cfg);
        let fc1 = nn::linear(&root / "fc1", flat, spec.hidden as i64, Default::default());
        let fc2 = nn::linear(&root / "fc2", spec.hidden as i64, spec.n_classes as i64, Default::default());
        Ok(Cnn { vs, conv1, conv2, fc1, fc2, spec: spec.clone(), seconds: 0.0 })
    }

    /// Logits for a batch `B × rows·cols` already on the device.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let b = x.size()[0];
        x.view([b, 1, self.spec.rows as i64, self.spec.cols as i64])
            .apply(&self.conv1)
            .relu()
            .max_pool2d_default(2)
            .apply(&self.conv2)
            .relu()
            .max_pool2d_default(2)
            .flatten(1, -1)
            .apply(&self.fc1)
            .relu()
            .dropout(self.spec.dropout, train)
            .apply(&self.fc2)
    }

    /// Logits `n × K` in evaluation mode, in chunks.
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        let d = self.spec.rows * self.spec.cols;
        if x.ncols() != d {
            return Err(KdError::Shape(format!("the CNN expects {d} pixels per row, got {}", x.ncols())));
        }
        let mut out = Array2::<f32>::zeros((x.nrows(), self.spec.n_classes));
        let chunk = 4096;
        tch::no_grad(|| -> Result<()> {
            for start in (0..x.nrows()).step_by(chunk) {
                let end = (start + chunk).min(x.nrows());
                let xb = to_tensor(x.slice(ndarray::s![start..end, ..]), self.vs.device());
                out.slice_mut(ndarray::s![start..end, ..]).assign(&to_array2(&self.forward_t(&xb, false))?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The architecture.
    pub fn spec(&self) -> &CnnSpec {
        &self.spec
    }

    /// Device description.
    pub fn device_name(&self) -> String {
        describe_device(self.vs.device())
    }

    /// Save to `dir/cnn.json` + `dir/cnn.safetensors`, each atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let st = dir.join("cnn.safetensors");
        std::fs::create_dir_all(dir).map_err(|e| KdError::io(dir, e))?;
        let tmp = crate::io::temp_path(&st).with_extension("safetensors");
        self.vs.save(&tmp)?;
        std::fs::rename(&tmp, &st).map_err(|e| KdError::io(&st, e))?;
        crate::io::write_json(dir.join("cnn.json"), &SavedCnn { format_version: 1, spec: self.spec.clone() })
    }

    /// Load what [`Cnn::save`] wrote.
    pub fn load(dir: &Path, device: Device) -> Result<Cnn> {
        let jp = dir.join("cnn.json");
        let text = std::fs::read_to_string(&jp).map_err(|e| KdError::io(&jp, e))?;
        let saved: SavedCnn = serde_json::from_str(&text).map_err(|e| KdError::Model { path: jp.clone(), msg: e.to_string() })?;
        if saved.format_version != 1 {
            return Err(KdError::Model { path: jp, msg: format!("unknown format_version {}", saved.format_version) });
        }
        let mut cnn = Cnn::build(&saved.spec, device, 0)?;
        let st = dir.join("cnn.safetensors");
        cnn.vs.load(&st).map_err(|e| KdError::Model { path: st, msg: e.to_string() })?;
        Ok(cnn)
    }
}

impl Teacher for Cnn {
    fn n_classes(&self) -> usize {
        self.spec.n_classes
    }
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
        Ok(TeacherOutput::Logits(self.logits(x)?))
    }
}

impl crate::neural::Trainable for Cnn {
    fn n_inputs(&self) -> usize {
        self.spec.rows * self.spec.cols
    }
    fn n_outputs(&self) -> usize {
        self.spec.n_classes
    }
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        Cnn::forward_t(self, x, train)
    }
    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}

impl CnnParams {
    /// Channels of the two convolutions (each ≥ 1).
    pub fn channels(mut self, first: usize, second: usize) -> Self {
        self.channels = (first, second);
        self
    }
    /// Width of the fully connected hidden layer (≥ 1).
    pub fn hidden(mut self, width: usize) -> Self {
        self.hidden = width;
        self
    }
    /// Dropout before the output layer, in [0, 1).
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }
    /// Passes over the data (≥ 1).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.train = self.train.epochs(epochs);
        self
    }
    /// Mini-batch size (≥ 1).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.train = self.train.batch_size(batch_size);
        self
    }
    /// AdamW step size (finite, > 0).
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.train = self.train.learning_rate(learning_rate);
        self
    }
    /// Step-size factor per epoch, in (0, 1].
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.train = self.train.lr_decay(lr_decay);
        self
    }
    /// Decoupled weight decay (finite, ≥ 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.train = self.train.weight_decay(weight_decay);
        self
    }
    /// Maximum random translation of the training images in pixels (0 = none).
    pub fn max_shift(mut self, pixels: usize) -> Self {
        self.max_shift = pixels;
        self
    }
    /// Seed (initialisation, shuffles, dropout, translations).
    pub fn seed(mut self, seed: u64) -> Self {
        self.train = self.train.seed(seed);
        self
    }
    /// Where to train.
    pub fn device(mut self, device: DeviceChoice) -> Self {
        self.device = device;
        self
    }
    /// Show a progress bar with this label.
    pub fn progress(mut self, label: impl Into<String>) -> Self {
        self.train = self.train.progress(label);
        self
    }

    /// Check every setting: the optimiser's (as [`TrainParams::check`]), channels and hidden width ≥ 1,
    /// dropout in [0, 1). The image size and the classes are checked by [`CnnParams::fit`].
    pub fn check(&self) -> Result<CnnValidParams> {
        self.train_params().check()?;
        if self.channels.0 == 0 || self.channels.1 == 0 {
            return Err(KdError::param("channels", format!("{:?}", self.channels), "both convolutions need ≥ 1 channel"));
        }
        if self.hidden == 0 {
            return Err(KdError::param("hidden", 0, "must be ≥ 1"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(KdError::param("dropout", self.dropout, "must be in [0, 1)"));
        }
        Ok(CnnValidParams(self.clone()))
    }

    /// The settings of the shared training loop ([`crate::neural::train_model`]). Its seed is `seed + 1`
    /// (the initialisation takes `seed`).
    pub fn train_params(&self) -> TrainParams {
        let seed = self.train.seed.wrapping_add(1);
        self.train.clone().seed(seed)
    }

    /// Train on `x` (`n × rows·cols`, values in [0, 1]) and labels in `0..n_classes`: cross-entropy,
    /// each batch randomly translated by up to `max_shift` pixels.
    pub fn fit(&self, x: ArrayView2<f32>, y: ArrayView1<usize>, rows: usize, cols: usize, n_classes: usize) -> Result<Cnn> {
        self.check()?;
        let params = self.train_params();
        crate::base::check_rows(x, "CNN training images")?;
        if x.ncols() != rows * cols {
            return Err(KdError::Shape(format!("{} features per row but images are {rows}×{cols}", x.ncols())));
        }
        if y.len() != x.nrows() {
            return Err(KdError::Shape(format!("{} images but {} labels", x.nrows(), y.len())));
        }
        let spec = CnnSpec { rows, cols, channels: self.channels, hidden: self.hidden, dropout: self.dropout, n_classes };
        spec.check()?;
        crate::base::check_labels(y, n_classes, &format!("n_classes = {n_classes}"))?;
        let device = self.device.resolve()?;
        let _guard = crate::neural::seeded_fit_lock();
        let mut cnn = Cnn::build(&spec, device, self.train.seed)?;
        let shift = self.max_shift;
        let translate = move |xb: &Tensor| random_translate(xb, rows, cols, shift);
        let data = TrainData::new(x.view()).labels(y.view()).transform(&translate);
        let report = train_model(&mut cnn, &params, data, Objective::Hard)?;
        cnn.seconds = report.seconds;
        Ok(cnn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnn_learns_a_toy_problem_and_round_trips() {
        // Class = whether the bright bar is horizontal or vertical, 8×8 images.
        let n = 64;
        let mut x = Array2::<f32>::zeros((n, 64));
        let y: ndarray::Array1<usize> = (0..n).map(|i| i % 2).collect();
        for i in 0..n {
            let k = 2 + (i / 2) % 4;
            for t in 0..8 {
                let (r, c) = if y[i] == 0 { (k, t) } else { (t, k) };
                x[[i, r * 8 + c]] = 1.0;
            }
        }
        let p = CnnParams::default().channels(4, 8).hidden(16).epochs(30).batch_size(16).learning_rate(3e-3).lr_decay(1.0).device(DeviceChoice::Cpu).max_shift(1);
        let cnn = p.fit(x.view(), y.view(), 8, 8, 2).unwrap();
        let pred = cnn.predict(x.view()).unwrap();
        assert_eq!(pred, y);
        let dir = tempfile::tempdir().unwrap();
        cnn.save(dir.path()).unwrap();
        let back = Cnn::load(dir.path(), Device::Cpu).unwrap();
        assert_eq!(back.logits(x.view()).unwrap(), cnn.logits(x.view()).unwrap());
        assert_eq!(cnn.spec().n_params(), back.vs.trainable_variables().iter().map(|t| t.numel()).sum::<usize>());
    }

    #[test]
    fn bad_parameters_and_shapes_are_errors() {
        let x = Array2::<f32>::zeros((4, 64));
        let y = ndarray::Array1::from(vec![0usize, 1, 0, 1]);
        let p = CnnParams::default().device(DeviceChoice::Cpu);
        assert!(matches!(p.clone().epochs(0).fit(x.view(), y.view(), 8, 8, 2), Err(KdError::InvalidParam { .. })));
        assert!(matches!(p.fit(x.view(), y.view(), 8, 7, 2), Err(KdError::Shape(_))));
        assert!(matches!(p.fit(x.view(), y.view(), 8, 8, 1), Err(KdError::InvalidParam { .. })));
        assert!(matches!(p.fit(x.view(), ndarray::Array1::from(vec![0usize, 5, 0, 1]).view(), 8, 8, 2), Err(KdError::UnknownClass { .. })));
    }
}
