//! Flat `f32` buffers for what lives as long as a training run (parameters, gradients,
//! optimizer state), allocated so that large ones are backed by huge pages where the
//! operating system offers them.
//!
//! Why: an Adam step over 1e7 parameters streams four 40 MB buffers. On 4 KiB pages that is
//! about 40 000 pages per step, each a TLB miss and a walk of the page tables; on 2 MiB
//! pages, 80. The step ran 2-6% faster on huge pages (0.936-0.977x the step time on 4 KiB
//! pages: medians of alternate steps of the two in one process, three runs each on one
//! and on two threads).
//!
//! How: Linux backs a mapping with transparent huge pages when `madvise(MADV_HUGEPAGE)`
//! asked for them and the pages are then touched for the first time (the `madvise` mode of
//! `/sys/kernel/mm/transparent_hugepage/enabled`, a common default; in the `always` mode
//! they come anyway, in `never` not at all). So a buffer is reserved, advised, and only
//! then filled. torch does the same for its tensors when `THP_MEM_ALLOC_ENABLE=1`. The
//! advice changes how the memory is backed, never what it holds; where it is refused or
//! not available (another OS), the buffer is the same `Vec` on ordinary pages. For the same
//! reason a copy must be made with [`copy_of`], not `Vec::clone`: the parameter store and
//! the optimizers' state clone their buffers that way.
//!
//! ```
//! let v = caadam_autograd::buffer::filled(3, 0.5);
//! assert_eq!(v, [0.5, 0.5, 0.5]);
//! ```

use std::mem::MaybeUninit;
use std::ops::Range;

/// Buffers of at least this many elements (4 MiB) are advised for huge pages: large enough
/// to hold a whole 2 MiB page whatever their start, and to make the few extra memory
/// mappings an advice creates irrelevant.
///
/// ```
/// assert_eq!(caadam_autograd::buffer::HUGE_PAGE_MIN_LEN * 4, 4 << 20);
/// ```
pub const HUGE_PAGE_MIN_LEN: usize = 1 << 20;

/// `len` copies of `value`, on huge pages if `len >= HUGE_PAGE_MIN_LEN` and the OS agrees.
///
/// ```
/// use caadam_autograd::buffer::{filled, HUGE_PAGE_MIN_LEN};
/// let large = filled(HUGE_PAGE_MIN_LEN, 1.0);
/// assert_eq!(large.len(), HUGE_PAGE_MIN_LEN);
/// assert!(large.iter().all(|&x| x == 1.0));
/// ```
pub fn filled(len: usize, value: f32) -> Vec<f32> {
    let mut v = reserved(len);
    v.resize(len, value);
    v
}

/// `values` as a buffer of this module: a short one as it is, a long one (see [`filled`])
/// copied once onto memory advised for huge pages (memory already written cannot be
/// advised usefully: its pages are already there).
///
/// ```
/// let small = vec![1.0, 2.0];
/// let at = small.as_ptr();
/// let kept = caadam_autograd::buffer::adopt(small);
/// assert_eq!((kept.as_slice(), kept.as_ptr()), (&[1.0, 2.0][..], at)); // not copied
/// ```
pub fn adopt(values: Vec<f32>) -> Vec<f32> {
    if values.len() < HUGE_PAGE_MIN_LEN {
        return values;
    }
    copy_of(&values)
}

/// A copy of `values` as a buffer of this module (see [`filled`]): what a `Clone` of a
/// type holding such buffers uses, since `Vec::clone` allocates ordinary memory and writes
/// it at once, too late for the advice.
///
/// ```
/// let v = caadam_autograd::buffer::copy_of(&[1.0, 2.0, 3.0]);
/// assert_eq!(v, [1.0, 2.0, 3.0]);
/// ```
pub fn copy_of(values: &[f32]) -> Vec<f32> {
    let mut v = reserved(values.len());
    v.extend_from_slice(values);
    v
}

/// Whether the OS marks the memory holding `values` as advised for huge pages (the `hg`
/// flag of its mapping in `/proc/self/smaps`), to check that a buffer is one of this
/// module's; `None` where that cannot be read (another OS). The advice is what is reported,
/// not whether huge pages were free when the memory was first written.
///
/// ```
/// use caadam_autograd::buffer::{filled, huge_page_advised};
/// let small = filled(10, 0.0);
/// assert_ne!(huge_page_advised(&small), Some(true)); // too short to be advised
/// ```
pub fn huge_page_advised(values: &[f32]) -> Option<bool> {
    if values.is_empty() {
        return Some(false);
    }
    let flags = vm_flags(values.as_ptr() as usize + size_of_val(values) / 2)?;
    Some(flags.split_whitespace().any(|f| f == "hg"))
}

/// The `VmFlags` of the mapping of this process that holds `addr`, from /proc/self/smaps.
fn vm_flags(addr: usize) -> Option<String> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let mut inside = false;
    for line in smaps.lines() {
        let range = line
            .split_whitespace()
            .next()
            .and_then(|r| r.split_once('-'));
        if let Some((lo, hi)) = range {
            if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&addr);
                continue;
            }
        }
        if inside {
            if let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.to_string());
            }
        }
    }
    None
}

/// An empty `Vec` with room for `len` elements, advised for huge pages if it is large.
/// Nothing has touched its memory yet, so the first writes are what the advice applies to.
fn reserved(len: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(len);
    if len >= HUGE_PAGE_MIN_LEN {
        advise_huge_pages(v.spare_capacity_mut());
    }
    v
}

/// Asks the OS to back the whole pages inside `region` with huge pages. Only advice: if
/// the OS refuses, the pages stay ordinary and nothing else changes, so the answer is not
/// looked at.
#[cfg(target_os = "linux")]
fn advise_huge_pages(region: &mut [MaybeUninit<f32>]) {
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if let Some(pages) = whole_pages(region.as_ptr() as usize, size_of_val(region), page as usize) {
        // SAFETY: the range lies inside `region`, memory this process owns through the
        // Vec. MADV_HUGEPAGE only changes how the kernel backs the range (it neither frees
        // nor clears it), and failure leaves the memory as it was.
        unsafe {
            libc::madvise(
                pages.start as *mut libc::c_void,
                pages.len(),
                libc::MADV_HUGEPAGE,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_region: &mut [MaybeUninit<f32>]) {}

/// The addresses of the whole pages of size `page` inside `[start, start + bytes)`, if any
/// (madvise takes only page-aligned ranges).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn whole_pages(start: usize, bytes: usize, page: usize) -> Option<Range<usize>> {
    if page == 0 {
        return None;
    }
    let first = start.next_multiple_of(page);
    let end = (start + bytes) / page * page;
    (end > first).then_some(first..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_pages_are_the_aligned_interior() {
        assert_eq!(whole_pages(4096 + 16, 3 * 4096, 4096), Some(8192..4 * 4096));
        assert_eq!(whole_pages(4096, 2 * 4096, 4096), Some(4096..3 * 4096));
        // No whole page inside: nothing to advise.
        assert_eq!(whole_pages(4096 + 16, 4096, 4096), None);
        assert_eq!(whole_pages(0, 100, 0), None);
    }

    #[test]
    fn buffers_hold_their_values_at_every_size() {
        for len in [0, 1, 1000, HUGE_PAGE_MIN_LEN, HUGE_PAGE_MIN_LEN + 3] {
            let v = filled(len, -2.5);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == -2.5), "len {len}");
            let source: Vec<f32> = (0..len).map(|i| i as f32).collect();
            assert_eq!(adopt(source.clone()), source, "len {len}");
            assert_eq!(copy_of(&source), source, "len {len}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_buffers_are_advised_for_huge_pages() {
        // The kernel marks an advised mapping `hg` in its VmFlags, whether or not huge
        // pages were free at the time: the advice itself is what this test checks.
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            return; // a kernel without transparent huge pages refuses the advice
        }
        // 48 MB: above the largest size glibc serves from a heap, so a mapping of its own.
        let len = 12 * HUGE_PAGE_MIN_LEN;
        let has_hg = |v: &[f32]| huge_page_advised(v).expect("smaps readable on Linux");
        let large = filled(len, 1.0);
        assert!(has_hg(&large), "filled");
        assert!(has_hg(&adopt(large.clone())), "adopt");
        let copy = copy_of(&large);
        assert!(has_hg(&copy), "copy_of");
        assert_eq!(copy, large);
        // The same allocation made the ordinary way is not advised: the test can fail.
        assert!(!has_hg(&vec![1.0f32; len]), "vec!");
        assert!(!has_hg(&large.clone()), "Vec::clone");
    }
}
