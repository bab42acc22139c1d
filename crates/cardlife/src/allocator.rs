//! The binary's memory allocator: mimalloc, asking the kernel for no transparent huge pages.
//!
//! mimalloc serves the many small buffers of a ledger commit (records, bound values) faster than
//! the system allocator (measured with `cardlife bench ledger`).
//!
//! Left to its default, mimalloc marks its large regions `MADV_HUGEPAGE`, and where the kernel's
//! transparent huge pages are in `madvise` mode (as on the machines this project is measured on)
//! the first touch of such a region zeroes a whole 2 MiB page: milliseconds of a worker thread
//! at a time on a virtual machine, while every request queued on that worker waits. That was the
//! slow start of about half the flash-sale steps at 25,000 claims a second: the server's workers
//! zeroed huge pages (`clear_page_erms` in their profile) for tens of milliseconds just as the
//! sale opened, and the sale's first 100 ms had a median of 20–65 ms (docs/benchmarks.md, "Huge
//! pages at the opening burst"). Built with mimalloc's `no_thp` feature (the workspace's
//! `Cargo.toml`) it never asks, and memory comes in 4 KiB pages, as the system allocator's does.
//! Where the kernel's mode is `always` it hands out huge pages unasked: run the server with
//! `MIMALLOC_ALLOW_THP=0` (mimalloc then turns them off for the whole process) or set the mode to
//! `madvise` (README, "Using it").

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    fn memory_from_the_allocator_comes_in_small_pages() {
        // Only in `madvise` mode does the allocator's request decide; `always` gives huge pages
        // whatever it asks, `never` none.
        if thp_mode().as_deref() != Some("madvise") {
            eprintln!("skipped: transparent huge pages are not in madvise mode here");
            return;
        }
        // 256 MiB in 32 MiB blocks, every 4 KiB page touched: memory mimalloc takes fresh from
        // the kernel, in regions large and aligned enough for huge pages.
        let blocks: Vec<Vec<u8>> = (0..8u8)
            .map(|i| {
                let mut block = vec![0u8; 32 << 20];
                for page in block.chunks_mut(4096) {
                    page[0] = i + 1;
                }
                block
            })
            .collect();
        let huge = anon_huge_kib();
        let touched: u64 = blocks.iter().map(|b| u64::from(b[4096])).sum();
        assert_eq!(touched, (1..=8).sum::<u64>());
        assert_eq!(
            huge, 0,
            "{huge} KiB of the process in transparent huge pages"
        );
    }
}
