//! Audio backends: what the session and the real-time graph know of the audio system.
//!
//! A backend registers each node's ports (`<client>:<node>/in_N`, `out_N`), lends their buffers
//! to the engine for one block, and tells the time of its clock. The JACK client
//! (`crate::jack_backend`) is one backend and [`Offline`] (`krd render`, tests, benchmarks) the
//! other; nothing outside `jack_backend` names a JACK type.

use crate::service::patchbay::Connection;

/// A port as the session and the real-time graph hold it: an opaque handle that only the backend
/// that made it can resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRef(usize);

impl PortRef {
    /// A handle for the backend's own value `raw` (for JACK, a slot of its port table, which
    /// stays the same when the server restarts and the port is registered again).
    pub fn from_raw(raw: usize) -> PortRef {
        PortRef(raw)
    }

    /// The backend's value.
    pub fn raw(self) -> usize {
        self.0
    }
}

/// Which way a port carries audio, seen from krd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    /// The port name's prefix: `in` or `out`.
    pub fn prefix(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Registers and unregisters node ports and reads the backend's clock. Called on the control
/// thread, never the audio one.
pub trait AudioBackend: Send {
    /// Register `<node>/in_<index>` (or `out_<index>`).
    fn register(&mut self, node: &str, direction: Direction, index: usize) -> Result<PortRef, String>;
    /// Register the MIDI port `name` (`midi_in`, `synth/midi_out`).
    fn register_midi(&mut self, name: &str, _direction: Direction) -> Result<PortRef, String> {
        Err(format!("no MIDI ports on this backend ({name})"))
    }
    /// Unregister ports that no graph uses any more.
    fn unregister(&mut self, ports: Vec<PortRef>);
    /// Make the ports [`AudioBackend::register`] handed out since the last call exist in the
    /// audio system. `register` may leave that for later (JACK takes a millisecond or more per
    /// port), so that a graph using the new ports can be sent, and heard, first; a port the audio
    /// system refuses is reported and stays without a buffer (its node plays on without it).
    fn register_pending(&mut self) {}
    /// Whether nodes get ports at all (false when rendering offline).
    fn has_ports(&self) -> bool;
    /// The backend's clock now, in microseconds (the clock of its cycle times), if it has one.
    fn clock_usecs(&self) -> Option<u64> {
        None
    }
    /// The longest full port name (`client:node/out_N`) the backend keeps whole, in bytes, if
    /// it has a limit.
    fn port_name_limit(&self) -> Option<usize> {
        None
    }
    /// Keep the backend going; called on every turn of the control loop (JACK: notice a server
    /// gone, wait for one and come back, follow the patchbay).
    fn maintain(&mut self) {}
    /// The connections the backend keeps making (the patchbay snapshot), if it has any.
    fn patchbay(&self) -> Option<Vec<Connection>> {
        None
    }
    /// Connections saved by an earlier run, made once their ports exist.
    fn set_patchbay(&mut self, _connections: Vec<Connection>) {}
    /// Whether what [`AudioBackend::patchbay`] returns changed since the last call.
    fn take_changed(&mut self) -> bool {
        false
    }
}

/// The port buffers of one block, lent by the backend to the audio thread.
pub trait PortBuffers {
    /// The block's samples arriving at input port `port` (empty when the port is unknown).
    fn input(&self, port: PortRef) -> &[f32];
    /// The block's samples leaving output port `port` (empty when the port is unknown).
    fn output(&mut self, port: PortRef) -> &mut [f32];
    /// Empty MIDI out port `port`'s buffer (once per block, before writing).
    fn midi_clear(&mut self, _port: PortRef) {}
    /// Write a MIDI message at frame `offset` of the block; false when it could not be.
    fn midi_write(&mut self, _port: PortRef, _offset: u32, _bytes: &[u8]) -> bool {
        false
    }
    /// How many messages arrived at MIDI in port `port` in this block.
    fn midi_count(&self, _port: PortRef) -> usize {
        0
    }
    /// Message `index` of MIDI in port `port` and its frame offset (None for SysEx and other
    /// messages longer than three bytes).
    fn midi_read(&self, _port: PortRef, _index: usize) -> Option<(u32, crate::rt::midi::MidiMessage)> {
        None
    }
}

/// No audio system: offline rendering, tests and benchmarks. Nodes have no ports.
pub struct Offline;

impl AudioBackend for Offline {
    fn register(&mut self, node: &str, _: Direction, _: usize) -> Result<PortRef, String> {
        Err(format!("no ports when rendering offline ({node})"))
    }
    fn unregister(&mut self, _: Vec<PortRef>) {}
    fn has_ports(&self) -> bool {
        false
    }
}

/// A node's ports, `in_1..in_n` and `out_1..out_m`.
#[derive(Default)]
pub struct NodePorts {
    ins: Vec<PortRef>,
    outs: Vec<PortRef>,
}

/// One port a node no longer uses: its direction and number (`out_2`), and the port.
pub type LoosePort = (Direction, usize, PortRef);

impl NodePorts {
    /// Copies for a real-time graph.
    pub fn copies(&self) -> (Box<[PortRef]>, Box<[PortRef]>) {
        (self.ins.as_slice().into(), self.outs.as_slice().into())
    }

    /// Grow or shrink to `inputs`/`outputs` ports, keeping existing ones (so patchbay
    /// connections survive a redefinition); a missing port comes from `get` (which registers
    /// one, or hands back one the node had). Returns the ports no longer needed. Nothing changes
    /// when `get` fails: the ports it gave are handed back in the error.
    pub fn resize(
        &mut self,
        inputs: usize,
        outputs: usize,
        mut get: impl FnMut(Direction, usize) -> Result<PortRef, String>,
    ) -> Result<Vec<LoosePort>, (String, Vec<LoosePort>)> {
        let mut added = Vec::new();
        let wanted = (self.ins.len()..inputs)
            .map(|i| (Direction::In, i + 1))
            .chain((self.outs.len()..outputs).map(|i| (Direction::Out, i + 1)));
        for (direction, number) in wanted {
            match get(direction, number) {
                Ok(p) => added.push((direction, number, p)),
                Err(e) => return Err((e, added)),
            }
        }
        for (direction, _, p) in added {
            match direction {
                Direction::In => self.ins.push(p),
                Direction::Out => self.outs.push(p),
            }
        }
        let loose = |list: &mut Vec<PortRef>, keep: usize, direction: Direction| -> Vec<LoosePort> {
            let from = keep.min(list.len());
            list.drain(from..).enumerate().map(|(k, p)| (direction, from + k + 1, p)).collect()
        };
        let mut retired = loose(&mut self.ins, inputs, Direction::In);
        retired.extend(loose(&mut self.outs, outputs, Direction::Out));
        Ok(retired)
    }

    /// All ports, for the node going.
    pub fn into_loose(self) -> Vec<LoosePort> {
        let ins = self.ins.into_iter().enumerate().map(|(i, p)| (Direction::In, i + 1, p));
        ins.chain(self.outs.into_iter().enumerate().map(|(i, p)| (Direction::Out, i + 1, p))).collect()
    }
}
