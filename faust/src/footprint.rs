//! An instance's real memory, measured by the compile worker before the engine ever creates one.
//!
//! libfaust does not say how large an instance is (and for delay lines near 4 GiB its own size
//! computation wraps, so the engine would write past a small allocation and crash). The worker
//! creates and initialises one trial instance of every program it compiles — a program that
//! crashes that way crashes the worker, which is reported as an error — and measures how much
//! resident memory it took: initialising an instance writes all of its state, so every page of
//! it becomes resident. Large allocations are forced to fresh `mmap`s (zero pages, counted only
//! when touched) so the measurement is not hidden by memory malloc reuses.

use crate::factory::delete_instance;
use crate::{ffi, CompileError, Factory};
use std::os::unix::fs::FileExt;

/// Reads the worker's resident memory; opened before the sandbox closes `/proc`.
pub struct Meter {
    statm: std::fs::File,
    page: u64,
}

impl Meter {
    /// Open `/proc/self/statm` and make allocations of 64 KiB and more fresh mappings.
    pub fn open() -> std::io::Result<Meter> {
        // SAFETY: mallopt and sysconf only set/read process-wide allocator and system values.
        let page = unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 10);
            libc::sysconf(libc::_SC_PAGESIZE)
        };
        Ok(Meter { statm: std::fs::File::open("/proc/self/statm")?, page: page.max(4096) as u64 })
    }

    /// Resident bytes now.
    fn resident(&self) -> u64 {
        let mut buf = [0u8; 128];
        let n = self.statm.read_at(&mut buf, 0).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        text.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * self.page
    }

    /// Bytes one initialised instance of `factory` occupies (at least one page).
    pub fn instance_bytes(&self, factory: &Factory, name: &str) -> Result<u64, CompileError> {
        let before = self.resident();
        let dsp = factory.raw_instance().map_err(|_| CompileError::Unsupported {
            name: name.into(),
            message: "libfaust cannot make an instance of it: it needs more memory than can be allocated (a \
                      delay line or table too long?)"
                .into(),
        })?;
        // SAFETY: `dsp` is a fresh live instance owned here; it is deleted below.
        unsafe { ffi::initCDSPInstance(dsp.as_ptr(), 48000) };
        let after = self.resident();
        delete_instance(dsp);
        tracing::debug!(name, bytes = after.saturating_sub(before), "measured an instance");
        Ok(after.saturating_sub(before).max(self.page))
    }
}
