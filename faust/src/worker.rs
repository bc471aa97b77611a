//! The compile worker: a separate process that owns libfaust's compiler.
//!
//! libfaust's factory API is not thread-safe, `chdir`s the whole process and forks `which faust`
//! on every compile, and a hostile program can crash or hang the compiler. So the engine never
//! compiles: this worker does, and returns machine code the engine loads in under a millisecond.
//! The protocol is one JSON object per line on stdin (requests) and on the worker's original
//! stdout (replies); fd 1 is pointed at stderr so that anything libfaust prints cannot corrupt it.

use crate::Factory;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

/// One compile job sent to the worker.
#[derive(Debug, Serialize, Deserialize)]
pub struct WorkerRequest {
    pub id: u64,
    pub name: String,
    pub source: String,
    pub args: Vec<String>,
}

/// The worker's answer to one job.
#[derive(Debug, Serialize, Deserialize)]
pub enum WorkerReply {
    Compiled {
        id: u64,
        machine_code: String,
        /// Memory one initialised instance takes (see [`crate::footprint`]).
        #[serde(default)]
        instance_bytes: u64,
    },
    Failed {
        id: u64,
        message: String,
    },
    /// The program compiled but kr cannot run it (`CompileError::Unsupported`).
    Unsupported {
        id: u64,
        message: String,
    },
}

/// Environment variable that enables the test hooks below in a worker (tests only).
pub const TEST_HOOKS_ENV: &str = "KR_FAUST_TEST_HOOKS";

/// Run the worker loop on stdin/stdout until stdin closes. Returns the process exit code.
pub fn run_stdio() -> i32 {
    // Keep the real stdout for replies and send fd 1 (libfaust's printing) to stderr.
    // SAFETY: plain fd syscalls on descriptors this process owns; no Rust object wraps fd 1.
    let reply_fd = unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            return 70;
        }
        fd
    };
    // SAFETY: `reply_fd` is a fresh descriptor owned only by this File from here on.
    let mut out = std::io::BufWriter::new(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(reply_fd) });
    let hooks = std::env::var_os(TEST_HOOKS_ENV).is_some();
    crate::which::answer_in_process();
    let meter = match crate::footprint::Meter::open() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("kr-faust worker: cannot measure memory: {e}");
            return 71;
        }
    };
    if let Some(folders) = crate::sandbox::folders_from_env() {
        match crate::sandbox::restrict(&folders) {
            Ok(crate::sandbox::Enforcement::Full) => {}
            Ok(e) => eprintln!("kr-faust worker: the kernel enforces the compiler's sandbox {e:?} (Landlock)"),
            Err(e) => eprintln!("kr-faust worker: {e}"),
        }
    }
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<WorkerRequest>(&line) {
            Ok(req) => {
                if hooks {
                    test_hook(&req.source);
                }
                compile(req, &meter)
            }
            Err(e) => WorkerReply::Failed { id: 0, message: format!("bad worker request: {e}") },
        };
        let Ok(text) = serde_json::to_string(&reply) else {
            return 70;
        };
        if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
            return 0;
        }
    }
    0
}

fn compile(req: WorkerRequest, meter: &crate::footprint::Meter) -> WorkerReply {
    let result = Factory::compile(&req.name, &req.source, &req.args)
        .and_then(|f| Ok((f.machine_code()?, meter.instance_bytes(&f, &req.name)?)));
    match result {
        Ok((machine_code, instance_bytes)) => WorkerReply::Compiled { id: req.id, machine_code, instance_bytes },
        Err(crate::CompileError::Faust { message, .. }) => WorkerReply::Failed { id: req.id, message: trim(&message) },
        Err(crate::CompileError::Unsupported { message, .. }) => WorkerReply::Unsupported { id: req.id, message },
        Err(e) => WorkerReply::Failed { id: req.id, message: e.to_string() },
    }
}

/// Longest compiler message passed on.
const MAX_MESSAGE: usize = 1024;

/// The compiler's own message, without what follows it on an internal failure: libfaust's
/// ASSERT errors append a stack trace (addresses of krd's process), which tells a client nothing
/// it can use and something about the host it should not learn.
fn trim(message: &str) -> String {
    let trace = |l: &str| {
        let l = l.trim_start();
        l.starts_with("0x")
            || l.starts_with("[0x")
            || l.starts_with("Stack")
            || l.starts_with("Backtrace")
            || l.split_whitespace().nth(1).is_some_and(|w| w.starts_with("0x"))
    };
    let kept: Vec<&str> = message.lines().take_while(|l| !trace(l)).collect();
    let mut out = kept.join("\n");
    if out.len() > MAX_MESSAGE {
        let cut = (0..=MAX_MESSAGE).rev().find(|&i| out.is_char_boundary(i)).unwrap_or(0);
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Simulated compiler failures, for tests of the supervisor: a source whose first line is
/// `// kr-test: crash`, `hang` or `oom`.
fn test_hook(source: &str) {
    match source.lines().next().map(str::trim) {
        Some("// kr-test: crash") => std::process::abort(),
        Some("// kr-test: hang") => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        Some("// kr-test: oom") => {
            let mut hog: Vec<Vec<u8>> = Vec::new();
            loop {
                hog.push(vec![1u8; 64 << 20]);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::trim;

    #[test]
    fn compiler_messages_keep_the_error_and_lose_stack_traces() {
        let plain = "bad : 1 : ERROR : undefined symbol : foo";
        assert_eq!(trim(plain), plain);
        let assert = "ASSERT : please report this message and the failing DSP file to Faust developers (file: \
                      sigtype.cpp, line: 100)\nStack trace:\n0 libfaust.so.2 0x00007f12 _ZN4Tree\n1 krd 0x5581";
        assert_eq!(
            trim(assert),
            "ASSERT : please report this message and the failing DSP file to Faust developers (file: sigtype.cpp, line: 100)"
        );
        assert_eq!(trim("x\n  0x7ffd1234 in ?? ()"), "x");
        let long = "e".repeat(5000);
        assert_eq!(trim(&long).chars().count(), 1025);
    }
}
