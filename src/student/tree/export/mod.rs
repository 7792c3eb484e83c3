//! Saving and showing a fitted [`Tree`]: versioned JSON (round trip gives identical predictions),
//! Graphviz DOT, indented text rules in the style of scikit-learn's `export_text`, and code that runs
//! without kdistill ([`to_c`], [`to_python`], [`to_sql`]: see [`code`]; [`to_onnx`]: see [`onnx`]).
//!
//! ```
//! use kdistill::student::tree::{export, TreeParams};
//! use ndarray::array;
//! let x = array![[0.0f32], [1.0], [2.0], [3.0]];
//! let y = array![[1.0f32, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
//! let tree = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
//! let names = vec!["x".to_string()];
//! let text = export::to_text(&tree, Some(&names), None).unwrap();
//! assert!(text.starts_with("|--- x <= 1.50\n|   |--- class: 0 (p = [1.00, 0.00], n = 2)"));
//! ```
//!
//! Every file is written atomically ([`crate::io::atomic_write`]).
use super::model::Tree;
use crate::error::{KdError, Result};

pub mod code;
mod flat;
pub mod onnx;
pub use code::{to_c, to_python, to_sql};
pub use onnx::to_onnx;
use std::fmt::Write as _;
use std::path::Path;

/// Version of the JSON layout written by [`Tree::save_json`]; loading a newer version is an error.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{export::FORMAT_VERSION, TreeParams};
/// let tree = TreeParams::new().fit(ndarray::array![[0.0f32]].view(), ndarray::array![[1.0f32]].view(), None).unwrap();
/// let v: serde_json::Value = serde_json::from_str(&tree.to_json().unwrap()).unwrap();
/// assert_eq!(v["format_version"], FORMAT_VERSION);
/// ```
pub const FORMAT_VERSION: u32 = 1;

impl crate::io::VersionedModel for Tree {
    const KIND: &'static str = "kdistill.tree";
    const VERSION: u32 = FORMAT_VERSION;
    const KEY: &'static str = "tree";
    const NAME: &'static str = "tree";
    fn check_loaded(&self) -> std::result::Result<(), String> {
        self.check()
    }
}

impl Tree {
    /// The tree as versioned JSON text.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TreeParams;
    /// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// let json = tree.to_json().unwrap();
    /// assert!(json.starts_with(r#"{"format_version":1,"model":"kdistill.tree""#), "{json}");
    /// ```
    pub fn to_json(&self) -> Result<String> {
        crate::io::model_to_json(self)
    }

    /// Parse JSON written by [`Tree::to_json`]; `origin` names the source in errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::{Tree, TreeParams};
    /// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// let json = tree.to_json().unwrap();
    /// assert_eq!(Tree::from_json(&json, "mem".as_ref()).unwrap(), tree);
    /// let newer = json.replace("\"format_version\":1", "\"format_version\":2");
    /// assert!(Tree::from_json(&newer, "t.json".as_ref()).unwrap_err().to_string().contains("newer"));
    /// assert!(Tree::from_json("{not json", "t.json".as_ref()).unwrap_err().to_string().starts_with("t.json: cannot load model"));
    /// ```
    pub fn from_json(text: &str, origin: &Path) -> Result<Tree> {
        crate::io::model_from_json(text, origin)
    }

    /// Write the tree as versioned JSON to `path` (atomically).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::{Tree, TreeParams};
    /// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[0.0f32], [1.0]].view(), None).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("models/tree.json"); // folders are created
    /// tree.save_json(&path).unwrap();
    /// assert_eq!(std::fs::read_to_string(&path).unwrap(), tree.to_json().unwrap());
    /// ```
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::io::save_model(self, path)
    }

    /// Load a tree saved by [`Tree::save_json`]. A missing file is [`KdError::Io`]; a newer
    /// `format_version` or corrupted content is [`KdError::Model`] naming the path.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{student::tree::{Tree, TreeParams}, KdError};
    /// let x = ndarray::array![[0.0f32], [0.5], [1.0]];
    /// let tree = TreeParams::new().fit(x.view(), ndarray::array![[0.0f32], [0.3], [1.0]].view(), None).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// tree.save_json(dir.path().join("t.json")).unwrap();
    /// let back = Tree::load_json(dir.path().join("t.json")).unwrap();
    /// assert_eq!(back.predict_proba(x.view()).unwrap(), tree.predict_proba(x.view()).unwrap());
    /// assert!(matches!(Tree::load_json(dir.path().join("missing.json")), Err(KdError::Io { .. })));
    /// std::fs::write(dir.path().join("bad.json"), "{\"format_version\": 1}").unwrap();
    /// assert!(matches!(Tree::load_json(dir.path().join("bad.json")), Err(KdError::Model { .. })));
    /// ```
    pub fn load_json(path: impl AsRef<Path>) -> Result<Tree> {
        crate::io::load_model(path)
    }
}

fn check_names(names: Option<&[String]>, n: usize, what: &str) -> Result<()> {
    match names {
        Some(v) if v.len() != n => Err(KdError::Shape(format!("{} {what} names for {n} {what}s", v.len()))),
        _ => Ok(()),
    }
}

fn feature_name(names: Option<&[String]>, f: usize) -> String {
    names.map_or_else(|| format!("feature_{f}"), |v| v[f].clone())
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

fn class_name(names: Option<&[String]>, c: usize) -> String {
    names.map_or_else(|| c.to_string(), |v| v[c].clone())
}

fn fmt_probs(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|p| format!("{p:.2}")).collect();
    format!("[{}]", parts.join(", "))
}

/// Text rules like scikit-learn's `export_text`: one line per test (`|--- name <= t` / `|--- name >  t`),
/// and for each leaf the predicted class (argmax), its probabilities and its training rows.
/// `feature_names` (length `n_features`) and `class_names` (length `n_outputs`) are optional.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{export::to_text, TreeParams};
/// use ndarray::array;
/// let x = array![[0.0f32], [1.0], [2.0], [3.0]];
/// let y = array![[1.0f32, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
/// let tree = TreeParams::new().fit(x.view(), y.view(), None).unwrap();
/// let names = vec!["petal_length".to_string()];
/// let classes = vec!["setosa".to_string(), "virginica".to_string()];
/// let text = to_text(&tree, Some(&names), Some(&classes)).unwrap();
/// assert_eq!(
///     text,
///     "|--- petal_length <= 1.50\n\
///      |   |--- class: setosa (p = [1.00, 0.00], n = 2)\n\
///      |--- petal_length >  1.50\n\
///      |   |--- class: virginica (p = [0.00, 1.00], n = 2)\n"
/// );
/// assert!(to_text(&tree, Some(&classes), None).is_err()); // 2 names for 1 feature
/// ```
pub fn to_text(tree: &Tree, feature_names: Option<&[String]>, class_names: Option<&[String]>) -> Result<String> {
    check_names(feature_names, tree.n_features(), "feature")?;
    check_names(class_names, tree.n_outputs(), "class")?;
    let mut s = String::new();
    // Iterative pre-order walk: (node, depth, branch line to print first).
    let mut stack: Vec<(usize, usize, Option<String>)> = vec![(0, 0, None)];
    while let Some((i, depth, line)) = stack.pop() {
        let indent = "|   ".repeat(depth.saturating_sub(1));
        if let Some(l) = line {
            let _ = writeln!(s, "{indent}|--- {l}");
        }
        let n = tree.nodes()[i];
        if n.is_leaf() {
            let v = tree.value(i);
            let pad = "|   ".repeat(depth);
            let _ = writeln!(
                s,
                "{pad}|--- class: {} (p = {}, n = {})",
                class_name(class_names, argmax(v)),
                fmt_probs(v),
                tree.stats()[i].n_samples
            );
            continue;
        }
        let name = feature_name(feature_names, n.feature as usize);
        stack.push((n.right as usize, depth + 1, Some(format!("{name} >  {:.2}", n.threshold))));
        stack.push((n.left as usize, depth + 1, Some(format!("{name} <= {:.2}", n.threshold))));
    }
    Ok(s)
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT: internal nodes show their test, leaves their class and probabilities; every node its
/// impurity and training rows. Left edges are the `true` branch.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{export::to_dot, TreeParams};
/// use ndarray::array;
/// let y = array![[1.0f32, 0.0], [0.0, 1.0]];
/// let tree = TreeParams::new().fit(array![[0.0f32], [1.0]].view(), y.view(), None).unwrap();
/// let dot = to_dot(&tree, None, None).unwrap();
/// assert!(dot.starts_with("digraph Tree {"));
/// assert!(dot.contains("0 [label=\"feature_0 <= 0.5\\nimpurity = 0.5000\\nsamples = 2\"];"));
/// assert!(dot.contains("0 -> 1 [labeldistance=2.5, labelangle=45, headlabel=\"True\"];"));
/// ```
pub fn to_dot(tree: &Tree, feature_names: Option<&[String]>, class_names: Option<&[String]>) -> Result<String> {
    check_names(feature_names, tree.n_features(), "feature")?;
    check_names(class_names, tree.n_outputs(), "class")?;
    let mut s = String::from("digraph Tree {\nnode [shape=box, style=\"rounded\", fontname=\"helvetica\"];\nedge [fontname=\"helvetica\"];\n");
    for (i, n) in tree.nodes().iter().enumerate() {
        let st = tree.stats()[i];
        let v = tree.value(i);
        let head = if n.is_leaf() {
            format!("class = {}\\np = {}", dot_escape(&class_name(class_names, argmax(v))), fmt_probs(v))
        } else {
            format!("{} <= {}", dot_escape(&feature_name(feature_names, n.feature as usize)), n.threshold)
        };
        let _ = writeln!(s, "{i} [label=\"{head}\\nimpurity = {:.4}\\nsamples = {}\"];", st.impurity, st.n_samples);
        if !n.is_leaf() {
            let _ = writeln!(s, "{i} -> {} [labeldistance=2.5, labelangle=45, headlabel=\"True\"];", n.left);
            let _ = writeln!(s, "{i} -> {} [labeldistance=2.5, labelangle=-45, headlabel=\"False\"];", n.right);
        }
    }
    s.push_str("}\n");
    Ok(s)
}

/// Write [`to_dot`] to `path` (atomically).
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{export, TreeParams};
/// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[1.0f32, 0.0], [0.0, 1.0]].view(), None).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tree.dot"); // render with `dot -Tpng tree.dot -o tree.png`
/// export::save_dot(&tree, &path, Some(&["x".to_string()]), Some(&["no".to_string(), "yes".to_string()])).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("class = yes"));
/// ```
pub fn save_dot(tree: &Tree, path: impl AsRef<Path>, feature_names: Option<&[String]>, class_names: Option<&[String]>) -> Result<()> {
    crate::io::atomic_write(path, to_dot(tree, feature_names, class_names)?.as_bytes())
}

/// Write [`to_text`] to `path` (atomically).
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{export, TreeParams};
/// let tree = TreeParams::new().fit(ndarray::array![[0.0f32], [1.0]].view(), ndarray::array![[1.0f32, 0.0], [0.0, 1.0]].view(), None).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("rules.txt");
/// export::save_text(&tree, &path, None, None).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), export::to_text(&tree, None, None).unwrap());
/// ```
pub fn save_text(tree: &Tree, path: impl AsRef<Path>, feature_names: Option<&[String]>, class_names: Option<&[String]>) -> Result<()> {
    crate::io::atomic_write(path, to_text(tree, feature_names, class_names)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::student::tree::TreeParams;
    use ndarray::{array, Array2};

    fn small_tree() -> (Tree, Array2<f32>) {
        let x = Array2::from_shape_fn((60, 3), |(i, j)| ((i * (j + 3) * 7919) % 101) as f32 / 10.0);
        let y = Array2::from_shape_fn((60, 3), |(i, j)| if (i * 13 + j) % 3 == 0 { 0.6 } else { 0.2 });
        let t = TreeParams::default().max_depth(Some(4)).fit(x.view(), y.view(), None).unwrap();
        (t, x)
    }

    #[test]
    fn json_round_trip_gives_identical_predictions() {
        let (t, x) = small_tree();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m/tree.json");
        t.save_json(&p).unwrap();
        let back = Tree::load_json(&p).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.predict_proba(x.view()).unwrap(), t.predict_proba(x.view()).unwrap());
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("\"format_version\":1"), "{}", &text[..80]);
    }

    #[test]
    fn newer_version_and_corruption_are_model_errors_with_path() {
        let (t, _) = small_tree();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tree.json");
        let good = t.to_json().unwrap();
        let cases = [
            good.replace("\"format_version\":1", "\"format_version\":2"),
            good[..good.len() / 2].to_string(),
            good.replace("\"format_version\":1,", ""),
            good.replacen("\"left\":1", "\"left\":0", 1),
            "{\"format_version\":1,\"tree\":{}}".to_string(),
        ];
        for (i, c) in cases.iter().enumerate() {
            crate::io::atomic_write(&p, c.as_bytes()).unwrap();
            match Tree::load_json(&p) {
                Err(KdError::Model { path, msg }) => {
                    assert_eq!(path, p, "case {i}");
                    assert!(!msg.is_empty());
                    if i == 0 {
                        assert!(msg.contains("newer"), "{msg}");
                    }
                }
                other => panic!("case {i}: expected a Model error, got {other:?}"),
            }
        }
        assert!(matches!(Tree::load_json(dir.path().join("missing.json")), Err(KdError::Io { .. })));
    }

    #[test]
    fn text_and_dot_show_tests_and_leaves() {
        let x = array![[0.0f32, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]];
        let y = array![[1.0f32, 0.0], [1.0, 0.0], [0.0, 1.0], [0.2, 0.8]];
        let t = TreeParams::default().max_depth(Some(1)).fit(x.view(), y.view(), None).unwrap();
        let classes = vec!["cat".to_string(), "dog".to_string()];
        let text = to_text(&t, None, Some(&classes)).unwrap();
        assert_eq!(
            text,
            "|--- feature_0 <= 1.50\n|   |--- class: cat (p = [1.00, 0.00], n = 2)\n\
             |--- feature_0 >  1.50\n|   |--- class: dog (p = [0.10, 0.90], n = 2)\n"
        );
        let dot = to_dot(&t, Some(&["a".into(), "b\"q".into()]), None).unwrap();
        assert!(dot.starts_with("digraph Tree {"));
        assert!(dot.contains("0 [label=\"a <= 1.5\\nimpurity"));
        assert!(dot.contains("0 -> 1") && dot.contains("0 -> 2"));
        assert!(dot.contains("class = 1\\np = [0.10, 0.90]"));
        assert!(matches!(to_text(&t, Some(&["a".into()]), None), Err(KdError::Shape(_))));
        let dir = tempfile::tempdir().unwrap();
        save_dot(&t, dir.path().join("t.dot"), None, None).unwrap();
        save_text(&t, dir.path().join("t.txt"), None, None).unwrap();
        assert!(std::fs::read_to_string(dir.path().join("t.txt")).unwrap().contains("class: 1"));
    }
}
