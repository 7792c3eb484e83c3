//! Histogram buffers: the pool, dropping features a node can no longer split on, and sibling
//! subtraction (see the [module docs](super)).
use super::*;

impl Fitter<'_> {
    /// A cleared [`Hist`] from the pool (or a new one).
    pub(super) fn take_hist(&self) -> Hist {
        let d = self.binned.n_features();
        let s = self.lay.s;
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        pooled.unwrap_or_else(|| Hist { h: vec![0.0; self.off[d] * s], bits: vec![[0; 4]; d], live: Vec::new() })
    }

    /// Clear `h` (its live blocks only) and return it to the pool.
    pub(super) fn put_hist(&self, mut h: Hist) {
        let live = std::mem::take(&mut h.live);
        self.drop_features(&mut h, &live);
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(h);
    }

    pub(super) fn drop_features(&self, h: &mut Hist, feats: &[u32]) {
        let s = self.lay.s;
        for &f in feats {
            let f = f as usize;
            kernel::hist_clear(s, &mut h.h[self.off[f] * s..self.off[f + 1] * s], &mut h.bits[f]);
        }
    }

    /// Turn the split node's kept histograms into its larger child's: drop the features that no longer
    /// vary (`feats` is the children's feature list, a subsequence of `h.live`), then subtract the
    /// smaller child's rows.
    pub(super) fn inherit(&self, h: &mut Hist, small: &NodeInfo, feats: &[u32]) {
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

    /// Feature `f`'s histogram block and bitmap in a kept [`Hist`].
    ///
    /// # Safety
    /// No other live reference to feature `f`'s block or bitmap.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn block<'v>(&self, v: &'v HistView, f: u32) -> (&'v mut [f64], &'v mut [u64; 4]) { unsafe {
        let s = self.lay.s;
        let f = f as usize;
        let (a, b) = (self.off[f] * s, self.off[f + 1] * s);
        (v.h.get_mut(a, b - a), &mut v.bits.get_mut(f, 1)[0])
    }}
}
