//! Two moons, a neural teacher, and hard-label vs soft-label trees and MLPs.
//!
//! ```text
//! scripts/cargo run --release --example boundary            # 5 seeds, reports/boundary/
//! scripts/cargo run --release --example boundary -- --help
//! ```
use clap::Parser;
use kdistill::experiments::boundary::{self, BoundaryConfig};
use kdistill::neural::DeviceChoice;
use std::path::PathBuf;

/// Distil a moons teacher into trees and a tiny MLP; draw every decision boundary.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Seeds (one full run each; means and spread are reported).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4")]
    seeds: Vec<u64>,
    /// Where the PNGs, metrics.json and README.md go.
    #[arg(long, default_value = "reports/boundary")]
    out: PathBuf,
    /// auto (GPU when libtorch sees one), cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Number of moons points.
    #[arg(long, default_value_t = 3000)]
    n_samples: usize,
    /// Moons noise.
    #[arg(long, default_value_t = 0.3)]
    noise: f32,
    /// Leaf limit of the compact trees.
    #[arg(long, default_value_t = 256)]
    compact_leaves: usize,
    /// Hide progress bars.
    #[arg(long)]
    quiet: bool,
}

fn main() {
    let a = Args::parse();
    let mut cfg = BoundaryConfig { seeds: a.seeds, n_samples: a.n_samples, noise: a.noise, device: a.device, progress: !a.quiet, ..Default::default() };
    cfg.compact_tree = cfg.compact_tree.max_leaves(Some(a.compact_leaves));
    if let Err(e) = run(&cfg, &a.out) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(cfg: &BoundaryConfig, out: &std::path::Path) -> kdistill::Result<()> {
    let r = boundary::run(cfg)?;
    println!("device: {}", r.device);
    boundary::write_reports(&r, out)?;
    println!("{}", boundary::summary_table(&r));
    println!("wall time: {:.1} s for {} seeds", r.wall_seconds, r.per_seed.len());
    for (claim, holds) in boundary::claims(&r) {
        println!("  [{}] {claim}", if holds { "ok" } else { "FAILED" });
    }
    println!("reports: {}", out.display());
    Ok(())
}
