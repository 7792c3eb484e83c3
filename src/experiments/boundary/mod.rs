//! The `boundary` experiment: noisy two moons, a neural teacher, and hard-label vs soft-label students
//! whose decision boundaries are drawn to PNG.
//!
//! Per seed: moons (n = 3000, noise 0.3) split 80/20; the teacher (2→128→128→2) is trained on the
//! training labels; then, from the same learners,
//!
//! | model | trained on |
//! |---|---|
//! | tree hard / soft | one-hot labels / teacher probabilities (unlimited depth) |
//! | compact tree hard | one-hot labels, ≤ `compact_leaves` leaves |
//! | compact tree soft | teacher probabilities on the training rows **plus** teacher-labelled transfer points (uniform in the data box and MUNGE), ≤ `compact_leaves` leaves |
//! | MLP hard / soft | labels / `α·CE + (1−α)·T²·KL` |
//! | soft tree hard / soft | a depth-5 soft decision tree ([`crate::student::soft_tree`]) on labels / on the teacher's probabilities of the same transfer set as the compact soft tree, both for the same number of steps |
//!
//! The size curve: CART at each of `curve_leaves` on labels, on labels of the training rows plus their
//! MUNGE copies (each copy with its source row's label: augmentation without a teacher), on the teacher's
//! probabilities of the training rows, and on the teacher's probabilities of the transfer set; means over
//! the seeds.
//!
//! Everything is measured on the test split: accuracy, and fidelity (agreement with the teacher's class).
//! [`run`] returns the per-seed numbers with mean and standard deviation; [`write_reports`] writes the PNGs,
//! `metrics.json` and a README table.
mod report;
mod run;

pub use report::{claims, default_out_dir, metrics_json, summary_table, write_reports};
pub use run::run;

use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::experiments::curve::CurveRow;
use crate::neural::{DeviceChoice, MlpParams};
use crate::student::soft_tree::SoftTreeParams;
use crate::student::tree::TreeParams;
use crate::teacher::mlp::teacher_params;
use crate::report::Grid;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Settings of the experiment. [`BoundaryConfig::default`] is the published setting; the integration test
/// uses a smaller budget.
///
/// # Examples
///
/// A small budget (one seed, 200 points, a few epochs) runs in about a second; the default is the
/// published setting (five seeds of 3000 points):
///
/// ```
/// use kdistill::experiments::boundary::{run, BoundaryConfig};
/// use kdistill::neural::DeviceChoice;
/// let d = BoundaryConfig::default();
/// assert_eq!((d.seeds.len(), d.n_samples, d.compact_tree.check().unwrap().max_leaves()), (5, 3000, Some(256)));
/// let cfg = BoundaryConfig {
///     seeds: vec![0],
///     n_samples: 200,
///     teacher: d.teacher.clone().epochs(3),
///     student: d.student.clone().epochs(3),
///     augment_uniform: 200,
///     augment_munge: 1,
///     grid: 20,
///     device: DeviceChoice::Cpu,
///     ..BoundaryConfig::default()
/// };
/// let r = run(&cfg).unwrap();
/// assert_eq!(r.per_seed.len(), 1);
/// assert!(run(&BoundaryConfig { seeds: vec![], ..cfg }).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct BoundaryConfig {
    /// One run per seed (data, split, initialisation, augmentation).
    pub seeds: Vec<u64>,
    /// Points in the moons data set.
    pub n_samples: usize,
    /// Gaussian noise of the moons.
    pub noise: f32,
    /// Fraction held out for testing.
    pub test_fraction: f64,
    /// Teacher hyper-parameters (the seed is replaced per run).
    pub teacher: MlpParams,
    /// MLP student hyper-parameters (objective and seed are replaced per run).
    pub student: MlpParams,
    /// Hard-label weight α of the distilled MLP.
    pub mlp_alpha: f32,
    /// Temperature of the distilled MLP.
    pub mlp_temperature: f32,
    /// Temperature of the soft targets the trees are fitted on.
    pub tree_temperature: f32,
    /// The unlimited trees.
    pub tree: TreeParams,
    /// The compact trees (size-limited).
    pub compact_tree: TreeParams,
    /// Uniform transfer points in the data box for the compact soft tree.
    pub augment_uniform: usize,
    /// MUNGE copies of the training rows for the compact soft tree.
    pub augment_munge: usize,
    /// The soft decision trees (seed, objective and epochs are set per run).
    pub soft_tree: SoftTreeParams,
    /// Optimiser steps of each soft tree (the same for labels and for the transfer set).
    pub soft_tree_steps: usize,
    /// Leaf limits of the size curve.
    pub curve_leaves: Vec<usize>,
    /// Boundary image resolution (pixels per side of the plot area).
    pub grid: usize,
    /// Where to train the networks.
    pub device: DeviceChoice,
    /// Show progress bars.
    pub progress: bool,
    /// On CPU, run libtorch with one thread (much faster for these tiny nets).
    pub single_thread_cpu: bool,
}

impl Default for BoundaryConfig {
    fn default() -> Self {
        Self {
            seeds: vec![0, 1, 2, 3, 4],
            n_samples: 3000,
            noise: 0.3,
            test_fraction: 0.2,
            teacher: teacher_params(),
            student: crate::student::mlp::student_params(),
            mlp_alpha: 0.1,
            mlp_temperature: 2.0,
            tree_temperature: 1.0,
            tree: TreeParams::default(),
            compact_tree: TreeParams::default().max_leaves(Some(256)),
            augment_uniform: 20_000,
            augment_munge: 4,
            soft_tree: SoftTreeParams::new().depth(5).batch_size(128).learning_rate(0.01),
            soft_tree_steps: 4000,
            curve_leaves: vec![4, 8, 16, 32, 64, 128, 256],
            grid: 300,
            device: DeviceChoice::Auto,
            progress: false,
            single_thread_cpu: true,
        }
    }
}

/// The names of the nine models, in report order.
///
/// # Examples
///
/// ```
/// use kdistill::experiments::boundary::{MODELS, TITLES};
/// assert_eq!((MODELS[0], TITLES[0]), ("teacher", "Teacher MLP 2-128-128-2"));
/// assert_eq!(MODELS.len(), TITLES.len());
/// ```
pub const MODELS: [&str; 9] =
    ["teacher", "tree_hard", "tree_soft", "tree_hard_compact", "tree_soft_compact", "mlp_hard", "mlp_soft", "sdt_hard", "sdt_soft"];

/// Human-readable model titles, aligned with [`MODELS`].
///
/// # Examples
///
/// ```
/// use kdistill::experiments::boundary::{MODELS, TITLES};
/// let title = |key: &str| TITLES[MODELS.iter().position(|m| *m == key).unwrap()];
/// assert_eq!(title("mlp_soft"), "MLP 2-8-2, distilled");
/// ```
pub const TITLES: [&str; 9] = [
    "Teacher MLP 2-128-128-2",
    "Tree, hard labels",
    "Tree, soft targets",
    "Compact tree, hard labels",
    "Compact tree, soft + transfer set",
    "MLP 2-8-2, hard labels",
    "MLP 2-8-2, distilled",
    "Soft tree, hard labels",
    "Soft tree, soft + transfer set",
];

/// Defines [`SeedMetrics`] (one seed's numbers) and [`MetricsSummary`] (the same fields as `f64`, a
/// mean or a standard deviation over the seeds) from one field list, so the two never drift apart.
macro_rules! seed_metrics {
    ($(#[$doc:meta])* fractions: [$($f:ident),* $(,)?], counts: [$($c:ident),* $(,)?] $(,)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct SeedMetrics {
            pub seed: u64,
            $(pub $f: f64,)*
            $(pub $c: usize,)*
        }

        /// One statistic (mean or sample standard deviation) over the seeds of every numeric field of
        /// [`SeedMetrics`] (all but `seed`), as `f64`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct MetricsSummary {
            $(pub $f: f64,)*
            $(pub $c: f64,)*
        }

        impl MetricsSummary {
            /// `stat` of each field over `per_seed`.
            pub(crate) fn of(per_seed: &[SeedMetrics], stat: impl Fn(&[f64]) -> f64) -> Self {
                MetricsSummary {
                    $($f: stat(&per_seed.iter().map(|m| m.$f).collect::<Vec<_>>()),)*
                    $($c: stat(&per_seed.iter().map(|m| m.$c as f64).collect::<Vec<_>>()),)*
                }
            }
            /// Every field as `(name, value, is a count)`, in declaration order.
            pub fn fields(&self) -> Vec<(&'static str, f64, bool)> {
                vec![$((stringify!($f), self.$f, false),)* $((stringify!($c), self.$c, true),)*]
            }
            /// The field called `name` (as in `metrics.json`).
            pub(crate) fn get(&self, name: &str) -> Option<f64> {
                self.fields().into_iter().find(|(n, _, _)| *n == name).map(|(_, v, _)| v)
            }
        }
    };
}

seed_metrics! {
    /// Numbers of one seed. Accuracies and fidelities are fractions of the test split.
    ///
    /// # Examples
    ///
    /// ```
    /// # use kdistill::experiments::boundary::{run, BoundaryConfig};
    /// # let d = BoundaryConfig::default();
    /// # let cfg = BoundaryConfig { seeds: vec![3], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
    /// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
    /// // `cfg`: a small configuration as in the BoundaryConfig example, with seed 3.
    /// let m = &run(&cfg).unwrap().per_seed[0];
    /// assert_eq!(m.seed, 3);
    /// assert!((0.0..=1.0).contains(&m.tree_soft_fidelity) && m.tree_hard_compact_leaves <= 256);
    /// assert_eq!(m.transfer_points, 160 + 200 + 160); // training rows, uniform points, one MUNGE copy
    /// ```
    fractions: [
        teacher_acc, tree_hard_acc, tree_soft_acc, tree_hard_compact_acc, tree_soft_compact_acc, mlp_hard_acc, mlp_soft_acc, sdt_hard_acc, sdt_soft_acc, tree_hard_fidelity, tree_soft_fidelity, tree_hard_compact_fidelity, tree_soft_compact_fidelity, mlp_hard_fidelity, mlp_soft_fidelity, sdt_hard_fidelity, sdt_soft_fidelity],
    counts: [tree_hard_leaves, tree_soft_leaves, tree_hard_compact_leaves, tree_soft_compact_leaves, tree_hard_depth, tree_soft_depth, tree_hard_compact_depth, tree_soft_compact_depth, sdt_hard_leaves, sdt_soft_leaves, sdt_hard_depth, sdt_soft_depth, teacher_params, mlp_params, transfer_points],
}

/// One model's predicted probabilities on the plotting grid (first seed only).
///
/// # Examples
///
/// ```
/// # use kdistill::experiments::boundary::{run, BoundaryConfig, MODELS};
/// # let d = BoundaryConfig::default();
/// # let cfg = BoundaryConfig { seeds: vec![0], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
/// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// // `cfg`: a small configuration as in the BoundaryConfig example, with a 20 × 20 grid.
/// let r = run(&cfg).unwrap();
/// let models: Vec<&str> = r.panels.iter().map(|p| p.model).collect();
/// assert_eq!(models, MODELS);
/// assert!(r.panels.iter().all(|p| p.probs.dim() == (r.grid.len(), 2)));
/// ```
#[derive(Debug, Clone)]
pub struct GridPanel {
    /// Model key from [`MODELS`].
    pub model: &'static str,
    /// Title for the plot.
    pub title: String,
    /// Second title line (size, fidelity).
    pub subtitle: String,
    /// `grid² × 2` probabilities in [`Grid::points`] order.
    pub probs: Array2<f32>,
}

/// Everything [`run`] produces.
///
/// # Examples
///
/// ```
/// # use kdistill::experiments::boundary::{run, BoundaryConfig};
/// # let d = BoundaryConfig::default();
/// # let cfg = BoundaryConfig { seeds: vec![0, 1], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
/// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// // `cfg`: a small configuration as in the BoundaryConfig example, with seeds 0 and 1.
/// let r = run(&cfg).unwrap();
/// let accs: Vec<f64> = r.per_seed.iter().map(|m| m.teacher_acc).collect();
/// assert!((r.mean.teacher_acc - (accs[0] + accs[1]) / 2.0).abs() < 1e-12);
/// assert_eq!((r.test.len(), r.grid.shape()), (40, (20, 20))); // first seed's test split
/// assert!(r.device.starts_with("cpu"));
/// ```
#[derive(Debug, Clone)]
pub struct BoundaryResult {
    pub per_seed: Vec<SeedMetrics>,
    /// Mean of every numeric field over seeds.
    pub mean: MetricsSummary,
    /// Sample standard deviation of every numeric field over seeds.
    pub std: MetricsSummary,
    /// Device the networks ran on.
    pub device: String,
    /// Wall time of [`run`] in seconds.
    pub wall_seconds: f64,
    /// Plot data of the first seed.
    pub grid: Grid,
    pub panels: Vec<GridPanel>,
    /// Test split of the first seed (drawn over the boundaries).
    pub test: Dataset,
    /// The size curve, means over the seeds.
    pub curve: Vec<CurveRow>,
    /// Data-set size and noise (for the report text).
    pub n_samples: usize,
    pub noise: f32,
}

fn check(cfg: &BoundaryConfig) -> Result<()> {
    if cfg.seeds.is_empty() {
        return Err(KdError::param("seeds", "[]", "need at least one seed"));
    }
    if !(0.0..=1.0).contains(&cfg.mlp_alpha) {
        return Err(KdError::param("mlp_alpha", cfg.mlp_alpha, "must be in [0, 1]"));
    }
    crate::base::check_temperature(cfg.mlp_temperature)?;
    crate::base::check_temperature(cfg.tree_temperature)?;
    if cfg.grid < 2 {
        return Err(KdError::param("grid", cfg.grid, "must be ≥ 2"));
    }
    cfg.soft_tree.check()?;
    if cfg.soft_tree_steps == 0 {
        return Err(KdError::param("soft_tree_steps", 0, "must be ≥ 1"));
    }
    if cfg.curve_leaves.iter().any(|&l| l < 2) {
        return Err(KdError::param("curve_leaves", format!("{:?}", cfg.curve_leaves), "each leaf limit must be ≥ 2"));
    }
    Ok(())
}

