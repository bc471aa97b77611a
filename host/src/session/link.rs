//! Following an Ableton Link session (`/kr/link`): the session's part; the Link peer itself is
//! `crate::link`.

use super::{Session, SessionError};

impl Session {
    /// Join (`on`) or leave the Link session; `quantum` in cycles.
    pub fn link(&mut self, on: bool, quantum: f64) -> Result<String, SessionError> {
        self.link_check(on, quantum)?;
        let live = self.rt.clock_usecs().is_some();
        Ok(self.link.set(on, quantum, &self.clock, live)?)
    }

    /// Whether [`Session::link`] would succeed, changing nothing (a bundle checks its Link
    /// request before anything of it is applied, and joins or leaves last).
    pub fn link_check(&self, on: bool, quantum: f64) -> Result<(), SessionError> {
        let (lo, hi) = kr_osc::LINK_QUANTUM_RANGE;
        if !(lo..=hi).contains(&quantum) {
            return Err(SessionError::OutOfRange {
                what: "Link quantum (cycles)".into(),
                value: quantum,
                range: (lo, hi),
            });
        }
        Ok(crate::link::LinkSync::check(on, self.rt.clock_usecs().is_some())?)
    }

    /// Move the clock onto the Link session's beats (a no-op unless Link is on). Only what is
    /// not yet scheduled moves.
    pub(super) fn link_poll(&mut self) {
        let anchor = self.scheduler.scheduled_until();
        let cycle = self.rt.telemetry().cycle();
        let rt = &self.rt;
        self.link.poll(&mut self.clock, anchor, cycle, &|| rt.clock_usecs());
    }

    /// The `link` object of `/kr/status`.
    pub fn link_status(&self) -> serde_json::Value {
        self.link.status()
    }

    /// The Link quantum (cycles) while Link is on: what the state file keeps.
    pub fn link_saved(&self) -> Option<f64> {
        self.link.saved()
    }
}
