//! `distill`: distil any classifier's probabilities on a table into a small, readable decision tree.
//!
//! Run `distill --help` (and `distill tree --help`, …) for the full guide.

mod cli;
mod export;
mod predict;
mod teacher;
mod teacher_model;
mod tree;

use clap::Parser;
use cli::{Cli, Command};
use export::cmd_export;
use predict::cmd_predict;
use teacher::cmd_teacher;
use tree::cmd_tree;

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tree(a) => cmd_tree(&a),
        Command::Teacher(a) => cmd_teacher(&a),
        Command::Predict(a) => cmd_predict(&a),
        Command::Export(a) => cmd_export(&a),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        if let Some(h) = hint(&e) {
            eprintln!("hint: {h}");
        }
        std::process::exit(1);
    }
}

/// The command-line flag for a fix that a library error names by its library option.
fn hint(e: &kdistill::KdError) -> Option<String> {
    let kdistill::KdError::Data { msg, column, .. } = e else { return None };
    if msg.contains("`Categorical::OneHot`") {
        let ignore = column.as_deref().map(|c| format!(" or leave it out with --ignore {c}")).unwrap_or_default();
        Some(format!("one-hot encode categorical columns with --one-hot{ignore}"))
    } else if msg.contains("`renormalise`") {
        Some("pass --renormalise to rescale each probability row to sum to 1".into())
    } else {
        None
    }
}
