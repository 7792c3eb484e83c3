//! kdistill as a dependency: builds the `downstream/` crate (a user's crate with the three-line
//! `build.rs` from the README) with the same cargo and target folder, then runs its binary with no
//! `LD_LIBRARY_PATH` and no `LIBTORCH`: it must find libtorch through the rpath that kdistill's `links`
//! metadata handed to it, run the whole pipeline (teacher → soft targets → tree and MLP students →
//! export → plot) and write its files.
use std::path::{Path, PathBuf};
use std::process::Command;

/// The profile folder this test runs from (`target/release` or `target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps").to_path_buf()
}

#[test]
fn a_crate_that_depends_on_kdistill_runs_without_ld_library_path() {
    let profile = profile_dir();
    let release = profile.file_name().is_some_and(|n| n == "release");
    let target = profile.parent().expect("target folder");
    let mut build = Command::new(env!("CARGO"));
    build.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "-p", "kdistill-downstream", "--target-dir"]).arg(target);
    if release {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo");
    assert!(status.success(), "cargo build -p kdistill-downstream failed");

    let out = tempfile::tempdir().unwrap();
    let run = Command::new(profile.join("kdistill-downstream"))
        .arg(out.path())
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LIBTORCH")
        .env_remove("LIBTORCH_LIB")
        .output()
        .expect("run kdistill-downstream");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "kdistill-downstream failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));

    // Every student is reported with an accuracy, and a teacher-distilled student is no coin toss.
    for name in ["teacher", "tree on labels", "tree on the teacher", "MLP on labels", "MLP on the teacher"] {
        let line = stdout.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no line for {name}:\n{stdout}"));
        let acc: f64 = line[name.len()..].trim().parse().unwrap_or_else(|_| panic!("no accuracy in {line:?}"));
        assert!(acc > 0.8, "{name}: accuracy {acc} on noisy moons");
    }
    for file in ["moons_tree.h", "moons_tree.py", "students.png"] {
        let len = std::fs::metadata(out.path().join(file)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "{file}: {len} bytes");
    }
}
