//! Recording master or a node to WAV files.

use super::*;

impl Session {
    /// Start recording master (or a node) to `file`: absolute, or relative to the recording
    /// folder.
    pub fn record_start(&mut self, file: &str, target: Option<&str>) -> Result<String, SessionError> {
        let bad = |message: String| SessionError::Record(message);
        let channels = match target {
            None => 2,
            Some(t) => self.node(t)?.factory.info().outputs,
        };
        let path = std::path::Path::new(file);
        let path = if path.is_absolute() { path.to_path_buf() } else { self.settings.record_dir.join(path) };
        if self.recordings.iter().any(|r| r.path == path) {
            return Err(bad(format!("{} is already being recorded", path.display())));
        }
        let handle = self.collector.handle();
        let rec =
            crate::record::Recording::start(&handle, &path, target.map(String::from), channels, self.sample_rate, 0)
                .map_err(bad)?;
        self.recordings.push(rec);
        self.rebuild();
        Ok(format!("recording {} to {}", target.unwrap_or("master"), path.display()))
    }

    /// Stop one recording (by file as given to `record_start`, or its full path), or all.
    pub fn record_stop(&mut self, file: Option<&str>) -> Result<String, SessionError> {
        let matches = |r: &crate::record::Recording| match file {
            None => true,
            Some(f) => r.path == std::path::Path::new(f) || r.path == self.settings.record_dir.join(f),
        };
        let (stopped, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.recordings).into_iter().partition(|r| matches(r));
        self.recordings = keep;
        if stopped.is_empty() {
            return Err(SessionError::Record(match file {
                Some(f) => format!("nothing is being recorded to {f}"),
                None => "nothing is being recorded".into(),
            }));
        }
        self.rebuild();
        // The disk threads finish once the audio thread has let go of their taps.
        self.wait_for_graph(self.generation);
        let mut messages = Vec::new();
        for r in stopped {
            messages.push(self.finish_recording(r)?);
        }
        Ok(messages.join("; "))
    }

    pub(super) fn finish_recording(&mut self, r: crate::record::Recording) -> Result<String, SessionError> {
        let collector = &mut self.collector;
        r.finish(|| {
            // The replaced graph, then its taps, are freed by the collector (two rounds).
            collector.collect();
            collector.collect();
        })
        .map_err(SessionError::Record)
    }
}
