//! Tests of [`super`] (train).
use super::*;
use crate::neural::{TargetScale, TrainData};
use crate::neural::{to_array2, MlpSpec};
use ndarray::{array, Array1, Array2};
use tch::Device;

fn toy() -> (Array2<f32>, Array1<usize>) {
    let x = Array2::from_shape_fn((23, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.5);
    let y = x.rows().into_iter().map(|r| usize::from(r[0] + r[1] > 0.0)).collect();
    (x, y)
}

fn weights(net: &Net) -> Vec<f32> {
    let mut named: Vec<_> = net.var_store().variables().into_iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named.iter().flat_map(|(_, t)| Vec::<f32>::try_from(t.view([-1])).unwrap()).collect()
}

/// A `Trainable` that counts `after_step` calls around a `Net`.
struct Counting {
    net: Net,
    steps: usize,
}
impl Trainable for Counting {
    fn n_inputs(&self) -> usize {
        self.net.n_inputs()
    }
    fn n_outputs(&self) -> usize {
        self.net.n_outputs()
    }
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        self.net.forward_t(x, train)
    }
    fn var_store(&self) -> &nn::VarStore {
        self.net.var_store()
    }
    fn after_step(&mut self) {
        self.steps += 1;
    }
}

#[test]
fn train_is_train_model_on_a_net_and_after_step_runs_once_per_batch() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    let spec = MlpSpec::new(3, &[6], 2).dropout(0.1, 0.2);
    let p = TrainParams::default().epochs(3).batch_size(5).lr_decay(0.9).seed(11);
    let mut a = Net::new(&spec, Device::Cpu, 1).unwrap();
    let ra = train(&mut a, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
    let mut b = Counting { net: Net::new(&spec, Device::Cpu, 1).unwrap(), steps: 0 };
    let rb = train_model(&mut b, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
    assert_eq!(weights(&a), weights(&b.net), "same seed, same loop, same weights");
    assert_eq!(ra.final_loss, rb.final_loss);
    assert_eq!(b.steps, 3 * 23usize.div_ceil(5));
}

#[test]
fn max_norm_is_applied_by_train_and_refused_by_train_model() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    let spec = MlpSpec::new(3, &[6], 2);
    let p = TrainParams::default().epochs(2).batch_size(4).learning_rate(0.5).max_norm(Some(0.3));
    let mut net = Net::new(&spec, Device::Cpu, 0).unwrap();
    train(&mut net, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap();
    for name in ["fc0.weight", "fc1.weight"] {
        let w = to_array2(&net.var_store().variables()[name]).unwrap();
        for unit in w.rows() {
            assert!(unit.dot(&unit).sqrt() <= 0.3 + 1e-5, "{name}: {}", unit.dot(&unit).sqrt());
        }
    }
    let e = train_model(&mut net, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap_err();
    assert!(matches!(e, KdError::InvalidParam { name: "max_norm", .. }), "{e}");
}

#[test]
fn soft_targets_on_the_batch_match_the_same_targets_given_as_rows() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    // A fixed "teacher": softmax(x·W / T) with T = 2.
    let w = Tensor::from_slice(&[1.0f32, -1.0, 0.5, 0.5, -2.0, 2.0]).view([3, 2]);
    let teacher = |b: &Tensor| (b.matmul(&w) / 2.0).softmax(-1, Kind::Float);
    let q = to_array2(&teacher(&to_tensor(x.view(), Device::Cpu))).unwrap();
    let spec = MlpSpec::new(3, &[6], 2);
    let p = TrainParams::default().epochs(2).batch_size(6).seed(3);
    let obj = Objective::Distill { alpha: 0.3, temperature: 2.0 };
    let mut a = Net::new(&spec, Device::Cpu, 2).unwrap();
    train_model(&mut a, &p, TrainData::new(x.view()).labels(y.view()).soft(q.view(), 2.0), obj).unwrap();
    let mut b = Net::new(&spec, Device::Cpu, 2).unwrap();
    train_model(&mut b, &p, TrainData::new(x.view()).labels(y.view()).soft_on_batch(&teacher, TargetScale::Probabilities { temperature: 2.0 }), obj).unwrap();
    let (wa, wb) = (weights(&a), weights(&b));
    assert!(wa.iter().zip(&wb).all(|(u, v)| (u - v).abs() < 1e-5), "rows and on-batch targets disagree");
}

#[test]
fn the_transform_sees_every_row_once_per_epoch_before_the_soft_targets() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    let seen = std::cell::Cell::new(0i64);
    let count = |b: &Tensor| {
        seen.set(seen.get() + b.size()[0]);
        b * 2.0
    };
    // The on-batch targets receive the transformed batch: every value is doubled.
    let doubled = std::cell::Cell::new(true);
    let check = |b: &Tensor| {
        let back = to_array2(b).unwrap();
        let ok = back.rows().into_iter().all(|r| x.rows().into_iter().any(|xr| xr.iter().zip(r.iter()).all(|(u, v)| (2.0 * u - v).abs() < 1e-6)));
        doubled.set(doubled.get() && ok);
        Tensor::full([b.size()[0], 2], 0.5, (Kind::Float, Device::Cpu))
    };
    let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
    let p = TrainParams::default().epochs(2).batch_size(7);
    let data = TrainData::new(x.view()).labels(y.view()).transform(&count).soft_on_batch(&check, TargetScale::Probabilities { temperature: 1.0 });
    train_model(&mut net, &p, data, Objective::Distill { alpha: 0.5, temperature: 1.0 }).unwrap();
    assert_eq!(seen.get(), 2 * 23);
    assert!(doubled.get());
}

#[test]
fn an_augmentation_gets_the_batch_row_indices_and_its_rows_replace_the_batch() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    let seen = std::cell::RefCell::new(Vec::<i64>::new());
    let matches = std::cell::Cell::new(true);
    // Targets looked up by row index; the rows handed over must be exactly x[idx].
    let table = Tensor::full([23, 2], 0.5, (Kind::Float, Device::Cpu));
    let aug = |idx: &Tensor, xb: &Tensor| {
        let ids = Vec::<i64>::try_from(idx).unwrap();
        let rows = to_array2(xb).unwrap();
        let ok = ids.iter().zip(rows.rows()).all(|(&i, r)| r.iter().zip(x.row(i as usize)).all(|(a, b)| a == b));
        matches.set(matches.get() && ok);
        seen.borrow_mut().extend(ids);
        (xb * 2.0, table.index_select(0, idx))
    };
    let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
    let p = TrainParams::default().epochs(2).batch_size(7);
    for alpha in [0.5f32, 1.0] {
        seen.borrow_mut().clear();
        let data = TrainData::new(x.view()).labels(y.view()).augmented(&aug, TargetScale::Probabilities { temperature: 1.0 });
        train_model(&mut net, &p, data, Objective::Distill { alpha, temperature: 1.0 }).unwrap();
        // Every row twice (two epochs), also when α = 1 ignores the targets.
        let mut ids = seen.borrow().clone();
        ids.sort_unstable();
        assert_eq!(ids, (0..23).flat_map(|i| [i, i]).collect::<Vec<_>>());
    }
    assert!(matches.get());
    let double = |b: &Tensor| b * 2.0;
    let both = TrainData::new(x.view()).labels(y.view()).augmented(&aug, TargetScale::Probabilities { temperature: 1.0 }).transform(&double);
    let err = train_model(&mut net, &p, both, Objective::Distill { alpha: 0.5, temperature: 1.0 }).unwrap_err();
    assert!(matches!(err, KdError::InvalidParam { name: "transform", .. }), "{err}");
}

#[test]
fn bad_training_data_is_a_typed_error() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
    let p = TrainParams::default().epochs(1);
    let run = |net: &mut Net, d: TrainData<'_>, o: Objective| train_model(net, &p, d, o).unwrap_err();
    let wide = Array2::<f32>::zeros((23, 4));
    assert!(matches!(run(&mut net, TrainData::new(wide.view()).labels(y.view()), Objective::Hard), KdError::Shape(_)));
    let y3 = y.mapv(|c| c + 1);
    assert!(matches!(run(&mut net, TrainData::new(x.view()).labels(y3.view()), Objective::Hard), KdError::UnknownClass { .. }));
    assert!(matches!(run(&mut net, TrainData::new(x.view()), Objective::Hard), KdError::InvalidParam { name: "alpha", .. }));
    let distil = Objective::Distill { alpha: 0.0, temperature: 2.0 };
    assert!(matches!(run(&mut net, TrainData::new(x.view()), distil), KdError::InvalidParam { name: "alpha", .. }));
    let q = array![[0.5f32, 0.5]];
    assert!(matches!(run(&mut net, TrainData::new(x.view()).soft(q.view(), 2.0), distil), KdError::Shape(_)));
    // Soft targets carry their temperature; the loss refuses another one, and logits.
    let q23 = Array2::from_elem((23, 2), 0.5f32);
    let e = run(&mut net, TrainData::new(x.view()).soft(q23.view(), 1.0), distil);
    assert!(matches!(e, KdError::InvalidParam { name: "temperature", .. }) && e.to_string().contains("softened at T = 1"), "{e}");
    assert!(matches!(run(&mut net, TrainData::new(x.view()).teacher_logits(q23.view()), distil), KdError::InvalidParam { name: "objective", .. }));
    let logit_match = Objective::LogitMatch { alpha: 0.0 };
    assert!(matches!(run(&mut net, TrainData::new(x.view()).soft(q23.view(), 2.0), logit_match), KdError::InvalidParam { name: "objective", .. }));
    let neg = Array1::from_elem(23, -1.0f32);
    assert!(matches!(run(&mut net, TrainData::new(x.view()).labels(y.view()).weights(neg.view()), Objective::Hard), KdError::InvalidParam { name: "weights", .. }));
    let hot = Objective::Distill { alpha: 0.5, temperature: 0.0 };
    assert!(run(&mut net, TrainData::new(x.view()).labels(y.view()), hot).to_string().contains("temperature"));
}

#[test]
fn divergence_is_reported_not_hidden() {
    let _g = seeded_fit_lock();
    let (x, y) = toy();
    let x = x.mapv(|v| v * 1e30);
    let mut net = Net::new(&MlpSpec::new(3, &[4], 2), Device::Cpu, 0).unwrap();
    let p = TrainParams::default().epochs(2).learning_rate(1e30);
    let e = train(&mut net, &p, TrainData::new(x.view()).labels(y.view()), Objective::Hard).unwrap_err();
    assert!(matches!(&e, KdError::Backend { .. }) && e.to_string().contains("diverged"), "{e}");
}
