//! Small fully-connected networks in tch (libtorch), shared by the teacher and the MLP student.
//! Without the `torch` feature only [`DeviceChoice`] is here (so a `--device` flag parses the same way).
//!
//! A [`Net`] is `d → h₁ → … → h_L → K` with ReLU between layers and a *linear* output (logits), optional
//! dropout on the input and hidden activations, and optional max-norm constraints on each unit's
//! incoming weight vector (Srivastava et al. 2014; used by Hinton's MNIST teacher).
//!
//! Training: [`train_model`] is the crate's one mini-batch loop (seeded AdamW with per-epoch learning-rate
//! decay on an [`Objective`]: cross-entropy on labels, or the distillation loss of
//! [`loss::distillation_loss`]), for any network that implements [`Trainable`]. [`train`] runs it on a
//! [`Net`] and applies the max-norm constraint after every step; the MNIST CNN teacher uses the same loop.
//!
//! Everything is seeded: `tch::manual_seed(seed)` before initialisation and before training (shuffles
//! and dropout masks come from libtorch's generator), so on CPU the same seed gives the same numbers.
//!
//! ```
//! # #[cfg(feature = "torch")] {  // the teacher is a libtorch network
//! use kdistill::neural::{Net, MlpSpec, TrainData, TrainParams, Objective, train};
//! use ndarray::{array, Array1};
//! let x = array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
//! let y: Array1<usize> = array![0, 1, 1, 0];
//! let spec = MlpSpec::new(2, &[16], 2);
//! let params = TrainParams::default().epochs(300).batch_size(4).learning_rate(0.05);
//! let mut net = Net::new(&spec, tch::Device::Cpu, 0).unwrap();
//! train(&mut net, &params, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
//! let pred = kdistill::base::argmax_rows(net.logits(x.view()).unwrap().view());
//! assert_eq!(pred.to_vec(), vec![0, 1, 1, 0]); // XOR needs the hidden layer
//! # }
//! ```
#[cfg(feature = "torch")]
pub mod loss;
#[cfg(feature = "torch")]
mod data;
mod device;
#[cfg(feature = "torch")]
mod model;
#[cfg(feature = "torch")]
mod net;
#[cfg(feature = "torch")]
mod tensor;
#[cfg(feature = "torch")]
mod train;

pub use device::DeviceChoice;
#[cfg(feature = "torch")]
pub use device::describe_device;
#[cfg(feature = "torch")]
pub use model::{Mlp, MlpParams, MlpValidParams};
#[cfg(feature = "torch")]
pub use net::{MlpSpec, Net};
#[cfg(feature = "torch")]
pub use tensor::{to_array2, to_tensor};
#[cfg(feature = "torch")]
pub(crate) use train::seeded_fit_lock;
#[cfg(feature = "torch")]
pub use data::{InputTransform, SoftTargets, TargetScale, TrainData};
#[cfg(feature = "torch")]
pub use train::{train, train_model, BatchTargets, Objective, TrainParams, TrainReport, TrainValidParams, Trainable};
