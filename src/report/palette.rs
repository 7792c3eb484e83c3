//! Colours: the categorical `tab10` palette (class 0 blue, class 1 orange — distinguishable with the
//! common colour-vision deficiencies), white blending for probability backgrounds, and a sequential
//! white→blue ramp for heatmaps.
use plotters::style::RGBColor;

/// Matplotlib's `tab10` palette.
///
/// # Examples
///
/// ```
/// use kdistill::report::palette::TAB10;
/// use plotters::style::RGBColor;
/// assert_eq!((TAB10[0], TAB10[1]), (RGBColor(31, 119, 180), RGBColor(255, 127, 14))); // blue, orange
/// ```
pub const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),  // blue
    RGBColor(255, 127, 14),  // orange
    RGBColor(44, 160, 44),   // green
    RGBColor(214, 39, 40),   // red
    RGBColor(148, 103, 189), // purple
    RGBColor(140, 86, 75),   // brown
    RGBColor(227, 119, 194), // pink
    RGBColor(127, 127, 127), // grey
    RGBColor(188, 189, 34),  // olive
    RGBColor(23, 190, 207),  // cyan
];

/// Colour of class `k` (tab10, repeating after ten classes).
///
/// # Examples
///
/// ```
/// use kdistill::report::palette::{class_color, TAB10};
/// assert_eq!(class_color(2), TAB10[2]);
/// assert_eq!(class_color(12), class_color(2)); // repeats after ten classes
/// ```
pub fn class_color(k: usize) -> RGBColor {
    TAB10[k % TAB10.len()]
}

/// Blend `c` with white: `t = 0` gives white, `t = 1` gives `c`.
///
/// # Examples
///
/// ```
/// use kdistill::report::palette::tint;
/// use plotters::style::RGBColor;
/// let c = RGBColor(55, 155, 255);
/// assert_eq!(tint(c, 0.0), RGBColor(255, 255, 255));
/// assert_eq!(tint(c, 0.5), RGBColor(155, 205, 255));
/// assert_eq!(tint(c, 1.0), c);
/// ```
pub fn tint(c: RGBColor, t: f32) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let m = |v: u8| (255.0 - (255.0 - v as f32) * t).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// Sequential white→dark-blue ramp (ColorBrewer "Blues"), `t ∈ [0, 1]`.
///
/// # Examples
///
/// ```
/// use kdistill::report::palette::blues;
/// use plotters::style::RGBColor;
/// assert_eq!(blues(0.0), RGBColor(247, 251, 255)); // almost white
/// assert_eq!(blues(1.0), RGBColor(8, 48, 107)); // dark blue
/// assert_eq!(blues(0.25), RGBColor(198, 219, 239)); // the second stop
/// assert_eq!(blues(f32::NAN), blues(0.0));
/// ```
pub fn blues(t: f32) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * (STOPS.len() - 1) as f32;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let l = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * f).round() as u8;
    RGBColor(l(a.0, b.0), l(a.1, b.1), l(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tint_and_ramp_endpoints() {
        assert_eq!(tint(TAB10[0], 0.0), RGBColor(255, 255, 255));
        assert_eq!(tint(TAB10[0], 1.0), TAB10[0]);
        assert_eq!(tint(RGBColor(55, 155, 255), 0.5), RGBColor(155, 205, 255));
        assert_eq!(blues(0.0), RGBColor(247, 251, 255));
        assert_eq!(blues(1.0), RGBColor(8, 48, 107));
        assert_eq!(blues(f32::NAN), blues(0.0));
        assert_eq!(class_color(11), class_color(1));
    }
}
