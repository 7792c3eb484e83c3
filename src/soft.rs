//! Soft targets: temperature-softened class probabilities.
//!
//! For logits `z` and temperature `T > 0`, `q_i = exp(z_i / T) / Σ_j exp(z_j / T)` (Hinton et al. 2015).
//! `T = 1` is the ordinary softmax; larger `T` spreads mass over the wrong classes ("dark knowledge");
//! `T → 0` approaches one-hot argmax. A teacher that only gives probabilities `p` is softened with the
//! same formula applied to `z = ln p`, i.e. `q_i ∝ p_i^{1/T}`.
//!
//! The computation subtracts the row maximum first, so large logits never overflow.
//!
//! ```
//! use kdistill::soft::softmax_t;
//! use ndarray::array;
//! let q = softmax_t(array![[0.0f32, (2.0f32).ln()]].view(), 1.0).unwrap();
//! assert!((q[[0, 0]] - 1.0 / 3.0).abs() < 1e-6 && (q[[0, 1]] - 2.0 / 3.0).abs() < 1e-6);
//! ```
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2, Axis};


/// Row-wise `softmax(z / T)`.
///
/// # Examples
///
/// ```
/// use kdistill::soft::softmax_t;
/// let z = ndarray::array![[1.0f32, 2.0, 3.0]];
/// let q1 = softmax_t(z.view(), 1.0).unwrap();
/// let q5 = softmax_t(z.view(), 5.0).unwrap();
/// assert!((q1.sum() - 1.0).abs() < 1e-6);
/// assert!(q5[[0, 2]] < q1[[0, 2]]); // a higher temperature is flatter
/// ```
pub fn softmax_t(logits: ArrayView2<f32>, t: f32) -> Result<Array2<f32>> {
    crate::base::check_temperature(t)?;
    crate::base::check_finite(logits, "logits")?;
    Ok(exp_normalise(logits, |z, m| ((z - m) / t).exp(), f32::NEG_INFINITY))
}

/// Soften probabilities with temperature `T`: `q ∝ p^{1/T}` (= `softmax(ln p / T)`). `T = 1` returns `p`
/// renormalised. Zero probabilities stay zero.
///
/// # Examples
///
/// ```
/// use kdistill::soft::soften_probs;
/// let p = ndarray::array![[0.2f32, 0.8, 0.0]];
/// let q = soften_probs(p.view(), 2.0).unwrap(); // ∝ [√0.2, √0.8, 0] = [1/3, 2/3, 0]
/// assert!((q[[0, 0]] - 1.0 / 3.0).abs() < 1e-6 && (q[[0, 1]] - 2.0 / 3.0).abs() < 1e-6);
/// assert_eq!(q[[0, 2]], 0.0);
/// ```
pub fn soften_probs(p: ArrayView2<f32>, t: f32) -> Result<Array2<f32>> {
    crate::base::check_temperature(t)?;
    // (p / max)^{1/T} in log space, so tiny p with small T don't underflow to an all-zero row.
    Ok(exp_normalise(p, |v, m| if v > 0.0 { ((v.ln() - m.max(f32::MIN_POSITIVE).ln()) / t).exp() } else { 0.0 }, 0.0))
}

/// Map each entry `v` of a row with maximum `m` to `f(v, m)`, then divide the row by its sum.
fn exp_normalise(x: ArrayView2<f32>, f: impl Fn(f32, f32) -> f32, init: f32) -> Array2<f32> {
    let mut out = x.to_owned();
    for mut row in out.axis_iter_mut(Axis(0)) {
        let m = row.iter().cloned().fold(init, f32::max);
        let mut s = 0.0f64;
        for v in row.iter_mut() {
            *v = f(*v, m);
            s += *v as f64;
        }
        let s = s as f32;
        row.mapv_inplace(|v| v / s);
    }
    out
}



/// Mean KL divergence `KL(p ‖ q) = Σ p ln(p/q)` over rows (nats); `q` is clamped at 1e-12.
///
/// # Examples
///
/// ```
/// use kdistill::soft::mean_kl;
/// use ndarray::array;
/// let p = array![[0.5f32, 0.5]];
/// assert!(mean_kl(p.view(), p.view()).unwrap().abs() < 1e-12);
/// let k = mean_kl(p.view(), array![[0.25f32, 0.75]].view()).unwrap();
/// assert!((k - (0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln())).abs() < 1e-6);
/// ```
pub fn mean_kl(p: ArrayView2<f32>, q: ArrayView2<f32>) -> Result<f64> {
    if p.dim() != q.dim() {
        return Err(KdError::Shape(format!("KL: p is {:?}, q is {:?}", p.dim(), q.dim())));
    }
    if p.nrows() == 0 {
        return Err(KdError::Empty("KL of zero rows".into()));
    }
    let mut total = 0.0f64;
    for (a, b) in p.iter().zip(q.iter()) {
        if *a > 0.0 {
            total += *a as f64 * ((*a as f64).ln() - (b.max(1e-12) as f64).ln());
        }
    }
    Ok(total / p.nrows() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn softmax_hand_computed() {
        // z = [1, 2, 3], T = 2: exp([0.5, 1, 1.5]) / sum = [0.186324, 0.307196, 0.506480]
        let q = softmax_t(array![[1.0f32, 2.0, 3.0]].view(), 2.0).unwrap();
        let want = [0.186_324_f32, 0.307_196, 0.506_480];
        for j in 0..3 {
            assert!((q[[0, j]] - want[j]).abs() < 1e-5, "{q:?}");
        }
        // T = 1 on [0, ln 3] → [1/4, 3/4]
        let q = softmax_t(array![[0.0f32, 3f32.ln()]].view(), 1.0).unwrap();
        assert!((q[[0, 0]] - 0.25).abs() < 1e-6);
    }

    #[test]
    fn softmax_is_stable_for_huge_logits() {
        let q = softmax_t(array![[1000.0f32, 1000.0], [-1e4, 0.0]].view(), 1.0).unwrap();
        assert!((q[[0, 0]] - 0.5).abs() < 1e-6);
        assert!(q[[1, 1]] > 0.999_999);
    }

    #[test]
    fn high_temperature_flattens_low_sharpens() {
        let z = array![[0.0f32, 1.0, 4.0]];
        let hot = softmax_t(z.view(), 100.0).unwrap();
        let cold = softmax_t(z.view(), 0.05).unwrap();
        assert!(hot.iter().all(|&v| (v - 1.0 / 3.0).abs() < 0.02));
        assert!(cold[[0, 2]] > 0.9999);
    }

    #[test]
    fn soften_probs_matches_softmax_of_log() {
        let p = array![[0.1f32, 0.2, 0.7]];
        let a = soften_probs(p.view(), 3.0).unwrap();
        let b = softmax_t(p.mapv(f32::ln).view(), 3.0).unwrap();
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((x - y).abs() < 1e-6);
        }
        let same = soften_probs(p.view(), 1.0).unwrap();
        assert!((same[[0, 2]] - 0.7).abs() < 1e-6);
    }

    #[test]
    fn bad_temperature_is_an_error() {
        for t in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
            let e = softmax_t(array![[0.0f32, 1.0]].view(), t).unwrap_err();
            assert!(e.to_string().contains("temperature"), "{e}");
        }
    }

    #[test]
    fn kl_hand_computed() {
        // KL([.5,.5] || [.25,.75]) = .5 ln 2 + .5 ln(2/3)
        let k = mean_kl(array![[0.5f32, 0.5]].view(), array![[0.25f32, 0.75]].view()).unwrap();
        let want = 0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln();
        assert!((k - want).abs() < 1e-6);
    }
}
