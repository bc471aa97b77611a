//! The immutable, flat real-time graph built by the control thread.

use super::cell::NodeCell;
use super::tap::RtTap;
use basedrop::Shared;
use jack::{Port, Unowned};

/// One node of the real-time graph, in processing order.
pub struct RtNode {
    pub key: u32,
    pub cell: Shared<NodeCell>,
    /// The previous definition while crossfading to this one.
    pub prev: Option<Shared<NodeCell>>,
    /// Post-fader sends: (index of the target in `RtGraph::nodes`, level). Targets come later.
    pub sends: Box<[(usize, f32)]>,
    pub out_ports: Box<[Port<Unowned>]>,
    pub in_ports: Box<[Port<Unowned>]>,
    /// False while other nodes are soloed and this one is neither soloed nor fed by one.
    pub to_master: bool,
}

/// Nodes in topological order plus a key → position table.
pub struct RtGraph {
    pub nodes: Vec<RtNode>,
    /// (key, index into `nodes`), sorted by key.
    pub index: Vec<(u32, usize)>,
    /// Increases with each graph the control thread builds.
    pub generation: u64,
    /// Recordings in progress.
    pub taps: Vec<RtTap>,
}

impl RtGraph {
    pub fn empty() -> RtGraph {
        RtGraph { nodes: Vec::new(), index: Vec::new(), generation: 0, taps: Vec::new() }
    }

    /// Position of node `key`, if it is in this graph.
    #[inline]
    pub fn position(&self, key: u32) -> Option<usize> {
        self.index.binary_search_by_key(&key, |e| e.0).ok().map(|i| self.index[i].1)
    }
}
