//! The commands `krd` understands, one variant per address.

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
    Master {
        gain: f32,
    },
    /// The whole session state as JSON.
    Dump,
}

/// A command with the sender's optional request id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub command: Command,
}

/// Every request address, for documentation checks.
pub const ADDRESSES: &[&str] = &[
    "/kr/status",
    "/kr/ping",
    "/kr/node/new",
    "/kr/node/free",
    "/kr/set",
    "/kr/get",
    "/kr/route",
    "/kr/unroute",
    "/kr/play",
    "/kr/hush",
    "/kr/mute",
    "/kr/unmute",
    "/kr/tempo",
    "/kr/meter",
    "/kr/master",
    "/kr/dump",
];

impl Command {
    /// The OSC address of this command.
    pub fn address(&self) -> &'static str {
        match self {
            Command::Status => "/kr/status",
            Command::Ping => "/kr/ping",
            Command::NodeNew { .. } => "/kr/node/new",
            Command::NodeFree { .. } => "/kr/node/free",
            Command::Set { .. } => "/kr/set",
            Command::Get { .. } => "/kr/get",
            Command::Route { .. } => "/kr/route",
            Command::Unroute { .. } => "/kr/unroute",
            Command::Play { .. } => "/kr/play",
            Command::Hush { .. } => "/kr/hush",
            Command::Mute { on: true, .. } => "/kr/mute",
            Command::Mute { on: false, .. } => "/kr/unmute",
            Command::Tempo { .. } => "/kr/tempo",
            Command::Meter { .. } => "/kr/meter",
            Command::Master { .. } => "/kr/master",
            Command::Dump => "/kr/dump",
        }
    }
}
