//! The three lines a crate that depends on kdistill needs so that its binaries find libtorch at run
//! time without `LD_LIBRARY_PATH`: kdistill's build script exports libtorch's folder (and whether the
//! CUDA library is there) through its `links` metadata, and this bakes them into our binaries.
fn main() {
    if let Ok(lib) = std::env::var("DEP_KDISTILL_LIBTORCH_LIB") { println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}"); }
    if std::env::var("DEP_KDISTILL_TORCH_CUDA").is_ok() { println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed"); }
}
