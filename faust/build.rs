fn main() {
    // libfaust from Debian (`faust` ships the libfaust.so symlink). No bindgen: the C API is
    // declared by hand in src/ffi.rs (the header has a wrong argument order, see there).
    println!("cargo:rustc-link-lib=dylib=faust");
    println!("cargo:rerun-if-changed=build.rs");
}
