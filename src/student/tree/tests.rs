//! Tests of the tree learner: hand-computed cases, invariants (proptest), determinism across thread
//! counts, and comparisons with linfa-trees and smartcore.
use super::*;
use crate::data::moons::Moons;
use crate::base::one_hot;
use ndarray::{array, Array1, Array2, Axis};
use proptest::prelude::*;

fn leaves(t: &Tree) -> Vec<usize> {
    (0..t.n_nodes()).filter(|&i| t.nodes()[i].is_leaf()).collect()
}

#[test]
fn step_function_splits_at_the_midpoint() {
    // Unsorted, unevenly spaced; the step lies between 2.0 and 4.1.
    let x = array![[4.1f32], [0.5], [5.0], [0.0], [2.0], [1.3]];
    let y = array![[0.9f32], [0.1], [0.9], [0.1], [0.1], [0.1]];
    let t = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.n_leaves(), 2);
    assert_eq!(t.nodes()[0].feature, 0);
    assert_eq!(t.nodes()[0].threshold, 3.05);
    let p = t.predict_proba(array![[3.0f32], [3.1], [-10.0], [10.0]].view()).unwrap();
    assert_eq!(p.column(0).to_vec(), vec![0.1, 0.9, 0.1, 0.9]);
}

/// Labels `[0,0,1,0,1,1,2,2]` at x = 0..8, one-hot. Hand-computed Gini (n·G summed over children):
/// root splits at 5.5 (3.0, the minimum over the 7 thresholds: 4.571, 3.667, 4.533, 3.5, 3.733, 3.0,
/// 4.286); the left child {0,0,1,0,1,1} has a tie between 1.5 and 3.5 (both 1.5) and takes the lower
/// bin, 1.5; the right child {2,2} is pure.
#[test]
fn one_hot_targets_give_the_gini_tree() {
    let x = Array2::from_shape_fn((8, 1), |(i, _)| i as f32);
    let labels = array![0usize, 0, 1, 0, 1, 1, 2, 2];
    let y = one_hot(labels.view(), 3).unwrap();
    let t = TreeParams::default().max_depth(Some(2)).fit(x.view(), y.view(), None).unwrap();
    let n = t.nodes();
    assert_eq!((n[0].feature, n[0].threshold), (0, 5.5));
    let (l, r) = (n[0].left as usize, n[0].right as usize);
    assert_eq!(n[l].threshold, 1.5);
    assert!(n[r].is_leaf());
    // Impurities are Gini impurities: root p = (3/8, 3/8, 2/8).
    let gini = |c: &[f64]| {
        let s: f64 = c.iter().sum();
        1.0 - c.iter().map(|v| (v / s) * (v / s)).sum::<f64>()
    };
    assert!((t.stats()[0].impurity - gini(&[3.0, 3.0, 2.0])).abs() < 1e-12);
    assert!((t.stats()[0].impurity - 0.65625).abs() < 1e-12);
    assert!((t.stats()[l].impurity - 0.5).abs() < 1e-12);
    assert_eq!(t.stats()[r].impurity, 0.0);
    let ll = n[l].right as usize;
    assert!((t.stats()[ll].impurity - gini(&[1.0, 3.0])).abs() < 1e-12);
    // Predictions are the class frequencies of the leaves.
    let p = t.predict_proba(array![[0.7f32], [2.0], [6.5]].view()).unwrap();
    assert_eq!(p, array![[1.0f32, 0.0, 0.0], [0.25, 0.75, 0.0], [0.0, 0.0, 1.0]]);
    // The same splits from an independent brute-force Gini search at every node.
    for (i, node) in n.iter().enumerate() {
        if node.is_leaf() {
            continue;
        }
        let rows: Vec<usize> = (0..8).filter(|&j| reaches(&t, i, x.row(j).as_slice().unwrap())).collect();
        let mut best = (f64::INFINITY, 0.0f32);
        for thr in (0..7).map(|v| v as f32 + 0.5) {
            let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
            for &j in &rows {
                if x[[j, 0]] <= thr { a[labels[j]] += 1.0 } else { b[labels[j]] += 1.0 }
            }
            let (na, nb): (f64, f64) = (a.iter().sum(), b.iter().sum());
            if na == 0.0 || nb == 0.0 {
                continue;
            }
            let cost = na * gini(&a) + nb * gini(&b);
            if cost < best.0 - 1e-12 {
                best = (cost, thr);
            }
        }
        assert_eq!(node.threshold, best.1, "node {i}");
    }
}

/// True when `row` passes through node `target`.
fn reaches(t: &Tree, target: usize, row: &[f32]) -> bool {
    let mut i = 0;
    loop {
        if i == target {
            return true;
        }
        let n = t.nodes()[i];
        if n.is_leaf() {
            return false;
        }
        i = if row[n.feature as usize] <= n.threshold { n.left } else { n.right } as usize;
    }
}

#[test]
fn min_samples_leaf_is_respected() {
    let x = Array2::from_shape_fn((6, 1), |(i, _)| i as f32);
    let y = one_hot(array![0usize, 1, 1, 1, 1, 1].view(), 2).unwrap();
    let free = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
    assert_eq!(free.nodes()[0].threshold, 0.5);
    // With ≥ 2 rows per leaf the candidates are 1.5 (cost 1·2·½ = 1), 2.5 (4/3), 3.5 (3/2): 1.5 wins.
    let t = TreeParams::default().min_samples_leaf(2).fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.nodes()[0].threshold, 1.5);
    for l in leaves(&t) {
        assert!(t.stats()[l].n_samples >= 2);
    }
    let t = TreeParams::default().min_samples_leaf(4).fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.n_leaves(), 1);
}

#[test]
fn weights_move_the_split_as_computed_by_hand() {
    // y = [0, 2, 2, 5] at x = 0..4. Σ S²/W per threshold, unweighted: 27, 26.5, 30.33 → 2.5.
    // Weights [1, 1, 1, 0.1]: 9.643, 7.682, 7.833 → 0.5; right leaf = 4.5 / 2.1.
    let x = Array2::from_shape_fn((4, 1), |(i, _)| i as f32);
    let y = array![[0.0f32], [2.0], [2.0], [5.0]];
    let p = TreeParams::default().max_depth(Some(1));
    let t = p.fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.nodes()[0].threshold, 2.5);
    let w = array![1.0f32, 1.0, 1.0, 0.1];
    let t = p.fit(x.view(), y.view(), Some(w.view())).unwrap();
    assert_eq!(t.nodes()[0].threshold, 0.5);
    let r = t.nodes()[0].right as usize;
    assert!((t.value(r)[0] - 4.5 / 2.1).abs() < 1e-6, "{}", t.value(r)[0]);
    assert!((t.stats()[r].weight - 2.1).abs() < 1e-6);
    // A zero weight removes a row's influence on the split but it still counts as a sample.
    let w0 = array![1.0f32, 1.0, 1.0, 0.0];
    let t0 = TreeParams::default().fit(x.view(), y.view(), Some(w0.view())).unwrap();
    assert_eq!(t0.nodes()[0].threshold, 0.5);
    assert_eq!(t0.predict_proba(array![[3.0f32]].view()).unwrap()[[0, 0]], 2.0);
}

#[test]
fn max_leaves_is_met_exactly_best_first() {
    let d = Moons::new().n_samples(500).seed(3).generate().unwrap();
    let y = one_hot(d.y.view(), 2).unwrap();
    for l in [2, 3, 7, 20, 64] {
        let t = TreeParams::default().max_leaves(Some(l)).fit(d.x.view(), y.view(), None).unwrap();
        assert_eq!(t.n_leaves(), l);
    }
    // The first split of the best-first tree is the root split of the depth-wise tree.
    let a = TreeParams::default().max_leaves(Some(2)).fit(d.x.view(), y.view(), None).unwrap();
    let b = TreeParams::default().max_depth(Some(1)).fit(d.x.view(), y.view(), None).unwrap();
    assert_eq!(a, b);
    // Few distinct rows: stops when nothing can split.
    let x = array![[0.0f32], [0.0], [1.0]];
    let t = TreeParams::default().max_leaves(Some(10)).fit(x.view(), array![[0.0f32], [1.0], [1.0]].view(), None).unwrap();
    assert_eq!(t.n_leaves(), 2);
}

#[test]
fn best_first_takes_the_largest_gain_first() {
    // Left half: a big jump at 1.5 (0 vs 10), right half: a small one at 5.5 (20 vs 21); the root splits
    // at 3.5. With 3 leaves the second split must be the big jump.
    let x = Array2::from_shape_fn((8, 1), |(i, _)| i as f32);
    let y = array![[0.0f32], [0.0], [10.0], [10.0], [20.0], [20.0], [21.0], [21.0]];
    let t = TreeParams::default().max_leaves(Some(3)).fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.nodes()[0].threshold, 3.5);
    let l = t.nodes()[0].left as usize;
    assert_eq!(t.nodes()[l].threshold, 1.5);
    assert!(t.nodes()[t.nodes()[0].right as usize].is_leaf());
}

#[test]
fn min_impurity_decrease_follows_sklearn_semantics() {
    // Root SSE = Σ(y−ȳ)² with y = [0,0,1,1] → 1, split → 0: decrease = 1/4 per row weight.
    let x = Array2::from_shape_fn((4, 1), |(i, _)| i as f32);
    let y = array![[0.0f32], [0.0], [1.0], [1.0]];
    let fit = |v| TreeParams::default().min_impurity_decrease(v).fit(x.view(), y.view(), None).unwrap().n_leaves();
    assert_eq!(fit(0.25), 2);
    assert_eq!(fit(0.2500001), 1);
}

#[test]
fn pure_or_constant_data_gives_one_leaf() {
    let x = Array2::from_shape_fn((5, 2), |(i, j)| (i + j) as f32);
    let t = TreeParams::default().fit(x.view(), Array2::from_elem((5, 2), 0.5f32).view(), None).unwrap();
    assert_eq!((t.n_leaves(), t.depth()), (1, 0));
    let x = Array2::from_elem((5, 2), 1.0f32);
    let y = Array2::from_shape_fn((5, 1), |(i, _)| i as f32);
    let t = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.n_leaves(), 1);
    assert_eq!(t.value(0), &[2.0]);
    assert_eq!(t.feature_importances().sum(), 0.0);
}

#[test]
fn xor_needs_a_zero_gain_split_and_gets_it() {
    let x = array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = one_hot(array![0usize, 1, 1, 0].view(), 2).unwrap();
    let t = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
    assert_eq!(t.predict_proba(x.view()).unwrap(), y);
    assert_eq!((t.n_leaves(), t.depth(), t.nodes()[0].feature), (4, 2, 0));
}

#[test]
fn bad_input_is_a_typed_error() {
    let x = Array2::<f32>::zeros((4, 2));
    let y = Array2::<f32>::zeros((4, 2));
    let p = TreeParams::default();
    assert!(matches!(p.fit(x.view(), Array2::<f32>::zeros((3, 2)).view(), None), Err(KdError::Shape(_))));
    assert!(matches!(p.fit(Array2::<f32>::zeros((0, 2)).view(), Array2::<f32>::zeros((0, 2)).view(), None), Err(KdError::Empty(_))));
    assert!(matches!(p.fit(x.view(), Array2::<f32>::zeros((4, 0)).view(), None), Err(KdError::Empty(_))));
    let mut xn = x.clone();
    xn[[2, 1]] = f32::INFINITY;
    assert!(matches!(p.fit(xn.view(), y.view(), None), Err(KdError::NonFinite { row: 3, col: 2, .. })));
    let mut yn = y.clone();
    yn[[1, 0]] = f32::NAN;
    assert!(matches!(p.fit(x.view(), yn.view(), None), Err(KdError::NonFinite { row: 2, col: 1, .. })));
    let w = array![1.0f32, -1.0, 1.0, 1.0];
    let e = p.fit(x.view(), y.view(), Some(w.view())).unwrap_err();
    assert!(matches!(e, KdError::InvalidParam { name: "weights", .. }) && e.to_string().contains("row 2"), "{e}");
    assert!(matches!(p.fit(x.view(), y.view(), Some(array![1.0f32].view())), Err(KdError::Shape(_))));
    assert!(p.fit(x.view(), y.view(), Some(Array1::zeros(4).view())).is_err());
    assert!(matches!(p.clone().max_depth(Some(0)).fit(x.view(), y.view(), None), Err(KdError::InvalidParam { .. })));
    // Prediction input: non-finite values in a tested feature are errors naming row and column;
    // features the tree never reads are not looked at.
    let x2 = Array2::from_shape_fn((4, 2), |(i, j)| (i * j) as f32);
    let y2 = Array2::from_shape_fn((4, 1), |(i, _)| i as f32);
    let t = p.fit(x2.view(), y2.view(), None).unwrap();
    assert!(t.nodes().iter().all(|n| n.is_leaf() || n.feature == 1));
    assert!(matches!(t.predict_proba(Array2::<f32>::zeros((2, 3)).view()), Err(KdError::Shape(_))));
    assert!(matches!(t.predict_proba(xn.view()), Err(KdError::NonFinite { row: 3, col: 2, .. })));
    let mut xq = Array2::<f32>::zeros((3000, 2));
    xq[[2500, 1]] = f32::NAN;
    xq[[2900, 1]] = f32::INFINITY;
    assert!(matches!(t.apply(xq.view()), Err(KdError::NonFinite { row: 2501, col: 2, .. })));
    let mut xok = Array2::<f32>::zeros((2, 2));
    xok[[0, 0]] = f32::NAN;
    assert!(t.predict_proba(xok.view()).is_ok());
}

#[test]
fn fit_binned_reuses_the_bins_and_matches_fit() {
    let d = Moons::new().n_samples(400).seed(5).generate().unwrap();
    let hard = one_hot(d.y.view(), 2).unwrap();
    let soft = hard.mapv(|v| 0.1 + 0.8 * v);
    let b = BinnedMatrix::new(d.x.view(), 64).unwrap();
    let p = TreeParams::default().max_depth(Some(6)).max_bins(64);
    assert_eq!(p.fit_binned(&b, hard.view(), None).unwrap(), p.fit(d.x.view(), hard.view(), None).unwrap());
    assert_eq!(p.fit_binned(&b, soft.view(), None).unwrap(), p.fit(d.x.view(), soft.view(), None).unwrap());
    // The binned matrix is not modified by fitting.
    assert_eq!(b, BinnedMatrix::new(d.x.view(), 64).unwrap());
}

#[test]
fn student_and_predictor_traits() {
    use crate::student::{FitData, Predictor, Student};
    let d = Moons::new().n_samples(300).seed(2).generate().unwrap();
    let y = one_hot(d.y.view(), 2).unwrap();
    let t = TreeParams::default()
        .max_depth(Some(4))
        .fit_student(FitData::new(d.x.view(), y.view()))
        .unwrap();
    let classes = Predictor::predict(&t, d.x.view()).unwrap();
    assert_eq!(classes, crate::base::argmax_rows(t.predict_proba(d.x.view()).unwrap().view()));
    let imp = t.feature_importances();
    assert!((imp.sum() - 1.0).abs() < 1e-9 && imp.iter().all(|&v| v >= 0.0));
    assert_eq!(t.apply(d.x.view()).unwrap().iter().filter(|&&l| !t.nodes()[l].is_leaf()).count(), 0);
}

fn soft_data(n: usize, d: usize, k: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, d), |_| (rng.gen_range(0..256) as f32).floor());
    let mut y = Array2::from_shape_fn((n, k), |_| rng.r#gen::<f32>());
    for mut r in y.axis_iter_mut(Axis(0)) {
        let s = r.sum();
        r /= s;
    }
    (x, y)
}

#[test]
fn identical_tree_with_1_and_4_threads() {
    let (x, y) = soft_data(3000, 30, 4, 11);
    let w = Array1::from_shape_fn(3000, |i| (i % 7) as f32 * 0.3);
    let settings = [
        TreeParams::default(),
        TreeParams::default().max_depth(Some(8)).min_samples_leaf(3),
        TreeParams::default().max_leaves(Some(100)),
    ];
    for p in settings {
        let fit = |threads: usize, w: Option<ndarray::ArrayView1<f32>>| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| p.fit(x.view(), y.view(), w).unwrap())
        };
        let a = fit(1, None);
        assert_eq!(a, fit(4, None), "{p:?}");
        assert_eq!(fit(1, Some(w.view())), fit(4, Some(w.view())), "{p:?} weighted");
        assert!(a.n_leaves() > 10);
    }
}

#[test]
fn batched_routing_matches_one_row_at_a_time() {
    let (x, y) = soft_data(3000, 20, 3, 21);
    let t = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
    assert!(t.depth() > 15);
    let (q, _) = soft_data(5000, 20, 3, 22);
    for n in [0usize, 1, 31, 32, 33, 2047, 2049, 5000] {
        let qn = q.slice(ndarray::s![..n, ..]);
        let got = t.apply(qn).unwrap();
        let want: Vec<usize> = qn.outer_iter().map(|r| t.leaf_index(r.as_slice().unwrap())).collect();
        assert_eq!(got.to_vec(), want, "n {n}");
    }
    // The first row (in row order) whose path meets a NaN is the one reported.
    let mut bad = q.clone();
    for r in [4000usize, 2100, 2500] {
        bad.row_mut(r).fill(f32::NAN);
    }
    assert!(matches!(t.apply(bad.view()), Err(KdError::NonFinite { row: 2101, .. })));
}

/// Fit through `grow::fit_with` with sibling subtraction from `keep` rows on (`None`: off).
fn fit_keep(p: &TreeParams, x: &Array2<f32>, y: &Array2<f32>, w: Option<ndarray::ArrayView1<f32>>, keep: Option<usize>) -> Tree {
    let p = p.check().unwrap();
    let b = BinnedMatrix::new(x.view(), p.max_bins).unwrap();
    super::grow::fit_with(&p, &b, b.codes().to_vec(), y.view(), w, keep)
}

#[test]
fn sibling_subtraction_gives_the_same_tree_when_sums_are_exact() {
    // Targets in multiples of 1/8 and weights in {1, 2}: every histogram sum is exact in f64, so a
    // child's histogram by subtraction equals the one built from its rows, bit for bit.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let (n, d, k) = (4000, 12, 3);
    let x = Array2::from_shape_fn((n, d), |(_, j)| if j % 3 == 0 && rng.gen_bool(0.7) { 0.0 } else { rng.gen_range(0..40) as f32 });
    let y = Array2::from_shape_fn((n, k), |_| rng.gen_range(0..9) as f32 / 8.0);
    let w = Array1::from_shape_fn(n, |i| 1.0 + (i % 2) as f32);
    for p in [TreeParams::default(), TreeParams::default().max_depth(Some(6)), TreeParams::default().min_samples_leaf(4)] {
        let off = fit_keep(&p, &x, &y, None, None);
        assert!(off.n_leaves() > 40, "{}", off.n_leaves());
        for keep in [49, 200, 1000] {
            assert_eq!(fit_keep(&p, &x, &y, None, Some(keep)), off, "{p:?} keep {keep}");
        }
        let off_w = fit_keep(&p, &x, &y, Some(w.view()), None);
        assert_eq!(fit_keep(&p, &x, &y, Some(w.view()), Some(100)), off_w, "{p:?} weighted");
    }
}

#[test]
fn sibling_subtraction_is_thread_count_independent() {
    let (x, y) = soft_data(3000, 30, 4, 12);
    for p in [TreeParams::default(), TreeParams::default().max_depth(Some(8))] {
        let fit = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| fit_keep(&p, &x, &y, None, Some(64)))
        };
        let a = fit(1);
        assert_eq!(a, fit(4), "{p:?}");
        // Rounding may differ from rebuilding, but the tree is essentially the same one.
        let off = fit_keep(&p, &x, &y, None, None);
        let (pa, po) = (a.predict_proba(x.view()).unwrap(), off.predict_proba(x.view()).unwrap());
        let same = pa.outer_iter().zip(po.outer_iter()).filter(|(u, v)| u == v).count();
        assert!(same as f64 >= 0.99 * x.nrows() as f64, "{same} of {} rows predicted alike", x.nrows());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invariants(
        n in 2usize..60, d in 1usize..4, k in 1usize..4, seed in 0u64..1000,
        max_depth in proptest::option::of(1usize..6), max_leaves in proptest::option::of(2usize..20),
        msl in 1usize..5,
    ) {
        let (x, y) = soft_data(n, d, k, seed);
        let x = x.mapv(|v| (v / 32.0).floor()); // ties between rows
        let p = TreeParams::default().max_depth(max_depth).max_leaves(max_leaves).min_samples_leaf(msl);
        let t = p.fit(x.view(), y.view(), None).unwrap();
        if let Some(l) = max_leaves { prop_assert!(t.n_leaves() <= l); }
        if let Some(md) = max_depth { prop_assert!(t.depth() <= md); }
        prop_assert_eq!(t.n_nodes(), 2 * t.n_leaves() - 1);
        for l in leaves(&t) { prop_assert!(t.stats()[l].n_samples as usize >= msl.min(n)); }
        let total: u64 = leaves(&t).iter().map(|&l| t.stats()[l].n_samples).sum();
        prop_assert_eq!(total, n as u64);
        let pred = t.predict_proba(x.view()).unwrap();
        for (r, _) in pred.rows().into_iter().zip(0..) {
            prop_assert!((r.sum() - 1.0).abs() < 1e-5);
            for (j, &v) in r.iter().enumerate() {
                let col = y.column(j);
                let lo = col.iter().cloned().fold(f32::INFINITY, f32::min);
                let hi = col.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                prop_assert!(v >= lo - 1e-6 && v <= hi + 1e-6);
            }
        }
    }

    #[test]
    fn unlimited_tree_reproduces_distinct_training_points(n in 2usize..80, d in 1usize..4, k in 1usize..4, seed in 0u64..1000) {
        let (x, y) = soft_data(n, d, k, seed);
        let x = x.mapv(|v| (v / 16.0).floor());
        // Keep the first occurrence of each distinct row.
        let mut seen = std::collections::HashSet::new();
        let keep: Vec<usize> = (0..n).filter(|&i| seen.insert(x.row(i).iter().map(|v| *v as i64).collect::<Vec<_>>())).collect();
        let (x, y) = (x.select(Axis(0), &keep), y.select(Axis(0), &keep));
        let t = TreeParams::default().fit(x.view(), y.view(), None).unwrap();
        let p = t.predict_proba(x.view()).unwrap();
        for (a, b) in p.iter().zip(y.iter()) { prop_assert!((a - b).abs() < 1e-6, "{} vs {}", a, b); }
    }
}

fn moons_split(seed: u64) -> (crate::data::Dataset, crate::data::Dataset) {
    Moons::new().n_samples(3000).noise(0.3).seed(seed).generate().unwrap().split(0.3, seed).unwrap()
}

#[test]
fn comparable_to_linfa_trees_gini_on_hard_labels() {
    use linfa::prelude::*;
    for seed in [0u64, 1] {
        let (train, test) = moons_split(seed);
        for depth in [3usize, 6, 10] {
            let y = one_hot(train.y.view(), 2).unwrap();
            let ours = TreeParams::default().max_depth(Some(depth)).fit(train.x.view(), y.view(), None).unwrap();
            let acc_ours = crate::metrics::accuracy(
                crate::student::Predictor::predict(&ours, test.x.view()).unwrap().view(),
                test.y.view(),
            )
            .unwrap();
            let ds = linfa::Dataset::new(train.x.mapv(|v| v as f64), train.y.clone());
            let lt = linfa_trees::DecisionTree::params()
                .split_quality(linfa_trees::SplitQuality::Gini)
                .max_depth(Some(depth))
                .min_weight_split(2.0)
                .min_weight_leaf(1.0)
                .fit(&ds)
                .unwrap();
            let pred = lt.predict(&test.x.mapv(|v| v as f64));
            let acc_linfa = crate::metrics::accuracy(pred.view(), test.y.view()).unwrap();
            assert!((acc_ours - acc_linfa).abs() <= 0.03, "seed {seed} depth {depth}: ours {acc_ours} linfa {acc_linfa}");
            assert!(acc_ours > 0.8, "{acc_ours}");
        }
    }
}

#[test]
fn comparable_to_smartcore_regressor_on_one_output() {
    use smartcore::linalg::basic::matrix::DenseMatrix;
    use smartcore::tree::decision_tree_regressor::{DecisionTreeRegressor, DecisionTreeRegressorParameters};
    for seed in [0u64, 1] {
        let (train, test) = moons_split(seed);
        // A smooth single output: a noisy class-1 score.
        let target = |d: &crate::data::Dataset| d.x.rows().into_iter().map(|r| (r[0] - 0.5).tanh() * (r[1] * 2.0).sin()).collect::<Vec<f32>>();
        let (ytr, yte) = (target(&train), target(&test));
        let dense = |x: &Array2<f32>| DenseMatrix::new(x.nrows(), x.ncols(), x.iter().map(|&v| v as f64).collect(), false).unwrap();
        // smartcore 0.4 counts the root as level 1 and stops the whole (breadth-first) growth as soon as
        // one node reaches `max_depth`, so its `max_depth = d + 2` holds our complete depth-`d` tree plus
        // one more split; `None` is unlimited in both.
        for depth in [Some(3usize), Some(6), Some(9), None] {
            let ours = TreeParams::default()
                .max_depth(depth)
                .fit(train.x.view(), Array2::from_shape_vec((ytr.len(), 1), ytr.clone()).unwrap().view(), None)
                .unwrap();
            let po = ours.predict_proba(test.x.view()).unwrap();
            let mse_ours = po.column(0).iter().zip(&yte).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / yte.len() as f64;
            let ytr64: Vec<f64> = ytr.iter().map(|&v| v as f64).collect();
            let mut sp = DecisionTreeRegressorParameters::default();
            if let Some(d) = depth {
                sp = sp.with_max_depth(d as u16 + 2);
            }
            let sm = DecisionTreeRegressor::fit(&dense(&train.x), &ytr64, sp).unwrap();
            let ps: Vec<f64> = sm.predict(&dense(&test.x)).unwrap();
            let mse_sm = ps.iter().zip(&yte).map(|(a, &b)| (a - b as f64).powi(2)).sum::<f64>() / yte.len() as f64;
            assert!(mse_ours <= mse_sm * 1.15 + 1e-3, "seed {seed} depth {depth:?}: ours {mse_ours} smartcore {mse_sm}");
            assert!(mse_sm <= mse_ours * 1.15 + 1e-3, "seed {seed} depth {depth:?}: ours {mse_ours} smartcore {mse_sm}");
        }
    }
}

#[test]
fn quantile_bins_cost_little_accuracy_on_moons() {
    let (train, test) = moons_split(4);
    let y = one_hot(train.y.view(), 2).unwrap();
    let acc = |bins: usize| {
        let t = TreeParams::default().max_depth(Some(6)).max_bins(bins).fit(train.x.view(), y.view(), None).unwrap();
        let p = crate::base::argmax_rows(t.predict_proba(test.x.view()).unwrap().view());
        crate::metrics::accuracy(p.view(), test.y.view()).unwrap()
    };
    let (a256, a32) = (acc(256), acc(32));
    assert!((a256 - a32).abs() < 0.03, "{a256} vs {a32}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Binning the bytes directly gives the matrix of binning their decoded values, whatever the number of
    /// distinct bytes relative to the bin limit.
    #[test]
    fn binning_bytes_equals_binning_their_values(
        (n, d) in (1usize..60, 1usize..70), seed in 0u64..1000, max_bins in prop_oneof![Just(256usize), 2usize..40], spread in 1u32..256,
    ) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let px = ndarray::Array2::from_shape_fn((n, d), |_| (rng.gen_range(0..spread) * 7 % 256) as u8);
        let decode = |p: u8| (p as f32 - 20.0) / 3.0;
        let a = BinnedMatrix::from_bytes(px.view(), max_bins, decode).unwrap();
        let b = BinnedMatrix::new(px.mapv(decode).view(), max_bins).unwrap();
        prop_assert_eq!(&a, &b);
        // The same rows pushed in chunks of random sizes (empty ones included) give the same matrix.
        let mut binner = super::ByteBinner::new(n, d, max_bins, decode).unwrap();
        while binner.rows_pushed() < n {
            let lo = binner.rows_pushed();
            let hi = (lo + rng.gen_range(0..=(n - lo).min(17))).min(n);
            binner.push(px.slice(ndarray::s![lo..hi, ..])).unwrap();
        }
        prop_assert_eq!(binner.finish().unwrap(), a);
    }
}
