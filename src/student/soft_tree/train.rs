//! Fitting: the soft tree as a tch network trained by the crate's one loop ([`crate::neural::train_model`]),
//! with its own batch loss (path-weighted leaf losses plus the balance penalty).
use super::model::SoftTree;
use super::params::SoftTreeValidParams;
use crate::error::{KdError, Result};
use crate::neural::loss::weighted_mean;
use crate::neural::{seeded_fit_lock, to_array2, train_model, BatchTargets, Objective, TrainData, Trainable};
use ndarray::Array1;
use tch::{nn, nn::Module, Device, Kind, Tensor};

/// The trainable soft tree.
pub(super) struct SdtNet {
    vs: nn::VarStore,
    inner: nn::Linear,
    /// Leaf logits `φ` (`2^d × K`).
    phi: Tensor,
    /// `s` with `β = exp(rate·s)`: positive, and learned at `rate` times the optimiser's step size.
    beta_param: Tensor,
    beta_rate: f64,
    depth: usize,
    n_features: usize,
    n_classes: usize,
    lambda: f64,
    /// Running average of each inner node's right-going share (no gradient), starting at ½.
    share: Tensor,
    /// Per-node decay of `share`: `1 − (1 − γ)·2^{−depth(i)}`.
    decay: Tensor,
    /// Per-node penalty weight `2^{−depth(i)}`.
    scale: Tensor,
}

impl SdtNet {
    /// A fresh tree (PyTorch's default init for the filters, `φ ~ N(0, 0.1²)`, `β = 1`), seeded.
    pub(super) fn new(n_features: usize, n_classes: usize, p: &SoftTreeValidParams, device: Device) -> Result<SdtNet> {
        let _seeded = seeded_fit_lock();
        tch::manual_seed(p.train().seed() as i64);
        let depth = p.depth();
        let (n_inner, n_leaves) = ((1i64 << depth) - 1, 1i64 << depth);
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let inner = nn::linear(&root / "inner", n_features as i64, n_inner, Default::default());
        let phi = root.randn("leaf_logits", &[n_leaves, n_classes as i64], 0.0, 0.1);
        let beta_param = root.zeros("beta", &[1]);
        let node_depth: Vec<f32> = (0..n_inner).map(|i| (63 - (i as u64 + 1).leading_zeros()) as f32).collect();
        let node_depth = Tensor::from_slice(&node_depth).to_device(device);
        let scale = (-node_depth * std::f64::consts::LN_2).exp();
        let decay = 1.0f64 - &scale * (1.0 - p.balance_decay());
        let share = Tensor::full([n_inner], 0.5, (Kind::Float, device));
        Ok(SdtNet { vs, inner, phi, beta_param, beta_rate: p.beta_rate(), depth, n_features, n_classes, lambda: p.balance_penalty(), share, decay, scale })
    }

    /// `p_i(x) = σ(β·(w_i·x + b_i))` for a batch (`B × (2^d − 1)`).
    fn right_probs(&self, x: &Tensor) -> Tensor {
        (self.inner.forward(x) * self.beta()).sigmoid()
    }

    /// `β = exp(rate·s)`.
    fn beta(&self) -> Tensor {
        (&self.beta_param * self.beta_rate).exp()
    }

    /// The probability of reaching each inner node (`B × (2^d − 1)`) and each leaf (`B × 2^d`).
    fn reach(&self, p: &Tensor) -> (Tensor, Tensor) {
        let b = p.size()[0];
        let mut level = Tensor::ones([b, 1], (Kind::Float, p.device()));
        let mut inner = Vec::with_capacity(self.depth);
        for l in 0..self.depth as i64 {
            let width = 1i64 << l;
            let pl = p.narrow(1, width - 1, width);
            inner.push(level.shallow_clone());
            // Position j's children are 2j (left) and 2j + 1 (right).
            level = Tensor::stack(&[&level * (1.0f64 - &pl), &level * &pl], 2).reshape([b, 2 * width]);
        }
        (Tensor::cat(&inner, 1), level)
    }

    /// The balance penalty `−λ Σ_i 2^{−depth(i)}·½(ln a_i + ln(1 − a_i))`, where `a_i` is the running
    /// average of node `i`'s right-going share updated with this batch (the gradient flows through the
    /// batch's share); the running averages are advanced.
    fn balance_penalty(&mut self, p: &Tensor, inner_reach: &Tensor) -> Tensor {
        let batch_share = (inner_reach * p).sum_dim_intlist(0, false, Kind::Float) / (inner_reach.sum_dim_intlist(0, false, Kind::Float) + 1e-8);
        let a: Tensor = &self.decay * &self.share + (1.0f64 - &self.decay) * batch_share;
        self.share = a.detach();
        let a = a.clamp(1e-6, 1.0 - 1e-6);
        let per_node = (a.log() + (1.0f64 - &a).log()) * 0.5;
        (&self.scale * per_node).sum(Kind::Float) * (-self.lambda)
    }

    /// The fitted parameters as a [`SoftTree`].
    pub(super) fn to_soft_tree(&self) -> Result<SoftTree> {
        let weights = to_array2(&self.inner.ws)?;
        let bias = self.inner.bs.as_ref().ok_or_else(|| KdError::Shape("the soft tree's filters have no bias".into()))?;
        let biases = Array1::from(Vec::<f32>::try_from(bias.to_device(Device::Cpu).contiguous().view([-1]))?);
        let beta = self.beta().double_value(&[0]) as f32;
        SoftTree::from_parts(beta, weights, biases, to_array2(&self.phi)?)
    }
}

impl Trainable for SdtNet {
    fn n_inputs(&self) -> usize {
        self.n_features
    }
    fn n_outputs(&self) -> usize {
        self.n_classes
    }
    /// Log-probabilities of the mixture `Σ_ℓ P_ℓ(x)·softmax(φ_ℓ)`.
    fn forward_t(&self, x: &Tensor, _train: bool) -> Tensor {
        let (_, leaves) = self.reach(&self.right_probs(x));
        leaves.matmul(&self.phi.softmax(-1, Kind::Float)).clamp_min(1e-30).log()
    }
    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
    /// `Σ_ℓ P_ℓ(x)·[α·CE(y, Q_ℓ) + (1−α)·T²·KL(q_T ‖ softmax(φ_ℓ/T))]`, averaged over the batch, plus the
    /// balance penalty.
    fn batch_loss(&mut self, x: &Tensor, t: BatchTargets<'_>, objective: Objective) -> Result<Tensor> {
        let p = self.right_probs(x);
        let (inner_reach, leaves) = self.reach(&p);
        let alpha = objective.alpha() as f64;
        let mut per_leaf: Option<Tensor> = None;
        if alpha > 0.0 {
            let y = t.labels.ok_or_else(|| KdError::param("alpha", alpha, "cross-entropy term needs labels"))?;
            // −ln Q_ℓ[y] for every row and leaf: B × L.
            let ce = -self.phi.log_softmax(-1, Kind::Float).tr().index_select(0, y);
            per_leaf = Some(ce * alpha);
        }
        if let Objective::Distill { temperature, .. } = objective {
            if alpha < 1.0 {
                let q = t.soft.ok_or_else(|| KdError::param("alpha", alpha, "KL term needs soft targets"))?;
                let tt = temperature as f64;
                let log_leaf = (&self.phi / tt).log_softmax(-1, Kind::Float); // L × K
                let entropy = (q * q.clamp_min(1e-30).log()).sum_dim_intlist(-1, true, Kind::Float); // B × 1
                let kl = entropy - q.matmul(&log_leaf.tr()); // B × L
                let soft = kl * ((1.0 - alpha) * tt * tt);
                per_leaf = Some(match per_leaf {
                    Some(h) => h + soft,
                    None => soft,
                });
            }
        }
        let per_leaf = per_leaf.ok_or_else(|| KdError::param("objective", format!("{objective:?}"), "nothing to minimise"))?;
        let per_row = (&leaves * per_leaf).sum_dim_intlist(1, false, Kind::Float);
        let mut loss = weighted_mean(&per_row, t.weights);
        if self.lambda > 0.0 {
            loss = loss + self.balance_penalty(&p, &inner_reach);
        }
        Ok(loss)
    }
}

/// Train a fresh soft tree on `data` with the checked parameters.
pub(super) fn fit(p: &SoftTreeValidParams, data: TrainData<'_>, n_classes: usize) -> Result<SoftTree> {
    if n_classes < 2 {
        return Err(KdError::param("n_classes", n_classes, "a classifier needs at least 2 classes"));
    }
    let device = p.device().resolve()?;
    let _seeded = seeded_fit_lock();
    let mut net = SdtNet::new(data.x.ncols(), n_classes, p, device)?;
    train_model(&mut net, &p.train().into_params(), data, p.objective())?;
    net.to_soft_tree()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::to_tensor;
    use crate::student::soft_tree::SoftTreeParams;

    #[test]
    fn the_network_and_the_fitted_tree_agree() {
        let p = SoftTreeParams::new().depth(3).seed(4).device(crate::neural::DeviceChoice::Cpu).check().unwrap();
        let net = SdtNet::new(5, 3, &p, Device::Cpu).unwrap();
        let tree = net.to_soft_tree().unwrap();
        let x = ndarray::Array2::from_shape_fn((6, 5), |(i, j)| ((i * 5 + j) % 7) as f32 / 7.0 - 0.4);
        let xt = to_tensor(x.view(), Device::Cpu);
        let (inner, leaves) = net.reach(&net.right_probs(&xt));
        let want = tree.path_probs(x.view()).unwrap();
        let got = to_array2(&leaves).unwrap();
        assert!(got.iter().zip(want.iter()).all(|(a, b)| (a - b).abs() < 1e-5), "{got} vs {want}");
        // The root is reached with probability 1; the mixture of the net is the tree's mixture.
        assert!(to_array2(&inner).unwrap().column(0).iter().all(|&v| v == 1.0));
        let mix = to_array2(&net.forward_t(&xt, false).exp()).unwrap();
        let tmix = tree.predict_proba_with(x.view(), crate::student::soft_tree::Routing::Mixture).unwrap();
        assert!(mix.iter().zip(tmix.iter()).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn balance_penalty_is_zero_gradient_at_even_splits_and_pushes_towards_them() {
        let p = SoftTreeParams::new().depth(1).balance_penalty(1.0).balance_decay(0.0).device(crate::neural::DeviceChoice::Cpu).check().unwrap();
        let mut net = SdtNet::new(1, 2, &p, Device::Cpu).unwrap();
        // decay 0 at the root: the running share is the batch share.
        let reach = Tensor::ones([2, 1], (Kind::Float, Device::Cpu));
        let even = Tensor::from_slice(&[0.25f32, 0.75]).view([2, 1]).set_requires_grad(true);
        let pen = net.balance_penalty(&even, &reach);
        assert!((pen.double_value(&[]) - 2f64.ln()).abs() < 1e-5, "−½(ln ½ + ln ½) = ln 2");
        pen.backward();
        assert!(even.grad().abs().sum(Kind::Float).double_value(&[]) < 1e-6);
        let skewed = Tensor::from_slice(&[0.9f32, 0.9]).view([2, 1]).set_requires_grad(true);
        net.balance_penalty(&skewed, &reach).backward();
        assert!(Vec::<f32>::try_from(skewed.grad().view([-1])).unwrap().iter().all(|&g| g > 0.0), "lowering p reduces the penalty");
    }
}
