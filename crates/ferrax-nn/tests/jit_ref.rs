//! `ferrax::jit` over functions of `&M`: state is read as program inputs, nothing is written
//! back, one compile per (module structure, argument types); changing state through
//! interior mutability is an error, never a leaked tracer.

use ferrax::nn::{self, AnyVariable, Dropout, Linear, Param, PathPart, Rngs, VarPath};
use ferrax::prelude::*;
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Module, Clone)]
struct Mlp {
    layer1: Linear,
    layer2: Linear,
    dropout: Dropout,
}

impl Mlp {
    fn new(rngs: &mut Rngs) -> ferrax::Result<Mlp> {
        let mut m = Mlp {
            layer1: Linear::new(2, 10, rngs)?,
            layer2: Linear::new(10, 5, rngs)?,
            dropout: Dropout::new(0.5, rngs)?,
        };
        nn::materialize(&mut m)?;
        Ok(m)
    }
    fn forward_eval(&self, x: &Tensor) -> ferrax::Result<Tensor> {
        self.layer2.forward(&nn::relu(&self.layer1.forward(x)?)?)
    }
}

fn rngs() -> Rngs {
    Rngs::new().with("params", 0).with("dropout", 1)
}

fn bits(a: &Array) -> Vec<u32> {
    a.to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

fn state_bits(m: &Mlp) -> Vec<(String, Vec<u8>)> {
    nn::variables(m)
        .into_iter()
        .map(|(p, v)| match v {
            nn::VarValue::Array(a) => (p, a.to_bytes().unwrap()),
            nn::VarValue::Tensor(_) => panic!("{p} is traced"),
        })
        .collect()
}

#[test]
fn shared_module_gives_the_same_numbers_as_eager_and_mut_jit() {
    let m = Mlp::new(&mut rngs()).unwrap();
    let before = state_bits(&m);
    let x = Array::from_vec(vec![0.5f32, -1.5, 2.0, 0.25], [2, 2]).unwrap();

    let mut f = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward_eval(x));
    let shared = &m;
    let a: Array = f.call(shared, &x).unwrap();
    let b: Array = f.call(shared, &x).unwrap();
    assert_eq!(f.num_compiled(), 1);
    assert_eq!(bits(&a), bits(&b));

    let eager = m.forward_eval(&x.to_tensor()).unwrap().eval().unwrap();
    assert_eq!(bits(&a), bits(&eager));

    let mut m2 = m.clone();
    let mut g = ferrax::jit(|m: &mut Mlp, x: &Tensor| m.forward_eval(x));
    let c: Array = g.call(&mut m2, &x).unwrap();
    assert_eq!(bits(&a), bits(&c));

    // Nothing written back: parameters and the dropout stream's key and count unchanged.
    assert_eq!(state_bits(&m), before);
}

#[test]
fn the_notebook_numbers_through_a_shared_module() {
    let m = Mlp::new(&mut Rngs::new().with("params", 0).with("dropout", 0)).unwrap();
    let mut f = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward_eval(x));
    let y: Array = f.call(&m, &Array::ones([1, 2], DType::F32)).unwrap();
    assert_eq!(
        y.to_string(),
        "[[-0.15895452 -1.1049775 1.2165147 0.62828314 0.571608]]"
    );
}

#[test]
fn new_values_of_the_same_types_reuse_the_program() {
    let mut m = Mlp::new(&mut rngs()).unwrap();
    let x = Array::ones([3, 2], DType::F32);
    let mut f = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward_eval(x));
    let a: Array = f.call(&m, &x).unwrap();
    // Replace a parameter outside jit: the next call reads the new value.
    m.layer2.bias = Some(Param::new(Array::ones([5], DType::F32)));
    let b: Array = f.call(&m, &x).unwrap();
    assert_eq!(f.num_compiled(), 1);
    let (a, b) = (a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    for (u, v) in a.iter().zip(&b) {
        assert!((v - u - 1.0).abs() < 1e-6, "{u} -> {v}");
    }
    // Another batch size is another signature.
    let _: Array = f.call(&m, &Array::ones([4, 2], DType::F32)).unwrap();
    assert_eq!(f.num_compiled(), 2);
    let _: Array = f.call(&m, &x).unwrap();
    assert_eq!(f.num_compiled(), 2);
}

#[derive(Module, Clone)]
struct Either {
    a: Option<Param>,
    b: Option<Param>,
}

#[test]
fn same_types_at_other_paths_are_another_structure() {
    let p = || Some(Param::new(Array::full(DType::F32, [2], 3.0)));
    let f = |m: &Either, x: &Tensor| match (&m.a, &m.b) {
        (Some(a), _) => x.add(&a.value()),
        (None, Some(b)) => x.mul(&b.value()),
        (None, None) => Ok(x.clone()),
    };
    let mut f = ferrax::jit(f);
    let x = Array::full(DType::F32, [2], 2.0);
    let plus: Array = f.call(&Either { a: p(), b: None }, &x).unwrap();
    let times: Array = f.call(&Either { a: None, b: p() }, &x).unwrap();
    assert_eq!(plus.to_vec::<f32>().unwrap(), vec![5.0, 5.0]);
    assert_eq!(times.to_vec::<f32>().unwrap(), vec![6.0, 6.0]);
    assert_eq!(f.num_compiled(), 2);
    // Back to the first structure: found again, not recompiled.
    let again: Array = f.call(&Either { a: p(), b: None }, &x).unwrap();
    assert_eq!(again.to_vec::<f32>().unwrap(), vec![5.0, 5.0]);
    assert_eq!(f.num_compiled(), 2);
}

#[test]
fn pending_initialisations_must_be_materialised_first() {
    let mut r = rngs();
    let m = Mlp {
        layer1: Linear::new(2, 10, &mut r).unwrap(),
        layer2: Linear::new(10, 5, &mut r).unwrap(),
        dropout: Dropout::new(0.5, &mut r).unwrap(),
    };
    let mut f = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward_eval(x));
    let e = f.call(&m, &Array::ones([1, 2], DType::F32)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("layer1.kernel"), "{msg}");
    assert!(msg.contains("materialize"), "{msg}");
}

#[test]
fn wrong_argument_count_is_an_error() {
    let m = Mlp::new(&mut rngs()).unwrap();
    let mut f = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward_eval(x));
    let x = Array::ones([1, 2], DType::F32);
    let e = f.call(&m, &[&x, &x]).unwrap_err();
    assert!(
        e.to_string().contains("takes 1 tensor arguments, got 2"),
        "{e}"
    );
    // A wrong feature count is the layer's error, naming the layer.
    let e = f.call(&m, &Array::ones([1, 3], DType::F32)).unwrap_err();
    assert!(e.to_string().contains("3 features, expected 2"), "{e}");
    assert_eq!(f.num_compiled(), 0);
}

/// A hand-written module whose parameter sits behind interior mutability.
#[derive(Clone)]
struct Cell<C> {
    w: C,
}

trait Slot: Clone {
    fn with<R>(&self, f: impl FnOnce(&mut Param) -> R) -> R;
}
impl Slot for RefCell<Param> {
    fn with<R>(&self, f: impl FnOnce(&mut Param) -> R) -> R {
        f(&mut self.borrow_mut())
    }
}
impl Slot for Rc<RefCell<Param>> {
    fn with<R>(&self, f: impl FnOnce(&mut Param) -> R) -> R {
        f(&mut self.borrow_mut())
    }
}

impl<C: Slot> Module for Cell<C> {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("w")));
        self.w.with(|p| f(path, p));
        path.pop();
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("w")));
        self.w.with(|p| f(path, p));
        path.pop();
    }
}

fn sneaky<C: Slot>(m: &Cell<C>, x: &Tensor) -> ferrax::Result<Tensor> {
    let w = m.w.with(|p| p.value());
    let y = x.mul(&w)?;
    m.w.with(|p| p.set(y.clone()))?;
    Ok(y)
}

fn reads<C: Slot>(m: &Cell<C>, x: &Tensor) -> ferrax::Result<Tensor> {
    x.mul(&m.w.with(|p| p.value()))
}

#[test]
fn interior_mutation_is_an_error_and_leaves_the_module_intact() {
    let x = Array::full(DType::F32, [2], 2.0);
    let w = || Param::new(Array::full(DType::F32, [2], 3.0));

    // Owned `RefCell`: the trace runs on a clone; the change is caught there.
    let m = Cell {
        w: RefCell::new(w()),
    };
    let mut f = ferrax::jit(|m: &Cell<RefCell<Param>>, x: &Tensor| sneaky(m, x));
    let e = f.call(&m, &x).unwrap_err().to_string();
    assert!(
        e.contains("changed `w`") && e.contains("interior mutability"),
        "{e}"
    );
    assert_eq!(f.num_compiled(), 0);

    // Shared `Rc<RefCell>`: the clone and the original share the variable; it is caught
    // and the original gets its array back (no leaked tracer).
    let m = Cell {
        w: Rc::new(RefCell::new(w())),
    };
    let mut f = ferrax::jit(|m: &Cell<Rc<RefCell<Param>>>, x: &Tensor| sneaky(m, x));
    let e = f.call(&m, &x).unwrap_err().to_string();
    assert!(e.contains("changed `w`"), "{e}");
    let mut g = ferrax::jit(|m: &Cell<Rc<RefCell<Param>>>, x: &Tensor| reads(m, x));
    let y: Array = g.call(&m, &x).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![6.0, 6.0]);
    assert_eq!(
        m.w.borrow().array().unwrap().to_vec::<f32>().unwrap(),
        vec![3.0, 3.0]
    );
}

#[test]
fn mut_jit_still_writes_the_dropout_stream_back() {
    #[derive(Module, Clone)]
    struct Net {
        lin: Linear,
        drop: Dropout,
    }
    let mut r = rngs();
    let mut net = Net {
        lin: Linear::new(2, 8, &mut r).unwrap(),
        drop: Dropout::new(0.5, &mut r).unwrap(),
    };
    let x = Array::ones([4, 2], DType::F32);
    let mut train = ferrax::jit(|m: &mut Net, x: &Tensor| m.drop.forward(&m.lin.forward(x)?));
    let mut eval = ferrax::jit(|m: &Net, x: &Tensor| m.lin.forward(x));
    let a: Array = train.call(&mut net, &x).unwrap();
    let e1: Array = eval.call(&net, &x).unwrap();
    let b: Array = train.call(&mut net, &x).unwrap();
    let e2: Array = eval.call(&net, &x).unwrap();
    assert_ne!(bits(&a), bits(&b), "the dropout stream advanced");
    assert_eq!(bits(&e1), bits(&e2), "eval reads the same parameters");
    assert_eq!((train.num_compiled(), eval.num_compiled()), (1, 1));
}
