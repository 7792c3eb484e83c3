//! `distill export`: a saved tree as ONNX, C, Python, SQL, rules or DOT.
use crate::cli::{ExportArgs, ExportFormat};
use kdistill::error::{KdError, Result};
use kdistill::student::tree::{export, TableTree};

pub(crate) fn cmd_export(a: &ExportArgs) -> Result<()> {
    let m = TableTree::load(&a.model)?;
    let (tree, features, classes) = (&m.tree, m.encoding.feature_names(), &m.classes);
    let bytes: Vec<u8> = match a.format {
        ExportFormat::Onnx => export::to_onnx(tree, &features, classes)?,
        ExportFormat::C => export::to_c(tree, &a.name, &features, classes)?.into_bytes(),
        ExportFormat::Python => export::to_python(tree, &features, classes)?.into_bytes(),
        ExportFormat::Sql => export::to_sql(tree, &a.table, &features, classes)?.into_bytes(),
        ExportFormat::Rules => export::to_text(tree, Some(&features), Some(classes))?.into_bytes(),
        ExportFormat::Dot => export::to_dot(tree, Some(&features), Some(classes))?.into_bytes(),
    };
    match &a.out {
        Some(path) => kdistill::io::atomic_write(path, &bytes),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).map_err(|e| KdError::io("<standard output>", e))
        }
    }
}
