//! The sample library: banks in the Dirt-Samples layout (`<root>/<bank>/<files>`), listed when
//! first named and loaded file by file when first played, on a loader thread; a memory cap
//! unloads the least recently used files (a file still playing lives on in its voices, which
//! hold it through `basedrop`, until they finish).

use super::decode::{self, SampleData};
use basedrop::{Handle, Shared};
use crossbeam_channel::{Receiver, Sender};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// File name extensions read as samples (compared in lower case). SuperDirt reads WAV and AIFF;
/// FLAC too here, so Debian's Sonic Pi samples work as they are.
pub const EXTENSIONS: &[&str] = &["wav", "aif", "aiff", "aifc", "flac"];
/// A bank's listing is read again when it is older than this (new files show up).
const LISTING_TTL: Duration = Duration::from_secs(2);

/// Library settings (config `dirt:`).
#[derive(Debug, Clone, PartialEq)]
pub struct LibrarySettings {
    /// Folders holding banks, searched in order: the first with a bank of a name has it.
    pub roots: Vec<PathBuf>,
    /// Memory all loaded samples may take before the least recently used are unloaded.
    pub max_bytes: u64,
    /// The largest file (on disk, and decoded) krd reads.
    pub max_file_bytes: u64,
}

impl Default for LibrarySettings {
    fn default() -> Self {
        LibrarySettings { roots: Vec::new(), max_bytes: 512 << 20, max_file_bytes: 256 << 20 }
    }
}

/// What asking for a file gives.
pub enum Lookup {
    Ready(Shared<SampleData>),
    /// Being loaded: ask again when [`SampleLibrary::poll`] says it is done.
    Loading,
    Failed(String),
}

/// One bank's files, sorted by the bytes of their names (as SuperDirt sorts them).
struct Listing {
    files: Vec<PathBuf>,
    read: Instant,
}

struct Loaded {
    data: Shared<SampleData>,
    used: u64,
}

/// A bank as `/kr/samples/list` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BankInfo {
    pub name: String,
    pub files: usize,
    pub loaded: usize,
    pub bytes: u64,
}

type LoadResult = (PathBuf, Result<SampleData, decode::DecodeError>);

pub struct SampleLibrary {
    settings: LibrarySettings,
    rate: u32,
    handle: Handle,
    listings: BTreeMap<String, Listing>,
    loaded: BTreeMap<PathBuf, Loaded>,
    loading: BTreeSet<PathBuf>,
    failed: BTreeMap<PathBuf, String>,
    bytes: u64,
    clock: u64,
    next_id: u64,
    requests: Sender<(PathBuf, u32, u64, u64)>,
    results: Receiver<LoadResult>,
}

/// Whether `name` can be a bank: one folder name, not hidden.
pub fn valid_bank_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\', '\0']) && !name.starts_with('.')
}

impl SampleLibrary {
    /// A library reading from `settings.roots`, loading at `rate` Hz on a thread of its own.
    pub fn new(settings: LibrarySettings, rate: u32, handle: Handle) -> SampleLibrary {
        let (requests, inbox) = crossbeam_channel::unbounded::<(PathBuf, u32, u64, u64)>();
        let (outbox, results) = crossbeam_channel::unbounded();
        let spawned = std::thread::Builder::new().name("kr-samples".into()).spawn(move || {
            for (path, rate, max, id) in inbox {
                let r = decode::load(&path, rate, max, id);
                if outbox.send((path, r)).is_err() {
                    break;
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!("cannot start the sample loader: {e}");
        }
        SampleLibrary {
            settings,
            rate,
            handle,
            listings: BTreeMap::new(),
            loaded: BTreeMap::new(),
            loading: BTreeSet::new(),
            failed: BTreeMap::new(),
            bytes: 0,
            clock: 0,
            next_id: 1,
            requests,
            results,
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.settings.roots
    }

    /// The files of bank `name`, if a root has that folder with sound files in it.
    pub fn bank(&mut self, name: &str) -> Option<&[PathBuf]> {
        if !valid_bank_name(name) {
            return None;
        }
        let fresh = self.listings.get(name).is_some_and(|l| l.read.elapsed() < LISTING_TTL);
        if !fresh {
            let files = self.settings.roots.iter().find_map(|root| list_bank(&root.join(name)));
            match files {
                Some(files) => {
                    self.listings.insert(name.into(), Listing { files, read: Instant::now() });
                }
                None => {
                    self.listings.remove(name);
                }
            }
        }
        self.listings.get(name).map(|l| l.files.as_slice())
    }

    /// The file `n` picks in bank `name`: truncated, and wrapped around the bank's size.
    pub fn pick(&mut self, name: &str, n: f64) -> Option<PathBuf> {
        let files = self.bank(name)?;
        let i = (n.trunc() as i64).rem_euclid(files.len() as i64) as usize;
        files.get(i).cloned()
    }

    /// A file's samples, loading it if need be.
    pub fn get(&mut self, path: &Path) -> Lookup {
        self.clock += 1;
        if let Some(l) = self.loaded.get_mut(path) {
            l.used = self.clock;
            return Lookup::Ready(l.data.clone());
        }
        if let Some(why) = self.failed.get(path) {
            return Lookup::Failed(why.clone());
        }
        if self.loading.insert(path.to_path_buf()) {
            let id = self.next_id;
            self.next_id += 1;
            let request = (path.to_path_buf(), self.rate, self.settings.max_file_bytes, id);
            if self.requests.send(request).is_err() {
                self.loading.remove(path);
                return Lookup::Failed("the sample loader is not running".into());
            }
        }
        Lookup::Loading
    }

    /// Load every file of a bank; the number of files, or why not.
    pub fn preload(&mut self, name: &str) -> Result<usize, String> {
        let files = self.bank(name).map(<[PathBuf]>::to_vec).ok_or_else(|| self.no_bank(name))?;
        for f in &files {
            let _ = self.get(f);
        }
        Ok(files.len())
    }

    /// The message for a name that is no bank.
    pub fn no_bank(&self, name: &str) -> String {
        let roots: Vec<String> = self.settings.roots.iter().map(|r| r.display().to_string()).collect();
        format!(
            "no sample bank named '{name}' (looked in: {})",
            if roots.is_empty() { "no folders".into() } else { roots.join(", ") }
        )
    }

    /// Loads finished since the last call: (file, error if it failed). Waits up to `wait` for
    /// the first one.
    pub fn poll(&mut self, wait: Duration) -> Vec<(PathBuf, Option<String>)> {
        let mut done = Vec::new();
        let first = if wait.is_zero() { self.results.try_recv().ok() } else { self.results.recv_timeout(wait).ok() };
        let results = self.results.clone();
        for (path, result) in first.into_iter().chain(std::iter::from_fn(|| results.try_recv().ok())) {
            self.loading.remove(&path);
            match result {
                Ok(data) => {
                    self.clock += 1;
                    self.bytes += data.bytes();
                    let data = Shared::new(&self.handle, data);
                    self.loaded.insert(path.clone(), Loaded { data, used: self.clock });
                    self.evict(&path);
                    done.push((path, None));
                }
                Err(e) => {
                    self.failed.insert(path.clone(), e.to_string());
                    done.push((path, Some(e.to_string())));
                }
            }
        }
        done
    }

    /// Unload the least recently used files until the library fits its cap (never `keep`).
    fn evict(&mut self, keep: &Path) {
        while self.bytes > self.settings.max_bytes {
            let oldest = self.loaded.iter().filter(|(p, _)| p.as_path() != keep).min_by_key(|(_, l)| l.used);
            let Some(path) = oldest.map(|(p, _)| p.clone()) else { break };
            if let Some(l) = self.loaded.remove(&path) {
                self.bytes -= l.data.bytes();
            }
        }
    }

    /// Whether files are waiting to be loaded.
    pub fn is_loading(&self) -> bool {
        !self.loading.is_empty()
    }

    pub fn loaded_bytes(&self) -> u64 {
        self.bytes
    }

    /// Every bank under the roots (a root's bank hides a later root's of the same name).
    pub fn list(&mut self) -> Vec<BankInfo> {
        let mut names = BTreeSet::new();
        for root in &self.settings.roots {
            let Ok(entries) = std::fs::read_dir(root) else { continue };
            for e in entries.flatten() {
                if e.path().is_dir() {
                    if let Some(name) = e.file_name().to_str().filter(|n| valid_bank_name(n)) {
                        names.insert(name.to_string());
                    }
                }
            }
        }
        let mut out = Vec::new();
        for name in names {
            let Some(files) = self.bank(&name).map(<[PathBuf]>::to_vec) else { continue };
            let loaded: Vec<&Loaded> = files.iter().filter_map(|f| self.loaded.get(f)).collect();
            let bytes = loaded.iter().map(|l| l.data.bytes()).sum();
            out.push(BankInfo { name, files: files.len(), loaded: loaded.len(), bytes });
        }
        out
    }

    /// The engine's rate changed: samples are loaded again at the new rate when next played.
    pub fn set_rate(&mut self, rate: u32) {
        if rate != self.rate {
            self.rate = rate;
            self.loaded.clear();
            self.bytes = 0;
        }
    }
}

/// The sound files directly in `dir`, sorted by the bytes of their names; None when `dir` is
/// not a folder or has none.
fn list_bank(dir: &Path) -> Option<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_lowercase().as_str()))
        })
        .collect();
    files.sort_by(|a, b| a.file_name().map(|n| n.as_encoded_bytes()).cmp(&b.file_name().map(|n| n.as_encoded_bytes())));
    (!files.is_empty()).then_some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(path: &Path, frames: usize) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for _ in 0..frames {
            w.write_sample(1000i16).unwrap();
        }
        w.finalize().unwrap();
    }

    fn wait_loaded(lib: &mut SampleLibrary, path: &Path) -> Shared<SampleData> {
        for _ in 0..500 {
            lib.poll(Duration::from_millis(10));
            if let Lookup::Ready(s) = lib.get(path) {
                return s;
            }
        }
        panic!("{} did not load", path.display());
    }

    /// Past the cap the least recently used file is unloaded, never the one just loaded; a
    /// voice still holding an unloaded file keeps its samples.
    #[test]
    fn the_memory_cap_unloads_the_least_recently_used() {
        let root = std::env::temp_dir().join(format!("kr-lru-{}", std::process::id()));
        let bank = root.join("b");
        std::fs::create_dir_all(&bank).unwrap();
        let files: Vec<PathBuf> = (0..3).map(|i| bank.join(format!("{i}.wav"))).collect();
        for f in &files {
            wav(f, 25_000); // 100 kB each, decoded
        }
        let collector = basedrop::Collector::new();
        let settings = LibrarySettings { roots: vec![root.clone()], max_bytes: 250_000, max_file_bytes: 1 << 20 };
        let mut lib = SampleLibrary::new(settings, 48000, collector.handle());
        let first = wait_loaded(&mut lib, &files[0]);
        let _ = wait_loaded(&mut lib, &files[1]);
        // Use 0 again: 1 is now the least recently used.
        assert!(matches!(lib.get(&files[0]), Lookup::Ready(_)));
        let _ = wait_loaded(&mut lib, &files[2]);
        assert_eq!(lib.loaded_bytes(), 200_000);
        assert!(matches!(lib.get(&files[0]), Lookup::Ready(_)));
        assert!(matches!(lib.get(&files[1]), Lookup::Loading), "1 was unloaded (and is loading again)");
        // A held sample outlives its unloading.
        let _ = wait_loaded(&mut lib, &files[1]);
        let _ = wait_loaded(&mut lib, &files[2]);
        assert!(!lib.loaded.contains_key(&files[0]));
        assert_eq!(first.frames, 25_000);
        assert_eq!(first.data[24_999], 1000.0 / 32768.0);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn banks_sort_by_bytes_ignore_other_files_and_wrap_n() {
        let root = std::env::temp_dir().join(format!("kr-lib-{}", std::process::id()));
        let bank = root.join("feel");
        std::fs::create_dir_all(&bank).unwrap();
        for f in ["hihat.wav", "BD.wav", "Sd.WAV", "readme.txt", "sub.flac"] {
            std::fs::write(bank.join(f), b"x").unwrap();
        }
        let collector = basedrop::Collector::new();
        let settings = LibrarySettings { roots: vec![root.clone()], ..Default::default() };
        let mut lib = SampleLibrary::new(settings, 48000, collector.handle());
        let names: Vec<String> =
            lib.bank("feel").unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["BD.wav", "Sd.WAV", "hihat.wav", "sub.flac"]);
        assert!(lib.pick("feel", 5.7).unwrap().ends_with("Sd.WAV"));
        assert!(lib.pick("feel", -1.0).unwrap().ends_with("sub.flac"));
        assert!(lib.bank("nope").is_none() && lib.bank("../feel").is_none());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
