//! Denormal floats flushed to zero while the engine computes a block.
//!
//! A decaying recursive filter (a reverb tail, an envelope's release) ends in denormal floats,
//! which x86 processors compute through a microcode assist some hundred times slower than normal
//! floats: a song ending on a reverb would cost several times the CPU of the song itself, and
//! xrun exactly when the room goes quiet. With the MXCSR flags FTZ (results that would be
//! denormal become 0) and DAZ (denormal inputs count as 0) set, they cost nothing. Values below
//! 1.2e-38 (−758 dB) are inaudible, so nothing heard changes.
//!
//! [`FlushDenormals`] sets both flags for the scope of one engine block and restores the
//! thread's previous flags when dropped. Scoping it to the block, rather than setting it once
//! for the audio thread, makes it right whichever thread calls: JACK runs the process callback
//! on its client thread, which it may replace (a restarted server, re-activation), and
//! `krd render` computes on its main thread, which does control work between blocks.
//!
//! Other architectures keep their default (aarch64 has an FZ bit of its own; not set here yet).

/// While alive, this thread flushes denormal floats to zero (x86_64; a no-op elsewhere).
pub struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

/// MXCSR bit 15: flush to zero.
#[cfg(target_arch = "x86_64")]
const FTZ: u32 = 1 << 15;
/// MXCSR bit 6: denormals are zero.
#[cfg(target_arch = "x86_64")]
const DAZ: u32 = 1 << 6;

#[cfg(target_arch = "x86_64")]
fn read_mxcsr() -> u32 {
    let mut csr = 0u32;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR into the given, valid and writable, u32; it
    // changes no register and no flag.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags)) };
    csr
}

/// Load MXCSR.
///
/// # Safety
/// `csr` must differ from the thread's MXCSR at most in the FTZ and DAZ bits. Those two bits
/// change no memory, control flow or exception behaviour: they change the results of SSE float
/// operations whose operands or results are denormal (below 1.2e-38 for f32, 2.2e-308 for f64)
/// to zero of the same sign. The compiler assumes the default floating-point environment, so
/// code it optimised may see a constant it folded at compile time differ from the same
/// expression computed at run time by at most such a denormal; no code of the engine makes a
/// memory-safety decision on a float's value (every float-to-index conversion saturates), so
/// the worst effect is a denormal-sized difference in a sample. The rounding mode and the
/// exception masks, which the compiler relies on, are never changed.
#[cfg(target_arch = "x86_64")]
unsafe fn write_mxcsr(csr: u32) {
    // SAFETY: the caller keeps every bit but FTZ and DAZ as they were (see above); `ldmxcsr`
    // reads the 32-bit value from the given valid u32.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags, readonly)) };
}

impl FlushDenormals {
    /// Flush denormals on this thread until the guard is dropped. Real-time safe: two register
    /// instructions, no syscall.
    #[inline]
    pub fn on() -> FlushDenormals {
        #[cfg(target_arch = "x86_64")]
        {
            let saved = read_mxcsr();
            // SAFETY: only FTZ and DAZ differ from the thread's current MXCSR.
            unsafe { write_mxcsr(saved | FTZ | DAZ) };
            FlushDenormals { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        FlushDenormals {}
    }
}

impl Drop for FlushDenormals {
    #[inline]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        {
            // Only FTZ and DAZ of the thread's MXCSR changed since `on`: keep everything else
            // (status bits the block raised included) and put those two back.
            let now = read_mxcsr();
            // SAFETY: differs from the current MXCSR only in FTZ and DAZ.
            unsafe { write_mxcsr((now & !(FTZ | DAZ)) | (self.saved & (FTZ | DAZ))) };
        }
    }
}

/// Whether this thread flushes denormals now (x86_64: FTZ and DAZ both set). Reads a register:
/// real-time safe, no syscall.
pub fn flushing() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        read_mxcsr() & (FTZ | DAZ) == FTZ | DAZ
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A denormal product, computed at run time (black_box keeps the compiler from folding it).
    fn tiny_product() -> f32 {
        std::hint::black_box(1e-20f32) * std::hint::black_box(1e-20f32)
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_guard_flushes_while_alive_and_restores_after() {
        assert!(!flushing(), "threads start with the default environment");
        assert!(tiny_product() > 0.0, "without the guard, 1e-40 is a denormal");
        {
            let _g = FlushDenormals::on();
            assert!(flushing());
            assert_eq!(tiny_product(), 0.0, "with the guard, denormal results are 0");
            {
                let _inner = FlushDenormals::on();
                assert!(flushing());
            }
            assert!(flushing(), "a nested guard restores what was set before it");
        }
        assert!(!flushing());
        assert!(tiny_product() > 0.0);
    }
}
