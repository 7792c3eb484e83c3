//! Reading a CSV or Parquet file with polars into raw columns, and turning raw columns into numbers
//! or strings with errors that name the file, the 1-based row and the column.
use crate::error::{KdError, Result};
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A column as read, still held by polars (no copy): numbers as `f64` (Parquet numeric and boolean
/// columns, cast when read) or strings (CSV, Parquet strings); a null is a missing value. Values are
/// converted one column at a time by [`numeric_values`] and [`string_values`], so reading a table
/// never holds a second copy of all of it.
#[derive(Debug, Clone)]
pub(crate) enum RawColumn {
    /// A numeric or boolean column in its own type (cast to `f64` one column at a time when read).
    Num(Column),
    Str(StringChunked),
    /// A Parquet column not read yet: only the columns that are used are read, one at a time, so a
    /// table is never held whole beside the feature matrix.
    Lazy { path: PathBuf, name: String, numeric: bool, len: usize },
}

impl RawColumn {
    pub(crate) fn len(&self) -> usize {
        match self {
            RawColumn::Num(v) => v.len(),
            RawColumn::Str(v) => v.len(),
            RawColumn::Lazy { len, .. } => *len,
        }
    }
    /// Whether the column holds numbers (known without reading it).
    pub(crate) fn is_numeric(&self) -> bool {
        matches!(self, RawColumn::Num(_) | RawColumn::Lazy { numeric: true, .. })
    }
    /// The column's values, read from the file when still [`RawColumn::Lazy`].
    pub(crate) fn load(&self) -> Result<std::borrow::Cow<'_, RawColumn>> {
        let RawColumn::Lazy { path, name, numeric, .. } = self else { return Ok(std::borrow::Cow::Borrowed(self)) };
        let f = std::fs::File::open(path).map_err(|e| KdError::io(path, e))?;
        let df = ParquetReader::new(f).with_columns(Some(vec![name.clone()])).finish().map_err(|e| polars_err(path, e))?;
        let c = df.column(name).map_err(|e| polars_err(path, e))?;
        Ok(std::borrow::Cow::Owned(if *numeric { RawColumn::Num(c.clone()) } else { RawColumn::Str(c.str().map_err(|e| polars_err(path, e))?.clone()) }))
    }
    /// The cells as text (`None`: missing); numbers formatted.
    pub(crate) fn texts(&self, path: &Path) -> Result<Vec<Option<String>>> {
        Ok(match self.load()?.as_ref() {
            RawColumn::Num(c) => as_f64(path, c)?.into_iter().map(|x| x.map(|x| format!("{x}"))).collect(),
            RawColumn::Str(v) => v.into_iter().map(|s| s.map(str::to_string)).collect(),
            RawColumn::Lazy { .. } => unreachable!("loaded"),
        })
    }
}


/// A numeric column as `f64` (a copy of one column).
fn as_f64(path: &Path, c: &Column) -> Result<Float64Chunked> {
    let f = c.cast(&DataType::Float64).map_err(|e| polars_err(path, e))?;
    Ok(f.f64().map_err(|e| polars_err(path, e))?.clone())
}

pub(crate) struct Frame {
    pub(crate) height: usize,
    pub(crate) columns: Vec<(String, RawColumn)>,
}

impl Frame {
    /// Column `j`, leaving an empty column in its place (read each feature column once).
    pub(crate) fn take(&mut self, j: usize) -> RawColumn {
        std::mem::replace(&mut self.columns[j].1, RawColumn::Str(StringChunked::full_null("".into(), 0)))
    }
}

pub(crate) fn is_parquet(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(), Some("parquet" | "pq"))
}

pub(crate) fn polars_err(path: &Path, e: PolarsError) -> KdError {
    KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: format!("cannot read table: {e}") }
}

pub(crate) fn read_frame(path: &Path) -> Result<Frame> {
    let meta = std::fs::metadata(path).map_err(|e| KdError::io(path, e))?;
    let empty = || KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "file is empty".into() };
    if meta.len() == 0 {
        return Err(empty());
    }
    let parquet = is_parquet(path);
    if parquet {
        return parquet_frame(path);
    }
    let (df, trailing_blank) = {
        if is_blank(path)? {
            return Err(empty());
        }
        // polars renames a repeated header name (`x1_duplicated_0`) and names an empty one itself:
        // the header is checked as written, before polars sees it.
        check_header(path, &csv_header(path)?)?;
        // Every column as a string: we parse numbers ourselves to name the offending row and column.
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| polars_err(path, e))?;
        (df, trailing_blank_lines(path)?)
    };
    if df.width() == 0 {
        return Err(empty());
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
            RawColumn::Str(c.str().map_err(|e| polars_err(path, e))?.clone())
        } else if dt.is_primitive_numeric() || dt == DataType::Boolean {
            RawColumn::Num(c.clone())
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
    let mut height = df.height();
    drop(df);
    // Blank lines: those at the end of a CSV file are dropped (polars reads each as a row of missing
    // values); a row with every cell missing anywhere else is named.
    let mut blank = vec![true; height];
    for (_, raw) in &columns {
        match raw {
            RawColumn::Num(c) if c.null_count() == 0 => blank.iter_mut().for_each(|b| *b = false),
            RawColumn::Num(c) => c.is_null().into_iter().zip(blank.iter_mut()).for_each(|(null, b)| *b &= null == Some(true)),
            RawColumn::Str(v) => v.into_iter().zip(blank.iter_mut()).for_each(|(s, b)| *b &= s.is_none_or(|s| s.trim().is_empty())),
            RawColumn::Lazy { .. } => unreachable!("CSV columns are read"),
        }
    }
    let mut dropped = 0;
    while dropped < trailing_blank && height > 0 && blank[height - 1] {
        height -= 1;
        dropped += 1;
    }
    if dropped > 0 {
        for (_, raw) in &mut columns {
            match raw {
                RawColumn::Num(c) => *c = c.slice(0, height),
                RawColumn::Str(v) => *v = v.slice(0, height),
                RawColumn::Lazy { .. } => unreachable!("CSV columns are read"),
            }
        }
    }
    if height == 0 {
        return Err(KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "no data rows (only a header)".into() });
    }
    if let Some(i) = (0..height).find(|&i| blank[i]) {
        return Err(KdError::Data {
            path: path.to_path_buf(),
            row: Some(i + 1),
            column: None,
            msg: "the row is empty (a blank line, or only separators): remove it".into(),
        });
    }
    Ok(Frame { height, columns })
}

/// A Parquet file's columns, unread: the names and types from the first row, the height from the
/// metadata. Parquet has no blank lines, so no row is checked for being empty here.
fn parquet_frame(path: &Path) -> Result<Frame> {
    let open = || std::fs::File::open(path).map_err(|e| KdError::io(path, e));
    let height = ParquetReader::new(open()?).num_rows().map_err(|e| polars_err(path, e))?;
    let head = ParquetReader::new(open()?).with_slice(Some((0, 1))).finish().map_err(|e| polars_err(path, e))?;
    if head.width() == 0 {
        return Err(KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "file is empty".into() });
    }
    let names: Vec<String> = head.get_column_names().iter().map(|n| n.to_string()).collect();
    check_header(path, &names)?;
    if height == 0 {
        return Err(KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "no data rows (only a header)".into() });
    }
    let mut columns = Vec::with_capacity(names.len());
    for c in head.columns() {
        let dt = c.dtype();
        let numeric = if dt == &DataType::String {
            false
        } else if dt.is_primitive_numeric() || dt == &DataType::Boolean {
            true
        } else {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: None,
                column: Some(c.name().to_string()),
                msg: format!("unsupported column type {dt} (use numbers or strings)"),
            });
        };
        let name = c.name().to_string();
        columns.push((name.clone(), RawColumn::Lazy { path: path.to_path_buf(), name, numeric, len: height }));
    }
    Ok(Frame { height, columns })
}

/// Whether the file holds only whitespace (read in blocks until the first other byte).
fn is_blank(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| KdError::io(path, e))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| KdError::io(path, e))?;
        if n == 0 {
            return Ok(true);
        }
        if !buf[..n].iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(false);
        }
    }
}

/// The names in a CSV file's first record, as written (RFC 4180 quoting; a UTF-8 byte-order mark and
/// a trailing `\r` are removed). Reads only as far as the end of that record.
fn csv_header(path: &Path) -> Result<Vec<String>> {
    use std::io::{BufRead, BufReader};
    let f = std::fs::File::open(path).map_err(|e| KdError::io(path, e))?;
    let mut r = BufReader::new(f);
    let mut bytes = Vec::new();
    let mut in_quotes = false;
    loop {
        let before = bytes.len();
        let n = r.read_until(b'\n', &mut bytes).map_err(|e| KdError::io(path, e))?;
        if n == 0 {
            break;
        }
        in_quotes ^= bytes[before..].iter().filter(|&&b| b == b'"').count() % 2 == 1;
        if !in_quotes {
            break;
        }
        if bytes.len() > 64 << 20 {
            return Err(KdError::Data { path: path.to_path_buf(), row: None, column: None, msg: "the header has an unclosed quote".into() });
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut names = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => names.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    names.push(field);
    Ok(names)
}

/// Header names must be non-empty and distinct; the errors say how to fix the file (a nameless first
/// column is what pandas' `to_csv()` writes for the index).
fn check_header(path: &Path, names: &[String]) -> Result<()> {
    let err = |column: Option<String>, msg: String| KdError::Data { path: path.to_path_buf(), row: None, column, msg };
    for (j, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            let msg = if j == 0 && names.len() > 1 {
                "the first column has no name: this is how pandas writes its index with `to_csv()`; write the file with `df.to_csv(path, index=False)`, or give the column a name and ignore it".to_string()
            } else {
                format!("column {} has no name in the header: give every column a name", j + 1)
            };
            return Err(err(None, msg));
        }
    }
    let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        if let Some(i) = first.insert(name.as_str(), j) {
            return Err(err(Some(name.clone()), format!("the name appears twice in the header (columns {} and {}): rename one", i + 1, j + 1)));
        }
    }
    Ok(())
}

/// How many lines at the end of the file are empty or whitespace only (read from the last 64 KiB).
fn trailing_blank_lines(path: &Path) -> Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| KdError::io(path, e))?;
    let len = f.metadata().map_err(|e| KdError::io(path, e))?.len();
    let take = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - take)).map_err(|e| KdError::io(path, e))?;
    let mut tail = Vec::with_capacity(take as usize);
    f.read_to_end(&mut tail).map_err(|e| KdError::io(path, e))?;
    // Lines after the last byte that is not whitespace; the final newline ends the last data line.
    let Some(last) = tail.iter().rposition(|b| !b.is_ascii_whitespace()) else { return Ok(0) };
    let newlines = tail[last..].iter().filter(|&&b| b == b'\n').count();
    Ok(newlines.saturating_sub(1))
}

pub(crate) fn missing(path: &Path, column: &str, row: usize, what: &str) -> KdError {
    KdError::Data { path: path.to_path_buf(), row: Some(row + 1), column: Some(column.to_string()), msg: format!("missing {what} value") }
}

/// Numbers of a column; missing, non-numeric and non-finite values are errors.
pub(crate) fn numeric_values(path: &Path, column: &str, raw: &RawColumn, what: &str) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(raw.len());
    let raw = raw.load()?;
    match raw.as_ref() {
        RawColumn::Num(c) => {
            let v = as_f64(path, c)?;
            if v.null_count() == 0 {
                out.extend(v.into_no_null_iter());
            } else {
                for (i, x) in v.into_iter().enumerate() {
                    out.push(x.ok_or_else(|| missing(path, column, i, what))?);
                }
            }
        }
        RawColumn::Str(v) => {
            for (i, s) in v.into_iter().enumerate() {
                let s = s.ok_or_else(|| missing(path, column, i, what))?;
                let x = s.trim().parse::<f64>().map_err(|_| KdError::Data {
                    path: path.to_path_buf(),
                    row: Some(i + 1),
                    column: Some(column.to_string()),
                    msg: format!("non-numeric {what} value `{s}`"),
                })?;
                out.push(x);
            }
        }
        RawColumn::Lazy { .. } => unreachable!("loaded"),
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
        if x.abs() > f32::MAX as f64 {
            return Err(KdError::Data {
                path: path.to_path_buf(),
                row: Some(i + 1),
                column: Some(column.to_string()),
                msg: format!("{what} value {x:e} is beyond the 32-bit float range (±3.4e38) that models are trained in: rescale the column"),
            });
        }
    }
    Ok(out)
}

/// Values of a column as strings (numbers formatted); missing values are errors.
pub(crate) fn string_values(path: &Path, column: &str, raw: &RawColumn) -> Result<Vec<String>> {
    raw.texts(path)?.into_iter().enumerate().map(|(i, s)| s.map(|s| s.trim().to_string()).ok_or_else(|| missing(path, column, i, ""))).collect()
}
