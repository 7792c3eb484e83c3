//! Files in and out. Reading: CSV and Parquet tables into raw columns (`frame`, used by
//! [`crate::data::tabular`]), teacher-probability files ([`read_probability_file`]) and versioned JSON
//! models ([`load_model`]). Writing is atomic: every report, model and cache file is written to a
//! temporary file in the destination folder and renamed into place, so a crash never leaves a
//! half-written file behind; a command's whole output folder is staged and swapped into place by
//! [`StagedDir`].
use crate::error::{KdError, Result};
use std::io::Write;

pub(crate) mod frame;
mod probs;
mod staged;
pub(crate) use probs::{probability_matrix, reorder_columns};
pub use probs::{csv_field, format_probabilities_csv, read_probability_file, write_probabilities_csv};
pub use staged::StagedDir;
use std::path::Path;

/// Write `bytes` to `path` atomically (temp file in the same folder, fsync, rename). Creates parent dirs.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("sub/out.txt"); // parent folders are created
/// kdistill::io::atomic_write(&p, b"hello").unwrap();
/// kdistill::io::atomic_write(&p, b"bye").unwrap(); // replaces the old file in one rename
/// assert_eq!(std::fs::read_to_string(&p).unwrap(), "bye");
/// ```
pub fn atomic_write(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    atomic_write_with(path, |w| w.write_all(bytes))
}

/// Like [`atomic_write`], but the content is produced by a closure writing into a buffered file.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("rows.csv");
/// kdistill::io::atomic_write_with(&p, |w| {
///     for i in 0..3 {
///         writeln!(w, "{i},{}", i * i)?;
///     }
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(std::fs::read_to_string(&p).unwrap(), "0,0\n1,1\n2,4\n");
/// // A failing writer leaves the old file untouched.
/// assert!(kdistill::io::atomic_write_with(&p, |_| Err(std::io::Error::other("boom"))).is_err());
/// assert_eq!(std::fs::read_to_string(&p).unwrap(), "0,0\n1,1\n2,4\n");
/// ```
pub fn atomic_write_with(
    path: impl AsRef<Path>,
    f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| KdError::io(&dir, e))?;
    let tmp = temp_path(path);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        f(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(KdError::io(path, e));
    }
    Ok(())
}

/// Write named tensors to `path` as safetensors, atomically (a temp file renamed into place; nothing is
/// left behind on failure). Tensors are copied to the CPU first.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("t.safetensors");
/// let t = tch::Tensor::from_slice(&[1.0f32, 2.0]);
/// kdistill::io::atomic_write_safetensors(&p, &[("t", &t)]).unwrap();
/// let back = tch::Tensor::read_safetensors(&p).unwrap();
/// assert_eq!(back[0].0, "t");
/// assert_eq!(Vec::<f32>::try_from(&back[0].1).unwrap(), vec![1.0, 2.0]);
/// ```
#[cfg(feature = "torch")]
pub fn atomic_write_safetensors(path: impl AsRef<Path>, tensors: &[(&str, &tch::Tensor)]) -> Result<()> {
    let path = path.as_ref();
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|e| KdError::io(d, e))?;
    }
    // tch names the format by the extension, so the temp file keeps `.safetensors`.
    let tmp = temp_path(path).with_extension("safetensors");
    let cpu: Vec<(String, tch::Tensor)> = tensors.iter().map(|(n, t)| (n.to_string(), t.to_device(tch::Device::Cpu))).collect();
    if let Err(e) = tch::Tensor::write_safetensors(&cpu, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        KdError::io(path, e)
    })
}

/// A sibling temp path `.<name>.<pid>.tmp` for `path`.
///
/// # Examples
///
/// ```
/// let t = kdistill::io::temp_path(std::path::Path::new("out/metrics.json"));
/// assert_eq!(t, std::path::PathBuf::from(format!("out/.metrics.json.{}.tmp", std::process::id())));
/// ```
pub fn temp_path(path: &Path) -> std::path::PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Serialise `value` as pretty JSON to `path`, atomically.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("m.json");
/// kdistill::io::write_json(&p, &serde_json::json!({ "accuracy": 0.5 })).unwrap();
/// let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
/// assert_eq!(v["accuracy"], 0.5);
/// ```
pub fn write_json<T: serde::Serialize>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value)?;
    atomic_write(path, &bytes)
}

/// A model as versioned JSON text: `{"format_version": version, "model": kind, key: value}`. Read it
/// back with [`from_versioned_json`].
///
/// # Examples
///
/// ```
/// let json = kdistill::io::to_versioned_json("demo.model", 3, "weights", &vec![0.1f32, 2.0]).unwrap();
/// assert_eq!(json, r#"{"format_version":3,"model":"demo.model","weights":[0.1,2.0]}"#);
/// ```
pub fn to_versioned_json<T: serde::Serialize>(kind: &str, version: u32, key: &str, value: &T) -> Result<String> {
    // Written directly (not through `serde_json::Value`, which would print every f32 as its f64 expansion).
    let (kind, key, body) = (serde_json::to_string(kind)?, serde_json::to_string(key)?, serde_json::to_string(value)?);
    Ok(format!("{{\"format_version\":{version},\"model\":{kind},{key}:{body}}}"))
}

/// Parse JSON written by [`to_versioned_json`]: it must be valid JSON with an integer `format_version`
/// in `1..=version`, `"model": kind`, and a `key` that deserialises as `T`. Every failure is a
/// [`KdError::Model`] naming `origin` and what is wrong.
///
/// # Examples
///
/// ```
/// use kdistill::io::{from_versioned_json, to_versioned_json};
/// let json = to_versioned_json("demo.model", 1, "weights", &vec![1.5f32]).unwrap();
/// let back: Vec<f32> = from_versioned_json(&json, "m.json".as_ref(), "demo.model", 1, "weights").unwrap();
/// assert_eq!(back, vec![1.5]);
/// let err = |text: &str| from_versioned_json::<Vec<f32>>(text, "m.json".as_ref(), "demo.model", 1, "weights").unwrap_err().to_string();
/// assert!(err(&json.replace(":1,", ":2,")).contains("newer"));
/// assert!(err(&json.replace(":1,", ":0,")).contains("format_version 0"));
/// assert!(err(&json.replace("demo.model", "other")).contains("`other`, expected `demo.model`"));
/// assert!(err("{not json").starts_with("m.json: cannot load model: not valid JSON"));
/// ```
pub fn from_versioned_json<T: serde::de::DeserializeOwned>(text: &str, origin: &Path, kind: &str, version: u32, key: &str) -> Result<T> {
    let err = |msg: String| crate::error::KdError::Model { path: origin.to_path_buf(), msg };
    // Two streaming passes over the text, never a `serde_json::Value` of the whole file (a large tree
    // as a `Value` takes many times its file size): the header first, skipping everything else, so that
    // a newer or foreign file is named as such before its body is read; then the body straight into `T`.
    check_versioned_header(text, origin, kind, version)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let body = serde::Deserializer::deserialize_map(&mut de, BodyOf::<T> { key, marker: std::marker::PhantomData })
        .map_err(|e| err(format!("not a valid `{kind}`: {e}")))?;
    body.ok_or_else(|| err(format!("missing `{key}`")))
}

/// Check the header of versioned JSON (one streaming pass that skips everything but `format_version`
/// and `model`): valid JSON, an integer `format_version` in `1..=version`, and `"model": kind`. Returns
/// the file's version. Every failure is a [`KdError::Model`] naming `origin`.
///
/// # Examples
///
/// ```
/// use kdistill::io::check_versioned_header;
/// let o = "m.json".as_ref();
/// assert_eq!(check_versioned_header(r#"{"body":[1],"model":"k","format_version":1}"#, o, "k", 2).unwrap(), 1);
/// assert!(check_versioned_header(r#"{"model":"k","format_version":0}"#, o, "k", 2).is_err());
/// assert!(check_versioned_header(r#"{"model":"k","format_version":3}"#, o, "k", 2).unwrap_err().to_string().contains("newer"));
/// ```
pub fn check_versioned_header(text: &str, origin: &Path, kind: &str, version: u32) -> Result<u32> {
    let err = |msg: String| crate::error::KdError::Model { path: origin.to_path_buf(), msg };
    #[derive(serde::Deserialize)]
    struct Header {
        format_version: Option<serde_json::Value>,
        model: Option<serde_json::Value>,
    }
    let h: Header = serde_json::from_str(text).map_err(|e| err(format!("not valid JSON: {e}")))?;
    let found = h.format_version.as_ref().and_then(|f| f.as_u64()).ok_or_else(|| err("missing or non-integer `format_version`".into()))?;
    if found > version as u64 {
        return Err(err(format!("format_version {found} is newer than this build understands ({version}); upgrade kdistill")));
    }
    if found == 0 {
        return Err(err("format_version 0 is not a valid version".into()));
    }
    match h.model.as_ref().and_then(|m| m.as_str()) {
        Some(m) if m == kind => {}
        Some(m) => return Err(err(format!("the file holds a model of kind `{m}`, expected `{kind}`"))),
        None => return Err(err(format!("missing `model` (expected `{kind}`)"))),
    }
    Ok(found as u32)
}

/// Visits the top-level object and deserialises only the value under `key` (the first one).
struct BodyOf<'k, T> {
    key: &'k str,
    marker: std::marker::PhantomData<T>,
}

impl<'de, T: serde::de::DeserializeOwned> serde::de::Visitor<'de> for BodyOf<'_, T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Option<T>, A::Error> {
        let mut body = None;
        while let Some(k) = map.next_key::<String>()? {
            if body.is_none() && k == self.key {
                body = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(body)
    }
}

/// A model saved as versioned JSON ([`to_versioned_json`]): its kind, format version and body key,
/// and the consistency check a loaded copy must pass. [`save_model`], [`load_model`],
/// [`model_to_json`] and [`model_from_json`] then work for it.
pub trait VersionedModel: serde::Serialize + serde::de::DeserializeOwned {
    /// The `model` field, e.g. `kdistill.tree`.
    const KIND: &'static str;
    /// The newest `format_version` this build reads and the one it writes.
    const VERSION: u32;
    /// The key holding the model itself.
    const KEY: &'static str;
    /// What errors call a model that fails [`VersionedModel::check_loaded`] (`corrupted {NAME}: …`).
    const NAME: &'static str;
    /// Whether a deserialised model is internally consistent; the message says what is not.
    fn check_loaded(&self) -> std::result::Result<(), String>;
}

/// The model as versioned JSON text.
pub fn model_to_json<M: VersionedModel>(model: &M) -> Result<String> {
    to_versioned_json(M::KIND, M::VERSION, M::KEY, model)
}

/// Parse and check JSON written by [`model_to_json`]; `origin` names the source in errors.
pub fn model_from_json<M: VersionedModel>(text: &str, origin: &Path) -> Result<M> {
    let m: M = from_versioned_json(text, origin, M::KIND, M::VERSION, M::KEY)?;
    m.check_loaded().map_err(|msg| KdError::Model { path: origin.to_path_buf(), msg: format!("corrupted {}: {msg}", M::NAME) })?;
    Ok(m)
}

/// Write the model as versioned JSON to `path`, atomically.
pub fn save_model<M: VersionedModel>(model: &M, path: impl AsRef<Path>) -> Result<()> {
    atomic_write(path, model_to_json(model)?.as_bytes())
}

/// Load a model saved by [`save_model`]: a missing or unreadable file is [`KdError::Io`], anything
/// else wrong [`KdError::Model`] naming the path.
pub fn load_model<M: VersionedModel>(path: impl AsRef<Path>) -> Result<M> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| KdError::io(path, e))?;
    model_from_json(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/x.txt");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
    #[test]
    fn versioned_json_reads_fields_in_any_order_and_checks_the_header_first() {
        let o: &Path = "m.json".as_ref();
        let v: Vec<u8> = from_versioned_json(r#"{"w":[1,2],"extra":{"a":[null]},"model":"k","format_version":1}"#, o, "k", 1, "w").unwrap();
        assert_eq!(v, vec![1, 2]);
        // A newer file is named as newer even when its body would not parse.
        let e = from_versioned_json::<Vec<u8>>(r#"{"format_version":2,"model":"k","w":"new layout"}"#, o, "k", 1, "w").unwrap_err();
        assert!(e.to_string().contains("newer"), "{e}");
        let e = from_versioned_json::<Vec<u8>>(r#"{"format_version":1,"model":"k"}"#, o, "k", 1, "w").unwrap_err();
        assert!(e.to_string().contains("missing `w`"), "{e}");
        let e = from_versioned_json::<Vec<u8>>(r#"{"format_version":1,"model":"k","w":[300]}"#, o, "k", 1, "w").unwrap_err();
        assert!(e.to_string().contains("not a valid `k`"), "{e}");
        let e = from_versioned_json::<Vec<u8>>(r#"{"format_version":"1","model":"k","w":[]}"#, o, "k", 1, "w").unwrap_err();
        assert!(e.to_string().contains("non-integer `format_version`"), "{e}");
        let e = from_versioned_json::<Vec<u8>>(r#"{"format_version":1,"model":"k","w":[]} trailing"#, o, "k", 1, "w").unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
    }
    #[test]
    fn failed_writer_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.txt");
        atomic_write(&p, b"good").unwrap();
        let r = atomic_write_with(&p, |_| Err(std::io::Error::other("boom")));
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "good");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
