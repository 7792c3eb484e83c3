//! `distill teacher`: train the crate's MLP teacher on a table.
use crate::cli::TeacherArgs;
use kdistill::error::Result;

/// Without the `torch` feature there is no network to train.
#[cfg(not(feature = "torch"))]
pub(crate) fn cmd_teacher(_: &TeacherArgs) -> Result<()> {
    Err(crate::teacher_model::without_torch("`distill teacher` (a neural network)"))
}

#[cfg(feature = "torch")]
pub(crate) fn cmd_teacher(a: &TeacherArgs) -> Result<()> {
    use crate::cli::{categorical, stage_output};
    use kdistill::data::tabular::TableReader;
    use kdistill::io::write_probabilities_csv;
    use kdistill::base::argmax_rows;
    use kdistill::teacher::table::TableMlp;
    use kdistill::teacher::Teacher;
    use serde_json::json;
    use std::time::Instant;
    let staged = stage_output(&a.out, &[Some(&a.table.data), a.test.as_ref()])?;
    let out = staged.path();
    let train = TableReader::new(&a.table.data)
        .target(&a.table.target)
        .ignore(a.table.ignore.clone())
        .categorical(categorical(a.table.one_hot))
        .read()?;
    let params = kdistill::teacher::mlp::teacher_params()
        .hidden(&a.hidden)
        .epochs(a.epochs)
        .learning_rate(a.learning_rate)
        .seed(a.seed)
        .device(a.device);
    let t0 = Instant::now();
    let teacher = TableMlp::fit(&params, &train)?;
    let secs = t0.elapsed().as_secs_f64();
    teacher.save(out)?;
    let p = teacher.predict_proba(train.x.view())?;
    write_probabilities_csv(out.join("train_probs.csv"), &train.classes, p.view(), None)?;
    let y = train.labels.as_ref().expect("target was required");
    let train_acc = kdistill::metrics::accuracy(argmax_rows(p.view()).view(), y.view())?;
    let mut test_acc = None;
    if let Some(test) = &a.test {
        let t = TableReader::new(test)
            .target(&a.table.target)
            .target_optional(true)
            .encoding(train.encoding.clone())
            .classes(train.classes.clone())
            .read()?;
        let q = teacher.predict_proba(t.x.view())?;
        write_probabilities_csv(out.join("test_probs.csv"), &train.classes, q.view(), None)?;
        test_acc = t.labels.as_ref().map(|l| kdistill::metrics::accuracy(argmax_rows(q.view()).view(), l.view())).transpose()?;
    }
    let metrics = json!({
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "device": teacher.mlp.device_name(),
        "hidden": a.hidden,
        "epochs": a.epochs,
        "parameters": teacher.mlp.n_params(),
        "seconds": secs,
        "classes": train.classes,
    });
    kdistill::io::write_json(out.join("metrics.json"), &metrics)?;
    staged.commit()?;
    println!("teacher: MLP {:?} on {}, {} rows, {} classes, trained in {secs:.1}s", a.hidden, teacher.mlp.device_name(), train.n_rows(), train.n_classes());
    println!("train accuracy {train_acc:.4}{}", test_acc.map_or(String::new(), |v| format!(", test accuracy {v:.4}")));
    println!("wrote {}/{{model.json,model.safetensors,table.json,train_probs.csv{}}}", a.out.display(), if a.test.is_some() { ",test_probs.csv" } else { "" });
    Ok(())
}
