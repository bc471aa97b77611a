//! `krd render`: the same session, scheduler and audio engine as the live engine, driven block by
//! block without JACK, as fast as the machine allows, deterministically.
//!
//! A score is YAML:
//! ```yaml
//! duration: 4            # seconds; default: the last command's time + 2 s
//! commands:
//!   - at: 0              # seconds, or {cycle: "1/2"} (cycles at the tempo in force)
//!     cmd: node_new      # then the command, as in the OSC protocol (kr_osc::Command's serde form)
//!     name: bass
//!     source: "import(\"stdfaust.lib\"); process = os.osc(440) * 0.1;"   # or "faust:<type>"
//!   - at: {cycle: 0}
//!     cmd: play
//!     target: bass
//!     pattern: "a2 d3 ~ e2"   # mini-notation, or an IR node ({op: ...})
//! ```
//! Control changes (set, gain, mute, master, fades) land on their command's exact frame; graph
//! changes (nodes, routes) at the start of the block containing it. Pattern events are always
//! sample-exact.

use crate::backend::Offline;
use crate::commands;
use crate::config::Config;
use crate::rt::{AudioEngine, BlockIo};
use crate::session::Session;
use kr_faust::CompileService;
use kr_osc::{Command, DspSource};
use kr_pattern::Time;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read the score: {0}")]
    Read(#[from] std::io::Error),
    #[error("score: {0}")]
    Score(String),
    #[error("score command {index} ({address}) at {at}: {message}")]
    Command { index: usize, address: &'static str, at: String, message: String },
    #[error("cannot write the WAV file: {0}")]
    Wav(#[from] hound::Error),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum At {
    Seconds(f64),
    Cycle { cycle: serde_yaml::Value },
}

#[derive(Debug, Deserialize)]
struct Entry {
    at: At,
    #[serde(flatten)]
    command: serde_yaml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Score {
    duration: Option<f64>,
    commands: Vec<Entry>,
}

/// Rendering settings.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    pub sample_rate: u32,
    pub block: usize,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings { sample_rate: 48000, block: 64 }
    }
}

fn parse_cycle(v: &serde_yaml::Value) -> Result<Time, String> {
    match v {
        serde_yaml::Value::Number(n) => {
            let f = n.as_f64().ok_or("bad cycle")?;
            kr_pattern::time::from_f64(f).ok_or_else(|| format!("bad cycle {f}"))
        }
        serde_yaml::Value::String(s) => {
            let (n, d) = s.split_once('/').unwrap_or((s, "1"));
            let (n, d): (i64, i64) = (
                n.trim().parse().map_err(|_| format!("bad cycle '{s}'"))?,
                d.trim().parse().map_err(|_| format!("bad cycle '{s}'"))?,
            );
            if d == 0 {
                return Err(format!("bad cycle '{s}'"));
            }
            Ok(Time::new(n, d))
        }
        _ => Err("a cycle is a number or \"n/d\"".into()),
    }
}

/// Turn the score's friendly forms (a string source or pattern) into the command's serde form.
fn command(v: serde_yaml::Value) -> Result<Command, String> {
    use serde_json::{json, Value};
    let mut v: Value = serde_json::to_value(v).map_err(|e| e.to_string())?;
    if let Value::Object(m) = &mut v {
        let cmd = m.get("cmd").and_then(Value::as_str).unwrap_or_default().to_string();
        if let Some(Value::String(s)) = m.get("source").cloned() {
            m.insert("source".into(), serde_json::to_value(DspSource::parse(&s)).map_err(|e| e.to_string())?);
        }
        if let Some(Value::String(s)) = m.get("pattern").cloned() {
            m.insert("pattern".into(), json!({"op": "mini", "src": s}));
        }
        if cmd == "node_new" {
            m.entry("count").or_insert(json!(1));
            m.entry("gain").or_insert(json!(1.0));
        }
        if cmd == "play" {
            m.entry("from_zero").or_insert(json!(false));
        }
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Render a score to interleaved stereo samples.
pub fn render(
    score_text: &str,
    settings: &RenderSettings,
    config: &Config,
    compiler: &CompileService,
) -> Result<Vec<f32>, RenderError> {
    let score: Score = serde_yaml::from_str(score_text).map_err(|e| RenderError::Score(e.to_string()))?;
    let mut commands = Vec::new();
    for (i, e) in score.commands.into_iter().enumerate() {
        let cmd = command(e.command).map_err(|m| RenderError::Score(format!("command {i}: {m}")))?;
        commands.push((i, e.at, cmd));
    }
    let collector = basedrop::Collector::new();
    let (mut engine, link) = AudioEngine::new(&collector, settings.sample_rate, config.engine.master);
    engine.set_skip_idle_voices(config.engine.skip_idle_voices);
    let mut session = Session::new(config.session_settings(), settings.sample_rate, link, collector, Box::new(Offline));
    let sr = settings.sample_rate as f64;
    let frame_of = |at: &At, session: &Session| -> Result<u64, String> {
        match at {
            At::Seconds(s) if s.is_finite() && *s >= 0.0 => Ok((s * sr).round() as u64),
            At::Seconds(s) => Err(format!("bad time {s}")),
            At::Cycle { cycle } => Ok(session.clock().frame_of(parse_cycle(cycle)?)),
        }
    };
    let last = commands
        .iter()
        .filter_map(|(_, at, _)| if let At::Seconds(s) = at { Some(*s) } else { None })
        .fold(0.0, f64::max);
    let duration = score.duration.unwrap_or(last + 2.0);
    let total = (duration * sr).round() as usize;
    let block = settings.block.clamp(1, crate::rt::MAX_BLOCK);
    let mut out = Vec::with_capacity(total * 2);
    let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut next = 0;
    let mut done = 0usize;
    while done < total {
        let n = block.min(total - done);
        let block_end = (done + n) as u64;
        while next < commands.len() {
            let (index, at, cmd) = &commands[next];
            let frame = frame_of(at, &session).map_err(|m| RenderError::Score(format!("command {index}: {m}")))?;
            if frame >= block_end {
                break;
            }
            // Control changes land on the command's exact frame, whatever the block size (frame 0
            // is the first block's, which is also the next block's).
            apply(&mut session, compiler, config, cmd, frame).map_err(|message| RenderError::Command {
                index: *index,
                address: cmd.address(),
                at: format!("{:.4} s", frame as f64 / sr),
                message,
            })?;
            next += 1;
        }
        session.tick();
        engine.process(n, BlockIo { master: [&mut l[..n], &mut r[..n]], ports: None });
        for i in 0..n {
            out.push(l[i]);
            out.push(r[i]);
        }
        done += n;
    }
    Ok(out)
}

fn apply(
    session: &mut Session,
    compiler: &CompileService,
    config: &Config,
    cmd: &Command,
    frame: u64,
) -> Result<(), String> {
    let compile = |node: &str, source: &DspSource, count: u32| -> Result<Arc<kr_faust::Factory>, String> {
        let text = source_text(config, source)?;
        compiler.compile_voice(node, &text, session.wants_lanes(count)).map_err(|e| e.to_string())
    };
    let mut factories = BTreeMap::new();
    match cmd {
        Command::NodeNew { name, source, count, .. } => {
            factories.insert(name.clone(), compile(name, source, *count)?);
        }
        Command::SceneRecall { name, cycles } => {
            let snap = session.scene(name).map_err(|e| e.to_string())?;
            for (node, source, count) in session.compile_needs(&snap) {
                factories.insert(node.clone(), compile(&node, &source, count)?);
            }
            return session.apply_snapshot(&snap, &factories, *cycles, frame).map(|_| ()).map_err(|e| e.to_string());
        }
        Command::RecordStart { .. } | Command::RecordStop { .. } => {
            return Err("recording is for live sessions; `krd render` writes its output with -o".into())
        }
        // A score's compile ahead of need: its FAUST errors are the score's errors.
        Command::Compile { name, source } => {
            compile(name, source, 1)?;
            return Ok(());
        }
        Command::Status | Command::Subscribe { .. } | Command::Unsubscribe => return Ok(()),
        _ => {}
    }
    commands::execute(session, cmd, &factories, frame).map(|_| ()).map_err(|e| e.to_string())
}

fn source_text(config: &Config, source: &DspSource) -> Result<String, String> {
    commands::dsp_text(source, config.dsp_dir().as_deref(), |_| None).map_err(|e| e.to_string())
}

/// Write interleaved stereo float samples as a 32-bit float WAV.
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), RenderError> {
    let spec =
        hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut w = hound::WavWriter::create(path, spec)?;
    for s in samples {
        w.write_sample(*s)?;
    }
    w.finalize()?;
    Ok(())
}
