//! The header-bug path: machine code written by `writeCDSPFactoryToMachine` and read back by
//! `readCDSPFactoryFromMachine` (whose real argument order differs from libfaust's header) must
//! give a factory that computes exactly what the original computes. And machine code that is not
//! intact must never reach libfaust's loader.
//!
//! These tests compile in this process (`Factory::compile`), which `chdir`s while compiling: no
//! test in this file depends on the working directory.

mod common;
use common::*;
use kr_faust::{CompileError, Factory};
use std::sync::Arc;
use std::time::Duration;

const VOICE: &str = r#"import("stdfaust.lib");
freq = hslider("freq", 220, 20, 2000, 0.01);
cutoff = hslider("cutoff", 1200, 50, 10000, 1);
gate = button("gate");
process = _, (os.sawtooth(freq) : fi.lowpass(2, cutoff) * en.adsr(0.01, 0.1, 0.7, 0.2, gate))
    :> _ <: _, *(0.5);"#;

fn args() -> Vec<String> {
    vec!["-I".into(), "/usr/share/faust".into()]
}

/// Run a fresh instance: gate up at frame 0, down at 2048, an impulse input.
fn render(f: &Arc<Factory>) -> Vec<Vec<f32>> {
    let mut inst = f.instance(48000).unwrap();
    let info = f.info();
    let gate = info.control_index("gate").unwrap();
    inst.set(info.control_index("freq").unwrap(), 330.0);
    let mut input = vec![0.0f32; 2048];
    input[0] = 1.0;
    let mut out = vec![vec![0.0f32; 4096]; info.outputs];
    for (block, value) in [(0usize, 1.0f32), (1, 0.0)] {
        inst.set(gate, value);
        let mut outs: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[block * 2048..(block + 1) * 2048]).collect();
        let ins: Vec<&[f32]> = vec![&input[..]; info.inputs];
        assert!(inst.compute(2048, &ins, &mut outs));
        input[0] = 0.0;
    }
    out
}

#[test]
fn machine_code_read_back_in_this_process_computes_exactly_like_the_original() {
    let original = Arc::new(Factory::compile("voice", VOICE, &args()).expect("compiles"));
    let code = original.machine_code().unwrap();
    assert!(!code.is_empty());
    let expected = render(&original);
    assert!(expected[0].iter().any(|v| v.abs() > 0.05), "the voice sounds");
    // Load the same code many times: the header's argument order corrupts the heap, which a
    // single load may survive.
    for i in 0..20 {
        let loaded = Arc::new(Factory::from_machine_code(&format!("copy{i}"), &code).unwrap());
        assert_eq!(loaded.info(), original.info());
        assert_eq!(loaded.name(), format!("copy{i}"));
        let got = render(&loaded);
        assert!(got == expected, "load {i}: output differs from the original");
        // Machine code written from a loaded factory loads again.
        if i == 0 {
            let again = loaded.machine_code().unwrap();
            let reloaded = Arc::new(Factory::from_machine_code("again", &again).unwrap());
            assert!(render(&reloaded) == expected);
        }
    }
    // The original still works after all that (no corrupted heap under it).
    assert!(render(&original) == expected);
}

#[test]
fn garbage_machine_code_is_an_error_from_libfaust_not_a_crash() {
    for code in ["garbage", "QUJDRA=="] {
        match Factory::from_machine_code("junk", code) {
            Err(CompileError::Load { name, message }) => {
                assert_eq!(name, "junk");
                assert!(message.contains("not recognized"), "{message}");
            }
            other => panic!("expected a load error, got {other:?}"),
        }
    }
}

#[test]
fn a_cache_entry_failing_its_checksum_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let entry = {
        let svc = service(Duration::from_secs(30), false, Some(dir.path().into()));
        svc.compile("saw", SAW).unwrap();
        drop(svc); // the service writes the disk cache after answering; stopping it finishes that
        let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(entries.len(), 1);
        entries[0].path()
    };
    // Put valid machine code of another program (a constant 0.125) under the saw's key, with
    // the saw's checksum line: were it loaded, the "saw" would output 0.125.
    let text = std::fs::read_to_string(&entry).unwrap();
    let (checksum, _) = text.split_once('\n').unwrap();
    let other = Factory::compile("dc", "process = 0.125;", &args()).unwrap().machine_code().unwrap();
    std::fs::write(&entry, format!("{checksum}\n{other}")).unwrap();

    let svc = service(Duration::from_secs(30), false, Some(dir.path().into()));
    let f = svc.compile("saw", SAW).expect("recompiled");
    let mut inst = f.instance(48000).unwrap();
    let mut out = vec![0.0f32; 4800];
    assert!(inst.compute(4800, &[], &mut [&mut out[..]]));
    assert!(out.iter().any(|v| (v - 0.125).abs() > 0.01), "the substituted code was loaded");
    assert!((zero_crossing_hz(&out, 48000.0) - 440.0).abs() < 5.0);
    // The entry was rewritten with the real program (once the service finished writing).
    drop(svc);
    let fixed = std::fs::read_to_string(&entry).unwrap();
    assert!(fixed.starts_with(checksum) && !fixed.contains(&other));
}
