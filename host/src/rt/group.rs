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
    /// Controls of one voice: lane `l`'s control `c` is the processor's `l * stride + c`.
    stride: usize,
}

/// A node's voices in lanes, made when its lanes program came after the node (the node was
/// made with one instance per voice so as not to wait for it). The audio thread takes them up
/// at a block where every voice of the node is idle (see [`LaneUpgrade::take_up`]): a silent
/// voice has no sound to carry over, only its controls, which are copied.
pub struct LaneUpgrade {
    groups: super::cell::RtCell<Vec<VoiceGroup>>,
    done: std::sync::atomic::AtomicBool,
}

impl LaneUpgrade {
    /// The groups to take up: the node's voices in voice order (control thread).
    pub fn new(groups: Vec<VoiceGroup>) -> LaneUpgrade {
        LaneUpgrade { groups: super::cell::RtCell::new(groups), done: Default::default() }
    }

    /// Whether the audio thread took the groups up (read from any thread).
    pub fn done(&self) -> bool {
        self.done.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Swap `groups` (a node's, one instance per voice) for these, when every voice of the
    /// node is idle, copying each voice's controls over; what was swapped out stays here for
    /// the control thread to drop. Real-time safe.
    ///
    /// # Safety
    /// Audio thread only, with no other reference to this upgrade's groups live.
    pub unsafe fn take_up(&self, groups: &mut Vec<VoiceGroup>, voices: &[super::cell::VoiceState]) {
        if self.done() || !voices.iter().all(|v| v.idle) {
            return;
        }
        // SAFETY: the caller's contract: the audio thread is the only user once published.
        let next = unsafe { self.groups.get() };
        let covered = next.iter().map(|g| g.voices().end).max().unwrap_or(0);
        if covered != voices.len() {
            return;
        }
        for g in next.iter_mut() {
            for (lane, voice) in g.voices().enumerate() {
                let Some(old) = groups.iter().find(|o| o.voices().contains(&voice)) else { continue };
                let old_lane = voice - old.first;
                for c in 0..g.stride {
                    if let Some(x) = old.get(old_lane, c) {
                        g.set(lane, c, x);
                    }
                }
            }
        }
        std::mem::swap(groups, next);
        self.done.store(true, std::sync::atomic::Ordering::Release);
    }
}

impl VoiceGroup {
    /// One voice alone, with `controls` controls: the node's voice `voice`.
    pub fn single(processor: Box<dyn Processor>, voice: usize, controls: usize) -> VoiceGroup {
        VoiceGroup { processor, first: voice, lanes: 1, stride: controls }
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
