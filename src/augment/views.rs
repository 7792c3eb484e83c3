//! Transfer *views* of a set of images: translations and mixtures of pairs, fixed by a seed, for
//! "function matching" (Beyer et al. 2022): the student is taught on many inputs that have no label,
//! each labelled by the teacher, and sees exactly the view the teacher labelled.
//!
//! A [`Views`] table holds `V` views of each of `n` images; view `r = v·n + i` belongs to image `i`:
//!
//! ```text
//! view_r = round₂₅₅( λ_r · shift(x_i, o_r) + (1 − λ_r) · shift(x_{m_r}, o'_r) )
//! ```
//!
//! with integer offsets `o, o' ∈ {−s..s}²` (zero fill), a partner image `m_r` and the image's own weight
//! `λ_r ∈ [0, 1]` (`λ = 1`: a plain translation). Rounding to multiples of 1/255 keeps 8-bit images
//! 8-bit ([`super::images::mix_8bit`]). [`Views::sample`] draws them from a [`ViewRecipe`]: view 0 of
//! every image is the image itself, the others are translations, and a fraction of them mixes in a
//! random partner with `λ ~ U(λ_min, 1)` (mild mixing: the view stays mostly its own image). The
//! partner is any other image, or with [`ViewRecipe::neighbours`] `= k` one of the image's `k` nearest
//! neighbours in pixel space ([`nearest_neighbours`], [`Views::sample_near`]): a mixture of two images
//! that look alike stays near the data, and where the two are of different classes it is exactly the
//! kind of input whose label only a teacher can give. [`Views::translations`] lists every translation once (the
//! `(2s+1)²` views a jittered student can meet). [`Views::render`] makes any views on any device;
//! [`ViewRecipe::draw`] draws fresh views per batch (on a GPU, with a live teacher).
//!
//! ```
//! use kdistill::augment::views::{ViewRecipe, Views};
//! use tch::{Device, Kind, Tensor};
//! let images = Tensor::rand([5, 9], (Kind::Float, Device::Cpu)); // five 3×3 images
//! let recipe = ViewRecipe { max_shift: 1, mix_fraction: 0.5, min_weight: 0.5, neighbours: 0 };
//! let views = Views::sample(5, 3, 3, 4, &recipe, 7)?;
//! assert_eq!((views.len(), views.n_images(), views.per_image()), (20, 5, 4));
//! // view 0 of each image is the image itself
//! let first = views.render(&images, &Tensor::arange(5, (Kind::Int64, Device::Cpu)));
//! assert!(bool::try_from(first.eq_tensor(&images).all()).unwrap());
//! # Ok::<(), kdistill::KdError>(())
//! ```
use super::images::{mix_8bit, translate_by};
use crate::error::{KdError, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

/// How views are drawn.
///
/// # Examples
///
/// ```
/// use kdistill::augment::views::ViewRecipe;
/// let r = ViewRecipe::translations(2);
/// assert_eq!((r.max_shift, r.mix_fraction), (2, 0.0));
/// r.check()?;
/// assert!(ViewRecipe { max_shift: 1, mix_fraction: 1.5, min_weight: 0.5, neighbours: 0 }.check().is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ViewRecipe {
    /// Largest translation in pixels on each axis (0: none).
    pub max_shift: usize,
    /// Fraction of the views (besides view 0) that mix in a random partner image, in [0, 1].
    pub mix_fraction: f32,
    /// Smallest weight `λ_min ∈ [0, 1]` of the own image in a mixture: `λ ~ U(λ_min, 1)`.
    pub min_weight: f32,
    /// Draw a mixture's partner among the image's `neighbours` nearest images (squared Euclidean
    /// distance in pixel space); 0: among all other images, uniformly. (Recipes written before the
    /// field existed read as 0.)
    #[serde(default)]
    pub neighbours: usize,
}

impl ViewRecipe {
    /// Translations by up to `max_shift` pixels, no mixing (label-preserving: the control that
    /// separates augmentation from the teacher).
    pub fn translations(max_shift: usize) -> Self {
        ViewRecipe { max_shift, mix_fraction: 0.0, min_weight: 0.5, neighbours: 0 }
    }

    /// Whether any view mixes two images (a label no longer applies).
    pub fn mixes(&self) -> bool {
        self.mix_fraction > 0.0
    }

    /// `mix_fraction` and `min_weight` in [0, 1].
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.mix_fraction) {
            return Err(KdError::param("mix_fraction", self.mix_fraction, "must be in [0, 1]"));
        }
        if !(0.0..=1.0).contains(&self.min_weight) {
            return Err(KdError::param("min_weight", self.min_weight, "must be in [0, 1]"));
        }
        Ok(())
    }

    /// Whether mixtures draw their partner among each image's nearest neighbours.
    pub fn near(&self) -> bool {
        self.mixes() && self.neighbours > 0
    }

    /// Fresh random views of the images `idx` (Int64 on the device) among `n_images`, drawn with
    /// libtorch's generator: every view is translated, and with probability `mix_fraction` mixed with a
    /// partner at `λ ~ U(min_weight, 1)`: uniform among the images, or, for a recipe with
    /// `neighbours > 0`, uniform in the image's row of `neighbours` (`n_images × k` Int64 on the device,
    /// from [`nearest_neighbours`]), which such a recipe then requires.
    pub fn draw(&self, idx: &Tensor, n_images: usize, neighbours: Option<&Tensor>) -> Result<ViewBatch> {
        let b = idx.size()[0];
        let dev = idx.device();
        let w = 2 * self.max_shift as i64 + 1;
        let off = || Tensor::randint(w, [b], (Kind::Int64, dev));
        let (oya, oxa, oyb, oxb) = (off(), off(), off(), off());
        let partner = match (self.near(), neighbours) {
            (false, _) => Tensor::randint(n_images as i64, [b], (Kind::Int64, dev)),
            (true, None) => return Err(KdError::param("neighbours", self.neighbours, "this recipe mixes neighbours: pass the neighbour table")),
            (true, Some(nb)) => {
                let k = nb.size()[1];
                nb.index_select(0, idx).gather(1, &Tensor::randint(k, [b, 1], (Kind::Int64, dev)), false).view([b])
            }
        };
        let m = self.min_weight as f64;
        let weight = Tensor::rand([b], (Kind::Float, dev)) * (1.0 - m) + m;
        let mixed = Tensor::rand([b], (Kind::Float, dev)).lt(self.mix_fraction as f64);
        let lam = Tensor::ones([b], (Kind::Float, dev)).where_self(&mixed.logical_not(), &weight);
        Ok(ViewBatch { image: idx.shallow_clone(), partner, offsets: [oya, oxa, oyb, oxb], lam })
    }
}

/// Views of a batch: each row's own image, partner, offsets (window starts `0..=2s`: the shift is
/// `s − o`) and own weight `λ`, as tensors on one device.
#[derive(Debug)]
pub struct ViewBatch {
    /// Own image of each view (Int64).
    pub image: Tensor,
    /// Partner image (Int64; irrelevant where `λ = 1`).
    pub partner: Tensor,
    /// Window offsets `(oy, ox)` of the own image, then of the partner (Int64 each).
    pub offsets: [Tensor; 4],
    /// Own weight `λ` (Float).
    pub lam: Tensor,
}

impl ViewBatch {
    /// The views as images (`B × rows·cols`), from `images` (`n × rows·cols`, on the same device).
    pub fn render(&self, images: &Tensor, rows: usize, cols: usize, max_shift: usize) -> Tensor {
        let [oya, oxa, oyb, oxb] = &self.offsets;
        let own = translate_by(&images.index_select(0, &self.image), rows, cols, max_shift, oya, oxa);
        let other = translate_by(&images.index_select(0, &self.partner), rows, cols, max_shift, oyb, oxb);
        // Plain translations stay exactly as they are (whatever the data's resolution).
        own.where_self(&self.lam.eq(1.0).view([-1, 1]), &mix_8bit(&own, &other, &self.lam))
    }
}

/// A fixed table of `V` views of each of `n` images (see the module docs). Cloning shares the tables.
#[derive(Debug)]
pub struct Views {
    n_images: usize,
    per_image: usize,
    rows: usize,
    cols: usize,
    max_shift: usize,
    /// Partner image of each view (Int64, `V·n`, CPU).
    partner: Tensor,
    /// Window offsets of the own image and of the partner (Int64, `V·n × 4`, CPU).
    offsets: Tensor,
    /// Own weight `λ` (Float, `V·n`, CPU).
    lam: Tensor,
}

impl Clone for Views {
    fn clone(&self) -> Self {
        Views {
            partner: self.partner.shallow_clone(),
            offsets: self.offsets.shallow_clone(),
            lam: self.lam.shallow_clone(),
            ..*self
        }
    }
}

impl Views {
    /// Every translation by up to `max_shift` pixels of each of `n` images, once: `V = (2s+1)²` views,
    /// view `v` shifted by window offsets `(v / (2s+1), v mod (2s+1))`.
    ///
    /// ```
    /// let v = kdistill::augment::views::Views::translations(10, 28, 28, 2)?;
    /// assert_eq!((v.per_image(), v.len()), (25, 250));
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn translations(n: usize, rows: usize, cols: usize, max_shift: usize) -> Result<Views> {
        let w = 2 * max_shift + 1;
        let per_image = w * w;
        let mut offsets = Vec::with_capacity(per_image * n * 4);
        for v in 0..per_image {
            let (oy, ox) = ((v / w) as i64, (v % w) as i64);
            for _ in 0..n {
                offsets.extend([oy, ox, oy, ox]);
            }
        }
        let partner: Vec<i64> = (0..per_image).flat_map(|_| 0..n as i64).collect();
        Views::from_parts(n, rows, cols, max_shift, per_image, partner, offsets, vec![1.0; per_image * n])
    }

    /// The view slots of [`Views::translations`]`(.., bank_shift)` that move an image by at most
    /// `max_shift` pixels on each axis (all of them when `max_shift ≥ bank_shift`), in slot order.
    ///
    /// ```
    /// use kdistill::augment::views::Views;
    /// assert_eq!(Views::translation_slots(1, 0), vec![4]);
    /// assert_eq!(Views::translation_slots(2, 1), vec![6, 7, 8, 11, 12, 13, 16, 17, 18]);
    /// assert_eq!(Views::translation_slots(2, 2), (0..25).collect::<Vec<i64>>());
    /// assert_eq!(Views::translation_slots(1, 3).len(), 9);
    /// ```
    pub fn translation_slots(bank_shift: usize, max_shift: usize) -> Vec<i64> {
        let (w, s) = (2 * bank_shift as i64 + 1, bank_shift as i64);
        let m = max_shift.min(bank_shift) as i64;
        (0..w * w).filter(|v| (v / w - s).abs() <= m && (v % w - s).abs() <= m).collect()
    }

    /// `per_image` views of each of `n` images drawn from `recipe` with `seed` (ChaCha8): view 0 is the
    /// image itself; every other view is a uniform translation, mixed with probability
    /// `recipe.mix_fraction` with a uniform random partner (another image) at `λ ~ U(min_weight, 1)`.
    /// A recipe that mixes neighbours needs the images: [`Views::sample_near`].
    pub fn sample(n: usize, rows: usize, cols: usize, per_image: usize, recipe: &ViewRecipe, seed: u64) -> Result<Views> {
        if recipe.near() {
            return Err(KdError::param("neighbours", recipe.neighbours, "a recipe that mixes neighbours needs the images: use Views::sample_near"));
        }
        Views::sample_from(n, rows, cols, per_image, recipe, seed, None)
    }

    /// [`Views::sample`] for the images themselves (`n × rows·cols`, any device): when the recipe mixes
    /// neighbours, each image's `recipe.neighbours` nearest other images ([`nearest_neighbours`]) are
    /// its possible partners; otherwise exactly [`Views::sample`].
    ///
    /// ```
    /// use kdistill::augment::views::{ViewRecipe, Views};
    /// use tch::{Device, Kind, Tensor};
    /// // Two clusters of 4 images: near partners never cross.
    /// let images = Tensor::cat(&[Tensor::zeros([4, 9], (Kind::Float, Device::Cpu)), Tensor::ones([4, 9], (Kind::Float, Device::Cpu))], 0)
    ///     + Tensor::rand([8, 9], (Kind::Float, Device::Cpu)) * 0.1;
    /// let recipe = ViewRecipe { max_shift: 0, mix_fraction: 1.0, min_weight: 0.5, neighbours: 3 };
    /// let v = Views::sample_near(&images, 3, 3, 5, &recipe, 1)?;
    /// assert_eq!(v.n_mixed(), 8 * 4);
    /// assert!(Views::sample(8, 3, 3, 5, &recipe, 1).is_err());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn sample_near(images: &Tensor, rows: usize, cols: usize, per_image: usize, recipe: &ViewRecipe, seed: u64) -> Result<Views> {
        let n = images.size().first().copied().unwrap_or(0) as usize;
        if !recipe.near() {
            return Views::sample(n, rows, cols, per_image, recipe, seed);
        }
        let nb = nearest_neighbours(images, recipe.neighbours)?;
        Views::sample_neighbours(n, rows, cols, per_image, recipe, seed, &nb)
    }

    /// [`Views::sample`], but a mixed view's partner is drawn uniformly from its own image's row of
    /// `neighbours` (`n` lists of other images' indices, e.g. from [`nearest_neighbours`]), whatever
    /// `recipe.neighbours` says.
    pub fn sample_neighbours(n: usize, rows: usize, cols: usize, per_image: usize, recipe: &ViewRecipe, seed: u64, neighbours: &[Vec<i64>]) -> Result<Views> {
        if neighbours.len() != n {
            return Err(KdError::Shape(format!("{} neighbour lists for {n} images", neighbours.len())));
        }
        if let Some((i, _)) = neighbours.iter().enumerate().find(|(i, l)| l.is_empty() || l.iter().any(|&j| j < 0 || j as usize >= n || j as usize == *i)) {
            return Err(KdError::param("neighbours", i + 1, format!("image {}'s neighbour list must be non-empty, other images among the {n}", i + 1)));
        }
        Views::sample_from(n, rows, cols, per_image, recipe, seed, Some(neighbours))
    }

    #[allow(clippy::too_many_arguments)]
    fn sample_from(n: usize, rows: usize, cols: usize, per_image: usize, recipe: &ViewRecipe, seed: u64, neighbours: Option<&[Vec<i64>]>) -> Result<Views> {
        recipe.check()?;
        if per_image == 0 {
            return Err(KdError::param("views per image", 0, "must be ≥ 1"));
        }
        let s = recipe.max_shift as i64;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let total = per_image * n;
        let (mut partner, mut offsets, mut lam) = (Vec::with_capacity(total), Vec::with_capacity(total * 4), Vec::with_capacity(total));
        for v in 0..per_image {
            for i in 0..n {
                if v == 0 {
                    partner.push(i as i64);
                    offsets.extend([s, s, s, s]);
                    lam.push(1.0f32);
                    continue;
                }
                offsets.extend((0..4).map(|_| rng.gen_range(0..=2 * s)));
                if n > 1 && rng.r#gen::<f32>() < recipe.mix_fraction {
                    // a partner other than the image itself
                    match neighbours {
                        Some(nb) => partner.push(nb[i][rng.gen_range(0..nb[i].len())]),
                        None => {
                            let m = rng.gen_range(0..n - 1);
                            partner.push((if m >= i { m + 1 } else { m }) as i64);
                        }
                    }
                    lam.push(rng.gen_range(recipe.min_weight..=1.0));
                } else {
                    partner.push(i as i64);
                    lam.push(1.0);
                }
            }
        }
        Views::from_parts(n, rows, cols, recipe.max_shift, per_image, partner, offsets, lam)
    }

    #[allow(clippy::too_many_arguments)]
    fn from_parts(n: usize, rows: usize, cols: usize, max_shift: usize, per_image: usize, partner: Vec<i64>, offsets: Vec<i64>, lam: Vec<f32>) -> Result<Views> {
        if n == 0 {
            return Err(KdError::Empty("views need at least one image".into()));
        }
        if rows == 0 || cols == 0 {
            return Err(KdError::param("image size", format!("{rows}×{cols}"), "must be at least 1×1"));
        }
        let total = (per_image * n) as i64;
        Ok(Views {
            n_images: n,
            per_image,
            rows,
            cols,
            max_shift,
            partner: Tensor::from_slice(&partner),
            offsets: Tensor::from_slice(&offsets).view([total, 4]),
            lam: Tensor::from_slice(&lam),
        })
    }

    /// Views in the table, `V·n`.
    pub fn len(&self) -> usize {
        self.per_image * self.n_images
    }
    /// Never true (a table has at least one image and one view per image).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Images `n`.
    pub fn n_images(&self) -> usize {
        self.n_images
    }
    /// Views per image `V`.
    pub fn per_image(&self) -> usize {
        self.per_image
    }
    /// Image height and width.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// Largest translation.
    pub fn max_shift(&self) -> usize {
        self.max_shift
    }
    /// Views that mix two images (`λ < 1`).
    pub fn n_mixed(&self) -> usize {
        i64::try_from(self.lam.lt(1.0).sum(Kind::Int64)).unwrap_or(0) as usize
    }

    /// The views `r` (Int64, any device) as a [`ViewBatch`] on `r`'s device.
    pub fn batch(&self, r: &Tensor) -> ViewBatch {
        let dev = r.device();
        let cpu = r.to_device(Device::Cpu);
        let pick = |t: &Tensor| t.index_select(0, &cpu).to_device(dev);
        let off = pick(&self.offsets);
        ViewBatch {
            image: r.remainder(self.n_images as i64),
            partner: pick(&self.partner),
            offsets: [0, 1, 2, 3].map(|c| off.select(1, c).contiguous()),
            lam: pick(&self.lam),
        }
    }

    /// Views `r` (Int64, on `images`' device) as 8-bit rows (`len(r) × rows·cols`): pixel `round(255·v)`
    /// of each view value `v ∈ [0, 1]`. For images of 8-bit data (pixels `p/255`), which the views keep
    /// 8-bit; other values are an error naming the views. `progress` labels a bar.
    pub fn render_u8(&self, images: &Tensor, r: &Tensor, progress: Option<&str>) -> Result<ndarray::Array2<u8>> {
        let d = images.size()[1] as usize;
        let mut out = ndarray::Array2::<u8>::zeros((r.size()[0] as usize, d));
        let mut lo = 0;
        self.render_u8_chunks(images, r, progress, |chunk| {
            out.slice_mut(ndarray::s![lo..lo + chunk.nrows(), ..]).assign(&chunk);
            lo += chunk.nrows();
            Ok(())
        })?;
        Ok(out)
    }

    /// [`Views::render_u8`] a chunk of rows at a time, in order: `sink` gets each chunk (8 192 rows or
    /// fewer) and it is dropped after, so the views are never held whole (bin them as they come with
    /// [`crate::student::tree::ByteBinner`]).
    pub fn render_u8_chunks(&self, images: &Tensor, r: &Tensor, progress: Option<&str>, mut sink: impl FnMut(ndarray::ArrayView2<u8>) -> Result<()>) -> Result<()> {
        let total = r.size()[0];
        let d = images.size()[1];
        let bar = crate::progress::bar(progress, total as u64);
        const CHUNK: i64 = 8192;
        for lo in (0..total).step_by(CHUNK as usize) {
            let len = CHUNK.min(total - lo);
            let x = self.render(images, &r.narrow(0, lo, len)).to_device(Device::Cpu) * 255.0;
            let px = x.round();
            let off = f64::try_from((&x - &px).abs().max()).unwrap_or(f64::NAN);
            let (min, max) = (f64::try_from(px.min()).unwrap_or(f64::NAN), f64::try_from(px.max()).unwrap_or(f64::NAN));
            if !(off < 1e-3 && min >= 0.0 && max <= 255.0) {
                return Err(KdError::param("images", "not 8-bit", format!("views {} to {} have values that are not multiples of 1/255 in [0, 1]", lo + 1, lo + len)));
            }
            let bytes = Vec::<u8>::try_from(px.to_kind(Kind::Uint8).contiguous().view([-1]))?;
            sink(ndarray::ArrayView2::from_shape((len as usize, d as usize), &bytes).expect("len × d bytes"))?;
            bar.inc(len as u64);
        }
        bar.finish_and_clear();
        Ok(())
    }

    /// Views `r` (Int64, on `images`' device) as images (`B × rows·cols`); `images` is the `n × rows·cols`
    /// table the views were made for.
    pub fn render(&self, images: &Tensor, r: &Tensor) -> Tensor {
        self.batch(r).render(images, self.rows, self.cols, self.max_shift)
    }
}

/// The `k` nearest other images of every image (rows of `images`, `n × d`, any device) by squared
/// Euclidean distance, nearest first: `n` lists of `k` indices. Exact, by blocks of
/// `‖a‖² + ‖b‖² − 2a·b` on the images' device (`O(n²·d)` work, `O(n·k)` memory beside a block of at
/// most 2²⁶ distances); ties go to the order libtorch's `topk` gives.
///
/// ```
/// use kdistill::augment::views::nearest_neighbours;
/// use tch::Tensor;
/// let x = Tensor::from_slice(&[0.0f32, 1.0, 10.0, 12.0]).view([4, 1]);
/// assert_eq!(nearest_neighbours(&x, 2)?, vec![vec![1, 2], vec![0, 2], vec![3, 1], vec![2, 1]]);
/// assert!(nearest_neighbours(&x, 4).is_err());
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub fn nearest_neighbours(images: &Tensor, k: usize) -> Result<Vec<Vec<i64>>> {
    let size = images.size();
    if size.len() != 2 {
        return Err(KdError::Shape(format!("nearest neighbours of images need an n × d table, got {size:?}")));
    }
    let n = size[0];
    if k == 0 || k as i64 >= n {
        return Err(KdError::param("neighbours", k, format!("must be in 1..{n} for {n} images")));
    }
    let x = images.to_kind(Kind::Float);
    let sq = (&x * &x).sum_dim_intlist(1, false, Kind::Float);
    let block = ((1i64 << 26) / n).clamp(1, n);
    let mut out = Vec::with_capacity(n as usize);
    tch::no_grad(|| -> Result<()> {
        for lo in (0..n).step_by(block as usize) {
            let len = block.min(n - lo);
            let d = sq.narrow(0, lo, len).view([-1, 1]) + sq.view([1, -1]) - x.narrow(0, lo, len).matmul(&x.tr()) * 2.0;
            let own = Tensor::arange_start(lo, lo + len, (Kind::Int64, x.device())).view([-1, 1]);
            let (_, top) = d.scatter_value(1, &own, f64::INFINITY).topk(k as i64, 1, false, true);
            let top = Vec::<i64>::try_from(top.to_device(Device::Cpu).contiguous().view([-1]))?;
            out.extend(top.chunks(k).map(|r| r.to_vec()));
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: i64) -> Tensor {
        (Tensor::arange(n * 9, (Kind::Float, Device::Cpu)).view([n, 9]).remainder(13) * 17.0) / 255.0
    }

    #[test]
    fn translations_list_every_offset_once_per_image() {
        let v = Views::translations(4, 3, 3, 1).unwrap();
        assert_eq!((v.len(), v.n_mixed()), (36, 0));
        let x = images(4);
        // View 4 (offsets (1, 1): the centre) of every image is the image itself.
        let centre = v.render(&x, &Tensor::from_slice(&[16i64, 17, 18, 19]));
        assert!(bool::try_from(centre.eq_tensor(&x).all()).unwrap());
        // View 0 of image 2 is image 2 shifted down and right by one pixel.
        let moved = v.render(&x, &Tensor::from_slice(&[2i64]));
        let want = translate_by(&x.narrow(0, 2, 1), 3, 3, 1, &Tensor::from_slice(&[0i64]), &Tensor::from_slice(&[0i64]));
        assert!(bool::try_from(moved.eq_tensor(&want).all()).unwrap());
    }

    #[test]
    fn sampled_views_are_seeded_mixed_as_asked_and_8_bit() {
        let recipe = ViewRecipe { max_shift: 2, mix_fraction: 0.5, min_weight: 0.25, neighbours: 0 };
        let a = Views::sample(50, 3, 3, 9, &recipe, 1).unwrap();
        let b = Views::sample(50, 3, 3, 9, &recipe, 1).unwrap();
        let x = images(50);
        let all = Tensor::arange(a.len() as i64, (Kind::Int64, Device::Cpu));
        let (ra, rb) = (a.render(&x, &all), b.render(&x, &all));
        assert!(bool::try_from(ra.eq_tensor(&rb).all()).unwrap(), "same seed, same views");
        // About half of the 8 non-identity views per image mix: 400 draws, mean 200.
        let mixed = a.n_mixed();
        assert!((150..250).contains(&mixed), "{mixed}");
        let px = &ra * 255.0;
        assert!(f64::try_from((&px - px.round()).abs().max()).unwrap() < 1e-3, "8-bit images stay 8-bit");
        // No view mixes an image with itself.
        let own = Tensor::arange(a.len() as i64, (Kind::Int64, Device::Cpu)).remainder(50);
        let selfmix = a.partner.eq_tensor(&own).logical_and(&a.lam.lt(1.0));
        assert!(!bool::try_from(selfmix.any()).unwrap());
        let c = Views::sample(50, 3, 3, 9, &ViewRecipe::translations(2), 1).unwrap();
        assert_eq!(c.n_mixed(), 0);
        assert!(Views::sample(50, 3, 3, 0, &recipe, 1).is_err());
        assert!(Views::sample(0, 3, 3, 2, &recipe, 1).is_err());
    }

    #[test]
    fn drawn_batches_follow_the_recipe() {
        tch::manual_seed(5);
        let x = images(20);
        let idx = Tensor::arange(20, (Kind::Int64, Device::Cpu)).repeat([50]);
        let plain = ViewRecipe::translations(1).draw(&idx, 20, None).unwrap();
        assert!(bool::try_from(plain.lam.eq(1.0).all()).unwrap());
        let mixed = ViewRecipe { max_shift: 1, mix_fraction: 1.0, min_weight: 0.6, neighbours: 0 }.draw(&idx, 20, None).unwrap();
        let lam = Vec::<f32>::try_from(&mixed.lam).unwrap();
        assert!(lam.iter().all(|&l| (0.6..=1.0).contains(&l)));
        let mean = lam.iter().sum::<f32>() / lam.len() as f32;
        assert!((mean - 0.8).abs() < 0.02, "U(0.6, 1) has mean 0.8: {mean}");
        assert_eq!(mixed.render(&x, 3, 3, 1).size(), [1000, 9]);
    }

    #[test]
    fn nearest_neighbours_match_a_brute_force_scan() {
        let x = Tensor::rand([300, 7], (Kind::Float, Device::Cpu));
        let nb = nearest_neighbours(&x, 5).unwrap();
        let v = Vec::<f32>::try_from(x.contiguous().view([-1])).unwrap();
        let d = |i: usize, j: usize| (0..7).map(|c| (v[i * 7 + c] - v[j * 7 + c]).powi(2)).sum::<f32>();
        for (i, row) in nb.iter().enumerate() {
            let mut want: Vec<usize> = (0..300).filter(|&j| j != i).collect();
            want.sort_by(|&a, &b| d(i, a).total_cmp(&d(i, b)));
            let got: Vec<usize> = row.iter().map(|&j| j as usize).collect();
            // The same distances in the same order (indices may differ only on exact ties).
            let gd: Vec<f32> = got.iter().map(|&j| d(i, j)).collect();
            let wd: Vec<f32> = want[..5].iter().map(|&j| d(i, j)).collect();
            assert!(gd.iter().zip(&wd).all(|(a, b)| (a - b).abs() < 1e-4), "row {i}: {got:?} vs {:?}", &want[..5]);
            assert!(!got.contains(&i));
        }
        assert!(nearest_neighbours(&x, 0).is_err());
        assert!(nearest_neighbours(&x.view([-1]), 1).is_err());
    }

    #[test]
    fn near_mixtures_take_their_partner_from_the_neighbour_lists() {
        let nb: Vec<Vec<i64>> = (0..30i64).map(|i| vec![(i + 1) % 30, (i + 29) % 30]).collect();
        let recipe = ViewRecipe { max_shift: 1, mix_fraction: 0.7, min_weight: 0.5, neighbours: 2 };
        let v = Views::sample_neighbours(30, 3, 3, 6, &recipe, 3, &nb).unwrap();
        let partner = Vec::<i64>::try_from(&v.partner).unwrap();
        let lam = Vec::<f32>::try_from(&v.lam).unwrap();
        for (r, (&p, &l)) in partner.iter().zip(&lam).enumerate() {
            let i = (r % 30) as i64;
            if l < 1.0 {
                assert!(p == (i + 1) % 30 || p == (i + 29) % 30, "view {r}: partner {p} of image {i}");
            }
        }
        assert!(v.n_mixed() > 60, "{}", v.n_mixed());
        // Seeded; bad tables are refused.
        let w = Views::sample_neighbours(30, 3, 3, 6, &recipe, 3, &nb).unwrap();
        assert_eq!(partner, Vec::<i64>::try_from(&w.partner).unwrap());
        assert!(Views::sample_neighbours(30, 3, 3, 6, &recipe, 3, &nb[..29]).is_err());
        let mut own = nb.clone();
        own[4] = vec![4];
        assert!(Views::sample_neighbours(30, 3, 3, 6, &recipe, 3, &own).is_err());
        own[4] = vec![];
        assert!(Views::sample_neighbours(30, 3, 3, 6, &recipe, 3, &own).is_err());
        // Drawn batches too.
        tch::manual_seed(2);
        let idx = Tensor::arange(30, (Kind::Int64, Device::Cpu)).repeat([20]);
        let table = Tensor::from_slice(&nb.concat()).view([30, 2]);
        assert!(recipe.draw(&idx, 30, None).is_err());
        let b = recipe.draw(&idx, 30, Some(&table)).unwrap();
        let (img, par) = (Vec::<i64>::try_from(&b.image).unwrap(), Vec::<i64>::try_from(&b.partner).unwrap());
        assert!(img.iter().zip(&par).all(|(&i, &p)| p == (i + 1) % 30 || p == (i + 29) % 30));
    }
}
