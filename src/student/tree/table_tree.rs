//! [`TableTree`]: a tree fitted on a table, saved with everything needed to read new rows the same
//! way (the class names, the target column, the column [`Encoding`]). It is the `tree_soft.json` /
//! `tree_hard.json` file that `distill tree` writes and `distill predict` reads; the library reads
//! and writes the same file.
//!
//! The layout (format version 1) is one JSON object:
//! `{"format_version": 1, "model": "kdistill.table_tree", "fitted_on": "soft"|"hard", "target": …,
//! "classes": […], "feature_names": […], "encoding": {…}, "tree": <the tree's own versioned JSON>}`.
//!
//! Loading reads the text in two streaming passes (the header, then the body straight into the
//! types; never a `serde_json::Value` of the whole file) and refuses, with a [`KdError::Model`] that
//! names the file, anything `distill tree` could not have written: a newer or zero `format_version`,
//! another model kind (outside or inside), empty or repeated class names, an encoding that lists a
//! column twice, feature names that disagree with the encoding, and leaf values that are not
//! probabilities (each leaf's values in `[0, 1]` and summing to 1 within
//! [`crate::base::PROB_SUM_TOLERANCE`]).
//!
//! ```
//! use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
//! use kdistill::student::tree::{TableTree, TreeParams};
//! use ndarray::array;
//! let x = array![[0.0f32], [1.0], [2.0], [3.0]];
//! let p = array![[0.9f32, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]];
//! let tree = TreeParams::new().max_leaves(Some(2)).fit(x.view(), p.view(), None).unwrap();
//! let encoding = Encoding { columns: vec![EncodedColumn { name: "x".into(), encoding: ColumnEncoding::Numeric }] };
//! let model = TableTree { tree, fitted_on: "soft".into(), target: "y".into(), classes: vec!["no".into(), "yes".into()], encoding };
//! let dir = tempfile::tempdir().unwrap();
//! model.save(dir.path().join("tree_soft.json")).unwrap();
//! let back = TableTree::load(dir.path().join("tree_soft.json")).unwrap();
//! assert_eq!(back, model);
//! assert_eq!(back.predict_proba(array![[0.5f32]].view()).unwrap(), array![[0.85f32, 0.15]]);
//! ```
use super::export::FORMAT_VERSION as TREE_FORMAT_VERSION;
use super::model::Tree;
use crate::data::tabular::Encoding;
use crate::error::{KdError, Result};
use crate::io::{atomic_write, check_versioned_header, VersionedModel};
use ndarray::{Array2, ArrayView2};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// A tree fitted on a table, with what is needed to read new rows the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct TableTree {
    /// The tree; its outputs are the probabilities of [`TableTree::classes`], in that order.
    pub tree: Tree,
    /// `"soft"` (fitted on teacher probabilities) or `"hard"` (fitted on labels).
    pub fitted_on: String,
    /// The target column of the training file.
    pub target: String,
    /// Class names, one per output of the tree.
    pub classes: Vec<String>,
    /// How the input columns become features (reuse it to read new rows).
    pub encoding: Encoding,
}

impl TableTree {
    /// The `model` field of the file.
    pub const KIND: &'static str = "kdistill.table_tree";
    /// The newest `format_version` this build reads, and the one it writes.
    pub const VERSION: u32 = 1;

    /// Class probabilities of already encoded rows (`n × classes`).
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.tree.predict_proba(x)
    }

    /// Whether the model is one `distill tree` could have written; the message says what is not.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::{ColumnEncoding, EncodedColumn, Encoding};
    /// use kdistill::student::tree::{TableTree, TreeParams};
    /// let tree = TreeParams::new().fit(ndarray::array![[0.0f32]].view(), ndarray::array![[0.5f32, 0.5]].view(), None).unwrap();
    /// let encoding = Encoding { columns: vec![EncodedColumn { name: "x".into(), encoding: ColumnEncoding::Numeric }] };
    /// let mut m = TableTree { tree, fitted_on: "soft".into(), target: "y".into(), classes: vec!["a".into(), "b".into()], encoding };
    /// assert!(m.check().is_ok());
    /// m.classes[1] = "a".into();
    /// assert!(m.check().unwrap_err().contains("class `a` is listed twice"));
    /// ```
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.fitted_on != "soft" && self.fitted_on != "hard" {
            return Err(format!("`fitted_on` is `{}`, expected `soft` or `hard`", self.fitted_on));
        }
        if self.classes.is_empty() {
            return Err("no classes".into());
        }
        let mut seen = BTreeSet::new();
        for c in &self.classes {
            if c.trim().is_empty() {
                return Err("a class has an empty name".into());
            }
            if !seen.insert(c.as_str()) {
                return Err(format!("class `{c}` is listed twice"));
            }
        }
        self.encoding.check()?;
        self.tree.check()?;
        if self.tree.n_features() != self.encoding.n_features() || self.tree.n_outputs() != self.classes.len() {
            return Err(format!(
                "the tree has {} features and {} outputs, the header says {} and {}",
                self.tree.n_features(),
                self.tree.n_outputs(),
                self.encoding.n_features(),
                self.classes.len()
            ));
        }
        check_leaf_probabilities(&self.tree)
    }

    /// The model as JSON text (the layout of the module docs).
    pub fn to_json(&self) -> Result<String> {
        // Written field by field (not through `serde_json::Value`, which prints every f32 as its f64
        // expansion); the tree keeps its own versioned layout.
        use serde_json::to_string as s;
        Ok(format!(
            "{{\"format_version\":{},\"model\":{},\"fitted_on\":{},\"target\":{},\"classes\":{},\"feature_names\":{},\"encoding\":{},\"tree\":{}}}",
            Self::VERSION,
            s(Self::KIND)?,
            s(&self.fitted_on)?,
            s(&self.target)?,
            s(&self.classes)?,
            s(&self.encoding.feature_names())?,
            s(&self.encoding)?,
            self.tree.to_json()?
        ))
    }

    /// Parse and check text written by [`TableTree::to_json`]; `origin` names the source in errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::TableTree;
    /// let e = TableTree::from_json(r#"{"format_version":0,"model":"kdistill.table_tree"}"#, "m.json".as_ref()).unwrap_err();
    /// assert_eq!(e.to_string(), "m.json: cannot load model: format_version 0 is not a valid version");
    /// let e = TableTree::from_json(r#"{"format_version":1,"model":"kdistill.tree"}"#, "m.json".as_ref()).unwrap_err();
    /// assert!(e.to_string().contains("expected `kdistill.table_tree`"), "{e}");
    /// ```
    pub fn from_json(text: &str, origin: &Path) -> Result<TableTree> {
        let err = |msg: String| KdError::Model { path: origin.to_path_buf(), msg };
        check_versioned_header(text, origin, Self::KIND, Self::VERSION)?;
        let f: File = serde_json::from_str(text).map_err(|e| err(format!("not a valid `{}`: {e}", Self::KIND)))?;
        match f.tree.model.as_deref() {
            Some(k) if k == <Tree as VersionedModel>::KIND => {}
            other => {
                return Err(err(format!("`tree` holds a model of kind `{}`, expected `{}`", other.unwrap_or("none"), <Tree as VersionedModel>::KIND)))
            }
        }
        match f.tree.format_version {
            Some(v) if (1..=TREE_FORMAT_VERSION as u64).contains(&v) => {}
            Some(v) if v > TREE_FORMAT_VERSION as u64 => {
                return Err(err(format!("the tree's format_version {v} is newer than this build understands ({TREE_FORMAT_VERSION}); upgrade kdistill")))
            }
            other => return Err(err(format!("the tree's format_version is {}, expected 1..={TREE_FORMAT_VERSION}", other.map_or("missing".to_string(), |v| v.to_string())))),
        }
        let m = TableTree { tree: f.tree.tree, fitted_on: f.fitted_on, target: f.target, classes: f.classes, encoding: f.encoding };
        if f.feature_names != m.encoding.feature_names() {
            return Err(err("corrupted model file: `feature_names` disagree with the encoding".into()));
        }
        m.check().map_err(|msg| err(format!("corrupted model file: {msg}")))?;
        Ok(m)
    }

    /// Write the model to `path`, atomically (folders are created).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        atomic_write(path, self.to_json()?.as_bytes())
    }

    /// Load a model saved by [`TableTree::save`] (or `distill tree`). A missing file is
    /// [`KdError::Io`]; anything wrong inside, [`KdError::Model`] naming the file.
    pub fn load(path: impl AsRef<Path>) -> Result<TableTree> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| KdError::io(path, e))?;
        Self::from_json(&text, path)
    }
}

/// Each leaf's values: finite, in `[0, 1]` (within 1e-5), summing to 1 within the crate's tolerance.
fn check_leaf_probabilities(tree: &Tree) -> std::result::Result<(), String> {
    let tol = crate::base::PROB_SUM_TOLERANCE;
    for (i, node) in tree.nodes().iter().enumerate() {
        if !node.is_leaf() {
            continue;
        }
        let v = tree.value(i);
        if let Some(x) = v.iter().find(|x| !(-1e-5..=1.0 + 1e-5).contains(*x)) {
            return Err(format!("leaf {i} holds {x}, which is not a probability (each value must be in [0, 1])"));
        }
        let sum: f32 = v.iter().sum();
        if (sum - 1.0).abs() > tol {
            return Err(format!("leaf {i}'s values sum to {sum}, not 1: not class probabilities"));
        }
    }
    Ok(())
}

/// The file as read (the header fields were checked by [`check_versioned_header`]).
#[derive(Deserialize)]
struct File {
    fitted_on: String,
    target: String,
    classes: Vec<String>,
    feature_names: Vec<String>,
    encoding: Encoding,
    tree: NestedTree,
}

/// The tree in its own versioned layout, read in the same pass.
#[derive(Deserialize)]
struct NestedTree {
    format_version: Option<u64>,
    model: Option<String>,
    tree: Tree,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tabular::{ColumnEncoding, EncodedColumn};
    use crate::student::tree::TreeParams;
    use ndarray::array;

    fn model() -> TableTree {
        let x = array![[0.0f32, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]];
        let p = array![[0.9f32, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]];
        let tree = TreeParams::new().fit(x.view(), p.view(), None).unwrap();
        let encoding = Encoding {
            columns: vec![
                EncodedColumn { name: "x".into(), encoding: ColumnEncoding::Numeric },
                EncodedColumn { name: "c".into(), encoding: ColumnEncoding::OneHot { categories: vec!["u".into()] } },
            ],
        };
        TableTree { tree, fitted_on: "soft".into(), target: "y".into(), classes: vec!["no".into(), "yes".into()], encoding }
    }

    fn load_err(text: &str) -> String {
        TableTree::from_json(text, "m.json".as_ref()).unwrap_err().to_string()
    }

    #[test]
    fn round_trip_is_exact() {
        let m = model();
        let json = m.to_json().unwrap();
        let back = TableTree::from_json(&json, "m.json".as_ref()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_json().unwrap(), json);
    }

    #[test]
    fn refuses_what_distill_tree_cannot_write() {
        let json = model().to_json().unwrap();
        // Versions: zero, newer, and the inner tree's.
        assert!(load_err(&json.replacen("\"format_version\":1", "\"format_version\":0", 1)).contains("format_version 0"));
        assert!(load_err(&json.replacen("\"format_version\":1", "\"format_version\":2", 1)).contains("newer"));
        assert!(load_err(&json.replace("\"model\":\"kdistill.tree\"", "\"model\":\"kdistill.soft_tree\"")).contains("`tree` holds a model of kind `kdistill.soft_tree`"));
        assert!(load_err(&json.replace("\"model\":\"kdistill.tree\",", "")).contains("kind `none`"));
        // Classes and encoding.
        assert!(load_err(&json.replace("\"classes\":[\"no\",\"yes\"]", "\"classes\":[\"no\",\"no\"]")).contains("class `no` is listed twice"));
        assert!(load_err(&json.replace("\"classes\":[\"no\",\"yes\"]", "\"classes\":[\"no\",\" \"]")).contains("empty name"));
        let twice = json.replace("{\"name\":\"c\",\"encoding\":{\"OneHot\":{\"categories\":[\"u\"]}}}", "{\"name\":\"x\",\"encoding\":\"Numeric\"}");
        assert_ne!(twice, json, "the encoding's layout changed: update this test");
        let twice = twice.replace("\"feature_names\":[\"x\",\"c=u\"]", "\"feature_names\":[\"x\",\"x\"]");
        assert!(load_err(&twice).contains("column `x` is listed twice"), "{}", load_err(&twice));
        assert!(load_err(&json.replace("\"feature_names\":[\"x\",\"c=u\"]", "\"feature_names\":[\"x\",\"c\"]")).contains("disagree"));
        assert!(load_err(&json.replace("\"fitted_on\":\"soft\"", "\"fitted_on\":\"both\"")).contains("`fitted_on`"));
    }

    #[test]
    fn refuses_leaf_values_that_are_not_probabilities() {
        let m = model();
        let json = m.to_json().unwrap();
        let values = serde_json::to_string(&m.tree).unwrap();
        let v: serde_json::Value = serde_json::from_str(&values).unwrap();
        let original = serde_json::to_string(&v["values"]).unwrap();
        let n = v["values"].as_array().unwrap().len();
        for (fill, want) in [("-0.5", "not a probability"), ("0.2", "sum to"), ("0", "sum to"), ("1e38", "not a probability")] {
            let bad = format!("[{}]", vec![fill; n].join(","));
            let text = json.replace(&original, &bad);
            assert_ne!(text, json);
            let e = load_err(&text);
            assert!(e.contains(want), "{fill}: {e}");
        }
    }
}
