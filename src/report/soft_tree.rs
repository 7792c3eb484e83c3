//! A soft decision tree on image data drawn as in Frosst & Hinton's figure: each inner node's filter
//! `w_i` as a heat map (red where a bright pixel sends the image right, blue where it sends it left),
//! the class distributions below, and the max-path routes of a few example images.
//!
//! At most the top four levels of filters are drawn. Below them come small bar charts of class
//! probabilities: the leaves' own distributions when the tree is that shallow, otherwise, for each
//! subtree, the mean predicted distribution of the reference images whose max path runs through it
//! (with their count).
//!
//! ```
//! use kdistill::report::plot_soft_tree;
//! use kdistill::student::soft_tree::SoftTree;
//! use ndarray::{Array1, Array2};
//! // A depth-2 tree on 4×4 images.
//! let w = Array2::from_shape_fn((3, 16), |(i, p)| if p % 4 == i { 1.0f32 } else { -0.2 });
//! let phi = Array2::from_shape_fn((4, 3), |(l, k)| if l % 3 == k { 2.0f32 } else { 0.0 });
//! let tree = SoftTree::from_parts(3.0, w, Array1::zeros(3), phi)?;
//! let images = Array2::from_shape_fn((5, 16), |(i, p)| ((i + p) % 5) as f32 / 4.0);
//! let dir = tempfile::tempdir().unwrap();
//! plot_soft_tree(dir.path().join("sdt.png"), "a tiny soft tree", &tree, (4, 4), images.view(), &[0, 3])?;
//! # Ok::<(), kdistill::KdError>(())
//! ```
use super::canvas::{bold, legend_row, render_png, text, titled, Area, DrawResult, Swatch, INK, MUTED};
use super::palette::class_color;
use crate::error::{KdError, Result};
use crate::student::soft_tree::{Routing, SoftTree};
use ndarray::{Array2, ArrayView1, ArrayView2};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Levels of filters drawn at most.
const LEVELS: usize = 4;
/// Pixels per filter pixel.
const ZOOM: usize = 3;
/// Colours of the example routes (not the red/blue of the filters).
const ROUTE: [RGBColor; 4] = [RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(255, 127, 14), RGBColor(23, 190, 207)];

/// Diverging blue–white–red for `t ∈ [−1, 1]`.
fn diverging(t: f32) -> RGBColor {
    let t = if t.is_finite() { t.clamp(-1.0, 1.0) } else { 0.0 };
    let (r, g, b) = if t >= 0.0 { (178.0, 24.0, 43.0) } else { (33.0, 102.0, 172.0) };
    let a = t.abs();
    let m = |c: f32| (255.0 - (255.0 - c) * a).round() as u8;
    RGBColor(m(r), m(g), m(b))
}

/// Write the figure to `path`. `shape` is the images' `(rows, cols)` (`rows·cols` = the tree's
/// features); `reference` (`n × rows·cols`) gives the subtree summaries; `examples` are rows of
/// `reference` whose max-path routes are drawn (at most four).
pub fn plot_soft_tree(path: impl AsRef<Path>, title: &str, tree: &SoftTree, shape: (usize, usize), reference: ArrayView2<f32>, examples: &[usize]) -> Result<()> {
    let (rows, cols) = shape;
    if rows * cols != tree.n_features() || rows == 0 {
        return Err(KdError::Shape(format!("{rows}×{cols} images for a tree of {} features", tree.n_features())));
    }
    if reference.nrows() == 0 {
        return Err(KdError::Empty("the soft-tree figure needs reference images".into()));
    }
    if let Some(&e) = examples.iter().find(|&&e| e >= reference.nrows()) {
        return Err(KdError::Shape(format!("example {e} is outside the {} reference images", reference.nrows())));
    }
    if examples.len() > ROUTE.len() {
        return Err(KdError::param("examples", examples.len(), format!("at most {} routes are drawn", ROUTE.len())));
    }
    let levels = tree.depth().min(LEVELS);
    let k = tree.n_classes();
    // Where every reference image ends up, and what it predicts there.
    let leaves = tree.max_path_leaf(reference)?;
    let probs = tree.predict_proba_with(reference, Routing::MaxPath)?;
    // Class distributions at the bottom row: `levels` below the root.
    let below = tree.depth() - levels;
    let n_bottom = 1usize << levels;
    let (bottom, counts): (Array2<f32>, Vec<usize>) = if below == 0 {
        (Array2::from_shape_fn((n_bottom, k), |(l, c)| tree.leaf_distribution(l)[c]), vec![0; n_bottom])
    } else {
        let mut sum = Array2::<f32>::zeros((n_bottom, k));
        let mut cnt = vec![0usize; n_bottom];
        for (i, &l) in leaves.iter().enumerate() {
            let s = l >> below;
            sum.row_mut(s).scaled_add(1.0, &probs.row(i));
            cnt[s] += 1;
        }
        for (mut r, &c) in sum.rows_mut().into_iter().zip(&cnt) {
            if c > 0 {
                r /= c as f32;
            }
        }
        (sum, cnt)
    };
    let tile = (rows.max(cols) * ZOOM) as i32;
    let width = (n_bottom as i32 * 112).max(8 * (tile + 40)).max(900) + 260;
    let level_h = tile + 58;
    let top = 96;
    let bars_h = 118;
    let height = top + levels as i32 * level_h + bars_h + 44;
    let subtitle = format!(
        "depth {}, β = {:.1}; filters: red = a bright pixel sends the image right, blue = left; {} routes of example images",
        tree.depth(),
        tree.beta(),
        examples.len()
    );
    render_png(path.as_ref(), (width as u32, height as u32), |root| {
        root.fill(&WHITE)?;
        titled(&root.margin(8, 0, 0, 0), title, Some(&subtitle), 24.0)?;
        let left = 250; // examples column
        let span = width - left - 10;
        let centre = |level: usize, j: usize| -> (i32, i32) {
            let w = span as f64 / (1u64 << level) as f64;
            (left + (w * (j as f64 + 0.5)) as i32, top + level as i32 * level_h + tile / 2)
        };
        let bottom_y = top + levels as i32 * level_h;
        // Edges: grey for all, then each example's route in its colour.
        for level in 0..levels {
            for j in 0..(1usize << level) {
                let (x, y) = centre(level, j);
                for c in 0..2 {
                    let (cx, cy) = if level + 1 < levels { centre(level + 1, 2 * j + c) } else { (centre(levels, 2 * j + c).0, bottom_y + 4) };
                    root.draw(&PathElement::new(vec![(x, y + tile / 2), (cx, cy - if level + 1 < levels { tile / 2 } else { 0 })], RGBColor(200, 200, 200).stroke_width(1)))?;
                }
            }
        }
        for (r, &e) in examples.iter().enumerate() {
            let leaf = leaves[e];
            let off = 4 * r as i32 - 6;
            let path = tree.path(leaf);
            for (level, &(node, right)) in path.iter().enumerate().take(levels) {
                let j = node + 1 - (1usize << level);
                let (x, y) = centre(level, j);
                let child = 2 * j + usize::from(right);
                let (cx, cy) = if level + 1 < levels { (centre(level + 1, child).0, centre(level + 1, child).1 - tile / 2) } else { (centre(levels, child).0, bottom_y + 4) };
                root.draw(&PathElement::new(vec![(x + off, y + tile / 2), (cx + off, cy)], ROUTE[r].stroke_width(4)))?;
            }
        }
        // Filters.
        for level in 0..levels {
            for j in 0..(1usize << level) {
                let node = (1usize << level) - 1 + j;
                let (x, y) = centre(level, j);
                draw_filter(root, tree.filter(node), (rows, cols), (x - tile / 2, y - tile / 2))?;
                root.draw_text(&format!("node {node}"), &text(12.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top)), (x, y + tile / 2 + 3))?;
            }
        }
        // Class distributions.
        for s in 0..n_bottom {
            let (x, _) = centre(levels, s);
            let caption = if below == 0 { format!("leaf {s}") } else { format!("{} images", counts[s]) };
            draw_bars(root, bottom.row(s), (x - 48, bottom_y + 8), (96, 64), &caption)?;
        }
        // Class colours of the bars.
        let legend: Vec<(Swatch, String)> = (0..k).map(|c| (Swatch::Square(class_color(c)), format!("class {c}"))).collect();
        legend_row(&root.margin(height - 30, 0, 0, 0), &legend, 13.0)?;
        // Examples.
        root.draw_text("routes", &bold(15.0).pos(Pos::new(HPos::Left, VPos::Top)), (14, top - 4))?;
        for (r, &e) in examples.iter().enumerate() {
            let y0 = top + 20 + r as i32 * (tile + 46);
            let img = reference.row(e);
            draw_image(root, img, (rows, cols), (14, y0))?;
            root.draw(&Rectangle::new([(12, y0 - 2), (14 + tile + 1, y0 + tile + 1)], ROUTE[r].stroke_width(3)))?;
            let p = probs.row(e);
            let best = (0..k).fold(0, |b, c| if p[c] > p[b] { c } else { b });
            let lines = [format!("leaf {}", leaves[e]), format!("predicts {best} ({:.0}%)", 100.0 * p[best])];
            for (i, l) in lines.iter().enumerate() {
                root.draw_text(l, &text(13.0, INK).pos(Pos::new(HPos::Left, VPos::Top)), (22 + tile, y0 + 8 + 18 * i as i32))?;
            }
        }
        Ok(())
    })
}

fn draw_filter(root: &Area, w: ArrayView1<f32>, (rows, cols): (usize, usize), (x0, y0): (i32, i32)) -> DrawResult {
    let scale = w.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    for (p, &v) in w.iter().enumerate() {
        let c = diverging(v / scale);
        let (px, py) = (x0 + ((p % cols) * ZOOM) as i32, y0 + ((p / cols) * ZOOM) as i32);
        root.draw(&Rectangle::new([(px, py), (px + ZOOM as i32, py + ZOOM as i32)], c.filled()))?;
    }
    let (w_px, h_px) = ((cols * ZOOM) as i32, (rows * ZOOM) as i32);
    root.draw(&Rectangle::new([(x0 - 1, y0 - 1), (x0 + w_px, y0 + h_px)], RGBColor(150, 150, 150).stroke_width(1)))?;
    Ok(())
}

fn draw_image(root: &Area, img: ArrayView1<f32>, (_rows, cols): (usize, usize), (x0, y0): (i32, i32)) -> DrawResult {
    let scale = if img.iter().any(|&v| v > 1.0) { 255.0 } else { 1.0 };
    for (p, &v) in img.iter().enumerate() {
        let g = (255.0 * (1.0 - (v / scale).clamp(0.0, 1.0))).round() as u8;
        let (px, py) = (x0 + ((p % cols) * ZOOM) as i32, y0 + ((p / cols) * ZOOM) as i32);
        root.draw(&Rectangle::new([(px, py), (px + ZOOM as i32, py + ZOOM as i32)], RGBColor(g, g, g).filled()))?;
    }
    Ok(())
}

fn draw_bars(root: &Area, p: ArrayView1<f32>, (x0, y0): (i32, i32), (w, h): (i32, i32), caption: &str) -> DrawResult {
    let k = p.len() as i32;
    let bw = (w / k).max(2);
    root.draw(&PathElement::new(vec![(x0, y0 + h), (x0 + bw * k, y0 + h)], INK.stroke_width(1)))?;
    let best = (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b });
    for (c, &v) in p.iter().enumerate() {
        let bh = (v.clamp(0.0, 1.0) * h as f32).round() as i32;
        let x = x0 + c as i32 * bw;
        if bh > 0 {
            root.draw(&Rectangle::new([(x + 1, y0 + h - bh), (x + bw - 1, y0 + h)], class_color(c).filled()))?;
        }
    }
    let label = format!("{best}");
    root.draw_text(&label, &bold(13.0).pos(Pos::new(HPos::Center, VPos::Top)), (x0 + best as i32 * bw + bw / 2, y0 + h + 2))?;
    root.draw_text(caption, &text(11.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top)), (x0 + w / 2, y0 + h + 17))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::check_png;
    use ndarray::Array1;

    fn tree(depth: usize) -> SoftTree {
        let n = (1 << depth) - 1;
        let w = Array2::from_shape_fn((n, 64), |(i, p)| ((i * 7 + p * 3) % 11) as f32 - 5.0);
        let phi = Array2::from_shape_fn((n + 1, 10), |(l, k)| if l % 10 == k { 3.0f32 } else { 0.0 });
        SoftTree::from_parts(1.0, w, Array1::zeros(n), phi).unwrap()
    }

    #[test]
    fn deep_and_shallow_trees_draw_and_bad_inputs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let imgs = Array2::from_shape_fn((40, 64), |(i, p)| ((i * 13 + p) % 9) as f32 / 8.0);
        for depth in [2, 6] {
            let p = dir.path().join(format!("d{depth}.png"));
            plot_soft_tree(&p, "t", &tree(depth), (8, 8), imgs.view(), &[0, 5, 9]).unwrap();
            let px = check_png(&p, (((1i32 << depth.min(4)) * 112).max(8 * (24 + 40)).max(900) as u32 + 260, 96 + depth.min(4) as u32 * (24 + 58) + 118 + 44));
            // Red and blue filter pixels and a route colour are drawn.
            assert!(px.chunks(3).any(|c| c[0] > 150 && c[1] < 80 && c[2] < 90), "red");
            assert!(px.chunks(3).any(|c| c[2] > 150 && c[0] < 80), "blue");
            assert!(px.chunks(3).any(|c| (c[0], c[1], c[2]) == (44, 160, 44)), "first route");
        }
        let p = dir.path().join("x.png");
        assert!(matches!(plot_soft_tree(&p, "t", &tree(2), (7, 7), imgs.view(), &[]), Err(KdError::Shape(_))));
        assert!(matches!(plot_soft_tree(&p, "t", &tree(2), (8, 8), imgs.view(), &[40]), Err(KdError::Shape(_))));
        assert!(matches!(plot_soft_tree(&p, "t", &tree(2), (8, 8), imgs.view(), &[0, 1, 2, 3, 4]), Err(KdError::InvalidParam { .. })));
        assert!(!p.exists());
    }
}
