//! Compiles the small C++ pass that lifts a traced module's tensor constants into
//! parameters (tch has no call for it), and lets this crate's own binaries and tests
//! find libtorch without LD_LIBRARY_PATH.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    println!("cargo:rerun-if-changed=cpp/lift_constants.cpp");
    let libtorch = std::env::var("LIBTORCH")
        .expect("LIBTORCH must name the libtorch folder (scripts/lib/common.sh sets it)");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{libtorch}/lib");
    // The same ABI switch torch-sys compiles its own wrapper with.
    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());
    cc::Build::new()
        .cpp(true)
        .file("cpp/lift_constants.cpp")
        .include(format!("{libtorch}/include"))
        .include(format!("{libtorch}/include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false)
        .compile("hsi_lift_constants");
}
