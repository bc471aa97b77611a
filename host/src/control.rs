//! The control thread: receives packets (one request, or a bundle of them), applies them to the
//! [`Session`] in order, answers every request, runs the scheduler between them, tells
//! subscribers what changed, and saves the state after changes.
//!
//! - A packet needing FAUST compiled (node creation, scene recall, restoring the state file)
//!   becomes a job: its compiles go to the compile service, and until they are all back later
//!   packets wait (so their order is kept) while scheduling goes on.
//! - A bundle is atomic: its requests are applied in order and, if one fails, the session is put
//!   back as it was and every request is answered with `/kr/fail`.
//! - A time-tagged packet is held until its frame is within the scheduler's lookahead, then
//!   applied with its control changes stamped at that exact frame. A late one runs at once and
//!   its sender gets `/kr/late`.

use crate::commands;
pub use crate::config::ClientLimits;
pub use crate::replier::Replier;
use crate::session::{Session, SessionError, Snapshot, NEXT_BLOCK};
use crate::state::StateWriter;
use crate::status::{is_probe, StatusBoard};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use kr_faust::{CompileError, CompileResult, CompileService, Factory, Origin};
use kr_osc::{Command, DspSource, Notification, Packet, Reply, TimeTag};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Nobody to answer (restoring the state file at start): failures are logged.
struct Nobody;

impl Replier for Nobody {
    fn is_local(&self) -> bool {
        true
    }
    fn send(&self, _: &[u8]) {}
    fn peer(&self) -> String {
        "krd".into()
    }
    fn reply(&self, reply: Reply) {
        if let Reply::Fail { message, .. } = reply {
            tracing::error!("{message}");
        }
    }
}

/// Messages to the control thread.
pub enum ControlMsg {
    Packet(Packet, Arc<dyn Replier>),
    /// One compile of the job in flight finished (`name` is the node it is for).
    Compiled {
        name: String,
        result: CompileResult,
    },
    /// A file of the dsp directory was recompiled after it changed.
    Reloaded {
        type_name: String,
        result: CompileResult,
    },
    Shutdown,
    /// Tell subscribers something the control thread cannot see (the JACK server went away).
    Notify(String),
    /// A `/dirt/play` event (or a message that could not be read as one).
    Dirt(crate::dirt::endpoint::DirtMessage),
    /// A program's lanes program compiled (see `Session::lanes_ready`).
    LanesReady(Arc<Factory>),
    /// A bundled program (`dirt/orbit`, a Dirt synth) compiled.
    DirtCompiled {
        type_name: String,
        result: CompileResult,
    },
}

/// The most compiles that may be queued or running when a `/kr/compile` comes: more is refused
/// (a flood of programs to compile ahead would otherwise queue without bound).
pub const MAX_PENDING_COMPILES: u64 = 64;

/// A report about one sound or file goes out at most this often.
const DIRT_REPORT_EVERY: Duration = Duration::from_secs(5);

/// Shared counters the control thread reports in `/kr/status`.
#[derive(Debug, Default)]
pub struct HostCounters {
    pub xruns: std::sync::atomic::AtomicU64,
    pub block_size: std::sync::atomic::AtomicU32,
    /// The server's sample rate as last reported by JACK (0: not reported).
    pub sample_rate: std::sync::atomic::AtomicU32,
    /// Signs of life for the service watchdog.
    pub beats: crate::service::watchdog::Heartbeats,
}

/// Work waiting for its compiles.
enum Job {
    /// A packet; `frame` stamps its control changes (time-tagged packets).
    Packet { packet: Packet, frame: u64 },
    /// Make the session equal a snapshot (scene recall), fading over `fade` cycles.
    Apply { address: &'static str, id: Option<i64>, snap: Snapshot, fade: f64 },
    /// Rebuild the saved session at start, keeping whatever can be kept.
    Restore { snap: Snapshot },
}

/// A job whose compiles are in flight.
pub struct Pending {
    job: Job,
    to: Arc<dyn Replier>,
    remaining: usize,
    factories: BTreeMap<String, Arc<Factory>>,
    /// Compiles that failed, by node name.
    errors: BTreeMap<String, CompileError>,
}

/// Recordings stopped by a request, their files still being finished.
struct Stopping {
    files: Vec<crate::record::Finishing>,
    to: Arc<dyn Replier>,
    address: &'static str,
    id: Option<i64>,
}

impl Stopping {
    /// Answer the request (waiting for the disk threads, which are done or about to be).
    fn answer(self) {
        let results: Result<Vec<String>, String> = self.files.into_iter().map(|f| f.wait()).collect();
        self.to.reply(match results {
            Ok(m) => Reply::done(self.address, self.id, m.join("; ")),
            Err(e) => Reply::fail(self.address, self.id, SessionError::Record(e).to_string()),
        });
    }
}

struct Subscriber {
    to: Arc<dyn Replier>,
    until: Instant,
}

pub struct ControlThread {
    pub session: Session,
    pub compiler: CompileService,
    pub tx: Sender<ControlMsg>,
    pub rx: Receiver<ControlMsg>,
    pub dsp_dir: Option<PathBuf>,
    pub counters: Arc<HostCounters>,
    pub started: Instant,
    pub state: Option<StateWriter>,
    subscribers: Vec<Subscriber>,
    limits: ClientLimits,
    change_seq: i64,
    /// Where the socket threads read the status they answer probes with.
    board: Arc<StatusBoard>,
    /// The change last written to the state file.
    saved_seq: i64,
    /// Why the state file cannot be written, until a write succeeds (`/kr/status` is not ok).
    state_error: Option<String>,
    /// Recordings stopped whose files are being finished.
    stopping: Vec<Stopping>,
    /// What the last restore could not bring back (reported in `/kr/status`).
    restore_problems: Vec<String>,
    /// When each faulted node was last reported (a node faulting every block is reported once a
    /// second).
    fault_reports: BTreeMap<String, Instant>,
    late_packets: u64,
    /// Time-tagged packets waiting for their frame, in arrival order.
    timed: Vec<(u64, Packet, Arc<dyn Replier>)>,
    dsp_files: Option<kr_faust::dspdir::DspDir>,
    /// Dirt events waiting for their frame to come within the lookahead.
    dirt_timed: Vec<(u64, crate::dirt::DirtEvent)>,
    /// When each Dirt problem (by sound or file) was last reported.
    dirt_reports: BTreeMap<String, Instant>,
    /// Dirt events the endpoint dropped because the control thread was behind.
    pub dirt_dropped: Arc<std::sync::atomic::AtomicU64>,
    /// Where the SuperDirt endpoint listens, or why it does not.
    pub dirt_listening: Result<String, String>,
}

impl ControlThread {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        session: Session,
        compiler: CompileService,
        tx: Sender<ControlMsg>,
        rx: Receiver<ControlMsg>,
        dsp_dir: Option<PathBuf>,
        counters: Arc<HostCounters>,
        state: Option<StateWriter>,
    ) -> ControlThread {
        ControlThread {
            session,
            compiler,
            tx,
            rx,
            dsp_dir,
            counters,
            started: Instant::now(),
            state,
            subscribers: Vec::new(),
            limits: crate::config::OscConfig::default().client_limits(),
            board: Arc::new(StatusBoard::default()),
            change_seq: 0,
            saved_seq: 0,
            fault_reports: BTreeMap::new(),
            restore_problems: Vec::new(),
            state_error: None,
            stopping: Vec::new(),
            late_packets: 0,
            timed: Vec::new(),
            dsp_files: None,
            dirt_timed: Vec::new(),
            dirt_reports: BTreeMap::new(),
            dirt_dropped: Arc::default(),
            dirt_listening: Err("not started".into()),
        }
    }

    /// The board this thread posts its status on, for the socket threads.
    pub fn status_board(&self) -> Arc<StatusBoard> {
        Arc::clone(&self.board)
    }

    /// Use `limits` instead of the defaults.
    pub fn set_limits(&mut self, limits: ClientLimits) {
        self.limits = limits;
    }

    /// Watch the dsp directory: edited files recompile and their nodes crossfade to them.
    pub fn watch_dsp_dir(&mut self) {
        if let Some(dir) = &self.dsp_dir {
            let mut d = kr_faust::dspdir::DspDir::new(dir.clone());
            let found = d.poll();
            tracing::info!(dir = %dir.display(), programs = found.len(), "watching the dsp directory");
            self.dsp_files = Some(d);
        }
    }

    /// Compile the bundled programs (the orbit, the Dirt synths) so orbits and synths can be
    /// made the moment an event names them (compiles are cached on disk after the first run).
    pub fn compile_dirt_programs(&mut self) {
        for (type_name, source) in crate::dirt::builtin::PROGRAMS {
            let tx = self.tx.clone();
            let type_name = type_name.to_string();
            self.compiler.submit_background(&format!("faust:{type_name}"), source, move |result| {
                let _ = tx.send(ControlMsg::DirtCompiled { type_name, result });
            });
        }
    }

    /// A Dirt event arrived: play it now, or hold it until its frame is near.
    fn dirt_message(&mut self, m: crate::dirt::endpoint::DirtMessage) {
        m.taken();
        let ev = match m.event {
            Ok(ev) => ev,
            Err(why) => {
                self.session.dirt_unreadable(format!("{why} (from {})", m.from));
                return;
            }
        };
        let Some(when) = m.at else {
            self.session.dirt_submit(ev, NEXT_BLOCK);
            return;
        };
        let frame = self.session.frame_at(when);
        let now = self.session.now();
        let ahead = frame.saturating_sub(now) as f64 / self.session.sample_rate() as f64;
        if ahead > self.limits.max_ahead_seconds || self.dirt_timed.len() >= self.limits.max_waiting_packets {
            let why = format!(
                "an event {ahead:.0} s ahead with {} waiting; the limits are {} s (osc.max_ahead_s) and {} events (osc.max_waiting_packets)",
                self.dirt_timed.len(),
                self.limits.max_ahead_seconds,
                self.limits.max_waiting_packets
            );
            self.session.dirt_unreadable(why);
        } else if frame > now + self.session.lookahead_frames() {
            self.dirt_timed.push((frame, ev));
        } else {
            // A late event plays at once (the sampler starts it at the block's first frame).
            self.session.dirt_submit(ev, frame.max(1));
        }
    }

    /// Dirt events whose frame came near; problems reported (once per sound every few seconds).
    fn dirt_tick(&mut self) {
        if !self.dirt_timed.is_empty() {
            let horizon = self.session.now() + self.session.lookahead_frames();
            let (due, later): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.dirt_timed).into_iter().partition(|(f, _)| *f <= horizon);
            self.dirt_timed = later;
            for (frame, ev) in due {
                self.session.dirt_submit(ev, frame);
            }
        }
        let now = Instant::now();
        for (what, message) in self.session.take_dirt_problems() {
            if self.dirt_reports.get(&what).is_some_and(|t| now.duration_since(*t) < DIRT_REPORT_EVERY) {
                continue;
            }
            self.dirt_reports.insert(what, now);
            tracing::warn!("dirt: {message}");
            self.notify(Notification::Error { message: format!("dirt: {message}") });
        }
        if self.dirt_reports.len() > 10_000 {
            self.dirt_reports.retain(|_, t| now.duration_since(*t) < DIRT_REPORT_EVERY);
        }
    }

    /// Recompile changed dsp files that nodes use (never waiting for the compiler).
    fn poll_dsp_dir(&mut self) {
        let Some(d) = self.dsp_files.as_mut() else { return };
        for change in d.poll() {
            let Some(source) = change.source else { continue };
            if self.session.nodes_of_type(&change.type_name).is_empty() {
                continue;
            }
            let tx = self.tx.clone();
            let type_name = change.type_name.clone();
            self.compiler.submit(&format!("faust:{}", change.type_name), &source, move |result| {
                let _ = tx.send(ControlMsg::Reloaded { type_name, result });
            });
        }
    }

    /// Crossfade every node of a reloaded type to its new DSP, or report why it stays.
    fn reloaded(&mut self, type_name: &str, result: CompileResult) {
        let nodes = self.session.nodes_of_type(type_name);
        for (node, count, gain) in nodes {
            let n = match &result {
                Ok(f) => {
                    let r = self.session.node_new(&node, DspSource::File(type_name.into()), Arc::clone(f), count, gain);
                    match r {
                        Ok(m) => Notification::Reload { node, ok: true, message: m },
                        Err(e) => Notification::Reload { node, ok: false, message: e.to_string() },
                    }
                }
                Err(e) => Notification::Reload { node, ok: false, message: e.to_string() },
            };
            if let Notification::Reload { ok: false, message, node } = &n {
                tracing::warn!(%node, "{message}");
            }
            self.notify(n);
        }
    }

    /// Start rebuilding the saved session before serving requests. `problems` are what could
    /// not be read already (the file was moved aside then).
    pub fn restore(&mut self, saved: Option<&serde_json::Value>, mut problems: Vec<String>) -> Option<Pending> {
        let Some(saved) = saved else {
            self.restored(problems);
            return None;
        };
        let parsed = crate::state::Saved::parse(saved);
        problems.extend(parsed.problems);
        self.session.set_scenes(parsed.scenes);
        self.restore_problems = problems;
        let snap = parsed.session?;
        tracing::info!(nodes = snap.nodes.len(), "restoring the saved session");
        self.start_job(Job::Restore { snap }, Arc::new(Nobody))
    }

    /// The saved session is back, except `problems`: report them, and keep the file they came
    /// from aside (nothing overwrites a file krd could not read whole).
    fn restored(&mut self, problems: Vec<String>) {
        self.counters.beats.restored.store(true, Relaxed);
        self.restore_problems.extend(problems);
        if self.restore_problems.is_empty() {
            return;
        }
        if let Some(path) = self.state.as_ref().map(|w| w.path().to_path_buf()).filter(|p| p.exists()) {
            match crate::state::move_aside(&path) {
                Ok(aside) => self.restore_problems.push(format!("the state file was kept as {}", aside.display())),
                Err(e) => self.restore_problems.push(format!("the state file could not be kept aside: {e}")),
            }
        }
        for problem in &self.restore_problems {
            tracing::error!("restoring the session: {problem}");
        }
        let message = format!("the saved session was restored in part: {}", self.restore_problems.join("; "));
        self.changed("restore", &message);
        self.notify(Notification::Error { message });
    }

    /// Run until `Shutdown`.
    pub fn run(mut self, mut pending: Option<Pending>) {
        let mut waiting: VecDeque<(Packet, Arc<dyn Replier>, u64)> = VecDeque::new();
        let mut last_save = Instant::now();
        let mut seen_xruns = 0;
        let mut posted = Instant::now();
        self.board.post(self.status().to_string());
        loop {
            self.counters.beats.control_turned();
            if posted.elapsed() >= crate::status::POST_EVERY {
                self.board.post(self.status().to_string());
                posted = Instant::now();
            }
            match self.rx.recv_timeout(Duration::from_millis(2)) {
                Ok(ControlMsg::Shutdown) => break,
                Ok(ControlMsg::Notify(message)) => self.notify(Notification::Error { message }),
                Ok(ControlMsg::Dirt(m)) => self.dirt_message(m),
                Ok(ControlMsg::DirtCompiled { type_name, result }) => {
                    if let Err(e) = &result {
                        tracing::error!("the bundled program faust:{type_name} does not compile: {e}");
                    }
                    self.session.dirt_factory(&type_name, result.map_err(|e| e.to_string()));
                }
                // The liveness probes are answered at once, even while compiles are in flight
                // (the servers answer most of them themselves, from the status board).
                Ok(ControlMsg::Packet(packet, to)) if is_probe(&packet) => {
                    let _ = self.handle(packet, to, NEXT_BLOCK);
                }
                // A client gone (a TCP connection closed) is not answered, nor its work done.
                Ok(ControlMsg::Packet(_, to)) if !to.alive() => to.handled(),
                Ok(ControlMsg::Packet(packet, to)) => match self.due_frame(&packet, &to) {
                    Some(frame) if pending.is_none() => pending = self.handle(packet, to, frame),
                    Some(frame) => waiting.push_back((packet, to, frame)),
                    None => {}
                },
                Ok(ControlMsg::Compiled { name, result }) => {
                    if let Some(p) = pending.take() {
                        pending = self.compiled(p, name, result);
                    }
                }
                Ok(ControlMsg::Reloaded { type_name, result }) => self.reloaded(&type_name, result),
                Ok(ControlMsg::LanesReady(factory)) => self.session.lanes_ready(&factory),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            // Time-tagged packets whose frame has come within the lookahead.
            let horizon = self.session.now() + self.session.lookahead_frames();
            let (due, later): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.timed).into_iter().partition(|t| t.0 <= horizon);
            self.timed = later;
            waiting.extend(due.into_iter().map(|(frame, packet, to)| (packet, to, frame)));
            while pending.is_none() {
                let Some((packet, to, frame)) = waiting.pop_front() else { break };
                pending = self.handle(packet, to, frame);
            }
            self.session.tick();
            self.dirt_tick();
            let (done, going): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.stopping).into_iter().partition(|s| s.files.iter().all(|f| f.is_done()));
            self.stopping = going;
            done.into_iter().for_each(Stopping::answer);
            for (target, why) in self.session.take_failed_patterns() {
                let message = format!("the pattern on {target} was stopped: {why}");
                tracing::warn!("{message}");
                self.changed("/kr/play", &message);
                self.notify(Notification::Error { message });
            }
            for (address, message) in self.session.take_midi_changes() {
                tracing::info!("{message}");
                self.changed(address, &message);
            }
            for (_, message) in self.session.take_pattern_warnings() {
                tracing::warn!("{message}");
                self.notify(Notification::Error { message });
            }
            self.report_faults();
            for message in self.session.reap_failed_recordings() {
                tracing::error!("{message}");
                self.notify(Notification::Error { message });
            }
            self.follow_backend(&mut seen_xruns);
            if last_save.elapsed() >= crate::state::WRITE_DELAY {
                last_save = Instant::now();
                self.poll_dsp_dir();
                self.subscribers.retain(|s| s.to.alive() && s.until > last_save);
                self.save();
            }
        }
        // Every way out (SIGTERM, SIGINT, JACK gone) leaves complete WAV files.
        if let Ok(m) = self.session.record_stop(None) {
            tracing::info!("{m}");
        }
        std::mem::take(&mut self.stopping).into_iter().for_each(Stopping::answer);
        self.save();
    }

    /// Write the state file if the session changed since the last write.
    fn save(&mut self) {
        let failing = self.state.as_ref().and_then(StateWriter::error);
        if failing.is_some() && failing != self.state_error {
            let message = failing.clone().unwrap_or_default();
            self.notify(Notification::Error { message });
        }
        let retry = failing.is_some();
        self.state_error = failing;
        let patched = self.session.take_backend_changed();
        if self.saved_seq == self.change_seq && !retry && !patched {
            return;
        }
        if let Some(w) = self.state.as_mut() {
            w.save(self.session.state_json());
        }
        self.saved_seq = self.change_seq;
    }

    /// One compile of the job in flight is back: the job, unless that was its last compile.
    fn compiled(&mut self, mut p: Pending, name: String, result: CompileResult) -> Option<Pending> {
        match result {
            Ok(f) => {
                p.factories.insert(name, f);
            }
            Err(e) => {
                p.errors.insert(name, e);
            }
        }
        p.remaining = p.remaining.saturating_sub(1);
        if p.remaining > 0 {
            return Some(p);
        }
        self.finish(p);
        None
    }

    /// Tell subscribers which nodes produced NaN or infinity (each at most once a second).
    fn report_faults(&mut self) {
        let now = Instant::now();
        for name in self.session.take_faulted_nodes() {
            if self.fault_reports.get(&name).is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1)) {
                continue;
            }
            self.fault_reports.insert(name.clone(), now);
            let message = format!(
                "node '{name}' produced NaN or infinity: it was silenced and reset (every other node plays on)"
            );
            tracing::warn!("{message}");
            self.notify(Notification::Error { message });
        }
        self.fault_reports.retain(|_, t| now.duration_since(*t) < Duration::from_secs(10));
    }

    /// Follow the backend's sample rate and report its new xruns.
    fn follow_backend(&mut self, seen_xruns: &mut u64) {
        let rate = self.counters.sample_rate.load(Relaxed);
        if rate != 0 && rate != self.session.sample_rate() {
            let message = match self.session.change_sample_rate(rate) {
                Ok(m) => m,
                Err(e) => format!("the sample rate changed to {rate} Hz and a node could not follow: {e}"),
            };
            tracing::warn!("{message}");
            self.notify(Notification::Error { message });
        }
        let xruns = self.counters.xruns.load(Relaxed);
        if xruns != *seen_xruns {
            *seen_xruns = xruns;
            self.notify(Notification::Xrun { total: xruns as i64 });
        }
    }

    /// The frame a packet applies at (0: the next block), or None when it was queued for later.
    fn due_frame(&mut self, packet: &Packet, to: &Arc<dyn Replier>) -> Option<u64> {
        let TimeTag::At { .. } = packet.time else { return Some(0) };
        let Some(when) = packet.time.to_system_time() else { return Some(0) };
        let frame = self.session.frame_at(when);
        let now = self.session.now();
        if frame > now + self.session.lookahead_frames() {
            let ahead = (frame - now) as f64 / self.session.sample_rate() as f64;
            let refusal = if ahead > self.limits.max_ahead_seconds {
                Some(format!(
                    "the time tag is {ahead:.0} s ahead; the limit is {} s (osc.max_ahead_s)",
                    self.limits.max_ahead_seconds
                ))
            } else if self.timed.len() >= self.limits.max_waiting_packets {
                Some(format!(
                    "{} time-tagged packets are waiting already; the limit is {} (osc.max_waiting_packets)",
                    self.timed.len(),
                    self.limits.max_waiting_packets
                ))
            } else {
                None
            };
            match refusal {
                Some(message) => self.refuse(packet, to, &message),
                None => self.timed.push((frame, packet.clone(), Arc::clone(to))),
            }
            to.handled();
            return None;
        }
        if frame < now {
            // Far in the past, the frame clamps at 0: the wall clock says how late then.
            let wall = std::time::SystemTime::now().duration_since(when).map_or(0.0, |d| d.as_secs_f64());
            let late = if frame == 0 { wall } else { (now - frame) as f64 / self.session.sample_rate() as f64 };
            self.late_packets += 1;
            to.reply(packet.late(late));
            let (address, _) = packet.reply_key();
            self.notify(Notification::Late { what: address.into(), seconds: late });
            return Some(0);
        }
        Some(frame)
    }

    /// Apply a packet, or start its job. A panic while applying it (a bug) becomes a
    /// `/kr/fail`; the engine goes on.
    fn handle(&mut self, packet: Packet, to: Arc<dyn Replier>, frame: u64) -> Option<Pending> {
        to.handled();
        let (address, id) = packet.reply_key();
        let replier = Arc::clone(&to);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.dispatch(packet, replier, frame))) {
            Ok(p) => p,
            Err(_) => {
                tracing::error!(address, "internal error while applying a command");
                to.reply(Reply::fail(
                    address,
                    id,
                    "internal error in krd while applying this command (a bug: please report it); the session may be incomplete",
                ));
                None
            }
        }
    }

    fn dispatch(&mut self, packet: Packet, to: Arc<dyn Replier>, frame: u64) -> Option<Pending> {
        if let [req] = packet.requests.as_slice() {
            let (address, id) = (req.command.address(), req.id);
            match &req.command {
                Command::Status => {
                    to.reply(Reply::Status { json: self.status().to_string() });
                    return None;
                }
                Command::Subscribe { seconds } => {
                    let peer = to.peer();
                    self.subscribers.retain(|s| s.to.peer() != peer && s.to.alive());
                    if self.subscribers.len() >= self.limits.max_subscribers {
                        let max = self.limits.max_subscribers;
                        let message =
                            format!("{max} clients are subscribed already; the limit is {max} (osc.max_subscribers)");
                        to.reply(Reply::fail(address, id, message));
                        return None;
                    }
                    let until = Instant::now() + Duration::from_secs_f64(*seconds);
                    self.subscribers.push(Subscriber { to: Arc::clone(&to), until });
                    to.reply(Reply::Done {
                        address: address.into(),
                        id,
                        message: format!("subscribed for {seconds} s"),
                        extra: vec![rosc::OscType::Float(*seconds as f32)],
                    });
                    return None;
                }
                Command::Unsubscribe => {
                    let peer = to.peer();
                    self.subscribers.retain(|s| s.to.peer() != peer);
                    to.reply(Reply::done(address, id, "unsubscribed"));
                    return None;
                }
                // The files are finished by their disk threads; the reply waits for them, the
                // control thread does not.
                Command::RecordStop { file } => {
                    match self.session.record_stop_soon(file.as_deref()) {
                        Ok(files) => self.stopping.push(Stopping { files, to, address, id }),
                        Err(e) => to.reply(Reply::fail(address, id, e.to_string())),
                    }
                    return None;
                }
                Command::Compile { name, source } => {
                    self.compile_ahead(address, id, name, source, to);
                    return None;
                }
                Command::SceneRecall { name, cycles } => {
                    return match self.session.scene(name) {
                        Ok(snap) => self.start_job(Job::Apply { address, id, snap, fade: *cycles }, to),
                        Err(e) => {
                            to.reply(Reply::fail(address, id, e.to_string()));
                            None
                        }
                    };
                }
                _ => {}
            }
        }
        if let Some(file) = packet.requests.iter().find_map(|r| absolute_recording(&r.command)) {
            if !to.is_local() {
                let message = format!(
                    "'{file}' is an absolute path, which only clients on krd's own machine may name; \
                     from {} a recording is a file name under krd's record_dir (e.g. 'takes/one.wav')",
                    to.peer()
                );
                self.refuse(&packet, &to, &message);
                return None;
            }
        }
        self.start_job(Job::Packet { packet, frame }, to)
    }

    /// `/kr/compile`: compile a program into the cache, answered from the compile service's
    /// thread when it is done. Nothing waits for it: later packets go on, and a node made from
    /// the same source meanwhile queues behind it and finds its factory.
    fn compile_ahead(
        &self,
        address: &'static str,
        id: Option<i64>,
        name: &str,
        source: &DspSource,
        to: Arc<dyn Replier>,
    ) {
        let pending = self.compiler.counters().pending.load(Relaxed);
        if pending >= MAX_PENDING_COMPILES {
            let message = format!(
                "{pending} compiles are pending already; the limit is {MAX_PENDING_COMPILES}: \
                 send this one again once some are answered"
            );
            return to.reply(Reply::fail(address, id, message));
        }
        let text = match self.resolve_source(source) {
            Ok(text) => text,
            Err(e) => return to.reply(Reply::fail(address, id, e.to_string())),
        };
        let label = name.to_string();
        self.compiler.submit_ahead(name, &text, move |result| {
            to.reply(match result {
                Ok((f, origin)) => {
                    let info = f.info();
                    let how = match origin {
                        Origin::Memory => "loaded already",
                        Origin::Disk => "from the disk cache",
                        Origin::Worker => "compiled",
                    };
                    let message = format!(
                        "'{label}' {how} ({} in, {} out, {} controls)",
                        info.inputs,
                        info.outputs,
                        info.controls.len()
                    );
                    Reply::done(address, id, message)
                }
                Err(e) => Reply::fail(address, id, e.to_string()),
            })
        });
    }

    /// Submit a job's compiles; finish it at once when it needs none.
    fn start_job(&mut self, job: Job, to: Arc<dyn Replier>) -> Option<Pending> {
        // What to compile: each node's source, and its voice count (to bring lanes or not).
        let needs: Vec<(String, DspSource, u32)> = match &job {
            Job::Packet { packet, .. } => packet
                .requests
                .iter()
                .filter_map(|r| match &r.command {
                    Command::NodeNew { name, source, count, .. } => Some((name.clone(), source.clone(), *count)),
                    _ => None,
                })
                .collect(),
            Job::Apply { snap, .. } | Job::Restore { snap } => self.session.compile_needs(snap),
        };
        let mut sources = Vec::new();
        let mut unreadable = BTreeMap::new();
        for (name, source, count) in needs {
            match self.resolve_source(&source) {
                Ok(text) => sources.push((name, text, self.session.wants_lanes(count))),
                // A restore keeps going without the node; anything else fails as a whole.
                Err(e) if matches!(job, Job::Restore { .. }) => {
                    let message = e.to_string();
                    unreadable.insert(name.clone(), CompileError::Unsupported { name, message });
                }
                Err(e) => {
                    self.fail_job(&job, &to, &e.to_string());
                    return None;
                }
            }
        }
        let pending = Pending { job, to, remaining: sources.len(), factories: BTreeMap::new(), errors: unreadable };
        if sources.is_empty() {
            self.finish(pending);
            return None;
        }
        // A session restored at start waits for its voices in lanes; anything else is made at
        // once, one instance per voice, and takes its lanes up when they come (a lanes program
        // takes ~100 ms more to compile; see `Session::lanes_ready`).
        let wait_for_lanes = matches!(pending.job, Job::Restore { .. });
        for (name, text, lanes) in sources {
            let tx = self.tx.clone();
            let n = name.clone();
            self.compiler.submit_voice(&name, &text, lanes && wait_for_lanes, false, move |result| {
                let _ = tx.send(ControlMsg::Compiled { name: n, result });
            });
            if lanes && !wait_for_lanes {
                let tx = self.tx.clone();
                self.compiler.submit_voice(&name, &text, true, true, move |result| {
                    if let Ok(factory) = result {
                        let _ = tx.send(ControlMsg::LanesReady(factory));
                    }
                });
            }
        }
        Some(pending)
    }

    /// Answer every request of a packet with `/kr/fail`: nothing of it is applied.
    fn refuse(&self, packet: &Packet, to: &Arc<dyn Replier>, message: &str) {
        for r in &packet.requests {
            to.reply(Reply::fail(r.command.address(), r.id, message));
        }
    }

    /// Answer every request of a job with `/kr/fail`.
    fn fail_job(&self, job: &Job, to: &Arc<dyn Replier>, message: &str) {
        match job {
            Job::Packet { packet, .. } => {
                for r in &packet.requests {
                    to.reply(Reply::fail(r.command.address(), r.id, message));
                }
            }
            Job::Apply { address, id, .. } => to.reply(Reply::fail(address, *id, message)),
            Job::Restore { .. } => tracing::error!("{message}"),
        }
    }

    fn finish(&mut self, p: Pending) {
        if let Job::Restore { snap } = &p.job {
            let mut compiled: BTreeMap<String, Result<Arc<Factory>, String>> =
                p.factories.iter().map(|(k, f)| (k.clone(), Ok(Arc::clone(f)))).collect();
            compiled.extend(p.errors.iter().map(|(k, e)| (k.clone(), Err(e.to_string()))));
            let problems = self.session.restore(snap, &compiled);
            self.restored(problems);
            return;
        }
        if let Some(e) = p.errors.values().next() {
            self.fail_job(&p.job, &p.to, &e.to_string());
            return;
        }
        match p.job {
            Job::Restore { .. } => {}
            Job::Packet { packet, frame } => self.apply_packet(&packet, &p.factories, frame, &p.to),
            Job::Apply { address, id, snap, fade } => {
                let r = self.session.apply_snapshot(&snap, &p.factories, fade, crate::rt::NEXT_BLOCK);
                self.session.register_pending_ports();
                if let Ok(m) = &r {
                    self.changed(address, m);
                }
                p.to.reply(match r {
                    Ok(m) => Reply::done(address, id, m),
                    Err(e) => Reply::fail(address, id, e.to_string()),
                });
            }
        }
    }

    /// Apply every request of a packet at `frame`; all or nothing.
    fn apply_packet(
        &mut self,
        packet: &Packet,
        factories: &BTreeMap<String, Arc<Factory>>,
        frame: u64,
        to: &Arc<dyn Replier>,
    ) {
        let bundle = packet.requests.len() > 1;
        match crate::atomic::apply(&mut self.session, &packet.requests, factories, frame) {
            Ok(results) => {
                // The new nodes' graph is out (heard from the next block); their ports exist
                // before the client is told they do.
                self.session.register_pending_ports();
                for (r, (message, extra)) in packet.requests.iter().zip(results) {
                    if commands::changes_state(&r.command) {
                        self.changed(r.command.address(), &message);
                    }
                    to.reply(Reply::Done { address: r.command.address().into(), id: r.id, message, extra });
                }
            }
            Err((index, error)) => {
                let failed = &packet.requests[index];
                for (i, r) in packet.requests.iter().enumerate() {
                    let message = if i == index {
                        if bundle {
                            format!("{error}; nothing in the bundle was applied")
                        } else {
                            error.to_string()
                        }
                    } else {
                        format!(
                            "not applied: request {} ({}) of the bundle failed: {error}",
                            index + 1,
                            failed.command.address()
                        )
                    };
                    to.reply(Reply::fail(r.command.address(), r.id, message));
                }
            }
        }
    }

    /// Tell subscribers the session changed. The status board is brought up to date first, so
    /// a client that reads `/kr/status` after a reply sees its own change.
    fn changed(&mut self, address: &str, message: &str) {
        self.board.post(self.status().to_string());
        self.change_seq += 1;
        let n = Notification::State { seq: self.change_seq, address: address.into(), message: message.into() };
        self.notify(n);
    }

    fn notify(&mut self, n: Notification) {
        if self.subscribers.is_empty() {
            return;
        }
        let now = Instant::now();
        self.subscribers.retain(|s| s.to.alive() && s.until > now);
        let bytes = n.to_bytes();
        for s in &self.subscribers {
            s.to.send(&bytes);
        }
    }

    /// FAUST text for a node: the source itself, or a file from the dsp directory.
    fn resolve_source(&self, source: &DspSource) -> Result<String, SessionError> {
        commands::dsp_text(source, self.dsp_dir.as_deref(), |t| self.dsp_files.as_ref().and_then(|d| d.source(t)))
    }

    /// The compile service's answers so far, by where each factory came from.
    fn compile_counts(&self) -> serde_json::Value {
        let c = self.compiler.counters();
        serde_json::json!({
            "compiled": c.worker.load(Relaxed),
            "disk": c.disk.load(Relaxed),
            "memory": c.memory.load(Relaxed),
            "failed": c.failed.load(Relaxed),
            "pending": c.pending.load(Relaxed),
        })
    }

    fn status(&self) -> serde_json::Value {
        let t = self.session.telemetry();
        let (mean, peak) = t.load();
        serde_json::json!({
            "ok": self.state_error.is_none(),
            "state_error": self.state_error,
            "restore_problems": self.restore_problems,
            "sample_rate": self.session.clock().sample_rate,
            "block_size": self.counters.block_size.load(Relaxed),
            "load_mean": mean, "load_peak": peak,
            "xruns": self.counters.xruns.load(Relaxed),
            "late_events": t.late_events.load(Relaxed),
            "late_packets": self.late_packets,
            "dropped_events": t.dropped_events.load(Relaxed),
            "faulted_blocks": t.faults.load(Relaxed),
            "nodes": self.session.node_count(),
            "voices": self.session.voice_count(),
            "subscribers": self.subscribers.len(),
            "frame": t.frame.load(Relaxed),
            "uptime_s": self.started.elapsed().as_secs_f64(),
            "tempo": self.session.clock().bpm,
            "meter": self.session.clock().meter,
            "master": self.session.master_gain(),
            "link": self.session.link_status(),
            "dirt": {
                "listening": self.dirt_listening.as_ref().ok(),
                "error": self.dirt_listening.as_ref().err(),
                "counters": self.session.dirt_counters(),
                "dropped": self.dirt_dropped.load(Relaxed),
                "waiting": self.dirt_timed.len(),
                "samples_mb": self.session.samples_loaded_bytes() as f64 / (1 << 20) as f64,
            },
            "midi": self.session.midi_status(),
            "compiles": self.compile_counts(),
        })
    }
}

/// The absolute path a recording command names, if any.
fn absolute_recording(cmd: &Command) -> Option<&str> {
    match cmd {
        Command::RecordStart { file, .. } | Command::RecordStop { file: Some(file) } => {
            Some(file.as_str()).filter(|f| f.starts_with('/'))
        }
        _ => None,
    }
}
