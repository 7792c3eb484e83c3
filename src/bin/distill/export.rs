//! `distill export`: a saved tree as C, Python, SQL, rules or DOT.
use crate::cli::{ExportArgs, ExportFormat};
use kdistill::error::Result;
use kdistill::student::tree::{export, TableTree};

pub(crate) fn cmd_export(a: &ExportArgs) -> Result<()> {
    let m = TableTree::load(&a.model)?;
    let features = m.encoding.feature_names();
    let text = match a.format {
        ExportFormat::C => export::to_c(&m.tree, &a.name, &features, &m.classes)?,
        ExportFormat::Python => export::to_python(&m.tree, &features, &m.classes)?,
        ExportFormat::Sql => export::to_sql(&m.tree, &a.table, &features, &m.classes)?,
        ExportFormat::Rules => export::to_text(&m.tree, Some(&features), Some(&m.classes))?,
        ExportFormat::Dot => export::to_dot(&m.tree, Some(&features), Some(&m.classes))?,
    };
    match &a.out {
        Some(path) => kdistill::io::atomic_write(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
