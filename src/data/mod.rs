//! Data: the first stage of the pipeline. Features are `Array2<f32>` (rows × features), labels are
//! class indices `Array1<usize>`.
//!
//! * [`moons`] — the seeded noisy two-moons generator (scikit-learn's `make_moons` layout).
//! * [`idx`] — MNIST-layout IDX files, raw or gzip.
//! * [`tabular`] — CSV / Parquet tables (polars).
//! * [`knn`] — an exact k-d tree for nearest rows (MUNGE, the nearest-row teacher).
pub mod idx;
pub mod knn;
pub mod moons;
pub mod tabular;

use crate::error::{KdError, Result};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Features with class labels.
///
/// # Examples
///
/// ```
/// use kdistill::data::Dataset;
/// use ndarray::array;
/// let d = Dataset::new(array![[0.0f32, 1.0], [2.0, 3.0], [4.0, 5.0]], array![0, 1, 1], 2).unwrap();
/// assert_eq!((d.len(), d.is_empty(), d.n_classes), (3, false, 2));
/// assert_eq!(d.select(&[2, 0]).y.to_vec(), vec![1, 0]);
/// assert_eq!(d.bounds(), vec![(0.0, 4.0), (1.0, 5.0)]);
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::Dataset;
    /// use ndarray::array;
    /// assert!(Dataset::new(array![[0.0f32], [1.0]], array![0, 1], 2).is_ok());
    /// assert!(Dataset::new(array![[0.0f32], [1.0]], array![0], 2).is_err()); // 2 rows, 1 label
    /// assert!(Dataset::new(array![[0.0f32]], array![2], 2).is_err()); // label outside 0..2
    /// let e = Dataset::new(array![[0.0f32, f32::NAN]], array![0], 2).unwrap_err();
    /// assert!(e.to_string().contains("row 1, column 2"), "{e}");
    /// ```
    pub fn new(x: Array2<f32>, y: Array1<usize>, n_classes: usize) -> Result<Self> {
        crate::base::check_rows(x.view(), "features")?;
        crate::base::check_finite(x.view(), "features")?;
        if x.nrows() != y.len() {
            return Err(KdError::Shape(format!("{} feature rows but {} labels", x.nrows(), y.len())));
        }
        crate::base::check_labels(y.view(), n_classes, &format!("{n_classes} classes"))?;
        Ok(Self { x, y, n_classes })
    }

    /// Number of rows.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = kdistill::data::moons::Moons::new().n_samples(10).generate().unwrap();
    /// assert_eq!(d.len(), 10);
    /// ```
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no rows.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = kdistill::data::moons::Moons::new().n_samples(10).generate().unwrap();
    /// assert!(!d.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Rows at `idx`, in that order.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::Dataset;
    /// use ndarray::array;
    /// let d = Dataset::new(array![[0.0f32], [1.0], [2.0]], array![0, 1, 0], 2).unwrap();
    /// let s = d.select(&[2, 2, 1]);
    /// assert_eq!((s.x.column(0).to_vec(), s.y.to_vec()), (vec![2.0, 2.0, 1.0], vec![0, 0, 1]));
    /// ```
    pub fn select(&self, idx: &[usize]) -> Dataset {
        Dataset { x: self.x.select(Axis(0), idx), y: idx.iter().map(|&i| self.y[i]).collect(), n_classes: self.n_classes }
    }

    /// Seeded random split into (train, test) with `test_fraction` of the rows in the test part.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = kdistill::data::moons::Moons::new().n_samples(100).seed(3).generate().unwrap();
    /// let (train, test) = d.split(0.2, 7).unwrap();
    /// assert_eq!((train.len(), test.len()), (80, 20));
    /// assert_eq!(d.split(0.2, 7).unwrap().1, test); // same seed, same split
    /// assert!(d.split(1.0, 7).is_err());
    /// ```
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        let (train, test) = split_indices(self.len(), test_fraction, seed)?;
        Ok((self.select(&train), self.select(&test)))
    }

    /// Per-feature (min, max) over the rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::Dataset;
    /// let d = Dataset::new(ndarray::array![[1.0f32, -2.0], [3.0, 5.0]], ndarray::array![0, 1], 2).unwrap();
    /// assert_eq!(d.bounds(), vec![(1.0, 3.0), (-2.0, 5.0)]);
    /// ```
    pub fn bounds(&self) -> Vec<(f32, f32)> {
        bounds(self.x.view())
    }
}

/// Row indices of a seeded random (train, test) split of `n` rows, `round(n · test_fraction)` in the test
/// part. Every split in the crate goes through this, so the same seed gives the same partition.
///
/// # Examples
///
/// ```
/// let (train, test) = kdistill::data::split_indices(10, 0.3, 1).unwrap();
/// assert_eq!((train.len(), test.len()), (7, 3));
/// let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>()); // a partition of the rows
/// assert!(kdistill::data::split_indices(10, 0.01, 1).is_err()); // 0 test rows
/// ```
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
///
/// # Examples
///
/// ```
/// let b = kdistill::data::bounds(ndarray::array![[0.0f32, 10.0], [-1.0, 20.0]].view());
/// assert_eq!(b, vec![(-1.0, 0.0), (10.0, 20.0)]);
/// ```
pub fn bounds(x: ArrayView2<f32>) -> Vec<(f32, f32)> {
    x.axis_iter(Axis(1))
        .map(|c| c.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v))))
        .collect()
}



#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn new_rejects_bad_input() {
        assert!(matches!(Dataset::new(Array2::zeros((0, 2)), array![], 2), Err(KdError::Empty(_))));
        let e = Dataset::new(array![[0.0f32, f32::NAN]], array![0], 2).unwrap_err();
        assert!(e.to_string().contains("row 1, column 2"), "{e}");
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
