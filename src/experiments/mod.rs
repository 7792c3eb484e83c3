//! Ready-made experiments wiring the pipeline end to end (the examples are thin wrappers over these).
//!
//! * [`boundary`] — two moons: hard vs soft trees and MLPs, decision boundaries to PNG.
pub mod boundary;
pub mod mnist;
