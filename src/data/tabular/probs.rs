//! Teacher-probability files: reading them (class names from the header, rows checked to sum to 1) and
//! matching class names. Writing probabilities is [`crate::io::write_probabilities_csv`].
use crate::error::{KdError, Result};
use ndarray::{Array2, Axis};
use std::path::Path;
use super::*;

/// Read a probability file on its own: every column (or those starting with `prefix`, which is then
/// stripped) is a class. Returns the class names in file order and the validated `n × K` matrix.
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::read_probability_file;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("p.csv");
/// std::fs::write(&path, "id,p_no,p_yes\n1,0.25,0.75\n2,1,0\n").unwrap();
/// let (classes, p) = read_probability_file(&path, Some("p_"), false, 1e-3).unwrap();
/// assert_eq!(classes, ["no", "yes"]);
/// assert_eq!(p, ndarray::array![[0.25f32, 0.75], [1.0, 0.0]]);
/// ```
pub fn read_probability_file(
    path: impl AsRef<Path>,
    prefix: Option<&str>,
    renormalise: bool,
    tolerance: f32,
) -> Result<(Vec<String>, Array2<f32>)> {
    let path = path.as_ref().to_path_buf();
    let frame = read_frame(&path)?;
    let cols: Vec<(String, &RawColumn)> = frame
        .columns
        .iter()
        .filter(|(name, _)| prefix.is_none_or(|p| name.starts_with(p)))
        .map(|(name, raw)| (name.clone(), raw))
        .collect();
    if cols.is_empty() {
        return Err(KdError::Data {
            path,
            row: None,
            column: prefix.map(|p| format!("{p}*")),
            msg: "no probability columns".into(),
        });
    }
    probability_matrix(&path, &cols, prefix.unwrap_or(""), renormalise, tolerance)
}

/// The class-name form used for matching labels to probability columns: trimmed, and integral
/// numbers written without a fractional part (`"2.0"` → `"2"`).
///
/// # Examples
///
/// ```
/// use kdistill::data::tabular::canonical_label;
/// assert_eq!(canonical_label(" 2.0 "), "2");
/// assert_eq!(canonical_label("1e2"), "100");
/// assert_eq!(canonical_label("setosa"), "setosa");
/// assert_eq!(canonical_label("0.5"), "0.5");
/// ```
pub fn canonical_label(s: &str) -> String {
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            return format!("{}", v as i64);
        }
    }
    t.to_string()
}

/// Build and validate a probability matrix from columns; class names are the column names without
/// `prefix`, canonicalised.
pub(super) fn probability_matrix(
    path: &Path,
    cols: &[(String, &RawColumn)],
    prefix: &str,
    renormalise: bool,
    tol: f32,
) -> Result<(Vec<String>, Array2<f32>)> {
    let col_list = cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ");
    if cols.len() < 2 {
        return Err(KdError::Data {
            path: path.to_path_buf(),
            row: None,
            column: Some(col_list),
            msg: "need at least 2 probability columns (one per class)".into(),
        });
    }
    let mut classes = Vec::new();
    for (name, _) in cols {
        let c = canonical_label(name.strip_prefix(prefix).unwrap_or(name));
        if c.is_empty() {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: None,
                column: Some(name.clone()),
                msg: format!("the column names no class{}: name each probability column after its class", if prefix.is_empty() { String::new() } else { format!(" after the prefix `{prefix}`") }),
            });
        }
        if classes.contains(&c) {
            return Err(KdError::Data { path: path.to_path_buf(), row: None, column: Some(name.clone()), msg: format!("class `{c}` appears twice") });
        }
        classes.push(c);
    }
    let n = cols[0].1.len();
    let mut p = Array2::<f32>::zeros((n, cols.len()));
    for (j, (name, raw)) in cols.iter().enumerate() {
        let v = numeric_values(path, name, raw, "probability")?;
        for (i, &x) in v.iter().enumerate() {
            if x < 0.0 {
                return Err(KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(name.clone()),
                    msg: format!("negative probability {x}"),
                });
            }
            p[[i, j]] = x as f32;
        }
    }
    for (i, mut row) in p.axis_iter_mut(Axis(0)).enumerate() {
        let s: f64 = row.iter().map(|&v| v as f64).sum();
        if renormalise {
            if s <= 0.0 {
                return Err(KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(col_list.clone()),
                    msg: "cannot renormalise a probability row that sums to 0".into(),
                });
            }
            row.mapv_inplace(|v| (v as f64 / s) as f32);
        } else if (s - 1.0).abs() > tol as f64 {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: Some(i + 1),
                column: Some(col_list.clone()),
                msg: format!("probabilities sum to {s:.6}, not 1 (tolerance {tol}; rescale the rows with `renormalise`)"),
            });
        }
    }
    Ok((classes, p))
}

/// Reorder probability columns named `have` into the order `want` (same set of names).
pub(super) fn reorder_columns(path: &Path, have: &[String], p: &Array2<f32>, want: &[String]) -> Result<Array2<f32>> {
    let mismatch = || KdError::Data {
        path: path.to_path_buf(),
        row: None,
        column: Some(have.join(", ")),
        msg: format!("probability columns name classes [{}] but the model's classes are [{}]", have.join(", "), want.join(", ")),
    };
    if have.len() != want.len() {
        return Err(mismatch());
    }
    let idx: Vec<usize> = want.iter().map(|w| have.iter().position(|h| h == w).ok_or_else(mismatch)).collect::<Result<_>>()?;
    Ok(p.select(Axis(1), &idx))
}
