//! The boundary experiment's reports: PNGs, `metrics.json`, the README table and its claims.
use super::*;
use crate::error::Result;
use crate::experiments::curve::{plot_size_curve, SoftTreeLine};
use crate::report::{markdown_table, plot_boundary, plot_boundary_panel, BoundaryOptions, BoundaryPlot};
use std::path::PathBuf;

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
        .fields()
        .into_iter()
        .map(|(k, v, count)| (k.to_string(), if count { serde_json::json!(v.round() as u64) } else { serde_json::json!(v) }))
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
        accuracy: r.mean.sdt_soft_acc,
        fidelity: r.mean.sdt_soft_fidelity,
    };
    plot_size_curve(&dir.join("tree_size_curve.png"), &format!("Two moons: CART test accuracy and fidelity against the leaf limit ({})", if r.per_seed.len() == 1 { "one seed".to_string() } else { format!("means of {} seeds", r.per_seed.len()) }), &r.curve, Some(&sdt))?;
    crate::io::write_json(dir.join("metrics.json"), &metrics_json(r))?;
    crate::io::atomic_write(dir.join("README.md"), readme(r)?.as_bytes())
}

fn pct(m: &MetricsSummary, s: &MetricsSummary, key: &str) -> String {
    let (mean, std) = (m.get(key).unwrap_or(f64::NAN), s.get(key).unwrap_or(f64::NAN));
    format!("{:.1} ± {:.1}", 100.0 * mean, 100.0 * std)
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
                "teacher" => format!("{} params", m.teacher_params.round()),
                k if k.starts_with("mlp") => format!("{} params", m.mlp_params.round()),
                k => {
                    let get = |what: &str| m.get(&format!("{k}_{what}")).unwrap_or(f64::NAN);
                    format!("{:.0} leaves, depth {:.0}", get("leaves"), get("depth"))
                }
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
    let m = |k: &str| r.mean.get(k).unwrap_or(f64::NAN);
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
