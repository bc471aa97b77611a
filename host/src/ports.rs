//! Per-node JACK ports (DESIGN.md §4), behind a trait so that offline rendering runs the same
//! session code without JACK.

use jack::{Port, Unowned};

/// A registered port: the owned handle (kept to unregister it) and whether it is an input.
pub enum OwnedPort {
    In(Port<jack::AudioIn>),
    Out(Port<jack::AudioOut>),
}

impl OwnedPort {
    fn unowned(&self) -> Port<Unowned> {
        match self {
            OwnedPort::In(p) => p.clone_unowned(),
            OwnedPort::Out(p) => p.clone_unowned(),
        }
    }
}

/// Ports as the real-time graph holds them.
pub type PortList = Box<[Port<Unowned>]>;

/// A node's ports, `in_1..in_n` and `out_1..out_m`.
#[derive(Default)]
pub struct NodePorts {
    ins: Vec<OwnedPort>,
    outs: Vec<OwnedPort>,
}

impl NodePorts {
    /// Copies for a real-time graph (unowned: dropping them unregisters nothing).
    pub fn unowned_copies(&self) -> (PortList, PortList) {
        (self.ins.iter().map(OwnedPort::unowned).collect(), self.outs.iter().map(OwnedPort::unowned).collect())
    }

    /// Grow or shrink to `inputs`/`outputs` ports, keeping existing ones (so patchbay
    /// connections survive a redefinition). Returns the ports no longer needed, to be
    /// unregistered once no graph uses them.
    pub fn resize(
        &mut self,
        host: &mut dyn PortHost,
        node: &str,
        inputs: usize,
        outputs: usize,
    ) -> Result<Vec<OwnedPort>, String> {
        let mut added_in = Vec::new();
        for i in self.ins.len()..inputs {
            added_in.push(host.register(node, true, i + 1)?);
        }
        let mut added_out = Vec::new();
        for i in self.outs.len()..outputs {
            added_out.push(host.register(node, false, i + 1)?);
        }
        self.ins.extend(added_in);
        self.outs.extend(added_out);
        let mut retired: Vec<OwnedPort> = self.ins.drain(inputs.min(self.ins.len())..).collect();
        retired.extend(self.outs.drain(outputs.min(self.outs.len())..));
        Ok(retired)
    }

    /// All ports, for unregistering when the node goes.
    pub fn into_owned(self) -> Vec<OwnedPort> {
        self.ins.into_iter().chain(self.outs).collect()
    }
}

/// Registers and unregisters node ports. Calls happen on the control thread, never the audio one.
pub trait PortHost: Send {
    /// Register `krd:<node>/in_<index>` (or `out_<index>`).
    fn register(&mut self, node: &str, input: bool, index: usize) -> Result<OwnedPort, String>;
    /// Unregister ports no graph uses any more.
    fn unregister(&mut self, ports: Vec<OwnedPort>);
    /// Whether ports exist at all (false when rendering offline).
    fn enabled(&self) -> bool;
    /// JACK's clock now, in microseconds (the clock of its cycle times), when there is JACK.
    fn jack_time_usecs(&self) -> Option<u64> {
        None
    }
}

/// No ports: offline rendering.
pub struct NoPorts;

impl PortHost for NoPorts {
    fn register(&mut self, node: &str, _: bool, _: usize) -> Result<OwnedPort, String> {
        Err(format!("no JACK ports when rendering offline ({node})"))
    }
    fn unregister(&mut self, _: Vec<OwnedPort>) {}
    fn enabled(&self) -> bool {
        false
    }
}
