//! [`run`]: the whole experiment, model after model, each recorded with its test errors and fidelity.
use super::cache::{hash_data, key_of};
use super::cnn::random_translate;
use super::config::published;
use super::omitted::omit_three;
use super::results::{Metrics, MnistReport, ModelResult, SmallSweep};
use super::students::{distill_jittered, student_train_params};
use super::teachers::{lr_decay_for, shift_bank, teacher_member, teacher_probs};
use super::trees::fit_trees;
use super::{cat, jitter_images, label, load_data, say, MnistConfig, TeacherKind};
use crate::data::Dataset;
use crate::error::{KdError, Result};
use crate::metrics::{confusion, errors};
use crate::neural::{describe_device, MlpParams};
use crate::soft::argmax_rows;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::time::Instant;

pub(super) struct Ctx<'a> {
    pub(super) cfg: &'a MnistConfig,
    pub(super) test: &'a Dataset,
    pub(super) teacher_test_pred: Array1<usize>,
    pub(super) models: Vec<ModelResult>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(&mut self, name: &str, title: &str, pred: &Array1<usize>, size: usize, unit: &str, seconds: f64, published: Option<usize>) -> Result<usize> {
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
pub(super) fn clean(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(v as f64)
}

pub(super) fn predict_net(net: &crate::neural::Net, x: ArrayView2<f32>) -> Result<Array1<usize>> {
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
