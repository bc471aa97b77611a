//! Voices in lanes: several voices of one program computed by one FAUST instance.
//!
//! A voice alone is a chain of recursions (an oscillator's phase, a filter's state) whose every
//! sample waits for the one before; the CPU spends most of a voice's time waiting on that chain.
//! [`LANES`] copies of the voice side by side in one program (`par`) give LLVM independent chains
//! in one loop, which it interleaves and packs into vector registers: on an AVX2 machine eight
//! saw→lowpass voices in one instance cost about half what eight instances do.
//!
//! The lanes program is the voice's own source with one definition added, compiled with that
//! definition as its entry point (`-pn`): every lane is the voice's `process` in a group named
//! `kr_lane<i>`, so each lane has its own controls, in lane order, each lane's in the voice's own
//! order. [`Lanes::new`] checks that against the voice's controls before anything relies on it.
//! Lane `i`'s outputs are channels `i * outputs ..`; the engine sums them as it sums voices.
//!
//! Only sources (no audio inputs) go in lanes: an effect's voices would each need the node's
//! inputs, and an effect is rarely polyphonic.

use crate::{DspInfo, Factory, MAX_CHANNELS};
use std::sync::Arc;

/// Voices in one lanes program (eight 32-bit floats fill an AVX2 register).
pub const LANES: usize = 8;

/// The lanes program's entry point.
const ENTRY: &str = "kr_lanes";
/// Each lane's group: `kr_lane0`, `kr_lane1`, ...
const GROUP: &str = "kr_lane";

/// The FAUST source of [`LANES`] voices of `voice_source` side by side (compiled with
/// [`lanes_args`]).
pub fn lanes_source(voice_source: &str) -> String {
    format!("{voice_source}\n{ENTRY} = par(i, {LANES}, hgroup(\"{GROUP}%i\", process));\n")
}

/// The libfaust arguments that make [`lanes_source`]'s definition the entry point.
pub fn lanes_args() -> [String; 2] {
    ["-pn".into(), ENTRY.into()]
}

/// Whether a program with this shape may go in lanes: a source whose lanes fit the channel limit.
pub fn fits(voice: &DspInfo) -> bool {
    voice.inputs == 0 && voice.outputs > 0 && voice.outputs * LANES <= MAX_CHANNELS
}

/// A lanes program checked against its voice: [`LANES`] voices in one instance.
#[derive(Debug)]
pub struct Lanes {
    factory: Arc<Factory>,
    controls: usize,
}

impl Lanes {
    /// Check that `lanes` (compiled from [`lanes_source`] of `voice`'s source) holds [`LANES`]
    /// copies of `voice`: no inputs, `LANES` times its outputs, and lane `i`'s controls at
    /// `i * controls + c` matching the voice's control `c` in kind, range and path.
    pub fn new(voice: &DspInfo, lanes: Arc<Factory>) -> Result<Lanes, String> {
        let info = lanes.info();
        if !fits(voice) {
            return Err(format!(
                "a program with {} inputs and {} outputs does not go in lanes",
                voice.inputs, voice.outputs
            ));
        }
        if info.inputs != 0 || info.outputs != voice.outputs * LANES {
            return Err(format!(
                "the lanes program has {} inputs and {} outputs, not 0 and {}",
                info.inputs,
                info.outputs,
                voice.outputs * LANES
            ));
        }
        let per_lane = voice.controls.len();
        if info.controls.len() != per_lane * LANES {
            return Err(format!("the lanes program has {} controls, not {}", info.controls.len(), per_lane * LANES));
        }
        for (i, lane) in info.controls.chunks(per_lane.max(1)).enumerate() {
            let group = format!("{GROUP}{i}/");
            for (c, v) in lane.iter().zip(&voice.controls) {
                let inner = c.path.strip_prefix(&group);
                // The voice's own outermost group is not part of its paths, but is of the lane's.
                let same_path = inner.is_some_and(|p| p == v.path || p.ends_with(&format!("/{}", v.path)));
                let same = c.label == v.label
                    && c.kind == v.kind
                    && c.init == v.init
                    && c.min == v.min
                    && c.max == v.max
                    && c.step == v.step;
                if !same_path || !same {
                    return Err(format!("lane {i}'s control '{}' is not the voice's '{}'", c.path, v.path));
                }
            }
        }
        Ok(Lanes { factory: lanes, controls: per_lane })
    }

    /// The lanes program.
    pub fn factory(&self) -> &Arc<Factory> {
        &self.factory
    }

    /// Controls of one lane (lane `i`'s control `c` is the instance's control `i * controls + c`).
    pub fn controls(&self) -> usize {
        self.controls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lanes_source_appends_an_entry_point_of_lanes_copies() {
        let s = lanes_source("process = os.osc(440);");
        assert!(s.starts_with("process = os.osc(440);\n"));
        assert!(s.contains("kr_lanes = par(i, 8, hgroup(\"kr_lane%i\", process));"));
        assert_eq!(lanes_args(), ["-pn".to_string(), "kr_lanes".to_string()]);
    }
}
