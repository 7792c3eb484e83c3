//! The experiment's settings: budget presets ([`Mode`], [`Budget`]), the teacher ([`TeacherKind`]), and
//! [`MnistConfig`] with its checks; the published figures.
use crate::augment::views::ViewRecipe;
use crate::error::{KdError, Result};
use crate::neural::DeviceChoice;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
    /// The small CNN of [`super::cnn`].
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
    /// Training images the teachers learn from (`None`: the students' `n_train`). The students' images
    /// are the first of the same seeded order, so they are always among the teachers'.
    #[serde(default)]
    pub teacher_n_train: Option<usize>,
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
    /// Epochs of the small students (each run of their grid; the grid's epoch factors multiply it).
    pub small_epochs: usize,
    /// Mini-batch size of the teachers and the 2×800 students.
    pub batch_size: usize,
    /// Mini-batch size of the small students.
    pub small_batch_size: usize,
    /// Leaf limits of the trees (the size curve).
    pub tree_leaves: Vec<usize>,
    /// Teacher-labelled views of each training image (outside the validation split) in the transfer set.
    pub transfer_views: usize,
    /// Teacher-labelled views of each image in the CART trees' transfer set, and translated views of
    /// each image in the labelled control beside it (`None`: `transfer_views`; see [`Budget::tree_views`]).
    /// The full preset's 40: on all of MNIST with the 12-epoch CNN teacher (T = 2), 40 neighbour
    /// mixtures per image (2.2 M rows) put CART at 4 096, 16 384 and 65 536 leaves 0.54, 0.57 and 0.13
    /// points above the control of 40 translations per image, against 0.18, 0.89 and 0.26 points at 20
    /// views (`docs/mnist-distillation-notes.md`, "Transfer sets for trees"): the control repeats the
    /// 9 translations of each image, while every mixture is a new input.
    #[serde(default)]
    pub tree_transfer_views: Option<usize>,
    /// Epochs of the soft decision trees (each run of their grid; the grid's epoch factors multiply it).
    pub soft_tree_epochs: usize,
    /// Channels of the CNN teacher's two convolutions.
    pub cnn_channels: (usize, usize),
    /// Hidden width of the CNN teacher.
    pub cnn_hidden: usize,
    /// Maximum random translation (pixels) of the teachers' and jittered students' inputs.
    pub max_shift: usize,
}

impl Budget {
    /// The quick preset: the students learn from 4 000 training images (800 of them the validation
    /// split), the teacher from up to 60 000 (all of MNIST's) for 4 epochs, so that it knows clearly
    /// more than its students, as a pre-trained teacher does; the full test set. The 2×800 networks
    /// train for 20 epochs: distillation pays only with patience (at 4 or 8 epochs the distilled
    /// 2×800 ties or loses against labels on Fashion-MNIST; see `docs/mnist-distillation-notes.md`).
    pub fn quick() -> Self {
        Budget {
            n_train: Some(4_000),
            teacher_n_train: Some(60_000),
            n_test: None,
            n_val: 800,
            teacher_epochs: 3,
            cnn_epochs: 4,
            student_epochs: 20,
            small_epochs: 20,
            batch_size: 32,
            small_batch_size: 64,
            tree_leaves: vec![64, 256, 1024, 4096],
            transfer_views: 20,
            tree_transfer_views: None,
            soft_tree_epochs: 20,
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
            teacher_n_train: None,
            n_test: None,
            n_val: 5_000,
            teacher_epochs: 150,
            cnn_epochs: 20,
            student_epochs: 80,
            small_epochs: 40,
            batch_size: 128,
            small_batch_size: 256,
            tree_leaves: vec![256, 1024, 4096, 16384, 65536],
            transfer_views: 20,
            tree_transfer_views: Some(40),
            soft_tree_epochs: 30,
            cnn_channels: (32, 64),
            cnn_hidden: 512,
            max_shift: 2,
        }
    }

    /// Views of each image in the CART trees' transfer set and in their translated control:
    /// `tree_transfer_views`, or `transfer_views` when it is `None`.
    pub fn tree_views(&self) -> usize {
        self.tree_transfer_views.unwrap_or(self.transfer_views)
    }
}

/// Where a small student's or a soft tree's training images come from, each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inputs {
    /// The training images as they are.
    Plain,
    /// Each image translated by up to `budget.max_shift` pixels, redrawn every batch (for distillation,
    /// labelled by the teacher on the translated image).
    Translations,
    /// A view drawn from the transfer set every batch (translations and mixtures of pairs, labelled by
    /// the teacher): distillation only, a mixture has no label.
    Transfer,
}

impl std::fmt::Display for Inputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Inputs::Plain => "images",
            Inputs::Translations => "translations",
            Inputs::Transfer => "transfer set",
        })
    }
}

fn check_grid(name: &'static str, alphas: &[f32], temperatures: &[f32], inputs: &[Inputs], epoch_factors: &[usize]) -> Result<()> {
    if alphas.is_empty() || temperatures.is_empty() || inputs.is_empty() || epoch_factors.is_empty() {
        return Err(KdError::Empty(format!("the {name} grid needs at least one α, temperature, input and epoch factor")));
    }
    if let Some(&a) = alphas.iter().find(|a| !(0.0..=1.0).contains(*a)) {
        return Err(KdError::param("alpha", a, format!("{name}: must be in [0, 1]")));
    }
    for &t in temperatures {
        crate::base::check_temperature(t)?;
    }
    if epoch_factors.contains(&0) {
        return Err(KdError::param("epoch_factors", format!("{epoch_factors:?}"), format!("{name}: each must be ≥ 1")));
    }
    Ok(())
}

/// The 2×800 students' distillation settings, chosen on the validation split: each `(α, T)` of
/// `alphas × temperatures` (α outer) distils a 2×800 net on the training images outside the
/// validation split, as the headline student is trained (on jittered images when `student_jitter`);
/// the setting with the fewest validation errors (ties: the earlier) then trains every distilled 2×800
/// student on all training images. One α and one T fix the setting and train no grid.
///
/// Hinton et al. fixed T = 20, α = 0.1 for MNIST, with a teacher at 67 test errors. A weaker teacher
/// needs the labels' weight: on Fashion-MNIST (teacher 826 errors) the distilled 2×800 gave 946–979 test
/// errors at α = 0.1 and 892–897 at α = 0.5, against 968 on labels (`docs/mnist-distillation-notes.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BigGrid {
    /// Hard-label weights α.
    pub alphas: Vec<f32>,
    /// Temperatures.
    pub temperatures: Vec<f32>,
}

impl Default for BigGrid {
    /// α ∈ {0.1, 0.5}, T ∈ {20, 4, 2}: Hinton's T = 20, α = 0.1 is the first candidate.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::experiments::mnist::BigGrid;
    /// let g = BigGrid::default();
    /// assert_eq!(g.candidates()[0], (0.1, 20.0));
    /// assert_eq!(g.candidates().len(), 6);
    /// assert_eq!(BigGrid::fixed(0.1, 20.0).candidates(), vec![(0.1, 20.0)]);
    /// ```
    fn default() -> Self {
        BigGrid { alphas: vec![0.1, 0.5], temperatures: vec![20.0, 4.0, 2.0] }
    }
}

impl BigGrid {
    /// One setting: no grid is trained.
    pub fn fixed(alpha: f32, temperature: f32) -> Self {
        BigGrid { alphas: vec![alpha], temperatures: vec![temperature] }
    }
    /// Every `(α, T)`, α outer, in the order they are trained.
    pub fn candidates(&self) -> Vec<(f32, f32)> {
        self.alphas.iter().flat_map(|&a| self.temperatures.iter().map(move |&t| (a, t))).collect()
    }
    /// At least one α in [0, 1] and one valid temperature.
    pub fn check(&self) -> Result<()> {
        check_grid("2×800", &self.alphas, &self.temperatures, &[Inputs::Plain], &[1])
    }
}

/// The small students' grid. For each architecture: the label-trained runs on the plain images and
/// on translations; the distilled runs over `alphas × temperatures × inputs`; then, for each
/// label-trained run and the best distilled setting of each input kind, the schedule lengthened by
/// each of `epoch_factors`. Validation errors choose every step. Also, at the first architecture,
/// logit matching on the chosen distilled setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmallGrid {
    /// Hidden widths of each student.
    pub archs: Vec<Vec<usize>>,
    /// Hard-label weights α of the distilled runs.
    pub alphas: Vec<f32>,
    /// Temperatures of the distilled runs.
    pub temperatures: Vec<f32>,
    /// Inputs of the distilled runs.
    pub inputs: Vec<Inputs>,
    /// Multiples of `budget.small_epochs` tried for the chosen settings (1 is the grid's own).
    pub epoch_factors: Vec<usize>,
    /// Adam's starting learning rate (cosine schedule to 0).
    pub learning_rate: f64,
    /// Student seeds at which the chosen label-trained and distilled settings are trained, the grid's
    /// own run (student seed `seed + 20`) first and then `seed + 21`, `seed + 22`, …: the spread of the
    /// comparison over the students' initialisation and batch order, teacher and data fixed. 1: the grid
    /// alone.
    #[serde(default = "one")]
    pub seeds: usize,
}

fn one() -> usize {
    1
}

impl SmallGrid {
    /// 784-30-30-10 and 784-10-10-10; α ∈ {0, 0.5}; T ∈ {1, 2, 4}; the plain images, translations and
    /// the transfer set; learning rate 0.003. Schedules of 1× and 4× (full), and also 16× in the quick
    /// preset, whose 3 200 images make an epoch cheap: the 10-10 student distilled keeps improving up
    /// to 16× while the label-trained one stops at 4× ("patience", Beyer et al. 2022). The chosen pair
    /// is trained at 5 student seeds (full) or 3 (quick).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::experiments::mnist::{Mode, SmallGrid};
    /// assert_eq!(SmallGrid::preset(Mode::Quick).epoch_factors, vec![1, 4, 16]);
    /// assert_eq!(SmallGrid::preset(Mode::Full).epoch_factors, vec![1, 4]);
    /// assert_eq!(SmallGrid::preset(Mode::Full).seeds, 5);
    /// ```
    pub fn preset(mode: Mode) -> Self {
        SmallGrid {
            archs: vec![vec![30, 30], vec![10, 10]],
            alphas: vec![0.0, 0.5],
            temperatures: vec![1.0, 2.0, 4.0],
            inputs: vec![Inputs::Plain, Inputs::Translations, Inputs::Transfer],
            epoch_factors: match mode {
                Mode::Quick => vec![1, 4, 16],
                Mode::Full => vec![1, 4],
            },
            learning_rate: 3e-3,
            seeds: match mode {
                Mode::Quick => 3,
                Mode::Full => 5,
            },
        }
    }
    /// Non-empty grid, α ∈ [0, 1], valid temperatures, epoch factors ≥ 1, widths ≥ 1, seeds ≥ 1.
    pub fn check(&self) -> Result<()> {
        check_grid("small-student", &self.alphas, &self.temperatures, &self.inputs, &self.epoch_factors)?;
        if self.archs.is_empty() || self.archs.iter().any(|a| a.is_empty() || a.contains(&0)) {
            return Err(KdError::param("archs", format!("{:?}", self.archs), "need at least one student, every width ≥ 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(KdError::param("learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        if self.seeds == 0 {
            return Err(KdError::param("small_grid.seeds", 0, "train the chosen settings at ≥ 1 student seed (1: the grid's own run)"));
        }
        Ok(())
    }
}

/// The soft decision trees: one on labels (plain images or translations, chosen on validation) and
/// distilled runs over `alphas × temperatures × inputs`, then the schedule lengthened by each of
/// `epoch_factors` for the label-trained runs on each input and for the best distilled setting of each
/// input kind (distillation on views needs the long schedule to pay off, and labels on translations get
/// the same chance); validation accuracy (max-path) chooses every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftTreeGrid {
    /// Depth (`2^d` leaves).
    pub depth: usize,
    /// Balance penalty λ.
    pub balance_penalty: f64,
    /// Hard-label weights α of the distilled runs.
    pub alphas: Vec<f32>,
    /// Temperatures of the distilled runs.
    pub temperatures: Vec<f32>,
    /// Inputs of the distilled runs.
    pub inputs: Vec<Inputs>,
    /// Multiples of `budget.soft_tree_epochs` tried for the chosen settings.
    pub epoch_factors: Vec<usize>,
    /// The soft trees' translations move an image by up to this many pixels (at most
    /// `budget.max_shift`: the distilled runs draw them from the teacher's bank of translations).
    #[serde(default = "one_pixel")]
    pub max_shift: usize,
    /// Adam's starting learning rate (cosine schedule) for every soft tree of the grid.
    #[serde(default = "rate_before_the_grid_had_one")]
    pub learning_rate: f64,
    /// Decoupled weight decay (AdamW) of every soft tree of the grid (see
    /// [`crate::student::soft_tree::SoftTreeParams::weight_decay`]); 0 turns it off.
    #[serde(default)]
    pub weight_decay: f64,
}

fn one_pixel() -> usize {
    1
}

/// The rate a configuration written before the grid had a learning rate was trained with
/// (`SoftTreeParams`'s default).
fn rate_before_the_grid_had_one() -> f64 {
    0.01
}

impl SoftTreeGrid {
    /// Depth 8, λ = 0.1; Adam from 0.01 (quick) or 0.003 (full) with decoupled weight decay 0.3 (quick)
    /// or 0.03 (full); α = 0; T ∈ {1, 2}; the plain images and translations by up to one pixel, and in
    /// the full preset the transfer set too; schedules of 1× and 5×.
    ///
    /// Weight decay regularises the 255 linear routers. On all of MNIST with the 12-epoch CNN teacher,
    /// 150 epochs from 0.003, validation errors of 5 000 (test errors of 10 000) for the tree distilled
    /// at T = 1 on the transfer set and the tree on labels with translations: without decay 201 (339)
    /// and 206 (360); with 0.01, 188 (300) and 167 (326); with 0.03, 178 (289) and 149 (291); with 0.1,
    /// 170 (320) and 152 (291). The label-trained tree gains as much as the distilled one. The quick
    /// preset takes 25 times fewer steps per run, so it needs a larger decay: summed over seeds 0, 1 and
    /// 2, its chosen trees had 166 validation errors of 2 400 (distilled) and 169 (labels) without
    /// decay, 155 and 174 with 0.1, 153 and 158 with 0.3 (`docs/mnist-distillation-notes.md`).
    ///
    /// The rate follows the number of steps. On all of MNIST (the full preset, 430 steps an epoch) with
    /// the 12-epoch CNN teacher, translations by up to one pixel and 150 epochs, the distilled tree
    /// (T = 1) had 176 validation errors of 5 000 (350 test errors) from 0.003, 223 (395) from 0.01
    /// and 199 (361) from 0.001; the label-trained tree 206 (360) from 0.003 and 189 (369) from 0.001.
    /// On the quick preset's 3 200 images (25 steps an epoch) 0.003 leaves both trees short: 721 and
    /// 706 test errors after 100 epochs, against 631 and 654 from 0.01
    /// (`docs/mnist-distillation-notes.md`).
    ///
    /// One pixel, not the full preset's two: a tree of linear routers spends its leaves on the
    /// variation. On all of MNIST with the 12-epoch CNN teacher, the tree distilled at T = 1 on
    /// translations by up to two pixels for 150 epochs had 274 validation errors of 5 000 (492 test
    /// errors); by up to one pixel, 219 (380). The best label-trained tree had 225 (430)
    /// (`docs/mnist-distillation-notes.md`).
    ///
    /// The transfer set only in the full preset. On all of MNIST from 0.003 the tree distilled on it at
    /// T = 1 for 150 epochs had 201 validation errors of 5 000 and 339 test errors, against 219 (365)
    /// on translations and 206 (360) for the best label-trained tree. In five quick MNIST runs (three
    /// seeds, three teachers, 3 200 images) the distilled tree on translations beat the label-trained
    /// tree every time and the one on the transfer set twice, yet 800 validation images preferred the
    /// transfer set three times, so the quick preset leaves it out (`docs/mnist-distillation-notes.md`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::experiments::mnist::{Inputs, Mode, SoftTreeGrid};
    /// assert_eq!(SoftTreeGrid::preset(Mode::Quick).inputs, vec![Inputs::Plain, Inputs::Translations]);
    /// assert_eq!(SoftTreeGrid::preset(Mode::Full).inputs, vec![Inputs::Plain, Inputs::Translations, Inputs::Transfer]);
    /// assert_eq!((SoftTreeGrid::preset(Mode::Quick).learning_rate, SoftTreeGrid::preset(Mode::Full).learning_rate), (0.01, 0.003));
    /// assert_eq!((SoftTreeGrid::preset(Mode::Quick).weight_decay, SoftTreeGrid::preset(Mode::Full).weight_decay), (0.3, 0.03));
    /// ```
    pub fn preset(mode: Mode) -> Self {
        SoftTreeGrid {
            depth: 8,
            balance_penalty: 0.1,
            alphas: vec![0.0],
            temperatures: vec![1.0, 2.0],
            inputs: match mode {
                Mode::Quick => vec![Inputs::Plain, Inputs::Translations],
                Mode::Full => vec![Inputs::Plain, Inputs::Translations, Inputs::Transfer],
            },
            epoch_factors: vec![1, 5],
            max_shift: 1,
            learning_rate: match mode {
                Mode::Quick => 0.01,
                Mode::Full => 0.003,
            },
            weight_decay: match mode {
                Mode::Quick => 0.3,
                Mode::Full => 0.03,
            },
        }
    }
    /// Depth in 1..=14, λ ≥ 0, a shift ≥ 1, and a valid grid.
    pub fn check(&self) -> Result<()> {
        check_grid("soft-tree", &self.alphas, &self.temperatures, &self.inputs, &self.epoch_factors)?;
        if !(1..=14).contains(&self.depth) {
            return Err(KdError::param("depth", self.depth, "soft tree depth must be in 1..=14"));
        }
        if !(self.balance_penalty.is_finite() && self.balance_penalty >= 0.0) {
            return Err(KdError::param("balance_penalty", self.balance_penalty, "must be finite and ≥ 0"));
        }
        if self.max_shift == 0 {
            return Err(KdError::param("max_shift", 0, "translations need a shift of at least one pixel"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(KdError::param("soft_tree.learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(KdError::param("soft_tree.weight_decay", self.weight_decay, "must be finite and ≥ 0"));
        }
        Ok(())
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
    /// The 2×800 students' α and T (chosen on validation when there is more than one).
    #[serde(default)]
    pub big_grid: BigGrid,
    /// The small students' grid (chosen on validation).
    pub small_grid: SmallGrid,
    /// The soft decision trees' settings and grid (chosen on validation).
    pub soft_tree: SoftTreeGrid,
    /// How the transfer set's views are drawn (translations by up to `max_shift`, mixtures): the
    /// small students' and the soft trees'.
    pub transfer: ViewRecipe,
    /// How the CART trees' transfer set is drawn ([`Budget::tree_views`] views per image). The
    /// preset mixes each image with one of its 10 nearest neighbours, not with any image: on all of
    /// MNIST with the 12-epoch CNN teacher (20 views of each of 55 000 images, T = 2) CART at 4 096,
    /// 16 384 and 65 536 leaves reached 91.81 %, 92.53 % and 91.60 % on such a set, against 91.20 %,
    /// 91.30 % and 90.78 % (T = 1) on the students' one, whose mixtures with random partners are
    /// inputs no test digit looks like. The students' nets do better on the students' set (784-30-30-10:
    /// 177 test errors against 189) (`docs/mnist-distillation-notes.md`). A configuration written
    /// before the field existed reads with the students' recipe, which its trees were fitted on.
    #[serde(default = "students_recipe")]
    pub tree_transfer: ViewRecipe,
    /// Temperature of the teacher probabilities the CART trees are fitted on. The preset's T = 2: on
    /// all of MNIST with the 12-epoch CNN teacher, CART fitted on the teacher's probabilities over every
    /// one-pixel translation of 55 000 images reached 91.82 %, 92.21 % and 91.84 % at 4 096, 16 384 and
    /// 65 536 leaves at T = 2, against 91.77 %, 91.93 % and 91.66 % at T = 1
    /// (`docs/mnist-distillation-notes.md`).
    pub tree_temperature: f32,
    /// Leaf limit of the CART trees in the headline numbers (`tree_hard_acc`, `tree_transfer_acc`, …).
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
            big_grid: BigGrid::default(),
            small_grid: SmallGrid::preset(mode),
            soft_tree: SoftTreeGrid::preset(mode),
            transfer: students_recipe(),
            tree_transfer: ViewRecipe { max_shift: 1, mix_fraction: 0.5, min_weight: 0.5, neighbours: 10 },
            tree_temperature: 2.0,
            headline_leaves: match mode {
                Mode::Quick => 1024,
                Mode::Full => 4096,
            },
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
        let t = |v: Option<usize>| v.map_or("n_train".to_string(), |v| v.to_string());
        diff("teacher_n_train", t(b.teacher_n_train), t(pb.teacher_n_train));
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
        diff("transfer_views", b.transfer_views.to_string(), pb.transfer_views.to_string());
        diff("tree_transfer_views", b.tree_views().to_string(), pb.tree_views().to_string());
        diff("soft_tree_epochs", b.soft_tree_epochs.to_string(), pb.soft_tree_epochs.to_string());
        diff("cnn_channels", format!("{:?}", b.cnn_channels), format!("{:?}", pb.cnn_channels));
        diff("cnn_hidden", b.cnn_hidden.to_string(), pb.cnn_hidden.to_string());
        diff("max_shift", b.max_shift.to_string(), pb.max_shift.to_string());
        diff("teacher", self.teacher.to_string(), p.teacher.to_string());
        diff("student_jitter", self.student_jitter.to_string(), p.student_jitter.to_string());
        diff("seed", self.seed.to_string(), p.seed.to_string());
        diff("big_grid", format!("{:?}", self.big_grid), format!("{:?}", p.big_grid));
        diff("small_grid", format!("{:?}", self.small_grid), format!("{:?}", p.small_grid));
        diff("soft_tree", format!("{:?}", self.soft_tree), format!("{:?}", p.soft_tree));
        diff("transfer", format!("{:?}", self.transfer), format!("{:?}", p.transfer));
        diff("tree_transfer", format!("{:?}", self.tree_transfer), format!("{:?}", p.tree_transfer));
        diff("tree_temperature", self.tree_temperature.to_string(), p.tree_temperature.to_string());
        diff("headline_leaves", self.headline_leaves.to_string(), p.headline_leaves.to_string());
        out
    }

    /// Check every setting (called by [`super::run`]).
    pub fn check(&self) -> Result<()> {
        let b = &self.budget;
        for (name, v) in [
            ("teacher_epochs", b.teacher_epochs),
            ("cnn_epochs", b.cnn_epochs),
            ("student_epochs", b.student_epochs),
            ("small_epochs", b.small_epochs),
            ("transfer_views", b.transfer_views),
            ("tree_transfer_views", b.tree_views()),
            ("soft_tree_epochs", b.soft_tree_epochs),
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
        if let (Some(t), n) = (b.teacher_n_train, b.n_train) {
            if n.is_none_or(|n| t < n) {
                return Err(KdError::param("teacher_n_train", t, "the teachers learn from at least the students' training images (n_train)"));
            }
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
        crate::base::check_temperature(self.tree_temperature)?;
        self.big_grid.check()?;
        self.small_grid.check()?;
        self.soft_tree.check()?;
        if self.soft_tree.max_shift > self.budget.max_shift {
            return Err(KdError::param(
                "soft_tree.max_shift",
                self.soft_tree.max_shift,
                format!("the soft trees' translations come from the teacher's bank, which moves images by up to budget.max_shift = {} pixels", self.budget.max_shift),
            ));
        }
        self.transfer.check()?;
        self.tree_transfer.check()?;
        Ok(())
    }
}

/// The students' transfer recipe: translations by up to one pixel, half of the views mixed with a
/// random other image at `λ ~ U(0.75, 1)`.
fn students_recipe() -> ViewRecipe {
    ViewRecipe { max_shift: 1, mix_fraction: 0.5, min_weight: 0.75, neighbours: 0 }
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

/// The published figures: Hinton, Vinyals & Dean (2015, §3), test errors out of 10 000; Frosst & Hinton
/// (2017), test accuracy.
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
    /// Frosst & Hinton (2017): depth-8 soft decision tree trained on labels, test accuracy.
    pub const SOFT_TREE_HARD_ACC: f64 = 0.9445;
    /// Frosst & Hinton (2017): the same tree distilled from a CNN (99.21 %), test accuracy.
    pub const SOFT_TREE_SOFT_ACC: f64 = 0.9676;

    /// FNV-1a 64 of MNIST's 10 000 test labels, one byte each in file order (`t10k-labels-idx1-ubyte`).
    pub const MNIST_TEST_LABELS_FNV: u64 = 0xfca1_a11d_31bd_96bb;

    /// Whether `test_labels` (all of a data set's test labels, in file order) are MNIST's: the figures
    /// above are MNIST's, so the report sets them beside its own numbers only then.
    ///
    /// ```
    /// use kdistill::experiments::mnist::published::is_mnist;
    /// assert!(!is_mnist(ndarray::Array1::from(vec![7usize, 2, 1, 0]).view()));
    /// ```
    pub fn is_mnist(test_labels: ndarray::ArrayView1<usize>) -> bool {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for &y in test_labels {
            super::super::cache::fnv(&mut h, &[y as u8]);
        }
        test_labels.len() == 10_000 && h == MNIST_TEST_LABELS_FNV
    }

    /// The data's name in the report: `MNIST` for MNIST ([`is_mnist`]), else the name of the folder it
    /// was read from (`fashion-mnist` for `/usr/share/datasets/fashion-mnist`).
    ///
    /// ```
    /// use kdistill::experiments::mnist::published::data_name;
    /// assert_eq!(data_name(std::path::Path::new("/usr/share/datasets/fashion-mnist/"), false), "fashion-mnist");
    /// assert_eq!(data_name(std::path::Path::new("anything"), true), "MNIST");
    /// ```
    pub fn data_name(dir: &std::path::Path, mnist: bool) -> String {
        if mnist {
            return "MNIST".into();
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.is_empty() { dir.display().to_string() } else { name }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation() {
        let mut c = MnistConfig::new(Mode::Quick);
        assert!(c.check().is_ok());
        c.small_grid.temperatures = vec![];
        assert!(matches!(c.check(), Err(KdError::Empty(_))));
        c.small_grid.temperatures = vec![1.0, 0.0];
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "temperature", .. })));
        let mut c = MnistConfig::new(Mode::Quick);
        c.small_grid.seeds = 0;
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "small_grid.seeds", .. })));
        let mut c = MnistConfig::new(Mode::Full);
        c.budget.tree_leaves = vec![256];
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "headline_leaves", .. })));
        let mut c = MnistConfig::new(Mode::Quick);
        c.big_grid.alphas = vec![0.1, 1.5];
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "alpha", .. })));
        c.big_grid = BigGrid::fixed(0.1, 0.0);
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "temperature", .. })));
        c.big_grid.temperatures = vec![];
        assert!(matches!(c.check(), Err(KdError::Empty(_))));
        // The teachers learn from at least the students' images.
        let mut c = MnistConfig::new(Mode::Quick);
        c.budget.teacher_n_train = Some(3_999);
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "teacher_n_train", .. })));
        c.budget.teacher_n_train = Some(4_000);
        assert!(c.check().is_ok());
        c.budget.n_train = None;
        assert!(c.check().is_err(), "all images for the students, fewer for the teacher");
        assert_eq!("FULL".parse::<Mode>().unwrap(), Mode::Full);
        assert!("fast".parse::<Mode>().is_err());
        assert_eq!("ensemble".parse::<TeacherKind>().unwrap(), TeacherKind::Ensemble);
        // The soft trees' translations come from the teacher's bank: at most its shift, at least 1.
        let mut c = MnistConfig::new(Mode::Full);
        c.soft_tree.max_shift = 2;
        assert!(c.check().is_ok());
        c.soft_tree.max_shift = 3;
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "soft_tree.max_shift", .. })));
        c.soft_tree.max_shift = 0;
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "max_shift", .. })));
        let mut c = MnistConfig::new(Mode::Quick);
        for bad in [0.0, -0.003, f64::NAN, f64::INFINITY] {
            c.soft_tree.learning_rate = bad;
            assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "soft_tree.learning_rate", .. })), "{bad}");
        }
        let mut c = MnistConfig::new(Mode::Full);
        c.budget.tree_transfer_views = Some(0);
        assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "tree_transfer_views", .. })));
    }

    #[test]
    fn a_config_written_before_the_trees_had_their_own_view_count_reads_with_the_students_count() {
        let c = MnistConfig::new(Mode::Full);
        assert_eq!((c.budget.transfer_views, c.budget.tree_views()), (20, 40));
        let mut v = serde_json::to_value(&c).unwrap();
        v["budget"].as_object_mut().unwrap().remove("tree_transfer_views");
        let back: MnistConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back.budget.tree_views(), back.budget.transfer_views);
        assert_eq!(MnistConfig::new(Mode::Quick).budget.tree_views(), 20);
    }

    #[test]
    fn a_config_written_before_the_soft_trees_had_weight_decay_reads_without_it() {
        let c = MnistConfig::new(Mode::Full);
        assert!(c.soft_tree.weight_decay > 0.0);
        let mut v = serde_json::to_value(&c).unwrap();
        v["soft_tree"].as_object_mut().unwrap().remove("weight_decay");
        let back: MnistConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back.soft_tree.weight_decay, 0.0);
        assert_eq!(back.soft_tree.weight_decay, crate::student::soft_tree::SoftTreeParams::new().check().unwrap().train().weight_decay());
        assert_eq!(SoftTreeGrid { weight_decay: c.soft_tree.weight_decay, ..back.soft_tree }, c.soft_tree);
        for bad in [-0.1, f64::NAN] {
            let mut c = c.clone();
            c.soft_tree.weight_decay = bad;
            assert!(matches!(c.check(), Err(KdError::InvalidParam { name: "soft_tree.weight_decay", .. })), "{bad}");
        }
    }

    #[test]
    fn a_config_written_before_the_soft_trees_had_a_learning_rate_reads_with_the_old_default() {
        let c = MnistConfig::new(Mode::Full);
        let mut v = serde_json::to_value(&c).unwrap();
        v["soft_tree"].as_object_mut().unwrap().remove("learning_rate");
        let back: MnistConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back.soft_tree.learning_rate, 0.01);
        assert_eq!(back.soft_tree.learning_rate, crate::student::soft_tree::SoftTreeParams::new().check().unwrap().train().learning_rate());
        assert_eq!(SoftTreeGrid { learning_rate: c.soft_tree.learning_rate, ..back.soft_tree }, c.soft_tree);
    }

    #[test]
    fn a_config_written_before_the_soft_trees_had_a_shift_reads_with_one_pixel() {
        let c = MnistConfig::new(Mode::Full);
        let mut v = serde_json::to_value(&c).unwrap();
        v["soft_tree"].as_object_mut().unwrap().remove("max_shift");
        let back: MnistConfig = serde_json::from_value(v).unwrap();
        assert_eq!((back.soft_tree.max_shift, &back), (1, &c));
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
        c.budget.teacher_n_train = Some(2000);
        assert_eq!(c.changes_from_preset()[1], "teacher_n_train 2000 (n_train)");
        // An old serialised config without `command` still reads.
        let mut v = serde_json::to_value(&c).unwrap();
        v.as_object_mut().unwrap().remove("command");
        let back: MnistConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
