//! The validation grid shared by the small students and the soft trees: which settings are trained,
//! in which order, and how validation errors choose among them. No choice ever looks at the test set.
//!
//! 1. Labels, on each of `hard_inputs` (the plain images, translations), at the base schedule.
//! 2. Distillation over `alphas × temperatures × inputs` at the base schedule (`α > 0` is skipped on
//!    the transfer set, whose mixtures have no label).
//! 3. For the best label-trained and the best distilled setting so far, the schedule times each epoch
//!    factor above 1. With [`GridSpec::lengthen_each_input`], the best setting *of each input kind* is
//!    lengthened, on both sides: distillation on augmented views is the setting that needs patience
//!    (Beyer et al. 2022) and loses at the base schedule, so the base schedule alone must not rule it
//!    out; and labels on translations get the same chance, or a longer schedule would favour
//!    distillation by construction.
//! 4. Optionally, logit matching at the chosen distilled setting (reported beside it, never chosen).
//!
//! Each kind's choice is the run with the fewest validation errors; ties go to the earlier run, so
//! the shorter schedule and the grid's first settings win ties.
use super::results::{Grid, GridRun};
use super::Inputs;
use crate::error::{KdError, Result};
use crate::neural::Objective;

/// One run to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Setting {
    pub(super) objective: Objective,
    pub(super) inputs: Inputs,
    pub(super) epochs: usize,
}

/// What a grid trains (see the module docs).
pub(super) struct GridSpec<'a> {
    pub(super) hard_inputs: &'a [Inputs],
    pub(super) alphas: &'a [f32],
    pub(super) temperatures: &'a [f32],
    pub(super) inputs: &'a [Inputs],
    pub(super) epochs: usize,
    pub(super) epoch_factors: &'a [usize],
    /// Lengthen the best label-trained and the best distilled setting of every input kind, not only the
    /// best one of each side.
    pub(super) lengthen_each_input: bool,
    pub(super) logit_match: bool,
}

/// The setting a run was trained with (inverse of [`GridRun`]'s fields).
pub(super) fn setting_of(run: &GridRun) -> Setting {
    let objective = match (run.loss.as_str(), run.temperature) {
        ("labels", _) => Objective::Hard,
        ("logit matching", _) => Objective::LogitMatch { alpha: run.alpha as f32 },
        (_, t) => Objective::Distill { alpha: run.alpha as f32, temperature: t.unwrap_or(1.0) as f32 },
    };
    Setting { objective, inputs: run.inputs, epochs: run.epochs }
}

/// The name of an objective in [`GridRun::loss`].
pub(super) fn loss_name(o: Objective) -> &'static str {
    match o {
        Objective::Hard => "labels",
        Objective::Distill { .. } => "distilled",
        Objective::LogitMatch { .. } => "logit matching",
    }
}

impl GridRun {
    /// The record of one run of `setting` for `model`.
    pub(super) fn of(model: String, s: Setting, val_errors: usize, test_errors: usize, test_errors_mixture: Option<usize>, fidelity: f64, seconds: f64) -> GridRun {
        let clean = super::run::clean;
        let (alpha, temperature) = match s.objective {
            Objective::Distill { alpha, temperature } => (clean(alpha), Some(clean(temperature))),
            o => (clean(o.alpha()), None),
        };
        GridRun { model, loss: loss_name(s.objective).into(), inputs: s.inputs, alpha, temperature, epochs: s.epochs, val_errors, test_errors, test_errors_mixture, fidelity, seconds }
    }
}

/// The index among `candidates` with the fewest validation errors (ties: the first).
fn best(runs: &[GridRun], candidates: &[usize]) -> Result<usize> {
    candidates.iter().copied().min_by_key(|&i| (runs[i].val_errors, i)).ok_or_else(|| KdError::Empty("a grid step trained nothing".into()))
}

/// Train the grid with `train` and choose on validation.
pub(super) fn run_grid(spec: &GridSpec<'_>, mut train: impl FnMut(Setting) -> Result<GridRun>) -> Result<Grid> {
    let mut runs: Vec<GridRun> = Vec::new();
    let mut hard: Vec<usize> = Vec::new();
    for &inputs in spec.hard_inputs {
        hard.push(runs.len());
        runs.push(train(Setting { objective: Objective::Hard, inputs, epochs: spec.epochs })?);
    }
    let mut soft: Vec<usize> = Vec::new();
    for &inputs in spec.inputs {
        for &alpha in spec.alphas {
            if inputs == Inputs::Transfer && alpha > 0.0 {
                continue;
            }
            for &temperature in spec.temperatures {
                soft.push(runs.len());
                runs.push(train(Setting { objective: Objective::Distill { alpha, temperature }, inputs, epochs: spec.epochs })?);
            }
        }
    }
    let h0: Vec<usize> = if spec.lengthen_each_input { hard.clone() } else { vec![best(&runs, &hard)?] };
    let s0: Vec<usize> = if spec.lengthen_each_input {
        let mut chosen = Vec::new();
        for &inputs in spec.inputs {
            let of_kind: Vec<usize> = soft.iter().copied().filter(|&i| runs[i].inputs == inputs).collect();
            if !of_kind.is_empty() {
                chosen.push(best(&runs, &of_kind)?);
            }
        }
        chosen
    } else {
        vec![best(&runs, &soft)?]
    };
    for &factor in spec.epoch_factors.iter().filter(|&&f| f > 1) {
        for &i in &h0 {
            let base = setting_of(&runs[i]);
            hard.push(runs.len());
            runs.push(train(Setting { epochs: spec.epochs * factor, ..base })?);
        }
        for &i in &s0 {
            let base = setting_of(&runs[i]);
            soft.push(runs.len());
            runs.push(train(Setting { epochs: spec.epochs * factor, ..base })?);
        }
    }
    let (h, s) = (best(&runs, &hard)?, best(&runs, &soft)?);
    let logit_match = if spec.logit_match {
        let chosen = setting_of(&runs[s]);
        runs.push(train(Setting { objective: Objective::LogitMatch { alpha: chosen.objective.alpha() }, ..chosen })?);
        Some(runs.len() - 1)
    } else {
        None
    };
    Ok(Grid { runs, hard: h, soft: s, logit_match })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake trainer: validation errors from a formula of the setting, test errors = validation + 1.
    fn fake(s: Setting) -> Result<GridRun> {
        let mut val = match s.inputs {
            Inputs::Plain => 100,
            Inputs::Translations => 90,
            Inputs::Transfer => 80,
        };
        if let Objective::Distill { alpha, temperature } = s.objective {
            val -= (10.0 / (1.0 + (temperature as f64 - 4.0).abs())) as usize + if alpha > 0.0 { 0 } else { 3 };
        }
        val -= s.epochs / 10;
        Ok(GridRun::of("m".into(), s, val, val + 1, None, 0.9, 0.0))
    }

    #[test]
    fn the_grid_trains_what_it_says_and_chooses_on_validation() {
        let spec = GridSpec {
            hard_inputs: &[Inputs::Plain, Inputs::Translations],
            alphas: &[0.0, 0.5],
            temperatures: &[2.0, 4.0],
            inputs: &[Inputs::Plain, Inputs::Transfer],
            epochs: 10,
            epoch_factors: &[1, 3],
            lengthen_each_input: false,
            logit_match: true,
        };
        let g = run_grid(&spec, fake).unwrap();
        // 2 hard + (plain: 2 α × 2 T) + (transfer: α = 0 only, 2 T) + 2 longer + 1 logit matching.
        assert_eq!(g.runs.len(), 2 + 4 + 2 + 2 + 1);
        let chosen = &g.runs[g.soft];
        assert_eq!((chosen.inputs, chosen.temperature, chosen.alpha, chosen.epochs), (Inputs::Transfer, Some(4.0), 0.0, 30));
        let hard = &g.runs[g.hard];
        assert_eq!((hard.loss.as_str(), hard.inputs, hard.epochs), ("labels", Inputs::Translations, 30));
        let lm = &g.runs[g.logit_match.unwrap()];
        assert_eq!((lm.loss.as_str(), lm.inputs, lm.epochs, lm.alpha), ("logit matching", Inputs::Transfer, 30, 0.0));
        assert_eq!((g.hard_errors(), g.soft_errors()), (hard.test_errors, chosen.test_errors));
        // Ties go to the earlier run.
        let tie = |s: Setting| fake(s).map(|r| GridRun { val_errors: 5, ..r });
        let g = run_grid(&GridSpec { logit_match: false, ..spec }, tie).unwrap();
        assert_eq!((g.hard, g.soft, g.logit_match), (0, 2, None));
    }

    #[test]
    fn lengthening_each_input_kind_trains_the_best_setting_of_each_on_both_sides() {
        // Plain images win at the base schedule, but the transfer set gains most from patience.
        let patient = |s: Setting| {
            fake(s).map(|r| {
                let v = match (s.inputs, s.epochs) {
                    (Inputs::Transfer, 10) => 95,
                    (Inputs::Transfer, _) => 40,
                    _ => r.val_errors,
                };
                GridRun { val_errors: v, test_errors: v + 1, ..r }
            })
        };
        let spec = GridSpec {
            hard_inputs: &[Inputs::Plain, Inputs::Translations],
            alphas: &[0.0],
            temperatures: &[2.0, 4.0],
            inputs: &[Inputs::Plain, Inputs::Transfer],
            epochs: 10,
            epoch_factors: &[1, 3],
            lengthen_each_input: false,
            logit_match: false,
        };
        let g = run_grid(&spec, patient).unwrap();
        assert_eq!(g.runs.len(), 2 + 4 + 2);
        assert_eq!(g.runs[g.soft].inputs, Inputs::Plain, "only the base schedule's winner was lengthened");
        assert_eq!(g.runs[6].inputs, Inputs::Translations, "only the best label-trained input was lengthened");
        let g = run_grid(&GridSpec { lengthen_each_input: true, ..spec }, patient).unwrap();
        // 2 hard + 4 distilled + (2 hard + 2 distilled) at 30 epochs; ties go to the first temperature.
        assert_eq!(g.runs.len(), 2 + 4 + 4);
        let longer: Vec<_> = g.runs[6..].iter().map(|r| (r.loss.as_str(), r.inputs, r.temperature, r.epochs)).collect();
        let want = vec![
            ("labels", Inputs::Plain, None, 30),
            ("labels", Inputs::Translations, None, 30),
            ("distilled", Inputs::Plain, Some(4.0), 30),
            ("distilled", Inputs::Transfer, Some(2.0), 30),
        ];
        assert_eq!(longer, want);
        assert_eq!(g.runs[g.hard].inputs, Inputs::Translations);
        let chosen = &g.runs[g.soft];
        assert_eq!((chosen.inputs, chosen.epochs, chosen.val_errors), (Inputs::Transfer, 30, 40));
    }
}
