//! What every optimizer keeps besides its hyperparameters: its name, the layout it was
//! built for, the learning rate in force, the step count and its per-element state buffers.
//!
//! The optimizers differ only in their kernels; keeping this part in one place means that
//! saving, restoring and the trait's accessors behave the same for all of them, and a new
//! optimizer cannot forget, say, to restore the learning rate with its buffers.

use caadam_nn::ParamLayout;

use crate::error::ensure_non_negative;
use crate::optimizer::check_lengths;
use crate::parallel::Lanes;
use crate::{FiniteGrads, OptimError, OptimizerState};

/// One per-element state buffer and whether it belongs in a saved record.
#[derive(Debug)]
struct Buffer {
    name: &'static str,
    values: Vec<f32>,
    /// False for a buffer the kernel needs but the configuration never reads (RMSprop's
    /// momentum without momentum): torch does not save it, so neither do we.
    saved: bool,
}

/// A copy allocated as [`Slots::new`] allocates (on memory advised for huge pages when
/// large), so that a cloned optimizer steps as fast as the original.
impl Clone for Buffer {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            values: caadam_autograd::buffer::copy_of(&self.values),
            saved: self.saved,
        }
    }
}

/// The shared state of an optimizer; each optimizer's `Optimizer` impl delegates its
/// accessors, `state` and `load_state` here. The state buffers are allocated like the
/// parameters ([`caadam_autograd::buffer`]: large ones advised for huge pages).
#[derive(Clone, Debug)]
pub(crate) struct Slots {
    name: &'static str,
    layout: ParamLayout,
    /// The learning rate in force, in f64 like the hyperparameters (schedules change it).
    pub lr: f64,
    /// Steps taken so far.
    pub step: u64,
    /// Whether `Optimizer::step` scans the gradients for non-finite values (a run-time
    /// policy, not state: it is not saved).
    pub finite_check: bool,
    buffers: Vec<Buffer>,
}

impl Slots {
    /// Slots for optimizer `name` on `layout`, with one buffer per `(name, initial value)`
    /// of `buffers`, in record order. Checks `lr >= 0` first, as every optimizer's
    /// constructor did, so that an invalid learning rate is the error reported first.
    pub fn new(
        name: &'static str,
        layout: &ParamLayout,
        lr: f64,
        buffers: &[(&'static str, f32)],
    ) -> Result<Self, OptimError> {
        ensure_non_negative(name, &[("lr", lr)])?;
        Ok(Self {
            name,
            layout: layout.clone(),
            lr,
            step: 0,
            finite_check: true,
            buffers: buffers
                .iter()
                .map(|&(name, init)| Buffer {
                    name,
                    values: caadam_autograd::buffer::filled(layout.len(), init),
                    saved: true,
                })
                .collect(),
        })
    }

    /// Leaves the buffer `name` out of saved records unless `saved`.
    pub fn saved_if(mut self, name: &str, saved: bool) -> Self {
        for b in self.buffers.iter_mut().filter(|b| b.name == name) {
            b.saved = saved;
        }
        self
    }

    /// The optimizer's lower-case name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The layout the optimizer was built for.
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// The learning rate as the trait reports it.
    pub fn learning_rate(&self) -> f32 {
        self.lr as f32
    }

    /// Sets the learning rate from the trait's f32.
    pub fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr as f64;
    }

    /// True when there is no state buffer (SGD without momentum).
    pub fn is_stateless(&self) -> bool {
        self.buffers.is_empty()
    }

    /// The length checks every update starts with (`check_step`'s first half); hands back
    /// the gradients as a slice for the kernels.
    pub fn check_lengths<'g>(
        &self,
        params: &[f32],
        grads: FiniteGrads<'g>,
    ) -> Result<&'g [f32], OptimError> {
        let grads = grads.get();
        check_lengths(&self.layout, params, grads)?;
        Ok(grads)
    }

    /// The parameters, gradients and all `K` state buffers, in creation order, ready for
    /// [`crate::parallel::for_each_chunk`]. `K` must be the number of buffers.
    pub fn lanes<'a, const K: usize>(
        &'a mut self,
        params: &'a mut [f32],
        grads: &'a [f32],
    ) -> Lanes<'a, K> {
        assert_eq!(self.buffers.len(), K, "Slots::lanes: buffer count");
        let mut state = self.buffers.iter_mut().map(|b| b.values.as_mut_slice());
        Lanes::new(
            params,
            grads,
            std::array::from_fn(|_| state.next().expect("K buffers")),
        )
    }

    /// A record of the saved buffers, the step, the learning rate and `scalars`.
    pub fn state(&self, scalars: Vec<(String, f64)>) -> OptimizerState {
        let buffers: Vec<(&str, &[f32])> = self
            .saved()
            .map(|b| (b.name, b.values.as_slice()))
            .collect();
        OptimizerState::capture(
            self.name,
            self.step,
            self.lr,
            &self.layout,
            &buffers,
            scalars,
        )
    }

    /// Checks that `state` can be restored into these slots; changes nothing.
    pub fn validate(&self, state: &OptimizerState) -> Result<(), OptimError> {
        let names: Vec<&str> = self.saved().map(|b| b.name).collect();
        state.validate(self.name, &self.layout, &names)
    }

    /// Restores the saved buffers, the step and the learning rate from a record already
    /// checked with [`Slots::validate`].
    pub fn restore(&mut self, state: &OptimizerState) {
        let layout = &self.layout;
        for (i, b) in self.buffers.iter_mut().filter(|b| b.saved).enumerate() {
            state.restore_buffer(i, layout, &mut b.values);
        }
        self.step = state.step;
        self.lr = state.learning_rate;
    }

    /// [`Slots::validate`], then [`Slots::restore`]: on error nothing is changed.
    pub fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        self.validate(state)?;
        self.restore(state);
        Ok(())
    }

    fn saved(&self) -> impl Iterator<Item = &Buffer> {
        self.buffers.iter().filter(|b| b.saved)
    }
}

/// Writes the `Optimizer` methods that only read or write the [`Slots`] in the field
/// `slots`: `learning_rate`, `set_learning_rate`, `name`, `steps`, `layout`, `finite_check`
/// and `set_finite_check`, and, unless called as `delegate_to_slots!(accessors)` by an
/// optimizer with scalar state of its own, `state` and `load_state`. A macro rather than delegations written out because these methods are
/// the same, line for line, in every optimizer: written once, they cannot drift apart.
macro_rules! delegate_to_slots {
    (accessors) => {
        fn learning_rate(&self) -> f32 {
            self.slots.learning_rate()
        }

        fn set_learning_rate(&mut self, lr: f32) {
            self.slots.set_learning_rate(lr);
        }

        fn name(&self) -> &str {
            self.slots.name()
        }

        fn steps(&self) -> u64 {
            self.slots.step
        }

        fn layout(&self) -> &caadam_nn::ParamLayout {
            self.slots.layout()
        }

        fn finite_check(&self) -> bool {
            self.slots.finite_check
        }

        fn set_finite_check(&mut self, check: bool) {
            self.slots.finite_check = check;
        }
    };
    () => {
        $crate::slots::delegate_to_slots!(accessors);

        fn state(&self) -> $crate::OptimizerState {
            self.slots.state(vec![])
        }

        fn load_state(&mut self, state: &$crate::OptimizerState) -> Result<(), $crate::OptimError> {
            self.slots.load_state(state)
        }
    };
}
pub(crate) use delegate_to_slots;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsaved_buffers_are_neither_written_nor_expected() {
        let layout = ParamLayout::flat("w", 2);
        let mut a = Slots::new("x", &layout, 0.5, &[("kept", 1.0), ("scratch", 2.0)])
            .unwrap()
            .saved_if("scratch", false);
        a.step = 3;
        let state = a.state(vec![]);
        assert_eq!(
            state.params[0].buffers,
            vec![("kept".into(), vec![1.0, 1.0])]
        );
        let mut b = Slots::new("x", &layout, 0.1, &[("kept", 0.0), ("scratch", 0.0)])
            .unwrap()
            .saved_if("scratch", false);
        b.load_state(&state).unwrap();
        assert_eq!(
            (b.step, b.lr, b.buffers[0].values.clone()),
            (3, 0.5, vec![1.0, 1.0])
        );
        // The scratch buffer keeps its own values.
        assert_eq!(b.buffers[1].values, vec![0.0, 0.0]);
    }

    #[test]
    fn a_clone_is_allocated_like_the_original() {
        use caadam_autograd::buffer::{huge_page_advised, HUGE_PAGE_MIN_LEN};
        // 48 MB a buffer: a mapping of its own, as in caadam_autograd::buffer's test.
        let layout = ParamLayout::flat("w", 12 * HUGE_PAGE_MIN_LEN);
        let mut a = Slots::new("x", &layout, 0.5, &[("m", 0.0), ("v", 1.0)]).unwrap();
        a.buffers[0].values[7] = 2.5;
        let b = a.clone();
        assert_eq!(b.buffers[0].values, a.buffers[0].values);
        assert_eq!(b.buffers[1].values, a.buffers[1].values);
        if huge_page_advised(&a.buffers[0].values) == Some(true) {
            // Where the OS reports the advice, the clone carries it too (a derived Clone,
            // `Vec::clone`, gave ordinary pages).
            for buffer in &b.buffers {
                assert_eq!(
                    huge_page_advised(&buffer.values),
                    Some(true),
                    "{}",
                    buffer.name
                );
            }
        }
    }

    #[test]
    fn a_negative_learning_rate_is_refused() {
        let err = Slots::new("x", &ParamLayout::flat("w", 1), -1.0, &[]).unwrap_err();
        assert_eq!(err.to_string(), "invalid configuration for x: lr -1 < 0");
    }
}
