//! A global allocator that counts live heap bytes and their peak, for the examples that measure the
//! peak memory of a fit (`#[path]`-included; not part of the library). Allocations made by C++ code
//! (libtorch) bypass it.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live bytes and their peak (to measure the fit's peak memory).
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Count `grow` more live bytes (a successful allocation) and update the peak.
fn grew(grow: usize) {
    let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 { unsafe {
        let p = System.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }}
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 { unsafe {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }}
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) { unsafe {
        System.dealloc(p, l);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }}
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 { unsafe {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new >= l.size() {
                grew(new - l.size());
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }}
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Run `f` and return its result with the peak of live heap bytes above the level at the start.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}
