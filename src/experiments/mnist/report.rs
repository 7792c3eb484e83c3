//! The report: `metrics.json`, `README.md` with the published numbers side by side, the PNGs, and a
//! one-paragraph summary.
use super::config::{published, TeacherKind};
use super::results::{MnistReport, ModelResult};
use crate::error::{KdError, Result};
use crate::report::{markdown_table, plot_bars, plot_confusion, plot_image_grid, plot_lines, Bar, Series};
use std::path::Path;

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
