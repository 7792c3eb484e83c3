//! The crate's one error type. Every fallible public function returns [`Result`].
//!
//! Messages name what is wrong and where (file, row, column) so a user can fix their input without
//! reading the source.
use std::path::PathBuf;

/// Everything that can go wrong in `kdistill`.
///
/// Rows and columns are **1-based** in every variant and message (the first row is row 1; in a table
/// file, the first data row below the header), so an error reads the way a spreadsheet does. Build the
/// array variants with [`KdError::non_finite`], [`KdError::probabilities`] and
/// [`KdError::unknown_class`], which take 0-based indices.
///
/// # Examples
///
/// ```
/// use kdistill::KdError;
/// let e = KdError::Data { path: "train.csv".into(), row: Some(3), column: Some("x1".into()), msg: "not a number: `abc`".into() };
/// assert_eq!(e.to_string(), "train.csv, row 3, column `x1`: not a number: `abc`");
/// let e = kdistill::soft::softmax_t(ndarray::array![[0.0f32, 1.0]].view(), 0.0).unwrap_err();
/// assert!(matches!(e, KdError::InvalidParam { name: "temperature", .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KdError {
    /// A hyper-parameter is out of its valid range (caught at `fit`, never by a panic).
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParam { name: &'static str, value: String, reason: String },

    /// Arrays whose shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),

    /// Empty input where data is required.
    #[error("empty input: {0}")]
    Empty(String),

    /// A NaN or infinite value in numeric input (1-based row and column).
    #[error("non-finite value ({value}) in {what} at row {row}, column {col}")]
    NonFinite { what: String, row: usize, col: usize, value: f32 },

    /// A probability matrix that is not a probability matrix (1-based row).
    #[error("invalid probabilities in {what} at row {row}: {reason}")]
    Probabilities { what: String, row: usize, reason: String },

    /// A class label outside `0..n_classes` or not among known class names (1-based row).
    #[error("unknown class {label} at row {row} (known classes: {known})")]
    UnknownClass { label: String, row: usize, known: String },

    /// Bad content in a data file, located as precisely as possible.
    #[error("{}: {msg}", location(path, *row, column.as_deref()))]
    Data { path: PathBuf, row: Option<usize>, column: Option<String>, msg: String },

    /// A malformed IDX (MNIST-layout) file.
    #[error("{path}: invalid IDX file: {msg}")]
    Idx { path: PathBuf, msg: String },

    /// A saved model that cannot be loaded.
    #[error("{path}: cannot load model: {msg}")]
    Model { path: PathBuf, msg: String },

    /// Filesystem trouble, with the path involved.
    #[error("{path}: {source}")]
    Io { path: PathBuf, #[source] source: std::io::Error },

    /// An error from libtorch.
    #[error("libtorch: {0}")]
    #[cfg(feature = "torch")]
    Torch(#[from] tch::TchError),

    /// JSON (de)serialisation.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),

    /// A learner from another crate (smartcore, linfa) failed, or training diverged.
    #[error("{backend}: {msg}")]
    Backend { backend: String, msg: String },

    /// Drawing a report failed.
    #[error("plot {path}: {msg}")]
    Plot { path: PathBuf, msg: String },

    /// Asked for something this build of kdistill left out (a Cargo feature, e.g. `torch`).
    #[error("{what} needs kdistill's `{feature}` feature, which this build was compiled without: build it with default features (or `--features {feature}`)")]
    FeatureDisabled { what: String, feature: &'static str },
}

fn location(path: &std::path::Path, row: Option<usize>, column: Option<&str>) -> String {
    let mut s = path.display().to_string();
    if let Some(r) = row {
        s.push_str(&format!(", row {r}"));
    }
    if let Some(c) = column {
        s.push_str(&format!(", column `{c}`"));
    }
    s
}

impl KdError {
    /// Shorthand for [`KdError::InvalidParam`].
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::KdError;
    /// let e = KdError::param("max_depth", 0, "must be ≥ 1");
    /// assert_eq!(e.to_string(), "invalid parameter `max_depth` = 0: must be ≥ 1");
    /// ```
    pub fn param(name: &'static str, value: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        KdError::InvalidParam { name, value: value.to_string(), reason: reason.into() }
    }
    /// [`KdError::NonFinite`] at the 0-based cell `(row, col)`; the error holds and prints it 1-based.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = kdistill::KdError::non_finite("features", 0, 2, f32::NAN);
    /// assert_eq!(e.to_string(), "non-finite value (NaN) in features at row 1, column 3");
    /// ```
    pub fn non_finite(what: impl Into<String>, row: usize, col: usize, value: f32) -> Self {
        KdError::NonFinite { what: what.into(), row: row + 1, col: col + 1, value }
    }
    /// [`KdError::Probabilities`] at the 0-based `row`; the error holds and prints it 1-based.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = kdistill::KdError::probabilities("targets", 4, "row sums to 1.2, not 1");
    /// assert_eq!(e.to_string(), "invalid probabilities in targets at row 5: row sums to 1.2, not 1");
    /// ```
    pub fn probabilities(what: impl Into<String>, row: usize, reason: impl Into<String>) -> Self {
        KdError::Probabilities { what: what.into(), row: row + 1, reason: reason.into() }
    }
    /// [`KdError::UnknownClass`] at the 0-based `row`; the error holds and prints it 1-based.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = kdistill::KdError::unknown_class(7, 0, "0..3");
    /// assert_eq!(e.to_string(), "unknown class 7 at row 1 (known classes: 0..3)");
    /// ```
    pub fn unknown_class(label: impl std::fmt::Display, row: usize, known: impl Into<String>) -> Self {
        KdError::UnknownClass { label: label.to_string(), row: row + 1, known: known.into() }
    }
    /// [`KdError::Backend`]: `backend` (e.g. "smartcore DecisionTreeRegressor") failed with `msg`.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = kdistill::KdError::backend("linfa-trees", "no samples");
    /// assert_eq!(e.to_string(), "linfa-trees: no samples");
    /// ```
    pub fn backend(backend: impl Into<String>, msg: impl std::fmt::Display) -> Self {
        KdError::Backend { backend: backend.into(), msg: msg.to_string() }
    }
    /// Shorthand for [`KdError::Io`].
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::KdError;
    /// let e = KdError::io("missing.csv", std::io::Error::from(std::io::ErrorKind::NotFound));
    /// assert!(e.to_string().starts_with("missing.csv: "));
    /// ```
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        KdError::Io { path: path.into(), source }
    }
}

/// `Result` with [`KdError`].
///
/// # Examples
///
/// ```
/// fn half(n: usize) -> kdistill::Result<usize> {
///     if n % 2 == 1 {
///         return Err(kdistill::KdError::param("n", n, "must be even"));
///     }
///     Ok(n / 2)
/// }
/// assert_eq!(half(4).unwrap(), 2);
/// assert!(half(3).is_err());
/// ```
pub type Result<T, E = KdError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn data_error_names_file_row_and_column() {
        let e = KdError::Data { path: "a.csv".into(), row: Some(3), column: Some("x1".into()), msg: "not a number: `abc`".into() };
        assert_eq!(e.to_string(), "a.csv, row 3, column `x1`: not a number: `abc`");
    }
}
