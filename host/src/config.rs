//! `krd.yaml`: every setting with its default (`configs/krd.yaml` shows them all, commented).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The configuration for every user of the machine, read when a user has none of their own.
pub const SYSTEM_CONFIG: &str = "/etc/kr/krd.yaml";

/// All of krd's settings. Missing keys take their defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub osc: OscConfig,
    pub jack: JackConfig,
    pub engine: EngineConfig,
    pub compiler: CompilerConfig,
    pub dirt: DirtConfig,
    /// Folder of `.dsp` files usable as `faust:<path>` node types (None: $XDG_DATA_HOME/kr/dsp).
    pub dsp_dir: Option<PathBuf>,
    /// Where the session is saved and restored from (None: $XDG_STATE_HOME/kr/session.json).
    pub state_file: Option<PathBuf>,
    /// Where recordings given a relative file name go (None: $XDG_DATA_HOME/kr/recordings).
    pub record_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OscConfig {
    pub address: String,
    pub port: u16,
    /// Also accept OSC over TCP (length-prefixed frames) on the same address and port.
    pub tcp: bool,
    /// Peer networks allowed to send (CIDR); others are ignored.
    pub allow: Vec<String>,
    /// Most TCP connections at once; more are closed at once with a `/kr/fail` saying why.
    pub max_connections: usize,
    /// A TCP connection that sends nothing for this long is closed (subscribers renew in time).
    pub idle_timeout_s: f64,
    /// Most clients subscribed to notifications at once.
    pub max_subscribers: usize,
    /// How far ahead of now a bundle's time tag may be.
    pub max_ahead_s: f64,
    /// Most time-tagged bundles waiting for their time.
    pub max_waiting_packets: usize,
}

/// Bounds on what clients can make the control thread hold (config `osc:`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientLimits {
    /// Most subscribers at once.
    pub max_subscribers: usize,
    /// How far ahead of now a time tag may be, in seconds.
    pub max_ahead_seconds: f64,
    /// Most time-tagged packets waiting for their time.
    pub max_waiting_packets: usize,
}

impl OscConfig {
    /// What the control thread may hold for clients.
    pub fn client_limits(&self) -> ClientLimits {
        ClientLimits {
            max_subscribers: self.max_subscribers,
            max_ahead_seconds: self.max_ahead_s,
            max_waiting_packets: self.max_waiting_packets,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JackConfig {
    pub client_name: String,
    /// Connect master to the first two physical playback ports, when there are any.
    pub autoconnect: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    pub lookahead_ms: f64,
    pub crossfade_ms: f64,
    pub max_nodes: usize,
    /// Memory all voices of one node may take (DSP state: delay lines, tables), in MiB.
    pub max_node_memory_mb: u64,
    /// Memory all nodes together may take, in MiB.
    pub max_memory_mb: u64,
    pub tempo: f64,
    pub meter: f64,
    pub master: f32,
    /// With Ableton Link on: how long after krd processes a frame it is heard (the sound card's
    /// output latency), in ms; onsets are placed this much early to sound on the beat.
    pub link_latency_ms: f64,
    /// Voices with their gate down and silent for a block are not computed until their next
    /// note (false: every voice computes every block).
    pub skip_idle_voices: bool,
    /// Nodes of 8 voices or more of a source compute 8 voices per FAUST instance, in lanes
    /// (see `kr_faust::lanes`; false: one instance per voice).
    pub voice_lanes: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CompilerConfig {
    pub timeout_s: f64,
    pub memory_limit_mb: u64,
    pub cache_dir: Option<PathBuf>,
    pub cache_max_mb: u64,
    pub faust_lib_dir: PathBuf,
    /// Sandbox the compile worker (Landlock): it reads only `faust_lib_dir`, with no network.
    pub sandbox: bool,
}

/// The SuperDirt endpoint and the sample library (config `dirt:`). Peers are checked against
/// `osc.allow`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DirtConfig {
    /// Listen for `/dirt/play` (TidalCycles, Strudel) on UDP.
    pub enabled: bool,
    pub address: String,
    pub port: u16,
    /// Folders of sample banks (`<folder>/<bank>/<files>`), searched in order. Empty: the
    /// defaults, `$XDG_DATA_HOME/kr/samples` (where `make samples` puts the bundled set) and
    /// `/usr/share/kr/samples`.
    pub sample_paths: Vec<PathBuf>,
    /// `orbit` wraps around this many orbit nodes (`orbit0` …), made on first use.
    pub orbits: u32,
    /// Memory all loaded samples may take; the least recently used are unloaded past it.
    pub max_samples_mb: u64,
    /// The largest sample file krd reads (on disk, and decoded).
    pub max_file_mb: u64,
}

impl Default for DirtConfig {
    fn default() -> Self {
        DirtConfig {
            enabled: true,
            address: "127.0.0.1".into(),
            port: 57120,
            sample_paths: Vec::new(),
            orbits: 12,
            max_samples_mb: 512,
            max_file_mb: 256,
        }
    }
}

impl DirtConfig {
    /// The sample folders: the configured ones, else the defaults.
    pub fn sample_roots(&self) -> Vec<PathBuf> {
        if !self.sample_paths.is_empty() {
            return self.sample_paths.clone();
        }
        let mut roots: Vec<PathBuf> = kr_faust::paths::data_dir().map(|d| d.join("samples")).into_iter().collect();
        roots.push("/usr/share/kr/samples".into());
        roots
    }
}

impl Default for OscConfig {
    fn default() -> Self {
        OscConfig {
            address: "127.0.0.1".into(),
            port: kr_osc::DEFAULT_PORT,
            tcp: true,
            allow: vec!["127.0.0.0/8".into(), "::1/128".into()],
            max_connections: 64,
            idle_timeout_s: 600.0,
            max_subscribers: 64,
            max_ahead_s: 600.0,
            max_waiting_packets: 1024,
        }
    }
}

impl Default for JackConfig {
    fn default() -> Self {
        JackConfig { client_name: "krd".into(), autoconnect: true }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lookahead_ms: 50.0,
            crossfade_ms: 20.0,
            max_nodes: 256,
            max_node_memory_mb: 1024,
            max_memory_mb: 4096,
            tempo: 120.0,
            meter: 4.0,
            master: 0.8,
            link_latency_ms: 0.0,
            skip_idle_voices: true,
            voice_lanes: true,
        }
    }
}

impl Default for CompilerConfig {
    fn default() -> Self {
        CompilerConfig {
            timeout_s: 10.0,
            memory_limit_mb: 8192,
            cache_dir: None,
            cache_max_mb: 256,
            faust_lib_dir: "/usr/share/faust".into(),
            sandbox: true,
        }
    }
}

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// `FILE:LINE:COLUMN: key: what is wrong` (as compilers say it, so editors can jump there).
    #[error("{path}:{}: {}", location(source), message(source))]
    Parse { path: PathBuf, source: serde_yaml::Error },
}

/// `LINE:COLUMN` of a YAML error (1-based), or `1:1` when the error has none.
fn location(e: &serde_yaml::Error) -> String {
    e.location().map_or("1:1".into(), |l| format!("{}:{}", l.line(), l.column()))
}

/// A YAML error without the location it ends with (given in front instead).
fn message(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    match (e.location(), text.rfind(" at line ")) {
        (Some(_), Some(at)) => text[..at].to_string(),
        _ => text,
    }
}

impl Config {
    /// Load a YAML file; a missing key keeps its default, an unknown key is an error.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_yaml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })
    }

    /// The configuration as `krd --check-config` prints it: every setting in YAML, then the
    /// folders and files the `null`s stand for.
    pub fn effective(&self) -> String {
        let yaml = serde_yaml::to_string(self).unwrap_or_else(|e| format!("# cannot print: {e}\n"));
        let shown = |p: Option<PathBuf>| {
            p.map_or("(none: neither $HOME nor the XDG folder is set)".into(), |p| p.display().to_string())
        };
        let settings = self.session_settings();
        let cache = self.compiler.cache_dir.clone().or_else(|| kr_faust::CacheSettings::default().dir);
        let state = self.state_file.clone().or_else(|| crate::state::default_path_for_port(self.osc.port));
        format!(
            "{yaml}# in effect for the nulls:\n#   state_file: {}\n#   record_dir: {}\n#   dsp_dir: {}\n#   compiler.cache_dir: {}\n",
            shown(state),
            settings.record_dir.display(),
            shown(self.dsp_dir()),
            shown(cache),
        )
    }

    /// The folder of `.dsp` files: the configured one, else `$XDG_DATA_HOME/kr/dsp`.
    pub fn dsp_dir(&self) -> Option<PathBuf> {
        self.dsp_dir.clone().or_else(kr_faust::dspdir::default_dir)
    }

    /// `$XDG_CONFIG_HOME/kr/krd.yaml` (or `~/.config/kr/krd.yaml`) when it exists, else the
    /// system-wide [`SYSTEM_CONFIG`] (the krd package installs it) when it exists.
    pub fn default_path() -> Option<PathBuf> {
        let user = kr_faust::paths::config_dir().map(|d| d.join("krd.yaml"));
        user.into_iter().chain(std::iter::once(PathBuf::from(SYSTEM_CONFIG))).find(|p| p.exists())
    }

    pub fn session_settings(&self) -> crate::session::SessionSettings {
        crate::session::SessionSettings {
            lookahead_seconds: self.engine.lookahead_ms / 1000.0,
            crossfade_seconds: self.engine.crossfade_ms / 1000.0,
            max_nodes: self.engine.max_nodes,
            max_node_bytes: self.engine.max_node_memory_mb << 20,
            voice_lanes: self.engine.voice_lanes,
            max_total_bytes: self.engine.max_memory_mb << 20,
            bpm: self.engine.tempo,
            meter: self.engine.meter,
            master: self.engine.master,
            client_name: self.jack.client_name.clone(),
            record_dir: self
                .record_dir
                .clone()
                .or_else(|| kr_faust::paths::data_dir().map(|d| d.join("recordings")))
                .unwrap_or_else(std::env::temp_dir),
            samples: crate::dirt::LibrarySettings {
                roots: self.dirt.sample_roots(),
                max_bytes: self.dirt.max_samples_mb << 20,
                max_file_bytes: self.dirt.max_file_mb << 20,
            },
            orbits: self.dirt.orbits.max(1),
            link_latency_seconds: self.engine.link_latency_ms.max(0.0) / 1000.0,
        }
    }

    /// Compile-service settings; `worker` is the command that runs a compile worker.
    pub fn compiler_settings(&self, worker: Vec<String>) -> kr_faust::CompilerSettings {
        let c = &self.compiler;
        let mut cache = kr_faust::CacheSettings { max_bytes: c.cache_max_mb << 20, ..Default::default() };
        if let Some(d) = &c.cache_dir {
            cache.dir = Some(d.clone());
        }
        kr_faust::CompilerSettings {
            worker,
            timeout: std::time::Duration::from_secs_f64(c.timeout_s.max(0.1)),
            memory_limit_bytes: c.memory_limit_mb << 20,
            faust_args: vec!["-I".into(), c.faust_lib_dir.display().to_string()],
            cache,
            sandbox: c.sandbox,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped `configs/krd.yaml` is every default, as it says: it loads, and loading it is
    /// the same as having no file.
    #[test]
    fn the_shipped_config_is_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/krd.yaml");
        assert_eq!(Config::load(&path).unwrap(), Config::default());
    }

    /// Every key of the shipped file is read: changing any one of them changes what loads.
    #[test]
    fn every_key_of_the_shipped_config_is_read() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/krd.yaml");
        let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut leaves = Vec::new();
        collect_leaves(&doc, &mut Vec::new(), &mut leaves);
        // The file shows every setting there is.
        let mut all = Vec::new();
        collect_leaves(&serde_yaml::to_value(Config::default()).unwrap(), &mut Vec::new(), &mut all);
        let (mut shown, mut settings) = (leaves.clone(), all);
        shown.sort();
        settings.sort();
        assert_eq!(shown, settings, "configs/krd.yaml shows every setting");
        for key in leaves {
            let mut changed = doc.clone();
            let leaf = key.iter().fold(&mut changed, |v, k| &mut v[k.as_str()]);
            *leaf = another_value(leaf);
            let config: Config = serde_yaml::from_value(changed).unwrap_or_else(|e| panic!("{key:?}: {e}"));
            assert_ne!(config, Config::default(), "{} is not read", key.join("."));
        }
    }

    fn collect_leaves(v: &serde_yaml::Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v.as_mapping() {
            Some(m) => {
                for (k, v) in m {
                    at.push(k.as_str().unwrap().to_string());
                    collect_leaves(v, at, out);
                    at.pop();
                }
            }
            None => out.push(at.clone()),
        }
    }

    /// A valid value of the same kind that differs from `v`.
    fn another_value(v: &serde_yaml::Value) -> serde_yaml::Value {
        use serde_yaml::Value;
        match v {
            Value::Null => Value::String("/srv/kr-elsewhere".into()),
            Value::Bool(b) => Value::Bool(!b),
            Value::Number(n) if n.is_u64() => Value::from(n.as_u64().unwrap() + 1),
            Value::Number(n) => Value::from(n.as_f64().unwrap() + 0.5),
            Value::String(s) => Value::String(format!("{s}x")),
            Value::Sequence(list) => {
                let mut list = list.clone();
                list.push(Value::String("10.0.0.0/8".into()));
                Value::Sequence(list)
            }
            other => panic!("no other value for {other:?}"),
        }
    }

    /// `dsp_dir: null` (the shipped file) means the default folder, as its comment says.
    #[test]
    fn a_null_dsp_dir_is_the_default_folder() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/krd.yaml");
        let config = Config::load(&path).unwrap();
        assert_eq!(config.dsp_dir, None);
        assert_eq!(config.dsp_dir(), kr_faust::dspdir::default_dir());
        assert!(config.dsp_dir().is_some(), "HOME is set in tests");
    }

    #[test]
    fn a_bad_value_names_file_line_column_and_key() {
        let dir = std::env::temp_dir().join(format!("kr-config-line-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("krd.yaml");
        std::fs::write(&path, "osc:\n  port: 1\nengine:\n  tempo: fast\n").unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert_eq!(e, format!("{}:4:10: engine.tempo: invalid type: string \"fast\", expected f64", path.display()));
    }

    #[test]
    fn the_effective_configuration_loads_back_the_same() {
        let mut config = Config::default();
        config.osc.port = 5000;
        config.dsp_dir = Some("/srv/dsp".into());
        let text = config.effective();
        assert!(text.contains("#   dsp_dir: /srv/dsp"), "{text}");
        assert_eq!(serde_yaml::from_str::<Config>(&text).unwrap(), config);
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("kr-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("krd.yaml");
        std::fs::write(&path, "osc:\n  prot: 1\n").unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("unknown field `prot`"), "{e}");
    }
}
