//! Reports: PNG charts and markdown tables.
//!
//! All charts are drawn with plotters into an in-memory RGB buffer, encoded to PNG in memory and written
//! atomically (temp file + rename, see [`crate::io`]); the DejaVu Sans font is embedded, so no system
//! library (fontconfig, freetype) is needed. Colours come from [`palette`]: `tab10`, whose first two
//! entries (blue, orange) stay distinguishable for the common colour-vision deficiencies.
//!
//! * [`boundary`] — decision-boundary plots of 2-D models ([`plot_boundary`]) and a side-by-side panel
//!   ([`plot_boundary_panel`]);
//! * [`charts`] — bar chart with reference markers ([`plot_bars`]), confusion-matrix heatmap
//!   ([`plot_confusion`]), line chart over categories such as temperatures ([`plot_lines`]);
//! * [`digits`] — captioned grid of grayscale images, e.g. misclassified digits ([`plot_image_grid`]);
//! * [`soft_tree`] — a soft decision tree's filters, class distributions and example routes
//!   ([`plot_soft_tree`]);
//! * [`table`] — GitHub markdown tables for generated `README.md` reports ([`markdown_table`]).
mod canvas;
pub mod boundary;
pub mod charts;
pub mod digits;
pub mod palette;
#[cfg(feature = "torch")]
pub mod soft_tree;
pub mod table;

pub use boundary::{plot_boundary, plot_boundary_panel, BoundaryOptions, BoundaryPlot, Grid};
pub use charts::{plot_bars, plot_confusion, plot_line_panels, plot_lines, Bar, Panel, Series};
pub use digits::plot_image_grid;
#[cfg(feature = "torch")]
pub use soft_tree::plot_soft_tree;
pub use table::markdown_table;

#[cfg(test)]
pub(crate) mod testutil {
    /// Decode PNG bytes into ((width, height), RGB8 pixels); panics on anything else.
    pub fn decode(bytes: &[u8]) -> ((u32, u32), Vec<u8>) {
        let mut reader = png::Decoder::new(bytes).read_info().expect("valid PNG header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("valid PNG data");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        ((info.width, info.height), buf)
    }

    /// Decode the PNG at `path`, check its size and that its folder holds no leftover temp file.
    pub fn check_png(path: &std::path::Path, size: (u32, u32)) -> Vec<u8> {
        let (dim, px) = decode(&std::fs::read(path).expect("PNG written"));
        assert_eq!(dim, size, "{}", path.display());
        let temps: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(temps.is_empty(), "temp files left: {temps:?}");
        px
    }
}
