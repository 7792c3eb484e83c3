//! # kdistill — knowledge distillation into trees and small networks
//!
//! A neural *teacher* (a [tch](https://docs.rs/tch) / libtorch network, on a GPU when there is one) turns
//! data into temperature-softened class probabilities, the *soft targets*; those are distilled into
//! *students*: our own multi-output regression tree (readable), small MLPs, or baseline learners. Any
//! outside model's probabilities (a CSV or Parquet file) can be the teacher too.
//!
//! The modules follow the pipeline:
//!
//! ```text
//!  data ───────────► teacher ─────────► soft ─────────────► student ───────────────► report
//!  moons, MNIST IDX,  tch MLP (logits),  q = softmax(z/T),   tree: CART on q (ours),   PNG boundaries,
//!  CSV / Parquet      probability table, or q ∝ p^(1/T)      MLP: α·CE + (1−α)T²·KL,  charts, metrics.json,
//!                     ensemble           + augment (transfer smartcore / linfa         markdown tables
//!                                          points)           adapters
//! ```
//!
//! * [`data`] — [`data::Dataset`], [`data::moons`], [`data::idx`] (MNIST), [`data::tabular`] (polars).
//! * [`teacher`] — the [`teacher::Teacher`] trait and its implementations.
//! * [`base`] — the checks every stage shares (finite rows, labels, weights, probability rows), one-hot,
//!   argmax, the canonical form of class names. [`soft`] — `softmax(z/T)`, softening, KL. [`augment`] — transfer-set points.
//! * [`student`] — [`student::Student`] / [`student::Predictor`], [`student::tree`], [`student::mlp`],
//!   [`student::adapters`]. [`neural`] — the tch networks and the distillation loss.
//! * [`io`] — files: tables read into columns, teacher-probability files (read and written), versioned
//!   JSON models, atomic writes and all-or-nothing output folders.
//! * [`metrics`] — accuracy, fidelity, confusion. [`report`] — PNGs and tables. [`experiments`] — the
//!   boundary and MNIST experiments end to end.
//!
//! **Cargo feature `torch`** (default): everything that needs libtorch ([`neural`]'s networks,
//! `teacher::mlp`, `teacher::bank`, `teacher::table::TableMlp`, `student::mlp`, `student::soft_tree`,
//! `augment::{images, views}`, `experiments`, `report::plot_soft_tree`). Without it the crate builds with
//! no libtorch: data, soft targets, trees and their exports, adapters, metrics and plots; asking the CLI
//! for a network gives [`KdError::FeatureDisabled`].
//!
//! Hyper-parameters are builders validated at `fit` (a typed [`KdError`], never a panic); fitted models
//! are separate types; everything random takes a seed, and on CPU the same seed gives the same numbers.
//!
//! ## The whole pipeline in a few lines
//!
//! ```
//! # #[cfg(feature = "torch")] {  // the teacher is a libtorch network
//! use kdistill::{data::moons::Moons, metrics::accuracy, base::one_hot};
//! use kdistill::student::{tree::TreeParams, Predictor};
//! use kdistill::teacher::{mlp::teacher_params, Teacher};
//! use kdistill::neural::{DeviceChoice, TrainData};
//!
//! // data: noisy moons, 80/20 split
//! let (train, test) = Moons::new().n_samples(600).noise(0.3).seed(1).generate()?.split(0.2, 1)?;
//! // teacher: 2-128-128-2 MLP on the labels (CPU here; `DeviceChoice::Auto` would take a GPU)
//! let teacher = teacher_params().epochs(20).device(DeviceChoice::Cpu).seed(1)
//!     .fit(TrainData::new(train.x.view()).labels(train.y.view()), 2)?;
//! // soft targets at T = 1
//! let q = teacher.soft_targets(train.x.view(), 1.0)?;
//! // students: the same tree learner on one-hot labels and on the teacher's probabilities
//! let limits = TreeParams::default().max_leaves(Some(16));
//! let hard = limits.fit(train.x.view(), one_hot(train.y.view(), 2)?.view(), None)?;
//! let soft = limits.fit(train.x.view(), q.view(), None)?;
//! // report
//! let acc = |m: &dyn Predictor| accuracy(m.predict(test.x.view()).unwrap().view(), test.y.view()).unwrap();
//! println!("hard tree {:.3}, soft tree {:.3}", acc(&hard), acc(&soft));
//! # }
//! # Ok::<(), kdistill::KdError>(())
//! ```
pub mod augment;
pub mod base;
pub mod data;
pub mod error;
#[cfg(feature = "torch")]
pub mod experiments;
pub mod io;
pub mod metrics;
pub mod neural;
pub mod progress;
pub mod report;
pub mod soft;
pub mod student;
pub mod teacher;

pub use error::{KdError, Result};
