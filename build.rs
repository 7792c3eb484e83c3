//! Link-time glue for libtorch (see README "How libtorch is found").
//!
//! * `torch-sys` (links = "tch") exports its lib dir as `DEP_TCH_LIBTORCH_LIB` to crates that depend on it
//!   directly; we bake it into every binary, test and example as an rpath, so nothing needs
//!   `LD_LIBRARY_PATH` at run time.
//! * tch 0.24 links `libtorch_cuda.so`, but `--as-needed` drops it because no symbol of it is referenced
//!   directly, and then CUDA is never initialised. When the library exists we force it into the binary.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
        if Path::new(&lib).join("libtorch_cuda.so").exists() {
            println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
        }
    }
}
