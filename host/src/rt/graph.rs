//! The immutable, flat real-time graph built by the control thread.

use super::cell::NodeCell;
use super::midi::RtMidi;
use super::tap::RtTap;
use crate::backend::PortRef;
use basedrop::Shared;

/// One node of the real-time graph, in processing order.
pub struct RtNode {
    pub key: u32,
    pub cell: Shared<NodeCell>,
    /// The previous definition while crossfading to this one.
    pub prev: Option<Shared<NodeCell>>,
    /// Post-fader sends: (index of the target in `RtGraph::nodes`, level). Targets come later.
    pub sends: Box<[(usize, f32)]>,
    /// The node's backend ports (none when rendering offline).
    pub out_ports: Box<[PortRef]>,
    pub in_ports: Box<[PortRef]>,
    /// False while other nodes are soloed and this one is neither soloed nor fed by one.
    pub to_master: bool,
    /// An orbit's sample voices, added into the node's inputs before it computes.
    pub sampler: Option<Shared<crate::dirt::SamplerCell>>,
    /// The node's voices in lanes, to take up once every voice is idle.
    pub upgrade: Option<Shared<super::group::LaneUpgrade>>,
}

/// Nodes in topological order, and the recordings in progress.
pub struct RtGraph {
    pub nodes: Vec<RtNode>,
    /// Increases with each graph the control thread builds.
    pub generation: u64,
    pub taps: Vec<RtTap>,
    /// MIDI ports and what MIDI input plays.
    pub midi: RtMidi,
}

impl RtGraph {
    pub fn empty() -> RtGraph {
        RtGraph { nodes: Vec::new(), generation: 0, taps: Vec::new(), midi: RtMidi::default() }
    }
}
