//! # kdistill — knowledge distillation into trees and small networks
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! data ──► teacher ──► soft targets ──► student ──► report
//! moons     tch MLP     softmax(z/T)     tree (CART on probability vectors), small MLP
//! MNIST     table       (soft)           smartcore / linfa adapters
//! CSV/Parquet ensemble
//! ```
//!
//! (Crate-level walkthrough: see README.)
pub mod augment;
pub mod data;
pub mod error;
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
