//! The size curve shared by the experiments: CART test accuracy and fidelity against the leaf limit on
//! four training sets (labels; labels of an augmented set, the teacher-free control; the teacher's
//! probabilities on the training inputs; the teacher's probabilities on a transfer set), drawn with a
//! soft decision tree beside them.
use crate::error::Result;
use crate::report::{plot_line_panels, Panel, Series};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One leaf limit of the CART size curve: test accuracy of the same learner on four training sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveRow {
    /// Leaf limit.
    pub leaves: usize,
    /// One-hot labels of the training images.
    pub hard_acc: f64,
    /// One-hot labels of the training images' translations, as many rows as the transfer set (the
    /// control: augmentation without a teacher).
    pub hard_aug_acc: f64,
    /// The teacher's probabilities on the training images.
    pub soft_acc: f64,
    /// The teacher's probabilities on the transfer set.
    pub transfer_acc: f64,
    /// Agreement of the transfer-set tree with the teacher on the test images.
    pub transfer_fidelity: f64,
    /// Fidelity of the four trees, in the order above.
    pub fidelity: [f64; 4],
    /// Leaves actually grown, in the order above.
    pub grown: [usize; 4],
    /// Fit seconds, in the order above.
    pub seconds: [f64; 4],
}

impl CurveRow {
    /// The mean of `rows` field by field (leaf limits must agree; leaves grown are rounded).
    ///
    /// ```
    /// use kdistill::experiments::curve::CurveRow;
    /// let r = |a: f64| CurveRow { leaves: 8, hard_acc: a, hard_aug_acc: a, soft_acc: a, transfer_acc: a, transfer_fidelity: a, fidelity: [a; 4], grown: [8; 4], seconds: [a; 4] };
    /// assert_eq!(CurveRow::mean(&[r(0.5), r(0.7)]).hard_acc, 0.6);
    /// ```
    pub fn mean(rows: &[CurveRow]) -> CurveRow {
        let n = rows.len().max(1) as f64;
        let m = |f: &dyn Fn(&CurveRow) -> f64| rows.iter().map(f).sum::<f64>() / n;
        CurveRow {
            leaves: rows.first().map_or(0, |r| r.leaves),
            hard_acc: m(&|r| r.hard_acc),
            hard_aug_acc: m(&|r| r.hard_aug_acc),
            soft_acc: m(&|r| r.soft_acc),
            transfer_acc: m(&|r| r.transfer_acc),
            transfer_fidelity: m(&|r| r.transfer_fidelity),
            fidelity: [0, 1, 2, 3].map(|i| m(&|r| r.fidelity[i])),
            grown: [0, 1, 2, 3].map(|i| m(&|r| r.grown[i] as f64).round() as usize),
            seconds: [0, 1, 2, 3].map(|i| m(&|r| r.seconds[i])),
        }
    }
}

/// A soft decision tree drawn as a dashed line across the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftTreeLine {
    /// Legend entry.
    pub label: String,
    /// Its test accuracy.
    pub accuracy: f64,
    /// Its fidelity.
    pub fidelity: f64,
}

/// Two panels (test accuracy, fidelity) against the leaf limits of `rows`, one line per training set.
pub fn plot_size_curve(path: &Path, title: &str, rows: &[CurveRow], soft_tree: Option<&SoftTreeLine>) -> Result<()> {
    let ticks: Vec<String> = rows.iter().map(|c| c.leaves.to_string()).collect();
    let names = ["labels", "labels, augmented", "teacher, training inputs", "teacher, transfer set"];
    let panel = |y: &str, f: &dyn Fn(&CurveRow) -> [f64; 4], line: Option<f64>| {
        let mut series: Vec<Series> = (0..4).map(|i| Series::new(names[i], rows.iter().map(|c| f(c)[i]).collect())).collect();
        if let (Some(s), Some(v)) = (soft_tree, line) {
            series.push(Series::new(s.label.clone(), vec![v; ticks.len()]).dashed());
        }
        Panel { y_label: y.to_string(), series }
    };
    let acc = panel("test accuracy", &|c| [c.hard_acc, c.hard_aug_acc, c.soft_acc, c.transfer_acc], soft_tree.map(|s| s.accuracy));
    let fid = panel("fidelity to the teacher", &|c| c.fidelity, soft_tree.map(|s| s.fidelity));
    plot_line_panels(path, title, "leaf limit (log scale)", &ticks, &[acc, fid])
}
