//! Image augmentations on tensors (`B × rows·cols`, row-major, on any device, seeded by libtorch's
//! generator): integer translations with zero fill, and mixing two images of 8-bit data.
//!
//! **Translation** ([`translate_by`], [`random_translate`]): image `i` is shifted by an integer offset
//! `(dy, dx) ∈ {−s..s}²`, filling with zeros (MNIST's background), as in Hinton et al.'s teacher
//! ("jittered by up to two pixels in any direction"). Implemented with two `gather`s on a zero-padded
//! batch, so it runs on the device.
//!
//! **Mixing** ([`mix_8bit`]): `λ·a + (1 − λ)·b` rounded to the nearest multiple of 1/255, so a mixed
//! image is again an 8-bit image (pixels `p/255`): trees can bin it exactly, and the teacher labels the
//! very image a student sees.
//!
//! ```
//! use kdistill::augment::images::random_translate;
//! use tch::{Device, Kind, Tensor};
//! let x = Tensor::ones([3, 16], (Kind::Float, Device::Cpu)); // three 4×4 images of ones
//! let y = random_translate(&x, 4, 4, 0);                      // shift 0: unchanged
//! assert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![1.0; 48]);
//! ```
use tch::{Kind, Tensor};

/// Shift every image of `x` (`B × rows·cols`) by a random integer offset in `−max_shift..=max_shift` on
/// both axes, zero-filling. Returns a new `B × rows·cols` tensor on the same device.
pub fn random_translate(x: &Tensor, rows: usize, cols: usize, max_shift: usize) -> Tensor {
    let b = x.size()[0];
    let s = max_shift as i64;
    if s == 0 || b == 0 {
        return x.shallow_clone();
    }
    let dev = x.device();
    let oy = Tensor::randint(2 * s + 1, [b], (Kind::Int64, dev));
    let ox = Tensor::randint(2 * s + 1, [b], (Kind::Int64, dev));
    translate_by(x, rows, cols, max_shift, &oy, &ox)
}

/// Shift image `i` of `x` (`B × rows·cols`) by the given window offsets `oy[i], ox[i] ∈ 0..=2·max_shift`
/// (Int64, length `B`, on `x`'s device): the image moves by `max_shift − o` pixels on each axis (down /
/// right for positive), zero-filling. [`random_translate`] is this with uniform random offsets.
///
/// ```
/// use kdistill::augment::images::translate_by;
/// use tch::{Device, Kind, Tensor};
/// let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).view([1, 4]); // one 2×2 image [[1, 2], [3, 4]]
/// let o = |v: i64| Tensor::from_slice(&[v]);
/// let down_right = translate_by(&x, 2, 2, 1, &o(0), &o(0));             // offset 0: shift by +1, +1
/// assert_eq!(Vec::<f32>::try_from(down_right.view([-1])).unwrap(), vec![0.0, 0.0, 0.0, 1.0]);
/// let same = translate_by(&x, 2, 2, 1, &o(1), &o(1));                   // offset s: unchanged
/// assert_eq!(Vec::<f32>::try_from(same.view([-1])).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
/// ```
pub fn translate_by(x: &Tensor, rows: usize, cols: usize, max_shift: usize, oy: &Tensor, ox: &Tensor) -> Tensor {
    let b = x.size()[0];
    let (r, c, s) = (rows as i64, cols as i64, max_shift as i64);
    if s == 0 || b == 0 {
        return x.shallow_clone();
    }
    let dev = x.device();
    let padded = x.view([b, r, c]).constant_pad_nd([s, s, s, s]); // B × (r+2s) × (c+2s)
    // Offsets in 0..=2s select the window start; s − offset is the shift.
    let ri = (oy.view([b, 1]) + Tensor::arange(r, (Kind::Int64, dev)).view([1, r])).view([b, r, 1]).expand([b, r, c + 2 * s], false);
    let rows_sel = padded.gather(1, &ri, false); // B × r × (c+2s)
    let ci = (ox.view([b, 1]) + Tensor::arange(c, (Kind::Int64, dev)).view([1, c])).view([b, 1, c]).expand([b, r, c], false);
    rows_sel.gather(2, &ci, false).view([b, r * c])
}


/// `λ_i·a_i + (1 − λ_i)·b_i` for every row, rounded to the nearest multiple of 1/255 (8-bit data stays
/// 8-bit). `a`, `b`: `B × d`; `lam`: `B` (Float, in [0, 1]).
///
/// ```
/// use kdistill::augment::images::mix_8bit;
/// use tch::Tensor;
/// let a = Tensor::from_slice(&[1.0f32, 0.0]).view([1, 2]);
/// let b = Tensor::from_slice(&[0.0f32, 100.0 / 255.0]).view([1, 2]);
/// let m = mix_8bit(&a, &b, &Tensor::from_slice(&[0.3f32]));
/// // 0.3·255 = 76.5 rounds to a neighbouring 8-bit value; 0.7·100 = 70
/// let px: Vec<f32> = Vec::try_from(m.view([-1]) * 255.0).unwrap();
/// assert!(px.iter().all(|v| (v - v.round()).abs() < 1e-4));
/// assert!((px[1] - 70.0).abs() < 1e-4);
/// ```
pub fn mix_8bit(a: &Tensor, b: &Tensor, lam: &Tensor) -> Tensor {
    let l = lam.view([-1, 1]);
    let mixed = a * &l + b * (1.0f64 - &l);
    (mixed * 255.0).round() / 255.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn translate_moves_a_single_pixel_by_at_most_the_shift() {
        let _g = crate::neural::seeded_fit_lock();
        tch::manual_seed(3);
        // 200 copies of a 7×7 image with one bright pixel in the centre (3, 3).
        let mut img = [0f32; 49];
        img[3 * 7 + 3] = 1.0;
        let x = Tensor::from_slice(&img.repeat(200)).view([200, 49]);
        let y = random_translate(&x, 7, 7, 2);
        let v = Vec::<f32>::try_from(y.view([-1])).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for b in 0..200 {
            let row = &v[b * 49..(b + 1) * 49];
            assert_eq!(row.iter().sum::<f32>(), 1.0, "the pixel stays inside");
            let p = row.iter().position(|&u| u == 1.0).unwrap();
            let (r, c) = ((p / 7) as i64, (p % 7) as i64);
            assert!((r - 3).abs() <= 2 && (c - 3).abs() <= 2);
            seen.insert((r, c));
        }
        assert_eq!(seen.len(), 25, "all 25 offsets occur in 200 draws");
    }

    #[test]
    fn translate_zero_fills_at_the_border() {
        let _g = crate::neural::seeded_fit_lock();
        tch::manual_seed(0);
        let x = Tensor::ones([500, 9], (Kind::Float, Device::Cpu));
        let y = random_translate(&x, 3, 3, 1);
        let v = Vec::<f32>::try_from(y.view([-1])).unwrap();
        // Each 3×3 image keeps 9, 6 or 4 ones depending on the shift.
        for b in 0..500 {
            let s: f32 = v[b * 9..(b + 1) * 9].iter().sum();
            assert!([4.0, 6.0, 9.0].contains(&s), "{s}");
        }
    }
}
