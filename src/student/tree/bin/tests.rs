//! Tests of [`super`] (bin).
use super::*;
use ndarray::Array2;

#[test]
fn exact_bins_for_few_distinct_values() {
    let x = Array2::from_shape_fn((300, 1), |(i, _)| ((i * 7) % 256) as f32);
    let b = BinnedMatrix::new(x.view(), 256).unwrap();
    assert_eq!(b.n_bins(0), 256);
    for (i, &c) in b.column(0).iter().enumerate() {
        assert_eq!(c as usize, (i * 7) % 256);
    }
}

#[test]
fn quantile_bins_keep_order_and_route_like_thresholds() {
    let x = Array2::from_shape_fn((1000, 1), |(i, _)| ((i * 37) % 1000) as f32 * 0.013 - 3.0);
    let b = BinnedMatrix::new(x.view(), 16).unwrap();
    let fb = b.bins(0);
    assert_eq!(fb.len(), 16);
    // Bins are ascending and disjoint, each bin the same number of distinct values.
    for k in 0..16 {
        assert!(fb.lo[k] <= fb.hi[k]);
        if k > 0 {
            assert!(fb.hi[k - 1] < fb.lo[k]);
        }
    }
    let codes = b.column(0);
    for bb in 0..15 {
        let t = fb.threshold_between(bb, bb + 1);
        for (i, &c) in codes.iter().enumerate() {
            assert_eq!(x[[i, 0]] <= t, c as usize <= bb);
        }
    }
    let mut counts = [0usize; 16];
    codes.iter().for_each(|&c| counts[c as usize] += 1);
    assert!(counts.iter().all(|&c| c == 1000 / 16 || c == 1000 / 16 + 1), "{counts:?}");
}

#[test]
fn midpoint_of_adjacent_floats_stays_below() {
    let a = 1.0f32;
    let b = f32::from_bits(a.to_bits() + 1);
    let m = midpoint(a, b);
    assert!(a <= m && m < b);
    assert_eq!(midpoint(0.0, 2.0), 1.0);
}

#[test]
fn rejects_bad_input() {
    let x = ndarray::array![[0.0f32, f32::NAN]];
    assert!(matches!(BinnedMatrix::new(x.view(), 256), Err(KdError::NonFinite { row: 1, col: 2, .. })));
    assert!(matches!(BinnedMatrix::new(Array2::<f32>::zeros((0, 3)).view(), 256), Err(KdError::Empty(_))));
    assert!(matches!(BinnedMatrix::new(Array2::<f32>::zeros((2, 3)).view(), 300), Err(KdError::InvalidParam { .. })));
}

#[test]
fn hash_path_matches_sort_path_and_finds_the_dominant_code() {
    let col: Vec<f32> = (0..2000).map(|i| if i % 3 == 0 { ((i * 31) % 97) as f32 / 7.0 - 3.0 } else { 0.5 }).collect();
    let mut a = vec![0u8; col.len()];
    let fa = hash_bins(&col, 256, &mut a).unwrap();
    let fb = sorted_bins(&col, 256, &mut Vec::new());
    assert_eq!(fa, fb);
    let b: Vec<u8> = col.iter().map(|&v| fb.code(v)).collect();
    assert_eq!(a, b);
    assert!(hash_bins(&col, 50, &mut a).is_none());
    let x = ndarray::Array2::from_shape_vec((col.len(), 1), col.clone()).unwrap();
    let m = BinnedMatrix::new(x.view(), 256).unwrap();
    assert_eq!(m.bins(0).lo[m.dominant_code(0) as usize], 0.5);
    // More distinct values than bins: the sort path, same dominant logic.
    let m = BinnedMatrix::new(x.view(), 16).unwrap();
    assert_eq!(m.n_bins(0), 16);
    let dom = m.dominant_code(0) as usize;
    assert!(m.bins(0).lo[dom] <= 0.5 && 0.5 <= m.bins(0).hi[dom]);
}

#[test]
fn negative_zero_is_zero() {
    let x = ndarray::array![[-0.0f32], [0.0], [3.0], [-2.0], [3.0]];
    let b = BinnedMatrix::new(x.view(), 256).unwrap();
    assert_eq!(b.n_bins(0), 3);
    assert_eq!(b.column(0), &[1, 1, 2, 0, 2]);
}
