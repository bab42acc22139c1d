//! The binary's memory: mimalloc as the allocator, in small pages only.
//!
//! mimalloc serves the many small buffers of a ledger commit (records, bound values) faster than
//! the system allocator (measured with `cardlife bench ledger`).
//!
//! [`keep_small_pages`] turns transparent huge pages off for the process as it starts. With them
//! on, the first touch of a fresh 2 MiB region zeroes all of it: milliseconds of a request
//! worker at a time on a virtual machine, while every request queued on that worker waits.
//! mimalloc asks for them on its large regions (`MADV_HUGEPAGE`, which counts where the kernel's
//! mode is `madvise`), and where the mode is `always` the kernel hands them out unasked. That was
//! the slow start of about half the flash-sale steps at 25,000 claims a second: the workers
//! zeroed huge pages (`clear_page_erms` in their profile) for tens of milliseconds just as the
//! sale opened, and its first 100 ms had a median of 20–65 ms (docs/benchmarks.md, "Huge pages
//! at the opening burst"). With them off, memory comes in 4 KiB pages, as the system allocator's
//! does, whatever the host's setting.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process: every thread, and the processes it
/// starts (`PR_SET_THP_DISABLE`, held by the process's memory, not by the calling thread). No
/// fault makes a huge page from then on, in regions asked for before too; the huge pages
/// already made stay. `main` calls it first, before logging is set up: the caller reports an
/// error. Elsewhere than Linux there is nothing to turn off.
pub fn keep_small_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    /// The kernel's transparent-huge-page mode (`always`, `madvise` or `never`), if it has one.
    fn thp_mode() -> Option<String> {
        let text = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
        let start = text.find('[')? + 1;
        let end = start + text[start..].find(']')?;
        Some(text[start..end].to_owned())
    }

    /// This process's anonymous memory held in transparent huge pages, in KiB.
    fn anon_huge_kib() -> u64 {
        let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("AnonHugePages:"))
            .unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn memory_comes_in_small_pages_once_kept_so() {
        // With the kernel's mode `never` there is nothing to check.
        if !matches!(thp_mode().as_deref(), Some("madvise" | "always")) {
            eprintln!("skipped: transparent huge pages are off on this host");
            return;
        }
        super::keep_small_pages().unwrap();
        // Other tests of this process may have made huge pages before: none may be added now.
        let before = anon_huge_kib();
        // 256 MiB in 32 MiB blocks, every 4 KiB page touched: memory mimalloc takes fresh from
        // the kernel, in regions large and aligned enough for huge pages, which it asks for.
        let blocks: Vec<Vec<u8>> = (0..8u8)
            .map(|i| {
                let mut block = vec![0u8; 32 << 20];
                for page in block.chunks_mut(4096) {
                    page[0] = i + 1;
                }
                block
            })
            .collect();
        let after = anon_huge_kib();
        let touched: u64 = blocks.iter().map(|b| u64::from(b[4096])).sum();
        assert_eq!(touched, (1..=8).sum::<u64>());
        assert!(
            after <= before,
            "huge pages grew from {before} to {after} KiB while 256 MiB were touched"
        );
    }
}
