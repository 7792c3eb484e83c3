//! The teacher cache: keys that hash the data and the settings, and the teachers' logits as safetensors.
use crate::data::Dataset;
use crate::error::{KdError, Result};
use ndarray::Array2;
use rayon::prelude::*;
use std::path::Path;

/// FNV-1a 64 over bytes (cache keys).
pub(super) fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= b as u64;
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

pub(super) fn hash_data(d: &Dataset) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let xs = d.x.as_standard_layout();
    let chunks: Vec<u64> = xs
        .as_slice()
        .expect("standard layout")
        .par_chunks(1 << 20)
        .map(|c| {
            let mut hc = 0xcbf2_9ce4_8422_2325u64;
            for v in c {
                fnv(&mut hc, &v.to_le_bytes());
            }
            hc
        })
        .collect();
    for c in chunks {
        fnv(&mut h, &c.to_le_bytes());
    }
    for &y in d.y.iter() {
        fnv(&mut h, &[y as u8]);
    }
    h
}

pub(super) fn key_of(parts: &impl std::fmt::Debug) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut h, format!("{parts:?}").as_bytes());
    format!("{h:016x}")
}

/// How to get past an unreadable cache file, said by every cache error.
pub(super) const NO_CACHE_HINT: &str = "run without the cache (`use_cache = false`, `--no-cache` in the mnist example)";

pub(super) fn read_logits(path: &Path, expect: &[(&str, usize)], k: usize) -> Result<Vec<Array2<f32>>> {
    let bad = |msg: String| KdError::Model { path: path.to_path_buf(), msg: format!("unreadable teacher cache: {msg}; delete it or {NO_CACHE_HINT}") };
    let tensors = tch::Tensor::read_safetensors(path).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for (name, rows) in expect {
        let t = tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t).ok_or_else(|| bad(format!("no tensor `{name}`")))?;
        if t.size() != [*rows as i64, k as i64] {
            return Err(bad(format!("tensor `{name}` has shape {:?}, expected [{rows}, {k}]", t.size())));
        }
        let a = crate::neural::to_array2(t)?;
        crate::base::check_finite(a.view(), &format!("cached logits `{name}`")).map_err(|e| bad(e.to_string()))?;
        out.push(a);
    }
    Ok(out)
}

pub(super) fn write_logits(path: &Path, sets: &[(&str, &Array2<f32>)]) -> Result<()> {
    let tensors: Vec<(&str, tch::Tensor)> = sets.iter().map(|(n, a)| (*n, crate::neural::to_tensor(a.view(), tch::Device::Cpu))).collect();
    crate::io::atomic_write_safetensors(path, &tensors.iter().map(|(n, t)| (*n, t)).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn logits_cache_round_trip_and_corruption() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l.safetensors");
        let a = array![[1.0f32, 2.0], [3.0, 4.0]];
        let b = array![[5.0f32, 6.0]];
        write_logits(&p, &[("train", &a), ("test", &b)]).unwrap();
        let v = read_logits(&p, &[("train", 2), ("test", 1)], 2).unwrap();
        assert_eq!((v[0].clone(), v[1].clone()), (a, b));
        let e = read_logits(&p, &[("train", 3)], 2).unwrap_err().to_string();
        assert!(e.contains("expected [3, 2]") && e.contains("--no-cache"), "{e}");
        std::fs::write(&p, b"garbage").unwrap();
        let e = read_logits(&p, &[("train", 2)], 2).unwrap_err().to_string();
        assert!(e.contains("unreadable teacher cache") && e.contains("--no-cache"), "{e}");
    }
}
