//! The package's wasm with a counting global allocator: `allocStats()` tells how many bytes and
//! allocations of the Rust heap are live, and the most that ever were. The wasm memory's size is
//! only a high-water mark; this tells a leak (live bytes that keep growing) from transient peaks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

// Link the whole crate, so that its wasm-bindgen exports are in this module.
pub use mcp_edge_pool as pool;
use wasm_bindgen::prelude::*;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_COUNT: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

struct Counting;

fn grew(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        LIVE_COUNT.fetch_add(1, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        LIVE_COUNT.fetch_sub(1, Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        grew(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `[live bytes, live allocations, peak live bytes]` of the Rust heap.
#[wasm_bindgen(js_name = allocStats)]
pub fn alloc_stats() -> Vec<u32> {
    [&LIVE_BYTES, &LIVE_COUNT, &PEAK_BYTES]
        .iter()
        .map(|n| u32::try_from(n.load(Relaxed)).unwrap_or(u32::MAX))
        .collect()
}
