//! The `.dsp` directory: FAUST programs kept as files, usable as node types.
//!
//! `<root>/drums/kick.dsp` is the node type `drums/kick` (`faust:drums/kick` on the wire).
//! [`DspDir::poll`] finds new, changed and deleted `*.dsp` files under the root, recursively, by
//! comparing each file's modification time and size with the previous poll: a `stat` per file,
//! and a read only of files whose stat changed. Polling costs well under a millisecond for a few
//! hundred files; no inotify, so it works the same on every file system.
//!
//! Rules:
//! - Type names are the path relative to the root, without `.dsp`, `/`-separated. Names (files
//!   or folders) starting with `.` are skipped (editor lock and swap files such as `.#kick.dsp`).
//! - Paths never escape the root: a symlinked `.dsp` file is used only if it resolves to a file
//!   inside the root. Symlinked folders are not followed (inside the root they would only repeat a
//!   folder already walked, outside it they escape; and no loops are possible).
//! - A file larger than [`MAX_SOURCE_BYTES`] or unreadable is skipped (and logged); if it was
//!   known before, it keeps its last good source until it becomes readable or is deleted.
//! - A file whose stat changed but whose text did not (a `touch`) is not reported.
//! - A missing root is an empty directory (every known type is reported deleted).
//!
//! ## What the host does with it (the engine side, in `krd`'s control thread)
//! 1. At start, `DspDir::new(dsp_dir)`, then `poll()` once: every file is a change with
//!    `source: Some(..)`. Compile each through [`crate::CompileService::submit`] (never waiting);
//!    a file that fails to compile is reported and skipped: one bad file never stops the start.
//! 2. About four times a second, `poll()` again. For each change:
//!    - `source: Some(text)`: compile it (name the request after the type, `faust:drums/kick`,
//!      so errors say which file). On success, every node whose type is `faust:<type_name>`
//!      crossfades to a new instance of the new factory (keeping the values of
//!      controls that exist in both); new nodes of that type use it. On failure, the nodes keep
//!      the old version playing and the compiler's message goes to subscribed clients.
//!    - `source: None`: the file was deleted. Existing nodes keep playing their current factory;
//!      creating a new node of that type fails until the file returns.
//! 3. [`DspDir::source`] and [`DspDir::type_names`] answer "what types exist" queries.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Largest `.dsp` file read (FAUST programs are text; anything bigger is a mistake).
pub const MAX_SOURCE_BYTES: u64 = 4 << 20;

/// One change found by [`DspDir::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DspChange {
    /// `drums/kick` for `<root>/drums/kick.dsp`.
    pub type_name: String,
    /// The new source, or `None` if the file was deleted.
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
struct Known {
    stamp: (SystemTime, u64),
    source: String,
}

/// A watched folder of `.dsp` files. See the module documentation.
#[derive(Debug)]
pub struct DspDir {
    root: PathBuf,
    known: BTreeMap<String, Known>,
}

/// `$XDG_DATA_HOME/kr/dsp`, or `~/.local/share/kr/dsp`.
pub fn default_dir() -> Option<PathBuf> {
    crate::paths::data_dir().map(|d| d.join("dsp"))
}

impl DspDir {
    /// Watch `root`. Nothing is read until the first [`DspDir::poll`], which reports every file.
    pub fn new(root: impl Into<PathBuf>) -> DspDir {
        DspDir { root: root.into(), known: BTreeMap::new() }
    }

    /// The watched folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// New, changed and deleted programs since the last poll, sorted by type name.
    pub fn poll(&mut self) -> Vec<DspChange> {
        let found = scan(&self.root);
        let mut changes = vec![];
        let gone: Vec<String> = self.known.keys().filter(|name| !found.contains_key(*name)).cloned().collect();
        for type_name in gone {
            self.known.remove(&type_name);
            changes.push(DspChange { type_name, source: None });
        }
        for (type_name, (path, stamp)) in found {
            if self.known.get(&type_name).is_some_and(|k| k.stamp == stamp) {
                continue;
            }
            let Some(source) = read_source(&path, stamp.1) else {
                continue;
            };
            let unchanged = self.known.get(&type_name).is_some_and(|k| k.source == source);
            let known = Known { stamp, source: source.clone() };
            self.known.insert(type_name.clone(), known);
            if !unchanged {
                changes.push(DspChange { type_name, source: Some(source) });
            }
        }
        changes.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        changes
    }

    /// The source of a type as of the last poll.
    pub fn source(&self, type_name: &str) -> Option<String> {
        self.known.get(type_name).map(|k| k.source.clone())
    }

    /// Every type known as of the last poll, sorted.
    pub fn type_names(&self) -> Vec<String> {
        self.known.keys().cloned().collect()
    }
}

/// `type name → (path, (mtime, size))` for every acceptable `.dsp` file under `root`.
fn scan(root: &Path) -> BTreeMap<String, (PathBuf, (SystemTime, u64))> {
    let mut found = BTreeMap::new();
    let Ok(canonical_root) = root.canonicalize() else {
        return found;
    };
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue; // not UTF-8: cannot be a type name
            };
            if name.starts_with('.') || name.chars().any(char::is_control) {
                continue;
            }
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                stack.push((path, format!("{prefix}{name}/")));
                continue;
            }
            let Some(stem) = name.strip_suffix(".dsp").filter(|s| !s.is_empty()) else {
                continue;
            };
            // A file, or a symlink that must resolve to a file inside the root.
            let meta = if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(real) if real.starts_with(&canonical_root) => fs::metadata(&real),
                    _ => continue, // outside the root, dangling, or vanished meanwhile
                }
            } else {
                entry.metadata()
            };
            if let Some(meta) = meta.ok().filter(|m| m.is_file()) {
                let stamp = (meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len());
                found.insert(format!("{prefix}{stem}"), (path, stamp));
            }
        }
    }
    found
}

fn read_source(path: &Path, len: u64) -> Option<String> {
    if len > MAX_SOURCE_BYTES {
        tracing::warn!(path = %path.display(), len, "a .dsp file larger than 4 MiB is skipped");
        return None;
    }
    match fs::read(path) {
        // A file caught while an editor writes it (truncated to nothing, or grown since it was
        // listed) is read again at the next poll, not compiled half-written.
        Ok(bytes) if bytes.is_empty() || bytes.len() as u64 != len => None,
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read a .dsp file");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_caught_mid_write_waits_for_the_next_poll() {
        let root = std::env::temp_dir().join(format!("kr-dspdir-midwrite-{}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        let mut d = DspDir::new(root.clone());
        fs::write(root.join("a.dsp"), "").unwrap();
        assert!(d.poll().is_empty(), "an empty file is not a program yet");
        fs::write(root.join("a.dsp"), "process = 0.5;\n").unwrap();
        let changes = d.poll();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].source.as_deref(), Some("process = 0.5;\n"));
        fs::remove_dir_all(&root).unwrap();
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn change(name: &str, source: Option<&str>) -> DspChange {
        DspChange { type_name: name.into(), source: source.map(Into::into) }
    }

    /// Give a file a distinct modification time (so a same-size rewrite is seen).
    fn bump(root: &Path, rel: &str, seconds: u64) {
        let f = fs::File::options().append(true).open(root.join(rel)).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds)).unwrap();
    }

    #[test]
    fn new_changed_and_deleted_files_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "drums/kick.dsp", "process = 1;");
        write(root, "drums/808/snare.dsp", "process = 2;");
        write(root, "pad.dsp", "process = 3;");
        write(root, "notes.txt", "not a program");
        write(root, "drums/kick.dsp~", "editor backup");
        let mut d = DspDir::new(root);
        assert_eq!(d.type_names(), Vec::<String>::new(), "nothing before the first poll");
        assert_eq!(
            d.poll(),
            vec![
                change("drums/808/snare", Some("process = 2;")),
                change("drums/kick", Some("process = 1;")),
                change("pad", Some("process = 3;")),
            ]
        );
        assert_eq!(d.poll(), vec![], "nothing changed");
        assert_eq!(d.type_names(), ["drums/808/snare", "drums/kick", "pad"]);
        assert_eq!(d.source("drums/kick").as_deref(), Some("process = 1;"));
        assert_eq!(d.source("nope"), None);

        // Same size, new text, new mtime: a change.
        write(root, "drums/kick.dsp", "process = 9;");
        bump(root, "drums/kick.dsp", 1_000_000);
        // Touched but identical: not a change.
        bump(root, "pad.dsp", 2_000_000);
        fs::remove_file(root.join("drums/808/snare.dsp")).unwrap();
        write(root, "lead.dsp", "process = 4;");
        assert_eq!(
            d.poll(),
            vec![
                change("drums/808/snare", None),
                change("drums/kick", Some("process = 9;")),
                change("lead", Some("process = 4;")),
            ]
        );
        assert_eq!(d.source("drums/808/snare"), None);
        assert_eq!(d.poll(), vec![]);
    }

    #[test]
    fn hidden_files_oversized_files_and_a_missing_root_are_handled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dsp");
        let mut d = DspDir::new(&root);
        assert_eq!(d.poll(), vec![], "a missing root is empty");
        write(&root, ".#kick.dsp", "lock file");
        write(&root, ".git/x.dsp", "hidden folder");
        write(&root, ".dsp", "no stem");
        write(&root, "a.dsp", "process = 0;");
        let big = "/".repeat(MAX_SOURCE_BYTES as usize + 1);
        write(&root, "huge.dsp", &big);
        assert_eq!(d.poll(), vec![change("a", Some("process = 0;"))]);
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(d.poll(), vec![change("a", None)]);
    }

    #[test]
    fn only_symlinked_files_resolving_inside_the_root_count() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.dsp", "process = 7;");
        write(outside.path(), "lib/x.dsp", "process = 8;");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "real/a.dsp", "process = 1;");
        let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        link(&outside.path().join("secret.dsp"), "secret.dsp");
        link(&outside.path().join("lib"), "lib");
        link(&root.join("real/a.dsp"), "alias.dsp");
        link(&root.join("real"), "again"); // a folder already visited through `real`
        link(root, "real/loop"); // a loop back to the root
        link(&root.join("missing.dsp"), "dangling.dsp");
        let mut d = DspDir::new(root);
        let names: Vec<String> = d.poll().into_iter().map(|c| c.type_name).collect();
        assert_eq!(names, ["alias", "real/a"]);
        assert_eq!(d.source("alias").as_deref(), Some("process = 1;"));
    }

    #[test]
    fn a_file_that_becomes_unreadable_keeps_its_last_source() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.dsp", "process = 1;");
        let mut d = DspDir::new(root);
        assert_eq!(d.poll().len(), 1);
        write(root, "a.dsp", "process = 22;");
        let path = root.join("a.dsp");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&path).is_ok() {
            return; // running as root: permissions do not apply
        }
        assert_eq!(d.poll(), vec![]);
        assert_eq!(d.source("a").as_deref(), Some("process = 1;"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(d.poll(), vec![change("a", Some("process = 22;"))]);
    }
}
