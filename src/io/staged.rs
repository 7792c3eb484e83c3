//! All-or-nothing output folders: [`StagedDir`] collects a command's files in a hidden folder beside
//! the destination and moves them into place in one step, so the destination always holds either the
//! complete old set or the complete new set, never a mix, whatever happens to the process.
//!
//! * **Staging.** Files go to `.NAME.staging-PID` beside `NAME`. [`StagedDir::commit`] swaps it with
//!   the destination in one `renameat2(RENAME_EXCHANGE)` on Linux (elsewhere: two renames, with the
//!   old set kept aside until the new one is in place), then removes the old set.
//! * **One run at a time.** An exclusive lock on `.NAME.lock` (kept beside the folder, never removed,
//!   so two processes can never lock two different files) refuses a second run on the same
//!   destination with an error that says so.
//! * **Leftovers.** Staging folders of runs that were killed are removed when the next run takes the
//!   lock; [`StagedDir::removed`] lists them so the caller can say so.
//! * **Safety.** An existing destination is replaced only when it is empty or holds nothing but
//!   files whose names the caller declares as its own outputs; anything else is an error, so a
//!   mistaken `--out .` never deletes a user's files.
//!
//! ```
//! use kdistill::io::StagedDir;
//! let dir = tempfile::tempdir().unwrap();
//! let out = dir.path().join("out");
//! let outputs = ["metrics.json", "tree.json"];
//! let staged = StagedDir::begin(&out, &outputs).unwrap();
//! std::fs::write(staged.path().join("metrics.json"), "{}").unwrap();
//! assert!(!out.exists()); // nothing is visible before the commit
//! staged.commit().unwrap();
//! assert!(out.join("metrics.json").exists());
//! // A second run replaces the whole set: files the new run does not write are gone.
//! let staged = StagedDir::begin(&out, &outputs).unwrap();
//! std::fs::write(staged.path().join("tree.json"), "{}").unwrap();
//! staged.commit().unwrap();
//! assert!(!out.join("metrics.json").exists() && out.join("tree.json").exists());
//! ```
use crate::error::{KdError, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A folder being written; see the module docs.
#[derive(Debug)]
pub struct StagedDir {
    dest: PathBuf,
    staging: PathBuf,
    removed: Vec<PathBuf>,
    committed: bool,
    _lock: File,
}

fn io_err(path: &Path, e: std::io::Error) -> KdError {
    KdError::io(path, e)
}

fn output_err(dest: &Path, msg: String) -> KdError {
    KdError::Data { path: dest.to_path_buf(), row: None, column: None, msg }
}

impl StagedDir {
    /// Take the destination's lock, remove staging folders of killed runs, check that an existing
    /// `dest` may be replaced (empty, or only files named in `outputs`), and create the staging folder.
    pub fn begin(dest: impl AsRef<Path>, outputs: &[&str]) -> Result<StagedDir> {
        let dest = dest.as_ref().to_path_buf();
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n != "." && n != "..")
            .ok_or_else(|| output_err(&dest, "an output folder needs a name of its own (not `.`, `..` or `/`)".into()))?;
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| io_err(&parent, e))?;
        let lock_path = parent.join(format!(".{name}.lock"));
        let lock = File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| io_err(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(output_err(
                    &dest,
                    format!("another run is writing this output folder (it holds {}); wait for it to finish or choose another folder", lock_path.display()),
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path, e)),
        }
        // Staging folders left by killed runs (we hold the lock: no live run owns one).
        let prefix = format!(".{name}.staging-");
        let mut removed = Vec::new();
        for entry in std::fs::read_dir(&parent).map_err(|e| io_err(&parent, e))? {
            let entry = entry.map_err(|e| io_err(&parent, e))?;
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let p = entry.path();
                std::fs::remove_dir_all(&p).map_err(|e| io_err(&p, e))?;
                removed.push(p);
            }
        }
        if dest.exists() {
            if !dest.is_dir() {
                return Err(output_err(&dest, "exists and is not a folder; choose a folder name".into()));
            }
            for entry in std::fs::read_dir(&dest).map_err(|e| io_err(&dest, e))? {
                let entry = entry.map_err(|e| io_err(&dest, e))?;
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let is_file = entry.file_type().map_err(|e| io_err(&entry.path(), e))?.is_file();
                if !is_file || !outputs.contains(&file_name.as_str()) {
                    return Err(output_err(
                        &dest,
                        format!("the folder holds `{file_name}`, which this command does not write; outputs replace the whole folder, so choose a new or empty folder"),
                    ));
                }
            }
        }
        let staging = parent.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir(&staging).map_err(|e| io_err(&staging, e))?;
        Ok(StagedDir { dest, staging, removed, committed: false, _lock: lock })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Staging folders of killed runs that [`StagedDir::begin`] removed.
    pub fn removed(&self) -> &[PathBuf] {
        &self.removed
    }

    /// Move the staged files into place in one step and remove the old set.
    pub fn commit(mut self) -> Result<()> {
        sync_dir(&self.staging);
        if self.dest.exists() {
            if exchange(&self.staging, &self.dest).is_err() {
                // No atomic exchange here: the old set waits aside until the new one is in place.
                let aside = self.staging.with_extension("old");
                std::fs::rename(&self.dest, &aside).map_err(|e| io_err(&self.dest, e))?;
                std::fs::rename(&self.staging, &self.dest).map_err(|e| io_err(&self.dest, e))?;
                std::fs::rename(&aside, &self.staging).map_err(|e| io_err(&aside, e))?;
            }
            // The staging path now holds the old set.
            std::fs::remove_dir_all(&self.staging).map_err(|e| io_err(&self.staging, e))?;
        } else {
            std::fs::rename(&self.staging, &self.dest).map_err(|e| io_err(&self.dest, e))?;
        }
        if let Some(parent) = self.dest.parent() {
            sync_dir(parent);
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedDir {
    /// An uncommitted run (an error) leaves the destination as it was and removes its staging folder.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Flush a folder's entries to disk (best effort: not every platform can open a folder).
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Swap two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (ca, cb) = (CString::new(a.as_os_str().as_bytes())?, CString::new(b.as_os_str().as_bytes())?);
    // SAFETY: two valid NUL-terminated paths, relative to the current directory.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange on this platform"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn failed_run_leaves_the_old_set_and_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let s = StagedDir::begin(&out, &["a.txt"]).unwrap();
        std::fs::write(s.path().join("a.txt"), "old").unwrap();
        s.commit().unwrap();
        {
            let s = StagedDir::begin(&out, &["a.txt"]).unwrap();
            std::fs::write(s.path().join("a.txt"), "new, never committed").unwrap();
        } // dropped: an error path
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "old");
        assert_eq!(names(dir.path()), [".out.lock", "out"]);
    }

    #[test]
    fn a_second_run_on_the_same_folder_is_refused_while_the_first_runs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let first = StagedDir::begin(&out, &[]).unwrap();
        let e = StagedDir::begin(&out, &[]).unwrap_err().to_string();
        assert!(e.contains("another run is writing this output folder"), "{e}");
        drop(first);
        StagedDir::begin(&out, &[]).unwrap();
    }

    #[test]
    fn leftovers_of_killed_runs_are_removed_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let left = dir.path().join(".out.staging-999999999");
        std::fs::create_dir(&left).unwrap();
        std::fs::write(left.join("big.json"), vec![b'x'; 1000]).unwrap();
        let s = StagedDir::begin(&out, &[]).unwrap();
        assert_eq!(s.removed(), [left.clone()]);
        assert!(!left.exists());
    }

    #[test]
    fn foreign_files_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("mine");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("thesis.tex"), "precious").unwrap();
        let e = StagedDir::begin(&out, &["metrics.json"]).unwrap_err().to_string();
        assert!(e.contains("holds `thesis.tex`"), "{e}");
        std::fs::write(dir.path().join("file"), "").unwrap();
        assert!(StagedDir::begin(dir.path().join("file"), &[]).is_err());
        assert!(StagedDir::begin(".", &[]).is_err());
        assert_eq!(std::fs::read_to_string(out.join("thesis.tex")).unwrap(), "precious");
    }
}
