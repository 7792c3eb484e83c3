//! The splitter: for a node, the best split of each feature from its histograms, and the decision
//! across features (see the [module docs](super)).
use super::*;

impl Fitter<'_> {
    /// Decide whether and how to split `info`, with its histograms obtained as `mode` says.
    pub(super) fn decide(&self, info: &NodeInfo, mode: Mode<'_>) -> Decision {
        let p = self.params;
        let n = info.len();
        let wt = info.sums[self.lay.w];
        let leaf = Decision { split: None, feats: Vec::new() };
        if p.max_depth.is_some_and(|d| info.depth >= d)
            || n < 2 * p.min_samples_leaf
            // Pure, as scikit-learn decides it: mean per-output variance ≤ machine epsilon.
            || info.sse <= f64::EPSILON * wt * self.lay.k as f64
            || info.feats.is_empty()
        {
            return leaf;
        }
        if n == 2 {
            return self.decide_pair(info);
        }
        let per_feature = |&f: &u32| self.feature_best(f, info, mode);
        let results: Vec<(bool, Option<Split>)> = if n * info.feats.len() >= PAR_WORK {
            info.feats.par_iter().map(per_feature).collect()
        } else {
            info.feats.iter().map(per_feature).collect()
        };
        let mut best: Option<Split> = None;
        let mut feats = Vec::with_capacity(info.feats.len());
        for (&f, (varies, s)) in info.feats.iter().zip(results) {
            if varies {
                feats.push(f);
            }
            if let Some(s) = s {
                if best.is_none_or(|b| s.proxy > b.proxy) {
                    best = Some(s);
                }
            }
        }
        let Some(best) = best else { return leaf };
        let Layout { k, y0, .. } = self.lay;
        let parent_term: f64 = (0..k).map(|j| info.sums[y0 + j] * info.sums[y0 + j] / wt).sum();
        let gain = (best.proxy - parent_term).max(0.0);
        if p.min_impurity_decrease > 0.0 {
            let tol = 1e-12 * parent_term.abs().max(best.proxy.abs());
            if (gain + tol) / self.w_root < p.min_impurity_decrease {
                return leaf;
            }
        }
        Decision { split: Some((best, gain)), feats }
    }

    /// A node of two rows: every split that separates them leaves two single-row children, so all
    /// have the same gain (the node's SSE); the lowest feature that separates them wins, at the
    /// boundary between their two codes. Unsplittable when a row has (near) zero weight.
    pub(super) fn decide_pair(&self, info: &NodeInfo) -> Decision {
        let leaf = Decision { split: None, feats: Vec::new() };
        let (s, w) = (self.lay.s, self.lay.w);
        let rows = self.rows(info.start, info.end);
        let w_eps = 1e-12 * info.sums[w];
        if rows[w] <= w_eps || rows[s + w] <= w_eps {
            return leaf;
        }
        let Some(f) = info.feats.iter().copied().find(|&f| {
            let c = self.col(f, info.start, info.end);
            c[0] != c[1]
        }) else {
            return leaf;
        };
        let c = self.col(f, info.start, info.end);
        let gain = info.sse;
        if self.params.min_impurity_decrease > 0.0 && (gain * (1.0 + 1e-12)) / self.w_root < self.params.min_impurity_decrease {
            return leaf;
        }
        let split = Split { feature: f, bin: c[0].min(c[1]), next: c[0].max(c[1]), proxy: f64::NAN };
        Decision { split: Some((split, gain)), feats: Vec::new() }
    }

    /// Histogram of feature `f` over the node (built, or kept from the parent as `mode` says), then the
    /// best boundary between present bins. Returns (feature takes ≥ 2 values in the node, best split).
    pub(super) fn feature_best(&self, f: u32, info: &NodeInfo, mode: Mode<'_>) -> (bool, Option<Split>) {
        let Layout { k, s, w, y0 } = self.lay;
        let col = self.col(f, info.start, info.end);
        let rows = self.rows(info.start, info.end);
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            // Rows in the feature's most frequent bin are skipped; that bin is the node total minus the rest.
            let job = kernel::Job {
                col,
                rows,
                tot: &info.sums,
                y0,
                k,
                w,
                msl: self.params.min_samples_leaf as f64,
                w_eps: 1e-12 * info.sums[w],
                dom: self.binned.dominant_code(f as usize),
            };
            let (varies, found) = match mode {
                Mode::Scratch if col.len() <= kernel::SMALL => kernel::small_scan(s, &job, &mut sc.kernel),
                Mode::Scratch => {
                    let (present, found) = kernel::hist_scan(s, &job, &mut sc.kernel);
                    (present > 1, found)
                }
                Mode::Build(v) | Mode::Rescan(v) => {
                    // SAFETY: each feature's block and bitmap are touched by this task only (the
                    // features of a node are distinct), and the Hist is not otherwise borrowed.
                    let (block, bits) = unsafe { self.block(v, f) };
                    let (present, found) = match mode {
                        Mode::Build(_) => kernel::hist_build(s, &job, block, bits, &mut sc.kernel),
                        _ => kernel::hist_rescan(s, &job, block, *bits, &mut sc.kernel),
                    };
                    (present > 1, found)
                }
            };
            let best = found.map(|(proxy, bin, next)| Split { feature: f, bin, next, proxy });
            (varies, best)
        })
    }
}
