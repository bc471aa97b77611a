//! The compile service: the one place in the engine through which FAUST is compiled.
//!
//! A thread supervises the worker process ([`crate::worker`]): jobs queue on a channel and are
//! sent one at a time; a reply past the timeout, or a worker that dies, becomes an error for that
//! job and the worker is restarted for the next. Results are loaded into [`Factory`]s here, looked
//! up first in memory (one factory per distinct source) and on disk ([`crate::cache`]).

use crate::cache::{self, CacheSettings, DiskCache};
use crate::lanes::Lanes;
use crate::worker::{WorkerReply, WorkerRequest};
use crate::{CompileError, Factory};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Settings of the compile service. `Default` is what `krd` uses unless configured.
#[derive(Debug, Clone)]
pub struct CompilerSettings {
    /// The worker command: program and arguments (krd uses itself with a hidden subcommand).
    pub worker: Vec<String>,
    /// Extra environment for the worker (tests set the hook variable here).
    pub worker_env: Vec<(String, String)>,
    /// A compile taking longer than this is stopped and reported.
    pub timeout: Duration,
    /// Address-space limit of the worker process, so a runaway compile cannot exhaust memory.
    pub memory_limit_bytes: u64,
    /// Arguments passed to libfaust (the library path, optimisation flags).
    pub faust_args: Vec<String>,
    pub cache: CacheSettings,
    /// Run the worker in its sandbox (see [`crate::sandbox`]): it reads only the library
    /// folders of `faust_args` (`-I`), and has no network.
    pub sandbox: bool,
    /// The most memory mappings the engine may reach by loading programs (see [`crate::maps`]);
    /// None: 90 % of the kernel's `vm.max_map_count`.
    pub max_maps: Option<usize>,
}

impl CompilerSettings {
    /// The folders given to libfaust with `-I`: the only ones a sandboxed worker may read.
    pub fn library_folders(&self) -> Vec<std::path::PathBuf> {
        self.faust_args.windows(2).filter(|w| w[0] == "-I").map(|w| w[1].clone().into()).collect()
    }
}

impl Default for CompilerSettings {
    fn default() -> Self {
        CompilerSettings {
            worker: vec!["kr-faust-worker".into()],
            worker_env: vec![],
            timeout: Duration::from_secs(10),
            memory_limit_bytes: 8 << 30,
            faust_args: vec!["-I".into(), "/usr/share/faust".into()],
            cache: CacheSettings::default(),
            sandbox: true,
            max_maps: None,
        }
    }
}

/// How many recently requested factories the service keeps loaded even when no instance uses
/// them. libfaust 2.54.9 never gives back the memory mappings of a factory loaded from machine
/// code (about two mappings and 40–60 KB per load, even after `deleteCDSPFactory`), while loading
/// code whose factory is still alive reuses it for free. Keeping recent versions alive makes
/// going back and forth between versions of a program (undo, A/B) cost no new load.
pub const RECENT_FACTORIES: usize = 32;

/// What the caller gets back: a loaded factory or what went wrong.
pub type CompileResult = Result<Arc<Factory>, CompileError>;
/// A factory and where the service found it.
pub type FoundResult = Result<(Arc<Factory>, Origin), CompileError>;
type Reply = Box<dyn FnOnce(FoundResult) + Send>;

/// Where the service found a factory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Loaded already (one factory per distinct source).
    Memory,
    /// Machine code from the disk cache.
    Disk,
    /// Compiled by the worker just now.
    Worker,
}

/// How many compiles the service answered, by where their factory came from, how many failed,
/// and how many are queued or in progress (read from any thread; `/kr/status` shows them).
#[derive(Debug, Default)]
pub struct CompileCounters {
    pub memory: AtomicU64,
    pub disk: AtomicU64,
    pub worker: AtomicU64,
    pub failed: AtomicU64,
    pub pending: AtomicU64,
}

impl CompileCounters {
    fn count(&self, result: &FoundResult) {
        let counter = match result {
            Ok((_, Origin::Memory)) => &self.memory,
            Ok((_, Origin::Disk)) => &self.disk,
            Ok((_, Origin::Worker)) => &self.worker,
            Err(_) => &self.failed,
        };
        counter.fetch_add(1, Relaxed);
    }
}

struct Job {
    name: String,
    source: String,
    /// Also compile the program's lanes program (see [`CompileService::submit_voice`]).
    lanes: bool,
    reply: Reply,
    /// Compiled only when no other job waits (see [`CompileService::submit_background`]).
    background: bool,
}

/// Handle to the compile service thread. Dropping it stops the thread and the worker.
pub struct CompileService {
    tx: Option<Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    counters: Arc<CompileCounters>,
}

impl CompileService {
    /// Start the supervising thread. The worker process starts on the first cache miss.
    pub fn start(settings: CompilerSettings) -> CompileService {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let counters = Arc::new(CompileCounters::default());
        let shared = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("kr-compiler".into())
            .spawn(move || Supervisor::new(settings).run(rx, &shared))
            .expect("spawning the compiler thread");
        CompileService { tx: Some(tx), thread: Some(thread), counters }
    }

    /// The compiles answered so far, by where their factory came from.
    pub fn counters(&self) -> &CompileCounters {
        &self.counters
    }

    /// Queue a compile; `reply` runs on the service thread when it is done.
    pub fn submit(&self, name: &str, source: &str, reply: impl FnOnce(CompileResult) + Send + 'static) {
        self.submit_voice(name, source, false, false, reply);
    }

    /// Queue a compile that waits while other compiles are queued (programs made ahead of need,
    /// such as the bundled ones at start, go after what a user is waiting for).
    pub fn submit_background(&self, name: &str, source: &str, reply: impl FnOnce(CompileResult) + Send + 'static) {
        self.submit_voice(name, source, false, true, reply);
    }

    /// Queue a compile made ahead of need (a program defined but not played yet), behind what
    /// anyone waits for like [`CompileService::submit_background`]; `reply` also learns where the
    /// factory came from. A later request for the same source finds the factory loaded.
    pub fn submit_ahead(&self, name: &str, source: &str, reply: impl FnOnce(FoundResult) + Send + 'static) {
        self.queue(Job {
            name: name.into(),
            source: source.into(),
            lanes: false,
            reply: Box::new(reply),
            background: true,
        });
    }

    /// Queue a compile, as [`CompileService::submit`], of a voice that a node of several voices
    /// will play: with `lanes`, a source program gets its lanes program too (see
    /// [`crate::lanes`]), attached to the factory before `reply` runs. A lanes program that
    /// fails is logged and left out; the voice's own compile decides the result. With
    /// `background`, the job waits behind the compiles anyone waits for (a node made without
    /// its lanes asks for them so).
    pub fn submit_voice(
        &self,
        name: &str,
        source: &str,
        lanes: bool,
        background: bool,
        reply: impl FnOnce(CompileResult) + Send + 'static,
    ) {
        let reply = Box::new(move |r: FoundResult| reply(r.map(|(f, _)| f)));
        self.queue(Job { name: name.into(), source: source.into(), lanes, reply, background });
    }

    /// [`CompileService::submit_voice`], waiting for the result.
    pub fn compile_voice(&self, name: &str, source: &str, lanes: bool) -> CompileResult {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.submit_voice(name, source, lanes, false, move |r| {
            let _ = tx.send(r);
        });
        rx.recv().unwrap_or(Err(CompileError::ServiceStopped))
    }

    fn queue(&self, job: Job) {
        self.counters.pending.fetch_add(1, Relaxed);
        if let Some(Err(e)) = self.tx.as_ref().map(|tx| tx.send(job)) {
            self.counters.pending.fetch_sub(1, Relaxed);
            (e.into_inner().reply)(Err(CompileError::ServiceStopped));
        }
    }

    /// Compile and wait for the result.
    pub fn compile(&self, name: &str, source: &str) -> CompileResult {
        self.compile_voice(name, source, false)
    }
}

impl Drop for CompileService {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
    /// Requests answered so far (see [`WORKER_RECYCLE`]).
    answered: u32,
}

/// A worker is replaced after this many compiles: libfaust keeps memory of every factory it
/// made (see [`RECENT_FACTORIES`]), and a fresh worker costs only its start-up (~40 ms).
const WORKER_RECYCLE: u32 = 500;

impl Worker {
    fn spawn(settings: &CompilerSettings) -> Result<Worker, CompileError> {
        let program = settings.worker.first().cloned().unwrap_or_default();
        let unavailable = |detail: String| CompileError::WorkerUnavailable { program: program.clone(), detail };
        let mut cmd = Command::new(&program);
        cmd.args(&settings.worker[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        cmd.envs(settings.worker_env.iter().map(|(k, v)| (k, v)));
        if settings.sandbox {
            let folders = std::env::join_paths(settings.library_folders()).unwrap_or_default();
            cmd.env(crate::sandbox::SANDBOX_ENV, folders);
        }
        let limit = settings.memory_limit_bytes;
        // SAFETY: the closure runs in the forked child before exec and only makes async-signal-
        // safe syscalls (prctl, setrlimit); it touches no Rust allocator or lock.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                // Die with the engine: a compile worker must never outlive krd.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                let rl = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                libc::setrlimit(libc::RLIMIT_AS, &rl);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| unavailable(e.to_string()))?;
        let stdin = child.stdin.take().ok_or_else(|| unavailable("no stdin".into()))?;
        let stdout = child.stdout.take().ok_or_else(|| unavailable("no stdout".into()))?;
        let (tx, replies) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("kr-compiler-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(Worker { child, stdin, replies, answered: 0 })
    }

    fn kill(mut self) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        }
    }
}

struct Supervisor {
    settings: CompilerSettings,
    worker: Option<Worker>,
    next_id: u64,
    loaded: HashMap<String, Weak<Factory>>,
    /// The most recently requested factories, kept alive (see [`RECENT_FACTORIES`]).
    recent: VecDeque<Arc<Factory>>,
    disk: DiskCache,
    maps: crate::maps::MapGuard,
    version: String,
    target: String,
    /// Machine code compiled for the request being answered, written to disk after the reply:
    /// key, code, the memory of one instance.
    unsaved: Vec<(String, String, u64)>,
}

impl Supervisor {
    fn new(settings: CompilerSettings) -> Supervisor {
        let disk = DiskCache::new(settings.cache.clone());
        let maps = crate::maps::MapGuard::new(settings.max_maps.unwrap_or_else(crate::maps::safe_limit));
        Supervisor {
            settings,
            worker: None,
            next_id: 1,
            loaded: HashMap::new(),
            recent: VecDeque::new(),
            disk,
            maps,
            version: crate::libfaust_version(),
            target: crate::machine_target(),
            unsaved: Vec::new(),
        }
    }

    fn run(mut self, jobs: Receiver<Job>, counters: &CompileCounters) {
        self.start_worker();
        let (mut waiting, mut background) = (VecDeque::new(), VecDeque::new());
        loop {
            for job in jobs.try_iter() {
                if job.background { &mut background } else { &mut waiting }.push_back(job);
            }
            let job = match waiting.pop_front().or_else(|| background.pop_front()) {
                Some(job) => job,
                None => match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            let result = self.compile(&job.name, &job.source, &[]);
            if let Ok((f, _)) = &result {
                self.keep_recent(f);
                if job.lanes {
                    self.attach_lanes(&job.name, &job.source, f);
                }
            }
            counters.count(&result);
            // A reply that panics (a bug where it is answered) must not end this thread: every
            // compile after it, and whatever waits for one, would wait forever.
            let reply = std::panic::AssertUnwindSafe(|| (job.reply)(result));
            if std::panic::catch_unwind(reply).is_err() {
                tracing::error!(name = %job.name, "the reply to a compile panicked");
            }
            counters.pending.fetch_sub(1, Relaxed);
            // The disk cache is written once the requester has its factory (an fsync, and
            // eviction reading the cache folder, need not delay a sound).
            for (key, code, bytes) in std::mem::take(&mut self.unsaved) {
                self.disk.put(&key, &code, bytes);
            }
            // A worker recycled, crashed or stopped is replaced now, not when the next compile
            // (the next sound someone waits for) needs it.
            self.start_worker();
        }
        if let Some(w) = self.worker.take() {
            w.kill();
        }
    }

    /// Have a worker ready: start one when there is none, so the next compile does not wait
    /// for a process to start (30-80 ms, more than most compiles). A first compile that merely
    /// warmed libfaust up would gain a few ms more, but a compile asked for meanwhile (krd's
    /// first node, `krd render`) would wait for it.
    fn start_worker(&mut self) {
        if self.worker.is_none() {
            match Worker::spawn(&self.settings) {
                Ok(w) => self.worker = Some(w),
                // The next compile tries again and reports why.
                Err(e) => tracing::debug!(error = %e, "no compile worker started ahead"),
            }
        }
    }

    fn compile(&mut self, name: &str, source: &str, extra: &[String]) -> FoundResult {
        let args = [self.settings.faust_args.as_slice(), extra].concat();
        let key = cache::key(source, &args, &self.version, &self.target);
        if let Some(f) = self.loaded.get(&key).and_then(Weak::upgrade) {
            return Ok((f, Origin::Memory));
        }
        self.loaded.retain(|_, w| w.strong_count() > 0);
        self.maps.check().map_err(|message| CompileError::Unsupported { name: name.into(), message })?;
        self.maps.loaded();
        if let Some((code, bytes)) = self.disk.get(&key) {
            match Factory::from_machine_code(name, &code) {
                Ok(f) => return Ok((self.remember(key, f.with_instance_bytes(bytes)), Origin::Disk)),
                Err(e) => {
                    tracing::warn!(error = %e, "cached machine code did not load; recompiling")
                }
            }
        }
        let started = std::time::Instant::now();
        let (code, bytes) = self.compile_in_worker(name, source, args)?;
        let compiled = started.elapsed();
        let factory = Factory::from_machine_code(name, &code)?.with_instance_bytes(bytes);
        tracing::debug!(
            name,
            worker_ms = compiled.as_secs_f64() * 1e3,
            load_ms = (started.elapsed() - compiled).as_secs_f64() * 1e3,
            "compiled"
        );
        let factory = self.remember(key.clone(), factory);
        self.unsaved.push((key, code, bytes));
        Ok((factory, Origin::Worker))
    }

    /// Give `voice` (compiled from `source`) its lanes program, when it goes in lanes and has
    /// none yet (see [`crate::lanes`]); a lanes program that fails is logged, nothing more.
    fn attach_lanes(&mut self, name: &str, source: &str, voice: &Arc<Factory>) {
        if voice.lanes().is_some() || !crate::lanes::fits(voice.info()) {
            return;
        }
        let lanes = crate::lanes::lanes_source(source);
        let attached = self
            .compile(name, &lanes, &crate::lanes::lanes_args())
            .map_err(|e| e.to_string())
            .and_then(|(f, _)| Lanes::new(voice.info(), f));
        match attached {
            Ok(lanes) => voice.attach_lanes(lanes),
            Err(message) => tracing::warn!(name, %message, "no lanes program: its voices compute one by one"),
        }
    }

    fn remember(&mut self, key: String, factory: Factory) -> Arc<Factory> {
        let f = Arc::new(factory);
        self.loaded.insert(key, Arc::downgrade(&f));
        f
    }

    /// Keep a worker that answered for the next request, unless it has served its time.
    fn keep_worker(&mut self, mut worker: Worker) {
        worker.answered += 1;
        if worker.answered < WORKER_RECYCLE {
            self.worker = Some(worker);
        } else {
            worker.kill();
        }
    }

    /// Mark `f` as just used: it stays loaded while it is among the most recent ones.
    fn keep_recent(&mut self, f: &Arc<Factory>) {
        self.recent.retain(|r| !Arc::ptr_eq(r, f));
        self.recent.push_front(Arc::clone(f));
        self.recent.truncate(RECENT_FACTORIES);
    }

    /// Machine code and the memory of one instance.
    fn compile_in_worker(
        &mut self,
        name: &str,
        source: &str,
        args: Vec<String>,
    ) -> Result<(String, u64), CompileError> {
        let id = self.next_id;
        self.next_id += 1;
        let request = WorkerRequest { id, name: name.into(), source: source.into(), args };
        let line = serde_json::to_string(&request)
            .map_err(|e| CompileError::Load { name: name.into(), message: e.to_string() })?;
        let mut worker = match self.worker.take() {
            Some(w) => w,
            None => Worker::spawn(&self.settings)?,
        };
        if writeln!(worker.stdin, "{line}").and_then(|_| worker.stdin.flush()).is_err() {
            let detail = worker.kill();
            return Err(CompileError::WorkerCrashed {
                name: name.into(),
                detail: format!("worker gone before the request: {detail}"),
            });
        }
        loop {
            match worker.replies.recv_timeout(self.settings.timeout) {
                Ok(text) => match serde_json::from_str::<WorkerReply>(&text) {
                    Ok(WorkerReply::Compiled { id: rid, machine_code, instance_bytes }) if rid == id => {
                        self.keep_worker(worker);
                        return Ok((machine_code, instance_bytes));
                    }
                    Ok(WorkerReply::Failed { id: rid, message }) if rid == id => {
                        self.keep_worker(worker);
                        return Err(CompileError::Faust { name: name.into(), message });
                    }
                    Ok(WorkerReply::Unsupported { id: rid, message }) if rid == id => {
                        self.keep_worker(worker);
                        return Err(CompileError::Unsupported { name: name.into(), message });
                    }
                    // A reply to an earlier, abandoned request: skip it.
                    Ok(_) => continue,
                    Err(e) => {
                        let detail = worker.kill();
                        return Err(CompileError::WorkerCrashed {
                            name: name.into(),
                            detail: format!("unreadable reply ({e}); {detail}"),
                        });
                    }
                },
                Err(RecvTimeoutError::Timeout) => {
                    worker.kill();
                    return Err(CompileError::Timeout {
                        name: name.into(),
                        seconds: self.settings.timeout.as_secs_f64(),
                    });
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let detail = worker.kill();
                    return Err(CompileError::WorkerCrashed { name: name.into(), detail });
                }
            }
        }
    }
}
