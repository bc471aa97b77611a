//! The JACK graph as the patchbay sees it: krd's ports named without the client name, other
//! clients' ports by their full names.

use crate::service::patchbay::Connection;
use jack::Client;
use std::collections::BTreeSet;

pub struct Graph<'a> {
    client: &'a Client,
    own: &'a str,
}

impl<'a> Graph<'a> {
    /// The graph of `client`, whose name is `own`.
    pub fn new(client: &'a Client, own: &'a str) -> Graph<'a> {
        Graph { client, own }
    }

    /// The full JACK name of a port as a [`Connection`] names it.
    fn full(&self, name: &str) -> String {
        match Connection::is_own(name) {
            true => format!("{}:{name}", self.own),
            false => name.to_string(),
        }
    }

    /// A full JACK name as a [`Connection`] names it.
    fn short(&self, full: &str) -> String {
        match full.strip_prefix(self.own).and_then(|rest| rest.strip_prefix(':')) {
            Some(own) => own.to_string(),
            None => full.to_string(),
        }
    }

    pub fn exists(&self, name: &str) -> bool {
        self.client.port_by_name(&self.full(name)).is_some()
    }

    /// The connections of krd's ports `names` (`node/out_1`).
    pub fn connections_of(&self, names: impl Iterator<Item = String>) -> BTreeSet<Connection> {
        let mut seen = BTreeSet::new();
        for name in names {
            let Some(port) = self.client.port_by_name(&self.full(&name)) else { continue };
            let output = port.flags().contains(jack::PortFlags::IS_OUTPUT);
            for other in port.get_connections() {
                let other = self.short(&other);
                seen.insert(match output {
                    true => Connection::new(name.clone(), other),
                    false => Connection::new(other, name.clone()),
                });
            }
        }
        seen
    }

    pub fn connect(&self, c: &Connection) -> Result<(), jack::Error> {
        self.client.connect_ports_by_name(&self.full(&c.from), &self.full(&c.to))
    }
}
