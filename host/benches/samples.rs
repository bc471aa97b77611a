//! Sample playback benchmarks (run: `cargo bench -p kr-host --bench samples`), medians of
//! several runs:
//!
//! 1. sample voices on one core at 48 kHz in 64-frame blocks, in ns per voice per sample: plain,
//!    with per-event effects (`cutoff` + `shape`), and stereo files;
//! 2. loading a bank: decode + resample time per MB of audio, and memory per minute of audio,
//!    over the files `make samples` links (Debian's sonic-pi-samples), when they are installed.

use basedrop::{Collector, Shared};
use kr_host::dirt::decode::{self, SampleData};
use kr_host::dirt::plan::plan_sample;
use kr_host::dirt::{DirtEvent, DirtValue, SampleTrigger, Sampler};
use std::time::Instant;

const RATE: u32 = 48000;
const BLOCK: usize = 64;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn event(pairs: &[(&str, f64)]) -> DirtEvent {
    let mut e = DirtEvent::default();
    e.insert("s", DirtValue::Str("bench".into()));
    for (k, v) in pairs {
        e.insert(k, DirtValue::Num(*v));
    }
    e
}

/// ns per voice per sample for `voices` voices of `sample` playing `params` for 2 s of audio.
fn voices_cost(collector: &Collector, sample: &Shared<SampleData>, voices: usize, params: &[(&str, f64)]) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..5 {
        let (mut sampler, mut tx) = Sampler::new(RATE);
        let plan = plan_sample(&event(params), sample.frames, RATE as f64).unwrap();
        for _ in 0..voices {
            let _ = tx.push(SampleTrigger { frame: 0, sample: sample.clone(), plan });
        }
        let mut out = vec![vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]];
        let blocks = 2 * RATE as usize / BLOCK;
        let t = Instant::now();
        for b in 0..blocks {
            sampler.render(&mut out, (b * BLOCK) as u64, BLOCK);
        }
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(sampler.active(), voices, "every voice played throughout");
        runs.push(secs * 1e9 / (voices * blocks * BLOCK) as f64);
        drop(sampler);
        let _ = collector;
    }
    median(runs)
}

fn main() {
    let mut collector = Collector::new();
    let frames = 10 * RATE as usize;
    let tone = |ch: usize| {
        let data: Vec<f32> = (0..frames * ch).map(|i| ((i / ch) as f32 * 0.01).sin() * 0.5).collect();
        Shared::new(&collector.handle(), SampleData { channels: ch, frames, data: data.into(), id: ch as u64 })
    };
    let (mono, stereo) = (tone(1), tone(2));
    println!("sample voices, {RATE} Hz, {BLOCK}-frame blocks (ns per voice per sample, median of 5):");
    let rate = [("speed", 1.3)];
    println!("  64 voices, mono, speed 1.3:               {:6.1}", voices_cost(&collector, &mono, 64, &rate));
    let fx = [("speed", 1.3), ("cutoff", 1200.0), ("resonance", 0.3), ("shape", 0.5)];
    println!("  64 voices, mono, + cutoff, shape:         {:6.1}", voices_cost(&collector, &mono, 64, &fx));
    println!("  64 voices, stereo, speed 1.3:             {:6.1}", voices_cost(&collector, &stereo, 64, &rate));
    println!("  16 voices, mono, speed 1.3:               {:6.1}", voices_cost(&collector, &mono, 16, &rate));
    collector.collect();

    let dir = std::path::Path::new("/usr/share/sonic-pi/samples");
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!("bank loading: {} is not installed (make deps), skipped", dir.display());
        return;
    };
    let files: Vec<_> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "flac")).collect();
    let t = Instant::now();
    let (mut bytes, mut seconds, mut on_disk) = (0u64, 0.0f64, 0u64);
    for (i, f) in files.iter().enumerate() {
        on_disk += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let s = decode::load(f, RATE, 1 << 30, i as u64).expect("every bundled file decodes");
        bytes += s.bytes();
        seconds += s.frames as f64 / RATE as f64;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let mb = bytes as f64 / (1 << 20) as f64;
    println!(
        "bank loading: {} FLAC files ({:.1} MB on disk, {:.1} min of audio) decoded and resampled to {RATE} Hz in {:.2} s:",
        files.len(),
        on_disk as f64 / (1 << 20) as f64,
        seconds / 60.0,
        elapsed
    );
    println!(
        "  {:.1} ms per MB of loaded audio; {:.1} MB of memory per minute of audio",
        elapsed * 1e3 / mb,
        mb / (seconds / 60.0)
    );
}
