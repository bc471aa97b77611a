//! Node kinds: what the real-time graph runs for each voice of a node.
//!
//! The engine knows a voice only through [`Processor`]: it computes the voice in slices between
//! events (each event applied at its exact frame), sets and reads its controls by index, and asks
//! for its channel counts. A FAUST instance is the first kind; a sample player or a MIDI output is
//! another implementation, not a special case in the graph.

use kr_faust::Instance;

/// One voice's signal processor. Every method runs on the audio thread and must be real-time
/// safe: no allocation, free, lock, syscall, print or panic.
pub trait Processor: Send {
    /// Audio inputs read by [`Processor::compute`].
    fn inputs(&self) -> usize;
    /// Audio outputs written by [`Processor::compute`].
    fn outputs(&self) -> usize;
    /// Set control `control` (out-of-range indices are ignored; values are clamped by the kind).
    fn set(&mut self, control: usize, value: f32);
    /// The current value of control `control`, if there is one.
    fn get(&self, control: usize) -> Option<f32>;
    /// Forget the signal state (delay lines, filters), keeping the controls: after a fault.
    fn reset(&mut self);
    /// Compute `frames` samples.
    ///
    /// # Safety
    /// `inputs` points to [`Processor::inputs`] pointers and `outputs` to [`Processor::outputs`]
    /// pointers; each input is readable and each output writable for `frames` samples, and no
    /// output overlaps another buffer.
    unsafe fn compute(&mut self, frames: usize, inputs: *mut *mut f32, outputs: *mut *mut f32);
}

/// FAUST programs: the instance's own channel counts and controls.
impl Processor for Instance {
    fn inputs(&self) -> usize {
        self.info().inputs
    }

    fn outputs(&self) -> usize {
        self.info().outputs
    }

    #[inline]
    fn set(&mut self, control: usize, value: f32) {
        Instance::set(self, control, value)
    }

    #[inline]
    fn get(&self, control: usize) -> Option<f32> {
        Instance::get(self, control)
    }

    fn reset(&mut self) {
        self.clear()
    }

    #[inline]
    unsafe fn compute(&mut self, frames: usize, inputs: *mut *mut f32, outputs: *mut *mut f32) {
        // SAFETY: the caller's contract is `compute_raw`'s, with the instance's channel counts.
        unsafe { self.compute_raw(frames, inputs, outputs) }
    }
}
