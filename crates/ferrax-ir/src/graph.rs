//! The op graph: a petgraph `StableGraph` of typed op nodes whose edges are operands in order.

use crate::{Error, Op, Result, TensorType};
use petgraph::stable_graph::{NodeIndex, StableGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Index of a node in a [`Graph`].
pub type NodeId = NodeIndex<u32>;

/// One result of one node: `(node, output number)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value {
    /// Producing node.
    pub node: NodeId,
    /// Which of its results.
    pub output: u32,
}

impl Value {
    /// The first (often only) result of `node`.
    pub fn first(node: NodeId) -> Value {
        Value { node, output: 0 }
    }
}

/// A node: the op, its result types, and the module path that emitted it.
#[derive(Clone, Debug)]
pub struct Node {
    /// The primitive op with its attributes.
    pub op: Op,
    /// Result types (most ops have one).
    pub outputs: Vec<TensorType>,
    /// Module path active when the op was traced (`Mlp.layer2`), for errors and dumps.
    pub path: Option<Arc<str>>,
}

/// An edge: operand position at the consumer and output number at the producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operand {
    /// Position in the consumer's operand list.
    pub index: u32,
    /// Result number of the producer.
    pub output: u32,
}

/// A program (or a region of one): nodes, its ordered parameters and its ordered outputs.
///
/// ```
/// use ferrax_ir::{Graph, Op, BinaryOp, TensorType, DType, Value};
/// let mut g = Graph::new();
/// let t = TensorType::new(DType::F32, [2]);
/// let a = g.add_parameter(t.clone());
/// let b = g.add_parameter(t.clone());
/// let s = g.add_node(Op::Binary(BinaryOp::Add), &[a, b], vec![t], None);
/// g.set_outputs(vec![Value::first(s)]);
/// assert_eq!(g.num_nodes(), 3);
/// assert_eq!(g.operands(s), vec![a, b]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Graph {
    g: StableGraph<Node, Operand>,
    params: Vec<NodeId>,
    outputs: Vec<Value>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Adds a node with the given operands and result types (no checking: use the traced
    /// [`crate::Tensor`] API or [`crate::rules`] to get checked construction).
    pub fn add_node(
        &mut self,
        op: Op,
        operands: &[Value],
        outputs: Vec<TensorType>,
        path: Option<Arc<str>>,
    ) -> NodeId {
        let id = self.g.add_node(Node { op, outputs, path });
        for (i, v) in operands.iter().enumerate() {
            self.g.add_edge(
                v.node,
                id,
                Operand {
                    index: i as u32,
                    output: v.output,
                },
            );
        }
        id
    }

    /// Adds the next parameter of type `ty`.
    pub fn add_parameter(&mut self, ty: TensorType) -> Value {
        let index = self.params.len();
        let id = self.add_node(Op::Parameter { index }, &[], vec![ty], None);
        self.params.push(id);
        Value::first(id)
    }

    /// Sets the graph's results.
    pub fn set_outputs(&mut self, outputs: Vec<Value>) {
        self.outputs = outputs;
    }

    /// The parameter nodes, in order.
    pub fn params(&self) -> &[NodeId] {
        &self.params
    }

    /// The graph's results, in order.
    pub fn outputs(&self) -> &[Value] {
        &self.outputs
    }

    /// Types of the parameters.
    pub fn param_types(&self) -> Vec<TensorType> {
        self.params
            .iter()
            .map(|&p| self.g[p].outputs[0].clone())
            .collect()
    }

    /// Types of the results.
    pub fn output_types(&self) -> Vec<TensorType> {
        self.outputs
            .iter()
            .map(|v| self.value_type(*v).clone())
            .collect()
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.g[id]
    }

    /// A node, mutably (changing its op or types is the caller's responsibility).
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.g[id]
    }

    /// True if `id` names a live node.
    pub fn contains(&self, id: NodeId) -> bool {
        self.g.contains_node(id)
    }

    /// The type of a value.
    pub fn value_type(&self, v: Value) -> &TensorType {
        &self.g[v.node].outputs[v.output as usize]
    }

    /// The operands of `id`, in order.
    pub fn operands(&self, id: NodeId) -> Vec<Value> {
        let mut ops: Vec<(u32, Value)> = self
            .g
            .edges_directed(id, Direction::Incoming)
            .map(|e| {
                (
                    e.weight().index,
                    Value {
                        node: e.source(),
                        output: e.weight().output,
                    },
                )
            })
            .collect();
        ops.sort_unstable_by_key(|(i, _)| *i);
        ops.into_iter().map(|(_, v)| v).collect()
    }

    /// Nodes that use any result of `id` (each once).
    pub fn users(&self, id: NodeId) -> Vec<NodeId> {
        let mut u: Vec<NodeId> = self.g.neighbors_directed(id, Direction::Outgoing).collect();
        u.sort_unstable();
        u.dedup();
        u
    }

    /// Number of live nodes.
    pub fn num_nodes(&self) -> usize {
        self.g.node_count()
    }

    /// All live node ids, in index order.
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.g.node_indices().collect()
    }

    /// Removes a node and its edges (the caller keeps the graph consistent).
    pub fn remove_node(&mut self, id: NodeId) {
        self.g.remove_node(id);
    }

    /// Redirects every use of `from` (operands and graph outputs) to `to`.
    pub fn replace_all_uses(&mut self, from: Value, to: Value) {
        let edges: Vec<_> = self
            .g
            .edges_directed(from.node, Direction::Outgoing)
            .filter(|e| e.weight().output == from.output)
            .map(|e| (e.id(), e.target(), e.weight().index))
            .collect();
        for (eid, target, index) in edges {
            self.g.remove_edge(eid);
            self.g.add_edge(
                to.node,
                target,
                Operand {
                    index,
                    output: to.output,
                },
            );
        }
        for o in &mut self.outputs {
            if *o == from {
                *o = to;
            }
        }
    }

    /// The underlying petgraph graph (read-only).
    pub fn petgraph(&self) -> &StableGraph<Node, Operand> {
        &self.g
    }

    /// Nodes reachable from the outputs (plus all parameters), operands before users, in a
    /// canonical order that depends only on the graph's structure, not on node indices.
    pub fn topo_order(&self) -> Vec<NodeId> {
        let mut order = Vec::with_capacity(self.g.node_count());
        let mut state: HashMap<NodeId, bool> = HashMap::new(); // false = visiting, true = done
        for &p in &self.params {
            state.insert(p, true);
            order.push(p);
        }
        for v in &self.outputs {
            // Iterative post-order DFS.
            let mut stack: Vec<(NodeId, usize)> = vec![(v.node, 0)];
            while let Some((n, i)) = stack.pop() {
                if i == 0 {
                    if state.contains_key(&n) {
                        continue;
                    }
                    state.insert(n, false);
                }
                let ops = self.operands(n);
                if i < ops.len() {
                    stack.push((n, i + 1));
                    let m = ops[i].node;
                    if !state.contains_key(&m) {
                        stack.push((m, 0));
                    }
                } else {
                    state.insert(n, true);
                    order.push(n);
                }
            }
        }
        order
    }

    /// A structural fingerprint: equal for graphs with the same ops, attributes, types,
    /// wiring, parameters and outputs (module paths are not included).
    pub fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.hash_structure(&mut h);
        h.finish()
    }

    fn hash_structure<H: Hasher>(&self, h: &mut H) {
        let order = self.topo_order();
        let pos: HashMap<NodeId, usize> = order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        order.len().hash(h);
        for &n in &order {
            let node = &self.g[n];
            node.op.hash(h);
            node.outputs.hash(h);
            for v in self.operands(n) {
                pos.get(&v.node).hash(h);
                v.output.hash(h);
            }
        }
        self.params.len().hash(h);
        for v in &self.outputs {
            pos.get(&v.node).hash(h);
            v.output.hash(h);
        }
    }

    /// Checks internal consistency: operand counts are contiguous, every operand and
    /// output refers to a live node and a valid result, and parameters are numbered in order.
    pub fn validate(&self) -> Result<()> {
        for n in self.g.node_indices() {
            let mut idx: Vec<u32> = self
                .g
                .edges_directed(n, Direction::Incoming)
                .map(|e| e.weight().index)
                .collect();
            idx.sort_unstable();
            for (i, x) in idx.iter().enumerate() {
                if *x as usize != i {
                    return Err(Error::invalid(
                        "graph",
                        format!("node {n:?} has operand gap"),
                    ));
                }
            }
            for v in self.operands(n) {
                if v.output as usize >= self.g[v.node].outputs.len() {
                    return Err(Error::invalid("graph", format!("bad operand of {n:?}")));
                }
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            match self.g.node_weight(*p).map(|n| &n.op) {
                Some(Op::Parameter { index }) if *index == i => {}
                _ => return Err(Error::invalid("graph", format!("parameter {i} is broken"))),
            }
        }
        for v in &self.outputs {
            match self.g.node_weight(v.node) {
                Some(n) if (v.output as usize) < n.outputs.len() => {}
                _ => {
                    return Err(Error::invalid(
                        "graph",
                        "an output refers to a missing node",
                    ))
                }
            }
        }
        Ok(())
    }

    /// Copies the part of this graph that `outputs` depend on into a new graph whose
    /// parameters are all of this graph's parameters (in order) and whose results are
    /// `outputs`. Node indices in the copy are in canonical topological order.
    pub fn extract(&self, outputs: &[Value]) -> Graph {
        let mut tmp = Graph {
            g: self.g.clone(),
            params: self.params.clone(),
            outputs: outputs.to_vec(),
        };
        tmp.outputs = outputs.to_vec();
        tmp.compact()
    }

    /// Like [`Graph::extract`], but keeps only the parameters that `outputs` use; returns the
    /// new graph and, for each of its parameters, the index of the original parameter.
    pub fn extract_pruned(&self, outputs: &[Value]) -> (Graph, Vec<usize>) {
        let mut reach: std::collections::HashSet<NodeId> = std::collections::HashSet::new();
        let mut stack: Vec<NodeId> = outputs.iter().map(|v| v.node).collect();
        while let Some(n) = stack.pop() {
            if reach.insert(n) {
                stack.extend(self.g.neighbors_directed(n, Direction::Incoming));
            }
        }
        let used: Vec<usize> = self
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| reach.contains(p))
            .map(|(i, _)| i)
            .collect();
        let mut tmp = Graph {
            g: self.g.clone(),
            params: used.iter().map(|&i| self.params[i]).collect(),
            outputs: outputs.to_vec(),
        };
        for (k, &i) in used.iter().enumerate() {
            tmp.g[self.params[i]].op = Op::Parameter { index: k };
        }
        (tmp.compact(), used)
    }

    /// Rebuilds the graph with only live nodes, numbered in canonical topological order.
    pub fn compact(&self) -> Graph {
        let order = self.topo_order();
        let mut out = Graph::new();
        let mut map: HashMap<NodeId, NodeId> = HashMap::with_capacity(order.len());
        for &n in &order {
            let node = &self.g[n];
            let ops: Vec<Value> = self
                .operands(n)
                .into_iter()
                .map(|v| Value {
                    node: map[&v.node],
                    output: v.output,
                })
                .collect();
            let id = out.add_node(
                node.op.clone(),
                &ops,
                node.outputs.clone(),
                node.path.clone(),
            );
            if matches!(node.op, Op::Parameter { .. }) {
                out.params.push(id);
            }
            map.insert(n, id);
        }
        out.outputs = self
            .outputs
            .iter()
            .map(|v| Value {
                node: map[&v.node],
                output: v.output,
            })
            .collect();
        out
    }
}

impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
        self.fingerprint() == other.fingerprint()
    }
}
impl Eq for Graph {}
impl Hash for Graph {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash_structure(h)
    }
}
