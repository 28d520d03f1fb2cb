//! Variables: typed, named holders of module state (`Param`, `BatchStat`, RNG key and count,
//! and user-defined kinds).

use ferrax_ir::{Error, Result, Tensor, TensorType};
use ferrax_runtime::{Array, Eval};
use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A kind of variable (`Param`, `BatchStat`, ...). Implement it on a unit struct to define
/// your own kind, then use `Variable<MyKind>` in modules.
///
/// ```
/// use ferrax_nn::{Variable, VariableKind};
/// struct Counter;
/// impl VariableKind for Counter { const NAME: &'static str = "Counter"; }
/// type CounterVar = Variable<Counter>;
/// ```
pub trait VariableKind: 'static {
    /// The kind's name, as shown in state dumps and used by filters (`"Param"`).
    const NAME: &'static str;
}

/// Marker kinds of the built-in variables.
pub mod kind {
    use super::VariableKind;
    /// Trainable parameters (`nnx.Param`).
    pub struct Param;
    /// Batch statistics (`nnx.BatchStat`).
    pub struct BatchStat;
    /// An RNG stream's key (`nnx.RngKey`).
    pub struct RngKey;
    /// An RNG stream's counter (`nnx.RngCount`).
    pub struct RngCount;
    impl VariableKind for Param {
        const NAME: &'static str = "Param";
    }
    impl VariableKind for BatchStat {
        const NAME: &'static str = "BatchStat";
    }
    impl VariableKind for RngKey {
        const NAME: &'static str = "RngKey";
    }
    impl VariableKind for RngCount {
        const NAME: &'static str = "RngCount";
    }
}

/// A trainable parameter.
pub type Param = Variable<kind::Param>;
/// A batch statistic (updated in the forward pass, not trained).
pub type BatchStat = Variable<kind::BatchStat>;
/// An RNG stream key.
pub type RngKey = Variable<kind::RngKey>;
/// An RNG stream counter.
pub type RngCount = Variable<kind::RngCount>;

/// What a variable holds: a concrete array, or a traced tensor (inside `jit`, or a pending
/// initialisation not yet materialised).
#[derive(Clone)]
pub enum VarValue {
    /// A concrete value.
    Array(Array),
    /// A traced value.
    Tensor(Tensor),
}

impl VarValue {
    /// The value as a tensor of the current trace (a concrete array becomes a program input).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::VarValue;
    /// let v = VarValue::Array(Array::ones([2], DType::F32));
    /// assert_eq!(v.to_tensor().add(&v.to_tensor())?.eval()?.to_vec::<f32>()?, vec![2.0, 2.0]);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn to_tensor(&self) -> Tensor {
        match self {
            VarValue::Array(a) => a.to_tensor(),
            VarValue::Tensor(t) => t.clone(),
        }
    }

    /// The static type.
    pub fn ty(&self) -> Result<TensorType> {
        match self {
            VarValue::Array(a) => Ok(a.ty().clone()),
            VarValue::Tensor(t) => t.ty().cloned(),
        }
    }
}

/// A variable of kind `K`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::Param;
/// let p = Param::new(Array::ones([2, 3], DType::F32));
/// assert_eq!(p.shape().unwrap(), vec![2, 3]);
/// let doubled = p.value().mul(&p.value()).unwrap();
/// assert_eq!(doubled.shape(), &[2, 3]);
/// ```
pub struct Variable<K: VariableKind> {
    value: VarValue,
    tag: Option<Arc<str>>,
    _kind: PhantomData<fn() -> K>,
}

impl<K: VariableKind> Clone for Variable<K> {
    fn clone(&self) -> Self {
        Variable {
            value: self.value.clone(),
            tag: self.tag.clone(),
            _kind: PhantomData,
        }
    }
}

impl<K: VariableKind> fmt::Debug for Variable<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value.ty() {
            Ok(t) => write!(f, "{}({t})", K::NAME),
            Err(e) => write!(f, "{}(<{e}>)", K::NAME),
        }
    }
}

impl<K: VariableKind> Variable<K> {
    /// A variable holding a concrete array.
    pub fn new(value: Array) -> Self {
        Variable {
            value: VarValue::Array(value),
            tag: None,
            _kind: PhantomData,
        }
    }

    /// A variable holding a traced tensor (e.g. an initialiser not yet run).
    pub fn from_tensor(value: Tensor) -> Self {
        Variable {
            value: VarValue::Tensor(value),
            tag: None,
            _kind: PhantomData,
        }
    }

    /// The value as a tensor of the current trace (a concrete array becomes a program input).
    pub fn value(&self) -> Tensor {
        self.value.to_tensor()
    }

    /// Replaces the value with a traced tensor; its type must stay the same.
    pub fn set(&mut self, t: Tensor) -> Result<()> {
        let old = self.value.ty()?;
        let new = t.ty()?.clone();
        if old != new {
            return Err(Error::invalid(
                "Variable.set",
                format!("{} changes type from {old} to {new}", K::NAME),
            ));
        }
        self.value = VarValue::Tensor(t);
        Ok(())
    }

    /// The concrete value, running the pending computation if there is one.
    pub fn array(&self) -> Result<Array> {
        match &self.value {
            VarValue::Array(a) => Ok(a.clone()),
            VarValue::Tensor(t) => t.eval(),
        }
    }

    /// The static shape.
    pub fn shape(&self) -> Result<Vec<usize>> {
        Ok(self.value.ty()?.shape.0)
    }

    /// The raw value.
    pub fn raw(&self) -> &VarValue {
        &self.value
    }

    /// Attaches a tag (RNG variables carry their stream's name).
    pub fn with_tag(mut self, tag: &str) -> Self {
        self.tag = Some(Arc::from(tag));
        self
    }
}

/// Object-safe access to any variable, for traversals.
pub trait AnyVariable {
    /// The kind's name (`"Param"`).
    fn kind_name(&self) -> &'static str;
    /// The kind's type id.
    fn kind_id(&self) -> TypeId;
    /// The value.
    fn var_value(&self) -> &VarValue;
    /// Replaces the value (the caller keeps the type).
    fn set_var_value(&mut self, v: VarValue);
    /// The tag (the RNG stream name for `RngKey`/`RngCount`).
    fn tag(&self) -> Option<&str>;
}

impl<K: VariableKind> AnyVariable for Variable<K> {
    fn kind_name(&self) -> &'static str {
        K::NAME
    }
    fn kind_id(&self) -> TypeId {
        TypeId::of::<K>()
    }
    fn var_value(&self) -> &VarValue {
        &self.value
    }
    fn set_var_value(&mut self, v: VarValue) {
        self.value = v;
    }
    fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
}
