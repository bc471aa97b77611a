//! Idle voices: a voice whose gate is down and whose output stayed below −120 dB for a whole
//! block is not computed again until something wakes it (its gate rising, or a control set),
//! so a node of 256 voices costs what its sounding voices cost, as a SuperCollider server that
//! frees finished synths does.
//!
//! Voices in lanes (several in one processor, see `rt::group`) are skipped when all of the
//! group's voices are idle; an idle voice in a group that computes is computed too, and stays
//! idle while it stays silent with its gate down.
//!
//! The voices of a node MIDI notes play, or of one waiting to take its voices up in lanes, are
//! told idle whether or not idle voices are skipped: a note from MIDI input looks for a silent
//! voice first (and a silent voice needs no fade before its next note), and voices go in lanes
//! only when all are silent.
//!
//! Who idles: a node's voices when the node has a `gate` control and no audio inputs. A node
//! without a gate has no "note over" to go by; an effect's input may bring sound at any moment
//! (a reverb fed by a send), so neither ever idles.
//!
//! What an idle voice keeps: its controls. Sets and ramps addressed to it still apply (a ramp
//! keeps moving with the clock without the voice computing), so the next note starts from the
//! values it would have had. What it loses: the samples it did not compute. State that runs on
//! in silence (a free-running oscillator's phase, a noise generator, a sample counter) resumes
//! where it stopped, as it would in a SuperCollider synth made anew for the note; a voice that
//! must keep running while silent (a delay inside the voice that echoes long after its gate
//! fell, with silence in between) needs `engine.skip_idle_voices: false`.

use super::cell::VoiceState;
use super::group::VoiceGroup;

/// What a node's block does about idle voices: tell them (`track`), and skip them (`skip`,
/// which needs them told).
#[derive(Debug, Clone, Copy)]
pub struct IdlePolicy {
    pub track: bool,
    pub skip: bool,
}

impl IdlePolicy {
    /// Skip idle voices or not (config `engine.skip_idle_voices`); tell them anyway when `track`
    /// (a node MIDI notes play: a note looks for a silent voice; a node waiting to take its
    /// voices up in lanes). Telling costs a look at each released voice's output every block,
    /// so it is not done for nothing.
    pub fn new(skip: bool, track: bool) -> IdlePolicy {
        IdlePolicy { track: track || skip, skip }
    }
}

/// Output below this (−120 dB full scale) for a whole block counts as silence.
pub const SILENCE: f32 = 1e-6;

/// Whether lane `lane`'s gate control is up (nonzero).
#[inline]
pub fn gate_up(group: &VoiceGroup, lane: usize, gate: u16) -> bool {
    group.get(lane, gate as usize).is_some_and(|g| g != 0.0)
}

/// Advance a skipped voice's ramps by `frames`, leaving each control (of lane `lane` of
/// `group`) where computing those frames would have left it.
pub fn skip_ramps(group: &mut VoiceGroup, lane: usize, voice: &mut VoiceState, frames: usize) {
    for r in voice.live_ramps_mut().iter_mut().filter(|r| r.left > 0) {
        let k = (frames as u32).min(r.left);
        r.left -= k;
        r.value = if r.left == 0 { r.target } else { r.value + r.step * k as f32 };
        group.set(lane, r.control as usize, r.value);
    }
}

/// The largest magnitude among the first `n` samples of `channels`.
pub fn peak(channels: &[Vec<f32>], n: usize) -> f32 {
    channels.iter().flat_map(|c| &c[..n]).fold(0.0f32, |m, x| m.max(x.abs()))
}
