#![allow(dead_code)]
use kr_faust::{CacheSettings, CompileService, CompilerSettings};
use std::time::Duration;

/// A compile service running the real worker binary, with its own cache folder.
pub fn service(timeout: Duration, hooks: bool, cache: Option<std::path::PathBuf>) -> CompileService {
    CompileService::start(settings(timeout, hooks, cache))
}

/// The settings [`service`] uses.
pub fn settings(timeout: Duration, hooks: bool, cache: Option<std::path::PathBuf>) -> CompilerSettings {
    let mut s = CompilerSettings {
        worker: vec![env!("CARGO_BIN_EXE_kr-faust-worker").into()],
        timeout,
        cache: CacheSettings { dir: cache, max_bytes: 64 << 20 },
        ..Default::default()
    };
    if hooks {
        s.worker_env.push((kr_faust::worker::TEST_HOOKS_ENV.into(), "1".into()));
    }
    s
}

/// Frequency from upward zero crossings (good enough for plain oscillators).
pub fn zero_crossing_hz(x: &[f32], rate: f32) -> f32 {
    let ups: Vec<usize> = (1..x.len()).filter(|&i| x[i - 1] < 0.0 && x[i] >= 0.0).collect();
    let (first, last) = (ups[0], *ups.last().unwrap());
    (ups.len() - 1) as f32 * rate / (last - first) as f32
}

pub const SAW: &str = r#"import("stdfaust.lib");
freq = hslider("freq", 440, 20, 2000, 0.01);
process = os.sawtooth(freq) * 0.5;"#;
