//! SuperDirt's arithmetic for one sample event, done on the control thread: which part of the
//! file plays, at what rate, for how long, how loud, where in the stereo field, and through
//! which per-event effects. The audio thread only follows the resulting [`VoicePlan`].
//!
//! The rules are SuperDirt 1.7's (`DirtEvent.calcTimeSpan`, `finaliseParameters`, the
//! `dirt_sample` and `dirt_gate` synths): note 0 at octave 5 is middle C (261.6256 Hz), which is
//! a sample's own pitch; `speed` multiplies the rate (negative: backwards); `unit "c"` fits the
//! portion to a cycle; `sustain`, else `legato`·`delta`, else the portion's length × `loop`, and
//! never past the portion's end; 1 ms fades (the fade-in only when `begin` is not 0); level
//! `amp`·(min(`gain`, 2) + `overgain`)⁴.

use super::event::DirtEvent;
use super::fx::EffectsPlan;

/// A sample's own pitch: SuperDirt's note 0 (middle C, MIDI 60). SuperDirt divides by the
/// rounded 261.6256, which detunes every sample by 0.0009 cents; the exact value plays a sample
/// at exactly its own rate.
pub const MIDDLE_C_HZ: f64 = 261.625_565_300_598_6;
/// SuperDirt's longest fade (seconds).
const FADE_SECONDS: f64 = 0.001;

/// What the audio thread needs to play one sample event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoicePlan {
    /// The playing portion of the file, in frames: `[lo, hi)`.
    pub lo: f64,
    pub hi: f64,
    /// Frames of the file per output frame at the start (negative: backwards), and its change
    /// per output frame (`accelerate`).
    pub rate: f64,
    pub rate_step: f64,
    /// Output frames in all, fades included.
    pub length: u32,
    pub fade_in: u32,
    pub fade_out: u32,
    /// Gains into the left and right outputs (mono files: equal-power pan; stereo: balance).
    pub left: f32,
    pub right: f32,
    /// Cut group (0: none; negative: only the same file).
    pub cut: i32,
    pub effects: EffectsPlan,
}

/// Why an event plays nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("the sound lasts {0:.6} s, shorter than 8 samples (SuperDirt drops such events too)")]
    TooShort(f64),
    #[error("unit '{0}' is not one of r, c, s")]
    BadUnit(String),
    #[error("speed 0 never moves through the sound, so nothing plays")]
    Still,
}

/// The longest a sample event may last (a guard against `sustain 1e9`).
const MAX_SECONDS: f64 = 3600.0;

/// SuperDirt's level curve: `amp`·(min(`gain`, 2) + `overgain`)⁴, `amp` 0.4 by default.
pub fn level(ev: &DirtEvent) -> f64 {
    let gain = ev.num("gain").unwrap_or(1.0).min(2.0) + ev.num("overgain").unwrap_or(0.0);
    gain.powi(4) * ev.num("amp").unwrap_or(0.4)
}

/// The event's frequency: `freq`, else `midinote`, else (`note`, else `n` for synths) +
/// 12·`octave` as a MIDI note (octave 5 by default).
pub fn frequency(ev: &DirtEvent, n_is_note: bool) -> f64 {
    if let Some(f) = ev.num("freq") {
        return f;
    }
    let midi = ev.num("midinote").unwrap_or_else(|| {
        let note = ev.num("note").or(if n_is_note { ev.num("n") } else { None }).unwrap_or(0.0);
        note + 12.0 * ev.num("octave").unwrap_or(5.0)
    });
    crate::scheduler::midi_to_hz(midi)
}

/// Seconds a synth note lasts: `sustain`, else `legato`·`delta`, else `delta`·|`loop`|.
pub fn synth_sustain(ev: &DirtEvent) -> f64 {
    let delta = ev.num("delta").unwrap_or(1.0);
    ev.num("sustain")
        .or_else(|| ev.num("legato").map(|l| delta * l))
        .unwrap_or_else(|| delta * ev.num("loop").unwrap_or(1.0).abs())
}

/// Equal-power gains for `pan` (0 left … 1 right; folded into range like SuperDirt).
pub fn pan_gains(ev: &DirtEvent) -> (f32, f32) {
    let mut p = ev.num("pan").unwrap_or(0.5) * 2.0 - 1.0;
    // fold into [-1, 1]
    while !(-1.0..=1.0).contains(&p) {
        p = if p > 1.0 { 2.0 - p } else { -2.0 - p };
    }
    let angle = (p + 1.0) * std::f64::consts::FRAC_PI_4;
    (angle.cos() as f32, angle.sin() as f32)
}

/// Plan a sample event: `frames` frames of a file already at `sample_rate`.
pub fn plan_sample(ev: &DirtEvent, frames: usize, sample_rate: f64) -> Result<VoicePlan, PlanError> {
    let freq = frequency(ev, false);
    let pitch = freq / MIDDLE_C_HZ;
    let (mut begin, mut end) = (ev.num("begin").unwrap_or(0.0), ev.num("end").unwrap_or(1.0));
    begin = begin.clamp(0.0, 1.0);
    end = end.clamp(0.0, 1.0);
    let mut speed = ev.num("speed").unwrap_or(1.0);
    if speed < 0.0 {
        std::mem::swap(&mut begin, &mut end);
    }
    let length = (end - begin).abs();
    let cps = ev.num("cps").unwrap_or(1.0);
    let buf_secs = frames as f64 / sample_rate;
    // A sample's natural duration at this pitch.
    let mut unit_duration = buf_secs / pitch;
    let unit = ev.text("unit").unwrap_or("r");
    if unit == "c" {
        speed *= cps * unit_duration;
    }
    let accelerate = ev.num("accelerate");
    let end_speed = accelerate.map_or(speed, |a| speed * (1.0 + a));
    let avg_speed = match accelerate {
        None => speed.abs(),
        Some(_) => (speed.abs() + end_speed.abs()) * 0.5,
    };
    if avg_speed == 0.0 || !avg_speed.is_finite() {
        return Err(PlanError::Still);
    }
    unit_duration = match unit {
        "r" | "rate" | "c" => unit_duration * length / avg_speed,
        "s" => length,
        other => return Err(PlanError::BadUnit(other.into())),
    };
    let delta = ev.num("delta").unwrap_or(1.0);
    let sustain = match (ev.num("sustain"), ev.num("legato")) {
        (Some(s), _) => s,
        (None, Some(l)) => delta * l,
        (None, None) => {
            unit_duration *= ev.num("loop").unwrap_or(1.0).abs();
            unit_duration
        }
    };
    let sustain = sustain.min(unit_duration).min(MAX_SECONDS);
    let fade = FADE_SECONDS.min(sustain * 0.19098);
    // As SuperDirt: after the swap for negative speeds, so a reversed sound fades in too.
    let fade_in = if begin != 0.0 { fade } else { 0.0 };
    let held = sustain - fade - fade_in;
    if !held.is_finite() || held < 8.0 / sample_rate {
        return Err(PlanError::TooShort(held.max(0.0)));
    }
    let (left, right) = pan_gains(ev);
    let amp = level(ev) as f32;
    let to_frames = |s: f64| (s * sample_rate).round().max(0.0) as u32;
    let out_frames = to_frames(sustain).max(1);
    let rate = speed * pitch;
    let end_rate = end_speed * pitch;
    Ok(VoicePlan {
        lo: begin.min(end) * frames as f64,
        hi: begin.max(end) * frames as f64,
        rate,
        rate_step: (end_rate - rate) / out_frames as f64,
        length: out_frames,
        fade_in: to_frames(fade_in),
        fade_out: to_frames(fade).max(1),
        left: left * amp,
        right: right * amp,
        cut: ev.num("cut").map_or(0, |c| c.trunc().clamp(-1e6, 1e6) as i32),
        effects: EffectsPlan::of(ev, sample_rate),
    })
}

#[cfg(test)]
mod tests {
    use super::super::event::DirtValue;
    use super::*;

    fn ev(pairs: &[(&str, f64)]) -> DirtEvent {
        let mut e = DirtEvent::default();
        e.insert("s", DirtValue::Str("x".into()));
        for (k, v) in pairs {
            e.insert(k, DirtValue::Num(*v));
        }
        e
    }

    #[test]
    fn superdirt_bd_sustain() {
        // SuperDirt's own log for `s "bd"` (BT0A0A7.wav, 0.2841659 s): sustain 0.283166 after
        // the 1 ms fade-out.
        let sr = 44101.0;
        let p = plan_sample(&ev(&[]), (0.2841659f64 * sr).round() as usize, sr).unwrap();
        let held = (p.length - p.fade_out - p.fade_in) as f64 / sr;
        assert!((held - 0.283166).abs() < 2.0 / sr, "{held}");
        assert_eq!(p.rate, 1.0 * MIDDLE_C_HZ / MIDDLE_C_HZ);
    }

    #[test]
    fn levels_follow_superdirts_curve() {
        assert!((level(&ev(&[])) - 0.4).abs() < 1e-12);
        assert!((level(&ev(&[("gain", 0.8)])) - 0.4 * 0.8f64.powi(4)).abs() < 1e-12);
        assert!((level(&ev(&[("gain", 3.0)])) - 0.4 * 16.0).abs() < 1e-12);
    }

    #[test]
    fn pitch_rules() {
        assert!((frequency(&ev(&[("note", 0.0)]), true) - MIDDLE_C_HZ).abs() < 1e-3);
        assert!((frequency(&ev(&[("n", 12.0)]), true) - 2.0 * MIDDLE_C_HZ).abs() < 1e-3);
        assert!((frequency(&ev(&[("n", 12.0)]), false) - MIDDLE_C_HZ).abs() < 1e-3);
        assert!((frequency(&ev(&[("note", 0.0), ("octave", 4.0)]), true) - MIDDLE_C_HZ / 2.0).abs() < 1e-3);
        assert!((frequency(&ev(&[("midinote", 69.0)]), true) - 440.0).abs() < 1e-9);
        assert_eq!(frequency(&ev(&[("freq", 100.0), ("note", 3.0)]), true), 100.0);
    }

    #[test]
    fn speed_begin_end_loop_and_units() {
        let sr = 48000.0;
        let p = plan_sample(&ev(&[("speed", -2.0), ("begin", 0.25), ("end", 0.75)]), 48000, sr).unwrap();
        assert_eq!((p.lo, p.hi, p.rate), (12000.0, 36000.0, -2.0));
        assert_eq!(p.length, 12000); // half a second of file at double speed
        let p = plan_sample(&ev(&[("loop", 3.0), ("end", 0.5)]), 48000, sr).unwrap();
        assert_eq!(p.length, 72000);
        // unit c: the whole file over one cycle at 0.5 cps (2 s).
        let mut e = ev(&[("cps", 0.5)]);
        e.insert("unit", DirtValue::Str("c".into()));
        let p = plan_sample(&e, 48000, sr).unwrap();
        assert!((p.rate - 0.5).abs() < 1e-12 && p.length == 96000, "{p:?}");
        // legato is capped by the portion's length; sustain too.
        assert_eq!(plan_sample(&ev(&[("legato", 1.0), ("delta", 5.0)]), 48000, sr).unwrap().length, 48000);
        assert_eq!(plan_sample(&ev(&[("sustain", 0.1)]), 48000, sr).unwrap().length, 4800);
        assert!(matches!(plan_sample(&ev(&[("sustain", 0.0001)]), 48000, sr), Err(PlanError::TooShort(_))));
        assert_eq!(plan_sample(&ev(&[("speed", 0.0)]), 48000, sr), Err(PlanError::Still));
        // A portion looped a billion times still ends within the hour.
        let p = plan_sample(&ev(&[("loop", 1e9)]), 48000, sr).unwrap();
        assert_eq!(p.length, 3600 * 48000);
    }

    #[test]
    fn pan_is_equal_power() {
        let (l, r) = pan_gains(&ev(&[]));
        assert!((l - r).abs() < 1e-6 && (l * l + r * r - 1.0).abs() < 1e-6);
        assert!(pan_gains(&ev(&[("pan", 0.0)])).1.abs() < 1e-6);
        let (l, r) = pan_gains(&ev(&[("pan", 1.0)]));
        assert!(l.abs() < 1e-6 && (r - 1.0).abs() < 1e-6);
    }
}
