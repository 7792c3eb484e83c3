//! [`TableMlp`]: the crate's MLP teacher trained on a table (needs the `torch` feature). See the
//! [parent module's docs](super).
use crate::data::tabular::{Encoding, Standardiser, Table};
use crate::error::{KdError, Result};
use crate::neural::{DeviceChoice, Mlp, MlpParams};
use crate::teacher::{Teacher, TeacherOutput};
use ndarray::ArrayView2;

/// The MLP teacher trained on a table: standardise, then the network. See the [module docs](self).
///
/// # Examples
///
/// Train on a table read from a file, save, load, and query new rows read with the saved encoding:
///
/// ```
/// use kdistill::data::tabular::TableReader;
/// use kdistill::neural::DeviceChoice;
/// use kdistill::teacher::{mlp::teacher_params, table::TableMlp, Teacher};
/// let dir = tempfile::tempdir().unwrap();
/// let rows: String = (0..40).map(|i| format!("{},{}\n", i as f32 * 10.0, if i < 20 { "low" } else { "high" })).collect();
/// std::fs::write(dir.path().join("train.csv"), format!("x,y\n{rows}")).unwrap();
/// let table = TableReader::new(dir.path().join("train.csv")).target("y").read().unwrap();
/// let params = teacher_params().epochs(100).device(DeviceChoice::Cpu).seed(0);
/// let t = TableMlp::fit(&params, &table).unwrap();
/// t.save(dir.path().join("teacher")).unwrap();
/// let back = TableMlp::load(dir.path().join("teacher"), DeviceChoice::Cpu).unwrap();
/// assert_eq!(back.classes, ["high", "low"]);
/// std::fs::write(dir.path().join("new.csv"), "x\n5\n395\n").unwrap();
/// let new = TableReader::new(dir.path().join("new.csv")).encoding(back.encoding.clone()).read().unwrap();
/// assert_eq!(back.predict(new.x.view()).unwrap().to_vec(), vec![1, 0]); // low, high
/// ```
#[derive(Debug)]
pub struct TableMlp {
    /// The trained network (on standardised features).
    pub mlp: Mlp,
    /// Fitted on the training rows.
    pub standardiser: Standardiser,
    /// The table's column encoding (to read new files the same way).
    pub encoding: Encoding,
    /// Class names, in output order.
    pub classes: Vec<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TableMlpFile {
    format_version: u32,
    model: String,
    standardiser: Standardiser,
    encoding: Encoding,
    classes: Vec<String>,
}

/// Version of `table.json` written by [`TableMlp::save`].
///
/// # Examples
///
/// ```
/// use kdistill::teacher::table::TABLE_MLP_FORMAT_VERSION;
/// assert!(TABLE_MLP_FORMAT_VERSION >= 1); // `load` refuses files with a larger version
/// ```
pub const TABLE_MLP_FORMAT_VERSION: u32 = 1;

impl TableMlp {
    /// Train `params` on a table with labels.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::tabular::TableReader;
    /// use kdistill::neural::DeviceChoice;
    /// use kdistill::teacher::{mlp::teacher_params, table::TableMlp, Teacher};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("t.csv");
    /// // Raw feature values in the thousands: the standardiser in front of the network copes.
    /// let rows: String = (0..40).map(|i| format!("{},{}\n", 1000.0 + i as f32 * 100.0, usize::from(i >= 20))).collect();
    /// std::fs::write(&path, format!("x,y\n{rows}")).unwrap();
    /// let table = TableReader::new(&path).target("y").read().unwrap();
    /// let t = TableMlp::fit(&teacher_params().epochs(100).device(DeviceChoice::Cpu).seed(0), &table).unwrap();
    /// assert_eq!(t.predict(ndarray::array![[1000.0f32], [4900.0]].view()).unwrap().to_vec(), vec![0, 1]);
    /// let unlabeled = TableReader::new(&path).ignore(["y"]).read().unwrap();
    /// assert!(TableMlp::fit(&teacher_params(), &unlabeled).is_err()); // needs a target column
    /// ```
    pub fn fit(params: &MlpParams, table: &Table) -> Result<Self> {
        let labels = table.labels.as_ref().ok_or_else(|| KdError::Data {
            path: table.path.clone(),
            row: None,
            column: None,
            msg: "training the MLP teacher needs labels (a target column)".into(),
        })?;
        let standardiser = Standardiser::fit(table.x.view())?;
        let z = standardiser.transform(table.x.view())?;
        let mlp = params.fit(crate::neural::TrainData::new(z.view()).labels(labels.view()), table.n_classes())?;
        Ok(Self { mlp, standardiser, encoding: table.encoding.clone(), classes: table.classes.clone() })
    }

    /// Save into `dir`: `model.json`, `model.safetensors` (the network) and `table.json`; atomically.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{data::tabular::TableReader, neural::DeviceChoice, teacher::{mlp::teacher_params, table::TableMlp}};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("t.csv"), "x,y\n0,a\n1,b\n2,a\n3,b\n").unwrap();
    /// let table = TableReader::new(dir.path().join("t.csv")).target("y").read().unwrap();
    /// let t = TableMlp::fit(&teacher_params().epochs(1).device(DeviceChoice::Cpu), &table).unwrap();
    /// t.save(dir.path().join("teacher")).unwrap();
    /// for f in ["model.json", "model.safetensors", "table.json"] {
    ///     assert!(dir.path().join("teacher").join(f).is_file(), "{f}");
    /// }
    /// ```
    pub fn save(&self, dir: impl AsRef<std::path::Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.mlp.save(dir)?;
        let f = TableMlpFile {
            format_version: TABLE_MLP_FORMAT_VERSION,
            model: "kdistill.table_mlp".into(),
            standardiser: self.standardiser.clone(),
            encoding: self.encoding.clone(),
            classes: self.classes.clone(),
        };
        crate::io::write_json(dir.join("table.json"), &f)
    }

    /// Load what [`TableMlp::save`] wrote.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::{data::tabular::TableReader, neural::DeviceChoice, teacher::{mlp::teacher_params, table::TableMlp, Teacher}};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("t.csv"), "x,y\n0,a\n1,b\n2,a\n3,b\n").unwrap();
    /// let table = TableReader::new(dir.path().join("t.csv")).target("y").read().unwrap();
    /// let t = TableMlp::fit(&teacher_params().epochs(2).device(DeviceChoice::Cpu), &table).unwrap();
    /// t.save(dir.path()).unwrap();
    /// let back = TableMlp::load(dir.path(), DeviceChoice::Cpu).unwrap();
    /// assert_eq!(back.predict_proba(table.x.view()).unwrap(), t.predict_proba(table.x.view()).unwrap());
    /// // A newer format version is refused with a clear message.
    /// let p = dir.path().join("table.json");
    /// let text = std::fs::read_to_string(&p).unwrap().replace("\"format_version\": 1", "\"format_version\": 99");
    /// std::fs::write(&p, text).unwrap();
    /// assert!(TableMlp::load(dir.path(), DeviceChoice::Cpu).unwrap_err().to_string().contains("newer"));
    /// ```
    pub fn load(dir: impl AsRef<std::path::Path>, device: DeviceChoice) -> Result<Self> {
        let dir = dir.as_ref();
        let path = dir.join("table.json");
        let err = |msg: String| KdError::Model { path: path.clone(), msg };
        let text = std::fs::read_to_string(&path).map_err(|e| KdError::io(&path, e))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON: {e}")))?;
        let version = v.get("format_version").and_then(|f| f.as_u64()).ok_or_else(|| err("missing `format_version`".into()))?;
        if version > TABLE_MLP_FORMAT_VERSION as u64 {
            return Err(err(format!("format_version {version} is newer than this build understands ({TABLE_MLP_FORMAT_VERSION})")));
        }
        let f: TableMlpFile = serde_json::from_value(v).map_err(|e| err(format!("not a kdistill table teacher: {e}")))?;
        let mlp = Mlp::load(dir, device)?;
        let d = f.encoding.n_features();
        if f.standardiser.mean.len() != d || f.standardiser.scale.len() != d || mlp.n_classes() != f.classes.len() {
            return Err(err(format!(
                "inconsistent files: {d} encoded features, standardiser for {}, {} classes, network with {} outputs",
                f.standardiser.mean.len(),
                f.classes.len(),
                mlp.n_classes()
            )));
        }
        Ok(Self { mlp, standardiser: f.standardiser, encoding: f.encoding, classes: f.classes })
    }
}

impl Teacher for TableMlp {
    fn n_classes(&self) -> usize {
        self.classes.len()
    }
    fn predict_raw(&self, x: ArrayView2<f32>) -> Result<TeacherOutput> {
        let z = self.standardiser.transform(x)?;
        Ok(TeacherOutput::Logits(self.mlp.logits(z.view())?))
    }
}
