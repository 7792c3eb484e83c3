//! [`Grid`]: the regular grid of points a model is evaluated on for a boundary plot.
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2};

/// A regular grid over the x1/x2 box on which a model's probabilities are evaluated.
///
/// Both end points are included: `ix ∈ 0..nx` maps to `x_min + ix·(x_max − x_min)/(nx − 1)`.
///
/// # Examples
///
/// ```
/// use kdistill::report::Grid;
/// let g = Grid::new((0.0, 1.0), (-2.0, 2.0), 3, 5).unwrap();
/// assert_eq!((g.x_range(), g.y_range(), g.shape(), g.len(), g.is_empty()), ((0.0, 1.0), (-2.0, 2.0), (3, 5), 15, false));
/// let p = g.points();
/// assert_eq!((p.row(0).to_vec(), p.row(2).to_vec(), p.row(3).to_vec()), (vec![0.0, -2.0], vec![1.0, -2.0], vec![0.0, -1.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub(super) x: (f32, f32),
    pub(super) y: (f32, f32),
    pub(super) nx: usize,
    pub(super) ny: usize,
}

impl Grid {
    /// A grid over `x_range × y_range` with `nx × ny` points. Ranges must be finite with min < max;
    /// `nx, ny ≥ 2`, and at most 4096 each.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::report::Grid;
    /// assert!(Grid::new((0.0, 1.0), (0.0, 1.0), 200, 200).is_ok());
    /// assert!(Grid::new((1.0, 0.0), (0.0, 1.0), 200, 200).is_err()); // min > max
    /// assert!(Grid::new((0.0, 1.0), (0.0, 1.0), 1, 200).is_err()); // fewer than 2 points
    /// ```
    pub fn new(x_range: (f32, f32), y_range: (f32, f32), nx: usize, ny: usize) -> Result<Self> {
        for (name, (lo, hi)) in [("grid x range", x_range), ("grid y range", y_range)] {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(KdError::param(name, format!("({lo}, {hi})"), "must be finite with min < max"));
            }
        }
        for (name, n) in [("grid nx", nx), ("grid ny", ny)] {
            if !(2..=4096).contains(&n) {
                return Err(KdError::param(name, n, "grid resolution must be in 2..=4096"));
            }
        }
        Ok(Grid { x: x_range, y: y_range, nx, ny })
    }

    /// The bounding box of the rows of `x` (n × 2), widened on every side by `pad` times its extent
    /// (e.g. 0.05), with `nx × ny` points.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::report::Grid;
    /// let x = ndarray::array![[0.0f32, 10.0], [2.0, 20.0]];
    /// let g = Grid::covering(x.view(), 0.5, 10, 10).unwrap();
    /// assert_eq!((g.x_range(), g.y_range()), ((-1.0, 3.0), (5.0, 25.0)));
    /// assert!(Grid::covering(ndarray::array![[0.0f32, 1.0, 2.0]].view(), 0.1, 10, 10).is_err()); // 3 columns
    /// ```
    pub fn covering(x: ArrayView2<f32>, pad: f32, nx: usize, ny: usize) -> Result<Self> {
        crate::base::check_rows(x, "grid points")?;
        crate::base::check_finite(x, "grid points")?;
        if x.ncols() != 2 {
            return Err(KdError::Shape(format!("a boundary grid needs 2 feature columns, got {}", x.ncols())));
        }
        if !(pad.is_finite() && pad >= 0.0) {
            return Err(KdError::param("pad", pad, "must be finite and ≥ 0"));
        }
        let b = crate::data::bounds(x);
        // In f64, clamped to the f32 range: points spread over ±3e38 have a width beyond f32.
        let widen = |(lo, hi): (f32, f32)| {
            let (lo, hi, pad) = (lo as f64, hi as f64, pad as f64);
            let d = (hi - lo).max(1e-3);
            let clamp = |v: f64| v.clamp(f32::MIN as f64, f32::MAX as f64) as f32;
            (clamp(lo - pad * d), clamp(hi + pad * d + if hi > lo { 0.0 } else { 1e-3 }))
        };
        Grid::new(widen(b[0]), widen(b[1]), nx, ny)
    }

    /// `(x_min, x_max)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = kdistill::report::Grid::new((-1.0, 1.0), (0.0, 5.0), 4, 4).unwrap();
    /// assert_eq!(g.x_range(), (-1.0, 1.0));
    /// ```
    pub fn x_range(&self) -> (f32, f32) {
        self.x
    }
    /// `(y_min, y_max)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = kdistill::report::Grid::new((-1.0, 1.0), (0.0, 5.0), 4, 4).unwrap();
    /// assert_eq!(g.y_range(), (0.0, 5.0));
    /// ```
    pub fn y_range(&self) -> (f32, f32) {
        self.y
    }
    /// `(nx, ny)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = kdistill::report::Grid::new((-1.0, 1.0), (0.0, 5.0), 4, 3).unwrap();
    /// assert_eq!(g.shape(), (4, 3));
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }
    /// Number of grid points, `nx · ny`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = kdistill::report::Grid::new((-1.0, 1.0), (0.0, 5.0), 4, 3).unwrap();
    /// assert_eq!(g.len(), 12);
    /// ```
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }
    /// Always false (a grid has at least 2 × 2 points); present for API symmetry with `len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = kdistill::report::Grid::new((-1.0, 1.0), (0.0, 5.0), 2, 2).unwrap();
    /// assert!(!g.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The grid points as an `nx·ny × 2` matrix, row `iy·nx + ix` (x fastest, `iy = 0` at `y_min`).
    ///
    /// # Examples
    ///
    /// ```
    /// let g = kdistill::report::Grid::new((0.0, 2.0), (0.0, 1.0), 3, 2).unwrap();
    /// assert_eq!(g.points(), ndarray::array![[0.0f32, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]);
    /// ```
    pub fn points(&self) -> Array2<f32> {
        // In f64: a range spanning most of the f32 line has a width beyond f32.
        let step = |(lo, hi): (f32, f32), n: usize| (lo as f64, (hi as f64 - lo as f64) / (n - 1) as f64);
        let ((x0, dx), (y0, dy)) = (step(self.x, self.nx), step(self.y, self.ny));
        Array2::from_shape_fn((self.len(), 2), |(r, c)| {
            if c == 0 {
                (x0 + (r % self.nx) as f64 * dx) as f32
            } else {
                (y0 + (r / self.nx) as f64 * dy) as f32
            }
        })
    }
}
