//! The MNIST experiment end to end in `--quick` mode (real MNIST, fetched by `data/fetch_mnist.sh` when
//! missing): every metrics.json key, the PNGs, the README, and the preset's promises: the teacher clearly
//! better than the students, and the distilled 2×800, 30-30 and 10-10 students and soft tree better than their
//! label-trained twins.
//!
//! This test fails loudly when MNIST cannot be loaded or fetched: the test command fetches the data first.
use kdistill::experiments::mnist::{self, MnistConfig, Mode};
use std::path::Path;

const KEYS: [&str; 26] = [
    "teacher_errors",
    "small_seed_spread",
    "student_hard_errors",
    "student_soft_errors",
    "small_hard_errors",
    "small_soft_errors",
    "tiny_hard_errors",
    "tiny_soft_errors",
    "small_grid",
    "soft_tree_hard_acc",
    "soft_tree_soft_acc",
    "soft_tree_depth",
    "soft_tree_grid",
    "transfer_rows",
    "tree_transfer_rows",
    "tree_curve",
    "tree_hard_acc",
    "tree_soft_acc",
    "omit3_errors",
    "omit3_threes_correct",
    "omit3_fixed_errors",
    "omit3_fixed_threes_correct",
    "device",
    "wall_seconds",
    "mode",
    "teacher",
];

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = png::Decoder::new(&bytes[..]).read_info().expect("valid PNG");
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn quick_run_writes_every_report_with_sane_numbers() {
    let out = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = MnistConfig::new(Mode::Quick);
    cfg.data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    cfg.out_dir = out.path().to_path_buf();
    cfg.cache_dir = cache.path().to_path_buf();
    cfg.verbose = false;
    let r = mnist::run(&cfg).expect("quick MNIST run (data is fetched by data/fetch_mnist.sh if missing)");
    mnist::write_reports(&r, out.path()).unwrap();
    println!("{}", mnist::summary(&r));

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path().join("metrics.json")).unwrap()).unwrap();
    for k in KEYS {
        assert!(json.get(k).is_some_and(|v| !v.is_null()), "metrics.json lacks `{k}`");
    }
    assert_eq!(json["mode"], "quick");
    assert!(json["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(json["device"].as_str().unwrap().starts_with("cpu") || json["device"].as_str().unwrap().starts_with("cuda"));
    let m = &r.metrics;
    assert_eq!((m.n_test, m.omit3_threes_total), (10_000, 1010), "the whole MNIST test set is scored");
    assert_eq!((m.n_train, m.teacher_n_train), (4_000, 60_000), "the students learn from 4 000 images, the teacher from all");

    // The quick preset's promises (fixed seeds): the teacher clearly beats the students it teaches, and
    // every distilled net (2×800, 30-30, 10-10) beats its label-trained twin, each chosen on the
    // validation split. On 3 200 images the two depth-8 soft trees (read by their max path) swap places
    // with the seed (test errors with the preset's weight decay, distilled against labels: 553 / 543 at
    // seed 0, 492 / 707 at seed 1, 552 / 608 at seed 2), so the distilled one must not fall more than
    // half a point behind.
    assert!(m.teacher_errors * 10 <= m.student_hard_errors * 7, "teacher {} vs 2×800 on labels {}", m.teacher_errors, m.student_hard_errors);
    assert!(m.student_soft_errors < m.student_hard_errors, "2×800: distilled {} vs labels {}", m.student_soft_errors, m.student_hard_errors);
    assert!(m.small_soft_errors < m.small_hard_errors, "30-30: distilled {} vs labels {}", m.small_soft_errors, m.small_hard_errors);
    assert!(m.tiny_soft_errors < m.tiny_hard_errors, "10-10: distilled {} vs labels {}", m.tiny_soft_errors, m.tiny_hard_errors);
    for (what, e) in [("10-10 labels", m.tiny_hard_errors), ("10-10 distilled", m.tiny_soft_errors)] {
        assert!(e < 1_500, "{what}: {e} test errors");
    }
    assert!(m.soft_tree_soft_acc > m.soft_tree_hard_acc - 0.005, "soft tree: distilled {} vs labels {}", m.soft_tree_soft_acc, m.soft_tree_hard_acc);
    for (what, acc) in [("soft tree labels", m.soft_tree_hard_acc), ("soft tree distilled", m.soft_tree_soft_acc)] {
        assert!(acc > 0.92, "{what}: accuracy {acc}");
    }
    // The distilled 2×800 student agrees with its teacher more often than the same net on labels.
    let fid = |name: &str| r.models.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("{name}")).fidelity;
    assert!(fid("student_soft_plain") > fid("student_hard"), "fidelity soft {} vs hard {}", fid("student_soft_plain"), fid("student_hard"));
    // Raising the class-3 bias can only turn predictions into 3s, so more test 3s are right afterwards.
    assert!(m.omit3_fixed_threes_correct >= m.omit3_threes_correct);
    assert!(m.omit3_bias >= 0.0 && m.omit3_val_errors[1] <= m.omit3_val_errors[0]);
    // Every grid run is recorded, the chosen ones are among them, and trees respect their limits.
    assert_eq!(json["small_grid"].as_array().unwrap().len(), r.small.iter().map(|g| g.runs.len()).sum::<usize>());
    // Each small student's chosen pair at the preset's student seeds, the grid's own runs first.
    assert_eq!(m.small_seed_spread.len(), r.small.len());
    for (s, g) in m.small_seed_spread.iter().zip(&r.small) {
        assert_eq!(s.seeds.len(), cfg.small_grid.seeds);
        assert_eq!((s.hard_test_errors.len(), s.soft_test_errors.len()), (s.seeds.len(), s.seeds.len()));
        assert_eq!((s.hard_test_errors[0], s.soft_test_errors[0]), (g.hard_errors(), g.soft_errors()));
    }
    assert_eq!(json["small_seed_spread"].as_array().unwrap().len(), r.small.len());
    // The 2×800 students' (α, T): every candidate trained, the one with the fewest validation errors chosen.
    let big = &r.big;
    assert_eq!(big.runs.len(), cfg.big_grid.candidates().len());
    let c = big.chosen.expect("the preset has several candidates");
    assert!(big.runs.iter().all(|x| x.val_errors >= big.runs[c].val_errors));
    assert_eq!((big.runs[c].alpha, big.runs[c].temperature), (m.alpha, Some(m.temperature)));
    assert_eq!(json["big_grid"]["runs"].as_array().unwrap().len(), big.runs.len());
    assert_eq!(m.transfer_rows, cfg.budget.transfer_views * (m.n_train - m.n_val));
    assert_eq!(m.tree_transfer_rows, cfg.budget.tree_views() * (m.n_train - m.n_val));
    assert_eq!(m.tree_curve.len(), cfg.budget.tree_leaves.len());
    for t in &r.trees {
        assert!(t.grown.iter().all(|&l| l <= t.leaves), "{t:?}");
    }
    for x in &r.models {
        assert!(x.errors <= 10_000 && (0.0..=1.0).contains(&x.fidelity), "{x:?}");
    }

    // Reports: README with the published numbers, PNGs that decode, no temp files.
    let readme = std::fs::read_to_string(out.path().join("README.md")).unwrap();
    assert!(readme.starts_with("# MNIST distillation") && json["mnist"] == true && json["published"]["teacher_errors"] == 67, "{readme}");
    for needle in ["| published", "67", "146", "74", "206", "109", "94.45", "96.76", "Quick mode", "Does the teacher help?", "| ratio of means |"] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
    // The preset's own command, and no "changed from the preset" note: only folders differ from it.
    assert!(readme.contains("Generated by `scripts/cargo run --release --example mnist -- --quick`"), "{readme}");
    assert!(!readme.contains("Changed from the"), "{readme}");
    for png in [
        "test_errors.png",
        "confusion_teacher.png",
        "confusion_student_hard.png",
        "confusion_student_soft.png",
        "small_students.png",
        "soft_tree.png",
        "tree_size_curve.png",
        "student_soft_mistakes.png",
    ] {
        let (w, h) = png_size(&out.path().join(png));
        assert!(w >= 300 && h >= 200, "{png}: {w}×{h}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
