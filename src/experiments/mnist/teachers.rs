//! The teachers: Hinton's MLP and the CNN, trained or loaded from the cache, with their logits on the
//! training, test and jittered images; their probabilities at a temperature; the shift bank.
use super::cache::{hash_data, key_of, read_logits, write_logits, NO_CACHE_HINT};
use crate::teacher::cnn::{self, Cnn, CnnParams};
use crate::augment::images::random_translate;
use crate::augment::views::Views;
use crate::teacher::bank::ViewBank;
use super::{label, say, MnistConfig, TeacherKind};
use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::neural::{DeviceChoice, MlpParams, TrainData};
use crate::soft::{soften_probs, softmax_t};
use ndarray::{Array2, ArrayView2};
use std::path::PathBuf;
use std::time::Instant;

/// A trained teacher member, usable on device tensors (for on-the-fly labelling of jittered batches).
pub(super) enum Live {
    Mlp(Box<crate::neural::Mlp>),
    Cnn(Box<Cnn>),
}

impl Live {
    /// Logits for a batch already on the device, evaluation mode.
    pub(super) fn logits_t(&self, x: &tch::Tensor) -> tch::Tensor {
        match self {
            Live::Mlp(m) => m.net().forward_t(x, false),
            Live::Cnn(c) => c.forward_t(x, false),
        }
    }
    pub(super) fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        match self {
            Live::Mlp(m) => m.logits(x),
            Live::Cnn(c) => c.logits(x),
        }
    }
    pub(super) fn n_params(&self) -> usize {
        match self {
            Live::Mlp(m) => m.n_params(),
            Live::Cnn(c) => c.spec().n_params(),
        }
    }
}

/// One teacher member: the model and its logits on the training and test images.
pub(super) struct Member {
    pub(super) name: String,
    /// The member's cache folder.
    pub(super) dir: PathBuf,
    pub(super) title: String,
    pub(super) seconds: f64,
    pub(super) cached: bool,
    pub(super) live: Live,
    pub(super) train: Array2<f32>,
    pub(super) test: Array2<f32>,
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
pub(super) fn lr_decay_for(epochs: usize) -> f64 {
    if epochs <= 1 {
        1.0
    } else {
        (0.05f64).powf(1.0 / (epochs - 1) as f64)
    }
}

/// The CNN teacher's hyper-parameters for a budget.
pub fn cnn_teacher_params(cfg: &MnistConfig) -> CnnParams {
    let (c1, c2) = cfg.budget.cnn_channels;
    let mut p = CnnParams::default()
        .channels(c1, c2)
        .hidden(cfg.budget.cnn_hidden)
        .epochs(cfg.budget.cnn_epochs)
        .batch_size(cfg.budget.batch_size)
        .lr_decay(lr_decay_for(cfg.budget.cnn_epochs))
        .max_shift(cfg.budget.max_shift)
        .seed(cfg.seed + 1)
        .device(cfg.device);
    p.train.progress = label(cfg, "teacher cnn");
    p
}

/// Train on `fit_on` (or load from the cache) one teacher member and get its logits on the students'
/// training images `train` and on the test images.
pub(super) fn teacher_member(cfg: &MnistConfig, which: TeacherKind, fit_on: &Dataset, train: &Dataset, test: &Dataset, rows: usize, cols: usize) -> Result<Member> {
    let k = train.n_classes;
    let data_key = hash_data(fit_on);
    let device = cfg.device.resolve()?;
    let shift = cfg.budget.max_shift;
    let (name, title, key) = if which == TeacherKind::Mlp {
        let mut p = hinton_teacher_params(cfg);
        p.train.progress = None;
        p.device = DeviceChoice::Auto; // the device does not change the model's identity
        ("teacher_mlp", "teacher MLP 784-1200-1200-10".to_string(), key_of(&("mlp", data_key, rows, cols, shift, p)))
    } else {
        let mut p = cnn_teacher_params(cfg);
        p.train.progress = None;
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
            msg: format!("unreadable teacher cache ({e}); delete the folder or {NO_CACHE_HINT}"),
        };
        match which {
            TeacherKind::Mlp => Live::Mlp(Box::new(crate::neural::Mlp::load(&dir, cfg.device).map_err(cache_err)?)),
            _ => Live::Cnn(Box::new(Cnn::load(&dir, device).map_err(cache_err)?)),
        }
    } else {
        match which {
            TeacherKind::Mlp => {
                let tf = move |x: &tch::Tensor| random_translate(x, rows, cols, shift);
                let m = hinton_teacher_params(cfg).fit(TrainData::new(fit_on.x.view()).labels(fit_on.y.view()).transform(&tf), k)?;
                m.save(&dir)?;
                Live::Mlp(Box::new(m))
            }
            _ => {
                let m = cnn_teacher_params(cfg).fit(fit_on.x.view(), fit_on.y.view(), rows, cols, k)?;
                m.save(&dir)?;
                Live::Cnn(Box::new(m))
            }
        }
    };
    let seconds = if cached { 0.0 } else { start.elapsed().as_secs_f64() };
    let logits_path = dir.join(format!("logits-{}.safetensors", key_of(&(train.len(), hash_data(train), test.len(), hash_data(test)))));
    let expect = [("train", train.len()), ("test", test.len())];
    let (tr, te) = if cached && logits_path.exists() {
        let mut v = read_logits(&logits_path, &expect, k)?;
        let te = v.pop().expect("two sets");
        (v.pop().expect("two sets"), te)
    } else {
        let (tr, te) = (live.logits(train.x.view())?, live.logits(test.x.view())?);
        write_logits(&logits_path, &[("train", &tr), ("test", &te)])?;
        (tr, te)
    };
    Ok(Member { name: name.into(), dir, title, seconds, cached, live, train: tr, test: te })
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
pub(super) fn teacher_probs(members: &[&Array2<f32>], t: f32) -> Result<Array2<f32>> {
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

/// The teachers' logits on every view of `views` (a [`ViewBank`] over `images`), read from each member's
/// cache folder (`<cache_name>.safetensors`) when the member came from the cache, else computed and
/// written there. `what` names the views in messages.
pub(super) fn view_bank(cfg: &MnistConfig, members: &[Member], images: &Dataset, views: Views, cache_name: &str, what: &str) -> Result<ViewBank> {
    let device = cfg.device.resolve()?;
    let mut logits = Vec::new();
    for m in members {
        let path = m.dir.join(format!("{cache_name}.safetensors"));
        let start = Instant::now();
        if m.cached && path.exists() {
            logits.push(ViewBank::load_member(&path, &views, images.n_classes, device).map_err(|e| match e {
                KdError::Model { path, msg } => KdError::Model { path, msg: format!("{msg}, or {NO_CACHE_HINT}") },
                e => e,
            })?);
            say(cfg, format!("{}: logits on {what} loaded from cache {}", m.title, path.display()));
        } else {
            let label = label(cfg, &format!("{} on {what}", m.name.trim_start_matches("teacher_")));
            let z = ViewBank::member_logits(&|x: &tch::Tensor| m.live.logits_t(x), images.x.view(), &views, device, label.as_deref())?;
            ViewBank::save_member(&z, &path)?;
            say(cfg, format!("{}: logits on {} views ({what}) in {:.1} s (cached in {})", m.title, views.len(), start.elapsed().as_secs_f64(), path.display()));
            logits.push(z);
        }
    }
    ViewBank::new(views, images.x.view(), logits, device)
}

/// The bank of every translation by up to `budget.max_shift` pixels of the training images (what the
/// jittered 2×800 students draw from).
pub(super) fn shift_bank(cfg: &MnistConfig, members: &[Member], train: &Dataset, rows: usize, cols: usize) -> Result<ViewBank> {
    let s = cfg.budget.max_shift;
    let views = Views::translations(train.len(), rows, cols, s)?;
    let what = format!("all {} translations of the {} training images", views.per_image(), train.len());
    view_bank(cfg, members, train, views, &format!("views-translations-{s}"), &what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ensemble_probs_average_probabilities() {
        let a = array![[0.0f32, 9f32.ln()]];
        let b = array![[0.0f32, 0.0]];
        let p = teacher_probs(&[&a, &b], 1.0).unwrap();
        assert!((p[[0, 1]] - 0.7).abs() < 1e-6);
        let single = teacher_probs(&[&a], 2.0).unwrap();
        assert!((single[[0, 1]] - 3.0 / 4.0).abs() < 1e-6);
    }
}
