//! Link-time glue for libtorch (see README "How libtorch is found").
//!
//! * `torch-sys` (links = "tch") exports its lib dir as `DEP_TCH_LIBTORCH_LIB` to crates that depend on it
//!   directly; we bake it into every binary, test and example as an rpath, so nothing needs
//!   `LD_LIBRARY_PATH` at run time.
//! * tch 0.24 links `libtorch_cuda.so`, but `--as-needed` drops it because no symbol of it is referenced
//!   directly, and then CUDA is never initialised. When the library exists we force it into the binary.
//! * `cargo:rustc-link-arg` reaches only kdistill's own binaries. Through `links = "kdistill"` we pass
//!   the folder on as `DEP_KDISTILL_LIBTORCH_LIB` (and `DEP_KDISTILL_TORCH_CUDA` when the CUDA library is
//!   there) to crates that depend on kdistill, whose three-line build.rs does the same for their binaries
//!   (downstream/build.rs).
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
        // Link args reach only this crate's own binaries; dependents read these two through `links`.
        println!("cargo:libtorch_lib={lib}");
        if Path::new(&lib).join("libtorch_cuda.so").exists() {
            println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
            println!("cargo:torch_cuda=1");
        }
    }
}
