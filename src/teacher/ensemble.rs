//! [`Ensemble`]: several teachers as one, by averaging their probabilities.
//!
//! For members `m = 1..M` with probabilities `p⁽ᵐ⁾ = softmax(z⁽ᵐ⁾)` (or the probabilities they return),
//! the ensemble's output is `p̄ = (1/M) Σ_m p⁽ᵐ⁾`, computed at temperature 1. The mean is taken over
//! probabilities, not logits: averaging probabilities is the usual ensemble of classifiers and works for
//! members that only give probabilities. The ensemble returns [`TeacherOutput::Probabilities`], so a
//! temperature `T` is applied afterwards as `p̄^{1/T}` renormalised (see [`crate::soft::soften_probs`]).
//!
//! ```
//! use kdistill::teacher::{ensemble::Ensemble, table::ProbTable, Teacher};
//! use ndarray::array;
//! let x = array![[0.0f32], [1.0]];
//! let c = vec!["a".to_string(), "b".to_string()];
//! let t1 = ProbTable::new(x.clone(), array![[1.0f32, 0.0], [0.2, 0.8]], c.clone(), "t1.csv").unwrap();
//! let t2 = ProbTable::new(x.clone(), array![[0.5f32, 0.5], [0.4, 0.6]], c, "t2.csv").unwrap();
//! let e = Ensemble::new(vec![Box::new(t1), Box::new(t2)]).unwrap();
//! let p = e.predict_proba(x.view()).unwrap();
//! assert!((p[[0, 0]] - 0.75).abs() < 1e-6 && (p[[1, 1]] - 0.7).abs() < 1e-6);
//! ```
use super::{Teacher, TeacherOutput};
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2};

/// The mean of the probabilities of boxed teachers. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use kdistill::teacher::{ensemble::Ensemble, table::ProbTable, Teacher, TeacherOutput};
/// use ndarray::array;
/// let x = array![[0.0f32], [1.0]];
/// let c = vec!["a".to_string(), "b".to_string()];
/// let sure = ProbTable::new(x.clone(), array![[1.0f32, 0.0], [0.0, 1.0]], c.clone(), "sure.csv").unwrap();
/// let unsure = ProbTable::new(x.clone(), array![[0.5f32, 0.5], [0.5, 0.5]], c, "unsure.csv").unwrap();
/// let e = Ensemble::new(vec![Box::new(sure), Box::new(unsure)]).unwrap();
/// assert_eq!(e.n_classes(), 2);
/// let TeacherOutput::Probabilities(p) = e.predict_raw(x.view()).unwrap() else { unreachable!() };
/// assert_eq!(p, array![[0.75f32, 0.25], [0.25, 0.75]]);
/// ```
pub struct Ensemble {
    members: Vec<Box<dyn Teacher>>,
    n_classes: usize,
}

impl std::fmt::Debug for Ensemble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ensemble").field("members", &self.members.len()).field("n_classes", &self.n_classes).finish()
    }
}

impl Ensemble {
    /// An ensemble of at least one teacher, all with the same number of classes.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{ensemble::Ensemble, table::ProbTable};
    /// use ndarray::array;
    /// let two = ProbTable::new(array![[0.0f32]], array![[0.5f32, 0.5]], vec!["a".into(), "b".into()], "2.csv").unwrap();
    /// let three = ProbTable::new(array![[0.0f32]], array![[0.2f32, 0.3, 0.5]], vec!["a".into(), "b".into(), "c".into()], "3.csv").unwrap();
    /// assert!(Ensemble::new(vec![]).is_err());
    /// assert!(Ensemble::new(vec![Box::new(two), Box::new(three)]).is_err()); // 2 vs 3 classes
    /// ```
    pub fn new(members: Vec<Box<dyn Teacher>>) -> Result<Self> {
        let first = members.first().ok_or_else(|| KdError::Empty("an ensemble needs at least one teacher".into()))?;
        let k = first.n_classes();
        if let Some((i, m)) = members.iter().enumerate().find(|(_, m)| m.n_classes() != k) {
            return Err(KdError::Shape(format!("ensemble member 0 has {k} classes but member {i} has {}", m.n_classes())));
        }
        Ok(Self { members, n_classes: k })
    }
    /// Number of members.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{ensemble::Ensemble, table::ProbTable};
    /// let t = ProbTable::new(ndarray::array![[0.0f32]], ndarray::array![[0.5f32, 0.5]], vec!["a".into(), "b".into()], "p").unwrap();
    /// let e = Ensemble::new(vec![Box::new(t.clone()), Box::new(t)]).unwrap();
    /// assert_eq!(e.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.members.len()
    }
    /// Always false (an ensemble has at least one member).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::teacher::{ensemble::Ensemble, table::ProbTable};
    /// let t = ProbTable::new(ndarray::array![[0.0f32]], ndarray::array![[0.5f32, 0.5]], vec!["a".into(), "b".into()], "p").unwrap();
    /// assert!(!Ensemble::new(vec![Box::new(t)]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl Teacher for Ensemble {
    fn n_classes(&self) -> usize {
        self.n_classes
    }
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
        let mut sum = Array2::<f32>::zeros((x.nrows(), self.n_classes));
        for (i, m) in self.members.iter().enumerate() {
            let p = m.predict_proba(x)?;
            if p.dim() != sum.dim() {
                return Err(KdError::Shape(format!("ensemble member {i} returned {:?} probabilities for {} rows", p.dim(), x.nrows())));
            }
            sum += &p;
        }
        sum /= self.members.len() as f32;
        Ok(TeacherOutput::Probabilities(sum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    /// A teacher returning fixed logits for every row.
    struct Fixed(Vec<f32>);
    impl Teacher for Fixed {
        fn n_classes(&self) -> usize {
            self.0.len()
        }
        fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
            let row = Array1::from(self.0.clone());
            Ok(TeacherOutput::Logits(Array2::from_shape_fn((x.nrows(), row.len()), |(_, j)| row[j])))
        }
    }

    #[test]
    fn mean_of_probabilities_not_logits() {
        // Members: logits [0, ln 9] → p = [0.1, 0.9]; logits [0, 0] → p = [0.5, 0.5].
        // Mean of probabilities = [0.3, 0.7] (the mean of logits, [0, ln 3], would give [0.25, 0.75]).
        let e = Ensemble::new(vec![Box::new(Fixed(vec![0.0, 9f32.ln()])), Box::new(Fixed(vec![0.0, 0.0]))]).unwrap();
        let p = e.predict_proba(array![[5.0f32], [6.0]].view()).unwrap();
        for i in 0..2 {
            assert!((p[[i, 0]] - 0.3).abs() < 1e-6 && (p[[i, 1]] - 0.7).abs() < 1e-6, "{p:?}");
        }
        // Temperature on top: T = 2 → ∝ [0.3^0.5, 0.7^0.5].
        let q = e.soft_targets(array![[0.0f32]].view(), 2.0).unwrap();
        let (a, b) = (0.3f32.sqrt(), 0.7f32.sqrt());
        assert!((q[[0, 1]] - b / (a + b)).abs() < 1e-6);
        assert_eq!(e.predict(array![[0.0f32]].view()).unwrap().to_vec(), vec![1]);
    }

    #[test]
    fn three_members_hand_computed() {
        // [1,0,0], [0.2,0.3,0.5], softmax([0,0,0]) = [1/3]*3 → mean = [(1+0.2+1/3)/3, (0.3+1/3)/3, (0.5+1/3)/3]
        let e = Ensemble::new(vec![
            Box::new(Fixed(vec![100.0, 0.0, 0.0])),
            Box::new(Fixed(vec![0.2f32.ln(), 0.3f32.ln(), 0.5f32.ln()])),
            Box::new(Fixed(vec![0.0, 0.0, 0.0])),
        ])
        .unwrap();
        let p = e.predict_proba(array![[0.0f32]].view()).unwrap();
        let third = 1.0f32 / 3.0;
        let want = [(1.0 + 0.2 + third) / 3.0, (0.3 + third) / 3.0, (0.5 + third) / 3.0];
        for j in 0..3 {
            assert!((p[[0, j]] - want[j]).abs() < 1e-6, "{p:?}");
        }
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn empty_or_mismatched_members_are_errors() {
        assert!(matches!(Ensemble::new(vec![]), Err(KdError::Empty(_))));
        let e = Ensemble::new(vec![Box::new(Fixed(vec![0.0, 0.0])), Box::new(Fixed(vec![0.0, 0.0, 0.0]))]).unwrap_err();
        assert!(e.to_string().contains("member 1 has 3"), "{e}");
    }
}
