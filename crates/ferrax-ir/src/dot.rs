//! Graphviz DOT output of a graph (regions as nested clusters), for dumps.

use crate::{Graph, Op};
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn label(g: &Graph, id: crate::NodeId) -> String {
    let n = g.node(id);
    let mut s = match &n.op {
        Op::Parameter { index } => format!("param {index}"),
        Op::Constant(l) if l.shape().numel() == 1 => format!("constant {}", l.get_f64(0)),
        op => op.name().to_string(),
    };
    for t in &n.outputs {
        let _ = write!(s, "\\n{t}");
    }
    if let Some(p) = &n.path {
        let _ = write!(s, "\\n@{}", esc(p));
    }
    s
}

fn emit(g: &Graph, prefix: &str, out: &mut String, depth: usize) {
    let ind = "  ".repeat(depth);
    for id in g.topo_order() {
        let name = format!("{prefix}n{}", id.index());
        let _ = writeln!(out, "{ind}{name} [label=\"{}\"];", label(g, id));
        for (k, v) in g.operands(id).iter().enumerate() {
            let src = format!("{prefix}n{}", v.node.index());
            if v.output == 0 {
                let _ = writeln!(out, "{ind}{src} -> {name} [label=\"{k}\"];");
            } else {
                let _ = writeln!(out, "{ind}{src} -> {name} [label=\"{k} (#{})\"];", v.output);
            }
        }
        for (r, region) in g.node(id).op.regions().iter().enumerate() {
            let p = format!("{name}r{r}_");
            let _ = writeln!(out, "{ind}subgraph cluster_{p} {{");
            let _ = writeln!(
                out,
                "{ind}  label=\"{} region {r}\"; style=dashed;",
                g.node(id).op.name()
            );
            emit(region, &p, out, depth + 1);
            let _ = writeln!(out, "{ind}}}");
        }
    }
    for (i, v) in g.outputs().iter().enumerate() {
        let _ = writeln!(
            out,
            "{ind}{prefix}out{i} [label=\"output {i}\", shape=box];"
        );
        let _ = writeln!(out, "{ind}{prefix}n{} -> {prefix}out{i};", v.node.index());
    }
}

/// The graph in Graphviz DOT form.
///
/// ```
/// use ferrax_ir::{Graph, Op, BinaryOp, TensorType, DType, Value, dot};
/// let mut g = Graph::new();
/// let t = TensorType::new(DType::F32, [2]);
/// let a = g.add_parameter(t.clone());
/// let s = g.add_node(Op::Binary(BinaryOp::Add), &[a, a], vec![t], None);
/// g.set_outputs(vec![Value::first(s)]);
/// let text = dot::to_dot(&g, "example");
/// assert!(text.starts_with("digraph \"example\""));
/// assert!(text.contains("add\\nf32[2]"));
/// ```
pub fn to_dot(g: &Graph, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", esc(name));
    out.push_str("  node [shape=record, fontname=monospace];\n");
    emit(g, "", &mut out, 1);
    out.push_str("}\n");
    out
}
