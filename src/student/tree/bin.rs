//! Feature quantisation: every feature is mapped once to at most 256 ordered bins (`u8` codes, stored
//! column-major), so split search works on small integer histograms instead of sorted floats.
//!
//! For feature `j` let `u₀ < u₁ < … < u_{m−1}` be its distinct values. If `m ≤ max_bins` every distinct
//! value gets its own bin (exact: 8-bit pixels lose nothing). Otherwise the bins are runs of consecutive
//! distinct values cut at the quantiles of the distinct values: bin `b` holds `u[p_b] ..= u[p_{b+1} − 1]`
//! with `p_b = ⌊b·m / max_bins⌋`. Each bin remembers its smallest and largest member (`lo`, `hi`), so a split
//! "codes ≤ b on the left" becomes the real threshold `x ≤ (hi_b + lo_c)/2` where `c` is the next bin that
//! is present in the node: predictions work on raw `f32` features, and on training rows the threshold
//! routes every row exactly as its code did.
//!
//! ```
//! use kdistill::student::tree::BinnedMatrix;
//! use ndarray::array;
//! let x = array![[0.0f32, 5.0], [1.0, 5.0], [1.0, 7.0], [3.0, 6.0]];
//! let b = BinnedMatrix::new(x.view(), 256).unwrap();
//! assert_eq!(b.n_bins(0), 3); // 0, 1, 3
//! assert_eq!(b.column(0), &[0, 1, 1, 2]);
//! assert_eq!(b.column(1), &[0, 0, 2, 1]);
//! ```
use super::params::validate_max_bins;
use crate::error::{KdError, Result};
use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The bins of one feature: the smallest (`lo`) and largest (`hi`) training value in each bin, ascending.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::BinnedMatrix;
/// let x = ndarray::array![[1.0f32], [2.0], [2.0], [5.0]];
/// let bins = BinnedMatrix::new(x.view(), 256).unwrap().bins(0).clone();
/// assert_eq!((bins.lo.as_slice(), bins.hi.as_slice()), (&[1.0f32, 2.0, 5.0][..], &[1.0f32, 2.0, 5.0][..]));
/// assert_eq!((bins.len(), bins.is_empty()), (3, false));
/// assert_eq!((bins.code(1.5), bins.code(2.0), bins.code(99.0)), (1, 1, 2));
/// assert_eq!(bins.threshold_between(1, 2), 3.5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBins {
    /// Smallest value in each bin.
    pub lo: Vec<f32>,
    /// Largest value in each bin.
    pub hi: Vec<f32>,
}

impl FeatureBins {
    /// Number of bins (≥ 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[1.0f32], [2.0], [2.0]];
    /// assert_eq!(kdistill::student::tree::BinnedMatrix::new(x.view(), 256).unwrap().bins(0).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.lo.len()
    }
    /// Never true for a fitted matrix (a feature has at least one value).
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[1.0f32]];
    /// assert!(!kdistill::student::tree::BinnedMatrix::new(x.view(), 256).unwrap().bins(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.lo.is_empty()
    }
    /// Code of a value: the first bin whose `hi` is ≥ `v` (clamped to the last bin).
    ///
    /// # Examples
    ///
    /// ```
    /// // 100 distinct values in 4 bins of 25 values each.
    /// let x = ndarray::Array2::from_shape_fn((100, 1), |(i, _)| i as f32);
    /// let b = kdistill::student::tree::BinnedMatrix::new(x.view(), 4).unwrap();
    /// let bins = b.bins(0);
    /// assert_eq!((bins.code(0.0), bins.code(24.0), bins.code(24.5), bins.code(99.0), bins.code(1e9)), (0, 0, 1, 3, 3));
    /// ```
    pub fn code(&self, v: f32) -> u8 {
        let last = self.hi.len() - 1;
        self.hi[..last].partition_point(|&h| h < v) as u8
    }
    /// A threshold strictly between bin `b` and a higher bin `c`: the midpoint of `hi[b]` and `lo[c]`,
    /// nudged down to `hi[b]` if rounding would put it on `lo[c]`. `x ≤ threshold` ⇔ code ≤ b for
    /// every training value.
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[0.0f32], [1.0], [4.0]];
    /// let b = kdistill::student::tree::BinnedMatrix::new(x.view(), 256).unwrap();
    /// assert_eq!(b.bins(0).threshold_between(0, 1), 0.5);
    /// assert_eq!(b.bins(0).threshold_between(0, 2), 2.0); // bin 1 absent from a node: between 0 and 4
    /// ```
    pub fn threshold_between(&self, b: usize, c: usize) -> f32 {
        midpoint(self.hi[b], self.lo[c])
    }
}

/// A value in `[a, b)` for `a < b`, as close to the middle as `f32` allows.
pub(crate) fn midpoint(a: f32, b: f32) -> f32 {
    let m = ((a as f64 + b as f64) * 0.5) as f32;
    if m >= b || m < a {
        a
    } else {
        m
    }
}

/// A feature matrix quantised to `u8` bin codes, column-major (`codes[j·n + i]` is row `i`, feature `j`).
/// Build it once with [`BinnedMatrix::new`] and fit several trees on it with
/// [`super::TreeParams::fit_binned`].
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::BinnedMatrix;
/// let x = ndarray::array![[0.0f32, 5.0], [0.0, 6.0], [0.0, 7.0], [3.0, 6.0]];
/// let b = BinnedMatrix::new(x.view(), 256).unwrap();
/// assert_eq!((b.n_rows(), b.n_features(), b.max_bins()), (4, 2, 256));
/// assert_eq!((b.n_bins(0), b.n_bins(1)), (2, 3));
/// assert_eq!(b.codes(), &[0, 0, 0, 1, 0, 1, 2, 1]); // column-major
/// assert_eq!(b.column(1), &[0, 1, 2, 1]);
/// assert_eq!((b.dominant_code(0), b.dominant_code(1)), (0, 1)); // the most frequent code
/// assert_eq!(b.nbytes(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedMatrix {
    pub(super) n_rows: usize,
    pub(super) n_features: usize,
    pub(super) max_bins: usize,
    pub(super) codes: Vec<u8>,
    pub(super) bins: Vec<FeatureBins>,
    /// Most frequent code of each feature (its rows are skipped when building histograms).
    pub(super) dom: Vec<u8>,
}

impl BinnedMatrix {
    /// Quantise `x` (`n × d`, finite) into at most `max_bins` (2..=256) bins per feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::BinnedMatrix;
    /// let x = ndarray::Array2::from_shape_fn((1000, 2), |(i, j)| (i * (j + 1)) as f32);
    /// let b = BinnedMatrix::new(x.view(), 16).unwrap();
    /// assert_eq!((b.n_bins(0), b.n_bins(1)), (16, 16));
    /// assert!(b.column(0).windows(2).all(|w| w[0] <= w[1])); // codes keep the order of the values
    /// assert!(BinnedMatrix::new(x.view(), 1).is_err());
    /// assert!(BinnedMatrix::new(ndarray::array![[f32::NAN]].view(), 256).is_err());
    /// ```
    pub fn new(x: ArrayView2<f32>, max_bins: usize) -> Result<Self> {
        validate_max_bins(max_bins)?;
        crate::base::check_rows(x, "features")?;
        let (n, d) = x.dim();
        if n > u32::MAX as usize {
            return Err(KdError::Shape(format!("{n} rows: at most {} supported", u32::MAX)));
        }
        let xs = x.as_standard_layout();
        let xs = xs.as_slice().expect("standard layout");
        let mut codes = vec![0u8; n * d];
        // Features in blocks of up to 64 (256 contiguous bytes per row: few TLB misses). One pass over the rows gives every
        // value of the block a first-seen id per feature (hash tables, see `IdTable`) and catches
        // non-finite values; features with more than `max_bins` distinct values are redone by sorting.
        // With few features, smaller blocks so that every thread gets one (40 features on 2 threads:
        // two blocks of 20, not one block of 40 on one thread).
        let block = 64.min(d.div_ceil(rayon::current_num_threads()).max(8));
        let blocks: Vec<BlockResult> = codes
            .par_chunks_mut(n * block)
            .enumerate()
            .map(|(blk, out)| {
                let f0 = blk * block;
                let nf = (d - f0).min(block);
                let mut tables: Vec<IdTable> = (0..nf).map(|_| IdTable::new(max_bins)).collect();
                for (i, row) in xs.chunks_exact(d).enumerate() {
                    for (j, (&v, t)) in row[f0..f0 + nf].iter().zip(tables.iter_mut()).enumerate() {
                        match t.id(v) {
                            Some(id) => out[j * n + i] = id,
                            None if !v.is_finite() => return Err((i, f0 + j, v)),
                            None => {} // overflowed: redone below
                        }
                    }
                }
                // Features that overflowed their table are sorted, in parallel.
                Ok(tables
                    .into_par_iter()
                    .zip(out.par_chunks_mut(n))
                    .enumerate()
                    .map(|(j, (t, out))| {
                        let fb = match t.finish(out) {
                            Some(fb) => fb,
                            None => {
                                let col: Vec<f32> = xs.chunks_exact(d).map(|r| r[f0 + j]).collect();
                                let fb = sorted_bins(&col, max_bins, &mut Vec::new());
                                for (o, &v) in out.iter_mut().zip(&col) {
                                    *o = fb.code(v);
                                }
                                fb
                            }
                        };
                        (fb, dominant(out))
                    })
                    .collect())
            })
            .collect();
        let mut bins = Vec::with_capacity(d);
        let mut first_bad: Option<(usize, usize, f32)> = None;
        for b in blocks {
            match b {
                Ok(v) => bins.extend(v),
                Err(e) => {
                    if first_bad.is_none_or(|f| (e.0, e.1) < (f.0, f.1)) {
                        first_bad = Some(e);
                    }
                }
            }
        }
        if let Some((row, col, value)) = first_bad {
            return Err(KdError::non_finite("features", row, col, value));
        }
        let (bins, dom) = bins.into_iter().unzip();
        Ok(Self { n_rows: n, n_features: d, max_bins, codes, bins, dom })
    }

    /// Number of rows.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::Array2::<f32>::zeros((7, 2)).view(), 256).unwrap();
    /// assert_eq!(b.n_rows(), 7);
    /// ```
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }
    /// Number of features.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::Array2::<f32>::zeros((7, 2)).view(), 256).unwrap();
    /// assert_eq!(b.n_features(), 2);
    /// ```
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// The `max_bins` it was built with.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::Array2::<f32>::zeros((7, 2)).view(), 32).unwrap();
    /// assert_eq!(b.max_bins(), 32);
    /// ```
    pub fn max_bins(&self) -> usize {
        self.max_bins
    }
    /// Number of bins of feature `j` (1 for a constant feature).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::array![[1.0f32, 0.0], [2.0, 0.0]].view(), 256).unwrap();
    /// assert_eq!((b.n_bins(0), b.n_bins(1)), (2, 1)); // feature 1 is constant
    /// ```
    pub fn n_bins(&self, j: usize) -> usize {
        self.bins[j].len()
    }
    /// Bin codes of feature `j`, one per row.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::array![[0.5f32], [-1.0], [0.5]].view(), 256).unwrap();
    /// assert_eq!(b.column(0), &[1, 0, 1]);
    /// ```
    pub fn column(&self, j: usize) -> &[u8] {
        &self.codes[j * self.n_rows..(j + 1) * self.n_rows]
    }
    /// All codes, column-major.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::array![[0.0f32, 9.0], [1.0, 8.0]].view(), 256).unwrap();
    /// assert_eq!(b.codes(), &[0, 1, 1, 0]);
    /// ```
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }
    /// Bin boundaries of feature `j`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::array![[3.0f32], [1.0]].view(), 256).unwrap();
    /// assert_eq!(b.bins(0).lo, vec![1.0, 3.0]);
    /// ```
    pub fn bins(&self, j: usize) -> &FeatureBins {
        &self.bins[j]
    }
    /// Move the codes out (the bins stay); used by `fit`, which owns its matrix and partitions the
    /// codes in place instead of copying them.
    pub(crate) fn take_codes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.codes)
    }
    /// Most frequent code of feature `j`.
    ///
    /// # Examples
    ///
    /// ```
    /// let x = ndarray::array![[0.0f32], [255.0], [0.0], [0.0]]; // mostly zero, like MNIST pixels
    /// let b = kdistill::student::tree::BinnedMatrix::new(x.view(), 256).unwrap();
    /// assert_eq!(b.dominant_code(0), b.column(0)[0]);
    /// ```
    pub fn dominant_code(&self, j: usize) -> u8 {
        self.dom[j]
    }
    /// Bytes held by the codes.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = kdistill::student::tree::BinnedMatrix::new(ndarray::Array2::<f32>::zeros((1000, 3)).view(), 256).unwrap();
    /// assert_eq!(b.nbytes(), 3000); // one byte per cell
    /// ```
    pub fn nbytes(&self) -> usize {
        self.codes.len()
    }
}

/// Bins and dominant code of each feature of a block, or the first non-finite cell (row, column, value).
type BlockResult = std::result::Result<Vec<(FeatureBins, u8)>, (usize, usize, f32)>;

/// The most frequent code of a column.
pub(super) fn dominant(codes: &[u8]) -> u8 {
    // Four interleaved tables: long runs of one code would otherwise serialise on one counter.
    let mut counts = [[0u32; 256]; 4];
    let quads = codes.chunks_exact(4);
    for &c in quads.remainder() {
        counts[0][c as usize] += 1;
    }
    for q in quads {
        for (t, &c) in counts.iter_mut().zip(q) {
            t[c as usize] += 1;
        }
    }
    let total = |c: usize| counts.iter().map(|t| t[c]).sum::<u32>();
    (1..256).fold(0usize, |b, c| if total(c) > total(b) { c } else { b }) as u8
}

/// First-seen ids of the distinct values of one column, while there are at most `max_bins` of them:
/// a 512-slot open-addressing table keyed by the value's bits (−0.0 folded onto +0.0).
struct IdTable {
    keys: [u32; 512],
    ids: [u8; 512],
    distinct: Vec<f32>,
    max: usize,
    overflow: bool,
}

impl IdTable {
    const EMPTY: u32 = u32::MAX; // a NaN pattern: never the key of a finite value

    fn new(max: usize) -> Self {
        Self { keys: [Self::EMPTY; 512], ids: [0; 512], distinct: Vec::with_capacity(max), max, overflow: false }
    }

    /// The id of `v`; `None` for a non-finite value or once the column has more than `max` values.
    /// The common case (a value seen before, found at its first probe) has no unpredictable branch.
    #[inline]
    fn id(&mut self, v: f32) -> Option<u8> {
        let key = if v == 0.0 { 0 } else { v.to_bits() };
        let mut h = (key.wrapping_mul(0x9E37_79B1) >> 23) as usize;
        loop {
            let k = self.keys[h];
            if k == key {
                return Some(self.ids[h]);
            }
            if k == Self::EMPTY {
                return self.insert(h, key, v);
            }
            h = (h + 1) & 511;
        }
    }

    #[cold]
    fn insert(&mut self, h: usize, key: u32, v: f32) -> Option<u8> {
        if self.overflow || !v.is_finite() {
            return None;
        }
        if self.distinct.len() == self.max {
            self.overflow = true;
            return None;
        }
        self.keys[h] = key;
        self.ids[h] = self.distinct.len() as u8;
        self.distinct.push(if v == 0.0 { 0.0 } else { v });
        Some(self.ids[h])
    }

    /// Sort the distinct values and turn ids into codes (ranks); `None` if the column overflowed.
    fn finish(self, out: &mut [u8]) -> Option<FeatureBins> {
        if self.overflow {
            return None;
        }
        let distinct = self.distinct;
        let mut order: Vec<u8> = (0..distinct.len()).map(|i| i as u8).collect();
        order.sort_unstable_by(|&a, &b| distinct[a as usize].total_cmp(&distinct[b as usize]));
        let mut rank = [0u8; 256];
        for (r, &id) in order.iter().enumerate() {
            rank[id as usize] = r as u8;
        }
        for o in out.iter_mut() {
            *o = rank[*o as usize];
        }
        let values: Vec<f32> = order.iter().map(|&id| distinct[id as usize]).collect();
        Some(FeatureBins { lo: values.clone(), hi: values })
    }
}

/// Ids/codes of one column through [`IdTable`] (`None` on overflow). Used by tests.
#[cfg(test)]
fn hash_bins(col: &[f32], max_bins: usize, out: &mut [u8]) -> Option<FeatureBins> {
    let mut t = IdTable::new(max_bins);
    for (o, &v) in out.iter_mut().zip(col) {
        *o = t.id(v)?;
    }
    t.finish(out)
}

/// Bins of one column: sorted distinct values, cut into at most `max_bins` runs.
pub(super) fn sorted_bins(col: &[f32], max_bins: usize, sorted: &mut Vec<f32>) -> FeatureBins {
    sorted.clear();
    sorted.extend_from_slice(col);
    sorted.sort_unstable_by(f32::total_cmp);
    sorted.dedup_by(|a, b| a == b); // also merges −0.0 and +0.0
    let m = sorted.len();
    if m <= max_bins {
        return FeatureBins { lo: sorted.clone(), hi: sorted.clone() };
    }
    let mut lo = Vec::with_capacity(max_bins);
    let mut hi = Vec::with_capacity(max_bins);
    for b in 0..max_bins {
        let p0 = b * m / max_bins;
        let p1 = (b + 1) * m / max_bins;
        lo.push(sorted[p0]);
        hi.push(sorted[p1 - 1]);
    }
    FeatureBins { lo, hi }
}

#[cfg(test)]
mod tests;
