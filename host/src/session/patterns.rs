//! Patterns, tempo, and the scheduler tick.

use super::model::ValuePath;
use super::{Session, SessionError};
use crate::scheduler::{NoteTarget, Slot, Target, ValueTarget};
use kr_pattern::ir::Ir;
use kr_pattern::Time;

impl Session {
    /// What a pattern on `target` drives: notes on a node, or a value (a control, a node's
    /// fader, master).
    pub(super) fn target_for(&self, target: &str) -> Result<Target, SessionError> {
        if let Some(t) = self.midi_target(target) {
            return Ok(t);
        }
        if let Some(t) = self.orbit_target(target) {
            return Ok(t);
        }
        if let Ok(n) = self.model.get(target) {
            let info = n.factory.info();
            let find =
                |name: &str| info.control_index(name).filter(|&i| !info.controls[i].kind.is_output()).map(|i| i as u16);
            return Ok(Target::Notes(NoteTarget {
                node: n.key,
                voices: n.count as u16,
                freq: find("freq"),
                midi: find("note").or_else(|| find("midi")),
                gate: find("gate"),
                controls: info
                    .controls
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !c.kind.is_output())
                    .map(|(i, c)| (c.label.clone(), i as u16))
                    .collect(),
            }));
        }
        let nodes = self.model.nodes();
        // Neither a node nor a value of one: name the whole target, not the part before its `/`.
        let value = self.model.value_path(target).map_err(|e| match e {
            SessionError::NoNode(_) => SessionError::NoTarget(target.into()),
            other => other,
        })?;
        Ok(Target::Value(match value {
            ValuePath::Master => ValueTarget::Master,
            ValuePath::Gain { node } => ValueTarget::Gain { node: nodes[node].key },
            ValuePath::Control { node, control } => {
                ValueTarget::Control { node: nodes[node].key, control: control as u16 }
            }
        }))
    }

    pub fn play(&mut self, target: &str, ir: Ir, from_zero: bool) -> Result<String, SessionError> {
        self.orbit_for_pattern(target)?;
        let t = self.target_for(target)?;
        let slot = Slot::new(t, ir, from_zero, &self.scheduler).map_err(SessionError::Pattern)?;
        self.try_query(&slot)?;
        // A pattern takes over a value from a fade, as a set takes over from a pattern.
        self.scheduler.cancel_fade(target);
        self.scheduler.play(target, slot);
        Ok(format!("playing on {target}"))
    }

    /// Query the next two cycles a new pattern plays, within the work a scheduling step may take
    /// for them: a pattern too dense to play is refused here rather than stopped while playing.
    fn try_query(&self, slot: &Slot) -> Result<(), SessionError> {
        let from = self.scheduler.scheduled_until().floor();
        let budget = 8 * crate::scheduler::QUERY_BUDGET;
        let query = || kr_pattern::budget::with_budget(budget, || slot.query(from, from + Time::from_integer(2)));
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(query)) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(SessionError::Pattern(format!(
                "it makes too many events to play: its next two cycles need more than {budget} units of \
                 query work (roughly events); a pattern such as \"[[a*1000]*1000]*1000\" asks for a billion \
                 events per cycle"
            ))),
            Err(_) => Err(SessionError::Pattern("its query fails (arithmetic overflow in an extreme pattern)".into())),
        }
    }

    /// After a redefinition, re-resolve the targets of the patterns and fades on that node (its
    /// controls may have moved); one whose control is gone stops.
    pub(super) fn retarget_patterns(&mut self, node: &str) {
        if let Ok(n) = self.model.get(node) {
            let key = n.key;
            let index = |label: &str| n.control_index(label).ok().map(|i| i as u16);
            self.scheduler.retarget_fades(key, index);
        }
        for t in self.scheduler.targets_of(node) {
            match self.target_for(&t) {
                Ok(target) => self.scheduler.retarget(&t, target),
                Err(_) => {
                    self.scheduler.stop(&t);
                }
            }
        }
    }

    pub fn hush(&mut self, target: Option<&str>) -> Result<String, SessionError> {
        let Some(t) = target else {
            self.scheduler.stop_all();
            return Ok("all patterns stopped".into());
        };
        // The pattern on `t` itself; or, when there is none, every pattern under `t/` (a group:
        // `drums` stops `drums/kick` and `drums/hat`).
        let stopped: Vec<String> =
            if self.scheduler.is_playing(t) { vec![t.to_string()] } else { self.scheduler.targets_of(t) };
        if stopped.is_empty() {
            return Err(SessionError::NothingPlaying(t.into()));
        }
        for k in &stopped {
            self.scheduler.stop(k);
        }
        Ok(format!("{} stopped", stopped.join(", ")))
    }

    /// Tempo and meter change at the end of what is already scheduled, so nothing jumps. Both
    /// must be within the protocol's ranges (a restored state file is checked here too).
    pub fn tempo(&mut self, bpm: Option<f64>, meter: Option<f64>) -> Result<String, SessionError> {
        let bpm = bpm.unwrap_or(self.clock.bpm);
        let meter = meter.unwrap_or(self.clock.meter);
        for (what, v, (lo, hi)) in [("tempo", bpm, kr_osc::BPM_RANGE), ("meter", meter, kr_osc::METER_RANGE)] {
            if !(lo..=hi).contains(&v) {
                return Err(SessionError::OutOfRange { what: what.into(), value: v, range: (lo, hi) });
            }
        }
        self.clock.set_tempo(bpm, meter, self.scheduler.scheduled_until());
        Ok(format!("tempo {bpm} bpm, {meter} beats per cycle"))
    }

    /// The patterns that failed while playing (and were stopped) since the last call: (target,
    /// why).
    pub fn take_failed_patterns(&mut self) -> Vec<(String, String)> {
        self.scheduler.take_failed()
    }

    /// What the playing patterns got wrong without being stopped (a string that is no note on a
    /// synth), once per pattern, since the last call: (target, why).
    pub fn take_pattern_warnings(&mut self) -> Vec<(String, String)> {
        self.scheduler.take_warnings()
    }

    /// The nodes the audio thread silenced and reset for NaN or infinity since the last call.
    pub fn take_faulted_nodes(&mut self) -> Vec<String> {
        let keys = self.rt.take_faults();
        self.model.nodes().iter().filter(|n| keys.contains(&n.key)).map(|n| n.name.clone()).collect()
    }

    /// Schedule ahead of the audio clock and tidy up after finished crossfades.
    pub fn tick(&mut self) {
        self.rt.maintain();
        self.link_poll();
        let now = self.now();
        let horizon = now + self.lookahead_frames();
        self.scheduler.skip_to(self.clock.grid_cycle_at(now));
        // Query in steps of a quarter of the lookahead, not on every tick: events stay at least
        // three quarters of the lookahead ahead of the clock, and each query covers more time.
        let step = (self.settings.lookahead_seconds * self.clock.cps() / 4.0).max(0.0);
        let begin = self.scheduler.scheduled_until();
        let scheduled = num_traits::ToPrimitive::to_f64(&begin).unwrap_or(0.0);
        if self.clock.cycle_at(horizon) - scheduled >= step {
            let rt = &mut self.rt;
            let mut full = false;
            self.scheduler.tick(&self.clock, horizon, &mut |ev| full |= rt.send(ev).is_err());
            if full {
                rt.telemetry().dropped_events.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        self.dirt_tick();
        let end = self.scheduler.scheduled_until();
        self.midi_tick(begin, end);
        self.midi_poll();
        let finished = |n: &super::model::NodeModel| matches!(n.prev, Some((_, until)) if until <= now);
        if self.model.nodes().iter().any(finished) {
            for n in self.model.nodes_mut().iter_mut().filter(|n| finished(n)) {
                n.prev = None;
            }
            self.rebuild();
        }
        self.lanes_taken_up();
        self.rt.release_ports();
        self.rt.collect();
    }
}
