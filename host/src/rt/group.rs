//! Voices computed together: a node's voices are groups, each one processor computing one voice
//! or, for a FAUST voice in lanes (see `kr_faust::lanes`), several side by side. The engine
//! splits a group's compute at every event of any of its voices; each voice keeps its own
//! controls, gate, ramps and fades, reached through the group by its lane.

use super::processor::Processor;
use std::ops::Range;

/// The most voices one group computes (a lanes program's width).
pub const MAX_LANES: usize = kr_faust::lanes::LANES;

/// One processor and the voices it computes.
pub struct VoiceGroup {
    processor: Box<dyn Processor>,
    /// The node's voices `first .. first + lanes` are this group's lanes 0, 1, ...
    first: usize,
    lanes: usize,
    /// Controls of one lane: lane `l`'s control `c` is the processor's `l * stride + c`.
    stride: usize,
}

impl VoiceGroup {
    /// One voice alone: the node's voice `voice`.
    pub fn single(processor: Box<dyn Processor>, voice: usize) -> VoiceGroup {
        VoiceGroup { processor, first: voice, lanes: 1, stride: 0 }
    }

    /// `lanes` voices from the node's voice `first` on, in one processor whose controls are
    /// `controls` per lane, lane after lane, and whose outputs are the lanes' outputs in turn.
    pub fn lanes(processor: Box<dyn Processor>, first: usize, lanes: usize, controls: usize) -> VoiceGroup {
        assert!((1..=MAX_LANES).contains(&lanes), "a group has 1 to {MAX_LANES} lanes");
        VoiceGroup { processor, first, lanes, stride: controls }
    }

    /// The node's voices this group computes.
    pub fn voices(&self) -> Range<usize> {
        self.first..self.first + self.lanes
    }

    pub fn lanes_count(&self) -> usize {
        self.lanes
    }

    /// The processor's index of lane `lane`'s control `control` (None past one lane's controls:
    /// it would be another lane's).
    #[inline]
    fn index(&self, lane: usize, control: usize) -> Option<usize> {
        if self.lanes == 1 {
            Some(control)
        } else {
            (control < self.stride).then_some(lane * self.stride + control)
        }
    }

    /// Set lane `lane`'s control `control` (out of range: ignored, as `Processor::set`).
    #[inline]
    pub fn set(&mut self, lane: usize, control: usize, value: f32) {
        if let Some(i) = self.index(lane, control) {
            self.processor.set(i, value);
        }
    }

    /// Lane `lane`'s control `control`, if there is one.
    #[inline]
    pub fn get(&self, lane: usize, control: usize) -> Option<f32> {
        self.index(lane, control).and_then(|i| self.processor.get(i))
    }

    /// Forget every lane's signal state (see `Processor::reset`).
    pub fn reset(&mut self) {
        self.processor.reset();
    }

    /// Compute `frames` samples of every lane.
    ///
    /// # Safety
    /// As `Processor::compute`: `outputs` points to the lanes' outputs, lane after lane.
    #[inline]
    pub unsafe fn compute(&mut self, frames: usize, inputs: *mut *mut f32, outputs: *mut *mut f32) {
        // SAFETY: the caller's contract is the processor's.
        unsafe { self.processor.compute(frames, inputs, outputs) }
    }

    /// Output channels of the whole group (the lanes' outputs in turn).
    pub fn outputs(&self) -> usize {
        self.processor.outputs()
    }
}
