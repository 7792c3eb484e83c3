//! What [`super::run`] measured: one line per model, the tree table, the small-student sweeps, the
//! headline [`Metrics`] and the whole [`MnistReport`].
pub use crate::experiments::curve::CurveRow;
use super::{Inputs, MnistConfig};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use crate::student::soft_tree::SoftTree;

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

/// One training run of a small student or a soft tree in its validation grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRun {
    /// `784-30-30-10`, `784-10-10-10` or `soft tree d8`.
    pub model: String,
    /// `labels`, `distilled` (KL at T) or `logit matching`.
    pub loss: String,
    /// Where its inputs came from.
    pub inputs: Inputs,
    /// Hard-label weight (1 for labels).
    pub alpha: f64,
    /// Temperature (distilled only).
    pub temperature: Option<f64>,
    /// Epochs.
    pub epochs: usize,
    /// Errors on the validation split (the max-path prediction for soft trees).
    pub val_errors: usize,
    /// Test errors (max-path for soft trees).
    pub test_errors: usize,
    /// Test errors of the mixture prediction (soft trees only).
    pub test_errors_mixture: Option<usize>,
    /// Agreement with the teacher on the test images.
    pub fidelity: f64,
    /// Training seconds.
    pub seconds: f64,
}

/// A validation grid of one model: every run, and the indices of the chosen label-trained and
/// distilled runs (fewest validation errors; ties: the earlier run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Every run, in training order.
    pub runs: Vec<GridRun>,
    /// The label-trained run validation chose.
    pub hard: usize,
    /// The distilled run validation chose.
    pub soft: usize,
    /// The logit-matching run at the chosen distilled setting, when one was trained.
    pub logit_match: Option<usize>,
}

impl Grid {
    /// Test errors of the chosen label-trained run.
    pub fn hard_errors(&self) -> usize {
        self.runs[self.hard].test_errors
    }
    /// Test errors of the chosen distilled run.
    pub fn soft_errors(&self) -> usize {
        self.runs[self.soft].test_errors
    }
}

/// A small student's chosen label-trained and distilled settings, each trained at several student
/// seeds ([`super::SmallGrid::seeds`]) with the teacher, the data and every choice fixed: how much of a
/// difference between the two survives another initialisation and batch order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedSpread {
    /// `784-30-30-10` or `784-10-10-10`.
    pub model: String,
    /// The student seeds, the grid's own first.
    pub seeds: Vec<u64>,
    /// Test errors of the label-trained setting at each seed.
    pub hard_test_errors: Vec<usize>,
    /// Test errors of the distilled setting at each seed.
    pub soft_test_errors: Vec<usize>,
}

impl SeedSpread {
    /// Mean test errors on labels and distilled.
    ///
    /// ```
    /// use kdistill::experiments::mnist::SeedSpread;
    /// let s = SeedSpread { model: "784-30-30-10".into(), seeds: vec![20, 21], hard_test_errors: vec![200, 210], soft_test_errors: vec![180, 190] };
    /// assert_eq!(s.means(), (205.0, 185.0));
    /// assert!((s.ratio() - 185.0 / 205.0).abs() < 1e-12);
    /// assert_eq!(s.soft_wins(), 2);
    /// ```
    pub fn means(&self) -> (f64, f64) {
        let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
        (mean(&self.hard_test_errors), mean(&self.soft_test_errors))
    }
    /// Mean distilled test errors over mean label-trained test errors.
    pub fn ratio(&self) -> f64 {
        let (h, s) = self.means();
        s / h.max(1.0)
    }
    /// Seeds at which the distilled student has fewer test errors than the label-trained one.
    pub fn soft_wins(&self) -> usize {
        self.hard_test_errors.iter().zip(&self.soft_test_errors).filter(|(h, s)| s < h).count()
    }
}

/// The 2×800 students' validation grid over `(α, T)` ([`super::BigGrid`]) and its choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BigChoice {
    /// Every candidate's run, trained outside the validation split (empty when one setting was given).
    pub runs: Vec<GridRun>,
    /// Index of the run validation chose (`None`: no grid).
    pub chosen: Option<usize>,
    /// The chosen α.
    pub alpha: f32,
    /// The chosen T.
    pub temperature: f32,
}

/// The headline numbers; serialised flat into `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The data's name: `MNIST`, or the folder another data set was read from.
    #[serde(default)]
    pub data: String,
    /// Whether the data are MNIST, so that the published figures apply ([`super::published::is_mnist`]).
    #[serde(default)]
    pub mnist: bool,
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
    /// 2×800 distilled at `temperature` and `alpha`: on jittered images when `student_jitter`, else on the plain
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
    /// 784→30→30→10 on labels: test errors of the run validation chose (plain images or
    /// translations, schedule length).
    pub small_hard_errors: usize,
    /// 784→30→30→10 distilled: test errors of the run validation chose from the grid.
    pub small_soft_errors: usize,
    /// 784→10→10→10 on labels, chosen like `small_hard_errors`.
    pub tiny_hard_errors: usize,
    /// 784→10→10→10 distilled, chosen like `small_soft_errors`.
    pub tiny_soft_errors: usize,
    /// Each small student's chosen pair at several student seeds (the first is the grid's run).
    #[serde(default)]
    pub small_seed_spread: Vec<SeedSpread>,
    /// Soft decision tree on labels (chosen on validation): test accuracy, max-path prediction.
    pub soft_tree_hard_acc: f64,
    /// Soft decision tree distilled (chosen on validation): test accuracy, max-path prediction.
    pub soft_tree_soft_acc: f64,
    /// The same two trees' accuracy with the mixture prediction.
    pub soft_tree_mixture_acc: [f64; 2],
    /// Depth of the soft trees.
    pub soft_tree_depth: usize,
    /// Rows of the transfer set of the small students and soft trees (teacher-labelled views).
    pub transfer_rows: usize,
    /// Rows of the CART trees' transfer set, and of the translated control beside it.
    #[serde(default)]
    pub tree_transfer_rows: usize,
    /// CART at `tree_leaves` on one-hot labels: test accuracy.
    pub tree_hard_acc: f64,
    /// CART at `tree_leaves` on the teacher's probabilities of the training images.
    pub tree_soft_acc: f64,
    /// CART at `tree_leaves` on labels of as many translated images as the transfer set has rows.
    pub tree_hard_aug_acc: f64,
    /// CART at `tree_leaves` on the teacher's probabilities of the transfer set.
    pub tree_transfer_acc: f64,
    /// The CART size curve.
    pub tree_curve: Vec<CurveRow>,
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
    /// Training images the students learn from.
    pub n_train: usize,
    /// Training images the teachers learn from (`n_train` or more; the students' are among them).
    #[serde(default)]
    pub teacher_n_train: usize,
    /// Test images used.
    pub n_test: usize,
    /// Validation rows (omitted-3 bias).
    pub n_val: usize,
    /// Temperature of the 2×800 distillation (validation's choice when the grid has several).
    pub temperature: f64,
    /// Hard-label weight of the 2×800 distillation loss (validation's choice when the grid has several).
    pub alpha: f64,
    /// Leaf limit of `tree_*_acc`.
    pub tree_leaves: usize,
}

/// What `soft_tree.png` draws: the chosen distilled soft tree, reference images for its subtree
/// summaries, and the rows of them whose routes are drawn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoftTreePicture {
    /// The tree.
    pub tree: SoftTree,
    /// Image height and width.
    pub shape: (usize, usize),
    /// Reference images (test images).
    pub images: Array2<f32>,
    /// Rows of `images` whose max-path routes are drawn.
    pub examples: Vec<usize>,
}

/// Everything [`super::run`] measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MnistReport {
    /// Headline numbers.
    pub metrics: Metrics,
    /// Every model, in report order.
    pub models: Vec<ModelResult>,
    /// Teacher members (one, or the MLP and the CNN for the ensemble) with their own test errors.
    pub teacher_members: Vec<ModelResult>,
    /// The 2×800 students' validation grid over `(α, T)`.
    pub big: BigChoice,
    /// The small students' validation grids, one per architecture (in `config.small_grid.archs` order).
    pub small: Vec<Grid>,
    /// The soft decision trees' validation grid.
    pub soft_tree: Grid,
    /// The distilled soft tree validation chose, with the test images its picture routes.
    pub soft_tree_picture: SoftTreePicture,
    /// The CART size curve.
    pub trees: Vec<CurveRow>,
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
