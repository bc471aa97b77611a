//! The compile worker's sandbox: what a FAUST program can make the compiler touch.
//!
//! FAUST's `import`, `library` and `component` open files and, given a URL, fetch it over the
//! network. Any client that may create a node could otherwise make krd's host read any file its
//! user can read (and learn whether a path exists) or send HTTP requests into the LAN. The
//! worker restricts itself with Landlock before it compiles anything: files may be read only
//! under the FAUST library folders it was given (and the CPU description LLVM reads, and the
//! system's programs and libraries, which libfaust runs `which` from), nothing may be written,
//! and no TCP connection made or accepted.
//!
//! Landlock is a Linux kernel feature (5.13 for files, 6.7 for TCP); on an older kernel the
//! worker runs without it and says so once on stderr.

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, ABI,
};
use std::path::PathBuf;

/// Environment variable carrying the folders the worker may read (`:`-separated).
pub const SANDBOX_ENV: &str = "KR_FAUST_SANDBOX";

/// What the worker may read besides the given folders: how LLVM detects the CPU.
const SYSTEM_READS: &[&str] = &["/proc/cpuinfo", "/sys/devices/system/cpu"];
/// What the worker may run: libfaust runs `sh -c "which faust"` on every compile (and crashes
/// when it cannot). The worker answers that command itself ([`crate::which`]); running it stays
/// allowed for a libfaust that asks differently. Programs and libraries only; what they run
/// inherits the same sandbox (no other files, no network).
const SYSTEM_PROGRAMS: &[&str] = &["/bin", "/usr/bin", "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache"];

/// How much of the sandbox the kernel enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    Full,
    Partial,
    None,
}

/// Restrict this process to reading `folders` (and the CPU description): no other file reads,
/// no writes, no execution, no TCP connections or listening sockets.
pub fn restrict(folders: &[PathBuf]) -> Result<Enforcement, String> {
    let abi = ABI::V6;
    let readable: Vec<PathBuf> =
        folders.iter().cloned().chain(SYSTEM_READS.iter().map(PathBuf::from)).filter(|p| p.exists()).collect();
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(&readable, AccessFs::from_read(abi) & !AccessFs::Execute)))
        .and_then(|r| r.add_rules(path_beneath_rules(SYSTEM_PROGRAMS, AccessFs::from_read(abi))))
        .and_then(|r| r.add_rules(path_beneath_rules(["/dev/null"], AccessFs::ReadFile | AccessFs::WriteFile)))
        .and_then(|r| r.restrict_self())
        .map_err(|e| format!("cannot set up the compiler's sandbox: {e}"))?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => Enforcement::Full,
        RulesetStatus::PartiallyEnforced => Enforcement::Partial,
        RulesetStatus::NotEnforced => Enforcement::None,
    })
}

/// The folders named in [`SANDBOX_ENV`], if it is set.
pub fn folders_from_env() -> Option<Vec<PathBuf>> {
    let v = std::env::var_os(SANDBOX_ENV)?;
    Some(std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
}
