//! The command table: every request address declared once — its serde `cmd` tag, arguments,
//! reply, documentation line and the constructor of its [`Command`] — in the order of
//! `docs/protocol.md`. Like scsynth's command table, everything else is derived from it:
//! [`ADDRESSES`], signatures, decoding, encoding, the protocol document's check, and the table
//! the Python library reads (`kr._kr.command_table()`).

use crate::spec::{ArgSpec, CommandSpec, DefaultValue as D, Kind};
use crate::validate::{
    BPM_RANGE, DEFAULT_SUBSCRIBE_SECONDS, LINK_QUANTUM_RANGE, MAX_FADE_CYCLES, MAX_GAIN, MAX_MASTER,
    MAX_SUBSCRIBE_SECONDS, METER_RANGE,
};
use crate::Command;
use std::sync::LazyLock;

const fn arg(name: &'static str, kind: Kind) -> ArgSpec {
    ArgSpec::new(name, kind)
}

/// Node and route gains.
const GAIN: (f64, f64) = (0.0, MAX_GAIN);
const DONE: &str = "`/kr/done`";

const STATUS: CommandSpec = CommandSpec {
    address: "/kr/status",
    cmd: "status",
    fixed: None,
    args: &[],
    reply: "`/kr/status.reply json:s` (no `/kr/done`)",
    doc: "The liveness probe for tools and services.",
    build: |_| Some(Command::Status),
};
const PING: CommandSpec = CommandSpec {
    address: "/kr/ping",
    cmd: "ping",
    fixed: None,
    args: &[],
    reply: "`/kr/done` message \"pong\"",
    doc: "Check that `krd` answers",
    build: |_| Some(Command::Ping),
};
const NODE_NEW: CommandSpec = CommandSpec {
    address: "/kr/node/new",
    cmd: "node_new",
    fixed: None,
    args: &[
        arg("name", Kind::Path),
        arg("source", Kind::Source),
        arg("count", Kind::Voices).or(D::Int(1)),
        arg("gain", Kind::Single).range(GAIN.0, GAIN.1).or(D::Number(1.0)),
        arg("meta", Kind::Text).or(D::Text("")),
    ],
    reply: "`/kr/done` after the compile, or `/kr/fail` with libfaust's message",
    doc: "create a node, or redefine an existing one",
    build: |v| {
        Some(Command::NodeNew {
            name: v.string("name")?,
            source: v.source("source")?,
            count: u32::try_from(v.int("count")?).ok()?,
            gain: v.single("gain")?,
            meta: v.string("meta")?,
        })
    },
};
const COMPILE: CommandSpec = CommandSpec {
    address: "/kr/compile",
    cmd: "compile",
    fixed: None,
    args: &[arg("name", Kind::Path), arg("source", Kind::Source)],
    reply: "`/kr/done` when the program is compiled (or found in the cache), or `/kr/fail` with libfaust's message",
    doc: "compile a program ahead of need, without making a node",
    build: |v| Some(Command::Compile { name: v.string("name")?, source: v.source("source")? }),
};
const NODES: CommandSpec = CommandSpec {
    address: "/kr/nodes",
    cmd: "nodes",
    fixed: None,
    args: &[],
    reply: "`/kr/done` extra: name:s...",
    doc: "List the node names",
    build: |_| Some(Command::Nodes),
};
const NODE_INFO: CommandSpec = CommandSpec {
    address: "/kr/node/info",
    cmd: "node_info",
    fixed: None,
    args: &[arg("name", Kind::Path)],
    reply: "`/kr/done` extra: json:s",
    doc: "describe one node",
    build: |v| Some(Command::NodeInfo { name: v.string("name")? }),
};
const SAMPLES_LOAD: CommandSpec = CommandSpec {
    address: "/kr/samples/load",
    cmd: "samples_load",
    fixed: None,
    args: &[arg("bank", Kind::Path)],
    reply: DONE,
    doc: "load every file of a sample bank now",
    build: |v| Some(Command::SamplesLoad { bank: v.string("bank")? }),
};
const SAMPLES_LIST: CommandSpec = CommandSpec {
    address: "/kr/samples/list",
    cmd: "samples_list",
    fixed: None,
    args: &[],
    reply: "`/kr/done` extra: json:s",
    doc: "List the sample banks",
    build: |_| Some(Command::SamplesList),
};
const NODE_FREE: CommandSpec = CommandSpec {
    address: "/kr/node/free",
    cmd: "node_free",
    fixed: None,
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "remove a node, its routes and its patterns",
    build: |v| Some(Command::NodeFree { name: v.string("name")? }),
};
const SET: CommandSpec = CommandSpec {
    address: "/kr/set",
    cmd: "set",
    fixed: None,
    args: &[arg("path", Kind::Path), arg("value", Kind::Single)],
    reply: DONE,
    doc: "set a control (clamped to its range), a node's `gain`, or `master`",
    build: |v| Some(Command::Set { path: v.string("path")?, value: v.single("value")? }),
};
const GET: CommandSpec = CommandSpec {
    address: "/kr/get",
    cmd: "get",
    fixed: None,
    args: &[arg("path", Kind::Path)],
    reply: "`/kr/done` extra: value:f",
    doc: "the value as it sounds now",
    build: |v| Some(Command::Get { path: v.string("path")? }),
};
const FADE: CommandSpec = CommandSpec {
    address: "/kr/fade",
    cmd: "fade",
    fixed: None,
    args: &[
        arg("path", Kind::Path),
        arg("target", Kind::Single),
        arg("cycles", Kind::Number).range(0.0, MAX_FADE_CYCLES),
    ],
    reply: "`/kr/done` when the fade starts",
    doc: "move a control (clamped to its range) or a node's `gain` linearly",
    build: |v| {
        Some(Command::Fade { path: v.string("path")?, target: v.single("target")?, cycles: v.number("cycles")? })
    },
};
const ROUTE: CommandSpec = CommandSpec {
    address: "/kr/route",
    cmd: "route",
    fixed: None,
    args: &[
        arg("from", Kind::Path),
        arg("to", Kind::Path),
        arg("level", Kind::Single).range(GAIN.0, GAIN.1).or(D::Number(1.0)),
    ],
    reply: DONE,
    doc: "a post-fader send from one node to an effect (a node with inputs)",
    build: |v| Some(Command::Route { from: v.string("from")?, to: v.string("to")?, level: v.single("level")? }),
};
const UNROUTE: CommandSpec = CommandSpec {
    address: "/kr/unroute",
    cmd: "unroute",
    fixed: None,
    args: &[arg("from", Kind::Path), arg("to", Kind::Path)],
    reply: DONE,
    doc: "remove a send",
    build: |v| Some(Command::Unroute { from: v.string("from")?, to: v.string("to")? }),
};
const PLAY: CommandSpec = CommandSpec {
    address: "/kr/play",
    cmd: "play",
    fixed: None,
    args: &[arg("target", Kind::Path), arg("pattern", Kind::Pattern), arg("from_zero", Kind::Flag).or(D::Flag(false))],
    reply: DONE,
    doc: "play a pattern",
    build: |v| {
        Some(Command::Play {
            target: v.string("target")?,
            pattern: v.pattern("pattern")?,
            from_zero: v.flag("from_zero")?,
        })
    },
};
const HUSH: CommandSpec = CommandSpec {
    address: "/kr/hush",
    cmd: "hush",
    fixed: None,
    args: &[arg("target", Kind::Path).or(D::None)],
    reply: DONE,
    doc: "stop the pattern on `target`",
    build: |v| Some(Command::Hush { target: v.opt_string("target")? }),
};
const MUTE: CommandSpec = CommandSpec {
    address: "/kr/mute",
    cmd: "mute",
    fixed: Some(("on", true)),
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "silence a node's output and sends (smoothed)",
    build: |v| Some(Command::Mute { name: v.string("name")?, on: true }),
};
const UNMUTE: CommandSpec = CommandSpec {
    address: "/kr/unmute",
    cmd: "mute",
    fixed: Some(("on", false)),
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "let a muted node (or group) sound again",
    build: |v| Some(Command::Mute { name: v.string("name")?, on: false }),
};
const SOLO: CommandSpec = CommandSpec {
    address: "/kr/solo",
    cmd: "solo",
    fixed: Some(("on", true)),
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "solo a node (solo in place)",
    build: |v| Some(Command::Solo { name: v.string("name")?, on: true }),
};
const UNSOLO: CommandSpec = CommandSpec {
    address: "/kr/unsolo",
    cmd: "solo",
    fixed: Some(("on", false)),
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "end a node's solo",
    build: |v| Some(Command::Solo { name: v.string("name")?, on: false }),
};
const TEMPO: CommandSpec = CommandSpec {
    address: "/kr/tempo",
    cmd: "tempo",
    fixed: None,
    args: &[arg("bpm", Kind::Number).range(BPM_RANGE.0, BPM_RANGE.1)],
    reply: DONE,
    doc: "set the tempo",
    build: |v| Some(Command::Tempo { bpm: v.number("bpm")? }),
};
const METER: CommandSpec = CommandSpec {
    address: "/kr/meter",
    cmd: "meter",
    fixed: None,
    args: &[arg("beats", Kind::Number).range(METER_RANGE.0, METER_RANGE.1)],
    reply: DONE,
    doc: "beats per cycle",
    build: |v| Some(Command::Meter { beats: v.number("beats")? }),
};
const LINK: CommandSpec = CommandSpec {
    address: "/kr/link",
    cmd: "link",
    fixed: None,
    args: &[
        arg("on", Kind::Flag),
        arg("quantum", Kind::Number).range(LINK_QUANTUM_RANGE.0, LINK_QUANTUM_RANGE.1).or(D::Number(1.0)),
    ],
    reply: DONE,
    doc: "follow an Ableton Link session's tempo and beat phase",
    build: |v| Some(Command::Link { on: v.flag("on")?, quantum: v.number("quantum")? }),
};
const MASTER: CommandSpec = CommandSpec {
    address: "/kr/master",
    cmd: "master",
    fixed: None,
    args: &[arg("gain", Kind::Single).range(0.0, MAX_MASTER)],
    reply: DONE,
    doc: "set the master gain",
    build: |v| Some(Command::Master { gain: v.single("gain")? }),
};
const DUMP: CommandSpec = CommandSpec {
    address: "/kr/dump",
    cmd: "dump",
    fixed: None,
    args: &[],
    reply: "`/kr/done` extra: json:s",
    doc: "the session as JSON",
    build: |_| Some(Command::Dump),
};
const SCENE_SAVE: CommandSpec = CommandSpec {
    address: "/kr/scene/save",
    cmd: "scene_save",
    fixed: None,
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "store the whole session as a scene",
    build: |v| Some(Command::SceneSave { name: v.string("name")? }),
};
const SCENE_RECALL: CommandSpec = CommandSpec {
    address: "/kr/scene/recall",
    cmd: "scene_recall",
    fixed: None,
    args: &[arg("name", Kind::Path), arg("cycles", Kind::Number).range(0.0, MAX_FADE_CYCLES).or(D::Number(0.0))],
    reply: "`/kr/done` after any compile, or `/kr/fail` with libfaust's message",
    doc: "make the session equal the scene",
    build: |v| Some(Command::SceneRecall { name: v.string("name")?, cycles: v.number("cycles")? }),
};
const SCENE_LIST: CommandSpec = CommandSpec {
    address: "/kr/scene/list",
    cmd: "scene_list",
    fixed: None,
    args: &[],
    reply: "`/kr/done` extra: name:s...",
    doc: "List the scenes",
    build: |_| Some(Command::SceneList),
};
const SCENE_DELETE: CommandSpec = CommandSpec {
    address: "/kr/scene/delete",
    cmd: "scene_delete",
    fixed: None,
    args: &[arg("name", Kind::Path)],
    reply: DONE,
    doc: "forget a scene",
    build: |v| Some(Command::SceneDelete { name: v.string("name")? }),
};
const RECORD_START: CommandSpec = CommandSpec {
    address: "/kr/record/start",
    cmd: "record_start",
    fixed: None,
    args: &[arg("file", Kind::WavFile), arg("target", Kind::Path).or(D::None)],
    reply: DONE,
    doc: "record the master output, or one node's output (`target`), to a WAV file",
    build: |v| Some(Command::RecordStart { file: v.string("file")?, target: v.opt_string("target")? }),
};
const RECORD_STOP: CommandSpec = CommandSpec {
    address: "/kr/record/stop",
    cmd: "record_stop",
    fixed: None,
    args: &[arg("file", Kind::WavFile).or(D::None)],
    reply: "`/kr/done` when the files are complete, naming them",
    doc: "stop that recording, or every recording",
    build: |v| Some(Command::RecordStop { file: v.opt_string("file")? }),
};
const SUBSCRIBE: CommandSpec = CommandSpec {
    address: "/kr/notify/subscribe",
    cmd: "subscribe",
    fixed: None,
    args: &[arg("seconds", Kind::Number).range(1.0, MAX_SUBSCRIBE_SECONDS).or(D::Number(DEFAULT_SUBSCRIBE_SECONDS))],
    reply: "`/kr/done` extra: seconds:f",
    doc: "send notifications (below) to the sender",
    build: |v| Some(Command::Subscribe { seconds: v.number("seconds")? }),
};
const UNSUBSCRIBE: CommandSpec = CommandSpec {
    address: "/kr/notify/unsubscribe",
    cmd: "unsubscribe",
    fixed: None,
    args: &[],
    reply: DONE,
    doc: "Stop notifications to the sender",
    build: |_| Some(Command::Unsubscribe),
};

/// Every request address, in the order of `docs/protocol.md`.
pub const TABLE: &[CommandSpec] = &[
    STATUS,
    PING,
    NODE_NEW,
    COMPILE,
    NODE_FREE,
    NODES,
    NODE_INFO,
    SET,
    GET,
    FADE,
    ROUTE,
    UNROUTE,
    PLAY,
    HUSH,
    MUTE,
    UNMUTE,
    SOLO,
    UNSOLO,
    TEMPO,
    METER,
    LINK,
    MASTER,
    DUMP,
    SCENE_SAVE,
    SCENE_RECALL,
    SCENE_LIST,
    SCENE_DELETE,
    RECORD_START,
    RECORD_STOP,
    SUBSCRIBE,
    UNSUBSCRIBE,
    SAMPLES_LOAD,
    SAMPLES_LIST,
    MIDI_OUT,
    MIDI_CLOCK,
    MIDI_FOLLOW,
    MIDI_MAP,
    MIDI_LEARN,
    MIDI_NOTES,
    MIDI_UNMAP,
];

const COUNT: usize = TABLE.len();
const ADDRESS_LIST: [&str; COUNT] = {
    let mut out = [""; COUNT];
    let mut i = 0;
    while i < COUNT {
        out[i] = TABLE[i].address;
        i += 1;
    }
    out
};

/// Every request address (the addresses of [`TABLE`], in its order).
pub const ADDRESSES: &[&str] = &ADDRESS_LIST;

const MIDI_OUT: CommandSpec = CommandSpec {
    address: "/kr/midi/out",
    cmd: "midi_out",
    fixed: None,
    args: &[
        arg("name", Kind::Path),
        arg("channel", Kind::Int).range(1.0, 16.0).or(D::Int(1)),
        arg("port", Kind::Path).or(D::Text("midi_out")),
    ],
    reply: DONE,
    doc: "create a MIDI out (JACK MIDI port `<name>/<port>`) that patterns play, or change its channel; `/kr/node/free` frees it",
    build: |v| {
        Some(Command::MidiOut { name: v.string("name")?, channel: v.int("channel")?, port: v.string("port")? })
    },
};
const MIDI_CLOCK: CommandSpec = CommandSpec {
    address: "/kr/midi/clock",
    cmd: "midi_clock",
    fixed: None,
    args: &[arg("action", Kind::Path)],
    reply: DONE,
    doc: "MIDI clock out: `start` or `continue` (on the next cycle) or `stop`",
    build: |v| Some(Command::MidiClock { action: v.string("action")? }),
};
const MIDI_FOLLOW: CommandSpec = CommandSpec {
    address: "/kr/midi/follow",
    cmd: "midi_follow",
    fixed: None,
    args: &[arg("on", Kind::Flag)],
    reply: DONE,
    doc: "let the tempo follow the MIDI clock arriving at `midi_in` (1), or stop (0)",
    build: |v| Some(Command::MidiFollow { on: v.flag("on")? }),
};
const MIDI_MAP: CommandSpec = CommandSpec {
    address: "/kr/midi/map",
    cmd: "midi_map",
    fixed: None,
    args: &[
        arg("cc", Kind::Int).range(0.0, 127.0),
        arg("path", Kind::Path),
        arg("lo", Kind::Single).or(D::Number(0.0)),
        arg("hi", Kind::Single).or(D::Number(1.0)),
        arg("channel", Kind::Int).range(0.0, 16.0).or(D::Int(0)),
    ],
    reply: DONE,
    doc: "map a MIDI controller (channel 0: any) linearly onto a control, a node's `gain` or `master`",
    build: |v| {
        Some(Command::MidiMap {
            cc: v.int("cc")?,
            path: v.string("path")?,
            lo: v.single("lo")?,
            hi: v.single("hi")?,
            channel: v.int("channel")?,
        })
    },
};
const MIDI_LEARN: CommandSpec = CommandSpec {
    address: "/kr/midi/learn",
    cmd: "midi_learn",
    fixed: None,
    args: &[
        arg("path", Kind::Path),
        arg("lo", Kind::Single).or(D::Number(0.0)),
        arg("hi", Kind::Single).or(D::Number(1.0)),
    ],
    reply: "`/kr/done` at once; the mapping is made when a controller moves (`/kr/notify/state`)",
    doc: "map the next MIDI controller moved onto a path",
    build: |v| Some(Command::MidiLearn { path: v.string("path")?, lo: v.single("lo")?, hi: v.single("hi")? }),
};
const MIDI_NOTES: CommandSpec = CommandSpec {
    address: "/kr/midi/notes",
    cmd: "midi_notes",
    fixed: None,
    args: &[arg("node", Kind::Path), arg("channel", Kind::Int).range(0.0, 16.0).or(D::Int(0))],
    reply: DONE,
    doc: "play a node's voices from MIDI input's notes (channel 0: any)",
    build: |v| Some(Command::MidiNotes { node: v.string("node")?, channel: v.int("channel")? }),
};
const MIDI_UNMAP: CommandSpec = CommandSpec {
    address: "/kr/midi/unmap",
    cmd: "midi_unmap",
    fixed: None,
    args: &[arg("path", Kind::Path)],
    reply: DONE,
    doc: "remove the MIDI mappings onto a path (controllers) or a node (notes)",
    build: |v| Some(Command::MidiUnmap { path: v.string("path")? }),
};

impl Command {
    /// The table entry of this command's address.
    pub fn spec(&self) -> &'static CommandSpec {
        match self {
            Command::Status => &STATUS,
            Command::Ping => &PING,
            Command::NodeNew { .. } => &NODE_NEW,
            Command::Compile { .. } => &COMPILE,
            Command::NodeFree { .. } => &NODE_FREE,
            Command::Nodes => &NODES,
            Command::NodeInfo { .. } => &NODE_INFO,
            Command::Set { .. } => &SET,
            Command::Get { .. } => &GET,
            Command::Fade { .. } => &FADE,
            Command::Route { .. } => &ROUTE,
            Command::Unroute { .. } => &UNROUTE,
            Command::Play { .. } => &PLAY,
            Command::Hush { .. } => &HUSH,
            Command::Mute { on: true, .. } => &MUTE,
            Command::Mute { on: false, .. } => &UNMUTE,
            Command::Solo { on: true, .. } => &SOLO,
            Command::Solo { on: false, .. } => &UNSOLO,
            Command::Tempo { .. } => &TEMPO,
            Command::Meter { .. } => &METER,
            Command::Link { .. } => &LINK,
            Command::Master { .. } => &MASTER,
            Command::Dump => &DUMP,
            Command::SceneSave { .. } => &SCENE_SAVE,
            Command::SceneRecall { .. } => &SCENE_RECALL,
            Command::SceneList => &SCENE_LIST,
            Command::SceneDelete { .. } => &SCENE_DELETE,
            Command::RecordStart { .. } => &RECORD_START,
            Command::RecordStop { .. } => &RECORD_STOP,
            Command::Subscribe { .. } => &SUBSCRIBE,
            Command::Unsubscribe => &UNSUBSCRIBE,
            Command::SamplesLoad { .. } => &SAMPLES_LOAD,
            Command::SamplesList => &SAMPLES_LIST,
            Command::MidiOut { .. } => &MIDI_OUT,
            Command::MidiClock { .. } => &MIDI_CLOCK,
            Command::MidiFollow { .. } => &MIDI_FOLLOW,
            Command::MidiMap { .. } => &MIDI_MAP,
            Command::MidiLearn { .. } => &MIDI_LEARN,
            Command::MidiNotes { .. } => &MIDI_NOTES,
            Command::MidiUnmap { .. } => &MIDI_UNMAP,
        }
    }
}

impl CommandSpec {
    /// The signature as printed in errors and `docs/protocol.md`: `name:s [count:i]`, or
    /// `no arguments`.
    pub fn signature(&self) -> &'static str {
        static SIGNATURES: LazyLock<Vec<String>> =
            LazyLock::new(|| TABLE.iter().map(|spec| signature_text(spec.args)).collect());
        TABLE.iter().position(|s| s.address == self.address).and_then(|i| SIGNATURES.get(i)).map_or("", String::as_str)
    }
}

fn signature_text(args: &[ArgSpec]) -> String {
    if args.is_empty() {
        return "no arguments".into();
    }
    args.iter().map(ArgSpec::signature).collect::<Vec<_>>().join(" ")
}

/// The table entry of a request address.
pub fn command_spec(address: &str) -> Option<&'static CommandSpec> {
    TABLE.iter().find(|s| s.address == address)
}

/// The signature of a request address as documented (`"path:s value:f"`), or None.
pub fn signature(address: &str) -> Option<&'static str> {
    command_spec(address).map(CommandSpec::signature)
}
