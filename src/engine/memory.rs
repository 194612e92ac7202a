//! Giving memory back after a large list. Listing thousands of objects
//! decodes each page whole before it is projected; the allocator keeps the
//! freed pages, scattered among live ones, and the process would hold on to
//! tens of megabytes it no longer uses. glibc's `malloc_trim` returns every
//! free page to the system, including those in the middle of the heap.

/// Lists at least this large are followed by a trim.
pub const TRIM_AFTER_OBJECTS: usize = 500;

/// Returns free heap pages to the system (glibc); a no-op elsewhere.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
