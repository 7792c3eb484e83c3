//! The CART size curve: our tree learner at each leaf limit on four training sets, the same limits
//! and the same learner, only the data differ:
//!
//! * labels of the training images (outside the validation split);
//! * labels of as many translated images as the transfer set has rows (augmentation without a
//!   teacher: the control);
//! * the teacher's probabilities on the training images;
//! * the teacher's probabilities on the trees' transfer set ([`super::MnistConfig::tree_transfer`]:
//!   translations, and mixtures of each image with one of its nearest neighbours, that it labelled).
//!
//! Every training set is binned straight from 8-bit pixels ([`BinnedMatrix::from_bytes`], or chunk by chunk
//! as the views are rendered with [`ByteBinner`]), one at a
//! time, so a million-row set costs its codes (784 MB) and not a float copy.
use super::results::CurveRow;
use super::run::Ctx;
use super::transfer::Sources;
use super::{label, say};
use crate::augment::views::{ViewRecipe, Views};
use crate::data::idx::pixel_value;
use crate::error::{KdError, Result};
use crate::base::{argmax_rows, one_hot};
use crate::student::tree::{BinnedMatrix, ByteBinner, TreeParams};
use ndarray::{Array1, Array2, ArrayView2};
use std::time::Instant;

/// Images with pixels `p/255` as their bytes; anything else is an error.
fn to_bytes(x: ArrayView2<f32>) -> Result<Array2<u8>> {
    let mut bad = None;
    let out = x.mapv(|v| {
        let p = (v * 255.0).round();
        if (v * 255.0 - p).abs() > 1e-3 || !(0.0..=255.0).contains(&p) {
            bad.get_or_insert(v);
        }
        p as u8
    });
    match bad {
        Some(v) => Err(KdError::param("images", v, "the tree curve needs 8-bit images (pixels p/255)")),
        None => Ok(out),
    }
}

/// Fit every leaf limit on one training set; `(test accuracy, fidelity, leaves grown, seconds)` each.
fn fit_all(ctx: &mut Ctx<'_>, name: &str, desc: &str, x: &BinnedMatrix, y: ArrayView2<f32>, bar: &indicatif::ProgressBar) -> Result<Vec<(f64, f64, usize, f64)>> {
    let mut out = Vec::new();
    for &leaves in &ctx.cfg.budget.tree_leaves {
        let start = Instant::now();
        let tree = TreeParams::default().max_leaves(Some(leaves)).fit_binned(x, y, None)?;
        let seconds = start.elapsed().as_secs_f64();
        let pred = argmax_rows(tree.predict_proba(ctx.test.x.view())?.view());
        let e = ctx.record(&format!("tree_{name}_{leaves}"), &format!("tree ≤{leaves} leaves, {desc}"), &pred, tree.n_leaves(), "leaves", seconds, None)?;
        out.push((1.0 - e as f64 / ctx.test.len() as f64, ctx.models.last().expect("just recorded").fidelity, tree.n_leaves(), seconds));
        bar.inc(1);
    }
    Ok(out)
}

/// The size curve (see the module docs).
pub(super) fn tree_curve(src: &Sources<'_>, ctx: &mut Ctx<'_>) -> Result<Vec<CurveRow>> {
    let cfg = src.cfg;
    let k = src.plain.n_classes;
    let t = cfg.tree_temperature;
    let bar = crate::progress::bar(label(cfg, "trees").as_deref(), (cfg.budget.tree_leaves.len() * 4) as u64);
    let mut results: Vec<Vec<(f64, f64, usize, f64)>> = Vec::new();

    // The training images: labels, then the teacher's probabilities.
    let plain = BinnedMatrix::from_bytes(to_bytes(src.plain.x.view())?.view(), 256, pixel_value)?;
    results.push(fit_all(ctx, "hard", "labels", &plain, one_hot(src.plain.y.view(), k)?.view(), &bar)?);
    results.push(fit_all(ctx, "soft", &format!("teacher probabilities (T = {t})"), &plain, src.plain_probs(t)?.view(), &bar)?);
    drop(plain);

    // The control: labels of translated images, as many rows as the transfer set.
    let start = Instant::now();
    let n = src.plain.len();
    let per_image = cfg.budget.tree_views();
    let views = Views::sample(n, src.rows, src.cols, per_image, &ViewRecipe::translations(cfg.tree_transfer.max_shift), cfg.seed + 41)?;
    let images = crate::neural::to_tensor(src.plain.x.view(), tch::Device::Cpu);
    let all = tch::Tensor::arange(views.len() as i64, (tch::Kind::Int64, tch::Device::Cpu));
    let mut binner = ByteBinner::new(views.len(), src.rows * src.cols, 256, pixel_value)?;
    views.render_u8_chunks(&images, &all, label(cfg, "translated images").as_deref(), |chunk| binner.push(chunk))?;
    let aug = binner.finish()?;
    let aug_labels: Array1<usize> = (0..views.len()).map(|r| src.plain.y[r % n]).collect();
    say(cfg, format!("trees: {} translated images rendered and binned in {:.1} s", views.len(), start.elapsed().as_secs_f64()));
    results.push(fit_all(ctx, "hard_aug", "labels of translated images", &aug, one_hot(aug_labels.view(), k)?.view(), &bar)?);
    drop(aug);

    // The trees' transfer set, labelled by the teacher.
    let start = Instant::now();
    let bank = src.tree_transfer();
    let mut binner = ByteBinner::new(bank.n_views(), src.rows * src.cols, 256, pixel_value)?;
    bank.render_u8_chunks(label(cfg, "transfer set").as_deref(), |chunk| binner.push(chunk))?;
    let transfer = binner.finish()?;
    let q = bank.probs(t)?;
    say(cfg, format!("trees: the transfer set's {} views rendered and binned in {:.1} s", transfer.n_rows(), start.elapsed().as_secs_f64()));
    results.push(fit_all(ctx, "transfer", &format!("teacher probabilities on the transfer set (T = {t})"), &transfer, q.view(), &bar)?);
    bar.finish_and_clear();

    Ok(cfg
        .budget
        .tree_leaves
        .iter()
        .enumerate()
        .map(|(j, &leaves)| {
            // Fitted in the order hard, soft, hard_aug, transfer; reported as hard, hard_aug, soft, transfer.
            let r: Vec<(f64, f64, usize, f64)> = [0, 2, 1, 3].iter().map(|&v| results[v][j]).collect();
            CurveRow {
                leaves,
                hard_acc: r[0].0,
                hard_aug_acc: r[1].0,
                soft_acc: r[2].0,
                transfer_acc: r[3].0,
                transfer_fidelity: r[3].1,
                fidelity: [r[0].1, r[1].1, r[2].1, r[3].1],
                grown: [r[0].2, r[1].2, r[2].2, r[3].2],
                seconds: [r[0].3, r[1].3, r[2].3, r[3].3],
            }
        })
        .collect())
}
