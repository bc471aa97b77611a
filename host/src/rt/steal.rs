//! Voice stealing without a click. When every voice of a node is busy, the scheduler gives a
//! new note the oldest voice and sends `Steal` a few ms before the note: the voice's gate falls
//! and its output fades to silence by the note's onset. Without the fade, the old note would be
//! cut where an envelope restarts (FAUST's `en.adsr` jumps to 0 at a new gate), a step as large
//! as the sound. A free voice whose last note may still ring (its release tail) gets the same
//! `Steal` before its next note; a voice that is idle (silent) is not faded at all. The new note
//! then fades in over [`FADE_IN_FRAMES`], so an envelope that goes on from its level instead of
//! restarting does not step from the silence either; after a fade-out that took away only
//! silence the note starts at full level, so a voice sounds the same whether or not idle voices
//! are skipped.

use super::cell::VoiceState;
use super::idle::SILENCE;

/// Frames over which a stolen voice's next note fades in (1 ms at 48 kHz).
pub const FADE_IN_FRAMES: u32 = 48;

/// Start fading the voice out over `frames`.
pub fn fade_out(voice: &mut VoiceState, frames: u32) {
    let frames = frames.max(1);
    voice.faded_peak = 0.0;
    voice.fade_step = -voice.fade / frames as f32;
    voice.fade_left = frames;
}

/// At a note's onset: a voice faded (or fading) out fades back in, its first sample already
/// above silence (the onset stays on its frame).
pub fn fade_in(voice: &mut VoiceState) {
    if voice.fade < 1.0 && voice.faded_peak < SILENCE {
        (voice.fade, voice.fade_step, voice.fade_left) = (1.0, 0.0, 0);
    } else if voice.fade < 1.0 {
        voice.fade_step = (1.0 - voice.fade) / FADE_IN_FRAMES as f32;
        voice.fade += voice.fade_step;
        voice.fade_left = FADE_IN_FRAMES - 1;
    }
}

/// Whether the voice's output is scaled at all.
#[inline]
pub fn fading(voice: &VoiceState) -> bool {
    voice.fade_left > 0 || voice.fade != 1.0
}

/// Scale frames `[from, to)` of the voice's output by its fade, moving the fade on.
pub fn apply(voice: &mut VoiceState, out: &mut [Vec<f32>], from: usize, to: usize) {
    let fading_out = voice.fade_step < 0.0;
    for i in from..to {
        for b in out.iter_mut() {
            if fading_out {
                voice.faded_peak = voice.faded_peak.max(b[i].abs());
            }
            b[i] *= voice.fade;
        }
        step(voice, 1);
    }
}

/// Move the fade on by `frames` (also for frames not computed).
pub fn step(voice: &mut VoiceState, frames: u32) {
    if voice.fade_left == 0 {
        return;
    }
    let k = frames.min(voice.fade_left);
    voice.fade_left -= k;
    voice.fade = if voice.fade_left == 0 {
        // Land exactly: silent after a fade out, untouched after a fade in.
        if voice.fade_step < 0.0 {
            0.0
        } else {
            1.0
        }
    } else {
        voice.fade + voice.fade_step * k as f32
    };
}
