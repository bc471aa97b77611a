//! `Instance`: one running copy of a compiled program. Cheap to make; many per factory.

use crate::error::CompileError;
use crate::factory::{delete_instance, describe_controls, DspInfo};
use crate::{ffi, Factory, MAX_CHANNELS};
use std::ptr::NonNull;
use std::sync::Arc;

/// A running DSP. `compute`, `set` and `get` are real-time safe: no allocation, lock or syscall.
/// Creating and dropping an instance are not: do those off the audio thread.
pub struct Instance {
    dsp: NonNull<ffi::llvm_dsp>,
    zones: Box<[*mut f32]>,
    factory: Arc<Factory>,
}

// SAFETY: an instance is a heap object owned by this handle alone; its zones point into that
// object. Moving the handle to another thread (the audio thread) moves sole ownership with it.
unsafe impl Send for Instance {}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").field("factory", &self.factory.name()).finish()
    }
}

impl Instance {
    pub(crate) fn new(factory: Arc<Factory>, sample_rate: u32) -> Result<Instance, CompileError> {
        let dsp = factory.raw_instance()?;
        // SAFETY: `dsp` is a fresh live instance owned by this function.
        unsafe { ffi::initCDSPInstance(dsp.as_ptr(), sample_rate as i32) };
        let zones = describe_controls(dsp).into_iter().map(|(_, zone)| zone).collect();
        Ok(Instance { dsp, zones, factory })
    }

    /// The program's shape (shared with its factory).
    pub fn info(&self) -> &DspInfo {
        self.factory.info()
    }

    /// The factory this instance was made from.
    pub fn factory(&self) -> &Arc<Factory> {
        &self.factory
    }

    /// Set control `index` (clamped to its range). Out-of-range indices and bargraphs are ignored.
    #[inline]
    pub fn set(&mut self, index: usize, value: f32) {
        let (Some(spec), Some(&zone)) = (self.info().controls.get(index), self.zones.get(index)) else {
            return;
        };
        if spec.kind.is_output() {
            return;
        }
        // SAFETY: the zone points into this live instance, which we own exclusively (&mut self).
        unsafe { *zone = spec.clamp(value) };
    }

    /// Current value of control `index` (for bargraphs: what the DSP last wrote).
    #[inline]
    pub fn get(&self, index: usize) -> Option<f32> {
        // SAFETY: the zone points into this live instance; reads of f32 are plain loads.
        self.zones.get(index).map(|&z| unsafe { *z })
    }

    /// Compute `frames` samples. `inputs.len()` and `outputs.len()` must equal the DSP's channel
    /// counts and every slice must hold at least `frames` samples; otherwise nothing is computed
    /// and `false` is returned (never a panic: this runs on the audio thread).
    #[inline]
    pub fn compute(&mut self, frames: usize, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) -> bool {
        let info = self.factory.info();
        if inputs.len() != info.inputs
            || outputs.len() != info.outputs
            || inputs.iter().any(|b| b.len() < frames)
            || outputs.iter().any(|b| b.len() < frames)
        {
            return false;
        }
        let mut ins = [std::ptr::null_mut::<f32>(); MAX_CHANNELS];
        let mut outs = [std::ptr::null_mut::<f32>(); MAX_CHANNELS];
        for (slot, b) in ins.iter_mut().zip(inputs) {
            *slot = b.as_ptr() as *mut f32;
        }
        for (slot, b) in outs.iter_mut().zip(outputs.iter_mut()) {
            *slot = b.as_mut_ptr();
        }
        // SAFETY: channel counts and lengths were checked above; FAUST reads inputs and writes
        // outputs only, within `frames` samples; the instance is ours exclusively.
        unsafe { ffi::computeCDSPInstance(self.dsp.as_ptr(), frames as i32, ins.as_mut_ptr(), outs.as_mut_ptr()) };
        true
    }

    /// Compute `frames` samples from raw channel pointers, with no checks: the engine's hot path,
    /// which prepares the pointer arrays once per node instead of per call.
    ///
    /// # Safety
    /// `inputs` must point to `info().inputs` pointers and `outputs` to `info().outputs`
    /// pointers; each input must be readable and each output writable for `frames` samples, and
    /// no output may overlap another buffer.
    #[inline]
    pub unsafe fn compute_raw(&mut self, frames: usize, inputs: *mut *mut f32, outputs: *mut *mut f32) {
        // SAFETY: the caller guarantees the pointer arrays and buffers; the instance is ours.
        unsafe { ffi::computeCDSPInstance(self.dsp.as_ptr(), frames as i32, inputs, outputs) };
    }

    /// Reset the DSP's internal state (delay lines, filters) without touching controls.
    pub fn clear(&mut self) {
        // SAFETY: live instance owned exclusively.
        unsafe { ffi::instanceClearCDSPInstance(self.dsp.as_ptr()) };
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        delete_instance(self.dsp);
    }
}
