//! The JACK backend: the process callback that runs the [`AudioEngine`], notification handling,
//! and the [`AudioBackend`] that registers node ports off the audio thread. The only module that
//! names JACK's types.

use crate::backend::{AudioBackend, Direction, PortBuffers, PortRef};
use crate::control::HostCounters;
use crate::rt::{AudioEngine, BlockIo, CycleTimes};
use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, Port, ProcessScope, Unowned};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Weak};

/// A registered port, kept to unregister it.
enum OwnedPort {
    In(Port<AudioIn>),
    Out(Port<AudioOut>),
}

/// Node port buffers of one JACK cycle. A [`PortRef`] made by [`JackBackend`] is the address
/// of a JACK port.
struct JackBuffers {
    frames: u32,
}

impl JackBuffers {
    fn buffer(&self, port: PortRef) -> *mut f32 {
        // SAFETY: `Port::from_raw` builds a plain handle (pointers and a dangling `Weak`, neither
        // allocating nor freeing); `buffer` only calls `jack_port_get_buffer` on the port's
        // address, which is a port of this client: the control thread unregisters a port only
        // after the audio thread has stopped using every graph that holds it.
        unsafe {
            let p = Port::from_raw(Unowned, std::ptr::null_mut(), port.raw() as *mut _, Weak::new());
            p.buffer(self.frames) as *mut f32
        }
    }
}

impl PortBuffers for JackBuffers {
    fn input(&self, port: PortRef) -> &[f32] {
        let buf = self.buffer(port);
        if buf.is_null() {
            return &[];
        }
        // SAFETY: JACK's buffer for this cycle holds `frames` samples and stays valid for the
        // callback, which outlives this borrow.
        unsafe { std::slice::from_raw_parts(buf, self.frames as usize) }
    }

    fn output(&mut self, port: PortRef) -> &mut [f32] {
        let buf = self.buffer(port);
        if buf.is_null() {
            return &mut [];
        }
        // SAFETY: as for `input`; each output port has a buffer of its own, and the engine holds
        // one port's slice at a time.
        unsafe { std::slice::from_raw_parts_mut(buf, self.frames as usize) }
    }
}

/// Runs the engine in JACK's process callback.
pub struct Processor {
    engine: AudioEngine,
    counters: Arc<HostCounters>,
    master: [Port<AudioOut>; 2],
    faulted: bool,
}

impl jack::ProcessHandler for Processor {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let n = ps.n_frames() as usize;
        let frame_time = ps.last_frame_time();
        let [l, r] = &mut self.master;
        let (left, right) = (l.as_mut_slice(ps), r.as_mut_slice(ps));
        if self.faulted {
            left.fill(0.0);
            right.fill(0.0);
            return Control::Continue;
        }
        let engine = &mut self.engine;
        // A panic here would be a bug; it must not take the process down with it: the engine
        // goes silent and the rest of krd keeps answering.
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::rt_guard::no_alloc(|| {
                engine.sync_clock(frame_time);
                if let Ok(ct) = ps.cycle_times() {
                    let t = CycleTimes {
                        frame: engine.frame(),
                        usecs: ct.current_usecs,
                        period_usecs: ct.period_usecs,
                        frames: n as u32,
                    };
                    engine.telemetry().publish_cycle(t);
                }
                let mut ports = JackBuffers { frames: n as u32 };
                engine.process(n, BlockIo { master: [left, right], ports: Some(&mut ports) });
            })
        }));
        if ok.is_err() {
            self.faulted = true;
        }
        Control::Continue
    }

    fn buffer_size(&mut self, _: &Client, size: jack::Frames) -> Control {
        // Any size works: the engine processes long callbacks in chunks, so only report it.
        self.counters.block_size.store(size, Relaxed);
        Control::Continue
    }
}

/// Counts xruns and notices shutdown.
pub struct Notifications {
    pub counters: Arc<HostCounters>,
    pub shutdown: Arc<AtomicBool>,
}

impl jack::NotificationHandler for Notifications {
    unsafe fn shutdown(&mut self, _: jack::ClientStatus, _: &str) {
        self.shutdown.store(true, Relaxed);
    }

    fn sample_rate(&mut self, _: &Client, srate: jack::Frames) -> Control {
        // The control thread re-creates the nodes at the new rate (DSPs are initialised per rate).
        self.counters.sample_rate.store(srate, Relaxed);
        Control::Continue
    }

    fn xrun(&mut self, _: &Client) -> Control {
        self.counters.xruns.fetch_add(1, Relaxed);
        Control::Continue
    }
}

/// The active client; registers node ports for the session.
pub struct JackBackend {
    client: jack::AsyncClient<Notifications, Processor>,
    /// Registered node ports by their [`PortRef`] value.
    ports: HashMap<usize, OwnedPort>,
}

/// Why JACK could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JackError {
    #[error("cannot connect to a JACK server ({0}); start one (e.g. `jackd -d dummy`) or use PipeWire's pw-jack")]
    Connect(jack::Error),
    #[error("JACK: {0}")]
    Other(jack::Error),
}

/// A JACK client opened but not yet running the engine.
pub struct OpenClient {
    client: Client,
    master: [Port<AudioOut>; 2],
}

/// Open the client (never starting a server), register master ports. When the name is taken,
/// JACK picks a unique one (`krd-01`); the session reports the name in use.
pub fn open(name: &str) -> Result<OpenClient, JackError> {
    let (client, _) = Client::new(name, ClientOptions::NO_START_SERVER).map_err(JackError::Connect)?;
    let l = client.register_port("master/out_1", AudioOut::default()).map_err(JackError::Other)?;
    let r = client.register_port("master/out_2", AudioOut::default()).map_err(JackError::Other)?;
    Ok(OpenClient { client, master: [l, r] })
}

impl OpenClient {
    /// The client name in use.
    pub fn name(&self) -> &str {
        self.client.name()
    }

    pub fn sample_rate(&self) -> u32 {
        self.client.sample_rate()
    }

    pub fn buffer_size(&self) -> u32 {
        self.client.buffer_size()
    }

    /// Activate the client with the engine in its callback.
    pub fn activate(self, engine: AudioEngine, notifications: Notifications) -> Result<JackBackend, JackError> {
        let counters = Arc::clone(&notifications.counters);
        let processor = Processor { engine, counters, master: self.master, faulted: false };
        let client = self.client.activate_async(notifications, processor).map_err(JackError::Other)?;
        Ok(JackBackend { client, ports: HashMap::new() })
    }
}

impl JackBackend {
    /// Connect master to the first two physical playback ports, if there are any.
    pub fn autoconnect(&self, own_name: &str) {
        let c = self.client.as_client();
        let playback =
            c.ports(None, Some("32 bit float mono audio"), jack::PortFlags::IS_INPUT | jack::PortFlags::IS_PHYSICAL);
        if playback.is_empty() {
            tracing::info!("no physical playback ports; master is not connected (connect krd:master/out_* yourself)");
        }
        for (i, dest) in playback.iter().take(2).enumerate() {
            let src = format!("{own_name}:master/out_{}", i + 1);
            if let Err(e) = c.connect_ports_by_name(&src, dest) {
                tracing::warn!(%src, %dest, error = %e, "could not connect");
            }
        }
    }
}

impl AudioBackend for JackBackend {
    fn register(&mut self, node: &str, direction: Direction, index: usize) -> Result<PortRef, String> {
        let c = self.client.as_client();
        let name = format!("{node}/{}_{index}", direction.prefix());
        let port = match direction {
            Direction::In => c.register_port(&name, AudioIn::default()).map(OwnedPort::In),
            Direction::Out => c.register_port(&name, AudioOut::default()).map(OwnedPort::Out),
        }
        .map_err(|e| format!("cannot register JACK port {name}: {e}"))?;
        let raw = match &port {
            OwnedPort::In(p) => p.raw() as usize,
            OwnedPort::Out(p) => p.raw() as usize,
        };
        self.ports.insert(raw, port);
        Ok(PortRef::from_raw(raw))
    }

    fn unregister(&mut self, ports: Vec<PortRef>) {
        let c = self.client.as_client();
        for p in ports {
            let r = match self.ports.remove(&p.raw()) {
                Some(OwnedPort::In(p)) => c.unregister_port(p),
                Some(OwnedPort::Out(p)) => c.unregister_port(p),
                None => continue,
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
        Some(self.client.as_client().time())
    }

    fn port_name_limit(&self) -> Option<usize> {
        // jackd2 1.9.21 keeps 256 bytes of a full port name (client name included) and cuts the
        // rest, though it reports room for 320 (`jack_port_name_size`): measured with jack_lsp.
        Some(jack::PORT_NAME_SIZE.saturating_sub(*jack::CLIENT_NAME_SIZE))
    }
}
