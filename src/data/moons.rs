//! Seeded noisy two moons, laid out as scikit-learn's `make_moons`.
//!
//! `n_out = n / 2` points on the upper arc `(cos t, sin t)`, `t = linspace(0, π, n_out)` (class 0) and
//! `n − n_out` on the lower arc `(1 − cos t, 1 − sin t − 0.5)` (class 1); then i.i.d. Gaussian noise with
//! standard deviation `noise` on both coordinates, and a seeded shuffle.
//!
//! ```
//! use kdistill::data::moons::Moons;
//! let d = Moons::new().n_samples(200).noise(0.3).seed(1).generate().unwrap();
//! assert_eq!((d.x.nrows(), d.x.ncols(), d.n_classes), (200, 2, 2));
//! ```
use super::Dataset;
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// Builder for the two-moons data set. Defaults: 3000 samples, noise 0.3, seed 0.
///
/// # Examples
///
/// ```
/// use kdistill::data::moons::Moons;
/// let m = Moons::new().n_samples(50).noise(0.0).seed(4);
/// let d = m.generate().unwrap();
/// assert_eq!(d.len(), 50);
/// assert_eq!(d.y.iter().filter(|&&y| y == 0).count(), 25);
/// // Without noise every class-0 point lies on the unit circle.
/// for (r, &y) in d.x.rows().into_iter().zip(&d.y) {
///     if y == 0 {
///         assert!(((r[0] * r[0] + r[1] * r[1]).sqrt() - 1.0).abs() < 1e-5);
///     }
/// }
/// assert_eq!(m.generate().unwrap(), d); // seeded
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Moons {
    n_samples: usize,
    noise: f32,
    seed: u64,
}

impl Default for Moons {
    fn default() -> Self {
        Self { n_samples: 3000, noise: 0.3, seed: 0 }
    }
}

impl Moons {
    /// Defaults (3000, noise 0.3, seed 0).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(kdistill::data::moons::Moons::new().generate().unwrap().len(), 3000);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of points (≥ 2).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::moons::Moons;
    /// assert_eq!(Moons::new().n_samples(7).generate().unwrap().len(), 7);
    /// assert!(Moons::new().n_samples(1).generate().is_err()); // validated at generate
    /// ```
    pub fn n_samples(mut self, n: usize) -> Self {
        self.n_samples = n;
        self
    }
    /// Standard deviation of the Gaussian noise (≥ 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::moons::Moons;
    /// let clean = Moons::new().n_samples(100).noise(0.0).generate().unwrap();
    /// assert!(clean.x.column(1).iter().all(|&v| (-0.5..=1.0).contains(&v)));
    /// assert!(Moons::new().noise(-1.0).generate().is_err());
    /// ```
    pub fn noise(mut self, s: f32) -> Self {
        self.noise = s;
        self
    }
    /// RNG seed.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::moons::Moons;
    /// let a = Moons::new().n_samples(20).seed(1).generate().unwrap();
    /// assert_eq!(a, Moons::new().n_samples(20).seed(1).generate().unwrap());
    /// assert_ne!(a, Moons::new().n_samples(20).seed(2).generate().unwrap());
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Draw the data set.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::moons::Moons;
    /// let d = Moons::new().n_samples(300).noise(0.2).seed(9).generate().unwrap();
    /// assert_eq!((d.x.dim(), d.n_classes), ((300, 2), 2));
    /// assert!(d.y.iter().all(|&y| y < 2));
    /// ```
    pub fn generate(&self) -> Result<Dataset> {
        if self.n_samples < 2 {
            return Err(KdError::param("n_samples", self.n_samples, "need at least 2 points"));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(KdError::param("noise", self.noise, "must be finite and ≥ 0"));
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.seed);
        let n_out = self.n_samples / 2;
        let n_in = self.n_samples - n_out;
        let lin = |i: usize, m: usize| if m <= 1 { 0.0 } else { std::f64::consts::PI * i as f64 / (m - 1) as f64 };
        let mut pts: Vec<([f64; 2], usize)> = Vec::with_capacity(self.n_samples);
        for i in 0..n_out {
            let t = lin(i, n_out);
            pts.push(([t.cos(), t.sin()], 0));
        }
        for i in 0..n_in {
            let t = lin(i, n_in);
            pts.push(([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1));
        }
        let normal = Normal::new(0.0, self.noise as f64).expect("noise checked above");
        for (p, _) in pts.iter_mut() {
            p[0] += normal.sample(&mut rng);
            p[1] += normal.sample(&mut rng);
        }
        pts.shuffle(&mut rng);
        let x = Array2::from_shape_fn((self.n_samples, 2), |(i, j)| pts[i].0[j] as f32);
        let y: Array1<usize> = pts.iter().map(|p| p.1).collect();
        Dataset::new(x, y, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noiseless_points_lie_on_the_arcs() {
        let d = Moons::new().n_samples(101).noise(0.0).generate().unwrap();
        for (row, &c) in d.x.outer_iter().zip(d.y.iter()) {
            let (cx, cy) = if c == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
            let r = ((row[0] - cx).powi(2) + (row[1] - cy).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-5);
        }
        assert_eq!(d.y.iter().filter(|&&c| c == 0).count(), 50);
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = Moons::new().n_samples(50).seed(3).generate().unwrap();
        assert_eq!(a, Moons::new().n_samples(50).seed(3).generate().unwrap());
        assert_ne!(a, Moons::new().n_samples(50).seed(4).generate().unwrap());
    }

    #[test]
    fn bad_parameters() {
        assert!(Moons::new().n_samples(1).generate().is_err());
        assert!(Moons::new().noise(-0.1).generate().is_err());
        assert!(Moons::new().noise(f32::NAN).generate().is_err());
    }
}
