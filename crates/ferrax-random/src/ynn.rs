//! What jaxlib's XLA computes where it hands work to YNNPACK.
//!
//! jaxlib 0.10.2's CPU compiler moves every `reduce` (sum, max, min) with at least
//! [`MIN_ELEMENTS`] elements in its operand or result, and every matrix product, into a
//! YNNPACK fusion (`kind=kCustom`, `__ynn_fusion` in its optimised HLO). The fusion grows
//! over neighbouring elementwise ops of at least that many elements in f32, f64 and bf16
//! (not f16). Inside it the arithmetic is YNNPACK's, not XLA's:
//!
//! - no multiply is contracted into a fused multiply-add;
//! - a sum over a short contiguous axis runs in YNNPACK's order (three terms: `(a0 + a2) +
//!   a1`);
//! - bf16 ops run in f32 without rounding to bf16 in between ("excess precision"): only
//!   the fusion's bf16 result is rounded.
//!
//! The pinned plugin has no YNNPACK, so a sampler whose JAX program has such a fusion
//! spells that arithmetic out with the helpers here, and keeps its plain form below the
//! threshold (where jaxlib's own XLA emits the code, and the plugin's matches it).

use ferrax_ir::{Result, Tensor};

use crate::special::opaque;

/// The fewest elements (of an op's result or of one operand) for which jaxlib's XLA
/// prefers YNNPACK (`kMinElements` of XLA's `IsInstructionPreferredByYnn`).
pub(crate) const MIN_ELEMENTS: usize = 4096;

/// Whether an op over a shape of `elements` elements lands in a YNNPACK fusion.
pub(crate) fn prefers(elements: usize) -> bool {
    elements >= MIN_ELEMENTS
}

/// `x` as a value of its own: a result that the plugin's compiler cannot contract into a
/// following add (YNNPACK rounds every op).
pub(crate) fn rounded(x: &Tensor) -> Result<Tensor> {
    opaque(x, x)
}

/// The sum over a last axis of extent 3, in YNNPACK's order `(x0 + x2) + x1`, each term
/// rounded on its own.
pub(crate) fn sum3_last(x: &Tensor) -> Result<Tensor> {
    let axis = x.shape().len().saturating_sub(1);
    let term = |i: usize| -> Result<Tensor> {
        let t = rounded(&x.slice_axis(axis, i, i + 1)?)?;
        let mut s = t.shape().to_vec();
        s.pop();
        t.reshape(s)
    };
    term(0)?.add(&term(2)?)?.add(&term(1)?)
}
