//! The MNIST experiment: Hinton, Vinyals & Dean (2015, §3) reproduced, plus trees.
//!
//! | model | trained on | published (test errors) |
//! |---|---|---|
//! | teacher MLP 784→1200→1200→10 | labels, dropout 0.2 / 0.5, max-norm 3.5, random translations by ≤ 2 px | 67 |
//! | teacher CNN (2 conv + fc) | labels + the same translations | — |
//! | teacher ensemble | mean of the MLP's and the CNN's *probabilities* (default in `full` mode; `quick` uses the CNN) | — |
//! | student 784→800→800→10, hard | labels, no regularisation | 146 |
//! | student 784→800→800→10, distilled | `α·CE + (1−α)·T²·KL(q_T ‖ p_T)`, `T = 20`, `α = 0.1`, on the training images | 74 |
//! | … + jitter (`student_jitter`, default in `full`) | labels on translated images (control), and distilled with the teacher's probabilities on each translated image (the headline distilled student; looked up in a [`shifts::ShiftBank`] of the teacher's logits on all `(2s+1)²` translations) | 74 |
//! | small 784→30→30→10 and 784→10→10→10 | labels (plain images or + jittered copies) vs distilled (`α = 0.5`) at `T ∈ {1, 2, 3, 4, 8, 20}` | — |
//! | tree (256 / 1024 / 4096 leaves) | one-hot labels vs teacher probabilities, ± jittered copies labelled by the teacher | — |
//! | omitted-3 student 2×800 | distilled like the headline student on a transfer set **without any 3**; then the class-3 logit bias is raised by the amount that minimises errors on the validation split | 206 (133 on 3s) → 109 (14 on 3s) |
//!
//! **No choice is made on the test set.** A validation split (`n_val` training images, drawn with the
//! seed) is held out of the omitted-3 student's transfer set and of the small students' training; it
//! picks the omitted-3 bias ([`choose_bias`]), the small students' temperature and the transfer set of
//! their hard baseline. The teachers and the 2×800 students train on all training images (as in the
//! paper), with fixed, pre-declared settings.
//!
//! Teachers are cached in `cache_dir` (weights as safetensors plus their logits on the training, test and
//! jittered images and, with `student_jitter`, on every translation of the training images, each
//! written atomically) under a key that hashes the data and every setting that
//! changes them; later runs reuse them unless `use_cache` is false. A cache file that cannot be read is
//! an error naming the file and the flag that rebuilds it (`--no-cache`).
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
pub mod cnn;
pub mod shifts;

use crate::data::idx::{self, Mnist};
use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::metrics::{confusion, errors};
use crate::neural::{describe_device, DeviceChoice, MlpParams};
use crate::report::{markdown_table, plot_bars, plot_confusion, plot_image_grid, plot_lines, Bar, Series};
use crate::soft::{argmax_rows, one_hot, soften_probs, softmax_t};
use crate::student::tree::{BinnedMatrix, TreeParams};
use cnn::{random_translate, Cnn, CnnParams};
use shifts::ShiftBank;
use ndarray::{concatenate, Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Budget preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A few thousand training images and few epochs: minutes on a 2-core CPU.
    #[default]
    Quick,
    /// All 60 000 training images, the published architectures and long training (meant for a GPU).
    Full,
}

impl std::str::FromStr for Mode {
    type Err = KdError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "quick" => Ok(Mode::Quick),
            "full" => Ok(Mode::Full),
            other => Err(KdError::param("mode", other, "expected quick or full")),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Quick => "quick",
            Mode::Full => "full",
        })
    }
}

/// Which teacher the students learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeacherKind {
    /// Hinton's 784→1200→1200→10 MLP.
    #[default]
    Mlp,
    /// The small CNN of [`cnn`].
    Cnn,
    /// The mean of the MLP's and the CNN's probabilities.
    Ensemble,
}

impl std::str::FromStr for TeacherKind {
    type Err = KdError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mlp" => Ok(TeacherKind::Mlp),
            "cnn" => Ok(TeacherKind::Cnn),
            "ensemble" => Ok(TeacherKind::Ensemble),
            other => Err(KdError::param("teacher", other, "expected mlp, cnn or ensemble")),
        }
    }
}

impl TeacherKind {
    /// The networks this teacher trains: itself, or the MLP and the CNN for the ensemble.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::experiments::mnist::TeacherKind;
    /// assert_eq!(TeacherKind::Ensemble.members(), vec![TeacherKind::Mlp, TeacherKind::Cnn]);
    /// assert_eq!(TeacherKind::Cnn.members(), vec![TeacherKind::Cnn]);
    /// ```
    pub fn members(self) -> Vec<TeacherKind> {
        match self {
            TeacherKind::Ensemble => vec![TeacherKind::Mlp, TeacherKind::Cnn],
            t => vec![t],
        }
    }
}

impl std::fmt::Display for TeacherKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TeacherKind::Mlp => "mlp",
            TeacherKind::Cnn => "cnn",
            TeacherKind::Ensemble => "ensemble",
        })
    }
}

/// Sizes and training lengths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Training images used (`None`: all); a seeded random subset otherwise.
    pub n_train: Option<usize>,
    /// Test images used (`None`: all); the first ones otherwise.
    pub n_test: Option<usize>,
    /// Validation rows carved from the training images for the omitted-3 bias.
    pub n_val: usize,
    /// Epochs of the MLP teacher.
    pub teacher_epochs: usize,
    /// Epochs of the CNN teacher.
    pub cnn_epochs: usize,
    /// Epochs of the 2×800 students (hard, distilled, omitted-3).
    pub student_epochs: usize,
    /// Epochs of the small students.
    pub small_epochs: usize,
    /// Mini-batch size of the teachers and the 2×800 students.
    pub batch_size: usize,
    /// Mini-batch size of the small students.
    pub small_batch_size: usize,
    /// Leaf limits of the trees.
    pub tree_leaves: Vec<usize>,
    /// Jittered copies of each training image for the tree augmentation.
    pub aug_copies: usize,
    /// Channels of the CNN teacher's two convolutions.
    pub cnn_channels: (usize, usize),
    /// Hidden width of the CNN teacher.
    pub cnn_hidden: usize,
    /// Maximum random translation (pixels) of the teachers' and jittered students' inputs.
    pub max_shift: usize,
}

impl Budget {
    /// The quick preset: 5 000 training images, 1 000 validation, full test set, few epochs.
    pub fn quick() -> Self {
        Budget {
            n_train: Some(4_000),
            n_test: None,
            n_val: 800,
            teacher_epochs: 3,
            cnn_epochs: 6,
            student_epochs: 4,
            small_epochs: 3,
            batch_size: 32,
            small_batch_size: 32,
            tree_leaves: vec![256, 1024, 4096],
            aug_copies: 2,
            cnn_channels: (16, 32),
            cnn_hidden: 256,
            max_shift: 1,
        }
    }
    /// The full preset: all 60 000 training images (5 000 of them also serve as the omitted-3
    /// validation split), the published architectures and long training.
    pub fn full() -> Self {
        Budget {
            n_train: None,
            n_test: None,
            n_val: 5_000,
            teacher_epochs: 150,
            cnn_epochs: 20,
            student_epochs: 80,
            small_epochs: 20,
            batch_size: 128,
            small_batch_size: 256,
            tree_leaves: vec![256, 1024, 4096],
            aug_copies: 2,
            cnn_channels: (32, 64),
            cnn_hidden: 512,
            max_shift: 2,
        }
    }
}

/// Everything the experiment needs. [`MnistConfig::new`] gives the preset of a [`Mode`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MnistConfig {
    /// Preset the budget came from (reported as `mode`).
    pub mode: Mode,
    /// Sizes and epochs.
    pub budget: Budget,
    /// Where to train.
    pub device: DeviceChoice,
    /// Folder with the four IDX files.
    pub data_dir: PathBuf,
    /// Run `data/fetch_mnist.sh` when the data folder or a file is missing.
    pub fetch: bool,
    /// Where reports go.
    pub out_dir: PathBuf,
    /// Teacher cache folder.
    pub cache_dir: PathBuf,
    /// Reuse cached teachers (false: retrain and overwrite).
    pub use_cache: bool,
    /// Seed of everything (subset, initialisations, shuffles, augmentation).
    pub seed: u64,
    /// The teacher the students learn from.
    pub teacher: TeacherKind,
    /// Distillation temperature of the 2×800 students.
    pub temperature: f32,
    /// Hard-label weight α of every distilled network.
    pub alpha: f32,
    /// Temperatures of the small-student sweep.
    pub temperatures: Vec<f32>,
    /// Hard-label weight α of the small students' distillation (with the `T²` factor, α = 0.5 at T = 3
    /// already weights the soft term 9 : 1).
    pub small_alpha: f32,
    /// Temperature of the teacher probabilities the soft trees are fitted on.
    pub tree_temperature: f32,
    /// Leaf limit of the trees in the headline numbers (`tree_hard_acc`, `tree_soft_acc`).
    pub headline_leaves: usize,
    /// Also train the 2×800 students on randomly translated images (labels + jitter, and distilled with
    /// the teacher labelling each translated batch); the distilled one is then `student_soft_errors`,
    /// and the omitted-3 student is trained the same way.
    pub student_jitter: bool,
    /// Progress bars and one line per model on stdout.
    pub verbose: bool,
    /// The command line that ran the experiment, quoted in the report (`None`: the preset's command).
    #[serde(default)]
    pub command: Option<String>,
}

impl MnistConfig {
    /// The preset of `mode`: data in `data/mnist`, reports in `reports/mnist`, the default cache folder.
    pub fn new(mode: Mode) -> Self {
        MnistConfig {
            mode,
            budget: match mode {
                Mode::Quick => Budget::quick(),
                Mode::Full => Budget::full(),
            },
            device: DeviceChoice::Auto,
            data_dir: PathBuf::from("data/mnist"),
            fetch: true,
            out_dir: PathBuf::from("reports/mnist"),
            cache_dir: default_cache_dir(),
            use_cache: true,
            seed: 0,
            teacher: match mode {
                Mode::Quick => TeacherKind::Cnn,
                Mode::Full => TeacherKind::Ensemble,
            },
            temperature: 20.0,
            alpha: 0.1,
            temperatures: vec![1.0, 2.0, 3.0, 4.0, 8.0, 20.0],
            small_alpha: 0.5,
            tree_temperature: 1.0,
            headline_leaves: 1024,
            student_jitter: mode == Mode::Full,
            verbose: true,
            command: None,
        }
    }

    /// Settings that differ from the preset of [`MnistConfig::mode`], as `name value (preset value)`
    /// (only the ones that change what is trained: budget, teacher, jitter, seed, temperature, α; the
    /// epochs of a teacher that is not used are left out).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::experiments::mnist::{MnistConfig, Mode, TeacherKind};
    /// let mut c = MnistConfig::new(Mode::Full);
    /// assert!(c.changes_from_preset().is_empty());
    /// c.teacher = TeacherKind::Cnn;
    /// c.budget.cnn_epochs = 12;
    /// assert_eq!(c.changes_from_preset(), vec!["cnn_epochs 12 (20)", "teacher cnn (ensemble)"]);
    /// ```
    pub fn changes_from_preset(&self) -> Vec<String> {
        let p = MnistConfig::new(self.mode);
        let (b, pb) = (&self.budget, &p.budget);
        let mut out = Vec::new();
        let mut diff = |name: &str, v: String, pv: String| {
            if v != pv {
                out.push(format!("{name} {v} ({pv})"));
            }
        };
        let n = |v: Option<usize>| v.map_or("all".to_string(), |v| v.to_string());
        diff("n_train", n(b.n_train), n(pb.n_train));
        diff("n_test", n(b.n_test), n(pb.n_test));
        diff("n_val", b.n_val.to_string(), pb.n_val.to_string());
        // A teacher that is not trained has no epochs worth reporting.
        let members = self.teacher.members();
        if members.contains(&TeacherKind::Mlp) {
            diff("teacher_epochs", b.teacher_epochs.to_string(), pb.teacher_epochs.to_string());
        }
        if members.contains(&TeacherKind::Cnn) {
            diff("cnn_epochs", b.cnn_epochs.to_string(), pb.cnn_epochs.to_string());
        }
        diff("student_epochs", b.student_epochs.to_string(), pb.student_epochs.to_string());
        diff("small_epochs", b.small_epochs.to_string(), pb.small_epochs.to_string());
        diff("batch_size", b.batch_size.to_string(), pb.batch_size.to_string());
        diff("small_batch_size", b.small_batch_size.to_string(), pb.small_batch_size.to_string());
        diff("tree_leaves", format!("{:?}", b.tree_leaves), format!("{:?}", pb.tree_leaves));
        diff("aug_copies", b.aug_copies.to_string(), pb.aug_copies.to_string());
        diff("cnn_channels", format!("{:?}", b.cnn_channels), format!("{:?}", pb.cnn_channels));
        diff("cnn_hidden", b.cnn_hidden.to_string(), pb.cnn_hidden.to_string());
        diff("max_shift", b.max_shift.to_string(), pb.max_shift.to_string());
        diff("teacher", self.teacher.to_string(), p.teacher.to_string());
        diff("student_jitter", self.student_jitter.to_string(), p.student_jitter.to_string());
        diff("seed", self.seed.to_string(), p.seed.to_string());
        diff("temperature", self.temperature.to_string(), p.temperature.to_string());
        diff("alpha", self.alpha.to_string(), p.alpha.to_string());
        out
    }

    /// Check every setting (called by [`run`]).
    pub fn validate(&self) -> Result<()> {
        let b = &self.budget;
        for (name, v) in [
            ("teacher_epochs", b.teacher_epochs),
            ("cnn_epochs", b.cnn_epochs),
            ("student_epochs", b.student_epochs),
            ("small_epochs", b.small_epochs),
            ("batch_size", b.batch_size),
            ("small_batch_size", b.small_batch_size),
        ] {
            if v == 0 {
                return Err(KdError::param(name, 0, "must be ≥ 1"));
            }
        }
        if b.n_train.is_some_and(|n| n < 100) {
            return Err(KdError::param("n_train", b.n_train.unwrap_or(0), "use at least 100 training images"));
        }
        if b.n_test == Some(0) {
            return Err(KdError::param("n_test", 0, "must be ≥ 1"));
        }
        if b.n_val < 10 {
            return Err(KdError::param("n_val", b.n_val, "the omitted-3 validation split needs at least 10 rows"));
        }
        if b.tree_leaves.is_empty() || b.tree_leaves.iter().any(|&l| l < 2) {
            return Err(KdError::param("tree_leaves", format!("{:?}", b.tree_leaves), "need at least one limit, each ≥ 2"));
        }
        if !b.tree_leaves.contains(&self.headline_leaves) {
            return Err(KdError::param("headline_leaves", self.headline_leaves, format!("must be one of tree_leaves {:?}", b.tree_leaves)));
        }
        if self.temperatures.is_empty() {
            return Err(KdError::Empty("the small-student temperature sweep needs at least one temperature".into()));
        }
        for t in self.temperatures.iter().chain([&self.temperature, &self.tree_temperature]) {
            crate::soft::check_temperature(*t)?;
        }
        for (name, a) in [("alpha", self.alpha), ("small_alpha", self.small_alpha)] {
            if !(0.0..=1.0).contains(&a) {
                return Err(KdError::param(name, a, "must be in [0, 1]"));
            }
        }
        Ok(())
    }
}

/// `${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/mnist` (the same root as `data/fetch_mnist.sh`).
pub fn default_cache_dir() -> PathBuf {
    let root = std::env::var_os("KD_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("kdistill")
    });
    root.join("mnist")
}

/// The published figures (Hinton, Vinyals & Dean 2015, §3), test errors out of 10 000.
pub mod published {
    /// 784→1200→1200→10 teacher, dropout + jitter.
    pub const TEACHER: usize = 67;
    /// 784→800→800→10 on labels, no regularisation.
    pub const STUDENT_HARD: usize = 146;
    /// 784→800→800→10 distilled at T = 20.
    pub const STUDENT_SOFT: usize = 74;
    /// Omitted-3 student, before the bias fix: errors overall.
    pub const OMIT3_ERRORS: usize = 206;
    /// … of which on the 1 010 test 3s.
    pub const OMIT3_THREE_ERRORS: usize = 133;
    /// After raising the class-3 bias (by 3.5 in the paper).
    pub const OMIT3_FIXED_ERRORS: usize = 109;
    /// … of which on 3s.
    pub const OMIT3_FIXED_THREE_ERRORS: usize = 14;
}

/// One model's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// Short identifier (`teacher`, `student_hard`, `tree_soft_1024`, …).
    pub name: String,
    /// What it is.
    pub title: String,
    /// Test errors.
    pub errors: usize,
    /// Test accuracy.
    pub accuracy: f64,
    /// Agreement with the teacher's class on the test set.
    pub fidelity: f64,
    /// Trainable parameters (networks) or leaves (trees).
    pub size: usize,
    /// `params` or `leaves`.
    pub size_unit: String,
    /// Training seconds (0 when loaded from the cache).
    pub seconds: f64,
    /// The published test errors, when there is one.
    pub published: Option<usize>,
}

/// One tree size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeRow {
    /// Leaf limit.
    pub max_leaves: usize,
    /// Accuracy on one-hot labels.
    pub hard_acc: f64,
    /// Accuracy on teacher probabilities.
    pub soft_acc: f64,
    /// Accuracy on one-hot labels of the training images and their jittered copies.
    pub hard_aug_acc: f64,
    /// Accuracy on teacher probabilities of the training images and their jittered copies.
    pub soft_aug_acc: f64,
    /// Fidelity (agreement with the teacher) of the four trees, same order.
    pub fidelity: [f64; 4],
    /// Leaves actually grown, same order.
    pub leaves: [usize; 4],
}

/// A small student's runs: `(validation errors, test errors)` each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmallSweep {
    /// On labels, plain training images.
    pub hard_plain: (usize, usize),
    /// On labels, training images + jittered copies.
    pub hard_jitter: (usize, usize),
    /// Distilled on the training images + jittered copies (labelled by the teacher), one per temperature.
    pub soft: Vec<(usize, usize)>,
    /// Temperatures of `soft`.
    pub temperatures: Vec<f32>,
    /// Index into `soft` with the fewest validation errors (ties: the lower temperature).
    pub chosen: usize,
    /// Whether the jittered transfer set won the hard baseline on validation.
    pub hard_chose_jitter: bool,
}

impl SmallSweep {
    /// Test errors of the validation-chosen hard baseline.
    pub fn hard_errors(&self) -> usize {
        if self.hard_chose_jitter { self.hard_jitter.1 } else { self.hard_plain.1 }
    }
    /// Test errors of the validation-chosen distilled student.
    pub fn soft_errors(&self) -> usize {
        self.soft[self.chosen].1
    }
    /// Temperature of the validation-chosen distilled student.
    pub fn temperature(&self) -> f32 {
        self.temperatures[self.chosen]
    }
}

/// The headline numbers; serialised flat into `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// `quick` or `full`.
    pub mode: String,
    /// Device description.
    pub device: String,
    /// Whole run, seconds.
    pub wall_seconds: f64,
    /// Which teacher the students learnt from.
    pub teacher: String,
    /// Teacher test errors.
    pub teacher_errors: usize,
    /// 2×800 on labels.
    pub student_hard_errors: usize,
    /// 2×800 distilled at `temperature`: on jittered images when `student_jitter`, else on the plain
    /// training images.
    pub student_soft_errors: usize,
    /// 2×800 distilled on the plain training images (Hinton's setting).
    pub student_soft_plain_errors: usize,
    /// 2×800 on labels with the same random translations (augmentation without a teacher); `None`
    /// when `student_jitter` is off.
    pub student_hard_jitter_errors: Option<usize>,
    /// 2×800 distilled on jittered images labelled by the teacher; `None` when `student_jitter` is off.
    pub student_soft_jitter_errors: Option<usize>,
    /// Whether the jittered-transfer-set students ran (and `student_soft_errors` is theirs).
    pub student_jitter: bool,
    /// 784→30→30→10 on labels: test errors on the transfer set (plain or + jitter) with fewer
    /// validation errors.
    pub small_hard_errors: usize,
    /// 784→30→30→10 distilled at the temperature with the fewest validation errors.
    pub small_soft_errors: usize,
    /// 784→10→10→10 on labels, chosen like `small_hard_errors`.
    pub tiny_hard_errors: usize,
    /// 784→10→10→10 distilled at the temperature with the fewest validation errors.
    pub tiny_soft_errors: usize,
    /// Tree at `headline_leaves` on one-hot labels: test accuracy.
    pub tree_hard_acc: f64,
    /// Tree at `headline_leaves` on teacher probabilities: test accuracy.
    pub tree_soft_acc: f64,
    /// Tree at `headline_leaves` on one-hot labels of the images and their jittered copies.
    pub tree_hard_aug_acc: f64,
    /// Tree at `headline_leaves` on teacher probabilities of the images and their jittered copies.
    pub tree_soft_aug_acc: f64,
    /// Omitted-3 student: test errors.
    pub omit3_errors: usize,
    /// Omitted-3 student: fraction of the test 3s classified correctly.
    pub omit3_threes_correct: f64,
    /// Omitted-3 student after the bias fix: test errors.
    pub omit3_fixed_errors: usize,
    /// After the bias fix: fraction of the test 3s correct.
    pub omit3_fixed_threes_correct: f64,
    /// Errors on 3s before the fix.
    pub omit3_three_errors: usize,
    /// Errors on 3s after the fix.
    pub omit3_fixed_three_errors: usize,
    /// Test 3s.
    pub omit3_threes_total: usize,
    /// The bias added to the class-3 logit (chosen on the validation split).
    pub omit3_bias: f64,
    /// Validation errors before / after the fix.
    pub omit3_val_errors: [usize; 2],
    /// Training images used.
    pub n_train: usize,
    /// Test images used.
    pub n_test: usize,
    /// Validation rows (omitted-3 bias).
    pub n_val: usize,
    /// Temperature of the 2×800 distillation.
    pub temperature: f64,
    /// Temperature chosen on validation for the 784→30→30→10 headline.
    pub small_temperature: f64,
    /// Temperature chosen on validation for the 784→10→10→10 headline.
    pub tiny_temperature: f64,
    /// Hard-label weight of the 2×800 distillation loss.
    pub alpha: f64,
    /// Hard-label weight of the small students' distillation loss.
    pub small_alpha: f64,
    /// Leaf limit of `tree_*_acc`.
    pub tree_leaves: usize,
}

/// Everything [`run`] measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MnistReport {
    /// Headline numbers.
    pub metrics: Metrics,
    /// Every model, in report order.
    pub models: Vec<ModelResult>,
    /// Teacher members (one, or the MLP and the CNN for the ensemble) with their own test errors.
    pub teacher_members: Vec<ModelResult>,
    /// Small-student sweep per architecture.
    pub sweep: BTreeMap<String, SmallSweep>,
    /// Temperatures of the sweep.
    pub temperatures: Vec<f32>,
    /// The tree table.
    pub trees: Vec<TreeRow>,
    /// Confusion matrices on the test set: teacher, student hard, student distilled.
    pub confusions: Vec<(String, Array2<usize>)>,
    /// Test images the distilled 2×800 student gets wrong (at most 48) with captions.
    pub mistakes: (Array2<f32>, Vec<String>),
    /// Whether each teacher member came from the cache.
    pub cache_hits: Vec<bool>,
    /// Test-set size.
    pub n_test: usize,
    /// The configuration that produced it.
    pub config: MnistConfig,
}

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

/// FNV-1a 64 over bytes (cache keys).
fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= b as u64;
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

fn hash_data(d: &Dataset) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let xs = d.x.as_standard_layout();
    let chunks: Vec<u64> = xs
        .as_slice()
        .expect("standard layout")
        .par_chunks(1 << 20)
        .map(|c| {
            let mut hc = 0xcbf2_9ce4_8422_2325u64;
            for v in c {
                fnv(&mut hc, &v.to_le_bytes());
            }
            hc
        })
        .collect();
    for c in chunks {
        fnv(&mut h, &c.to_le_bytes());
    }
    for &y in d.y.iter() {
        fnv(&mut h, &[y as u8]);
    }
    h
}

fn key_of(parts: &impl std::fmt::Debug) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut h, format!("{parts:?}").as_bytes());
    format!("{h:016x}")
}

/// `copies` jittered versions of every row of `x` (images `rows × cols`): each a random translation by
/// `(dy, dx) ∈ {−s..s}² \ {(0, 0)}`, zero-filled. Copy `c` of row `i` is row `c·n + i`. Seeded, on the CPU.
pub fn jitter_images(x: ArrayView2<f32>, rows: usize, cols: usize, copies: usize, max_shift: usize, seed: u64) -> Result<Array2<f32>> {
    if x.ncols() != rows * cols {
        return Err(KdError::Shape(format!("{} features per row but images are {rows}×{cols}", x.ncols())));
    }
    if max_shift == 0 {
        return Err(KdError::param("max_shift", 0, "must be ≥ 1 (a shift of 0 copies the images)"));
    }
    let n = x.nrows();
    let s = max_shift as i64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let offsets: Vec<(i64, i64)> = (0..copies * n)
        .map(|_| loop {
            let (dy, dx) = (rng.gen_range(-s..=s), rng.gen_range(-s..=s));
            if (dy, dx) != (0, 0) {
                break (dy, dx);
            }
        })
        .collect();
    let mut out = Array2::<f32>::zeros((copies * n, rows * cols));
    out.axis_iter_mut(Axis(0)).into_par_iter().enumerate().for_each(|(k, mut row)| {
        let src = x.row(k % n);
        let (dy, dx) = offsets[k];
        for r in 0..rows as i64 {
            let sr = r - dy;
            if sr < 0 || sr >= rows as i64 {
                continue;
            }
            for c in 0..cols as i64 {
                let sc = c - dx;
                if sc >= 0 && sc < cols as i64 {
                    row[(r * cols as i64 + c) as usize] = src[(sr * cols as i64 + sc) as usize];
                }
            }
        }
    });
    Ok(out)
}

/// A trained teacher member, usable on device tensors (for on-the-fly labelling of jittered batches).
enum Live {
    Mlp(Box<crate::neural::Mlp>),
    Cnn(Box<Cnn>),
}

impl Live {
    /// Logits for a batch already on the device, evaluation mode.
    fn logits_t(&self, x: &tch::Tensor) -> tch::Tensor {
        match self {
            Live::Mlp(m) => m.net().forward_t(x, false),
            Live::Cnn(c) => c.forward_t(x, false),
        }
    }
    fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        match self {
            Live::Mlp(m) => m.logits(x),
            Live::Cnn(c) => c.logits(x),
        }
    }
    fn n_params(&self) -> usize {
        match self {
            Live::Mlp(m) => m.n_params(),
            Live::Cnn(c) => c.spec().n_params(),
        }
    }
}

/// One teacher member: the model and its logits on the training, test and jittered images.
struct Member {
    name: String,
    /// The member's cache folder.
    dir: PathBuf,
    title: String,
    seconds: f64,
    cached: bool,
    live: Live,
    train: Array2<f32>,
    test: Array2<f32>,
    aug: Array2<f32>,
}

fn read_logits(path: &Path, expect: &[(&str, usize)], k: usize) -> Result<Vec<Array2<f32>>> {
    let bad = |msg: String| KdError::Model { path: path.to_path_buf(), msg: format!("unreadable teacher cache: {msg}; delete it or re-run with --no-cache") };
    let tensors = tch::Tensor::read_safetensors(path).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for (name, rows) in expect {
        let t = tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t).ok_or_else(|| bad(format!("no tensor `{name}`")))?;
        if t.size() != [*rows as i64, k as i64] {
            return Err(bad(format!("tensor `{name}` has shape {:?}, expected [{rows}, {k}]", t.size())));
        }
        let a = crate::neural::to_array2(t)?;
        crate::data::check_finite(a.view(), &format!("cached logits `{name}`")).map_err(|e| bad(e.to_string()))?;
        out.push(a);
    }
    Ok(out)
}

fn write_logits(path: &Path, sets: &[(&str, &Array2<f32>)]) -> Result<()> {
    let tensors: Vec<(&str, tch::Tensor)> = sets.iter().map(|(n, a)| (*n, crate::neural::to_tensor(a.view(), tch::Device::Cpu))).collect();
    crate::io::atomic_write_safetensors(path, &tensors.iter().map(|(n, t)| (*n, t)).collect::<Vec<_>>())
}

/// Hinton's teacher: 784→1200→1200→10, dropout 0.2 (input) / 0.5 (hidden), max-norm 3.5 on every
/// unit's incoming weights, AdamW with the learning rate decayed to 1/20 over the epochs. (Its inputs are
/// randomly translated by up to `budget.max_shift` pixels during training.)
pub fn hinton_teacher_params(cfg: &MnistConfig) -> MlpParams {
    let mut p = MlpParams::new(&[1200, 1200])
        .dropout(0.2, 0.5)
        .epochs(cfg.budget.teacher_epochs)
        .batch_size(cfg.budget.batch_size)
        .learning_rate(1e-3)
        .seed(cfg.seed)
        .device(cfg.device);
    p.train.max_norm = Some(3.5);
    p.train.lr_decay = lr_decay_for(cfg.budget.teacher_epochs);
    p.train.progress = label(cfg, "teacher mlp");
    p
}

/// Per-epoch learning-rate factor that ends at 1/20 of the start after `epochs`.
fn lr_decay_for(epochs: usize) -> f64 {
    if epochs <= 1 {
        1.0
    } else {
        (0.05f64).powf(1.0 / (epochs - 1) as f64)
    }
}

/// The CNN teacher's hyper-parameters for a budget.
pub fn cnn_teacher_params(cfg: &MnistConfig) -> CnnParams {
    CnnParams {
        channels: cfg.budget.cnn_channels,
        hidden: cfg.budget.cnn_hidden,
        epochs: cfg.budget.cnn_epochs,
        batch_size: cfg.budget.batch_size,
        lr_decay: lr_decay_for(cfg.budget.cnn_epochs),
        max_shift: cfg.budget.max_shift,
        seed: cfg.seed + 1,
        device: cfg.device,
        progress: label(cfg, "teacher cnn"),
        ..CnnParams::default()
    }
}

/// Train (or load from the cache) one teacher member and get its logits on the three image sets.
#[allow(clippy::too_many_arguments)]
fn teacher_member(
    cfg: &MnistConfig,
    which: TeacherKind,
    train: &Dataset,
    test: &Dataset,
    aug: &Array2<f32>,
    data_key: u64,
    aug_key: &str,
    rows: usize,
    cols: usize,
) -> Result<Member> {
    let k = train.n_classes;
    let device = cfg.device.resolve()?;
    let shift = cfg.budget.max_shift;
    let (name, title, key) = if which == TeacherKind::Mlp {
        let mut p = hinton_teacher_params(cfg);
        p.train.progress = None;
        p.device = DeviceChoice::Auto; // the device does not change the model's identity
        ("teacher_mlp", "teacher MLP 784-1200-1200-10".to_string(), key_of(&("mlp", data_key, rows, cols, shift, p)))
    } else {
        let mut p = cnn_teacher_params(cfg);
        p.progress = None;
        p.device = DeviceChoice::Auto;
        let (c1, c2) = p.channels;
        ("teacher_cnn", format!("teacher CNN (conv {c1}, conv {c2}, fc {})", p.hidden), key_of(&("cnn", data_key, rows, cols, p)))
    };
    let dir = cfg.cache_dir.join(format!("{name}-{key}"));
    let weights = dir.join(if which == TeacherKind::Mlp { "model.safetensors" } else { "cnn.safetensors" });
    let start = Instant::now();
    let cached = cfg.use_cache && weights.exists();
    let live = if cached {
        say(cfg, format!("{title}: loaded from cache {}", dir.display()));
        let cache_err = |e: KdError| KdError::Model {
            path: dir.clone(),
            msg: format!("unreadable teacher cache ({e}); delete the folder or re-run with --no-cache"),
        };
        match which {
            TeacherKind::Mlp => Live::Mlp(Box::new(crate::neural::Mlp::load(&dir, cfg.device).map_err(cache_err)?)),
            _ => Live::Cnn(Box::new(Cnn::load(&dir, device).map_err(cache_err)?)),
        }
    } else {
        match which {
            TeacherKind::Mlp => {
                let tf = move |x: &tch::Tensor| random_translate(x, rows, cols, shift);
                let m = hinton_teacher_params(cfg).fit_with_transform(train.x.view(), Some(train.y.view()), None, None, k, Some(&tf))?;
                m.save(&dir)?;
                Live::Mlp(Box::new(m))
            }
            _ => {
                let m = cnn_teacher_params(cfg).fit(train.x.view(), train.y.view(), rows, cols, k)?;
                m.save(&dir)?;
                Live::Cnn(Box::new(m))
            }
        }
    };
    let seconds = if cached { 0.0 } else { start.elapsed().as_secs_f64() };
    let logits_path = dir.join(format!("logits-{}-{aug_key}.safetensors", key_of(&(test.len(), hash_data(test)))));
    let expect = [("train", train.len()), ("test", test.len()), ("aug", aug.nrows())];
    let (tr, te, au) = if cached && logits_path.exists() {
        let mut v = read_logits(&logits_path, &expect, k)?;
        let au = v.pop().expect("three sets");
        let te = v.pop().expect("three sets");
        (v.pop().expect("three sets"), te, au)
    } else {
        let (tr, te, au) = (live.logits(train.x.view())?, live.logits(test.x.view())?, live.logits(aug.view())?);
        write_logits(&logits_path, &[("train", &tr), ("test", &te), ("aug", &au)])?;
        (tr, te, au)
    };
    Ok(Member { name: name.into(), dir, title, seconds, cached, live, train: tr, test: te, aug: au })
}

impl CnnParams {
    /// Parameter count of the CNN these settings build for `rows × cols` images and `k` classes.
    pub fn spec_params(&self, rows: usize, cols: usize, k: usize) -> usize {
        cnn::CnnSpec { rows, cols, channels: self.channels, hidden: self.hidden, dropout: self.dropout, n_classes: k }.n_params()
    }
}

/// Teacher probabilities at temperature `t` from the members' logits: `softmax(z/T)` for one member;
/// for several, the mean of their `T = 1` probabilities softened as `p̄^{1/T}` (see
/// [`crate::teacher::ensemble`]).
fn teacher_probs(members: &[&Array2<f32>], t: f32) -> Result<Array2<f32>> {
    if members.len() == 1 {
        return softmax_t(members[0].view(), t);
    }
    let mut mean = softmax_t(members[0].view(), 1.0)?;
    for m in &members[1..] {
        mean += &softmax_t(m.view(), 1.0)?;
    }
    mean /= members.len() as f32;
    if t == 1.0 {
        Ok(mean)
    } else {
        soften_probs(mean.view(), t)
    }
}

/// Optimiser settings of the 2×800 students.
fn student_train_params(cfg: &MnistConfig, seed: u64, what: &str) -> crate::neural::TrainParams {
    crate::neural::TrainParams {
        epochs: cfg.budget.student_epochs,
        batch_size: cfg.budget.batch_size,
        learning_rate: 1e-3,
        lr_decay: lr_decay_for(cfg.budget.student_epochs),
        seed,
        progress: label(cfg, what),
        ..Default::default()
    }
}

/// Distil into a fresh `784 → hidden → K` net on a jittered transfer set: every mini-batch of `x` is
/// translated by up to `budget.max_shift` pixels and labelled by the teacher *on the translated images*
/// (looked up in `bank`, the teacher's logits on every translation of `x`; `q = teacher_probs(·, T)`),
/// loss `α·CE(y) + (1−α)·T²·KL(q ‖ p_T)`. Returns the net and its seconds.
#[allow(clippy::too_many_arguments)]
fn distill_jittered(
    cfg: &MnistConfig,
    hidden: &[usize],
    seed: u64,
    what: &str,
    x: ArrayView2<f32>,
    y: ndarray::ArrayView1<usize>,
    bank: &ShiftBank,
    k: usize,
) -> Result<(crate::neural::Net, f64)> {
    let p = student_train_params(cfg, seed, what);
    p.check()?;
    crate::data::check_rows(x, "transfer set")?;
    let device = cfg.device.resolve()?;
    let _guard = crate::neural::seeded_fit_lock();
    let mut net = crate::neural::Net::new(&crate::neural::MlpSpec::new(x.ncols(), hidden, k), device, seed)?;
    if bank.len() != x.nrows() {
        return Err(KdError::Shape(format!("the shift bank has {} rows, the transfer set {}", bank.len(), x.nrows())));
    }
    let (alpha, t) = (cfg.alpha, cfg.temperature);
    let jitter = move |idx: &tch::Tensor, xb: &tch::Tensor| bank.batch(idx, xb, t);
    let data = crate::neural::TrainData::new(x.view()).labels(y.view()).augmented(&jitter);
    let report = crate::neural::train_model(&mut net, &p, data, crate::neural::Objective::Distill { alpha, temperature: t })?;
    Ok((net, report.seconds))
}

/// The teachers' logits on every translation of the training images ([`ShiftBank`]), read from each
/// member's cache folder (`shifts-<max_shift>.safetensors`) when the member came from the cache, else
/// computed and written there.
fn shift_bank(cfg: &MnistConfig, members: &[Member], train: &Dataset, rows: usize, cols: usize) -> Result<ShiftBank> {
    let device = cfg.device.resolve()?;
    let shift = cfg.budget.max_shift;
    let n_shifts = ShiftBank::n_shifts(shift);
    let mut logits = Vec::new();
    for m in members {
        let path = m.dir.join(format!("shifts-{shift}.safetensors"));
        let start = Instant::now();
        if m.cached && path.exists() {
            logits.push(ShiftBank::load_member(&path, shift, train.len(), train.n_classes, device)?);
            say(cfg, format!("{}: logits on the {n_shifts} translations loaded from cache {}", m.title, path.display()));
        } else {
            let label = label(cfg, &format!("{} shifts", m.name.trim_start_matches("teacher_")));
            let z = ShiftBank::member_logits(&|x: &tch::Tensor| m.live.logits_t(x), train.x.view(), rows, cols, shift, device, label.as_deref())?;
            ShiftBank::save_member(&z, &path)?;
            say(
                cfg,
                format!("{}: logits on all {n_shifts} translations of the {} training images in {:.1} s (cached in {})", m.title, train.len(), start.elapsed().as_secs_f64(), path.display()),
            );
            logits.push(z);
        }
    }
    ShiftBank::new(logits, rows, cols, shift)
}

struct Ctx<'a> {
    cfg: &'a MnistConfig,
    test: &'a Dataset,
    teacher_test_pred: Array1<usize>,
    models: Vec<ModelResult>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn record(&mut self, name: &str, title: &str, pred: &Array1<usize>, size: usize, unit: &str, seconds: f64, published: Option<usize>) -> Result<usize> {
        let e = errors(pred.view(), self.test.y.view())?;
        let n = self.test.len();
        let fid = crate::metrics::fidelity(pred.view(), self.teacher_test_pred.view())?;
        let pubs = published.map(|p| format!(" (published {p})")).unwrap_or_default();
        say(
            self.cfg,
            format!("{title:<48} test errors {e:>5} / {n}{pubs}, accuracy {:.2}%, fidelity {:.2}%, {size} {unit}, {seconds:.1} s", 100.0 * (1.0 - e as f64 / n as f64), 100.0 * fid),
        );
        self.models.push(ModelResult {
            name: name.into(),
            title: title.into(),
            errors: e,
            accuracy: 1.0 - e as f64 / n as f64,
            fidelity: fid,
            size,
            size_unit: unit.into(),
            seconds,
            published,
        });
        Ok(e)
    }
}

/// An `f32` as the `f64` with the same shortest decimal form (`0.1f32` → `0.1`, not `0.10000000149`).
fn clean(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(v as f64)
}

fn predict_net(net: &crate::neural::Net, x: ArrayView2<f32>) -> Result<Array1<usize>> {
    Ok(argmax_rows(net.logits(x)?.view()))
}

/// Run the whole experiment.
pub fn run(cfg: &MnistConfig) -> Result<MnistReport> {
    cfg.validate()?;
    let wall = Instant::now();
    let device = cfg.device.resolve()?;
    let device_name = describe_device(device);
    say(cfg, format!("MNIST distillation ({} mode) on {device_name}", cfg.mode));
    let data = load_data(cfg)?;
    let (rows, cols, k) = (data.rows, data.cols, data.train.n_classes);

    // Training subset (seeded) and the omitted-3 validation rows (the first n_val of it).
    let n_all = data.train.len();
    let mut order: Vec<usize> = (0..n_all).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
    let n_train = cfg.budget.n_train.unwrap_or(n_all).min(n_all);
    let train = data.train.select(&order[..n_train]);
    let n_val = cfg.budget.n_val;
    if n_val * 2 > n_train {
        return Err(KdError::param("n_val", n_val, format!("at most half of the {n_train} training images")));
    }
    let val_rows: Vec<usize> = (0..n_val).collect();
    let n_test = cfg.budget.n_test.unwrap_or(data.test.len()).min(data.test.len());
    let test = data.test.select(&(0..n_test).collect::<Vec<_>>());
    drop(data);
    say(
        cfg,
        format!("data: {} ({rows}×{cols}, {k} classes): {n_train} training images ({n_val} of them the omitted-3 validation split), {n_test} test images", cfg.data_dir.display()),
    );

    // Jittered copies for the tree augmentation (labelled by the teacher below).
    let aug_seed = cfg.seed + 7;
    let aug = jitter_images(train.x.view(), rows, cols, cfg.budget.aug_copies, cfg.budget.max_shift.max(1), aug_seed)?;
    let aug_labels: Array1<usize> = (0..aug.nrows()).map(|i| train.y[i % n_train]).collect();

    // Teachers.
    let data_key = hash_data(&train);
    let aug_key = key_of(&(cfg.budget.aug_copies, aug_seed, cfg.budget.max_shift.max(1)));
    let mut members = Vec::new();
    for kind in cfg.teacher.members() {
        members.push(teacher_member(cfg, kind, &train, &test, &aug, data_key, &aug_key, rows, cols)?);
    }
    let train_logits: Vec<&Array2<f32>> = members.iter().map(|m| &m.train).collect();
    let test_logits: Vec<&Array2<f32>> = members.iter().map(|m| &m.test).collect();
    let aug_logits: Vec<&Array2<f32>> = members.iter().map(|m| &m.aug).collect();
    let bank = if cfg.student_jitter { Some(shift_bank(cfg, &members, &train, rows, cols)?) } else { None };
    let teacher_test_pred = argmax_rows(teacher_probs(&test_logits, 1.0)?.view());
    let mut ctx = Ctx { cfg, test: &test, teacher_test_pred: teacher_test_pred.clone(), models: Vec::new() };
    let mut teacher_members = Vec::new();
    if members.len() > 1 {
        for m in &members {
            let mut c2 = Ctx { cfg, test: &test, teacher_test_pred: teacher_test_pred.clone(), models: Vec::new() };
            let published = (m.name == "teacher_mlp").then_some(published::TEACHER);
            c2.record(&m.name, &format!("  member: {}", m.title), &argmax_rows(m.test.view()), m.live.n_params(), "params", m.seconds, published)?;
            teacher_members.extend(c2.models);
        }
    }
    let teacher_title = match cfg.teacher {
        TeacherKind::Ensemble => "teacher ensemble: mean prob. of MLP and CNN".to_string(),
        _ => members[0].title.clone(),
    };
    let teacher_params: usize = members.iter().map(|m| m.live.n_params()).sum();
    let teacher_seconds: f64 = members.iter().map(|m| m.seconds).sum();
    let teacher_errors = ctx.record("teacher", &teacher_title, &teacher_test_pred, teacher_params, "params", teacher_seconds, Some(published::TEACHER))?;

    // 2×800 students: labels; distilled on the training images (Hinton's setting); and, when
    // `student_jitter`, labels + jitter (augmentation alone) and distilled on jittered images.
    let t = cfg.temperature;
    let q_train = teacher_probs(&train_logits, t)?;
    let big = |seed: u64, what: &str| {
        let mut p = MlpParams::new(&[800, 800]).device(cfg.device);
        p.train = student_train_params(cfg, seed, what);
        p
    };
    let s_seed = cfg.seed + 10;
    let hard = big(s_seed, "2×800 hard").hard().fit(train.x.view(), Some(train.y.view()), None, None, k)?;
    let hard_pred = argmax_rows(hard.logits(test.x.view())?.view());
    let student_hard_errors =
        ctx.record("student_hard", "student 784-800-800-10, hard labels", &hard_pred, hard.n_params(), "params", hard.report.seconds, Some(published::STUDENT_HARD))?;
    let plain = big(s_seed, "2×800 distilled").distill(cfg.alpha, t).fit(train.x.view(), Some(train.y.view()), Some(q_train.view()), None, k)?;
    let plain_pred = argmax_rows(plain.logits(test.x.view())?.view());
    let plain_pub = (!cfg.student_jitter).then_some(published::STUDENT_SOFT);
    let student_soft_plain_errors =
        ctx.record("student_soft_plain", &format!("student 784-800-800-10, distilled T={t}"), &plain_pred, plain.n_params(), "params", plain.report.seconds, plain_pub)?;
    let (mut soft_pred, mut student_soft_errors) = (plain_pred, student_soft_plain_errors);
    let (mut hard_jitter_errors, mut soft_jitter_errors) = (None, None);
    if cfg.student_jitter {
        let shift = cfg.budget.max_shift;
        let tf = move |x: &tch::Tensor| random_translate(x, rows, cols, shift);
        let hj = big(s_seed, "2×800 hard+jitter").hard().fit_with_transform(train.x.view(), Some(train.y.view()), None, None, k, Some(&tf))?;
        let hj_pred = argmax_rows(hj.logits(test.x.view())?.view());
        hard_jitter_errors =
            Some(ctx.record("student_hard_jitter", "student 784-800-800-10, labels + jitter", &hj_pred, hj.n_params(), "params", hj.report.seconds, None)?);
        let (net, secs) = distill_jittered(cfg, &[800, 800], s_seed, "2×800 distilled+jitter", train.x.view(), train.y.view(), bank.as_ref().expect("built with student_jitter"), k)?;
        soft_pred = predict_net(&net, test.x.view())?;
        let e = ctx.record(
            "student_soft_jitter",
            &format!("student 784-800-800-10, distilled T={t} + jitter"),
            &soft_pred,
            net.spec().n_params(),
            "params",
            secs,
            Some(published::STUDENT_SOFT),
        )?;
        soft_jitter_errors = Some(e);
        student_soft_errors = e;
    }

    // Small students: trained without the validation rows; validation picks the hard baseline's transfer
    // set and the distilled student's temperature.
    let not_val: Vec<usize> = (n_val..n_train).collect();
    let copies = cfg.budget.aug_copies;
    let aug_rows: Vec<usize> = (0..copies).flat_map(|c| not_val.iter().map(move |&i| c * n_train + i)).collect();
    let val = train.select(&val_rows);
    let plain = train.select(&not_val);
    let x_jit = cat(plain.x.view(), aug.select(Axis(0), &aug_rows).view())?;
    let y_jit: Array1<usize> = plain.y.iter().copied().chain(aug_rows.iter().map(|&r| aug_labels[r])).collect();
    let z_jit: Vec<Array2<f32>> =
        members.iter().map(|m| cat(m.train.select(Axis(0), &not_val).view(), m.aug.select(Axis(0), &aug_rows).view())).collect::<Result<_>>()?;
    let z_jit_refs: Vec<&Array2<f32>> = z_jit.iter().collect();
    let mut sweep = BTreeMap::new();
    for (arch, hidden) in [("784-30-30-10", vec![30usize, 30]), ("784-10-10-10", vec![10, 10])] {
        let small = |epochs: usize, what: String| {
            let mut p = MlpParams::new(&hidden)
                .epochs(epochs)
                .batch_size(cfg.budget.small_batch_size)
                .learning_rate(3e-3)
                .seed(cfg.seed + 20)
                .device(cfg.device);
            p.train.lr_decay = lr_decay_for(epochs);
            p.train.progress = label(cfg, &what);
            p
        };
        let eval = |m: &crate::neural::Mlp| -> Result<(usize, Array1<usize>)> {
            let vp = argmax_rows(m.logits(val.x.view())?.view());
            Ok((errors(vp.view(), val.y.view())?, argmax_rows(m.logits(test.x.view())?.view())))
        };
        // The same number of gradient steps on both transfer sets.
        let e = cfg.budget.small_epochs;
        let hp = small(e * (1 + copies), format!("{arch} hard")).hard().fit(plain.x.view(), Some(plain.y.view()), None, None, k)?;
        let (hp_val, hp_pred) = eval(&hp)?;
        let hp_test = ctx.record(&format!("small_{arch}_hard"), &format!("small {arch}, hard labels"), &hp_pred, hp.n_params(), "params", hp.report.seconds, None)?;
        let hj = small(e, format!("{arch} hard+jitter")).hard().fit(x_jit.view(), Some(y_jit.view()), None, None, k)?;
        let (hj_val, hj_pred) = eval(&hj)?;
        let hj_test =
            ctx.record(&format!("small_{arch}_hard_jitter"), &format!("small {arch}, labels + jittered copies"), &hj_pred, hj.n_params(), "params", hj.report.seconds, None)?;
        let mut soft = Vec::new();
        for &ts in &cfg.temperatures {
            let q = teacher_probs(&z_jit_refs, ts)?;
            let m = small(e, format!("{arch} T={ts}")).distill(cfg.small_alpha, ts).fit(x_jit.view(), Some(y_jit.view()), Some(q.view()), None, k)?;
            let (v, p) = eval(&m)?;
            let t_err =
                ctx.record(&format!("small_{arch}_soft_T{ts}"), &format!("small {arch}, distilled T={ts} (+ jitter)"), &p, m.n_params(), "params", m.report.seconds, None)?;
            soft.push((v, t_err));
        }
        let chosen = (0..soft.len()).min_by_key(|&i| (soft[i].0, i)).expect("at least one temperature");
        let sw = SmallSweep {
            hard_plain: (hp_val, hp_test),
            hard_jitter: (hj_val, hj_test),
            soft,
            temperatures: cfg.temperatures.clone(),
            chosen,
            hard_chose_jitter: hj_val < hp_val,
        };
        say(
            cfg,
            format!(
                "small {arch}: validation picks hard = {} ({} test errors) and T = {} ({} test errors)",
                if sw.hard_chose_jitter { "labels + jitter" } else { "plain labels" },
                sw.hard_errors(),
                sw.temperature(),
                sw.soft_errors()
            ),
        );
        sweep.insert(arch.to_string(), sw);
    }
    drop((x_jit, z_jit));

    // Trees.
    let trees = fit_trees(cfg, &mut ctx, &train, &aug, &aug_labels, &train_logits, &aug_logits)?;
    let headline = trees.iter().find(|r| r.max_leaves == cfg.headline_leaves).expect("validated");

    // Omitted-3 experiment.
    let omit = omit_three(cfg, &mut ctx, &train, &val_rows, &q_train, bank.as_ref())?;

    let confusions = vec![
        ("teacher".to_string(), confusion(teacher_test_pred.view(), test.y.view(), k)?),
        ("student_hard".to_string(), confusion(hard_pred.view(), test.y.view(), k)?),
        ("student_soft".to_string(), confusion(soft_pred.view(), test.y.view(), k)?),
    ];
    let wrong: Vec<usize> = (0..test.len()).filter(|&i| soft_pred[i] != test.y[i]).take(48).collect();
    let mistakes = (test.x.select(Axis(0), &wrong), wrong.iter().map(|&i| format!("true {} → {}", test.y[i], soft_pred[i])).collect());

    let metrics = Metrics {
        mode: cfg.mode.to_string(),
        device: device_name,
        wall_seconds: wall.elapsed().as_secs_f64(),
        teacher: cfg.teacher.to_string(),
        teacher_errors,
        student_hard_errors,
        student_soft_errors,
        student_soft_plain_errors,
        student_hard_jitter_errors: hard_jitter_errors,
        student_soft_jitter_errors: soft_jitter_errors,
        small_hard_errors: sweep["784-30-30-10"].hard_errors(),
        small_soft_errors: sweep["784-30-30-10"].soft_errors(),
        tiny_hard_errors: sweep["784-10-10-10"].hard_errors(),
        tiny_soft_errors: sweep["784-10-10-10"].soft_errors(),
        tree_hard_acc: headline.hard_acc,
        tree_soft_acc: headline.soft_acc,
        tree_hard_aug_acc: headline.hard_aug_acc,
        tree_soft_aug_acc: headline.soft_aug_acc,
        omit3_errors: omit.errors[0],
        omit3_threes_correct: 1.0 - omit.three_errors[0] as f64 / omit.threes as f64,
        omit3_fixed_errors: omit.errors[1],
        omit3_fixed_threes_correct: 1.0 - omit.three_errors[1] as f64 / omit.threes as f64,
        omit3_three_errors: omit.three_errors[0],
        omit3_fixed_three_errors: omit.three_errors[1],
        omit3_threes_total: omit.threes,
        omit3_bias: clean(omit.bias),
        omit3_val_errors: omit.val_errors,
        n_train,
        n_test,
        n_val,
        temperature: clean(cfg.temperature),
        small_temperature: clean(sweep["784-30-30-10"].temperature()),
        tiny_temperature: clean(sweep["784-10-10-10"].temperature()),
        small_alpha: clean(cfg.small_alpha),
        alpha: clean(cfg.alpha),
        tree_leaves: cfg.headline_leaves,
        student_jitter: cfg.student_jitter,
    };
    say(cfg, format!("wall time {:.1} s on {}", metrics.wall_seconds, metrics.device));
    Ok(MnistReport {
        metrics,
        models: ctx.models,
        teacher_members,
        sweep,
        temperatures: cfg.temperatures.clone(),
        trees,
        confusions,
        mistakes,
        cache_hits: members.iter().map(|m| m.cached).collect(),
        n_test,
        config: cfg.clone(),
    })
}

fn fit_trees(
    cfg: &MnistConfig,
    ctx: &mut Ctx<'_>,
    train: &Dataset,
    aug: &Array2<f32>,
    aug_labels: &Array1<usize>,
    train_logits: &[&Array2<f32>],
    aug_logits: &[&Array2<f32>],
) -> Result<Vec<TreeRow>> {
    let k = train.n_classes;
    let start = Instant::now();
    let binned = BinnedMatrix::new(train.x.view(), 256)?;
    let binned_all = BinnedMatrix::new(cat(train.x.view(), aug.view())?.view(), 256)?;
    let y_hard = one_hot(train.y.view(), k)?;
    let y_soft = teacher_probs(train_logits, cfg.tree_temperature)?;
    let y_hard_all = cat(y_hard.view(), one_hot(aug_labels.view(), k)?.view())?;
    let y_soft_all = cat(y_soft.view(), teacher_probs(aug_logits, cfg.tree_temperature)?.view())?;
    say(cfg, format!("trees: binned {} + {} jittered rows in {:.1} s", train.len(), aug.nrows(), start.elapsed().as_secs_f64()));
    let bar = crate::progress::bar(label(cfg, "trees").as_deref(), (cfg.budget.tree_leaves.len() * 4) as u64);
    let mut rows = Vec::new();
    for &leaves in &cfg.budget.tree_leaves {
        let p = TreeParams::default().max_leaves(Some(leaves));
        let (mut accs, mut fids, mut nl) = ([0.0; 4], [0.0; 4], [0; 4]);
        let variants: [(&str, &str, &BinnedMatrix, ArrayView2<f32>); 4] = [
            ("hard", "one-hot labels", &binned, y_hard.view()),
            ("soft", "teacher probabilities", &binned, y_soft.view()),
            ("hard_aug", "labels + jittered copies", &binned_all, y_hard_all.view()),
            ("soft_aug", "teacher prob. + jittered copies", &binned_all, y_soft_all.view()),
        ];
        for (j, (name, desc, x, y)) in variants.into_iter().enumerate() {
            let t0 = Instant::now();
            let tree = p.fit_binned(x, y, None)?;
            let pred = argmax_rows(tree.predict(ctx.test.x.view())?.view());
            let e = ctx.record(&format!("tree_{name}_{leaves}"), &format!("tree ≤{leaves} leaves, {desc}"), &pred, tree.n_leaves(), "leaves", t0.elapsed().as_secs_f64(), None)?;
            accs[j] = 1.0 - e as f64 / ctx.test.len() as f64;
            fids[j] = ctx.models.last().expect("just recorded").fidelity;
            nl[j] = tree.n_leaves();
            bar.inc(1);
        }
        rows.push(TreeRow { max_leaves: leaves, hard_acc: accs[0], soft_acc: accs[1], hard_aug_acc: accs[2], soft_aug_acc: accs[3], fidelity: fids, leaves: nl });
    }
    bar.finish_and_clear();
    Ok(rows)
}

struct OmitResult {
    errors: [usize; 2],
    three_errors: [usize; 2],
    threes: usize,
    bias: f32,
    val_errors: [usize; 2],
}

fn cat<'a>(a: ArrayView2<'a, f32>, b: ArrayView2<'a, f32>) -> Result<Array2<f32>> {
    concatenate(Axis(0), &[a, b]).map_err(|e| KdError::Shape(e.to_string()))
}

/// The bias `b ≥ 0` added to logit `class` that minimises errors on the validation logits.
///
/// With `d_i = max_{j≠class} z_ij − z_i,class`, row `i` is predicted as `class` exactly when `b > d_i`, so
/// the error count only changes at the `d_i`. Candidates are `0` and the midpoints between consecutive
/// positive `d_i` (and one past the largest); the smallest minimiser wins. Returns
/// `(bias, errors at 0, errors at bias)`.
pub fn choose_bias(val_logits: ArrayView2<f32>, val_y: ndarray::ArrayView1<usize>, class: usize) -> Result<(f32, usize, usize)> {
    if class >= val_logits.ncols() {
        return Err(KdError::UnknownClass { label: class.to_string(), row: 0, known: format!("0..{}", val_logits.ncols()) });
    }
    if val_logits.nrows() != val_y.len() || val_y.is_empty() {
        return Err(KdError::Shape(format!("{} validation logit rows but {} labels", val_logits.nrows(), val_y.len())));
    }
    let eval = |b: f32| -> Result<usize> {
        let mut z = val_logits.to_owned();
        z.column_mut(class).mapv_inplace(|v| v + b);
        errors(argmax_rows(z.view()).view(), val_y)
    };
    let mut d: Vec<f32> = val_logits
        .axis_iter(Axis(0))
        .map(|r| r.iter().enumerate().filter(|&(j, _)| j != class).map(|(_, &v)| v).fold(f32::NEG_INFINITY, f32::max) - r[class])
        .filter(|&v| v > 0.0)
        .collect();
    d.sort_by(|a, b| a.total_cmp(b));
    d.dedup();
    let mut candidates = vec![0.0f32];
    candidates.extend(d.windows(2).map(|w| 0.5 * (w[0] + w[1])));
    if let Some(&last) = d.last() {
        candidates.push(last + 0.5);
    }
    candidates.sort_by(|a, b| a.total_cmp(b));
    let before = eval(0.0)?;
    let mut best = (0.0f32, before);
    // Error counts only change at the d_i; evaluate each candidate (n ≤ a few thousand rows).
    for &b in &candidates[1..] {
        let e = eval(b)?;
        if e < best.1 {
            best = (b, e);
        }
    }
    Ok((best.0, before, best.1))
}

#[allow(clippy::too_many_arguments)]
fn omit_three(cfg: &MnistConfig, ctx: &mut Ctx<'_>, train: &Dataset, val_rows: &[usize], q_train: &Array2<f32>, bank: Option<&ShiftBank>) -> Result<OmitResult> {
    const THREE: usize = 3;
    let k = train.n_classes;
    if k <= THREE {
        return Err(KdError::param("n_classes", k, "the omitted-3 experiment needs at least 4 classes"));
    }
    let is_val: std::collections::HashSet<usize> = val_rows.iter().copied().collect();
    let keep: Vec<usize> = (0..train.len()).filter(|&i| !is_val.contains(&i) && train.y[i] != THREE).collect();
    let transfer = train.select(&keep);
    let val = train.select(val_rows);
    let seed = cfg.seed + 30;
    let (val_z, mut z, n_params, secs) = if let Some(bank) = bank {
        let bank = bank.subset(&keep)?;
        let (net, secs) = distill_jittered(cfg, &[800, 800], seed, "omitted-3 student", transfer.x.view(), transfer.y.view(), &bank, k)?;
        (net.logits(val.x.view())?, net.logits(ctx.test.x.view())?, net.spec().n_params(), secs)
    } else {
        let q = q_train.select(Axis(0), &keep);
        let mut p = MlpParams::new(&[800, 800]).device(cfg.device).distill(cfg.alpha, cfg.temperature);
        p.train = student_train_params(cfg, seed, "omitted-3 student");
        let m = p.fit(transfer.x.view(), Some(transfer.y.view()), Some(q.view()), None, k)?;
        (m.logits(val.x.view())?, m.logits(ctx.test.x.view())?, m.n_params(), m.report.seconds)
    };
    let (bias, v0, v1) = choose_bias(val_z.view(), val.y.view(), THREE)?;
    let pred0 = argmax_rows(z.view());
    z.column_mut(THREE).mapv_inplace(|v| v + bias);
    let pred1 = argmax_rows(z.view());
    let threes: Vec<usize> = (0..ctx.test.len()).filter(|&i| ctx.test.y[i] == THREE).collect();
    if threes.is_empty() {
        return Err(KdError::Empty("the test set has no 3s, so the omitted-3 experiment cannot be scored".into()));
    }
    let three_err = |p: &Array1<usize>| threes.iter().filter(|&&i| p[i] != THREE).count();
    let e0 = ctx.record("omit3", "student 2×800 distilled, no 3s in transfer set", &pred0, n_params, "params", secs, Some(published::OMIT3_ERRORS))?;
    let e1 = ctx.record("omit3_fixed", &format!("  … class-3 bias +{bias:.2} (chosen on validation)"), &pred1, n_params, "params", 0.0, Some(published::OMIT3_FIXED_ERRORS))?;
    let (t0, t1) = (three_err(&pred0), three_err(&pred1));
    say(
        cfg,
        format!(
            "omitted 3: {t0} of {} test 3s wrong before, {t1} after the bias +{bias:.2} (validation errors {v0} → {v1} of {}); published 133 → 14",
            threes.len(),
            val.len()
        ),
    );
    Ok(OmitResult { errors: [e0, e1], three_errors: [t0, t1], threes: threes.len(), bias, val_errors: [v0, v1] })
}

/// Write `metrics.json`, `README.md` and the PNGs into `out`.
pub fn write_reports(r: &MnistReport, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| KdError::io(out, e))?;
    // metrics.json: the flat headline keys plus details.
    let mut json = serde_json::to_value(&r.metrics)?;
    let obj = json.as_object_mut().expect("struct serialises to an object");
    obj.insert("models".into(), serde_json::to_value(&r.models)?);
    obj.insert("teacher_members".into(), serde_json::to_value(&r.teacher_members)?);
    obj.insert("trees".into(), serde_json::to_value(&r.trees)?);
    obj.insert("small_students".into(), serde_json::to_value(&r.sweep)?);
    obj.insert("teacher_from_cache".into(), serde_json::to_value(&r.cache_hits)?);
    obj.insert(
        "published".into(),
        serde_json::json!({
            "teacher_errors": published::TEACHER, "student_hard_errors": published::STUDENT_HARD,
            "student_soft_errors": published::STUDENT_SOFT, "omit3_errors": published::OMIT3_ERRORS,
            "omit3_three_errors": published::OMIT3_THREE_ERRORS, "omit3_fixed_errors": published::OMIT3_FIXED_ERRORS,
            "omit3_fixed_three_errors": published::OMIT3_FIXED_THREE_ERRORS,
        }),
    );
    obj.insert("config".into(), serde_json::to_value(&r.config)?);
    crate::io::write_json(out.join("metrics.json"), &json)?;

    // Bar chart of test errors: every model except the sweep's unchosen runs and other tree sizes.
    let m = &r.metrics;
    let keep = |x: &ModelResult| -> bool {
        if let Some(rest) = x.name.strip_prefix("small_") {
            let (arch, kind) = rest.split_once('_').unwrap_or((rest, ""));
            let sw = &r.sweep[arch];
            return match kind {
                "hard" => !sw.hard_chose_jitter,
                "hard_jitter" => sw.hard_chose_jitter,
                k => k == format!("soft_T{}", sw.temperature()),
            };
        }
        !x.name.starts_with("tree_") || x.name.ends_with(&format!("_{}", m.tree_leaves))
    };
    let bars: Vec<Bar> = r
        .teacher_members
        .iter()
        .chain(r.models.iter())
        .filter(|x| keep(x))
        .map(|x| {
            let b = Bar::new(short_title(&x.title), x.errors as f64);
            match x.published {
                Some(p) => b.with_reference(p as f64),
                None => b,
            }
        })
        .collect();
    plot_bars(
        out.join("test_errors.png"),
        &format!("MNIST test errors ({} mode, {} test images)", m.mode, r.n_test),
        "test errors",
        "published",
        &bars,
    )?;

    // Confusion matrices.
    for (name, c) in &r.confusions {
        let title = match name.as_str() {
            "teacher" => format!("Teacher ({})", m.teacher),
            "student_hard" => "Student 2×800, hard labels".to_string(),
            _ => format!("Student 2×800, distilled (T = {})", m.temperature),
        };
        plot_confusion(out.join(format!("confusion_{name}.png")), &title, c.view(), &[])?;
    }

    // Accuracy vs temperature.
    let ticks: Vec<String> = r.temperatures.iter().map(|t| format!("{t}")).collect();
    let acc = |e: usize| 1.0 - e as f64 / r.n_test as f64;
    let mut series = Vec::new();
    for (arch, sw) in r.sweep.iter().rev() {
        series.push(Series::new(format!("{arch} distilled"), sw.soft.iter().map(|&(_, e)| acc(e)).collect()));
        series.push(Series::new(format!("{arch} labels"), vec![acc(sw.hard_errors()); sw.soft.len()]).dashed());
    }
    plot_lines(out.join("temperature_sweep.png"), "Small students: test accuracy vs temperature", "temperature T", "test accuracy", &ticks, &series)?;

    // Digits the distilled student gets wrong.
    let (imgs, caps) = &r.mistakes;
    let grid = out.join("student_soft_mistakes.png");
    if imgs.nrows() > 0 {
        plot_image_grid(&grid, &format!("Test digits the distilled 2×800 student gets wrong (first {})", imgs.nrows()), imgs.view(), caps, 8)?;
    } else if grid.exists() {
        std::fs::remove_file(&grid).map_err(|e| KdError::io(&grid, e))?;
    }

    crate::io::atomic_write(out.join("README.md"), readme(r)?.as_bytes())
}

fn short_title(t: &str) -> String {
    t.replace("784-", "").replace("student ", "").replace("  member: ", "member: ").replace("  … ", "omit-3 ")
}

fn pct(v: f64) -> String {
    format!("{:.2}%", 100.0 * v)
}

fn readme(r: &MnistReport) -> Result<String> {
    let m = &r.metrics;
    let find = |name: &str| r.models.iter().find(|x| x.name == name);
    let errs = |name: &str| find(name).map(|x| x.errors.to_string()).unwrap_or_else(|| "—".into());

    let mut head = vec![
        vec!["teacher".to_string(), find("teacher").map(|x| x.title.clone()).unwrap_or_default(), "67".into(), m.teacher_errors.to_string()],
        vec!["2×800 on labels".into(), "no regularisation".into(), "146".into(), m.student_hard_errors.to_string()],
        vec!["2×800 distilled".into(), format!("T = {}, α = {}, training images", m.temperature, m.alpha), if m.student_jitter { "—".into() } else { "74".into() }, m.student_soft_plain_errors.to_string()],
    ];
    if m.student_jitter {
        head.push(vec!["2×800 on labels + jitter".into(), "augmentation alone (control)".into(), "—".into(), errs("student_hard_jitter")]);
        head.push(vec!["2×800 distilled + jitter".into(), "teacher labels each translated batch".into(), "74".into(), m.student_soft_errors.to_string()]);
    }
    head.push(vec!["omitted 3, distilled".into(), "errors (on the 1010 test 3s)".into(), "206 (133)".into(), format!("{} ({})", m.omit3_errors, m.omit3_three_errors)]);
    head.push(vec![
        "omitted 3, bias fixed".into(),
        format!("class-3 bias +{:.2}, chosen on validation", m.omit3_bias),
        "109 (14)".into(),
        format!("{} ({})", m.omit3_fixed_errors, m.omit3_fixed_three_errors),
    ]);
    let headline = markdown_table(&["model", "setting", "published test errors", "test errors here"], &head)?;

    let mut rows = Vec::new();
    for x in r.teacher_members.iter().chain(r.models.iter()) {
        rows.push(vec![
            x.title.trim().to_string(),
            x.errors.to_string(),
            x.published.map(|v| v.to_string()).unwrap_or_else(|| "—".into()),
            pct(x.accuracy),
            pct(x.fidelity),
            format!("{} {}", x.size, x.size_unit),
            format!("{:.1}", x.seconds),
        ]);
    }
    let table = markdown_table(&["model", "test errors", "published", "accuracy", "fidelity", "size", "train s"], &rows)?;

    let mut headers = vec!["student".to_string(), "labels".to_string(), "labels + jitter".to_string()];
    headers.extend(r.temperatures.iter().map(|t| format!("T={t}")));
    let cell = |(v, t): (usize, usize), chosen: bool| format!("{}{t} ({v})", if chosen { "**" } else { "" }) + if chosen { "**" } else { "" };
    let srows: Vec<Vec<String>> = r
        .sweep
        .iter()
        .rev()
        .map(|(a, sw)| {
            let mut row = vec![a.clone(), cell(sw.hard_plain, !sw.hard_chose_jitter), cell(sw.hard_jitter, sw.hard_chose_jitter)];
            row.extend(sw.soft.iter().enumerate().map(|(i, &e)| cell(e, i == sw.chosen)));
            row
        })
        .collect();
    let sweep = markdown_table(&headers, &srows)?;

    let trows: Vec<Vec<String>> = r
        .trees
        .iter()
        .map(|t| {
            let mut row = vec![t.max_leaves.to_string()];
            row.extend([t.hard_acc, t.soft_acc, t.hard_aug_acc, t.soft_aug_acc].map(pct));
            row.push(format!("{} / {}", pct(t.fidelity[0]), pct(t.fidelity[3])));
            row.push(t.leaves.map(|l| l.to_string()).join(" / "));
            row
        })
        .collect();
    let trees = markdown_table(
        &["max leaves", "labels", "teacher prob.", "labels + jitter", "teacher prob. + jitter", "fidelity (labels / teacher + jitter)", "leaves grown"],
        &trows,
    )?;

    let omit = markdown_table(
        &["omitted-3 student", "test errors", "errors on 3s", "3s correct", "published errors", "published on 3s"],
        &[
            vec!["distilled without 3s".into(), m.omit3_errors.to_string(), m.omit3_three_errors.to_string(), format!("{:.1}%", 100.0 * m.omit3_threes_correct), "206".into(), "133".into()],
            vec![
                format!("class-3 bias +{:.2}", m.omit3_bias),
                m.omit3_fixed_errors.to_string(),
                m.omit3_fixed_three_errors.to_string(),
                format!("{:.1}%", 100.0 * m.omit3_fixed_threes_correct),
                "109".into(),
                "14".into(),
            ],
        ],
    )?;
    let quick_note = if m.mode == "quick" {
        format!(
            "\n> **Quick mode** (a CPU smoke run): {} training images and a few epochs per network, so every error count is \
             far above the published ones and with one seed and so little training the comparisons between models are not reliable. \
             The full run (`--full`, the default on a GPU) uses all 60 000 images and long training.\n",
            m.n_train
        )
    } else {
        String::new()
    };
    let cfg = &r.config;
    let command = cfg.command.clone().unwrap_or_else(|| format!("scripts/cargo run --release --example mnist -- --{}", m.mode));
    let teacher_epochs = cfg
        .teacher
        .members()
        .iter()
        .map(|k| match k {
            TeacherKind::Cnn => format!("CNN teacher {}", cfg.budget.cnn_epochs),
            _ => format!("MLP teacher {}", cfg.budget.teacher_epochs),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let changes = cfg.changes_from_preset();
    let changes_note = if changes.is_empty() {
        String::new()
    } else {
        format!("\n> **Changed from the {} preset** (preset value in parentheses): {}.\n", m.mode, changes.join(", "))
    };
    Ok(format!(
        "# MNIST distillation\n\n\
         Generated by `{command}`; do not edit by hand.\n\
         Mode **{mode}**, device **{dev}**, wall time **{wall:.1} s**, seed {seed}, teacher **{teacher}**. {n_train} training \
         images ({n_val} of them also the validation split), {n_test} test images. Epochs: {teacher_epochs}, 2×800 students {se}, \
         small students {sme}; batch {bs} (small students {sbs}).\n{changes_note}{quick_note}\n\
         Published numbers: Hinton, Vinyals & Dean, *Distilling the Knowledge in a Neural Network* (2015), §3 (test errors \
         of 10 000). Distillation loss: `α·CE(y) + (1−α)·T²·KL(q_T ‖ p_T)`.\n\n\
         ## Headline\n\n{headline}\n\
         \"Jitter\": images randomly translated by up to {shift} pixel(s) in each direction (zero fill). For the 2×800 \
         students the translations are redrawn every mini-batch and the distilled one gets the teacher's soft targets *for \
         the translated image*; the small students and the trees use {copies} fixed jittered copies of each training image, \
         labelled by the teacher once.\n\n\
         ![test errors](test_errors.png)\n\n\
         ## All models (test set)\n\n{table}\n\
         Fidelity: agreement with the teacher's class on the test images. Teacher members were loaded from the cache: {cache:?}.\n\n\
         ## Small students\n\nTrained without the {n_val} validation images; hard labels on the plain images or on the images \
         plus {copies} jittered copies each (same number of steps); distilled (α = {small_alpha}) on the images plus the \
         jittered copies, labelled by the teacher. Cells: test errors (validation errors); **bold**: the run validation picks, \
         which gives the headline `small_*_errors`.\n\n{sweep}\n![accuracy vs temperature](temperature_sweep.png)\n\n\
         ## Trees (test accuracy)\n\nOur CART learner, same leaf limit, only the targets differ: one-hot labels, the teacher's \
         probabilities (T = {tree_t}), and either on the training images alone or with their {copies} jittered copies.\n\n{trees}\n\
         ## Omitted-3 experiment\n\nThe 2×800 student is distilled from a transfer set with every 3 removed (and without the \
         validation images); then the class-3 logit bias is raised by the amount that minimises errors on the {n_val} \
         validation images carved from the training set (never the test set). Validation errors {v0} → {v1}.\n\n{omit}\n\
         ## Confusion matrices (test set)\n\n![teacher](confusion_teacher.png) ![hard](confusion_student_hard.png) \
         ![soft](confusion_student_soft.png)\n\n\
         ## Digits the distilled 2×800 student gets wrong\n\n![mistakes](student_soft_mistakes.png)\n",
        mode = m.mode,
        dev = m.device,
        wall = m.wall_seconds,
        seed = cfg.seed,
        teacher = cfg.teacher,
        se = cfg.budget.student_epochs,
        sme = cfg.budget.small_epochs,
        bs = cfg.budget.batch_size,
        sbs = cfg.budget.small_batch_size,
        n_train = m.n_train,
        n_val = m.n_val,
        n_test = m.n_test,
        shift = cfg.budget.max_shift,
        cache = r.cache_hits,
        copies = cfg.budget.aug_copies,
        small_alpha = m.small_alpha,
        tree_t = cfg.tree_temperature,
        v0 = m.omit3_val_errors[0],
        v1 = m.omit3_val_errors[1],
    ))
}

/// One-paragraph summary of the headline numbers (published figures in parentheses).
pub fn summary(r: &MnistReport) -> String {
    let m = &r.metrics;
    format!(
        "teacher {} errors (67) | 2×800: labels {} (146), distilled {} (74){} | 30×30: labels {} vs distilled {} (T={}) | \
         10×10: labels {} vs distilled {} (T={}) | tree@{}: labels {:.2}% vs teacher {:.2}%, +jitter {:.2}% vs {:.2}% | \
         omitted 3: {} errors, {:.1}% of 3s right → bias +{:.2}: {} errors, {:.1}% of 3s",
        m.teacher_errors,
        m.student_hard_errors,
        m.student_soft_errors,
        if m.student_jitter { format!(" [+jitter; plain {}]", m.student_soft_plain_errors) } else { String::new() },
        m.small_hard_errors,
        m.small_soft_errors,
        m.small_temperature,
        m.tiny_hard_errors,
        m.tiny_soft_errors,
        m.tiny_temperature,
        m.tree_leaves,
        100.0 * m.tree_hard_acc,
        100.0 * m.tree_soft_acc,
        100.0 * m.tree_hard_aug_acc,
        100.0 * m.tree_soft_aug_acc,
        m.omit3_errors,
        100.0 * m.omit3_threes_correct,
        m.omit3_bias,
        m.omit3_fixed_errors,
        100.0 * m.omit3_fixed_threes_correct
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn jitter_shifts_and_zero_fills() {
        // One 3×3 image with a single bright pixel in the middle: every copy moves it by one pixel
        // (max_shift 1, never (0, 0)), so it lands on one of the 8 neighbours.
        let mut x = Array2::<f32>::zeros((1, 9));
        x[[0, 4]] = 1.0;
        let j = jitter_images(x.view(), 3, 3, 200, 1, 5).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for r in j.axis_iter(Axis(0)) {
            assert_eq!(r.sum(), 1.0);
            let p = r.iter().position(|&v| v == 1.0).unwrap();
            assert_ne!(p, 4);
            seen.insert(p);
        }
        assert_eq!(seen.len(), 8);
        assert_eq!(jitter_images(x.view(), 3, 3, 3, 1, 5).unwrap(), jitter_images(x.view(), 3, 3, 3, 1, 5).unwrap());
        assert!(jitter_images(x.view(), 3, 2, 1, 1, 0).is_err());
    }

    #[test]
    fn bias_is_chosen_to_minimise_validation_errors() {
        // Rows of class 1 need a bias > 0.5; row 0 (class 0) flips to 1 once the bias exceeds 2.
        // Candidates: 0, the midpoint 1.25 of (0.5, 2), and 2.5; 1.25 fixes both without hurting row 0.
        let z = array![[2.0f32, 0.0], [1.0, 0.5], [1.2, 0.7]];
        let y = array![0usize, 1, 1];
        let (b, before, after) = choose_bias(z.view(), y.view(), 1).unwrap();
        assert_eq!((before, after), (2, 0));
        assert!((b - 1.25).abs() < 1e-6, "{b}");
        // When every bias only hurts, the bias stays 0.
        let (b, before, after) = choose_bias(z.view(), array![0usize, 0, 0].view(), 1).unwrap();
        assert_eq!((b, before, after), (0.0, 0, 0));
        assert!(choose_bias(z.view(), y.view(), 2).is_err());
        assert!(choose_bias(z.view(), array![0usize].view(), 1).is_err());
    }

    #[test]
    fn ensemble_probs_average_probabilities() {
        let a = array![[0.0f32, 9f32.ln()]];
        let b = array![[0.0f32, 0.0]];
        let p = teacher_probs(&[&a, &b], 1.0).unwrap();
        assert!((p[[0, 1]] - 0.7).abs() < 1e-6);
        let single = teacher_probs(&[&a], 2.0).unwrap();
        assert!((single[[0, 1]] - 3.0 / 4.0).abs() < 1e-6);
    }

    #[test]
    fn config_validation() {
        let mut c = MnistConfig::new(Mode::Quick);
        assert!(c.validate().is_ok());
        c.temperatures = vec![];
        assert!(matches!(c.validate(), Err(KdError::Empty(_))));
        c.temperatures = vec![1.0, 0.0];
        assert!(matches!(c.validate(), Err(KdError::InvalidParam { name: "temperature", .. })));
        let mut c = MnistConfig::new(Mode::Full);
        c.budget.tree_leaves = vec![256];
        assert!(matches!(c.validate(), Err(KdError::InvalidParam { name: "headline_leaves", .. })));
        let mut c = MnistConfig::new(Mode::Quick);
        c.alpha = 1.5;
        assert!(c.validate().is_err());
        assert_eq!("FULL".parse::<Mode>().unwrap(), Mode::Full);
        assert!("fast".parse::<Mode>().is_err());
        assert_eq!("ensemble".parse::<TeacherKind>().unwrap(), TeacherKind::Ensemble);
    }

    #[test]
    fn changes_from_preset_name_only_what_is_trained_differently() {
        let mut c = MnistConfig::new(Mode::Full);
        c.data_dir = "elsewhere".into();
        c.out_dir = "out".into();
        c.verbose = false;
        assert!(c.changes_from_preset().is_empty(), "folders and verbosity are not part of the experiment");
        // The MLP teacher's epochs matter with the ensemble, not with the CNN alone.
        c.budget.teacher_epochs = 3;
        assert_eq!(c.changes_from_preset(), vec!["teacher_epochs 3 (150)"]);
        c.teacher = TeacherKind::Cnn;
        assert_eq!(c.changes_from_preset(), vec!["teacher cnn (ensemble)"]);
        c.budget.n_train = Some(1000);
        c.student_jitter = false;
        assert_eq!(c.changes_from_preset(), vec!["n_train 1000 (all)", "teacher cnn (ensemble)", "student_jitter false (true)"]);
        // An old serialised config without `command` still reads.
        let mut v = serde_json::to_value(&c).unwrap();
        v.as_object_mut().unwrap().remove("command");
        let back: MnistConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn logits_cache_round_trip_and_corruption() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l.safetensors");
        let a = array![[1.0f32, 2.0], [3.0, 4.0]];
        let b = array![[5.0f32, 6.0]];
        write_logits(&p, &[("train", &a), ("test", &b)]).unwrap();
        let v = read_logits(&p, &[("train", 2), ("test", 1)], 2).unwrap();
        assert_eq!((v[0].clone(), v[1].clone()), (a, b));
        let e = read_logits(&p, &[("train", 3)], 2).unwrap_err().to_string();
        assert!(e.contains("expected [3, 2]") && e.contains("--no-cache"), "{e}");
        std::fs::write(&p, b"garbage").unwrap();
        let e = read_logits(&p, &[("train", 2)], 2).unwrap_err().to_string();
        assert!(e.contains("unreadable teacher cache") && e.contains("--no-cache"), "{e}");
    }
}
