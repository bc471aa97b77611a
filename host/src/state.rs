//! Session state on disk: the engine owns the state, writes it atomically (temp
//! file, fsync, rename) within a second of a change, and restores it on start, so a crash or
//! `kill -9` loses at most the last second.
//!
//! The file is JSON: `{"version": 1, "session": <snapshot>, "scenes": {name: <snapshot>}}`, where
//! a snapshot is the `session` part of `/kr/dump` (nodes with FAUST source, controls, routes,
//! patterns as IR, tempo, meter, master).

use crate::session::Snapshot;
use crossbeam_channel::{Receiver, Sender};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Format version of the state file.
pub const VERSION: u64 = 1;
/// Changes are written at most this long after they happen.
pub const WRITE_DELAY: Duration = Duration::from_millis(250);

/// Why the state file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a kr state file: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// `$XDG_STATE_HOME/kr/session.json` (or `~/.local/state/...`) for the default port;
/// `session-<port>.json` for another port, so engines on different ports keep their own sessions.
pub fn default_path_for_port(port: u16) -> Option<PathBuf> {
    let file = if port == kr_osc::DEFAULT_PORT { "session.json".to_string() } else { format!("session-{port}.json") };
    default_path().map(|p| p.with_file_name(file))
}

/// `$XDG_STATE_HOME/kr/session.json`, or `~/.local/state/kr/session.json`.
pub fn default_path() -> Option<PathBuf> {
    kr_faust::paths::state_dir().map(|d| d.join("session.json"))
}

/// Read a state file; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<serde_json::Value>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateError::Read { path: path.into(), source }),
    };
    let invalid = |message: String| StateError::Invalid { path: path.into(), message };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    match v.get("version").and_then(serde_json::Value::as_u64) {
        Some(VERSION) => Ok(Some(v)),
        other => Err(invalid(format!("version {other:?}, expected {VERSION}"))),
    }
}

/// Move a state file krd could not read (or read only in part) aside, to
/// `<name>.bad-<unix seconds>` beside it, so that nothing ever overwrites it.
pub fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("session.json");
    let aside = path.with_file_name(format!("{name}.bad-{secs}"));
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

/// Keep a copy of the saved session as `<name>.previous` beside it (replacing an older one), so
/// that an engine started fresh (`krd --fresh`) loses nothing: until the fresh session changes
/// something the state file itself is still the old session, and after that the copy is.
pub fn keep_previous(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("session.json");
    let previous = path.with_file_name(format!("{name}.previous"));
    std::fs::copy(path, &previous)?;
    Ok(previous)
}

/// What a state file holds, each part read on its own so one bad part loses nothing else.
#[derive(Debug, Default)]
pub struct Saved {
    pub session: Option<Snapshot>,
    pub scenes: BTreeMap<String, Snapshot>,
    /// What could not be read, one line each.
    pub problems: Vec<String>,
    /// The connections krd's ports had (the backend makes them again once their ports exist).
    pub patchbay: Vec<crate::service::patchbay::Connection>,
}

impl Saved {
    /// Read the parts of a loaded state file.
    pub fn parse(v: &serde_json::Value) -> Saved {
        let mut saved = Saved::default();
        match serde_json::from_value(v["session"].clone()) {
            Ok(snap) => saved.session = Some(snap),
            Err(e) => saved.problems.push(format!("the session cannot be read: {e}")),
        }
        if let Some(scenes) = v["scenes"].as_object() {
            for (name, s) in scenes {
                match serde_json::from_value(s.clone()) {
                    Ok(snap) => {
                        saved.scenes.insert(name.clone(), snap);
                    }
                    Err(e) => saved.problems.push(format!("scene '{name}' cannot be read: {e}")),
                }
            }
        } else if !v["scenes"].is_null() {
            saved.problems.push("the scenes cannot be read: not a map of name to scene".into());
        }
        match serde_json::from_value(v["patchbay"].clone()) {
            Ok(Some(list)) => saved.patchbay = list,
            Ok(None) => {}
            Err(e) => saved.problems.push(format!("the patchbay connections cannot be read: {e}")),
        }
        saved
    }
}

/// Write `contents` to `path` atomically: a reader sees the old file or the new one, never half.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("state")));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The disk thread's handle: the control thread sends snapshots; only the newest is written.
pub struct StateWriter {
    path: PathBuf,
    tx: Option<Sender<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
    last_sent: Option<String>,
    /// Why the last write failed; None once a write succeeds.
    error: Arc<Mutex<Option<String>>>,
}

impl StateWriter {
    pub fn start(path: PathBuf) -> StateWriter {
        let (tx, rx) = crossbeam_channel::unbounded::<String>();
        let error = Arc::new(Mutex::new(None));
        let (p, e) = (path.clone(), Arc::clone(&error));
        let thread = std::thread::Builder::new().name("kr-state".into()).spawn(move || write_loop(&p, rx, &e)).ok();
        StateWriter { path, tx: Some(tx), thread, last_sent: None, error }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the last write failed, until a write succeeds.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Queue the state for writing if it changed since the last call.
    pub fn save(&mut self, text: String) {
        if self.last_sent.as_deref() == Some(text.as_str()) && self.error().is_none() {
            return;
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(text.clone());
        }
        self.last_sent = Some(text);
    }
}

impl Drop for StateWriter {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_loop(path: &Path, rx: Receiver<String>, error: &Mutex<Option<String>>) {
    while let Ok(mut text) = rx.recv() {
        // Coalesce a burst of changes into one write.
        let deadline = Instant::now() + Duration::from_millis(20);
        while let Ok(newer) = rx.recv_deadline(deadline) {
            text = newer;
        }
        let result = write_atomically(path, &text);
        if let Err(e) = &result {
            tracing::error!(path = %path.display(), error = %e, "cannot write the session state");
        }
        *error.lock().unwrap_or_else(|e| e.into_inner()) =
            result.err().map(|e| format!("cannot write the session state to {}: {e}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("kr-state-{}", std::process::id()));
        let path = dir.join("session.json");
        assert!(load(&path).unwrap().is_none());
        write_atomically(&path, r#"{"version": 1, "session": {}}"#).unwrap();
        assert_eq!(load(&path).unwrap().unwrap()["version"], 1);
        write_atomically(&path, r#"{"version": 99}"#).unwrap();
        assert!(load(&path).is_err(), "a newer format is refused, not misread");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
