//! Applying a packet as one unit: every request of a bundle takes effect at the same frame, or
//! none does. What a bundle sends to the audio thread (its graph and events) is held back and
//! sent together once every request succeeded, so no state in between is ever heard; on a
//! failure it is dropped, the model (nodes, routes, patterns, values, tempo, scenes) is put
//! back, and recordings the bundle would have started or stopped are left as they were. Joining
//! or leaving Link (seen by other machines at once) is checked with the rest and done last, when
//! nothing can fail any more.

use crate::commands::{self, Done};
use crate::session::{Session, SessionError};
use kr_faust::Factory;
use kr_osc::{Command, Request};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a packet was not applied: the index of the request that failed, and its error.
pub type Failure = (usize, SessionError);

/// Apply `requests` at `frame`: every `/kr/done` in request order, or the first failure (and
/// then nothing changed). Recording commands run last, once everything else succeeded, and a
/// recording started by the bundle is discarded again if a later one fails.
pub fn apply(
    session: &mut Session,
    requests: &[Request],
    factories: &BTreeMap<String, Arc<Factory>>,
    frame: u64,
) -> Result<Vec<Done>, Failure> {
    if let [r] = requests {
        return commands::execute(session, &r.command, factories, frame).map(|d| vec![d]).map_err(|e| (0, e));
    }
    let before = session.snapshot();
    let old_factories = session.factories();
    let scenes = requests.iter().any(|r| changes_scenes(&r.command)).then(|| session.scene_map());
    session.hold();
    let result = apply_all(session, requests, factories, frame);
    if result.is_ok() {
        session.commit();
    } else {
        session.discard();
        // Only nodes the bundle freed or redefined are made again (with their old DSP); the
        // others keep their instances and only get their values back.
        let all: BTreeMap<String, Arc<Factory>> = session
            .compile_needs(&before)
            .into_iter()
            .filter_map(|(name, ..)| old_factories.get(&name).map(|f| (name, Arc::clone(f))))
            .collect();
        // Nothing of the bundle reached the audio thread; the model is put back (its values are
        // sent again at the bundle's frame, unchanged).
        if let Err(e) = session.apply_snapshot(&before, &all, 0.0, frame) {
            tracing::error!(error = %e, "could not put the session back after a failed bundle");
        }
        if let Some(scenes) = scenes {
            session.set_scenes(scenes);
        }
    }
    result
}

fn changes_scenes(cmd: &Command) -> bool {
    matches!(cmd, Command::SceneSave { .. } | Command::SceneDelete { .. })
}

fn apply_all(
    session: &mut Session,
    requests: &[Request],
    factories: &BTreeMap<String, Arc<Factory>>,
    frame: u64,
) -> Result<Vec<Done>, Failure> {
    let mut done: Vec<Option<Done>> = vec![None; requests.len()];
    let is_start = |c: &Command| matches!(c, Command::RecordStart { .. });
    let is_stop = |c: &Command| matches!(c, Command::RecordStop { .. });
    let is_link = |c: &Command| matches!(c, Command::Link { .. });
    for (i, r) in requests.iter().enumerate().filter(|(_, r)| !is_start(&r.command) && !is_stop(&r.command)) {
        if let Command::Link { on, quantum } = &r.command {
            session.link_check(*on, *quantum).map_err(|e| (i, e))?;
            continue;
        }
        done[i] = Some(commands::execute(session, &r.command, factories, frame).map_err(|e| (i, e))?);
    }
    // Every stop must find its recording before any recording starts or stops.
    for (i, r) in requests.iter().enumerate() {
        if let Command::RecordStop { file } = &r.command {
            session.check_recording(file.as_deref()).map_err(|e| (i, e))?;
        }
    }
    let mut started = Vec::new();
    for (i, r) in requests.iter().enumerate().filter(|(_, r)| is_start(&r.command)) {
        match commands::execute(session, &r.command, factories, frame) {
            Ok(d) => {
                done[i] = Some(d);
                if let Command::RecordStart { file, .. } = &r.command {
                    started.push(file.clone());
                }
            }
            Err(e) => {
                for file in &started {
                    session.record_discard(file);
                }
                return Err((i, e));
            }
        }
    }
    for (i, r) in requests.iter().enumerate().filter(|(_, r)| is_stop(&r.command)) {
        done[i] = Some(commands::execute(session, &r.command, factories, frame).map_err(|e| (i, e))?);
    }
    // Checked above: these cannot fail now.
    for (i, r) in requests.iter().enumerate().filter(|(_, r)| is_link(&r.command)) {
        done[i] = Some(commands::execute(session, &r.command, factories, frame).map_err(|e| (i, e))?);
    }
    Ok(done.into_iter().map(Option::unwrap_or_default).collect())
}
