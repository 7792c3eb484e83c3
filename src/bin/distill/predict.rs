//! `distill predict`: a saved tree's probabilities for new rows.
use kdistill::data::tabular::TableReader;
use kdistill::io::{format_probabilities_csv, write_probabilities_csv};
use kdistill::error::Result;
use kdistill::student::tree::TableTree;
use crate::cli::PredictArgs;

pub(crate) fn cmd_predict(a: &PredictArgs) -> Result<()> {
    let m = TableTree::load(&a.model)?;
    let rows = TableReader::new(&a.data).encoding(m.encoding.clone()).classes(m.classes.clone()).read()?;
    let p = m.predict_proba(rows.x.view())?;
    match &a.out {
        Some(path) => write_probabilities_csv(path, &m.classes, p.view(), Some("predicted")),
        None => {
            print!("{}", format_probabilities_csv(&m.classes, p.view(), Some("predicted"))?);
            Ok(())
        }
    }
}
