//! Host reference evaluator (placeholder; being written).

use crate::{Error, Literal, Op, Result, TensorType};

/// Evaluates one op on host literals (temporary stub until the evaluator lands).
pub fn eval_node(op: &Op, _operands: &[Literal], _outputs: &[TensorType]) -> Result<Vec<Literal>> {
    Err(Error::unsupported(op.name(), "host evaluation is not available yet"))
}
