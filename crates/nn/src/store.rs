//! All parameters of a model in one flat buffer, all gradients in another.
//!
//! Optimizers step the two buffers as plain slices; the [`ParamLayout`] tells anyone who
//! needs the structure (CaAdam, checkpoints, safetensors) which range is which tensor.

use caadam_autograd::{buffer, Tape, Var};

use crate::error::NnError;
use crate::layout::ParamLayout;

/// A model's parameters: flat values, flat gradients of the same length, and their layout.
///
/// A training step reads the values into the tape ([`ParamStore::bind`], what every layer's
/// `forward` does), sums the tape's parameter gradients into the flat gradients
/// ([`ParamStore::accumulate_grads`]), hands both buffers to the optimizer
/// ([`ParamStore::split_mut`]) and zeroes the gradients for the next step.
///
/// The store also knows whether its gradients are finite, without a scan: every write it
/// makes to them ([`set_grads`](ParamStore::set_grads),
/// [`accumulate_grads`](ParamStore::accumulate_grads), [`map_grads`](ParamStore::map_grads),
/// [`zero_grads`](ParamStore::zero_grads)) tests the values it writes on the way, and
/// [`grads_mut`](ParamStore::grads_mut) makes the answer unknown. An optimizer stepped
/// with `Optimizer::step_store` (caadam-optim) then skips its own scan for NaN and
/// infinities; see [`ParamStore::grads_known_finite`].
///
/// Both buffers of a large store (at least [`caadam_autograd::buffer::HUGE_PAGE_MIN_LEN`]
/// parameters) are allocated on memory advised for huge pages, which speeds up the
/// optimizer's pass over them (see [`caadam_autograd::buffer`]).
///
/// ```
/// use caadam_nn::{LayerInfo, ParamKind, ParamLayout, ParamStore};
/// let mut layout = ParamLayout::new();
/// layout.push("layers.0.weight", &[2, 1], ParamKind::Weight, LayerInfo::new(2, 1, 0));
/// let mut store = ParamStore::from_values(layout, vec![1.0, 2.0]).unwrap();
/// store.grads_mut().copy_from_slice(&[0.5, -0.5]);
/// let (values, grads) = store.split_mut();
/// for (v, g) in values.iter_mut().zip(grads) {
///     *v -= 0.1 * g; // plain SGD
/// }
/// store.zero_grads();
/// assert_eq!(store.values(), &[0.95, 2.05]);
/// assert_eq!(store.grads(), &[0.0, 0.0]);
/// ```
#[derive(Debug)]
pub struct ParamStore {
    values: Vec<f32>,
    grads: Vec<f32>,
    layout: ParamLayout,
    /// True only while every gradient is known to be finite (see
    /// [`ParamStore::grads_known_finite`]); false means "not known", not "not finite".
    grads_finite: bool,
}

/// A copy whose buffers are allocated as the original's were (on memory advised for huge
/// pages when large; a derived `Clone` would copy them onto ordinary pages), with what the
/// original knows about its gradients.
///
/// ```
/// use caadam_nn::{ParamLayout, ParamStore};
/// let store = ParamStore::from_values(ParamLayout::flat("p", 2), vec![1.0, 2.0]).unwrap();
/// assert_eq!(store.clone(), store);
/// ```
impl Clone for ParamStore {
    fn clone(&self) -> Self {
        Self {
            values: buffer::copy_of(&self.values),
            grads: buffer::copy_of(&self.grads),
            layout: self.layout.clone(),
            grads_finite: self.grads_finite,
        }
    }
}

/// Two stores are equal when their layouts, values and gradients are; whether the
/// gradients are known to be finite is bookkeeping, not content.
impl PartialEq for ParamStore {
    fn eq(&self, other: &Self) -> bool {
        self.layout == other.layout && self.values == other.values && self.grads == other.grads
    }
}

impl ParamStore {
    /// A store of zeros for `layout`.
    ///
    /// ```
    /// let store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 3));
    /// assert_eq!(store.values(), &[0.0; 3]);
    /// ```
    pub fn new(layout: ParamLayout) -> Self {
        let n = layout.len();
        Self {
            values: buffer::filled(n, 0.0),
            grads: buffer::filled(n, 0.0),
            layout,
            grads_finite: true,
        }
    }

    /// A store with the given values (gradients zero); fails if the length differs from
    /// the layout's.
    ///
    /// ```
    /// use caadam_nn::{ParamLayout, ParamStore};
    /// assert!(ParamStore::from_values(ParamLayout::flat("p", 2), vec![1.0, 2.0]).is_ok());
    /// assert!(ParamStore::from_values(ParamLayout::flat("p", 2), vec![1.0]).is_err());
    /// ```
    pub fn from_values(layout: ParamLayout, values: Vec<f32>) -> Result<Self, NnError> {
        if values.len() != layout.len() {
            return Err(NnError::LengthMismatch {
                expected: layout.len(),
                len: values.len(),
            });
        }
        // A large model's values move to memory advised for huge pages (one copy).
        let values = buffer::adopt(values);
        let grads = buffer::filled(values.len(), 0.0);
        Ok(Self {
            values,
            grads,
            layout,
            grads_finite: true,
        })
    }

    /// All parameter values, layer by layer, weight then bias.
    ///
    /// ```
    /// let store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// assert_eq!(store.values().len(), 2);
    /// ```
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// All parameter values, mutable.
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// store.values_mut()[1] = 3.0;
    /// assert_eq!(store.values(), &[0.0, 3.0]);
    /// ```
    pub fn values_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }

    /// All gradients, in the same order as the values.
    ///
    /// ```
    /// let store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// assert_eq!(store.grads(), &[0.0, 0.0]);
    /// ```
    pub fn grads(&self) -> &[f32] {
        &self.grads
    }

    /// All gradients, mutable (for clipping, or for tests that set them by hand).
    ///
    /// The store cannot see what is written through the slice, so afterwards its gradients
    /// are no longer known to be finite ([`ParamStore::grads_known_finite`] is false until
    /// the next [`set_grads`](ParamStore::set_grads) or
    /// [`zero_grads`](ParamStore::zero_grads)).
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// store.grads_mut()[0] = 1.0;
    /// assert_eq!(store.grads(), &[1.0, 0.0]);
    /// assert!(!store.grads_known_finite());
    /// ```
    pub fn grads_mut(&mut self) -> &mut [f32] {
        self.grads_finite = false;
        &mut self.grads
    }

    /// `g = f(g)` for every gradient (in parallel for a large store), testing each result on
    /// the way: afterwards [`ParamStore::grads_known_finite`] says whether every result is
    /// finite, whatever it said before, since every gradient was rewritten. What gradient
    /// clipping on a store uses (`caadam_optim::clip::clip_store_grad_norm`), so that the
    /// optimizer's `step_store` still needs no scan; [`grads_mut`](ParamStore::grads_mut)
    /// would make the answer unknown.
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// store.grads_mut().copy_from_slice(&[3.0, f32::INFINITY]);
    /// assert!(!store.grads_known_finite()); // not known
    /// store.map_grads(|g| g.clamp(-1.0, 1.0));
    /// assert_eq!(store.grads(), &[1.0, 1.0]);
    /// assert!(store.grads_known_finite()); // every value rewritten and tested
    /// ```
    pub fn map_grads(&mut self, f: impl Fn(f32) -> f32 + Sync + Send) {
        self.grads_finite = false; // until every value has been rewritten and tested
        self.grads_finite = caadam_autograd::parallel_map_finite(&mut self.grads, f);
    }

    /// True if every gradient is known to be finite (no NaN, no infinity) without looking
    /// at them again: the store's own writes ([`set_grads`](ParamStore::set_grads),
    /// [`accumulate_grads`](ParamStore::accumulate_grads),
    /// [`map_grads`](ParamStore::map_grads), [`zero_grads`](ParamStore::zero_grads)) test
    /// each value they write, in the same pass (no second read from memory; see
    /// `caadam_autograd::parallel_copy_finite`). False when a written value was NaN or
    /// infinite, and also when the answer is not known (after
    /// [`grads_mut`](ParamStore::grads_mut)): false means "scan before trusting them",
    /// which is what `Optimizer::step_store` does.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// use caadam_nn::{ParamLayout, ParamStore};
    /// let mut store = ParamStore::from_values(ParamLayout::flat("p", 2), vec![1.0, 2.0]).unwrap();
    /// assert!(store.grads_known_finite()); // zeros
    /// let mut tape = Tape::new();
    /// let p = store.bind(&mut tape, 0);
    /// let scaled = tape.mul_scalar(p, f32::INFINITY); // d loss / d p = inf
    /// let loss = tape.sum(scaled);
    /// tape.backward(loss);
    /// store.set_grads(&tape);
    /// assert!(!store.grads_known_finite());
    /// store.zero_grads();
    /// assert!(store.grads_known_finite());
    /// ```
    pub fn grads_known_finite(&self) -> bool {
        self.grads_finite
    }

    /// Where each tensor lives in the buffers.
    ///
    /// ```
    /// let store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// assert_eq!(store.layout().segments()[0].name, "p");
    /// ```
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Number of parameters.
    ///
    /// ```
    /// assert_eq!(caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 5)).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True for a model without parameters.
    ///
    /// ```
    /// assert!(caadam_nn::ParamStore::new(caadam_nn::ParamLayout::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values (mutable) and the gradients (shared) at once, as `Optimizer::step` takes
    /// them (`Optimizer::step_store` takes the store itself, and with it
    /// [`ParamStore::grads_known_finite`]).
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// let (values, grads) = store.split_mut();
    /// assert_eq!(values.len(), grads.len());
    /// ```
    pub fn split_mut(&mut self) -> (&mut [f32], &[f32]) {
        (&mut self.values, &self.grads)
    }

    /// Sets every gradient to zero (the buffer keeps its memory).
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// store.grads_mut().fill(1.0);
    /// store.zero_grads();
    /// assert_eq!(store.grads(), &[0.0, 0.0]);
    /// ```
    pub fn zero_grads(&mut self) {
        self.grads.fill(0.0);
        self.grads_finite = true;
    }

    /// The values of one tensor, by name.
    ///
    /// ```
    /// let store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// assert_eq!(store.tensor("p"), Some(&[0.0, 0.0][..]));
    /// assert_eq!(store.tensor("q"), None);
    /// ```
    pub fn tensor(&self, name: &str) -> Option<&[f32]> {
        self.layout.find(name).map(|s| &self.values[s.range()])
    }

    /// The values of one tensor, by name, mutable.
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// store.tensor_mut("p").unwrap()[0] = 4.0;
    /// assert_eq!(store.values()[0], 4.0);
    /// ```
    pub fn tensor_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let range = self.layout.find(name)?.range();
        Some(&mut self.values[range])
    }

    /// The gradient of one tensor, by name.
    ///
    /// ```
    /// let store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// assert_eq!(store.tensor_grad("p"), Some(&[0.0, 0.0][..]));
    /// ```
    pub fn tensor_grad(&self, name: &str) -> Option<&[f32]> {
        self.layout.find(name).map(|s| &self.grads[s.range()])
    }

    /// A copy of the values, for early stopping ("keep the best weights").
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 2));
    /// let best = store.snapshot();
    /// store.values_mut()[0] = 9.0;
    /// store.restore(&best);
    /// assert_eq!(store.values(), &[0.0, 0.0]);
    /// ```
    pub fn snapshot(&self) -> Vec<f32> {
        self.values.clone()
    }

    /// Puts back values taken with [`ParamStore::snapshot`] (or any buffer of the right
    /// length); the gradients are left alone.
    ///
    /// Panics if the length differs from the store's: a snapshot of another model is a
    /// programming error.
    ///
    /// ```
    /// let mut store = caadam_nn::ParamStore::new(caadam_nn::ParamLayout::flat("p", 1));
    /// store.restore(&[2.5]);
    /// assert_eq!(store.values(), &[2.5]);
    /// ```
    pub fn restore(&mut self, snapshot: &[f32]) {
        assert_eq!(
            snapshot.len(),
            self.values.len(),
            "ParamStore::restore: snapshot of {} values for a store of {}",
            snapshot.len(),
            self.values.len()
        );
        self.values.copy_from_slice(snapshot);
    }

    /// Pushes tensor `segment` of the layout onto the tape as a parameter leaf, with the
    /// segment index as its slot; what every layer's `forward` does.
    ///
    /// The tape copies the values into one of its pooled buffers (no allocation in steady
    /// state); that copy is the only cost of keeping the parameters in the store.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// let store = caadam_nn::ParamStore::from_values(caadam_nn::ParamLayout::flat("p", 2), vec![1.0, 2.0]).unwrap();
    /// let mut tape = Tape::new();
    /// let p = store.bind(&mut tape, 0);
    /// assert_eq!(tape.value(p).data(), &[1.0, 2.0]);
    /// ```
    pub fn bind(&self, tape: &mut Tape, segment: usize) -> Var {
        let seg = &self.layout.segments()[segment];
        tape.param(&self.values[seg.range()], &seg.shape, segment)
    }

    /// Adds the tape's parameter gradients into the flat gradients, by slot (the slot of a
    /// leaf made by [`ParamStore::bind`] is its segment index). Call after `tape.backward`.
    ///
    /// Adding rather than overwriting lets several backward passes (gradient accumulation
    /// over micro-batches, or a parameter used twice) sum up, as PyTorch's `.grad` does.
    ///
    /// Panics if a slot is not a segment of this layout or a gradient has the wrong length.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// use caadam_nn::{ParamLayout, ParamStore};
    /// let mut store = ParamStore::from_values(ParamLayout::flat("p", 2), vec![1.0, 2.0]).unwrap();
    /// let mut tape = Tape::new();
    /// let p = store.bind(&mut tape, 0);
    /// let loss = tape.sum(p); // d loss / d p = 1
    /// tape.backward(loss);
    /// store.accumulate_grads(&tape);
    /// store.accumulate_grads(&tape);
    /// assert_eq!(store.grads(), &[2.0, 2.0]);
    /// ```
    pub fn accumulate_grads(&mut self, tape: &Tape) {
        // Gradients the tape does not hold keep their values, and with them the old answer;
        // meanwhile it is "not known", in case a wrong length panics part-way.
        let known_before = std::mem::replace(&mut self.grads_finite, false);
        let sums_finite = self.add_grads(tape);
        self.grads_finite = known_before && sums_finite;
    }

    /// Sets the flat gradients to the tape's parameter gradients: the values
    /// [`zero_grads`](ParamStore::zero_grads) followed by
    /// [`accumulate_grads`](ParamStore::accumulate_grads) gives (a parameter the tape does
    /// not hold gets zero, one bound twice gets the sum; a gradient of -0 stays -0 where
    /// `0 + -0` would give +0: equal values, a different sign of zero), but in the common
    /// case, each segment bound once and in layout order as a model's `forward` does, it is
    /// a single copy instead of a zero fill and an add, which for a large model is a visible
    /// part of a training step.
    ///
    /// Panics as [`accumulate_grads`](ParamStore::accumulate_grads) does.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// use caadam_nn::{ParamLayout, ParamStore};
    /// let mut store = ParamStore::from_values(ParamLayout::flat("p", 2), vec![1.0, 2.0]).unwrap();
    /// store.grads_mut().fill(7.0); // stale gradients from an earlier step
    /// let mut tape = Tape::new();
    /// let p = store.bind(&mut tape, 0);
    /// let loss = tape.sum(p); // d loss / d p = 1
    /// tape.backward(loss);
    /// store.set_grads(&tape);
    /// assert_eq!(store.grads(), &[1.0, 1.0]);
    /// ```
    pub fn set_grads(&mut self, tape: &Tape) {
        // Not known until every value below has been written and tested: a panic part-way
        // (a gradient of the wrong length) must not leave an old "finite" in place.
        self.grads_finite = false;
        let segments = self.layout.segments();
        let mut expected_slot = 0;
        let each_segment_once_in_order = tape.param_grads().all(|(slot, _)| {
            let in_order = slot == expected_slot;
            expected_slot += 1;
            in_order
        }) && expected_slot == segments.len();
        if !each_segment_once_in_order {
            self.grads.fill(0.0);
            self.grads_finite = self.add_grads(tape);
            return;
        }
        let mut finite = true;
        for ((_, grad), seg) in tape.param_grads().zip(segments) {
            let g = grad.data();
            assert_eq!(
                g.len(),
                seg.len(),
                "ParamStore::set_grads: gradient of `{}` has {} elements, expected {}",
                seg.name,
                g.len(),
                seg.len()
            );
            finite &= caadam_autograd::parallel_copy_finite(&mut self.grads[seg.range()], g);
        }
        self.grads_finite = finite;
    }

    /// `grads += the tape's parameter gradients`, by slot; true if every sum written is
    /// finite.
    fn add_grads(&mut self, tape: &Tape) -> bool {
        let mut finite = true;
        let segments = self.layout.segments();
        for (slot, grad) in tape.param_grads() {
            let seg = segments.get(slot).unwrap_or_else(|| {
                panic!(
                    "ParamStore::accumulate_grads: slot {slot} is not one of the {} segments",
                    segments.len()
                )
            });
            let g = grad.data();
            assert_eq!(
                g.len(),
                seg.len(),
                "ParamStore::accumulate_grads: gradient of `{}` has {} elements, expected {}",
                seg.name,
                g.len(),
                seg.len()
            );
            finite &= caadam_autograd::parallel_add_finite(&mut self.grads[seg.range()], g);
        }
        finite
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LayerInfo, ParamKind};

    fn two_tensor_store() -> ParamStore {
        let mut layout = ParamLayout::new();
        let info = LayerInfo::new(2, 3, 0);
        layout.push("layers.0.weight", &[2, 3], ParamKind::Weight, info);
        layout.push("layers.0.bias", &[3], ParamKind::Bias, info);
        ParamStore::from_values(layout, (0..9).map(|i| i as f32).collect()).unwrap()
    }

    #[test]
    fn tensors_are_views_of_the_flat_buffer() {
        let mut store = two_tensor_store();
        assert_eq!(store.tensor("layers.0.bias"), Some(&[6.0, 7.0, 8.0][..]));
        store.tensor_mut("layers.0.weight").unwrap()[5] = -1.0;
        assert_eq!(store.values()[5], -1.0);
    }

    /// `set_grads` against `zero_grads` + `accumulate_grads` on stale gradients, for the
    /// fast path (each segment bound once, in order) and every case that must fall back:
    /// a segment bound twice, a segment not bound, segments bound out of order.
    #[test]
    fn set_grads_is_zero_then_accumulate() {
        for binds in [vec![0, 1], vec![0, 1, 1], vec![1], vec![1, 0], vec![]] {
            let mut tape = Tape::new();
            let store = two_tensor_store();
            let mut loss = None;
            for (k, &segment) in binds.iter().enumerate() {
                let p = store.bind(&mut tape, segment);
                let scaled = tape.mul_scalar(p, (k + 2) as f32);
                let s = tape.sum(scaled);
                loss = Some(loss.map_or(s, |l| tape.add(l, s)));
            }
            if let Some(loss) = loss {
                tape.backward(loss);
            }
            let mut expected = store.clone();
            expected.grads_mut().fill(f32::NAN);
            expected.zero_grads();
            expected.accumulate_grads(&tape);
            let mut set = store.clone();
            set.grads_mut().fill(f32::NAN);
            set.set_grads(&tape);
            assert_eq!(set.grads(), expected.grads(), "binds {binds:?}");
            assert!(set.grads().iter().all(|g| g.is_finite()), "binds {binds:?}");
        }
    }

    /// A tape whose loss is `sum(w) * w_scale + sum(b) * b_scale` over the two tensors of
    /// `store`, backward done: the gradients are `w_scale` and `b_scale`.
    fn scaled_sums(store: &ParamStore, w_scale: f32, b_scale: f32) -> Tape {
        let mut tape = Tape::new();
        let w = store.bind(&mut tape, 0);
        let b = store.bind(&mut tape, 1);
        let ws = tape.mul_scalar(w, w_scale);
        let bs = tape.mul_scalar(b, b_scale);
        let (sw, sb) = (tape.sum(ws), tape.sum(bs));
        let loss = tape.add(sw, sb);
        tape.backward(loss);
        tape
    }

    /// What the store knows of its gradients after each kind of write: every write it makes
    /// itself gives the right answer (a NaN or infinity in any tensor, a sum that overflows,
    /// a tensor the tape does not hold keeping an old answer), and a write it cannot see
    /// makes the answer unknown.
    #[test]
    fn the_store_knows_when_its_gradients_are_finite() {
        let mut store = two_tensor_store();
        assert!(store.grads_known_finite());
        for (w_scale, b_scale, finite) in [
            (1.0, 2.0, true),
            (f32::NAN, 2.0, false),
            (1.0, f32::INFINITY, false),
            (1.0, f32::NEG_INFINITY, false),
            (f32::MAX, -f32::MAX, true),
        ] {
            let tape = scaled_sums(&store, w_scale, b_scale);
            store.set_grads(&tape);
            assert_eq!(store.grads_known_finite(), finite, "{w_scale} {b_scale}");
            assert_eq!(
                store.grads_known_finite(),
                store.grads().iter().all(|g| g.is_finite())
            );
            store.zero_grads();
            store.accumulate_grads(&tape);
            assert_eq!(store.grads_known_finite(), finite, "{w_scale} {b_scale}");
        }
        // Two finite gradients whose sum overflows.
        let tape = scaled_sums(&store, f32::MAX, 1.0);
        store.set_grads(&tape);
        assert!(store.grads_known_finite());
        store.accumulate_grads(&tape);
        assert!(!store.grads_known_finite());
        assert_eq!(store.grads()[0], f32::INFINITY);
        // Only the bias on the tape: the weight keeps its infinite sum, and the answer.
        let mut tape = Tape::new();
        let b = store.bind(&mut tape, 1);
        let loss = tape.sum(b);
        tape.backward(loss);
        store.accumulate_grads(&tape);
        assert!(!store.grads_known_finite());
        // `set_grads` through its fallback (the weight not bound) zeroes it: finite again.
        store.set_grads(&tape);
        assert!(store.grads_known_finite());
        assert_eq!(
            store.grads(),
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
        );
        // `map_grads` rewrites and tests every value, whatever was known before.
        store.grads_mut()[0] = f32::NAN;
        store.map_grads(|g| if g.is_nan() { 0.0 } else { g * 2.0 });
        assert!(store.grads_known_finite());
        assert_eq!(
            store.grads(),
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0]
        );
        store.map_grads(|g| g * f32::MAX);
        assert!(!store.grads_known_finite());
        store.map_grads(|g| g.clamp(-1.0, 1.0));
        assert!(store.grads_known_finite());
        assert_eq!(
            store.grads(),
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
        );
        // A write through `grads_mut` is not seen, even a finite one; nor is it by a clone.
        store.grads_mut()[0] = 1.0;
        assert!(!store.grads_known_finite());
        assert!(!store.clone().grads_known_finite());
        // Equality ignores the bookkeeping.
        let mut other = store.clone();
        other.zero_grads();
        other.grads_mut().copy_from_slice(store.grads());
        assert_eq!(other, store);
    }

    /// A write that panics part-way (the second gradient has the wrong length, after the
    /// first, holding a NaN, was written) leaves the answer "not known", for both writes.
    #[test]
    fn a_write_that_panics_part_way_leaves_the_answer_unknown() {
        for accumulate in [false, true] {
            let mut store = two_tensor_store();
            let mut tape = Tape::new();
            let w = tape.param(&[1.0; 6], &[2, 3], 0);
            let b = tape.param(&[0.0; 2], &[2], 1); // the bias has 3 elements
            let w_nan = tape.mul_scalar(w, f32::NAN); // d loss / d w = NaN
            let (sw, sb) = (tape.sum(w_nan), tape.sum(b));
            let loss = tape.add(sw, sb);
            tape.backward(loss);
            assert!(store.grads_known_finite());
            let write = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if accumulate {
                    store.accumulate_grads(&tape)
                } else {
                    store.set_grads(&tape)
                }
            }));
            assert!(write.is_err(), "accumulate: {accumulate}");
            assert!(store.grads()[0].is_nan());
            assert!(!store.grads_known_finite(), "accumulate: {accumulate}");
        }
    }

    #[test]
    fn accumulate_adds_by_slot_and_zero_clears() {
        let mut store = two_tensor_store();
        let mut tape = Tape::new();
        let w = store.bind(&mut tape, 0);
        let b = store.bind(&mut tape, 1);
        // loss = sum(w) + 2 sum(b): gradients 1 for w, 2 for b.
        let sw = tape.sum(w);
        let sb = tape.sum(b);
        let sb2 = tape.mul_scalar(sb, 2.0);
        let loss = tape.add(sw, sb2);
        tape.backward(loss);
        store.accumulate_grads(&tape);
        assert_eq!(
            store.grads(),
            &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
        );
        assert_eq!(
            store.tensor_grad("layers.0.bias"),
            Some(&[2.0, 2.0, 2.0][..])
        );
        store.zero_grads();
        assert!(store.grads().iter().all(|&g| g == 0.0));
    }

    #[test]
    fn from_values_checks_length() {
        let err = ParamStore::from_values(ParamLayout::flat("p", 3), vec![0.0; 4]).unwrap_err();
        assert!(matches!(
            err,
            NnError::LengthMismatch {
                expected: 3,
                len: 4
            }
        ));
    }

    #[test]
    fn a_clone_is_allocated_like_the_original() {
        // 48 MB a buffer: a mapping of its own, as in caadam_autograd::buffer's test.
        let n = 12 * buffer::HUGE_PAGE_MIN_LEN;
        let values: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
        let mut store = ParamStore::from_values(ParamLayout::flat("p", n), values).unwrap();
        store.grads_mut()[n - 1] = 3.0;
        let clone = store.clone();
        assert!(clone == store && clone.grads()[n - 1] == 3.0);
        if buffer::huge_page_advised(store.values()) == Some(true) {
            // Where the OS takes and reports the advice, the clone's buffers carry it as
            // the original's do (a derived Clone, `Vec::clone`, gave ordinary pages).
            assert_eq!(buffer::huge_page_advised(clone.values()), Some(true));
            assert_eq!(buffer::huge_page_advised(clone.grads()), Some(true));
        }
    }

    #[test]
    #[should_panic(expected = "snapshot of 2 values for a store of 3")]
    fn restore_rejects_another_models_snapshot() {
        ParamStore::new(ParamLayout::flat("p", 3)).restore(&[0.0, 0.0]);
    }
}
