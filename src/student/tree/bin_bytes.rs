//! Binning 8-bit data (image pixels) without decoding it: [`BinnedMatrix::from_bytes`] for a matrix in
//! memory, and [`ByteBinner`] for rows that arrive in chunks (views rendered batch by batch), which holds
//! the codes and one chunk, never all the rows twice.
//!
//! A feature's codes are its bytes ranked among the byte values that occur in it, when at most
//! `max_bins` occur; otherwise its decoded values are binned by sorting, as [`BinnedMatrix::new`] does.
//! Either way the result is the matrix `BinnedMatrix::new` gives for the decoded values.
use super::bin::{dominant, sorted_bins, BinnedMatrix, FeatureBins};
use super::params::validate_max_bins;
use crate::error::{KdError, Result};
use ndarray::ArrayView2;
use rayon::prelude::*;

/// Features per parallel task when rows are copied in (64 bytes of each row: few TLB misses).
const BLOCK: usize = 64;

impl BinnedMatrix {
    /// Quantise 8-bit data without decoding it first: `x` holds bytes (`n × d`, e.g. image pixels) whose
    /// real values are `decode(byte)`, strictly increasing in the byte. The result is the matrix
    /// [`BinnedMatrix::new`] gives for the decoded values (every distinct byte its own bin when there are
    /// at most `max_bins`), without the `4·n·d` bytes of a decoded copy: a million 28×28 images take
    /// 784 MB of codes, not 3.1 GB of floats besides. For rows made chunk by chunk, [`ByteBinner`]
    /// avoids holding the bytes whole as well.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::tree::BinnedMatrix;
    /// use ndarray::array;
    /// let px = array![[0u8, 255], [10, 255], [10, 0]];
    /// let decode = |p: u8| p as f32 / 255.0;
    /// let b = BinnedMatrix::from_bytes(px.view(), 256, decode)?;
    /// assert_eq!(b, BinnedMatrix::new(px.mapv(decode).view(), 256)?);
    /// assert!(BinnedMatrix::from_bytes(px.view(), 256, |p: u8| -(p as f32)).is_err()); // not increasing
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn from_bytes(x: ArrayView2<u8>, max_bins: usize, decode: impl Fn(u8) -> f32) -> Result<Self> {
        let (n, d) = x.dim();
        let mut binner = ByteBinner::new(n, d, max_bins, decode)?;
        binner.push(x)?;
        binner.finish()
    }
}

/// Builds the [`BinnedMatrix`] of `n_rows` 8-bit rows pushed in consecutive chunks: each chunk is copied
/// into the (column-major) codes as it comes, noting which byte values occur, and [`ByteBinner::finish`]
/// turns the bytes into codes in place. Peak memory: the `n·d` bytes of codes plus the chunk at hand.
///
/// # Examples
///
/// ```
/// use kdistill::student::tree::{BinnedMatrix, ByteBinner};
/// use ndarray::{array, s};
/// let px = array![[0u8, 255], [10, 255], [10, 0], [7, 7]];
/// let decode = |p: u8| p as f32 / 255.0;
/// let mut binner = ByteBinner::new(4, 2, 256, decode)?;
/// binner.push(px.slice(s![..3, ..]))?;
/// assert_eq!(binner.rows_pushed(), 3);
/// binner.push(px.slice(s![3.., ..]))?;
/// assert_eq!(binner.finish()?, BinnedMatrix::from_bytes(px.view(), 256, decode)?);
/// // every row must come, and no more
/// let mut short = ByteBinner::new(4, 2, 256, decode)?;
/// short.push(px.slice(s![..3, ..]))?;
/// assert!(short.finish().is_err());
/// let mut long = ByteBinner::new(3, 2, 256, decode)?;
/// assert!(long.push(px.view()).is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug)]
pub struct ByteBinner {
    n_rows: usize,
    n_features: usize,
    max_bins: usize,
    /// `decode(b)` for every byte `b`.
    values: Vec<f32>,
    /// Column-major: the raw bytes until [`ByteBinner::finish`] ranks them.
    codes: Vec<u8>,
    /// Which byte values occur, per feature.
    present: Vec<[bool; 256]>,
    pushed: usize,
}

impl ByteBinner {
    /// Room for `n_rows × n_features` bytes whose values are `decode(byte)`: finite and strictly
    /// increasing in the byte (else an error naming the first two bytes out of order).
    pub fn new(n_rows: usize, n_features: usize, max_bins: usize, decode: impl Fn(u8) -> f32) -> Result<Self> {
        validate_max_bins(max_bins)?;
        if n_rows == 0 || n_features == 0 {
            return Err(KdError::Empty(format!("features: {n_rows} rows × {n_features} columns")));
        }
        if n_rows > u32::MAX as usize {
            return Err(KdError::Shape(format!("{n_rows} rows: at most {} supported", u32::MAX)));
        }
        let values: Vec<f32> = (0..=255u8).map(decode).collect();
        if let Some(b) = (1..256).find(|&b| !(values[b - 1] < values[b]) || !values[b].is_finite()) {
            return Err(KdError::param("decode", format!("{} → {}, {} → {}", b - 1, values[b - 1], b, values[b]), "must be finite and strictly increasing in the byte"));
        }
        if !values[0].is_finite() {
            return Err(KdError::param("decode", values[0], "must be finite"));
        }
        Ok(Self { n_rows, n_features, max_bins, values, codes: vec![0u8; n_rows * n_features], present: vec![[false; 256]; n_features], pushed: 0 })
    }

    /// Rows pushed so far.
    pub fn rows_pushed(&self) -> usize {
        self.pushed
    }

    /// Append the next rows (`m × n_features`). More rows than announced, or another width, is an error.
    pub fn push(&mut self, rows: ArrayView2<u8>) -> Result<()> {
        let (m, d) = rows.dim();
        if d != self.n_features {
            return Err(KdError::Shape(format!("{d} columns pushed into a binner of {} features", self.n_features)));
        }
        if self.pushed + m > self.n_rows {
            return Err(KdError::Shape(format!("{} rows pushed into a binner of {} rows", self.pushed + m, self.n_rows)));
        }
        if m == 0 {
            return Ok(());
        }
        let xs = rows.as_standard_layout();
        let xs = xs.as_slice().expect("standard layout");
        let (n, row0) = (self.n_rows, self.pushed);
        self.codes.par_chunks_mut(n * BLOCK).zip(self.present.par_chunks_mut(BLOCK)).enumerate().for_each(|(blk, (out, present))| {
            let f0 = blk * BLOCK;
            for (i, row) in xs.chunks_exact(d).enumerate() {
                for (j, (&v, p)) in row[f0..f0 + present.len()].iter().zip(present.iter_mut()).enumerate() {
                    out[j * n + row0 + i] = v;
                    p[v as usize] = true;
                }
            }
        });
        self.pushed += m;
        Ok(())
    }

    /// The binned matrix, once every row has been pushed (else an error saying how many came).
    pub fn finish(self) -> Result<BinnedMatrix> {
        let Self { n_rows: n, n_features: d, max_bins, values, mut codes, present, pushed } = self;
        if pushed != n {
            return Err(KdError::Shape(format!("{pushed} of the binner's {n} rows were pushed")));
        }
        let bins: Vec<(FeatureBins, u8)> = codes
            .par_chunks_mut(n)
            .zip(present.into_par_iter())
            .map(|(out, p)| {
                let used: Vec<u8> = (0..=255u8).filter(|&v| p[v as usize]).collect();
                let fb = if used.len() <= max_bins {
                    let mut rank = [0u8; 256];
                    for (r, &v) in used.iter().enumerate() {
                        rank[v as usize] = r as u8;
                    }
                    for o in out.iter_mut() {
                        *o = rank[*o as usize];
                    }
                    let vals: Vec<f32> = used.iter().map(|&v| values[v as usize]).collect();
                    FeatureBins { lo: vals.clone(), hi: vals }
                } else {
                    let col: Vec<f32> = out.iter().map(|&v| values[v as usize]).collect();
                    let fb = sorted_bins(&col, max_bins, &mut Vec::new());
                    for (o, &v) in out.iter_mut().zip(&col) {
                        *o = fb.code(v);
                    }
                    fb
                };
                (fb, dominant(out))
            })
            .collect();
        let (bins, dom) = bins.into_iter().unzip();
        Ok(BinnedMatrix { n_rows: n, n_features: d, max_bins, codes, bins, dom })
    }
}
