//! Differential tests: every primitive op of `ferrax_ir::Op` run through the PJRT plugin and
//! compared with the host reference evaluator (`ferrax_ir::interp`), on shapes that include
//! scalars and zero-size arrays, with inputs that mix special values (signed zeros,
//! infinities, NaNs, subnormals, integer extremes, shift amounts at and above the bit width,
//! rounding boundaries) with deterministic pseudo-random ones.
//!
//! Results are compared bit for bit (two NaNs are equal whatever their payloads) wherever
//! IEEE 754 or the StableHLO spec fixes the result; transcendental functions and float
//! accumulations get a tolerance stated next to each case. Every tolerance check prints its
//! largest observed error as a `MAXERR` line (`cargo test --test differential -- --nocapture`).
//!
//! The cases live in `tests/differential/*.rs`; the shared helpers (PRNG, input generators,
//! graph builder, runners, comparison) in `tests/support/mod.rs`. Graphs are compiled as
//! built, without host-side constant folding, and take every input as a parameter, so the
//! plugin computes every op. One program usually holds several cases (shapes, dtypes or
//! configurations) to keep the number of compilations, and the run time, small.
//!
//! Where the plugin's behaviour is implementation-defined it is documented next to the cases
//! and pinned in `differential/observed.rs`:
//!
//! * XLA:CPU reads bf16/f32/f64 subnormal operands as zeros and flushes subnormal results
//!   (DAZ/FTZ); the reference keeps them (IEEE). Each element may match either the
//!   reference or the reference's flush-to-zero model ([`support::Opts::flush`]).
//! * `cbrt`, `pow` and `atan2` of subnormal inputs match neither; those elements are not
//!   compared.
//! * float -> int `convert` of NaN and out-of-range values: 0 and saturation, on both sides.
//! * A scatter into a rank-0 operand does not compile in XLA (an internal error).
//!
//! `maximum`/`minimum` used to disagree (the plugin's default "fast" min/max ignores NaN
//! in the second operand and the sign of zero); `ferrax_pjrt::COMPILE_OPTIONS` now turns
//! that off, so they follow the spec.

#[path = "support/mod.rs"]
mod support;

#[path = "differential/elementwise.rs"]
mod elementwise;

#[path = "differential/movement.rs"]
mod movement;

#[path = "differential/reduction.rs"]
mod reduction;

#[path = "differential/observed.rs"]
mod observed;
