//! Routing, solo, and compiling the model into the real-time graph (and the ports it retires).

use super::*;

impl Session {
    pub fn route(&mut self, from: &str, to: &str, level: f32) -> Result<String, SessionError> {
        self.node(from)?;
        if self.node(to)?.factory.info().inputs == 0 {
            return Err(SessionError::NotAnEffect(to.into()));
        }
        if let Some(path) = self.path_between(to, from) {
            return Err(SessionError::Cycle { from: from.into(), to: to.into(), path });
        }
        match self.routes.iter_mut().find(|r| r.from == from && r.to == to) {
            Some(r) => r.level = level,
            None => self.routes.push(Route { from: from.into(), to: to.into(), level }),
        }
        self.rebuild();
        Ok(format!("{from} → {to} at {level}"))
    }

    pub fn unroute(&mut self, from: &str, to: &str) -> Result<String, SessionError> {
        let before = self.routes.len();
        self.routes.retain(|r| !(r.from == from && r.to == to));
        if self.routes.len() == before {
            return Err(SessionError::NoRoute { from: from.into(), to: to.into() });
        }
        self.rebuild();
        Ok(format!("{from} → {to} removed"))
    }

    /// A route path from `a` to `b` as text, if one exists (`a → x → b`).
    pub(super) fn path_between(&self, a: &str, b: &str) -> Option<String> {
        if a == b {
            return Some(format!("{a} → {a}"));
        }
        let mut stack = vec![vec![a.to_string()]];
        while let Some(path) = stack.pop() {
            let last = path.last()?.clone();
            for r in self.routes.iter().filter(|r| r.from == last) {
                if path.contains(&r.to) {
                    continue;
                }
                let mut p = path.clone();
                p.push(r.to.clone());
                if r.to == b {
                    return Some(p.join(" → "));
                }
                stack.push(p);
            }
        }
        None
    }

    /// Unregister retired ports whose last graph the audio thread no longer runs.
    pub(super) fn release_ports(&mut self) {
        let applied = self.link.telemetry.generation.load(Relaxed);
        let (done, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.retired_ports).into_iter().partition(|(g, _)| *g <= applied);
        self.retired_ports = keep;
        for (_, ports) in done {
            self.ports.unregister(ports);
        }
    }

    /// Before registering ports: wait (a few blocks at most) until retired ports can go, so a
    /// node freed and created again under the same name gets its port names back.
    pub(super) fn settle_ports(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while !self.retired_ports.is_empty() && std::time::Instant::now() < deadline {
            self.release_ports();
            if !self.retired_ports.is_empty() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    /// Nodes in an order where every route goes forward (routes are acyclic by construction).
    pub(super) fn topological_order(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let index: BTreeMap<&str, usize> = self.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
        let mut indegree = vec![0usize; n];
        for r in &self.routes {
            if let Some(&t) = index.get(r.to.as_str()) {
                indegree[t] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop() {
            order.push(i);
            for r in self.routes.iter().filter(|r| r.from == self.nodes[i].name) {
                if let Some(&t) = index.get(r.to.as_str()) {
                    indegree[t] -= 1;
                    if indegree[t] == 0 {
                        ready.push(t);
                    }
                }
            }
        }
        order
    }

    /// Wait (briefly) until the audio thread runs graph `generation` or a later one.
    pub(super) fn wait_for_graph(&self, generation: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while self.link.telemetry.generation.load(Relaxed) < generation && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Who is heard while something is soloed (solo in place): soloed nodes and everything they
    /// feed reach master; nodes feeding a soloed node keep their sends but not their direct
    /// output. With nothing soloed, everyone is heard. Indexed like `self.nodes`.
    pub(super) fn solo_reach(&self) -> (Vec<bool>, Vec<bool>) {
        let n = self.nodes.len();
        if !self.nodes.iter().any(|m| m.soloed) {
            return (vec![true; n], vec![true; n]);
        }
        let index: BTreeMap<&str, usize> = self.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
        let walk = |forward: bool| {
            let mut reached: Vec<bool> = self.nodes.iter().map(|m| m.soloed).collect();
            let mut stack: Vec<usize> = (0..n).filter(|&i| reached[i]).collect();
            while let Some(i) = stack.pop() {
                for r in &self.routes {
                    let (from, to) = if forward { (&r.from, &r.to) } else { (&r.to, &r.from) };
                    if *from == self.nodes[i].name {
                        if let Some(&j) = index.get(to.as_str()) {
                            if !reached[j] {
                                reached[j] = true;
                                stack.push(j);
                            }
                        }
                    }
                }
            }
            reached
        };
        let downstream = walk(true);
        let upstream = walk(false);
        let sends = downstream.iter().zip(&upstream).map(|(d, u)| *d || *u).collect();
        (downstream, sends)
    }

    /// Solo a node (or stop soloing it).
    pub fn solo(&mut self, name: &str, on: bool) -> Result<String, SessionError> {
        let members = self.group(name)?;
        for n in self.nodes.iter_mut().filter(|n| members.contains(&n.name)) {
            n.soloed = on;
        }
        self.rebuild();
        Ok(format!("{} {}", members.join(", "), if on { "soloed" } else { "unsoloed" }))
    }

    pub(super) fn rebuild(&mut self) {
        let order = self.topological_order();
        let position: BTreeMap<&str, usize> =
            order.iter().enumerate().map(|(pos, &i)| (self.nodes[i].name.as_str(), pos)).collect();
        let (to_master, sends_on) = self.solo_reach();
        let nodes: Vec<RtNode> = order
            .iter()
            .map(|&i| {
                let m = &self.nodes[i];
                let sends = self
                    .routes
                    .iter()
                    .filter(|r| r.from == m.name && sends_on[i])
                    .filter_map(|r| position.get(r.to.as_str()).map(|&p| (p, r.level)))
                    .collect();
                let (in_ports, out_ports) = m.ports.unowned_copies();
                RtNode {
                    key: m.key,
                    cell: m.cell.clone(),
                    prev: m.prev.as_ref().map(|p| p.0.clone()),
                    sends,
                    out_ports,
                    in_ports,
                    to_master: to_master[i],
                }
            })
            .collect();
        let mut index: Vec<(u32, usize)> = nodes.iter().enumerate().map(|(p, n)| (n.key, p)).collect();
        index.sort_unstable();
        self.generation += 1;
        let taps = self
            .recordings
            .iter()
            .filter_map(|r| {
                let source = match &r.target {
                    None => TapSource::Master,
                    Some(t) => TapSource::Node(*position.get(t.as_str())?),
                };
                Some(RtTap { source, cell: r.cell.clone() })
            })
            .collect();
        let graph = RtGraph { nodes, index, generation: self.generation, taps };
        if !self.link.publish(graph) {
            tracing::error!("graph ring full: the audio thread is not running");
        }
    }
}
