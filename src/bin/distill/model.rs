//! The saved model: a tree plus what is needed to read new rows the same way.
use kdistill::data::tabular::Encoding;
use kdistill::error::{KdError, Result};
use kdistill::student::tree::Tree;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub(crate) const MODEL_FORMAT_VERSION: u32 = 1;
pub(crate) const MODEL_KIND: &str = "kdistill.table_tree";

#[derive(Serialize, Deserialize)]
pub(crate) struct TableTreeFile {
    format_version: u32,
    model: String,
    /// "soft" (fitted on teacher probabilities) or "hard" (fitted on labels).
    fitted_on: String,
    target: String,
    classes: Vec<String>,
    feature_names: Vec<String>,
    encoding: Encoding,
    /// The tree in its own versioned layout ([`Tree::to_json`]).
    tree: serde_json::Value,
}

pub(crate) struct TableTree {
    pub(crate) tree: Tree,
    pub(crate) classes: Vec<String>,
    pub(crate) encoding: Encoding,
}

pub(crate) fn save_model(path: &Path, tree: &Tree, fitted_on: &str, target: &str, classes: &[String], encoding: &Encoding) -> Result<()> {
    let f = TableTreeFile {
        format_version: MODEL_FORMAT_VERSION,
        model: MODEL_KIND.into(),
        fitted_on: fitted_on.into(),
        target: target.into(),
        classes: classes.to_vec(),
        feature_names: encoding.feature_names(),
        encoding: encoding.clone(),
        tree: serde_json::from_str(&tree.to_json()?)?,
    };
    kdistill::io::write_json(path, &f)
}

pub(crate) fn load_model(path: &Path) -> Result<TableTree> {
    let err = |msg: String| KdError::Model { path: path.to_path_buf(), msg };
    let text = std::fs::read_to_string(path).map_err(|e| KdError::io(path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON (corrupted?): {e}")))?;
    let version = v
        .get("format_version")
        .and_then(|f| f.as_u64())
        .ok_or_else(|| err("missing or non-integer `format_version`".into()))?;
    if version > MODEL_FORMAT_VERSION as u64 {
        return Err(err(format!("format_version {version} is newer than this build understands ({MODEL_FORMAT_VERSION}); upgrade kdistill")));
    }
    if v.get("model").and_then(|m| m.as_str()) != Some(MODEL_KIND) {
        return Err(err(format!("not a `{MODEL_KIND}` model file (written by `distill tree`)")));
    }
    let f: TableTreeFile = serde_json::from_value(v).map_err(|e| err(format!("corrupted model file: {e}")))?;
    let tree = Tree::from_json(&f.tree.to_string(), path)?;
    if tree.n_features() != f.encoding.n_features() || tree.n_outputs() != f.classes.len() {
        return Err(err(format!(
            "corrupted model file: tree has {} features and {} outputs, header says {} and {}",
            tree.n_features(),
            tree.n_outputs(),
            f.encoding.n_features(),
            f.classes.len()
        )));
    }
    Ok(TableTree { tree, classes: f.classes, encoding: f.encoding })
}
