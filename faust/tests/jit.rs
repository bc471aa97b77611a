//! The real libfaust JIT: compile, instantiate, controls, compute, through the worker process.

mod common;
use common::*;
use kr_faust::{CompileError, CompileService, CompilerSettings, ControlKind};
use std::time::Duration;

#[test]
fn a_saw_at_110_hz_sounds_at_110_hz() {
    let svc = service(Duration::from_secs(20), false, None);
    let f = svc.compile("saw", SAW).expect("compiles");
    let info = f.info();
    assert_eq!((info.inputs, info.outputs), (0, 1));
    assert_eq!(info.controls.len(), 1);
    let c = &info.controls[0];
    assert_eq!((c.label.as_str(), c.kind, c.init, c.min, c.max), ("freq", ControlKind::Hslider, 440.0, 20.0, 2000.0));
    let mut inst = f.instance(48000).unwrap();
    assert_eq!(inst.get(0), Some(440.0));
    inst.set(0, 5000.0);
    assert_eq!(inst.get(0), Some(2000.0), "set clamps to the range");
    inst.set(0, 110.0);
    let mut out = vec![0.0f32; 48000];
    assert!(inst.compute(48000, &[], &mut [&mut out[..]]));
    let hz = zero_crossing_hz(&out[4800..], 48000.0);
    assert!((hz - 110.0).abs() < 0.5, "heard {hz} Hz");
}

#[test]
fn channel_counts_bargraphs_and_metadata_are_reported() {
    let svc = service(Duration::from_secs(20), false, None);
    let src = r#"declare name "swap"; import("stdfaust.lib");
        level = hbargraph("level", 0, 1);
        process = (_, _ <: !, _, _, !) : (_, (_ <: _, (abs : level) : attach));"#;
    let f = svc.compile("swap", src).expect("compiles");
    assert_eq!((f.info().inputs, f.info().outputs), (2, 2));
    assert!(f.info().meta.iter().any(|(k, v)| k == "name" && v == "swap"));
    let mut inst = f.instance(48000).unwrap();
    let (a, b) = (vec![0.25f32; 64], vec![-0.5f32; 64]);
    let (mut l, mut r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    assert!(inst.compute(64, &[&a, &b], &mut [&mut l[..], &mut r[..]]));
    assert_eq!((l[10], r[10]), (-0.5, 0.25), "channels swapped");
    let level = f.info().control_index("level").unwrap();
    assert_eq!(f.info().controls[level].kind, ControlKind::Hbargraph);
    assert_eq!(inst.get(level), Some(0.25), "the DSP reports through its bargraph");
    // Wrong channel counts compute nothing instead of reading out of bounds.
    assert!(!inst.compute(64, &[&a], &mut [&mut l[..], &mut r[..]]));
}

#[test]
fn bad_source_returns_the_compilers_own_message() {
    let svc = service(Duration::from_secs(20), false, None);
    let err = svc.compile("bad", "process = foo;").unwrap_err();
    match err {
        CompileError::Faust { name, message } => {
            assert_eq!(name, "bad");
            assert!(message.contains("undefined symbol : foo"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_crashing_or_hanging_compiler_is_an_error_and_the_next_compile_works() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let svc = service(Duration::from_secs(2), true, None);
    let running = svc.compile("saw", SAW).unwrap();
    let mut inst = running.instance(48000).unwrap();
    // An "audio thread" computes the whole time; every block must sound.
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let audio = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut out, mut blocks) = (vec![0.0f32; 256], 0u32);
            while !stop.load(Ordering::Relaxed) {
                assert!(inst.compute(256, &[], &mut [&mut out[..]]));
                assert!(out.iter().any(|v| v.abs() > 0.05), "block {blocks} is silent");
                blocks += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            blocks
        })
    };
    let crash = svc.compile("c", &format!("// kr-test: crash\n{SAW}")).unwrap_err();
    assert!(matches!(crash, CompileError::WorkerCrashed { ref name, .. } if name == "c"), "{crash:?}");
    let started = std::time::Instant::now();
    let hang = svc.compile("h", &format!("// kr-test: hang\n{SAW}")).unwrap_err();
    assert!(matches!(hang, CompileError::Timeout { ref name, .. } if name == "h"), "{hang:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    assert!(audio.join().expect("the audio thread kept running") > 100);
    // The service compiles again (a new worker).
    svc.compile("again", "process = 0.5;").expect("worker restarted");
}

#[test]
fn a_memory_hog_hits_the_workers_limit_not_the_engine() {
    // A 1 GiB limit (not the default 8 GiB) so the hog reaches it in a second even on a loaded
    // machine, well within the timeout.
    let settings =
        CompilerSettings { memory_limit_bytes: 1 << 30, ..common::settings(Duration::from_secs(20), true, None) };
    let svc = CompileService::start(settings);
    let err = svc.compile("hog", &format!("// kr-test: oom\n{SAW}")).unwrap_err();
    assert!(matches!(err, CompileError::WorkerCrashed { .. }), "{err:?}");
    svc.compile("after", "process = 0.25;").expect("worker restarted");
}

#[test]
fn identical_source_shares_one_factory_and_the_disk_cache_survives_restarts() {
    let dir = std::env::temp_dir().join(format!("kr-faust-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let svc = service(Duration::from_secs(20), false, Some(dir.clone()));
        let a = svc.compile("a", SAW).unwrap();
        let b = svc.compile("b", SAW).unwrap();
        assert!(std::sync::Arc::ptr_eq(&a, &b));
    }
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1);
    // Corrupt the entry: it must be recompiled, never loaded.
    let path = entries[0].path();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push('x');
    std::fs::write(&path, text).unwrap();
    let svc = service(Duration::from_secs(20), false, Some(dir.clone()));
    let f = svc.compile("c", SAW).expect("recompiled");
    let mut inst = f.instance(48000).unwrap();
    let mut out = vec![0.0f32; 256];
    assert!(inst.compute(256, &[], &mut [&mut out[..]]));
    drop(svc);
    // A fresh service now hits the (rewritten) disk entry.
    let svc = service(Duration::from_secs(20), false, Some(dir.clone()));
    svc.compile("d", SAW).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_threads_compiling_while_instances_compute() {
    let svc = std::sync::Arc::new(service(Duration::from_secs(30), false, None));
    let f = svc.compile("saw", SAW).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let computing = {
        let stop = stop.clone();
        let mut inst = f.instance(48000).unwrap();
        std::thread::spawn(move || {
            let mut out = vec![0.0f32; 256];
            let mut blocks = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                assert!(inst.compute(256, &[], &mut [&mut out[..]]));
                blocks += 1;
            }
            blocks
        })
    };
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let svc = svc.clone();
            std::thread::spawn(move || {
                for i in 0..3 {
                    let src = format!("process = {t}.{i} * 0.1;");
                    let f = svc.compile(&format!("t{t}_{i}"), &src).expect("compiles");
                    assert_eq!(f.info().outputs, 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(computing.join().unwrap() > 0);
}

#[test]
fn control_metadata_paths_and_kinds_are_discovered() {
    let svc = service(Duration::from_secs(20), false, None);
    let src = r#"import("stdfaust.lib");
        f = hslider("freq [unit:Hz] [scale:log]", 440, 20, 2000, 1);
        g = button("gate");
        t = checkbox("on");
        v = vslider("h:mix/level [style:knob]", 0.5, 0, 1, 0.01);
        n = nentry("note", 60, 0, 127, 1);
        m = vbargraph("meter", -60, 0);
        process = vgroup("voice", os.osc(f) * g * t * v * (n > 0) : m);"#;
    let f = svc.compile("ui", src).expect("compiles");
    let c: Vec<_> = f.info().controls.iter().map(|c| (c.path.as_str(), c.label.as_str(), c.kind)).collect();
    assert_eq!(
        c,
        [
            ("freq", "freq", ControlKind::Hslider),
            ("gate", "gate", ControlKind::Button),
            ("meter", "meter", ControlKind::Vbargraph),
            ("mix/level", "level", ControlKind::Vslider),
            ("note", "note", ControlKind::Nentry),
            ("on", "on", ControlKind::Checkbox),
        ]
    );
    let freq = &f.info().controls[0];
    assert_eq!(freq.meta, [("scale".to_string(), "log".to_string()), ("unit".to_string(), "Hz".to_string())]);
    assert_eq!(f.info().controls[3].meta, [("style".into(), "knob".into())]);
    assert!(f.info().controls[1].meta.is_empty());
    assert_eq!(f.info().control_index("mix/level"), Some(3));
    assert_eq!(f.info().control_index("level"), Some(3));
    let mut inst = f.instance(48000).unwrap();
    inst.set(5, 7.0);
    assert_eq!(inst.get(5), Some(1.0), "a checkbox clamps to 0..1");
    inst.set(2, 3.0);
    assert_eq!(inst.get(2), Some(0.0), "bargraphs are not settable (initial 0)");
}

#[test]
fn a_program_using_a_soundfile_is_refused_not_run() {
    let svc = service(Duration::from_secs(20), false, None);
    let src = r#"process = 0, 0 : soundfile("sound [url:{'x.wav'}]", 1) : !, !, _;"#;
    match svc.compile("sf", src).unwrap_err() {
        CompileError::Unsupported { name, message } => {
            assert_eq!(name, "sf");
            assert!(message.contains("soundfile"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn errors_name_the_request_and_keep_libfausts_text() {
    let svc = service(Duration::from_secs(20), false, None);
    let err = svc.compile("faust:drums/kick", "import(\"stdfaust.lib\");\nprocess = os.osc(;").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("faust:drums/kick"), "{text}");
    let CompileError::Faust { message, .. } = err else { panic!("{err:?}") };
    // libfaust's own "<file> : <line> : ERROR : ..." text, unchanged.
    assert!(message.contains(": 2 : ERROR :"), "{message}");
}

#[test]
fn recently_used_factories_stay_loaded_so_going_back_costs_no_new_load() {
    let svc = service(Duration::from_secs(20), false, None);
    let a = svc.compile("a", "process = 0.1;").unwrap();
    let weak = std::sync::Arc::downgrade(&a);
    drop(a);
    let b = svc.compile("b", "process = 0.2;").unwrap();
    drop(b);
    // No instance or handle uses `a` any more, yet it is still loaded and reused.
    let again = svc.compile("a2", "process = 0.1;").unwrap();
    assert!(std::sync::Arc::ptr_eq(&again, &weak.upgrade().expect("kept alive")));
    assert!(kr_faust::factory_loads() >= 2);
}

/// A program can make the compiler read files and fetch URLs (`import`); the sandboxed worker
/// reads only the FAUST libraries and connects nowhere.
#[test]
fn the_compiler_reads_no_file_outside_the_libraries_and_connects_nowhere() {
    let svc = service(Duration::from_secs(20), false, None);
    let read = |path: &str| svc.compile("imp", &format!("import(\"{path}\"); process = 0;")).unwrap_err().to_string();
    // A readable file outside the libraries looks exactly like a missing one: nothing leaks.
    assert_eq!(
        read("/etc/passwd").replace("/etc/passwd", "X"),
        read("/no/such/file.lib").replace("/no/such/file.lib", "X")
    );
    assert!(read("/etc/passwd").contains("unable to open file"), "{}", read("/etc/passwd"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/x.lib", listener.local_addr().unwrap());
    let e = svc.compile("url", &format!("import(\"{url}\"); process = 0;")).unwrap_err().to_string();
    assert!(e.contains("unable to access URL"), "{e}");
    assert!(listener.accept().is_err(), "the compiler connected to {url}");
    // The libraries themselves are there.
    svc.compile("saw", SAW).expect("a program importing stdfaust.lib compiles");
}

/// The worker measures the memory of one instance (what the engine budgets by), and a program
/// whose size libfaust cannot compute safely crashes the worker, not the engine.
#[test]
fn the_worker_measures_instances_and_an_impossible_size_is_an_error() {
    let svc = service(Duration::from_secs(30), false, None);
    let small = svc.compile("small", SAW).unwrap();
    assert!(small.instance_bytes() > 0 && small.instance_bytes() < 1 << 20, "{}", small.instance_bytes());
    // A delay of up to 2^26 samples: FAUST keeps a power-of-two line of 2^27 floats, 512 MiB.
    let big = svc.compile("big", r#"process = @(hslider("d", 1, 1, 67108864, 1));"#).unwrap();
    let mib = big.instance_bytes() as f64 / f64::from(1 << 20);
    assert!((512.0..520.0).contains(&mib), "{mib} MiB");
    // 2^30 samples: libfaust's 32-bit size wraps and initialising writes past the allocation.
    let e = svc.compile("wrap", r#"process = @(hslider("d", 1, 1, 1073741823, 1));"#).unwrap_err();
    assert!(matches!(e, CompileError::WorkerCrashed { .. }), "{e:?}");
    svc.compile("after", "process = 0.5;").expect("the worker was restarted");
}

/// Programs compiled ahead of need (the bundled ones, at start) wait while a compile someone is
/// waiting for is queued: it is compiled next, not after them.
#[test]
fn a_compile_goes_ahead_of_background_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let svc = service(Duration::from_secs(30), false, Some(dir.path().into()));
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..6 {
        let tx = tx.clone();
        let source = format!("import(\"stdfaust.lib\"); process = fi.lowpass(2, {});", 1000 + i);
        svc.submit_background(&format!("bg{i}"), &source, move |r| {
            let _ = tx.send((format!("bg{i}"), r.is_ok()));
        });
    }
    let fg = tx.clone();
    svc.submit("user", "import(\"stdfaust.lib\"); process = fi.highpass(2, 500);", move |r| {
        let _ = fg.send(("user".into(), r.is_ok()));
    });
    let order: Vec<(String, bool)> = (0..7).map(|_| rx.recv_timeout(Duration::from_secs(60)).unwrap()).collect();
    assert!(order.iter().all(|(_, ok)| *ok), "{order:?}");
    let at = order.iter().position(|(n, _)| n == "user").unwrap();
    // At most the background compile already running when it came finishes first.
    assert!(at <= 1, "the user's compile finished {}th: {order:?}", at + 1);
}
