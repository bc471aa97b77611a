//! The session's side of the audio thread: events and graphs sent over the rings, the backend
//! whose ports the graphs use, and ports retired until no graph uses them.

use super::SessionError;
use crate::backend::{AudioBackend, Direction, LoosePort, NodePorts, PortRef};
use crate::rt::midi::{MidiInEvent, MidiOutEvent};
use crate::rt::{AudioLink, EngineTelemetry, RtEvent, RtGraph};
use crate::service::patchbay::Connection;
use basedrop::{Collector, Handle};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// How long the control thread waits at most for the audio thread to take up a graph.
const GRAPH_WAIT: Duration = Duration::from_millis(500);

pub(super) struct Realtime {
    link: AudioLink,
    collector: Collector,
    backend: Box<dyn AudioBackend>,
    /// Generation of the last graph built.
    generation: u64,
    /// Ports no node uses any more, by the node that had them: unregistered once the audio
    /// thread runs a graph of at least that generation, unless a node of the same name takes
    /// them back first (a node freed and made again, a bundle undone, channels shrunk and grown:
    /// the same JACK ports, connections kept, no name clash).
    retired: Vec<Retired>,
    /// While a bundle is applied: its graph and events, sent together when it succeeds.
    held: Option<Held>,
}

struct Retired {
    generation: u64,
    node: String,
    port: LoosePort,
}

/// What a bundle sends, held back until it has all succeeded.
#[derive(Default)]
struct Held {
    graph: Option<RtGraph>,
    events: Vec<RtEvent>,
    midi: Vec<MidiOutEvent>,
}

impl Realtime {
    pub fn new(link: AudioLink, collector: Collector, backend: Box<dyn AudioBackend>) -> Realtime {
        Realtime { link, collector, backend, generation: 0, retired: Vec::new(), held: None }
    }

    /// The audio clock: engine frames processed so far.
    pub fn now(&self) -> u64 {
        self.link.telemetry.frame.load(Relaxed)
    }

    pub fn telemetry(&self) -> &EngineTelemetry {
        &self.link.telemetry
    }

    pub fn handle(&self) -> Handle {
        self.collector.handle()
    }

    pub fn clock_usecs(&self) -> Option<u64> {
        self.backend.clock_usecs()
    }

    /// Refuse a node whose port names the backend would cut short (so it would list ports that
    /// do not exist): `<client>:<node>/out_<channels>` must fit whole.
    pub fn check_port_names(&self, client: &str, node: &str, channels: usize) -> Result<(), SessionError> {
        let Some(limit) = self.backend.port_name_limit().filter(|_| self.backend.has_ports()) else {
            return Ok(());
        };
        let longest = format!("{client}:{node}/out_{channels}");
        if longest.len() > limit {
            return Err(SessionError::Dsp {
                name: node.into(),
                message: format!(
                    "the name is too long for its ports: '{longest}' is {} bytes, JACK keeps {limit}",
                    longest.len()
                ),
            });
        }
        Ok(())
    }

    pub fn send(&mut self, ev: RtEvent) -> Result<(), SessionError> {
        if let Some(held) = self.held.as_mut() {
            held.events.push(ev);
            return Ok(());
        }
        if self.link.send(ev) {
            Ok(())
        } else {
            Err(SessionError::Busy)
        }
    }

    /// Publish a graph as the next generation (its `generation` is set here).
    pub fn publish(&mut self, mut graph: RtGraph) {
        self.generation += 1;
        graph.generation = self.generation;
        match self.held.as_mut() {
            Some(held) => held.graph = Some(graph),
            None => self.link.publish(graph),
        }
    }

    /// Hold back graphs and events (a bundle is being applied) until [`Realtime::commit`] sends
    /// them together or [`Realtime::discard`] drops them unheard.
    pub fn hold(&mut self) {
        self.held.get_or_insert_with(Held::default);
    }

    /// Send what was held: the graph first, so that events for new nodes find them. The model
    /// already holds the bundle, so this cannot fail: an event the full ring refuses (the audio
    /// thread stalled) is counted in `dropped_events`, as the scheduler's are.
    pub fn commit(&mut self) {
        let Some(held) = self.held.take() else { return };
        if let Some(graph) = held.graph {
            self.link.publish(graph);
        }
        for ev in held.midi {
            self.send_midi(ev);
        }
        let refused = held.events.into_iter().filter(|ev| !self.link.send(*ev)).count();
        if refused > 0 {
            tracing::error!(refused, "the audio thread's event ring is full: events of a bundle are lost");
            self.link.telemetry.dropped_events.fetch_add(refused as u64, Relaxed);
        }
    }

    /// Drop what was held: none of it reaches the audio thread.
    pub fn discard(&mut self) {
        self.held = None;
    }

    /// Resize a node's ports for new channel counts (nothing when the backend has no ports):
    /// a port the node had before is taken back, others are registered. Ports no longer needed
    /// are retired after the next graph.
    pub fn resize_ports(
        &mut self,
        ports: &mut NodePorts,
        node: &str,
        inputs: usize,
        outputs: usize,
    ) -> Result<(), String> {
        if !self.backend.has_ports() {
            return Ok(());
        }
        let (retired, backend) = (&mut self.retired, self.backend.as_mut());
        let get = |direction: Direction, number: usize| {
            let again = retired.iter().position(|r| r.node == node && (r.port.0, r.port.1) == (direction, number));
            match again {
                Some(i) => Ok(retired.swap_remove(i).port.2),
                None => backend.register(node, direction, number),
            }
        };
        match ports.resize(inputs, outputs, get) {
            Ok(loose) => {
                let generation = self.generation + 1;
                self.retired.extend(loose.into_iter().map(|port| Retired { generation, node: node.into(), port }));
                Ok(())
            }
            Err((e, taken)) => {
                let generation = self.generation;
                self.retired.extend(taken.into_iter().map(|port| Retired { generation, node: node.into(), port }));
                Err(e)
            }
        }
    }

    /// Register MIDI port `name` (None when the backend has no ports: rendering offline); a
    /// retired port of that name not yet unregistered is taken back (an out freed and made
    /// again: the same port, its connections kept).
    pub fn register_midi(&mut self, name: &str, direction: Direction) -> Result<Option<PortRef>, String> {
        if !self.backend.has_ports() {
            return Ok(None);
        }
        if let Some(i) = self.retired.iter().position(|r| r.node == name && r.port.1 == 0) {
            return Ok(Some(self.retired.swap_remove(i).port.2));
        }
        self.backend.register_midi(name, direction).map(Some)
    }

    /// MIDI port `name` is no longer used: unregistered once the audio thread runs no graph
    /// that holds it (kept as number 0 under its full name, which no audio port has).
    pub fn retire_midi(&mut self, name: &str, port: PortRef) {
        let generation = self.generation;
        self.retired.push(Retired { generation, node: name.into(), port: (Direction::Out, 0, port) });
    }

    /// Queue a MIDI message for the audio thread (counted as dropped when its ring is full);
    /// held back with the rest while a bundle is applied.
    pub fn send_midi(&mut self, ev: MidiOutEvent) {
        if let Some(held) = self.held.as_mut() {
            held.midi.push(ev);
            return;
        }
        if self.link.midi.out.push(ev).is_err() {
            self.link.telemetry.midi.dropped.fetch_add(1, Relaxed);
        }
    }

    /// What arrived at the MIDI input since the last call.
    pub fn take_midi_input(&mut self) -> Vec<MidiInEvent> {
        let n = self.link.midi.input.slots();
        (0..n).filter_map(|_| self.link.midi.input.pop().ok()).collect()
    }

    /// The node `node` is going: its ports are unregistered once the audio thread no longer runs
    /// the current graph (unless a node of that name takes them back first).
    pub fn retire(&mut self, node: &str, ports: NodePorts) {
        let generation = self.generation;
        self.retired.extend(ports.into_loose().into_iter().map(|port| Retired { generation, node: node.into(), port }));
    }

    /// Unregister retired ports whose last graph the audio thread no longer runs.
    pub fn release_ports(&mut self) {
        let applied = self.link.telemetry.generation.load(Relaxed);
        let (done, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.retired).into_iter().partition(|r| r.generation <= applied);
        self.retired = keep;
        if !done.is_empty() {
            self.backend.unregister(done.into_iter().map(|r| r.port.2).collect());
        }
    }

    /// Wait (briefly) until the audio thread runs the last graph built, or a later one. What a
    /// bundle holds is sent first (a recording is stopping: the bundle is past its checks).
    pub fn wait_for_last_graph(&mut self) {
        self.commit();
        let deadline = Instant::now() + GRAPH_WAIT;
        while self.link.telemetry.generation.load(Relaxed) < self.generation && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Keys of the nodes the audio thread silenced for NaN or infinity since the last call.
    pub fn take_faults(&mut self) -> Vec<u32> {
        let mut keys = Vec::new();
        while let Ok(k) = self.link.faults.pop() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// Free what the audio thread has handed back.
    pub fn collect(&mut self) {
        self.collector.collect();
    }

    /// Register the ports handed out since the last call (see
    /// [`AudioBackend::register_pending`]).
    pub fn register_pending(&mut self) {
        self.backend.register_pending();
    }

    /// Keep the backend going (a JACK server gone and back, the patchbay followed).
    pub fn maintain(&mut self) {
        self.backend.maintain();
    }

    /// The backend's patchbay snapshot, for the state file.
    pub fn patchbay(&self) -> Option<Vec<Connection>> {
        self.backend.patchbay()
    }
}

/// The backend as a service sees it: kept going from the control loop, its patchbay saved and
/// restored with the session.
impl super::Session {
    /// Connections saved by an earlier run, made once their ports exist.
    pub fn set_patchbay(&mut self, connections: Vec<Connection>) {
        self.rt.backend.set_patchbay(connections);
    }

    /// Whether the backend's patchbay changed since the last call (the state is to be saved).
    pub fn take_backend_changed(&mut self) -> bool {
        self.rt.backend.take_changed()
    }
}
