//! The JACK client: the process callback that runs the [`AudioEngine`], notification handling,
//! and the [`PortHost`] that registers node ports off the audio thread.

use crate::control::HostCounters;
use crate::ports::{OwnedPort, PortHost};
use crate::rt::{AudioEngine, BlockIo, CycleTimes};
use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, Port, ProcessScope};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

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
                engine.process(n, BlockIo { master: [left, right], jack_frames: Some(n as u32) });
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
pub struct JackHost {
    client: jack::AsyncClient<Notifications, Processor>,
}

/// Why JACK could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JackError {
    #[error("cannot connect to a JACK server ({0}); start one (e.g. `jackd -d dummy`) or use PipeWire's pw-jack")]
    Connect(jack::Error),
    #[error("JACK: {0}")]
    Other(jack::Error),
}

/// Open the client (never starting a server), register master ports. When the name is taken,
/// JACK picks a unique one (`krd-01`); the session reports the name in use.
pub fn open(name: &str) -> Result<(Client, [Port<AudioOut>; 2]), JackError> {
    let (client, _) = Client::new(name, ClientOptions::NO_START_SERVER).map_err(JackError::Connect)?;
    let l = client.register_port("master/out_1", AudioOut::default()).map_err(JackError::Other)?;
    let r = client.register_port("master/out_2", AudioOut::default()).map_err(JackError::Other)?;
    Ok((client, [l, r]))
}

impl JackHost {
    /// Activate the client with the engine in its callback.
    pub fn activate(
        client: Client,
        master: [Port<AudioOut>; 2],
        engine: AudioEngine,
        notifications: Notifications,
    ) -> Result<JackHost, JackError> {
        let processor = Processor { engine, counters: Arc::clone(&notifications.counters), master, faulted: false };
        let client = client.activate_async(notifications, processor).map_err(JackError::Other)?;
        Ok(JackHost { client })
    }

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

impl PortHost for JackHost {
    fn register(&mut self, node: &str, input: bool, index: usize) -> Result<OwnedPort, String> {
        let c = self.client.as_client();
        let name = format!("{node}/{}_{index}", if input { "in" } else { "out" });
        let r = if input {
            c.register_port(&name, AudioIn::default()).map(OwnedPort::In)
        } else {
            c.register_port(&name, AudioOut::default()).map(OwnedPort::Out)
        };
        r.map_err(|e| format!("cannot register JACK port {name}: {e}"))
    }

    fn unregister(&mut self, ports: Vec<OwnedPort>) {
        let c = self.client.as_client();
        for p in ports {
            let r = match p {
                OwnedPort::In(p) => c.unregister_port(p),
                OwnedPort::Out(p) => c.unregister_port(p),
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "could not unregister a port");
            }
        }
    }

    fn enabled(&self) -> bool {
        true
    }

    fn jack_time_usecs(&self) -> Option<u64> {
        Some(self.client.as_client().time())
    }
}
