//! One seed after another: data, teacher, students, metrics (see the [module docs](super)).
use super::*;
use crate::augment;
use crate::data::{moons::Moons, Dataset};
use crate::error::{KdError, Result};
use crate::experiments::curve::CurveRow;
use crate::metrics::{accuracy, fidelity, MeanStd};
use crate::neural::TrainData;
use crate::base::one_hot;
use crate::student::soft_tree::SoftTree;
use crate::student::tree::{Tree, TreeParams};
use crate::student::{FitData, Predictor, Student};
use crate::teacher::Teacher;
use crate::report::Grid;
use ndarray::{concatenate, Array1, Array2, Axis};

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
        let per_epoch = rows.div_ceil(cfg.soft_tree.check().map(|p| p.train().batch_size()).unwrap_or(1).max(1));
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
    let (mean, std) = summarise(&per_seed);
    let (grid, panels, test) = plots.expect("first seed produces plots");
    Ok(BoundaryResult { per_seed, mean, std, device, wall_seconds: start.elapsed().as_secs_f64(), grid, panels, test, curve, n_samples: cfg.n_samples, noise: cfg.noise })
}

/// Mean and standard deviation of every numeric field (except `seed`) over the seeds.
fn summarise(per_seed: &[SeedMetrics]) -> (MetricsSummary, MetricsSummary) {
    (MetricsSummary::of(per_seed, |v| MeanStd::of(v).mean), MetricsSummary::of(per_seed, |v| MeanStd::of(v).std))
}
