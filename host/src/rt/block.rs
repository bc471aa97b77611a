//! Sizes fixed for the real-time side, so its buffers are allocated once, up front.

/// Largest number of frames computed in one go; longer callbacks are processed in chunks, so
/// any backend buffer size works without reallocating.
pub const MAX_BLOCK: usize = 1024;
/// Events waiting for their frame, at most.
pub const EVENT_CAPACITY: usize = 16384;
