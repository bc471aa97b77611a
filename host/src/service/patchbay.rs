//! The patchbay snapshot: every connection krd's ports had, to its own ports and to other
//! clients', kept so that they can be made again after the JACK server restarts or krd does
//! (the snapshot is saved in the session state file).
//!
//! A connection seen and then gone while both its ports still exist was undone on purpose (a
//! patchbay or `jack_disconnect`) and is forgotten, as are the connections of a node freed. One
//! gone because a port went away (its client quit, the server died) is kept, and made again once
//! both ports exist.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One connection, from an output port to an input port. A port of krd is named without its
/// client name (`tone/out_1`, so a renamed client `krd-01` keeps its connections); another
/// client's port by its full name (`system:playback_1`): full JACK names always hold a `:`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Connection {
    pub from: String,
    pub to: String,
}

impl Connection {
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Connection {
        Connection { from: from.into(), to: to.into() }
    }

    /// Whether `name` (as a [`Connection`] holds it) is one of krd's own ports.
    pub fn is_own(name: &str) -> bool {
        !name.contains(':')
    }
}

/// The connections krd keeps making.
#[derive(Debug, Default)]
pub struct Patchbay {
    known: BTreeSet<Connection>,
    /// The connections seen at the last look, on the client active then.
    seen: BTreeSet<Connection>,
    changed: bool,
}

impl Patchbay {
    /// Add saved connections, to be made once their ports exist (not a change: they came from
    /// the state file).
    pub fn add_saved(&mut self, saved: impl IntoIterator<Item = Connection>) {
        self.known.extend(saved);
    }

    /// A new client: nothing of it was seen yet.
    pub fn new_client(&mut self) {
        self.seen.clear();
    }

    /// Take note of the connections that exist now; `exists` tells whether a port exists.
    pub fn observe(&mut self, now: BTreeSet<Connection>, exists: impl Fn(&str) -> bool) {
        let undone: Vec<Connection> =
            self.seen.difference(&now).filter(|c| exists(&c.from) && exists(&c.to)).cloned().collect();
        for c in undone {
            self.changed |= self.known.remove(&c);
        }
        for c in &now {
            self.changed |= self.known.insert(c.clone());
        }
        self.seen = now;
    }

    /// krd's port `name` was removed on purpose (its node was freed): its connections go too,
    /// so that a node made later under that name starts unconnected.
    pub fn forget_port(&mut self, name: &str) {
        let before = self.known.len();
        self.known.retain(|c| c.from != name && c.to != name);
        self.seen.retain(|c| c.from != name && c.to != name);
        self.changed |= self.known.len() != before;
    }

    /// Known connections that are not made though both their ports exist: to make now.
    pub fn missing(&self, exists: impl Fn(&str) -> bool) -> Vec<Connection> {
        self.known.difference(&self.seen).filter(|c| exists(&c.from) && exists(&c.to)).cloned().collect()
    }

    pub fn connections(&self) -> impl Iterator<Item = &Connection> {
        self.known.iter()
    }

    /// Whether the snapshot changed since the last call (it is to be saved).
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(list: &[(&str, &str)]) -> BTreeSet<Connection> {
        list.iter().map(|(a, b)| Connection::new(*a, *b)).collect()
    }

    #[test]
    fn connections_seen_are_kept_and_reported_as_a_change() {
        let mut p = Patchbay::default();
        p.observe(set(&[("tone/out_1", "rec:in_1")]), |_| true);
        assert!(p.take_changed());
        assert!(!p.take_changed());
        assert_eq!(p.connections().count(), 1);
    }

    #[test]
    fn a_connection_undone_while_both_ports_exist_is_forgotten() {
        let mut p = Patchbay::default();
        p.observe(set(&[("tone/out_1", "rec:in_1")]), |_| true);
        p.take_changed();
        p.observe(set(&[]), |_| true);
        assert_eq!(p.connections().count(), 0);
        assert!(p.take_changed());
    }

    #[test]
    fn a_connection_gone_with_its_port_is_made_again_when_the_port_returns() {
        let mut p = Patchbay::default();
        p.observe(set(&[("tone/out_1", "rec:in_1")]), |_| true);
        p.observe(set(&[]), |name| name != "rec:in_1");
        assert_eq!(p.connections().count(), 1, "kept while rec:in_1 is away");
        assert!(p.missing(|name| name != "rec:in_1").is_empty(), "nothing to make yet");
        assert_eq!(p.missing(|_| true), vec![Connection::new("tone/out_1", "rec:in_1")]);
    }

    #[test]
    fn saved_connections_are_made_on_a_new_client_and_not_forgotten_before_they_are() {
        let mut p = Patchbay::default();
        p.new_client();
        p.add_saved([Connection::new("tone/out_1", "tone2/in_1")]);
        assert!(!p.take_changed(), "what was saved is no change");
        p.observe(set(&[]), |_| true);
        assert_eq!(p.missing(|_| true).len(), 1, "never seen on this client, so still wanted");
        p.observe(set(&[("tone/out_1", "tone2/in_1")]), |_| true);
        assert!(p.missing(|_| true).is_empty());
    }

    #[test]
    fn the_connections_of_a_freed_node_are_forgotten() {
        let mut p = Patchbay::default();
        p.observe(set(&[("tone/out_1", "rec:in_1"), ("lvl/out_1", "rec:in_2")]), |_| true);
        p.take_changed();
        p.forget_port("tone/out_1");
        assert!(p.take_changed());
        assert_eq!(p.connections().cloned().collect::<Vec<_>>(), vec![Connection::new("lvl/out_1", "rec:in_2")]);
        p.observe(set(&[("lvl/out_1", "rec:in_2")]), |name| name != "tone/out_1");
        assert!(p.missing(|_| true).is_empty(), "nothing to make again for the freed node");
    }

    #[test]
    fn own_ports_are_those_without_a_client_name() {
        assert!(Connection::is_own("tone/out_1"));
        assert!(!Connection::is_own("system:playback_1"));
    }
}
