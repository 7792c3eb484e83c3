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
        std::process::exit(1);
    }
}
