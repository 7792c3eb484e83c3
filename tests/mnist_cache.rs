//! The MNIST experiment's teacher cache and its bad-input messages, on a tiny budget (seconds).
use kdistill::data::idx::{encode_images, encode_labels};
use kdistill::experiments::mnist::{self, Budget, MnistConfig, Mode, TeacherKind};
use std::path::{Path, PathBuf};

/// A synthetic MNIST-layout folder: `n` training and `m` test 28×28 images whose class is drawn as a
/// bar position, so every model can learn something.
fn synthetic(dir: &Path, n: usize, m: usize) {
    let draw = |count: usize, offset: usize| {
        let mut px = Vec::with_capacity(count * 784);
        let mut labels = Vec::with_capacity(count);
        for i in 0..count {
            let c = (i + offset) % 10;
            let jitter = (i / 10) % 3;
            for r in 0..28 {
                for col in 0..28 {
                    let on = col == 2 + 2 * c + jitter || (r == 3 + c && col > 4);
                    px.push(if on { 255u8 } else { ((i * 31 + r * 7 + col) % 23) as u8 });
                }
            }
            labels.push(c as u8);
        }
        (px, labels)
    };
    let (tx, ty) = draw(n, 0);
    let (sx, sy) = draw(m, 3);
    std::fs::write(dir.join("train-images-idx3-ubyte"), encode_images(n, 28, 28, &tx)).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), encode_labels(&ty)).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), encode_images(m, 28, 28, &sx)).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), encode_labels(&sy)).unwrap();
}

fn tiny_config(data: &Path, cache: &Path, out: &Path) -> MnistConfig {
    let mut cfg = MnistConfig::new(Mode::Quick);
    cfg.budget = Budget {
        n_train: None,
        teacher_n_train: None,
        n_test: None,
        n_val: 60,
        teacher_epochs: 1,
        cnn_epochs: 1,
        student_epochs: 1,
        small_epochs: 1,
        batch_size: 64,
        small_batch_size: 64,
        tree_leaves: vec![8, 16],
        transfer_views: 2,
        tree_transfer_views: Some(3),
        soft_tree_epochs: 1,
        cnn_channels: (4, 8),
        cnn_hidden: 16,
        max_shift: 1,
    };
    cfg.headline_leaves = 16;
    cfg.small_grid = kdistill::experiments::mnist::SmallGrid { alphas: vec![0.0], temperatures: vec![1.0, 3.0], epoch_factors: vec![1], ..cfg.small_grid };
    cfg.soft_tree = kdistill::experiments::mnist::SoftTreeGrid { depth: 3, temperatures: vec![2.0], epoch_factors: vec![1], ..cfg.soft_tree };
    cfg.data_dir = data.to_path_buf();
    cfg.fetch = false;
    cfg.cache_dir = cache.to_path_buf();
    cfg.out_dir = out.to_path_buf();
    cfg.verbose = false;
    cfg.device = kdistill::neural::DeviceChoice::Cpu;
    cfg
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn teachers_are_cached_reused_and_a_bad_cache_is_reported() {
    let data = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    synthetic(data.path(), 400, 200);
    let mut cfg = tiny_config(data.path(), cache.path(), out.path());
    cfg.teacher = TeacherKind::Ensemble;

    let first = mnist::run(&cfg).unwrap();
    assert_eq!(first.cache_hits, vec![false, false]);
    assert_eq!(first.teacher_members.len(), 2, "ensemble members are reported");
    let files = files_under(cache.path());
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for want in ["model.safetensors", "model.json", "cnn.safetensors", "cnn.json"] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("logits-")).count(), 2, "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");

    // Second run: both teachers come from the cache, with identical teacher predictions.
    let second = mnist::run(&cfg).unwrap();
    assert_eq!(second.cache_hits, vec![true, true]);
    assert_eq!(second.metrics.teacher_errors, first.metrics.teacher_errors);
    assert_eq!(second.confusions[0].1, first.confusions[0].1);

    // A corrupt logits file: one clear error naming the file and the flag that rebuilds it.
    let logits = files.iter().find(|p| p.file_name().unwrap().to_string_lossy().starts_with("logits-")).unwrap();
    std::fs::write(logits, b"not a safetensors file").unwrap();
    let e = mnist::run(&cfg).unwrap_err().to_string();
    assert!(e.contains(&logits.display().to_string()) && e.contains("--no-cache"), "{e}");

    // use_cache = false retrains and overwrites the bad file.
    cfg.use_cache = false;
    let third = mnist::run(&cfg).unwrap();
    assert_eq!(third.cache_hits, vec![false, false]);
    cfg.use_cache = true;
    assert_eq!(mnist::run(&cfg).unwrap().cache_hits, vec![true, true]);

    // Reports from a tiny run have the same keys as any other.
    mnist::write_reports(&third, out.path()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path().join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["tree_leaves"], 16);
    assert!(json["omit3_fixed_threes_correct"].as_f64().is_some());
    // Data that are not MNIST: named by their folder, and MNIST's published figures are left out.
    let name = data.path().file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!((json["data"].as_str(), json["mnist"].as_bool()), (Some(name.as_str()), Some(false)));
    assert!(json["published"].is_null());
    let readme = std::fs::read_to_string(out.path().join("README.md")).unwrap();
    assert!(readme.starts_with(&format!("# {name} distillation")), "{}", &readme[..80]);
    assert!(readme.contains("not MNIST") && !readme.contains("published test errors") && !readme.contains("| published"), "{readme}");
    assert!(third.models.iter().all(|m| m.published.is_none()));
}

#[test]
fn the_jittered_students_view_bank_is_cached_reused_and_a_bad_one_is_reported() {
    let data = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    synthetic(data.path(), 400, 200);
    let mut cfg = tiny_config(data.path(), cache.path(), out.path());
    cfg.teacher = TeacherKind::Cnn;
    cfg.student_jitter = true;

    let first = mnist::run(&cfg).unwrap();
    assert!(first.metrics.student_soft_jitter_errors.is_some() && first.metrics.student_hard_jitter_errors.is_some());
    let banks: Vec<PathBuf> = files_under(cache.path()).into_iter().filter(|p| p.file_name().unwrap() == "views-translations-1.safetensors").collect();
    assert_eq!(banks.len(), 1, "one bank beside the CNN teacher: {:?}", files_under(cache.path()));

    // Second run: the bank comes from the cache and every jittered student comes out the same.
    let written = std::fs::metadata(&banks[0]).unwrap().modified().unwrap();
    let second = mnist::run(&cfg).unwrap();
    assert_eq!(std::fs::metadata(&banks[0]).unwrap().modified().unwrap(), written, "the bank was rewritten");
    assert_eq!(second.metrics.student_soft_errors, first.metrics.student_soft_errors);
    assert_eq!(second.metrics.omit3_errors, first.metrics.omit3_errors);
    assert_eq!(second.metrics.omit3_fixed_errors, first.metrics.omit3_fixed_errors);

    // A corrupt bank: one clear error naming the file and the flag that rebuilds it.
    std::fs::write(&banks[0], b"not a safetensors file").unwrap();
    let e = mnist::run(&cfg).unwrap_err().to_string();
    assert!(e.contains(&banks[0].display().to_string()) && e.contains("--no-cache"), "{e}");
    cfg.use_cache = false;
    let third = mnist::run(&cfg).unwrap();
    assert_eq!(third.metrics.student_soft_errors, first.metrics.student_soft_errors);
}

#[test]
fn missing_and_corrupt_data_give_one_clear_message() {
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let missing = out.path().join("no-such-folder");
    let cfg = tiny_config(&missing, cache.path(), out.path());
    let e = mnist::run(&cfg).unwrap_err().to_string();
    assert!(e.contains("folder does not exist") && e.contains("bash data/fetch_mnist.sh"), "{e}");

    let data = tempfile::tempdir().unwrap();
    synthetic(data.path(), 200, 50);
    let cfg = tiny_config(data.path(), cache.path(), out.path());
    // Truncated image file.
    let p = data.path().join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 100]).unwrap();
    let e = mnist::run(&cfg).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte") && e.contains("truncated") && e.contains("100 missing"), "{e}");
    std::fs::write(&p, &bytes).unwrap();
    // Labels that do not match the images.
    std::fs::write(data.path().join("t10k-labels-idx1-ubyte"), encode_labels(&[1, 2, 3])).unwrap();
    let e = mnist::run(&cfg).unwrap_err().to_string();
    assert!(e.contains("has 3 labels but") && e.contains("has 50 images"), "{e}");
    // Nothing was written to the cache or the report folder by the failed runs.
    assert!(files_under(cache.path()).is_empty());
    assert!(files_under(out.path()).is_empty());
}
