//! `distill export` end to end: a tree fitted on the tabular fixture is exported as C (compiled with
//! the system C compiler), Python (run with python3), SQL (run with Python's sqlite3) and ONNX (checked
//! with `onnx.checker` and run with onnxruntime, both installed by `scripts/test` through
//! `scripts/onnxruntime.sh`), and each gives the probabilities of `Tree::predict_proba` on the test
//! rows and on rows whose values sit exactly on the thresholds; NaN is refused (C: −1, Python:
//! ValueError) or gives NULL (SQL).
use kdistill::data::tabular::TableReader;
use kdistill::student::tree::{TableTree, Tree};
use ndarray::Array2;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tabular").join(name)
}

fn distill(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_distill")).args(args).output().expect("run distill")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The test rows, and for every inner node a row that reaches it with the tested value exactly on its
/// threshold.
fn rows(model: &TableTree) -> Array2<f32> {
    let test = TableReader::new(fixture("test.csv")).encoding(model.encoding.clone()).classes(model.classes.clone()).target("label").read().unwrap();
    let mut x = test.x.slice(ndarray::s![..60, ..]).to_owned();
    for r in threshold_rows(&model.tree).rows() {
        x.push_row(r).unwrap();
    }
    x
}

/// For every inner node, a row on the path to it (each feature at the top of the box its ancestors'
/// tests leave, or inside it) whose tested feature equals the node's threshold.
fn threshold_rows(tree: &Tree) -> Array2<f32> {
    let d = tree.n_features();
    let mut out = Array2::<f32>::zeros((0, d));
    let mut stack = vec![(0usize, vec![f32::NEG_INFINITY; d], vec![f32::INFINITY; d])];
    while let Some((i, lo, hi)) = stack.pop() {
        let n = &tree.nodes()[i];
        if n.is_leaf() {
            continue;
        }
        let mut r: Vec<f32> = (0..d).map(|j| if hi[j].is_finite() { hi[j] } else if lo[j].is_finite() { lo[j] + 1.0 } else { 0.0 }).collect();
        let f = n.feature as usize;
        r[f] = n.threshold;
        out.push_row(ndarray::ArrayView1::from(&r)).unwrap();
        let (mut left_hi, mut right_lo) = (hi.clone(), lo.clone());
        left_hi[f] = left_hi[f].min(n.threshold);
        right_lo[f] = right_lo[f].max(n.threshold);
        stack.push((n.left as usize, lo, left_hi));
        stack.push((n.right as usize, right_lo, hi));
    }
    out
}

fn parse_rows(text: &str, k: usize) -> Vec<Vec<f64>> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| {
        let v: Vec<f64> = l.split(',').map(|t| t.trim().parse().unwrap_or(f64::NAN)).collect();
        assert_eq!(v.len(), k, "{l}");
        v
    }).collect()
}

fn assert_same(what: &str, got: &[Vec<f64>], want: &Array2<f32>) {
    assert_eq!(got.len(), want.nrows(), "{what}: row count");
    for (i, (g, w)) in got.iter().zip(want.rows()).enumerate() {
        for (a, b) in g.iter().zip(w.iter()) {
            assert!((a - *b as f64).abs() <= 1e-6, "{what}, row {i}: {g:?} against {w:?}");
        }
    }
}

#[test]
fn c_python_and_sql_exports_give_the_trees_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = distill(&[
        "tree", "--data", s(&fixture("train.csv")), "--target", "label", "--teacher-probs", s(&fixture("train_probs.csv")), "--max-leaves", "24",
        "--out", s(&out),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let model_path = out.join("tree_soft.json");
    let model = TableTree::load(&model_path).unwrap();
    let x = rows(&model);
    let want = model.predict_proba(x.view()).unwrap();
    let k = model.classes.len();
    let export = |format: &str, file: &str, extra: &[&str]| {
        let path = dir.path().join(file);
        let mut args = vec!["export", "--model", s(&model_path), "--format", format, "--out", s(&path)];
        args.extend_from_slice(extra);
        let r = distill(&args);
        assert!(r.status.success(), "{format}: {}", String::from_utf8_lossy(&r.stderr));
        path
    };
    // Rows as text whose doubles are exactly the f32 values (SQL compares doubles as given).
    let csv_rows: Vec<String> = x.rows().into_iter().map(|r| r.iter().map(|v| format!("{:?}", *v as f64)).collect::<Vec<_>>().join(",")).collect();

    // C: compiled with the system compiler.
    let header = export("c", "tree.h", &["--name", "wine"]);
    let main_c = dir.path().join("main.c");
    let rows_c: Vec<String> = x.rows().into_iter().map(|r| format!("{{{}}}", r.iter().map(|v| format!("{v:?}f")).collect::<Vec<_>>().join(","))).collect();
    std::fs::write(
        &main_c,
        format!(
            "#include <stdio.h>\n#include \"tree.h\"\nstatic const float ROWS[{n}][{d}] = {{{rows}}};\nint main(void) {{\n  float out[{k}];\n  for (int i = 0; i < {n}; i++) {{\n    if (wine_predict_proba(ROWS[i], out) != 0) return 2;\n    for (int j = 0; j < {k}; j++) printf(j ? \",%.9g\" : \"%.9g\", out[j]);\n    printf(\"\\n\");\n  }}\n  float bad[{d}];\n  for (int j = 0; j < {d}; j++) bad[j] = NAN;\n  printf(\"%d\\n\", wine_predict_proba(bad, out) == -1);\n  return 0;\n}}\n",
            n = x.nrows(),
            d = x.ncols(),
            rows = rows_c.join(","),
        ),
    )
    .unwrap();
    let exe = dir.path().join("main");
    let cc = Command::new("cc").args(["-O2", "-std=c99", "-Wall", "-Werror", "-o", s(&exe), s(&main_c), "-lm"]).output().expect("a C compiler (cc)");
    assert!(cc.status.success(), "{}", String::from_utf8_lossy(&cc.stderr));
    assert!(header.exists());
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let (body, last) = text.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(last, "1", "NaN refused");
    assert_same("C", &parse_rows(body, k), &want);

    // Python: the module alone.
    let module = export("python", "wine_tree.py", &[]);
    let script = format!(
        "import sys\nsys.path.insert(0, {dir:?})\nimport wine_tree as t\nrows = [[float(v) for v in l.split(',')] for l in sys.stdin.read().split()]\nfor p in t.predict_proba(rows):\n    print(','.join(repr(v) for v in p))\ntry:\n    t.predict_proba([[float('nan')] * {d}])\n    print('accepted NaN')\nexcept ValueError:\n    pass\nassert t.predict(rows[:1])[0] in t.CLASS_NAMES\n",
        dir = module.parent().unwrap().to_str().unwrap(),
        d = x.ncols(),
    );
    let py = run_python(&script, &csv_rows.join("\n"));
    assert!(!py.contains("accepted NaN"), "{py}");
    assert_same("Python", &parse_rows(&py, k), &want);

    // SQL: through Python's sqlite3.
    let sql = export("sql", "tree.sql", &["--table", "rows"]);
    let names = model.encoding.feature_names();
    let script = format!(
        "import sqlite3, sys\ndb = sqlite3.connect(':memory:')\ncols = {cols:?}\ndb.execute('CREATE TABLE rows (id INTEGER, ' + ', '.join('\"' + c + '\" REAL' for c in cols) + ')')\nfor i, l in enumerate(sys.stdin.read().split()):\n    db.execute('INSERT INTO rows VALUES (' + ', '.join(['?'] * (len(cols) + 1)) + ')', [i] + [float(v) for v in l.split(',')])\ndb.execute('INSERT INTO rows (id) VALUES (-1)')\nq = open({sql:?}).read().rstrip().rstrip(';')\ncur = db.execute('SELECT * FROM (' + q + ') ORDER BY id')\nnames = [d[0] for d in cur.description]\nps = [i for i, n in enumerate(names) if n.startswith('p_')]\nfor r in cur.fetchall():\n    print(','.join('nan' if r[i] is None else repr(r[i]) for i in ps))\n",
        cols = names,
        sql = s(&sql),
    );
    let out = run_python(&script, &csv_rows.join("\n"));
    let mut got = parse_rows(&out, k);
    let null_row = got.remove(0); // id −1: every feature NULL
    assert!(null_row.iter().all(|v| v.is_nan()), "NULL features give NULL probabilities: {null_row:?}");
    assert_same("SQL", &got, &want);
}

/// A tree deeper than the SQL export's nested levels: the flat `CASE`s below them route every row
/// (each threshold, between thresholds, NULL) to the Rust tree's leaf.
#[test]
fn sql_export_of_a_deep_tree_gives_the_trees_probabilities() {
    use kdistill::student::tree::{export, TreeParams};
    let n = 600;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { i as f32 } else { ((i * 37) % 101) as f32 });
    let y = Array2::from_shape_fn((n, 3), |(i, c)| if (i * 7919 + i / 3) % 3 == c { 1.0f32 } else { 0.0 });
    let tree = TreeParams::new().max_leaves(Some(300)).fit(x.view(), y.view(), None).unwrap();
    assert!(tree.depth() > 12, "depth {}", tree.depth());
    let mut rows = x.clone();
    for r in threshold_rows(&tree).rows() {
        rows.push_row(r).unwrap();
    }
    let want = tree.predict_proba(rows.view()).unwrap();
    let (features, classes) = (vec!["a".to_string(), "b b".to_string()], vec!["x".to_string(), "y".to_string(), "z".to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("deep.sql");
    std::fs::write(&sql, export::to_sql(&tree, "rows", &features, &classes).unwrap()).unwrap();
    let csv_rows: Vec<String> = rows.rows().into_iter().map(|r| r.iter().map(|v| format!("{:?}", *v as f64)).collect::<Vec<_>>().join(",")).collect();
    let script = format!(
        "import sqlite3, sys\ndb = sqlite3.connect(':memory:')\ndb.execute('CREATE TABLE rows (id INTEGER, \"a\" REAL, \"b b\" REAL)')\nfor i, l in enumerate(sys.stdin.read().split()):\n    db.execute('INSERT INTO rows VALUES (?, ?, ?)', [i] + [float(v) for v in l.split(',')])\ndb.execute('INSERT INTO rows (id, \"a\") VALUES (-1, 5.5)')\nq = open({sql:?}).read().rstrip().rstrip(';')\ncur = db.execute('SELECT * FROM (' + q + ') ORDER BY id')\nfor r in cur.fetchall():\n    print(','.join('nan' if v is None else repr(v) for v in r[4:]))\n",
        sql = s(&sql),
    );
    let mut got = parse_rows(&run_python(&script, &csv_rows.join("\n")), 3);
    let null_row = got.remove(0); // id −1: feature "b b" NULL
    assert!(null_row.iter().all(|v| v.is_nan()), "a NULL on the path gives NULL probabilities: {null_row:?}");
    assert_same("SQL (deep)", &got, &want);
}

#[test]
fn onnx_export_passes_the_checker_and_gives_the_trees_probabilities_and_labels() {
    let Ok(onnx_path) = std::env::var("KD_ONNX_PYTHONPATH") else {
        panic!("KD_ONNX_PYTHONPATH is not set: run the tests with scripts/test, which installs onnx and onnxruntime");
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = distill(&[
        "tree", "--data", s(&fixture("train.csv")), "--target", "label", "--teacher-probs", s(&fixture("train_probs.csv")), "--max-leaves", "24",
        "--out", s(&out),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let model_path = out.join("tree_soft.json");
    let model = TableTree::load(&model_path).unwrap();
    let x = rows(&model);
    let want = model.predict_proba(x.view()).unwrap();
    let onnx = dir.path().join("tree.onnx");
    let r = distill(&["export", "--model", s(&model_path), "--format", "onnx", "--out", s(&onnx)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let csv_rows: Vec<String> = x.rows().into_iter().map(|r| r.iter().map(|v| format!("{:?}", *v as f64)).collect::<Vec<_>>().join(",")).collect();
    let script = format!(
        "import sys\nsys.path.insert(0, {onnx_path:?})\nimport numpy as np, onnx, onnxruntime as ort\nm = onnx.load({path:?})\nonnx.checker.check_model(m, full_check=True)\ns = ort.InferenceSession({path:?}, providers=['CPUExecutionProvider'])\nx = np.array([[float(v) for v in l.split(',')] for l in sys.stdin.read().split()], dtype=np.float32)\nlabel, p = s.run(None, {{'X': x}})\nfor l, r in zip(label, p):\n    print(l + ':' + ','.join(repr(float(v)) for v in r))\n",
        path = s(&onnx),
    );
    let text = run_python(&script, &csv_rows.join("\n"));
    let (labels, probs): (Vec<&str>, Vec<&str>) = text.lines().map(|l| l.split_once(':').unwrap()).unzip();
    assert_same("ONNX", &parse_rows(&probs.join("\n"), model.classes.len()), &want);
    let want_labels: Vec<&str> = kdistill::base::argmax_rows(want.view()).iter().map(|&c| model.classes[c].as_str()).collect();
    assert_eq!(labels, want_labels);
}

fn run_python(script: &str, stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}
