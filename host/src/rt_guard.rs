//! The allocation guard: in debug builds (every test run), the global allocator of
//! `krd` and of the engine's tests aborts on any allocation or free inside [`no_alloc`], which
//! wraps every audio callback. Release builds run the closure unguarded.

/// Run `f` with allocation forbidden (debug builds).
#[inline]
pub fn no_alloc<T>(f: impl FnOnce() -> T) -> T {
    assert_no_alloc::assert_no_alloc(f)
}
