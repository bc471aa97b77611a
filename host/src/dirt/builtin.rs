//! The FAUST programs krd ships as `faust:dirt/<name>` types: the orbit (its global effects)
//! and Dirt synths named as SuperDirt's, so Tidal code that calls them sounds out of the box.

/// The orbit node's type.
pub const ORBIT_TYPE: &str = "dirt/orbit";

/// (type, FAUST source) of every bundled program.
pub const PROGRAMS: &[(&str, &str)] = &[
    ("dirt/orbit", include_str!("../../dsp/dirt/orbit.dsp")),
    ("dirt/superpiano", include_str!("../../dsp/dirt/superpiano.dsp")),
    ("dirt/supersaw", include_str!("../../dsp/dirt/supersaw.dsp")),
    ("dirt/supersquare", include_str!("../../dsp/dirt/supersquare.dsp")),
    ("dirt/superpwm", include_str!("../../dsp/dirt/superpwm.dsp")),
    ("dirt/superfm", include_str!("../../dsp/dirt/superfm.dsp")),
    ("dirt/superhammond", include_str!("../../dsp/dirt/superhammond.dsp")),
    ("dirt/supergong", include_str!("../../dsp/dirt/supergong.dsp")),
    ("dirt/supermandolin", include_str!("../../dsp/dirt/supermandolin.dsp")),
];

/// The source of bundled type `t` (`dirt/orbit`, `dirt/superpiano`, ...).
pub fn source(t: &str) -> Option<&'static str> {
    PROGRAMS.iter().find(|(name, _)| *name == t).map(|(_, src)| *src)
}

/// The bundled synth named `name` as `s` names it (`superpiano` → `dirt/superpiano`).
pub fn synth_type(name: &str) -> Option<&'static str> {
    PROGRAMS.iter().map(|(t, _)| *t).find(|t| *t != ORBIT_TYPE && t.strip_prefix("dirt/") == Some(name))
}
