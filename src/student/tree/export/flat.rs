//! The tree as flat arrays, the form every code export writes: for node `i`, `feature[i]` (−1 for a
//! leaf), `threshold[i]`, and `left[i]` / `right[i]`; a leaf's `left` is its row in `values` (one row
//! of class probabilities per leaf). A row goes left when `x[feature] <= threshold`, exactly as
//! [`Tree::predict_proba`] routes it.
use super::super::model::Tree;

/// See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Flat {
    pub feature: Vec<i64>,
    pub threshold: Vec<f32>,
    pub left: Vec<usize>,
    pub right: Vec<usize>,
    /// One row per leaf, `n_outputs` values each.
    pub values: Vec<Vec<f32>>,
}

impl Flat {
    pub(super) fn of(tree: &Tree) -> Flat {
        let nodes = tree.nodes();
        let mut f = Flat { feature: Vec::with_capacity(nodes.len()), threshold: Vec::new(), left: Vec::new(), right: Vec::new(), values: Vec::new() };
        for (i, n) in nodes.iter().enumerate() {
            if n.is_leaf() {
                f.feature.push(-1);
                f.threshold.push(0.0);
                f.left.push(f.values.len());
                f.right.push(f.values.len());
                f.values.push(tree.value(i).to_vec());
            } else {
                f.feature.push(n.feature as i64);
                f.threshold.push(n.threshold);
                f.left.push(n.left as usize);
                f.right.push(n.right as usize);
            }
        }
        f
    }
}

/// An `f32` as the shortest decimal that reads back as the same `f32` (C `float` literals).
pub(super) fn f32_literal(v: f32) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// An `f32` as the shortest decimal that reads back as the same value in double precision (Python,
/// SQL): comparing a double against it is comparing against the `f32` exactly.
pub(super) fn f64_literal(v: f32) -> String {
    format!("{:?}", v as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_round_trip() {
        for v in [0.1f32, -3.25, 1.0, 1e-7, 3.4e38, -0.0, 16777217.0] {
            assert_eq!(f32_literal(v).parse::<f32>().unwrap().to_bits(), v.to_bits(), "{v}");
            assert_eq!(f64_literal(v).parse::<f64>().unwrap(), v as f64, "{v}");
        }
        assert_eq!(f32_literal(2.0), "2.0");
        assert_eq!(f64_literal(0.1), "0.10000000149011612");
    }
}
