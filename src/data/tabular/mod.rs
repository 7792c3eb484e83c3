//! Tables of rows from CSV or Parquet files (read with polars), turned into the crate's arrays.
//!
//! A [`TableReader`] reads one file and returns a [`Table`]: the features as an `n × d` `Array2<f32>`,
//! their names, and optionally
//!
//! * **labels** from a target column (strings or integers, mapped to class names), and
//! * **teacher probabilities** (`n × K`), either from the columns of the same file whose names start
//!   with a prefix (`p_setosa, p_versicolor, …` with prefix `p_`), or from a separate file aligned by row
//!   whose header names the classes (one column per class, any order).
//!
//! # Classes
//! The class list (and so the column order of every probability matrix in the crate) is, in this order
//! of precedence: the list given with [`TableReader::classes`] (a model's classes when reading test or
//! prediction rows); else the probability columns in file order; else the distinct label values, sorted
//! numerically when they are all integers, else lexicographically. Label values are matched to class
//! names after trimming, with integral numbers written canonically (`"1.0"` and `"1"` are the class
//! `1`), so integer labels match probability headers such as `p_0, p_1`.
//!
//! # Features
//! Every column that is not the target, not a probability column and not [ignored](TableReader::ignore)
//! is a feature. Numbers are parsed as `f64` and stored as `f32`. A feature column whose values are all
//! non-numeric strings is **categorical**: by default it is refused with an error naming the column and
//! suggesting the fix; with [`Categorical::OneHot`] it is one-hot encoded into one 0/1 column per
//! category (sorted), named `column=category`. A column mixing numbers and other strings is never
//! treated as categorical: the first non-numeric value is an error (it is most likely a typo). The
//! resulting [`Encoding`] is serialisable and is reused to read test or prediction rows
//! ([`TableReader::encoding`]), where an unseen category is an error.
//!
//! # Validation
//! Every problem is a [`KdError::Data`] naming the file, the row and the column. **Rows are numbered
//! from 1 over data rows, the header excluded** (row 1 is the second line of a CSV file).
//! Refused: an empty file or a header without rows; a missing target, feature or probability column;
//! a missing (empty) cell; a non-numeric feature value; NaN or ±inf; a negative probability; a
//! probability row whose sum differs from 1 by more than the tolerance
//! ([`crate::base::PROB_SUM_TOLERANCE`] = 1e-3 by default; rows are rescaled to sum to 1 only with
//! [`TableReader::renormalise`]); a probability file whose row count differs from the data file's; a
//! label that is not among the probability columns; fewer than two classes when the classes are
//! inferred from the file.
//!
//! ```
//! use kdistill::data::tabular::TableReader;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("t.csv");
//! std::fs::write(&path, "x1,x2,label,p_a,p_b\n0.5,1,a,0.9,0.1\n2,3.5,b,0.2,0.8\n").unwrap();
//! let t = TableReader::new(&path).target("label").prob_prefix("p_").read().unwrap();
//! assert_eq!(t.feature_names, ["x1", "x2"]);
//! assert_eq!(t.classes, ["a", "b"]);
//! assert_eq!(t.labels.as_ref().unwrap().to_vec(), vec![0, 1]);
//! assert_eq!(t.probs.as_ref().unwrap()[[1, 1]], 0.8);
//! ```

mod encoding;
mod reader;
mod standardise;
mod table;
#[cfg(test)]
mod tests;

pub use encoding::{Categorical, ColumnEncoding, EncodedColumn, Encoding};
pub use reader::TableReader;
pub use standardise::Standardiser;
pub use table::Table;

use encoding::infer_encoding;
use crate::base::canonical_label;
use crate::io::frame::{missing, numeric_values, read_frame, string_values, RawColumn};
use crate::io::{probability_matrix, read_probability_file, reorder_columns};
