//! OSC over TCP: OSC 1.0 stream framing, each packet preceded by its size as a 32-bit
//! big-endian integer.
//!
//! A frame larger than the limit (`Limits::max_packet_bytes`) is an error after which the
//! stream cannot be trusted: skipping it would mean reading up to 4 GiB from a peer that is
//! confused or hostile. The server should answer one `/kr/fail` (with [`FrameError`]'s text) and
//! close the connection. A frame whose *contents* are bad is not a framing error: the stream
//! stays in step, the packet gets its `/kr/fail`, and the connection goes on.
//!
//! [`FrameDecoder`] takes bytes in chunks of any size (as nonblocking reads deliver them) and
//! yields whole frames; [`read_frame`] does the same from a blocking reader.

use std::io::{self, Read, Write};

/// Bytes of the size prefix.
pub const HEADER_BYTES: usize = 4;

/// A framing error.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer announced a frame over the limit; drop the connection.
    #[error("TCP frame of {size} bytes exceeds the limit of {limit} bytes; closing the connection")]
    TooLarge { size: usize, limit: usize },
    /// The stream ended inside a frame.
    #[error("the connection closed {got} bytes into a frame of {expected} bytes")]
    Truncated { expected: usize, got: usize },
    #[error("reading the connection: {0}")]
    Io(#[from] io::Error),
}

/// `packet` with its size prefix.
pub fn frame(packet: &[u8]) -> io::Result<Vec<u8>> {
    let size = u32::try_from(packet.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "an OSC packet over 4 GiB"))?;
    let mut out = Vec::with_capacity(HEADER_BYTES + packet.len());
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(packet);
    Ok(out)
}

/// Write one framed packet (one `write_all`, so frames from one writer never interleave).
pub fn write_frame<W: Write + ?Sized>(w: &mut W, packet: &[u8]) -> io::Result<()> {
    w.write_all(&frame(packet)?)
}

/// Read one frame from a blocking reader: `Ok(None)` at a clean end of stream (between
/// frames).
pub fn read_frame<R: Read + ?Sized>(r: &mut R, max_bytes: usize) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; HEADER_BYTES];
    let got = read_full(r, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < HEADER_BYTES {
        return Err(FrameError::Truncated { expected: HEADER_BYTES, got });
    }
    let size = u32::from_be_bytes(header) as usize;
    if size > max_bytes {
        return Err(FrameError::TooLarge { size, limit: max_bytes });
    }
    let mut body = vec![0u8; size];
    let got = read_full(r, &mut body)?;
    if got < size {
        return Err(FrameError::Truncated { expected: size, got });
    }
    Ok(Some(body))
}

/// Fill `buf` unless the stream ends first; returns the bytes read.
fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Incremental frame decoder: [`push`](FrameDecoder::push) bytes as they arrive, then take
/// frames with [`next_frame`](FrameDecoder::next_frame) until it returns `Ok(None)`.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    start: usize,
    max_bytes: usize,
    /// Set after an over-limit header: the stream is out of step for good.
    failed: Option<usize>,
}

impl FrameDecoder {
    /// A decoder refusing frames over `max_bytes` (use `Limits::max_packet_bytes`).
    pub fn new(max_bytes: usize) -> Self {
        FrameDecoder { buf: Vec::new(), start: 0, max_bytes, failed: None }
    }

    /// Append received bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole frame, `Ok(None)` when more bytes are needed, or `TooLarge` (again on
    /// every later call: drop the connection).
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let limit = self.max_bytes;
        if let Some(size) = self.failed {
            return Err(FrameError::TooLarge { size, limit });
        }
        let pending = &self.buf[self.start..];
        let Some(header) = pending.get(..HEADER_BYTES) else {
            return Ok(None);
        };
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if size > limit {
            self.failed = Some(size);
            self.buf = Vec::new();
            self.start = 0;
            return Err(FrameError::TooLarge { size, limit });
        }
        let Some(body) = pending.get(HEADER_BYTES..HEADER_BYTES + size) else {
            return Ok(None);
        };
        let frame = body.to_vec();
        self.start += HEADER_BYTES + size;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Ok(Some(frame))
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Call at end of stream: an error if it ended inside a frame.
    pub fn finish(&self) -> Result<(), FrameError> {
        let pending = &self.buf[self.start..];
        if pending.is_empty() || self.failed.is_some() {
            return Ok(());
        }
        let expected = match pending.get(..HEADER_BYTES) {
            Some(h) => HEADER_BYTES + u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize,
            None => HEADER_BYTES,
        };
        Err(FrameError::Truncated { expected, got: pending.len() })
    }

    /// Read once from `r` (blocking or not) into the decoder. Returns the bytes read: 0 means
    /// end of stream; `WouldBlock` errors are passed through for nonblocking sockets.
    pub fn read_from<R: Read + ?Sized>(&mut self, r: &mut R) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = r.read(&mut chunk)?;
        self.push(&chunk[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(frames: &[&[u8]]) -> Vec<u8> {
        frames.iter().flat_map(|f| frame(f).unwrap()).collect()
    }

    fn drain(d: &mut FrameDecoder) -> Vec<Vec<u8>> {
        let mut out = vec![];
        while let Some(f) = d.next_frame().unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn frames_survive_any_split() {
        let frames: Vec<Vec<u8>> = vec![b"abcd".to_vec(), vec![], vec![7; 300], b"wxyz1234".to_vec()];
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let bytes = stream(&refs);
        for chunk in [1, 2, 3, 4, 5, 7, 64, bytes.len()] {
            let mut d = FrameDecoder::new(1000);
            let mut got = vec![];
            for c in bytes.chunks(chunk) {
                d.push(c);
                got.extend(drain(&mut d));
            }
            assert_eq!(got, frames, "chunk size {chunk}");
            assert_eq!(d.buffered(), 0);
            assert!(d.finish().is_ok());
        }
    }

    #[test]
    fn blocking_reader() {
        let bytes = stream(&[b"one!", b"two!two!"]);
        let mut r = &bytes[..];
        assert_eq!(read_frame(&mut r, 100).unwrap(), Some(b"one!".to_vec()));
        assert_eq!(read_frame(&mut r, 100).unwrap(), Some(b"two!two!".to_vec()));
        assert_eq!(read_frame(&mut r, 100).unwrap(), None);
        let mut cut = &bytes[..6];
        assert!(matches!(read_frame(&mut cut, 100), Err(FrameError::Truncated { expected: 4, got: 2 })));
        let mut r = &bytes[..];
        assert!(matches!(read_frame(&mut r, 3), Err(FrameError::TooLarge { size: 4, limit: 3 })));
        let mut w = Vec::new();
        write_frame(&mut w, b"abcd").unwrap();
        assert_eq!(w, [0, 0, 0, 4, b'a', b'b', b'c', b'd']);
        let mut d = FrameDecoder::new(100);
        let mut r = &bytes[..];
        while d.read_from(&mut r).unwrap() > 0 {}
        assert_eq!(drain(&mut d), vec![b"one!".to_vec(), b"two!two!".to_vec()]);
    }

    #[test]
    fn an_over_limit_frame_poisons_the_stream() {
        let mut d = FrameDecoder::new(8);
        d.push(&stream(&[b"ok!!", &[0; 9], b"late"]));
        assert_eq!(d.next_frame().unwrap(), Some(b"ok!!".to_vec()));
        let e = d.next_frame().unwrap_err();
        assert_eq!(e.to_string(), "TCP frame of 9 bytes exceeds the limit of 8 bytes; closing the connection");
        assert!(d.next_frame().is_err());
        d.push(b"more");
        assert!(d.next_frame().is_err());
        // A hostile 4 GiB header is refused from its 4 bytes alone.
        let mut d = FrameDecoder::new(1 << 20);
        d.push(&[0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(d.next_frame(), Err(FrameError::TooLarge { size: 0xffff_ffff, .. })));
    }

    #[test]
    fn end_of_stream_inside_a_frame() {
        let mut d = FrameDecoder::new(100);
        d.push(&[0, 0, 0, 8, 1, 2]);
        assert_eq!(d.next_frame().unwrap(), None);
        assert_eq!(d.finish().unwrap_err().to_string(), "the connection closed 6 bytes into a frame of 12 bytes");
    }
}
