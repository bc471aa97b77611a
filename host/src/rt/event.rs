//! Frame-stamped events from the scheduler and the control thread to the audio thread.

/// The frame of an event meant for the start of the next block (an immediate command).
pub const NEXT_BLOCK: u64 = 0;

/// Events addressed to every voice of a node.
pub const ALL_VOICES: u16 = u16::MAX;

/// One change, applied at an exact frame of the engine clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RtEvent {
    /// Engine frame (frames processed since the engine started) at which the event applies;
    /// [`NEXT_BLOCK`] for the start of the next block.
    pub frame: u64,
    /// The node's stable key (never reused), not its position in the graph.
    pub node: u32,
    pub voice: u16,
    pub kind: RtEventKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RtEventKind {
    /// Set control `control` (an index into the DSP's controls).
    Set {
        control: u16,
        value: f32,
    },
    /// Move control `control` linearly from its current value to `value` over `frames`.
    Ramp {
        control: u16,
        value: f32,
        frames: u32,
    },
    /// Raise the gate for note `note`; a gate already up first drops for one sample.
    GateOn {
        note: u32,
    },
    /// Lower the gate if it still belongs to note `note`.
    GateOff {
        note: u32,
    },
    /// A new note takes the voice of note `note` (voice stealing): lower its gate as `GateOff`
    /// does, and fade the voice's output out over `frames`; the voice's next `GateOn` fades it
    /// back in over a millisecond.
    Steal {
        note: u32,
        frames: u32,
    },
    /// Node fader (smoothed).
    Gain(f32),
    Mute(bool),
    /// Master fader (smoothed); `node` is ignored.
    Master(f32),
}
