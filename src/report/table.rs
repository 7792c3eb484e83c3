//! GitHub-flavoured markdown tables for the generated `README.md` reports.
//!
//! Cells are padded so the raw markdown lines up; `|` inside a cell is escaped and line breaks become
//! spaces. A column whose body cells are all numbers (optionally with a trailing `%`, or empty / `—`)
//! is right-aligned.
//!
//! ```
//! use kdistill::report::markdown_table;
//! let t = markdown_table(&["model", "test errors"], &[vec!["teacher".into(), "67".into()]])?;
//! assert_eq!(t, "| model   | test errors |\n|---------|------------:|\n| teacher |          67 |\n");
//! # Ok::<(), kdistill::KdError>(())
//! ```
use crate::error::{KdError, Result};

/// Render `headers` and `rows` as a markdown table (ending in a newline). Every row must have as many
/// cells as there are headers ([`KdError::Shape`] otherwise); no headers is [`KdError::Empty`].
///
/// # Examples
///
/// ```
/// use kdistill::report::markdown_table;
/// let rows = vec![vec!["tree | soft".to_string(), "98.5%".to_string()], vec!["MLP".to_string(), "—".to_string()]];
/// let t = markdown_table(&["model", "fidelity"], &rows).unwrap();
/// assert_eq!(t, "| model        | fidelity |\n|--------------|---------:|\n| tree \\| soft |    98.5% |\n| MLP          |        — |\n");
/// assert!(markdown_table(&["a", "b"], &[vec!["1".to_string()]]).is_err()); // ragged row
/// ```
pub fn markdown_table<S: AsRef<str>>(headers: &[S], rows: &[Vec<String>]) -> Result<String> {
    if headers.is_empty() {
        return Err(KdError::Empty("markdown table without columns".into()));
    }
    let n = headers.len();
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != n) {
        return Err(KdError::Shape(format!("markdown table row {i} has {} cells, header has {n}", r.len())));
    }
    let clean = |s: &str| s.replace('|', "\\|").replace(['\r', '\n'], " ");
    let head: Vec<String> = headers.iter().map(|h| clean(h.as_ref())).collect();
    let body: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| clean(c)).collect()).collect();
    let width = |j: usize| body.iter().map(|r| r[j].chars().count()).chain([head[j].chars().count(), 3]).max().unwrap_or(3);
    let numeric = |j: usize| !body.is_empty() && body.iter().all(|r| is_number(&r[j]));
    let widths: Vec<usize> = (0..n).map(width).collect();
    let right: Vec<bool> = (0..n).map(numeric).collect();
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let pad = " ".repeat(widths[j] - c.chars().count());
                if right[j] { format!("{pad}{c}") } else { format!("{c}{pad}") }
            })
            .collect();
        format!("| {} |\n", parts.join(" | "))
    };
    let mut out = line(&head);
    let rule: Vec<String> = (0..n).map(|j| if right[j] { format!("{}:", "-".repeat(widths[j] + 1)) } else { "-".repeat(widths[j] + 2) }).collect();
    out.push_str(&format!("|{}|\n", rule.join("|")));
    for r in &body {
        out.push_str(&line(r));
    }
    Ok(out)
}

/// A number, a percentage, or a blank/dash placeholder.
fn is_number(s: &str) -> bool {
    let t = s.trim();
    matches!(t, "" | "-" | "—") || t.strip_suffix('%').unwrap_or(t).trim().parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_numbers_right_and_escapes_pipes() {
        let t = markdown_table(&["a|b", "n"], &[vec!["x\ny".into(), "1.5%".into()], vec!["zz".into(), "—".into()]]).unwrap();
        assert_eq!(t, "| a\\|b |    n |\n|------|-----:|\n| x y  | 1.5% |\n| zz   |    — |\n");
    }

    #[test]
    fn rejects_ragged_rows_and_no_columns() {
        assert!(matches!(markdown_table(&["a", "b"], &[vec!["1".into()]]), Err(KdError::Shape(_))));
        assert!(matches!(markdown_table::<&str>(&[], &[]), Err(KdError::Empty(_))));
        // Header only: a valid table with no body rows, left-aligned.
        assert_eq!(markdown_table(&["a"], &[]).unwrap(), "| a   |\n|-----|\n");
    }
}
