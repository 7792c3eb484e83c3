//! Soft decision trees (Frosst & Hinton 2017, "Distilling a Neural Network Into a Soft Decision Tree").
//!
//! A complete binary tree of depth `d`: `2^d − 1` inner nodes, each a logistic filter, and `2^d` leaves,
//! each a learned class distribution. Inner node `i` sends `x` right with probability
//!
//! ```text
//! p_i(x) = σ(β·(w_i·x + b_i))          β > 0: a learned inverse temperature shared by all nodes
//! ```
//!
//! so leaf `ℓ` is reached with the *path probability* `P_ℓ(x) = Π_{i on the path} (p_i or 1 − p_i)`
//! (right or left), and holds `Q_ℓ = softmax(φ_ℓ)`. Training minimises the path-weighted loss of the
//! leaves, against labels `y` or a teacher's soft targets `q_T` at temperature `T`:
//!
//! ```text
//! L(x) = Σ_ℓ P_ℓ(x) · [ α·CE(y, Q_ℓ) + (1 − α)·T²·KL(q_T ‖ softmax(φ_ℓ / T)) ]  +  C
//! C    = −λ Σ_i 2^{−depth(i)} · ½·(ln a_i + ln(1 − a_i))
//! ```
//!
//! `a_i` is an exponentially decaying running average (over batches) of the share of the probability
//! reaching node `i` that goes right, `Σ_x P_i(x) p_i(x) / Σ_x P_i(x)`; the balance penalty `C` keeps
//! every node using both children. Deeper nodes see fewer examples per batch, so their average runs
//! over a window `2^{depth}` times longer (decay `1 − (1 − γ)·2^{−depth}`). Optional decoupled weight
//! decay `w` ([`SoftTreeParams::weight_decay`], AdamW) shrinks every parameter by `1 − η_t·w` each step,
//! which regularises the 255 linear routers of a depth-8 tree on MNIST more than any schedule does.
//!
//! Prediction ([`Routing`]): the distribution of the single leaf with the greatest path probability
//! (**max-path**: `d` filters explain the decision; the default), or the **mixture** `Σ_ℓ P_ℓ Q_ℓ`.
//!
//! Fitting uses the crate's one training loop ([`crate::neural::train_model`]), so everything it offers
//! applies: labels, soft targets, row weights, per-batch augmentations that label what they make
//! (e.g. a teacher's logits on translated or mixed images). The fitted [`SoftTree`] is plain arrays:
//! prediction, JSON save/load and drawing need no libtorch.
//!
//! ```
//! use kdistill::neural::DeviceChoice;
//! use kdistill::student::{soft_tree::{Routing, SoftTreeParams}, FitData, Predictor, Student};
//! use ndarray::{Array1, Array2};
//! // XOR of the signs of two features: no single filter separates it, two levels do.
//! let x = Array2::from_shape_fn((200, 2), |(i, j)| (((i * 37 + j * 91) % 200) as f32 / 100.0 - 1.0) + 0.01);
//! let y: Array1<usize> = x.rows().into_iter().map(|r| usize::from((r[0] > 0.0) != (r[1] > 0.0))).collect();
//! let onehot = kdistill::base::one_hot(y.view(), 2)?;
//! let params = SoftTreeParams::new().depth(2).epochs(200).batch_size(50).learning_rate(0.05).seed(1).device(DeviceChoice::Cpu);
//! let tree = params.fit_student(FitData::new(x.view(), onehot.view()).labels(y.view()))?;
//! let acc = kdistill::metrics::accuracy(tree.predict(x.view())?.view(), y.view())?;
//! // One filter (depth 1) cannot pass 75 % here; two levels learn it (points near an axis are the hard ones).
//! assert!(acc > 0.9, "{acc}");
//! assert_eq!(tree.routing(), Routing::MaxPath);
//! # Ok::<(), kdistill::KdError>(())
//! ```
mod model;
mod params;
mod train;

pub use model::{Routing, SoftTree, FORMAT_VERSION};
pub use params::{SoftTreeParams, SoftTreeValidParams};
