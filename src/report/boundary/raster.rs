//! The background of a boundary plot, pixel by pixel: class colour blended by confidence, and the
//! anti-aliased boundary line (the maths is in the parent module's docs).
use crate::report::canvas::INK;
use crate::report::palette::{class_color, tint};
use ndarray::ArrayView2;
use plotters::prelude::*;
use super::Grid;

/// Colour every pixel of a `w × h` plotting area from the grid probabilities (row-major, top row first).
pub(super) fn rasterise(grid: &Grid, probs: ArrayView2<f32>, w: usize, h: usize) -> Vec<RGBColor> {
    let k = probs.ncols();
    let chance = 1.0 / k as f32;
    let mut label = vec![0usize; w * h];
    let mut margin = vec![0f32; w * h];
    let mut conf = vec![0f32; w * h];
    let mut p = vec![0f32; k];
    // Interpolation weights along each axis, computed once per column / row.
    let axis = |n: usize, len: usize, flip: bool| -> Vec<(usize, f32)> {
        (0..len)
            .map(|i| {
                let f = (i as f32 + 0.5) / len as f32;
                let g = (if flip { 1.0 - f } else { f }) * (n - 1) as f32;
                let i0 = (g.floor() as usize).min(n - 2);
                (i0, g - i0 as f32)
            })
            .collect()
    };
    let (cols, rows) = (axis(grid.nx, w, false), axis(grid.ny, h, true));
    for (py, &(iy, fy)) in rows.iter().enumerate() {
        for (px, &(ix, fx)) in cols.iter().enumerate() {
            let (a, b) = (iy * grid.nx + ix, (iy + 1) * grid.nx + ix);
            let (w00, w10, w01, w11) = ((1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy);
            for (c, pc) in p.iter_mut().enumerate() {
                *pc = w00 * probs[[a, c]] + w10 * probs[[a + 1, c]] + w01 * probs[[b, c]] + w11 * probs[[b + 1, c]];
            }
            let (best, second) = top_two(&p);
            label[py * w + px] = best;
            margin[py * w + px] = p[best] - second;
            conf[py * w + px] = ((p[best] - chance) / (1.0 - chance)).clamp(0.0, 1.0);
        }
    }
    let mut out = Vec::with_capacity(w * h);
    for py in 0..h {
        for px in 0..w {
            let i = py * w + px;
            let bg = tint(class_color(label[i]), 0.62 * conf[i]);
            // Only pixels next to a change of the predicted class carry the line (a region where two
            // classes tie exactly is not itself a line); its anti-aliasing uses the margin distance.
            let differs = |j: Option<usize>| j.is_some_and(|j| label[j] != label[i]);
            let (left, right) = ((px > 0).then(|| i - 1), (px + 1 < w).then_some(i + 1));
            let (up, down) = ((py > 0).then(|| i - w), (py + 1 < h).then_some(i + w));
            let mut alpha = 0.0;
            if differs(left) || differs(right) || differs(up) || differs(down) {
                // One-sided margin differences; at the boundary (a kink of m) both sides carry |∇m|.
                let d = |j: Option<usize>| j.map(|j| (margin[j] - margin[i]).abs()).unwrap_or(0.0);
                let (gx, gy) = (d(left).max(d(right)), d(up).max(d(down)));
                let g = (gx * gx + gy * gy).sqrt();
                let dist = if g > 1e-12 { margin[i] / g } else { 0.0 };
                alpha = (1.3 - dist).clamp(0.0, 1.0) * 0.9;
            }
            out.push(mix(bg, INK, alpha));
        }
    }
    out
}

/// Index of the largest entry and the value of the second largest.
pub(super) fn top_two(p: &[f32]) -> (usize, f32) {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    let second = p.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, &v)| v).fold(f32::NEG_INFINITY, f32::max);
    (best, second)
}

/// `a·(1−t) + b·t` per channel.
pub(super) fn mix(a: RGBColor, b: RGBColor, t: f32) -> RGBColor {
    let m = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}
