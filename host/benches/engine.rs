//! Engine benchmarks (run: `cargo bench -p kr-host --bench engine`), printed as medians of
//! several runs because this machine is noisy:
//!
//! 1. engine overhead per node per 64-frame block, with a trivial FAUST node;
//! 2. 256 saw→lowpass voices for 60 s at 48 kHz through the engine, in ns per voice per sample,
//!    next to the same FAUST code computed in a bare loop (the overhead ratio);
//! 3. the cost of graph changes on the control thread, and the worst audio block while they happen.

use kr_faust::{CacheSettings, CompileService, CompilerSettings, Factory};
use kr_host::backend::Offline;
use kr_host::rt::{AudioEngine, BlockIo};
use kr_host::session::{Session, SessionSettings};
use kr_osc::DspSource;
use kr_pattern::ir::Ir;
use std::sync::Arc;
use std::time::Instant;

const RATE: u32 = 48000;
const BLOCK: usize = 64;
const VOICE: &str = r#"import("stdfaust.lib");
freq = hslider("freq", 110, 20, 2000, 0.01); gate = hslider("gate", 0, 0, 1, 1);
cutoff = hslider("cutoff", 800, 100, 4000, 1);
process = os.sawtooth(freq) : fi.lowpass(2, cutoff) : *(en.adsr(0.005, 0.1, 0.6, 0.1, gate)) : *(0.1);"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Rig {
    session: Session,
    engine: AudioEngine,
}

fn rig() -> Rig {
    let collector = basedrop::Collector::new();
    let (engine, link) = AudioEngine::new(&collector, RATE, 0.5);
    let session = Session::new(SessionSettings::default(), RATE, link, collector, Box::new(Offline));
    Rig { session, engine }
}

impl Rig {
    /// Run `n` blocks; returns the audio thread's total time and its worst block.
    fn blocks(&mut self, n: usize) -> (f64, f64) {
        let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
        let mut worst = 0.0f64;
        let mut audio = 0.0f64;
        for _ in 0..n {
            // The scheduler runs on the control thread in krd; only the audio side is timed.
            self.session.tick();
            let t = Instant::now();
            self.engine.process(BLOCK, BlockIo { master: [&mut l, &mut r], ports: None });
            let dt = t.elapsed().as_secs_f64();
            audio += dt;
            worst = worst.max(dt);
        }
        (audio, worst)
    }
}

fn compile(svc: &CompileService, src: &str) -> Arc<Factory> {
    svc.compile("bench", src).expect("compiles")
}

fn main() {
    let svc = CompileService::start(CompilerSettings {
        worker: vec![env!("CARGO_BIN_EXE_krd").into(), "faust-worker".into()],
        cache: CacheSettings { dir: None, max_bytes: 0 },
        ..Default::default()
    });
    let runs = 5;

    // 1. Overhead per node per block: 64 trivial nodes.
    let trivial = compile(&svc, "process = 0.0001;");
    let per_node: Vec<f64> = (0..runs)
        .map(|_| {
            let mut rig = rig();
            for i in 0..64 {
                rig.session
                    .node_new(&format!("n{i}"), DspSource::Faust("t".into()), Arc::clone(&trivial), 1, 1.0)
                    .unwrap();
            }
            rig.blocks(200);
            let (t, _) = rig.blocks(2000);
            t / 2000.0 / 64.0 * 1e9
        })
        .collect();
    println!(
        "1. engine overhead, trivial FAUST node: {:.0} ns per node per 64-frame block (median of {runs})",
        median(per_node)
    );

    // 2. 256 saw→lowpass voices for 60 s, engine vs bare loop.
    let voice = compile(&svc, VOICE);
    let seconds = 60.0;
    let blocks = (seconds * RATE as f64 / BLOCK as f64) as usize;
    let voices = 256;
    let samples = voices as f64 * blocks as f64 * BLOCK as f64;
    let engine_ns: Vec<f64> = (0..3)
        .map(|_| {
            let mut rig = rig();
            // Every voice computes every block, as in the bare loop (idle voices would be skipped
            // after their release: scripts/bench_idle_voices.py measures that).
            rig.engine.set_skip_idle_voices(false);
            rig.session.node_new("pad", DspSource::Faust("v".into()), Arc::clone(&voice), voices as u32, 0.1).unwrap();
            let chord = (0..voices).map(|k| format!("{}", 36 + k % 48)).collect::<Vec<_>>().join(", ");
            rig.session.play("pad", Ir::mini(&format!("[{chord}]")), false).unwrap();
            let (t, _) = rig.blocks(blocks);
            t / samples * 1e9
        })
        .collect();
    let bare_ns: Vec<f64> = (0..3)
        .map(|_| {
            let mut inst: Vec<_> = (0..voices).map(|_| voice.instance(RATE).unwrap()).collect();
            let gate = voice.info().control_index("gate").unwrap();
            for i in inst.iter_mut() {
                i.set(gate, 1.0);
            }
            let mut out = vec![0.0f32; BLOCK];
            let mut mix = vec![0.0f32; BLOCK];
            let start = Instant::now();
            for _ in 0..blocks {
                mix.fill(0.0);
                for i in inst.iter_mut() {
                    i.compute(BLOCK, &[], &mut [&mut out[..]]);
                    for (m, o) in mix.iter_mut().zip(&out) {
                        *m += *o;
                    }
                }
            }
            std::hint::black_box(&mix);
            start.elapsed().as_secs_f64() / samples * 1e9
        })
        .collect();
    let (e, b) = (median(engine_ns), median(bare_ns));
    println!(
        "2. 256 saw→lowpass voices, 60 s at 48 kHz: engine {e:.2} ns/voice/sample, bare FAUST loop {b:.2} ns/voice/sample, ratio {:.3} (medians of 3)",
        e / b
    );

    // 3. Graph changes: control-thread cost and the worst block while they happen.
    let mut add = Vec::new();
    let mut remove = Vec::new();
    let mut redefine = Vec::new();
    let mut rig = rig();
    rig.session.node_new("pad", DspSource::Faust("v".into()), Arc::clone(&voice), 16, 0.1).unwrap();
    rig.session.play("pad", Ir::mini("[c3, e3, g3]*4"), false).unwrap();
    let (_, quiet_worst) = rig.blocks(1000);
    let mut worst = 0.0f64;
    for i in 0..200 {
        let t = Instant::now();
        rig.session.node_new(&format!("x{i}"), DspSource::Faust("v".into()), Arc::clone(&voice), 1, 0.1).unwrap();
        add.push(t.elapsed().as_secs_f64() * 1e6);
        worst = worst.max(rig.blocks(4).1);
        let t = Instant::now();
        rig.session.node_new("pad", DspSource::Faust(format!("v{}", i % 2)), Arc::clone(&voice), 16, 0.1).unwrap();
        redefine.push(t.elapsed().as_secs_f64() * 1e6);
        worst = worst.max(rig.blocks(4).1);
        let t = Instant::now();
        rig.session.node_free(&format!("x{i}")).unwrap();
        remove.push(t.elapsed().as_secs_f64() * 1e6);
        worst = worst.max(rig.blocks(4).1);
    }
    println!(
        "3. graph change on the control thread (medians of 200): add {:.0} µs, redefine (16 voices) {:.0} µs, remove {:.0} µs; worst 64-frame block: {:.1} µs while changing, {:.1} µs without (block period {:.0} µs)",
        median(add),
        median(redefine),
        median(remove),
        worst * 1e6,
        quiet_worst * 1e6,
        BLOCK as f64 / RATE as f64 * 1e6
    );
}
