//! Patterns, tempo, and the scheduler tick.

use super::*;

impl Session {
    pub(super) fn target_for(&self, target: &str) -> Result<Target, SessionError> {
        if let Ok(n) = self.node(target) {
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
        let (node, control) = self.split_path(target)?;
        let n = self.node(node)?;
        let c = Self::control_index(n, control)?;
        Ok(Target::Control { node: n.key, control: c as u16 })
    }

    pub fn play(&mut self, target: &str, ir: Ir, from_zero: bool) -> Result<String, SessionError> {
        let t = self.target_for(target)?;
        let pattern = ir.to_pattern().map_err(|e| SessionError::Pattern(e.to_string()))?;
        let offset = if from_zero { self.scheduler.scheduled_until.ceil() } else { Time::from_integer(0) };
        self.scheduler.slots.insert(target.into(), Slot { target: t, pattern, offset });
        self.patterns.insert(target.into(), PlayingPattern { ir, from_zero });
        Ok(format!("playing on {target}"))
    }

    /// After a redefinition, re-resolve control indices of the patterns on that node.
    pub(super) fn retarget_patterns(&mut self, node: &str) {
        let prefix = format!("{node}/");
        let targets: Vec<String> =
            self.scheduler.slots.keys().filter(|t| *t == node || t.starts_with(&prefix)).cloned().collect();
        for t in targets {
            match self.target_for(&t) {
                Ok(target) => {
                    if let Some(s) = self.scheduler.slots.get_mut(&t) {
                        s.target = target;
                    }
                }
                Err(_) => {
                    self.scheduler.slots.remove(&t);
                    self.patterns.remove(&t);
                }
            }
        }
    }

    pub fn hush(&mut self, target: Option<&str>) -> Result<String, SessionError> {
        match target {
            None => {
                self.scheduler.slots.clear();
                self.patterns.clear();
                Ok("all patterns stopped".into())
            }
            Some(t) => {
                // The pattern on `t` itself; or, when there is none, every pattern under `t/` (a
                // group: `drums` stops `drums/kick` and `drums/hat`).
                let prefix = format!("{t}/");
                let stopped: Vec<String> = if self.patterns.contains_key(t) {
                    vec![t.to_string()]
                } else {
                    self.patterns.keys().filter(|k| k.starts_with(&prefix)).cloned().collect()
                };
                if stopped.is_empty() {
                    return Err(SessionError::NothingPlaying(t.into()));
                }
                for k in &stopped {
                    self.patterns.remove(k);
                    self.scheduler.slots.remove(k);
                }
                Ok(format!("{} stopped", stopped.join(", ")))
            }
        }
    }

    /// Tempo and meter change at the end of what is already scheduled, so nothing jumps.
    pub fn tempo(&mut self, bpm: Option<f64>, meter: Option<f64>) -> Result<String, SessionError> {
        let bpm = bpm.unwrap_or(self.clock.bpm);
        let meter = meter.unwrap_or(self.clock.meter);
        let at = self.scheduler.scheduled_until;
        self.clock.set_tempo(bpm, meter, at);
        Ok(format!("tempo {bpm} bpm, {meter} beats per cycle"))
    }

    /// Schedule ahead of the audio clock and tidy up after finished crossfades.
    pub fn tick(&mut self) {
        let now = self.now();
        let horizon = now + (self.settings.lookahead_seconds * self.sample_rate as f64) as u64;
        if self.clock.grid_cycle_at(now) > self.scheduler.scheduled_until {
            // The clock ran past what was scheduled (start-up, or a stall): skip, don't burst.
            self.scheduler.scheduled_until = self.clock.grid_cycle_at(now);
        }
        // Query in steps of a quarter of the lookahead, not on every tick: events stay at least
        // three quarters of the lookahead ahead of the clock, and each query covers more time.
        let step = (self.settings.lookahead_seconds * self.clock.cps() / 4.0).max(0.0);
        let ahead = self.clock.cycle_at(horizon)
            - num_traits::ToPrimitive::to_f64(&self.scheduler.scheduled_until).unwrap_or(0.0);
        let link = &mut self.link;
        let mut full = false;
        if ahead >= step {
            self.scheduler.tick(&self.clock, horizon, &mut |ev| full |= !link.send(ev));
        }
        if full {
            link.telemetry.dropped_events.fetch_add(1, Relaxed);
        }
        for target in std::mem::take(&mut self.scheduler.failed) {
            self.patterns.remove(&target);
        }
        if self.nodes.iter().any(|n| matches!(n.prev, Some((_, until)) if until <= now)) {
            for n in &mut self.nodes {
                if matches!(n.prev, Some((_, until)) if until <= now) {
                    n.prev = None;
                }
            }
            self.rebuild();
        }
        self.release_ports();
        self.collector.collect();
    }
}
