//! IDX files (the MNIST layout), raw or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number `00 00 TT DD` — two zero bytes, a data-type byte `TT`
//! (`0x08` = unsigned byte, `0x09` = i8, `0x0B` = i16, `0x0C` = i32, `0x0D` = f32, `0x0E` = f64) and the
//! number of dimensions `DD` — then `DD` big-endian `u32` sizes, then the data in row-major order.
//! MNIST uses `0x00000803` (u8, 3-D: `n × rows × cols`) for images and `0x00000801` (u8, 1-D: `n`) for
//! labels. A file is gzip-compressed when it starts with the gzip magic `1f 8b`; it is then inflated
//! before parsing, whatever its name.
//!
//! Every check failure is a [`KdError::Idx`] naming the file and what exactly is wrong: wrong magic,
//! unsupported data type, wrong number of dimensions, zero sizes, truncated data or trailing bytes (with
//! the expected and actual lengths), a label outside `0..n_classes` (with its index), or image and label
//! files of different counts. A missing folder or file names the command that downloads MNIST.
//!
//! [`load_mnist`] reads the four standard files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally with `.gz`) from one folder and
//! returns features scaled to `[0, 1]` (`pixel / 255`), one row per image. Any data set in the same layout
//! (Fashion-MNIST, KMNIST, …) loads the same way.
//!
//! ```
//! use kdistill::data::idx::{encode_images, encode_labels, parse_images, parse_labels};
//! let img = encode_images(2, 2, 2, &[0, 255, 0, 0, 1, 2, 3, 4]);
//! let images = parse_images(&img, "mem".as_ref()).unwrap();
//! assert_eq!((images.n, images.rows, images.cols), (2, 2, 2));
//! assert_eq!(images.features().row(0).to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
//! let lab = parse_labels(&encode_labels(&[3, 9]), "mem".as_ref(), 10).unwrap();
//! assert_eq!(lab.to_vec(), vec![3, 9]);
//! ```
use super::Dataset;
use crate::error::{KdError, Result};
use ndarray::{Array1, Array2};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Magic number of an unsigned-byte 3-D IDX file (images); see the [`encode_images`] example.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte 1-D IDX file (labels); see the [`encode_labels`] example.
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The command that downloads MNIST into `data/mnist/`.
pub const FETCH_COMMAND: &str = "bash data/fetch_mnist.sh";

/// The standard MNIST file stems (without `.gz`); the [`load_mnist`] example writes a folder with them.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// Training labels.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// Test images.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// Test labels.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// A decoded image file: `n` images of `rows × cols` unsigned bytes, row-major, image after image.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::IdxImages;
/// let img = IdxImages { n: 1, rows: 1, cols: 2, pixels: vec![0, 255] };
/// assert_eq!(img.pixels_per_image(), 2);
/// assert_eq!(img.features(), ndarray::array![[0.0f32, 1.0]]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub n: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `n · rows · cols` pixels.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Pixels per image (`rows · cols`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::idx::{encode_images, parse_images};
    /// let img = parse_images(&encode_images(3, 28, 28, &vec![0u8; 3 * 784]), "mem".as_ref()).unwrap();
    /// assert_eq!(img.pixels_per_image(), 784);
    /// ```
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }
    /// `n × (rows·cols)` features scaled to `[0, 1]` (`pixel / 255`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::idx::{encode_images, parse_images};
    /// let img = parse_images(&encode_images(2, 1, 2, &[0, 51, 255, 0]), "mem".as_ref()).unwrap();
    /// assert_eq!(img.features(), ndarray::array![[0.0f32, 0.2], [1.0, 0.0]]);
    /// ```
    pub fn features(&self) -> Array2<f32> {
        let v: Vec<f32> = self.pixels.iter().map(|&p| pixel_value(p)).collect();
        Array2::from_shape_vec((self.n, self.pixels_per_image()), v).expect("length checked at parse time")
    }

    /// `n × (rows·cols)` raw pixels, one row per image (for [`Tree::for_bytes`](crate::student::tree::Tree::for_bytes)).
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::data::idx::{encode_images, parse_images};
    /// let img = parse_images(&encode_images(2, 1, 2, &[0, 51, 255, 0]), "mem".as_ref()).unwrap();
    /// assert_eq!(img.pixel_matrix(), ndarray::array![[0u8, 51], [255, 0]]);
    /// ```
    pub fn pixel_matrix(&self) -> Array2<u8> {
        Array2::from_shape_vec((self.n, self.pixels_per_image()), self.pixels.clone()).expect("length checked at parse time")
    }
}

/// The feature value of a pixel: `pixel / 255`, in `[0, 1]` (what [`IdxImages::features`] gives).
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::pixel_value;
/// assert_eq!((pixel_value(0), pixel_value(51), pixel_value(255)), (0.0, 0.2, 1.0));
/// ```
pub fn pixel_value(p: u8) -> f32 {
    p as f32 / 255.0
}

/// MNIST (or any data set in its layout): train and test splits with features in `[0, 1]`.
///
/// # Examples
///
/// A four-file MNIST-layout folder (here a tiny one written on the spot) loads into a `Mnist`:
///
/// ```
/// use kdistill::data::idx::*;
/// let dir = tempfile::tempdir().unwrap();
/// let w = |name: &str, bytes: Vec<u8>| std::fs::write(dir.path().join(name), bytes).unwrap();
/// w(TRAIN_IMAGES, encode_images(3, 2, 2, &[0; 12]));
/// w(TRAIN_LABELS, encode_labels(&[0, 1, 2]));
/// w(TEST_IMAGES, encode_images(1, 2, 2, &[255; 4]));
/// w(TEST_LABELS, encode_labels(&[1]));
/// let m: Mnist = load_mnist(dir.path()).unwrap();
/// assert_eq!((m.train.len(), m.test.len(), m.rows, m.cols), (3, 1, 2, 2));
/// assert_eq!(m.test.x.row(0).to_vec(), vec![1.0; 4]);
/// ```
#[derive(Debug, Clone)]
pub struct Mnist {
    /// Training set (60 000 rows for MNIST).
    pub train: Dataset,
    /// Test set (10 000 rows for MNIST).
    pub test: Dataset,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// The folder it was read from.
    pub dir: PathBuf,
}

fn idx_err(path: &Path, msg: impl Into<String>) -> KdError {
    KdError::Idx { path: path.to_path_buf(), msg: msg.into() }
}

fn fetch_hint(dir: &Path) -> String {
    let default = Path::new("data").join("mnist");
    if dir == default || dir.ends_with(&default) {
        format!("run `{FETCH_COMMAND}` to download MNIST")
    } else {
        format!("run `{FETCH_COMMAND} {}` to download MNIST there, or pass a folder that holds the IDX files", dir.display())
    }
}

/// Read an IDX file's bytes, inflating them when the file starts with the gzip magic `1f 8b`, with
/// bounded memory: the header is read first, then at most the data bytes it declares and one more.
/// More than that is counted without being kept and refused as trailing bytes, so a corrupt or
/// hostile file costs no more memory than its header promises (and a file whose header is already
/// wrong is refused after a few bytes, whatever its size).
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let bytes = kdistill::data::idx::encode_labels(&[4, 2]);
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&bytes).unwrap();
/// let p = dir.path().join("labels.gz");
/// std::fs::write(&p, gz.finish().unwrap()).unwrap();
/// assert_eq!(kdistill::data::idx::read_bytes(&p).unwrap(), bytes); // inflated
/// ```
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            let dir = path.parent().unwrap_or(Path::new("."));
            idx_err(path, format!("file not found; {}", fetch_hint(dir)))
        } else {
            KdError::io(path, e)
        }
    })?;
    let mut file = std::io::BufReader::new(file);
    let head = std::io::BufRead::fill_buf(&mut file).map_err(|e| KdError::io(path, e))?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        read_bounded(flate2::read::MultiGzDecoder::new(file), path).map_err(|e| match e {
            KdError::Io { source, .. } => {
                idx_err(path, format!("gzip data is corrupt or truncated ({source}); delete the file and fetch it again"))
            }
            other => other,
        })
    } else {
        read_bounded(file, path)
    }
}

/// The header, then at most the declared data and one byte (see [`read_bytes`]).
fn read_bounded(mut r: impl Read, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let take = |bytes: &mut Vec<u8>, r: &mut dyn Read, n: usize| -> Result<usize> {
        r.take(n as u64).read_to_end(bytes).map_err(|e| KdError::io(path, e))
    };
    take(&mut bytes, &mut r, 4)?;
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Ok(bytes); // too short or not IDX: the parser says which
    }
    let ndim = bytes[3] as usize;
    take(&mut bytes, &mut r, 4 * ndim)?;
    if bytes.len() < 4 + 4 * ndim {
        return Ok(bytes); // truncated header
    }
    let dims = header_dims(&bytes, ndim);
    let data = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let Some(data) = data.filter(|d| d.checked_add(bytes.len() + 1).is_some()) else {
        return Ok(bytes); // the parser reports the overflow
    };
    let header = bytes.len();
    take(&mut bytes, &mut r, data + 1)?;
    if bytes.len() > header + data {
        let rest = std::io::copy(&mut r, &mut std::io::sink()).map_err(|e| KdError::io(path, e))? as usize;
        let sizes = dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" × ");
        check_length(bytes.len() + rest, path, header, Some(data), &format!("sizes {sizes}"))?;
    }
    Ok(bytes)
}

/// The `ndim` big-endian `u32` sizes after the 4-byte magic (`bytes` holds at least `4 + 4·ndim`).
fn header_dims(bytes: &[u8], ndim: usize) -> Vec<usize> {
    bytes[4..4 + 4 * ndim].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect()
}

fn dtype_name(t: u8) -> &'static str {
    match t {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown type",
    }
}

/// Parse the header: check the magic against `want` (`0x0000_08DD`) and return the sizes and data offset.
fn parse_header(bytes: &[u8], path: &Path, want: u32, what: &str) -> Result<(Vec<usize>, usize)> {
    let want_dims = (want & 0xff) as usize;
    if bytes.len() < 4 {
        return Err(idx_err(path, format!("file is {} bytes, too short for the 4-byte IDX magic number", bytes.len())));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(idx_err(
            path,
            format!("bad magic number 0x{magic:08X}: an IDX file starts with two zero bytes (expected 0x{want:08X} for {what}); is this an IDX file?"),
        ));
    }
    let (dtype, ndim) = (bytes[2], bytes[3] as usize);
    if dtype != 0x08 {
        return Err(idx_err(
            path,
            format!(
                "magic number 0x{magic:08X} declares data type 0x{dtype:02X} ({}); only unsigned bytes (0x08, magic 0x{want:08X}) are supported for {what}",
                dtype_name(dtype)
            ),
        ));
    }
    if ndim != want_dims {
        return Err(idx_err(
            path,
            format!("magic number 0x{magic:08X} declares {ndim} dimension(s); {what} need {want_dims} (magic 0x{want:08X})"),
        ));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(idx_err(
            path,
            format!("truncated header: {ndim} dimension sizes need {header} bytes but the file has {}", bytes.len()),
        ));
    }
    Ok((header_dims(bytes, ndim), header))
}

/// `actual` (the file's length) against the header's `header + data` bytes.
fn check_length(actual: usize, path: &Path, header: usize, data: Option<usize>, desc: &str) -> Result<()> {
    let data = data.ok_or_else(|| idx_err(path, format!("sizes {desc} overflow the addressable length")))?;
    let expected = header + data;
    if actual < expected {
        Err(idx_err(
            path,
            format!(
                "truncated: the header declares {desc} = {data} data bytes, so the file should be {expected} bytes, but it is {actual} ({} missing)",
                expected - actual
            ),
        ))
    } else if actual > expected {
        Err(idx_err(
            path,
            format!(
                "{} trailing bytes: the header declares {desc} = {data} data bytes, so the file should be {expected} bytes, but it is {actual}",
                actual - expected
            ),
        ))
    } else {
        Ok(())
    }
}

/// Parse an in-memory (already inflated) image file. `path` is only used in error messages.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_images, encode_labels, parse_images};
/// let img = parse_images(&encode_images(2, 1, 3, &[1, 2, 3, 4, 5, 6]), "mem".as_ref()).unwrap();
/// assert_eq!((img.n, img.rows, img.cols, img.pixels.len()), (2, 1, 3, 6));
/// // A label file is not an image file; a truncated file is an error naming both lengths.
/// assert!(parse_images(&encode_labels(&[1]), "mem".as_ref()).is_err());
/// let e = parse_images(&encode_images(2, 1, 3, &[1, 2, 3]), "img".as_ref()).unwrap_err();
/// assert!(e.to_string().starts_with("img: invalid IDX file"), "{e}");
/// ```
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<IdxImages> {
    let (dims, header) = parse_header(bytes, path, IMAGES_MAGIC, "images")?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if n == 0 {
        return Err(idx_err(path, "the header declares 0 images"));
    }
    if rows == 0 || cols == 0 {
        return Err(idx_err(path, format!("the header declares images of {rows}×{cols} pixels; both sizes must be ≥ 1")));
    }
    let data = n.checked_mul(rows).and_then(|v| v.checked_mul(cols));
    check_length(bytes.len(), path, header, data, &format!("{n} images × {rows} × {cols} pixels"))?;
    Ok(IdxImages { n, rows, cols, pixels: bytes[header..].to_vec() })
}

/// Parse an in-memory (already inflated) label file, checking every label is `< n_classes`.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_labels, parse_labels};
/// let y = parse_labels(&encode_labels(&[0, 9, 3]), "mem".as_ref(), 10).unwrap();
/// assert_eq!(y.to_vec(), vec![0, 9, 3]);
/// let e = parse_labels(&encode_labels(&[0, 7]), "lab".as_ref(), 2).unwrap_err();
/// assert!(e.to_string().contains("label 7 at index 1"), "{e}");
/// ```
pub fn parse_labels(bytes: &[u8], path: &Path, n_classes: usize) -> Result<Array1<usize>> {
    if n_classes == 0 || n_classes > 256 {
        return Err(KdError::param("n_classes", n_classes, "must be in 1..=256 for byte labels"));
    }
    let (dims, header) = parse_header(bytes, path, LABELS_MAGIC, "labels")?;
    let n = dims[0];
    if n == 0 {
        return Err(idx_err(path, "the header declares 0 labels"));
    }
    check_length(bytes.len(), path, header, Some(n), &format!("{n} labels"))?;
    let labels = &bytes[header..];
    if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l as usize >= n_classes) {
        return Err(idx_err(
            path,
            format!("label {l} at index {i} is outside 0..={} (n_classes = {n_classes})", n_classes - 1),
        ));
    }
    Ok(labels.iter().map(|&l| l as usize).collect())
}

/// Read an image file (raw or gzip).
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_images, read_images};
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("img-idx3-ubyte");
/// std::fs::write(&p, encode_images(1, 2, 2, &[0, 1, 2, 3])).unwrap();
/// assert_eq!(read_images(&p).unwrap().pixels, vec![0, 1, 2, 3]);
/// assert!(read_images(dir.path().join("missing")).unwrap_err().to_string().contains("fetch_mnist"));
/// ```
pub fn read_images(path: impl AsRef<Path>) -> Result<IdxImages> {
    let path = path.as_ref();
    parse_images(&read_bytes(path)?, path)
}

/// Read a label file (raw or gzip) with labels in `0..n_classes`.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_labels, read_labels};
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("lab-idx1-ubyte");
/// std::fs::write(&p, encode_labels(&[1, 0, 1])).unwrap();
/// assert_eq!(read_labels(&p, 2).unwrap().to_vec(), vec![1, 0, 1]);
/// assert!(read_labels(&p, 1).is_err()); // label 1 is outside 0..1
/// ```
pub fn read_labels(path: impl AsRef<Path>, n_classes: usize) -> Result<Array1<usize>> {
    let path = path.as_ref();
    parse_labels(&read_bytes(path)?, path, n_classes)
}

/// Read a matching image + label pair into a [`Dataset`] (features in `[0, 1]`), checking the counts agree.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_images, encode_labels, read_pair};
/// let dir = tempfile::tempdir().unwrap();
/// let (i, l) = (dir.path().join("i"), dir.path().join("l"));
/// std::fs::write(&i, encode_images(2, 1, 2, &[0, 255, 255, 0])).unwrap();
/// std::fs::write(&l, encode_labels(&[1, 0])).unwrap();
/// let (ds, rows, cols) = read_pair(&i, &l, 2).unwrap();
/// assert_eq!((ds.len(), rows, cols), (2, 1, 2));
/// assert_eq!(ds.y.to_vec(), vec![1, 0]);
/// std::fs::write(&l, encode_labels(&[1])).unwrap();
/// assert!(read_pair(&i, &l, 2).unwrap_err().to_string().contains("do not belong together"));
/// ```
pub fn read_pair(images: &Path, labels: &Path, n_classes: usize) -> Result<(Dataset, usize, usize)> {
    let img = read_images(images)?;
    let lab = read_labels(labels, n_classes)?;
    if img.n != lab.len() {
        return Err(idx_err(
            labels,
            format!(
                "has {} labels but {} has {} images; the two files do not belong together",
                lab.len(),
                images.display(),
                img.n
            ),
        ));
    }
    let ds = Dataset::new(img.features(), lab, n_classes)?;
    Ok((ds, img.rows, img.cols))
}

/// Locate `stem` in `dir`: `stem`, `stem.gz`, or the dotted variant (`train-images.idx3-ubyte[.gz]`).
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{find_file, TRAIN_IMAGES};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("train-images.idx3-ubyte.gz"), b"").unwrap();
/// let p = find_file(dir.path(), TRAIN_IMAGES).unwrap();
/// assert!(p.ends_with("train-images.idx3-ubyte.gz"));
/// assert!(find_file(dir.path(), "t10k-images-idx3-ubyte").is_err());
/// ```
pub fn find_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a folder" } else { "folder does not exist" };
        return Err(idx_err(dir, format!("{what}; {}", fetch_hint(dir))));
    }
    let dotted = stem.replacen("-idx", ".idx", 1);
    let candidates = [stem.to_string(), format!("{stem}.gz"), dotted.clone(), format!("{dotted}.gz")];
    for c in &candidates {
        let p = dir.join(c);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(idx_err(dir, format!("no `{stem}` or `{stem}.gz` in this folder; {}", fetch_hint(dir))))
}

/// Load the four MNIST-layout files from `dir` (10 classes).
///
/// # Examples
///
/// With the real files (`bash data/fetch_mnist.sh`) this is `load_mnist("data/mnist")`; here a tiny
/// folder in the same layout:
///
/// ```
/// use kdistill::data::idx::*;
/// let dir = tempfile::tempdir().unwrap();
/// let w = |name: &str, bytes: Vec<u8>| std::fs::write(dir.path().join(name), bytes).unwrap();
/// w(TRAIN_IMAGES, encode_images(2, 3, 3, &[7; 18]));
/// w(TRAIN_LABELS, encode_labels(&[9, 0]));
/// w(TEST_IMAGES, encode_images(1, 3, 3, &[0; 9]));
/// w(TEST_LABELS, encode_labels(&[5]));
/// let m = load_mnist(dir.path()).unwrap();
/// assert_eq!((m.train.x.dim(), m.test.y.to_vec(), m.train.n_classes), ((2, 9), vec![5], 10));
/// assert!(load_mnist(dir.path().join("nope")).is_err());
/// ```
pub fn load_mnist(dir: impl AsRef<Path>) -> Result<Mnist> {
    load_mnist_classes(dir, 10)
}

/// Load the four MNIST-layout files from `dir` with labels in `0..n_classes`.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::*;
/// let dir = tempfile::tempdir().unwrap();
/// let w = |name: &str, bytes: Vec<u8>| std::fs::write(dir.path().join(name), bytes).unwrap();
/// w(TRAIN_IMAGES, encode_images(2, 1, 1, &[0, 255]));
/// w(TRAIN_LABELS, encode_labels(&[0, 1]));
/// w(TEST_IMAGES, encode_images(1, 1, 1, &[9]));
/// w(TEST_LABELS, encode_labels(&[1]));
/// assert_eq!(load_mnist_classes(dir.path(), 2).unwrap().train.n_classes, 2);
/// w(TEST_LABELS, encode_labels(&[2]));
/// assert!(load_mnist_classes(dir.path(), 2).is_err()); // label 2 with 2 classes
/// ```
pub fn load_mnist_classes(dir: impl AsRef<Path>, n_classes: usize) -> Result<Mnist> {
    let dir = dir.as_ref();
    let paths = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS]
        .map(|s| find_file(dir, s))
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let (train, r, c) = read_pair(&paths[0], &paths[1], n_classes)?;
    let (test, r2, c2) = read_pair(&paths[2], &paths[3], n_classes)?;
    if (r, c) != (r2, c2) {
        return Err(idx_err(
            &paths[2],
            format!("test images are {r2}×{c2} but the training images ({}) are {r}×{c}", paths[0].display()),
        ));
    }
    Ok(Mnist { train, test, rows: r, cols: c, dir: dir.to_path_buf() })
}

/// Encode images as an IDX byte buffer (magic `0x00000803`). Used by tests and to write subsets.
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_images, IMAGES_MAGIC};
/// let b = encode_images(1, 2, 2, &[1, 2, 3, 4]);
/// assert_eq!(&b[..4], &IMAGES_MAGIC.to_be_bytes());
/// assert_eq!(b.len(), 4 + 3 * 4 + 4); // magic, three sizes, pixels
/// ```
pub fn encode_images(n: usize, rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(16 + pixels.len());
    b.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for d in [n, rows, cols] {
        b.extend_from_slice(&(d as u32).to_be_bytes());
    }
    b.extend_from_slice(pixels);
    b
}

/// Encode labels as an IDX byte buffer (magic `0x00000801`).
///
/// # Examples
///
/// ```
/// use kdistill::data::idx::{encode_labels, LABELS_MAGIC};
/// assert_eq!(encode_labels(&[3, 1]), [&LABELS_MAGIC.to_be_bytes()[..], &[0, 0, 0, 2, 3, 1]].concat());
/// ```
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + labels.len());
    b.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

#[cfg(test)]
mod tests;
