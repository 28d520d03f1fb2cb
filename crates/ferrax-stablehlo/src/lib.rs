//! # ferrax-stablehlo
//!
//! Lowers a finished [`ferrax_ir::Graph`] to a StableHLO MLIR module in text form, ready to
//! hand to a PJRT plugin (program format `"mlir"`).
//!
//! ## The text form
//!
//! The module uses the pretty form of `module` and `func.func` and the *generic* form for
//! every StableHLO op:
//!
//! ```text
//! module @tiny {
//!   func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> (tensor<2x3xf32>) {
//!     %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
//!     return %0 : tensor<2x3xf32>
//!   }
//! }
//! ```
//!
//! The generic op form has one spelling for every op across StableHLO versions (the pretty
//! forms have changed between releases) and needs no custom parser per op. Nothing newer
//! than StableHLO 1.13 is emitted; every op kind was compiled and run on the XLA CPU PJRT
//! plugin `xla-cpu-pjrt` 0.0.1 (StableHLO 1.13.3). `erf` lowers to `chlo.erf`, which XLA
//! plugins accept in text and legalise themselves.
//!
//! SSA names are unique across the whole function (regions included): function arguments
//! are `%argN`, every other value `%N` from a single counter; ops with several results are
//! written `%N:k = ...` and used as `%N#i`.
//!
//! ## Types
//!
//! `tensor<2x3xf32>`, scalars `tensor<f32>`, zero-size `tensor<0x3xf32>`; bool is `i1`,
//! signed integers `i8`..`i64`, unsigned `ui8`..`ui64`, floats `f16`, `bf16`, `f32`, `f64`.
//!
//! ## Constants
//!
//! Constants are bit-exact: a splat (all elements equal, bit for bit) prints its one value
//! (`dense<1.0>`, `dense<7>`, `dense<true>`; floats that are not finite print as their bit
//! pattern, `dense<0x7FC00000>`); other constants print their little-endian bytes as a hex
//! string (`dense<"0x0000803F...">`), except bool, which prints nested `true`/`false` lists
//! (the plugin's MLIR reads `i1` hex data bit-packed and rejects one byte per element).
//!
//! ## Ops needing more than a rename
//!
//! - `sign` of an unsigned integer lowers to `minimum(x, 1)` (StableHLO's `sign` takes
//!   signed integers and floats only).
//! - `max`/`min` of bools lower to `or`/`and`.
//! - dynamic slice / update start indices of mixed integer types are converted to `i64`.
//! - `case` regions take no block arguments in StableHLO: a branch's parameters are bound
//!   to the case op's operands (after the index) from the enclosing scope.

#![warn(missing_docs)]

use ferrax_ir::{
    rules, BinaryOp, CompareDir, ConvAttrs, DType, DotDims, GatherDims, Graph, Literal, Node,
    NodeId, Op, ScatterDims, TensorType, UnaryOp, Value, WindowAttrs,
};
use std::fmt::{self, Write as _};

/// Why a graph could not be lowered: the op, the module path of the node (if it has one)
/// and what is wrong.
///
/// Displays like IR errors: `Mlp.layer2 (dot_general): ...`.
///
/// ```
/// use ferrax_ir::{Graph, Value};
/// let mut g = Graph::new();
/// // An output that names a node the graph does not have.
/// g.set_outputs(vec![Value::first(ferrax_ir::NodeId::new(7))]);
/// let err = ferrax_stablehlo::lower(&g, "broken").unwrap_err();
/// assert!(err.to_string().contains("output"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", head(.path, .op))]
pub struct LowerError {
    /// The op (its short name, as in [`Op::name`]) or part of the graph that failed.
    pub op: String,
    /// The module path of the node (`Mlp.layer2`), if it has one.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn head(p: &Option<String>, op: &str) -> String {
    match p {
        Some(p) => format!("{p} ({op})"),
        None => op.to_string(),
    }
}

impl From<LowerError> for ferrax_ir::Error {
    fn from(e: LowerError) -> ferrax_ir::Error {
        ferrax_ir::Error {
            kind: ferrax_ir::ErrorKind::Lowering,
            op: e.op,
            path: e.path,
            message: e.message,
            source: None,
        }
    }
}

impl LowerError {
    fn new(op: impl Into<String>, path: Option<&str>, message: impl Into<String>) -> LowerError {
        LowerError {
            op: op.into(),
            path: path.map(str::to_owned),
            message: message.into(),
        }
    }
    fn at(node: &Node, message: impl Into<String>) -> LowerError {
        LowerError::new(node.op.name(), node.path.as_deref(), message)
    }
}

type Result<T> = std::result::Result<T, LowerError>;

/// Lowers `graph` to a StableHLO MLIR module named `name` with one public function `@main`
/// whose arguments are the graph's parameters (in order) and whose results are the graph's
/// outputs (in order). Nodes are emitted in [`Graph::topo_order`]; nested regions are lowered
/// recursively.
///
/// ```
/// use ferrax_ir::{BinaryOp, DType, DotDims, Graph, Op, TensorType, Value};
///
/// let t = TensorType::new(DType::F32, [2, 3]);
/// let mut g = Graph::new();
/// let a = g.add_parameter(t.clone());
/// let b = g.add_parameter(t.clone());
/// let s = g.add_node(Op::Binary(BinaryOp::Add), &[a, b], vec![t.clone()], None);
/// let dims = DotDims { lhs_contract: vec![1], rhs_contract: vec![1], ..Default::default() };
/// let d = g.add_node(
///     Op::DotGeneral(dims),
///     &[Value::first(s), b],
///     vec![TensorType::new(DType::F32, [2, 2])],
///     None,
/// );
/// g.set_outputs(vec![Value::first(s), Value::first(d)]);
///
/// let text = ferrax_stablehlo::lower(&g, "tiny").unwrap();
/// assert!(text.starts_with("module @tiny {"));
/// assert!(text.contains(
///     r#"%0 = "stablehlo.add"(%arg0, %arg1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>"#
/// ));
/// assert!(text.contains("lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]"));
/// assert!(text.contains("return %0, %1 : tensor<2x3xf32>, tensor<2x2xf32>"));
/// ```
pub fn lower(graph: &Graph, name: &str) -> Result<String> {
    Lowerer::new(false).module(graph, name)
}

/// Like [`lower`], but every op that comes from a node with a module path carries it as a
/// location, `loc("Mlp.layer2")`, so dumps and compiler messages point back to the model.
///
/// ```
/// use ferrax_ir::{DType, Graph, Op, TensorType, UnaryOp, Value};
/// let t = TensorType::new(DType::F32, [4]);
/// let mut g = Graph::new();
/// let x = g.add_parameter(t.clone());
/// let y = g.add_node(Op::Unary(UnaryOp::Tanh), &[x], vec![t], Some("Mlp.layer2".into()));
/// g.set_outputs(vec![Value::first(y)]);
/// let text = ferrax_stablehlo::lower_with_locations(&g, "m").unwrap();
/// assert!(text.contains(r#""stablehlo.tanh"(%arg0) : (tensor<4xf32>) -> tensor<4xf32> loc("Mlp.layer2")"#));
/// ```
pub fn lower_with_locations(graph: &Graph, name: &str) -> Result<String> {
    Lowerer::new(true).module(graph, name)
}

/// The MLIR element type of a dtype (`i1`, `i32`, `ui8`, `bf16`, ...).
///
/// ```
/// use ferrax_ir::DType;
/// assert_eq!(ferrax_stablehlo::element_type(DType::Bool), "i1");
/// assert_eq!(ferrax_stablehlo::element_type(DType::U32), "ui32");
/// ```
pub fn element_type(d: DType) -> &'static str {
    match d {
        DType::Bool => "i1",
        DType::I8 => "i8",
        DType::I16 => "i16",
        DType::I32 => "i32",
        DType::I64 => "i64",
        DType::U8 => "ui8",
        DType::U16 => "ui16",
        DType::U32 => "ui32",
        DType::U64 => "ui64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

/// The MLIR tensor type of `t` (`tensor<2x3xf32>`, `tensor<i1>`).
///
/// ```
/// use ferrax_ir::{DType, TensorType};
/// let t = TensorType::new(DType::F32, [0, 3]);
/// assert_eq!(ferrax_stablehlo::tensor_type(&t), "tensor<0x3xf32>");
/// assert_eq!(ferrax_stablehlo::tensor_type(&TensorType::scalar(DType::U8)), "tensor<ui8>");
/// ```
pub fn tensor_type(t: &TensorType) -> String {
    let mut s = String::with_capacity(24);
    write_type(&mut s, t);
    s
}

fn write_type(out: &mut String, t: &TensorType) {
    out.push_str("tensor<");
    for d in t.shape.dims() {
        let _ = write!(out, "{d}x");
    }
    out.push_str(element_type(t.dtype));
    out.push('>');
}

// ---------------------------------------------------------------------------------------
// SSA naming
// ---------------------------------------------------------------------------------------

/// The printed name of one SSA value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ssa {
    /// A function argument, `%argN`.
    Arg(u32),
    /// A single-result op or a block argument, `%N`.
    Val(u32),
    /// Result `i` of a multi-result op, `%N#i`.
    Res(u32, u32),
}

impl fmt::Display for Ssa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Ssa::Arg(i) => write!(f, "%arg{i}"),
            Ssa::Val(n) => write!(f, "%{n}"),
            Ssa::Res(n, i) => write!(f, "%{n}#{i}"),
        }
    }
}

/// What a node of the current scope is called.
#[derive(Clone, Copy, Debug)]
enum Binding {
    /// One value (a single-result op, a block or function argument, or a case branch
    /// parameter bound to a value of the enclosing scope).
    One(Ssa),
    /// A multi-result op `%N:k`.
    Multi(u32, u32),
}

/// Names of the nodes of one graph (the function body or one region), by node index.
struct Scope {
    names: Vec<Option<Binding>>,
}

impl Scope {
    fn new(g: &Graph) -> Scope {
        Scope {
            names: vec![None; g.num_nodes()],
        }
    }
    fn bind(&mut self, id: NodeId, b: Binding) {
        let i = id.index();
        if i >= self.names.len() {
            self.names.resize(i + 1, None);
        }
        self.names[i] = Some(b);
    }
    fn get(&self, v: Value) -> Option<Ssa> {
        match self.names.get(v.node.index()).copied().flatten()? {
            Binding::One(s) if v.output == 0 => Some(s),
            Binding::Multi(n, k) if v.output < k => Some(Ssa::Res(n, v.output)),
            _ => None,
        }
    }
}

/// The result names of the op being printed.
#[derive(Clone, Copy)]
enum Results {
    None,
    One(u32),
    Multi(u32, u32),
}

// ---------------------------------------------------------------------------------------
// The lowerer
// ---------------------------------------------------------------------------------------

struct Lowerer {
    out: String,
    next: u32,
    locations: bool,
}

/// One node being lowered, with its operands resolved.
struct Ctx<'g> {
    node: &'g Node,
    operands: Vec<Ssa>,
    types: Vec<&'g TensorType>,
    depth: usize,
}

impl<'g> Ctx<'g> {
    fn err(&self, message: impl Into<String>) -> LowerError {
        LowerError::at(self.node, message)
    }
    fn arity(&self, n: usize) -> Result<()> {
        if self.operands.len() != n {
            return Err(self.err(format!("expects {n} operands, got {}", self.operands.len())));
        }
        Ok(())
    }
    fn min_arity(&self, n: usize) -> Result<()> {
        if self.operands.len() < n {
            return Err(self.err(format!(
                "expects at least {n} operands, got {}",
                self.operands.len()
            )));
        }
        Ok(())
    }
    /// The single result type (errors if the node does not have exactly one).
    fn out(&self) -> Result<&'g TensorType> {
        match self.node.outputs.as_slice() {
            [t] => Ok(t),
            o => Err(self.err(format!("expects one result, the node declares {}", o.len()))),
        }
    }
    fn path(&self) -> Option<&'g str> {
        self.node.path.as_deref()
    }
}

impl Lowerer {
    fn new(locations: bool) -> Lowerer {
        Lowerer {
            out: String::with_capacity(4096),
            next: 0,
            locations,
        }
    }

    fn fresh(&mut self) -> u32 {
        let n = self.next;
        self.next += 1;
        n
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn ty(&mut self, t: &TensorType) {
        write_type(&mut self.out, t);
    }

    fn ssa(&mut self, s: Ssa) {
        let _ = write!(self.out, "{s}");
    }

    fn module(mut self, g: &Graph, name: &str) -> Result<String> {
        check_graph(g)?;
        self.out.push_str("module");
        if !name.is_empty() {
            self.out.push_str(" @");
            write_symbol(&mut self.out, name);
        }
        self.out.push_str(" {\n  func.func public @main(");
        let mut scope = Scope::new(g);
        for (i, &p) in g.params().iter().enumerate() {
            let t = param_type(g, p)?;
            if i > 0 {
                self.out.push_str(", ");
            }
            let _ = write!(self.out, "%arg{i}: ");
            self.ty(t);
            scope.bind(p, Binding::One(Ssa::Arg(i as u32)));
        }
        self.out.push_str(") -> (");
        let mut outs = Vec::with_capacity(g.outputs().len());
        for (i, &v) in g.outputs().iter().enumerate() {
            let t = value_type(g, v).ok_or_else(|| bad_output(i))?;
            if i > 0 {
                self.out.push_str(", ");
            }
            self.ty(t);
            outs.push(t);
        }
        self.out.push_str(") {\n");
        self.body(g, &mut scope, 2)?;
        self.indent(2);
        self.out.push_str("return");
        for (i, &v) in g.outputs().iter().enumerate() {
            let s = scope.get(v).ok_or_else(|| bad_output(i))?;
            self.out.push_str(if i == 0 { " " } else { ", " });
            self.ssa(s);
        }
        for (i, t) in outs.iter().enumerate() {
            self.out.push_str(if i == 0 { " : " } else { ", " });
            self.ty(t);
        }
        self.out.push_str("\n  }\n}\n");
        Ok(self.out)
    }

    /// Emits every non-parameter node of `g` reachable from its outputs.
    fn body(&mut self, g: &Graph, scope: &mut Scope, depth: usize) -> Result<()> {
        for id in g.topo_order() {
            let node = g.node(id);
            if let Op::Parameter { index } = node.op {
                if g.params().get(index) != Some(&id) {
                    return Err(LowerError::at(
                        node,
                        format!("parameter {index} is not the graph's parameter number {index}"),
                    ));
                }
                continue;
            }
            let vals = g.operands(id);
            let mut operands = Vec::with_capacity(vals.len());
            let mut types = Vec::with_capacity(vals.len());
            for (i, &v) in vals.iter().enumerate() {
                match (scope.get(v), value_type(g, v)) {
                    (Some(s), Some(t)) => {
                        operands.push(s);
                        types.push(t);
                    }
                    _ => {
                        return Err(LowerError::at(
                            node,
                            format!("operand {i} refers to a value that is not defined"),
                        ))
                    }
                }
            }
            let cx = Ctx {
                node,
                operands,
                types,
                depth,
            };
            let binding = self.node(&cx)?;
            if let Some(b) = binding {
                scope.bind(id, b);
            }
        }
        Ok(())
    }

    /// Allocates result names for `n` results.
    fn results(&mut self, n: usize) -> Results {
        match n {
            0 => Results::None,
            1 => Results::One(self.fresh()),
            _ => Results::Multi(self.fresh(), n as u32),
        }
    }

    /// Writes `indent %N = "name"(%a, %b)`.
    fn start(&mut self, depth: usize, res: Results, name: &str, operands: &[Ssa]) {
        self.indent(depth);
        match res {
            Results::None => {}
            Results::One(n) => {
                let _ = write!(self.out, "%{n} = ");
            }
            Results::Multi(n, k) => {
                let _ = write!(self.out, "%{n}:{k} = ");
            }
        }
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\"(");
        for (i, s) in operands.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.ssa(*s);
        }
        self.out.push(')');
    }

    /// Writes ` : (operand types) -> result types`, the location and the newline.
    fn finish<'t>(
        &mut self,
        operand_types: impl IntoIterator<Item = &'t TensorType>,
        result_types: &[TensorType],
        path: Option<&str>,
    ) {
        self.out.push_str(" : (");
        for (i, t) in operand_types.into_iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.ty(t);
        }
        self.out.push_str(") -> ");
        if let [t] = result_types {
            self.ty(t);
        } else {
            self.out.push('(');
            for (i, t) in result_types.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.ty(t);
            }
            self.out.push(')');
        }
        if self.locations {
            if let Some(p) = path {
                self.out.push_str(" loc(");
                write_string_literal(&mut self.out, p);
                self.out.push(')');
            }
        }
        self.out.push('\n');
    }

    fn binding(res: Results) -> Option<Binding> {
        match res {
            Results::None => None,
            Results::One(n) => Some(Binding::One(Ssa::Val(n))),
            Results::Multi(n, k) => Some(Binding::Multi(n, k)),
        }
    }

    /// The common shape of most ops: operands, optional attributes, the node's results.
    fn simple(
        &mut self,
        cx: &Ctx<'_>,
        name: &str,
        attrs: impl FnOnce(&mut String),
    ) -> Result<Option<Binding>> {
        let res = self.results(cx.node.outputs.len());
        self.start(cx.depth, res, name, &cx.operands);
        let mark = self.out.len();
        self.out.push_str(" {");
        let inner = self.out.len();
        attrs(&mut self.out);
        if self.out.len() == inner {
            self.out.truncate(mark);
        } else {
            self.out.push('}');
        }
        self.finish(cx.types.iter().copied(), &cx.node.outputs, cx.path());
        Ok(Self::binding(res))
    }

    /// Emits a splat constant of type `t` holding `v` (an integer) and returns its name.
    fn splat_int(&mut self, depth: usize, t: &TensorType, v: i64, path: Option<&str>) -> Ssa {
        let n = self.fresh();
        self.start(depth, Results::One(n), "stablehlo.constant", &[]);
        let _ = write!(self.out, " {{value = dense<{v}> : ");
        self.ty(t);
        self.out.push('}');
        self.finish([], std::slice::from_ref(t), path);
        Ssa::Val(n)
    }

    /// Lowers one node; returns what the node's results are called.
    fn node(&mut self, cx: &Ctx<'_>) -> Result<Option<Binding>> {
        match &cx.node.op {
            Op::Parameter { .. } => Ok(None),
            Op::Constant(lit) => self.constant(cx, lit),
            Op::Iota { dim } => {
                cx.arity(0)?;
                let t = cx.out()?;
                if *dim >= t.shape.rank() {
                    return Err(cx.err(format!("dimension {dim} out of range for {t}")));
                }
                if t.dtype.is_bool() {
                    return Err(cx.err("iota of bool cannot be expressed in StableHLO"));
                }
                self.simple(cx, "stablehlo.iota", |o| {
                    let _ = write!(o, "iota_dimension = {dim} : i64");
                })
            }
            Op::Unary(u) => self.unary(cx, *u),
            Op::Binary(b) => self.binary(cx, *b),
            Op::Compare(dir) => self.compare(cx, *dir),
            Op::Select => {
                cx.arity(3)?;
                cx.out()?;
                self.simple(cx, "stablehlo.select", |_| {})
            }
            Op::Clamp => {
                cx.arity(3)?;
                cx.out()?;
                self.simple(cx, "stablehlo.clamp", |_| {})
            }
            Op::Convert => {
                cx.arity(1)?;
                cx.out()?;
                self.simple(cx, "stablehlo.convert", |_| {})
            }
            Op::BitcastConvert => {
                cx.arity(1)?;
                let t = cx.out()?;
                let x = cx.types[0];
                let shape = ferrax_ir::rules::bitcast_shape(x.dtype, &x.shape, t.dtype)
                    .map_err(|e| cx.err(e.to_string()))?;
                if shape != t.shape {
                    return Err(cx.err(format!("cannot reinterpret {x} as {t}")));
                }
                self.simple(cx, "stablehlo.bitcast_convert", |_| {})
            }
            Op::BroadcastInDim { dims } => {
                cx.arity(1)?;
                cx.out()?;
                self.simple(cx, "stablehlo.broadcast_in_dim", |o| {
                    i64_array(o, "broadcast_dimensions", dims.iter().map(|&d| d as i64));
                })
            }
            Op::Reshape => {
                cx.arity(1)?;
                cx.out()?;
                self.simple(cx, "stablehlo.reshape", |_| {})
            }
            Op::Transpose { perm } => {
                cx.arity(1)?;
                cx.out()?;
                self.simple(cx, "stablehlo.transpose", |o| {
                    i64_array(o, "permutation", perm.iter().map(|&d| d as i64));
                })
            }
            Op::Slice {
                start,
                limit,
                strides,
            } => {
                cx.arity(1)?;
                cx.out()?;
                self.simple(cx, "stablehlo.slice", |o| {
                    i64_array(o, "start_indices", start.iter().map(|&d| d as i64));
                    o.push_str(", ");
                    i64_array(o, "limit_indices", limit.iter().map(|&d| d as i64));
                    o.push_str(", ");
                    i64_array(o, "strides", strides.iter().map(|&d| d as i64));
                })
            }
            Op::DynamicSlice { sizes } => {
                cx.min_arity(1)?;
                cx.out()?;
                self.dynamic(cx, 1, "stablehlo.dynamic_slice", |o| {
                    i64_array(o, "slice_sizes", sizes.iter().map(|&d| d as i64));
                })
            }
            Op::DynamicUpdateSlice => {
                cx.min_arity(2)?;
                cx.out()?;
                self.dynamic(cx, 2, "stablehlo.dynamic_update_slice", |_| {})
            }
            Op::Concatenate { dim } => {
                cx.min_arity(1)?;
                cx.out()?;
                self.simple(cx, "stablehlo.concatenate", |o| {
                    let _ = write!(o, "dimension = {dim} : i64");
                })
            }
            Op::Pad {
                low,
                high,
                interior,
            } => {
                cx.arity(2)?;
                cx.out()?;
                self.simple(cx, "stablehlo.pad", |o| {
                    i64_array(o, "edge_padding_low", low.iter().copied());
                    o.push_str(", ");
                    i64_array(o, "edge_padding_high", high.iter().copied());
                    o.push_str(", ");
                    i64_array(o, "interior_padding", interior.iter().map(|&d| d as i64));
                })
            }
            Op::Gather(g) => {
                cx.arity(2)?;
                cx.out()?;
                self.simple(cx, "stablehlo.gather", |o| gather_attrs(o, g))
            }
            Op::Scatter { dims, update } => {
                cx.arity(3)?;
                cx.out()?;
                let res = self.results(1);
                self.start(cx.depth, res, "stablehlo.scatter", &cx.operands);
                self.regions(cx, &[update], None)?;
                self.out.push_str(" {");
                scatter_attrs(&mut self.out, dims);
                self.out.push('}');
                self.finish(cx.types.iter().copied(), &cx.node.outputs, cx.path());
                Ok(Self::binding(res))
            }
            Op::DotGeneral(d) => {
                cx.arity(2)?;
                cx.out()?;
                self.simple(cx, "stablehlo.dot_general", |o| dot_attrs(o, d))
            }
            Op::Reduce { dims, body } => {
                self.reduction_arity(cx)?;
                let res = self.results(cx.node.outputs.len());
                self.start(cx.depth, res, "stablehlo.reduce", &cx.operands);
                self.regions(cx, &[body], None)?;
                self.out.push_str(" {");
                i64_array(&mut self.out, "dimensions", dims.iter().map(|&d| d as i64));
                self.out.push('}');
                self.finish(cx.types.iter().copied(), &cx.node.outputs, cx.path());
                Ok(Self::binding(res))
            }
            Op::ReduceWindow { window, body } => {
                self.reduction_arity(cx)?;
                let res = self.results(cx.node.outputs.len());
                self.start(cx.depth, res, "stablehlo.reduce_window", &cx.operands);
                self.regions(cx, &[body], None)?;
                self.out.push_str(" {");
                window_attrs(&mut self.out, window);
                self.out.push('}');
                self.finish(cx.types.iter().copied(), &cx.node.outputs, cx.path());
                Ok(Self::binding(res))
            }
            Op::Convolution(c) => {
                cx.arity(2)?;
                let t = cx.out()?;
                let r = t.shape.rank();
                if cx.types[0].shape.rank() != r || cx.types[1].shape.rank() != r || r < 2 {
                    return Err(cx.err("input, kernel and result must have the same rank >= 2"));
                }
                let dims = conv_dims_string(&c.dims, r).ok_or_else(|| {
                    cx.err(format!(
                        "dimension numbers {:?} do not fit rank {r}",
                        c.dims
                    ))
                })?;
                self.simple(cx, "stablehlo.convolution", |o| conv_attrs(o, c, &dims))
            }
            Op::Sort {
                dim,
                stable,
                comparator,
            } => {
                cx.min_arity(1)?;
                if cx.node.outputs.len() != cx.operands.len() {
                    return Err(cx.err("sort needs one result per operand"));
                }
                let res = self.results(cx.node.outputs.len());
                self.start(cx.depth, res, "stablehlo.sort", &cx.operands);
                self.regions(cx, &[comparator], None)?;
                let _ = write!(
                    self.out,
                    " {{dimension = {dim} : i64, is_stable = {stable}}}"
                );
                self.finish(cx.types.iter().copied(), &cx.node.outputs, cx.path());
                Ok(Self::binding(res))
            }
            Op::While { cond, body } => {
                if cx.node.outputs.len() != cx.operands.len() {
                    return Err(cx.err("while needs one result per carried value"));
                }
                let res = self.results(cx.node.outputs.len());
                self.start(cx.depth, res, "stablehlo.while", &cx.operands);
                self.regions(cx, &[cond, body], None)?;
                self.finish(cx.types.iter().copied(), &cx.node.outputs, cx.path());
                Ok(Self::binding(res))
            }
            Op::Case { branches } => {
                cx.min_arity(1)?;
                if branches.is_empty() {
                    return Err(cx.err("case needs at least one branch"));
                }
                let idx = cx.types[0];
                if idx.dtype != DType::I32 || idx.shape.rank() != 0 {
                    return Err(cx.err(format!("index must be an i32 scalar, got {idx}")));
                }
                let res = self.results(cx.node.outputs.len());
                self.start(cx.depth, res, "stablehlo.case", &cx.operands[..1]);
                let refs: Vec<&ferrax_ir::Region> = branches.iter().collect();
                self.regions(cx, &refs, Some(&cx.operands[1..]))?;
                self.finish([cx.types[0]], &cx.node.outputs, cx.path());
                Ok(Self::binding(res))
            }
        }
    }

    fn reduction_arity(&mut self, cx: &Ctx<'_>) -> Result<()> {
        let n = cx.operands.len() / 2;
        if n == 0 || !cx.operands.len().is_multiple_of(2) {
            return Err(cx.err("needs n inputs and n init values"));
        }
        if cx.node.outputs.len() != n {
            return Err(cx.err(format!(
                "needs {n} results, the node declares {}",
                cx.node.outputs.len()
            )));
        }
        Ok(())
    }

    /// Writes ` ({region}, {region})`. With `bound`, regions take no block arguments and
    /// their parameters are bound to those values of the enclosing scope (`case`).
    fn regions(
        &mut self,
        cx: &Ctx<'_>,
        regions: &[&ferrax_ir::Region],
        bound: Option<&[Ssa]>,
    ) -> Result<()> {
        self.out.push_str(" (");
        for (i, r) in regions.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.region(cx, r, bound)?;
        }
        self.out.push(')');
        Ok(())
    }

    fn region(&mut self, cx: &Ctx<'_>, g: &Graph, bound: Option<&[Ssa]>) -> Result<()> {
        check_graph(g).map_err(|e| cx.err(format!("region: {}", e.message)))?;
        let depth = cx.depth + 1;
        let mut scope = Scope::new(g);
        self.out.push_str("{\n");
        match bound {
            Some(values) => {
                if values.len() != g.params().len() {
                    return Err(cx.err(format!(
                        "a branch takes {} parameters but the op passes {} values",
                        g.params().len(),
                        values.len()
                    )));
                }
                for (&p, &v) in g.params().iter().zip(values) {
                    scope.bind(p, Binding::One(v));
                }
            }
            None => {
                if !g.params().is_empty() {
                    self.indent(depth - 1);
                    self.out.push_str("^bb0(");
                    for (i, &p) in g.params().iter().enumerate() {
                        let t = param_type(g, p).map_err(|e| cx.err(e.message))?;
                        let n = self.fresh();
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        let _ = write!(self.out, "%{n}: ");
                        self.ty(t);
                        scope.bind(p, Binding::One(Ssa::Val(n)));
                    }
                    self.out.push_str("):\n");
                }
            }
        }
        self.body(g, &mut scope, depth)?;
        let mut rets = Vec::with_capacity(g.outputs().len());
        let mut tys = Vec::with_capacity(g.outputs().len());
        for (i, &v) in g.outputs().iter().enumerate() {
            match (scope.get(v), value_type(g, v)) {
                (Some(s), Some(t)) => {
                    rets.push(s);
                    tys.push(t);
                }
                _ => return Err(cx.err(format!("region output {i} is not defined"))),
            }
        }
        self.start(depth, Results::None, "stablehlo.return", &rets);
        self.finish(tys, &[], None);
        self.indent(depth - 1);
        self.out.push('}');
        Ok(())
    }

    /// dynamic_slice / dynamic_update_slice: the start indices (operands from `first`) must
    /// share one type in StableHLO; mixed integer types are converted to i64.
    fn dynamic(
        &mut self,
        cx: &Ctx<'_>,
        first: usize,
        name: &str,
        attrs: impl FnOnce(&mut String),
    ) -> Result<Option<Binding>> {
        let starts = &cx.types[first..];
        for t in starts {
            if !t.dtype.is_int() || t.shape.rank() != 0 {
                return Err(cx.err(format!("start indices must be integer scalars, got {t}")));
            }
        }
        let mixed = starts.windows(2).any(|w| w[0].dtype != w[1].dtype);
        if !mixed {
            return self.simple(cx, name, attrs);
        }
        let i64t = TensorType::scalar(DType::I64);
        let mut operands = cx.operands[..first].to_vec();
        for (s, t) in cx.operands[first..].iter().zip(starts) {
            if t.dtype == DType::I64 {
                operands.push(*s);
                continue;
            }
            let n = self.fresh();
            self.start(cx.depth, Results::One(n), "stablehlo.convert", &[*s]);
            self.finish([*t], std::slice::from_ref(&i64t), cx.path());
            operands.push(Ssa::Val(n));
        }
        let types: Vec<&TensorType> = cx.types[..first]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(&i64t, starts.len()))
            .collect();
        let res = self.results(1);
        self.start(cx.depth, res, name, &operands);
        let mark = self.out.len();
        self.out.push_str(" {");
        let inner = self.out.len();
        attrs(&mut self.out);
        if self.out.len() == inner {
            self.out.truncate(mark);
        } else {
            self.out.push('}');
        }
        self.finish(types, &cx.node.outputs, cx.path());
        Ok(Self::binding(res))
    }

    fn constant(&mut self, cx: &Ctx<'_>, lit: &Literal) -> Result<Option<Binding>> {
        cx.arity(0)?;
        let t = cx.out()?;
        if lit.ty() != t {
            return Err(cx.err(format!(
                "the literal has type {} but the node declares {t}",
                lit.ty()
            )));
        }
        if lit.bytes().len() != t.byte_size() {
            return Err(cx.err("the literal's byte length does not match its type"));
        }
        let n = self.fresh();
        self.start(cx.depth, Results::One(n), "stablehlo.constant", &[]);
        self.out.push_str(" {value = ");
        write_dense(&mut self.out, lit);
        self.out.push_str(" : ");
        self.ty(t);
        self.out.push('}');
        self.finish([], &cx.node.outputs, cx.path());
        Ok(Some(Binding::One(Ssa::Val(n))))
    }

    fn unary(&mut self, cx: &Ctx<'_>, u: UnaryOp) -> Result<Option<Binding>> {
        cx.arity(1)?;
        let t = cx.out()?;
        let x = cx.types[0];
        let expect = rules::unary(u, x).map_err(|e| cx.err(e.message))?;
        if &expect != t {
            return Err(cx.err(format!("result must be {expect}, the node declares {t}")));
        }
        if u == UnaryOp::Sign && x.dtype.is_unsigned_int() {
            // sign(x) = min(x, 1) for unsigned integers.
            let one = self.splat_int(cx.depth, x, 1, cx.path());
            let res = self.results(1);
            self.start(cx.depth, res, "stablehlo.minimum", &[cx.operands[0], one]);
            self.finish([x, x], &cx.node.outputs, cx.path());
            return Ok(Self::binding(res));
        }
        let name = match u {
            UnaryOp::Neg => "stablehlo.negate",
            UnaryOp::Abs => "stablehlo.abs",
            UnaryOp::Sign => "stablehlo.sign",
            UnaryOp::Not => "stablehlo.not",
            UnaryOp::Exp => "stablehlo.exponential",
            UnaryOp::Expm1 => "stablehlo.exponential_minus_one",
            UnaryOp::Log => "stablehlo.log",
            UnaryOp::Log1p => "stablehlo.log_plus_one",
            UnaryOp::Sqrt => "stablehlo.sqrt",
            UnaryOp::Rsqrt => "stablehlo.rsqrt",
            UnaryOp::Cbrt => "stablehlo.cbrt",
            UnaryOp::Tanh => "stablehlo.tanh",
            UnaryOp::Logistic => "stablehlo.logistic",
            UnaryOp::Sin => "stablehlo.sine",
            UnaryOp::Cos => "stablehlo.cosine",
            UnaryOp::Tan => "stablehlo.tan",
            UnaryOp::Erf => "chlo.erf",
            UnaryOp::Floor => "stablehlo.floor",
            UnaryOp::Ceil => "stablehlo.ceil",
            UnaryOp::Round => "stablehlo.round_nearest_afz",
            UnaryOp::RoundEven => "stablehlo.round_nearest_even",
            UnaryOp::IsFinite => "stablehlo.is_finite",
            UnaryOp::PopCnt => "stablehlo.popcnt",
            UnaryOp::Clz => "stablehlo.count_leading_zeros",
        };
        self.simple(cx, name, |_| {})
    }

    fn binary(&mut self, cx: &Ctx<'_>, b: BinaryOp) -> Result<Option<Binding>> {
        cx.arity(2)?;
        let t = cx.out()?;
        let expect = rules::binary(b, cx.types[0], cx.types[1]).map_err(|e| cx.err(e.message))?;
        if &expect != t {
            return Err(cx.err(format!("result must be {expect}, the node declares {t}")));
        }
        let is_bool = t.dtype.is_bool();
        let name = match b {
            BinaryOp::Add => "stablehlo.add",
            BinaryOp::Sub => "stablehlo.subtract",
            BinaryOp::Mul => "stablehlo.multiply",
            BinaryOp::Div => "stablehlo.divide",
            BinaryOp::Rem => "stablehlo.remainder",
            BinaryOp::Pow => "stablehlo.power",
            BinaryOp::Max if is_bool => "stablehlo.or",
            BinaryOp::Max => "stablehlo.maximum",
            BinaryOp::Min if is_bool => "stablehlo.and",
            BinaryOp::Min => "stablehlo.minimum",
            BinaryOp::Atan2 => "stablehlo.atan2",
            BinaryOp::And => "stablehlo.and",
            BinaryOp::Or => "stablehlo.or",
            BinaryOp::Xor => "stablehlo.xor",
            BinaryOp::ShiftLeft => "stablehlo.shift_left",
            BinaryOp::ShiftRightLogical => "stablehlo.shift_right_logical",
            BinaryOp::ShiftRightArithmetic => "stablehlo.shift_right_arithmetic",
        };
        self.simple(cx, name, |_| {})
    }

    fn compare(&mut self, cx: &Ctx<'_>, dir: CompareDir) -> Result<Option<Binding>> {
        cx.arity(2)?;
        let t = cx.out()?;
        let (a, b) = (cx.types[0], cx.types[1]);
        if a.dtype != b.dtype || a.shape != b.shape {
            return Err(cx.err(format!("operand types differ: {a} vs {b}")));
        }
        if t.dtype != DType::Bool || t.shape != a.shape {
            return Err(cx.err(format!("result must be bool{}, got {t}", a.shape)));
        }
        let ctype = if a.dtype.is_float() {
            "FLOAT"
        } else if a.dtype.is_signed_int() {
            "SIGNED"
        } else {
            "UNSIGNED"
        };
        self.simple(cx, "stablehlo.compare", |o| {
            let _ = write!(
                o,
                "comparison_direction = #stablehlo<comparison_direction {}>, \
                 compare_type = #stablehlo<comparison_type {ctype}>",
                dir.name()
            );
        })
    }
}

// ---------------------------------------------------------------------------------------
// Graph checks (so that lowering never indexes a missing node)
// ---------------------------------------------------------------------------------------

fn bad_output(i: usize) -> LowerError {
    LowerError::new(
        "graph",
        None,
        format!("output {i} refers to a missing value"),
    )
}

fn check_graph(g: &Graph) -> Result<()> {
    for (i, &v) in g.outputs().iter().enumerate() {
        if value_type(g, v).is_none() {
            return Err(bad_output(i));
        }
    }
    for (i, &p) in g.params().iter().enumerate() {
        if !g.contains(p) {
            return Err(LowerError::new(
                "graph",
                None,
                format!("parameter {i} refers to a missing node"),
            ));
        }
    }
    Ok(())
}

fn value_type(g: &Graph, v: Value) -> Option<&TensorType> {
    if !g.contains(v.node) {
        return None;
    }
    g.node(v.node).outputs.get(v.output as usize)
}

fn param_type(g: &Graph, p: NodeId) -> Result<&TensorType> {
    let node = g.node(p);
    match node.outputs.as_slice() {
        [t] => Ok(t),
        _ => Err(LowerError::at(
            node,
            "a parameter must have exactly one type",
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Attribute printing
// ---------------------------------------------------------------------------------------

/// `name = array<i64: a, b, c>` (`array<i64>` when empty).
fn i64_array(o: &mut String, name: &str, vals: impl Iterator<Item = i64>) {
    o.push_str(name);
    o.push_str(" = array<i64");
    for (i, v) in vals.enumerate() {
        o.push_str(if i == 0 { ": " } else { ", " });
        let _ = write!(o, "{v}");
    }
    o.push('>');
}

/// `[a, b, c]`.
fn list(o: &mut String, vals: &[usize]) {
    o.push('[');
    for (i, v) in vals.iter().enumerate() {
        if i > 0 {
            o.push_str(", ");
        }
        let _ = write!(o, "{v}");
    }
    o.push(']');
}

/// `, name = [..]` for a non-empty list (fields of the dimension-number attributes are
/// optional and print only when non-empty). `first` suppresses the leading comma.
fn field(o: &mut String, first: &mut bool, name: &str, vals: &[usize]) {
    if vals.is_empty() {
        return;
    }
    if !*first {
        o.push_str(", ");
    }
    *first = false;
    o.push_str(name);
    o.push_str(" = ");
    list(o, vals);
}

fn dot_attrs(o: &mut String, d: &DotDims) {
    o.push_str("dot_dimension_numbers = #stablehlo.dot<");
    let mut first = true;
    field(o, &mut first, "lhs_batching_dimensions", &d.lhs_batch);
    field(o, &mut first, "rhs_batching_dimensions", &d.rhs_batch);
    field(o, &mut first, "lhs_contracting_dimensions", &d.lhs_contract);
    field(o, &mut first, "rhs_contracting_dimensions", &d.rhs_contract);
    o.push('>');
}

fn gather_attrs(o: &mut String, g: &GatherDims) {
    o.push_str("dimension_numbers = #stablehlo.gather<");
    let mut first = true;
    field(o, &mut first, "offset_dims", &g.offset_dims);
    field(
        o,
        &mut first,
        "collapsed_slice_dims",
        &g.collapsed_slice_dims,
    );
    field(
        o,
        &mut first,
        "operand_batching_dims",
        &g.operand_batching_dims,
    );
    field(
        o,
        &mut first,
        "start_indices_batching_dims",
        &g.start_indices_batching_dims,
    );
    field(o, &mut first, "start_index_map", &g.start_index_map);
    if !first {
        o.push_str(", ");
    }
    let _ = write!(o, "index_vector_dim = {}>, ", g.index_vector_dim);
    i64_array(o, "slice_sizes", g.slice_sizes.iter().map(|&d| d as i64));
    let _ = write!(o, ", indices_are_sorted = {}", g.indices_are_sorted);
}

fn scatter_attrs(o: &mut String, s: &ScatterDims) {
    o.push_str("scatter_dimension_numbers = #stablehlo.scatter<");
    let mut first = true;
    field(o, &mut first, "update_window_dims", &s.update_window_dims);
    field(
        o,
        &mut first,
        "inserted_window_dims",
        &s.inserted_window_dims,
    );
    field(o, &mut first, "input_batching_dims", &s.input_batching_dims);
    field(
        o,
        &mut first,
        "scatter_indices_batching_dims",
        &s.scatter_indices_batching_dims,
    );
    field(
        o,
        &mut first,
        "scatter_dims_to_operand_dims",
        &s.scatter_dims_to_operand_dims,
    );
    if !first {
        o.push_str(", ");
    }
    let _ = write!(
        o,
        "index_vector_dim = {}>, indices_are_sorted = {}, unique_indices = {}",
        s.index_vector_dim, s.indices_are_sorted, s.unique_indices
    );
}

/// `name = dense<[[lo, hi], ...]> : tensor<Nx2xi64>`.
fn padding(o: &mut String, name: &str, pads: &[(i64, i64)]) {
    o.push_str(name);
    o.push_str(" = dense<");
    if !pads.is_empty() {
        o.push('[');
        for (i, (lo, hi)) in pads.iter().enumerate() {
            if i > 0 {
                o.push_str(", ");
            }
            let _ = write!(o, "[{lo}, {hi}]");
        }
        o.push(']');
    }
    let _ = write!(o, "> : tensor<{}x2xi64>", pads.len());
}

fn window_attrs(o: &mut String, w: &WindowAttrs) {
    let a = |v: &[usize]| v.iter().map(|&d| d as i64).collect::<Vec<_>>();
    i64_array(o, "window_dimensions", a(&w.window_dimensions).into_iter());
    o.push_str(", ");
    i64_array(o, "window_strides", a(&w.window_strides).into_iter());
    o.push_str(", ");
    i64_array(o, "base_dilations", a(&w.base_dilations).into_iter());
    o.push_str(", ");
    i64_array(o, "window_dilations", a(&w.window_dilations).into_iter());
    o.push_str(", ");
    padding(o, "padding", &w.padding);
}

/// The `[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]` layout string, or `None` if the dimension
/// numbers do not name each dim of rank `r` exactly once.
fn conv_dims_string(d: &ferrax_ir::ConvDims, r: usize) -> Option<String> {
    fn layout(
        s: &mut String,
        r: usize,
        a: (usize, char),
        b: (usize, char),
        spatial: &[usize],
    ) -> Option<()> {
        let mut slots: Vec<Option<String>> = vec![None; r];
        let mut put = |i: usize, v: String| -> Option<()> {
            let slot = slots.get_mut(i)?;
            if slot.is_some() {
                return None;
            }
            *slot = Some(v);
            Some(())
        };
        put(a.0, a.1.to_string())?;
        put(b.0, b.1.to_string())?;
        for (k, &sd) in spatial.iter().enumerate() {
            put(sd, k.to_string())?;
        }
        s.push('[');
        for (i, slot) in slots.into_iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&slot?);
        }
        s.push(']');
        Some(())
    }
    if d.input_spatial.len() + 2 != r
        || d.kernel_spatial.len() + 2 != r
        || d.output_spatial.len() + 2 != r
    {
        return None;
    }
    let mut s = String::with_capacity(48);
    layout(
        &mut s,
        r,
        (d.input_batch, 'b'),
        (d.input_feature, 'f'),
        &d.input_spatial,
    )?;
    s.push('x');
    layout(
        &mut s,
        r,
        (d.kernel_output_feature, 'o'),
        (d.kernel_input_feature, 'i'),
        &d.kernel_spatial,
    )?;
    s.push_str("->");
    layout(
        &mut s,
        r,
        (d.output_batch, 'b'),
        (d.output_feature, 'f'),
        &d.output_spatial,
    )?;
    Some(s)
}

fn conv_attrs(o: &mut String, c: &ConvAttrs, dims: &str) {
    i64_array(
        o,
        "window_strides",
        c.window_strides.iter().map(|&d| d as i64),
    );
    o.push_str(", ");
    padding(o, "padding", &c.padding);
    o.push_str(", ");
    i64_array(o, "lhs_dilation", c.lhs_dilation.iter().map(|&d| d as i64));
    o.push_str(", ");
    i64_array(o, "rhs_dilation", c.rhs_dilation.iter().map(|&d| d as i64));
    let _ = write!(
        o,
        ", dimension_numbers = #stablehlo.conv<{dims}>, feature_group_count = {} : i64, \
         batch_group_count = {} : i64",
        c.feature_group_count, c.batch_group_count
    );
}

// ---------------------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------------------

/// Writes `dense<...>` for a literal, bit-exact.
fn write_dense(o: &mut String, lit: &Literal) {
    let dt = lit.dtype();
    let n = lit.shape().numel();
    let bytes = lit.bytes();
    let w = dt.byte_size();
    if n == 0 {
        o.push_str("dense<>");
        return;
    }
    let first = &bytes[..w];
    let splat = if dt.is_bool() {
        bytes.iter().all(|&b| (b != 0) == (first[0] != 0))
    } else {
        bytes.chunks_exact(w).all(|c| c == first)
    };
    o.push_str("dense<");
    if splat {
        write_scalar(o, dt, first);
    } else if dt.is_bool() {
        write_bool_list(o, lit.shape().dims(), bytes);
    } else {
        o.push_str("\"0x");
        write_hex(o, bytes);
        o.push('"');
    }
    o.push('>');
}

fn write_hex(o: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    o.reserve(bytes.len() * 2);
    for &b in bytes {
        o.push(HEX[(b >> 4) as usize] as char);
        o.push(HEX[(b & 15) as usize] as char);
    }
}

/// Nested `[[true, false], [false, true]]` for a bool array of shape `dims`.
fn write_bool_list(o: &mut String, dims: &[usize], bytes: &[u8]) {
    match dims.split_first() {
        None => o.push_str(if bytes.first().is_some_and(|&b| b != 0) {
            "true"
        } else {
            "false"
        }),
        Some((&d, rest)) => {
            let inner: usize = rest.iter().product();
            o.push('[');
            for i in 0..d {
                if i > 0 {
                    o.push_str(", ");
                }
                write_bool_list(o, rest, &bytes[i * inner..(i + 1) * inner]);
            }
            o.push(']');
        }
    }
}

/// One element, as MLIR reads it back bit-exactly: `true`, `-3`, `1.5`, `0x7FC00000`.
fn write_scalar(o: &mut String, dt: DType, b: &[u8]) {
    macro_rules! le {
        ($t:ty) => {{
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
            <$t>::from_le_bytes(a)
        }};
    }
    let _ = match dt {
        DType::Bool => {
            o.push_str(if b[0] != 0 { "true" } else { "false" });
            Ok(())
        }
        DType::I8 => write!(o, "{}", le!(i8)),
        DType::I16 => write!(o, "{}", le!(i16)),
        DType::I32 => write!(o, "{}", le!(i32)),
        DType::I64 => write!(o, "{}", le!(i64)),
        DType::U8 => write!(o, "{}", le!(u8)),
        DType::U16 => write!(o, "{}", le!(u16)),
        DType::U32 => write!(o, "{}", le!(u32)),
        DType::U64 => write!(o, "{}", le!(u64)),
        DType::F16 => {
            let bits = le!(u16);
            write_float(o, f16_to_f64(bits), bits as u64, 4);
            Ok(())
        }
        DType::BF16 => {
            let bits = le!(u16);
            write_float(
                o,
                f32::from_bits((bits as u32) << 16) as f64,
                bits as u64,
                4,
            );
            Ok(())
        }
        DType::F32 => {
            let bits = le!(u32);
            let v = f32::from_bits(bits);
            if v.is_finite() {
                // The shortest f32 spelling when it is also exact as an f64 (so that
                // no parser can round it twice), else the exact f64 spelling.
                let short = format!("{v:?}");
                if short.parse::<f64>() == Ok(v as f64) {
                    push_float_literal(o, &short);
                } else {
                    push_float_literal(o, &format!("{:?}", v as f64));
                }
            } else {
                let _ = write!(o, "0x{bits:08X}");
            }
            Ok(())
        }
        DType::F64 => {
            let bits = le!(u64);
            write_float(o, f64::from_bits(bits), bits, 16);
            Ok(())
        }
    };
}

/// A finite value as its shortest exact decimal; others as the bit pattern.
fn write_float(o: &mut String, v: f64, bits: u64, hex_digits: usize) {
    if v.is_finite() {
        push_float_literal(o, &format!("{v:?}"));
    } else {
        let _ = write!(o, "0x{bits:0hex_digits$X}");
    }
}

/// MLIR float literals need a `.` before any exponent (`1e-7` would lex as an integer).
fn push_float_literal(o: &mut String, s: &str) {
    if s.contains('.') {
        o.push_str(s);
    } else if let Some(e) = s.find('e') {
        o.push_str(&s[..e]);
        o.push_str(".0");
        o.push_str(&s[e..]);
    } else {
        o.push_str(s);
        o.push_str(".0");
    }
}

/// IEEE half bits to f64 (exact).
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let man = (h & 0x3ff) as f64;
    match exp {
        0 => sign * man * 2f64.powi(-24),
        31 if man == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + man / 1024.0) * 2f64.powi(exp - 15),
    }
}

// ---------------------------------------------------------------------------------------
// Names and strings
// ---------------------------------------------------------------------------------------

/// A symbol name: bare when it is an MLIR bare identifier, else a quoted string.
fn write_symbol(o: &mut String, name: &str) {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'));
    if bare {
        o.push_str(name);
    } else {
        write_string_literal(o, name);
    }
}

/// A quoted MLIR string literal (`"`, `\` and non-printable bytes escaped as `\XX`).
fn write_string_literal(o: &mut String, s: &str) {
    o.push('"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            let _ = write!(o, "\\{b:02X}");
        } else {
            o.push(b as char);
        }
    }
    o.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_text(dt: DType, bytes: &[u8]) -> String {
        let mut s = String::new();
        write_scalar(&mut s, dt, bytes);
        s
    }

    #[test]
    fn float_literals_are_exact() {
        assert_eq!(scalar_text(DType::F32, &1.0f32.to_le_bytes()), "1.0");
        assert_eq!(scalar_text(DType::F32, &(-0.0f32).to_le_bytes()), "-0.0");
        assert_eq!(scalar_text(DType::F32, &0.5f32.to_le_bytes()), "0.5");
        assert_eq!(
            scalar_text(DType::F32, &0.1f32.to_le_bytes()),
            "0.10000000149011612"
        );
        assert_eq!(
            scalar_text(DType::F32, &1e20f32.to_le_bytes()),
            "1.0000000200408773e20"
        );
        assert_eq!(
            scalar_text(DType::F32, &f32::NAN.to_le_bytes()),
            "0x7FC00000"
        );
        assert_eq!(
            scalar_text(DType::F32, &f32::NEG_INFINITY.to_le_bytes()),
            "0xFF800000"
        );
        assert_eq!(
            scalar_text(DType::F64, &f64::INFINITY.to_le_bytes()),
            "0x7FF0000000000000"
        );
        assert_eq!(
            scalar_text(DType::F64, &1e-300f64.to_le_bytes()),
            "1.0e-300"
        );
        assert_eq!(scalar_text(DType::BF16, &0x3F80u16.to_le_bytes()), "1.0");
        assert_eq!(scalar_text(DType::F16, &0x3C00u16.to_le_bytes()), "1.0");
        assert_eq!(
            scalar_text(DType::F16, &0x0001u16.to_le_bytes()),
            "5.960464477539063e-8"
        );
        assert_eq!(scalar_text(DType::F16, &0x7E00u16.to_le_bytes()), "0x7E00");
        assert_eq!(scalar_text(DType::I8, &[0x80]), "-128");
        assert_eq!(scalar_text(DType::U8, &[0x80]), "128");
        assert_eq!(
            scalar_text(DType::U64, &u64::MAX.to_le_bytes()),
            "18446744073709551615"
        );
        assert_eq!(scalar_text(DType::Bool, &[2]), "true");
    }

    #[test]
    fn every_finite_f32_subnormal_and_edge_round_trips() {
        for bits in [
            1u32,
            0x007F_FFFF,
            0x0080_0000,
            0x7F7F_FFFF,
            0x3DCC_CCCD,
            0x8000_0001,
        ] {
            let t = scalar_text(DType::F32, &bits.to_le_bytes());
            let v: f64 = t.parse().unwrap();
            assert_eq!((v as f32).to_bits(), bits, "{t}");
            assert!(t.contains('.'), "{t}");
        }
    }

    #[test]
    fn f16_decoding_is_exact() {
        assert_eq!(f16_to_f64(0x3C00), 1.0);
        assert_eq!(f16_to_f64(0xC000), -2.0);
        assert_eq!(f16_to_f64(0x7BFF), 65504.0);
        assert_eq!(f16_to_f64(0x0400), 2f64.powi(-14));
        assert_eq!(f16_to_f64(0x8000).to_bits(), (-0.0f64).to_bits());
        assert!(f16_to_f64(0x7C01).is_nan());
        assert_eq!(f16_to_f64(0xFC00), f64::NEG_INFINITY);
    }

    #[test]
    fn dense_forms() {
        let d = |l: &Literal| {
            let mut s = String::new();
            write_dense(&mut s, l);
            s
        };
        let l = Literal::from_vec(vec![1.0f32, 2.0], [2]).unwrap();
        assert_eq!(d(&l), "dense<\"0x0000803F00000040\">");
        let l = Literal::from_vec(vec![3i32; 4], [2, 2]).unwrap();
        assert_eq!(d(&l), "dense<3>");
        let l = Literal::from_vec(vec![true, false, false, true], [2, 2]).unwrap();
        assert_eq!(d(&l), "dense<[[true, false], [false, true]]>");
        let l = Literal::from_vec(Vec::<f32>::new(), [0, 3]).unwrap();
        assert_eq!(d(&l), "dense<>");
        // -0.0 and 0.0 differ bit for bit: not a splat.
        let l = Literal::from_vec(vec![0.0f32, -0.0], [2]).unwrap();
        assert_eq!(d(&l), "dense<\"0x0000000000000080\">");
    }

    #[test]
    fn symbols_and_strings() {
        let mut s = String::new();
        write_symbol(&mut s, "jit_f.2");
        s.push(' ');
        write_symbol(&mut s, "has space");
        s.push(' ');
        write_string_literal(&mut s, "a\"b\\c\n");
        assert_eq!(s, r#"jit_f.2 "has space" "a\22b\5Cc\0A""#);
    }
}
