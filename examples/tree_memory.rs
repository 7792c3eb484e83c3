//! Memory and time of a CART fit on a million-row set of 8-bit images (issue 13, item 5: "peak memory
//! under 3 GB for 1 M rows; the 65 536-leaf fit within 5 minutes on 2 cores").
//!
//! The rows are the MNIST experiment's transfer-set views: `--views` views of each of the 60 000
//! training images, view 0 the image itself, the others translated by up to 1 pixel and half of them
//! mixed with a random other image keeping weight `λ ~ U(0.75, 1)` (the preset's `ViewRecipe`). No
//! teacher is needed to measure the fit: each view's target is its mixup label
//! `λ·onehot(y_own) + (1 − λ)·onehot(y_partner)`, ten soft outputs like a teacher's. The views are
//! rendered to bytes chunk by chunk and binned as they come ([`ByteBinner`]), as the experiment does, so
//! the rendered bytes are never held whole beside the codes.
//!
//! Printed and written to `--out` (JSON): rows, the bytes of codes and targets, the binning's and each
//! fit's peak of live heap bytes (a counting allocator: binning, the fitter's buffers and the tree),
//! wall times, leaves, test accuracy, and the process's peak resident memory (`VmHWM`, libtorch
//! included).
//!
//! ```text
//! scripts/cargo run --release --example tree_memory -- --views 20 --leaves 4096,65536
//! ```
use clap::Parser;
use kdistill::augment::views::{ViewRecipe, Views};
use kdistill::data::idx::{find_file, load_mnist, pixel_value, read_images, TRAIN_IMAGES};
use kdistill::error::{KdError, Result};
use kdistill::student::tree::{BinnedMatrix, ByteBinner, TreeParams};
use ndarray::Array2;
use std::path::PathBuf;
use std::time::Instant;
use tch::{Device, Kind, Tensor};

#[path = "common/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::peak_during;

#[derive(Parser, Debug)]
#[command(about = "Peak memory and time of our CART fit on a million-row set of MNIST views (u8 codes)")]
struct Args {
    /// Folder with the MNIST IDX files.
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Views of each training image (60 000 × views rows).
    #[arg(long, default_value_t = 20)]
    views: usize,
    /// Leaf limits to fit (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "4096,65536")]
    leaves: Vec<usize>,
    /// Seed of the views.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output JSON.
    #[arg(long, default_value = "reports/bench/tree_memory.json")]
    out: PathBuf,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("tree_memory: {e}");
        std::process::exit(1);
    }
}

/// Peak resident memory of this process in MB (`VmHWM` of `/proc/self/status`; `None` elsewhere).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1e3)
}

fn run(a: Args) -> Result<()> {
    if a.views == 0 || a.leaves.is_empty() {
        return Err(KdError::param("views", a.views, "need at least one view and one leaf limit"));
    }
    let mnist = load_mnist(&a.data)?;
    let pixels = read_images(find_file(&a.data, TRAIN_IMAGES)?)?.pixel_matrix();
    let (n, d) = pixels.dim();
    let k = mnist.train.y.iter().max().map_or(2, |m| m + 1);
    let images = Tensor::from_slice(pixels.as_slice().ok_or_else(|| KdError::Shape("pixels not contiguous".into()))?)
        .view([n as i64, d as i64])
        .to_kind(Kind::Float)
        / 255.0;
    let recipe = ViewRecipe { max_shift: 1, mix_fraction: 0.5, min_weight: 0.75, neighbours: 0 };
    let views = Views::sample(n, mnist.rows, mnist.cols, a.views, &recipe, a.seed)?;
    let rows = views.len();
    let r = Tensor::arange(rows as i64, (Kind::Int64, Device::Cpu));
    let t0 = Instant::now();
    let (binned, bin_peak) = peak_during(|| -> Result<BinnedMatrix> {
        let mut binner = ByteBinner::new(rows, d, 256, pixel_value)?;
        views.render_u8_chunks(&images, &r, Some("rendering and binning views"), |chunk| binner.push(chunk))?;
        binner.finish()
    });
    let binned = binned?;
    let render_bin_s = t0.elapsed().as_secs_f64();
    // Mixup labels of every view.
    let batch = views.batch(&r);
    let own = Vec::<i64>::try_from(&batch.image)?;
    let partner = Vec::<i64>::try_from(&batch.partner)?;
    let lam = Vec::<f32>::try_from(&batch.lam)?;
    let mut y = Array2::<f32>::zeros((rows, k));
    for i in 0..rows {
        y[[i, mnist.train.y[own[i] as usize]]] += lam[i];
        y[[i, mnist.train.y[partner[i] as usize]]] += 1.0 - lam[i];
    }
    drop(batch);
    let n_mixed = views.n_mixed();
    // Only the codes, the targets and the test images are needed from here on.
    drop((images, pixels, views));
    let test = mnist.test;
    drop(mnist.train);
    let data_mb = (rows * d + rows * k * 4) as f64 / 1e6;
    eprintln!(
        "{rows} rows × {d} bytes ({} mixed) rendered and binned chunk by chunk in {render_bin_s:.1} s, peak {:.0} MB of live heap (the codes included); codes + f32 targets {data_mb:.0} MB",
        n_mixed,
        bin_peak as f64 / 1e6
    );

    let mut fits = Vec::new();
    for &leaves in &a.leaves {
        let t0 = Instant::now();
        let (tree, peak) = peak_during(|| TreeParams::default().max_leaves(Some(leaves)).fit_binned(&binned, y.view(), None));
        let tree = tree?;
        let fit_s = t0.elapsed().as_secs_f64();
        let pred = tree.predict_proba(test.x.view())?;
        let classes = kdistill::base::argmax_rows(pred.view());
        let acc = classes.iter().zip(test.y.iter()).filter(|(p, t)| p == t).count() as f64 / test.len() as f64;
        eprintln!(
            "≤{leaves} leaves: fit {fit_s:.1} s, peak {:.0} MB of live heap above the codes and targets ({:.2} × their size), {} leaves, test accuracy {:.2}%",
            peak as f64 / 1e6,
            peak as f64 / 1e6 / data_mb,
            tree.n_leaves(),
            100.0 * acc
        );
        fits.push(serde_json::json!({"max_leaves": leaves, "fit_s": fit_s, "fit_peak_mb": peak as f64 / 1e6, "leaves": tree.n_leaves(), "test_acc": acc}));
    }
    let rss = peak_rss_mb();
    eprintln!("process peak resident memory (libtorch, rendering and everything above): {}", rss.map_or("unknown".into(), |m| format!("{m:.0} MB")));
    let report = serde_json::json!({
        "rows": rows, "features": d, "views_per_image": a.views, "seed": a.seed,
        "rayon_threads": rayon::current_num_threads(),
        "codes_and_targets_mb": data_mb, "render_and_bin_s": render_bin_s, "render_and_bin_peak_mb": bin_peak as f64 / 1e6,
        "fits": fits, "process_peak_rss_mb": rss,
    });
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| KdError::io(dir, e))?;
    }
    std::fs::write(&a.out, serde_json::to_string_pretty(&report)?).map_err(|e| KdError::io(&a.out, e))?;
    eprintln!("wrote {}", a.out.display());
    Ok(())
}
