//! Probabilities written as CSV: class names as the header, optionally a column of predicted classes
//! (what `distill predict` and `distill teacher` write, and what [`crate::data::tabular::read_probability_file`]
//! reads back exactly).
use crate::error::{KdError, Result};
use ndarray::{ArrayView2, Axis};
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
/// use kdistill::{data::tabular::read_probability_file, io::write_probabilities_csv};
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
