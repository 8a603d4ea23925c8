//! # caadam-autograd
//!
//! A small tape-based reverse-mode automatic differentiation engine over `f32` tensors,
//! written to be read.
//!
//! - [`Tensor`]: a contiguous row-major `f32` buffer and a shape.
//! - [`Tape`]: records every op as a node in an append-only list. A [`Var`] is a copyable
//!   index into it. Because a node only refers to earlier nodes, push order is topological
//!   and [`Tape::backward`] is one reverse scan.
//! - Ops (methods of `Tape`): `matmul`, `affine` (`x w + b`, a dense layer, as one node)
//!   and `affine_relu` (a hidden layer and its ReLU, as one node); `add`, `sub`, `mul`,
//!   `div` with NumPy broadcasting; pointwise maps and activations; reductions;
//!   reshape/transpose/concat; softmax and log_softmax; the losses `mse`, `mae`, `huber`,
//!   `bce_with_logits`, `cross_entropy`. Each op's forward and backward rule sit side by
//!   side in `src/ops/`, and backward dispatches through one exhaustive `match`
//!   (`src/op.rs`), so an op without a backward rule does not compile.
//! - [`gradcheck()`]: compares backward against central differences; the test suite runs it
//!   on every op.
//! - [`buffer`]: how the long-lived flat buffers (parameters, gradients, optimizer state)
//!   are allocated: large ones on memory advised for huge pages.
//!
//! ## Training a linear model
//!
//! ```
//! use caadam_autograd::Tape;
//!
//! // fit y = 2x + 1 with plain gradient descent
//! let xs = [0.0, 1.0, 2.0, 3.0];
//! let ys = [1.0, 3.0, 5.0, 7.0];
//! let (mut w, mut b) = (vec![0.0f32], vec![0.0f32]);
//! let mut tape = Tape::new();
//! for _step in 0..500 {
//!     let x = tape.input_from(&xs, &[4, 1]);
//!     let y = tape.input_from(&ys, &[4, 1]);
//!     let wv = tape.param(&w, &[1, 1], 0);
//!     let bv = tape.param(&b, &[1], 1);
//!     let xw = tape.matmul(x, wv);
//!     let pred = tape.add(xw, bv); // [4,1] + [1] broadcasts
//!     let loss = tape.mse(pred, y);
//!     tape.backward(loss);
//!     for (slot, g) in tape.param_grads() {
//!         let p = if slot == 0 { &mut w } else { &mut b };
//!         p[0] -= 0.1 * g.data()[0];
//!     }
//!     tape.clear(); // keeps every buffer for the next step
//! }
//! assert!((w[0] - 2.0).abs() < 1e-3 && (b[0] - 1.0).abs() < 1e-3);
//! ```
//!
//! ## Rules worth knowing
//!
//! - **One backward per step.** A second [`Tape::backward`] before [`Tape::clear`] panics
//!   rather than silently adding a second set of gradients to the first.
//! - **Misuse panics with the op's name and the shapes involved**: shape mismatches, the
//!   backward of a non-scalar, a [`Var`] from another tape (or from before `clear`).
//! - **Allocation.** Node values and gradients come from a buffer pool that `clear` refills,
//!   and the node list keeps its capacity, so a warm step of the same shapes makes no
//!   allocation. The matrix products of small models (a right operand of up to 2^15
//!   elements) run on the crate's own register-blocked kernel, which needs no packing
//!   buffer; mid-sized ones (up to 2^18) on the same kernel with the right operand packed
//!   into the tape's reused scratch buffer (or, for a transposed right operand and a small
//!   left one, computed transposed there); larger ones go to matrixmultiply's `sgemm`, which
//!   allocates (and frees) a packing buffer per call. `tests/allocations.rs` checks that warm
//!   steps with small and with mid-sized products allocate nothing.
//! - **SIMD.** The crate is compiled for the target's baseline, so one binary runs on any
//!   x86-64 CPU; the elementwise loops (maps, bias and activation gradients) and the matmul
//!   kernel are also compiled for AVX-512 and AVX2 and picked at run time ([`simd`],
//!   [`simd_kernel!`]), with the same arithmetic per element on every path.
//! - **Gradient buffers.** A backward rule that writes a whole gradient stores its first
//!   contribution into a recycled buffer and adds the later ones (no zero fill first);
//!   `tests/tape_semantics.rs` poisons the pool with NaN to check that every rule does.
//! - **Threads and determinism.** Elementwise work on buffers of at least
//!   [`PAR_THRESHOLD`] elements runs on rayon; smaller ones on the calling thread. Full
//!   reductions (sum, mean, losses) sum fixed [`CHUNK`]-sized pieces in `f64` and combine
//!   them in order; axis reductions and broadcast gradients are summed on one thread in index
//!   order. So results are bit-identical for any rayon pool size. A large matrix product
//!   for the small kernel is cut into fixed blocks of rows, the same for any pool size,
//!   each computed on one thread; the kernel computes every element as one fused
//!   multiply-add chain over the inner dimension, whatever its blocking, whether its right
//!   operand was packed first, and whether it was computed transposed. The two backward
//!   products of a large `matmul` run side by side on a pool of more than one thread, each
//!   computed as it would be alone. One for matrixmultiply's `sgemm` is cut into one piece
//!   per thread, which does not change its bits either: `sgemm` computes each element the
//!   same way whatever part of C a call covers (tested on 1 to 4 pieces, and in
//!   `tests/determinism.rs` on 1, 2 and 3 threads). matrixmultiply is used without its
//!   `threading` feature (keep it that way). (Bit-identity holds across thread counts on one
//!   machine; a CPU without FMA, or with other SIMD features, may round differently in
//!   matmul, and libm may differ across platforms.)

pub mod buffer;
mod erf;
mod gemm;
mod gradcheck;
mod op;
mod ops;
mod parallel;
mod pool;
mod shape;
pub mod simd;
mod tape;
mod tensor;

pub use erf::erf;
pub use gradcheck::{gradcheck, GradcheckError, GradcheckOptions};
pub use parallel::{
    parallel_add_finite, parallel_copy, parallel_copy_finite, parallel_map_finite, CHUNK,
    PAR_THRESHOLD,
};
pub use shape::MAX_RANK;
pub use tape::{Tape, Var};
pub use tensor::Tensor;
