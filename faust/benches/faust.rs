//! kr-faust benchmarks (numbers go in faust/README.md; never asserted in tests).
//!
//! `CARGO_TARGET_DIR=/work/main/target-faust cargo bench -j 1 -p kr-faust --bench faust`
//!
//! - `worker_startup`: a fresh compile service, cache off, compiling `process = 0;`: spawning the
//!   worker process, LLVM's start-up in it, one trivial compile, loading its machine code.
//! - `cold_compile/*`: one compile through a warm worker, cache off (each iteration's source
//!   differs by a comment so no cache can answer): JSON request, libfaust compile, machine code
//!   back, `readCDSPFactoryFromMachine`.
//! - `cache_hit/*`: `Factory::from_machine_code` (what a disk-cache hit costs), and a whole
//!   disk-cache hit through a fresh `CompileService` (thread start, read, checksum, load).
//!   Each load leaks memory mappings in libfaust, so this group runs few iterations.
//! - `compute/*`: one instance computing 64-frame blocks; throughput is in samples.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kr_faust::{CacheSettings, CompileService, CompilerSettings, Factory};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const VOICE: &str = r#"import("stdfaust.lib");
freq = hslider("freq", 220, 20, 2000, 0.01);
cutoff = hslider("cutoff", 1200, 50, 10000, 1);
process = os.sawtooth(freq) : fi.lowpass(2, cutoff) : *(0.3);"#;

const ZITA: &str = r#"import("stdfaust.lib");
process = dm.zita_light;"#;

fn settings(cache: Option<PathBuf>) -> CompilerSettings {
    CompilerSettings {
        worker: vec![env!("CARGO_BIN_EXE_kr-faust-worker").into()],
        timeout: Duration::from_secs(60),
        cache: CacheSettings { dir: cache, max_bytes: 64 << 20 },
        ..Default::default()
    }
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// The same program with a fresh comment: a cache miss every time, the same compile work.
fn fresh(source: &str) -> String {
    format!("// bench {}\n{source}", UNIQUE.fetch_add(1, Ordering::Relaxed))
}

fn worker_startup(c: &mut Criterion) {
    let mut g = c.benchmark_group("worker_startup");
    g.sample_size(10);
    g.bench_function("spawn_and_first_compile", |b| {
        b.iter_batched(
            || CompileService::start(settings(None)),
            |svc| {
                svc.compile("zero", &fresh("process = 0;")).unwrap();
                svc // dropped outside the measurement
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn cold_compile(c: &mut Criterion) {
    let svc = CompileService::start(settings(None));
    svc.compile("warm-up", &fresh(VOICE)).unwrap();
    let mut g = c.benchmark_group("cold_compile");
    g.sample_size(10);
    g.bench_function("saw_lowpass", |b| b.iter(|| svc.compile("voice", &fresh(VOICE)).unwrap()));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("zita_light", |b| b.iter(|| svc.compile("zita", &fresh(ZITA)).unwrap()));
    g.finish();
}

fn cache_hit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let svc = CompileService::start(settings(Some(dir.path().into())));
    let voice = svc.compile("voice", VOICE).unwrap().machine_code().unwrap();
    let zita = svc.compile("zita", ZITA).unwrap().machine_code().unwrap();
    drop(svc);
    let mut g = c.benchmark_group("cache_hit");
    // Every load leaks two memory mappings in libfaust 2.54.9 (see kr_faust::RECENT_FACTORIES)
    // and a process dies near 65530 of them: keep the number of loads here to a few thousand.
    g.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(1)).sample_size(30);
    g.bench_function("from_machine_code/saw_lowpass", |b| {
        b.iter(|| Factory::from_machine_code("voice", &voice).unwrap())
    });
    g.bench_function("from_machine_code/zita_light", |b| b.iter(|| Factory::from_machine_code("zita", &zita).unwrap()));
    g.bench_function("fresh_service_disk_hit/saw_lowpass", |b| {
        b.iter_batched(
            || CompileService::start(settings(Some(dir.path().into()))),
            |svc| {
                let f = svc.compile("voice", VOICE).unwrap();
                (svc, f)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn compute(c: &mut Criterion) {
    let svc = CompileService::start(settings(None));
    let mut g = c.benchmark_group("compute");
    g.throughput(Throughput::Elements(64));
    let voice = svc.compile("voice", VOICE).unwrap();
    assert_eq!((voice.info().inputs, voice.info().outputs), (0, 1));
    let mut inst = voice.instance(48000).unwrap();
    let mut out = [0.0f32; 64];
    g.bench_function("saw_lowpass_64", |b| b.iter(|| inst.compute(64, &[], &mut [&mut out[..]])));
    let zita = svc.compile("zita", ZITA).unwrap();
    assert_eq!((zita.info().inputs, zita.info().outputs), (2, 2));
    let mut inst = zita.instance(48000).unwrap();
    let (mut input, mut l, mut r) = ([0.0f32; 64], [0.0f32; 64], [0.0f32; 64]);
    input[0] = 1.0;
    g.bench_function("zita_light_64", |b| {
        b.iter(|| inst.compute(64, &[&input, &input], &mut [&mut l[..], &mut r[..]]))
    });
    g.finish();
}

criterion_group!(benches, worker_startup, cold_compile, cache_hit, compute);
criterion_main!(benches);
