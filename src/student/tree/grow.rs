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

mod hist;
mod partition;
mod split;

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
