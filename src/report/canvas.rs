//! Shared drawing plumbing: the embedded font, the in-memory RGB canvas, PNG encoding and the atomic
//! write, plus small helpers every chart uses (text styles, the horizontal legend row).
//!
//! Every chart in [`crate::report`] is rendered by [`render_png`]: plotters draws into a `Vec<u8>` RGB
//! buffer through `BitMapBackend::with_buffer`, the buffer is encoded to PNG in memory with the `png`
//! crate, and the bytes go to disk through [`crate::io::atomic_write`] (temp file + rename). No system
//! library is involved: the DejaVu Sans font is compiled in (crate `dejavu`) and registered with
//! plotters' `ab_glyph` text renderer.
use crate::error::{KdError, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::OnceLock;

/// Font family name the charts use (DejaVu Sans, embedded). Also registered as `sans-serif`, so
/// plotters' defaults resolve to it.
pub(crate) const FONT: &str = "dejavu";

/// The drawing area type every chart draws on.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// What a drawing closure returns; any plotters error converts into it with `?`.
pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Register the embedded DejaVu fonts with plotters once per process.
fn ensure_fonts() -> std::result::Result<(), String> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for name in [FONT, "sans-serif"] {
            plotters::style::register_font(name, FontStyle::Normal, dejavu::sans::regular())
                .and_then(|_| plotters::style::register_font(name, FontStyle::Bold, dejavu::sans::bold()))
                .map_err(|_| "the embedded DejaVu font could not be parsed".to_string())?;
        }
        Ok(())
    })
    .clone()
}

/// `KdError::Plot` for `path`.
pub(crate) fn plot_err(path: &Path, msg: impl std::fmt::Display) -> KdError {
    KdError::Plot { path: path.to_path_buf(), msg: msg.to_string() }
}

/// Render a `width × height` chart with `draw` onto a white canvas and write it to `path` as PNG,
/// atomically. Drawing or encoding failures become [`KdError::Plot`] naming `path`.
pub(crate) fn render_png(path: &Path, (width, height): (u32, u32), draw: impl FnOnce(&Area) -> DrawResult) -> Result<()> {
    if width < 16 || height < 16 || width > 16_384 || height > 16_384 {
        return Err(KdError::param("image size", format!("{width}×{height}"), "each side must be in 16..=16384 pixels"));
    }
    ensure_fonts().map_err(|m| plot_err(path, m))?;
    let mut buf = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        draw(&root).map_err(|e| plot_err(path, e))?;
        root.present().map_err(|e| plot_err(path, e))?;
    }
    let png = encode_png(&buf, width, height).map_err(|e| plot_err(path, format!("PNG encoding: {e}")))?;
    crate::io::atomic_write(path, &png)
}

/// Encode a packed RGB8 buffer as PNG bytes.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::with_capacity(rgb.len() / 4);
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header()?;
        w.write_image_data(rgb)?;
        w.finish()?;
    }
    Ok(out)
}

/// Regular text of `size` px in `color`.
pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

/// Bold text of `size` px in near-black.
pub(crate) fn bold(size: f64) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold).into_font().color(&INK)
}

/// Near-black used for text, edges and boundary lines.
pub(crate) const INK: RGBColor = RGBColor(34, 34, 34);
/// Mid-grey for secondary text.
pub(crate) const MUTED: RGBColor = RGBColor(90, 90, 90);

/// Draw a title (bold, centred) and an optional subtitle under it; return the remaining area.
pub(crate) fn titled<'a>(area: &Area<'a>, title: &str, subtitle: Option<&str>, size: f64) -> std::result::Result<Area<'a>, Box<dyn std::error::Error>> {
    let mut rest = area.titled(title, bold(size))?;
    if let Some(s) = subtitle.filter(|s| !s.is_empty()) {
        rest = rest.titled(s, text(size * 0.72, MUTED))?;
    }
    Ok(rest)
}

/// A legend swatch: what is drawn before the label.
#[derive(Clone, Copy)]
pub(crate) enum Swatch {
    /// A filled circle with a dark edge (a data point).
    Dot(RGBColor),
    /// A filled square (a bar or cell).
    Square(RGBColor),
    /// A short horizontal line (a boundary or reference line).
    Line(RGBColor),
    /// A short horizontal line with a dot on it (a line series with markers).
    LineDot(RGBColor),
    /// A short vertical tick (a reference marker).
    Tick(RGBColor),
}

/// Draw a centred, single-row legend at the top of `area` and return the area below it.
pub(crate) fn legend_row<'a>(area: &Area<'a>, items: &[(Swatch, String)], size: f64) -> std::result::Result<Area<'a>, Box<dyn std::error::Error>> {
    if items.is_empty() {
        return Ok(area.clone());
    }
    let style = text(size, INK);
    let sw = (size * 1.2) as i32; // swatch box width
    let gap = (size * 1.3) as i32; // gap between items
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, l)| area.estimate_text_size(l, &style).map(|(w, _)| w as i32 + sw + 6))
        .collect::<std::result::Result<_, _>>()?;
    let total: i32 = widths.iter().sum::<i32>() + gap * (items.len() as i32 - 1);
    let (w, _) = area.dim_in_pixel();
    let row_h = (size * 1.8) as i32;
    let cy = row_h / 2;
    let mut x = ((w as i32 - total) / 2).max(4);
    let r = (size * 0.32).max(3.0) as i32;
    for ((swatch, label), width) in items.iter().zip(&widths) {
        let c = (x + sw / 2, cy);
        match *swatch {
            Swatch::Dot(col) => {
                area.draw(&Circle::new(c, r, col.filled()))?;
                area.draw(&Circle::new(c, r, INK.stroke_width(1)))?;
            }
            Swatch::Square(col) => area.draw(&Rectangle::new([(c.0 - r, c.1 - r), (c.0 + r, c.1 + r)], col.filled()))?,
            Swatch::Line(col) => area.draw(&PathElement::new(vec![(x, cy), (x + sw, cy)], col.stroke_width(2)))?,
            Swatch::LineDot(col) => {
                area.draw(&PathElement::new(vec![(x, cy), (x + sw, cy)], col.stroke_width(2)))?;
                area.draw(&Circle::new(c, r, col.filled()))?;
            }
            Swatch::Tick(col) => area.draw(&PathElement::new(vec![(c.0, cy - r - 2), (c.0, cy + r + 2)], col.stroke_width(3)))?,
        }
        area.draw_text(label, &style.pos(Pos::new(HPos::Left, VPos::Center)), (x + sw + 6, cy))?;
        x += width + gap;
    }
    Ok(area.margin(row_h, 0, 0, 0))
}

/// Format a number compactly: integers without decimals, others with `decimals` places.
pub(crate) fn fmt_num(v: f64, decimals: usize) -> String {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{:.0}", v)
    } else {
        format!("{:.*}", decimals, v)
    }
}

/// Format an axis tick: up to 4 decimals, trailing zeros dropped ("50", "0.25").
pub(crate) fn fmt_tick(v: &f64) -> String {
    let s = format!("{:.4}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Error unless every value is finite; `what` names the input.
pub(crate) fn check_finite_values(values: impl IntoIterator<Item = f64>, what: &str) -> Result<()> {
    for (i, v) in values.into_iter().enumerate() {
        if !v.is_finite() {
            return Err(KdError::non_finite(what, i, 0, v as f32));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_png_round_trips() {
        let rgb: Vec<u8> = (0..4 * 3 * 3).map(|i| (i * 7) as u8).collect();
        let bytes = encode_png(&rgb, 4, 3).unwrap();
        let (info, pixels) = crate::report::testutil::decode(&bytes);
        assert_eq!((info.0, info.1), (4, 3));
        assert_eq!(pixels, rgb);
    }

    #[test]
    fn render_rejects_degenerate_size_and_reports_draw_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.png");
        assert!(matches!(render_png(&p, (0, 10), |_| Ok(())), Err(KdError::InvalidParam { .. })));
        let e = render_png(&p, (32, 32), |_| Err("boom".into())).unwrap_err();
        assert!(matches!(&e, KdError::Plot { path, msg } if path == &p && msg == "boom"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written on failure");
    }

    #[test]
    fn fmt_num_drops_decimals_for_integers() {
        assert_eq!(fmt_num(67.0, 2), "67");
        assert_eq!(fmt_num(0.98765, 3), "0.988");
        assert_eq!((fmt_tick(&50.0), fmt_tick(&0.25), fmt_tick(&-0.0), fmt_tick(&0.9)), ("50".into(), "0.25".into(), "0".into(), "0.9".into()));
    }
}
