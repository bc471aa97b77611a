//! Recording taps: the audio thread copies master or a node's output into a lock-free ring that
//! a disk thread drains into a WAV file (see `crate::record`).

use super::cell::RtCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// What a tap records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapSource {
    Master,
    /// A node's post-fader output, by its position in the graph.
    Node(usize),
}

/// The audio thread's end of one recording.
pub struct TapState {
    pub producer: rtrb::Producer<f32>,
    pub channels: usize,
    /// Engine frames `[start, stop)` are recorded.
    pub start: u64,
    pub stop: u64,
    /// Samples that did not fit in the ring (the disk fell behind).
    pub dropped: Arc<AtomicU64>,
}

/// A [`TapState`] shared by consecutive graphs; only the audio thread touches it once published.
pub type TapCell = RtCell<TapState>;

impl TapCell {
    /// Append frames `[0, n)` of `bufs` (one buffer per channel), which start at engine frame
    /// `frame`, interleaved. Real-time safe.
    ///
    /// # Safety
    /// Audio thread only, no other live reference to this cell's state.
    pub unsafe fn write(&self, bufs: &[Vec<f32>], frame: u64, n: usize) {
        // SAFETY: exclusivity is the caller's contract.
        let st = unsafe { self.get() };
        let from = st.start.saturating_sub(frame).min(n as u64) as usize;
        let to = st.stop.saturating_sub(frame).min(n as u64) as usize;
        if from >= to || st.channels == 0 {
            return;
        }
        let ch = st.channels;
        let need = (to - from) * ch;
        match st.producer.write_chunk_uninit(need) {
            Ok(chunk) => {
                let samples = (from..to).flat_map(|i| (0..ch).map(move |c| bufs.get(c).map_or(0.0, |b| b[i])));
                chunk.fill_from_iter(samples);
            }
            Err(_) => {
                st.dropped.fetch_add(need as u64, Relaxed);
            }
        }
    }
}

/// One tap in a real-time graph.
pub struct RtTap {
    pub source: TapSource,
    pub cell: basedrop::Shared<TapCell>,
}
