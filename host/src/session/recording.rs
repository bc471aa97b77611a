//! Recording master or a node to WAV files.

use super::{Session, SessionError};
use crate::record::{Finishing, Recording};
use std::path::{Path, PathBuf};

/// Recordings in progress and where relative file names go.
pub(super) struct Recordings {
    dir: PathBuf,
    active: Vec<Recording>,
}

impl Recordings {
    pub fn new(dir: PathBuf) -> Recordings {
        Recordings { dir, active: Vec::new() }
    }

    /// `file` as a path: absolute, or under the recording directory.
    fn path_of(&self, file: &str) -> PathBuf {
        let path = Path::new(file);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Recording> {
        self.active.iter()
    }

    /// Whether `file` (as given to `record_start`, or its full path), or anything when None,
    /// is being recorded.
    fn matches(&self, file: Option<&str>) -> bool {
        self.active.iter().any(self.recording_to(file))
    }

    /// Whether a recording is the one to `file` (as given to `record_start`, or its full path);
    /// every one when None.
    fn recording_to(&self, file: Option<&str>) -> impl Fn(&Recording) -> bool {
        let wanted = file.map(|f| (PathBuf::from(f), self.path_of(f)));
        move |r| wanted.as_ref().is_none_or(|(given, full)| r.path == *given || r.path == *full)
    }

    /// Take the recordings whose disk thread ended on its own (a failed write).
    fn take_failed(&mut self) -> Vec<Recording> {
        let (failed, keep) = std::mem::take(&mut self.active).into_iter().partition(Recording::failed);
        self.active = keep;
        failed
    }

    /// Take the recordings to `file` (as given to `record_start`, or its full path), or all.
    fn take(&mut self, file: Option<&str>) -> Vec<Recording> {
        let wanted = self.recording_to(file);
        let (stopped, keep) = std::mem::take(&mut self.active).into_iter().partition(|r| wanted(r));
        self.active = keep;
        stopped
    }
}

impl Session {
    /// Start recording master (or a node) to `file`: absolute, or relative to the recording
    /// folder.
    pub fn record_start(&mut self, file: &str, target: Option<&str>) -> Result<String, SessionError> {
        let channels = match target {
            None => 2,
            Some(t) => self.model.get(t)?.factory.info().outputs,
        };
        let path = self.recordings.path_of(file);
        if self.recordings.iter().any(|r| r.path == path) {
            return Err(SessionError::Record(format!("{} is already being recorded", path.display())));
        }
        let rec = Recording::start(&self.rt.handle(), &path, target.map(String::from), channels, self.sample_rate, 0)
            .map_err(SessionError::Record)?;
        self.recordings.active.push(rec);
        self.rebuild();
        Ok(format!("recording {} to {}", target.unwrap_or("master"), path.display()))
    }

    /// Refuse, as `record_stop` would, when nothing is being recorded to `file`.
    pub fn check_recording(&self, file: Option<&str>) -> Result<(), SessionError> {
        if self.recordings.matches(file) {
            return Ok(());
        }
        Err(SessionError::Record(match file {
            Some(f) => format!("nothing is being recorded to {f}"),
            None => "nothing is being recorded".into(),
        }))
    }

    /// Stop the recording to `file` and delete what it wrote (a bundle that started it failed:
    /// its tap was only ever in the graph the bundle holds back, so nothing waits for the audio
    /// thread, and nothing of the bundle is sent).
    pub fn record_discard(&mut self, file: &str) {
        for r in self.recordings.take(Some(file)) {
            let path = r.path.clone();
            let _ = r.finish();
            let _ = std::fs::remove_file(path);
        }
    }

    /// Stop one recording (or all) without waiting: its tap leaves the graph, and the returned
    /// files are finished by their disk threads as the control thread goes on collecting (see
    /// [`Finishing::is_done`]).
    pub fn record_stop_soon(&mut self, file: Option<&str>) -> Result<Vec<Finishing>, SessionError> {
        self.check_recording(file)?;
        let stopped = self.recordings.take(file);
        self.rebuild();
        Ok(stopped.into_iter().map(Recording::stop).collect())
    }

    /// Stop one recording (by file as given to `record_start`, or its full path), or all.
    pub fn record_stop(&mut self, file: Option<&str>) -> Result<String, SessionError> {
        self.check_recording(file)?;
        let stopped = self.recordings.take(file);
        let finished: Result<Vec<String>, String> = self.finish_recordings(stopped).into_iter().collect();
        finished.map(|m| m.join("; ")).map_err(SessionError::Record)
    }

    /// Recordings whose file could not be written (a full disk): stopped, each with the reason.
    /// The sound plays on.
    pub fn reap_failed_recordings(&mut self) -> Vec<String> {
        let failed = self.recordings.take_failed();
        if failed.is_empty() {
            return Vec::new();
        }
        let paths: Vec<String> = failed.iter().map(|r| r.path.display().to_string()).collect();
        let results = self.finish_recordings(failed);
        paths
            .into_iter()
            .zip(results)
            .map(|(path, r)| format!("the recording to {path} stopped: {}", r.unwrap_or_else(|e| e)))
            .collect()
    }

    /// Take the taps of `stopped` out of the graph and let their disk threads finish the files.
    fn finish_recordings(&mut self, stopped: Vec<Recording>) -> Vec<Result<String, String>> {
        self.rebuild();
        // What the audio thread records until it takes up the new graph is the file's last
        // moments; waiting for that (briefly) keeps them.
        self.rt.wait_for_last_graph();
        stopped.into_iter().map(Recording::finish).collect()
    }
}
