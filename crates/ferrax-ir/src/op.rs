//! The primitive op set. Every higher-level operation (softmax, layer norm, erf_inv,
//! threefry) is a composition of these. Semantics follow the StableHLO spec op of the same
//! name unless stated otherwise; the result types of a node are stored on the node
//! ([`crate::Node::outputs`]), so attributes here only carry what the types cannot.
//!
//! Each op has, in one place per concern: a shape/dtype rule ([`crate::rules`]), a host
//! reference evaluation ([`crate::interp`]), and a StableHLO lowering (crate `ferrax-stablehlo`).

use crate::{Graph, Literal};
use std::sync::Arc;

/// A nested graph owned by an op (while/cond bodies, reduce and sort comparators, scatter
/// combiners). Its parameters are the region's block arguments, its outputs what it returns.
pub type Region = Arc<Graph>;

/// Elementwise unary ops. Float-only unless noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnaryOp {
    /// `-x` (ints and floats; ints wrap).
    Neg,
    /// `|x|` (signed ints and floats).
    Abs,
    /// -1, 0 or 1 (NaN stays NaN; ints and floats).
    Sign,
    /// Bitwise not for ints, logical not for bool.
    Not,
    /// e^x.
    Exp,
    /// e^x - 1.
    Expm1,
    /// Natural log.
    Log,
    /// log(1 + x).
    Log1p,
    /// Square root (IEEE exact).
    Sqrt,
    /// 1 / sqrt(x).
    Rsqrt,
    /// Cube root.
    Cbrt,
    /// Hyperbolic tangent.
    Tanh,
    /// 1 / (1 + e^-x).
    Logistic,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Error function (lowered to `chlo.erf`).
    Erf,
    /// Round toward -inf.
    Floor,
    /// Round toward +inf.
    Ceil,
    /// Round half away from zero (`stablehlo.round_nearest_afz`).
    Round,
    /// Round half to even (`stablehlo.round_nearest_even`).
    RoundEven,
    /// True where finite (float in, bool out).
    IsFinite,
    /// Population count (ints).
    PopCnt,
    /// Count leading zeros (ints).
    Clz,
}

impl UnaryOp {
    /// Every unary op.
    pub const ALL: [UnaryOp; 24] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Not,
        UnaryOp::Exp,
        UnaryOp::Expm1,
        UnaryOp::Log,
        UnaryOp::Log1p,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Cbrt,
        UnaryOp::Tanh,
        UnaryOp::Logistic,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Erf,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::RoundEven,
        UnaryOp::IsFinite,
        UnaryOp::PopCnt,
        UnaryOp::Clz,
    ];

    /// Lower-case name used in errors and dumps.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Sign => "sign",
            UnaryOp::Not => "not",
            UnaryOp::Exp => "exp",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Log => "log",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Cbrt => "cbrt",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Logistic => "logistic",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Erf => "erf",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Round => "round",
            UnaryOp::RoundEven => "round_even",
            UnaryOp::IsFinite => "is_finite",
            UnaryOp::PopCnt => "popcnt",
            UnaryOp::Clz => "clz",
        }
    }
}

/// Elementwise binary ops on two operands of the same type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinaryOp {
    /// a + b (ints wrap).
    Add,
    /// a - b.
    Sub,
    /// a * b.
    Mul,
    /// a / b (ints truncate toward zero; x/0 for ints is -1 per StableHLO; MIN/-1 = MIN).
    Div,
    /// Remainder with the sign of the dividend (C fmod for floats).
    Rem,
    /// a^b.
    Pow,
    /// Maximum (NaN-propagating for floats).
    Max,
    /// Minimum (NaN-propagating for floats).
    Min,
    /// atan2(a, b) (floats).
    Atan2,
    /// Bitwise/logical and (ints, bool).
    And,
    /// Bitwise/logical or.
    Or,
    /// Bitwise/logical xor.
    Xor,
    /// a << b (ints; shift >= width gives 0).
    ShiftLeft,
    /// Logical right shift (ints; shift >= width gives 0).
    ShiftRightLogical,
    /// Arithmetic right shift (ints; shift >= width gives the sign fill).
    ShiftRightArithmetic,
}

impl BinaryOp {
    /// Every binary op.
    pub const ALL: [BinaryOp; 15] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::Pow,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Atan2,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::ShiftLeft,
        BinaryOp::ShiftRightLogical,
        BinaryOp::ShiftRightArithmetic,
    ];

    /// Lower-case name used in errors and dumps.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Rem => "rem",
            BinaryOp::Pow => "pow",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
            BinaryOp::Atan2 => "atan2",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Xor => "xor",
            BinaryOp::ShiftLeft => "shift_left",
            BinaryOp::ShiftRightLogical => "shift_right_logical",
            BinaryOp::ShiftRightArithmetic => "shift_right_arithmetic",
        }
    }
}

/// Comparison direction. The comparison type (float, signed, unsigned) follows the dtype;
/// float comparisons are IEEE (NaN compares unequal, `ne` is true).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompareDir {
    /// ==
    Eq,
    /// !=
    Ne,
    /// <
    Lt,
    /// <=
    Le,
    /// >
    Gt,
    /// >=
    Ge,
}

impl CompareDir {
    /// Every direction.
    pub const ALL: [CompareDir; 6] = [
        CompareDir::Eq,
        CompareDir::Ne,
        CompareDir::Lt,
        CompareDir::Le,
        CompareDir::Gt,
        CompareDir::Ge,
    ];
    /// Upper-case StableHLO spelling (`EQ`, `LT`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CompareDir::Eq => "EQ",
            CompareDir::Ne => "NE",
            CompareDir::Lt => "LT",
            CompareDir::Le => "LE",
            CompareDir::Gt => "GT",
            CompareDir::Ge => "GE",
        }
    }
}

/// `dot_general` dimension numbers. Result: batch dims, then lhs free dims, then rhs free dims.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct DotDims {
    /// Batch dimensions of the lhs.
    pub lhs_batch: Vec<usize>,
    /// Batch dimensions of the rhs (paired with `lhs_batch`).
    pub rhs_batch: Vec<usize>,
    /// Contracting dimensions of the lhs.
    pub lhs_contract: Vec<usize>,
    /// Contracting dimensions of the rhs (paired with `lhs_contract`).
    pub rhs_contract: Vec<usize>,
}

/// `gather` dimension numbers and slice sizes (StableHLO `gather`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct GatherDims {
    /// Result dims that hold the slice's offset dims.
    pub offset_dims: Vec<usize>,
    /// Operand dims of slice size 1 dropped from the result.
    pub collapsed_slice_dims: Vec<usize>,
    /// Operand batching dims (paired with `start_indices_batching_dims`).
    pub operand_batching_dims: Vec<usize>,
    /// Index batching dims.
    pub start_indices_batching_dims: Vec<usize>,
    /// For each index-vector component, the operand dim it starts.
    pub start_index_map: Vec<usize>,
    /// Dimension of `start_indices` that holds the index vectors (may equal its rank).
    pub index_vector_dim: usize,
    /// Size of the slice taken from the operand in each dim.
    pub slice_sizes: Vec<usize>,
    /// Hint that indices are sorted.
    pub indices_are_sorted: bool,
}

/// `scatter` dimension numbers (StableHLO `scatter`, one operand).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ScatterDims {
    /// Update dims that are window dims.
    pub update_window_dims: Vec<usize>,
    /// Operand dims of window size 1 not present in updates.
    pub inserted_window_dims: Vec<usize>,
    /// Operand batching dims.
    pub input_batching_dims: Vec<usize>,
    /// Index batching dims.
    pub scatter_indices_batching_dims: Vec<usize>,
    /// For each index-vector component, the operand dim it addresses.
    pub scatter_dims_to_operand_dims: Vec<usize>,
    /// Dimension of the indices that holds the index vectors (may equal its rank).
    pub index_vector_dim: usize,
    /// Hint that indices are sorted.
    pub indices_are_sorted: bool,
    /// Hint that indices are unique.
    pub unique_indices: bool,
}

/// Convolution dimension layout (StableHLO `convolution` dimension numbers).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ConvDims {
    /// Input batch dim.
    pub input_batch: usize,
    /// Input feature dim.
    pub input_feature: usize,
    /// Input spatial dims.
    pub input_spatial: Vec<usize>,
    /// Kernel input-feature dim.
    pub kernel_input_feature: usize,
    /// Kernel output-feature dim.
    pub kernel_output_feature: usize,
    /// Kernel spatial dims.
    pub kernel_spatial: Vec<usize>,
    /// Output batch dim.
    pub output_batch: usize,
    /// Output feature dim.
    pub output_feature: usize,
    /// Output spatial dims.
    pub output_spatial: Vec<usize>,
}

/// Convolution attributes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ConvAttrs {
    /// Stride per spatial dim.
    pub window_strides: Vec<usize>,
    /// (low, high) padding per spatial dim (may be negative).
    pub padding: Vec<(i64, i64)>,
    /// Input (lhs) dilation per spatial dim.
    pub lhs_dilation: Vec<usize>,
    /// Kernel (rhs) dilation per spatial dim.
    pub rhs_dilation: Vec<usize>,
    /// Feature groups.
    pub feature_group_count: usize,
    /// Batch groups.
    pub batch_group_count: usize,
    /// Dimension layout.
    pub dims: ConvDims,
}

/// `reduce_window` attributes (one entry per operand dim).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct WindowAttrs {
    /// Window size per dim.
    pub window_dimensions: Vec<usize>,
    /// Window stride per dim.
    pub window_strides: Vec<usize>,
    /// Base (input) dilation per dim.
    pub base_dilations: Vec<usize>,
    /// Window dilation per dim.
    pub window_dilations: Vec<usize>,
    /// (low, high) padding per dim.
    pub padding: Vec<(i64, i64)>,
}

/// A primitive op. Operands are the node's incoming edges in order; results are typed on
/// the node. Operand lists below are written `(a, b, ...)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `()`: the graph's (or region's) input number `index`.
    Parameter {
        /// Position among the graph's parameters.
        index: usize,
    },
    /// `()`: a constant literal (its type is the node's output type).
    Constant(Literal),
    /// `()`: `iota` along `dim` of the output type.
    Iota {
        /// Dimension that counts.
        dim: usize,
    },
    /// `(x)`: elementwise unary op.
    Unary(UnaryOp),
    /// `(a, b)`: elementwise binary op; same types.
    Binary(BinaryOp),
    /// `(a, b)`: elementwise comparison; bool result.
    Compare(CompareDir),
    /// `(pred, on_true, on_false)`: pred is bool, scalar or of the operands' shape.
    Select,
    /// `(min, x, max)`: min and max scalar or of x's shape.
    Clamp,
    /// `(x)`: numeric conversion to the output dtype (float->int truncates toward zero,
    /// saturating is not guaranteed: out-of-range is implementation defined; NaN->int is 0 on XLA).
    Convert,
    /// `(x)`: reinterpret bits as the output dtype of the same width.
    BitcastConvert,
    /// `(x)`: operand dim `i` maps to output dim `dims[i]` (size equal or operand size 1).
    BroadcastInDim {
        /// Output dim of each operand dim (strictly increasing not required).
        dims: Vec<usize>,
    },
    /// `(x)`: row-major reshape to the output shape.
    Reshape,
    /// `(x)`: output dim `i` is operand dim `perm[i]`.
    Transpose {
        /// Permutation.
        perm: Vec<usize>,
    },
    /// `(x)`: static strided slice.
    Slice {
        /// Start per dim.
        start: Vec<usize>,
        /// Exclusive limit per dim.
        limit: Vec<usize>,
        /// Stride per dim (>= 1).
        strides: Vec<usize>,
    },
    /// `(x, s_0, ..., s_{r-1})`: slice of `sizes` at scalar integer starts, clamped into range.
    DynamicSlice {
        /// Slice size per dim.
        sizes: Vec<usize>,
    },
    /// `(x, update, s_0, ..., s_{r-1})`: writes `update` at clamped scalar integer starts.
    DynamicUpdateSlice,
    /// `(x_0, ..., x_n)`: concatenation along `dim`.
    Concatenate {
        /// Dimension joined.
        dim: usize,
    },
    /// `(x, pad_value)`: edge (may be negative) and interior padding; pad_value is a scalar.
    Pad {
        /// Low edge padding per dim.
        low: Vec<i64>,
        /// High edge padding per dim.
        high: Vec<i64>,
        /// Interior padding per dim.
        interior: Vec<usize>,
    },
    /// `(operand, start_indices)`: StableHLO gather (indices are integers).
    Gather(GatherDims),
    /// `(operand, scatter_indices, updates)`: StableHLO scatter; `update` combines
    /// `(current, update)` scalars into the new value.
    Scatter {
        /// Dimension numbers.
        dims: ScatterDims,
        /// Combiner region: two scalar params of the operand dtype, one scalar output.
        update: Region,
    },
    /// `(lhs, rhs)`: generalised matrix product; operands share a dtype, the result dtype
    /// is the node's (it may be wider: the preferred element type).
    DotGeneral(DotDims),
    /// `(x_0..x_{n-1}, init_0..init_{n-1})`: reduce the `dims` with `body`, which takes
    /// `2n` scalars `(acc_0..acc_{n-1}, x_0..x_{n-1})` and returns `n` scalars.
    Reduce {
        /// Dimensions reduced away.
        dims: Vec<usize>,
        /// Reduction body.
        body: Region,
    },
    /// `(x_0..x_{n-1}, init_0..init_{n-1})`: windowed reduction (same body convention as
    /// `Reduce`).
    ReduceWindow {
        /// Window attributes.
        window: WindowAttrs,
        /// Reduction body.
        body: Region,
    },
    /// `(lhs, rhs)`: convolution.
    Convolution(ConvAttrs),
    /// `(x_0..x_{n-1})`: sort all operands along `dim` by `comparator`, which takes `2n`
    /// scalars `(a_0, b_0, a_1, b_1, ...)` and returns a bool "a before b".
    Sort {
        /// Dimension sorted.
        dim: usize,
        /// Keep equal elements in order.
        stable: bool,
        /// Comparator region.
        comparator: Region,
    },
    /// `(init_0..init_{n-1})`: `while cond(v) { v = body(v) }`; both regions take the `n`
    /// carried values; `cond` returns a bool scalar, `body` the next values.
    While {
        /// Loop condition.
        cond: Region,
        /// Loop body.
        body: Region,
    },
    /// `(index, arg_0..arg_{m-1})`: runs `branches[index]` (i32 scalar; out of range runs the
    /// last branch) on the args; every branch has the same result types.
    Case {
        /// Branch regions, each taking the `m` args.
        branches: Vec<Region>,
    },
}

impl Op {
    /// Short name for errors, dumps and DOT labels.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Parameter { .. } => "parameter",
            Op::Constant(_) => "constant",
            Op::Iota { .. } => "iota",
            Op::Unary(u) => u.name(),
            Op::Binary(b) => b.name(),
            Op::Compare(_) => "compare",
            Op::Select => "select",
            Op::Clamp => "clamp",
            Op::Convert => "convert",
            Op::BitcastConvert => "bitcast_convert",
            Op::BroadcastInDim { .. } => "broadcast_in_dim",
            Op::Reshape => "reshape",
            Op::Transpose { .. } => "transpose",
            Op::Slice { .. } => "slice",
            Op::DynamicSlice { .. } => "dynamic_slice",
            Op::DynamicUpdateSlice => "dynamic_update_slice",
            Op::Concatenate { .. } => "concatenate",
            Op::Pad { .. } => "pad",
            Op::Gather(_) => "gather",
            Op::Scatter { .. } => "scatter",
            Op::DotGeneral(_) => "dot_general",
            Op::Reduce { .. } => "reduce",
            Op::ReduceWindow { .. } => "reduce_window",
            Op::Convolution(_) => "convolution",
            Op::Sort { .. } => "sort",
            Op::While { .. } => "while",
            Op::Case { .. } => "case",
        }
    }

    /// The op's nested regions, in a fixed order.
    pub fn regions(&self) -> Vec<&Region> {
        match self {
            Op::Scatter { update, .. } => vec![update],
            Op::Reduce { body, .. } | Op::ReduceWindow { body, .. } => vec![body],
            Op::Sort { comparator, .. } => vec![comparator],
            Op::While { cond, body } => vec![cond, body],
            Op::Case { branches } => branches.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// True if evaluating the op has no effect beyond its results (every primitive here).
    pub fn is_pure(&self) -> bool {
        true
    }
}
