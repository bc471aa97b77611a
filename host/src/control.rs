//! The control thread: receives requests, applies them to the [`Session`] in order, answers
//! every one, and runs the scheduler between them. Compiles go to the compile service; while
//! one is in flight, later requests wait so that their order is kept, but scheduling goes on.

use crate::session::{Session, SessionError};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use kr_faust::{CompileResult, CompileService};
use kr_osc::{Command, DspSource, Reply, Request};
use rosc::OscType;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where to send a reply.
pub trait Replier: Send + Sync {
    fn reply(&self, reply: Reply);
}

/// A replier shared between the command and the panic handler.
struct Shared(Arc<dyn Replier>);

impl Replier for Shared {
    fn reply(&self, reply: Reply) {
        self.0.reply(reply)
    }
}

/// Messages to the control thread.
pub enum ControlMsg {
    Request(Request, Box<dyn Replier>),
    Compiled(Request, Box<dyn Replier>, CompileResult),
    Shutdown,
}

/// Shared counters the control thread reports in `/kr/status`.
#[derive(Debug, Default)]
pub struct HostCounters {
    pub xruns: std::sync::atomic::AtomicU64,
    pub block_size: std::sync::atomic::AtomicU32,
}

pub struct ControlThread {
    pub session: Session,
    pub compiler: CompileService,
    pub tx: Sender<ControlMsg>,
    pub rx: Receiver<ControlMsg>,
    pub dsp_dir: Option<PathBuf>,
    pub counters: Arc<HostCounters>,
    pub started: Instant,
}

impl ControlThread {
    /// Run until `Shutdown`.
    pub fn run(mut self) {
        let mut waiting: VecDeque<(Request, Box<dyn Replier>)> = VecDeque::new();
        let mut compiling = false;
        loop {
            match self.rx.recv_timeout(Duration::from_millis(2)) {
                Ok(ControlMsg::Shutdown) => break,
                Ok(ControlMsg::Request(req, to)) => {
                    if compiling {
                        waiting.push_back((req, to));
                    } else {
                        compiling = self.handle(req, to);
                    }
                }
                Ok(ControlMsg::Compiled(req, to, result)) => {
                    self.finish_node_new(req, to, result);
                    compiling = false;
                    while !compiling {
                        let Some((req, to)) = waiting.pop_front() else {
                            break;
                        };
                        compiling = self.handle(req, to);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.session.tick();
        }
    }

    /// Apply one request. Returns true when it went to the compiler (its reply comes later).
    /// A panic while applying it (a bug) becomes a `/kr/fail`; the engine goes on.
    fn handle(&mut self, req: Request, to: Box<dyn Replier>) -> bool {
        let (address, id) = (req.command.address(), req.id);
        let to: Arc<dyn Replier> = Arc::from(to);
        let replier = Arc::clone(&to);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.apply(req, Box::new(Shared(replier)))
        })) {
            Ok(compiling) => compiling,
            Err(_) => {
                tracing::error!(address, "internal error while applying a command");
                to.reply(Reply::fail(address, id, "internal error in krd while applying this command (a bug: please report it); the session may be incomplete"));
                false
            }
        }
    }

    fn apply(&mut self, req: Request, to: Box<dyn Replier>) -> bool {
        let address = req.command.address();
        let id = req.id;
        let result: Result<(String, Vec<OscType>), SessionError> = match &req.command {
            Command::Status => {
                to.reply(Reply::Status {
                    json: self.status().to_string(),
                });
                return false;
            }
            Command::NodeNew { name, source, .. } => match self.resolve_source(source) {
                Ok(text) => {
                    let tx = self.tx.clone();
                    let r = req.clone();
                    self.compiler.submit(name, &text, move |result| {
                        let _ = tx.send(ControlMsg::Compiled(r, to, result));
                    });
                    return true;
                }
                Err(e) => Err(e),
            },
            Command::Ping => Ok(("pong".into(), vec![])),
            Command::NodeFree { name } => self.session.node_free(name).map(|m| (m, vec![])),
            Command::Set { path, value } => self.session.set(path, *value).map(|m| (m, vec![])),
            Command::Get { path } => self
                .session
                .get(path)
                .map(|v| (format!("{path} = {v}"), vec![OscType::Float(v)])),
            Command::Route { from, to, level } => {
                self.session.route(from, to, *level).map(|m| (m, vec![]))
            }
            Command::Unroute { from, to } => self.session.unroute(from, to).map(|m| (m, vec![])),
            Command::Play {
                target,
                pattern,
                from_zero,
            } => self
                .session
                .play(target, pattern.clone(), *from_zero)
                .map(|m| (m, vec![])),
            Command::Hush { target } => self.session.hush(target.as_deref()).map(|m| (m, vec![])),
            Command::Mute { name, on } => self.session.mute(name, *on).map(|m| (m, vec![])),
            Command::Tempo { bpm } => self.session.tempo(Some(*bpm), None).map(|m| (m, vec![])),
            Command::Meter { beats } => self.session.tempo(None, Some(*beats)).map(|m| (m, vec![])),
            Command::Master { gain } => self.session.master(*gain).map(|m| (m, vec![])),
            Command::Dump => Ok((
                "state".into(),
                vec![OscType::String(self.session.dump().to_string())],
            )),
        };
        to.reply(match result {
            Ok((message, extra)) => Reply::Done {
                address: address.into(),
                id,
                message,
                extra,
            },
            Err(e) => Reply::fail(address, id, e.to_string()),
        });
        false
    }

    fn finish_node_new(&mut self, req: Request, to: Box<dyn Replier>, result: CompileResult) {
        let Command::NodeNew {
            name,
            source,
            count,
            gain,
        } = req.command
        else {
            return;
        };
        let address = "/kr/node/new";
        let reply = match result {
            Err(e) => Reply::fail(address, req.id, e.to_string()),
            Ok(factory) => match self.session.node_new(&name, source, factory, count, gain) {
                Ok(m) => Reply::done(address, req.id, m),
                Err(e) => Reply::fail(address, req.id, e.to_string()),
            },
        };
        to.reply(reply);
    }

    /// FAUST text for a node: the source itself, or a file from the dsp directory.
    fn resolve_source(&self, source: &DspSource) -> Result<String, SessionError> {
        match source {
            DspSource::Faust(text) => Ok(text.clone()),
            DspSource::File(t) => {
                let bad = |message: String| SessionError::Dsp {
                    name: format!("faust:{t}"),
                    message,
                };
                let dir = self
                    .dsp_dir
                    .as_ref()
                    .ok_or_else(|| bad("no dsp_dir is configured".into()))?;
                if t.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
                    return Err(bad(
                        "a dsp type is a relative path without '.' or '..' segments".into(),
                    ));
                }
                let path = dir.join(format!("{t}.dsp"));
                std::fs::read_to_string(&path)
                    .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))
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
