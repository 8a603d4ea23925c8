//! The tape: an append-only list of nodes, and reverse-mode differentiation over it.
//!
//! Every op pushes one node holding its value and how it was computed ([`Op`]). Because a
//! node can only refer to nodes pushed before it, push order is already a topological order,
//! and `backward` is a single scan from the loss back to the first node.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::op::{self, Op};
use crate::pool::BufferPool;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// A handle to a value recorded on a [`Tape`]: the node's index plus the identity of the tape
/// (and of the step, see [`Tape::clear`]) it belongs to. Cheap to copy.
///
/// ```
/// let mut tape = caadam_autograd::Tape::new();
/// let x = tape.input_from(&[1.0, 2.0], &[2]);
/// let y = x; // Copy
/// assert_eq!(tape.value(y).data(), &[1.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var {
    tape: u32,
    epoch: u32,
    index: u32,
}

/// One recorded value and the op that made it.
pub(crate) struct Node {
    pub(crate) value: Tensor,
    pub(crate) op: Op,
    /// True if some parameter leaf flows into this node, so a gradient must flow back.
    pub(crate) requires_grad: bool,
    /// False for tensors handed in by the caller (`Tape::input`); those are dropped on
    /// `clear` instead of growing the pool with buffers it did not lend.
    pooled: bool,
}

static NEXT_TAPE_ID: AtomicU32 = AtomicU32::new(1);

/// Records ops on tensors and computes gradients of a scalar loss by reverse-mode autodiff.
///
/// A training step records a forward pass, calls [`backward`](Tape::backward) once, reads the
/// parameter gradients with [`param_grads`](Tape::param_grads), then calls
/// [`clear`](Tape::clear), which keeps every allocation for the next step.
///
/// ```
/// use caadam_autograd::Tape;
/// let mut tape = Tape::new();
/// let w = tape.param(&[2.0], &[1], 0);
/// let x = tape.input_from(&[3.0], &[1]);
/// let y = tape.mul(w, x);
/// let loss = tape.sum(y);
/// tape.backward(loss);
/// assert_eq!(tape.grad(w).unwrap().data(), &[3.0]); // d(w*x)/dw = x
/// ```
pub struct Tape {
    id: u32,
    /// Bumped by `clear`, so a `Var` kept from an earlier step is caught.
    epoch: u32,
    recording: bool,
    pub(crate) nodes: Vec<Node>,
    grads: Vec<Option<Tensor>>,
    /// (node index, caller's slot) of every parameter leaf, in push order.
    params: Vec<(usize, usize)>,
    /// Variable-length op arguments (concat inputs, cross-entropy labels), referenced by range.
    pub(crate) arena: Vec<usize>,
    pub(crate) pool: BufferPool,
    /// Scratch for chunked reductions.
    pub(crate) partials: Vec<f64>,
    /// Scratch for a row-major copy of a matmul operand (see `crate::gemm`): one for each
    /// of two backward products that run side by side (the forward uses the first).
    pub(crate) gemm_scratch: [Vec<f32>; 2],
    backward_done: bool,
}

impl Default for Tape {
    /// Same as [`Tape::new`].
    ///
    /// ```
    /// let tape = caadam_autograd::Tape::default();
    /// assert!(tape.is_empty());
    /// ```
    fn default() -> Self {
        Tape::new()
    }
}

impl Tape {
    /// A tape that records what `backward` needs.
    ///
    /// ```
    /// let tape = caadam_autograd::Tape::new();
    /// assert_eq!(tape.len(), 0);
    /// ```
    pub fn new() -> Tape {
        Tape::with_recording(true)
    }

    /// A tape for inference: ops compute the same values, but no backward information is
    /// kept and no gradient is ever wanted; [`backward`](Tape::backward) panics.
    ///
    /// ```
    /// use caadam_autograd::Tape;
    /// let mut tape = Tape::inference();
    /// let w = tape.param(&[2.0], &[1], 0);
    /// let y = tape.mul_scalar(w, 3.0);
    /// assert_eq!(tape.value(y).data(), &[6.0]);
    /// ```
    pub fn inference() -> Tape {
        Tape::with_recording(false)
    }

    fn with_recording(recording: bool) -> Tape {
        Tape {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            epoch: 0,
            recording,
            nodes: Vec::new(),
            grads: Vec::new(),
            params: Vec::new(),
            arena: Vec::new(),
            pool: BufferPool::default(),
            partials: Vec::new(),
            gemm_scratch: [Vec::new(), Vec::new()],
            backward_done: false,
        }
    }

    /// Number of recorded nodes.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// tape.input_from(&[1.0], &[1]);
    /// assert_eq!(tape.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if nothing has been recorded since creation or the last `clear`.
    ///
    /// ```
    /// assert!(caadam_autograd::Tape::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// True for tapes made by [`Tape::new`], false for [`Tape::inference`].
    ///
    /// ```
    /// assert!(!caadam_autograd::Tape::inference().is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// A leaf that takes ownership of `t` and wants no gradient (data, targets).
    ///
    /// ```
    /// use caadam_autograd::{Tape, Tensor};
    /// let mut tape = Tape::new();
    /// let x = tape.input(Tensor::ones(&[2, 3]));
    /// assert_eq!(tape.shape(x), &[2, 3]);
    /// ```
    pub fn input(&mut self, t: Tensor) -> Var {
        self.push_node(t, Op::Input, false, false)
    }

    /// A leaf that wants no gradient, copied from `data` into a pooled buffer (allocation-free
    /// once warm). Panics if `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0, 2.0, 3.0], &[3, 1]);
    /// assert_eq!(tape.value(x).get(&[2, 0]), 3.0);
    /// ```
    pub fn input_from(&mut self, data: &[f32], shape: &[usize]) -> Var {
        let value = self.pooled_copy(data, shape, "Tape::input_from");
        self.push_node(value, Op::Input, false, true)
    }

    /// A leaf that wants a gradient. `slot` is an opaque id chosen by the caller (caadam-nn
    /// uses the parameter's segment index) and returned with the gradient by
    /// [`param_grads`](Tape::param_grads).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let w = tape.param(&[1.0, -1.0], &[2], 7);
    /// let loss = tape.sum(w);
    /// tape.backward(loss);
    /// let (slot, g) = tape.param_grads().next().unwrap();
    /// assert_eq!((slot, g.data()), (7, &[1.0, 1.0][..]));
    /// ```
    pub fn param(&mut self, data: &[f32], shape: &[usize], slot: usize) -> Var {
        let value = self.pooled_copy(data, shape, "Tape::param");
        if !self.recording {
            return self.push_node(value, Op::Input, false, true);
        }
        let index = self.nodes.len();
        self.params.push((index, slot));
        self.push_node(value, Op::Param, true, true)
    }

    fn pooled_copy(&mut self, data: &[f32], shape: &[usize], op: &str) -> Tensor {
        let s = Shape::new(shape, op);
        assert_eq!(
            data.len(),
            s.numel(),
            "{op}: data has {} elements but shape {shape:?} needs {}",
            data.len(),
            s.numel()
        );
        Tensor::from_parts(self.pool.copy_of(data), s)
    }

    /// The value of `v`.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[-1.0, 2.0], &[2]);
    /// let y = tape.relu(x);
    /// assert_eq!(tape.value(y).data(), &[0.0, 2.0]);
    /// ```
    pub fn value(&self, v: Var) -> &Tensor {
        &self.nodes[self.index(v, "Tape::value")].value
    }

    /// The shape of `v`'s value.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[0.0; 6], &[2, 3]);
    /// assert_eq!(tape.shape(x), &[2, 3]);
    /// ```
    pub fn shape(&self, v: Var) -> &[usize] {
        self.value(v).shape()
    }

    /// The gradient of the loss with respect to `v`, after [`backward`](Tape::backward).
    /// `None` before backward, for nodes no parameter flows into (inputs, targets), and for
    /// nodes the loss does not depend on. Parameters always have one (see `param_grads`).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.input_from(&[1.0], &[1]);
    /// let w = tape.param(&[2.0], &[1], 0);
    /// let y = tape.mul(x, w);
    /// let loss = tape.sum(y);
    /// tape.backward(loss);
    /// assert!(tape.grad(x).is_none());
    /// assert_eq!(tape.grad(w).unwrap().data(), &[1.0]);
    /// ```
    pub fn grad(&self, v: Var) -> Option<&Tensor> {
        let i = self.index(v, "Tape::grad");
        self.grads.get(i).and_then(Option::as_ref)
    }

    /// After backward: `(slot, gradient)` for every parameter leaf, in push order. A parameter
    /// the loss does not depend on gets a zero gradient. Empty before backward.
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let a = tape.param(&[1.0], &[1], 10);
    /// let _unused = tape.param(&[1.0], &[1], 11);
    /// let loss = tape.sum(a);
    /// tape.backward(loss);
    /// let grads: Vec<(usize, f32)> = tape.param_grads().map(|(s, g)| (s, g.item())).collect();
    /// assert_eq!(grads, vec![(10, 1.0), (11, 0.0)]);
    /// ```
    pub fn param_grads(&self) -> impl Iterator<Item = (usize, &Tensor)> + '_ {
        let done = self.backward_done;
        self.params
            .iter()
            .filter(move |_| done)
            .map(|&(node, slot)| {
                (
                    slot,
                    self.grads[node]
                        .as_ref()
                        .expect("param grad set by backward"),
                )
            })
    }

    /// Computes the gradient of `loss` (which must have exactly one element) with respect to
    /// every node that depends on a parameter, by one reverse scan over the tape. A node used
    /// several times receives the sum of its uses' contributions.
    ///
    /// **A tape supports one `backward` per step.** A second call before [`clear`](Tape::clear)
    /// panics instead of silently adding a second set of gradients to the first. To train,
    /// record, call `backward`, read the gradients, then `clear`.
    ///
    /// Panics if `loss` has more than one element, comes from another tape, or the tape was
    /// made with [`Tape::inference`].
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let x = tape.param(&[3.0], &[], 0);
    /// let y = tape.mul(x, x); // x used twice: dy/dx = 2x
    /// tape.backward(y);
    /// assert_eq!(tape.grad(x).unwrap().item(), 6.0);
    /// ```
    pub fn backward(&mut self, loss: Var) {
        let loss = self.index(loss, "backward");
        assert!(
            self.recording,
            "backward: this tape was made with Tape::inference() and records no backward information"
        );
        assert!(
            !self.backward_done,
            "backward: called a second time on the same tape; gradients are not accumulated \
             across calls (call Tape::clear() and record a new forward pass first)"
        );
        let loss_value = &self.nodes[loss].value;
        assert_eq!(
            loss_value.len(),
            1,
            "backward: the loss must have exactly one element, got shape {:?} ({} elements); \
             reduce it first (e.g. with sum or mean)",
            loss_value.shape(),
            loss_value.len()
        );
        self.backward_done = true;

        self.grads.clear();
        self.grads.resize_with(self.nodes.len(), || None);
        let mut seed = self.pool.zeros(1);
        seed[0] = 1.0;
        self.grads[loss] = Some(Tensor::from_parts(seed, loss_value.shape_inline()));

        let mut sink = GradSink {
            nodes: &self.nodes,
            grads: &mut self.grads,
            pool: &mut self.pool,
            scratch: &mut self.gemm_scratch,
        };
        // Nodes after the loss cannot affect it; nodes before it are visited after every
        // node that uses them, because uses are always pushed later.
        for i in (0..=loss).rev() {
            if !self.nodes[i].requires_grad {
                continue;
            }
            let Some(g) = sink.grads[i].take() else {
                continue;
            };
            op::backward(
                &self.nodes[i].op,
                i,
                g.data(),
                &self.nodes,
                &self.arena,
                &mut sink,
            );
            sink.grads[i] = Some(g);
        }
        // Every parameter gets a gradient, zero if the loss does not depend on it.
        for &(node, _) in &self.params {
            sink.of(node);
        }
    }

    /// Forgets every node and gradient, keeping all allocations: the node list keeps its
    /// capacity and every pooled buffer goes back to the pool, so the next step of the same
    /// shape allocates nothing. `Var`s from before the clear become invalid (using one panics).
    ///
    /// ```
    /// let mut tape = caadam_autograd::Tape::new();
    /// let w = tape.param(&[1.0], &[1], 0);
    /// let loss = tape.sum(w);
    /// tape.backward(loss);
    /// tape.clear();
    /// assert!(tape.is_empty());
    /// let w = tape.param(&[5.0], &[1], 0); // a new step
    /// let loss = tape.sum(w);
    /// tape.backward(loss);
    /// assert_eq!(tape.grad(w).unwrap().item(), 1.0);
    /// ```
    pub fn clear(&mut self) {
        for node in self.nodes.drain(..) {
            if node.pooled {
                self.pool.give(node.value.into_data());
            }
        }
        for g in self.grads.drain(..).flatten() {
            self.pool.give(g.into_data());
        }
        self.params.clear();
        self.arena.clear();
        self.backward_done = false;
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// The node index of `v`, after checking that `v` belongs to this tape and step.
    pub(crate) fn index(&self, v: Var, op: &str) -> usize {
        assert!(
            v.tape == self.id,
            "{op}: Var belongs to another tape (tape #{}, this is tape #{}); Vars cannot be \
             shared between tapes",
            v.tape,
            self.id
        );
        assert!(
            v.epoch == self.epoch,
            "{op}: Var was recorded before Tape::clear() and is no longer valid"
        );
        v.index as usize
    }

    /// Whether a gradient must flow into node `i`.
    pub(crate) fn needs_grad(&self, i: usize) -> bool {
        self.nodes[i].requires_grad
    }

    /// Appends the result of an op. On an inference tape the op is not kept.
    pub(crate) fn push(&mut self, value: Tensor, op: Op, requires_grad: bool) -> Var {
        self.push_node(value, op, requires_grad, true)
    }

    fn push_node(&mut self, value: Tensor, op: Op, requires_grad: bool, pooled: bool) -> Var {
        let (op, requires_grad) = if self.recording {
            (op, requires_grad)
        } else {
            (Op::Input, false)
        };
        let index = u32::try_from(self.nodes.len()).expect("tape holds at most u32::MAX nodes");
        self.nodes.push(Node {
            value,
            op,
            requires_grad,
            pooled,
        });
        Var {
            tape: self.id,
            epoch: self.epoch,
            index,
        }
    }
}

/// Where backward rules add their contributions: the gradient buffers of earlier nodes.
pub(crate) struct GradSink<'t> {
    nodes: &'t [Node],
    grads: &'t mut Vec<Option<Tensor>>,
    pool: &'t mut BufferPool,
    scratch: &'t mut [Vec<f32>; 2],
}

/// Where a matmul backward product goes: the gradient buffer, how to write it (see
/// [`GradSink::write`]), and a scratch buffer for the product (see `crate::gemm`).
pub(crate) type ProductTarget<'a> = (&'a mut [f32], Write, &'a mut Vec<f32>);

impl GradSink<'_> {
    /// Whether node `i` takes a gradient (otherwise rules skip computing it).
    pub(crate) fn wants(&self, i: usize) -> bool {
        self.nodes[i].requires_grad
    }

    /// The gradient buffer of node `i`, created as zeros on first use; rules add into it.
    pub(crate) fn of(&mut self, i: usize) -> &mut [f32] {
        let slot = &mut self.grads[i];
        if slot.is_none() {
            let value = &self.nodes[i].value;
            *slot = Some(Tensor::from_parts(
                self.pool.zeros(value.len()),
                value.shape_inline(),
            ));
        }
        slot.as_mut().map(Tensor::data_mut).expect("just set")
    }

    /// The gradient buffer of node `i` for a rule that writes every element of it, and how
    /// to write: on the first contribution a buffer with unspecified contents and
    /// [`Write::Assign`], so the rule stores its values instead of adding them to a
    /// zero-filled buffer (the fill and the extra read were about 5% of a small MLP's step);
    /// on later ones the existing buffer and [`Write::Add`].
    pub(crate) fn write(&mut self, i: usize) -> (&mut [f32], Write) {
        write_slot(&mut self.grads[i], &self.nodes[i], self.pool)
    }

    /// A pooled buffer of `len` floats with unspecified contents, for a rule's intermediate
    /// result; give it back with [`recycle`](GradSink::recycle).
    pub(crate) fn scratch_buffer(&mut self, len: usize) -> Vec<f32> {
        self.pool.for_overwrite(len)
    }

    /// Returns a buffer from [`scratch_buffer`](GradSink::scratch_buffer) to the pool.
    pub(crate) fn recycle(&mut self, buf: Vec<f32>) {
        self.pool.give(buf);
    }

    /// [`write_with_scratch`](GradSink::write_with_scratch) for two different nodes at
    /// once, each with its own scratch buffer (for two backward products run side by side).
    pub(crate) fn write_two(
        &mut self,
        i: usize,
        j: usize,
    ) -> (ProductTarget<'_>, ProductTarget<'_>) {
        assert_ne!(i, j, "GradSink::write_two: one node twice");
        let (lo, hi) = (i.min(j), i.max(j));
        let (left, right) = self.grads.split_at_mut(hi);
        let (g_lo, mode_lo) = write_slot(&mut left[lo], &self.nodes[lo], self.pool);
        let (g_hi, mode_hi) = write_slot(&mut right[0], &self.nodes[hi], self.pool);
        let [s_i, s_j] = &mut *self.scratch;
        if i < j {
            ((g_lo, mode_lo, s_i), (g_hi, mode_hi, s_j))
        } else {
            ((g_hi, mode_hi, s_i), (g_lo, mode_lo, s_j))
        }
    }

    /// [`write`](GradSink::write), plus the tape's matmul scratch buffer (see `crate::gemm`).
    pub(crate) fn write_with_scratch(&mut self, i: usize) -> ProductTarget<'_> {
        let (grad, mode) = write_slot(&mut self.grads[i], &self.nodes[i], self.pool);
        (grad, mode, &mut self.scratch[0])
    }
}

/// See [`GradSink::write`] (a free function so that it borrows only the fields it needs).
fn write_slot<'a>(
    slot: &'a mut Option<Tensor>,
    node: &Node,
    pool: &mut BufferPool,
) -> (&'a mut [f32], Write) {
    let mode = if slot.is_none() {
        let buf = pool.for_overwrite(node.value.len());
        *slot = Some(Tensor::from_parts(buf, node.value.shape_inline()));
        Write::Assign
    } else {
        Write::Add
    };
    (slot.as_mut().map(Tensor::data_mut).expect("just set"), mode)
}

/// How a backward rule writes its contribution to a gradient buffer (see
/// [`GradSink::write`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// The buffer holds garbage: store the contribution.
    Assign,
    /// The buffer holds earlier contributions: add to them.
    Add,
}
