//! What runs in JACK's threads: the process callback that runs the engine on the node ports of
//! the port table, and the notifications that tell the control thread what happened.

use super::cells::{EngineCell, PortTable};
use crate::backend::{PortBuffers, PortRef};
use crate::control::HostCounters;
use crate::rt::midi::MidiMessage;
use crate::rt::{BlockIo, CycleTimes};
use jack::jack_sys as j;
use jack::{AudioOut, Client, Control, Port, ProcessScope, Unowned};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};

/// Node port buffers of one JACK cycle: a [`PortRef`] is a slot of the port table.
struct JackBuffers<'a> {
    frames: u32,
    table: &'a PortTable,
}

impl JackBuffers<'_> {
    fn buffer(&self, port: PortRef) -> *mut f32 {
        self.raw_buffer(port) as *mut f32
    }

    fn raw_buffer(&self, port: PortRef) -> *mut libc::c_void {
        let address = self.table.get(port);
        if address == 0 {
            return std::ptr::null_mut();
        }
        // SAFETY: `Port::from_raw` builds a plain handle (pointers and a dangling `Weak`, neither
        // allocating nor freeing); `buffer` only calls `jack_port_get_buffer` on the port's
        // address, which is a port of the client running this callback: the control thread
        // unregisters a port only after the audio thread has stopped using every graph that
        // holds it, and refills the table only while no client is active.
        unsafe {
            let p = Port::from_raw(Unowned, std::ptr::null_mut(), address as *mut _, Weak::new());
            p.buffer(self.frames)
        }
    }
}

impl PortBuffers for JackBuffers<'_> {
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

    // The MIDI calls below are libjack's own MIDI buffer functions on a MIDI port's buffer of
    // this cycle (a port the session registered as MIDI: the graph lists MIDI ports apart from
    // audio ones). They neither allocate nor block.

    fn midi_clear(&mut self, port: PortRef) {
        let buf = self.raw_buffer(port);
        if !buf.is_null() {
            // SAFETY: `buf` is this cycle's buffer of a MIDI out port of this client.
            unsafe { j::jack_midi_clear_buffer(buf) };
        }
    }

    fn midi_write(&mut self, port: PortRef, offset: u32, bytes: &[u8]) -> bool {
        let buf = self.raw_buffer(port);
        if buf.is_null() || offset >= self.frames {
            return false;
        }
        // SAFETY: as for `midi_clear`; `bytes` is valid for its length, which JACK copies.
        unsafe { j::jack_midi_event_write(buf, offset, bytes.as_ptr(), bytes.len()) == 0 }
    }

    fn midi_count(&self, port: PortRef) -> usize {
        let buf = self.raw_buffer(port);
        if buf.is_null() {
            return 0;
        }
        // SAFETY: `buf` is this cycle's buffer of a MIDI in port of this client.
        unsafe { j::jack_midi_get_event_count(buf) as usize }
    }

    fn midi_read(&self, port: PortRef, index: usize) -> Option<(u32, MidiMessage)> {
        let buf = self.raw_buffer(port);
        if buf.is_null() {
            return None;
        }
        let mut ev = j::jack_midi_event_t { time: 0, size: 0, buffer: std::ptr::null_mut() };
        // SAFETY: as for `midi_count`; JACK fills `ev` with a pointer into the port's buffer,
        // valid for this cycle, which outlives the copy made here.
        let bytes = unsafe {
            if j::jack_midi_event_get(&mut ev, buf, index as u32) != 0 || ev.buffer.is_null() {
                return None;
            }
            std::slice::from_raw_parts(ev.buffer, ev.size)
        };
        MidiMessage::from_bytes(bytes).map(|m| (ev.time, m))
    }
}

/// Runs the engine in JACK's process callback.
pub struct Processor {
    pub(super) cell: Arc<EngineCell>,
    pub(super) events: Arc<ClientEvents>,
    pub(super) table: Arc<PortTable>,
    pub(super) counters: Arc<HostCounters>,
    pub(super) master: [Port<AudioOut>; 2],
    /// Added to JACK's frame time so the engine's clock goes on where it stopped when a new
    /// server starts counting from zero (set at this client's first callback).
    pub(super) frame_offset: Option<u32>,
    pub(super) faulted: bool,
}

impl jack::ProcessHandler for Processor {
    fn process(&mut self, _: &Client, ps: &ProcessScope) -> Control {
        let n = ps.n_frames() as usize;
        let [l, r] = &mut self.master;
        let (left, right) = (l.as_mut_slice(ps), r.as_mut_slice(ps));
        self.events.callbacks.fetch_add(1, Relaxed);
        let (table, faulted, offset) = (&*self.table, &mut self.faulted, &mut self.frame_offset);
        let ran = self.cell.with(|engine| {
            // A stuck engine, as tests make it (nothing in release builds).
            crate::service::test_hooks::stall_audio_while_asked();
            if *faulted {
                return;
            }
            // A panic here would be a bug; it must not take the process down with it: the
            // engine goes silent and the rest of krd keeps answering.
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::rt_guard::no_alloc(|| {
                    // The cycle's first frame and its time from one read of JACK's timer: read
                    // apart, a callback preempted between the reads (a late cycle under load)
                    // would pair one cycle's frame with a later cycle's time, and a time tag
                    // converted from that pair would land early by the cycles missed.
                    let times = ps.cycle_times().ok();
                    let jack_frame = times.as_ref().map_or_else(|| ps.last_frame_time(), |ct| ct.current_frames);
                    // The first client counts with JACK's frames; a later one (a new server)
                    // carries on from the engine's clock.
                    let offset = *offset.get_or_insert_with(|| match engine.frame() {
                        0 => 0,
                        f => (f as u32).wrapping_sub(jack_frame),
                    });
                    engine.sync_clock(jack_frame.wrapping_add(offset));
                    if let Some(ct) = times {
                        let t = CycleTimes {
                            frame: engine.frame(),
                            usecs: ct.current_usecs,
                            period_usecs: ct.period_usecs,
                            frames: n as u32,
                        };
                        engine.telemetry().publish_cycle(t);
                    }
                    let mut ports = JackBuffers { frames: n as u32, table };
                    engine.process(n, BlockIo { master: [&mut *left, &mut *right], ports: Some(&mut ports) });
                })
            }));
            *faulted = ok.is_err();
        });
        match ran {
            Some(()) if !self.faulted => {
                self.counters.beats.audio_cycles.fetch_add(1, Relaxed);
            }
            _ => {
                left.fill(0.0);
                right.fill(0.0);
            }
        }
        Control::Continue
    }

    fn buffer_size(&mut self, _: &Client, size: jack::Frames) -> Control {
        // Any size works: the engine processes long callbacks in chunks, so only report it.
        self.counters.block_size.store(size, Relaxed);
        Control::Continue
    }
}

/// What one client's notifications tell the control thread.
#[derive(Default)]
pub(super) struct ClientEvents {
    /// The server shut down or threw the client out.
    pub(super) dead: AtomicBool,
    /// Ports or connections changed somewhere in the graph (the patchbay looks again).
    pub(super) graph_changed: AtomicBool,
    /// Process callbacks of this client (whatever the engine did in them).
    pub(super) callbacks: AtomicU64,
}

/// Counts xruns, follows the sample rate and notices shutdown and graph changes.
pub struct Notifications {
    pub(super) counters: Arc<HostCounters>,
    pub(super) events: Arc<ClientEvents>,
}

impl jack::NotificationHandler for Notifications {
    unsafe fn shutdown(&mut self, _: jack::ClientStatus, _: &str) {
        self.events.dead.store(true, Relaxed);
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

    fn port_registration(&mut self, _: &Client, _: jack::PortId, _: bool) {
        self.events.graph_changed.store(true, Relaxed);
    }

    fn ports_connected(&mut self, _: &Client, _: jack::PortId, _: jack::PortId, _: bool) {
        self.events.graph_changed.store(true, Relaxed);
    }
}
