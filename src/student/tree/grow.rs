//! Tree growth on binned features: per-node, per-feature histograms of `(count, weight, Σw·y_k)`,
//! split scan over the bins present in the node, and in-place stable partition of every column that can
//! still split.
//!
//! Work layout. The fitter copies the caller's codes once (column-major) and keeps, for every row, a
//! slot vector `[count=1, (w), w·y₁ … w·y_K]` (padded to a multiple of 4, `f64`). When a node splits,
//! the node's part of every column still in play, and the node's slot rows, are partitioned stably in
//! place, so each node's data is one contiguous range `[start, end)` in every column: histogram
//! building reads sequential memory. Features that are constant in a node are dropped from its
//! descendants (they can never split there again).
//!
//! Determinism. Within a feature everything is sequential; features are reduced in index order with a
//! strict `>` (ties keep the lowest feature, then the lowest bin); children are merged in a fixed order.
//! No decision depends on thread timing, so any rayon thread count gives the identical tree.
use super::bin::BinnedMatrix;
use super::model::{Node, NodeStats, Tree, LEAF};
use super::params::TreeValidParams;
use super::kernel;
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Mutex;

/// Nodes with at least this many `rows × features` search features in parallel.
const PAR_WORK: usize = 1 << 15;
/// Nodes with at least this many rows grow their two subtrees in parallel (depth-wise mode).
const JOIN_ROWS: usize = 64;

/// A larger child with at least this many rows inherits its parent's histograms (sibling
/// subtraction). Below it, rebuilding from the rows is cheaper than rescanning a kept histogram (whose
/// scattered blocks are cold in cache, while the rows of a small node fit in L2), because the
/// dominant-code skip already makes a build cost only the node's non-dominant codes.
///
/// Measured on MNIST (60 000 × 784, 10 outputs): a threshold of 4 096 rows kept 2–3 histograms alive
/// (≈ 18 MB each) for no measurable gain in fit time; at 16 384 rows only the top of the tree inherits,
/// one histogram is alive at a time, and the fit's peak memory stays below 2× the binned data plus
/// targets (see `reports/bench/tree_vs_sklearn.json`).
const KEEP_ROWS: usize = 16_384;

/// A raw shared buffer whose disjoint ranges are written by different tasks.
struct SyncBuf<T> {
    ptr: *mut T,
    len: usize,
}
// SAFETY: tasks only touch disjoint ranges (disjoint node row ranges, distinct columns); see the callers.
unsafe impl<T: Send> Send for SyncBuf<T> {}
unsafe impl<T: Send> Sync for SyncBuf<T> {}

impl<T> SyncBuf<T> {
    fn new(v: &mut [T]) -> Self {
        Self { ptr: v.as_mut_ptr(), len: v.len() }
    }
    /// # Safety
    /// No other live `&mut` may overlap `start..start + len`.
    unsafe fn get(&self, start: usize, len: usize) -> &[T] { unsafe {
        assert!(start + len <= self.len);
        std::slice::from_raw_parts(self.ptr.add(start), len)
    }}
    /// # Safety
    /// No other live reference may overlap `start..start + len`.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get_mut(&self, start: usize, len: usize) -> &mut [T] { unsafe {
        assert!(start + len <= self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(start), len)
    }}
}

/// Slot layout of a row: `[count, (weight), w·y_0 … w·y_{K−1}, padding]`.
#[derive(Debug, Clone, Copy)]
struct Layout {
    k: usize,
    /// Stride (multiple of 4).
    s: usize,
    /// Weight slot (0 when unweighted: the count is the weight).
    w: usize,
    /// First target slot.
    y0: usize,
}

/// A node waiting to be split: its row range, depth, totals and the features that may still split it.
struct NodeInfo {
    start: usize,
    end: usize,
    depth: usize,
    sums: Vec<f64>,
    sse: f64,
    feats: Vec<u32>,
}

impl NodeInfo {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// The best split of a node: rows with code ≤ `bin` go left; `next` is the next bin present in the node.
#[derive(Debug, Clone, Copy)]
struct Split {
    feature: u32,
    bin: u8,
    next: u8,
    proxy: f64,
}

/// A node's decision: leaf, or split with its SSE decrease and the features still varying.
struct Decision {
    split: Option<(Split, f64)>,
    feats: Vec<u32>,
}

/// Nodes grown so far, already in the tree's flat layout (in depth-first growth an internal node's
/// child indices are offsets from its own index until the end).
#[derive(Default)]
struct Out {
    nodes: Vec<Node>,
    stats: Vec<NodeStats>,
    values: Vec<f32>,
}

impl Out {
    fn len(&self) -> usize {
        self.nodes.len()
    }
    fn append(&mut self, o: &mut Out) {
        self.nodes.append(&mut o.nodes);
        self.stats.append(&mut o.stats);
        self.values.append(&mut o.values);
    }
}

pub(crate) struct Fitter<'a> {
    params: &'a TreeValidParams,
    binned: &'a BinnedMatrix,
    lay: Layout,
    n: usize,
    codes: SyncBuf<u8>,
    wy: SyncBuf<f64>,
    w_root: f64,
    /// Sibling subtraction in depth-wise growth (see [`Hist`]) for larger children of at least this
    /// many rows; `usize::MAX` when off.
    keep_rows: usize,
    /// Offset (in bins) of each feature's block in a [`Hist`]; `off[d]` is the total.
    off: Vec<usize>,
    /// Cleared histograms ready for reuse.
    pool: Mutex<Vec<Hist>>,
}

/// Histograms of one node for every feature still in play (non-dominant codes only), kept across a
/// split: the larger child's histograms are the parent's minus the smaller child's rows (sibling
/// subtraction), so a split costs the smaller child's rows, not the node's. Feature `f` owns
/// `h[off[f]·s .. off[f+1]·s]`; cells of codes not in `bits[f]` are zero, and so is every block of a
/// feature not in `live`.
struct Hist {
    h: Vec<f64>,
    bits: Vec<[u64; 4]>,
    live: Vec<u32>,
}

/// Raw views of a [`Hist`] whose per-feature parts are filled by parallel tasks.
struct HistView {
    h: SyncBuf<f64>,
    bits: SyncBuf<[u64; 4]>,
}

impl HistView {
    fn new(h: &mut Hist) -> Self {
        Self { h: SyncBuf::new(&mut h.h), bits: SyncBuf::new(&mut h.bits) }
    }
}

/// Where a node's per-feature histograms come from.
#[derive(Clone, Copy)]
enum Mode<'v> {
    /// Built in per-thread scratch and dropped (or exact sort for small nodes).
    Scratch,
    /// Built into a kept [`Hist`] whose blocks are zero.
    Build(&'v HistView),
    /// Already in a kept [`Hist`] (the larger child, after subtraction).
    Rescan(&'v HistView),
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

struct Scratch {
    kernel: kernel::Scratch,
    tmp_u8: Vec<u8>,
    tmp_f64: Vec<f64>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self { kernel: kernel::Scratch::new(), tmp_u8: Vec::new(), tmp_f64: Vec::new() }
    }
}

/// Fit a tree. Inputs are already validated by the caller.
pub(crate) fn fit(
    params: &TreeValidParams,
    binned: &BinnedMatrix,
    codes: Vec<u8>,
    y: ArrayView2<f32>,
    weights: Option<ArrayView1<f32>>,
) -> Tree {
    fit_with(params, binned, codes, y, weights, Some(KEEP_ROWS))
}

/// [`fit`] with sibling subtraction for larger children of at least `keep_rows` rows (`None`: off);
/// tests use small thresholds.
pub(crate) fn fit_with(
    params: &TreeValidParams,
    binned: &BinnedMatrix,
    mut codes: Vec<u8>,
    y: ArrayView2<f32>,
    weights: Option<ArrayView1<f32>>,
    keep_rows: Option<usize>,
) -> Tree {
    let n = binned.n_rows();
    let d = binned.n_features();
    let k = y.ncols();
    let weighted = weights.is_some();
    let w = usize::from(weighted);
    let y0 = w + 1;
    let s = (y0 + k).div_ceil(4) * 4;
    let lay = Layout { k, s, w, y0 };
    let mut wy = vec![0f64; n * s];
    wy.par_chunks_mut(s).zip(y.axis_iter(ndarray::Axis(0)).into_par_iter()).enumerate().for_each(|(i, (r, yr))| {
        let wi = weights.map_or(1.0, |w| w[i] as f64);
        r[0] = 1.0;
        r[w] = wi;
        for (j, &v) in yr.iter().enumerate() {
            r[y0 + j] = wi * v as f64;
        }
    });
    let feats: Vec<u32> = (0..d as u32).filter(|&f| binned.n_bins(f as usize) > 1).collect();
    let fitter = Fitter {
        params,
        binned,
        lay,
        n,
        codes: SyncBuf::new(&mut codes),
        wy: SyncBuf::new(&mut wy),
        w_root: 0.0,
        keep_rows: if kernel::persistent_stride(s) { keep_rows.unwrap_or(usize::MAX) } else { usize::MAX },
        off: std::iter::once(0)
            .chain((0..d).scan(0usize, |acc, f| {
                *acc += binned.n_bins(f).max(1);
                Some(*acc)
            }))
            .collect(),
        pool: Mutex::new(Vec::new()),
    };
    let (sums, sse) = fitter.node_totals(0, n);
    let fitter = Fitter { w_root: sums[lay.w], ..fitter };
    let root = NodeInfo { start: 0, end: n, depth: 0, sums, sse, feats };
    let out = match params.max_leaves {
        None => {
            let mut out = Out::default();
            fitter.grow_depth_first(root, None, &mut out);
            // Relative → absolute child indices.
            for (i, b) in out.nodes.iter_mut().enumerate() {
                if b.feature != LEAF {
                    b.left += i as u32;
                    b.right += i as u32;
                }
            }
            out
        }
        Some(max_leaves) => fitter.grow_best_first(root, max_leaves),
    };
    // The fitter (raw views into these buffers) is not used past this point.
    drop(fitter);
    drop(codes);
    drop(wy);
    Tree::from_parts(d, k, out.nodes, out.stats, out.values)
}

impl Fitter<'_> {
    fn rows(&self, start: usize, end: usize) -> &[f64] {
        // SAFETY: read of the caller's own node range; no task writes it concurrently.
        unsafe { self.wy.get(start * self.lay.s, (end - start) * self.lay.s) }
    }

    fn col(&self, f: u32, start: usize, end: usize) -> &[u8] {
        // SAFETY: as in `rows`.
        unsafe { self.codes.get(f as usize * self.n + start, end - start) }
    }

    /// Sums of the slots and the SSE `Σ_i w_i ‖y_i − ȳ‖²` (two passes) over `start..end`.
    fn node_totals(&self, start: usize, end: usize) -> (Vec<f64>, f64) {
        let Layout { k, s, w, y0 } = self.lay;
        let rows = self.rows(start, end);
        let mut sums = vec![0f64; s];
        for r in rows.chunks_exact(s) {
            for (a, v) in sums.iter_mut().zip(r) {
                *a += v;
            }
        }
        let wt = sums[w];
        let mean: Vec<f64> = (0..k).map(|j| if wt > 0.0 { sums[y0 + j] / wt } else { 0.0 }).collect();
        let mut sse = 0.0;
        for r in rows.chunks_exact(s) {
            let wi = r[w];
            if wi > 0.0 {
                for j in 0..k {
                    let dv = r[y0 + j] / wi - mean[j];
                    sse += wi * dv * dv;
                }
            }
        }
        (sums, sse)
    }

    /// Append `info` as a leaf (a split turns it into an internal node later).
    fn make_node(&self, info: &NodeInfo, out: &mut Out) {
        let Layout { k, w, y0, .. } = self.lay;
        let wt = info.sums[w];
        out.values.extend((0..k).map(|j| (info.sums[y0 + j] / wt) as f32));
        out.nodes.push(Node { feature: LEAF, threshold: 0.0, left: 0, right: 0 });
        out.stats.push(NodeStats {
            n_samples: info.len() as u64,
            weight: wt,
            impurity: if wt > 0.0 { info.sse / wt } else { 0.0 },
            depth: info.depth as u32,
        });
    }

    /// Decide whether and how to split `info`, with its histograms obtained as `mode` says.
    fn decide(&self, info: &NodeInfo, mode: Mode<'_>) -> Decision {
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
    fn decide_pair(&self, info: &NodeInfo) -> Decision {
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
    fn feature_best(&self, f: u32, info: &NodeInfo, mode: Mode<'_>) -> (bool, Option<Split>) {
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

    /// Feature `f`'s histogram block and bitmap in a kept [`Hist`].
    ///
    /// # Safety
    /// No other live reference to feature `f`'s block or bitmap.
    #[allow(clippy::mut_from_ref)]
    unsafe fn block<'v>(&self, v: &'v HistView, f: u32) -> (&'v mut [f64], &'v mut [u64; 4]) { unsafe {
        let s = self.lay.s;
        let f = f as usize;
        let (a, b) = (self.off[f] * s, self.off[f + 1] * s);
        (v.h.get_mut(a, b - a), &mut v.bits.get_mut(f, 1)[0])
    }}

    /// A cleared [`Hist`] from the pool (or a new one).
    fn take_hist(&self) -> Hist {
        let d = self.binned.n_features();
        let s = self.lay.s;
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        pooled.unwrap_or_else(|| Hist { h: vec![0.0; self.off[d] * s], bits: vec![[0; 4]; d], live: Vec::new() })
    }

    /// Clear `h` (its live blocks only) and return it to the pool.
    fn put_hist(&self, mut h: Hist) {
        let live = std::mem::take(&mut h.live);
        self.drop_features(&mut h, &live);
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(h);
    }

    fn drop_features(&self, h: &mut Hist, feats: &[u32]) {
        let s = self.lay.s;
        for &f in feats {
            let f = f as usize;
            kernel::hist_clear(s, &mut h.h[self.off[f] * s..self.off[f + 1] * s], &mut h.bits[f]);
        }
    }

    /// Turn the split node's kept histograms into its larger child's: drop the features that no longer
    /// vary (`feats` is the children's feature list, a subsequence of `h.live`), then subtract the
    /// smaller child's rows.
    fn inherit(&self, h: &mut Hist, small: &NodeInfo, feats: &[u32]) {
        let gone: Vec<u32> = {
            let mut it = feats.iter().peekable();
            h.live.iter().copied().filter(|&f| if it.peek() == Some(&&f) { it.next(); false } else { true }).collect()
        };
        self.drop_features(h, &gone);
        h.live = feats.to_vec();
        let s = self.lay.s;
        let rows = self.rows(small.start, small.end);
        let view = HistView::new(h);
        let sub = |&f: &u32| {
            // SAFETY: one task per feature (distinct blocks).
            let (block, bits) = unsafe { self.block(&view, f) };
            let col = self.col(f, small.start, small.end);
            let dom = self.binned.dominant_code(f as usize);
            SCRATCH.with(|sc| kernel::hist_subtract(s, col, rows, dom, block, bits, &mut sc.borrow_mut().kernel));
        };
        if small.len() * feats.len() >= PAR_WORK {
            feats.par_iter().for_each(sub);
        } else {
            feats.iter().for_each(sub);
        }
    }

    /// Stably partition the node's range of every column in `feats` and its slot rows by the split.
    /// Returns the number of rows going left.
    fn partition(&self, info: &NodeInfo, split: &Split, feats: &[u32]) -> usize {
        let (start, end) = (info.start, info.end);
        let n = end - start;
        let mask: Vec<u8> = self.col(split.feature, start, end).iter().map(|&c| u8::from(c <= split.bin)).collect();
        let n_left = mask.iter().map(|&m| m as usize).sum();
        let part_col = |&f: &u32| {
            // SAFETY: this task owns rows start..end of the node, and each feature column once.
            let col = unsafe { self.codes.get_mut(f as usize * self.n + start, n) };
            SCRATCH.with(|sc| kernel::partition_u8(col, &mask, &mut sc.borrow_mut().tmp_u8));
        };
        if n * feats.len() >= PAR_WORK {
            feats.par_iter().for_each(part_col);
        } else {
            feats.iter().for_each(part_col);
        }
        let s = self.lay.s;
        // SAFETY: as above, the node's own slot rows.
        let rows = unsafe { self.wy.get_mut(start * s, n * s) };
        SCRATCH.with(|sc| kernel::partition_rows(rows, s, &mask, &mut sc.borrow_mut().tmp_f64));
        n_left
    }

    /// Split `info` (known to split) into its two children.
    fn children(&self, info: &NodeInfo, split: &Split, feats: Vec<u32>) -> (NodeInfo, NodeInfo) {
        let n_left = self.partition(info, split, &feats);
        let mid = info.start + n_left;
        let (ls, lsse) = self.node_totals(info.start, mid);
        let (rs, rsse) = self.node_totals(mid, info.end);
        let d = info.depth + 1;
        let left = NodeInfo { start: info.start, end: mid, depth: d, sums: ls, sse: lsse, feats: feats.clone() };
        let right = NodeInfo { start: mid, end: info.end, depth: d, sums: rs, sse: rsse, feats };
        (left, right)
    }

    fn set_split(&self, node: &mut Node, split: &Split) {
        node.feature = split.feature;
        node.threshold = self.binned.bins(split.feature as usize).threshold_between(split.bin as usize, split.next as usize);
    }

    /// Depth-first growth (no leaf limit): appends the subtree of `info` in pre-order; an internal node's
    /// `left`/`right` are offsets from its own index. `hist` holds `info`'s histograms when its parent
    /// passed them down (sibling subtraction); nodes of at most [`kernel::SMALL`] rows use none.
    fn grow_depth_first(&self, info: NodeInfo, hist: Option<Hist>, out: &mut Out) {
        let idx = out.len();
        self.make_node(&info, out);
        // (histograms, freshly built here?): inherited, or started for a node big enough to pass them on.
        let mut hist = match hist {
            Some(h) => Some((h, false)),
            None if info.len() >= self.keep_rows.saturating_mul(2) => {
                let mut h = self.take_hist();
                h.live = info.feats.clone();
                Some((h, true))
            }
            None => None,
        };
        let Decision { split, feats } = match &mut hist {
            None => self.decide(&info, Mode::Scratch),
            Some((h, fresh)) => {
                let view = HistView::new(h);
                self.decide(&info, if *fresh { Mode::Build(&view) } else { Mode::Rescan(&view) })
            }
        };
        let Some((split, _gain)) = split else {
            if let Some((h, _)) = hist {
                self.put_hist(h);
            }
            return;
        };
        self.set_split(&mut out.nodes[idx], &split);
        let big = info.len() >= JOIN_ROWS;
        let (l, r) = self.children(&info, &split, feats);
        drop(info);
        // The larger child inherits the histograms (ties: the left one).
        let (mut hl, mut hr) = (None, None);
        if let Some((mut h, _)) = hist {
            let left_large = l.len() >= r.len();
            let (small, large) = if left_large { (&r, &l) } else { (&l, &r) };
            if large.len() >= self.keep_rows {
                self.inherit(&mut h, small, &large.feats);
                if left_large {
                    hl = Some(h);
                } else {
                    hr = Some(h);
                }
            } else {
                self.put_hist(h);
            }
        }
        out.nodes[idx].left = 1;
        if big {
            let mut right = Out::default();
            rayon::join(|| self.grow_depth_first(l, hl, out), || self.grow_depth_first(r, hr, &mut right));
            out.nodes[idx].right = (out.len() - idx) as u32;
            out.append(&mut right);
        } else {
            self.grow_depth_first(l, hl, out);
            out.nodes[idx].right = (out.len() - idx) as u32;
            self.grow_depth_first(r, hr, out);
        }
    }

    /// Best-first growth: always split the open node with the largest SSE decrease (ties: the older
    /// node), until `max_leaves` leaves or nothing can split. Child indices are absolute.
    fn grow_best_first(&self, root: NodeInfo, max_leaves: usize) -> Out {
        let mut out = Out::default();
        self.make_node(&root, &mut out);
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<Cand>, idx: usize, info: NodeInfo| {
            let Decision { split, feats } = self.decide(&info, Mode::Scratch);
            if let Some((split, gain)) = split {
                heap.push(Cand { gain, idx, info, split, feats });
            }
        };
        push(&mut heap, 0, root);
        let mut leaves = 1;
        while leaves < max_leaves {
            let Some(c) = heap.pop() else { break };
            let (l, r) = self.children(&c.info, &c.split, c.feats);
            self.set_split(&mut out.nodes[c.idx], &c.split);
            let li = out.len();
            self.make_node(&l, &mut out);
            self.make_node(&r, &mut out);
            out.nodes[c.idx].left = li as u32;
            out.nodes[c.idx].right = li as u32 + 1;
            leaves += 1;
            push(&mut heap, li, l);
            push(&mut heap, li + 1, r);
        }
        out
    }
}

struct Cand {
    gain: f64,
    idx: usize,
    info: NodeInfo,
    split: Split,
    feats: Vec<u32>,
}

impl PartialEq for Cand {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    /// Larger gain first; on equal gain the lower node index (created earlier) first.
    fn cmp(&self, o: &Self) -> Ordering {
        self.gain.total_cmp(&o.gain).then_with(|| o.idx.cmp(&self.idx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;


    #[test]
    fn candidates_order_by_gain_then_age() {
        let mk = |gain, idx| Cand {
            gain,
            idx,
            info: NodeInfo { start: 0, end: 0, depth: 0, sums: vec![], sse: 0.0, feats: vec![] },
            split: Split { feature: 0, bin: 0, next: 1, proxy: 0.0 },
            feats: vec![],
        };
        let mut h = BinaryHeap::from(vec![mk(1.0, 5), mk(2.0, 7), mk(2.0, 3), mk(0.5, 1)]);
        let order: Vec<usize> = std::iter::from_fn(|| h.pop().map(|c| c.idx)).collect();
        assert_eq!(order, vec![3, 7, 5, 1]);
    }
}
