//! MNIST distillation (Hinton et al. 2015, §3), then small students, soft decision trees and CART trees
//! on labels against distilled from the teacher, each chosen on a validation split; the omitted-3
//! experiment; reports in `reports/mnist/`.
//!
//! ```text
//! scripts/cargo run --release --example mnist -- --quick   # a few minutes on a 2-core CPU
//! scripts/cargo run --release --example mnist -- --full    # all 60 000 images, meant for a GPU (default there)
//! scripts/cargo run --release --example mnist -- --help
//! ```
use clap::Parser;
use kdistill::experiments::mnist::{self, MnistConfig, Mode, TeacherKind};
use kdistill::neural::DeviceChoice;
use std::path::PathBuf;

/// Distil an MNIST teacher into 2×800, 30×30 and 10×10 MLPs, soft decision trees and CART trees;
/// reproduce the published table.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Small budget (a few thousand images, few epochs): minutes on a CPU.
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// Full budget (all 60 000 images, long training; minutes on one GPU). Default when a GPU is visible.
    #[arg(long)]
    full: bool,
    /// auto (GPU when libtorch sees one), cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Folder with the four IDX files (raw or .gz); any data set in the MNIST layout works.
    #[arg(long, default_value = "data/mnist")]
    data_dir: PathBuf,
    /// Do not run data/fetch_mnist.sh when the data is missing.
    #[arg(long)]
    no_fetch: bool,
    /// Where metrics.json, README.md and the PNGs go.
    #[arg(long, default_value = "reports/mnist")]
    out: PathBuf,
    /// Teacher cache folder (default: $KD_CACHE or ~/.cache/kdistill, then /mnist).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Retrain the teachers instead of reusing cached ones (the cache is overwritten).
    #[arg(long)]
    no_cache: bool,
    /// Teacher the students learn from: mlp (Hinton's 1200×1200), cnn, or ensemble (mean of both
    /// probabilities). Default: cnn with --quick, ensemble with --full.
    #[arg(long)]
    teacher: Option<TeacherKind>,
    /// Also train the 2×800 students on randomly translated images (labels + jitter, and distilled with the
    /// teacher labelling each translated batch; the latter becomes the headline distilled student).
    /// Default: true with --full, false with --quick.
    #[arg(long)]
    student_jitter: Option<bool>,
    /// Seed of everything.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The 2×800 students' distillation temperatures, chosen on the validation split (one value fixes
    /// it). Default: 20,4,2.
    #[arg(long, value_delimiter = ',')]
    temperature: Option<Vec<f32>>,
    /// The 2×800 students' hard-label weights α in α·CE + (1−α)·T²·KL, chosen with T on the validation
    /// split (one value fixes it). Default: 0.1,0.5. `--alpha 0.1 --temperature 20` is Hinton's setting
    /// without a grid.
    #[arg(long, value_delimiter = ',')]
    alpha: Option<Vec<f32>>,
    /// Override the number of training images.
    #[arg(long)]
    n_train: Option<usize>,
    /// Let the teachers learn from more training images than the students (at least --n-train; the
    /// students' images are among them). Default: the students' images.
    #[arg(long)]
    teacher_n_train: Option<usize>,
    /// Override the size of the validation split (omitted-3 bias, small students' choices).
    #[arg(long)]
    n_val: Option<usize>,
    /// Override the MLP teacher's epochs.
    #[arg(long)]
    teacher_epochs: Option<usize>,
    /// Override the CNN teacher's epochs.
    #[arg(long)]
    cnn_epochs: Option<usize>,
    /// Override the 2×800 students' epochs.
    #[arg(long)]
    student_epochs: Option<usize>,
    /// Override the small students' base epochs (the grid's factors multiply it).
    #[arg(long)]
    small_epochs: Option<usize>,
    /// Override the soft decision trees' base epochs (the grid's factors multiply it).
    #[arg(long)]
    soft_tree_epochs: Option<usize>,
    /// Override the soft decision trees' starting learning rate (Adam, cosine schedule).
    #[arg(long)]
    soft_tree_lr: Option<f64>,
    /// Override the soft decision trees' decoupled weight decay (AdamW; 0 turns it off).
    #[arg(long)]
    soft_tree_wd: Option<f64>,
    /// Override the number of teacher-labelled views per training image in the transfer set.
    #[arg(long)]
    transfer_views: Option<usize>,
    /// Override the number of teacher-labelled views per training image in the CART trees' transfer set
    /// (and of translated views in its labelled control). Default: 40 with --full, as --transfer-views
    /// with --quick.
    #[arg(long)]
    tree_transfer_views: Option<usize>,
    /// Override the mini-batch size.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Override the small students' schedule multiples tried for the chosen settings (e.g. 1,4,16).
    #[arg(long, value_delimiter = ',')]
    small_epoch_factors: Option<Vec<usize>>,
    /// Override the soft trees' schedule multiples tried for the chosen settings (e.g. 1,5).
    #[arg(long, value_delimiter = ',')]
    soft_tree_epoch_factors: Option<Vec<usize>>,
    /// Train each small student's chosen label-trained and distilled settings at this many student seeds
    /// (the grid's own run first) and report the spread. Default: 5 with --full, 3 with --quick.
    #[arg(long)]
    small_seeds: Option<usize>,
    /// Hide progress bars and per-model lines.
    #[arg(long)]
    quiet: bool,
}

fn main() {
    let a = Args::parse();
    if let Err(e) = run(a) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(a: Args) -> kdistill::Result<()> {
    let device = a.device.resolve()?;
    let mode = if a.quick {
        Mode::Quick
    } else if a.full || device.is_cuda() {
        Mode::Full
    } else {
        eprintln!("no GPU visible: running --quick (pass --full to run the full budget on the CPU anyway)");
        Mode::Quick
    };
    let mut cfg = MnistConfig::new(mode);
    cfg.device = a.device;
    cfg.data_dir = a.data_dir;
    cfg.fetch = !a.no_fetch;
    cfg.out_dir = a.out;
    if let Some(c) = a.cache_dir {
        cfg.cache_dir = c;
    }
    cfg.use_cache = !a.no_cache;
    if let Some(t) = a.teacher {
        cfg.teacher = t;
    }
    if let Some(j) = a.student_jitter {
        cfg.student_jitter = j;
    }
    cfg.seed = a.seed;
    if let Some(t) = a.temperature {
        cfg.big_grid.temperatures = t;
    }
    if let Some(al) = a.alpha {
        cfg.big_grid.alphas = al;
    }
    cfg.verbose = !a.quiet;
    let args: Vec<String> = std::env::args().skip(1).collect();
    cfg.command = Some(format!("scripts/cargo run --release --example mnist -- {}", args.join(" ")).trim_end().to_string());
    if let Some(f) = a.small_epoch_factors {
        cfg.small_grid.epoch_factors = f;
    }
    if let Some(f) = a.soft_tree_epoch_factors {
        cfg.soft_tree.epoch_factors = f;
    }
    if let Some(n) = a.small_seeds {
        cfg.small_grid.seeds = n;
    }
    if let Some(lr) = a.soft_tree_lr {
        cfg.soft_tree.learning_rate = lr;
    }
    if let Some(wd) = a.soft_tree_wd {
        cfg.soft_tree.weight_decay = wd;
    }
    let b = &mut cfg.budget;
    if a.n_train.is_some() {
        b.n_train = a.n_train;
    }
    if a.teacher_n_train.is_some() {
        b.teacher_n_train = a.teacher_n_train;
    }
    b.n_val = a.n_val.unwrap_or(b.n_val);
    b.teacher_epochs = a.teacher_epochs.unwrap_or(b.teacher_epochs);
    b.cnn_epochs = a.cnn_epochs.unwrap_or(b.cnn_epochs);
    b.student_epochs = a.student_epochs.unwrap_or(b.student_epochs);
    b.small_epochs = a.small_epochs.unwrap_or(b.small_epochs);
    b.soft_tree_epochs = a.soft_tree_epochs.unwrap_or(b.soft_tree_epochs);
    b.transfer_views = a.transfer_views.unwrap_or(b.transfer_views);
    if a.tree_transfer_views.is_some() {
        b.tree_transfer_views = a.tree_transfer_views;
    }
    b.batch_size = a.batch_size.unwrap_or(b.batch_size);
    if a.quiet {
        // TODO: Audit that the environment access only happens in single-threaded code.
        unsafe { std::env::set_var("KD_NO_PROGRESS", "1") };
    }
    let r = mnist::run(&cfg)?;
    mnist::write_reports(&r, &cfg.out_dir)?;
    println!("{}", mnist::summary(&r));
    println!("device: {} | mode: {} | wall time: {:.1} s | reports: {}", r.metrics.device, r.metrics.mode, r.metrics.wall_seconds, cfg.out_dir.display());
    Ok(())
}
