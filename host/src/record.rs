//! Recording to WAV files: the disk thread of each recording drains its tap's ring into a
//! 32-bit float WAV file. The audio thread never waits for the disk: if the disk stalls long
//! enough for the ring (several seconds) to fill, samples are dropped, counted and reported.

use crate::rt::{TapCell, TapState};
use basedrop::{Handle, Shared};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Seconds of audio the ring holds before the disk must catch up.
pub const RING_SECONDS: usize = 4;

/// A recording in progress, as the control thread sees it.
pub struct Recording {
    pub path: PathBuf,
    /// The node recorded, or None for master.
    pub target: Option<String>,
    pub cell: Shared<TapCell>,
    pub dropped: Arc<AtomicU64>,
    pub frames_written: Arc<AtomicU64>,
    /// Set to tell the disk thread to finish the file with what it has.
    stopping: Arc<AtomicBool>,
    pub thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Recording {
    /// Create the file and the disk thread; the tap records from engine frame `start`.
    pub fn start(
        handle: &Handle,
        path: &Path,
        target: Option<String>,
        channels: usize,
        sample_rate: u32,
        start: u64,
    ) -> Result<Recording, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let spec = hound::WavSpec {
            channels: channels as u16,
            sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let writer =
            hound::WavWriter::create(path, spec).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let (producer, consumer) = rtrb::RingBuffer::new(RING_SECONDS * sample_rate as usize * channels);
        let dropped = Arc::new(AtomicU64::new(0));
        let frames_written = Arc::new(AtomicU64::new(0));
        let state = TapState { producer, channels, start, stop: u64::MAX, dropped: Arc::clone(&dropped) };
        let written = Arc::clone(&frames_written);
        let stopping = Arc::new(AtomicBool::new(false));
        let stop_seen = Arc::clone(&stopping);
        let thread = std::thread::Builder::new()
            .name("kr-record".into())
            .spawn(move || drain(consumer, writer, channels, &written, &stop_seen))
            .map_err(|e| e.to_string())?;
        Ok(Recording {
            path: path.into(),
            target,
            cell: Shared::new(handle, TapCell::new(state)),
            dropped,
            frames_written,
            stopping,
            thread: Some(thread),
        })
    }

    /// Whether the disk thread has ended on its own (a write failed, e.g. a full disk).
    pub fn failed(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| t.is_finished())
    }

    /// Stop and wait for the disk thread to finish the file.
    pub fn finish(self) -> Result<String, String> {
        self.stop().wait()
    }

    /// Let go of the tap (its graph must be gone or going) and tell the disk thread to finish
    /// the file with what the ring holds: it does so in moments, without waiting for the audio
    /// thread (which may have stopped with its JACK server).
    pub fn stop(self) -> Finishing {
        let Recording { path, cell, dropped, frames_written, stopping, thread, .. } = self;
        stopping.store(true, Relaxed);
        drop(cell);
        Finishing { path, dropped, frames_written, thread }
    }
}

/// A recording whose tap has left the graph, its file being finished by its disk thread.
pub struct Finishing {
    path: PathBuf,
    dropped: Arc<AtomicU64>,
    frames_written: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Finishing {
    /// Whether the file is finished (waiting would not block).
    pub fn is_done(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Wait for the file to be finished: what was recorded, or why the file is incomplete.
    pub fn wait(self) -> Result<String, String> {
        let Finishing { path, dropped, frames_written, thread } = self;
        let result = thread.map(|t| t.join().unwrap_or_else(|_| Err("the recording thread failed".into())));
        let frames = frames_written.load(Relaxed);
        let dropped = dropped.load(Relaxed);
        result.unwrap_or(Ok(()))?;
        let mut msg = format!("recorded {frames} frames to {}", path.display());
        if dropped > 0 {
            msg += &format!("; {dropped} samples were DROPPED because the disk was too slow");
        }
        Ok(msg)
    }
}

/// How often the WAV header is brought up to date while recording, so that even a file left by a
/// killed krd says how long it is (all but the last moments).
const HEADER_EVERY: Duration = Duration::from_secs(2);

fn drain(
    mut consumer: rtrb::Consumer<f32>,
    mut writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    channels: usize,
    written: &AtomicU64,
    stopping: &AtomicBool,
) -> Result<(), String> {
    let mut header_written = std::time::Instant::now();
    loop {
        if header_written.elapsed() >= HEADER_EVERY {
            // hound's flush writes the buffered samples and rewrites the header's lengths.
            writer.flush().map_err(|e| format!("cannot write the recording: {e}"))?;
            header_written = std::time::Instant::now();
        }
        let abandoned = consumer.is_abandoned();
        let n = consumer.slots();
        if n > 0 {
            let chunk = consumer.read_chunk(n).map_err(|e| e.to_string())?;
            for s in chunk.into_iter() {
                writer.write_sample(s).map_err(|e| format!("cannot write the recording: {e}"))?;
            }
            written.fetch_add((n / channels.max(1)) as u64, Relaxed);
        } else if abandoned || stopping.load(Relaxed) {
            break;
        } else {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    writer.finalize().map_err(|e| e.to_string())
}
