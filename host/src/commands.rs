//! What each command does to the session: one function shared by the live engine's control
//! thread and by `krd render`, so a score means exactly what the same OSC messages mean.

use crate::session::{Session, SessionError};
use kr_faust::Factory;
use kr_osc::Command;
use rosc::OscType;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The FAUST text of a node's source: the source itself, or `<dsp_dir>/<type>.dsp` (a type is a
/// relative path without `.` or `..` segments, so it never names a file outside the folder).
/// `cached` answers from the dsp-directory watcher when it knows the type.
pub fn dsp_text(
    source: &kr_osc::DspSource,
    dsp_dir: Option<&std::path::Path>,
    cached: impl FnOnce(&str) -> Option<String>,
) -> Result<String, SessionError> {
    let t = match source {
        kr_osc::DspSource::Faust(text) => return Ok(text.clone()),
        kr_osc::DspSource::File(t) => t,
    };
    if let Some(text) = crate::dirt::builtin::source(t) {
        return Ok(text.into());
    }
    let bad = |message: String| SessionError::Dsp { name: format!("faust:{t}"), message };
    let dir = dsp_dir.ok_or_else(|| bad("no dsp_dir is configured".into()))?;
    if t.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Err(bad("a dsp type is a relative path without '.' or '..' segments".into()));
    }
    if let Some(text) = cached(t) {
        return Ok(text);
    }
    let path = dir.join(format!("{t}.dsp"));
    std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))
}

/// A command's integer as the session takes it (one out of range stays out of range).
fn int(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// A command's `/kr/done` message and extra arguments.
pub type Done = (String, Vec<OscType>);

/// Whether a successful command changed the session (subscribers are told, the state is saved).
pub fn changes_state(cmd: &Command) -> bool {
    !matches!(
        cmd,
        Command::Status
            | Command::Ping
            | Command::Compile { .. }
            | Command::Get { .. }
            | Command::Dump
            | Command::SceneList
            | Command::Nodes
            | Command::NodeInfo { .. }
            | Command::SamplesLoad { .. }
            | Command::SamplesList
            | Command::MidiClock { .. }
            | Command::Subscribe { .. }
            | Command::Unsubscribe
            | Command::RecordStart { .. }
            | Command::RecordStop { .. }
    )
}

/// Apply one command; what changes the sound changes at frame `at` ([`crate::rt::NEXT_BLOCK`]
/// for an immediate command). `factories` holds the compiled DSP of the packet's `node_new`s, by
/// node name. Commands that need the caller (status, scene recall, subscriptions) are refused
/// here.
pub fn execute(
    s: &mut Session,
    cmd: &Command,
    factories: &BTreeMap<String, Arc<Factory>>,
    at: u64,
) -> Result<Done, SessionError> {
    let plain = |r: Result<String, SessionError>| r.map(|m| (m, vec![]));
    match cmd {
        Command::Ping => Ok(("pong".into(), vec![])),
        Command::NodeNew { name, source, count, gain, meta } => match factories.get(name) {
            Some(f) => {
                let done = s.node_new(name, source.clone(), Arc::clone(f), *count, *gain)?;
                s.set_meta(name, meta)?;
                Ok((done, vec![]))
            }
            None => Err(SessionError::Dsp { name: name.clone(), message: "internal error: not compiled".into() }),
        },
        Command::NodeFree { name } => plain(s.node_free(name)),
        Command::Set { path, value } => plain(s.set(path, *value, at)),
        Command::Get { path } => s.get(path).map(|v| (format!("{path} = {v}"), vec![OscType::Float(v)])),
        Command::Route { from, to, level } => plain(s.route(from, to, *level)),
        Command::Unroute { from, to } => plain(s.unroute(from, to)),
        Command::Play { target, pattern, from_zero } => plain(s.play(target, pattern.clone(), *from_zero)),
        Command::Hush { target } => plain(s.hush(target.as_deref())),
        Command::Mute { name, on } => plain(s.mute_group(name, *on, at)),
        Command::Solo { name, on } => plain(s.solo(name, *on)),
        Command::Tempo { bpm } => plain(s.tempo(Some(*bpm), None)),
        Command::Meter { beats } => plain(s.tempo(None, Some(*beats))),
        Command::Link { on, quantum } => plain(s.link(*on, *quantum)),
        Command::Master { gain } => plain(s.master(*gain, at)),
        Command::Dump => Ok(("state".into(), vec![OscType::String(s.dump().to_string())])),
        Command::Fade { path, target, cycles } => {
            plain(if *cycles > 0.0 { s.fade(path, *target, *cycles) } else { s.set(path, *target, at) })
        }
        Command::SceneSave { name } => plain(s.scene_save(name)),
        Command::SceneDelete { name } => plain(s.scene_delete(name)),
        Command::Nodes => {
            let names = s.node_names();
            Ok((format!("{} nodes", names.len()), names.into_iter().map(OscType::String).collect()))
        }
        Command::NodeInfo { name } => {
            let info = s.node_info(name)?;
            Ok((name.clone(), vec![OscType::String(info.to_string())]))
        }
        Command::SamplesLoad { bank } => {
            let n = s.samples().preload(bank).map_err(SessionError::Unsupported)?;
            plain(Ok(format!("loading {n} file(s) of '{bank}'")))
        }
        Command::SamplesList => {
            let banks = s.samples_list();
            let json = serde_json::to_string(&banks).unwrap_or_default();
            Ok((format!("{} bank(s)", banks.len()), vec![OscType::String(json)]))
        }
        Command::MidiOut { name, channel, port } => plain(s.midi_out(name, int(*channel), port)),
        Command::MidiClock { action } => plain(s.midi_clock(action)),
        Command::MidiFollow { on } => plain(s.midi_follow(*on)),
        Command::MidiMap { cc, path, lo, hi, channel } => plain(s.midi_map(int(*cc), path, *lo, *hi, int(*channel))),
        Command::MidiLearn { path, lo, hi } => plain(s.midi_learn(path, *lo, *hi)),
        Command::MidiNotes { node, channel } => plain(s.midi_notes(node, int(*channel))),
        Command::MidiUnmap { path } => plain(s.midi_unmap(path)),
        Command::SceneList => {
            let names = s.scene_names();
            Ok((format!("{} scene(s)", names.len()), names.into_iter().map(OscType::String).collect()))
        }
        Command::RecordStart { file, target } => plain(s.record_start(file, target.as_deref())),
        Command::RecordStop { file } => plain(s.record_stop(file.as_deref())),
        Command::SceneRecall { .. } => {
            Err(SessionError::Unsupported("a scene recall cannot be part of a bundle".into()))
        }
        Command::Status | Command::Subscribe { .. } | Command::Unsubscribe | Command::Compile { .. } => {
            Err(SessionError::Unsupported(format!("{} cannot be part of a bundle", cmd.address())))
        }
    }
}
