//! State the audio thread mutates and consecutive real-time graphs share: one [`RtCell`] kind for
//! nodes ([`NodeCell`]) and recording taps (`TapCell`).

use super::block::MAX_BLOCK;
use super::group::{VoiceGroup, MAX_LANES};
use std::cell::UnsafeCell;

/// A value created on the control thread and, once published in a graph, mutated by the audio
/// thread alone.
pub struct RtCell<T>(UnsafeCell<T>);

// SAFETY: after a cell is published in an RtGraph, only the audio thread accesses its contents
// (through `get`), one callback at a time; the control thread only holds `Shared` handles to
// re-publish it in later graphs and to drop it. Before publication the control thread is its only
// user. So no two threads ever access the contents concurrently.
unsafe impl<T: Send> Sync for RtCell<T> {}
// SAFETY: the contents may move between threads (they are `Send`); see `Sync` for access.
unsafe impl<T: Send> Send for RtCell<T> {}

impl<T> RtCell<T> {
    pub fn new(value: T) -> RtCell<T> {
        RtCell(UnsafeCell::new(value))
    }

    /// # Safety
    /// Only the audio thread may call this once the cell is published (or the control thread
    /// before that), and the returned reference must not outlive the current callback or alias
    /// another live reference to the same cell.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get(&self) -> &mut T {
        // SAFETY: exclusivity is the caller's contract, stated above.
        unsafe { &mut *self.0.get() }
    }
}

/// A node's real-time state.
pub type NodeCell = RtCell<NodeState>;

/// One voice: its gate, note, ramps and fades (its signal is its group's processor's: see
/// `rt::group`).
pub struct VoiceState {
    pub gate_up: bool,
    pub note: u32,
    /// Controls moving linearly (continuous patterns, fades, a scene recalled); unused slots
    /// have `left == 0`. Only the first `ramps_live` slots may hold a live one (see
    /// [`VoiceState::live_ramps`]).
    pub ramps: [Ramp; MAX_RAMPS],
    pub ramps_live: u8,
    /// Silent with its gate down, until its gate rises or a control is set; not computed
    /// meanwhile when idle voices are skipped (see `rt::idle`).
    pub idle: bool,
    /// The voice's own output gain (1 but while a stolen voice fades out and back in), moving
    /// by `fade_step` per frame for `fade_left` more frames.
    pub fade: f32,
    pub fade_step: f32,
    pub fade_left: u32,
    /// The loudest sample the last fade-out took away: a fade-out of silence needs no fade-in.
    pub faded_peak: f32,
}

/// Controls of one voice that can ramp at once (more jump to their value, as a set does).
pub const MAX_RAMPS: usize = 32;

/// A control moving by `step` per frame for `left` more frames.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ramp {
    pub control: u16,
    pub value: f32,
    pub target: f32,
    pub step: f32,
    pub left: u32,
}

impl Default for VoiceState {
    fn default() -> VoiceState {
        VoiceState {
            gate_up: false,
            note: 0,
            ramps: [Ramp::default(); MAX_RAMPS],
            ramps_live: 0,
            idle: false,
            fade: 1.0,
            fade_step: 0.0,
            fade_left: 0,
            faded_peak: 0.0,
        }
    }
}

impl VoiceState {
    /// The slots that may hold a live ramp: every block looks at these, so a voice without
    /// ramps costs nothing however many slots there are.
    #[inline]
    pub fn live_ramps(&self) -> &[Ramp] {
        &self.ramps[..self.ramps_live as usize]
    }

    #[inline]
    pub fn live_ramps_mut(&mut self) -> &mut [Ramp] {
        &mut self.ramps[..self.ramps_live as usize]
    }

    /// Start a ramp of `control` (replacing one of the same control); false when every slot
    /// is taken.
    pub fn start_ramp(&mut self, ramp: Ramp) -> bool {
        let live = self.live_ramps().iter().position(|r| r.left > 0 && r.control == ramp.control);
        let Some(i) = live.or_else(|| self.ramps.iter().position(|r| r.left == 0)) else {
            return false;
        };
        self.ramps[i] = ramp;
        self.ramps_live = self.ramps_live.max(i as u8 + 1);
        true
    }
}

/// Everything about a node that the audio thread mutates.
pub struct NodeState {
    pub voices: Vec<VoiceState>,
    /// The processors computing the voices, in voice order.
    pub groups: Vec<VoiceGroup>,
    pub inputs: usize,
    pub outputs: usize,
    /// Index of the `gate` control, when the node has one.
    pub gate: Option<u16>,
    /// Summed inputs: sends from other nodes plus the node's backend input ports.
    pub input: Vec<Vec<f32>>,
    /// Sum of the voices, pre-fader.
    pub mix: Vec<Vec<f32>>,
    /// One group's output while computing (its lanes' outputs in turn).
    pub scratch: Vec<Vec<f32>>,
    /// Post-fader output: what goes to master, sends and the node's backend ports.
    pub post: Vec<Vec<f32>>,
    /// Channel pointer arrays handed to the processors' compute, reused for every call.
    pub in_ptrs: Vec<*mut f32>,
    pub out_ptrs: Vec<*mut f32>,
    pub gain_target: f32,
    pub gain: f32,
    pub muted: bool,
    /// Crossfade from a previous definition: frames done of `fade_len` (equal-power).
    pub fade_pos: u32,
    pub fade_len: u32,
    /// Generation of the latest graph found holding this cell (the audio thread marks them when
    /// it takes a graph up, to notice the nodes the new graph left out).
    pub seen: u64,
    /// How much of the node goes to master, 0..1: follows the graph's `to_master` (solo) over
    /// a few ms instead of switching at once; NaN until the node's first block.
    pub master_level: f32,
    /// The node's sends as heard, by target cell: their levels move to the graph's over a few
    /// ms, and a send the graph drops (unroute, solo) fades out while its target still follows.
    pub sends: [SendFade; MAX_SEND_FADES],
}

/// Sends of one node whose level fades, at most (more switch at once, as before).
pub const MAX_SEND_FADES: usize = 16;

/// One send's level as heard; `target` is the address of the target's cell (0: a free slot).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SendFade {
    pub target: usize,
    pub level: f32,
}

// SAFETY: the raw pointers in `in_ptrs`/`out_ptrs` are scratch space: the audio thread writes
// them (pointing into this state's own buffers) right before each compute call and never reads
// them otherwise, so they carry no aliasing across threads. The groups' processors are `Send`.
unsafe impl Send for NodeState {}

impl NodeState {
    /// The state of the voices `groups` compute, each with `outputs` channels; all buffers
    /// allocated up front (control thread).
    pub fn new(groups: Vec<VoiceGroup>, inputs: usize, outputs: usize, gate: Option<u16>, gain: f32) -> NodeState {
        let bufs = |n: usize| (0..n).map(|_| vec![0.0f32; MAX_BLOCK]).collect::<Vec<_>>();
        let voices = groups.iter().map(|g| g.voices().end).max().unwrap_or(0);
        // Room for lanes: a source's voices may go in lanes later (see `LaneUpgrade`).
        let lanes_later = if inputs == 0 && voices >= MAX_LANES { MAX_LANES } else { 1 };
        let widest = groups.iter().map(VoiceGroup::lanes_count).max().unwrap_or(1).max(lanes_later);
        NodeState {
            voices: (0..voices).map(|_| VoiceState::default()).collect(),
            groups,
            inputs,
            outputs,
            gate,
            input: bufs(inputs),
            mix: bufs(outputs),
            scratch: bufs(outputs * widest),
            post: bufs(outputs),
            in_ptrs: vec![std::ptr::null_mut(); inputs],
            out_ptrs: vec![std::ptr::null_mut(); outputs * widest],
            gain_target: gain,
            gain,
            muted: false,
            fade_pos: 0,
            fade_len: 0,
            seen: 0,
            master_level: f32::NAN,
            sends: [SendFade::default(); MAX_SEND_FADES],
        }
    }
}
