//! Tests of [`super`] (idx).
use super::*;
use flate2::write::GzEncoder;
use std::io::Write;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A tiny MNIST-layout folder: 3 train and 2 test images of 2×3 pixels.
fn tiny(dir: &Path, gzip: bool) {
    let enc = |b: Vec<u8>| if gzip { gz(&b) } else { b };
    let sfx = if gzip { ".gz" } else { "" };
    let train: Vec<u8> = (0..18).map(|i| (i * 15) as u8).collect();
    write(dir, &format!("{TRAIN_IMAGES}{sfx}"), &enc(encode_images(3, 2, 3, &train)));
    write(dir, &format!("{TRAIN_LABELS}{sfx}"), &enc(encode_labels(&[0, 9, 4])));
    write(dir, &format!("{TEST_IMAGES}{sfx}"), &enc(encode_images(2, 2, 3, &[255; 12])));
    write(dir, &format!("{TEST_LABELS}{sfx}"), &enc(encode_labels(&[1, 2])));
}

fn msg(e: KdError) -> String {
    assert!(matches!(e, KdError::Idx { .. } | KdError::InvalidParam { .. }), "{e:?}");
    e.to_string()
}

#[test]
fn loads_raw_and_gzip_identically() {
    for gzip in [false, true] {
        let d = tempfile::tempdir().unwrap();
        tiny(d.path(), gzip);
        let m = load_mnist(d.path()).unwrap();
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.train.x.dim(), (3, 6));
        assert_eq!(m.test.x.dim(), (2, 6));
        assert_eq!(m.train.y.to_vec(), vec![0, 9, 4]);
        assert_eq!(m.test.y.to_vec(), vec![1, 2]);
        // pixel i*15 of image 0 → (i*15)/255; image 1 starts at pixel 6 = 90.
        assert!((m.train.x[[0, 1]] - 15.0 / 255.0).abs() < 1e-7);
        assert!((m.train.x[[1, 0]] - 90.0 / 255.0).abs() < 1e-7);
        assert!(m.test.x.iter().all(|&v| v == 1.0));
        assert_eq!(m.train.n_classes, 10);
    }
}

#[test]
fn gzip_is_detected_by_magic_not_name() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "imgs", &gz(&encode_images(1, 1, 2, &[0, 255])));
    let im = read_images(&p).unwrap();
    assert_eq!(im.pixels, vec![0, 255]);
}

#[test]
fn dotted_names_are_accepted() {
    let d = tempfile::tempdir().unwrap();
    tiny(d.path(), false);
    std::fs::rename(d.path().join(TRAIN_IMAGES), d.path().join("train-images.idx3-ubyte")).unwrap();
    assert_eq!(load_mnist(d.path()).unwrap().train.len(), 3);
}

#[test]
fn missing_folder_names_the_fetch_command() {
    let e = msg(load_mnist("/nonexistent/kd/data/mnist").unwrap_err());
    assert!(e.contains("folder does not exist") && e.contains(FETCH_COMMAND), "{e}");
    let e = msg(load_mnist("data/mnist-nope").unwrap_err());
    assert!(e.contains("bash data/fetch_mnist.sh data/mnist-nope"), "{e}");
}

#[test]
fn missing_file_is_named() {
    let d = tempfile::tempdir().unwrap();
    tiny(d.path(), false);
    std::fs::remove_file(d.path().join(TEST_LABELS)).unwrap();
    let e = msg(load_mnist(d.path()).unwrap_err());
    assert!(e.contains("no `t10k-labels-idx1-ubyte` or `t10k-labels-idx1-ubyte.gz`") && e.contains(FETCH_COMMAND), "{e}");
}

#[test]
fn truncated_image_file() {
    let mut b = encode_images(2, 2, 2, &[1; 8]);
    b.truncate(b.len() - 3);
    let e = msg(parse_images(&b, "t".as_ref()).unwrap_err());
    assert!(e.contains("truncated") && e.contains("should be 24 bytes, but it is 21 (3 missing)"), "{e}");
}

#[test]
fn trailing_bytes() {
    let mut b = encode_labels(&[1, 2]);
    b.extend_from_slice(&[0, 0]);
    let e = msg(parse_labels(&b, "t".as_ref(), 10).unwrap_err());
    assert!(e.contains("2 trailing bytes") && e.contains("should be 10 bytes, but it is 12"), "{e}");
}

#[test]
fn truncated_header_and_tiny_file() {
    let e = msg(parse_images(&[0, 0], "t".as_ref()).unwrap_err());
    assert!(e.contains("too short for the 4-byte IDX magic"), "{e}");
    let b = encode_images(2, 2, 2, &[]);
    let e = msg(parse_images(&b[..10], "t".as_ref()).unwrap_err());
    assert!(e.contains("truncated header") && e.contains("need 16 bytes but the file has 10"), "{e}");
}

#[test]
fn wrong_magic() {
    let e = msg(parse_images(b"PK\x03\x04rest", "t".as_ref()).unwrap_err());
    assert!(e.contains("bad magic number 0x504B0304") && e.contains("0x00000803"), "{e}");
    // a label file where an image file is expected: 1 dimension instead of 3
    let e = msg(parse_images(&encode_labels(&[1]), "t".as_ref()).unwrap_err());
    assert!(e.contains("declares 1 dimension(s); images need 3"), "{e}");
    let e = msg(parse_labels(&encode_images(1, 1, 1, &[0]), "t".as_ref(), 10).unwrap_err());
    assert!(e.contains("declares 3 dimension(s); labels need 1"), "{e}");
}

#[test]
fn other_dtype_is_reported() {
    let mut b = encode_images(1, 1, 1, &[0, 0, 0, 0]);
    b[2] = 0x0D;
    let e = msg(parse_images(&b, "t".as_ref()).unwrap_err());
    assert!(e.contains("data type 0x0D (f32)") && e.contains("only unsigned bytes"), "{e}");
}

#[test]
fn zero_sizes() {
    let e = msg(parse_images(&encode_images(0, 2, 2, &[]), "t".as_ref()).unwrap_err());
    assert!(e.contains("0 images"), "{e}");
    let e = msg(parse_images(&encode_images(1, 0, 2, &[]), "t".as_ref()).unwrap_err());
    assert!(e.contains("0×2"), "{e}");
    let e = msg(parse_labels(&encode_labels(&[]), "t".as_ref(), 10).unwrap_err());
    assert!(e.contains("0 labels"), "{e}");
}

#[test]
fn huge_declared_sizes_do_not_overflow_or_allocate() {
    let b = encode_images(u32::MAX as usize, u32::MAX as usize, u32::MAX as usize, &[]);
    let e = msg(parse_images(&b, "t".as_ref()).unwrap_err());
    assert!(e.contains("overflow") || e.contains("truncated"), "{e}");
}

#[test]
fn reading_is_bounded_by_the_header() {
    let d = tempfile::tempdir().unwrap();
    // A header declaring 2 labels followed by 50 MB of zeros (50 kB gzipped): refused with the true
    // length, and at most the declared bytes + 1 are ever kept.
    let mut b = encode_labels(&[1, 2]);
    b.resize(50_000_000, 0);
    for (name, bytes) in [("raw", b.clone()), ("gz", gz(&b))] {
        let p = write(d.path(), name, &bytes);
        let e = msg(read_labels(&p, 10).unwrap_err());
        assert!(e.contains("49999990 trailing bytes") && e.contains("should be 10 bytes, but it is 50000000"), "{name}: {e}");
    }
    // A bad magic number is refused after 4 bytes, the rest never read.
    let mut bad = b"PK\x03\x04".to_vec();
    bad.resize(50_000_000, 7);
    let p = write(d.path(), "bad.gz", &gz(&bad));
    assert!(msg(read_images(&p).unwrap_err()).contains("bad magic number 0x504B0304"));
    // A header that declares more than the file holds: truncated, nothing allocated up front.
    let huge = encode_images(60_000, 28_000, 28_000, &[1, 2, 3]);
    let p = write(d.path(), "huge.gz", &gz(&huge));
    let e = msg(read_images(&p).unwrap_err());
    assert!(e.contains("truncated") && e.contains("but it is 19"), "{e}");
    // Corrupt gzip: named as such.
    let mut g = gz(&encode_labels(&[1, 2, 3]));
    let n = g.len();
    g.truncate(n - 6);
    let p = write(d.path(), "cut.gz", &g);
    assert!(msg(read_labels(&p, 10).unwrap_err()).contains("gzip data is corrupt or truncated"));
}

#[test]
fn label_out_of_range() {
    let e = msg(parse_labels(&encode_labels(&[1, 2, 10, 3]), "t".as_ref(), 10).unwrap_err());
    assert!(e.contains("label 10 at index 2 is outside 0..=9"), "{e}");
    assert_eq!(parse_labels(&encode_labels(&[1, 2]), "t".as_ref(), 3).unwrap().to_vec(), vec![1, 2]);
    let e = msg(parse_labels(&encode_labels(&[1, 2]), "t".as_ref(), 2).unwrap_err());
    assert!(e.contains("label 2 at index 1 is outside 0..=1 (n_classes = 2)"), "{e}");
    assert!(matches!(parse_labels(&encode_labels(&[0]), "t".as_ref(), 0), Err(KdError::InvalidParam { .. })));
}

#[test]
fn count_mismatch_names_both_files() {
    let d = tempfile::tempdir().unwrap();
    tiny(d.path(), false);
    write(d.path(), TRAIN_LABELS, &encode_labels(&[0, 1]));
    let e = msg(load_mnist(d.path()).unwrap_err());
    assert!(e.contains("has 2 labels but") && e.contains("has 3 images"), "{e}");
    assert!(e.contains(TRAIN_LABELS) && e.contains(TRAIN_IMAGES), "{e}");
}

#[test]
fn test_and_train_shapes_must_agree() {
    let d = tempfile::tempdir().unwrap();
    tiny(d.path(), false);
    write(d.path(), TEST_IMAGES, &encode_images(2, 3, 2, &[0; 12]));
    let e = msg(load_mnist(d.path()).unwrap_err());
    assert!(e.contains("test images are 3×2 but the training images"), "{e}");
}

#[test]
fn corrupt_and_truncated_gzip() {
    let d = tempfile::tempdir().unwrap();
    let full = gz(&encode_images(4, 4, 4, &(0..64).collect::<Vec<u8>>()));
    let p = write(d.path(), "cut.gz", &full[..full.len() / 2]);
    let e = msg(read_images(&p).unwrap_err());
    assert!(e.contains("gzip data is corrupt or truncated"), "{e}");
    let mut bad = full.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    bad[mid + 1] ^= 0xff;
    let p = write(d.path(), "bad.gz", &bad);
    // A flipped byte breaks either the deflate stream or the CRC check; both are errors, never garbage.
    assert!(read_images(&p).is_err());
}

#[test]
fn unreadable_path_is_io_error() {
    let d = tempfile::tempdir().unwrap();
    // A folder where a file is expected: reading it fails with an IO error naming the path.
    let e = read_images(d.path()).unwrap_err();
    assert!(e.to_string().contains(&d.path().display().to_string()), "{e}");
}

proptest::proptest! {
    #[test]
    fn encode_parse_round_trip(n in 1usize..5, r in 1usize..5, c in 1usize..5, seed in 0u8..255) {
        let px: Vec<u8> = (0..n * r * c).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let im = parse_images(&encode_images(n, r, c, &px), "p".as_ref()).unwrap();
        proptest::prop_assert_eq!(im, IdxImages { n, rows: r, cols: c, pixels: px });
        let labels: Vec<u8> = (0..n).map(|i| ((i + seed as usize) % 10) as u8).collect();
        let l = parse_labels(&encode_labels(&labels), "p".as_ref(), 10).unwrap();
        proptest::prop_assert_eq!(l.to_vec(), labels.iter().map(|&v| v as usize).collect::<Vec<_>>());
    }
}
