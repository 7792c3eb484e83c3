//! [`run`]: the whole experiment, model after model, each recorded with its test errors and fidelity.
use crate::augment::images::random_translate;
use super::config::published;
use super::omitted::omit_three;
use super::results::{GridRun, Metrics, MnistReport, ModelResult};
use super::grid::Setting;
use super::small::{describe, small_students};
use super::soft_trees::soft_trees;
use super::transfer::sources;
use super::students::{big_params, choose_big, distill_jittered};
use super::teachers::{shift_bank, teacher_member, teacher_probs};
use super::trees::tree_curve;
use super::{load_data, say, MnistConfig, TeacherKind};
use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::metrics::{confusion, errors};
use crate::neural::{describe_device, TrainData};
use crate::base::argmax_rows;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

pub(super) struct Ctx<'a> {
    pub(super) cfg: &'a MnistConfig,
    pub(super) test: &'a Dataset,
    pub(super) teacher_test_pred: Array1<usize>,
    pub(super) models: Vec<ModelResult>,
    /// Whether the data are MNIST: the published figures are recorded only then.
    pub(super) mnist: bool,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(&mut self, name: &str, title: &str, pred: &Array1<usize>, size: usize, unit: &str, seconds: f64, published: Option<usize>) -> Result<usize> {
        let e = errors(pred.view(), self.test.y.view())?;
        let n = self.test.len();
        let fid = crate::metrics::fidelity(pred.view(), self.teacher_test_pred.view())?;
        let published = published.filter(|_| self.mnist);
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

impl Ctx<'_> {
    /// Score a grid run of `arch` trained with `s` from its logits on the validation images (labels
    /// `val_y`) and on the test images, print its line, and return its record.
    pub(super) fn grid_run(&self, arch: String, s: Setting, val_z: ArrayView2<f32>, val_y: ArrayView1<usize>, test_z: ArrayView2<f32>, seconds: f64) -> Result<GridRun> {
        let val = errors(argmax_rows(val_z).view(), val_y)?;
        let pred = argmax_rows(test_z);
        let test = errors(pred.view(), self.test.y.view())?;
        let fid = crate::metrics::fidelity(pred.view(), self.teacher_test_pred.view())?;
        say(self.cfg, format!("  {arch} {:<48} validation errors {val:>4}, test errors {test:>4}, fidelity {:.2}%, {seconds:.1} s", describe(&s), 100.0 * fid));
        Ok(GridRun::of(arch, s, val, test, None, fid, seconds))
    }

    /// Record a grid run that already measured itself.
    pub(super) fn push_run(&mut self, name: &str, title: &str, run: &GridRun, size: usize, unit: &str) {
        let n = self.test.len();
        self.models.push(ModelResult {
            name: name.into(),
            title: title.into(),
            errors: run.test_errors,
            accuracy: 1.0 - run.test_errors as f64 / n as f64,
            fidelity: run.fidelity,
            size,
            size_unit: unit.into(),
            seconds: run.seconds,
            published: None,
        });
    }
}

/// An `f32` as the `f64` with the same shortest decimal form (`0.1f32` → `0.1`, not `0.10000000149`).
pub(super) fn clean(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(v as f64)
}

pub(super) fn predict_net(net: &crate::neural::Net, x: ArrayView2<f32>) -> Result<Array1<usize>> {
    Ok(argmax_rows(net.logits(x)?.view()))
}

/// Run the whole experiment.
pub fn run(cfg: &MnistConfig) -> Result<MnistReport> {
    cfg.check()?;
    let wall = Instant::now();
    let device = cfg.device.resolve()?;
    let device_name = describe_device(device);
    let data = load_data(cfg)?;
    let (rows, cols, k) = (data.rows, data.cols, data.train.n_classes);
    let mnist = published::is_mnist(data.test.y.view());
    let data_name = published::data_name(&cfg.data_dir, mnist);
    say(cfg, format!("{data_name} distillation ({} mode) on {device_name}", cfg.mode));

    // Training subset (seeded) and the omitted-3 validation rows (the first n_val of it).
    let n_all = data.train.len();
    let mut order: Vec<usize> = (0..n_all).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
    let n_train = cfg.budget.n_train.unwrap_or(n_all).min(n_all);
    let train = data.train.select(&order[..n_train]);
    // The teachers learn from the first `teacher_n_train` images of the same order (the students' by default).
    let n_teacher = cfg.budget.teacher_n_train.map_or(n_train, |t| t.min(n_all).max(n_train));
    let teacher_train = (n_teacher > n_train).then(|| data.train.select(&order[..n_teacher]));
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
        format!("data: {} ({rows}×{cols}, {k} classes): {n_train} training images ({n_val} of them the validation split), {n_test} test images", cfg.data_dir.display()),
    );

    // Teachers.
    if n_teacher > n_train {
        say(cfg, format!("teachers: trained on {n_teacher} training images (the students' {n_train} among them)"));
    }
    let mut members = Vec::new();
    for kind in cfg.teacher.members() {
        members.push(teacher_member(cfg, kind, teacher_train.as_ref().unwrap_or(&train), &train, &test, rows, cols)?);
    }
    drop(teacher_train);
    let train_logits: Vec<&Array2<f32>> = members.iter().map(|m| &m.train).collect();
    let test_logits: Vec<&Array2<f32>> = members.iter().map(|m| &m.test).collect();
    // Every translation of the training images (jittered 2×800 students, distillation on translations).
    let bank = shift_bank(cfg, &members, &train, rows, cols)?;
    let teacher_test_pred = argmax_rows(teacher_probs(&test_logits, 1.0)?.view());
    let mut ctx = Ctx { cfg, test: &test, teacher_test_pred: teacher_test_pred.clone(), models: Vec::new(), mnist };
    let mut teacher_members = Vec::new();
    if members.len() > 1 {
        for m in &members {
            let mut c2 = Ctx { cfg, test: &test, teacher_test_pred: teacher_test_pred.clone(), models: Vec::new(), mnist };
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

    // 2×800 students: (α, T) chosen on validation; then, on all training images, labels; distilled on
    // the training images (Hinton's setting); and, when `student_jitter`, labels + jitter (augmentation
    // alone) and distilled on jittered images.
    let s_seed = cfg.seed + 10;
    let not_val: Vec<usize> = (n_val..n_train).collect();
    let big_choice = choose_big(cfg, &ctx, &train, &train_logits, &not_val, &val_rows, &bank, s_seed)?;
    let (alpha, t) = (big_choice.alpha, big_choice.temperature);
    let q_train = teacher_probs(&train_logits, t)?;
    let hard = big_params(cfg, s_seed, "2×800 hard").hard().fit(TrainData::new(train.x.view()).labels(train.y.view()), k)?;
    let hard_pred = argmax_rows(hard.logits(test.x.view())?.view());
    let student_hard_errors =
        ctx.record("student_hard", "student 784-800-800-10, hard labels", &hard_pred, hard.n_params(), "params", hard.report.seconds, Some(published::STUDENT_HARD))?;
    let plain = big_params(cfg, s_seed, "2×800 distilled").distill(alpha, t).fit(TrainData::new(train.x.view()).labels(train.y.view()).soft(q_train.view(), t), k)?;
    let plain_pred = argmax_rows(plain.logits(test.x.view())?.view());
    let plain_pub = (!cfg.student_jitter).then_some(published::STUDENT_SOFT);
    let student_soft_plain_errors =
        ctx.record("student_soft_plain", &format!("student 784-800-800-10, distilled T={t} α={alpha}"), &plain_pred, plain.n_params(), "params", plain.report.seconds, plain_pub)?;
    let (mut soft_pred, mut student_soft_errors) = (plain_pred, student_soft_plain_errors);
    let (mut hard_jitter_errors, mut soft_jitter_errors) = (None, None);
    if cfg.student_jitter {
        let shift = cfg.budget.max_shift;
        let tf = move |x: &tch::Tensor| random_translate(x, rows, cols, shift);
        let hj = big_params(cfg, s_seed, "2×800 hard+jitter").hard().fit(TrainData::new(train.x.view()).labels(train.y.view()).transform(&tf), k)?;
        let hj_pred = argmax_rows(hj.logits(test.x.view())?.view());
        hard_jitter_errors =
            Some(ctx.record("student_hard_jitter", "student 784-800-800-10, labels + jitter", &hj_pred, hj.n_params(), "params", hj.report.seconds, None)?);
        let (net, secs) = distill_jittered(cfg, &[800, 800], s_seed, "2×800 distilled+jitter", train.x.view(), train.y.view(), &bank, k, (alpha, t))?;
        soft_pred = predict_net(&net, test.x.view())?;
        let e = ctx.record(
            "student_soft_jitter",
            &format!("student 784-800-800-10, distilled T={t} α={alpha} + jitter"),
            &soft_pred,
            net.spec().n_params(),
            "params",
            secs,
            Some(published::STUDENT_SOFT),
        )?;
        soft_jitter_errors = Some(e);
        student_soft_errors = e;
    }

    // Small students, soft trees and CART: trained without the validation rows, which make every choice.
    let src = sources(cfg, &members, &train, &not_val, &val_rows, &bank, rows, cols)?;
    let (small, small_seed_spread) = small_students(&src, &mut ctx)?;
    let (soft_tree, soft_tree_picture) = soft_trees(&src, &mut ctx)?;
    let trees = tree_curve(&src, &mut ctx)?;
    let transfer_rows = src.transfer.n_views();
    let tree_transfer_rows = src.tree_transfer().n_views();
    drop(src);
    let headline = trees.iter().find(|r| r.leaves == cfg.headline_leaves).expect("validated");

    // Omitted-3 experiment.
    let omit = omit_three(cfg, &mut ctx, &train, &val_rows, &q_train, (alpha, t), cfg.student_jitter.then_some(&bank))?;

    let confusions = vec![
        ("teacher".to_string(), confusion(teacher_test_pred.view(), test.y.view(), k)?),
        ("student_hard".to_string(), confusion(hard_pred.view(), test.y.view(), k)?),
        ("student_soft".to_string(), confusion(soft_pred.view(), test.y.view(), k)?),
    ];
    let wrong: Vec<usize> = (0..test.len()).filter(|&i| soft_pred[i] != test.y[i]).take(48).collect();
    let mistakes = (test.x.select(Axis(0), &wrong), wrong.iter().map(|&i| format!("true {} → {}", test.y[i], soft_pred[i])).collect());

    let metrics = Metrics {
        data: data_name,
        mnist,
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
        small_hard_errors: small[0].hard_errors(),
        small_soft_errors: small[0].soft_errors(),
        tiny_hard_errors: small.get(1).map_or(0, |g| g.hard_errors()),
        tiny_soft_errors: small.get(1).map_or(0, |g| g.soft_errors()),
        small_seed_spread,
        soft_tree_hard_acc: 1.0 - soft_tree.hard_errors() as f64 / n_test as f64,
        soft_tree_soft_acc: 1.0 - soft_tree.soft_errors() as f64 / n_test as f64,
        soft_tree_mixture_acc: [soft_tree.hard, soft_tree.soft].map(|i| 1.0 - soft_tree.runs[i].test_errors_mixture.unwrap_or(n_test) as f64 / n_test as f64),
        soft_tree_depth: cfg.soft_tree.depth,
        transfer_rows,
        tree_transfer_rows,
        tree_hard_acc: headline.hard_acc,
        tree_soft_acc: headline.soft_acc,
        tree_hard_aug_acc: headline.hard_aug_acc,
        tree_transfer_acc: headline.transfer_acc,
        tree_curve: trees.clone(),
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
        teacher_n_train: n_teacher,
        n_test,
        n_val,
        temperature: clean(t),
        alpha: clean(alpha),
        tree_leaves: cfg.headline_leaves,
        student_jitter: cfg.student_jitter,
    };
    say(cfg, format!("wall time {:.1} s on {}", metrics.wall_seconds, metrics.device));
    Ok(MnistReport {
        metrics,
        models: ctx.models,
        teacher_members,
        big: big_choice,
        small,
        soft_tree,
        soft_tree_picture,
        trees,
        confusions,
        mistakes,
        cache_hits: members.iter().map(|m| m.cached).collect(),
        n_test,
        config: cfg.clone(),
    })
}
