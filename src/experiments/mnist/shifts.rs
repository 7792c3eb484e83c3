//! The teacher's logits on every translation of the transfer set, computed once: a [`ShiftBank`].
//!
//! The jittered students see each training image under a random integer offset
//! `(dy, dx) ∈ {−s..s}²` per batch, labelled by the teacher *on the translated image*. An image has only
//! `S = (2s+1)²` translations (25 for Hinton's `s = 2`), so instead of a teacher forward pass on every
//! batch of every epoch (`E·n` images per student), the bank runs the teacher once on all `S·n`
//! translated images and looks the logits up per batch: for row `i` drawn with window offsets
//! `(oy, ox) ∈ {0..2s}²` (a shift of `s − o` pixels, as in [`super::cnn::translate_by`]) the target is
//! `q_T(z[oy·(2s+1) + ox, i])`. The offsets are drawn uniformly like [`super::cnn::random_translate`]'s,
//! so the students train on the same distribution of (image, target) pairs as with a live teacher; only
//! the cost changes: `S·n` teacher passes once (cached beside the teacher's weights) instead of
//! `E·n` per student. With the full preset (`E = 80`, two jittered students) that is 25 passes over the
//! training images instead of about 145.
//!
//! Several teachers combine as everywhere in the crate ([`mean_probs_t`]): `softmax(z/T)` for one; for
//! several, the mean of their `T = 1` probabilities softened as `p̄^{1/T}` (renormalised).
//!
//! ```
//! use kdistill::experiments::mnist::shifts::ShiftBank;
//! use tch::{Device, Kind, Tensor};
//! let x = ndarray::Array2::<f32>::from_shape_fn((5, 9), |(i, j)| (i * 9 + j) as f32 / 45.0); // five 3×3 images
//! // A "teacher" with two logits: the sums of the left and right columns.
//! let teacher = |b: &Tensor| {
//!     let img = b.view([-1, 3, 3]);
//!     Tensor::stack(&[img.select(2, 0).sum_dim_intlist(1, false, Kind::Float), img.select(2, 2).sum_dim_intlist(1, false, Kind::Float)], 1)
//! };
//! let z = ShiftBank::member_logits(&teacher, x.view(), 3, 3, 1, Device::Cpu, None)?;
//! assert_eq!(z.size(), [9, 5, 2]); // 9 translations × 5 images × 2 classes
//! let bank = ShiftBank::new(vec![z], 3, 3, 1)?;
//! let idx = Tensor::from_slice(&[4i64, 0, 2]);
//! let xb = kdistill::neural::to_tensor(x.view(), Device::Cpu).index_select(0, &idx);
//! let (moved, q) = bank.batch(&idx, &xb, 2.0);
//! // The looked-up targets are what the teacher says about the translated images.
//! let live = (teacher(&moved) / 2.0).softmax(-1, Kind::Float);
//! assert!(f64::try_from((q - live).abs().max()).unwrap() < 1e-6);
//! # Ok::<(), kdistill::KdError>(())
//! ```
use super::cnn::translate_by;
use crate::error::{KdError, Result};
use ndarray::ArrayView2;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// Teacher probabilities at temperature `t` from the members' logits (`B × K` each): `softmax(z/T)` for
/// one member; for several, the mean of their `T = 1` probabilities softened as `p̄^{1/T}`.
///
/// ```
/// use kdistill::experiments::mnist::shifts::mean_probs_t;
/// let a = tch::Tensor::from_slice(&[0.0f32, 0.0]).view([1, 2]);          // p = (½, ½)
/// let b = tch::Tensor::from_slice(&[0.0f32, 2f32.ln()]).view([1, 2]);    // p = (⅓, ⅔)
/// let q = mean_probs_t(&[a, b], 1.0);                                     // mean (5/12, 7/12)
/// assert!((f64::try_from(q.get(0).get(0)).unwrap() - 5.0 / 12.0).abs() < 1e-6);
/// let q2 = mean_probs_t(&[tch::Tensor::from_slice(&[0.0f32, 2f32.ln()]).view([1, 2])], 2.0);
/// // softmax((0, ln 2)/2) = (1, √2)/(1 + √2)
/// assert!((f64::try_from(q2.get(0).get(0)).unwrap() - 1.0 / (1.0 + 2f64.sqrt())).abs() < 1e-6);
/// ```
pub fn mean_probs_t(logits: &[Tensor], t: f32) -> Tensor {
    if logits.len() == 1 {
        return (&logits[0] / t as f64).softmax(-1, Kind::Float);
    }
    let mut p = logits[0].softmax(-1, Kind::Float);
    for z in &logits[1..] {
        p += z.softmax(-1, Kind::Float);
    }
    p /= logits.len() as f64;
    (p.clamp_min(1e-30).log() / t as f64).softmax(-1, Kind::Float)
}

/// Logits of one or more teachers on every translation of a transfer set (see the module docs).
#[derive(Debug)]
pub struct ShiftBank {
    rows: usize,
    cols: usize,
    max_shift: usize,
    n: usize,
    k: usize,
    /// One `S × n × K` tensor per teacher member, on the training device.
    logits: Vec<Tensor>,
}

/// Images per forward pass while filling the bank.
const CHUNK: usize = 1000;

impl ShiftBank {
    /// Number of translations with shifts up to `max_shift` on both axes: `(2·max_shift + 1)²`.
    pub fn n_shifts(max_shift: usize) -> usize {
        (2 * max_shift + 1).pow(2)
    }

    /// One teacher's logits (`teacher`: `B × rows·cols` → `B × K`, called without gradients) on every
    /// translation of every row of `x`: an `S × n × K` tensor on `device`, translation `oy·(2s+1) + ox`
    /// first. `progress` labels a bar over the translations.
    pub fn member_logits(teacher: &dyn Fn(&Tensor) -> Tensor, x: ArrayView2<f32>, rows: usize, cols: usize, max_shift: usize, device: Device, progress: Option<&str>) -> Result<Tensor> {
        crate::data::check_rows(x, "transfer set")?;
        if x.ncols() != rows * cols {
            return Err(KdError::Shape(format!("images have {} pixels, expected {rows}×{cols}", x.ncols())));
        }
        let (n, w) = (x.nrows(), 2 * max_shift as i64 + 1);
        let s = Self::n_shifts(max_shift);
        let xs = crate::neural::to_tensor(x, device);
        let bar = crate::progress::bar(progress, s as u64);
        let mut out: Option<Tensor> = None;
        tch::no_grad(|| -> Result<()> {
            for sid in 0..s as i64 {
                for lo in (0..n).step_by(CHUNK) {
                    let len = CHUNK.min(n - lo) as i64;
                    let xb = xs.narrow(0, lo as i64, len);
                    let oy = Tensor::full([len], sid / w, (Kind::Int64, device));
                    let ox = Tensor::full([len], sid % w, (Kind::Int64, device));
                    let z = teacher(&translate_by(&xb, rows, cols, max_shift, &oy, &ox)).to_kind(Kind::Float);
                    if z.dim() != 2 || z.size()[0] != len {
                        return Err(KdError::Shape(format!("the teacher answered {:?} for a batch of {len}", z.size())));
                    }
                    let o = out.get_or_insert_with(|| Tensor::zeros([s as i64, n as i64, z.size()[1]], (Kind::Float, device)));
                    o.get(sid).narrow(0, lo as i64, len).copy_(&z);
                }
                bar.inc(1);
            }
            Ok(())
        })?;
        bar.finish_and_clear();
        Ok(out.expect("at least one row and one translation"))
    }

    /// A bank from the members' `S × n × K` logits (as [`ShiftBank::member_logits`] makes them), checked:
    /// same shape for every member, `S = (2·max_shift + 1)²`, finite values.
    pub fn new(logits: Vec<Tensor>, rows: usize, cols: usize, max_shift: usize) -> Result<Self> {
        let first = logits.first().ok_or_else(|| KdError::Empty("a shift bank needs at least one teacher".into()))?.size();
        let s = Self::n_shifts(max_shift) as i64;
        if first.len() != 3 || first[0] != s || first[1] == 0 || first[2] < 2 {
            return Err(KdError::Shape(format!("shift-bank logits are {first:?}, expected [{s}, n ≥ 1, K ≥ 2]")));
        }
        for z in &logits {
            if z.size() != first {
                return Err(KdError::Shape(format!("teachers' shift-bank logits differ in shape: {:?} vs {first:?}", z.size())));
            }
            first_non_finite(z)?;
        }
        Ok(Self { rows, cols, max_shift, n: first[1] as usize, k: first[2] as usize, logits })
    }

    /// Rows in the bank.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the bank has no rows (never: [`ShiftBank::new`] refuses that).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The bank of the transfer set `x.select(keep)`: row `j` of the result is row `keep[j]` here.
    pub fn subset(&self, keep: &[usize]) -> Result<Self> {
        if let Some(&i) = keep.iter().find(|&&i| i >= self.n) {
            return Err(KdError::Shape(format!("row {i} is outside the shift bank's {} rows", self.n)));
        }
        if keep.is_empty() {
            return Err(KdError::Empty("a shift bank needs at least one row".into()));
        }
        let device = self.logits[0].device();
        let idx = Tensor::from_slice(&keep.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(device);
        // The rows were checked when this bank was made: no second scan.
        let logits = self.logits.iter().map(|z| z.index_select(1, &idx)).collect();
        Ok(Self { rows: self.rows, cols: self.cols, max_shift: self.max_shift, n: keep.len(), k: self.k, logits })
    }

    /// For a batch (`idx`: row indices into the bank, Int64 on its device; `xb`: those rows), draw a
    /// uniform translation per row, and return the translated rows and the teachers' probabilities at
    /// temperature `t` on them ([`mean_probs_t`]). Seeded by libtorch's generator.
    pub fn batch(&self, idx: &Tensor, xb: &Tensor, t: f32) -> (Tensor, Tensor) {
        let b = xb.size()[0];
        let dev = xb.device();
        let w = 2 * self.max_shift as i64 + 1;
        let oy = Tensor::randint(w, [b], (Kind::Int64, dev));
        let ox = Tensor::randint(w, [b], (Kind::Int64, dev));
        let moved = translate_by(xb, self.rows, self.cols, self.max_shift, &oy, &ox);
        let flat = (oy * w + ox) * self.n as i64 + idx;
        let zs: Vec<Tensor> = self.logits.iter().map(|z| z.view([-1, self.k as i64]).index_select(0, &flat)).collect();
        (moved, mean_probs_t(&zs, t))
    }

    /// Write one member's `S × n × K` logits to `path` atomically (safetensors, tensor `logits`).
    pub fn save_member(z: &Tensor, path: &Path) -> Result<()> {
        crate::io::atomic_write_safetensors(path, &[("logits", z)])
    }

    /// Read one member's logits written by [`ShiftBank::save_member`], expecting `S × n × K` for
    /// `max_shift`, `n` rows and `k` classes, onto `device`. A wrong file is an error naming it.
    pub fn load_member(path: &Path, max_shift: usize, n: usize, k: usize, device: Device) -> Result<Tensor> {
        let bad = |msg: String| KdError::Model { path: path.to_path_buf(), msg: format!("unreadable shift-bank cache: {msg}; delete it or re-run with --no-cache") };
        let tensors = Tensor::read_safetensors(path).map_err(|e| bad(e.to_string()))?;
        let z = tensors.into_iter().find(|(name, _)| name == "logits").map(|(_, z)| z).ok_or_else(|| bad("no tensor `logits`".into()))?;
        let want = [Self::n_shifts(max_shift) as i64, n as i64, k as i64];
        if z.size() != want || z.kind() != Kind::Float {
            return Err(bad(format!("tensor `logits` is {:?} {:?}, expected {want:?} Float", z.size(), z.kind())));
        }
        first_non_finite(&z).map_err(|e| bad(e.to_string()))?;
        Ok(z.to_device(device))
    }
}

/// An error naming the first non-finite value of an `S × n × K` logit tensor (translation, row, class).
fn first_non_finite(z: &Tensor) -> Result<()> {
    let bad = z.isfinite().logical_not().view([-1]);
    if !bool::try_from(bad.any()).unwrap_or(true) {
        return Ok(());
    }
    let at = i64::try_from(bad.to_kind(Kind::Int64).argmax(0, false)).unwrap_or(0);
    let (n, k) = (z.size()[1], z.size()[2]);
    let value = f32::try_from(z.view([-1]).get(at)).unwrap_or(f32::NAN);
    Err(KdError::NonFinite { what: format!("shift-bank logits (translation {})", at / (n * k)), row: ((at / k) % n) as usize, col: (at % k) as usize, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::mnist::cnn::random_translate;
    use ndarray::Array2;

    /// A fixed random linear "teacher" on 4×4 images with 3 classes.
    fn teacher() -> impl Fn(&Tensor) -> Tensor {
        let _g = crate::neural::seeded_fit_lock();
        tch::manual_seed(3);
        let w = Tensor::randn([16, 3], (Kind::Float, Device::Cpu));
        move |b: &Tensor| b.matmul(&w)
    }

    fn images(n: usize) -> Array2<f32> {
        Array2::from_shape_fn((n, 16), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 10.0)
    }

    #[test]
    fn looked_up_targets_are_the_teachers_on_the_translated_rows_for_one_and_two_members() {
        let _g = crate::neural::seeded_fit_lock();
        let x = images(2 * CHUNK + 5); // more than one chunk per translation
        let f = teacher();
        let g = |b: &Tensor| f(b) * -0.5;
        let zf = ShiftBank::member_logits(&f, x.view(), 4, 4, 2, Device::Cpu, None).unwrap();
        let zg = ShiftBank::member_logits(&g, x.view(), 4, 4, 2, Device::Cpu, None).unwrap();
        assert_eq!(zf.size(), [25, x.nrows() as i64, 3]);
        let xs = crate::neural::to_tensor(x.view(), Device::Cpu);
        let idx = Tensor::from_slice(&[0i64, 7, 2004, 1000, 999, 7, 33]);
        let xb = xs.index_select(0, &idx);
        for (bank, live) in [(ShiftBank::new(vec![zf.copy()], 4, 4, 2).unwrap(), false), (ShiftBank::new(vec![zf.copy(), zg.copy()], 4, 4, 2).unwrap(), true)] {
            tch::manual_seed(11);
            let (moved, q) = bank.batch(&idx, &xb, 3.0);
            let zs = if live { vec![f(&moved), g(&moved)] } else { vec![f(&moved)] };
            let want = mean_probs_t(&zs, 3.0);
            assert!(f64::try_from((&q - &want).abs().max()).unwrap() < 1e-5);
            // Rows sum to one, and the translation is random_translate's for the same seed.
            assert!(f64::try_from((q.sum_dim_intlist(1, false, Kind::Float) - 1.0).abs().max()).unwrap() < 1e-5);
            tch::manual_seed(11);
            assert!(bool::try_from(random_translate(&xb, 4, 4, 2).eq_tensor(&moved).all()).unwrap());
        }
    }

    #[test]
    fn a_subset_keeps_each_rows_logits_and_the_shapes_are_checked() {
        let x = images(9);
        let f = teacher();
        let z = ShiftBank::member_logits(&f, x.view(), 4, 4, 1, Device::Cpu, None).unwrap();
        let bank = ShiftBank::new(vec![z.copy()], 4, 4, 1).unwrap();
        let sub = bank.subset(&[8, 3]).unwrap();
        assert_eq!(sub.len(), 2);
        assert!(bool::try_from(sub.logits[0].select(1, 0).eq_tensor(&z.select(1, 8)).all()).unwrap());
        assert!(bool::try_from(sub.logits[0].select(1, 1).eq_tensor(&z.select(1, 3)).all()).unwrap());
        assert!(matches!(bank.subset(&[9]), Err(KdError::Shape(_))));
        assert!(matches!(bank.subset(&[]), Err(KdError::Empty(_))));
        // Wrong translation count, mismatched members, non-finite values, no members.
        assert!(matches!(ShiftBank::new(vec![z.copy()], 4, 4, 2), Err(KdError::Shape(_))));
        assert!(matches!(ShiftBank::new(vec![z.copy(), z.narrow(1, 0, 3)], 4, 4, 1), Err(KdError::Shape(_))));
        let nan = z.copy();
        let _ = nan.get(0).get(0).get(0).fill_(f64::NAN);
        let _ = nan.get(4).get(7).get(2).fill_(f64::INFINITY);
        assert!(matches!(ShiftBank::new(vec![nan], 4, 4, 1), Err(KdError::NonFinite { row: 0, col: 0, .. })));
        let inf = z.copy();
        let _ = inf.get(4).get(7).get(2).fill_(f64::INFINITY);
        let err = ShiftBank::new(vec![inf], 4, 4, 1).unwrap_err();
        assert!(matches!(&err, KdError::NonFinite { row: 7, col: 2, .. }) && err.to_string().contains("translation 4"), "{err}");
        assert!(matches!(ShiftBank::new(vec![], 4, 4, 1), Err(KdError::Empty(_))));
        let wide = Array2::<f32>::zeros((3, 15));
        assert!(matches!(ShiftBank::member_logits(&f, wide.view(), 4, 4, 1, Device::Cpu, None), Err(KdError::Shape(_))));
    }

    #[test]
    fn the_cache_round_trips_and_a_wrong_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let x = images(6);
        let z = ShiftBank::member_logits(&teacher(), x.view(), 4, 4, 1, Device::Cpu, None).unwrap();
        let path = dir.path().join("shifts.safetensors");
        ShiftBank::save_member(&z, &path).unwrap();
        let back = ShiftBank::load_member(&path, 1, 6, 3, Device::Cpu).unwrap();
        assert!(bool::try_from(back.eq_tensor(&z).all()).unwrap());
        let err = ShiftBank::load_member(&path, 2, 6, 3, Device::Cpu).unwrap_err();
        assert!(err.to_string().contains("shifts.safetensors") && err.to_string().contains("--no-cache"), "{err}");
        std::fs::write(&path, b"not a safetensors file").unwrap();
        assert!(matches!(ShiftBank::load_member(&path, 1, 6, 3, Device::Cpu), Err(KdError::Model { .. })));
    }
}
