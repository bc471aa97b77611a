//! The control thread: receives requests, applies them to the [`Session`] in order, answers
//! every one, runs the scheduler between them, and saves the state after changes.
//!
//! Commands that need FAUST compiled (node creation, scene recall, restoring the state file)
//! become a [`Job`]: its compiles go to the compile service, and until they are all back, later
//! requests wait (so their order is kept) while scheduling goes on.

use crate::session::{Session, SessionError, Snapshot};
use crate::state::StateWriter;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use kr_faust::{CompileError, CompileResult, CompileService, Factory};
use kr_osc::{Command, DspSource, Reply, Request};
use rosc::OscType;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where to send a reply.
pub trait Replier: Send + Sync {
    fn reply(&self, reply: Reply);
}

/// A replier shared between the command and the panic handler.
struct SharedReplier(Arc<dyn Replier>);

impl Replier for SharedReplier {
    fn reply(&self, reply: Reply) {
        self.0.reply(reply)
    }
}

/// Nobody to answer (restoring the state file at start).
struct Nobody;

impl Replier for Nobody {
    fn reply(&self, reply: Reply) {
        if let Reply::Fail { message, .. } = reply {
            tracing::error!("{message}");
        }
    }
}

/// Messages to the control thread.
pub enum ControlMsg {
    Request(Request, Box<dyn Replier>),
    /// One compile of the job in flight finished (`name` is the node it is for).
    Compiled {
        name: String,
        result: CompileResult,
    },
    Shutdown,
}

/// Shared counters the control thread reports in `/kr/status`.
#[derive(Debug, Default)]
pub struct HostCounters {
    pub xruns: std::sync::atomic::AtomicU64,
    pub block_size: std::sync::atomic::AtomicU32,
}

/// A command waiting for its compiles.
enum Job {
    NodeNew(Request),
    /// Make the session equal a snapshot (scene recall, restore), fading over `fade` cycles.
    Apply {
        address: &'static str,
        id: Option<i64>,
        snap: Snapshot,
        fade: f64,
    },
}

pub struct Pending {
    job: Job,
    to: Box<dyn Replier>,
    remaining: usize,
    factories: BTreeMap<String, Arc<Factory>>,
    error: Option<CompileError>,
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
}

impl ControlThread {
    /// Start rebuilding `snap` (the state file's session) before serving requests.
    pub fn restore(&mut self, snap: Snapshot) -> Option<Pending> {
        self.start_job(Job::Apply { address: "restore", id: None, snap, fade: 0.0 }, Box::new(Nobody))
    }

    /// Run until `Shutdown`.
    pub fn run(mut self, mut pending: Option<Pending>) {
        let mut waiting: VecDeque<(Request, Box<dyn Replier>)> = VecDeque::new();
        let mut last_save = Instant::now();
        loop {
            match self.rx.recv_timeout(Duration::from_millis(2)) {
                Ok(ControlMsg::Shutdown) => break,
                Ok(ControlMsg::Request(req, to)) => {
                    if pending.is_some() {
                        waiting.push_back((req, to));
                    } else {
                        pending = self.handle(req, to);
                    }
                }
                Ok(ControlMsg::Compiled { name, result }) => {
                    if let Some(p) = pending.as_mut() {
                        match result {
                            Ok(f) => {
                                p.factories.insert(name, f);
                            }
                            Err(e) => {
                                p.error.get_or_insert(e);
                            }
                        }
                        p.remaining -= 1;
                        if p.remaining == 0 {
                            if let Some(p) = pending.take() {
                                self.finish(p);
                            }
                            while pending.is_none() {
                                let Some((req, to)) = waiting.pop_front() else { break };
                                pending = self.handle(req, to);
                            }
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.session.tick();
            if last_save.elapsed() >= crate::state::WRITE_DELAY {
                last_save = Instant::now();
                if let Some(w) = self.state.as_mut() {
                    w.save(self.session.state_json());
                }
            }
        }
        if let Some(w) = self.state.as_mut() {
            w.save(self.session.state_json());
        }
    }

    /// Apply one request, or start its job. A panic while applying it (a bug) becomes a
    /// `/kr/fail`; the engine goes on.
    fn handle(&mut self, req: Request, to: Box<dyn Replier>) -> Option<Pending> {
        let (address, id) = (req.command.address(), req.id);
        let to: Arc<dyn Replier> = Arc::from(to);
        let replier = Box::new(SharedReplier(Arc::clone(&to)));
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.apply(req, replier))) {
            Ok(p) => p,
            Err(_) => {
                tracing::error!(address, "internal error while applying a command");
                to.reply(Reply::fail(address, id, "internal error in krd while applying this command (a bug: please report it); the session may be incomplete"));
                None
            }
        }
    }

    fn apply(&mut self, req: Request, to: Box<dyn Replier>) -> Option<Pending> {
        let address = req.command.address();
        let id = req.id;
        let s = &mut self.session;
        let result: Result<(String, Vec<OscType>), SessionError> = match &req.command {
            Command::Status => {
                to.reply(Reply::Status { json: self.status().to_string() });
                return None;
            }
            Command::NodeNew { .. } => return self.start_job(Job::NodeNew(req), to),
            Command::Ping => Ok(("pong".into(), vec![])),
            Command::NodeFree { name } => s.node_free(name).map(plain),
            Command::Set { path, value } => s.set(path, *value).map(plain),
            Command::Get { path } => s.get(path).map(|v| (format!("{path} = {v}"), vec![OscType::Float(v)])),
            Command::Route { from, to, level } => s.route(from, to, *level).map(plain),
            Command::Unroute { from, to } => s.unroute(from, to).map(plain),
            Command::Play { target, pattern, from_zero } => s.play(target, pattern.clone(), *from_zero).map(plain),
            Command::Hush { target } => s.hush(target.as_deref()).map(plain),
            Command::Mute { name, on } => s.mute(name, *on).map(plain),
            Command::Tempo { bpm } => s.tempo(Some(*bpm), None).map(plain),
            Command::Meter { beats } => s.tempo(None, Some(*beats)).map(plain),
            Command::Master { gain } => s.master(*gain).map(plain),
            Command::Dump => Ok(("state".into(), vec![OscType::String(s.dump().to_string())])),
            Command::Fade { path, target, cycles } => {
                if *cycles > 0.0 { s.fade(path, *target, *cycles) } else { s.set(path, *target) }.map(plain)
            }
            Command::Solo { name, on } => s.solo(name, *on).map(plain),
            Command::SceneSave { name } => s.scene_save(name).map(plain),
            Command::SceneDelete { name } => s.scene_delete(name).map(plain),
            Command::SceneList => {
                let names = s.scene_names();
                Ok((names.join(", "), names.into_iter().map(OscType::String).collect()))
            }
            Command::SceneRecall { name, cycles } => match s.scene(name) {
                Ok(snap) => return self.start_job(Job::Apply { address, id, snap, fade: *cycles }, to),
                Err(e) => Err(e),
            },
            Command::RecordStart { file, target } => s.record_start(file, target.as_deref()).map(plain),
            Command::RecordStop { file } => s.record_stop(file.as_deref()).map(plain),
            Command::Subscribe { .. } | Command::Unsubscribe => {
                Err(SessionError::Unsupported("notifications are not implemented yet".into()))
            }
        };
        to.reply(match result {
            Ok((message, extra)) => Reply::Done { address: address.into(), id, message, extra },
            Err(e) => Reply::fail(address, id, e.to_string()),
        });
        None
    }

    /// Submit a job's compiles; finish it at once when it needs none.
    fn start_job(&mut self, job: Job, to: Box<dyn Replier>) -> Option<Pending> {
        let needs: Vec<(String, DspSource)> = match &job {
            Job::NodeNew(Request { command: Command::NodeNew { name, source, .. }, .. }) => {
                vec![(name.clone(), source.clone())]
            }
            Job::NodeNew(_) => vec![],
            Job::Apply { snap, .. } => self.session.compile_needs(snap),
        };
        let mut sources = Vec::new();
        for (name, source) in needs {
            match self.resolve_source(&source) {
                Ok(text) => sources.push((name, text)),
                Err(e) => {
                    let (address, id) = job_address(&job);
                    to.reply(Reply::fail(address, id, e.to_string()));
                    return None;
                }
            }
        }
        let pending = Pending { job, to, remaining: sources.len(), factories: BTreeMap::new(), error: None };
        if sources.is_empty() {
            self.finish(pending);
            return None;
        }
        for (name, text) in sources {
            let tx = self.tx.clone();
            let n = name.clone();
            self.compiler.submit(&name, &text, move |result| {
                let _ = tx.send(ControlMsg::Compiled { name: n, result });
            });
        }
        Some(pending)
    }

    fn finish(&mut self, p: Pending) {
        let (address, id) = job_address(&p.job);
        let reply = match (p.error, p.job) {
            (Some(e), _) => Reply::fail(address, id, e.to_string()),
            (None, Job::NodeNew(Request { command: Command::NodeNew { name, source, count, gain }, .. })) => {
                match p.factories.get(&name) {
                    Some(f) => {
                        result_reply(address, id, self.session.node_new(&name, source, Arc::clone(f), count, gain))
                    }
                    None => Reply::fail(address, id, "internal error: the compile result went missing"),
                }
            }
            (None, Job::NodeNew(_)) => Reply::fail(address, id, "internal error: not a node command"),
            (None, Job::Apply { snap, fade, .. }) => {
                result_reply(address, id, self.session.apply_snapshot(&snap, &p.factories, fade))
            }
        };
        p.to.reply(reply);
    }

    /// FAUST text for a node: the source itself, or a file from the dsp directory.
    fn resolve_source(&self, source: &DspSource) -> Result<String, SessionError> {
        match source {
            DspSource::Faust(text) => Ok(text.clone()),
            DspSource::File(t) => {
                let bad = |message: String| SessionError::Dsp { name: format!("faust:{t}"), message };
                let dir = self.dsp_dir.as_ref().ok_or_else(|| bad("no dsp_dir is configured".into()))?;
                if t.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
                    return Err(bad("a dsp type is a relative path without '.' or '..' segments".into()));
                }
                let path = dir.join(format!("{t}.dsp"));
                std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))
            }
        }
    }

    fn status(&self) -> serde_json::Value {
        let t = self.session.telemetry();
        let (mean, peak) = t.load();
        serde_json::json!({
            "ok": true,
            "sample_rate": self.session.clock.sample_rate,
            "block_size": self.counters.block_size.load(Relaxed),
            "load_mean": mean, "load_peak": peak,
            "xruns": self.counters.xruns.load(Relaxed),
            "late_events": t.late_events.load(Relaxed),
            "dropped_events": t.dropped_events.load(Relaxed),
            "nodes": self.session.node_count(),
            "voices": self.session.voice_count(),
            "frame": t.frame.load(Relaxed),
            "uptime_s": self.started.elapsed().as_secs_f64(),
            "tempo": self.session.clock.bpm,
        })
    }
}

fn plain(message: String) -> (String, Vec<OscType>) {
    (message, vec![])
}

fn result_reply(address: &str, id: Option<i64>, r: Result<String, SessionError>) -> Reply {
    match r {
        Ok(m) => Reply::done(address, id, m),
        Err(e) => Reply::fail(address, id, e.to_string()),
    }
}

fn job_address(job: &Job) -> (&'static str, Option<i64>) {
    match job {
        Job::NodeNew(r) => (r.command.address(), r.id),
        Job::Apply { address, id, .. } => (address, *id),
    }
}
