//! `State`: a flat, ordered map from variable paths to values (`nnx.state`), with filters,
//! `split` and `update`.

use crate::{Module, VarPath, VarValue};
use ferrax_ir::{Error, Result};
use ferrax_runtime::Array;

/// Selects variables: by kind name, by RNG stream name (tag), by path, or combinations
/// (`nnx.filterlib`). A string converts to [`Filter::Tag`], as a string filter does in
/// Flax (`only='params'` selects the `params` stream's key and count).
///
/// ```
/// use ferrax_nn::Filter;
/// let f = Filter::from("params");
/// assert!(f.matches_var("rngs.params.key", "RngKey", Some("params")));
/// assert!(!f.matches_var("rngs.dropout.key", "RngKey", Some("dropout")));
/// let g = Filter::Any(vec![Filter::Kind("Param"), Filter::PathContains("dropout".into())]);
/// assert!(g.matches("layer.kernel", "Param"));
/// assert!(g.matches("dropout.rngs.key", "RngKey"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every variable (Flax's `...` / `True`).
    All,
    /// No variable (Flax's `None` / `False`).
    Nothing,
    /// Variables of this kind (`"Param"`, `"BatchStat"`, `"RngKey"`, `"RngCount"`, or a user kind).
    Kind(&'static str),
    /// Variables carrying this tag: the RNG stream name of `RngKey`/`RngCount` (`nnx.WithTag`).
    Tag(String),
    /// Variables whose dotted path starts with this prefix (whole components).
    PathPrefix(String),
    /// Variables whose path has this component (`nnx.PathContains`).
    PathContains(String),
    /// Any of these.
    Any(Vec<Filter>),
    /// All of these.
    And(Vec<Filter>),
    /// Not this.
    Not(Box<Filter>),
}

impl Filter {
    /// True if the untagged variable at `path` of kind `kind` is selected.
    pub fn matches(&self, path: &str, kind: &str) -> bool {
        self.matches_var(path, kind, None)
    }

    /// True if the variable at `path` of kind `kind` with tag `tag` is selected.
    pub fn matches_var(&self, path: &str, kind: &str, tag: Option<&str>) -> bool {
        match self {
            Filter::All => true,
            Filter::Nothing => false,
            Filter::Kind(k) => *k == kind,
            Filter::Tag(t) => tag == Some(t.as_str()),
            Filter::PathPrefix(p) => {
                path == p || (path.starts_with(p.as_str()) && path[p.len()..].starts_with('.'))
            }
            Filter::PathContains(c) => path.split('.').any(|part| part == c),
            Filter::Any(fs) => fs.iter().any(|f| f.matches_var(path, kind, tag)),
            Filter::And(fs) => fs.iter().all(|f| f.matches_var(path, kind, tag)),
            Filter::Not(f) => !f.matches_var(path, kind, tag),
        }
    }
}

impl From<&str> for Filter {
    /// A string filter selects a tag (stream name), as in Flax.
    fn from(tag: &str) -> Filter {
        Filter::Tag(tag.to_string())
    }
}

impl From<String> for Filter {
    fn from(tag: String) -> Filter {
        Filter::Tag(tag)
    }
}

/// One entry of a [`State`].
#[derive(Clone, Debug)]
pub struct StateEntry {
    /// Dotted path (`layer1.kernel`).
    pub path: String,
    /// Kind name (`Param`).
    pub kind: &'static str,
    /// The variable's tag (the RNG stream name for RNG variables).
    pub tag: Option<String>,
    /// The value.
    pub value: Array,
}

/// A flat, ordered snapshot of module variables.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Param, BatchStat, Filter, State};
/// #[derive(Module)]
/// struct Bn { scale: Param, mean: BatchStat }
/// let mut m = Bn { scale: Param::new(Array::ones([2], DType::F32)), mean: BatchStat::new(Array::zeros([2], DType::F32)) };
/// let s = State::of(&m)?;
/// let (params, rest) = s.split(&Filter::Kind("Param"));
/// assert_eq!(params.paths(), ["scale"]);
/// assert_eq!(rest.paths(), ["mean"]);
/// let mut new = params.clone();
/// new.entries[0].value = Array::full(DType::F32, [2], 5.0);
/// new.apply_to(&mut m)?;
/// assert_eq!(m.scale.array()?.to_vec::<f32>()?, vec![5.0, 5.0]);
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Entries in traversal order.
    pub entries: Vec<StateEntry>,
}

impl State {
    /// The state of a module (pending values are computed first, all in one program).
    pub fn of<M: Module + ?Sized>(m: &M) -> Result<State> {
        let mut entries = Vec::new();
        let mut pending = Vec::new();
        m.visit(&mut VarPath::default(), &mut |p, v| {
            let (value, t) = match v.var_value() {
                VarValue::Array(a) => (Some(a.clone()), None),
                VarValue::Tensor(t) => (None, Some(t.clone())),
            };
            if let Some(t) = t {
                pending.push((entries.len(), t));
            }
            entries.push((
                p.to_string(),
                v.kind_name(),
                v.tag().map(str::to_owned),
                value,
            ));
        });
        if !pending.is_empty() {
            let ts: Vec<_> = pending.iter().map(|(_, t)| t.clone()).collect();
            let arrays = ferrax_runtime::eval_many(&ts)?;
            for ((i, _), a) in pending.into_iter().zip(arrays) {
                entries[i].3 = Some(a);
            }
        }
        Ok(State {
            entries: entries
                .into_iter()
                .filter_map(|(path, kind, tag, value)| {
                    value.map(|value| StateEntry {
                        path,
                        kind,
                        tag,
                        value,
                    })
                })
                .collect(),
        })
    }

    /// The paths, in order.
    pub fn paths(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.path.as_str()).collect()
    }

    /// The entry at `path`.
    pub fn get(&self, path: &str) -> Option<&Array> {
        self.entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| &e.value)
    }

    /// Entries matching `filter`, and the rest.
    pub fn split(&self, filter: &Filter) -> (State, State) {
        let (a, b): (Vec<_>, Vec<_>) = self
            .entries
            .iter()
            .cloned()
            .partition(|e| filter.matches_var(&e.path, e.kind, e.tag.as_deref()));
        (State { entries: a }, State { entries: b })
    }

    /// Entries matching `filter`.
    pub fn filter(&self, filter: &Filter) -> State {
        self.split(filter).0
    }

    /// Concatenates states (`nnx.merge` of several states).
    pub fn merge(states: &[State]) -> State {
        State {
            entries: states
                .iter()
                .flat_map(|s| s.entries.iter().cloned())
                .collect(),
        }
    }

    /// Writes these values into the module's variables of the same paths (`nnx.update`);
    /// every path must exist in the module with the same kind and type.
    pub fn apply_to<M: Module + ?Sized>(&self, m: &mut M) -> Result<()> {
        let mut err: Option<Error> = None;
        let mut seen = vec![false; self.entries.len()];
        m.visit_mut(&mut VarPath::default(), &mut |p, v| {
            let path = p.to_string();
            if let Some(i) = self.entries.iter().position(|e| e.path == path) {
                seen[i] = true;
                let e = &self.entries[i];
                let ty = v.var_value().ty();
                if e.kind != v.kind_name() || ty.as_ref().ok() != Some(e.value.ty()) {
                    err.get_or_insert_with(|| {
                        Error::invalid(
                            "State.apply_to",
                            format!(
                                "{path}: state holds {} {}, module has {}",
                                e.kind,
                                e.value.ty(),
                                v.kind_name()
                            ),
                        )
                    });
                    return;
                }
                v.set_var_value(VarValue::Array(e.value.clone()));
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(Error::invalid(
                "State.apply_to",
                format!("the module has no variable at `{}`", self.entries[i].path),
            ));
        }
        Ok(())
    }
}
