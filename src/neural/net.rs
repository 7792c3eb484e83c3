//! [`MlpSpec`] and [`Net`]: a fully-connected tch network with its parameters.
use super::{seeded_fit_lock, to_array2, to_tensor, Trainable};
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, nn::Module, Device, Tensor};

/// Architecture of a fully-connected net.
///
/// # Examples
///
/// Hinton's MNIST teacher, `784 → 1200 → 1200 → 10` with dropout 0.2 / 0.5:
///
/// ```
/// use kdistill::neural::MlpSpec;
/// let spec = MlpSpec::new(784, &[1200, 1200], 10).dropout(0.2, 0.5);
/// spec.check()?;
/// assert_eq!(spec.n_params(), 784 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 10 + 10);
/// assert!(MlpSpec::new(784, &[0], 10).check().is_err());      // a zero-width layer
/// assert!(MlpSpec::new(4, &[8], 2).dropout(1.0, 0.0).check().is_err()); // dropout must be < 1
/// # Ok::<(), kdistill::KdError>(())
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let spec = kdistill::neural::MlpSpec::new(2, &[8, 8], 3);
    /// assert_eq!((spec.input, spec.hidden.as_slice(), spec.output), (2, &[8, 8][..], 3));
    /// assert_eq!(spec.dropout_input, 0.0);
    /// ```
    pub fn new(input: usize, hidden: &[usize], output: usize) -> Self {
        Self { input, hidden: hidden.to_vec(), output, dropout_input: 0.0, dropout_hidden: 0.0 }
    }
    /// Set dropout on input and hidden layers.
    ///
    /// # Examples
    ///
    /// ```
    /// let spec = kdistill::neural::MlpSpec::new(2, &[8], 2).dropout(0.2, 0.5);
    /// assert_eq!((spec.dropout_input, spec.dropout_hidden), (0.2, 0.5));
    /// ```
    pub fn dropout(mut self, input: f64, hidden: f64) -> Self {
        self.dropout_input = input;
        self.dropout_hidden = hidden;
        self
    }
    /// Validate widths and dropout rates.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{neural::MlpSpec, KdError};
    /// assert!(MlpSpec::new(2, &[8], 2).check().is_ok());
    /// let one_class = MlpSpec::new(2, &[8], 1).check();
    /// assert!(matches!(one_class, Err(KdError::InvalidParam { .. })));
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// // 2·8 + 8 weights and biases into the hidden layer, 8·2 + 2 into the output
    /// assert_eq!(kdistill::neural::MlpSpec::new(2, &[8], 2).n_params(), 42);
    /// ```
    pub fn n_params(&self) -> usize {
        let mut widths = vec![self.input];
        widths.extend(&self.hidden);
        widths.push(self.output);
        widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }
}

/// A fully-connected network with its parameters.
///
/// # Examples
///
/// ```
/// use kdistill::neural::{MlpSpec, Net};
/// use ndarray::array;
/// let net = Net::new(&MlpSpec::new(2, &[4], 3), tch::Device::Cpu, 7)?;
/// assert_eq!(net.spec().output, 3);
/// assert_eq!(net.device(), tch::Device::Cpu);
/// let z = net.logits(array![[0.5f32, -1.0]].view())?;
/// assert_eq!(z.dim(), (1, 3));
/// # Ok::<(), kdistill::KdError>(())
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// use ndarray::array;
    /// let spec = MlpSpec::new(2, &[4], 2);
    /// let x = array![[1.0f32, 2.0]];
    /// let a = Net::new(&spec, tch::Device::Cpu, 1)?.logits(x.view())?;
    /// let b = Net::new(&spec, tch::Device::Cpu, 1)?.logits(x.view())?;
    /// assert_eq!(a, b); // same seed, same weights
    /// assert!(Net::new(&MlpSpec::new(0, &[4], 2), tch::Device::Cpu, 1).is_err());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn new(spec: &MlpSpec, device: Device, seed: u64) -> Result<Net> {
        spec.check()?;
        let _seeded = seeded_fit_lock();
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
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// let spec = MlpSpec::new(3, &[5], 2);
    /// assert_eq!(Net::new(&spec, tch::Device::Cpu, 0)?.spec(), &spec);
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn spec(&self) -> &MlpSpec {
        &self.spec
    }

    /// The device holding the parameters.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// let net = Net::new(&MlpSpec::new(3, &[5], 2), tch::Device::Cpu, 0)?;
    /// assert_eq!(net.device(), tch::Device::Cpu);
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Logits for a batch already on the device; `train` enables dropout.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// use tch::{Device, Kind, Tensor};
    /// let net = Net::new(&MlpSpec::new(4, &[16], 2).dropout(0.5, 0.5), Device::Cpu, 0)?;
    /// let x = Tensor::ones([3, 4], (Kind::Float, Device::Cpu));
    /// let eval = net.forward_t(&x, false);
    /// assert_eq!(eval.size(), [3, 2]);
    /// assert!(eval.equal(&net.forward_t(&x, false))); // no dropout in evaluation mode
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// use ndarray::{array, Array2};
    /// let net = Net::new(&MlpSpec::new(2, &[4], 3), tch::Device::Cpu, 0)?;
    /// assert_eq!(net.logits(Array2::<f32>::zeros((5, 2)).view())?.dim(), (5, 3));
    /// assert!(net.logits(array![[1.0f32, 2.0, 3.0]].view()).is_err());   // wrong width
    /// assert!(net.logits(array![[f32::NAN, 0.0]].view()).is_err());       // not finite
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.spec.input {
            return Err(KdError::Shape(format!("net expects {} features, got {}", self.spec.input, x.ncols())));
        }
        crate::base::check_finite(x, "network input")?;
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
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{to_array2, MlpSpec, Net};
    /// let mut net = Net::new(&MlpSpec::new(50, &[10], 2), tch::Device::Cpu, 0)?;
    /// net.apply_max_norm(0.1);
    /// let w = to_array2(&net.var_store().variables()["fc0.weight"])?; // 10 units × 50 inputs
    /// assert!(w.rows().into_iter().all(|unit| unit.dot(&unit).sqrt() <= 0.1 + 1e-6));
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn apply_max_norm(&mut self, max_norm: f64) {
        tch::no_grad(|| {
            for layer in self.layers.iter_mut() {
                // ws is out × in: dim 0 indexes units.
                let _ = layer.ws.renorm_(2.0, 0, max_norm);
            }
        });
    }

    /// Save the parameters as safetensors (atomically).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// use ndarray::array;
    /// let dir = tempfile::tempdir().unwrap();
    /// let spec = MlpSpec::new(2, &[4], 2);
    /// let net = Net::new(&spec, tch::Device::Cpu, 3)?;
    /// net.save(dir.path().join("net.safetensors"))?;
    /// let back = Net::load(&spec, dir.path().join("net.safetensors"), tch::Device::Cpu)?;
    /// let x = array![[0.1f32, 0.9]];
    /// assert_eq!(back.logits(x.view())?, net.logits(x.view())?);
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// A missing or mismatched file is a [`KdError::Model`] naming the path (see [`Net::save`] for a
    /// round trip):
    ///
    /// ```
    /// use kdistill::{neural::{MlpSpec, Net}, KdError};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("net.safetensors");
    /// Net::new(&MlpSpec::new(2, &[4], 2), tch::Device::Cpu, 0)?.save(&path)?;
    /// let wider = Net::load(&MlpSpec::new(2, &[5], 2), &path, tch::Device::Cpu);
    /// assert!(matches!(wider, Err(KdError::Model { .. })));
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn load(spec: &MlpSpec, path: impl AsRef<Path>, device: Device) -> Result<Net> {
        let path = path.as_ref();
        let mut net = Net::new(spec, device, 0)?;
        net.vs.load(path).map_err(|e| KdError::Model { path: path.to_path_buf(), msg: e.to_string() })?;
        Ok(net)
    }

    /// The variable store (e.g. for custom optimisers).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{MlpSpec, Net};
    /// let net = Net::new(&MlpSpec::new(2, &[8], 2), tch::Device::Cpu, 0)?;
    /// let n: i64 = net.var_store().trainable_variables().iter().map(|t| t.numel() as i64).sum();
    /// assert_eq!(n as usize, net.spec().n_params());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}

impl Trainable for Net {
    fn n_inputs(&self) -> usize {
        self.spec.input
    }
    fn n_outputs(&self) -> usize {
        self.spec.output
    }
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        Net::forward_t(self, x, train)
    }
    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}
