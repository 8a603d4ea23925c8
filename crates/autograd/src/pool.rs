//! A pool of `f32` buffers reused across training steps.
//!
//! Every node value and every gradient the tape creates comes from here, and `Tape::clear`
//! gives them back. After one warm-up step the pool holds a buffer for each request of the
//! next step, so steady-state training does not call the allocator.

/// Free buffers, kept sorted by capacity so a request takes the smallest one that fits.
#[derive(Default)]
pub(crate) struct BufferPool {
    free: Vec<Vec<f32>>,
}

impl BufferPool {
    /// A buffer of length `len`, every element `0.0`.
    pub(crate) fn zeros(&mut self, len: usize) -> Vec<f32> {
        let mut buf = self.empty(len);
        buf.resize(len, 0.0);
        buf
    }

    /// A buffer of length `len` with unspecified contents (whatever its last use left, or
    /// zeros), for an output the caller overwrites entirely: it skips the zero fill of
    /// [`zeros`](BufferPool::zeros), which for a small model is a visible part of a step.
    pub(crate) fn for_overwrite(&mut self, len: usize) -> Vec<f32> {
        let at = self.free.partition_point(|b| b.capacity() < len);
        if at == self.free.len() {
            return vec![0.0; len];
        }
        let mut buf = self.free.remove(at);
        // the first `buf.len()` elements are initialized already; only the rest is filled
        if buf.len() >= len {
            buf.truncate(len);
        } else {
            buf.resize(len, 0.0);
        }
        buf
    }

    /// A buffer holding a copy of `src`.
    pub(crate) fn copy_of(&mut self, src: &[f32]) -> Vec<f32> {
        // A recycled buffer of the right length needs no fill before it is overwritten.
        let mut buf = self.for_overwrite(src.len());
        crate::parallel_copy(&mut buf, src);
        buf
    }

    /// An empty buffer with capacity for at least `len` elements (to be filled with `extend`).
    pub(crate) fn empty(&mut self, len: usize) -> Vec<f32> {
        // best fit: the first buffer (in capacity order) that is large enough
        let at = self.free.partition_point(|b| b.capacity() < len);
        if at < self.free.len() {
            let mut buf = self.free.remove(at);
            buf.clear();
            buf
        } else {
            Vec::with_capacity(len)
        }
    }

    /// Returns a buffer to the pool (zero-capacity buffers are simply dropped).
    pub(crate) fn give(&mut self, buf: Vec<f32>) {
        if buf.capacity() == 0 {
            return;
        }
        let at = self.free.partition_point(|b| b.capacity() < buf.capacity());
        self.free.insert(at, buf);
    }

    #[cfg(test)]
    pub(crate) fn free_count(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_the_smallest_buffer_that_fits() {
        let mut pool = BufferPool::default();
        pool.give(Vec::with_capacity(100));
        pool.give(Vec::with_capacity(10));
        let b = pool.zeros(8);
        assert_eq!(b.len(), 8);
        assert_eq!(b.capacity(), 10);
        assert_eq!(pool.free_count(), 1);
        let c = pool.zeros(50);
        assert!(c.capacity() >= 100);
        assert_eq!(pool.free_count(), 0);
    }

    #[test]
    fn for_overwrite_has_the_requested_length() {
        let mut pool = BufferPool::default();
        pool.give(vec![7.0; 10]);
        assert_eq!(pool.for_overwrite(4).len(), 4); // shorter: truncated
        pool.give(vec![7.0; 2]);
        let b = pool.for_overwrite(2);
        assert_eq!(b, vec![7.0, 7.0]); // contents unspecified (here: the old ones)
        pool.give(Vec::with_capacity(8));
        assert_eq!(pool.for_overwrite(6), vec![0.0; 6]); // longer than its length: filled
        assert_eq!(pool.for_overwrite(3).len(), 3); // nothing free: a new buffer
    }
}
