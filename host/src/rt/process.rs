//! The audio callback's work: swap in new graphs, take events, compute every node with its
//! events applied at their exact frame, mix to master.

use super::block::{EVENT_CAPACITY, MAX_BLOCK};
use super::cell::{NodeCell, NodeState, Ramp, SendFade, VoiceState, MAX_SEND_FADES};
use super::denormals::FlushDenormals;
use super::event::{RtEvent, RtEventKind, ALL_VOICES};
use super::graph::{RtGraph, RtNode};
use super::group::{VoiceGroup, MAX_LANES};
use super::idle::{self, IdlePolicy};
use super::midi::{MidiEngine, MidiLink, MidiTelemetry};
use super::steal;
use super::tap::TapSource;
use crate::backend::{PortBuffers, PortRef};
use basedrop::{Collector, Handle, Shared, SharedCell};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, Ordering::Relaxed};
use std::sync::Arc;

const GAIN_SMOOTHING_SECONDS: f32 = 0.01;
const CENTRE: f32 = std::f32::consts::FRAC_1_SQRT_2;
const SAFETY_CLIP: f32 = 4.0;
/// Fault reports waiting for the control thread, at most (more in one go are counted only).
const FAULT_CAPACITY: usize = 256;
/// Frames between two updates of a ramping control (6 kHz at 48 kHz).
const RAMP_PIECE: usize = 8;
/// A node a new graph leaves out (freed) fades out over this long instead of stopping dead.
const DEPARTURE_SECONDS: f32 = 0.005;
/// Nodes fading out at once, at most (more are cut off at once, as before).
const DEPARTURE_CAPACITY: usize = 64;

/// A node the graph no longer holds, still heard while it fades out.
struct Departing {
    cell: Shared<NodeCell>,
    /// Frames of the fade still to go.
    left: u32,
}

/// Counters the audio thread publishes (atomics: read from any thread).
#[derive(Debug, Default)]
pub struct EngineTelemetry {
    /// Engine frames processed so far: the scheduler's clock.
    pub frame: AtomicU64,
    /// Generation of the graph in use.
    pub generation: AtomicU64,
    /// Generation of the latest graph published (the audio thread takes it up when it differs
    /// from the one in use: one load per block, the graph cell is read only then).
    pub published: AtomicU64,
    pub late_events: AtomicU64,
    pub dropped_events: AtomicU64,
    /// Blocks in which a node produced NaN or infinity and was silenced and reset.
    pub faults: AtomicU64,
    pub callbacks: AtomicU64,
    /// Our callback's share of the block period, f32 bits: smoothed mean and peak.
    pub load_mean: AtomicU32,
    pub load_peak: AtomicU32,
    /// JACK's cycle times at the start of the last callback (see [`CycleTimes`]), behind a
    /// sequence counter: odd while being written.
    cycle_seq: AtomicU64,
    cycle_frame: AtomicU64,
    cycle_usecs: AtomicU64,
    cycle_period_usecs: AtomicU32,
    cycle_frames: AtomicU32,
    /// MIDI written, dropped and received.
    pub midi: MidiTelemetry,
}

/// Where the audio clock stood at the start of a callback: engine frame `frame` began at JACK
/// time `usecs`, and `frames` frames take `period_usecs` (JACK's DLL-filtered estimate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleTimes {
    pub frame: u64,
    pub usecs: u64,
    pub period_usecs: f32,
    pub frames: u32,
}

impl EngineTelemetry {
    pub fn load(&self) -> (f32, f32) {
        (f32::from_bits(self.load_mean.load(Relaxed)), f32::from_bits(self.load_peak.load(Relaxed)))
    }

    /// Publish the cycle times (audio thread; a seqlock, no waiting).
    pub fn publish_cycle(&self, t: CycleTimes) {
        self.cycle_seq.fetch_add(1, Ordering::AcqRel);
        self.cycle_frame.store(t.frame, Relaxed);
        self.cycle_usecs.store(t.usecs, Relaxed);
        self.cycle_period_usecs.store(t.period_usecs.to_bits(), Relaxed);
        self.cycle_frames.store(t.frames, Relaxed);
        self.cycle_seq.fetch_add(1, Ordering::Release);
    }

    /// The last published cycle times, if any.
    pub fn cycle(&self) -> Option<CycleTimes> {
        for _ in 0..100 {
            let before = self.cycle_seq.load(Ordering::Acquire);
            if before == 0 {
                return None;
            }
            let t = CycleTimes {
                frame: self.cycle_frame.load(Relaxed),
                usecs: self.cycle_usecs.load(Relaxed),
                period_usecs: f32::from_bits(self.cycle_period_usecs.load(Relaxed)),
                frames: self.cycle_frames.load(Relaxed),
            };
            // The fence keeps the field loads above from moving after the second sequence
            // load (an acquire load alone only stops later loads from moving before it).
            std::sync::atomic::fence(Ordering::Acquire);
            if before.is_multiple_of(2) && self.cycle_seq.load(Relaxed) == before {
                return Some(t);
            }
            std::hint::spin_loop();
        }
        None
    }
}

/// The control thread's ends of the rings to the audio thread.
pub struct AudioLink {
    /// The latest graph: each new one replaces the last, whether or not the audio thread took it
    /// up (graphs are complete, so only the latest matters and none is ever refused).
    pub graph: Arc<SharedCell<RtGraph>>,
    pub events: rtrb::Producer<RtEvent>,
    pub telemetry: Arc<EngineTelemetry>,
    pub handle: Handle,
    /// Keys of nodes the audio thread silenced and reset for producing NaN or infinity.
    pub faults: rtrb::Consumer<u32>,
    /// MIDI to write at exact frames, and MIDI input as it arrived.
    pub midi: MidiLink,
}

impl AudioLink {
    /// Queue an event; `false` when the ring is full (the caller reports it).
    pub fn send(&mut self, ev: RtEvent) -> bool {
        self.events.push(ev).is_ok()
    }

    /// Publish a new graph; the audio thread takes it up at its next block.
    pub fn publish(&mut self, graph: RtGraph) {
        let generation = graph.generation;
        self.graph.set(Shared::new(&self.handle, graph));
        self.telemetry.published.store(generation, Ordering::Release);
    }
}

/// Where a callback's output goes: the master bus, and the backend's node port buffers for
/// this block (None when rendering offline).
pub struct BlockIo<'a> {
    pub master: [&'a mut [f32]; 2],
    pub ports: Option<&'a mut dyn PortBuffers>,
}

/// The audio thread's engine.
pub struct AudioEngine {
    graph: Shared<RtGraph>,
    latest: Arc<SharedCell<RtGraph>>,
    events: rtrb::Consumer<RtEvent>,
    pending: Vec<RtEvent>,
    frame: u64,
    sample_rate: f32,
    gain_coef: f32,
    master: MasterBus,
    faults: rtrb::Producer<u32>,
    telemetry: Arc<EngineTelemetry>,
    /// Freed nodes fading out (capacity reserved up front; dropping one's cell hands it to the
    /// collector, no free here).
    departing: Vec<Departing>,
    departure_frames: u32,
    midi: MidiEngine,
    /// Idle voices are not computed (config `engine.skip_idle_voices`; see `rt::idle`).
    skip_idle_voices: bool,
}

impl AudioEngine {
    /// Make an engine and the control thread's link to it.
    pub fn new(collector: &Collector, sample_rate: u32, master_gain: f32) -> (AudioEngine, AudioLink) {
        let (ep, ec) = rtrb::RingBuffer::new(EVENT_CAPACITY);
        let (fp, fc) = rtrb::RingBuffer::new(FAULT_CAPACITY);
        let empty = Shared::new(&collector.handle(), RtGraph::empty());
        let latest = Arc::new(SharedCell::new(Shared::clone(&empty)));
        let telemetry = Arc::new(EngineTelemetry::default());
        let (midi, midi_link) = MidiEngine::new(sample_rate as f32);
        let sr = sample_rate as f32;
        let engine = AudioEngine {
            graph: Shared::clone(&empty),
            latest: Arc::clone(&latest),
            events: ec,
            pending: Vec::with_capacity(EVENT_CAPACITY),
            frame: 0,
            sample_rate: sr,
            gain_coef: 1.0 - (-1.0 / (GAIN_SMOOTHING_SECONDS * sr)).exp(),
            faults: fp,
            master: MasterBus {
                target: master_gain,
                gain: master_gain,
                buf: [vec![0.0; MAX_BLOCK], vec![0.0; MAX_BLOCK]],
            },
            telemetry: Arc::clone(&telemetry),
            departing: Vec::with_capacity(DEPARTURE_CAPACITY),
            departure_frames: (DEPARTURE_SECONDS * sr).max(1.0) as u32,
            midi,
            skip_idle_voices: true,
        };
        let link =
            AudioLink { graph: latest, events: ep, telemetry, handle: collector.handle(), faults: fc, midi: midi_link };
        (engine, link)
    }

    /// Whether idle voices are skipped (on by default; see `rt::idle`).
    pub fn set_skip_idle_voices(&mut self, skip: bool) {
        self.skip_idle_voices = skip;
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub fn telemetry(&self) -> &EngineTelemetry {
        &self.telemetry
    }

    /// The engine frame the current callback starts at.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Follow the backend's frame counter, so engine frames are JACK frames and time tags map
    /// onto them. The counter is 32-bit; wrap-arounds are carried into the upper bits.
    pub fn sync_clock(&mut self, jack_frame: u32) {
        let high = self.frame & !0xffff_ffff;
        let mut f = high | jack_frame as u64;
        if f + (1 << 31) < self.frame {
            f += 1 << 32;
        }
        self.frame = f;
    }

    /// Process one callback of `frames` frames. Real-time safe.
    pub fn process(&mut self, frames: usize, io: BlockIo<'_>) {
        let started = std::time::Instant::now();
        // Denormal floats (decaying tails) cost ~100× a normal float; flushed while we compute.
        let _flush = FlushDenormals::on();
        let BlockIo { master, mut ports } = io;
        let leaving = self.swap_graph();
        // MIDI out is written against the new graph and the one it replaced: a port the new
        // graph leaves out is unregistered only once the audio thread says it runs that graph
        // (below, after the writes), so its last messages (a freed out's note-offs) still
        // reach it.
        if let Some(p) = ports.as_deref_mut() {
            let leaving = leaving.as_ref().map(|g| &g.midi);
            self.midi.write(&self.graph.midi, leaving, p, self.frame, frames as u32, &self.telemetry.midi);
        }
        if leaving.is_some() {
            self.telemetry.generation.store(self.graph.generation, Relaxed);
        }
        if let Some(p) = ports.as_deref() {
            self.midi.read(&self.graph, p, self.frame, &mut self.pending, &self.telemetry.midi);
        }
        let [left, right] = master;
        let mut done = 0;
        while done < frames {
            let n = (frames - done).min(MAX_BLOCK);
            self.take_events();
            self.process_chunk(n, done, ports.as_deref_mut());
            let end = (n).min(left.len().saturating_sub(done)).min(right.len().saturating_sub(done));
            left[done..done + end].copy_from_slice(&self.master.buf[0][..end]);
            right[done..done + end].copy_from_slice(&self.master.buf[1][..end]);
            self.frame += n as u64;
            done += n;
        }
        self.telemetry.frame.store(self.frame, Relaxed);
        self.telemetry.callbacks.fetch_add(1, Relaxed);
        let period = frames as f32 / self.sample_rate;
        if period > 0.0 {
            let load = started.elapsed().as_secs_f32() / period;
            let (mean, peak) = self.telemetry.load();
            self.telemetry.load_mean.store((mean + (load - mean) * 0.05).to_bits(), Relaxed);
            self.telemetry.load_peak.store(peak.max(load).to_bits(), Relaxed);
        }
    }

    /// Take up the latest graph; the one let go of is returned (freed by the collector on the
    /// control thread when dropped: no free here). Its generation is not published yet.
    fn swap_graph(&mut self) -> Option<Shared<RtGraph>> {
        if self.telemetry.published.load(Ordering::Acquire) == self.graph.generation {
            return None;
        }
        let latest = self.latest.get();
        if latest.generation == self.graph.generation {
            return None;
        }
        self.keep_departing(&latest);
        // The caller publishes the generation taken up (`telemetry.generation`) once it is
        // done with the graph let go of.
        Some(std::mem::replace(&mut self.graph, latest))
    }

    /// Nodes heard in the graph in use that `next` leaves out (freed) fade out, instead of
    /// stopping dead (a click). Cells are marked with the generation of the graph that holds
    /// them, so this is linear in the nodes of both graphs.
    fn keep_departing(&mut self, next: &RtGraph) {
        for node in &next.nodes {
            // SAFETY: audio thread; no other reference to these cells is live during the swap.
            unsafe { node.cell.get() }.seen = next.generation;
            if let Some(prev) = &node.prev {
                // SAFETY: as above.
                unsafe { prev.get() }.seen = next.generation;
            }
        }
        for node in &self.graph.nodes {
            // SAFETY: as above.
            let st = unsafe { node.cell.get() };
            let heard = node.to_master && !st.muted && st.gain > 0.0;
            if st.seen != next.generation && heard && self.departing.len() < self.departing.capacity() {
                self.departing.push(Departing { cell: Shared::clone(&node.cell), left: self.departure_frames });
            }
        }
    }

    /// Move events from the ring into `pending`, kept sorted by frame (stable for ties, so a
    /// pitch set before a gate at the same frame is applied first).
    fn take_events(&mut self) {
        while self.pending.len() < self.pending.capacity() {
            let Ok(ev) = self.events.pop() else { break };
            if ev.frame != 0 && ev.frame < self.frame {
                self.telemetry.late_events.fetch_add(1, Relaxed);
            }
            let at = self.pending.partition_point(|p| p.frame <= ev.frame);
            self.pending.insert(at, ev);
        }
        if self.pending.len() == self.pending.capacity() && !self.events.is_empty() {
            self.telemetry.dropped_events.fetch_add(1, Relaxed);
        }
    }

    /// Compute frames `[offset, offset + n)` of the callback.
    fn process_chunk<'p>(&mut self, n: usize, offset: usize, mut ports: Option<&mut (dyn PortBuffers + 'p)>) {
        let start = self.frame;
        let end = start + n as u64;
        let due = self.pending.partition_point(|e| e.frame < end);
        let skip_idle = self.skip_idle_voices;
        let graph = &*self.graph;
        for node in &graph.nodes {
            // SAFETY: audio thread; cells of distinct nodes are distinct allocations.
            let st = unsafe { node.cell.get() };
            for b in &mut st.input {
                b[..n].fill(0.0);
            }
        }
        for b in &mut self.master.buf {
            b[..n].fill(0.0);
        }
        let events = &self.pending[..due];
        for (pos, node) in graph.nodes.iter().enumerate() {
            // SAFETY: audio thread; this is the only live reference to this node's cell (sends
            // below take references to *other* cells, never this one: cycles are refused).
            let st = unsafe { node.cell.get() };
            if let Some(ports) = ports.as_deref() {
                read_ports(st, &node.in_ports, ports, offset, n);
            }
            if let Some(sampler) = &node.sampler {
                // SAFETY: audio thread; a sampler cell belongs to one graph node.
                unsafe { sampler.get() }.render(&mut st.input, start, n);
            }
            if let Some(up) = &node.upgrade {
                // SAFETY: audio thread; an upgrade belongs to one graph node.
                unsafe { up.take_up(&mut st.groups, &st.voices) };
            }
            // Idle voices are told for MIDI notes (a silent voice first) and for an upgrade
            // (taken up once all are idle), skipped or not.
            let told = node.upgrade.is_some() || graph.midi.notes.iter().any(|m| m.node == node.key);
            compute_node(st, node.key, events, start, n, IdlePolicy::new(skip_idle, told));
            if let Some(prev) = &node.prev {
                // SAFETY: the previous definition's cell is referenced only by this graph node.
                let old = unsafe { prev.get() };
                crossfade(st, old, node.key, start, n, skip_idle);
            }
            if !apply_fader(st, node.key, events, start, n, self.gain_coef) {
                fault(node, st, n, &self.telemetry, &mut self.faults);
            }
            if let Some(ports) = ports.as_deref_mut() {
                write_ports(st, &node.out_ports, ports, offset, n);
            }
            for tap in graph.taps.iter().filter(|t| t.source == TapSource::Node(pos)) {
                // SAFETY: audio thread; tap cells are referenced only from this graph.
                unsafe { tap.cell.write(&st.post, start, n) };
            }
            let target = if node.to_master { 1.0 } else { 0.0 };
            // A node's first block: its master path and sends start where the graph puts them,
            // no fade in (a new node starts from its own silence; a redefined one carries on
            // from its previous definition, which it crossfades into its own output).
            let first = st.master_level.is_nan();
            if first {
                st.master_level = target;
            }
            if st.master_level == target {
                if node.to_master {
                    mix_to_master(&mut self.master.buf, st, n);
                }
            } else {
                // Soloed out or back in: fade over the departure time rather than click.
                let from = st.master_level;
                let step = n as f32 / self.departure_frames as f32;
                let to = if target > from { (from + step).min(target) } else { (from - step).max(target) };
                mix_to_master_faded(&mut self.master.buf, st, n, from, to);
                st.master_level = to;
            }
            let mut kept = [false; MAX_SEND_FADES];
            for &(target, level) in node.sends.iter() {
                let Some(t) = graph.nodes.get(target) else {
                    continue;
                };
                let id = cell_id(&t.cell);
                // A new send starts from 0 (route fades in); a full table sends as before.
                let slot = st.sends.iter().position(|f| f.target == id).or_else(|| {
                    let free = st.sends.iter().position(|f| f.target == 0)?;
                    st.sends[free] = SendFade { target: id, level: if first { level } else { 0.0 } };
                    Some(free)
                });
                let (from, to) = match slot {
                    Some(k) => {
                        kept[k] = true;
                        let from = st.sends[k].level;
                        let to = approach(from, level, n, self.departure_frames);
                        st.sends[k].level = to;
                        (from, to)
                    }
                    None => (level, level),
                };
                // SAFETY: targets come later in topological order and are never this node.
                let ts = unsafe { t.cell.get() };
                send(st, ts, from, to, n);
            }
            // Sends the graph dropped fade out, into targets still processed after this node.
            for (k, &heard) in kept.iter().enumerate() {
                let fade = st.sends[k];
                if fade.target == 0 || heard {
                    continue;
                }
                let later = graph.nodes[pos + 1..].iter().find(|t| cell_id(&t.cell) == fade.target);
                let to = approach(fade.level, 0.0, n, self.departure_frames);
                st.sends[k] =
                    if to > 0.0 && later.is_some() { SendFade { level: to, ..fade } } else { SendFade::default() };
                if let Some(t) = later {
                    // SAFETY: a later node in topological order, never this node.
                    let ts = unsafe { t.cell.get() };
                    send(st, ts, fade.level, to, n);
                }
            }
        }
        if !self.departing.is_empty() {
            let frames = self.departure_frames;
            fade_departing(&mut self.departing, &mut self.master.buf, frames, self.gain_coef, start, n, skip_idle);
        }
        self.master.fader(events, start, n, self.gain_coef);
        for tap in graph.taps.iter().filter(|t| t.source == TapSource::Master) {
            // SAFETY: audio thread; tap cells are referenced only from this graph.
            unsafe { tap.cell.write(&self.master.buf, start, n) };
        }
        self.pending.drain(..due);
    }
}

/// Compute the departing nodes' next `n` frames into the master bus, faded out linearly;
/// a node whose fade is over is let go (its cell goes to the collector).
fn fade_departing(
    departing: &mut Vec<Departing>,
    master: &mut [Vec<f32>; 2],
    frames: u32,
    coef: f32,
    start: u64,
    n: usize,
    skip_idle: bool,
) {
    let total = frames as f32;
    for d in departing.iter_mut() {
        // SAFETY: audio thread; the graph in use no longer holds this cell, so this is the
        // only reference to it.
        let st = unsafe { d.cell.get() };
        for b in &mut st.input {
            b[..n].fill(0.0);
        }
        compute_node(st, u32::MAX, &[], start, n, IdlePolicy::new(skip_idle, false));
        if !apply_fader(st, u32::MAX, &[], start, n, coef) {
            silence_and_reset(st, n);
        }
        for b in st.post.iter_mut() {
            for (i, x) in b[..n].iter_mut().enumerate() {
                *x *= (d.left as f32 - i as f32).max(0.0) / total;
            }
        }
        mix_to_master(master, st, n);
        d.left = d.left.saturating_sub(n as u32);
    }
    departing.retain(|d| d.left > 0);
}

/// The master bus: the sum of the nodes heard, and its fader.
struct MasterBus {
    target: f32,
    gain: f32,
    buf: [Vec<f32>; 2],
}

impl MasterBus {
    /// Master: smoothed gain (changing at its events' exact frames), NaN scrub, safety clip.
    fn fader(&mut self, events: &[RtEvent], start: u64, n: usize, coef: f32) {
        let mut masters = events.iter().filter_map(|e| match e.kind {
            RtEventKind::Master(g) => Some(((e.frame.saturating_sub(start) as usize).min(n), g)),
            _ => None,
        });
        let mut next = masters.next();
        for i in 0..n {
            while let Some((_, g)) = next.filter(|(at, _)| *at <= i) {
                self.target = g;
                next = masters.next();
            }
            self.gain += (self.target - self.gain) * coef;
            for b in &mut self.buf {
                let v = b[i] * self.gain;
                b[i] = if v.is_finite() { v.clamp(-SAFETY_CLIP, SAFETY_CLIP) } else { 0.0 };
            }
        }
    }
}

/// One node's NaN or infinity must not silence the others (or poison the effects it feeds):
/// silence this block of it, reset its signal state (and its previous definition's, while
/// crossfading), and report it.
#[cold]
fn fault(node: &RtNode, st: &mut NodeState, n: usize, telemetry: &EngineTelemetry, faults: &mut rtrb::Producer<u32>) {
    silence_and_reset(st, n);
    if let Some(prev) = &node.prev {
        // SAFETY: the previous definition's cell is referenced only by this graph node.
        silence_and_reset(unsafe { prev.get() }, n);
    }
    telemetry.faults.fetch_add(1, Relaxed);
    let _ = faults.push(node.key);
}

/// A faulted node: this block's output is silence and its voices start from a clean state.
fn silence_and_reset(st: &mut NodeState, n: usize) {
    for b in st.mix.iter_mut().chain(st.post.iter_mut()) {
        b[..n].fill(0.0);
    }
    for g in st.groups.iter_mut() {
        g.reset();
    }
}

/// Add the block's samples of a node's input ports to its inputs (what does not arrive as a
/// finite number from outside is silence).
fn read_ports(st: &mut NodeState, ports: &[PortRef], buffers: &dyn PortBuffers, offset: usize, n: usize) {
    for (ch, port) in ports.iter().enumerate().take(st.inputs) {
        let buf = buffers.input(*port).get(offset..offset + n).unwrap_or(&[]);
        for (d, s) in st.input[ch][..n].iter_mut().zip(buf) {
            *d += if s.is_finite() { *s } else { 0.0 };
        }
    }
}

/// Copy a node's post-fader output to its output ports.
fn write_ports(st: &NodeState, ports: &[PortRef], buffers: &mut dyn PortBuffers, offset: usize, n: usize) {
    for (ch, port) in ports.iter().enumerate().take(st.outputs) {
        if let Some(buf) = buffers.output(*port).get_mut(offset..offset + n) {
            buf.copy_from_slice(&st.post[ch][..n]);
        }
    }
}

/// Compute every voice of a node into `mix`, a group of voices at a time, splitting at the
/// events' frames, and tell which voices are idle as `policy` says. A group whose voices are
/// all idle is not computed when `policy` skips them (see `rt::idle`).
fn compute_node(st: &mut NodeState, key: u32, events: &[RtEvent], start: u64, n: usize, policy: IdlePolicy) {
    let NodeState { groups, voices, input, mix, scratch, gate, in_ptrs, out_ptrs, inputs, outputs, .. } = st;
    let outs = *outputs;
    // The gate that tells when a voice is idle: only sources have one (see `rt::idle`).
    let idle_gate = if policy.track && *inputs == 0 { *gate } else { None };
    // One voice computes straight into `mix`; otherwise each group goes through `scratch` and
    // its lanes are summed.
    let single = voices.len() == 1;
    if !single {
        for b in mix.iter_mut() {
            b[..n].fill(0.0);
        }
    }
    for group in groups.iter_mut() {
        let range = group.voices();
        let lanes = &mut voices[range.clone()];
        let out: &mut [Vec<f32>] = if single { mix } else { &mut scratch[..lanes.len() * outs] };
        // Whether the group computed anything this block, and whether each lane's gate was up.
        let mut computed = false;
        let mut gate_was_up = [false; MAX_LANES];
        if let Some(g) = idle_gate {
            for (l, up) in gate_was_up.iter_mut().enumerate().take(lanes.len()) {
                *up = idle::gate_up(group, l, g);
            }
        }
        let mut run = |group: &mut VoiceGroup, lanes: &mut [VoiceState], from: usize, to: usize| {
            if policy.skip && lanes.iter().all(|v| v.idle) {
                for (l, voice) in lanes.iter_mut().enumerate() {
                    idle::skip_ramps(group, l, voice, to - from);
                    steal::step(voice, (to - from) as u32);
                }
                for b in out.iter_mut() {
                    b[from..to].fill(0.0);
                }
                return;
            }
            computed = true;
            compute_ramped(group, lanes, from, to, &mut |group: &mut VoiceGroup, from: usize, to: usize| {
                for (p, b) in in_ptrs.iter_mut().zip(input.iter()) {
                    *p = b[from..].as_ptr() as *mut f32;
                }
                for (p, b) in out_ptrs.iter_mut().zip(out.iter_mut()) {
                    *p = b[from..].as_mut_ptr();
                }
                // SAFETY: the pointer arrays have at least the processors' channel counts (the
                // node state was built from them: `scratch` and `out_ptrs` hold the widest
                // group's outputs); every buffer holds MAX_BLOCK >= `to` samples; outputs are
                // distinct buffers and never alias the inputs.
                unsafe { group.compute(to - from, in_ptrs.as_mut_ptr(), out_ptrs.as_mut_ptr()) };
            });
            for (l, voice) in lanes.iter_mut().enumerate() {
                if steal::fading(voice) {
                    steal::apply(voice, &mut out[l * outs..(l + 1) * outs], from, to);
                }
            }
        };
        let mut pos = 0usize;
        let mine = |e: &&RtEvent| e.node == key && (e.voice == ALL_VOICES || range.contains(&(e.voice as usize)));
        for ev in events.iter().filter(mine) {
            let at = (ev.frame.saturating_sub(start) as usize).min(n);
            if at > pos {
                run(group, lanes, pos, at);
                pos = at;
            }
            let targets = if ev.voice == ALL_VOICES {
                0..lanes.len()
            } else {
                let l = ev.voice as usize - range.start;
                l..l + 1
            };
            if let RtEventKind::GateOn { .. } = ev.kind {
                let retrigger = targets.clone().any(|l| lanes[l].gate_up);
                if retrigger && pos < n {
                    // A gate already up drops for one sample so envelopes retrigger.
                    if let Some(g) = *gate {
                        for l in targets.clone().filter(|&l| lanes[l].gate_up) {
                            group.set(l, g as usize, 0.0);
                        }
                    }
                    run(group, lanes, pos, pos + 1);
                    pos += 1;
                }
            }
            for l in targets {
                apply_event(group, l, &mut lanes[l], *gate, ev.kind);
                if let Some(g) = idle_gate {
                    let up = idle::gate_up(group, l, g);
                    gate_was_up[l] |= up;
                    // A rising gate or a set control wakes an idle voice at the event's frame.
                    if up || matches!(ev.kind, RtEventKind::Set { .. }) {
                        lanes[l].idle = false;
                    }
                }
            }
        }
        if pos < n {
            run(group, lanes, pos, n);
        }
        if let Some(g) = idle_gate {
            for (l, voice) in lanes.iter_mut().enumerate() {
                let up = gate_was_up[l] || idle::gate_up(group, l, g);
                if computed && !up && idle::peak(&out[l * outs..(l + 1) * outs], n) < idle::SILENCE {
                    voice.idle = true;
                }
            }
        }
        if !single && computed {
            for (k, s) in scratch[..lanes.len() * outs].iter().enumerate() {
                for (d, x) in mix[k % outs][..n].iter_mut().zip(&s[..n]) {
                    *d += *x;
                }
            }
        }
    }
}

/// Compute frames `[from, to)` of a group with `compute`, ramping its voices' controls on the
/// way: they advance in pieces of at most RAMP_PIECE frames, each piece starting at its
/// interpolated value.
#[inline]
fn compute_ramped(
    group: &mut VoiceGroup,
    lanes: &mut [VoiceState],
    from: usize,
    to: usize,
    compute: &mut impl FnMut(&mut VoiceGroup, usize, usize),
) {
    let mut at = from;
    while at < to {
        let ramps = lanes.iter().flat_map(|v| v.live_ramps());
        let Some(left) = ramps.filter(|r| r.left > 0).map(|r| r.left as usize).min() else {
            for voice in lanes.iter_mut() {
                voice.ramps_live = 0;
            }
            compute(group, at, to);
            return;
        };
        let piece = (to - at).min(RAMP_PIECE).min(left);
        for (l, voice) in lanes.iter().enumerate() {
            for r in voice.live_ramps().iter().filter(|r| r.left > 0) {
                group.set(l, r.control as usize, r.value);
            }
        }
        compute(group, at, at + piece);
        for (l, voice) in lanes.iter_mut().enumerate() {
            for r in voice.live_ramps_mut().iter_mut().filter(|r| r.left > 0) {
                r.left -= piece as u32;
                r.value = if r.left == 0 { r.target } else { r.value + r.step * piece as f32 };
                if r.left == 0 {
                    // Land exactly on the target for what follows.
                    group.set(l, r.control as usize, r.target);
                }
            }
        }
        at += piece;
    }
}

/// Apply an event to voice `voice`, lane `lane` of `group`.
fn apply_event(group: &mut VoiceGroup, lane: usize, voice: &mut VoiceState, gate: Option<u16>, kind: RtEventKind) {
    match kind {
        RtEventKind::Set { control, value } => {
            // A set ends any ramp of that control.
            for r in voice.live_ramps_mut().iter_mut().filter(|r| r.left > 0 && r.control == control) {
                r.left = 0;
            }
            group.set(lane, control as usize, value)
        }
        RtEventKind::Ramp { control, value, frames } => {
            let from = group.get(lane, control as usize).unwrap_or(value);
            let ramp =
                Ramp { control, value: from, target: value, step: (value - from) / frames.max(1) as f32, left: frames };
            // No time, or no free slot: jump, as a set would (ending a ramp of it, as a set does).
            if frames == 0 || !voice.start_ramp(ramp) {
                for r in voice.live_ramps_mut().iter_mut().filter(|r| r.control == control) {
                    r.left = 0;
                }
                group.set(lane, control as usize, value);
            }
        }
        RtEventKind::GateOn { note } => {
            voice.note = note;
            voice.gate_up = true;
            steal::fade_in(voice);
            if let Some(g) = gate {
                group.set(lane, g as usize, 1.0);
            }
        }
        RtEventKind::GateOff { note } | RtEventKind::Steal { note, .. } => {
            if voice.gate_up && voice.note == note {
                voice.gate_up = false;
                if let Some(g) = gate {
                    group.set(lane, g as usize, 0.0);
                }
            }
            // A stolen note, or the release tail of the voice's last note, fades out (an idle
            // voice is silent already). Another note on the voice since then is left alone.
            if let RtEventKind::Steal { frames, .. } = kind {
                if voice.note == note && !voice.idle {
                    steal::fade_out(voice, frames);
                }
            }
        }
        RtEventKind::Gain(_) | RtEventKind::Mute(_) | RtEventKind::Master(_) => {}
    }
}

/// Mix a previous definition into the node with an equal-power crossfade.
fn crossfade(st: &mut NodeState, old: &mut NodeState, key: u32, start: u64, n: usize, skip_idle: bool) {
    if st.fade_pos >= st.fade_len {
        return;
    }
    for (o, i) in old.input.iter_mut().zip(&st.input) {
        o[..n].copy_from_slice(&i[..n]);
    }
    compute_node(old, key, &[], start, n, IdlePolicy::new(skip_idle, false));
    for i in 0..n {
        let x = ((st.fade_pos as f32 + i as f32) / st.fade_len.max(1) as f32).min(1.0);
        let (w_new, w_old) = ((x * std::f32::consts::FRAC_PI_2).sin(), (x * std::f32::consts::FRAC_PI_2).cos());
        for ch in 0..st.outputs {
            let o = if old.outputs > 0 { old.mix[ch % old.outputs][i] } else { 0.0 };
            st.mix[ch][i] = st.mix[ch][i] * w_new + o * w_old;
        }
    }
    st.fade_pos = st.fade_pos.saturating_add(n as u32).min(st.fade_len);
}

/// Fader and mute: the post-fader output, the gain moving (smoothed) from each gain or mute
/// event's exact frame.
///
/// Returns whether every sample of the node's mix was finite: the check rides along the fader's
/// pass over the samples (a sample is NaN or infinite when its magnitude bits are at least
/// 0x7f80_0000; an integer max vectorises where a float test would not).
fn apply_fader(st: &mut NodeState, key: u32, events: &[RtEvent], start: u64, n: usize, coef: f32) -> bool {
    let mut pos = 0;
    let mut bits = 0u32;
    for ev in events.iter().filter(|e| e.node == key) {
        let at = (ev.frame.saturating_sub(start) as usize).min(n);
        match ev.kind {
            RtEventKind::Gain(g) => {
                bits = bits.max(fader_segment(st, pos, at, coef));
                st.gain_target = g;
            }
            RtEventKind::Mute(m) => {
                bits = bits.max(fader_segment(st, pos, at, coef));
                st.muted = m;
            }
            _ => continue,
        }
        pos = at;
    }
    bits.max(fader_segment(st, pos, n, coef)) < 0x7f80_0000
}

/// The fader over frames `[from, to)`; returns the largest magnitude bits of the mix there.
fn fader_segment(st: &mut NodeState, from: usize, to: usize, coef: f32) -> u32 {
    if from >= to {
        return 0;
    }
    let magnitude = |x: f32| x.to_bits() & 0x7fff_ffff;
    let mut bits = 0u32;
    let target = if st.muted { 0.0 } else { st.gain_target };
    if (st.gain - target).abs() <= 1e-6 {
        // Settled: a plain (vectorisable) multiply.
        st.gain = target;
        for (post, mix) in st.post.iter_mut().zip(&st.mix) {
            for (p, m) in post[from..to].iter_mut().zip(&mix[from..to]) {
                *p = *m * target;
                bits = bits.max(magnitude(*m));
            }
        }
        return bits;
    }
    let mut g = st.gain;
    for i in from..to {
        g += (target - g) * coef;
        for ch in 0..st.outputs {
            st.post[ch][i] = st.mix[ch][i] * g;
            bits = bits.max(magnitude(st.mix[ch][i]));
        }
    }
    st.gain = g;
    bits
}

fn mix_to_master(master: &mut [Vec<f32>; 2], st: &NodeState, n: usize) {
    match st.outputs {
        0 => {}
        1 => {
            let [l, r] = master;
            for ((l, r), x) in l[..n].iter_mut().zip(&mut r[..n]).zip(&st.post[0][..n]) {
                *l += x * CENTRE;
                *r += x * CENTRE;
            }
        }
        _ => {
            for (ch, b) in st.post.iter().enumerate() {
                for (d, s) in master[ch % 2][..n].iter_mut().zip(&b[..n]) {
                    *d += *s;
                }
            }
        }
    }
}

/// Add a node's post-fader output to master at a level moving linearly from `from` to `to`.
fn mix_to_master_faded(master: &mut [Vec<f32>; 2], st: &NodeState, n: usize, from: f32, to: f32) {
    let level = |i: usize| from + (to - from) * (i + 1) as f32 / n as f32;
    for (ch, b) in st.post.iter().enumerate().take(st.outputs) {
        let (targets, gain): (&[usize], f32) = if st.outputs == 1 { (&[0, 1], CENTRE) } else { (&[ch % 2], 1.0) };
        for &t in targets {
            for (i, (d, s)) in master[t][..n].iter_mut().zip(&b[..n]).enumerate() {
                *d += *s * gain * level(i);
            }
        }
    }
}

/// Add a node's post-fader output to a target's input: source channel j goes to target channel
/// j mod k; a mono source feeds every target channel.
fn send(src: &NodeState, dst: &mut NodeState, from: f32, to: f32, n: usize) {
    if src.outputs == 0 || dst.inputs == 0 {
        return;
    }
    // The level moves linearly from `from` to `to` over the block (constant when equal).
    let slope = (to - from) / n as f32;
    let add = |d: &mut [f32], s: &[f32]| {
        for (i, (x, v)) in d[..n].iter_mut().zip(&s[..n]).enumerate() {
            *x += *v * (from + slope * (i + 1) as f32);
        }
    };
    if src.outputs < dst.inputs {
        for (i, d) in dst.input.iter_mut().enumerate() {
            add(d, &src.post[i % src.outputs]);
        }
    } else {
        for (j, s) in src.post.iter().enumerate() {
            add(&mut dst.input[j % dst.inputs], s);
        }
    }
}

/// `from` moved toward `goal` by the share of a `frames`-long fade that `n` frames make (a
/// full-scale change takes `frames`; smaller ones take proportionally less).
fn approach(from: f32, goal: f32, n: usize, frames: u32) -> f32 {
    let step = n as f32 / frames as f32 * from.abs().max(goal.abs()).max(1.0);
    if goal > from {
        (from + step).min(goal)
    } else {
        (from - step).max(goal)
    }
}

/// A cell's identity across graphs: its address.
fn cell_id(cell: &Shared<NodeCell>) -> usize {
    &**cell as *const NodeCell as usize
}
