//! End-to-end: the boundary pipeline on a smaller budget. Fixed seeds make the soft-vs-hard ordering
//! deterministic on CPU; the assertions are the claims at reduced size.
use kdistill::experiments::boundary::{self, BoundaryConfig};
use kdistill::neural::DeviceChoice;

fn small() -> BoundaryConfig {
    let mut cfg = BoundaryConfig { seeds: vec![0, 1], n_samples: 1500, device: DeviceChoice::Cpu, grid: 60, augment_uniform: 8000, ..Default::default() };
    cfg.teacher = cfg.teacher.epochs(40);
    cfg.student = cfg.student.epochs(60);
    cfg.soft_tree_steps = 1500;
    cfg
}

#[test]
fn soft_targets_beat_hard_labels_and_reports_are_written() {
    let cfg = small();
    let r = boundary::run(&cfg).unwrap();
    let m = &r.mean;
    eprintln!("{}", boundary::summary_table(&r));
    assert!(m.teacher_acc > 0.88, "teacher {}", m.teacher_acc);
    assert!(m.tree_soft_acc > m.tree_hard_acc + 0.01, "soft {} vs hard {}", m.tree_soft_acc, m.tree_hard_acc);
    assert!(m.tree_soft_compact_acc > m.tree_hard_compact_acc, "{} vs {}", m.tree_soft_compact_acc, m.tree_hard_compact_acc);
    assert!(m.tree_soft_compact_fidelity > m.tree_hard_compact_fidelity);
    for s in &r.per_seed {
        assert!(s.tree_soft_compact_leaves <= 256 && s.tree_hard_compact_leaves <= 256);
    }

    let dir = tempfile::tempdir().unwrap();
    boundary::write_reports(&r, dir.path()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).unwrap()).unwrap();
    for key in [
        "teacher_acc", "tree_hard_acc", "tree_soft_acc", "tree_hard_compact_acc", "tree_soft_compact_acc", "mlp_hard_acc",
        "mlp_soft_acc", "tree_soft_compact_fidelity",
    ] {
        let v = json["mean"][key].as_f64().unwrap_or_else(|| panic!("missing {key}"));
        assert!((0.0..=1.0).contains(&v));
    }
    for key in ["tree_hard_leaves", "tree_soft_leaves", "tree_hard_compact_leaves", "tree_soft_compact_leaves"] {
        assert!(json["mean"][key].is_u64(), "{key} must be an integer");
    }
    assert_eq!(json["per_seed"].as_array().unwrap().len(), 2);
    assert_eq!(json["tree_curve"].as_array().unwrap().len(), cfg.curve_leaves.len());
    assert!(dir.path().join("tree_size_curve.png").exists());
    assert!(json["wall_seconds"].as_f64().unwrap() > 0.0);
    for m in boundary::MODELS {
        let png = dir.path().join(format!("{m}.png"));
        assert!(std::fs::metadata(&png).unwrap().len() > 1000, "{}", png.display());
    }
    assert!(dir.path().join("overview.png").exists() && dir.path().join("README.md").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
    assert!(leftovers.is_empty());
}

#[test]
fn same_seed_same_numbers_on_cpu() {
    let mut cfg = small();
    cfg.seeds = vec![3];
    cfg.n_samples = 600;
    cfg.augment_uniform = 1000;
    let a = boundary::run(&cfg).unwrap();
    let b = boundary::run(&cfg).unwrap();
    assert_eq!(a.per_seed, b.per_seed);
}

#[test]
fn invalid_configuration_is_a_typed_error() {
    let mut cfg = small();
    cfg.mlp_temperature = 0.0;
    assert!(boundary::run(&cfg).unwrap_err().to_string().contains("temperature"));
    let mut cfg = small();
    cfg.mlp_alpha = 1.5;
    assert!(boundary::run(&cfg).unwrap_err().to_string().contains("alpha"));
    let mut cfg = small();
    cfg.seeds.clear();
    assert!(boundary::run(&cfg).is_err());
}
