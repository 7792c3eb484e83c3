//! [`SoftTreeParams`]: the soft decision tree's hyper-parameters (builder), checked by [`SoftTreeParams::check`].
use super::model::{Routing, SoftTree};
use crate::error::{KdError, Result};
use crate::neural::{DeviceChoice, Objective, TrainData, TrainParams, TrainValidParams};
use crate::student::{FitData, Student};
use serde::{Deserialize, Serialize};

/// Hyper-parameters of a soft decision tree: a builder; [`SoftTreeParams::check`] turns it into
/// [`SoftTreeValidParams`] (linfa's pattern), and [`SoftTreeParams::fit`] checks, then fits.
///
/// # Examples
///
/// ```
/// use kdistill::neural::{DeviceChoice, Objective};
/// use kdistill::student::soft_tree::{Routing, SoftTreeParams};
/// let p = SoftTreeParams::new()
///     .depth(6)
///     .balance_penalty(0.1)
///     .balance_decay(0.9)
///     .distill(0.0, 4.0)
///     .epochs(30)
///     .batch_size(128)
///     .learning_rate(0.01)
///     .lr_decay(0.9)
///     .seed(3)
///     .device(DeviceChoice::Cpu)
///     .routing(Routing::Mixture)
///     .check()?;
/// assert_eq!((p.depth(), p.objective()), (6, Objective::Distill { alpha: 0.0, temperature: 4.0 }));
/// assert_eq!((p.train().epochs(), p.train().lr_decay(), p.routing()), (30, 0.9, Routing::Mixture));
/// assert!(SoftTreeParams::new().depth(0).check().is_err());
/// assert!(SoftTreeParams::new().balance_penalty(-1.0).check().is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftTreeParams(SoftTreeValidParams);

/// Checked soft-tree hyper-parameters (from [`SoftTreeParams::check`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftTreeValidParams {
    depth: usize,
    lambda: f64,
    balance_decay: f64,
    beta_rate: f64,
    objective: Objective,
    train: TrainParams,
    device: DeviceChoice,
    routing: Routing,
}

impl Default for SoftTreeParams {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftTreeParams {
    /// Depth 8 (255 inner nodes, 256 leaves), balance penalty λ = 0.1 with root decay 0.9, `β` learned at
    /// 0.01 of the step size, trained on labels for 40 epochs of 128 rows with Adam from 0.01 on a cosine
    /// schedule.
    pub fn new() -> Self {
        SoftTreeParams(SoftTreeValidParams {
            depth: 8,
            lambda: 0.1,
            balance_decay: 0.9,
            beta_rate: 0.01,
            objective: Objective::Hard,
            train: TrainParams::default().epochs(40).batch_size(128).learning_rate(0.01).cosine(true),
            device: DeviceChoice::Auto,
            routing: Routing::MaxPath,
        })
    }
    /// Depth `d ≥ 1`: `2^d − 1` inner nodes and `2^d` leaves (at most 14).
    pub fn depth(mut self, d: usize) -> Self {
        self.0.depth = d;
        self
    }
    /// Weight λ ≥ 0 of the balance penalty (0 turns it off).
    pub fn balance_penalty(mut self, lambda: f64) -> Self {
        self.0.lambda = lambda;
        self
    }
    /// Decay γ ∈ [0, 1) of the root's running average of its right-going share; a node at depth `t`
    /// averages over a window `2^t` times longer (decay `1 − (1 − γ)·2^{−t}`).
    pub fn balance_decay(mut self, gamma: f64) -> Self {
        self.0.balance_decay = gamma;
        self
    }
    /// How fast the inverse temperature `β` learns, relative to the other parameters (`β = exp(rate·s)`
    /// with `s` learned; 0 keeps `β = 1`). Learned at the full rate, `β` grows until the routing saturates
    /// and the filters stop learning, so the default is 0.01.
    pub fn beta_rate(mut self, rate: f64) -> Self {
        self.0.beta_rate = rate;
        self
    }
    /// Train on the hard labels.
    pub fn hard(mut self) -> Self {
        self.0.objective = Objective::Hard;
        self
    }
    /// Train on `α·CE(labels) + (1−α)·T²·KL(q_T ‖ leaf_T)`, path-weighted over the leaves (the soft targets
    /// must be softened at the same `T`).
    pub fn distill(mut self, alpha: f32, temperature: f32) -> Self {
        self.0.objective = Objective::Distill { alpha, temperature };
        self
    }
    /// Passes over the data.
    pub fn epochs(mut self, e: usize) -> Self {
        self.0.train.epochs = e;
        self
    }
    /// Mini-batch size.
    pub fn batch_size(mut self, b: usize) -> Self {
        self.0.train.batch_size = b;
        self
    }
    /// Adam's starting learning rate.
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.0.train.learning_rate = lr;
        self
    }
    /// Multiply the learning rate by `f` after every epoch instead of the cosine schedule.
    pub fn lr_decay(mut self, f: f64) -> Self {
        self.0.train.lr_decay = f;
        self.0.train.cosine = false;
        self
    }
    /// Decoupled weight decay `w ≥ 0` (AdamW): every step first shrinks each parameter (filters,
    /// biases, leaf logits and `β`'s exponent) by the factor `1 − η_t·w`, `η_t` the step's learning
    /// rate, then takes Adam's step. 0 (the default) turns it off.
    pub fn weight_decay(mut self, w: f64) -> Self {
        self.0.train.weight_decay = w;
        self
    }
    /// Seed of the initialisation and the shuffles.
    pub fn seed(mut self, s: u64) -> Self {
        self.0.train.seed = s;
        self
    }
    /// Where to train.
    pub fn device(mut self, d: DeviceChoice) -> Self {
        self.0.device = d;
        self
    }
    /// Progress-bar label.
    pub fn progress(mut self, label: impl Into<String>) -> Self {
        self.0.train.progress = Some(label.into());
        self
    }
    /// How the fitted tree predicts (max-path by default).
    pub fn routing(mut self, r: Routing) -> Self {
        self.0.routing = r;
        self
    }
    /// Check every setting; the checked parameters have the getters.
    pub fn check(&self) -> Result<SoftTreeValidParams> {
        let p = &self.0;
        if !(1..=14).contains(&p.depth) {
            return Err(KdError::param("depth", p.depth, "must be in 1..=14"));
        }
        if !(p.lambda.is_finite() && p.lambda >= 0.0) {
            return Err(KdError::param("balance_penalty", p.lambda, "must be finite and ≥ 0"));
        }
        if !(p.beta_rate.is_finite() && p.beta_rate >= 0.0) {
            return Err(KdError::param("beta_rate", p.beta_rate, "must be finite and ≥ 0"));
        }
        if !(0.0..1.0).contains(&p.balance_decay) {
            return Err(KdError::param("balance_decay", p.balance_decay, "must be in [0, 1)"));
        }
        if let Objective::LogitMatch { .. } = p.objective {
            return Err(KdError::param("objective", "logit matching", "a soft tree's leaves are distributions; use hard() or distill()"));
        }
        p.objective.check()?;
        p.train.check()?;
        if p.train.max_norm.is_some() {
            return Err(KdError::param("max_norm", "set", "the soft tree has no max-norm constraint"));
        }
        Ok(p.clone())
    }

    /// Check, then fit on `data` for `n_classes` classes (see [`SoftTreeValidParams::fit`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::{DeviceChoice, TrainData};
    /// use kdistill::student::{soft_tree::SoftTreeParams, Predictor};
    /// use ndarray::{array, Array1};
    /// let x = array![[-1.0f32], [-0.5], [0.5], [1.0]];
    /// let y: Array1<usize> = array![0, 0, 1, 1];
    /// let p = SoftTreeParams::new().depth(1).epochs(100).batch_size(4).learning_rate(0.1).device(DeviceChoice::Cpu);
    /// let t = p.fit(TrainData::new(x.view()).labels(y.view()), 2)?;
    /// assert_eq!(t.predict(x.view())?.to_vec(), vec![0, 0, 1, 1]);
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn fit(&self, data: TrainData<'_>, n_classes: usize) -> Result<SoftTree> {
        self.check()?.fit(data, n_classes)
    }
}

impl SoftTreeValidParams {
    /// Depth `d`.
    pub fn depth(&self) -> usize {
        self.depth
    }
    /// Balance penalty weight λ.
    pub fn balance_penalty(&self) -> f64 {
        self.lambda
    }
    /// The root's running-average decay γ.
    pub fn balance_decay(&self) -> f64 {
        self.balance_decay
    }
    /// Relative learning rate of `β`.
    pub fn beta_rate(&self) -> f64 {
        self.beta_rate
    }
    /// What is minimised.
    pub fn objective(&self) -> Objective {
        self.objective
    }
    /// Optimiser settings.
    pub fn train(&self) -> TrainValidParams {
        TrainValidParams(self.train.clone())
    }
    /// Where to train.
    pub fn device(&self) -> DeviceChoice {
        self.device
    }
    /// How the fitted tree predicts.
    pub fn routing(&self) -> Routing {
        self.routing
    }
    /// Fit on `data` for `n_classes` classes: labels (`0..K`) for the hard term, soft targets at the
    /// objective's temperature for the distillation term, optionally made per batch by an augmentation
    /// (see [`crate::neural::TrainData`]).
    pub fn fit(&self, data: TrainData<'_>, n_classes: usize) -> Result<SoftTree> {
        Ok(super::train::fit(self, data, n_classes)?.with_routing(self.routing))
    }
}

impl Student for SoftTreeParams {
    type Model = SoftTree;
    /// Fits on `targets` as the soft targets (distillation) or, for [`Objective::Hard`], on the labels
    /// (or the targets' argmax when no labels are given).
    fn fit_student(&self, d: FitData<'_>) -> Result<SoftTree> {
        d.check()?;
        let labels = d.labels_or_argmax(self.0.objective == Objective::Hard);
        let mut data = TrainData::new(d.x.view());
        if let Some(l) = &labels {
            data = data.labels(l.view());
        }
        if let Objective::Distill { .. } = self.0.objective {
            data = data.soft(d.targets.view(), d.temperature);
        }
        if let Some(w) = &d.weights {
            data = data.weights(w.view());
        }
        self.fit(data, d.targets.ncols())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::DeviceChoice;
    use ndarray::{array, Array1};

    #[test]
    fn bad_parameters_are_typed_errors_naming_the_parameter() {
        let name = |p: SoftTreeParams| match p.check() {
            Err(KdError::InvalidParam { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(name(SoftTreeParams::new().depth(0)), "depth");
        assert_eq!(name(SoftTreeParams::new().depth(15)), "depth");
        assert_eq!(name(SoftTreeParams::new().balance_penalty(f64::NAN)), "balance_penalty");
        assert_eq!(name(SoftTreeParams::new().balance_decay(1.0)), "balance_decay");
        assert_eq!(name(SoftTreeParams::new().beta_rate(-0.1)), "beta_rate");
        assert_eq!(name(SoftTreeParams::new().distill(1.5, 2.0)), "alpha");
        assert_eq!(name(SoftTreeParams::new().distill(0.0, 0.0)), "temperature");
        assert_eq!(name(SoftTreeParams::new().epochs(0)), "epochs");
        assert_eq!(name(SoftTreeParams::new().learning_rate(0.0)), "learning_rate");
        assert_eq!(name(SoftTreeParams::new().weight_decay(-0.01)), "weight_decay");
        assert_eq!(name(SoftTreeParams::new().weight_decay(f64::INFINITY)), "weight_decay");
        let mut lm = SoftTreeParams::new();
        lm.0.objective = Objective::LogitMatch { alpha: 0.0 };
        assert_eq!(name(lm), "objective");
        // Bad data is refused by the fit, typed too.
        let p = SoftTreeParams::new().depth(2).epochs(1).device(DeviceChoice::Cpu);
        let x = array![[0.0f32, 1.0], [1.0, 0.0]];
        let y: Array1<usize> = array![0, 2];
        assert!(matches!(p.fit(TrainData::new(x.view()).labels(y.view()), 2), Err(KdError::UnknownClass { .. })));
        assert!(matches!(p.fit(TrainData::new(x.view()).labels(y.view()), 1), Err(KdError::InvalidParam { name: "n_classes", .. })));
        let q = array![[0.5f32, 0.5]];
        assert!(matches!(p.clone().distill(0.0, 1.0).fit(TrainData::new(x.view()).soft(q.view(), 1.0), 2), Err(KdError::Shape(_))));
    }

    #[test]
    fn weight_decay_shrinks_the_filters_and_zero_is_the_default() {
        let x = ndarray::Array2::from_shape_fn((64, 4), |(i, j)| ((i * 7 + j * 5) % 13) as f32 / 13.0 - 0.5);
        let y: Array1<usize> = x.rows().into_iter().map(|r| usize::from(r[0] + r[1] > r[2])).collect();
        let p = SoftTreeParams::new().depth(2).epochs(40).batch_size(16).learning_rate(0.05).seed(3).device(DeviceChoice::Cpu);
        assert_eq!(p.check().unwrap().train().weight_decay(), 0.0);
        let norm = |t: &SoftTree| (0..t.n_inner()).map(|i| t.filter(i).iter().map(|w| w * w).sum::<f32>()).sum::<f32>().sqrt();
        let plain = p.fit(TrainData::new(x.view()).labels(y.view()), 2).unwrap();
        let decayed = p.clone().weight_decay(0.5).fit(TrainData::new(x.view()).labels(y.view()), 2).unwrap();
        assert_eq!(p.clone().weight_decay(0.5).check().unwrap().train().weight_decay(), 0.5);
        assert!(norm(&decayed) < 0.8 * norm(&plain), "{} vs {}", norm(&decayed), norm(&plain));
    }

    #[test]
    fn the_same_seed_gives_the_same_tree_on_cpu() {
        let x = ndarray::Array2::from_shape_fn((40, 3), |(i, j)| ((i * 7 + j * 5) % 13) as f32 / 13.0);
        let y: Array1<usize> = x.rows().into_iter().map(|r| usize::from(r[0] > r[1])).collect();
        let p = SoftTreeParams::new().depth(3).epochs(5).batch_size(8).seed(9).device(DeviceChoice::Cpu);
        let a = p.fit(TrainData::new(x.view()).labels(y.view()), 2).unwrap();
        let b = p.fit(TrainData::new(x.view()).labels(y.view()), 2).unwrap();
        assert_eq!(a, b);
        let c = p.clone().seed(10).fit(TrainData::new(x.view()).labels(y.view()), 2).unwrap();
        assert_ne!(a, c);
    }
}
