//! `krd`: the kr engine. See the `kr_host` crate docs for the architecture.

use clap::{Parser, Subcommand};
use kr_host::config::Config;
use kr_host::control::{ControlMsg, ControlThread, HostCounters};
use kr_host::jack_backend::{self, JackBackend, JackSettings};
use kr_host::rt::AudioEngine;
use kr_host::service::monitor::ServiceMonitor;
use kr_host::service::notify::Notifier;
use kr_host::session::Session;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

// Debug builds (all tests) abort on any allocation inside the audio callback.
#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

#[derive(Parser)]
#[command(name = "krd", version, about = "kr engine: FAUST nodes on JACK, driven over OSC")]
struct Cli {
    /// Configuration file (default: $XDG_CONFIG_HOME/kr/krd.yaml when it exists).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// OSC port (overrides the configuration).
    #[arg(long)]
    port: Option<u16>,
    /// SuperDirt port for TidalCycles and Strudel (overrides the configuration; 0: off).
    #[arg(long)]
    dirt_port: Option<u16>,
    /// JACK client name (overrides the configuration).
    #[arg(long)]
    name: Option<String>,
    /// Session state file (default: the configuration's `state_file`, else
    /// $XDG_STATE_HOME/kr/session.json).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Neither restore nor save the session state.
    #[arg(long)]
    no_state: bool,
    /// Start empty instead of restoring the saved session, a copy of which is kept beside the
    /// state file as `<file>.previous` (the session is saved as usual from then on).
    #[arg(long, conflicts_with = "no_state")]
    fresh: bool,
    /// Print the configuration in effect (FILE, else --config, else the default file) and exit;
    /// or what is wrong with it (file:line:column: key: message), exiting with 1.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    check_config: Option<Option<PathBuf>>,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Subcommand)]
enum Sub {
    /// Internal: run a FAUST compile worker on stdin/stdout.
    #[command(hide = true)]
    FaustWorker,
    /// Render a score (YAML list of timed commands) to a WAV file, offline, without JACK.
    Render {
        score: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, default_value_t = 48000)]
        sample_rate: u32,
        #[arg(long, default_value_t = 64)]
        block: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Some(Sub::FaustWorker) = cli.command {
        std::process::exit(kr_faust::worker::run_stdio());
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("KR_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        // Colour only on a terminal: journald and log files get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Some(file) = &cli.check_config {
        std::process::exit(check_config(&cli, file.as_deref()));
    }
    let result = match cli.command {
        Some(Sub::Render { ref score, ref output, sample_rate, block }) => {
            render(&cli, score, output, sample_rate, block)
        }
        _ => run(cli),
    };
    if let Err(e) = result {
        tracing::error!("{e}");
        eprintln!("krd: {e}");
        std::process::exit(1);
    }
}

/// `krd --check-config [FILE]`: print the configuration in effect (with the command line's
/// overrides) or the error; the exit status.
fn check_config(cli: &Cli, file: Option<&std::path::Path>) -> i32 {
    let path = file.map(PathBuf::from).or_else(|| cli.config.clone()).or_else(Config::default_path);
    let loaded = match &path {
        Some(p) => Config::load(p),
        None => Ok(Config::default()),
    };
    match loaded {
        Ok(mut config) => {
            apply_overrides(cli, &mut config);
            let from = path.map_or("the built-in defaults (no file)".into(), |p| p.display().to_string());
            print!("# krd configuration in effect, from {from}\n{}", config.effective());
            0
        }
        Err(e) => {
            eprintln!("krd: {e}");
            1
        }
    }
}

/// The command line's settings over the file's.
fn apply_overrides(cli: &Cli, config: &mut Config) {
    if let Some(p) = cli.port {
        config.osc.port = p;
    }
    if let Some(n) = &cli.name {
        config.jack.client_name = n.clone();
    }
    if let Some(s) = &cli.state {
        config.state_file = Some(s.clone());
    }
    match cli.dirt_port {
        Some(0) => config.dirt.enabled = false,
        Some(p) => config.dirt.port = p,
        None => {}
    }
}

fn load_config(cli: &Cli) -> Result<Config, Box<dyn std::error::Error>> {
    Ok(match cli.config.clone().or_else(Config::default_path) {
        Some(p) => Config::load(&p)?,
        None => Config::default(),
    })
}

fn render(
    cli: &Cli,
    score: &std::path::Path,
    output: &std::path::Path,
    sample_rate: u32,
    block: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    use kr_host::render::{self, RenderSettings};
    let config = load_config(cli)?;
    let exe = std::env::current_exe()?.display().to_string();
    let compiler = kr_faust::CompileService::start(config.compiler_settings(vec![exe, "faust-worker".into()]));
    let text = std::fs::read_to_string(score)?;
    let started = Instant::now();
    let samples = render::render(&text, &RenderSettings { sample_rate, block }, &config, &compiler)?;
    render::write_wav(output, &samples, sample_rate)?;
    let seconds = samples.len() as f64 / 2.0 / sample_rate as f64;
    tracing::info!("rendered {seconds:.2} s in {:.2} s to {}", started.elapsed().as_secs_f64(), output.display());
    Ok(())
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = load_config(&cli)?;
    apply_overrides(&cli, &mut config);
    // Signals are handled by the main thread alone: block them before any thread starts.
    let signals = block_signals();
    raise_fd_limit();
    kr_host::service::test_hooks::start();
    let sockets = Sockets::bind(&config)?;
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = start_engine(&config, tx.clone())?;
    let own_name = engine.own_name.clone();
    let beats = Arc::clone(&engine.counters);
    let dirt_dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let dirt_listening = sockets.dirt_status.clone();
    let (control, board) =
        start_control(&cli, &config, engine, tx.clone(), rx, Arc::clone(&dirt_dropped), dirt_listening)?;
    let stop = Arc::new(AtomicBool::new(false));
    let servers = sockets.serve(&config, &tx, &board, &stop, dirt_dropped)?;
    tracing::info!(osc = %sockets_addr(&config), jack = %own_name, "krd is listening");

    let mut monitor = ServiceMonitor::new(Notifier::from_env(), beats, board);
    let reason = wait_for_exit(&signals, &mut monitor);
    tracing::info!("stopping: {reason}");
    monitor.stopping();
    stop.store(true, Relaxed);
    let _ = tx.send(ControlMsg::Shutdown);
    // The control thread finishes recordings and writes the state; a stop is never refused,
    // so after a bounded wait krd leaves whatever it is doing.
    let deadline = Instant::now() + SHUTDOWN_WAIT;
    while !control.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if !control.is_finished() {
        tracing::error!("the control thread did not finish within {SHUTDOWN_WAIT:?}; exiting anyway");
        std::process::exit(1);
    }
    let _ = control.join();
    for s in servers {
        let _ = s.join();
    }
    Ok(())
}

/// How long krd waits for the control thread to finish after a stop signal.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

fn sockets_addr(config: &Config) -> String {
    format!("{}:{}", config.osc.address, config.osc.port)
}

/// The OSC sockets, bound before anything else starts so a second krd fails at once.
struct Sockets {
    udp: std::net::UdpSocket,
    tcp: Option<std::net::TcpListener>,
    /// The SuperDirt socket, when enabled and bound.
    dirt: Option<std::net::UdpSocket>,
    /// Where `/dirt/play` is heard, or why it is not.
    dirt_status: Result<String, String>,
}

impl Sockets {
    fn bind(config: &Config) -> Result<Sockets, String> {
        let addr = sockets_addr(config);
        let udp = std::net::UdpSocket::bind(&addr)
            .map_err(|e| format!("cannot listen for OSC on {addr}: {e} (is another krd running?)"))?;
        let tcp = match config.osc.tcp {
            true => Some(
                std::net::TcpListener::bind(&addr)
                    .map_err(|e| format!("cannot listen for OSC over TCP on {addr}: {e} (is another krd running?)"))?,
            ),
            false => None,
        };
        // Without the SuperDirt port (another SuperDirt or krd has it) krd still runs: the
        // reason is logged and shown in /kr/status.
        let dirt_addr = format!("{}:{}", config.dirt.address, config.dirt.port);
        let (dirt, dirt_status) = if !config.dirt.enabled {
            (None, Err("off (dirt.enabled is false)".to_string()))
        } else {
            match std::net::UdpSocket::bind(&dirt_addr) {
                Ok(s) => (Some(s), Ok(dirt_addr)),
                Err(e) => {
                    let why = format!(
                        "cannot listen for SuperDirt events on {dirt_addr}: {e} (is SuperDirt or another krd running?)"
                    );
                    tracing::warn!("{why}");
                    (None, Err(why))
                }
            }
        };
        Ok(Sockets { udp, tcp, dirt, dirt_status })
    }

    /// A thread per socket, passing packets to the control thread until `stop`.
    fn serve(
        self,
        config: &Config,
        tx: &crossbeam_channel::Sender<ControlMsg>,
        board: &Arc<kr_host::status::StatusBoard>,
        stop: &Arc<AtomicBool>,
        dirt_dropped: Arc<std::sync::atomic::AtomicU64>,
    ) -> Result<Vec<std::thread::JoinHandle<()>>, Box<dyn std::error::Error>> {
        let allow = kr_host::server::AllowList::parse(&config.osc.allow).map_err(|e| format!("osc.allow: {e}"))?;
        let limits = kr_osc::Limits::default();
        let mut servers = Vec::new();
        let (udp_tx, udp_stop, udp_limits, udp_allow) = (tx.clone(), Arc::clone(stop), limits.clone(), allow.clone());
        let udp_board = Arc::clone(board);
        let udp = self.udp;
        if let Some(dirt) = self.dirt {
            let (tx, stop, allow) = (tx.clone(), Arc::clone(stop), allow.clone());
            let deliver = move |m| tx.send(ControlMsg::Dirt(m)).is_ok();
            servers.push(
                std::thread::Builder::new()
                    .name("kr-dirt".into())
                    .spawn(move || kr_host::dirt::endpoint::serve(dirt, allow, deliver, dirt_dropped, stop))?,
            );
        }
        servers.push(
            std::thread::Builder::new()
                .name("kr-osc-udp".into())
                .spawn(move || kr_host::server::serve_udp(udp, udp_tx, udp_limits, udp_allow, udp_board, udp_stop))?,
        );
        if let Some(listener) = self.tcp {
            let (tx, stop, board) = (tx.clone(), Arc::clone(stop), Arc::clone(board));
            let tcp = kr_host::server::TcpSettings {
                max_connections: config.osc.max_connections,
                idle_timeout: Duration::from_secs_f64(config.osc.idle_timeout_s.max(1.0)),
            };
            servers.push(
                std::thread::Builder::new()
                    .name("kr-osc-tcp".into())
                    .spawn(move || kr_host::server::serve_tcp(listener, tx, limits, allow, tcp, board, stop))?,
            );
        }
        Ok(servers)
    }
}

/// The engine running in JACK's callback, and the session that drives it.
struct Engine {
    session: Session,
    counters: Arc<HostCounters>,
    own_name: String,
}

fn start_engine(
    config: &Config,
    tx: crossbeam_channel::Sender<ControlMsg>,
) -> Result<Engine, Box<dyn std::error::Error>> {
    let counters = Arc::new(HostCounters::default());
    let collector = basedrop::Collector::new();
    let settings = JackSettings { client_name: config.jack.client_name.clone(), autoconnect: config.jack.autoconnect };
    let notice: jack_backend::Notice = Box::new(move |message| {
        let _ = tx.send(ControlMsg::Notify(message));
    });
    let mut made = None;
    let backend = JackBackend::start(settings, Arc::clone(&counters), notice, |rate| {
        let (mut engine, link) = AudioEngine::new(&collector, rate, config.engine.master);
        engine.set_skip_idle_voices(config.engine.skip_idle_voices);
        made = Some((link, rate));
        engine
    })?;
    let (link, sample_rate) = made.ok_or("the JACK backend made no engine")?;
    let telemetry = Arc::clone(&link.telemetry);
    let own_name = backend.client_name().unwrap_or_default().to_string();
    let boot = Instant::now();
    while telemetry.callbacks.load(Relaxed) == 0 && boot.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut settings = config.session_settings();
    settings.client_name = own_name.clone();
    let session = Session::new(settings, sample_rate, link, collector, Box::new(backend));
    tracing::info!(jack = %own_name, sample_rate, "JACK client active");
    Ok(Engine { session, counters, own_name })
}

/// Start the control thread, restoring the saved session first (unless `--no-state`).
fn start_control(
    cli: &Cli,
    config: &Config,
    engine: Engine,
    tx: crossbeam_channel::Sender<ControlMsg>,
    rx: crossbeam_channel::Receiver<ControlMsg>,
    dirt_dropped: Arc<std::sync::atomic::AtomicU64>,
    dirt_listening: Result<String, String>,
) -> Result<(std::thread::JoinHandle<()>, Arc<kr_host::status::StatusBoard>), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?.display().to_string();
    let compiler = kr_faust::CompileService::start(config.compiler_settings(vec![exe, "faust-worker".into()]));
    let state_path = if cli.no_state {
        None
    } else {
        cli.state
            .clone()
            .or_else(|| config.state_file.clone())
            .or_else(|| kr_host::state::default_path_for_port(config.osc.port))
    };
    if let Some(p) = state_path.as_ref().filter(|p| cli.fresh && p.exists()) {
        let previous = kr_host::state::keep_previous(p)?;
        tracing::info!(kept = %previous.display(), "starting fresh; the last session is kept");
    }
    // A file krd cannot read is moved aside (never overwritten) and krd starts empty.
    let mut problems = Vec::new();
    let saved = match state_path.as_ref().filter(|_| !cli.fresh) {
        Some(p) => kr_host::state::load(p).unwrap_or_else(|e| {
            problems.push(e.to_string());
            match kr_host::state::move_aside(p) {
                Ok(aside) => problems.push(format!("the state file was kept as {}", aside.display())),
                Err(e) => problems.push(format!("the state file could not be kept aside: {e}")),
            }
            None
        }),
        None => None,
    };
    let state_writer = state_path.clone().map(kr_host::state::StateWriter::start);
    let mut session = engine.session;
    if let Some(saved) = &saved {
        session.set_patchbay(kr_host::state::Saved::parse(saved).patchbay);
    }
    let mut control = ControlThread::new(session, compiler, tx, rx, config.dsp_dir(), engine.counters, state_writer);
    control.set_limits(config.osc.client_limits());
    control.dirt_dropped = dirt_dropped;
    control.dirt_listening = dirt_listening;
    control.compile_dirt_programs();
    control.watch_dsp_dir();
    let restoring = control.restore(saved.as_ref(), problems);
    let board = control.status_board();
    let thread = std::thread::Builder::new().name("kr-control".into()).spawn(move || control.run(restoring))?;
    Ok((thread, board))
}

/// Raise the soft limit on open files to the hard limit: every TCP client, recording and compile
/// takes descriptors, and the soft default (1024) runs out long before the hard one.
fn raise_fd_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                tracing::warn!("could not raise the open-file limit");
            }
        }
    }
}

fn block_signals() -> libc::sigset_t {
    // SAFETY: plain signal-mask calls on a local, initialised sigset, before threads exist.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGHUP);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Wait for a stop signal, keeping the service manager told how krd is doing.
fn wait_for_exit(signals: &libc::sigset_t, monitor: &mut ServiceMonitor) -> String {
    loop {
        monitor.tick(Instant::now());
        let every = monitor.tick_every();
        let timeout = libc::timespec { tv_sec: 0, tv_nsec: every.subsec_nanos() as libc::c_long };
        // SAFETY: `signals` is an initialised set; a null siginfo pointer is allowed.
        let sig = unsafe { libc::sigtimedwait(signals, std::ptr::null_mut(), &timeout) };
        if sig > 0 {
            return format!("signal {sig}");
        }
    }
}
