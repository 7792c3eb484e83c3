//! The small students (784-30-30-10 and 784-10-10-10): each trained on labels and distilled over the
//! validation grid of [`super::grid`], with Adam on a cosine schedule; the first architecture also
//! gets logit matching at its chosen setting. The chosen label-trained and distilled settings are then
//! trained at further student seeds ([`super::SmallGrid::seeds`]) for their spread.
use super::grid::{run_grid, setting_of, GridSpec, Setting};
use super::results::{Grid, GridRun, SeedSpread};
use super::run::Ctx;
use super::transfer::Sources;
use super::{label, say, Inputs};
use crate::error::Result;
use crate::neural::{seeded_fit_lock, train_model, MlpSpec, Net, TrainParams};

/// The architecture's name, e.g. `784-30-30-10`.
pub(super) fn arch_name(d: usize, hidden: &[usize], k: usize) -> String {
    std::iter::once(d).chain(hidden.iter().copied()).chain(std::iter::once(k)).map(|w| w.to_string()).collect::<Vec<_>>().join("-")
}

/// A short description of a setting, e.g. `distilled T=4 α=0, transfer set, 60 epochs`.
pub(super) fn describe(s: &Setting) -> String {
    let what = match s.objective {
        crate::neural::Objective::Hard => "labels".to_string(),
        crate::neural::Objective::Distill { alpha, temperature } => format!("distilled T={temperature} α={alpha}"),
        crate::neural::Objective::LogitMatch { alpha } => format!("logit matching α={alpha}"),
    };
    format!("{what}, {}, {} epochs", s.inputs, s.epochs)
}

/// The student seed of the grid's runs; the spread's further seeds follow it.
fn grid_seed(cfg: &super::MnistConfig) -> u64 {
    cfg.seed + 20
}

/// Train one small student for `setting` from student seed `seed` (initialisation, batch order,
/// translations); returns its grid record.
fn train_small(src: &Sources<'_>, ctx: &Ctx<'_>, hidden: &[usize], s: Setting, seed: u64) -> Result<GridRun> {
    let cfg = src.cfg;
    let (d, k) = (src.plain.x.ncols(), src.plain.n_classes);
    let arch = arch_name(d, hidden, k);
    let shown = if seed == grid_seed(cfg) { arch.clone() } else { format!("{arch} seed {seed}") };
    let mut params = TrainParams::default()
        .epochs(s.epochs)
        .batch_size(cfg.budget.small_batch_size)
        .learning_rate(cfg.small_grid.learning_rate)
        .cosine(true)
        .seed(seed);
    params.progress = label(cfg, &format!("{shown} {}", describe(&s)));
    let device = cfg.device.resolve()?;
    let _seeded = seeded_fit_lock();
    let mut net = Net::new(&MlpSpec::new(d, hidden, k), device, seed)?;
    let report = src.with_data(s.inputs, s.objective, cfg.budget.max_shift, |data| train_model(&mut net, &params, data, s.objective))?;
    let mut run = ctx.grid_run(shown, s, net.logits(src.val.x.view())?.view(), src.val.y.view(), net.logits(ctx.test.x.view())?.view(), report.seconds)?;
    run.model = arch;
    Ok(run)
}

/// The chosen label-trained and distilled settings of `grid` at `small_grid.seeds` student seeds, the
/// grid's own runs first.
fn seed_spread(src: &Sources<'_>, ctx: &Ctx<'_>, hidden: &[usize], grid: &Grid) -> Result<SeedSpread> {
    let cfg = src.cfg;
    let (h, s) = (&grid.runs[grid.hard], &grid.runs[grid.soft]);
    let mut spread = SeedSpread { model: h.model.clone(), seeds: vec![grid_seed(cfg)], hard_test_errors: vec![h.test_errors], soft_test_errors: vec![s.test_errors] };
    if cfg.small_grid.seeds > 1 {
        say(cfg, format!("small student {}: the chosen pair at {} student seeds", h.model, cfg.small_grid.seeds));
    }
    for j in 1..cfg.small_grid.seeds as u64 {
        let seed = grid_seed(cfg) + j;
        spread.seeds.push(seed);
        spread.hard_test_errors.push(train_small(src, ctx, hidden, setting_of(h), seed)?.test_errors);
        spread.soft_test_errors.push(train_small(src, ctx, hidden, setting_of(s), seed)?.test_errors);
    }
    Ok(spread)
}

/// Every small student's grid, in `small_grid.archs` order, and the spread of its chosen pair over
/// student seeds; the chosen runs are recorded in `ctx`.
pub(super) fn small_students(src: &Sources<'_>, ctx: &mut Ctx<'_>) -> Result<(Vec<Grid>, Vec<SeedSpread>)> {
    let cfg = src.cfg;
    let g = &cfg.small_grid;
    let (mut out, mut spreads) = (Vec::new(), Vec::new());
    for (a, hidden) in g.archs.iter().enumerate() {
        let spec = GridSpec {
            hard_inputs: &[Inputs::Plain, Inputs::Translations],
            alphas: &g.alphas,
            temperatures: &g.temperatures,
            inputs: &g.inputs,
            epochs: cfg.budget.small_epochs,
            epoch_factors: &g.epoch_factors,
            lengthen_each_input: true,
            logit_match: a == 0,
        };
        let arch = arch_name(src.plain.x.ncols(), hidden, src.plain.n_classes);
        say(cfg, format!("small student {arch}: validation grid"));
        let grid = run_grid(&spec, |s| train_small(src, ctx, hidden, s, grid_seed(cfg)))?;
        let params = MlpSpec::new(src.plain.x.ncols(), hidden, src.plain.n_classes).n_params();
        for (kind, i) in [("hard", grid.hard), ("soft", grid.soft)].into_iter().chain(grid.logit_match.map(|i| ("logit_match", i))) {
            let r = &grid.runs[i];
            ctx.push_run(&format!("small_{arch}_{kind}"), &format!("small {arch}, {}", describe(&setting_of(r))), r, params, "params");
        }
        spreads.push(seed_spread(src, ctx, hidden, &grid)?);
        out.push(grid);
    }
    Ok((out, spreads))
}
