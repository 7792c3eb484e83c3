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
use crate::augment;
use crate::data::{moons::Moons, Dataset};
use crate::error::{KdError, Result};
use crate::experiments::curve::{plot_size_curve, CurveRow, SoftTreeLine};
use crate::metrics::{accuracy, fidelity, MeanStd};
use crate::neural::{DeviceChoice, MlpParams, TrainData};
use crate::base::one_hot;
use crate::student::soft_tree::{SoftTree, SoftTreeParams};
use crate::student::tree::{Tree, TreeParams};
use crate::student::{FitData, Predictor, Student};
use crate::teacher::{mlp::teacher_params, Teacher};
use crate::report::{markdown_table, plot_boundary, plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
use ndarray::{concatenate, Array1, Array2, Axis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedMetrics {
    pub seed: u64,
    pub teacher_acc: f64,
    pub tree_hard_acc: f64,
    pub tree_soft_acc: f64,
    pub tree_hard_compact_acc: f64,
    pub tree_soft_compact_acc: f64,
    pub mlp_hard_acc: f64,
    pub mlp_soft_acc: f64,
    pub sdt_hard_acc: f64,
    pub sdt_soft_acc: f64,
    pub tree_hard_fidelity: f64,
    pub tree_soft_fidelity: f64,
    pub tree_hard_compact_fidelity: f64,
    pub tree_soft_compact_fidelity: f64,
    pub mlp_hard_fidelity: f64,
    pub mlp_soft_fidelity: f64,
    pub sdt_hard_fidelity: f64,
    pub sdt_soft_fidelity: f64,
    pub tree_hard_leaves: usize,
    pub tree_soft_leaves: usize,
    pub tree_hard_compact_leaves: usize,
    pub tree_soft_compact_leaves: usize,
    pub tree_hard_depth: usize,
    pub tree_soft_depth: usize,
    pub tree_hard_compact_depth: usize,
    pub tree_soft_compact_depth: usize,
    pub sdt_hard_leaves: usize,
    pub sdt_soft_leaves: usize,
    pub sdt_hard_depth: usize,
    pub sdt_soft_depth: usize,
    pub teacher_params: usize,
    pub mlp_params: usize,
    pub transfer_points: usize,
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
/// assert!((r.mean["teacher_acc"] - (accs[0] + accs[1]) / 2.0).abs() < 1e-12);
/// assert_eq!((r.test.len(), r.grid.shape()), (40, (20, 20))); // first seed's test split
/// assert!(r.device.starts_with("cpu"));
/// ```
#[derive(Debug, Clone)]
pub struct BoundaryResult {
    pub per_seed: Vec<SeedMetrics>,
    /// Mean of every numeric field over seeds.
    pub mean: BTreeMap<String, f64>,
    /// Sample standard deviation of every numeric field over seeds.
    pub std: BTreeMap<String, f64>,
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

fn fit_tree(p: &TreeParams, x: &Array2<f32>, y: &Array2<f32>) -> Result<Tree> {
    p.fit_student(FitData::new(x.view(), y.view()))
}

struct SeedRun {
    metrics: SeedMetrics,
    curve: Vec<CurveRow>,
    panels: Option<(Grid, Vec<GridPanel>, Dataset)>,
}

fn run_seed(cfg: &BoundaryConfig, seed: u64, with_plots: bool) -> Result<SeedRun> {
    let data = Moons::new().n_samples(cfg.n_samples).noise(cfg.noise).seed(seed).generate()?;
    let (train, test) = data.split(cfg.test_fraction, seed)?;
    let k = data.n_classes;
    let label = |s: &str| cfg.progress.then(|| format!("seed {seed} {s}"));

    let mut tp = cfg.teacher.clone().seed(seed).device(cfg.device);
    tp.train.progress = label("teacher");
    let teacher = tp.fit(TrainData::new(train.x.view()).labels(train.y.view()), k)?;
    let teacher_test = Teacher::predict(&teacher, test.x.view())?;

    // Trees: hard labels vs teacher probabilities, same learner and limits.
    let hard_y = one_hot(train.y.view(), k)?;
    let q_train = teacher.soft_targets(train.x.view(), cfg.tree_temperature)?;
    let tree_hard = fit_tree(&cfg.tree, &train.x, &hard_y)?;
    let tree_soft = fit_tree(&cfg.tree, &train.x, &q_train)?;

    // Compact trees; the soft one also sees teacher-labelled transfer points.
    let bounds = train.bounds();
    let mut transfer = vec![train.x.view().to_owned()];
    if cfg.augment_uniform > 0 {
        transfer.push(augment::uniform_box(&bounds, cfg.augment_uniform, 0.05, seed ^ 0x5eed)?);
    }
    if cfg.augment_munge > 0 {
        transfer.push(augment::munge(train.x.view(), cfg.augment_munge, 0.5, 1.0, seed ^ 0xa11)?);
    }
    let views: Vec<_> = transfer.iter().map(|a| a.view()).collect();
    let x_transfer = concatenate(Axis(0), &views).map_err(|e| KdError::Shape(e.to_string()))?;
    let q_transfer = teacher.soft_targets(x_transfer.view(), cfg.tree_temperature)?;
    let compact_hard = fit_tree(&cfg.compact_tree, &train.x, &hard_y)?;
    let compact_soft = fit_tree(&cfg.compact_tree, &x_transfer, &q_transfer)?;

    // MLP students from the same initialisation seed.
    let mut sp = cfg.student.clone().seed(seed).device(cfg.device);
    sp.train.progress = label("mlp hard");
    let mlp_hard = sp.clone().hard().fit(TrainData::new(train.x.view()).labels(train.y.view()), k)?;
    let q_t = teacher.soft_targets(train.x.view(), cfg.mlp_temperature)?;
    sp.train.progress = label("mlp soft");
    let mlp_soft = sp.distill(cfg.mlp_alpha, cfg.mlp_temperature).fit(TrainData::new(train.x.view()).labels(train.y.view()).soft(q_t.view(), cfg.mlp_temperature), k)?;

    // Soft decision trees: labels on the training rows vs the teacher on the transfer set, same steps.
    let sdt = |rows: usize, label_of: &str| {
        let per_epoch = rows.div_ceil(cfg.soft_tree.check().map(|p| p.train().batch_size).unwrap_or(1).max(1));
        let mut p = cfg.soft_tree.clone().seed(seed).device(cfg.device).epochs(cfg.soft_tree_steps.div_ceil(per_epoch).max(1));
        if let Some(l) = label(label_of) {
            p = p.progress(l);
        }
        p
    };
    let sdt_hard = sdt(train.len(), "soft tree hard").hard().fit_student(FitData::new(train.x.view(), hard_y.view()).labels(train.y.view()))?;
    let sdt_soft = sdt(x_transfer.nrows(), "soft tree soft").distill(0.0, cfg.tree_temperature).fit_student(FitData::new(x_transfer.view(), q_transfer.view()).temperature(cfg.tree_temperature))?;

    let models: [&dyn Predictor; 8] = [&tree_hard, &tree_soft, &compact_hard, &compact_soft, &mlp_hard, &mlp_soft, &sdt_hard, &sdt_soft];
    let mut acc = vec![accuracy(teacher_test.view(), test.y.view())?];
    let mut fid = vec![1.0];
    for m in models {
        let pred: Array1<usize> = m.predict(test.x.view())?;
        acc.push(accuracy(pred.view(), test.y.view())?);
        fid.push(fidelity(pred.view(), teacher_test.view())?);
    }
    let metrics = SeedMetrics {
        seed,
        teacher_acc: acc[0],
        tree_hard_acc: acc[1],
        tree_soft_acc: acc[2],
        tree_hard_compact_acc: acc[3],
        tree_soft_compact_acc: acc[4],
        mlp_hard_acc: acc[5],
        mlp_soft_acc: acc[6],
        sdt_hard_acc: acc[7],
        sdt_soft_acc: acc[8],
        tree_hard_fidelity: fid[1],
        tree_soft_fidelity: fid[2],
        tree_hard_compact_fidelity: fid[3],
        tree_soft_compact_fidelity: fid[4],
        mlp_hard_fidelity: fid[5],
        mlp_soft_fidelity: fid[6],
        sdt_hard_fidelity: fid[7],
        sdt_soft_fidelity: fid[8],
        tree_hard_leaves: tree_hard.n_leaves(),
        tree_soft_leaves: tree_soft.n_leaves(),
        tree_hard_compact_leaves: compact_hard.n_leaves(),
        tree_soft_compact_leaves: compact_soft.n_leaves(),
        tree_hard_depth: tree_hard.depth(),
        tree_soft_depth: tree_soft.depth(),
        tree_hard_compact_depth: compact_hard.depth(),
        tree_soft_compact_depth: compact_soft.depth(),
        sdt_hard_leaves: sdt_hard.n_leaves(),
        sdt_soft_leaves: sdt_soft.n_leaves(),
        sdt_hard_depth: sdt_hard.depth(),
        sdt_soft_depth: sdt_soft.depth(),
        teacher_params: teacher.n_params(),
        mlp_params: mlp_soft.n_params(),
        transfer_points: x_transfer.nrows(),
    };

    // The size curve: CART at each leaf limit on labels, labels of the rows plus their MUNGE copies (the
    // copies keep their source row's label), teacher probabilities on the rows and on the transfer set.
    let munge = if cfg.augment_munge > 0 { augment::munge(train.x.view(), cfg.augment_munge, 0.5, 1.0, seed ^ 0xa11)? } else { Array2::zeros((0, 2)) };
    let x_aug = concatenate(Axis(0), &[train.x.view(), munge.view()]).map_err(|e| KdError::Shape(e.to_string()))?;
    let y_aug = concatenate(Axis(0), &(0..=cfg.augment_munge).map(|_| hard_y.view()).collect::<Vec<_>>()).map_err(|e| KdError::Shape(e.to_string()))?;
    let sets: [(&Array2<f32>, &Array2<f32>); 4] = [(&train.x, &hard_y), (&x_aug, &y_aug), (&train.x, &q_train), (&x_transfer, &q_transfer)];
    let mut curve = Vec::new();
    for &leaves in &cfg.curve_leaves {
        let (mut acc_c, mut fid_c, mut grown, mut secs) = ([0.0; 4], [0.0; 4], [0; 4], [0.0; 4]);
        for (i, (x, y)) in sets.iter().enumerate() {
            let start = std::time::Instant::now();
            let tree = fit_tree(&TreeParams::default().max_leaves(Some(leaves)), x, y)?;
            secs[i] = start.elapsed().as_secs_f64();
            let pred = Predictor::predict(&tree, test.x.view())?;
            acc_c[i] = accuracy(pred.view(), test.y.view())?;
            fid_c[i] = fidelity(pred.view(), teacher_test.view())?;
            grown[i] = tree.n_leaves();
        }
        curve.push(CurveRow { leaves, hard_acc: acc_c[0], hard_aug_acc: acc_c[1], soft_acc: acc_c[2], transfer_acc: acc_c[3], transfer_fidelity: fid_c[3], fidelity: fid_c, grown, seconds: secs });
    }

    let panels = if with_plots {
        let grid = Grid::covering(data.x.view(), 0.05, cfg.grid, cfg.grid)?;
        let pts = grid.points();
        let leaves = |t: &Tree| format!("{} leaves, depth {}", t.n_leaves(), t.depth());
        let sdt_size = |t: &SoftTree| format!("depth {}, {} leaves, max-path", t.depth(), t.n_leaves());
        let size = [
            format!("{} parameters", teacher.n_params()),
            leaves(&tree_hard),
            leaves(&tree_soft),
            leaves(&compact_hard),
            leaves(&compact_soft) + &format!(" · transfer set of {} pts", x_transfer.nrows()),
            format!("{} parameters", mlp_hard.n_params()),
            format!("{} parameters, T={}, α={}", mlp_soft.n_params(), cfg.mlp_temperature, cfg.mlp_alpha),
            sdt_size(&sdt_hard),
            sdt_size(&sdt_soft) + &format!(" · transfer set of {} pts", x_transfer.nrows()),
        ];
        let mut probs = vec![Teacher::predict_proba(&teacher, pts.view())?];
        for m in models {
            probs.push(m.predict_proba(pts.view())?);
        }
        let panels = probs
            .into_iter()
            .enumerate()
            .map(|(i, p)| GridPanel {
                model: MODELS[i],
                title: format!("{} — test acc {:.1}%", TITLES[i], 100.0 * acc[i]),
                subtitle: size[i].clone() + &if i == 0 { String::new() } else { format!(" · fidelity {:.1}%", 100.0 * fid[i]) },
                probs: p,
            })
            .collect();
        Some((grid, panels, test))
    } else {
        None
    };
    Ok(SeedRun { metrics, curve, panels })
}

/// Run the experiment over all seeds.
///
/// # Examples
///
/// ```
/// use kdistill::experiments::boundary::{run, BoundaryConfig};
/// let d = BoundaryConfig::default();
/// let cfg = BoundaryConfig { seeds: vec![0], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
///     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// let a = run(&cfg).unwrap();
/// let b = run(&cfg).unwrap();
/// assert_eq!(a.per_seed, b.per_seed); // on the CPU the same seeds give the same numbers
/// assert!(run(&BoundaryConfig { mlp_temperature: 0.0, ..cfg }).is_err());
/// ```
pub fn run(cfg: &BoundaryConfig) -> Result<BoundaryResult> {
    check(cfg)?;
    let start = std::time::Instant::now();
    let resolved = cfg.device.resolve()?;
    // The nets here are tiny (2-128-128-2): on CPU, libtorch's intra-op threads cost more than they
    // save (and thrash when the other cores are busy), so train single-threaded and restore afterwards.
    let threads = tch::get_num_threads();
    if resolved == tch::Device::Cpu && cfg.single_thread_cpu {
        tch::set_num_threads(1);
    }
    let result = run_seeds(cfg, resolved, start);
    tch::set_num_threads(threads);
    result
}

fn run_seeds(cfg: &BoundaryConfig, resolved: tch::Device, start: std::time::Instant) -> Result<BoundaryResult> {
    let device = crate::neural::describe_device(resolved);
    let mut per_seed = Vec::new();
    let mut curves = Vec::new();
    let mut plots = None;
    for (i, &seed) in cfg.seeds.iter().enumerate() {
        let r = run_seed(cfg, seed, i == 0)?;
        if r.panels.is_some() {
            plots = r.panels;
        }
        per_seed.push(r.metrics);
        curves.push(r.curve);
    }
    let curve = (0..cfg.curve_leaves.len()).map(|j| CurveRow::mean(&curves.iter().map(|c| c[j].clone()).collect::<Vec<_>>())).collect();
    let (mean, std) = summarise(&per_seed)?;
    let (grid, panels, test) = plots.expect("first seed produces plots");
    Ok(BoundaryResult { per_seed, mean, std, device, wall_seconds: start.elapsed().as_secs_f64(), grid, panels, test, curve, n_samples: cfg.n_samples, noise: cfg.noise })
}

/// Mean and standard deviation of every numeric field (except `seed`) over the seeds.
fn summarise(per_seed: &[SeedMetrics]) -> Result<(BTreeMap<String, f64>, BTreeMap<String, f64>)> {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = per_seed
        .iter()
        .map(|m| match serde_json::to_value(m) {
            Ok(serde_json::Value::Object(o)) => Ok(o),
            other => Err(KdError::Shape(format!("metrics did not serialise to an object: {other:?}"))),
        })
        .collect::<Result<_>>()?;
    let (mut mean, mut std) = (BTreeMap::new(), BTreeMap::new());
    for key in rows[0].keys().filter(|k| *k != "seed") {
        let v: Vec<f64> = rows.iter().filter_map(|r| r[key].as_f64()).collect();
        let s = MeanStd::of(&v);
        mean.insert(key.clone(), s.mean);
        std.insert(key.clone(), s.std);
    }
    Ok((mean, std))
}

/// True for keys that count things (leaves, depth, parameters, points): written as integers.
///
/// # Examples
///
/// ```
/// use kdistill::experiments::boundary::is_count;
/// assert!(is_count("tree_soft_leaves") && is_count("teacher_params"));
/// assert!(!is_count("tree_soft_acc"));
/// ```
pub fn is_count(key: &str) -> bool {
    ["_leaves", "_depth", "_params", "_points"].iter().any(|s| key.ends_with(s))
}

/// `metrics.json`: `{"mean": {...}, "std": {...}, "per_seed": [...], "wall_seconds", "device", "seeds"}`,
/// count keys of `mean` rounded to integers.
///
/// # Examples
///
/// ```
/// # use kdistill::experiments::boundary::{run, BoundaryConfig};
/// # let d = BoundaryConfig::default();
/// # let cfg = BoundaryConfig { seeds: vec![0], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
/// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// // `cfg`: a small configuration as in the BoundaryConfig example.
/// let v = kdistill::experiments::boundary::metrics_json(&run(&cfg).unwrap());
/// assert_eq!(v["seeds"], serde_json::json!([0]));
/// assert!(v["mean"]["tree_soft_leaves"].is_u64()); // counts are integers
/// assert!(v["mean"]["tree_soft_acc"].is_f64());
/// ```
pub fn metrics_json(r: &BoundaryResult) -> serde_json::Value {
    let mean: serde_json::Map<String, serde_json::Value> = r
        .mean
        .iter()
        .map(|(k, &v)| (k.clone(), if is_count(k) { serde_json::json!(v.round() as u64) } else { serde_json::json!(v) }))
        .collect();
    serde_json::json!({
        "mean": mean,
        "std": r.std,
        "per_seed": r.per_seed,
        "wall_seconds": r.wall_seconds,
        "device": r.device,
        "seeds": r.per_seed.iter().map(|m| m.seed).collect::<Vec<_>>(),
        "tree_curve": r.curve,
    })
}

/// Output location of the reports.
///
/// # Examples
///
/// ```
/// assert_eq!(kdistill::experiments::boundary::default_out_dir(), std::path::Path::new("reports/boundary"));
/// ```
pub fn default_out_dir() -> PathBuf {
    PathBuf::from("reports/boundary")
}

/// Write `metrics.json`, `README.md`, one PNG per model and `overview.png` into `dir`, each atomically.
///
/// # Examples
///
/// ```
/// # use kdistill::experiments::boundary::{run, write_reports, BoundaryConfig, MODELS};
/// # let d = BoundaryConfig::default();
/// # let cfg = BoundaryConfig { seeds: vec![0], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
/// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// // `cfg`: a small configuration as in the BoundaryConfig example.
/// let dir = tempfile::tempdir().unwrap();
/// write_reports(&run(&cfg).unwrap(), dir.path()).unwrap();
/// for f in ["metrics.json", "README.md", "overview.png"] {
///     assert!(dir.path().join(f).is_file(), "{f}");
/// }
/// assert!(MODELS.iter().all(|m| dir.path().join(format!("{m}.png")).is_file()));
/// ```
pub fn write_reports(r: &BoundaryResult, dir: impl AsRef<std::path::Path>) -> Result<()> {
    let dir = dir.as_ref();
    let opts = BoundaryOptions { class_names: vec!["moon 0".into(), "moon 1".into()], ..Default::default() };
    let plots: Vec<BoundaryPlot> =
        r.panels.iter().map(|p| BoundaryPlot::new(p.title.clone(), p.probs.view()).with_subtitle(p.subtitle.clone())).collect();
    for (p, plot) in r.panels.iter().zip(&plots) {
        plot_boundary(dir.join(format!("{}.png", p.model)), &r.grid, plot, r.test.x.view(), r.test.y.view(), &opts)?;
    }
    let seed = r.per_seed[0].seed;
    plot_boundary_panel(
        dir.join("overview.png"),
        &format!("Two moons (noise {}), seed {seed}: hard labels vs the teacher's soft targets — test points shown", r.noise),
        &r.grid,
        &plots,
        r.test.x.view(),
        r.test.y.view(),
        &opts,
    )?;
    let sdt = SoftTreeLine {
        label: format!("soft tree d{} on the transfer set ({} leaves)", r.per_seed[0].sdt_soft_depth, r.per_seed[0].sdt_soft_leaves),
        accuracy: r.mean["sdt_soft_acc"],
        fidelity: r.mean["sdt_soft_fidelity"],
    };
    plot_size_curve(&dir.join("tree_size_curve.png"), &format!("Two moons: CART test accuracy and fidelity against the leaf limit ({})", if r.per_seed.len() == 1 { "one seed".to_string() } else { format!("means of {} seeds", r.per_seed.len()) }), &r.curve, Some(&sdt))?;
    crate::io::write_json(dir.join("metrics.json"), &metrics_json(r))?;
    crate::io::atomic_write(dir.join("README.md"), readme(r)?.as_bytes())
}

fn pct(m: &BTreeMap<String, f64>, s: &BTreeMap<String, f64>, key: &str) -> String {
    format!("{:.1} ± {:.1}", 100.0 * m[key], 100.0 * s[key])
}

/// The per-model table (means ± standard deviation over seeds), as markdown.
///
/// # Examples
///
/// ```
/// # use kdistill::experiments::boundary::{run, summary_table, BoundaryConfig};
/// # let d = BoundaryConfig::default();
/// # let cfg = BoundaryConfig { seeds: vec![0], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
/// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// // `cfg`: a small configuration as in the BoundaryConfig example.
/// let t = summary_table(&run(&cfg).unwrap());
/// assert!(t.starts_with("| model "));
/// assert_eq!(t.lines().count(), 2 + 9); // header, rule, nine models
/// assert!(t.contains("| Compact tree, soft + transfer set |"));
/// ```
pub fn summary_table(r: &BoundaryResult) -> String {
    let (m, s) = (&r.mean, &r.std);
    let rows: Vec<Vec<String>> = MODELS
        .iter()
        .zip(TITLES)
        .map(|(key, title)| {
            let size = match *key {
                "teacher" => format!("{} params", m["teacher_params"].round()),
                k if k.starts_with("mlp") => format!("{} params", m["mlp_params"].round()),
                k => format!("{:.0} leaves, depth {:.0}", m[&format!("{k}_leaves")], m[&format!("{k}_depth")]),
            };
            let fid = if *key == "teacher" { "—".to_string() } else { pct(m, s, &format!("{key}_fidelity")) };
            vec![title.to_string(), pct(m, s, &format!("{key}_acc")), fid, size]
        })
        .collect();
    markdown_table(&["model", "test accuracy %", "fidelity to teacher %", "size (mean)"], &rows).unwrap_or_default()
}

fn readme(r: &BoundaryResult) -> Result<String> {
    let seeds: Vec<String> = r.per_seed.iter().map(|m| m.seed.to_string()).collect();
    let per_seed: Vec<Vec<String>> = r
        .per_seed
        .iter()
        .map(|m| {
            let f = |v: f64| format!("{:.1}", 100.0 * v);
            vec![
                m.seed.to_string(),
                f(m.teacher_acc),
                f(m.tree_hard_acc),
                f(m.tree_soft_acc),
                f(m.tree_hard_compact_acc),
                f(m.tree_soft_compact_acc),
                f(m.mlp_hard_acc),
                f(m.mlp_soft_acc),
                f(m.sdt_hard_acc),
                f(m.sdt_soft_acc),
            ]
        })
        .collect();
    let claims: String = claims(r).iter().map(|(c, ok)| format!("- {} {c}\n", if *ok { "✅" } else { "❌" })).collect();
    let per_seed = markdown_table(&["seed", "teacher", "tree hard", "tree soft", "compact hard", "compact soft", "MLP hard", "MLP soft", "soft tree hard", "soft tree soft"], &per_seed)?;
    let curve_rows: Vec<Vec<String>> = r
        .curve
        .iter()
        .map(|c| {
            let mut row = vec![c.leaves.to_string()];
            row.extend([c.hard_acc, c.hard_aug_acc, c.soft_acc, c.transfer_acc, c.transfer_fidelity].map(|v| format!("{:.1}", 100.0 * v)));
            row
        })
        .collect();
    let curve = markdown_table(&["max leaves", "labels", "labels + MUNGE copies", "teacher, training rows", "teacher, transfer set", "fidelity (transfer set)"], &curve_rows)?;
    Ok(format!(
        "# Boundary experiment (generated)\n\n\
Two moons, n = {n}, noise {noise}, 80/20 split; seeds {seeds}. Device: {dev}. Wall time {wall:.1} s.\n\
Numbers are test-split means ± standard deviation over the seeds. *Fidelity* is agreement with the\n\
teacher's predicted class. Regenerate with `scripts/cargo run --release --example boundary`.\n\n\
{table}\n## Claims (checked on this run's means)\n\n{claims}\n## Per seed (test accuracy %)\n\n{per_seed}\n\
![overview](overview.png)\n\n## CART size curve (test accuracy %, means over the seeds)\n\n\
The same learner at each leaf limit; only the training set differs. The MUNGE copies keep their source \
row's label (augmentation without a teacher); the transfer set adds uniform points and the MUNGE copies, \
all labelled by the teacher.\n\n{curve}\n![size curve](tree_size_curve.png)\n",
        n = r.n_samples,
        noise = r.noise,
        seeds = seeds.join(", "),
        dev = r.device,
        wall = r.wall_seconds,
        table = summary_table(r),
        claims = claims,
        per_seed = per_seed,
        curve = curve,
    ))
}

/// The experiment's claims (issue targets), each with whether this run upholds it, computed from the
/// means: the teacher is good, soft targets beat hard labels, and a ≤256-leaf tree with the transfer set
/// matches the teacher.
///
/// # Examples
///
/// ```
/// # use kdistill::experiments::boundary::{claims, run, BoundaryConfig};
/// # let d = BoundaryConfig::default();
/// # let cfg = BoundaryConfig { seeds: vec![0], n_samples: 200, teacher: d.teacher.clone().epochs(3), student: d.student.clone().epochs(3),
/// #     augment_uniform: 200, augment_munge: 1, grid: 20, device: kdistill::neural::DeviceChoice::Cpu, ..BoundaryConfig::default() };
/// // `cfg`: a small configuration as in the BoundaryConfig example; with so little training the
/// // accuracy claims may fail, but the leaf limit always holds.
/// let c = claims(&run(&cfg).unwrap());
/// assert_eq!(c.len(), 6);
/// assert!(c[4].0.starts_with("compact trees have ≤ 256 leaves") && c[4].1);
/// ```
pub fn claims(r: &BoundaryResult) -> Vec<(String, bool)> {
    let m = |k: &str| r.mean[k];
    let max_compact = r.per_seed.iter().map(|s| s.tree_soft_compact_leaves.max(s.tree_hard_compact_leaves)).max().unwrap_or(0);
    vec![
        (format!("teacher accuracy {:.3} ≥ 0.915", m("teacher_acc")), m("teacher_acc") >= 0.915),
        (
            format!("soft tree {:.3} ≥ hard tree {:.3} + 0.03", m("tree_soft_acc"), m("tree_hard_acc")),
            m("tree_soft_acc") >= m("tree_hard_acc") + 0.03,
        ),
        (
            format!("compact soft tree {:.3} ≥ teacher {:.3} − 0.01", m("tree_soft_compact_acc"), m("teacher_acc")),
            m("tree_soft_compact_acc") >= m("teacher_acc") - 0.01,
        ),
        (
            format!("compact soft tree {:.3} ≥ compact hard tree {:.3} + 0.015", m("tree_soft_compact_acc"), m("tree_hard_compact_acc")),
            m("tree_soft_compact_acc") >= m("tree_hard_compact_acc") + 0.015,
        ),
        (format!("compact trees have ≤ 256 leaves (max {max_compact})"), max_compact <= 256),
        (
            format!("soft tree on the transfer set {:.3} > soft tree on labels {:.3}", m("sdt_soft_acc"), m("sdt_hard_acc")),
            m("sdt_soft_acc") > m("sdt_hard_acc"),
        ),
    ]
}
