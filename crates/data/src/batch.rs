//! Seeded shuffling mini-batches, copied into buffers reused from batch to batch.

use std::mem::{replace, take};
use std::thread::JoinHandle;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::Dataset;

/// One mini-batch: `rows` rows of `d` features (row-major) and their targets. Borrows
/// the iterator's buffers, so it lives until the next call to
/// [`BatchIter::next_batch`].
///
/// ```
/// use caadam_data::{BatchIter, Dataset};
///
/// let ds = Dataset::new(vec![1.0, 2.0], vec![10.0, 20.0], vec!["x".into()], "y");
/// let mut batches = BatchIter::new(&ds, 2, 0);
/// let batch = batches.next_batch().unwrap();
/// assert_eq!((batch.rows, batch.d), (2, 1));
/// assert_eq!(batch.x_shape(), [2, 1]);
/// ```
#[derive(Debug)]
pub struct Batch<'b> {
    /// Features, row-major `[rows, d]`.
    pub x: &'b [f32],
    /// Targets, `rows` of them.
    pub y: &'b [f32],
    /// Rows in this batch (the last batch of an epoch may be smaller).
    pub rows: usize,
    /// Features per row.
    pub d: usize,
}

impl Batch<'_> {
    /// `[rows, d]`, the shape for a tensor of `x`.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new(vec![1.0, 2.0, 3.0], vec![1.0, 2.0, 3.0], vec!["x".into()], "y");
    /// let mut batches = BatchIter::new(&ds, 2, 0);
    /// assert_eq!(batches.next_batch().unwrap().x_shape(), [2, 1]);
    /// assert_eq!(batches.next_batch().unwrap().x_shape(), [1, 1]);
    /// ```
    pub fn x_shape(&self) -> [usize; 2] {
        [self.rows, self.d]
    }
}

/// Mini-batches over a dataset in a shuffled order that is a pure function of
/// `(seed, epoch)`: the epoch's order is a fresh permutation drawn from
/// `ChaCha8Rng::seed_from_u64(seed)` on stream `epoch`, so any epoch can be replayed
/// alone. Every row appears exactly once per epoch; the last, partial batch is
/// included. Batches are copied into two buffers allocated once, so iterating does not
/// allocate (with [`BatchIter::prefetching`], each epoch starts the thread that draws the
/// next one's order; the orders themselves take turns in two buffers).
///
/// Not a std `Iterator`, because each batch borrows the iterator's buffers; loop with
/// `while let`:
///
/// ```
/// use caadam_data::{BatchIter, Dataset};
///
/// let ds = Dataset::new((0..10).map(|i| i as f32).collect(), (0..10).map(|i| i as f32).collect(), vec!["x".into()], "y");
/// let mut batches = BatchIter::new(&ds, 4, 7);
/// for epoch in 0..3 {
///     batches.start_epoch(epoch);
///     let mut sizes = Vec::new();
///     while let Some(batch) = batches.next_batch() {
///         sizes.push(batch.rows);
///     }
///     assert_eq!(sizes, vec![4, 4, 2]);
/// }
/// ```
#[derive(Debug)]
pub struct BatchIter<'a> {
    data: &'a Dataset,
    batch_size: usize,
    seed: u64,
    epoch: u64,
    order: Vec<usize>,
    /// With [`BatchIter::prefetching`]: the epoch after this one and the thread drawing its
    /// order (into the buffer the order before this one had, so nothing is allocated);
    /// without, a spare buffer or nothing.
    next: Next,
    prefetch: bool,
    position: usize,
    x: Vec<f32>,
    y: Vec<f32>,
}

/// The fewest rows for which [`BatchIter::prefetching`] draws orders ahead. Measured on the
/// development machine (median time of `start_epoch` between 300 us stretches of other
/// work): drawing in place takes 6, 11, 20 and 160 us at 500, 1,000, 2,000 and 16,000 rows;
/// taking an order drawn ahead and starting the next draw about 12 us whatever the size,
/// most of it starting the thread. So the two are even near a thousand rows.
///
/// ```
/// use caadam_data::{BatchIter, Dataset, PREFETCH_MIN_ROWS};
/// let n = PREFETCH_MIN_ROWS - 1; // drawn in place, prefetching or not
/// let ds = Dataset::new(vec![0.0; n], vec![0.0; n], vec!["x".into()], "y");
/// let mut batches = BatchIter::new(&ds, 64, 0).prefetching(true);
/// batches.start_epoch(1);
/// assert_eq!(batches.order().len(), n);
/// ```
pub const PREFETCH_MIN_ROWS: usize = 1024;

/// The order of a later epoch: being drawn on another thread, or a buffer to draw it into.
#[derive(Debug)]
enum Next {
    Drawing(u64, JoinHandle<Vec<usize>>),
    Spare(Vec<usize>),
}

/// The order of `epoch` over `n` rows, drawn into `order` (cleared first): a permutation
/// drawn from `ChaCha8Rng::seed_from_u64(seed)` on stream `epoch`. Separate ChaCha streams
/// per epoch give independent orders without mixing seed and epoch arithmetically (seed 1
/// epoch 0 != seed 0 epoch 1).
fn draw_order(n: usize, seed: u64, epoch: u64, mut order: Vec<usize>) -> Vec<usize> {
    order.clear();
    order.extend(0..n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    order.shuffle(&mut rng);
    order
}

impl<'a> BatchIter<'a> {
    /// An iterator over `data` in batches of `batch_size`, positioned at the start of
    /// epoch 0.
    ///
    /// # Panics
    /// If `batch_size == 0`.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new(vec![1.0; 5], vec![0.0; 5], vec!["x".into()], "y");
    /// let batches = BatchIter::new(&ds, 2, 42);
    /// assert_eq!(batches.batches_per_epoch(), 3);
    /// ```
    pub fn new(data: &'a Dataset, batch_size: usize, seed: u64) -> BatchIter<'a> {
        assert!(
            batch_size > 0,
            "BatchIter::new: batch_size must be positive"
        );
        let capacity = batch_size.min(data.n);
        let mut iter = BatchIter {
            data,
            batch_size,
            seed,
            epoch: 0,
            order: Vec::with_capacity(data.n),
            next: Next::Spare(Vec::new()),
            prefetch: false,
            position: 0,
            x: Vec::with_capacity(capacity * data.d),
            y: Vec::with_capacity(capacity),
        };
        iter.start_epoch(0);
        iter
    }

    /// Draws each next epoch's order on a helper thread while this one is iterated, when
    /// `on` (off by default): the order of epoch `e + 1` is drawn while epoch `e` runs, so
    /// that [`start_epoch`](Self::start_epoch)`(e + 1)` finds it ready instead of shuffling
    /// all the rows between two training steps (at batch 128 on California housing, 2-3% of
    /// a training run's time). The orders are the same either way: each is a pure function
    /// of the seed and its epoch. Asking for an epoch other than the next one draws it in
    /// place, as without prefetching. Meant for a machine with a core to spare; the helper
    /// is a plain thread, one per epoch, outside any rayon pool. Datasets of fewer than
    /// [`PREFETCH_MIN_ROWS`] rows are drawn in place all the same: starting the thread costs
    /// about as much as their shuffle.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new((0..100).map(|i| i as f32).collect(), vec![0.0; 100], vec!["x".into()], "y");
    /// let mut plain = BatchIter::new(&ds, 10, 3);
    /// let mut ahead = BatchIter::new(&ds, 10, 3).prefetching(true);
    /// for epoch in [0, 1, 2, 7, 8] {
    ///     plain.start_epoch(epoch);
    ///     ahead.start_epoch(epoch);
    ///     assert_eq!(plain.order(), ahead.order());
    /// }
    /// ```
    pub fn prefetching(mut self, on: bool) -> Self {
        self.prefetch = on;
        self.draw_ahead();
        self
    }

    /// Reshuffles for `epoch` and rewinds to its first batch.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new((0..6).map(|i| i as f32).collect(), vec![0.0; 6], vec!["x".into()], "y");
    /// let mut batches = BatchIter::new(&ds, 6, 1);
    /// batches.start_epoch(5);
    /// let first = batches.next_batch().unwrap().x.to_vec();
    /// batches.start_epoch(5);
    /// assert_eq!(batches.next_batch().unwrap().x, &first[..]); // same epoch, same order
    /// ```
    pub fn start_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.position = 0;
        // An order drawn ahead is waited for; if it is this epoch's, it is the order.
        let ahead = match replace(&mut self.next, Next::Spare(Vec::new())) {
            Next::Drawing(drawn, helper) => {
                let order = helper
                    .join()
                    .expect("BatchIter: the thread drawing an order panicked");
                Some((drawn, order))
            }
            Next::Spare(spare) => {
                self.next = Next::Spare(spare);
                None
            }
        };
        match ahead {
            Some((drawn, order)) if drawn == epoch => {
                self.next = Next::Spare(replace(&mut self.order, order));
            }
            other => {
                if let Some((_, order)) = other {
                    self.next = Next::Spare(order); // another epoch's: only its buffer
                }
                let buffer = take(&mut self.order);
                self.order = draw_order(self.data.n, self.seed, epoch, buffer);
            }
        }
        self.draw_ahead();
    }

    /// With prefetching on and no order being drawn: starts drawing the next epoch's.
    fn draw_ahead(&mut self) {
        if !self.prefetch || self.data.n < PREFETCH_MIN_ROWS {
            return;
        }
        if let Next::Spare(spare) = &mut self.next {
            let (n, seed, epoch, spare) = (self.data.n, self.seed, self.epoch + 1, take(spare));
            let helper = std::thread::spawn(move || draw_order(n, seed, epoch, spare));
            self.next = Next::Drawing(epoch, helper);
        }
    }

    /// The current epoch.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new(vec![1.0], vec![0.0], vec!["x".into()], "y");
    /// let mut batches = BatchIter::new(&ds, 1, 0);
    /// batches.start_epoch(3);
    /// assert_eq!(batches.epoch(), 3);
    /// ```
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// `ceil(n / batch_size)`.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new(vec![1.0; 256], vec![0.0; 256], vec!["x".into()], "y");
    /// assert_eq!(BatchIter::new(&ds, 128, 0).batches_per_epoch(), 2);
    /// ```
    pub fn batches_per_epoch(&self) -> usize {
        self.data.n.div_ceil(self.batch_size)
    }

    /// The row indices of the current epoch, in batch order.
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new(vec![1.0; 4], vec![0.0; 4], vec!["x".into()], "y");
    /// let mut order = BatchIter::new(&ds, 2, 0).order().to_vec();
    /// order.sort();
    /// assert_eq!(order, vec![0, 1, 2, 3]);
    /// ```
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The next batch of the current epoch, or `None` when the epoch is done (call
    /// [`start_epoch`](Self::start_epoch) for the next one).
    ///
    /// ```
    /// # use caadam_data::{BatchIter, Dataset};
    /// let ds = Dataset::new(vec![1.0, 2.0, 3.0], vec![1.0, 2.0, 3.0], vec!["x".into()], "y");
    /// let mut batches = BatchIter::new(&ds, 2, 0);
    /// assert_eq!(batches.next_batch().unwrap().rows, 2);
    /// assert_eq!(batches.next_batch().unwrap().rows, 1);
    /// assert!(batches.next_batch().is_none());
    /// ```
    pub fn next_batch(&mut self) -> Option<Batch<'_>> {
        let n = self.data.n;
        if self.position >= n {
            return None;
        }
        let end = (self.position + self.batch_size).min(n);
        let d = self.data.d;
        self.x.clear();
        self.y.clear();
        for &i in &self.order[self.position..end] {
            self.x.extend_from_slice(&self.data.x[i * d..(i + 1) * d]);
            self.y.push(self.data.y[i]);
        }
        self.position = end;
        Some(Batch {
            x: &self.x,
            y: &self.y,
            rows: self.y.len(),
            d,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_epoch_is_drawn_ahead_only_when_prefetching() {
        // too few rows for a helper thread: drawn in place even when asked
        let small = Dataset::new(vec![0.0; 1000], vec![0.0; 1000], vec!["x".into()], "y");
        let few = BatchIter::new(&small, 8, 0).prefetching(true);
        assert!(matches!(few.next, Next::Spare(_)));
        let ds = Dataset::new(vec![0.0; 1024], vec![0.0; 1024], vec!["x".into()], "y");
        assert_eq!(ds.n, PREFETCH_MIN_ROWS);
        let mut plain = BatchIter::new(&ds, 8, 0);
        // asked twice: the second call keeps the draw the first one started
        let mut ahead = BatchIter::new(&ds, 8, 0)
            .prefetching(true)
            .prefetching(true);
        assert!(matches!(ahead.next, Next::Drawing(1, _)));
        for epoch in [0, 1, 5] {
            plain.start_epoch(epoch);
            ahead.start_epoch(epoch);
            assert!(matches!(plain.next, Next::Spare(_)));
            assert!(
                matches!(ahead.next, Next::Drawing(next, _) if next == epoch + 1),
                "after epoch {epoch}: {:?}",
                ahead.next
            );
        }
    }
}
