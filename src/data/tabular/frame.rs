//! Reading a CSV or Parquet file with polars into raw columns, and turning raw columns into numbers
//! or strings with errors that name the file, the 1-based row and the column.
use crate::error::{KdError, Result};
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

/// A column as read: numbers (Parquet numeric) or strings (CSV, Parquet strings); `None` = missing.
#[derive(Debug)]
pub(super) enum RawColumn {
    Num(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
}

pub(super) struct Frame {
    pub(super) height: usize,
    pub(super) columns: Vec<(String, RawColumn)>,
}

pub(super) fn is_parquet(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(), Some("parquet" | "pq"))
}

pub(super) fn polars_err(path: &Path, e: PolarsError) -> KdError {
    KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: format!("cannot read table: {e}") }
}

pub(super) fn read_frame(path: &Path) -> Result<Frame> {
    let meta = std::fs::metadata(path).map_err(|e| KdError::io(path, e))?;
    let empty = || KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "file is empty".into() };
    if meta.len() == 0 {
        return Err(empty());
    }
    let df = if is_parquet(path) {
        let f = std::fs::File::open(path).map_err(|e| KdError::io(path, e))?;
        ParquetReader::new(f).finish().map_err(|e| polars_err(path, e))?
    } else {
        let text = std::fs::read(path).map_err(|e| KdError::io(path, e))?;
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(empty());
        }
        // Every column as a string: we parse numbers ourselves to name the offending row and column.
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| polars_err(path, e))?
    };
    if df.width() == 0 {
        return Err(empty());
    }
    if df.height() == 0 {
        return Err(KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "no data rows (only a header)".into() });
    }
    let mut seen = BTreeSet::new();
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        let name = c.name().to_string();
        if !seen.insert(name.clone()) {
            return Err(KdError::Data { path: path.to_path_buf(), row: None, column: Some(name), msg: "duplicate column name".into() });
        }
        let dt = c.dtype().clone();
        let raw = if dt == DataType::String {
            RawColumn::Str(c.str().map_err(|e| polars_err(path, e))?.into_iter().map(|v| v.map(str::to_string)).collect())
        } else if dt.is_primitive_numeric() || dt == DataType::Boolean {
            let f = c.cast(&DataType::Float64).map_err(|e| polars_err(path, e))?;
            RawColumn::Num(f.f64().map_err(|e| polars_err(path, e))?.into_iter().collect())
        } else {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: None,
                column: Some(name),
                msg: format!("unsupported column type {dt} (use numbers or strings)"),
            });
        };
        columns.push((name, raw));
    }
    Ok(Frame { height: df.height(), columns })
}

pub(super) fn missing(path: &Path, column: &str, row: usize, what: &str) -> KdError {
    KdError::Data { path: path.to_path_buf(), row: Some(row + 1), column: Some(column.to_string()), msg: format!("missing {what} value") }
}

/// Numbers of a column; missing, non-numeric and non-finite values are errors.
pub(super) fn numeric_values(path: &Path, column: &str, raw: &RawColumn, what: &str) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    match raw {
        RawColumn::Num(v) => {
            for (i, x) in v.iter().enumerate() {
                out.push(x.ok_or_else(|| missing(path, column, i, what))?);
            }
        }
        RawColumn::Str(v) => {
            for (i, s) in v.iter().enumerate() {
                let s = s.as_deref().ok_or_else(|| missing(path, column, i, what))?;
                let x = s.trim().parse::<f64>().map_err(|_| KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(column.to_string()),
                    msg: format!("non-numeric {what} value `{s}`"),
                })?;
                out.push(x);
            }
        }
    }
    for (i, x) in out.iter().enumerate() {
        if !x.is_finite() {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: Some(i + 1),
                column: Some(column.to_string()),
                msg: format!("non-finite {what} value {x}"),
            });
        }
    }
    Ok(out)
}

/// Values of a column as strings (numbers formatted); missing values are errors.
pub(super) fn string_values(path: &Path, column: &str, raw: &RawColumn) -> Result<Vec<String>> {
    match raw {
        RawColumn::Num(v) => v
            .iter()
            .enumerate()
            .map(|(i, x)| x.map(|x| format!("{x}")).ok_or_else(|| missing(path, column, i, "")))
            .collect(),
        RawColumn::Str(v) => v
            .iter()
            .enumerate()
            .map(|(i, s)| s.as_ref().map(|s| s.trim().to_string()).ok_or_else(|| missing(path, column, i, "")))
            .collect(),
    }
}
