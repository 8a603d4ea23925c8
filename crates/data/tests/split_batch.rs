//! Seeded splits and the mini-batch iterator: sizes, coverage, determinism.

use std::collections::HashSet;

use caadam_data::{train_test_split, validation_split, BatchIter, Dataset};

/// Row `i` is `x = [i, -i]`, `y = i`, so every row can be traced and checked.
fn indexed(n: usize) -> Dataset {
    let x = (0..n).flat_map(|i| [i as f32, -(i as f32)]).collect();
    let y = (0..n).map(|i| i as f32).collect();
    Dataset::new(x, y, vec!["i".into(), "minus_i".into()], "y")
}

fn rows_consistent(ds: &Dataset) -> bool {
    (0..ds.n).all(|r| ds.row(r) == [ds.y[r], -ds.y[r]])
}

#[test]
fn train_test_split_sizes_coverage_and_determinism() {
    let ds = indexed(20640);
    let (train, test) = train_test_split(&ds, 0.2, 42);
    assert_eq!((train.n, test.n), (16512, 4128));
    assert!(rows_consistent(&train) && rows_consistent(&test));
    let mut all: Vec<f32> = train.y.iter().chain(&test.y).copied().collect();
    all.sort_by(f32::total_cmp);
    assert_eq!(all, ds.y);
    // Shuffled, not a contiguous block.
    assert_ne!(test.y, ds.y[..4128].to_vec());
    assert_ne!(test.y, ds.y[16512..].to_vec());

    assert_eq!(
        train_test_split(&ds, 0.2, 42),
        (train.clone(), test.clone())
    );
    assert_ne!(train_test_split(&ds, 0.2, 43).1.y, test.y);
    assert_eq!(train.feature_names, ds.feature_names);
}

#[test]
fn train_test_split_rounding_and_edges() {
    let ds = indexed(10);
    assert_eq!(train_test_split(&ds, 0.25, 0).1.n, 3); // ceil(2.5), as scikit-learn
    assert_eq!(train_test_split(&ds, 0.3, 0).1.n, 3); // 0.3 * 10 is 3 up to float noise
    assert_eq!(train_test_split(&ds, 0.0, 0).1.n, 0);
    assert_eq!(train_test_split(&ds, 1.0, 0).0.n, 0);
}

#[test]
#[should_panic(expected = "test_fraction must be within [0, 1]")]
fn train_test_split_refuses_bad_fractions() {
    train_test_split(&indexed(4), 1.5, 0);
}

#[test]
fn validation_split_takes_the_last_rows_like_keras() {
    let ds = indexed(16512);
    let (train, val) = validation_split(&ds, 0.2);
    // Keras: split_at = int(16512 * 0.8) = int(13209.6) = 13209.
    assert_eq!((train.n, val.n), (13209, 3303));
    assert_eq!(train.y, ds.y[..13209].to_vec());
    assert_eq!(val.y, ds.y[13209..].to_vec());
    assert!(rows_consistent(&val));

    let (train, val) = validation_split(&indexed(5), 0.0);
    assert_eq!((train.n, val.n), (5, 0));
}

#[test]
fn every_row_once_per_epoch_with_a_partial_last_batch() {
    let ds = indexed(1000);
    let mut batches = BatchIter::new(&ds, 128, 9);
    assert_eq!(batches.batches_per_epoch(), 8);
    let mut orders = Vec::new();
    for epoch in 0..3 {
        batches.start_epoch(epoch);
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        while let Some(batch) = batches.next_batch() {
            assert_eq!(batch.x.len(), batch.rows * 2);
            assert_eq!(batch.y.len(), batch.rows);
            for (r, &y) in batch.y.iter().enumerate() {
                assert_eq!(&batch.x[r * 2..r * 2 + 2], &[y, -y]);
            }
            sizes.push(batch.rows);
            seen.extend_from_slice(batch.y);
        }
        assert_eq!(sizes, vec![128, 128, 128, 128, 128, 128, 128, 104]);
        let unique: HashSet<u32> = seen.iter().map(|&v| v as u32).collect();
        assert_eq!((seen.len(), unique.len()), (1000, 1000));
        assert!(batches.next_batch().is_none());
        orders.push(seen);
    }
    // Reshuffled each epoch.
    assert_ne!(orders[0], orders[1]);
    assert_ne!(orders[1], orders[2]);
}

#[test]
fn batches_are_deterministic_and_replayable() {
    let ds = indexed(300);
    let collect = |seed: u64, epoch: u64| {
        let mut batches = BatchIter::new(&ds, 64, seed);
        batches.start_epoch(epoch);
        let mut ys = Vec::new();
        while let Some(batch) = batches.next_batch() {
            ys.extend_from_slice(batch.y);
        }
        ys
    };
    assert_eq!(collect(5, 2), collect(5, 2));
    assert_ne!(collect(5, 2), collect(6, 2));
    // Seed and epoch are not simply added: (1, 0) and (0, 1) differ.
    assert_ne!(collect(1, 0), collect(0, 1));
    // An epoch replayed alone equals the same epoch reached after others.
    let mut batches = BatchIter::new(&ds, 64, 5);
    for epoch in 0..=2 {
        batches.start_epoch(epoch);
        while batches.next_batch().is_some() {}
    }
    batches.start_epoch(2);
    let mut ys = Vec::new();
    while let Some(batch) = batches.next_batch() {
        ys.extend_from_slice(batch.y);
    }
    assert_eq!(ys, collect(5, 2));
}

#[test]
fn batches_reuse_their_buffers() {
    let ds = indexed(500);
    let mut batches = BatchIter::new(&ds, 100, 0);
    let mut pointers = HashSet::new();
    for epoch in 0..2 {
        batches.start_epoch(epoch);
        while let Some(batch) = batches.next_batch() {
            pointers.insert((batch.x.as_ptr() as usize, batch.y.as_ptr() as usize));
        }
    }
    assert_eq!(pointers.len(), 1, "a batch buffer was reallocated");
}

#[test]
fn batch_larger_than_the_data_and_empty_data() {
    let ds = indexed(3);
    let mut batches = BatchIter::new(&ds, 128, 0);
    assert_eq!(batches.next_batch().unwrap().rows, 3);
    assert!(batches.next_batch().is_none());

    let empty = indexed(0);
    let mut batches = BatchIter::new(&empty, 8, 0);
    assert_eq!(batches.batches_per_epoch(), 0);
    assert!(batches.next_batch().is_none());
}

#[test]
fn prefetched_orders_are_the_plain_ones_in_two_buffers() {
    // Epochs in sequence (drawn ahead), the same epoch again and jumps back and forward
    // (drawn in place, the order drawn ahead thrown away): same orders and batches as
    // without prefetching, and the orders live in two buffers throughout.
    let ds = indexed(2000);
    assert!(ds.n >= caadam_data::PREFETCH_MIN_ROWS);
    let mut plain = BatchIter::new(&ds, 96, 11);
    let mut ahead = BatchIter::new(&ds, 96, 11).prefetching(true);
    let mut buffers = HashSet::new();
    for epoch in [0, 1, 2, 3, 3, 9, 10, 4, 5, 6] {
        plain.start_epoch(epoch);
        ahead.start_epoch(epoch);
        assert_eq!(ahead.epoch(), epoch);
        assert_eq!(plain.order(), ahead.order(), "epoch {epoch}");
        buffers.insert(ahead.order().as_ptr() as usize);
        while let Some(want) = plain.next_batch() {
            let want = (want.x.to_vec(), want.y.to_vec());
            let got = ahead.next_batch().expect("as many batches");
            assert_eq!((got.x, got.y), (&want.0[..], &want.1[..]), "epoch {epoch}");
        }
        assert!(ahead.next_batch().is_none());
    }
    assert_eq!(buffers.len(), 2, "an order buffer was reallocated");
    // Switched off again: what was being drawn is still waited for and used.
    let mut ahead = ahead.prefetching(false);
    plain.start_epoch(11);
    ahead.start_epoch(11);
    assert_eq!(plain.order(), ahead.order());
}
