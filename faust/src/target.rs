//! The LLVM target (`triple:cpu`) libfaust compiles machine code for.
//!
//! libfaust's default is the host as LLVM names it. LLVM knows a CPU model only if it is older
//! than its own release: on a newer one (libfaust 2.54 links LLVM 14, which names nothing after
//! Zen 3 and Sapphire Rapids) it answers `generic`, and the JIT then emits baseline x86-64 code,
//! SSE2 only, on a processor with AVX2 and FMA. A saw→lowpass voice costs 15–20 % more that way.
//! So when LLVM says `generic`, we name the x86-64 microarchitecture level whose every feature
//! this processor reports (`x86-64-v3`: AVX2, FMA, BMI; `x86-64-v2`: SSE4.2, POPCNT), which
//! LLVM 12 and later know. A CPU LLVM does know is left as LLVM named it.

use crate::ffi;
use std::ffi::{CStr, CString};
use std::sync::OnceLock;

/// The target every compile, machine-code write and machine-code load of this process uses
/// (part of every cache key).
pub fn machine_target() -> String {
    static TARGET: OnceLock<String> = OnceLock::new();
    TARGET.get_or_init(|| with_known_cpu(&libfaust_target(), host_level())).clone()
}

/// [`machine_target`] as the C string libfaust's calls take.
pub(crate) fn machine_target_c() -> CString {
    // A target string from LLVM and our own level names never hold a NUL byte.
    CString::new(machine_target()).unwrap_or_default()
}

/// libfaust's own answer, `triple:cpu` (empty if it gave none).
fn libfaust_target() -> String {
    // SAFETY: returns a string allocated by libfaust, freed once below.
    let p = unsafe { ffi::getCDSPMachineTarget() };
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null NUL-terminated string from libfaust.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    // SAFETY: freed exactly once with libfaust's allocator.
    unsafe { ffi::freeCMemory(p.cast()) };
    s
}

/// `target` with a `generic` CPU replaced by `level`, when there is one.
fn with_known_cpu(target: &str, level: Option<&str>) -> String {
    match (target.rsplit_once(':'), level) {
        (Some((triple, "generic")), Some(level)) if triple.starts_with("x86_64") => format!("{triple}:{level}"),
        _ => target.to_string(),
    }
}

/// The highest x86-64 microarchitecture level (v2 or v3) whose features this processor has.
#[cfg(target_arch = "x86_64")]
fn host_level() -> Option<&'static str> {
    use std::arch::is_x86_feature_detected as has;
    let v2 = has!("sse3") && has!("ssse3") && has!("sse4.1") && has!("sse4.2") && has!("popcnt") && has!("cmpxchg16b");
    let v3 = v2
        && has!("avx")
        && has!("avx2")
        && has!("fma")
        && has!("bmi1")
        && has!("bmi2")
        && has!("lzcnt")
        && has!("movbe")
        && has!("f16c")
        && has!("xsave");
    if v3 {
        Some("x86-64-v3")
    } else if v2 {
        Some("x86-64-v2")
    } else {
        None
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn host_level() -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generic_cpu_is_named_by_its_level_and_a_known_one_is_kept() {
        assert_eq!(with_known_cpu("x86_64-pc-linux-gnu:generic", Some("x86-64-v3")), "x86_64-pc-linux-gnu:x86-64-v3");
        assert_eq!(with_known_cpu("x86_64-pc-linux-gnu:znver3", Some("x86-64-v3")), "x86_64-pc-linux-gnu:znver3");
        assert_eq!(with_known_cpu("x86_64-pc-linux-gnu:generic", None), "x86_64-pc-linux-gnu:generic");
        assert_eq!(
            with_known_cpu("aarch64-unknown-linux-gnu:generic", Some("x86-64-v3")),
            "aarch64-unknown-linux-gnu:generic"
        );
        assert_eq!(with_known_cpu("", Some("x86-64-v3")), "");
    }
}
