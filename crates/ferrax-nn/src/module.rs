//! The `Module` trait: named, ordered traversal of a model's variables.

use crate::{AnyVariable, PathPart, VarPath, VarValue, Variable, VariableKind};
use ferrax_ir::{DType, Error, Result, Tensor};
use ferrax_runtime::{eval_many, Array};

/// A tree of variables with stable, named paths. Derive it with `#[derive(Module)]`
/// (`ferrax::Module`); fields that are modules, variables, `Vec`/`Option`/arrays/`Box` of
/// modules are traversed, plain configuration (numbers, strings, dtypes, `()`) has no state,
/// and a field marked `#[module(skip)]` is left out.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Param};
///
/// #[derive(Module)]
/// struct Affine { w: Param, b: Param, features: usize }
///
/// let m = Affine {
///     w: Param::new(Array::ones([2, 3], DType::F32)),
///     b: Param::new(Array::zeros([3], DType::F32)),
///     features: 3,
/// };
/// let paths: Vec<String> = nn::variables(&m).into_iter().map(|(p, _)| p).collect();
/// assert_eq!(paths, ["w", "b"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Module: it is neither a module, a variable, nor plain configuration",
    label = "this field's type does not implement `Module`",
    note = "derive or implement `Module` for it, or mark the field `#[module(skip)]` to keep it out of the model state"
)]
pub trait Module {
    /// Calls `f` on every variable, in declaration order, with its path below `path`.
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable));
    /// Like [`Module::visit`], with mutable access.
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable));
}

impl<K: VariableKind> Module for Variable<K> {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        f(path, self)
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        f(path, self)
    }
}

macro_rules! stateless {
    ($($t:ty),*) => {$(
        impl Module for $t {
            fn visit(&self, _: &mut VarPath, _: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {}
            fn visit_mut(&mut self, _: &mut VarPath, _: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {}
        }
    )*};
}
stateless!(
    (),
    bool,
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    isize,
    f32,
    f64,
    String,
    &'static str,
    DType
);

impl<M: Module> Module for Vec<M> {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        self.as_slice().visit(path, f)
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        self.as_mut_slice().visit_mut(path, f)
    }
}

impl<M: Module> Module for [M] {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        for (i, m) in self.iter().enumerate() {
            path.push(PathPart::Index(i));
            m.visit(path, f);
            path.pop();
        }
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        for (i, m) in self.iter_mut().enumerate() {
            path.push(PathPart::Index(i));
            m.visit_mut(path, f);
            path.pop();
        }
    }
}

impl<M: Module, const N: usize> Module for [M; N] {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        self.as_slice().visit(path, f)
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        self.as_mut_slice().visit_mut(path, f)
    }
}

impl<M: Module> Module for Option<M> {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        if let Some(m) = self {
            m.visit(path, f)
        }
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        if let Some(m) = self {
            m.visit_mut(path, f)
        }
    }
}

impl<M: Module + ?Sized> Module for Box<M> {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        (**self).visit(path, f)
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        (**self).visit_mut(path, f)
    }
}

/// Every variable's path (dotted) and value, in traversal order.
pub fn variables<M: Module + ?Sized>(m: &M) -> Vec<(String, VarValue)> {
    let mut out = Vec::new();
    m.visit(&mut VarPath::default(), &mut |p, v| {
        out.push((p.to_string(), v.var_value().clone()))
    });
    out
}

/// Runs every pending (traced) variable value of an eager-built module in ONE compiled
/// program and stores the arrays: model construction compiles once, not once per parameter.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Param};
/// #[derive(Module)]
/// struct Two { a: Param, b: Param }
/// let mut m = Two {
///     a: Param::from_tensor(Tensor::ones(DType::F32, [2]).mul(&Tensor::scalar(3.0f32))?),
///     b: Param::from_tensor(Tensor::zeros(DType::F32, [3])),
/// };
/// nn::materialize(&mut m)?;
/// assert_eq!(m.a.array()?.to_vec::<f32>()?, vec![3.0, 3.0]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn materialize<M: Module + ?Sized>(m: &mut M) -> Result<()> {
    let mut pending: Vec<Tensor> = Vec::new();
    m.visit(&mut VarPath::default(), &mut |_, v| {
        if let VarValue::Tensor(t) = v.var_value() {
            pending.push(t.clone());
        }
    });
    if pending.is_empty() {
        return Ok(());
    }
    // One program per trace the pending values live in (normally one: the eager trace).
    let mut arrays: Vec<Option<Array>> = vec![None; pending.len()];
    let mut groups: Vec<(u64, Vec<usize>)> = Vec::new();
    for (i, t) in pending.iter().enumerate() {
        let id = t.trace().map(|tr| tr.id()).ok_or_else(|| {
            t.error()
                .cloned()
                .unwrap_or_else(|| Error::invalid("materialize", "bad tensor"))
        })?;
        match groups.iter_mut().find(|(g, _)| *g == id) {
            Some((_, v)) => v.push(i),
            None => groups.push((id, vec![i])),
        }
    }
    for (_, idx) in groups {
        let ts: Vec<Tensor> = idx.iter().map(|&i| pending[i].clone()).collect();
        for (i, a) in idx.into_iter().zip(eval_many(&ts)?) {
            arrays[i] = Some(a);
        }
    }
    let mut it = arrays.into_iter();
    m.visit_mut(&mut VarPath::default(), &mut |_, v| {
        if matches!(v.var_value(), VarValue::Tensor(_)) {
            if let Some(Some(a)) = it.next() {
                v.set_var_value(VarValue::Array(a));
            }
        }
    });
    Ok(())
}

/// Every variable's value, in traversal order.
pub(crate) fn values<M: Module + ?Sized>(m: &M) -> Vec<VarValue> {
    let mut out = Vec::new();
    m.visit(&mut VarPath::default(), &mut |_, v| {
        out.push(v.var_value().clone())
    });
    out
}

/// Stores `values` into the variables in traversal order (the caller keeps the types).
pub(crate) fn set_values<M: Module + ?Sized>(
    m: &mut M,
    values: impl IntoIterator<Item = VarValue>,
) {
    let mut it = values.into_iter();
    m.visit_mut(&mut VarPath::default(), &mut |_, v| {
        if let Some(x) = it.next() {
            v.set_var_value(x);
        }
    });
}
