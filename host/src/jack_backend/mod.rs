//! The JACK backend: the process callback that runs the [`AudioEngine`], notification handling,
//! and the [`AudioBackend`] that registers node ports off the audio thread. The only module that
//! names JACK's types.
//!
//! JACK comes and goes, krd stays: when the server dies, the backend takes the engine back from
//! the dead client's callback and waits for a server (backing off), then opens a new client,
//! registers every port again under the same [`PortRef`]s (the session's graphs never notice),
//! and makes the connections of the patchbay snapshot again, as their ports appear.

mod callbacks;
mod cells;
mod patch;

use crate::backend::{AudioBackend, Direction, PortRef};
use crate::control::HostCounters;
use crate::rt::AudioEngine;
use crate::service::patchbay::{Connection, Patchbay};
use callbacks::{ClientEvents, Notifications, Processor};
use cells::{Backoff, EngineCell, PortTable, MAX_PORTS};
use jack::{AudioIn, AudioOut, Client, ClientOptions, MidiIn, MidiOut, Port};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A registered port.
enum OwnedPort {
    In(Port<AudioIn>),
    Out(Port<AudioOut>),
    MidiIn(Port<MidiIn>),
    MidiOut(Port<MidiOut>),
}

impl OwnedPort {
    fn address(&self) -> usize {
        match self {
            OwnedPort::In(p) => p.raw() as usize,
            OwnedPort::Out(p) => p.raw() as usize,
            OwnedPort::MidiIn(p) => p.raw() as usize,
            OwnedPort::MidiOut(p) => p.raw() as usize,
        }
    }
}

/// What a port carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortKind {
    Audio(Direction),
    Midi(Direction),
}

/// Why JACK could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JackError {
    #[error("cannot connect to a JACK server ({0}); start one (e.g. `jackd -d dummy`) or use PipeWire's pw-jack")]
    Connect(jack::Error),
    #[error("JACK: {0}")]
    Other(jack::Error),
}

/// The backend's settings.
#[derive(Debug, Clone)]
pub struct JackSettings {
    /// The client name asked for (JACK picks `krd-01` when it is taken).
    pub client_name: String,
    /// Connect master to the first two physical playback ports, when there are any.
    pub autoconnect: bool,
}

/// A node port: its name, and its JACK port while a client is active.
struct NodePort {
    name: String,
    kind: PortKind,
    port: Option<OwnedPort>,
}

/// A client opened, its ports registered, not yet running the engine.
struct Opened {
    client: Client,
    master: [Port<AudioOut>; 2],
}

/// The active client.
struct Live {
    client: jack::AsyncClient<Notifications, Processor>,
    cell: Arc<EngineCell>,
    events: Arc<ClientEvents>,
    name: String,
    /// The callbacks counted at `called`, when they last advanced.
    callbacks: u64,
    called: Instant,
}

/// A server that runs no callback of krd's for this long is taken as gone, even if it said
/// nothing: PipeWire's libjack (0.3.65) calls no shutdown callback when PipeWire dies.
const SILENT_SERVER: Duration = Duration::from_secs(3);

impl Live {
    /// Whether the server is gone: it said so, or it stopped running the callback (which is not
    /// stuck in the engine: a stuck engine is the watchdog's to catch).
    fn gone(&mut self) -> bool {
        if self.events.dead.load(Relaxed) {
            return true;
        }
        let callbacks = self.events.callbacks.load(Relaxed);
        if callbacks != self.callbacks {
            (self.callbacks, self.called) = (callbacks, Instant::now());
            return false;
        }
        self.called.elapsed() >= SILENT_SERVER && !self.cell.running()
    }
}

/// Tells subscribers what happened to the JACK server.
pub type Notice = Box<dyn Fn(String) + Send>;

/// The JACK backend: the active client (or none, while krd waits for a server), the engine it
/// runs, and the node ports it registers.
pub struct JackBackend {
    settings: JackSettings,
    counters: Arc<HostCounters>,
    notice: Notice,
    live: Option<Live>,
    /// The engine while no client runs it.
    idle_engine: Option<AudioEngine>,
    table: Arc<PortTable>,
    /// Node ports by slot (the [`PortRef`] value).
    ports: Vec<Option<NodePort>>,
    free_slots: Vec<usize>,
    patchbay: Patchbay,
    retry: Backoff,
    /// When the patchbay last looked at the graph.
    looked: Instant,
    /// Slots of node ports handed out whose JACK port is not registered yet (see
    /// [`AudioBackend::register_pending`]).
    pending: Vec<usize>,
}

/// How often the patchbay looks at the graph when no notification said it changed.
const LOOK_EVERY: Duration = Duration::from_secs(1);

impl JackBackend {
    /// Open the client (never starting a server) and run the engine `make` makes for the
    /// server's sample rate in it. When the name is taken, JACK picks a unique one (`krd-01`);
    /// [`JackBackend::client_name`] tells.
    pub fn start(
        settings: JackSettings,
        counters: Arc<HostCounters>,
        notice: Notice,
        make: impl FnOnce(u32) -> AudioEngine,
    ) -> Result<JackBackend, JackError> {
        let mut backend = JackBackend {
            settings,
            counters,
            notice,
            live: None,
            idle_engine: None,
            table: Arc::new(PortTable::default()),
            ports: Vec::new(),
            free_slots: Vec::new(),
            patchbay: Patchbay::default(),
            retry: Backoff::new(Instant::now()),
            looked: Instant::now(),
            pending: Vec::new(),
        };
        let opened = backend.open()?;
        backend.idle_engine = Some(make(opened.client.sample_rate()));
        backend.activate(opened)?;
        Ok(backend)
    }

    /// The client name in use (the last one, while no client is active).
    pub fn client_name(&self) -> Option<&str> {
        self.live.as_ref().map(|l| l.name.as_str())
    }

    /// Open a client and register every port on it.
    fn open(&mut self) -> Result<Opened, JackError> {
        let (client, _) =
            Client::new(&self.settings.client_name, ClientOptions::NO_START_SERVER).map_err(JackError::Connect)?;
        let l = client.register_port("master/out_1", AudioOut::default()).map_err(JackError::Other)?;
        let r = client.register_port("master/out_2", AudioOut::default()).map_err(JackError::Other)?;
        for (slot, entry) in self.ports.iter_mut().enumerate() {
            let Some(entry) = entry else { continue };
            match register(&client, &entry.name, entry.kind) {
                Ok(port) => {
                    self.table.set(slot, port.address());
                    entry.port = Some(port);
                }
                Err(e) => tracing::error!("{e}"),
            }
        }
        Ok(Opened { client, master: [l, r] })
    }

    /// Run the idle engine in an opened client, and make the connections.
    fn activate(&mut self, opened: Opened) -> Result<(), JackError> {
        let Opened { client, master } = opened;
        self.counters.sample_rate.store(client.sample_rate(), Relaxed);
        self.counters.block_size.store(client.buffer_size(), Relaxed);
        let Some(engine) = self.idle_engine.take() else {
            return Err(JackError::Other(jack::Error::ClientIsNoLongerAlive));
        };
        let cell = Arc::new(EngineCell::new(engine));
        let events = Arc::new(ClientEvents::default());
        let processor = Processor {
            cell: Arc::clone(&cell),
            events: Arc::clone(&events),
            table: Arc::clone(&self.table),
            counters: Arc::clone(&self.counters),
            master,
            frame_offset: None,
            faulted: false,
        };
        let notifications = Notifications { counters: Arc::clone(&self.counters), events: Arc::clone(&events) };
        let client = match client.activate_async(notifications, processor) {
            Ok(c) => c,
            Err(e) => {
                // The callback never ran: the engine is free to take back at once.
                self.idle_engine = cell.take(Duration::from_secs(1));
                self.forget_ports();
                return Err(JackError::Other(e));
            }
        };
        let name = client.as_client().name().to_string();
        self.live = Some(Live { client, cell, events, name, callbacks: 0, called: Instant::now() });
        self.counters.beats.audio_active.store(true, Relaxed);
        if self.settings.autoconnect {
            self.autoconnect();
        }
        self.patchbay.new_client();
        self.follow_patchbay(true);
        // What a start makes (master's autoconnection, saved connections made again) is made at
        // every start: no news for the state file.
        self.patchbay.take_changed();
        Ok(())
    }

    /// The server is gone: take the engine back and close the dead client. False when the
    /// engine cannot be taken back yet (the dead client's callback is still running it).
    fn lose(&mut self) -> bool {
        let Some(live) = self.live.take() else { return true };
        let Some(engine) = live.cell.take(Duration::from_millis(50)) else {
            // Tried again on the next turn; while the callback is stuck, the watchdog is not fed
            // (the client still counts as active), and systemd restarts krd.
            self.live = Some(live);
            return false;
        };
        self.idle_engine = Some(engine);
        self.counters.beats.audio_active.store(false, Relaxed);
        self.forget_ports();
        // Closing the dead client frees libjack's per-process state, so a new client can reach
        // the next server.
        drop(live);
        true
    }

    /// Drop the JACK ports (their client is gone) but keep the slots and names.
    fn forget_ports(&mut self) {
        for (slot, entry) in self.ports.iter_mut().enumerate() {
            if let Some(entry) = entry {
                entry.port = None;
                self.table.set(slot, 0);
            }
        }
    }

    /// Connect master to the first two physical playback ports, if there are any (found by
    /// their flags, not their names: PipeWire has no `system:` client).
    fn autoconnect(&self) {
        let Some(live) = &self.live else { return };
        let c = live.client.as_client();
        let playback =
            c.ports(None, Some("32 bit float mono audio"), jack::PortFlags::IS_INPUT | jack::PortFlags::IS_PHYSICAL);
        if playback.is_empty() {
            tracing::info!("no physical playback ports; master is not connected (connect krd:master/out_* yourself)");
        }
        for (i, dest) in playback.iter().take(2).enumerate() {
            let src = format!("{}:master/out_{}", live.name, i + 1);
            if let Err(e) = c.connect_ports_by_name(&src, dest) {
                tracing::warn!(%src, %dest, error = %e, "could not connect");
            }
        }
    }

    /// Look at the connections of krd's ports when they changed (or `now`): note them, and make
    /// those of the snapshot whose ports exist.
    fn follow_patchbay(&mut self, now: bool) {
        let Some(live) = &self.live else { return };
        let changed = live.events.graph_changed.swap(false, Relaxed);
        if !(now || changed || self.looked.elapsed() >= LOOK_EVERY) {
            return;
        }
        self.looked = Instant::now();
        let names = std::iter::once("master/out_1".to_string())
            .chain(std::iter::once("master/out_2".to_string()))
            .chain(self.ports.iter().flatten().filter(|p| p.port.is_some()).map(|p| p.name.clone()));
        let graph = patch::Graph::new(live.client.as_client(), &live.name);
        let seen = graph.connections_of(names);
        self.patchbay.observe(seen, |name| graph.exists(name));
        for c in self.patchbay.missing(|name| graph.exists(name)) {
            match graph.connect(&c) {
                Ok(()) => tracing::info!(from = %c.from, to = %c.to, "connection restored"),
                Err(e) => tracing::debug!(from = %c.from, to = %c.to, error = %e, "cannot restore a connection yet"),
            }
        }
    }
}

/// Register `name` (`node/out_1`) on `client`.
fn register(client: &Client, name: &str, kind: PortKind) -> Result<OwnedPort, String> {
    match kind {
        PortKind::Audio(Direction::In) => client.register_port(name, AudioIn::default()).map(OwnedPort::In),
        PortKind::Audio(Direction::Out) => client.register_port(name, AudioOut::default()).map(OwnedPort::Out),
        PortKind::Midi(Direction::In) => client.register_port(name, MidiIn::default()).map(OwnedPort::MidiIn),
        PortKind::Midi(Direction::Out) => client.register_port(name, MidiOut::default()).map(OwnedPort::MidiOut),
    }
    .map_err(|e| format!("cannot register JACK port {name}: {e}"))
}

impl JackBackend {
    /// Take a slot of the port table for port `name`, registered by the next
    /// [`AudioBackend::register_pending`] (or when a server comes): until then the audio thread
    /// finds no buffer there, and a node writes nothing to it.
    fn reserve_slot(&mut self, name: String, kind: PortKind) -> Result<PortRef, String> {
        let slot = self.free_slot(&name)?;
        self.table.set(slot, 0);
        self.ports[slot] = Some(NodePort { name, kind, port: None });
        if self.live.is_some() {
            self.pending.push(slot);
        }
        Ok(PortRef::from_raw(slot))
    }

    /// A slot of the port table no port uses.
    fn free_slot(&mut self, name: &str) -> Result<usize, String> {
        match self.free_slots.pop() {
            Some(s) => Ok(s),
            None if self.ports.len() < MAX_PORTS => {
                self.ports.push(None);
                Ok(self.ports.len() - 1)
            }
            None => Err(format!("cannot register {name}: krd holds {MAX_PORTS} ports already")),
        }
    }

    /// Register port `name` in a free slot of the port table (now, or when a server comes).
    fn register_in_slot(&mut self, name: String, kind: PortKind) -> Result<PortRef, String> {
        let slot = self.free_slot(&name)?;
        let port = match &self.live {
            Some(live) => match register(live.client.as_client(), &name, kind) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.free_slots.push(slot);
                    return Err(e);
                }
            },
            // No server now: the port is registered when one comes.
            None => None,
        };
        self.table.set(slot, port.as_ref().map_or(0, OwnedPort::address));
        self.ports[slot] = Some(NodePort { name, kind, port });
        Ok(PortRef::from_raw(slot))
    }
}

impl AudioBackend for JackBackend {
    fn register(&mut self, node: &str, direction: Direction, index: usize) -> Result<PortRef, String> {
        self.reserve_slot(format!("{node}/{}_{index}", direction.prefix()), PortKind::Audio(direction))
    }

    fn register_pending(&mut self) {
        let Some(live) = &self.live else {
            self.pending.clear(); // the next client registers every port
            return;
        };
        for slot in std::mem::take(&mut self.pending) {
            let Some(entry) = self.ports.get_mut(slot).and_then(Option::as_mut) else { continue };
            if entry.port.is_some() {
                continue;
            }
            match register(live.client.as_client(), &entry.name, entry.kind) {
                Ok(port) => {
                    self.table.set(slot, port.address());
                    entry.port = Some(port);
                }
                Err(e) => {
                    let message = format!("{e}: the node plays on without that port");
                    tracing::error!("{message}");
                    (self.notice)(message);
                }
            }
        }
    }

    fn register_midi(&mut self, name: &str, direction: Direction) -> Result<PortRef, String> {
        self.register_in_slot(name.to_string(), PortKind::Midi(direction))
    }

    fn unregister(&mut self, ports: Vec<PortRef>) {
        self.pending.retain(|slot| !ports.iter().any(|p| p.raw() == *slot));
        for p in ports {
            let Some(entry) = self.ports.get_mut(p.raw()).and_then(Option::take) else { continue };
            self.table.set(p.raw(), 0);
            self.free_slots.push(p.raw());
            self.patchbay.forget_port(&entry.name);
            let (Some(live), Some(port)) = (&self.live, entry.port) else { continue };
            let c = live.client.as_client();
            let r = match port {
                OwnedPort::In(p) => c.unregister_port(p),
                OwnedPort::Out(p) => c.unregister_port(p),
                OwnedPort::MidiIn(p) => c.unregister_port(p),
                OwnedPort::MidiOut(p) => c.unregister_port(p),
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "could not unregister a port");
            }
        }
    }

    fn has_ports(&self) -> bool {
        true
    }

    fn clock_usecs(&self) -> Option<u64> {
        self.live.as_ref().map(|l| l.client.as_client().time())
    }

    fn port_name_limit(&self) -> Option<usize> {
        // jackd2 1.9.21 keeps 256 bytes of a full port name (client name included) and cuts the
        // rest, though it reports room for 320 (`jack_port_name_size`): measured with jack_lsp.
        Some(jack::PORT_NAME_SIZE.saturating_sub(*jack::CLIENT_NAME_SIZE))
    }

    fn maintain(&mut self) {
        self.register_pending();
        if self.live.as_mut().is_some_and(Live::gone) {
            let name = self.live.as_ref().map(|l| l.name.clone()).unwrap_or_default();
            if !self.lose() {
                return;
            }
            let message = format!(
                "the JACK server went away: krd keeps the session and waits for a server \
                 (its client '{name}', ports and connections come back with it)"
            );
            tracing::warn!("{message}");
            (self.notice)(message);
            self.retry = Backoff::new(Instant::now());
        }
        if self.live.is_none() && self.idle_engine.is_some() {
            let now = Instant::now();
            if !self.retry.due(now) {
                return;
            }
            match self.open().and_then(|opened| self.activate(opened)) {
                Ok(()) => {
                    let name = self.client_name().unwrap_or_default().to_string();
                    let message = format!("a JACK server is back: krd runs as '{name}' again");
                    tracing::info!("{message}");
                    (self.notice)(message);
                }
                Err(e) => {
                    tracing::debug!("{e}");
                    self.retry.failed(now);
                }
            }
            return;
        }
        self.follow_patchbay(false);
    }

    fn patchbay(&self) -> Option<Vec<Connection>> {
        Some(self.patchbay.connections().cloned().collect())
    }

    fn set_patchbay(&mut self, connections: Vec<Connection>) {
        self.patchbay.add_saved(connections);
        self.follow_patchbay(true);
        self.patchbay.take_changed();
    }

    fn take_changed(&mut self) -> bool {
        self.patchbay.take_changed()
    }
}
