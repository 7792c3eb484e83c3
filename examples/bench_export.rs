//! Export benchmark: a 65 536-leaf tree on MNIST pixels exported to ONNX, C, Python and SQL; file sizes,
//! prediction time per row and agreement with the Rust tree, written to `reports/bench/export_65536.json`.
//!
//! `bash scripts/bench_export.sh` (installs onnxruntime into the cache, then runs this example).
//!
//! The tree: MNIST's 60 000 training images and their four 1-pixel translations (300 000 rows), with
//! targets the softmax of a fixed random linear function of the pixels, so that it keeps splitting up
//! to 65 536 leaves. Predictions on the 10 000 test images: Rust (`Tree::predict_proba`, all cores),
//! the C header compiled with `cc -O2` (one core), onnxruntime (its default threads), and 200 rows
//! through the Python module and through SQLite (both interpreted, far slower; SQLite's time per row
//! leaves out preparing the query, reported on its own as `sqlite_prepare_s`).
use kdistill::data::idx::{load_mnist, pixel_value};
use kdistill::student::tree::{export, BinnedMatrix, TreeParams};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use std::process::Command;
use std::time::Instant;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let leaves = 65_536;
    let m = load_mnist("data/mnist")?;
    let (h, w) = (m.rows, m.cols);
    let d = h * w;
    // Pixels as bytes; the image itself and its four 1-pixel translations.
    let px: Array2<u8> = m.train.x.mapv(|v| (v * 255.0).round() as u8);
    let n0 = px.nrows();
    let mut rows = Array2::<u8>::zeros((5 * n0, d));
    for (v, (dy, dx)) in [(0i64, 0i64), (1, 0), (-1, 0), (0, 1), (0, -1)].into_iter().enumerate() {
        for i in 0..n0 {
            let src = px.row(i);
            let mut dst = rows.row_mut(v * n0 + i);
            for y in 0..h as i64 {
                for x in 0..w as i64 {
                    let (sy, sx) = (y - dy, x - dx);
                    if (0..h as i64).contains(&sy) && (0..w as i64).contains(&sx) {
                        dst[(y * w as i64 + x) as usize] = src[(sy * w as i64 + sx) as usize];
                    }
                }
            }
        }
    }
    // Targets: softmax(W·x) with W ~ N(0, 1/√d), seeded.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let normal = Normal::new(0.0f32, 3.0 / (d as f32).sqrt())?;
    let wts = Array2::from_shape_fn((d, 10), |_| normal.sample(&mut rng));
    let xf = rows.mapv(pixel_value);
    let z = xf.dot(&wts);
    drop(xf);
    let y = kdistill::soft::softmax_t(z.view(), 1.0)?;
    let binned = BinnedMatrix::from_bytes(rows.view(), 256, pixel_value)?;
    drop(rows);
    let t0 = Instant::now();
    let tree = TreeParams::new().max_leaves(Some(leaves)).fit_binned(&binned, y.view(), None)?;
    let fit_s = t0.elapsed().as_secs_f64();
    drop(binned);
    println!("tree: {} leaves, depth {}, fitted in {fit_s:.1} s on {} rows", tree.n_leaves(), tree.depth(), y.nrows());

    let test = m.test.x.clone();
    let n = test.nrows();
    let best = |f: &mut dyn FnMut()| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let want = tree.predict_proba(test.view())?;
    let rust_us = best(&mut || {
        std::hint::black_box(tree.predict_proba(test.view()).unwrap());
    }) * 1e6
        / n as f64;

    let dir = tempfile::tempdir()?;
    let features: Vec<String> = (0..d).map(|j| format!("px{j}")).collect();
    let classes: Vec<String> = (0..10).map(|k| k.to_string()).collect();
    let onnx = export::to_onnx(&tree, &features, &classes)?;
    let c = export::to_c(&tree, "mnist", &features, &classes)?;
    let py = export::to_python(&tree, &features, &classes)?;
    let sql = export::to_sql(&tree, "rows", &features, &classes)?;
    let json = tree.to_json()?;
    for (name, bytes) in [("tree.onnx", onnx.as_slice()), ("tree.h", c.as_bytes()), ("mnist_tree.py", py.as_bytes()), ("tree.sql", sql.as_bytes())] {
        std::fs::write(dir.path().join(name), bytes)?;
    }
    // Test rows and the Rust probabilities as raw little-endian f32.
    let raw = |a: &Array2<f32>| a.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
    std::fs::write(dir.path().join("x.f32"), raw(&test))?;
    std::fs::write(dir.path().join("want.f32"), raw(&want))?;

    // C: compile, time, compare.
    let main_c = format!(
        "#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n#include \"tree.h\"\nint main(void) {{\n  static float x[{n}][{d}], out[{n}][10], want[{n}][10];\n  FILE *f = fopen(\"x.f32\", \"rb\"); if (fread(x, sizeof x, 1, f) != 1) return 3; fclose(f);\n  f = fopen(\"want.f32\", \"rb\"); if (fread(want, sizeof want, 1, f) != 1) return 3; fclose(f);\n  double best = 1e30;\n  for (int rep = 0; rep < 3; rep++) {{\n    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);\n    for (int i = 0; i < {n}; i++) if (mnist_predict_proba(x[i], out[i]) != 0) return 2;\n    clock_gettime(CLOCK_MONOTONIC, &b);\n    double s = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec); if (s < best) best = s;\n  }}\n  double diff = 0;\n  for (int i = 0; i < {n}; i++) for (int k = 0; k < 10; k++) {{ double e = out[i][k] - want[i][k]; if (e < 0) e = -e; if (e > diff) diff = e; }}\n  printf(\"%.6f %.3g\\n\", 1e6 * best / {n}, diff);\n  return 0;\n}}\n"
    );
    std::fs::write(dir.path().join("main.c"), main_c)?;
    let t = Instant::now();
    let cc = Command::new("cc").current_dir(dir.path()).args(["-O2", "-o", "bench", "main.c", "-lm"]).output()?;
    let cc_s = t.elapsed().as_secs_f64();
    if !cc.status.success() {
        return Err(format!("cc: {}", String::from_utf8_lossy(&cc.stderr)).into());
    }
    let out = Command::new(dir.path().join("bench")).current_dir(dir.path()).output()?;
    let text = String::from_utf8(out.stdout)?;
    let mut it = text.split_whitespace();
    let (c_us, c_diff): (f64, f64) = (it.next().ok_or("C output")?.parse()?, it.next().ok_or("C output")?.parse()?);

    // Python, SQLite and onnxruntime: one Python process.
    let script = format!(
        r#"
import json, sqlite3, sys, time
sys.path.insert(0, {dir:?})
import numpy as np
n, d = {n}, {d}
x = np.fromfile({dir:?} + "/x.f32", dtype="<f4").reshape(n, d)
want = np.fromfile({dir:?} + "/want.f32", dtype="<f4").reshape(n, 10)
r = {{}}
import onnxruntime as ort
s = ort.InferenceSession({dir:?} + "/tree.onnx", providers=["CPUExecutionProvider"])
best = 1e30
for _ in range(3):
    t = time.perf_counter(); label, p = s.run(None, {{"X": x}}); best = min(best, time.perf_counter() - t)
r["onnxruntime_us_per_row"] = 1e6 * best / n
r["onnxruntime_max_diff"] = float(np.abs(p - want).max())
m = 200
import mnist_tree
rows = x[:m].astype(float).tolist()
t = time.perf_counter(); q = np.array(mnist_tree.predict_proba(rows)); r["python_us_per_row"] = 1e6 * (time.perf_counter() - t) / m
r["python_max_diff"] = float(np.abs(q - want[:m]).max())
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE rows (id INTEGER, " + ", ".join(f"px{{j}} REAL" for j in range(d)) + ")")
db.executemany("INSERT INTO rows VALUES (" + ", ".join(["?"] * (d + 1)) + ")", [[i] + row for i, row in enumerate(rows)])
query = open({dir:?} + "/tree.sql").read().rstrip().rstrip(";")
db.execute("CREATE TABLE empty AS SELECT * FROM rows WHERE 0")
t = time.perf_counter(); db.execute("SELECT * FROM (" + query.replace('FROM "rows"', 'FROM "empty"') + ")").fetchall(); r["sqlite_prepare_s"] = time.perf_counter() - t
t = time.perf_counter(); res = db.execute("SELECT * FROM (" + query + ") ORDER BY id").fetchall(); r["sqlite_us_per_row"] = 1e6 * max(time.perf_counter() - t - r["sqlite_prepare_s"], 0.0) / m
q = np.array([row[-10:] for row in res], dtype=float)
r["sqlite_max_diff"] = float(np.abs(q - want[:m]).max())
r["onnxruntime_version"] = ort.__version__
r["sqlite_version"] = sqlite3.sqlite_version
print(json.dumps(r))
"#,
        dir = dir.path().to_str().ok_or("temp path")?,
    );
    let out = Command::new(std::env::var("KD_PYTHON").unwrap_or_else(|_| "python3".into())).args(["-c", &script]).output()?;
    if !out.status.success() {
        return Err(format!("python: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let py_r: serde_json::Value = serde_json::from_str(String::from_utf8(out.stdout)?.trim())?;

    let size = |b: usize| b as f64 / 1e6;
    let report = serde_json::json!({
        "tree": { "leaves": tree.n_leaves(), "depth": tree.depth(), "features": d, "classes": 10, "fit_rows": y.nrows(), "fit_s": fit_s },
        "test_rows": n,
        "file_mb": { "json": size(json.len()), "onnx": size(onnx.len()), "c": size(c.len()), "python": size(py.len()), "sql": size(sql.len()) },
        "us_per_row": { "rust": rust_us, "c": c_us, "onnxruntime": py_r["onnxruntime_us_per_row"], "python": py_r["python_us_per_row"], "sqlite": py_r["sqlite_us_per_row"] },
        "max_abs_diff_vs_rust": { "c": c_diff, "onnxruntime": py_r["onnxruntime_max_diff"], "python": py_r["python_max_diff"], "sqlite": py_r["sqlite_max_diff"] },
        "c_compile_s": cc_s,
        "sqlite_prepare_s": py_r["sqlite_prepare_s"],
        "versions": { "onnxruntime": py_r["onnxruntime_version"], "sqlite": py_r["sqlite_version"], "kdistill": env!("CARGO_PKG_VERSION") },
        "threads": { "rust": rayon::current_num_threads(), "c": 1 },
        "command": "bash scripts/bench_export.sh",
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    std::fs::create_dir_all("reports/bench")?;
    kdistill::io::write_json("reports/bench/export_65536.json", &report)?;
    println!("wrote reports/bench/export_65536.json");
    Ok(())
}
