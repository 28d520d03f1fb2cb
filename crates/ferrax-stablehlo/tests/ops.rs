//! Coverage: every unary/binary op and comparison lowers to the StableHLO op it should,
//! and malformed graphs give errors naming the op and the module path (never a panic).

use ferrax_ir::{
    rules, BinaryOp, CompareDir, DType, Graph, Literal, Op, TensorType, UnaryOp, Value,
};
use ferrax_stablehlo::{lower, LowerError};
use std::sync::Arc;

fn t(d: DType, s: &[usize]) -> TensorType {
    TensorType::new(d, s.to_vec())
}

fn unary(u: UnaryOp, d: DType) -> String {
    let ty = t(d, &[2, 3]);
    let mut g = Graph::new();
    let x = g.add_parameter(ty.clone());
    let out = rules::unary(u, &ty).unwrap();
    let y = g.add_node(Op::Unary(u), &[x], vec![out], None);
    g.set_outputs(vec![Value::first(y)]);
    lower(&g, "u").unwrap()
}

fn binary(b: BinaryOp, d: DType) -> String {
    let ty = t(d, &[4]);
    let mut g = Graph::new();
    let x = g.add_parameter(ty.clone());
    let y = g.add_parameter(ty.clone());
    let r = g.add_node(Op::Binary(b), &[x, y], vec![ty], None);
    g.set_outputs(vec![Value::first(r)]);
    lower(&g, "b").unwrap()
}

#[test]
fn every_unary_op() {
    let expect = |u: UnaryOp| match u {
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
    for u in UnaryOp::ALL {
        let d = match u {
            UnaryOp::Not | UnaryOp::PopCnt | UnaryOp::Clz => DType::I32,
            _ => DType::F32,
        };
        let text = unary(u, d);
        assert!(
            text.contains(&format!("\"{}\"(%arg0)", expect(u))),
            "{u:?}:\n{text}"
        );
    }
    let text = unary(UnaryOp::IsFinite, DType::F32);
    assert!(
        text.contains("(tensor<2x3xf32>) -> tensor<2x3xi1>"),
        "{text}"
    );
}

#[test]
fn sign_of_unsigned_is_min_with_one() {
    let text = unary(UnaryOp::Sign, DType::U32);
    assert!(text.contains("dense<1> : tensor<2x3xui32>"), "{text}");
    assert!(text.contains("\"stablehlo.minimum\"(%arg0, %0)"), "{text}");
    assert!(!text.contains("stablehlo.sign"), "{text}");
}

#[test]
fn every_binary_op() {
    let expect = |b: BinaryOp| match b {
        BinaryOp::Add => "stablehlo.add",
        BinaryOp::Sub => "stablehlo.subtract",
        BinaryOp::Mul => "stablehlo.multiply",
        BinaryOp::Div => "stablehlo.divide",
        BinaryOp::Rem => "stablehlo.remainder",
        BinaryOp::Pow => "stablehlo.power",
        BinaryOp::Max => "stablehlo.maximum",
        BinaryOp::Min => "stablehlo.minimum",
        BinaryOp::Atan2 => "stablehlo.atan2",
        BinaryOp::And => "stablehlo.and",
        BinaryOp::Or => "stablehlo.or",
        BinaryOp::Xor => "stablehlo.xor",
        BinaryOp::ShiftLeft => "stablehlo.shift_left",
        BinaryOp::ShiftRightLogical => "stablehlo.shift_right_logical",
        BinaryOp::ShiftRightArithmetic => "stablehlo.shift_right_arithmetic",
    };
    for b in BinaryOp::ALL {
        let d = match b {
            BinaryOp::Atan2 => DType::F32,
            _ => DType::I32,
        };
        let text = binary(b, d);
        assert!(
            text.contains(&format!("\"{}\"(%arg0, %arg1)", expect(b))),
            "{b:?}:\n{text}"
        );
        assert!(text.contains("tensor<4xi32>") || d == DType::F32);
    }
    // Bool max/min are or/and.
    assert!(binary(BinaryOp::Max, DType::Bool).contains("\"stablehlo.or\""));
    assert!(binary(BinaryOp::Min, DType::Bool).contains("\"stablehlo.and\""));
    assert!(binary(BinaryOp::Xor, DType::U8).contains("tensor<4xui8>"));
}

#[test]
fn every_comparison() {
    for dir in CompareDir::ALL {
        for (d, ty) in [
            (DType::F32, "FLOAT"),
            (DType::BF16, "FLOAT"),
            (DType::I8, "SIGNED"),
            (DType::I64, "SIGNED"),
            (DType::U16, "UNSIGNED"),
            (DType::Bool, "UNSIGNED"),
        ] {
            let mut g = Graph::new();
            let x = g.add_parameter(t(d, &[3]));
            let y = g.add_parameter(t(d, &[3]));
            let c = g.add_node(Op::Compare(dir), &[x, y], vec![t(DType::Bool, &[3])], None);
            g.set_outputs(vec![Value::first(c)]);
            let text = lower(&g, "c").unwrap();
            let want = format!(
                "{{comparison_direction = #stablehlo<comparison_direction {}>, \
                 compare_type = #stablehlo<comparison_type {ty}>}}",
                dir.name()
            );
            assert!(text.contains(&want), "{dir:?} {d}:\n{text}");
        }
    }
}

#[test]
fn mixed_dynamic_slice_indices_are_widened() {
    let mut g = Graph::new();
    let x = g.add_parameter(t(DType::F32, &[4, 6]));
    let a = g.add_parameter(TensorType::scalar(DType::I32));
    let b = g.add_parameter(TensorType::scalar(DType::U8));
    let r = g.add_node(
        Op::DynamicSlice { sizes: vec![2, 2] },
        &[x, a, b],
        vec![t(DType::F32, &[2, 2])],
        None,
    );
    g.set_outputs(vec![Value::first(r)]);
    let text = lower(&g, "ds").unwrap();
    assert!(text.contains("\"stablehlo.convert\"(%arg2) : (tensor<ui8>) -> tensor<i64>"));
    assert!(text.contains(
        "\"stablehlo.dynamic_slice\"(%arg0, %0, %1) {slice_sizes = array<i64: 2, 2>} : \
         (tensor<4x6xf32>, tensor<i64>, tensor<i64>) -> tensor<2x2xf32>"
    ));
}

fn err_of(g: &Graph) -> LowerError {
    lower(g, "bad").unwrap_err()
}

#[test]
fn errors_name_the_op_and_path() {
    // A unary op on a dtype it is not defined for.
    let mut g = Graph::new();
    let x = g.add_parameter(t(DType::I32, &[2]));
    let y = g.add_node(
        Op::Unary(UnaryOp::Exp),
        &[x],
        vec![t(DType::I32, &[2])],
        Some("Mlp.layer2".into()),
    );
    g.set_outputs(vec![Value::first(y)]);
    let e = err_of(&g);
    assert_eq!(e.op, "exp");
    assert_eq!(e.path.as_deref(), Some("Mlp.layer2"));
    assert!(e.to_string().starts_with("Mlp.layer2 (exp): "), "{e}");

    // Wrong arity.
    let mut g = Graph::new();
    let x = g.add_parameter(t(DType::F32, &[2]));
    let y = g.add_node(
        Op::Binary(BinaryOp::Add),
        &[x],
        vec![t(DType::F32, &[2])],
        None,
    );
    g.set_outputs(vec![Value::first(y)]);
    let e = err_of(&g);
    assert_eq!(e.op, "add");
    assert!(e.message.contains("2 operands"), "{e}");

    // A constant whose literal disagrees with the node type.
    let mut g = Graph::new();
    let c = g.add_node(
        Op::Constant(Literal::scalar(1.0f32)),
        &[],
        vec![t(DType::F32, &[2])],
        Some("M".into()),
    );
    g.set_outputs(vec![Value::first(c)]);
    let e = err_of(&g);
    assert_eq!((e.op.as_str(), e.path.as_deref()), ("constant", Some("M")));

    // An output that refers to a result the node does not have.
    let mut g = Graph::new();
    let x = g.add_parameter(t(DType::F32, &[2]));
    g.set_outputs(vec![Value {
        node: x.node,
        output: 3,
    }]);
    assert_eq!(err_of(&g).op, "graph");

    // A case branch taking the wrong number of parameters.
    let mut br = Graph::new();
    let p = br.add_parameter(t(DType::F32, &[2]));
    br.set_outputs(vec![p]);
    let mut g = Graph::new();
    let i = g.add_parameter(TensorType::scalar(DType::I32));
    let c = g.add_node(
        Op::Case {
            branches: vec![Arc::new(br)],
        },
        &[i],
        vec![t(DType::F32, &[2])],
        Some("Model.branch".into()),
    );
    g.set_outputs(vec![Value::first(c)]);
    let e = err_of(&g);
    assert_eq!(e.op, "case");
    assert!(e.message.contains("1 parameters"), "{e}");

    // Iota of bool has no StableHLO form.
    let mut g = Graph::new();
    let c = g.add_node(Op::Iota { dim: 0 }, &[], vec![t(DType::Bool, &[3])], None);
    g.set_outputs(vec![Value::first(c)]);
    assert_eq!(err_of(&g).op, "iota");
}

#[test]
fn ssa_names_are_unique_across_regions() {
    // A reduce whose body is itself lowered after other ops: every %N defined once.
    let mut body = Graph::new();
    let a = body.add_parameter(TensorType::scalar(DType::F32));
    let b = body.add_parameter(TensorType::scalar(DType::F32));
    let r = body.add_node(
        Op::Binary(BinaryOp::Add),
        &[a, b],
        vec![TensorType::scalar(DType::F32)],
        None,
    );
    body.set_outputs(vec![Value::first(r)]);
    let body = Arc::new(body);
    let mut g = Graph::new();
    let x = g.add_parameter(t(DType::F32, &[4]));
    let z = g.add_node(
        Op::Constant(Literal::scalar(0.0f32)),
        &[],
        vec![TensorType::scalar(DType::F32)],
        None,
    );
    let r1 = g.add_node(
        Op::Reduce {
            dims: vec![0],
            body: body.clone(),
        },
        &[x, Value::first(z)],
        vec![TensorType::scalar(DType::F32)],
        None,
    );
    let r2 = g.add_node(
        Op::Reduce {
            dims: vec![0],
            body,
        },
        &[x, Value::first(r1)],
        vec![TensorType::scalar(DType::F32)],
        None,
    );
    g.set_outputs(vec![Value::first(r2)]);
    let text = lower(&g, "u").unwrap();
    let mut defined = std::collections::HashSet::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('%') {
            let name: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            assert!(
                defined.insert(name.clone()),
                "%{name} defined twice:\n{text}"
            );
        }
        if let Some(args) = line.strip_prefix("^bb0(") {
            for a in args.split(", ") {
                let name: String = a[1..].chars().take_while(|c| c.is_ascii_digit()).collect();
                assert!(
                    defined.insert(name.clone()),
                    "%{name} defined twice:\n{text}"
                );
            }
        }
    }
    assert_eq!(defined.len(), 9, "{text}");
}

#[test]
fn mlp_lowering_is_fast() {
    // 784-512-512-10 forward: a few dozen nodes must lower well under a millisecond.
    let f32t = |s: &[usize]| t(DType::F32, s);
    let mut g = Graph::new();
    let mut h = g.add_parameter(f32t(&[8, 784]));
    let dims = [784usize, 512, 512, 10];
    for l in 0..3 {
        let (i, o) = (dims[l], dims[l + 1]);
        let w = g.add_parameter(f32t(&[i, o]));
        let b = g.add_parameter(f32t(&[o]));
        let dd = ferrax_ir::DotDims {
            lhs_contract: vec![1],
            rhs_contract: vec![0],
            ..Default::default()
        };
        let d = g.add_node(Op::DotGeneral(dd), &[h, w], vec![f32t(&[8, o])], None);
        let bb = g.add_node(
            Op::BroadcastInDim { dims: vec![1] },
            &[b],
            vec![f32t(&[8, o])],
            None,
        );
        let s = g.add_node(
            Op::Binary(BinaryOp::Add),
            &[Value::first(d), Value::first(bb)],
            vec![f32t(&[8, o])],
            None,
        );
        h = Value::first(s);
        if l < 2 {
            let z = g.add_node(
                Op::Constant(Literal::scalar(0.0f32)),
                &[],
                vec![TensorType::scalar(DType::F32)],
                None,
            );
            let zb = g.add_node(
                Op::BroadcastInDim { dims: vec![] },
                &[Value::first(z)],
                vec![f32t(&[8, o])],
                None,
            );
            let r = g.add_node(
                Op::Binary(BinaryOp::Max),
                &[h, Value::first(zb)],
                vec![f32t(&[8, o])],
                None,
            );
            h = Value::first(r);
        }
    }
    g.set_outputs(vec![h]);
    lower(&g, "mlp").unwrap();
    let n = 200;
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(lower(&g, "mlp").unwrap());
    }
    let per = t0.elapsed() / n;
    // Generous bound so that a loaded test machine does not flake; measured ~6 us
    // (release) / tens of us (test profile).
    assert!(per.as_micros() < 1000, "lowering took {per:?}");
}
