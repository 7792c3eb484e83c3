//! Teacher-probability files: one column per class, the class names in the header, one row per
//! example. Reading ([`read_probability_file`]; also what [`crate::data::tabular::TableReader`] uses for
//! probability columns) checks every row: no missing or negative value, a sum of 1 within the tolerance
//! (or rescaled on request). Writing ([`write_probabilities_csv`], what `distill predict` and
//! `distill teacher` write) round-trips exactly.
use super::frame::{numeric_values, read_frame, RawColumn};
use crate::base::canonical_label;
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2, Axis};
use std::path::Path;

/// Format an `n × K` probability matrix as CSV text with the class names as header, optionally preceded
/// by a column of predicted class names (the argmax) named `predicted_column`.
///
/// # Examples
///
/// ```
/// use kdistill::io::format_probabilities_csv;
/// let classes = vec!["no".to_string(), "yes, really".to_string()];
/// let csv = format_probabilities_csv(&classes, ndarray::array![[0.25f32, 0.75]].view(), Some("predicted")).unwrap();
/// assert_eq!(csv, "predicted,no,\"yes, really\"\n\"yes, really\",0.25,0.75\n");
/// ```
pub fn format_probabilities_csv(classes: &[String], p: ArrayView2<f32>, predicted_column: Option<&str>) -> Result<String> {
    use std::fmt::Write as _;
    if classes.len() != p.ncols() {
        return Err(KdError::Shape(format!("{} class names for {} probability columns", classes.len(), p.ncols())));
    }
    let pred = crate::base::argmax_rows(p);
    let mut header: Vec<String> = Vec::new();
    if let Some(c) = predicted_column {
        header.push(csv_field(c));
    }
    header.extend(classes.iter().map(|c| csv_field(c)));
    let mut out = header.join(",");
    out.push('\n');
    for (i, row) in p.axis_iter(Axis(0)).enumerate() {
        if predicted_column.is_some() {
            let _ = write!(out, "{},", csv_field(&classes[pred[i]]));
        }
        let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// [`format_probabilities_csv`] written atomically to `path`.
///
/// # Examples
///
/// ```
/// use kdistill::io::{read_probability_file, write_probabilities_csv};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("probs.csv");
/// let p = ndarray::array![[0.1f32, 0.9], [0.6, 0.4]];
/// write_probabilities_csv(&path, &["a".into(), "b".into()], p.view(), None).unwrap();
/// assert_eq!(read_probability_file(&path, None, false, 1e-3).unwrap().1, p); // exact round trip
/// ```
pub fn write_probabilities_csv(
    path: impl AsRef<Path>,
    classes: &[String],
    p: ArrayView2<f32>,
    predicted_column: Option<&str>,
) -> Result<()> {
    super::atomic_write(path, format_probabilities_csv(classes, p, predicted_column)?.as_bytes())
}

/// Quote a CSV field when it needs it.
///
/// # Examples
///
/// ```
/// use kdistill::io::csv_field;
/// assert_eq!(csv_field("plain"), "plain");
/// assert_eq!(csv_field("a,b"), "\"a,b\"");
/// assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
/// ```
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Read a probability file on its own: every column (or those starting with `prefix`, which is then
/// stripped) is a class. Returns the class names in file order and the validated `n × K` matrix.
///
/// # Examples
///
/// ```
/// use kdistill::io::read_probability_file;
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

/// Build and validate a probability matrix from columns; class names are the column names without
/// `prefix`, canonicalised.
pub(crate) fn probability_matrix(
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
pub(crate) fn reorder_columns(path: &Path, have: &[String], p: &Array2<f32>, want: &[String]) -> Result<Array2<f32>> {
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
