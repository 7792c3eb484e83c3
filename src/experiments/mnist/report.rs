//! The report: `metrics.json`, `README.md` with the published numbers side by side, the PNGs, and a
//! one-paragraph summary.
use super::config::{published, TeacherKind};
use super::grid::setting_of;
use super::results::{Grid, GridRun, MnistReport, ModelResult};
use super::small::describe;
use crate::error::{KdError, Result};
use crate::experiments::curve::SoftTreeLine;
use crate::report::{markdown_table, plot_bars, plot_confusion, plot_image_grid, plot_line_panels, plot_soft_tree, Bar, Panel, Series};
use std::path::Path;

/// Write `metrics.json`, `README.md` and the PNGs into `out`.
pub fn write_reports(r: &MnistReport, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| KdError::io(out, e))?;
    // metrics.json: the flat headline keys plus details.
    let mut json = serde_json::to_value(&r.metrics)?;
    let obj = json.as_object_mut().expect("struct serialises to an object");
    obj.insert("models".into(), serde_json::to_value(&r.models)?);
    obj.insert("teacher_members".into(), serde_json::to_value(&r.teacher_members)?);
    let small_grid: Vec<&GridRun> = r.small.iter().flat_map(|g| g.runs.iter()).collect();
    obj.insert("small_grid".into(), serde_json::to_value(&small_grid)?);
    obj.insert("small_chosen".into(), serde_json::to_value(r.small.iter().map(|g| serde_json::json!({"hard": g.hard, "soft": g.soft, "logit_match": g.logit_match})).collect::<Vec<_>>())?);
    obj.insert("big_grid".into(), serde_json::to_value(&r.big)?);
    obj.insert("soft_tree_grid".into(), serde_json::to_value(&r.soft_tree)?);
    obj.insert("teacher_from_cache".into(), serde_json::to_value(&r.cache_hits)?);
    let published = if r.metrics.mnist {
        serde_json::json!({
            "teacher_errors": published::TEACHER, "student_hard_errors": published::STUDENT_HARD,
            "student_soft_errors": published::STUDENT_SOFT, "omit3_errors": published::OMIT3_ERRORS,
            "omit3_three_errors": published::OMIT3_THREE_ERRORS, "omit3_fixed_errors": published::OMIT3_FIXED_ERRORS,
            "omit3_fixed_three_errors": published::OMIT3_FIXED_THREE_ERRORS,
            "soft_tree_hard_acc": published::SOFT_TREE_HARD_ACC, "soft_tree_soft_acc": published::SOFT_TREE_SOFT_ACC,
        })
    } else {
        serde_json::Value::Null
    };
    obj.insert("published".into(), published);
    obj.insert("config".into(), serde_json::to_value(&r.config)?);
    crate::io::write_json(out.join("metrics.json"), &json)?;

    // Bar chart of test errors: the chosen runs and the headline tree size.
    let m = &r.metrics;
    let keep = |x: &ModelResult| !x.name.starts_with("tree_") || x.name.ends_with(&format!("_{}", m.tree_leaves));
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
        &format!("{} test errors ({} mode, {} test images)", m.data, m.mode, r.n_test),
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

    plot_small_students(r, &out.join("small_students.png"))?;
    plot_size_curve(r, &out.join("tree_size_curve.png"))?;
    let pic = &r.soft_tree_picture;
    let chosen = &r.soft_tree.runs[r.soft_tree.soft];
    plot_soft_tree(
        out.join("soft_tree.png"),
        &format!("Distilled soft decision tree: {:.2}% test accuracy (max-path)", 100.0 * m.soft_tree_soft_acc),
        &pic.tree,
        pic.shape,
        pic.images.view(),
        &pic.examples,
    )
    .map_err(|e| KdError::Plot { path: out.join("soft_tree.png"), msg: format!("{e} ({})", describe(&setting_of(chosen))) })?;

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

/// `small_students.png`: test errors against T for each (α, inputs) of every small student's grid at
/// the base schedule, with the label-trained run validation prefers at that schedule as a dashed line.
fn plot_small_students(r: &MnistReport, path: &Path) -> Result<()> {
    let g = &r.config.small_grid;
    let ticks: Vec<String> = g.temperatures.iter().map(|t| format!("{t}")).collect();
    let mut panels = Vec::new();
    for grid in &r.small {
        let base = r.config.budget.small_epochs;
        let mut series = Vec::new();
        for &inputs in &g.inputs {
            for &alpha in &g.alphas {
                let pts: Vec<Option<f64>> = g
                    .temperatures
                    .iter()
                    .map(|&t| {
                        grid.runs
                            .iter()
                            .find(|x| x.loss == "distilled" && x.inputs == inputs && x.alpha == alpha as f64 && x.temperature == Some(t as f64) && x.epochs == base)
                            .map(|x| x.test_errors as f64)
                    })
                    .collect();
                if pts.iter().all(Option::is_some) {
                    series.push(Series::new(format!("distilled α={alpha}, {inputs}"), pts.into_iter().flatten().collect()));
                }
            }
        }
        // The label-trained run validation prefers at the same schedule.
        if let Some(hard) = grid.runs.iter().filter(|x| x.loss == "labels" && x.epochs == base).min_by_key(|x| x.val_errors) {
            series.push(Series::new("labels (validation's choice of inputs)", vec![hard.test_errors as f64; ticks.len()]).dashed());
        }
        panels.push(Panel { y_label: format!("{} test errors", grid.runs[0].model), series });
    }
    // One legend for all panels: the series names agree panel to panel except the label line's details.
    plot_line_panels(path, &format!("Small students: test errors against the temperature ({} epochs; lower is better)", r.config.budget.small_epochs), "temperature T", &ticks, &panels)
}

/// `tree_size_curve.png`: the CART curve with the distilled soft tree beside it.
fn plot_size_curve(r: &MnistReport, path: &Path) -> Result<()> {
    let sdt = &r.soft_tree.runs[r.soft_tree.soft];
    let line = SoftTreeLine {
        label: format!("soft tree d{} distilled ({} leaves)", r.config.soft_tree.depth, 1usize << r.config.soft_tree.depth),
        accuracy: 1.0 - sdt.test_errors as f64 / r.n_test as f64,
        fidelity: sdt.fidelity,
    };
    let title = format!("{}: CART test accuracy and fidelity against the leaf limit", r.metrics.data);
    crate::experiments::curve::plot_size_curve(path, &title, &r.trees, Some(&line))
}

fn short_title(t: &str) -> String {
    t.replace("784-", "").replace("student ", "").replace("  member: ", "member: ").replace("  … ", "omit-3 ")
}

/// A markdown table; without the columns `published` (the published figures) unless the data are MNIST.
fn published_table(headers: &[&str], rows: Vec<Vec<String>>, published: &[usize], mnist: bool) -> Result<String> {
    if mnist {
        return markdown_table(headers, &rows);
    }
    let keep = |i: &usize| !published.contains(i);
    let headers: Vec<&str> = headers.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, h)| *h).collect();
    let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.into_iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, c)| c).collect()).collect();
    markdown_table(&headers, &rows)
}

fn pct(v: f64) -> String {
    format!("{:.2}%", 100.0 * v)
}

/// `1, 2, 3`.
fn list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
}

/// The small students' chosen pairs over student seeds (empty when every spread has one seed).
fn seed_spread_section(spreads: &[super::SeedSpread]) -> Result<String> {
    if spreads.iter().all(|s| s.seeds.len() < 2) {
        return Ok(String::new());
    }
    let rows: Vec<Vec<String>> = spreads
        .iter()
        .map(|s| {
            let (h, d) = s.means();
            vec![
                s.model.clone(),
                list(&s.seeds),
                format!("{} (mean {h:.1})", list(&s.hard_test_errors)),
                format!("{} (mean {d:.1})", list(&s.soft_test_errors)),
                format!("{:.2}", s.ratio()),
                format!("{} of {}", s.soft_wins(), s.seeds.len()),
            ]
        })
        .collect();
    Ok(format!(
        "The same two settings of each small student trained again at further student seeds (initialisation, batch order, \
         translations; teacher, data and every choice fixed; the first seed is the grid's run above):\n\n{}\n",
        markdown_table(&["student", "student seeds", "labels: test errors", "distilled: test errors", "ratio of means", "distilled better at"], &rows)?
    ))
}

/// A grid as a markdown table; the chosen runs in bold.
fn grid_table(g: &Grid, n_test: usize, mixture: bool) -> Result<String> {
    let mut headers = vec!["model", "loss", "inputs", "α", "T", "epochs", "validation errors", "test errors"];
    if mixture {
        headers.push("test errors (mixture)");
    }
    headers.extend(["test accuracy", "fidelity", "train s"]);
    let rows: Vec<Vec<String>> = g
        .runs
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let b = |s: String| if i == g.hard || i == g.soft { format!("**{s}**") } else { s };
            let mut row = vec![
                x.model.clone(),
                x.loss.clone(),
                x.inputs.to_string(),
                x.alpha.to_string(),
                x.temperature.map_or("—".into(), |t| t.to_string()),
                x.epochs.to_string(),
                x.val_errors.to_string(),
                b(x.test_errors.to_string()),
            ];
            if mixture {
                row.push(x.test_errors_mixture.map_or("—".into(), |e| e.to_string()));
            }
            row.extend([pct(1.0 - x.test_errors as f64 / n_test as f64), pct(x.fidelity), format!("{:.1}", x.seconds)]);
            row
        })
        .collect();
    markdown_table(&headers, &rows)
}

fn readme(r: &MnistReport) -> Result<String> {
    let m = &r.metrics;
    let cfg = &r.config;
    let find = |name: &str| r.models.iter().find(|x| x.name == name);
    let errs = |name: &str| find(name).map(|x| x.errors.to_string()).unwrap_or_else(|| "—".into());

    let mut head = vec![
        vec!["teacher".to_string(), find("teacher").map(|x| x.title.clone()).unwrap_or_default(), published::TEACHER.to_string(), m.teacher_errors.to_string()],
        vec!["2×800 on labels".into(), "no regularisation".into(), published::STUDENT_HARD.to_string(), m.student_hard_errors.to_string()],
        vec!["2×800 distilled".into(), format!("T = {}, α = {}, training images", m.temperature, m.alpha), if m.student_jitter { "—".into() } else { published::STUDENT_SOFT.to_string() }, m.student_soft_plain_errors.to_string()],
    ];
    if m.student_jitter {
        head.push(vec!["2×800 on labels + jitter".into(), "augmentation alone (control)".into(), "—".into(), errs("student_hard_jitter")]);
        head.push(vec!["2×800 distilled + jitter".into(), "teacher labels each translated batch".into(), published::STUDENT_SOFT.to_string(), m.student_soft_errors.to_string()]);
    }
    head.push(vec!["omitted 3, distilled".into(), "errors (on the 1010 test 3s)".into(), format!("{} ({})", published::OMIT3_ERRORS, published::OMIT3_THREE_ERRORS), format!("{} ({})", m.omit3_errors, m.omit3_three_errors)]);
    head.push(vec![
        "omitted 3, bias fixed".into(),
        format!("class-3 bias +{:.2}, chosen on validation", m.omit3_bias),
        format!("{} ({})", published::OMIT3_FIXED_ERRORS, published::OMIT3_FIXED_THREE_ERRORS),
        format!("{} ({})", m.omit3_fixed_errors, m.omit3_fixed_three_errors),
    ]);
    let headline = published_table(&["model", "setting", "published test errors", "test errors here"], head, &[2], m.mnist)?;

    // Labels against the teacher, student by student.
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let mut versus = Vec::new();
    for g in &r.small {
        let (h, s) = (&g.runs[g.hard], &g.runs[g.soft]);
        versus.push(vec![
            g.runs[0].model.clone(),
            format!("{} errors ({})", h.test_errors, describe(&setting_of(h))),
            format!("{} errors ({})", s.test_errors, describe(&setting_of(s))),
            format!("{:.2}", s.test_errors as f64 / h.test_errors.max(1) as f64),
            yes(s.test_errors < h.test_errors),
        ]);
    }
    let st = &r.soft_tree;
    let (sh, ss) = (&st.runs[st.hard], &st.runs[st.soft]);
    versus.push(vec![
        format!("soft tree d{} (max-path; mixture)", m.soft_tree_depth),
        format!("{} ({}) ({})", pct(m.soft_tree_hard_acc), pct(m.soft_tree_mixture_acc[0]), describe(&setting_of(sh))),
        format!("{} ({}) ({})", pct(m.soft_tree_soft_acc), pct(m.soft_tree_mixture_acc[1]), describe(&setting_of(ss))),
        format!("{:+.2} points", 100.0 * (m.soft_tree_soft_acc - m.soft_tree_hard_acc)),
        yes(m.soft_tree_soft_acc > m.soft_tree_hard_acc),
    ]);
    versus.push(vec![
        format!("CART ≤{} leaves", m.tree_leaves),
        format!("{} (translations: {})", pct(m.tree_hard_acc), pct(m.tree_hard_aug_acc)),
        format!("{} (teacher on the images: {})", pct(m.tree_transfer_acc), pct(m.tree_soft_acc)),
        format!("{:+.2} points", 100.0 * (m.tree_transfer_acc - m.tree_hard_acc.max(m.tree_hard_aug_acc))),
        yes(m.tree_transfer_acc > m.tree_hard_acc.max(m.tree_hard_aug_acc)),
    ]);
    let versus = markdown_table(&["student", "best on labels (validation's choice)", "distilled (validation's choice)", "distilled vs labels", "distilled better?"], &versus)?;
    let spread = seed_spread_section(&m.small_seed_spread)?;

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
    let table = published_table(&["model", "test errors", "published", "accuracy", "fidelity", "size", "train s"], rows, &[2], m.mnist)?;

    let small_tables = r.small.iter().map(|g| grid_table(g, r.n_test, false)).collect::<Result<Vec<_>>>()?.join("\n");
    let lm = r.small.first().and_then(|g| g.logit_match.map(|i| (&g.runs[i], &g.runs[g.soft])));
    let lm_note = match lm {
        Some((l, k)) => format!(
            "Logit matching (MSE on centred logits) at the chosen setting of {}: {} test errors, against {} with the KL loss.\n",
            l.model, l.test_errors, k.test_errors
        ),
        None => String::new(),
    };
    let soft_table = grid_table(&r.soft_tree, r.n_test, true)?;
    let big_section = match r.big.chosen {
        Some(c) => format!(
            "Each (α, T) distils the 2×800 student as the headline one is trained{jit}, on the {} training images outside the validation split. \
             Validation chose **α = {}, T = {}** (bold), the setting of every distilled 2×800 student in this report: they train on all training images (the omitted-3 student without the validation images).\n\n{}",
            m.n_train - m.n_val,
            m.alpha,
            m.temperature,
            grid_table(&Grid { runs: r.big.runs.clone(), hard: c, soft: c, logit_match: None }, r.n_test, false)?,
            jit = if m.student_jitter { " (on jittered images)" } else { "" },
        ),
        None => format!("α = {}, T = {}, fixed (one candidate, so no grid was trained).\n", m.alpha, m.temperature),
    };
    let trows: Vec<Vec<String>> = r
        .trees
        .iter()
        .map(|c| {
            let mut row = vec![c.leaves.to_string()];
            row.extend([c.hard_acc, c.hard_aug_acc, c.soft_acc, c.transfer_acc].map(pct));
            row.push(pct(c.transfer_fidelity));
            row.push(c.grown.map(|l| l.to_string()).join(" / "));
            row.push(c.seconds.map(|s| format!("{s:.1}")).join(" / "));
            row
        })
        .collect();
    let trees = markdown_table(
        &["max leaves", "labels", "labels, translations", "teacher, images", "teacher, transfer set", "fidelity (transfer set)", "leaves grown", "fit s"],
        &trows,
    )?;
    let omit = published_table(
        &["omitted-3 student", "test errors", "errors on 3s", "3s correct", "published errors", "published on 3s"],
        vec![
            vec!["distilled without 3s".into(), m.omit3_errors.to_string(), m.omit3_three_errors.to_string(), format!("{:.1}%", 100.0 * m.omit3_threes_correct), published::OMIT3_ERRORS.to_string(), published::OMIT3_THREE_ERRORS.to_string()],
            vec![
                format!("class-3 bias +{:.2}", m.omit3_bias),
                m.omit3_fixed_errors.to_string(),
                m.omit3_fixed_three_errors.to_string(),
                format!("{:.1}%", 100.0 * m.omit3_fixed_threes_correct),
                published::OMIT3_FIXED_ERRORS.to_string(),
                published::OMIT3_FIXED_THREE_ERRORS.to_string(),
            ],
        ],
        &[4, 5],
        m.mnist,
    )?;
    let quick_note = if m.mode == "quick" {
        format!(
            "\n> **Quick mode** (a CPU smoke run): {} training images and short schedules, one seed. The full run (`--full`, the \
             default on a GPU) uses all 60 000 images and the long schedules.\n",
            m.n_train
        )
    } else {
        String::new()
    };
    let published_note = if m.mnist {
        format!(
            "Published numbers: Hinton, Vinyals & Dean, *Distilling the Knowledge in a Neural Network* (2015), §3 (test errors \
             of 10 000); Frosst & Hinton, *Distilling a Neural Network Into a Soft Decision Tree* (2017): depth-8 soft tree \
             {}% on labels, {}% distilled. ",
            published::SOFT_TREE_HARD_ACC * 100.0,
            published::SOFT_TREE_SOFT_ACC * 100.0
        )
    } else {
        format!("These data are not MNIST (read from `{}`), so the published figures, which are MNIST's, are not shown. ", cfg.data_dir.display())
    };
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
    let teacher_images = if m.teacher_n_train > m.n_train {
        format!(" The teacher learns from {} training images, the students' {} among them.", m.teacher_n_train, m.n_train)
    } else {
        String::new()
    };
    let changes = cfg.changes_from_preset();
    let changes_note = if changes.is_empty() {
        String::new()
    } else {
        format!("\n> **Changed from the {} preset** (preset value in parentheses): {}.\n", m.mode, changes.join(", "))
    };
    let tr = &cfg.transfer;
    let tt = &cfg.tree_transfer;
    let tree_set = if tt == tr {
        "the students' transfer set above".to_string()
    } else {
        let partner = if tt.near() { format!("one of its {} nearest neighbours (pixel space)", tt.neighbours) } else { "a random other image".to_string() };
        format!(
            "their own transfer set of {} rows: {} views of each image, view 0 the image itself, the others translated by up to {} pixel(s), and {:.0}% of them mixed with {partner}, keeping weight `λ ~ U({}, 1)` on its own, every view labelled by the teacher",
            m.tree_transfer_rows, cfg.budget.tree_views(), tt.max_shift, 100.0 * tt.mix_fraction, tt.min_weight
        )
    };
    Ok(format!(
        "# {data} distillation\n\n\
         Generated by `{command}`; do not edit by hand.\n\
         Mode **{mode}**, device **{dev}**, wall time **{wall:.1} s**, seed {seed}, teacher **{teacher}**. {n_train} training \
         images ({n_val} of them the validation split), {n_test} test images.{teacher_images} Epochs: {teacher_epochs}, 2×800 students {se}, \
         small students {sme} (× the grid's factors), soft trees {ste}; batch {bs} (small students {sbs}).\n{changes_note}{quick_note}\n\
         {published_note}Distillation loss: `α·CE(y) + (1−α)·T²·KL(q_T ‖ p_T)`.\n\n\
         ## Headline\n\n{headline}\n\
         \"Jitter\": images randomly translated by up to {shift} pixel(s) in each direction (zero fill), redrawn every \
         mini-batch; the distilled student gets the teacher's soft targets *for the translated image*.\n\n\
         ## 2×800 students: α and T chosen on validation\n\n{big_section}\n\
         ## Does the teacher help? Each student on labels against distilled\n\nEvery choice (inputs, α, T, schedule length) \
         is made on the {n_val} validation images, never on the test set. Ratios and differences are of test errors and \
         test accuracy.\n\n{versus}\n{spread}\
         The transfer set: {per_image} views of each of the {n_plain} training images outside the validation split \
         ({rows} rows): view 0 the image itself, the others translated by up to {ts} pixel(s), and {mix:.0}% of them mixed \
         with a random other image, keeping weight `λ ~ U({minw}, 1)` on its own, every view labelled by the teacher (function matching: the \
         student sees exactly the view the teacher labelled).\n\n\
         ![test errors](test_errors.png)\n\n\
         ## Small students\n\nTrained without the validation images with Adam on a cosine schedule; on labels (plain images, or a \
         fresh translation per batch), distilled on the plain images, on translations, or on the transfer set. **Bold**: the \
         runs validation chose, which give the headline `small_*_errors`.\n\n{small_tables}\n{lm_note}\n\
         ![small students](small_students.png)\n\n\
         ## Soft decision trees\n\nDepth {depth} ({leaves} leaves), balance penalty λ = {lambda}, Adam from {st_lr} on a cosine schedule{st_wd}; their translations move \
         an image by up to {st_shift} pixel(s). Validation errors of the max-path prediction choose; the label-trained runs and the best distilled setting of each input are also \
         trained on the longer schedules.\n\n{soft_table}\n![soft tree](soft_tree.png)\n\n\
         ## CART size curve\n\nOur CART learner at each leaf limit; only the training set differs. The translated control has \
         as many rows as the transfer set. The trees learn from {tree_set}. Teacher probabilities at T = {tree_t}.\n\n{trees}\n\
         ![size curve](tree_size_curve.png)\n\n\
         ## All models (test set)\n\n{table}\n\
         Fidelity: agreement with the teacher's class on the test images. Teacher members were loaded from the cache: {cache:?}.\n\n\
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
        ste = cfg.budget.soft_tree_epochs,
        bs = cfg.budget.batch_size,
        sbs = cfg.budget.small_batch_size,
        n_train = m.n_train,
        n_val = m.n_val,
        n_test = m.n_test,
        n_plain = m.n_train - m.n_val,
        shift = cfg.budget.max_shift,
        data = m.data,
        per_image = cfg.budget.transfer_views,
        rows = m.transfer_rows,
        ts = tr.max_shift,
        mix = 100.0 * tr.mix_fraction,
        minw = tr.min_weight,
        depth = m.soft_tree_depth,
        leaves = 1usize << m.soft_tree_depth,
        lambda = cfg.soft_tree.balance_penalty,
        st_shift = cfg.soft_tree.max_shift,
        st_lr = cfg.soft_tree.learning_rate,
        st_wd = if cfg.soft_tree.weight_decay > 0.0 { format!(" with decoupled weight decay {}", cfg.soft_tree.weight_decay) } else { String::new() },
        cache = r.cache_hits,
        tree_t = cfg.tree_temperature,
        v0 = m.omit3_val_errors[0],
        v1 = m.omit3_val_errors[1],
    ))
}

/// One-paragraph summary of the headline numbers (on MNIST, the published figures in parentheses).
pub fn summary(r: &MnistReport) -> String {
    let m = &r.metrics;
    let p = |s: String| if m.mnist { format!(" ({s})") } else { String::new() };
    let spread_note = |i: usize| match m.small_seed_spread.get(i).filter(|s| s.seeds.len() > 1) {
        Some(s) => {
            let (h, d) = s.means();
            format!(" [{} seeds: mean {h:.1} vs {d:.1}]", s.seeds.len())
        }
        None => String::new(),
    };
    format!(
        "{}: teacher {} errors{} | 2×800: labels {}{}, distilled {}{}{} | 30×30: labels {} vs distilled {}{} | \
         10×10: labels {} vs distilled {}{} | soft tree d{}: labels {:.2}% vs distilled {:.2}%{} | \
         CART@{}: labels {:.2}%, translations {:.2}%, teacher on transfer set {:.2}% | \
         omitted 3: {} errors, {:.1}% of 3s right → bias +{:.2}: {} errors, {:.1}% of 3s",
        m.data,
        m.teacher_errors,
        p(published::TEACHER.to_string()),
        m.student_hard_errors,
        p(published::STUDENT_HARD.to_string()),
        m.student_soft_errors,
        p(published::STUDENT_SOFT.to_string()),
        if m.student_jitter { format!(" [+jitter; plain {}]", m.student_soft_plain_errors) } else { String::new() },
        m.small_hard_errors,
        m.small_soft_errors,
        spread_note(0),
        m.tiny_hard_errors,
        m.tiny_soft_errors,
        spread_note(1),
        m.soft_tree_depth,
        100.0 * m.soft_tree_hard_acc,
        100.0 * m.soft_tree_soft_acc,
        p(format!("{:.2} vs {:.2}", 100.0 * published::SOFT_TREE_HARD_ACC, 100.0 * published::SOFT_TREE_SOFT_ACC)),
        m.tree_leaves,
        100.0 * m.tree_hard_acc,
        100.0 * m.tree_hard_aug_acc,
        100.0 * m.tree_transfer_acc,
        m.omit3_errors,
        100.0 * m.omit3_threes_correct,
        m.omit3_bias,
        m.omit3_fixed_errors,
        100.0 * m.omit3_fixed_threes_correct
    )
}
