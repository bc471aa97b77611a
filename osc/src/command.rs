//! The commands `krd` understands: one variant per address, except that `/kr/mute` and
//! `/kr/unmute` (and `/kr/solo`, `/kr/unsolo`) share one, told apart by `on`.

use kr_pattern::ir::Ir;
use serde::{Deserialize, Serialize};

/// Where a node's DSP comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DspSource {
    /// FAUST source text.
    Faust(String),
    /// A program from the engine's dsp directory: `faust:drums/kick`.
    File(String),
}

impl DspSource {
    /// `faust:<type>` names a dsp-directory program; anything else is FAUST source.
    pub fn parse(s: &str) -> DspSource {
        match s.strip_prefix("faust:") {
            Some(t) if !t.contains(['\n', ';', '=']) => DspSource::File(t.to_string()),
            _ => DspSource::Faust(s.to_string()),
        }
    }

    /// The wire form.
    pub fn to_wire(&self) -> String {
        match self {
            DspSource::Faust(s) => s.clone(),
            DspSource::File(t) => format!("faust:{t}"),
        }
    }
}

/// One engine command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Liveness and load; answered with `/kr/status.reply`.
    Status,
    Ping,
    /// Create (or redefine, crossfading) a node.
    NodeNew {
        name: String,
        source: DspSource,
        count: u32,
        gain: f32,
        /// Client data kept with the node and returned in the dump (the Python library keeps the
        /// DSP function's source here, for `kr.export`). Empty: none.
        #[serde(default)]
        meta: String,
    },
    /// Compile a program into the engine's compile cache without making a node, so that a node
    /// made from it later starts without waiting for the compiler. `name` only labels messages.
    Compile {
        name: String,
        source: DspSource,
    },
    NodeFree {
        name: String,
    },
    /// Set a control (`bass/cutoff`) or a node's `gain` (`bass/gain`).
    Set {
        path: String,
        value: f32,
    },
    Get {
        path: String,
    },
    Route {
        from: String,
        to: String,
        level: f32,
    },
    Unroute {
        from: String,
        to: String,
    },
    /// Play a pattern on a node (notes) or a control path (values).
    Play {
        target: String,
        pattern: Ir,
        from_zero: bool,
    },
    /// Stop the pattern on a target; every pattern when `target` is None.
    Hush {
        target: Option<String>,
    },
    Mute {
        name: String,
        on: bool,
    },
    Tempo {
        bpm: f64,
    },
    Meter {
        beats: f64,
    },
    /// Join (`on`) or leave the Ableton Link session; `quantum` is in cycles (Link's quantum in
    /// beats is `meter × quantum`). Only a krd built with the `link` feature can join.
    Link {
        on: bool,
        quantum: f64,
    },
    Master {
        gain: f32,
    },
    /// The whole session state as JSON.
    Dump,
    /// Move a control (or a node's `gain`) to `target` over `cycles` (0: at once).
    Fade {
        path: String,
        target: f32,
        cycles: f64,
    },
    /// Solo (`on`) or unsolo a node: while any node is soloed, only soloed nodes (and the
    /// effects they feed) sound.
    Solo {
        name: String,
        on: bool,
    },
    /// Store the current nodes' controls, gains, mutes, routes and patterns as a scene.
    SceneSave {
        name: String,
    },
    /// Return to a scene, crossfading controls and gains over `cycles` (0: at once).
    SceneRecall {
        name: String,
        #[serde(default)]
        cycles: f64,
    },
    /// The scene names.
    SceneList,
    /// The node names.
    Nodes,
    /// One node as the dump describes it, with the patterns playing on it.
    NodeInfo {
        name: String,
    },
    SceneDelete {
        name: String,
    },
    /// Load every file of a sample bank now (banks otherwise load file by file when played).
    SamplesLoad {
        bank: String,
    },
    /// The sample banks krd finds, with their files and what is loaded.
    SamplesList,
    /// Create a MIDI out (a JACK MIDI port `<name>/<port>` patterns play), or change its channel.
    MidiOut {
        name: String,
        /// 1..16.
        channel: i64,
        port: String,
    },
    /// MIDI clock transport: `start`, `stop` or `continue`.
    MidiClock {
        action: String,
    },
    /// Let the tempo follow the MIDI clock arriving at krd's MIDI input (`on`), or stop.
    MidiFollow {
        on: bool,
    },
    /// Map MIDI controller `cc` (on `channel` 1..16, 0: any) linearly onto `path` over `lo..hi`.
    MidiMap {
        cc: i64,
        path: String,
        lo: f32,
        hi: f32,
        channel: i64,
    },
    /// Map the next controller moved onto `path` over `lo..hi`.
    MidiLearn {
        path: String,
        lo: f32,
        hi: f32,
    },
    /// Play node `node`'s voices from MIDI input's notes (on `channel` 1..16, 0: any).
    MidiNotes {
        node: String,
        channel: i64,
    },
    /// Remove the MIDI mappings onto `path` (controllers) or node `path` (notes).
    MidiUnmap {
        path: String,
    },
    /// Record the master (or one node's output, `target`) to a WAV file in the recording
    /// directory.
    RecordStart {
        file: String,
        #[serde(default)]
        target: Option<String>,
    },
    /// Stop one recording, or all when `file` is None.
    RecordStop {
        #[serde(default)]
        file: Option<String>,
    },
    /// Subscribe the sender to notifications for `seconds`; subscribing again renews.
    Subscribe {
        #[serde(default = "default_subscribe_seconds")]
        seconds: f64,
    },
    Unsubscribe,
}

fn default_subscribe_seconds() -> f64 {
    crate::validate::DEFAULT_SUBSCRIBE_SECONDS
}

/// A command with the sender's optional request id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub command: Command,
}

impl Command {
    /// The OSC address of this command (from [`crate::TABLE`]).
    pub fn address(&self) -> &'static str {
        self.spec().address
    }
}
