//! A teacher's logits on a fixed table of [`Views`], computed once: a [`ViewBank`].
//!
//! Function matching (Beyer et al. 2022) teaches a student on fresh augmented views, each labelled by
//! the teacher. On a GPU the teacher can label every batch as it comes ([`ViewRecipe::draw`] plus a
//! forward pass). On a CPU that would cost a teacher pass per student step, so the bank runs the teacher
//! once over `V` fixed views of each image and looks the logits up: for transfer row `i` drawn in a batch,
//! a uniform slot `v ∈ 0..V` is drawn and the row becomes view `v·n + i` with the teacher's targets on
//! exactly that view. With `V` large (or every translation, [`Views::translations`]), a student sees the
//! same distribution of (view, target) pairs as with a live teacher on that table.
//!
//! The bank also hands the whole table to learners that cannot augment per batch (a tree): every view
//! as 8-bit rows ([`ViewBank::render_u8`]) with the teacher's probabilities ([`ViewBank::probs`]).
//!
//! Several teachers combine as everywhere in the crate ([`mean_probs_t`]): `softmax(z/T)` for one; for
//! several, the mean of their `T = 1` probabilities softened as `p̄^{1/T}` (renormalised).
//!
//! ```
//! use kdistill::augment::views::Views;
//! use kdistill::{neural::TargetScale, teacher::bank::ViewBank};
//! use tch::{Device, Kind, Tensor};
//! let x = ndarray::Array2::<f32>::from_shape_fn((5, 9), |(i, j)| ((i * 9 + j) % 7) as f32 / 7.0); // five 3×3 images
//! // A "teacher" with two logits: the sums of the left and right columns.
//! let teacher = |b: &Tensor| {
//!     let img = b.view([-1, 3, 3]);
//!     Tensor::stack(&[img.select(2, 0).sum_dim_intlist(1, false, Kind::Float), img.select(2, 2).sum_dim_intlist(1, false, Kind::Float)], 1)
//! };
//! let views = Views::translations(5, 3, 3, 1)?;
//! let z = ViewBank::member_logits(&teacher, x.view(), &views, Device::Cpu, None)?;
//! assert_eq!(z.size(), [45, 2]); // 9 translations × 5 images, 2 classes
//! let bank = ViewBank::new(views, x.view(), vec![z], Device::Cpu)?;
//! let idx = Tensor::from_slice(&[4i64, 0, 2]);
//! let xb = kdistill::neural::to_tensor(x.view(), Device::Cpu).index_select(0, &idx);
//! let (moved, q) = bank.batch(&idx, &xb, TargetScale::Probabilities { temperature: 2.0 });
//! // The looked-up targets are what the teacher says about the views the student gets.
//! let live = (teacher(&moved) / 2.0).softmax(-1, Kind::Float);
//! assert!(f64::try_from((q - live).abs().max()).unwrap() < 1e-6);
//! # Ok::<(), kdistill::KdError>(())
//! ```
use crate::augment::views::Views;
use crate::error::{KdError, Result};
use crate::neural::TargetScale;
use ndarray::{Array2, ArrayView2};
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// Teacher probabilities at temperature `t` from the members' logits (`B × K` each): `softmax(z/T)` for
/// one member; for several, the mean of their `T = 1` probabilities softened as `p̄^{1/T}`.
///
/// ```
/// use kdistill::teacher::bank::mean_probs_t;
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
    (mean_log_probs(logits) / t as f64).softmax(-1, Kind::Float)
}

/// The members' combined logits: the logits themselves for one member, `ln p̄` (the log of the mean of
/// their probabilities) for several. `softmax` of these is the teacher's `T = 1` distribution.
///
/// ```
/// use kdistill::teacher::bank::{mean_logits, mean_probs_t};
/// let a = tch::Tensor::from_slice(&[1.0f32, -1.0]).view([1, 2]);
/// let b = tch::Tensor::from_slice(&[0.0f32, 3.0]).view([1, 2]);
/// let z = mean_logits(&[a.copy(), b.copy()]);
/// let p = mean_probs_t(&[a, b], 1.0);
/// assert!(f64::try_from((z.softmax(-1, tch::Kind::Float) - p).abs().max()).unwrap() < 1e-6);
/// ```
pub fn mean_logits(logits: &[Tensor]) -> Tensor {
    if logits.len() == 1 {
        return logits[0].shallow_clone();
    }
    mean_log_probs(logits)
}

fn mean_log_probs(logits: &[Tensor]) -> Tensor {
    let mut p = logits[0].softmax(-1, Kind::Float);
    for z in &logits[1..] {
        p += z.softmax(-1, Kind::Float);
    }
    p /= logits.len() as f64;
    p.clamp_min(1e-30).log()
}

/// Teachers' logits on every view of a [`Views`] table (see the module docs).
#[derive(Debug)]
pub struct ViewBank {
    views: Views,
    /// The `n × d` images the views are made of, on the training device.
    images: Tensor,
    /// One `V·n × K` tensor per teacher member, on the training device.
    logits: Vec<Tensor>,
    k: usize,
    /// Image of each transfer row (Int64, on the device): all images in order unless a subset.
    rows: Tensor,
    n_rows: usize,
}

/// Views per forward pass while filling a bank.
const CHUNK: i64 = 1000;

impl ViewBank {
    /// One teacher's logits (`teacher`: `B × d` → `B × K`, called without gradients) on every view of
    /// `views` made of `images`: a `V·n × K` tensor on `device`, view `v·n + i` at row `v·n + i`.
    /// `progress` labels a bar.
    pub fn member_logits(teacher: &dyn Fn(&Tensor) -> Tensor, images: ArrayView2<f32>, views: &Views, device: Device, progress: Option<&str>) -> Result<Tensor> {
        let xs = check_images(images, views, device)?;
        let total = views.len() as i64;
        let bar = crate::progress::bar(progress, total as u64);
        let mut out: Option<Tensor> = None;
        tch::no_grad(|| -> Result<()> {
            for lo in (0..total).step_by(CHUNK as usize) {
                let len = CHUNK.min(total - lo);
                let r = Tensor::arange_start(lo, lo + len, (Kind::Int64, device));
                let z = teacher(&views.render(&xs, &r)).to_kind(Kind::Float);
                if z.dim() != 2 || z.size()[0] != len {
                    return Err(KdError::Shape(format!("the teacher answered {:?} for a batch of {len}", z.size())));
                }
                let o = out.get_or_insert_with(|| Tensor::zeros([total, z.size()[1]], (Kind::Float, device)));
                o.narrow(0, lo, len).copy_(&z);
                bar.inc(len as u64);
            }
            Ok(())
        })?;
        bar.finish_and_clear();
        Ok(out.expect("at least one view"))
    }

    /// A bank from a view table, its images (`n × d`) and the members' `V·n × K` logits (as
    /// [`ViewBank::member_logits`] makes them), checked: same shape for every member, one row per view,
    /// `K ≥ 2`, finite values. Everything is moved to `device`.
    pub fn new(views: Views, images: ArrayView2<f32>, logits: Vec<Tensor>, device: Device) -> Result<ViewBank> {
        let xs = check_images(images, &views, device)?;
        let first = logits.first().ok_or_else(|| KdError::Empty("a view bank needs at least one teacher".into()))?.size();
        let total = views.len() as i64;
        if first.len() != 2 || first[0] != total || first[1] < 2 {
            return Err(KdError::Shape(format!("view-bank logits are {first:?}, expected [{total}, K ≥ 2]")));
        }
        for z in &logits {
            if z.size() != first {
                return Err(KdError::Shape(format!("teachers' view-bank logits differ in shape: {:?} vs {first:?}", z.size())));
            }
            first_non_finite(z, views.n_images())?;
        }
        let n = views.n_images();
        let logits = logits.into_iter().map(|z| z.to_kind(Kind::Float).to_device(device)).collect();
        Ok(ViewBank { views, images: xs, logits, k: first[1] as usize, rows: Tensor::arange(n as i64, (Kind::Int64, device)), n_rows: n })
    }

    /// Transfer rows (images the bank draws views of).
    pub fn len(&self) -> usize {
        self.n_rows
    }
    /// Never true ([`ViewBank::new`] and [`ViewBank::subset`] refuse empty banks).
    pub fn is_empty(&self) -> bool {
        self.n_rows == 0
    }
    /// Classes `K`.
    pub fn n_classes(&self) -> usize {
        self.k
    }
    /// The view table.
    pub fn views(&self) -> &Views {
        &self.views
    }
    /// Views of the transfer rows: `V × len()`.
    pub fn n_views(&self) -> usize {
        self.views.per_image() * self.n_rows
    }

    /// The bank of the transfer set `x.select(keep)`: its row `j` draws the views of row `keep[j]` here
    /// (mixing partners may be any image of the table).
    pub fn subset(&self, keep: &[usize]) -> Result<ViewBank> {
        if let Some(&i) = keep.iter().find(|&&i| i >= self.n_rows) {
            return Err(KdError::Shape(format!("row {i} is outside the view bank's {} rows", self.n_rows)));
        }
        if keep.is_empty() {
            return Err(KdError::Empty("a view bank needs at least one row".into()));
        }
        let dev = self.rows.device();
        let idx = Tensor::from_slice(&keep.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(dev);
        // The logits were checked when this bank was made: no second scan.
        Ok(ViewBank {
            views: self.views.clone(),
            images: self.images.shallow_clone(),
            logits: self.logits.iter().map(|z| z.shallow_clone()).collect(),
            k: self.k,
            rows: self.rows.index_select(0, &idx),
            n_rows: keep.len(),
        })
    }

    /// The members' targets on views `r` (Int64, on the bank's device).
    fn targets_of(&self, r: &Tensor, targets: TargetScale) -> Tensor {
        let zs: Vec<Tensor> = self.logits.iter().map(|z| z.index_select(0, r)).collect();
        match targets {
            TargetScale::Probabilities { temperature } => mean_probs_t(&zs, temperature),
            TargetScale::Logits => mean_logits(&zs),
        }
    }

    /// For a batch (`idx`: transfer-row indices, Int64 on the bank's device; `_xb`: those rows, unused:
    /// the views are made from the bank's images), draw a uniform view slot per row and return the views
    /// and the teachers' targets on them. Seeded by libtorch's generator.
    pub fn batch(&self, idx: &Tensor, xb: &Tensor, targets: TargetScale) -> (Tensor, Tensor) {
        let every = Tensor::arange(self.views.per_image() as i64, (Kind::Int64, self.rows.device()));
        self.batch_among(idx, xb, targets, &every)
    }

    /// [`ViewBank::batch`] with each row's view slot drawn uniformly from `slots` (Int64, each in
    /// `0..views().per_image()`): a subset of the views, such as the smaller translations of a
    /// bank of translations.
    pub fn batch_among(&self, idx: &Tensor, _xb: &Tensor, targets: TargetScale, slots: &Tensor) -> (Tensor, Tensor) {
        let b = idx.size()[0];
        let dev = self.rows.device();
        let image = self.rows.index_select(0, &idx.to_device(dev));
        let pick = Tensor::randint(slots.size()[0], [b], (Kind::Int64, dev));
        let slot = slots.to_device(dev).index_select(0, &pick);
        let r = slot * self.views.n_images() as i64 + image;
        (self.views.render(&self.images, &r), self.targets_of(&r, targets))
    }

    /// Ids of every view of the transfer rows, slot-major: `v·n + rows[j]` at position `v·len() + j`.
    fn all_view_ids(&self) -> Tensor {
        let dev = self.rows.device();
        let v = self.views.per_image() as i64;
        let slots = Tensor::arange(v, (Kind::Int64, dev)).view([v, 1]) * self.views.n_images() as i64;
        (slots + self.rows.view([1, -1])).view([-1])
    }

    /// The teachers' probabilities at temperature `t` on every view of the transfer rows (`V·len() × K`,
    /// slot-major, the order of [`ViewBank::render_u8`]).
    pub fn probs(&self, t: f32) -> Result<Array2<f32>> {
        crate::base::check_temperature(t)?;
        crate::neural::to_array2(&self.targets_of(&self.all_view_ids(), TargetScale::Probabilities { temperature: t }))
    }

    /// Every view of the transfer rows as 8-bit rows (`V·len() × d`, slot-major, the order of
    /// [`ViewBank::probs`]); see [`Views::render_u8`]. `progress` labels a bar.
    pub fn render_u8(&self, progress: Option<&str>) -> Result<Array2<u8>> {
        self.views.render_u8(&self.images, &self.all_view_ids(), progress)
    }

    /// [`ViewBank::render_u8`] a chunk of rows at a time (see [`Views::render_u8_chunks`]).
    pub fn render_u8_chunks(&self, progress: Option<&str>, sink: impl FnMut(ndarray::ArrayView2<u8>) -> Result<()>) -> Result<()> {
        self.views.render_u8_chunks(&self.images, &self.all_view_ids(), progress, sink)
    }

    /// Write one member's `V·n × K` logits to `path` atomically (safetensors, tensor `logits`).
    pub fn save_member(z: &Tensor, path: &Path) -> Result<()> {
        crate::io::atomic_write_safetensors(path, &[("logits", z)])
    }

    /// Read one member's logits written by [`ViewBank::save_member`], expecting one row per view of
    /// `views` and `k` classes, onto `device`. A wrong file is an error naming it.
    pub fn load_member(path: &Path, views: &Views, k: usize, device: Device) -> Result<Tensor> {
        let bad = |msg: String| KdError::Model { path: path.to_path_buf(), msg: format!("unreadable view-bank cache: {msg}; delete it to rebuild it") };
        let tensors = Tensor::read_safetensors(path).map_err(|e| bad(e.to_string()))?;
        let z = tensors.into_iter().find(|(name, _)| name == "logits").map(|(_, z)| z).ok_or_else(|| bad("no tensor `logits`".into()))?;
        let want = [views.len() as i64, k as i64];
        if z.size() != want || z.kind() != Kind::Float {
            return Err(bad(format!("tensor `logits` is {:?} {:?}, expected {want:?} Float", z.size(), z.kind())));
        }
        first_non_finite(&z, views.n_images()).map_err(|e| bad(e.to_string()))?;
        Ok(z.to_device(device))
    }
}

/// The images as a tensor on `device`, checked against the view table.
fn check_images(images: ArrayView2<f32>, views: &Views, device: Device) -> Result<Tensor> {
    crate::base::check_rows(images, "images")?;
    let (rows, cols) = views.shape();
    if images.nrows() != views.n_images() || images.ncols() != rows * cols {
        return Err(KdError::Shape(format!("{} images of {} pixels, but the views are of {} {rows}×{cols} images", images.nrows(), images.ncols(), views.n_images())));
    }
    crate::base::check_finite(images, "images")?;
    Ok(crate::neural::to_tensor(images, device))
}

/// An error naming the first non-finite value of a `V·n × K` logit tensor (view slot, image, class).
fn first_non_finite(z: &Tensor, n: usize) -> Result<()> {
    let bad = z.isfinite().logical_not().view([-1]);
    if !bool::try_from(bad.any()).unwrap_or(true) {
        return Ok(());
    }
    let at = i64::try_from(bad.to_kind(Kind::Int64).argmax(0, false)).unwrap_or(0);
    let k = z.size()[1];
    let (view, class) = (at / k, at % k);
    let value = f32::try_from(z.view([-1]).get(at)).unwrap_or(f32::NAN);
    Err(KdError::non_finite(format!("view-bank logits (view slot {})", view / n as i64), (view % n as i64) as usize, class as usize, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::augment::views::ViewRecipe;

    /// A fixed random linear "teacher" with 3 classes on images of `pixels` pixels (the caller holds
    /// the seeded-fit lock).
    fn linear_teacher(pixels: i64, seed: i64) -> impl Fn(&Tensor) -> Tensor {
        tch::manual_seed(seed);
        let w = Tensor::randn([pixels, 3], (Kind::Float, Device::Cpu));
        move |b: &Tensor| b.matmul(&w)
    }

    /// The linear teacher of the 4×4 test images.
    fn teacher() -> impl Fn(&Tensor) -> Tensor {
        let _g = crate::neural::seeded_fit_lock();
        linear_teacher(16, 3)
    }

    fn images(n: usize) -> Array2<f32> {
        Array2::from_shape_fn((n, 16), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 20.0 / 255.0)
    }

    #[test]
    fn looked_up_targets_are_the_teachers_on_the_views_for_one_and_two_members() {
        let _g = crate::neural::seeded_fit_lock();
        let x = images(2 * CHUNK as usize + 5); // more than one chunk
        let f = teacher();
        let g = |b: &Tensor| f(b) * -0.5;
        let recipe = ViewRecipe { max_shift: 1, mix_fraction: 0.5, min_weight: 0.5, neighbours: 0 };
        let views = || Views::sample(x.nrows(), 4, 4, 3, &recipe, 9).unwrap();
        let zf = ViewBank::member_logits(&f, x.view(), &views(), Device::Cpu, None).unwrap();
        let zg = ViewBank::member_logits(&g, x.view(), &views(), Device::Cpu, None).unwrap();
        assert_eq!(zf.size(), [3 * x.nrows() as i64, 3]);
        let idx = Tensor::from_slice(&[0i64, 7, 2004, 1000, 999, 7, 33]);
        let xb = crate::neural::to_tensor(x.view(), Device::Cpu).index_select(0, &idx);
        for (members, two) in [(vec![zf.copy()], false), (vec![zf.copy(), zg.copy()], true)] {
            let bank = ViewBank::new(views(), x.view(), members, Device::Cpu).unwrap();
            tch::manual_seed(11);
            let (moved, q) = bank.batch(&idx, &xb, TargetScale::Probabilities { temperature: 3.0 });
            let zs = if two { vec![f(&moved), g(&moved)] } else { vec![f(&moved)] };
            assert!(f64::try_from((&q - mean_probs_t(&zs, 3.0)).abs().max()).unwrap() < 1e-5);
            assert!(f64::try_from((q.sum_dim_intlist(1, false, Kind::Float) - 1.0).abs().max()).unwrap() < 1e-5);
            let (_, z) = bank.batch(&idx, &xb, TargetScale::Logits);
            assert_eq!(z.size(), [7, 3]);
        }
    }

    #[test]
    fn a_translation_bank_draws_what_random_translate_draws() {
        let _g = crate::neural::seeded_fit_lock();
        let x = images(9);
        let f = teacher();
        let views = Views::translations(9, 4, 4, 1).unwrap();
        let z = ViewBank::member_logits(&f, x.view(), &views, Device::Cpu, None).unwrap();
        let bank = ViewBank::new(views, x.view(), vec![z], Device::Cpu).unwrap();
        let idx = Tensor::from_slice(&[3i64, 8, 0, 3]);
        let xb = crate::neural::to_tensor(x.view(), Device::Cpu).index_select(0, &idx);
        tch::manual_seed(2);
        let (moved, q) = bank.batch(&idx, &xb, TargetScale::Probabilities { temperature: 1.0 });
        assert!(f64::try_from((&q - f(&moved).softmax(-1, Kind::Float)).abs().max()).unwrap() < 1e-5);
        // Every row is one of its image's 9 translations.
        for j in 0..4 {
            let row = moved.narrow(0, j, 1);
            let found = (0..9i64).any(|v| {
                let t = crate::augment::images::translate_by(&xb.narrow(0, j, 1), 4, 4, 1, &Tensor::from_slice(&[v / 3]), &Tensor::from_slice(&[v % 3]));
                bool::try_from(t.eq_tensor(&row).all()).unwrap()
            });
            assert!(found, "row {j}");
        }
    }

    #[test]
    fn a_two_pixel_bank_draws_one_pixel_translations_among_its_central_slots() {
        let _g = crate::neural::seeded_fit_lock();
        let views = Views::translations(9, 6, 6, 2).unwrap();
        let x6 = Array2::from_shape_fn((9, 36), |(i, j)| ((i * 5 + j * 7) % 13) as f32 / 13.0);
        let z = ViewBank::member_logits(&linear_teacher(36, 4), x6.view(), &views, Device::Cpu, None).unwrap();
        let bank = ViewBank::new(views, x6.view(), vec![z], Device::Cpu).unwrap();
        let idx = Tensor::from_slice(&[0i64, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        let xb = crate::neural::to_tensor(x6.view(), Device::Cpu).index_select(0, &idx);
        let slots = Tensor::from_slice(&Views::translation_slots(2, 1));
        tch::manual_seed(5);
        let (moved, q) = bank.batch_among(&idx, &xb, TargetScale::Probabilities { temperature: 1.0 }, &slots);
        assert!(f64::try_from((&q - linear_teacher(36, 4)(&moved).softmax(-1, Kind::Float)).abs().max()).unwrap() < 1e-5);
        // Every row is one of its image's 9 translations by at most one pixel, never a two-pixel one.
        let shifted = |j: i64, oy: i64, ox: i64| {
            crate::augment::images::translate_by(&xb.narrow(0, j, 1), 6, 6, 2, &Tensor::from_slice(&[oy]), &Tensor::from_slice(&[ox]))
        };
        for j in 0..idx.size()[0] {
            let row = moved.narrow(0, j, 1);
            let same = |oy: i64, ox: i64| bool::try_from(shifted(j, oy, ox).eq_tensor(&row).all()).unwrap();
            assert!((1..=3).any(|oy| (1..=3).any(|ox| same(oy, ox))), "row {j}");
        }
    }

    #[test]
    fn subsets_tables_and_the_cache_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let x = images(6);
        let views = || Views::sample(6, 4, 4, 2, &ViewRecipe { max_shift: 1, mix_fraction: 0.5, min_weight: 0.5, neighbours: 0 }, 1).unwrap();
        let z = ViewBank::member_logits(&teacher(), x.view(), &views(), Device::Cpu, None).unwrap();
        let bank = ViewBank::new(views(), x.view(), vec![z.copy()], Device::Cpu).unwrap();
        // The whole table: slot-major rows, probabilities that match the logits, 8-bit pixels of the views.
        let (px, p) = (bank.render_u8(None).unwrap(), bank.probs(1.0).unwrap());
        assert_eq!((px.dim(), p.dim()), ((12, 16), (12, 3)));
        assert_eq!(px.row(3).to_vec(), x.row(3).iter().map(|v| (v * 255.0).round() as u8).collect::<Vec<_>>(), "slot 0 is the image");
        let sub = bank.subset(&[5, 1]).unwrap();
        assert_eq!((sub.len(), sub.n_views()), (2, 4));
        let sp = sub.probs(1.0).unwrap();
        for (j, i) in [(0, 5), (1, 1), (2, 11), (3, 7)] {
            assert_eq!(sp.row(j), p.row(i), "subset view {j} is view {i}");
        }
        assert!(matches!(bank.subset(&[6]), Err(KdError::Shape(_))));
        assert!(matches!(bank.subset(&[]), Err(KdError::Empty(_))));
        assert!(matches!(ViewBank::new(views(), x.view(), vec![z.narrow(0, 0, 5)], Device::Cpu), Err(KdError::Shape(_))));
        assert!(matches!(ViewBank::new(views(), x.view(), vec![], Device::Cpu), Err(KdError::Empty(_))));
        let inf = z.copy();
        let _ = inf.get(7).get(2).fill_(f64::INFINITY);
        let err = ViewBank::new(views(), x.view(), vec![inf], Device::Cpu).unwrap_err();
        assert!(matches!(&err, KdError::NonFinite { row: 2, col: 3, .. }) && err.to_string().contains("view slot 1"), "{err}");
        // Cache round trip; a wrong file names itself and the flag that rebuilds it.
        let path = dir.path().join("views.safetensors");
        ViewBank::save_member(&z, &path).unwrap();
        assert!(bool::try_from(ViewBank::load_member(&path, &views(), 3, Device::Cpu).unwrap().eq_tensor(&z).all()).unwrap());
        let err = ViewBank::load_member(&path, &Views::translations(6, 4, 4, 1).unwrap(), 3, Device::Cpu).unwrap_err();
        assert!(err.to_string().contains("views.safetensors") && err.to_string().contains("delete it"), "{err}");
        std::fs::write(&path, b"not a safetensors file").unwrap();
        assert!(matches!(ViewBank::load_member(&path, &views(), 3, Device::Cpu), Err(KdError::Model { .. })));
        // Not 8-bit data: the table refuses to become bytes.
        let odd = x.mapv(|v| v + 0.001);
        let zo = ViewBank::member_logits(&teacher(), odd.view(), &views(), Device::Cpu, None).unwrap();
        assert!(ViewBank::new(views(), odd.view(), vec![zo], Device::Cpu).unwrap().render_u8(None).is_err());
    }
}
