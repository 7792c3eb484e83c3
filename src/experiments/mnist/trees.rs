//! The tree table: our CART learner at each leaf limit on labels, teacher probabilities, and both with
//! jittered copies.
use super::results::TreeRow;
use super::run::Ctx;
use super::teachers::teacher_probs;
use super::{cat, label, say, MnistConfig};
use crate::data::Dataset;
use crate::error::Result;
use crate::soft::{argmax_rows, one_hot};
use crate::student::tree::{BinnedMatrix, TreeParams};
use ndarray::{Array1, Array2, ArrayView2};
use std::time::Instant;

pub(super) fn fit_trees(
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
