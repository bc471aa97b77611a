//! Test-only ways to make krd misbehave, compiled into debug builds alone (every test runs a
//! debug build; a release build has none of this).
//!
//! `KR_TEST_STALL_AUDIO_FILE=<path>`: while that file exists, the audio callback spins instead
//! of returning (a stuck audio thread, as a DSP bug or a priority inversion would leave it), so
//! tests can see that the watchdog stops being fed.

#[cfg(debug_assertions)]
mod hooks {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    use std::time::Duration;

    static STALL_AUDIO: AtomicBool = AtomicBool::new(false);

    /// Start watching the stall file, when the environment names one.
    pub fn start() {
        let Some(path) = std::env::var_os("KR_TEST_STALL_AUDIO_FILE") else { return };
        let path = std::path::PathBuf::from(path);
        tracing::warn!(file = %path.display(), "test hook: the audio callback stalls while this file exists");
        let watch = move || loop {
            STALL_AUDIO.store(path.exists(), Relaxed);
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = std::thread::Builder::new().name("kr-test-hooks".into()).spawn(watch);
    }

    /// Called by the audio callback: spin while a test asks for a stall (no syscall, no
    /// allocation: only an atomic load).
    pub fn stall_audio_while_asked() {
        while STALL_AUDIO.load(Relaxed) {
            std::hint::spin_loop();
        }
    }
}

#[cfg(not(debug_assertions))]
mod hooks {
    pub fn start() {}
    #[inline(always)]
    pub fn stall_audio_while_asked() {}
}

pub use hooks::{stall_audio_while_asked, start};
