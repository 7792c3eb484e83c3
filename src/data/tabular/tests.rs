//! Unit tests of the table reader, the probability files and the encodings.
use super::*;
use crate::error::KdError;
use crate::io::write_probabilities_csv;
use ndarray::{Array2, Axis};
use polars::prelude::*;
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn data_err(e: KdError) -> (PathBuf, Option<usize>, Option<String>, String) {
    match e {
        KdError::Data { path, row, column, msg } => (path, row, column, msg),
        other => panic!("expected a Data error, got {other:?}"),
    }
}

#[test]
fn reads_features_labels_and_prefixed_probs() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x1,x2,y,p_1,p_0\n1,2,0,0.25,0.75\n3,4,1,0.5,0.5\n5,6,1.0,1,0\n");
    let t = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap();
    assert_eq!(t.x, ndarray::array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    assert_eq!(t.classes, ["1", "0"]); // file order of the probability columns
    assert_eq!(t.labels.unwrap().to_vec(), vec![1, 0, 0]);
    assert_eq!(t.probs.unwrap().row(0).to_vec(), vec![0.25, 0.75]);
}

#[test]
fn separate_probability_file_any_column_order_and_given_classes() {
    let d = tempfile::tempdir().unwrap();
    let data = write(&d, "d.csv", "a,label\n1,cat\n2,dog\n3,cat\n");
    let probs = write(&d, "p.csv", "dog,cat\n0.1,0.9\n0.8,0.2\n0.3,0.7\n");
    let t = TableReader::new(&data).target("label").probs_file(Some(&probs)).read().unwrap();
    assert_eq!(t.classes, ["dog", "cat"]);
    assert_eq!(t.labels.as_ref().unwrap().to_vec(), vec![1, 0, 1]);
    // With the classes fixed by a model, columns are reordered to them.
    let t2 = TableReader::new(&data).target("label").probs_file(Some(&probs)).classes(vec!["cat".into(), "dog".into()]).read().unwrap();
    assert_eq!(t2.labels.unwrap().to_vec(), vec![0, 1, 0]);
    assert_eq!(t2.probs.unwrap().row(1).to_vec(), vec![0.2, 0.8]);
}

#[test]
fn labels_without_probs_sorted_numerically() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x,y\n1,10\n2,2\n3,10\n");
    let t = TableReader::new(&p).target("y").read().unwrap();
    assert_eq!(t.classes, ["2", "10"]);
    assert_eq!(t.labels.unwrap().to_vec(), vec![1, 0, 1]);
}

#[test]
fn optional_target_reads_no_labels_when_absent() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x,z\n1,0\n2,1\n");
    let t = TableReader::new(&p).target("label").target_optional(true).classes(vec!["a".into(), "b".into()]).read().unwrap();
    assert!(t.labels.is_none());
    assert_eq!(t.feature_names, ["x", "z"]);
}

#[test]
fn select_and_split_keep_rows_together() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x,y,p_a,p_b\n0,a,1,0\n1,b,0,1\n2,a,1,0\n3,b,0,1\n4,a,1,0\n");
    let t = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap();
    let s = t.select(&[3, 0]);
    assert_eq!(s.x.column(0).to_vec(), vec![3.0, 0.0]);
    assert_eq!(s.labels.unwrap().to_vec(), vec![1, 0]);
    assert_eq!(s.probs.unwrap().column(1).to_vec(), vec![1.0, 0.0]);
    let (a, b) = t.split(0.4, 1).unwrap();
    assert_eq!((a.n_rows(), b.n_rows()), (3, 2));
    for part in [&a, &b] {
        for (i, &x) in part.x.column(0).iter().enumerate() {
            assert_eq!(part.labels.as_ref().unwrap()[i], x as usize % 2, "labels follow their rows");
        }
    }
    // Same permutation as Dataset::split.
    let (da, _) = t.dataset().unwrap().split(0.4, 1).unwrap();
    assert_eq!(da.x, a.x);
    assert!(t.split(1.0, 0).is_err());
}

#[test]
fn missing_target_column() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x,y\n1,0\n2,1\n");
    let (path, _, col, msg) = data_err(TableReader::new(&p).target("label").read().unwrap_err());
    assert_eq!((path, col.as_deref()), (p, Some("label")));
    assert!(msg.contains("target column not found"), "{msg}");
}

#[test]
fn non_numeric_feature_value_names_row_and_column() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x1,x2,y\n1,2,0\n3,abc,1\n");
    let e = TableReader::new(&p).target("y").read().unwrap_err();
    assert!(e.to_string().contains("t.csv, row 2, column `x2`: non-numeric feature value `abc`"), "{e}");
}

#[test]
fn categorical_refused_by_default_one_hot_on_request() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "color,x,y\nred,1,0\nblue,2,1\nred,3,1\n");
    let e = TableReader::new(&p).target("y").read().unwrap_err();
    let (_, row, col, msg) = data_err(e);
    assert_eq!((row, col.as_deref()), (Some(1), Some("color")));
    assert!(msg.contains("categorical") && msg.contains("Categorical::OneHot"), "{msg}");
    let t = TableReader::new(&p).target("y").categorical(Categorical::OneHot).read().unwrap();
    assert_eq!(t.feature_names, ["color=blue", "color=red", "x"]);
    assert_eq!(t.x, ndarray::array![[0.0f32, 1.0, 1.0], [1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]);
    // Reusing the encoding: an unseen category is an error naming row and column.
    let q = write(&d, "u.csv", "x,color\n1,green\n");
    let (_, row, col, msg) = data_err(TableReader::new(&q).encoding(t.encoding.clone()).read().unwrap_err());
    assert_eq!((row, col.as_deref()), (Some(1), Some("color")));
    assert!(msg.contains("unknown category `green`"), "{msg}");
    // The encoding picks columns by name, any order.
    let q = write(&d, "v.csv", "x,color\n7,blue\n");
    assert_eq!(TableReader::new(&q).encoding(t.encoding).read().unwrap().x, ndarray::array![[1.0f32, 0.0, 7.0]]);
}

#[test]
fn nan_and_inf_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for (bad, shown) in [("NaN", "NaN"), ("inf", "inf"), ("-inf", "-inf")] {
        let p = write(&d, "t.csv", &format!("x1,x2,y\n1,2,0\n3,{bad},1\n"));
        let e = TableReader::new(&p).target("y").read().unwrap_err();
        assert!(e.to_string().contains(&format!("row 2, column `x2`: non-finite feature value {shown}")), "{e}");
    }
    let p = write(&d, "t.csv", "x,y,p_a,p_b\n1,a,NaN,0.5\n2,b,0.5,0.5\n");
    let e = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap_err();
    assert!(e.to_string().contains("row 1, column `p_a`: non-finite probability"), "{e}");
}

#[test]
fn missing_cell_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x1,x2,y\n1,,0\n3,4,1\n");
    let e = TableReader::new(&p).target("y").read().unwrap_err();
    assert!(e.to_string().contains("row 1, column `x2`: missing feature value"), "{e}");
}

#[test]
fn probability_rows_must_sum_to_one_unless_renormalised() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x,y,p_a,p_b\n1,a,0.6,0.4\n2,b,0.5,0.6\n");
    let e = TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap_err();
    let (path, row, col, msg) = data_err(e);
    assert_eq!((path, row, col.as_deref()), (p.clone(), Some(2), Some("p_a, p_b")));
    assert!(msg.contains("sum to 1.1") && msg.contains("`renormalise`"), "{msg}");
    let t = TableReader::new(&p).target("y").prob_prefix("p_").renormalise(true).read().unwrap();
    let r = t.probs.unwrap();
    assert!((r[[1, 0]] - 0.5 / 1.1).abs() < 1e-6 && (r[[1, 1]] - 0.6 / 1.1).abs() < 1e-6);
    assert!((r[[0, 0]] - 0.6).abs() < 1e-7);
    // Within the tolerance is accepted as is.
    let p = write(&d, "t.csv", "x,y,p_a,p_b\n1,a,0.5,0.5005\n2,b,0.5,0.5\n");
    assert!(TableReader::new(&p).target("y").prob_prefix("p_").read().is_ok());
}

#[test]
fn negative_probability() {
    let d = tempfile::tempdir().unwrap();
    let data = write(&d, "d.csv", "x,y\n1,a\n2,b\n");
    let probs = write(&d, "p.csv", "a,b\n0.5,0.5\n1.2,-0.2\n");
    let e = TableReader::new(&data).target("y").probs_file(Some(&probs)).read().unwrap_err();
    let (path, row, col, msg) = data_err(e);
    assert_eq!((path, row, col.as_deref()), (probs, Some(2), Some("b")));
    assert!(msg.contains("negative probability -0.2"), "{msg}");
}

#[test]
fn probability_file_row_count_differs() {
    let d = tempfile::tempdir().unwrap();
    let data = write(&d, "d.csv", "x,y\n1,a\n2,b\n3,a\n");
    let probs = write(&d, "p.csv", "a,b\n0.5,0.5\n0.2,0.8\n");
    let e = TableReader::new(&data).target("y").probs_file(Some(&probs)).read().unwrap_err();
    let (path, row, _, msg) = data_err(e);
    assert_eq!((path, row), (probs, Some(3)));
    assert!(msg.contains("2 data rows") && msg.contains("has 3"), "{msg}");
}

#[test]
fn label_not_among_probability_columns() {
    let d = tempfile::tempdir().unwrap();
    let data = write(&d, "d.csv", "x,y\n1,a\n2,c\n");
    let probs = write(&d, "p.csv", "a,b\n0.5,0.5\n0.2,0.8\n");
    let e = TableReader::new(&data).target("y").probs_file(Some(&probs)).read().unwrap_err();
    let (path, row, col, msg) = data_err(e);
    assert_eq!((path, row, col.as_deref()), (data, Some(2), Some("y")));
    assert!(msg.contains("label `c` is not among the probability columns") && msg.contains("p.csv"), "{msg}");
}

#[test]
fn empty_file_and_header_only() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "e.csv", "");
    let (path, _, _, msg) = data_err(TableReader::new(&p).read().unwrap_err());
    assert_eq!(path, p);
    assert!(msg.contains("empty"), "{msg}");
    let p = write(&d, "h.csv", "x,y\n");
    let (_, _, _, msg) = data_err(TableReader::new(&p).target("y").read().unwrap_err());
    assert!(msg.contains("no data rows"), "{msg}");
}

#[test]
fn single_class_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "t.csv", "x,y\n1,a\n2,a\n");
    let (_, _, col, msg) = data_err(TableReader::new(&p).target("y").read().unwrap_err());
    assert_eq!(col.as_deref(), Some("y"));
    assert!(msg.contains("only one class (a)"), "{msg}");
    // One probability column is also a single class.
    let p = write(&d, "u.csv", "x,y,p_a\n1,a,1\n2,a,1\n");
    let (_, _, _, msg) = data_err(TableReader::new(&p).target("y").prob_prefix("p_").read().unwrap_err());
    assert!(msg.contains("at least 2 probability columns"), "{msg}");
}

#[test]
fn parquet_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.parquet");
    let mut df = df!(
        "x1" => [1.0f64, 2.0, 3.0],
        "x2" => [1i64, 0, 5],
        "label" => ["a", "b", "a"],
        "p_a" => [0.9f64, 0.2, 0.6],
        "p_b" => [0.1f64, 0.8, 0.4],
    )
    .unwrap();
    let f = std::fs::File::create(&p).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    let t = TableReader::new(&p).target("label").prob_prefix("p_").read().unwrap();
    assert_eq!(t.x, ndarray::array![[1.0f32, 1.0], [2.0, 0.0], [3.0, 5.0]]);
    assert_eq!(t.labels.unwrap().to_vec(), vec![0, 1, 0]);
    assert_eq!(t.classes, ["a", "b"]);
    // NaN in a Parquet numeric column is found too.
    let mut df = df!("x" => [1.0f64, f64::NAN], "y" => [0i64, 1]).unwrap();
    ParquetWriter::new(std::fs::File::create(&p).unwrap()).finish(&mut df).unwrap();
    let e = TableReader::new(&p).target("y").read().unwrap_err();
    assert!(e.to_string().contains("row 2, column `x`: non-finite"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
    /// Whatever probability matrix we write reads back bit for bit, classes in the same order.
    #[test]
    fn written_probabilities_read_back_exactly(
        rows in proptest::collection::vec(proptest::collection::vec(0.0f32..1.0, 3), 1..20),
    ) {
        let mut p = Array2::from_shape_vec((rows.len(), 3), rows.concat()).unwrap();
        for mut r in p.axis_iter_mut(Axis(0)) {
            r[0] += 1e-3;
            let s: f32 = r.sum();
            r.mapv_inplace(|v| v / s);
        }
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("p.csv");
        let classes = vec!["z".to_string(), "1".to_string(), "a b".to_string()];
        write_probabilities_csv(&out, &classes, p.view(), None).unwrap();
        let (c, q) = read_probability_file(&out, None, false, 1e-3).unwrap();
        proptest::prop_assert_eq!(c, classes);
        proptest::prop_assert_eq!(q, p);
    }
}

#[test]
fn canonical_labels_and_csv_writing() {
    assert_eq!(canonical_label(" 2.0 "), "2");
    assert_eq!(canonical_label("2.5"), "2.5");
    assert_eq!(canonical_label("setosa"), "setosa");
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o.csv");
    write_probabilities_csv(&out, &["a".into(), "b,c".into()], ndarray::array![[0.25f32, 0.75]].view(), Some("predicted")).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "predicted,a,\"b,c\"\n\"b,c\",0.25,0.75\n");
    // Without the prediction column, what we write reads back (header = class names).
    write_probabilities_csv(&out, &["a".into(), "b".into()], ndarray::array![[0.25f32, 0.75], [1.0, 0.0]].view(), None).unwrap();
    let (classes, p) = read_probability_file(&out, None, false, 1e-3).unwrap();
    assert_eq!(classes, ["a", "b"]);
    assert_eq!(p, ndarray::array![[0.25f32, 0.75], [1.0, 0.0]]);
}

#[test]
fn header_is_read_as_written() {
    let dir = tempfile::tempdir().unwrap();
    // Quoted names with separators, a byte-order mark, CRLF: all distinct, all accepted.
    let p = write(&dir, "q.csv", "\u{feff}\"a,b\",\"x\",c\r\n1,2,3\r\n4,5,6\r\n");
    let t = TableReader::new(&p).read().unwrap();
    assert_eq!(t.feature_names, ["a,b", "x", "c"]);
    // Names that polars would rename or invent are refused.
    let p = write(&dir, "dup.csv", "a,\"a\",c\n1,2,3\n");
    let (_, _, col, msg) = data_err(TableReader::new(&p).read().unwrap_err());
    assert_eq!((col.as_deref(), msg.as_str()), (Some("a"), "the name appears twice in the header (columns 1 and 2): rename one"));
    let p = write(&dir, "idx.csv", ",a,b\n0,1,2\n");
    let (_, _, _, msg) = data_err(TableReader::new(&p).read().unwrap_err());
    assert!(msg.starts_with("the first column has no name"), "{msg}");
}

#[test]
fn blank_lines_at_the_end_are_dropped_inside_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "end.csv", "a,b\n1,2\n3,4\n\n \n");
    assert_eq!(TableReader::new(&p).read().unwrap().n_rows(), 2);
    let p = write(&dir, "mid.csv", "a,b\n1,2\n\n3,4\n");
    let (_, row, _, msg) = data_err(TableReader::new(&p).read().unwrap_err());
    assert_eq!(row, Some(2), "{msg}");
    // A row of separators only, at the end, is not a blank line: it is named too.
    let p = write(&dir, "commas.csv", "a,b\n1,2\n,\n");
    let (_, row, _, _) = data_err(TableReader::new(&p).read().unwrap_err());
    assert_eq!(row, Some(2));
}
