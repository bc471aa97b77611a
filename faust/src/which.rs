//! libfaust's `which faust`, answered without a process.
//!
//! On every compile, libfaust looks up where the `faust` executable is, to derive default
//! library folders, by running `which faust` through `popen` (its `argv[0]` is always the bare
//! name `faust`, so no argument or environment variable avoids this). That forks the worker,
//! starts a shell and the `which` script: about a tenth of a small program's compile. This
//! module defines `popen` and `pclose` in the program (the executable's definitions take
//! precedence over the C library's for every shared library, libfaust included). Once
//! [`answer_in_process`] is called — only the compile worker does — exactly the command
//! `which faust` (with its errors to `/dev/null`, as libfaust 2.54.9 runs it) is answered from a stream in memory holding what `which` would print: the first
//! executable file named `faust` in `PATH`, looked up once. Every other call goes to the C
//! library's functions unchanged.

use std::ffi::{c_char, c_int, CStr};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

/// The commands answered: libfaust 2.54.9 runs the second (its sources have run the first).
const WHICH_FAUST: [&[u8]; 2] = [b"which faust", b"which faust 2>/dev/null"];

/// Whether this process answers `which faust` itself.
static ANSWERING: AtomicBool = AtomicBool::new(false);
/// What `which faust` prints here (empty when there is no `faust` in `PATH`).
static ANSWER: OnceLock<Vec<u8>> = OnceLock::new();
/// The streams handed out for `which faust` and not yet closed (as addresses).
static OURS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Answer `which faust` in this process from now on (the compile worker, before compiling).
pub fn answer_in_process() {
    ANSWER.get_or_init(|| lookup(std::env::var_os("PATH").unwrap_or_default()));
    ANSWERING.store(true, Relaxed);
}

/// `which faust`: the first executable regular file named `faust` in the folders of `path`,
/// followed by a newline; nothing when there is none.
fn lookup(path: std::ffi::OsString) -> Vec<u8> {
    let executable =
        |p: &PathBuf| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join("faust"))
        .find(executable)
        .map(|p| {
            let mut line = p.into_os_string().into_encoded_bytes();
            line.push(b'\n');
            line
        })
        .unwrap_or_default()
}

type Popen = unsafe extern "C" fn(*const c_char, *const c_char) -> *mut libc::FILE;
type Pclose = unsafe extern "C" fn(*mut libc::FILE) -> c_int;

/// The C library's definition of `name` (the next one after this program's).
fn next<T: Copy>(name: &CStr) -> Option<T> {
    // SAFETY: dlsym with RTLD_NEXT and a NUL-terminated name only looks a symbol up.
    let f = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
    // SAFETY: `T` is the function pointer type of the C library's `popen`/`pclose`, which
    // `name` names; a non-null result is that function.
    (!f.is_null()).then(|| unsafe { std::mem::transmute_copy::<*mut libc::c_void, T>(&f) })
}

/// # Safety
/// As the C library's `popen`: `command` and `mode` are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn popen(command: *const c_char, mode: *const c_char) -> *mut libc::FILE {
    if ANSWERING.load(Relaxed) && !command.is_null() && !mode.is_null() {
        // SAFETY: the caller passes NUL-terminated strings (popen's contract).
        let (cmd, m) = unsafe { (CStr::from_ptr(command), CStr::from_ptr(mode)) };
        if WHICH_FAUST.contains(&cmd.to_bytes()) && m.to_bytes() == b"r" {
            return in_memory(ANSWER.get().map_or(&[][..], Vec::as_slice));
        }
    }
    match next::<Popen>(c"popen") {
        // SAFETY: the C library's popen, called with the caller's arguments.
        Some(real) => unsafe { real(command, mode) },
        None => std::ptr::null_mut(),
    }
}

/// # Safety
/// As the C library's `pclose`: `stream` came from `popen`.
#[no_mangle]
pub unsafe extern "C" fn pclose(stream: *mut libc::FILE) -> c_int {
    let ours = {
        let mut open = OURS.lock().unwrap_or_else(|e| e.into_inner());
        let at = open.iter().position(|&s| s == stream as usize);
        at.map(|i| open.swap_remove(i)).is_some()
    };
    if ours {
        // SAFETY: `stream` is a stream this module opened and has not been closed.
        unsafe { libc::fclose(stream) };
        return 0; // the exit status of a `which` that succeeded
    }
    match next::<Pclose>(c"pclose") {
        // SAFETY: the C library's pclose, called with a stream its popen returned.
        Some(real) => unsafe { real(stream) },
        None => -1,
    }
}

/// A read stream over `text` (an empty one reads `/dev/null`: `fmemopen` refuses size 0 on
/// some C libraries).
fn in_memory(text: &'static [u8]) -> *mut libc::FILE {
    // SAFETY: `text` lives for the whole program and is only read ("r"); the paths and modes
    // are NUL-terminated.
    let stream = unsafe {
        if text.is_empty() {
            libc::fopen(c"/dev/null".as_ptr(), c"r".as_ptr())
        } else {
            libc::fmemopen(text.as_ptr() as *mut libc::c_void, text.len(), c"r".as_ptr())
        }
    };
    if !stream.is_null() {
        OURS.lock().unwrap_or_else(|e| e.into_inner()).push(stream as usize);
    }
    stream
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_lookup_finds_the_first_executable_named_faust_in_path() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        for d in [&a, &b, &c] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(a.join("faust"), "not executable").unwrap();
        std::fs::create_dir(b.join("faust")).unwrap(); // a folder, not a program
        let program = c.join("faust");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([&a, &b, &c]).unwrap();
        assert_eq!(lookup(path), format!("{}\n", program.display()).into_bytes());
        assert_eq!(lookup(std::env::join_paths([&a, &b]).unwrap()), b"");
    }

    #[test]
    fn which_faust_is_answered_in_memory_and_other_commands_run() {
        answer_in_process();
        let expected = ANSWER.get().unwrap().clone();
        let which = std::process::Command::new("sh").args(["-c", "which faust 2>/dev/null"]).output().unwrap();
        assert_eq!(expected, which.stdout, "the answer is what `which` prints here");
        // SAFETY: NUL-terminated literals; each stream is read and closed once.
        unsafe {
            let s = popen(c"which faust 2>/dev/null".as_ptr(), c"r".as_ptr());
            assert!(!s.is_null());
            let mut text = Vec::new();
            let mut buf = [0u8; 256];
            loop {
                let n = libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), s);
                if n == 0 {
                    break;
                }
                text.extend_from_slice(&buf[..n]);
            }
            assert_eq!(text, expected);
            assert_eq!(pclose(s), 0);

            let s = popen(c"echo other".as_ptr(), c"r".as_ptr());
            assert!(!s.is_null());
            let fd = libc::fileno(s);
            let mut f = std::mem::ManuallyDrop::new(<std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd));
            let mut out = String::new();
            f.read_to_string(&mut out).unwrap();
            assert_eq!(out, "other\n");
            assert_eq!(pclose(s), 0, "a real command's exit status");
        }
    }
}
