//! Data: the first stage of the pipeline. Features are `Array2<f32>` (rows × features), labels are
//! class indices `Array1<usize>`.
//!
//! * [`moons`] — the seeded noisy two-moons generator (scikit-learn's `make_moons` layout).
//! * [`idx`] — MNIST-layout IDX files, raw or gzip.
//! * [`tabular`] — CSV / Parquet tables (polars).
pub mod idx;
pub mod moons;
pub mod tabular;

use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Features with class labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// `n × d` features.
    pub x: Array2<f32>,
    /// `n` class indices in `0..n_classes`.
    pub y: Array1<usize>,
    /// Number of classes `K`.
    pub n_classes: usize,
}

impl Dataset {
    /// Build a dataset, checking shapes, finiteness and label range.
    pub fn new(x: Array2<f32>, y: Array1<usize>, n_classes: usize) -> Result<Self> {
        check_rows(x.view(), "features")?;
        check_finite(x.view(), "features")?;
        if x.nrows() != y.len() {
            return Err(KdError::Shape(format!("{} feature rows but {} labels", x.nrows(), y.len())));
        }
        if let Some((i, &l)) = y.iter().enumerate().find(|(_, &l)| l >= n_classes) {
            return Err(KdError::UnknownClass { label: l.to_string(), row: i, known: format!("0..{n_classes}") });
        }
        Ok(Self { x, y, n_classes })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Dataset {
        Dataset { x: self.x.select(Axis(0), idx), y: idx.iter().map(|&i| self.y[i]).collect(), n_classes: self.n_classes }
    }

    /// Seeded random split into (train, test) with `test_fraction` of the rows in the test part.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        let (train, test) = split_indices(self.len(), test_fraction, seed)?;
        Ok((self.select(&train), self.select(&test)))
    }

    /// Per-feature (min, max) over the rows.
    pub fn bounds(&self) -> Vec<(f32, f32)> {
        bounds(self.x.view())
    }
}

/// Row indices of a seeded random (train, test) split of `n` rows, `round(n · test_fraction)` in the test
/// part. Every split in the crate goes through this, so the same seed gives the same partition.
pub fn split_indices(n: usize, test_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(KdError::param("test_fraction", test_fraction, "must be in (0, 1)"));
    }
    let n_test = ((n as f64) * test_fraction).round() as usize;
    if n_test == 0 || n_test == n {
        return Err(KdError::Empty(format!("splitting {n} rows with test_fraction {test_fraction} leaves a side empty")));
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let train = idx.split_off(n_test);
    Ok((train, idx))
}

/// Per-column (min, max) of a matrix.
pub fn bounds(x: ArrayView2<f32>) -> Vec<(f32, f32)> {
    x.axis_iter(Axis(1))
        .map(|c| c.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v))))
        .collect()
}

/// Error unless `x` has at least one row and one column.
pub fn check_rows(x: ArrayView2<f32>, what: &str) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(KdError::Empty(format!("{what} has shape {:?}", x.dim())));
    }
    Ok(())
}

/// Error naming the first NaN/inf cell of `x`.
pub fn check_finite(x: ArrayView2<f32>, what: &str) -> Result<()> {
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(KdError::NonFinite { what: what.to_string(), row, col, value });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn new_rejects_bad_input() {
        assert!(matches!(Dataset::new(Array2::zeros((0, 2)), array![], 2), Err(KdError::Empty(_))));
        let e = Dataset::new(array![[0.0f32, f32::NAN]], array![0], 2).unwrap_err();
        assert!(e.to_string().contains("row 0, column 1"), "{e}");
        assert!(matches!(Dataset::new(array![[0.0f32]], array![0, 1], 2), Err(KdError::Shape(_))));
        assert!(matches!(Dataset::new(array![[0.0f32]], array![5], 2), Err(KdError::UnknownClass { .. })));
    }

    #[test]
    fn split_is_seeded_and_disjoint() {
        let x = Array2::from_shape_fn((100, 1), |(i, _)| i as f32);
        let d = Dataset::new(x, Array1::from_shape_fn(100, |i| i % 2), 2).unwrap();
        let (a, b) = d.split(0.2, 7).unwrap();
        let (a2, _) = d.split(0.2, 7).unwrap();
        assert_eq!((a.len(), b.len()), (80, 20));
        assert_eq!(a, a2);
        let mut all: Vec<i64> = a.x.iter().chain(b.x.iter()).map(|&v| v as i64).collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
