// temporary timing scratch (to be deleted)
use kdistill::experiments::mnist::cnn::CnnParams;
use kdistill::neural::{DeviceChoice, MlpParams};
use kdistill::teacher::Teacher;
use std::time::Instant;

#[test]
#[ignore]
fn scratch() {
    let m = kdistill::data::idx::load_mnist("data/mnist").unwrap();
    let tr = m.train.select(&(0..5000).collect::<Vec<_>>());
    let te = m.test.select(&(0..5000).collect::<Vec<_>>());
    let err = |p: ndarray::Array1<usize>| kdistill::metrics::errors(p.view(), te.y.view()).unwrap();
    for (c, h, ep, sh) in [((16, 32), 256, 3, 0), ((16, 32), 256, 3, 1)] {
        let t = Instant::now();
        let p = CnnParams { channels: c, hidden: h, epochs: ep, device: DeviceChoice::Cpu, lr_decay: 0.7, batch_size: 32, max_shift: sh, ..Default::default() };
        let cnn = p.fit(tr.x.view(), tr.y.view(), 28, 28, 10).unwrap();
        let fit = t.elapsed().as_secs_f64();
        let e = err(cnn.predict(te.x.view()).unwrap());
        println!("cnn {c:?} {h} ep {ep} shift {sh}: fit {fit:.1}s total {:.1}s errors {e}/5000", t.elapsed().as_secs_f64());
    }
    for (d, ep) in [((0.2, 0.5), 4), ((0.0, 0.0), 4)] {
        let t = Instant::now();
        let mut p = MlpParams::new(&[1200, 1200]).dropout(d.0, d.1).epochs(ep).batch_size(32).learning_rate(1e-3).device(DeviceChoice::Cpu);
        p.train.lr_decay = 0.7;
        let mlp = p.fit(tr.x.view(), Some(tr.y.view()), None, None, 10).unwrap();
        let e = err(mlp.predict(te.x.view()).unwrap());
        println!("mlp {d:?} ep {ep}: {:.1}s errors {e}/5000", t.elapsed().as_secs_f64());
    }
}
