//! What [`super::run`] measured: one line per model, the tree table, the small-student sweeps, the
//! headline [`Metrics`] and the whole [`MnistReport`].
use super::MnistConfig;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Everything [`super::run`] measured.
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
