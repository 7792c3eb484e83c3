//! The stable in-place partition of a node's rows by a split, and its children (see the
//! [module docs](super)).
use super::*;

impl Fitter<'_> {
    /// Stably partition the node's range of every column in `feats` and its slot rows by the split.
    /// Returns the number of rows going left.
    pub(super) fn partition(&self, info: &NodeInfo, split: &Split, feats: &[u32]) -> usize {
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
    pub(super) fn children(&self, info: &NodeInfo, split: &Split, feats: Vec<u32>) -> (NodeInfo, NodeInfo) {
        let n_left = self.partition(info, split, &feats);
        let mid = info.start + n_left;
        let (ls, lsse) = self.node_totals(info.start, mid);
        let (rs, rsse) = self.node_totals(mid, info.end);
        let d = info.depth + 1;
        let left = NodeInfo { start: info.start, end: mid, depth: d, sums: ls, sse: lsse, feats: feats.clone() };
        let right = NodeInfo { start: mid, end: info.end, depth: d, sums: rs, sse: rsse, feats };
        (left, right)
    }

    pub(super) fn set_split(&self, node: &mut Node, split: &Split) {
        node.feature = split.feature;
        node.threshold = self.binned.bins(split.feature as usize).threshold_between(split.bin as usize, split.next as usize);
    }
}
