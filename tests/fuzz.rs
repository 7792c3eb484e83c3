//! Mutation fuzzing of the three readers of users' files: the IDX reader (raw and gzip), the table
//! reader with a probability file, and the model loaders (`TableTree`, `Tree`). Each target starts from
//! a corpus of valid files (the tabular fixtures, a model fitted on them, small IDX files) and, until its
//! time is up, applies 1–8 random mutations (bit flips, interesting bytes and tokens such as `NaN`,
//! `1e39`, quotes and separators, insertions, deletions, duplicated ranges, splices with another seed)
//! and reads the result. Any panic fails the test and the input is kept under
//! `target/fuzz-crashes/`; errors are what bad input should give.
//!
//! `KD_FUZZ_SECS` sets the time per target (default 3 s, the short run of the test suite). The long
//! run, outside CI: `KD_FUZZ_SECS=600 scripts/test --test fuzz -- --test-threads 3`.
use kdistill::data::idx::{encode_images, encode_labels, read_images, read_labels};
use kdistill::data::tabular::TableReader;
use kdistill::student::tree::{TableTree, Tree};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tabular").join(name)
}

fn budget() -> Duration {
    let secs = std::env::var("KD_FUZZ_SECS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

const TOKENS: &[&[u8]] = &[
    b"NaN", b"inf", b"-inf", b"1e39", b"-1e308", b"3.4e38", b"0", b"-0", b"1", b"0.5", b"", b",", b",,", b"\n", b"\r\n", b"\n\n", b"\"",
    b"\"\"", b" ", b"a", b"p_", b"label", b"x1", b"\xef\xbb\xbf", b"\xff\xfe", b"99999999999999999999", b"-1", b"{", b"}", b"[", b"]",
    b"null", b"true", b"\"format_version\":0", b"4294967295", b"1e-45",
];

/// One to eight random edits of `seed` (with `other` for splices).
fn mutate(rng: &mut ChaCha8Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.gen_range(1..=8) {
        let len = v.len();
        let at = if len == 0 { 0 } else { rng.gen_range(0..len) };
        match rng.gen_range(0..9) {
            0 if len > 0 => v[at] ^= 1 << rng.gen_range(0..8),
            1 if len > 0 => v[at] = [0u8, 0x7f, 0x80, 0xff, b'0', b'9', b'-', b'.', b'e'][rng.gen_range(0..9)],
            2 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            3 if len > 0 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                let end = (at + rng.gen_range(1..=8)).min(len);
                v.splice(at..end, t.iter().copied());
            }
            4 if len > 0 => {
                let end = (at + rng.gen_range(1..=64)).min(len);
                v.drain(at..end);
            }
            5 if len > 0 => {
                let end = (at + rng.gen_range(1..=256)).min(len);
                let chunk = v[at..end].to_vec();
                let to = rng.gen_range(0..=v.len());
                v.splice(to..to, chunk);
            }
            6 if !other.is_empty() => {
                let from = rng.gen_range(0..other.len());
                let end = (from + rng.gen_range(1..=256)).min(other.len());
                v.splice(at..at.min(len), other[from..end].iter().copied());
            }
            7 if len > 0 => v.truncate(at),
            _ => {
                let n = rng.gen_range(1..=16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.r#gen()).collect();
                v.splice(at..at, bytes);
            }
        }
    }
    v
}

/// Run `read` on mutants of `seeds` until the budget is spent; panics are collected and fail the test.
fn fuzz(name: &str, seeds: &[Vec<u8>], mut read: impl FnMut(&[u8]) -> bool) {
    let crash_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    let mut rng = ChaCha8Rng::seed_from_u64(std::env::var("KD_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7));
    let (start, budget) = (Instant::now(), budget());
    let (mut runs, mut accepted, mut crashes) = (0u64, 0u64, Vec::new());
    // The seeds themselves must be read without a panic too.
    let mut inputs: Vec<Vec<u8>> = seeds.to_vec();
    while start.elapsed() < budget || !inputs.is_empty() {
        let input = inputs.pop().unwrap_or_else(|| {
            let s = &seeds[rng.gen_range(0..seeds.len())];
            let o = &seeds[rng.gen_range(0..seeds.len())];
            mutate(&mut rng, s, o)
        });
        runs += 1;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&input))) {
            Ok(ok) => accepted += ok as u64,
            Err(_) => {
                std::fs::create_dir_all(&crash_dir).unwrap();
                let p = crash_dir.join(format!("{name}-{}", crashes.len()));
                std::fs::write(&p, &input).unwrap();
                crashes.push(p);
            }
        }
    }
    println!("{name}: {runs} inputs in {:.0} s, {accepted} read without error, {} panics", start.elapsed().as_secs_f64(), crashes.len());
    assert!(crashes.is_empty(), "{name}: inputs that panic are in {crashes:?}");
}

#[test]
fn fuzz_idx_reader() {
    let dir = tempfile::tempdir().unwrap();
    let gz = |b: &[u8]| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let images = encode_images(3, 4, 5, &(0..60).map(|i| (i * 4) as u8).collect::<Vec<_>>());
    let labels = encode_labels(&[0, 9, 3, 3, 7]);
    let seeds = vec![gz(&images), gz(&labels), images, labels];
    let p = dir.path().join("f");
    fuzz("idx", &seeds, |bytes| {
        std::fs::write(&p, bytes).unwrap();
        let a = read_images(&p).is_ok();
        let b = read_labels(&p, 10).is_ok();
        a || b
    });
}

#[test]
fn fuzz_table_reader_with_probability_file() {
    let dir = tempfile::tempdir().unwrap();
    let read = |f: &str| std::fs::read(fixture(f)).unwrap();
    // Small seeds keep each read fast: the first 12 lines of each fixture.
    let head = |b: Vec<u8>| b.split(|&c| c == b'\n').take(13).collect::<Vec<_>>().join(&b'\n');
    let data = head(read("train.csv"));
    let probs = head(read("train_probs.csv"));
    let (dp, pp) = (dir.path().join("d.csv"), dir.path().join("p.csv"));
    let seeds = vec![data.clone(), probs.clone()];
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    fuzz("table", &seeds, |bytes| {
        // Mutate one of the two files; the other stays valid.
        let (d, p) = if rng.gen_bool(0.5) { (bytes, probs.as_slice()) } else { (data.as_slice(), bytes) };
        std::fs::write(&dp, d).unwrap();
        std::fs::write(&pp, p).unwrap();
        let a = TableReader::new(&dp).target("label").probs_file(Some(&pp)).read().is_ok();
        let b = TableReader::new(&dp).target("label").target_optional(true).read().is_ok();
        a || b
    });
}

#[test]
fn fuzz_model_loader() {
    // A model fitted on the fixture, as `distill tree` writes it.
    let t = TableReader::new(fixture("train.csv")).target("label").probs_file(Some(&fixture("train_probs.csv"))).read().unwrap();
    let tree = kdistill::student::tree::TreeParams::new().max_leaves(Some(12)).fit(t.x.view(), t.probs.as_ref().unwrap().view(), None).unwrap();
    let model = TableTree { tree: tree.clone(), fitted_on: "soft".into(), target: "label".into(), classes: t.classes.clone(), encoding: t.encoding.clone() };
    let seeds = vec![model.to_json().unwrap().into_bytes(), tree.to_json().unwrap().into_bytes()];
    let origin = Path::new("model.json");
    let rows = t.x.slice(ndarray::s![..20, ..]).to_owned();
    fuzz("model", &seeds, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        let a = match TableTree::from_json(&text, origin) {
            // A model that loads must predict probabilities for well-formed rows.
            Ok(m) => {
                let p = m.predict_proba(rows.view()).unwrap();
                assert!(p.iter().all(|v| v.is_finite() && (-1e-5..=1.0 + 1e-5).contains(v)), "loaded model predicts {p:?}");
                true
            }
            Err(_) => false,
        };
        let b = Tree::from_json(&text, origin).is_ok_and(|t| t.n_features() != 2 || t.predict_proba(rows.view()).is_ok());
        a || b
    });
}
