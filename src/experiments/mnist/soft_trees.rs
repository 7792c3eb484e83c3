//! The soft decision trees (Frosst & Hinton 2017): one depth, trained on labels and distilled over the
//! validation grid of [`super::grid`]; validation errors of the max-path prediction choose. The chosen
//! distilled tree is kept for `soft_tree.png`.
use super::grid::{run_grid, setting_of, GridSpec, Setting};
use super::results::{Grid, GridRun, SoftTreePicture};
use super::run::Ctx;
use super::small::describe;
use super::transfer::Sources;
use super::{label, say, Inputs};
use crate::error::Result;
use crate::metrics::{errors, fidelity};
use crate::neural::Objective;
use crate::student::soft_tree::{Routing, SoftTree, SoftTreeParams};
use crate::student::Predictor;

/// Train one soft tree for `setting`; returns its grid record and the tree.
fn train_tree(src: &Sources<'_>, ctx: &Ctx<'_>, s: Setting) -> Result<(GridRun, SoftTree)> {
    let cfg = src.cfg;
    let g = &cfg.soft_tree;
    let name = format!("soft tree d{}", g.depth);
    let mut p = SoftTreeParams::new()
        .depth(g.depth)
        .balance_penalty(g.balance_penalty)
        .epochs(s.epochs)
        .learning_rate(g.learning_rate)
        .weight_decay(g.weight_decay)
        .seed(cfg.seed + 50)
        .device(cfg.device)
        .routing(Routing::MaxPath);
    p = match s.objective {
        Objective::Distill { alpha, temperature } => p.distill(alpha, temperature),
        _ => p.hard(),
    };
    if let Some(l) = label(cfg, &format!("{name} {}", describe(&s))) {
        p = p.progress(l);
    }
    let start = std::time::Instant::now();
    let tree = src.with_data(s.inputs, s.objective, g.max_shift, |data| p.fit(data, src.plain.n_classes))?;
    let seconds = start.elapsed().as_secs_f64();
    let val = errors(tree.predict(src.val.x.view())?.view(), src.val.y.view())?;
    let pred = tree.predict(ctx.test.x.view())?;
    let test = errors(pred.view(), ctx.test.y.view())?;
    let mix = crate::base::argmax_rows(tree.predict_proba_with(ctx.test.x.view(), Routing::Mixture)?.view());
    let test_mix = errors(mix.view(), ctx.test.y.view())?;
    let fid = fidelity(pred.view(), ctx.teacher_test_pred.view())?;
    say(
        cfg,
        format!("  {name} {:<46} validation errors {val:>4}, test errors {test:>4} (mixture {test_mix}), fidelity {:.2}%, {seconds:.1} s", describe(&s), 100.0 * fid),
    );
    let run = GridRun::of(name, s, val, test, Some(test_mix), fid, seconds);
    Ok((run, tree))
}

/// The soft trees' grid and the chosen distilled tree's picture (routes of the first test image of
/// each of three classes); the chosen runs are recorded in `ctx`.
pub(super) fn soft_trees(src: &Sources<'_>, ctx: &mut Ctx<'_>) -> Result<(Grid, SoftTreePicture)> {
    let cfg = src.cfg;
    let g = &cfg.soft_tree;
    let spec = GridSpec {
        hard_inputs: &[Inputs::Plain, Inputs::Translations],
        alphas: &g.alphas,
        temperatures: &g.temperatures,
        inputs: &g.inputs,
        epochs: cfg.budget.soft_tree_epochs,
        epoch_factors: &g.epoch_factors,
        lengthen_each_input: true,
        logit_match: false,
    };
    say(cfg, format!("soft decision trees of depth {}: validation grid", g.depth));
    let mut trees = Vec::new();
    let grid = run_grid(&spec, |s| {
        let (run, tree) = train_tree(src, ctx, s)?;
        trees.push(tree);
        Ok(run)
    })?;
    let tree = trees.swap_remove(grid.soft);
    let leaves = tree.n_leaves();
    for (kind, i) in [("hard", grid.hard), ("soft", grid.soft)] {
        let r = &grid.runs[i];
        ctx.push_run(&format!("soft_tree_{kind}"), &format!("soft tree d{}, {}", g.depth, describe(&setting_of(r))), r, leaves, "leaves");
    }
    // Reference images for the picture: the first 2000 test images; routes of three classes.
    let n_ref = ctx.test.len().min(2000);
    let images = ctx.test.x.slice(ndarray::s![..n_ref, ..]).to_owned();
    let mut examples = Vec::new();
    for want in [7usize, 3, 0, 1, 2, 4, 5, 6, 8, 9] {
        if examples.len() == 3 {
            break;
        }
        if let Some(i) = (0..n_ref).find(|&i| ctx.test.y[i] == want) {
            examples.push(i);
        }
    }
    let picture = SoftTreePicture { tree, shape: (src.rows, src.cols), images, examples };
    Ok((grid, picture))
}
