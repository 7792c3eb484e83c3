//! smartcore's single-output regressors as a multi-class soft student: one per class (see the
//! [module docs](super)).
use super::{check_pred_shape, clip_renormalise};
use crate::error::{KdError, Result};
use crate::student::{FitData, Predictor, Student};
use ndarray::{Array1, Array2, ArrayView2};
use smartcore::ensemble::random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_regressor::{DecisionTreeRegressor, DecisionTreeRegressorParameters};


type SmTree = DecisionTreeRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;
type SmForest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

fn dense(x: ArrayView2<f32>) -> Result<DenseMatrix<f64>> {
    let values: Vec<f64> = x.iter().map(|&v| v as f64).collect(); // row-major
    DenseMatrix::new(x.nrows(), x.ncols(), values, false).map_err(|e| KdError::Shape(format!("smartcore matrix: {e}")))
}

fn no_weights(data: &FitData<'_>, who: &str) -> Result<()> {
    if data.weights.is_some() {
        return Err(KdError::param("weights", "Some(..)", format!("{who} does not support sample weights")));
    }
    Ok(())
}


/// One fitted smartcore regressor per class. See the [module docs](super).
///
/// # Examples
///
/// ```
/// use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Predictor, Student};
/// use ndarray::array;
/// let x = array![[0.0f32], [1.0], [2.0]];
/// let q = array![[0.7f32, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]];
/// let m = SmartcoreTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
/// assert_eq!(m.n_classes(), 3); // one regressor per class
/// let p = m.predict_proba(x.view()).unwrap();
/// assert!((p[[1, 1]] - 0.8).abs() < 1e-6);
/// assert!(m.predict_proba(array![[0.0f32, 1.0]].view()).is_err()); // fitted on 1 feature
/// ```
#[derive(Debug)]
pub struct PerClassRegressors<M> {
    models: Vec<M>,
    n_features: usize,
}

impl<M> PerClassRegressors<M> {
    /// Number of classes (= regressors).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Student};
    /// let x = ndarray::array![[0.0f32], [1.0]];
    /// let q = ndarray::array![[0.9f32, 0.1], [0.2, 0.8]];
    /// let m = SmartcoreTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.n_classes(), 2);
    /// ```
    pub fn n_classes(&self) -> usize {
        self.models.len()
    }
}

trait Regress {
    fn regress(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>>;
}
impl Regress for SmTree {
    fn regress(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>> {
        self.predict(x).map_err(|e| KdError::backend("smartcore DecisionTreeRegressor", e))
    }
}
impl Regress for SmForest {
    fn regress(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>> {
        self.predict(x).map_err(|e| KdError::backend("smartcore RandomForestRegressor", e))
    }
}

#[allow(private_bounds)]
impl<M: Regress> Predictor for PerClassRegressors<M> {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_pred_shape(x, self.n_features)?;
        let mut r = Array2::zeros((x.nrows(), self.models.len()));
        if x.nrows() == 0 {
            return Ok(r);
        }
        let m = dense(x)?;
        for (k, model) in self.models.iter().enumerate() {
            let col = model.regress(&m)?;
            r.column_mut(k).assign(&Array1::from_iter(col.into_iter().map(|v| v as f32)));
        }
        Ok(clip_renormalise(r))
    }
}

fn fit_per_class<M>(data: FitData<'_>, who: &str, fit: impl Fn(&DenseMatrix<f64>, &Vec<f64>) -> Result<M, smartcore::error::Failed>) -> Result<PerClassRegressors<M>> {
    let k = data.check()?;
    no_weights(&data, who)?;
    let m = dense(data.x)?;
    let mut models = Vec::with_capacity(k);
    for j in 0..k {
        let y: Vec<f64> = data.targets.column(j).iter().map(|&v| v as f64).collect();
        models.push(fit(&m, &y).map_err(|e| KdError::backend(who, e))?);
    }
    Ok(PerClassRegressors { models, n_features: data.x.ncols() })
}

fn depth_u16(d: Option<usize>) -> Result<Option<u16>> {
    match d {
        None => Ok(None),
        Some(0) => Err(KdError::param("max_depth", 0, "must be ≥ 1")),
        Some(d) => u16::try_from(d).map(Some).map_err(|_| KdError::param("max_depth", d, "must be ≤ 65535")),
    }
}

/// smartcore `DecisionTreeRegressor`, one per class. Defaults: unlimited depth, `min_samples_leaf = 1`.
///
/// # Examples
///
/// ```
/// use kdistill::data::moons::Moons;
/// use kdistill::student::{adapters::SmartcoreTreeStudent, FitData, Predictor, Student};
/// let d = Moons::new().n_samples(200).noise(0.2).seed(1).generate().unwrap();
/// let q = kdistill::base::one_hot(d.y.view(), 2).unwrap();
/// let data = FitData::new(d.x.view(), q.view());
/// let shallow = SmartcoreTreeStudent::new().max_depth(Some(2)).min_samples_leaf(5).fit_student(data).unwrap();
/// let deep = SmartcoreTreeStudent::new().fit_student(data).unwrap();
/// let acc = |m: &dyn Predictor| kdistill::metrics::accuracy(m.predict(d.x.view()).unwrap().view(), d.y.view()).unwrap();
/// assert_eq!(acc(&deep), 1.0); // unlimited depth memorises the training rows
/// assert!(acc(&shallow) < 1.0);
/// // No sample weights in smartcore: asking for them is an error.
/// let w = ndarray::Array1::<f32>::ones(200);
/// assert!(SmartcoreTreeStudent::new().fit_student(data.weights(w.view())).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreTreeStudent {
    max_depth: Option<usize>,
    min_samples_leaf: usize,
}

impl Default for SmartcoreTreeStudent {
    fn default() -> Self {
        Self { max_depth: None, min_samples_leaf: 1 }
    }
}

impl SmartcoreTreeStudent {
    /// Defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::SmartcoreTreeStudent;
    /// assert_eq!(SmartcoreTreeStudent::new(), SmartcoreTreeStudent::default());
    /// let x = ndarray::array![[0.0f32], [1.0]];
    /// let q = ndarray::array![[1.0f32, 0.0], [0.0, 1.0]];
    /// use kdistill::student::{FitData, Predictor, Student};
    /// let m = SmartcoreTreeStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.predict(x.view()).unwrap().to_vec(), vec![0, 1]);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Maximum depth (≥ 1), `None` = unlimited.
    ///
    /// See the [`SmartcoreTreeStudent`] example, which uses every builder method.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum rows per leaf (≥ 1).
    ///
    /// See the [`SmartcoreTreeStudent`] example, which uses every builder method.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
}

impl SmartcoreTreeStudent {
    /// Check the settings: a depth limit in `1..=65535`, `min_samples_leaf ≥ 1`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::SmartcoreTreeStudent;
    /// let p = SmartcoreTreeStudent::new().max_depth(Some(3)).check()?;
    /// assert_eq!((p.max_depth(), p.min_samples_leaf()), (Some(3), 1));
    /// assert!(SmartcoreTreeStudent::new().max_depth(Some(0)).check().is_err());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn check(&self) -> Result<SmartcoreTreeValidParams> {
        depth_u16(self.max_depth)?;
        if self.min_samples_leaf == 0 {
            return Err(KdError::param("min_samples_leaf", 0, "must be ≥ 1"));
        }
        Ok(SmartcoreTreeValidParams(self.clone()))
    }
}

/// Checked [`SmartcoreTreeStudent`] settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreTreeValidParams(SmartcoreTreeStudent);

impl SmartcoreTreeValidParams {
    /// Maximum depth (`None`: unlimited).
    pub fn max_depth(&self) -> Option<usize> {
        self.0.max_depth
    }
    /// Minimum rows per leaf.
    pub fn min_samples_leaf(&self) -> usize {
        self.0.min_samples_leaf
    }
}

impl Student for SmartcoreTreeStudent {
    type Model = PerClassRegressors<SmTree>;
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model> {
        let p = self.check()?;
        let params = DecisionTreeRegressorParameters { max_depth: depth_u16(p.max_depth())?, min_samples_leaf: p.min_samples_leaf(), min_samples_split: 2, seed: Some(0) };
        fit_per_class(data, "smartcore DecisionTreeRegressor", |x, y| SmTree::fit(x, y, params.clone()))
    }
}

/// smartcore `RandomForestRegressor`, one per class. Defaults: 100 trees, unlimited depth,
/// `min_samples_leaf = 1`, smartcore's default number of features per split, seed 0.
///
/// # Examples
///
/// ```
/// use kdistill::data::moons::Moons;
/// use kdistill::student::{adapters::SmartcoreForestStudent, FitData, Predictor, Student};
/// let d = Moons::new().n_samples(200).noise(0.2).seed(1).generate().unwrap();
/// let q = kdistill::base::one_hot(d.y.view(), 2).unwrap();
/// let data = FitData::new(d.x.view(), q.view());
/// let forest = SmartcoreForestStudent::new().n_trees(10).max_depth(Some(6)).min_samples_leaf(2).seed(7);
/// let m = forest.fit_student(data).unwrap();
/// let acc = kdistill::metrics::accuracy(m.predict(d.x.view()).unwrap().view(), d.y.view()).unwrap();
/// assert!(acc > 0.9, "{acc}");
/// assert_eq!(forest.fit_student(data).unwrap().predict_proba(d.x.view()).unwrap(), m.predict_proba(d.x.view()).unwrap()); // seeded
/// assert!(SmartcoreForestStudent::new().n_trees(0).fit_student(data).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreForestStudent {
    n_trees: usize,
    max_depth: Option<usize>,
    min_samples_leaf: usize,
    seed: u64,
}

impl Default for SmartcoreForestStudent {
    fn default() -> Self {
        Self { n_trees: 100, max_depth: None, min_samples_leaf: 1, seed: 0 }
    }
}

impl SmartcoreForestStudent {
    /// Defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::SmartcoreForestStudent;
    /// use kdistill::student::{FitData, Predictor, Student};
    /// let x = ndarray::Array2::from_shape_fn((40, 1), |(i, _)| i as f32);
    /// let q = kdistill::base::one_hot(x.column(0).mapv(|v| usize::from(v >= 20.0)).view(), 2).unwrap();
    /// let m = SmartcoreForestStudent::new().fit_student(FitData::new(x.view(), q.view())).unwrap();
    /// assert_eq!(m.predict(ndarray::array![[2.0f32], [38.0]].view()).unwrap().to_vec(), vec![0, 1]); // 100 trees
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of trees (≥ 1).
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }
    /// Maximum depth (≥ 1), `None` = unlimited.
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum rows per leaf (≥ 1).
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
    /// Seed for bootstrap samples and feature subsets (class `k` uses `seed + k`).
    ///
    /// See the [`SmartcoreForestStudent`] example, which uses every builder method.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
}

impl SmartcoreForestStudent {
    /// Check the settings: `n_trees ≥ 1`, a depth limit in `1..=65535`, `min_samples_leaf ≥ 1`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::student::adapters::SmartcoreForestStudent;
    /// let p = SmartcoreForestStudent::new().n_trees(10).seed(3).check()?;
    /// assert_eq!((p.n_trees(), p.max_depth(), p.min_samples_leaf(), p.seed()), (10, None, 1, 3));
    /// assert!(SmartcoreForestStudent::new().min_samples_leaf(0).check().is_err());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    pub fn check(&self) -> Result<SmartcoreForestValidParams> {
        depth_u16(self.max_depth)?;
        if self.n_trees == 0 {
            return Err(KdError::param("n_trees", 0, "must be ≥ 1"));
        }
        if self.min_samples_leaf == 0 {
            return Err(KdError::param("min_samples_leaf", 0, "must be ≥ 1"));
        }
        Ok(SmartcoreForestValidParams(self.clone()))
    }
}

/// Checked [`SmartcoreForestStudent`] settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreForestValidParams(SmartcoreForestStudent);

impl SmartcoreForestValidParams {
    /// Trees per class.
    pub fn n_trees(&self) -> usize {
        self.0.n_trees
    }
    /// Maximum depth (`None`: unlimited).
    pub fn max_depth(&self) -> Option<usize> {
        self.0.max_depth
    }
    /// Minimum rows per leaf.
    pub fn min_samples_leaf(&self) -> usize {
        self.0.min_samples_leaf
    }
    /// Seed (class `k` uses `seed + k`).
    pub fn seed(&self) -> u64 {
        self.0.seed
    }
}

impl Student for SmartcoreForestStudent {
    type Model = PerClassRegressors<SmForest>;
    fn fit_student(&self, data: FitData<'_>) -> Result<Self::Model> {
        self.check()?;
        let max_depth = depth_u16(self.max_depth)?;
        let k = std::cell::Cell::new(0u64);
        fit_per_class(data, "smartcore RandomForestRegressor", |x, y| {
            let params = RandomForestRegressorParameters {
                max_depth,
                min_samples_leaf: self.min_samples_leaf,
                min_samples_split: 2,
                n_trees: self.n_trees,
                m: None,
                keep_samples: false,
                seed: self.seed.wrapping_add(k.get()),
            };
            k.set(k.get() + 1);
            SmForest::fit(x, y, params)
        })
    }
}

