//! Regression-tracking benchmark of the tree alone (issue 5): synthetic MNIST-like data, 784 integer
//! features in 0..=255, 10 soft outputs, 10 000 and 60 000 rows.
//!
//! `cargo bench --bench tree` (divan). The comparison with scikit-learn is `bash scripts/bench.sh`.
use kdistill::student::tree::{BinnedMatrix, TreeParams};
use ndarray::{Array2, Axis};
use rand::{Rng, SeedableRng};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

const D: usize = 784;
const K: usize = 10;

/// Rows are noisy copies of 10 random "prototype" images (sparse, like digits); the targets are a
/// softmax of a fixed linear function of the pixels.
fn data(n: usize) -> (Array2<f32>, Array2<f32>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let protos: Vec<Vec<f32>> =
        (0..K).map(|_| (0..D).map(|_| if rng.r#gen::<f32>() < 0.2 { rng.gen_range(64.0..255.0f32) } else { 0.0 }).collect()).collect();
    let w: Vec<f32> = (0..D * K).map(|_| rng.gen_range(-1.0..1.0f32) / 255.0).collect();
    let x = Array2::from_shape_fn((n, D), |(i, j)| {
        let p = protos[i % K][j];
        let v = if p > 0.0 { p + rng.gen_range(-60.0..60.0f32) } else if rng.r#gen::<f32>() < 0.03 { rng.gen_range(0.0..200.0f32) } else { 0.0 };
        v.clamp(0.0, 255.0).floor()
    });
    let mut y = Array2::<f32>::zeros((n, K));
    for (xr, mut yr) in x.axis_iter(Axis(0)).zip(y.axis_iter_mut(Axis(0))) {
        for k in 0..K {
            yr[k] = xr.iter().enumerate().map(|(j, &v)| v * w[j * K + k]).sum::<f32>();
        }
        let m = yr.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        yr.mapv_inplace(|v| (v - m).exp());
        let s = yr.sum();
        yr /= s;
    }
    (x, y)
}

fn cached(n: usize) -> &'static (Array2<f32>, Array2<f32>, BinnedMatrix) {
    static S10: OnceLock<(Array2<f32>, Array2<f32>, BinnedMatrix)> = OnceLock::new();
    static S60: OnceLock<(Array2<f32>, Array2<f32>, BinnedMatrix)> = OnceLock::new();
    let cell = if n == 10_000 { &S10 } else { &S60 };
    cell.get_or_init(|| {
        let (x, y) = data(n);
        let b = BinnedMatrix::new(x.view(), 256).unwrap();
        (x, y, b)
    })
}

#[divan::bench(args = [10_000, 60_000], sample_count = 3, sample_size = 1)]
fn bin(bencher: divan::Bencher, n: usize) {
    let (x, _, _) = cached(n);
    bencher.bench(|| BinnedMatrix::new(x.view(), 256).unwrap());
}

#[divan::bench(args = [10_000, 60_000], sample_count = 3, sample_size = 1)]
fn fit_depth8(bencher: divan::Bencher, n: usize) {
    let (_, y, b) = cached(n);
    let p = TreeParams::default().max_depth(Some(8));
    bencher.bench(|| p.fit_binned(b, y.view(), None).unwrap());
}

#[divan::bench(args = [10_000, 60_000], sample_count = 3, sample_size = 1)]
fn fit_unlimited(bencher: divan::Bencher, n: usize) {
    let (_, y, b) = cached(n);
    let p = TreeParams::default();
    bencher.bench(|| p.fit_binned(b, y.view(), None).unwrap());
}

#[divan::bench(args = [10_000, 60_000], sample_count = 3, sample_size = 1)]
fn fit_256_leaves(bencher: divan::Bencher, n: usize) {
    let (_, y, b) = cached(n);
    let p = TreeParams::default().max_leaves(Some(256));
    bencher.bench(|| p.fit_binned(b, y.view(), None).unwrap());
}

#[divan::bench(args = [10_000, 60_000], sample_count = 10)]
fn predict_unlimited_tree(bencher: divan::Bencher, n: usize) {
    let (x, y, b) = cached(n);
    let tree = TreeParams::default().fit_binned(b, y.view(), None).unwrap();
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(|| tree.predict_proba(x.view()).unwrap());
}

/// The same tree compiled for bytes (`Tree::for_bytes`), predicting from the pixels as `u8`.
#[divan::bench(args = [10_000, 60_000], sample_count = 10)]
fn predict_unlimited_tree_bytes(bencher: divan::Bencher, n: usize) {
    let (x, y, b) = cached(n);
    let tree = TreeParams::default().fit_binned(b, y.view(), None).unwrap().for_bytes(|v| v as f32).unwrap();
    let pixels = x.mapv(|v| v as u8);
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(|| tree.predict_proba(pixels.view()).unwrap());
}
