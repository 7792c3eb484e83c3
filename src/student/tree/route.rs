//! Batched routing of rows to leaves over a flat node array, shared by [`Tree`](super::Tree) (`f32`
//! features) and [`ByteTree`](super::ByteTree) (`u8` features).
//!
//! A walk down a tree is a chain of dependent loads: node → the row's value for its feature → child.
//! Alone, each step waits for memory. `LANES` rows (a few dozen) are therefore in flight at once, each advanced one
//! level per round, and each step prefetches what the lane's next step will read (the child's tested
//! value and its two children), so the loads of all lanes overlap. A row that reaches its leaf hands
//! its lane to the next row, so deep and shallow paths mix without idle lanes.
//! Chunks of [`PREDICT_CHUNK`] rows run in parallel (rayon). The result does not depend on the lane
//! count or the thread count: each row's leaf is a function of the row alone.
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Rows per parallel task.
pub(crate) const PREDICT_CHUNK: usize = 2048;

/// A routing node over cells of type `T`.
pub(crate) trait Split<T>: Copy {
    /// True when the children of a node always sit side by side (`right == left + 1`) in one cache
    /// line, so prefetching the left one fetches both.
    const PAIRED: bool;
    /// True for a leaf.
    fn is_leaf(self) -> bool;
    /// The feature tested (internal nodes only).
    fn feature(self) -> usize;
    /// The child a row whose tested value is `v` goes to, or `None` when `v` cannot be routed.
    fn child(self, v: T) -> Option<u32>;
    /// The two children (internal nodes only).
    fn kids(self) -> (u32, u32);
}

/// A hint to fetch the cache line at `p` (no effect on results; any address is allowed).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and has no architectural effect, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Route the rows `xs` (row-major, `d` cells each) to their leaves, writing each leaf's index to `out`.
/// A row whose path meets a value its node cannot route stops there; the first such (row, feature)
/// is returned.
///
/// Each lane holds its row, its current node (by value) and the index of the cell that node tests.
/// One round advances every lane one level: it reads the tested value (prefetched a round earlier),
/// steps to the child (also prefetched a round earlier, as one of the node's two children), and
/// prefetches the child's tested value and its two children. A lane whose row reaches a leaf takes
/// the next row at the root; when none waits, the last lane moves into it and is stepped at once.
/// The root must not be a leaf.
fn route_rows<const LANES: usize, T: Copy, N: Split<T>>(nodes: &[N], xs: &[T], d: usize, out: &mut [usize]) -> std::result::Result<(), (usize, usize)> {
    let m = out.len();
    let root = nodes[0];
    let mut live = LANES.min(m);
    let mut next = live;
    let mut row: [usize; LANES] = std::array::from_fn(|l| l);
    let mut node = [root; LANES];
    // Where each lane's row starts in `xs`.
    let mut base: [usize; LANES] = std::array::from_fn(|l| l * d);
    let mut bad: Option<(usize, usize)> = None;
    let prefetch_node = |n: N| {
        let (a, b) = n.kids();
        prefetch(nodes.as_ptr().wrapping_add(a as usize));
        if !N::PAIRED {
            prefetch(nodes.as_ptr().wrapping_add(b as usize));
        }
    };
    for &b in &base[..live] {
        prefetch(xs.as_ptr().wrapping_add(b + root.feature()));
    }
    while live > 0 {
        let mut l = 0;
        while l < live {
            let n = node[l];
            let done = match n.child(xs[base[l] + n.feature()]) {
                Some(c) => {
                    let c = c as usize;
                    let nn = nodes[c];
                    if nn.is_leaf() {
                        out[row[l]] = c;
                        true
                    } else {
                        node[l] = nn;
                        prefetch(xs.as_ptr().wrapping_add(base[l] + nn.feature()));
                        prefetch_node(nn);
                        false
                    }
                }
                None => {
                    if bad.is_none_or(|b| row[l] < b.0) {
                        bad = Some((row[l], n.feature()));
                    }
                    true
                }
            };
            if !done {
                l += 1;
            } else if next < m {
                row[l] = next;
                base[l] = next * d;
                next += 1;
                node[l] = root;
                prefetch(xs.as_ptr().wrapping_add(base[l] + root.feature()));
                l += 1;
            } else {
                live -= 1;
                row[l] = row[live];
                node[l] = node[live];
                base[l] = base[live];
            }
        }
    }
    bad.map_or(Ok(()), Err)
}

/// The leaf of every row of `x` (which must have `n_features` columns): [`route_rows`] with `LANES`
/// rows in flight, over chunks of rows in parallel. The first row whose path meets a value its node
/// cannot route gives the error `unroutable(row, feature, value)`.
pub(crate) fn leaves<const LANES: usize, T: Copy + Sync, N: Split<T> + Sync>(
    nodes: &[N],
    n_features: usize,
    x: ArrayView2<T>,
    unroutable: impl FnOnce(usize, usize, T) -> KdError,
) -> Result<Vec<usize>> {
    if x.ncols() != n_features {
        return Err(KdError::Shape(format!("tree expects {n_features} features, got {}", x.ncols())));
    }
    let mut out = vec![0usize; x.nrows()];
    // A single leaf reads nothing (the rows may even have no features).
    if nodes[0].is_leaf() || out.is_empty() {
        return Ok(out);
    }
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout");
    let d = n_features;
    let bad = out
        .par_chunks_mut(PREDICT_CHUNK)
        .enumerate()
        .map(|(c, o)| {
            let r0 = c * PREDICT_CHUNK;
            route_rows::<LANES, _, _>(nodes, &xs[r0 * d..(r0 + o.len()) * d], d, o).err().map(|(r, col)| (r0 + r, col))
        })
        .find_first(|b| b.is_some())
        .flatten();
    match bad {
        Some((row, col)) => Err(unroutable(row, col, xs[row * d + col])),
        None => Ok(out),
    }
}

/// The rows of `values` (`k` per node) at `leaves`, as an `n × k` matrix (copied in parallel).
pub(crate) fn gather(values: &[f32], k: usize, leaves: &[usize]) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros((leaves.len(), k));
    if leaves.is_empty() || k == 0 {
        return out;
    }
    out.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(PREDICT_CHUNK * k)
        .zip(leaves.par_chunks(PREDICT_CHUNK))
        .for_each(|(o, ls)| {
            // The leaves are scattered over `values`: fetch a few rows ahead.
            const AHEAD: usize = 16;
            for (i, (orow, &leaf)) in o.chunks_exact_mut(k).zip(ls).enumerate() {
                if let Some(&a) = ls.get(i + AHEAD) {
                    prefetch(values.as_ptr().wrapping_add(a * k));
                }
                orow.copy_from_slice(&values[leaf * k..(leaf + 1) * k]);
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::student::tree::{Node, TreeParams};
    use ndarray::Array2;

    /// Any lane count gives each row the leaf a plain walk gives it: rows fewer than the lanes, lanes
    /// retiring at the end, and chunks of several tasks.
    #[test]
    fn every_lane_count_reaches_the_leaf_of_a_plain_walk() {
        let x = Array2::from_shape_fn((3000, 4), |(i, j)| ((i * 7919 + j * 104_729) % 1000) as f32 / 10.0);
        let y = Array2::from_shape_fn((3000, 2), |(i, k)| ((i * 31 + k * 17) % 11) as f32);
        let tree = TreeParams::new().fit(x.view(), y.view(), None).unwrap();
        assert!(tree.depth() > 8);
        let xs = x.as_slice().unwrap();
        for m in [1, 5, 3000] {
            let want: Vec<usize> = (0..m).map(|r| tree.leaf_index(&xs[r * 4..(r + 1) * 4])).collect();
            type Router = fn(&[Node], usize, ArrayView2<f32>, fn(usize, usize, f32) -> KdError) -> Result<Vec<usize>>;
            let run = |f: Router| f(tree.nodes(), 4, x.slice(ndarray::s![..m, ..]), |_, _, _| panic!("every value is finite")).unwrap();
            for got in [run(leaves::<1, _, _>), run(leaves::<3, _, _>), run(leaves::<64, _, _>)] {
                assert_eq!(got, want, "m = {m}");
            }
        }
    }

    /// A tree that is a single leaf reads no feature: rows without any are fine.
    #[test]
    fn a_single_leaf_needs_no_features() {
        let tree = crate::student::tree::Tree::from_parts(
            0,
            1,
            vec![Node { feature: crate::student::tree::LEAF, threshold: 0.0, left: 0, right: 0 }],
            vec![crate::student::tree::NodeStats { n_samples: 1, weight: 1.0, impurity: 0.0, depth: 0 }],
            vec![0.5],
        );
        assert_eq!(tree.predict_proba(Array2::<f32>::zeros((3000, 0)).view()).unwrap(), Array2::from_elem((3000, 1), 0.5f32));
    }

    #[test]
    fn gather_copies_each_rows_leaf_values() {
        let values = [0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(gather(&values, 2, &[2, 0, 2]), ndarray::array![[4.0f32, 5.0], [0.0, 1.0], [4.0, 5.0]]);
        assert_eq!(gather(&values, 2, &[]).dim(), (0, 2));
    }
}
