//! Ready-made experiments wiring the pipeline end to end (the examples are thin wrappers over these).
//!
//! * [`boundary`] — two moons: hard vs soft trees, soft decision trees and MLPs, decision boundaries to PNG.
//! * [`mnist`] — Hinton et al.'s MNIST distillation plus small students, soft decision trees and the CART
//!   size curve.
//! * [`curve`] — the CART size curve both draw.
pub mod boundary;
pub mod curve;
pub mod mnist;
