//! Tests of the adapters.
use super::*;
use crate::student::{FitData, Predictor, Student};
use linfa::prelude::*;
use ndarray::Array1;
use crate::data::moons::Moons;
use crate::base::one_hot;
use ndarray::array;

fn acc(pred: &Array1<usize>, y: &Array1<usize>) -> f64 {
    pred.iter().zip(y.iter()).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
}

fn moons() -> (crate::data::Dataset, crate::data::Dataset) {
    Moons::new().n_samples(1000).noise(0.3).seed(4).generate().unwrap().split(0.3, 4).unwrap()
}

#[test]
fn clip_renormalise_hand_computed() {
    let p = clip_renormalise(array![[0.6f32, -0.2, 0.2], [-1.0, 0.0, -3.0], [0.5, 0.5, 1.0]]);
    assert_eq!(p.row(0).to_vec(), vec![0.75, 0.0, 0.25]);
    assert_eq!(p.row(1).to_vec(), vec![1.0 / 3.0; 3]);
    assert_eq!(p.row(2).to_vec(), vec![0.25, 0.25, 0.5]);
}

proptest::proptest! {
    /// Any finite regressor output becomes a probability row.
    #[test]
    fn clip_renormalise_gives_probabilities(v in proptest::collection::vec(-5.0f32..5.0, 1..40)) {
        let k = 4;
        let n = v.len() / k;
        proptest::prop_assume!(n > 0);
        let r = Array2::from_shape_vec((n, k), v[..n * k].to_vec()).unwrap();
        let p = clip_renormalise(r.clone());
        for (i, row) in p.axis_iter(Axis(0)).enumerate() {
            proptest::prop_assert!((row.sum() - 1.0).abs() < 1e-5);
            proptest::prop_assert!(row.iter().all(|&x| x >= 0.0));
            // Order among positive entries is kept.
            let best = crate::base::argmax_rows(r.row(i).insert_axis(Axis(0)))[0];
            if r[[i, best]] > 0.0 {
                proptest::prop_assert_eq!(crate::base::argmax_rows(row.insert_axis(Axis(0)))[0], best);
            }
        }
    }
}

#[test]
fn smartcore_tree_on_moons() {
    let (tr, te) = moons();
    let y = one_hot(tr.y.view(), 2).unwrap();
    let m = SmartcoreTreeStudent::new()
        .max_depth(Some(5))
        .fit_student(FitData::new(tr.x.view(), y.view()))
        .unwrap();
    assert_eq!(m.n_classes(), 2);
    let p = m.predict_proba(te.x.view()).unwrap();
    assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
    let a = acc(&m.predict(te.x.view()).unwrap(), &te.y);
    assert!(a > 0.85, "smartcore tree accuracy {a}");
    // Fitted on a one-hot matrix, both regressors agree: p_0 + p_1 = 1 before renormalising,
    // so a leaf of pure class 1 gives exactly [0, 1].
    assert!(p.iter().any(|&v| v == 1.0));
}

#[test]
fn smartcore_forest_on_soft_targets() {
    let (tr, te) = moons();
    // Soft targets: labels smoothed 0.8 / 0.2.
    let y = one_hot(tr.y.view(), 2).unwrap().mapv(|v| 0.2 + 0.6 * v);
    let m = SmartcoreForestStudent::new()
        .n_trees(20)
        .max_depth(Some(6))
        .seed(1)
        .fit_student(FitData::new(tr.x.view(), y.view()))
        .unwrap();
    let p = m.predict_proba(te.x.view()).unwrap();
    assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
    // Averages of values in [0.2, 0.8] stay there.
    assert!(p.iter().all(|&v| (0.19..=0.81).contains(&v)), "{p:?}");
    let a = acc(&m.predict(te.x.view()).unwrap(), &te.y);
    assert!(a > 0.85, "smartcore forest accuracy {a}");
    // Same seed ⇒ same predictions.
    let m2 = SmartcoreForestStudent::new()
        .n_trees(20)
        .max_depth(Some(6))
        .seed(1)
        .fit_student(FitData::new(tr.x.view(), y.view()))
        .unwrap();
    assert_eq!(p, m2.predict_proba(te.x.view()).unwrap());
}

#[test]
fn linfa_baseline_leaf_frequencies() {
    let (tr, te) = moons();
    let y = one_hot(tr.y.view(), 2).unwrap();
    let m = LinfaTreeStudent::new()
        .max_depth(Some(4))
        .fit_student(FitData::new(tr.x.view(), y.view()).labels(tr.y.view()))
        .unwrap();
    assert!(m.depth() <= 4 && m.n_leaves() >= 2);
    let p = m.predict_proba(te.x.view()).unwrap();
    assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
    // Leaf frequencies, not one-hot: a depth-4 tree on noisy moons has impure leaves.
    assert!(p.iter().any(|&v| v > 0.0 && v < 1.0));
    // Argmax of leaf frequencies is linfa's own prediction (its leaves predict the majority class).
    let own = m.tree().predict(&te.x.mapv(|v| v as f64));
    let ours = m.predict(te.x.view()).unwrap();
    let agree = own.iter().zip(ours.iter()).filter(|(a, b)| a == b).count();
    assert!(agree as f64 >= 0.99 * te.len() as f64, "{agree}/{}", te.len()); // ties may differ
    let a = acc(&ours, &te.y);
    assert!(a > 0.85, "linfa accuracy {a}");
}

#[test]
fn linfa_leaf_probs_hand_computed() {
    // Labels [0, 1, 0 | 1, 1]: the best Gini split is between 0.2 and 1.0 (weighted Gini 4/15,
    // against 0.3 and 7/15 for the other cuts), giving leaves p = [2/3, 1/3] and [0, 1].
    let x = array![[0.0f32], [0.1], [0.2], [1.0], [1.1]];
    let y = array![0usize, 1, 0, 1, 1];
    let t = one_hot(y.view(), 2).unwrap();
    let m = LinfaTreeStudent::new().max_depth(Some(1)).fit_student(FitData::new(x.view(), t.view()).labels(y.view())).unwrap();
    let p = m.predict_proba(array![[0.05f32], [2.0]].view()).unwrap();
    assert!((p[[0, 0]] - 2.0 / 3.0).abs() < 1e-6 && (p[[1, 1]] - 1.0).abs() < 1e-6, "{p:?}");
}

#[test]
fn bad_input_is_an_error() {
    let x = array![[0.0f32], [1.0]];
    let t = array![[1.0f32, 0.0], [0.0, 1.0]];
    let w = array![1.0f32, 2.0];
    let fd = FitData::new(x.view(), t.view()).weights(w.view());
    assert!(SmartcoreTreeStudent::new().fit_student(fd).unwrap_err().to_string().contains("weights"));
    let fd = FitData::new(x.view(), t.view());
    assert!(SmartcoreTreeStudent::new().max_depth(Some(0)).fit_student(fd).is_err());
    assert!(SmartcoreForestStudent::new().n_trees(0).fit_student(fd).is_err());
    assert!(LinfaTreeStudent::new().max_depth(Some(0)).fit_student(fd).is_err());
    let short = array![[1.0f32, 0.0]];
    let bad = FitData::new(x.view(), short.view());
    assert!(matches!(SmartcoreTreeStudent::new().fit_student(bad), Err(KdError::Shape(_))));
    let nan = array![[f32::NAN], [1.0]];
    let bad = FitData::new(nan.view(), t.view());
    assert!(matches!(LinfaTreeStudent::new().fit_student(bad), Err(KdError::NonFinite { .. })));
    let m = SmartcoreTreeStudent::new().fit_student(fd).unwrap();
    assert!(matches!(m.predict_proba(array![[0.0f32, 1.0]].view()), Err(KdError::Shape(_))));
}
