//! The MNIST experiment: Hinton, Vinyals & Dean (2015, §3) reproduced, then the students a user would
//! distil into: small MLPs, a soft decision tree (Frosst & Hinton 2017) and CART at every size.
//!
//! | model | trained on | published |
//! |---|---|---|
//! | teacher MLP 784→1200→1200→10 | labels, dropout 0.2 / 0.5, max-norm 3.5, random translations by ≤ 2 px | 67 errors |
//! | teacher CNN (2 conv + fc) | labels + the same translations | — |
//! | teacher ensemble | mean of the MLP's and the CNN's *probabilities* (default in `full` mode; `quick` uses the CNN) | — |
//! | student 784→800→800→10, hard | labels, no regularisation | 146 errors |
//! | student 784→800→800→10, distilled | `α·CE + (1−α)·T²·KL(q_T ‖ p_T)` on the training images, `(α, T)` chosen on validation from [`BigGrid`] (Hinton's `T = 20`, `α = 0.1` first) | 74 errors |
//! | … + jitter (`student_jitter`, default in `full`) | labels on translated images (control), and distilled with the teacher's probabilities on each translated image (looked up in a [`crate::teacher::bank::ViewBank`] of the teacher's logits on all `(2s+1)²` translations) | 74 errors |
//! | small 784→30→30→10 and 784→10→10→10 | the validation grid of [`SmallGrid`]: labels (plain images or fresh translations) against distillation (α, T, inputs: plain images, translations or the transfer set; schedule length); the chosen pair then again at further student seeds ([`SeedSpread`]) | — |
//! | soft decision tree, depth 8 | the validation grid of [`SoftTreeGrid`]: labels against distillation; max-path prediction | 94.45 % → 96.76 % |
//! | CART at each of `tree_leaves` | labels; labels of translated images (control); teacher probabilities on the images; teacher probabilities on the trees' transfer set ([`MnistConfig::tree_transfer`]: translations, and mixtures of each image with one of its nearest neighbours) | — |
//! | omitted-3 student 2×800 | distilled like the headline student on a transfer set **without any 3**; then the class-3 logit bias is raised by the amount that minimises errors on the validation split | 206 (133 on 3s) → 109 (14 on 3s) errors |
//!
//! **The transfer set** ("function matching", Beyer et al. 2022): `transfer_views` views of each training
//! image outside the validation split, drawn by [`MnistConfig::transfer`] (view 0 the image itself, the
//! others translated and some mixed with another image), every view labelled by the teacher
//! ([`crate::augment::views`], [`crate::teacher::bank`]). Students draw a fresh view per image and batch
//! and learn the teacher's targets for exactly that view; trees get the whole table as rows.
//!
//! **No choice is made on the test set.** A validation split (`n_val` training images, drawn with the
//! seed) is held out of the small students', the soft trees', the CART trees' and the omitted-3
//! student's training; it makes every choice: the omitted-3 bias ([`choose_bias`]), and each grid's
//! settings, label-trained and distilled alike; the 2×800 students' `(α, T)` ([`BigGrid`]). The teachers and
//! the 2×800 students then train on all training images (as in the paper).
//!
//! Teachers are cached in `cache_dir` (weights as safetensors plus their logits on the training and test
//! images, on every translation of the training images and on the transfer set, each written
//! atomically) under a key that hashes the data and every setting that changes them; later runs reuse
//! them unless `use_cache` is false. A cache file that cannot be read is an error naming the file and
//! the flag that rebuilds it (`--no-cache`).
//!
//! [`run`] does the work and returns [`MnistReport`]; [`write_reports`] writes `metrics.json`,
//! `README.md` (with the published numbers side by side) and the PNGs.
//!
//! ```no_run
//! use kdistill::experiments::mnist::{run, write_reports, MnistConfig, Mode};
//! let cfg = MnistConfig::new(Mode::Quick);
//! let report = run(&cfg).unwrap();
//! write_reports(&report, &cfg.out_dir).unwrap();
//! assert!(report.metrics.student_soft_errors <= report.n_test);
//! ```
mod cache;
mod config;
mod grid;
mod omitted;
mod report;
mod results;
mod run;
mod small;
mod soft_trees;
mod students;
mod teachers;
mod transfer;
mod trees;

pub use config::{default_cache_dir, published, BigGrid, Budget, Inputs, MnistConfig, Mode, SmallGrid, SoftTreeGrid, TeacherKind};
pub use omitted::choose_bias;
pub use report::{summary, write_reports};
pub use results::{BigChoice, CurveRow, Grid, GridRun, Metrics, MnistReport, ModelResult, SeedSpread, SoftTreePicture};
pub use run::run;
pub use teachers::{cnn_teacher_params, hinton_teacher_params};

use crate::data::idx::{self, Mnist};
use crate::error::{KdError, Result};
use std::path::Path;

fn say(cfg: &MnistConfig, msg: impl AsRef<str>) {
    if cfg.verbose {
        println!("{}", msg.as_ref());
    }
}

fn label(cfg: &MnistConfig, s: &str) -> Option<String> {
    cfg.verbose.then(|| s.to_string())
}

/// Load MNIST from `cfg.data_dir`, running `data/fetch_mnist.sh` first when files are missing and
/// `cfg.fetch` is set.
pub fn load_data(cfg: &MnistConfig) -> Result<Mnist> {
    let dir = &cfg.data_dir;
    let missing = [idx::TRAIN_IMAGES, idx::TRAIN_LABELS, idx::TEST_IMAGES, idx::TEST_LABELS]
        .iter()
        .any(|s| idx::find_file(dir, s).is_err());
    if missing && cfg.fetch {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join("fetch_mnist.sh");
        say(cfg, format!("MNIST not found in {}; running {}", dir.display(), script.display()));
        let status = std::process::Command::new("bash").arg(&script).arg(dir).status().map_err(|e| KdError::io(&script, e))?;
        if !status.success() {
            return Err(KdError::Idx {
                path: dir.clone(),
                msg: format!("downloading MNIST failed ({status}); run `bash {} {}` to see why", script.display(), dir.display()),
            });
        }
    }
    idx::load_mnist(dir)
}

