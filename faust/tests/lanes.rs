//! Voices in lanes through the real worker and libfaust: each lane of a lanes program computes
//! exactly what one instance of the voice computes with the same controls.

mod common;
use common::*;
use kr_faust::lanes::LANES;
use std::time::Duration;

/// A stereo voice in its own group, with a gate and an envelope: the lane's paths carry the
/// group the voice's own paths leave out.
const VOICE: &str = r#"import("stdfaust.lib");
process = vgroup("synth", os.sawtooth(freq) : fi.lowpass(2, cutoff) : *(en.adsr(0.01, 0.1, 0.7, 0.2, gate)) <: _, *(0.5))
with {
    freq = hslider("freq", 220, 20, 2000, 0.01);
    cutoff = hslider("cutoff", 1200, 50, 10000, 1);
    gate = button("gate");
};"#;

#[test]
fn every_lane_computes_what_one_voice_computes_with_its_controls() {
    let svc = service(Duration::from_secs(30), false, None);
    let voice = svc.compile_voice("voice", VOICE, true).expect("compiles");
    let lanes = voice.lanes().expect("the lanes program compiles, matches the voice and is attached");
    let info = voice.info();
    let (outs, per_lane) = (info.outputs, lanes.controls());
    assert_eq!((outs, per_lane), (2, 3));
    assert_eq!(lanes.factory().info().outputs, LANES * outs);
    let freq = info.control_index("freq").unwrap();
    let gate = info.control_index("gate").unwrap();

    let frames = 4096;
    let mut together = lanes.factory().instance(48000).unwrap();
    let mut expected = Vec::new();
    for lane in 0..LANES {
        let hz = 110.0 * (lane + 1) as f32;
        together.set(lane * per_lane + freq, hz);
        // Odd lanes hold their note; even lanes stay silent.
        let g = (lane % 2) as f32;
        together.set(lane * per_lane + gate, g);
        let mut one = voice.instance(48000).unwrap();
        one.set(freq, hz);
        one.set(gate, g);
        let mut out = vec![vec![0.0f32; frames]; outs];
        let mut refs: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[..]).collect();
        assert!(one.compute(frames, &[], &mut refs));
        expected.push(out);
    }
    let mut out = vec![vec![0.0f32; frames]; LANES * outs];
    let mut refs: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[..]).collect();
    assert!(together.compute(frames, &[], &mut refs));
    for (lane, want) in expected.iter().enumerate() {
        for ch in 0..outs {
            let got = &out[lane * outs + ch];
            let worst = got.iter().zip(&want[ch]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 1e-6, "lane {lane} channel {ch} differs from the voice by {worst}");
            let peak = got.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert_eq!(peak > 0.05, lane % 2 == 1, "lane {lane} sounds only when its gate is up (peak {peak})");
        }
    }
    let hz = zero_crossing_hz(&out[3 * outs][2048..], 48000.0);
    assert!((hz - 440.0).abs() < 2.0, "lane 3 plays its own pitch: {hz} Hz");
}

#[test]
fn a_program_with_inputs_is_not_put_in_lanes() {
    let svc = service(Duration::from_secs(30), false, None);
    let source = r#"import("stdfaust.lib"); process = fi.lowpass(2, hslider("cutoff", 900, 50, 9000, 1));"#;
    let effect = svc.compile_voice("fx", source, true).expect("compiles");
    assert!(effect.lanes().is_none(), "an effect has inputs");
}
