//! Transfer-set augmentation: extra unlabeled points that the teacher labels, so a small student sees
//! the teacher's function where the training data is thin (Buciluă, Caruana & Niculescu-Mizil 2006).
//!
//! * [`uniform_box`] — points uniform in the data's bounding box (widened by a margin).
//! * [`munge`] — MUNGE: for each row `e` and its nearest neighbour `e'` (Euclidean on standardised
//!   features, the lowest index on ties; found with the exact k-d tree of [`crate::data::knn`], about
//!   `O(n log n)` for low-dimensional data instead of brute force's `O(n² d)`), each attribute is, with probability `p`, resampled as `e_a ~ N(e'_a, |e_a − e'_a| / s)`;
//!   otherwise kept. Repeated `k` times, giving `k · n` new rows near the data manifold.
//! * [`jitter`] — Gaussian jitter `e + N(0, σ²)` (σ per feature, in standard-deviation units).
//!
//! All seeded. For images: [`images`] (translations and 8-bit mixing on tensors) and [`views`] (fixed or
//! freshly drawn tables of translated and mixed views, for function matching).
//!
//! ```
//! use kdistill::augment::{munge, uniform_box};
//! use ndarray::array;
//! let x = array![[0.0f32, 0.0], [1.0, 1.0], [0.9, 1.1]];
//! let u = uniform_box(&[(0.0, 1.0), (0.0, 2.0)], 100, 0.0, 7).unwrap();
//! assert!(u.column(1).iter().all(|&v| (0.0..=2.0).contains(&v)));
//! let m = munge(x.view(), 2, 0.5, 1.0, 7).unwrap();
//! assert_eq!(m.dim(), (6, 2));
//! ```
#[cfg(feature = "torch")]
pub mod images;
#[cfg(feature = "torch")]
pub mod views;

use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use crate::data::knn::KdTree;

/// `n` points uniform in the box `bounds` (one `(lo, hi)` per feature), each side widened by
/// `margin × (hi − lo)`.
///
/// # Examples
///
/// ```
/// use kdistill::augment::uniform_box;
/// let u = uniform_box(&[(0.0, 1.0), (10.0, 20.0)], 500, 0.1, 3).unwrap();
/// assert_eq!(u.dim(), (500, 2));
/// // Widened by 10 % of each side's range.
/// assert!(u.column(0).iter().all(|&v| (-0.1..=1.1).contains(&v)));
/// assert!(u.column(1).iter().all(|&v| (9.0..=21.0).contains(&v)));
/// assert!(uniform_box(&[(1.0, 0.0)], 5, 0.0, 3).is_err()); // lo > hi
/// ```
pub fn uniform_box(bounds: &[(f32, f32)], n: usize, margin: f32, seed: u64) -> Result<Array2<f32>> {
    if bounds.is_empty() {
        return Err(KdError::Empty("uniform_box needs at least one feature".into()));
    }
    if !(margin.is_finite() && margin >= 0.0) {
        return Err(KdError::param("margin", margin, "must be finite and ≥ 0"));
    }
    for (j, &(lo, hi)) in bounds.iter().enumerate() {
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(KdError::param("bounds", format!("({lo}, {hi})"), format!("feature {j}: need finite lo ≤ hi")));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Array2::zeros((n, bounds.len()));
    for mut row in out.axis_iter_mut(Axis(0)) {
        for (v, &(lo, hi)) in row.iter_mut().zip(bounds) {
            let w = (hi - lo) * margin;
            *v = rng.gen_range((lo - w)..=(hi + w));
        }
    }
    Ok(out)
}

fn check_input(x: ArrayView2<f32>) -> Result<()> {
    crate::base::check_rows(x, "augmentation input")?;
    crate::base::check_finite(x, "augmentation input")
}

/// Per-column standard deviation (1 where a column is constant).
fn col_std(x: ArrayView2<f32>) -> Vec<f32> {
    x.axis_iter(Axis(1))
        .map(|c| {
            let s = c.std(0.0);
            if s > 0.0 { s } else { 1.0 }
        })
        .collect()
}

/// Index of each row's nearest other row (Euclidean distance after dividing by `scale`; the lowest
/// index on ties), with the exact k-d tree of [`crate::data::knn`].
fn nearest_neighbours(x: ArrayView2<f32>, scale: &[f32]) -> Vec<usize> {
    let z: Array2<f32> = Array2::from_shape_fn(x.dim(), |(i, j)| x[[i, j]] / scale[j]);
    // `None` only when no other row is at a finite distance (never with ≥ 2 finite rows): keep the row.
    KdTree::new(z.view()).nearest_other_rows().into_iter().enumerate().map(|(i, k)| k.unwrap_or(i)).collect()
}

/// MUNGE augmentation: `copies × n` new rows. `p` is the per-attribute swap probability (0.5 in the
/// paper), `s` the local-variance divisor (1 in the paper). Nearest neighbours come from an exact k-d
/// tree ([`crate::data::knn`]): `O(n log n)` for low-dimensional data, tending to `O(n² d)` as `d` grows.
///
/// # Examples
///
/// ```
/// use kdistill::augment::munge;
/// use ndarray::array;
/// let x = array![[0.0f32, 0.0], [0.1, 0.0], [5.0, 5.0], [5.0, 5.2]];
/// let m = munge(x.view(), 3, 0.5, 1.0, 11).unwrap();
/// assert_eq!(m.dim(), (12, 2));
/// // Every new row stays near its source pair: rows 0/1 near the origin, rows 2/3 near (5, 5).
/// for c in 0..3 {
///     assert!(m.row(4 * c).iter().all(|v| v.abs() < 1.0));
///     assert!(m.row(4 * c + 3).iter().all(|v| (v - 5.0).abs() < 1.5));
/// }
/// assert_eq!(munge(x.view(), 3, 0.0, 1.0, 11).unwrap().row(5), x.row(1)); // p = 0 copies the rows
/// assert!(munge(x.view(), 1, 2.0, 1.0, 0).is_err());
/// ```
pub fn munge(x: ArrayView2<f32>, copies: usize, p: f64, s: f32, seed: u64) -> Result<Array2<f32>> {
    check_input(x)?;
    if x.nrows() < 2 {
        return Err(KdError::Empty("MUNGE needs at least 2 rows (each row needs a neighbour)".into()));
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(KdError::param("p", p, "must be in [0, 1]"));
    }
    if !(s.is_finite() && s > 0.0) {
        return Err(KdError::param("s", s, "must be finite and > 0"));
    }
    let nn = nearest_neighbours(x, &col_std(x));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, d) = x.dim();
    let mut out = Array2::zeros((copies * n, d));
    for c in 0..copies {
        for i in 0..n {
            let e = x.row(i);
            let f = x.row(nn[i]);
            for j in 0..d {
                let mut v = e[j];
                if rng.gen_bool(p) {
                    let sd = (e[j] - f[j]).abs() / s;
                    v = if sd > 0.0 { Normal::new(f[j], sd).expect("sd > 0").sample(&mut rng) } else { f[j] };
                }
                out[[c * n + i, j]] = v;
            }
        }
    }
    Ok(out)
}

/// `copies × n` rows `e + N(0, (σ·std_j)²)` with `std_j` each feature's standard deviation.
///
/// # Examples
///
/// ```
/// use kdistill::augment::jitter;
/// use ndarray::array;
/// let x = array![[0.0f32, 100.0], [1.0, 300.0]]; // standard deviations 0.5 and 100
/// let j = jitter(x.view(), 2, 0.01, 5).unwrap();
/// assert_eq!(j.dim(), (4, 2));
/// assert!((j[[2, 0]] - 0.0).abs() < 0.05 && (j[[2, 1]] - 100.0).abs() < 10.0);
/// assert_eq!(jitter(x.view(), 1, 0.0, 5).unwrap(), x); // σ = 0 copies the rows
/// ```
pub fn jitter(x: ArrayView2<f32>, copies: usize, sigma: f32, seed: u64) -> Result<Array2<f32>> {
    check_input(x)?;
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(KdError::param("sigma", sigma, "must be finite and ≥ 0"));
    }
    let sd = col_std(x);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let std_normal = Normal::new(0.0f32, 1.0).expect("valid");
    let (n, d) = x.dim();
    let mut out = Array2::zeros((copies * n, d));
    for c in 0..copies {
        for i in 0..n {
            for j in 0..d {
                out[[c * n + i, j]] = x[[i, j]] + sigma * sd[j] * std_normal.sample(&mut rng);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use proptest::strategy::Strategy;

    #[test]
    fn munge_with_p_zero_copies_rows_and_p_one_stays_near_neighbours() {
        let x = array![[0.0f32, 0.0], [10.0, 10.0], [10.0, 11.0]];
        let same = munge(x.view(), 1, 0.0, 1.0, 1).unwrap();
        assert_eq!(same, x);
        // p = 1: row 0's neighbour is row 1 (distance √200 vs √221), so its attributes are drawn around 10.
        let m = munge(x.view(), 50, 1.0, 1000.0, 1).unwrap();
        for c in 0..50 {
            assert!((m[[c * 3, 0]] - 10.0).abs() < 0.2, "{}", m[[c * 3, 0]]);
        }
    }

    #[test]
    fn seeded_and_errors() {
        let x = array![[0.0f32, 1.0], [2.0, 3.0]];
        assert_eq!(munge(x.view(), 3, 0.5, 1.0, 9).unwrap(), munge(x.view(), 3, 0.5, 1.0, 9).unwrap());
        assert_eq!(jitter(x.view(), 2, 0.1, 9).unwrap(), jitter(x.view(), 2, 0.1, 9).unwrap());
        assert!(munge(array![[0.0f32, 1.0]].view(), 1, 0.5, 1.0, 0).is_err());
        assert!(munge(x.view(), 1, 1.5, 1.0, 0).is_err());
        assert!(munge(array![[f32::NAN, 1.0], [0.0, 0.0]].view(), 1, 0.5, 1.0, 0).is_err());
        assert!(uniform_box(&[(1.0, 0.0)], 3, 0.0, 0).is_err());
    }

    /// The brute-force scan this module used before the k-d tree (each row's nearest other row on
    /// the scaled features; the row itself when none is at a finite distance), kept as the reference.
    fn brute_nearest_neighbours(x: ArrayView2<f32>, scale: &[f32]) -> Vec<usize> {
        let z: Array2<f32> = Array2::from_shape_fn(x.dim(), |(i, j)| x[[i, j]] / scale[j]);
        (0..z.nrows()).map(|i| crate::data::knn::brute_nearest(z.view(), &z.row(i).to_vec(), Some(i)).unwrap_or(i)).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(100))]
        /// Same neighbours as brute force, on data with duplicate rows and ties (few distinct values).
        #[test]
        fn neighbours_match_brute_force(
            (n, d, v) in (2usize..150, 1usize..5).prop_flat_map(|(n, d)| (proptest::prelude::Just(n), proptest::prelude::Just(d), proptest::collection::vec(0i32..4, n * d)))
        ) {
            let x = Array2::from_shape_fn((n, d), |(i, j)| v[i * d + j] as f32 * 0.7);
            let sd = col_std(x.view());
            proptest::prop_assert_eq!(nearest_neighbours(x.view(), &sd), brute_nearest_neighbours(x.view(), &sd));
        }
    }

    #[test]
    fn uniform_box_respects_margin() {
        let u = uniform_box(&[(0.0, 1.0)], 2000, 0.5, 3).unwrap();
        let (lo, hi) = u.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(lo >= -0.5 && hi <= 1.5 && lo < -0.4 && hi > 1.4);
    }
}
