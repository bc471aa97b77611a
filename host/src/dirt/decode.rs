//! Reading a sample file: decoded by symphonia (WAV, AIFF, FLAC; 8/16/24/32-bit integer and
//! float), then resampled by rubato to the engine's rate, so the audio thread plays every file
//! at rate 1 for its own pitch. Runs on the loader thread, never on the audio or control thread.

use rubato::{FftFixedIn, Resampler};
use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// A decoded sample at the engine's rate: at most two channels, interleaved.
#[derive(Debug)]
pub struct SampleData {
    pub channels: usize,
    pub frames: usize,
    pub data: Box<[f32]>,
    /// The file it came from (the cut-group identity of `cut` < 0, and reports).
    pub id: u64,
}

impl SampleData {
    /// Memory taken, in bytes.
    pub fn bytes(&self) -> u64 {
        (self.data.len() * std::mem::size_of::<f32>()) as u64
    }
}

/// Why a file cannot be played.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot open {path}: {why}")]
    Open { path: String, why: String },
    #[error("{path} is {mib} MiB; a sample file may be at most {limit} MiB (dirt.max_file_mb)")]
    TooLarge { path: String, mib: u64, limit: u64 },
    #[error("{path} is not a sound file krd can read (WAV, AIFF or FLAC): {why}")]
    Format { path: String, why: String },
    #[error("{path} has no audio")]
    Empty { path: String },
    #[error("cannot resample {path}: {why}")]
    Resample { path: String, why: String },
}

/// Decode `path` and resample it to `rate`. Files over `max_bytes` (on disk, or decoded) are
/// refused before they are read whole.
pub fn load(path: &Path, rate: u32, max_bytes: u64, id: u64) -> Result<SampleData, DecodeError> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path).map_err(|e| DecodeError::Open { path: name.clone(), why: e.to_string() })?.len();
    let too_large = |bytes: u64| DecodeError::TooLarge { path: name.clone(), mib: bytes >> 20, limit: max_bytes >> 20 };
    if size > max_bytes {
        return Err(too_large(size));
    }
    let (planar, file_rate) = decode(path, &name, max_bytes)?;
    if planar.first().is_none_or(|c| c.is_empty()) {
        return Err(DecodeError::Empty { path: name });
    }
    let planar = if file_rate == rate { planar } else { resample(planar, file_rate, rate, &name)? };
    let (channels, frames) = (planar.len(), planar[0].len());
    if (channels * frames * 4) as u64 > max_bytes {
        return Err(too_large((channels * frames * 4) as u64));
    }
    let mut data = vec![0.0f32; channels * frames];
    for (c, ch) in planar.iter().enumerate() {
        for (f, x) in ch.iter().enumerate() {
            data[f * channels + c] = if x.is_finite() { *x } else { 0.0 };
        }
    }
    Ok(SampleData { channels, frames, data: data.into_boxed_slice(), id })
}

/// Planar samples (one or two channels) and the file's rate.
fn decode(path: &Path, name: &str, max_bytes: u64) -> Result<(Vec<Vec<f32>>, u32), DecodeError> {
    let format_error = |e: SymphoniaError| DecodeError::Format { path: name.into(), why: e.to_string() };
    let file = std::fs::File::open(path).map_err(|e| DecodeError::Open { path: name.into(), why: e.to_string() })?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(&ext.to_lowercase());
    }
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(format_error)?;
    let mut format = probed.format;
    let track = format.default_track().ok_or_else(|| DecodeError::Empty { path: name.into() })?;
    let track_id = track.id;
    let rate = track.codec_params.sample_rate.filter(|r| *r > 0).ok_or_else(|| DecodeError::Format {
        path: name.into(),
        why: "the file does not say its sample rate".into(),
    })?;
    let mut decoder =
        symphonia::default::get_codecs().make(&track.codec_params, &DecoderOptions::default()).map_err(format_error)?;
    let mut planar: Vec<Vec<f32>> = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => return Err(format_error(e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder.decode(&packet).map_err(format_error)?;
        let spec = *decoded.spec();
        let channels = spec.channels.count().max(1);
        let buf = match &mut buffer {
            Some(b) if b.capacity() >= decoded.capacity() * channels => b,
            _ => buffer.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        // SuperDirt plays mono and stereo: further channels are left out.
        let keep = channels.min(2);
        if planar.is_empty() {
            planar = vec![Vec::new(); keep];
        }
        for frame in buf.samples().chunks(channels) {
            for (c, out) in planar.iter_mut().enumerate() {
                out.push(frame.get(c).copied().unwrap_or(0.0));
            }
        }
        if (planar.len() * planar[0].len() * 4) as u64 > max_bytes {
            return Err(DecodeError::TooLarge {
                path: name.into(),
                mib: (planar.len() * planar[0].len() * 4) as u64 >> 20,
                limit: max_bytes >> 20,
            });
        }
    }
    Ok((planar, rate))
}

/// Resample planar audio from `from` Hz to `to` Hz (FFT-based, band-limited), with the
/// resampler's delay removed so onsets stay where they were.
fn resample(planar: Vec<Vec<f32>>, from: u32, to: u32, name: &str) -> Result<Vec<Vec<f32>>, DecodeError> {
    let err = |e: &dyn std::fmt::Display| DecodeError::Resample { path: name.into(), why: e.to_string() };
    let chunk = 1024;
    let channels = planar.len();
    let frames = planar[0].len();
    let mut r = FftFixedIn::<f32>::new(from as usize, to as usize, chunk, 2, channels).map_err(|e| err(&e))?;
    let delay = r.output_delay();
    let expected = (frames as f64 * to as f64 / from as f64).round() as usize;
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(expected + delay + 2 * chunk); channels];
    let append = |o: Vec<Vec<f32>>, out: &mut Vec<Vec<f32>>| {
        for (d, s) in out.iter_mut().zip(o) {
            d.extend(s);
        }
    };
    let mut pos = 0;
    while pos + chunk <= frames {
        let slices: Vec<&[f32]> = planar.iter().map(|c| &c[pos..pos + chunk]).collect();
        append(r.process(&slices, None).map_err(|e| err(&e))?, &mut out);
        pos += chunk;
    }
    if pos < frames {
        let slices: Vec<&[f32]> = planar.iter().map(|c| &c[pos..]).collect();
        append(r.process_partial(Some(&slices), None).map_err(|e| err(&e))?, &mut out);
    }
    while out[0].len() < delay + expected {
        append(r.process_partial::<&[f32]>(None, None).map_err(|e| err(&e))?, &mut out);
    }
    for c in &mut out {
        c.drain(..delay);
        c.truncate(expected);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, channels: u16, frames: usize, f: impl Fn(usize, u16) -> f32) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..frames {
            for c in 0..channels {
                w.write_sample((f(i, c) * 32767.0) as i16).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn wav_at_another_rate_keeps_its_duration_and_pitch() {
        let dir = std::env::temp_dir().join(format!("kr-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tone.wav");
        // 1 s of 441 Hz at 44.1 kHz: 100 samples a period.
        write_wav(&path, 44100, 1, 44100, |i, _| (2.0 * std::f32::consts::PI * 441.0 * i as f32 / 44100.0).sin() * 0.5);
        let s = load(&path, 48000, 1 << 30, 1).unwrap();
        assert_eq!((s.channels, s.frames), (1, 48000));
        // Zero crossings upwards over the middle half: 441 per second.
        let mid = &s.data[12000..36000];
        let ups = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((ups as i64 - 220).abs() <= 1, "{ups}");
        let stereo = dir.join("stereo.wav");
        write_wav(&stereo, 48000, 2, 100, |_, c| if c == 0 { 0.25 } else { -0.25 });
        let s = load(&stereo, 48000, 1 << 30, 2).unwrap();
        assert_eq!((s.channels, s.frames), (2, 100));
        assert!((s.data[0] - 0.25).abs() < 1e-3 && (s.data[1] + 0.25).abs() < 1e-3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("kr-decode-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = dir.join("notes.wav");
        std::fs::write(&text, "this is not a wav file at all").unwrap();
        assert!(matches!(load(&text, 48000, 1 << 30, 1), Err(DecodeError::Format { .. })));
        assert!(matches!(load(&dir.join("missing.wav"), 48000, 1 << 30, 1), Err(DecodeError::Open { .. })));
        let big = dir.join("big.wav");
        write_wav(&big, 48000, 1, 48000, |_, _| 0.1);
        assert!(matches!(load(&big, 48000, 1000, 1), Err(DecodeError::TooLarge { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
