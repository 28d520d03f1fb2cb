//! A tree view of a module's state, like `nnx.display(model)` / a Flax module's repr: every
//! variable with its kind, shape and dtype, and for every module (and the root) the number
//! of elements and bytes per variable kind, with a total when there is more than one kind.
//!
//! Counting follows Flax: `RngKey` and `RngCount` count together as `RngState`; an RNG key
//! counts as one element of 8 bytes (JAX's `key<fry>`); sizes print with thousands
//! separators and bytes as `340 B`, `1.1 KB`, `23.2 MB` (decimal units, one decimal). The
//! kinds of a summary come in the order Flax lists them: by first appearance when the
//! tree's fields are visited in sorted order (Flax sorts a module's attributes).

use crate::{Module, PathPart, VarPath, VarValue};
use ferrax_ir::{DType, TensorType};
use std::fmt;

/// A number of elements and their size in bytes (Flax's `SizeBytes`), displayed as
/// `85 (340 B)`.
///
/// ```
/// use ferrax_nn::SizeBytes;
/// assert_eq!(SizeBytes { size: 85, bytes: 340 }.to_string(), "85 (340 B)");
/// assert_eq!(SizeBytes { size: 5790, bytes: 23160 }.to_string(), "5,790 (23.2 KB)");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeBytes {
    /// Number of elements.
    pub size: usize,
    /// Number of bytes.
    pub bytes: usize,
}

impl std::ops::AddAssign for SizeBytes {
    fn add_assign(&mut self, o: SizeBytes) {
        self.size += o.size;
        self.bytes += o.bytes;
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes_repr(b: usize) -> String {
    let f = b as f64;
    let (v, unit) = if f > 1e9 {
        (f / 1e9, "GB")
    } else if f > 1e6 {
        (f / 1e6, "MB")
    } else if f > 1e3 {
        (f / 1e3, "KB")
    } else {
        return format!("{} B", thousands(b));
    };
    let s = format!("{v:.1}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, "0"));
    format!(
        "{}.{frac} {unit}",
        thousands(int.parse::<usize>().unwrap_or(0))
    )
}

impl fmt::Display for SizeBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", thousands(self.size), bytes_repr(self.bytes))
    }
}

/// NumPy's name of a dtype (`float32`), as Flax prints it.
fn numpy_name(d: DType) -> &'static str {
    match d {
        DType::Bool => "bool",
        DType::I8 => "int8",
        DType::I16 => "int16",
        DType::I32 => "int32",
        DType::I64 => "int64",
        DType::U8 => "uint8",
        DType::U16 => "uint16",
        DType::U32 => "uint32",
        DType::U64 => "uint64",
        DType::F16 => "float16",
        DType::BF16 => "bfloat16",
        DType::F32 => "float32",
        DType::F64 => "float64",
    }
}

fn py_shape(s: &[usize]) -> String {
    match s {
        [] => "()".into(),
        [a] => format!("({a},)"),
        _ => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One variable as the display sees it.
struct Var {
    path: VarPath,
    kind: &'static str,
    tag: Option<String>,
    /// Shape as shown (an RNG key without its trailing key-data axis) and dtype name.
    shape: Vec<usize>,
    dtype: &'static str,
    stats: SizeBytes,
}

fn group(kind: &'static str) -> &'static str {
    match kind {
        "RngKey" | "RngCount" => "RngState",
        k => k,
    }
}

fn describe(path: &VarPath, kind: &'static str, tag: Option<&str>, v: &VarValue) -> Var {
    let ty = v
        .ty()
        .unwrap_or_else(|_| TensorType::new(DType::F32, Vec::<usize>::new()));
    let full: Vec<usize> = ty.shape.0.clone();
    let (shape, dtype) = if kind == "RngKey" && full.last() == Some(&2) {
        (full[..full.len() - 1].to_vec(), "key<fry>")
    } else {
        (full.clone(), numpy_name(ty.dtype))
    };
    let size: usize = shape.iter().product();
    let bytes = full.iter().product::<usize>() * ty.dtype.byte_size();
    Var {
        path: path.clone(),
        kind,
        tag: tag.map(str::to_owned),
        shape,
        dtype,
        stats: SizeBytes { size, bytes },
    }
}

fn collect<M: Module + ?Sized>(m: &M) -> Vec<Var> {
    let mut vars = Vec::new();
    m.visit(&mut VarPath::default(), &mut |p, v| {
        vars.push(describe(p, v.kind_name(), v.tag(), v.var_value()))
    });
    vars
}

/// Per-kind totals of `vars`, in Flax's order (first appearance in sorted path order).
fn summarize(vars: &[&Var]) -> Vec<(&'static str, SizeBytes)> {
    let mut sorted: Vec<&&Var> = vars.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out: Vec<(&'static str, SizeBytes)> = Vec::new();
    for v in sorted {
        if v.stats.size == 0 {
            continue;
        }
        let g = group(v.kind);
        match out.iter_mut().find(|(k, _)| *k == g) {
            Some((_, s)) => *s += v.stats,
            None => out.push((g, v.stats)),
        }
    }
    out
}

fn stats_comment(stats: &[(&'static str, SizeBytes)]) -> String {
    if stats.is_empty() {
        return String::new();
    }
    let mut s = format!(
        " # {}",
        stats
            .iter()
            .map(|(k, sb)| format!("{k}: {sb}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if stats.len() > 1 {
        let mut total = SizeBytes::default();
        for (_, sb) in stats {
            total += *sb;
        }
        s.push_str(&format!(", Total: {total}"));
    }
    s
}

/// Per-kind element and byte counts of a module's variables (`Param`, `BatchStat`,
/// `RngState`, user kinds), in Flax's order.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Linear, Rngs};
/// let l = Linear::new(2, 10, &mut Rngs::new().with("params", 0))?;
/// let s = nn::param_counts(&l);
/// assert_eq!(s[0].0, "Param");
/// assert_eq!(s[0].1.to_string(), "30 (120 B)");
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn param_counts<M: Module + ?Sized>(m: &M) -> Vec<(&'static str, SizeBytes)> {
    let vars = collect(m);
    summarize(&vars.iter().collect::<Vec<_>>())
}

fn part_name(p: &PathPart) -> String {
    match p {
        PathPart::Field(s) => s.to_string(),
        PathPart::Index(i) => i.to_string(),
    }
}

/// Writes the subtree of the variables `vars` (all under the same `depth` path prefix).
fn write_tree(out: &mut String, vars: &[&Var], depth: usize, indent: usize) {
    // Children in first-appearance (declaration) order.
    let mut order: Vec<&PathPart> = Vec::new();
    for v in vars {
        if let Some(p) = v.path.parts().get(depth) {
            if !order.contains(&p) {
                order.push(p);
            }
        }
    }
    let pad = "  ".repeat(indent);
    for part in order {
        let below: Vec<&Var> = vars
            .iter()
            .copied()
            .filter(|v| v.path.parts().get(depth) == Some(part))
            .collect();
        let name = part_name(part);
        match below.as_slice() {
            [v] if v.path.parts().len() == depth + 1 => {
                let tag = v
                    .tag
                    .as_deref()
                    .map(|t| format!(", tag='{t}'"))
                    .unwrap_or_default();
                let comment = if v.stats.size > 0 {
                    format!(" # {}", v.stats)
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "{pad}{name}: {}(shape={}, dtype={}{tag}){comment}\n",
                    v.kind,
                    py_shape(&v.shape),
                    v.dtype
                ));
            }
            _ => {
                out.push_str(&format!(
                    "{pad}{name}{}\n",
                    stats_comment(&summarize(&below))
                ));
                write_tree(out, &below, depth + 1, indent + 1);
            }
        }
    }
}

/// The tree of `m`'s variables under the root name `name`: one line per module with its
/// per-kind counts (`layer1 # Param: 30 (120 B)`), one per variable with kind, shape,
/// dtype, RNG tag and count.
pub fn display_named<M: Module + ?Sized>(name: &str, m: &M) -> String {
    let vars = collect(m);
    let refs: Vec<&Var> = vars.iter().collect();
    let mut out = format!("{name}{}\n", stats_comment(&summarize(&refs)));
    write_tree(&mut out, &refs, 0, 1);
    out
}

/// `nnx.display(model)`: the tree of `m`'s variables with per-variable shape and dtype and
/// per-module and total element and byte counts. The root is named after `M`'s type.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Linear, Rngs};
///
/// #[derive(Module)]
/// struct Mlp { layer1: Linear, layer2: Linear }
///
/// let mut rngs = Rngs::new().with("params", 0);
/// let m = Mlp { layer1: Linear::new(2, 10, &mut rngs)?, layer2: Linear::new(10, 5, &mut rngs)? };
/// let text = nn::display(&m);
/// assert!(text.starts_with("Mlp # Param: 85 (340 B)\n"));
/// assert!(text.contains("    kernel: Param(shape=(2, 10), dtype=float32) # 20 (80 B)\n"));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn display<M: Module + ?Sized>(m: &M) -> String {
    let full = std::any::type_name::<M>();
    // `crate::path::Mlp<T>` -> `Mlp<T>`: drop the module path of the outer type.
    let base = full.split('<').next().unwrap_or(full);
    let short_start = base.rfind("::").map_or(0, |i| i + 2);
    display_named(&full[short_start..], m)
}
