//! A captioned grid of small grayscale images (e.g. the MNIST digits a model gets wrong).
//!
//! Each row of `images` is one square image flattened row-major (784 = 28 × 28 for MNIST). Intensities
//! are taken as `[0, 1]`, or as `[0, 255]` when any value exceeds 1; they are drawn as dark ink on
//! white, each source pixel a `z × z` block (`z` chosen so a tile is about 84 px).
//!
//! ```
//! use kdistill::report::plot_image_grid;
//! use ndarray::Array2;
//! let imgs = Array2::from_shape_fn((2, 784), |(i, p)| if (p / 28 + i) % 5 == 0 { 1.0f32 } else { 0.0 });
//! let caps = ["true 3 → pred 5".to_string(), "true 4 → pred 9".to_string()];
//! let dir = tempfile::tempdir().unwrap();
//! plot_image_grid(dir.path().join("wrong.png"), "misclassified", imgs.view(), &caps, 8)?;
//! # Ok::<(), kdistill::KdError>(())
//! ```
use super::canvas::{render_png, text, titled, INK};
use crate::error::{KdError, Result};
use ndarray::ArrayView2;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Width of one grid cell in pixels (fits a caption like "true 3 → pred 5").
const CELL_W: u32 = 132;

/// Write `images` (n × side², one flattened square image per row) as a grid with `columns` tiles per
/// row, each with its caption below, under `title`. Errors: [`KdError::Empty`] for no images,
/// [`KdError::Shape`] when the row length is not a square or captions don't match the images,
/// [`KdError::NonFinite`] for NaN/inf pixels, [`KdError::InvalidParam`] for `columns == 0`.
///
/// # Examples
///
/// ```
/// use kdistill::report::plot_image_grid;
/// use ndarray::Array2;
/// let dir = tempfile::tempdir().unwrap();
/// // Three 8 × 8 images with values in [0, 255], two tiles per row.
/// let imgs = Array2::from_shape_fn((3, 64), |(i, p)| if p % 8 == i { 255.0f32 } else { 0.0 });
/// let caps: Vec<String> = (0..3).map(|i| format!("image {i}")).collect();
/// let path = dir.path().join("grid.png");
/// plot_image_grid(&path, "three images", imgs.view(), &caps, 2).unwrap();
/// assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
/// assert!(plot_image_grid(&path, "t", imgs.view(), &caps[..2], 2).is_err()); // 3 images, 2 captions
/// assert!(plot_image_grid(&path, "t", Array2::<f32>::zeros((1, 10)).view(), &caps[..1], 2).is_err()); // 10 is not a square
/// ```
pub fn plot_image_grid(path: impl AsRef<Path>, title: &str, images: ArrayView2<f32>, captions: &[String], columns: usize) -> Result<()> {
    let n = images.nrows();
    if n == 0 {
        return Err(KdError::Empty("image grid without images".into()));
    }
    let side = (images.ncols() as f64).sqrt().round() as usize;
    if side == 0 || side * side != images.ncols() {
        return Err(KdError::Shape(format!("image rows have {} pixels, not a square number", images.ncols())));
    }
    if captions.len() != n {
        return Err(KdError::Shape(format!("{} captions for {n} images", captions.len())));
    }
    if columns == 0 {
        return Err(KdError::param("columns", 0, "must be ≥ 1"));
    }
    crate::base::check_finite(images, "images")?;
    let scale = if images.iter().any(|&v| v > 1.0) { 255.0 } else { 1.0 };
    let zoom = (84 / side).max(1);
    let tile = (side * zoom) as u32;
    let cols = columns.min(n);
    let rows = n.div_ceil(cols);
    let cell_w = CELL_W.max(tile + 12);
    let cell_h = tile + 34;
    let header = 56;
    let size = (cell_w * cols as u32 + 20, cell_h * rows as u32 + header + 10);
    render_png(path.as_ref(), size, |root| {
        root.fill(&WHITE)?;
        let (head, body) = root.split_vertically(header);
        titled(&head.margin(10, 0, 0, 0), title, None, 22.0)?;
        let body = body.margin(0, 0, 10, 10);
        let style = text(13.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
        for (i, img) in images.outer_iter().enumerate() {
            let (cx, cy) = ((i % cols) as u32 * cell_w, (i / cols) as u32 * cell_h);
            let x0 = (cx + (cell_w - tile) / 2) as i32;
            let y0 = cy as i32 + 4;
            for (p, &v) in img.iter().enumerate() {
                let g = (255.0 * (1.0 - (v / scale).clamp(0.0, 1.0))).round() as u8;
                let (px, py) = (x0 + ((p % side) * zoom) as i32, y0 + ((p / side) * zoom) as i32);
                for dy in 0..zoom as i32 {
                    for dx in 0..zoom as i32 {
                        body.draw_pixel((px + dx, py + dy), &RGBColor(g, g, g))?;
                    }
                }
            }
            body.draw(&Rectangle::new([(x0 - 1, y0 - 1), (x0 + tile as i32, y0 + tile as i32)], RGBColor(190, 190, 190).stroke_width(1)))?;
            body.draw_text(&captions[i], &style, ((cx + cell_w / 2) as i32, y0 + tile as i32 + 6))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::check_png;
    use ndarray::Array2;

    #[test]
    fn grid_size_follows_columns_and_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.png");
        let imgs = Array2::from_shape_fn((10, 784), |(i, q)| ((q + i) % 256) as f32);
        let caps: Vec<String> = (0..10).map(|i| format!("true {i} → pred {}", (i + 1) % 10)).collect();
        plot_image_grid(&p, "wrong", imgs.view(), &caps, 4).unwrap();
        let px = check_png(&p, (4 * CELL_W + 20, 3 * (84 + 34) + 66));
        assert!(px.chunks(3).any(|c| c[0] < 30), "some dark ink drawn");
    }

    #[test]
    fn bad_image_inputs_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.png");
        let caps = vec!["a".to_string()];
        assert!(matches!(plot_image_grid(&p, "t", Array2::zeros((0, 784)).view(), &[], 4), Err(KdError::Empty(_))));
        assert!(matches!(plot_image_grid(&p, "t", Array2::zeros((1, 780)).view(), &caps, 4), Err(KdError::Shape(_))));
        assert!(matches!(plot_image_grid(&p, "t", Array2::zeros((2, 784)).view(), &caps, 4), Err(KdError::Shape(_))));
        assert!(matches!(plot_image_grid(&p, "t", Array2::zeros((1, 784)).view(), &caps, 0), Err(KdError::InvalidParam { .. })));
        let mut bad = Array2::zeros((1, 784));
        bad[[0, 5]] = f32::NAN;
        assert!(matches!(plot_image_grid(&p, "t", bad.view(), &caps, 4), Err(KdError::NonFinite { col: 6, .. })));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
