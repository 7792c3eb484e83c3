//! Progress bars for long work (training, tree fits, data fetches). Bars draw to stderr only when it is a
//! terminal, so logs and CI output stay clean; set `KD_NO_PROGRESS=1` to hide them everywhere.
use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps labelled `label`; hidden when `label` is `None`, stderr is not a terminal,
/// or `KD_NO_PROGRESS` is set.
///
/// # Examples
///
/// ```
/// // Hidden without a label (and whenever stderr is not a terminal or KD_NO_PROGRESS is set).
/// let pb = kdistill::progress::bar(None, 10);
/// assert!(pb.is_hidden());
/// for _ in 0..10 {
///     pb.inc(1);
/// }
/// assert_eq!(pb.position(), 10);
/// pb.finish_and_clear();
/// ```
pub fn bar(label: Option<&str>, len: u64) -> ProgressBar {
    let hidden = label.is_none() || std::env::var_os("KD_NO_PROGRESS").is_some();
    if hidden {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>18} [{bar:30.cyan/blue}] {pos}/{len} {msg} ({elapsed}, eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_prefix(label.unwrap_or_default().to_string());
    pb
}
