//! Tree benchmark (issue 5): our multi-output tree vs scikit-learn's `DecisionTreeRegressor` on MNIST
//! (60 000 × 784) with 10 soft outputs (a teacher's probabilities), in one run, on the same data and
//! limits. Run it through `bash scripts/bench.sh` (installs scikit-learn into the project cache).
//!
//! Per setting (depth 8, depth 12, unlimited with `min_samples_leaf` 1) it prints both fit times, the
//! ratio, both test accuracies (argmax of the predicted probabilities vs the test labels) and our predict
//! time per row, and writes `reports/bench/tree_vs_sklearn.json`.
//!
//! The teacher is the crate's MLP (`teacher::mlp::teacher_params`, trained for `--teacher-epochs`);
//! its training-set probabilities are cached in the project cache (`$KD_CACHE/bench/`). The data go to
//! Python as little-endian `.npy` files in a temporary folder.
use clap::Parser;
use kdistill::data::idx::{find_file, load_mnist, pixel_value, read_images, TEST_IMAGES};
use kdistill::error::{KdError, Result};
use kdistill::neural::{DeviceChoice, TrainData};
use kdistill::student::tree::{BinnedMatrix, TreeParams};
use kdistill::teacher::{mlp::teacher_params, Teacher};
use ndarray::{Array2, ArrayView2};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Fit our tree and scikit-learn's on MNIST soft targets; write reports/bench/tree_vs_sklearn.json")]
struct Args {
    /// Folder with the MNIST IDX files.
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Output JSON.
    #[arg(long, default_value = "reports/bench/tree_vs_sklearn.json")]
    out: PathBuf,
    /// Settings to run (comma-separated subset of depth8,depth12,unlimited).
    #[arg(long, default_value = "depth8,depth12,unlimited")]
    settings: String,
    /// Use only the first N training rows (quick runs).
    #[arg(long)]
    n_train: Option<usize>,
    /// Teacher epochs (its probabilities are cached per epochs/seed/temperature/n_train).
    #[arg(long, default_value_t = 5)]
    teacher_epochs: usize,
    /// Softmax temperature of the soft targets.
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// Repeats of each fit, ours and scikit-learn's alike (each side's minimum is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Skip scikit-learn (our side only).
    #[arg(long)]
    no_sklearn: bool,
    /// Python interpreter (default: $KD_PYTHON or python3); $KD_SKLEARN_PYTHONPATH is put on its PYTHONPATH.
    #[arg(long)]
    python: Option<String>,
    /// A free-text note stored with the machine description (e.g. "shared with other jobs").
    #[arg(long, default_value = "")]
    note: String,
}

#[path = "common/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::peak_during;

struct Setting {
    name: &'static str,
    max_depth: Option<usize>,
    min_samples_leaf: usize,
}

const SETTINGS: [Setting; 3] = [
    Setting { name: "depth8", max_depth: Some(8), min_samples_leaf: 1 },
    Setting { name: "depth12", max_depth: Some(12), min_samples_leaf: 1 },
    Setting { name: "unlimited", max_depth: None, min_samples_leaf: 1 },
];

#[derive(Serialize)]
struct Row {
    name: String,
    /// Fastest of `--repeats` fits (each side).
    fit_ours_s: f64,
    fit_sklearn_s: Option<f64>,
    /// Every repeat's fit time, to show the spread.
    fit_ours_all_s: Vec<f64>,
    fit_sklearn_all_s: Option<Vec<f64>>,
    speedup: Option<f64>,
    acc_ours: f64,
    acc_sklearn: Option<f64>,
    predict_us_per_row: f64,
    /// Best wall time per predicted row on one thread (a 1-thread pool).
    predict_us_per_row_per_core: f64,
    /// The same for the tree compiled for bytes (`Tree::for_bytes(pixel_value)`), predicting from the
    /// test set's raw pixels (its predictions are checked equal to the f32 ones).
    predict_bytes_us_per_row: f64,
    predict_bytes_us_per_row_per_core: f64,
    /// CPU time (all threads) of our fit.
    fit_ours_cpu_s: f64,
    /// Peak heap bytes allocated by our fit (binning included; the tree it returns too), in MB.
    fit_peak_mb: f64,
    /// `fit_peak_mb / (binned codes + f32 targets)`; issue 5 asks for ≤ 2.
    fit_peak_ratio: f64,
    predict_sklearn_us_per_row: Option<f64>,
    leaves_ours: usize,
    depth_ours: usize,
    /// Mean depth of the leaf each test row reaches (tests per predicted row).
    mean_path_ours: f64,
    leaves_sklearn: Option<usize>,
    depth_sklearn: Option<usize>,
}

#[derive(Serialize)]
struct Machine {
    cpu: String,
    logical_cpus: usize,
    rayon_threads: usize,
    memory_gb: f64,
    os: String,
    sklearn_version: Option<String>,
    numpy_version: Option<String>,
    python: Option<String>,
    note: String,
}

#[derive(Serialize)]
struct Report {
    settings: Vec<Row>,
    machine: Machine,
    data: serde_json::Value,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("bench_tree: {e}");
        std::process::exit(1);
    }
}

fn run(a: Args) -> Result<()> {
    let chosen: Vec<&Setting> = a.settings.split(',').map(|n| {
        SETTINGS.iter().find(|s| s.name == n.trim()).ok_or_else(|| KdError::param("settings", n, "expected depth8, depth12 or unlimited"))
    }).collect::<Result<_>>()?;
    let mnist = load_mnist(&a.data)?;
    let mut train = mnist.train;
    if let Some(n) = a.n_train {
        train = train.select(&(0..n.min(train.len())).collect::<Vec<_>>());
    }
    let test = mnist.test;
    // The test images as the IDX file stores them (u8 pixels), for the byte tree.
    let test_pixels = read_images(find_file(&a.data, TEST_IMAGES)?)?.pixel_matrix();
    let (n, d) = train.x.dim();
    eprintln!("data: {n} train × {d}, {} test rows", test.len());

    let (soft, teacher_acc) = teacher_targets(&a, &train, &test)?;

    // Hand the data to Python.
    let tmp = tempfile::tempdir().map_err(|e| KdError::io(std::env::temp_dir(), e))?;
    if !a.no_sklearn {
        write_npy_f32(&tmp.path().join("x_train.npy"), train.x.view())?;
        write_npy_f32(&tmp.path().join("y_train.npy"), soft.view())?;
        write_npy_f32(&tmp.path().join("x_test.npy"), test.x.view())?;
        write_npy_i64(&tmp.path().join("labels_test.npy"), &test.y.iter().map(|&v| v as i64).collect::<Vec<_>>())?;
    }

    let threads = rayon::current_num_threads();
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let binned = BinnedMatrix::new(train.x.view(), 256)?;
    let bin_s = t0.elapsed().as_secs_f64();
    eprintln!("binning alone: {bin_s:.3} s (CPU {:.2} s; {} MB of codes)", cpu_seconds() - c0, binned.nbytes() / 1_000_000);
    drop(binned);

    let mut rows = Vec::new();
    for s in &chosen {
        let p = TreeParams::default().max_depth(s.max_depth).min_samples_leaf(s.min_samples_leaf);
        let mut best = f64::INFINITY;
        let mut tree = None;
        let mut cpu = 0.0;
        let mut fit_peak = 0usize;
        let mut all = Vec::new();
        for _ in 0..a.repeats.max(1) {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let (t, peak) = peak_during(|| p.fit(train.x.view(), soft.view(), None));
            let t = t?;
            let el = t0.elapsed().as_secs_f64();
            all.push(el);
            fit_peak = fit_peak.max(peak);
            if el < best {
                best = el;
                cpu = cpu_seconds() - c0;
            }
            tree = Some(t);
        }
        let tree = tree.expect("at least one repeat");
        // Predict the test set repeatedly: best wall time with all threads, and best wall time on one
        // thread (a 1-thread pool), which is the per-core cost without rayon's idle spinning in it.
        let reps = 50;
        let time = |f: &dyn Fn() -> Result<Array2<f32>>| -> Result<(f64, Array2<f32>)> {
            let mut best = f64::INFINITY;
            let mut pred = None;
            for _ in 0..reps {
                let t0 = Instant::now();
                let pr = f()?;
                best = best.min(t0.elapsed().as_secs_f64());
                pred = Some(pr);
            }
            Ok((best, pred.expect("at least one repeat")))
        };
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(|e| KdError::Model { path: "rayon".into(), msg: e.to_string() })?;
        let f32_predict = || tree.predict_proba(test.x.view());
        let (pbest, pred) = time(&f32_predict)?;
        let (p1, _) = one.install(|| time(&f32_predict))?;
        let p_cpu_us = p1 * 1e6 / test.len() as f64;
        let bytes = tree.for_bytes(pixel_value)?;
        let byte_predict = || bytes.predict_proba(test_pixels.view());
        let (bbest, bpred) = time(&byte_predict)?;
        let (b1, _) = one.install(|| time(&byte_predict))?;
        if bpred != pred {
            return Err(KdError::Model { path: "bench".into(), msg: "the byte tree's predictions differ from the tree's".into() });
        }
        let b_us = bbest * 1e6 / test.len() as f64;
        let b_cpu_us = b1 * 1e6 / test.len() as f64;
        let leaves = tree.apply(test.x.view())?;
        let mean_path = leaves.iter().map(|&l| tree.stats()[l].depth as f64).sum::<f64>() / test.len().max(1) as f64;
        let acc = accuracy(pred.view(), &test.y);
        let us = pbest * 1e6 / test.len() as f64;
        eprintln!(
            "ours {}: peak memory of the fit {:.1} MB = {:.2} × (binned codes + targets)",
            s.name,
            fit_peak as f64 / 1e6,
            fit_peak as f64 / (n * d + n * soft.ncols() * 4) as f64
        );
        eprintln!(
            "ours {}: fit {best:.3} s (CPU {cpu:.2} s), acc {acc:.4}, leaves {}, depth {} (mean test path {mean_path:.1}), predict {us:.3} µs/row ({p_cpu_us:.3} µs/row on 1 thread); from bytes {b_us:.3} µs/row ({b_cpu_us:.3} on 1 thread)",
            s.name,
            tree.n_leaves(),
            tree.depth(),
        );
        rows.push(Row {
            name: s.name.to_string(),
            fit_ours_s: best,
            fit_sklearn_s: None,
            fit_ours_all_s: all,
            fit_sklearn_all_s: None,
            speedup: None,
            acc_ours: acc,
            acc_sklearn: None,
            predict_us_per_row: us,
            predict_us_per_row_per_core: p_cpu_us,
            predict_bytes_us_per_row: b_us,
            predict_bytes_us_per_row_per_core: b_cpu_us,
            fit_ours_cpu_s: cpu,
            fit_peak_mb: fit_peak as f64 / 1e6,
            fit_peak_ratio: fit_peak as f64 / (n * d + n * soft.ncols() * 4) as f64,
            predict_sklearn_us_per_row: None,
            leaves_ours: tree.n_leaves(),
            depth_ours: tree.depth(),
            mean_path_ours: mean_path,
            leaves_sklearn: None,
            depth_sklearn: None,
        });
    }

    let mut sk_meta = (None, None, None);
    if !a.no_sklearn {
        let settings: Vec<serde_json::Value> = chosen
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "max_depth": s.max_depth, "min_samples_leaf": s.min_samples_leaf}))
            .collect();
        let out = tmp.path().join("sklearn.json");
        let python = a.python.clone().or_else(|| std::env::var("KD_PYTHON").ok()).unwrap_or_else(|| "python3".into());
        let mut cmd = std::process::Command::new(&python);
        cmd.arg("scripts/bench_tree.py")
            .arg("--dir")
            .arg(tmp.path())
            .arg("--settings")
            .arg(serde_json::to_string(&settings)?)
            .arg("--out")
            .arg(&out)
            .arg("--fit-repeats")
            .arg(a.repeats.max(1).to_string());
        if let Ok(pp) = std::env::var("KD_SKLEARN_PYTHONPATH") {
            let old = std::env::var("PYTHONPATH").unwrap_or_default();
            cmd.env("PYTHONPATH", if old.is_empty() { pp } else { format!("{pp}:{old}") });
        }
        cmd.env("OMP_NUM_THREADS", "1");
        let status = cmd.status().map_err(|e| KdError::io(&python, e))?;
        if !status.success() {
            return Err(KdError::Model { path: "scripts/bench_tree.py".into(), msg: format!("scikit-learn side failed ({status}); run through scripts/bench.sh, or pass --no-sklearn") });
        }
        let text = std::fs::read_to_string(&out).map_err(|e| KdError::io(&out, e))?;
        let v: serde_json::Value = serde_json::from_str(&text)?;
        for r in v["results"].as_array().into_iter().flatten() {
            if let Some(row) = rows.iter_mut().find(|x| r["name"] == x.name.as_str()) {
                let fit = r["fit_s"].as_f64();
                row.fit_sklearn_s = fit;
                row.fit_sklearn_all_s = r["fit_all_s"].as_array().map(|v| v.iter().filter_map(|x| x.as_f64()).collect());
                row.speedup = fit.map(|f| f / row.fit_ours_s);
                row.acc_sklearn = r["acc"].as_f64();
                row.predict_sklearn_us_per_row = r["predict_s"].as_f64().map(|p| p * 1e6 / test.len() as f64);
                row.leaves_sklearn = r["n_leaves"].as_u64().map(|v| v as usize);
                row.depth_sklearn = r["depth"].as_u64().map(|v| v as usize);
            }
        }
        let st = |k: &str| v[k].as_str().map(String::from);
        sk_meta = (st("sklearn_version"), st("numpy_version"), st("python"));
    }

    println!("\nMNIST {n}×{d}, 10 soft outputs (teacher test acc {:.4}); {threads} rayon threads; scikit-learn single-threaded", teacher_acc);
    println!("{:<10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>10} {:>14} {:>16}", "setting", "ours s", "sklearn s", "speedup", "acc ours", "acc sk", "Δacc pt", "µs/row", "1-thr µs/row", "1-thr u8 µs/row");
    for r in &rows {
        let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |v| format!("{v:.p$}"));
        println!(
            "{:<10} {:>9.3} {:>9} {:>8} {:>8.4} {:>8} {:>8} {:>10.3} {:>14.3} {:>16.3}",
            r.name,
            r.fit_ours_s,
            f(r.fit_sklearn_s, 2),
            f(r.speedup, 1),
            r.acc_ours,
            f(r.acc_sklearn, 4),
            f(r.acc_sklearn.map(|s| 100.0 * (r.acc_ours - s)), 2),
            r.predict_us_per_row,
            r.predict_us_per_row_per_core,
            r.predict_bytes_us_per_row_per_core
        );
    }
    for r in &rows {
        let list = |v: &[f64]| v.iter().map(|t| format!("{t:.2}")).collect::<Vec<_>>().join(", ");
        println!("{:<10} every fit (s): ours {}; sklearn {}", r.name, list(&r.fit_ours_all_s), r.fit_sklearn_all_s.as_deref().map_or("-".into(), list));
    }
    let report = Report {
        settings: rows,
        machine: Machine {
            cpu: cpu_model(),
            logical_cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            rayon_threads: threads,
            memory_gb: mem_gb(),
            os: os_name(),
            sklearn_version: sk_meta.0,
            numpy_version: sk_meta.1,
            python: sk_meta.2,
            note: a.note.clone(),
        },
        data: serde_json::json!({
            "dataset": "MNIST", "n_train": n, "n_test": test.len(), "n_features": d, "n_outputs": soft.ncols(),
            "targets": format!("teacher MLP 784-128-128-10 probabilities (T = {}), {} epochs", a.temperature, a.teacher_epochs),
            "teacher_test_acc": teacher_acc, "binning_s": bin_s,
        }),
    };
    kdistill::io::write_json(&a.out, &report)?;
    println!("wrote {}", a.out.display());
    Ok(())
}

fn accuracy(p: ArrayView2<f32>, y: &ndarray::Array1<usize>) -> f64 {
    let pred = kdistill::base::argmax_rows(p);
    pred.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
}

fn cache_dir() -> PathBuf {
    if let Ok(c) = std::env::var("KD_CACHE") {
        return PathBuf::from(c);
    }
    let base = std::env::var("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| ".".into())).join(".cache")
    });
    base.join("kdistill")
}

/// Teacher probabilities on the training rows (cached) and the teacher's test accuracy.
fn teacher_targets(a: &Args, train: &kdistill::data::Dataset, test: &kdistill::data::Dataset) -> Result<(Array2<f32>, f64)> {
    let n = train.len();
    let dir = cache_dir().join("bench").join(format!("mnist-teacher-e{}-T{}-n{n}-v1", a.teacher_epochs, a.temperature));
    let probs = dir.join("train_probs.npy");
    let meta = dir.join("teacher.json");
    if let (Ok(p), Ok(m)) = (read_npy_f32(&probs), std::fs::read_to_string(&meta)) {
        let acc = serde_json::from_str::<serde_json::Value>(&m)?["test_acc"].as_f64().unwrap_or(f64::NAN);
        if p.dim() == (n, 10) {
            eprintln!("teacher: cached probabilities from {}", dir.display());
            return Ok((p, acc));
        }
    }
    eprintln!("teacher: training the MLP for {} epochs (cached afterwards in {})", a.teacher_epochs, dir.display());
    let t0 = Instant::now();
    let teacher = teacher_params().epochs(a.teacher_epochs).seed(0).device(DeviceChoice::Auto).fit(TrainData::new(train.x.view()).labels(train.y.view()), 10)?;
    let q = teacher.soft_targets(train.x.view(), a.temperature)?;
    let acc = accuracy(teacher.predict_proba(test.x.view())?.view(), &test.y);
    eprintln!("teacher: {:.1} s, test accuracy {acc:.4}", t0.elapsed().as_secs_f64());
    write_npy_f32(&probs, q.view())?;
    kdistill::io::write_json(&meta, &serde_json::json!({"test_acc": acc, "epochs": a.teacher_epochs, "temperature": a.temperature}))?;
    Ok((q, acc))
}

fn npy_header(descr: &str, shape: &str) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out
}

fn write_npy_f32(path: &Path, a: ArrayView2<f32>) -> Result<()> {
    let mut bytes = npy_header("<f4", &format!("({}, {})", a.nrows(), a.ncols()));
    bytes.reserve(a.len() * 4);
    for v in a.iter() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    kdistill::io::atomic_write(path, &bytes)
}

fn write_npy_i64(path: &Path, v: &[i64]) -> Result<()> {
    let mut bytes = npy_header("<i8", &format!("({},)", v.len()));
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    kdistill::io::atomic_write(path, &bytes)
}

/// Read back a 2-D `<f4` C-order .npy written by [`write_npy_f32`].
fn read_npy_f32(path: &Path) -> Result<Array2<f32>> {
    let bytes = std::fs::read(path).map_err(|e| KdError::io(path, e))?;
    let bad = |m: &str| KdError::Model { path: path.to_path_buf(), msg: m.to_string() };
    if bytes.len() < 10 || &bytes[..8] != b"\x93NUMPY\x01\x00" {
        return Err(bad("not a version-1 .npy file"));
    }
    let hl = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(bytes.get(10..10 + hl).ok_or_else(|| bad("truncated header"))?).map_err(|_| bad("header not UTF-8"))?;
    if !header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False") {
        return Err(bad("expected little-endian f32 in C order"));
    }
    let shape = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).ok_or_else(|| bad("no shape"))?;
    let dims: Vec<usize> = shape.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().map_err(|_| bad("bad shape"))).collect::<Result<_>>()?;
    if dims.len() != 2 {
        return Err(bad("expected a 2-D array"));
    }
    let data = &bytes[10 + hl..];
    if data.len() != dims[0] * dims[1] * 4 {
        return Err(bad("data length does not match the shape"));
    }
    let v: Vec<f32> = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Array2::from_shape_vec((dims[0], dims[1]), v).map_err(|e| bad(&e.to_string()))
}

/// User + system CPU seconds of this process so far (all threads; 10 ms resolution), 0 if unknown.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn mem_gb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("MemTotal")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| (kb / 1e6 * 10.0).round() / 10.0)
}

fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("PRETTY_NAME=")).map(|l| l[12..].trim_matches('"').to_string()))
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}
