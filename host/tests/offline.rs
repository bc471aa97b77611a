//! The engine without JACK: the session, scheduler and audio engine driven block by block, with
//! the real libfaust JIT and the allocation guard around every block.

use kr_faust::{CacheSettings, CompileService, CompilerSettings};
use kr_host::backend::Offline;
use kr_host::rt::{AudioEngine, BlockIo};
use kr_host::session::{Session, SessionSettings, NEXT_BLOCK};
use kr_osc::DspSource;
use kr_pattern::ir::Ir;
use kr_pattern::Time;
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

const RATE: u32 = 48000;
const BLOCK: usize = 64;
/// Output = freq × gate / 1000 (under the safety clip): each onset shows as the exact frame where the output becomes non-zero.
const PROBE: &str =
    r#"freq = hslider("freq", 0, 0, 20000, 0.001); gate = hslider("gate", 0, 0, 1, 1); process = freq * gate * 0.001;"#;

struct Rig {
    session: Session,
    engine: AudioEngine,
    compiler: CompileService,
    left: Vec<f32>,
}

impl Rig {
    fn new() -> Rig {
        let collector = basedrop::Collector::new();
        let (engine, link) = AudioEngine::new(&collector, RATE, 1.0);
        let settings = SessionSettings { master: 1.0, ..Default::default() };
        let session = Session::new(settings, RATE, link, collector, Box::new(Offline));
        let compiler = CompileService::start(CompilerSettings {
            worker: vec![env!("CARGO_BIN_EXE_krd").into(), "faust-worker".into()],
            cache: CacheSettings { dir: None, max_bytes: 0 },
            ..Default::default()
        });
        Rig { session, engine, compiler, left: Vec::new() }
    }

    fn node(&mut self, name: &str, src: &str, count: u32) {
        let f = self.compiler.compile(name, src).expect("compiles");
        self.session.node_new(name, DspSource::Faust(src.into()), f, count, 1.0).expect("node");
    }

    fn run(&mut self, frames: usize) {
        let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
        for _ in 0..frames / BLOCK {
            self.session.tick();
            let engine = &mut self.engine;
            kr_host::rt_guard::no_alloc(|| engine.process(BLOCK, BlockIo { master: [&mut l, &mut r], ports: None }));
            self.left.extend_from_slice(&l);
        }
    }

    /// Frames where the output goes from zero to non-zero.
    fn onsets(&self) -> Vec<usize> {
        (0..self.left.len())
            .filter(|&i| self.left[i].abs() > 1e-6 && (i == 0 || self.left[i - 1].abs() <= 1e-6))
            .collect()
    }
}

fn frames_at(bpm: f64, cycles: &[(i64, i64)]) -> Vec<usize> {
    let cps = bpm / 60.0 / 4.0;
    cycles.iter().map(|&(n, d)| (n as f64 / d as f64 / cps * RATE as f64).round() as usize).collect()
}

#[test]
fn onsets_land_on_their_exact_frame_at_several_tempos() {
    for bpm in [120.0, 133.0, 97.5] {
        let mut rig = Rig::new();
        rig.session.tempo(Some(bpm), None).unwrap();
        rig.node("probe", PROBE, 1);
        rig.session.play("probe", Ir::mini("a2 d3 ~ e2"), false).unwrap();
        rig.run(RATE as usize * 5);
        let expected = frames_at(bpm, &[(0, 1), (1, 4), (3, 4), (1, 1), (5, 4), (7, 4)]);
        let got: Vec<usize> = rig.onsets().into_iter().filter(|&f| f < expected[5] + 1).collect();
        assert_eq!(got, expected, "at {bpm} bpm");
        // The pitch is the note's: A2 = 110 Hz (master is mono-centred at -3 dB).
        let a2 = rig.left[expected[0]] / std::f32::consts::FRAC_1_SQRT_2 * 1000.0;
        assert!((a2 - 110.0).abs() < 1e-2, "{a2}");
    }
}

#[test]
fn a_tempo_change_keeps_the_cycle_position() {
    let mut rig = Rig::new();
    rig.node("probe", PROBE, 1);
    rig.session.play("probe", Ir::mini("a2*4"), false).unwrap();
    rig.run(RATE as usize); // one second = half a cycle at 120 bpm
    rig.session.tempo(Some(240.0), None).unwrap();
    let at = rig.session.clock().origin_cycle;
    let at_frame = rig.session.clock().origin_frame;
    rig.run(RATE as usize * 2);
    // Before the change: every 1/4 cycle = 0.5 s. After: cycles run twice as fast from `at`.
    let clock = rig.session.clock();
    let expect: Vec<usize> = (0..12)
        .map(|k| Time::new(k, 4))
        .map(|c| if c < at { (c.numer() * 2 * RATE as i64 / c.denom()) as usize } else { clock.frame_of(c) as usize })
        .filter(|&f| f < rig.left.len())
        .collect();
    assert!(at_frame > 0.0);
    assert_eq!(rig.onsets(), expect);
}

#[test]
fn two_hundred_nodes_come_and_go_while_playing_without_allocating_on_the_audio_thread() {
    // Every block runs under the allocation guard (see Rig::run): any allocation or free on the
    // audio side aborts the test binary.
    let mut rig = Rig::new();
    rig.node("probe", PROBE, 4);
    rig.node("verb", "process = _ * 0.5;", 1);
    rig.session.play("probe", Ir::mini("[a2, e3] d3"), false).unwrap();
    let osc = |k: usize| format!("import(\"stdfaust.lib\"); process = os.osc({}) * 0.01;", 200 + k % 7);
    for i in 0..200 {
        let name = format!("n{i}");
        rig.node(&name, &osc(i), 1 + (i % 3) as u32);
        rig.session.route(&name, "verb", 0.5).unwrap();
        rig.session.play(&name, Ir::mini("c3 e3"), false).unwrap();
        rig.run(BLOCK * 4);
        if i % 5 == 0 {
            // Redefine: a crossfade to a new program while playing.
            rig.node("verb", if i % 10 == 0 { "process = _ * 0.25;" } else { "process = _ * 0.5;" }, 1);
        }
        if i % 7 == 0 {
            rig.session.tempo(Some(100.0 + (i % 40) as f64), None).unwrap();
        }
        let pattern = if i % 2 == 0 { "c3 e3" } else { "[a2, e3] d3" };
        rig.session.play("probe", Ir::mini(pattern), false).unwrap();
        rig.run(BLOCK * 4);
        if i >= 3 {
            rig.session.node_free(&format!("n{}", i - 3)).unwrap();
        }
    }
    rig.run(RATE as usize / 2);
    assert_eq!(rig.session.node_count(), 5);
    assert!(rig.left.iter().any(|v| v.abs() > 0.0));
}

fn dc(level: f32) -> String {
    format!("process = {level};")
}

/// Mean of the last `n` samples rendered.
fn tail_mean(rig: &Rig, n: usize) -> f32 {
    let t = &rig.left[rig.left.len() - n..];
    t.iter().sum::<f32>() / n as f32
}

const C: f32 = std::f32::consts::FRAC_1_SQRT_2;

#[test]
fn a_chord_on_a_poly_node_sounds_every_note_on_its_own_voice() {
    let mut rig = Rig::new();
    rig.node("pad", PROBE, 3);
    rig.session.play("pad", Ir::mini("[a2, a3, a4]"), false).unwrap();
    rig.run(BLOCK * 16);
    // 110 + 220 + 440 Hz, summed by three voices (one voice would hold only the last note).
    let sum = rig.left[0] / C * 1000.0;
    assert!((sum - 770.0).abs() < 0.05, "{sum}");
}

#[test]
fn a_chord_with_more_notes_than_voices_sounds_its_last_note_on_a_taken_voice() {
    let mut rig = Rig::new();
    rig.node("pad", PROBE, 2);
    // Three notes on one frame, two voices: a4 takes the voice of a note that began on that
    // very frame (no time to fade it out first), in every cycle.
    rig.session.play("pad", Ir::mini("[a2, a3, a4]"), false).unwrap();
    rig.run(RATE as usize * 5);
    for frame in [0, RATE as usize * 2, RATE as usize * 4] {
        // a4 and one of the others, each on a voice of its own.
        let other = rig.left[frame + 100] / C * 1000.0 - 440.0;
        assert!((other - 110.0).abs() < 0.05 || (other - 220.0).abs() < 0.05, "frame {frame}: {other}");
    }
}

#[test]
fn sends_are_post_fader_and_mute_silences_them() {
    let mut rig = Rig::new();
    rig.node("src", &dc(0.1), 1);
    rig.node("fx", "process = _;", 1);
    rig.session.route("src", "fx", 1.0).unwrap();
    rig.run(BLOCK * 8);
    assert!((tail_mean(&rig, 64) - 0.2 * C).abs() < 1e-6, "direct 0.1 + send 0.1");
    rig.session.set("src/gain", 0.5, NEXT_BLOCK).unwrap();
    rig.run(RATE as usize / 4);
    // Post-fader: the send carries 0.05, not 0.1.
    assert!((tail_mean(&rig, 64) - 0.1 * C).abs() < 1e-5, "{}", tail_mean(&rig, 64));
    rig.session.mute("src", true, NEXT_BLOCK).unwrap();
    rig.run(RATE as usize / 4);
    assert!(tail_mean(&rig, 64).abs() < 1e-6, "mute silences the direct path and the send");
}

#[test]
fn a_routing_cycle_is_refused_and_nothing_changes() {
    let mut rig = Rig::new();
    for n in ["a", "b", "c"] {
        rig.node(n, "process = _ * 0.5;", 1);
    }
    rig.session.route("a", "b", 1.0).unwrap();
    rig.session.route("b", "c", 1.0).unwrap();
    let before = rig.session.dump();
    let err = rig.session.route("c", "a", 1.0).unwrap_err();
    assert!(err.to_string().contains("a → b → c"), "{err}");
    assert!(rig.session.route("a", "a", 1.0).is_err());
    assert_eq!(rig.session.dump()["routes"], before["routes"]);
}

#[test]
fn redefining_a_node_crossfades_and_keeps_shared_controls() {
    let mut rig = Rig::new();
    let v1 = r#"level = hslider("level", 0.1, 0, 1, 0.001); process = level;"#;
    let v2 = r#"level = hslider("level", 0.1, 0, 1, 0.001); extra = hslider("extra", 0.5, 0, 1, 0.001); process = level + extra;"#;
    rig.node("n", v1, 1);
    rig.session.set("n/level", 0.2, NEXT_BLOCK).unwrap();
    rig.run(BLOCK * 8);
    let start = rig.left.len();
    rig.node("n", v2, 1);
    rig.run(RATE as usize / 10);
    let out = &rig.left[start..];
    // Before: 0.2. After: 0.2 (kept) + 0.5. Equal-power fade over 20 ms, never a jump.
    assert!((out[0] / C - 0.2).abs() < 0.01);
    assert!((tail_mean(&rig, 64) / C - 0.7).abs() < 1e-5, "{}", tail_mean(&rig, 64) / C);
    let biggest_step = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    let fade_frames = 0.02 * RATE as f32;
    // An equal-power fade from 0.2 to 0.7 moves at most (π/2)·0.7/fade per sample.
    assert!(biggest_step < std::f32::consts::FRAC_PI_2 * 0.7 * C / fade_frames * 1.01, "step {biggest_step}");
    assert_eq!(rig.session.dump()["nodes"][0]["controls"][1]["value"], serde_json::json!(0.2f32));
}

#[test]
fn a_new_onset_while_the_gate_is_up_retriggers_it() {
    let mut rig = Rig::new();
    rig.node("g", r#"gate = hslider("gate", 0, 0, 1, 1); process = gate * 0.5;"#, 1);
    // legato 2: each gate would stay up across the next onset.
    let ir = Ir::from_json(r#"{"v":1,"p":{"op":"seq","pats":[{"op":"pure","value":{"legato":2,"note":45}},{"op":"pure","value":{"legato":2,"note":45}}]}}"#).unwrap();
    rig.session.play("g", ir, false).unwrap();
    rig.run(RATE as usize * 2);
    let second = frames_at(120.0, &[(1, 2)])[0];
    assert!(rig.left[second - 1] > 0.0);
    assert_eq!(rig.left[second], 0.0, "one sample of gate 0 at the new onset");
    assert!(rig.left[second + 1] > 0.0);
}

#[test]
fn solo_in_place_keeps_the_soloed_chain_and_silences_the_rest() {
    let mut rig = Rig::new();
    rig.node("a", &dc(0.1), 1);
    rig.node("b", &dc(0.02), 1);
    rig.node("verb", "process = _;", 1);
    rig.session.route("a", "verb", 1.0).unwrap();
    rig.run(BLOCK * 8);
    assert!((tail_mean(&rig, 64) / C - 0.22).abs() < 1e-5);
    rig.session.solo("b", true).unwrap();
    rig.run(BLOCK * 8);
    assert!((tail_mean(&rig, 64) / C - 0.02).abs() < 1e-6, "only b");
    // Soloing the effect keeps what feeds it (a's send) but not a's direct output.
    rig.session.solo("b", false).unwrap();
    rig.session.solo("verb", true).unwrap();
    rig.run(BLOCK * 8);
    assert!((tail_mean(&rig, 64) / C - 0.1).abs() < 1e-6, "{}", tail_mean(&rig, 64) / C);
}

#[test]
fn a_fade_moves_a_control_linearly_over_its_cycles() {
    let mut rig = Rig::new();
    rig.node("n", r#"level = hslider("level", 0, 0, 1, 0.0001); process = level;"#, 1);
    rig.run(BLOCK * 8);
    let start = rig.left.len();
    rig.session.fade("n/level", 1.0, 0.5).unwrap(); // half a cycle = 1 s at 120 bpm
    assert_eq!(
        rig.session.dump()["nodes"][0]["controls"][0]["value"],
        serde_json::json!(1.0),
        "the model holds the target"
    );
    assert_eq!(rig.session.get("n/level").unwrap(), 0.0, "get says what sounds now");
    rig.run(RATE as usize / 2 + (0.05 * RATE as f64) as usize);
    let mid = rig.session.get("n/level").unwrap();
    assert!((mid - 0.5).abs() < 0.01, "halfway through the fade ({mid})");
    rig.run(RATE as usize * 3 / 2);
    let out: Vec<f32> = rig.left[start..].iter().map(|v| v / C).collect();
    let lookahead = (0.05 * RATE as f64) as usize;
    let at = |s: f64| out[lookahead + (s * RATE as f64) as usize];
    assert!(at(0.25) > 0.2 && at(0.25) < 0.3, "{}", at(0.25));
    assert!(at(0.5) > 0.45 && at(0.5) < 0.55, "{}", at(0.5));
    assert!((at(1.2) - 1.0).abs() < 1e-6);
    let biggest_step = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    // Interpolated by the engine every 8 frames: 1/6000 per step (250 plain points a second
    // would make steps of 1/250).
    assert!(biggest_step < 0.0003, "a fade moves in small steps ({biggest_step})");
}

#[test]
fn a_replaced_pattern_stays_in_phase_with_the_cycle() {
    let mut rig = Rig::new();
    rig.node("probe", PROBE, 1);
    rig.session.play("probe", Ir::mini("a2*4"), false).unwrap();
    rig.run(RATE as usize * 3 / 2); // 0.75 cycle at 120 bpm
    rig.session.play("probe", Ir::mini("d3*4"), false).unwrap();
    rig.run(RATE as usize * 2);
    // Every onset stays on the quarter-cycle grid of the global cycle (0.5 s at 120 bpm).
    let onsets = rig.onsets();
    assert!(onsets.len() >= 6);
    for f in &onsets {
        assert_eq!(f % 24000, 0, "onset at frame {f} is off the grid");
    }
    let d3 = rig.left[*onsets.last().unwrap()] / C * 1000.0;
    assert!((d3 - 146.832).abs() < 0.01, "the new pattern plays ({d3})");
}

#[test]
fn from_zero_starts_the_pattern_at_the_next_cycle() {
    let mut rig = Rig::new();
    rig.node("probe", PROBE, 1);
    rig.run(RATE as usize * 3 / 2); // 0.75 cycle
    rig.session.play("probe", Ir::mini("<a2 d3>"), true).unwrap();
    rig.run(RATE as usize * 3);
    let onsets = rig.onsets();
    // Cycle 1 (frame 96000) is the pattern's cycle 0: a2 there, d3 at cycle 2.
    assert_eq!(onsets[0], 96000);
    assert!((rig.left[96000] / C * 1000.0 - 110.0).abs() < 0.01);
    assert!((rig.left[192000] / C * 1000.0 - 146.832).abs() < 0.01);
}

#[test]
fn a_sample_rate_change_keeps_the_cycle_and_recreates_the_nodes() {
    let mut rig = Rig::new();
    rig.node("probe", PROBE, 1);
    rig.session.play("probe", Ir::mini("a2*4"), false).unwrap();
    rig.run(RATE as usize); // half a cycle at 120 bpm: onsets at 0 and 24000
    rig.session.change_sample_rate(44100).unwrap();
    let anchor = rig.session.clock().origin_frame;
    rig.run(RATE as usize * 2);
    // After the anchor, a quarter cycle (0.5 s) is 22050 frames.
    let after: Vec<usize> = rig.onsets().into_iter().filter(|&f| f as f64 >= anchor).collect();
    assert!(after.len() >= 3);
    for w in after.windows(2) {
        assert_eq!(w[1] - w[0], 22050);
    }
    assert_eq!(rig.session.dump()["nodes"][0]["name"], "probe");
}

#[test]
fn a_stolen_voice_is_released_just_before_the_new_note() {
    let mut rig = Rig::new();
    rig.node("pad", PROBE, 2);
    // legato 3: every note would still hold its voice when the next two start.
    let note = |m: f64| format!(r#"{{"op":"pure","value":{{"legato":3,"note":{m}}}}}"#);
    let json = format!(r#"{{"v":1,"p":{{"op":"seq","pats":[{},{},{}]}}}}"#, note(45.0), note(50.0), note(52.0));
    rig.session.play("pad", Ir::from_json(&json).unwrap(), false).unwrap();
    rig.run(RATE as usize * 2);
    let third = frames_at(120.0, &[(2, 3)])[0];
    let sum = |f: usize| rig.left[f] / C * 1000.0;
    // Before the steal both notes sound; 5 ms before the third, the oldest (a2) is released
    // (the probe has no release: it stops at once).
    assert!((sum(third - 500) - (110.0 + 146.832)).abs() < 0.05, "{}", sum(third - 500));
    assert!((sum(third - 100) - 146.832).abs() < 0.05, "{}", sum(third - 100));
    // The third starts on its frame at full level: the probe went silent at its gate, so the
    // fade-out took only silence away and there is nothing to fade back in from.
    assert!((sum(third) - (146.832 + 164.814)).abs() < 0.05, "{}", sum(third));
    assert!((sum(third + 60) - (146.832 + 164.814)).abs() < 0.05, "{}", sum(third + 60));
}

#[test]
fn a_continuous_pattern_on_a_control_is_interpolated_between_its_points() {
    let mut rig = Rig::new();
    rig.node("n", r#"level = hslider("level", 0, 0, 1, 0.0001); process = level;"#, 1);
    // A saw from 0 to 1 every half cycle (1 s at 120 bpm).
    let ir = Ir::from_json(
        r#"{"v":1,"p":{"op":"fast","factor":{"op":"pure","value":2},"pat":{"op":"signal","kind":"saw"}}}"#,
    )
    .unwrap();
    rig.session.play("n/level", ir, false).unwrap();
    rig.run(RATE as usize * 2);
    let out: Vec<f32> = rig.left[RATE as usize / 4..].iter().map(|v| v / C).collect();
    let steps: Vec<f32> = out.windows(2).map(|w| w[1] - w[0]).collect();
    // Rising by 1 per second, in pieces of 8 frames (1/6000), except where the saw wraps.
    let rising = steps.iter().filter(|d| **d > 0.0).fold(0.0f32, |m, d| m.max(*d));
    assert!(rising < 0.0004, "largest rise between samples {rising}");
    // Where the saw wraps, the ramp between its points falls within 4 ms (192 frames).
    assert!(steps.iter().any(|d| *d < -0.02), "the saw wraps");
}

#[test]
fn two_hundred_fifty_six_nodes_added_before_the_first_block_all_sound_in_it() {
    // Graphs are never refused: however many changes come before the audio thread runs, its
    // first block plays the latest graph (the model and the audio agree).
    let mut rig = Rig::new();
    for i in 0..256 {
        rig.node(&format!("n{i}"), &dc(0.001), 1);
    }
    rig.run(BLOCK);
    let expected = 256.0 * 0.001 * C;
    assert!((rig.left[0] - expected).abs() < 1e-4, "first frame {} (expected {expected})", rig.left[0]);
    assert!((rig.left[BLOCK - 1] - expected).abs() < 1e-4);
}

#[test]
fn a_set_takes_over_a_control_a_pattern_drives() {
    let mut rig = Rig::new();
    rig.node("n", r#"level = hslider("level", 0, 0, 1, 0.0001); process = level;"#, 1);
    rig.session.play("n/level", Ir::mini("0.25 0.75"), false).unwrap();
    rig.run(RATE as usize / 2);
    let done = rig.session.set("n/level", 0.5, NEXT_BLOCK).unwrap();
    assert_eq!(done, "n/level = 0.5 (the pattern on n/level was stopped)");
    rig.run(RATE as usize * 2);
    // Two cycles later the pattern would have moved it; it stays where it was set.
    assert!((tail_mean(&rig, BLOCK) / C - 0.5).abs() < 1e-6, "{}", tail_mean(&rig, BLOCK) / C);
    assert_eq!(rig.session.get("n/level").unwrap(), 0.5);
    assert!(rig.session.hush(Some("n/level")).is_err(), "nothing plays on n/level any more");
}

#[test]
fn a_pattern_drives_a_node_fader_and_master_stays_in_range() {
    let mut rig = Rig::new();
    rig.node("n", &dc(0.1), 1);
    // `n/gain` is the fader (the DSP has no `gain` control): a pattern moves it.
    rig.session.play("n/gain", Ir::mini("0 2"), false).unwrap();
    rig.run(RATE as usize * 2); // one cycle at 120 bpm
    let half = RATE as usize; // the second half of cycle 0 starts at 1 s
    assert!(rig.left[half - 10].abs() < 1e-3, "first step: gain 0, got {}", rig.left[half - 10]);
    assert!((rig.left[half + RATE as usize / 2] / C - 0.2).abs() < 1e-3, "second step: gain 2");
    assert!(rig.session.master(5.0, NEXT_BLOCK).is_err(), "master above 4 is refused");
    assert_eq!(rig.session.set("master", 5.0, NEXT_BLOCK).unwrap(), "master = 4");
}

#[test]
fn a_node_producing_nan_is_silenced_alone_and_a_diverging_feedback_effect_recovers() {
    let mut rig = Rig::new();
    rig.node("ok", &dc(0.1), 1);
    rig.node("bad", r#"x = hslider("x", 1, -1, 1, 0.01); process = sqrt(x) * 0.1;"#, 1);
    // y = x + g·y: settles at x / (1 - g) for g < 1, diverges to infinity for g > 1.
    rig.node("fx", r#"g = hslider("g", 0.5, 0, 2, 0.01); process = _ : + ~ *(g);"#, 1);
    rig.session.route("bad", "fx", 1.0).unwrap();
    rig.run(RATE as usize / 10);
    let healthy = (0.1 + 0.1 + 0.2) * C;
    assert!((tail_mean(&rig, BLOCK) - healthy).abs() < 1e-4, "{}", tail_mean(&rig, BLOCK));
    assert!(rig.session.take_faulted_nodes().is_empty());

    // sqrt(-1): `bad` is NaN; it goes silent alone (fx gets silence and decays, ok plays on).
    rig.session.set("bad/x", -1.0, NEXT_BLOCK).unwrap();
    rig.run(RATE as usize / 10);
    assert!((tail_mean(&rig, BLOCK) - 0.1 * C).abs() < 1e-4, "{}", tail_mean(&rig, BLOCK));
    assert_eq!(rig.session.take_faulted_nodes(), vec!["bad".to_string()]);

    // The effect diverges: it is silenced and reset each time; ok plays on.
    rig.session.set("bad/x", 1.0, NEXT_BLOCK).unwrap();
    rig.session.set("fx/g", 2.0, NEXT_BLOCK).unwrap();
    rig.run(RATE as usize / 10);
    assert_eq!(rig.session.take_faulted_nodes(), vec!["fx".to_string()]);
    assert!(rig.left.iter().all(|x| x.is_finite()), "master never carries NaN or infinity");
    // Back to a stable gain, the reset effect works again (its state is no longer infinite).
    rig.session.set("fx/g", 0.5, NEXT_BLOCK).unwrap();
    rig.run(RATE as usize / 10);
    assert!((tail_mean(&rig, BLOCK) - healthy).abs() < 1e-4, "{}", tail_mean(&rig, BLOCK));
}

#[test]
fn a_pattern_too_dense_to_play_is_refused_and_one_that_explodes_later_is_stopped() {
    let mut rig = Rig::new();
    rig.node("n", PROBE, 1);
    let e = rig.session.play("n", Ir::mini("[[a*1000]*1000]*1000"), false).unwrap_err().to_string();
    assert!(e.contains("too many events"), "{e}");
    assert!(rig.session.hush(Some("n")).is_err(), "nothing was left playing");
    // Two quiet cycles, then a billion events per cycle: accepted, then stopped when reached.
    rig.session.play("n", Ir::mini("<a3 a3 [[a*1000]*1000]*1000>"), false).unwrap();
    rig.run(RATE as usize * 5); // cycle 2 starts at 4 s at 120 bpm
    let failed = rig.session.take_failed_patterns();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "n");
    assert!(failed[0].1.contains("units of work"), "{}", failed[0].1);
    assert!(rig.session.hush(Some("n")).is_err(), "the pattern was stopped");
}

fn req(command: kr_osc::Command) -> kr_osc::Request {
    kr_osc::Request { id: None, command }
}

#[test]
fn a_failed_bundle_saves_no_scene_and_leaves_no_recording() {
    let mut rig = Rig::new();
    rig.node("n", &dc(0.1), 1);
    let dir = std::env::temp_dir().join(format!("kr-atomic-{}", std::process::id()));
    let file = dir.join("take.wav").display().to_string();
    let requests = vec![
        req(kr_osc::Command::SceneSave { name: "a".into() }),
        req(kr_osc::Command::RecordStart { file: file.clone(), target: None }),
        req(kr_osc::Command::NodeFree { name: "ghost".into() }),
    ];
    let none = std::collections::BTreeMap::new();
    let (index, e) = kr_host::atomic::apply(&mut rig.session, &requests, &none, NEXT_BLOCK).unwrap_err();
    assert_eq!((index, e.to_string()), (2, "no node named 'ghost'".to_string()));
    assert!(rig.session.scene_names().is_empty(), "the scene saved by the bundle is gone");
    assert!(rig.session.record_stop(None).is_err(), "nothing is being recorded");
    assert!(!std::path::Path::new(&file).exists(), "the bundle's recording left no file");
    // A recording stop that finds nothing fails the bundle before any recording starts.
    let requests = vec![
        req(kr_osc::Command::RecordStart { file: file.clone(), target: None }),
        req(kr_osc::Command::RecordStop { file: Some("other.wav".into()) }),
    ];
    assert_eq!(kr_host::atomic::apply(&mut rig.session, &requests, &none, NEXT_BLOCK).unwrap_err().0, 1);
    assert!(!std::path::Path::new(&file).exists());
    // A second recording to the same file fails after the first started: the first is
    // discarded, and nothing of the bundle is heard (its gain change included).
    rig.run(BLOCK * 4);
    let heard = rig.left.len();
    let requests = vec![
        req(kr_osc::Command::Set { path: "n/gain".into(), value: 0.0 }),
        req(kr_osc::Command::RecordStart { file: file.clone(), target: None }),
        req(kr_osc::Command::RecordStart { file: file.clone(), target: None }),
    ];
    assert_eq!(kr_host::atomic::apply(&mut rig.session, &requests, &none, NEXT_BLOCK).unwrap_err().0, 2);
    assert!(!std::path::Path::new(&file).exists(), "the discarded recording left no file");
    rig.run(BLOCK * 4);
    assert!(rig.left[heard..].iter().all(|x| (x - 0.1 * C).abs() < 1e-6), "the refused gain change was heard");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_failed_time_tagged_bundle_is_never_heard() {
    let mut rig = Rig::new();
    rig.node("n", r#"level = hslider("level", 0, 0, 1, 0.0001); process = level;"#, 1);
    rig.run(BLOCK * 4);
    let at = rig.session.now() + RATE as u64 / 2; // half a second ahead
    let requests = vec![
        req(kr_osc::Command::Set { path: "n/level".into(), value: 1.0 }),
        req(kr_osc::Command::Set { path: "ghost/level".into(), value: 1.0 }),
    ];
    let none = std::collections::BTreeMap::new();
    assert!(kr_host::atomic::apply(&mut rig.session, &requests, &none, at).is_err());
    rig.run(RATE as usize);
    let loudest = rig.left.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert_eq!(loudest, 0.0, "the refused set was heard");
    assert_eq!(rig.session.get("n/level").unwrap(), 0.0);
}

#[test]
fn nodes_over_their_memory_budget_are_refused_naming_the_setting() {
    let collector = basedrop::Collector::new();
    let (mut engine, link) = AudioEngine::new(&collector, RATE, 1.0);
    let settings = SessionSettings { max_node_bytes: 600 << 20, max_total_bytes: 1 << 30, ..Default::default() };
    let mut session = Session::new(settings, RATE, link, collector, Box::new(Offline));
    let compiler = CompileService::start(CompilerSettings {
        worker: vec![env!("CARGO_BIN_EXE_krd").into(), "faust-worker".into()],
        cache: CacheSettings { dir: None, max_bytes: 0 },
        ..Default::default()
    });
    // 512 MiB per voice (a delay of up to 2^26 samples).
    let src = r#"process = @(hslider("d", 1, 1, 67108864, 1));"#;
    let f = compiler.compile("big", src).unwrap();
    let e = session.node_new("big", DspSource::Faust(src.into()), Arc::clone(&f), 2, 1.0).unwrap_err().to_string();
    assert!(e.contains("needs 1025 MiB (2 voice(s) of 513 MiB") && e.contains("engine.max_node_memory_mb"), "{e}");
    session.node_new("big", DspSource::Faust(src.into()), Arc::clone(&f), 1, 1.0).unwrap();
    let e = session.node_new("big2", DspSource::Faust(src.into()), f, 1, 1.0).unwrap_err().to_string();
    assert!(e.contains("engine.max_memory_mb"), "{e}");
    assert_eq!(session.node_count(), 1, "the refused node is not there");
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    session.tick();
    kr_host::rt_guard::no_alloc(|| engine.process(BLOCK, BlockIo { master: [&mut l, &mut r], ports: None }));
}

#[test]
fn a_fade_follows_its_control_when_the_node_is_redefined() {
    let mut rig = Rig::new();
    // Controls are indexed in label order: in the first program `level` is control 1, in the
    // second it is control 0 (and `a` is gone, `z` takes index 1).
    let first =
        r#"a = hslider("a", 0, 0, 1, 0.01); level = hslider("level", 0, 0, 1, 0.0001); process = level + a * 0;"#;
    let second = r#"level = hslider("level", 0, 0, 1, 0.0001); z = hslider("z", 0, 0, 1, 0.01); process = level + z;"#;
    rig.node("n", first, 1);
    rig.session.fade("n/level", 1.0, 1.0).unwrap(); // one cycle: 2 s at 120 bpm
    rig.run(RATE as usize / 2);
    rig.node("n", second, 1);
    rig.run(RATE as usize * 3);
    // The fade ended on `level` (1.0): `z`, now at level's old index, stayed 0.
    assert!((tail_mean(&rig, BLOCK) / C - 1.0).abs() < 1e-4, "{}", tail_mean(&rig, BLOCK) / C);
    assert_eq!(rig.session.get("n/z").unwrap(), 0.0);
}

/// A voice with an envelope (release tails, retriggers), a filter and a cutoff a pattern moves.
const LANE_VOICE: &str = r#"import("stdfaust.lib");
freq = hslider("freq", 220, 20, 4000, 0.001);
cutoff = hslider("cutoff", 1500, 100, 8000, 0.001);
gate = button("gate");
process = os.sawtooth(freq) : fi.lowpass(2, cutoff) : *(en.adsr(0.005, 0.05, 0.6, 0.1, gate)) : *(0.1);"#;

/// Three seconds of a node of `count` voices of [`LANE_VOICE`] playing chords dense enough to
/// take voices in their tails and steal held ones, its cutoff swept; with or without its lanes
/// program. Every voice computes every block (idle voices are not skipped), so that the two
/// ways compute the same samples. Returns the output and the voices computed in lanes.
fn render_poly(lanes: bool, count: u32) -> (Vec<f32>, u64) {
    let mut rig = Rig::new();
    rig.engine.set_skip_idle_voices(false);
    let f = rig.compiler.compile_voice("pad", LANE_VOICE, lanes).expect("compiles");
    rig.session.node_new("pad", DspSource::Faust(LANE_VOICE.into()), f, count, 1.0).unwrap();
    let chords = "[a2, c3, e3, g4] [b2, d4, f3] [c3, e4, g4, b4, d5] [d3, a4]*2 [e2, g3, b3, d4, f4, a4]";
    rig.session.play("pad", Ir::mini(chords), false).unwrap();
    let sweep = r#"{"v":1,"p":{"op":"range","lo":{"op":"pure","value":300},"hi":{"op":"pure","value":5000},"pat":{"op":"signal","kind":"sine"}}}"#;
    rig.session.play("pad/cutoff", Ir::from_json(sweep).unwrap(), false).unwrap();
    rig.run(RATE as usize * 3);
    let in_lanes = rig.session.node_info("pad").unwrap()["lanes"].as_u64().unwrap();
    (std::mem::take(&mut rig.left), in_lanes)
}

#[test]
fn voices_in_lanes_sound_exactly_as_one_instance_per_voice() {
    // 12 voices: one lanes program of 8 and four voices alone.
    let (together, in_lanes) = render_poly(true, 12);
    let (alone, none) = render_poly(false, 12);
    assert_eq!((in_lanes, none), (8, 0));
    assert!(alone.iter().any(|x| x.abs() > 0.05), "the node sounds");
    let worst = together.iter().zip(&alone).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-6, "lanes and single voices differ by up to {worst}");
}
