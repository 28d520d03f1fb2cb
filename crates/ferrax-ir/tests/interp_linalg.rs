//! Host evaluator: dot_general and convolution; `linalg::eigh` / `linalg::svd` (LAPACK's
//! algorithms in graph ops) evaluated on the host against LAPACK-backed JAX.

mod interp_support;

use ferrax_ir::{ConvAttrs, ConvDims, DType, DotDims, Literal, Op};
use half::bf16;
use interp_support::{lit, run, run1, ty};

fn dot(lb: &[usize], rb: &[usize], lc: &[usize], rc: &[usize]) -> Op {
    Op::DotGeneral(DotDims {
        lhs_batch: lb.to_vec(),
        rhs_batch: rb.to_vec(),
        lhs_contract: lc.to_vec(),
        rhs_contract: rc.to_vec(),
    })
}

#[test]
fn dot_general_spec_example() {
    let l = lit(vec![1i64, 2, 3, 4, 5, 6, 7, 8], &[2, 2, 2]);
    let r = lit(vec![1i64, 0, 0, 1, 1, 0, 0, 1], &[2, 2, 2]);
    let out = run1(
        dot(&[0], &[0], &[2], &[1]),
        &[l, r],
        ty(DType::I64, &[2, 2, 2]),
    );
    assert_eq!(out.to_vec::<i64>().unwrap(), vec![1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn matmul_matvec_and_transposed_operands() {
    let a = lit(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = lit(vec![7.0f32, 8.0, 9.0, 10.0, 11.0, 12.0], &[3, 2]);
    let c = run1(
        dot(&[], &[], &[1], &[0]),
        &[a.clone(), b.clone()],
        ty(DType::F32, &[2, 2]),
    );
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![58.0, 64.0, 139.0, 154.0]);
    // a^T a: contract dim 0 of both.
    let c = run1(
        dot(&[], &[], &[0], &[0]),
        &[a.clone(), a.clone()],
        ty(DType::F32, &[3, 3]),
    );
    assert_eq!(
        c.to_vec::<f32>().unwrap(),
        vec![17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]
    );
    // Outer product (no contraction) and full contraction (scalar).
    let v = lit(vec![1i32, 2], &[2]);
    let w = lit(vec![3i32, 4, 5], &[3]);
    let c = run1(
        dot(&[], &[], &[], &[]),
        &[v.clone(), w],
        ty(DType::I32, &[2, 3]),
    );
    assert_eq!(c.to_vec::<i32>().unwrap(), vec![3, 4, 5, 6, 8, 10]);
    let c = run1(
        dot(&[], &[], &[0], &[0]),
        &[v.clone(), v],
        ty(DType::I32, &[]),
    );
    assert_eq!(c.to_vec::<i32>().unwrap(), vec![5]);
    // Two contracting dims.
    let c = run1(
        dot(&[], &[], &[0, 1], &[1, 0]),
        &[a, b],
        ty(DType::F32, &[]),
    );
    // sum_ij a[i][j] * b[j][i] = trace(a b) = 58 + 154
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![212.0]);
}

#[test]
fn dot_batch_dim_not_leading() {
    // lhs [k=2, b=2, m=1], rhs [b=2, k=2, n=1]
    let l = lit(vec![1i32, 2, 3, 4], &[2, 2, 1]);
    let r = lit(vec![10i32, 20, 30, 40], &[2, 2, 1]);
    let c = run1(
        dot(&[1], &[0], &[0], &[1]),
        &[l, r],
        ty(DType::I32, &[2, 1, 1]),
    );
    // batch 0: l[:,0] = [1, 3], r[0,:] = [10, 20] -> 70; batch 1: [2, 4].[30, 40] = 220
    assert_eq!(c.to_vec::<i32>().unwrap(), vec![70, 220]);
}

#[test]
fn dot_accumulates_floats_in_f64_and_ints_with_wrap() {
    // Sequential f32 accumulation would give 0; f64 accumulation gives the exact 1.
    let a = lit(vec![1e8f32, 1.0, -1e8], &[3]);
    let b = lit(vec![1.0f32, 1.0, 1.0], &[3]);
    let c = run1(dot(&[], &[], &[0], &[0]), &[a, b], ty(DType::F32, &[]));
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![1.0]);
    let a = lit(vec![100i8, 100], &[2]);
    let b = lit(vec![2i8, 1], &[2]);
    let c = run1(
        dot(&[], &[], &[0], &[0]),
        &[a.clone(), b.clone()],
        ty(DType::I8, &[]),
    );
    assert_eq!(c.to_vec::<i8>().unwrap(), vec![44]);
    // Preferred (wider) result types.
    let c = run1(dot(&[], &[], &[0], &[0]), &[a, b], ty(DType::I32, &[]));
    assert_eq!(c.to_vec::<i32>().unwrap(), vec![300]);
    let h = |x: f32| bf16::from_f32(x);
    let a = lit(vec![h(1.0), h(1.0 / 256.0)], &[2]);
    let b = lit(vec![h(1.0), h(1.0)], &[2]);
    let c = run1(
        dot(&[], &[], &[0], &[0]),
        &[a.clone(), b.clone()],
        ty(DType::F32, &[]),
    );
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![1.0 + 1.0 / 256.0]);
    let c = run1(dot(&[], &[], &[0], &[0]), &[a, b], ty(DType::BF16, &[]));
    assert_eq!(c.to_vec::<bf16>().unwrap(), vec![h(1.0)]);
}

#[test]
fn dot_zero_size() {
    let a = lit(Vec::<f32>::new(), &[2, 0]);
    let b = lit(Vec::<f32>::new(), &[0, 3]);
    let c = run1(dot(&[], &[], &[1], &[0]), &[a, b], ty(DType::F32, &[2, 3]));
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![0.0; 6]);
    let a = lit(Vec::<i32>::new(), &[0, 4]);
    let b = lit(vec![1i32; 4], &[4]);
    let c = run1(dot(&[], &[], &[1], &[0]), &[a, b], ty(DType::I32, &[0]));
    assert!(c.bytes().is_empty());
}

#[test]
fn dot_errors() {
    let a = lit(vec![true, false], &[2]);
    assert!(run(
        dot(&[], &[], &[0], &[0]),
        &[a.clone(), a],
        vec![ty(DType::Bool, &[])]
    )
    .is_err());
    let x = lit(vec![1.0f32; 6], &[2, 3]);
    assert!(run(
        dot(&[], &[], &[1], &[1]),
        &[x.clone(), lit(vec![1.0f32; 4], &[2, 2])],
        vec![ty(DType::F32, &[2, 2])]
    )
    .is_err());
    assert!(run(
        dot(&[], &[], &[5], &[0]),
        &[x.clone(), x],
        vec![ty(DType::F32, &[])]
    )
    .is_err());
}

/// `[b, 0, 1, f] x [0, 1, i, o] -> [b, 0, 1, f]` (NHWC / HWIO).
fn nhwc() -> ConvDims {
    ConvDims {
        input_batch: 0,
        input_feature: 3,
        input_spatial: vec![1, 2],
        kernel_input_feature: 2,
        kernel_output_feature: 3,
        kernel_spatial: vec![0, 1],
        output_batch: 0,
        output_feature: 3,
        output_spatial: vec![1, 2],
    }
}

fn conv(
    dims: ConvDims,
    strides: Vec<usize>,
    pad: Vec<(i64, i64)>,
    ldil: Vec<usize>,
    rdil: Vec<usize>,
    fg: usize,
    bg: usize,
) -> Op {
    Op::Convolution(ConvAttrs {
        window_strides: strides,
        padding: pad,
        lhs_dilation: ldil,
        rhs_dilation: rdil,
        feature_group_count: fg,
        batch_group_count: bg,
        dims,
    })
}

fn spec_conv_lhs() -> Literal {
    lit(
        vec![1i64, 2, 5, 6, 3, 4, 7, 8, 10, 11, 14, 15, 12, 13, 16, 17],
        &[1, 4, 4, 1],
    )
}

#[test]
fn convolution_spec_example() {
    let op = conv(
        nhwc(),
        vec![4, 4],
        vec![(0, 0), (0, 0)],
        vec![2, 2],
        vec![1, 1],
        1,
        1,
    );
    let r = run1(
        op,
        &[spec_conv_lhs(), lit(vec![1i64; 9], &[3, 3, 1, 1])],
        ty(DType::I64, &[1, 2, 2, 1]),
    );
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![10, 26, 46, 62]);
}

#[test]
fn convolution_with_padding_interpreter_example() {
    let op = conv(
        nhwc(),
        vec![4, 4],
        vec![(1, 1), (1, 1)],
        vec![2, 2],
        vec![1, 1],
        1,
        1,
    );
    let r = run1(
        op,
        &[spec_conv_lhs(), lit(vec![1i64; 9], &[3, 3, 1, 1])],
        ty(DType::I64, &[1, 2, 2, 1]),
    );
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![1, 5, 10, 14]);
}

#[test]
fn convolution_batch_group_count_interpreter_example() {
    // [0, b, 1, f] x [0, 1, i, o] -> [b, 0, 1, f]
    let dims = ConvDims {
        input_batch: 1,
        input_feature: 3,
        input_spatial: vec![0, 2],
        kernel_input_feature: 2,
        kernel_output_feature: 3,
        kernel_spatial: vec![0, 1],
        output_batch: 0,
        output_feature: 3,
        output_spatial: vec![1, 2],
    };
    let op = conv(
        dims,
        vec![4, 4],
        vec![(0, 0), (0, 0)],
        vec![2, 2],
        vec![1, 1],
        1,
        4,
    );
    let r = run1(
        op,
        &[spec_conv_lhs(), lit(vec![1i64; 8], &[1, 2, 1, 4])],
        ty(DType::I64, &[1, 1, 2, 4]),
    );
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![1, 3, 10, 12, 5, 7, 14, 16]);
}

#[test]
fn convolution_feature_group_count_interpreter_example() {
    // [b, 0, f, 1] x [0, i, 1, o] -> [b, 0, 1, f]
    let dims = ConvDims {
        input_batch: 0,
        input_feature: 2,
        input_spatial: vec![1, 3],
        kernel_input_feature: 1,
        kernel_output_feature: 3,
        kernel_spatial: vec![0, 2],
        output_batch: 0,
        output_feature: 3,
        output_spatial: vec![1, 2],
    };
    let op = conv(
        dims,
        vec![4, 4],
        vec![(0, 0), (0, 0)],
        vec![2, 2],
        vec![1, 1],
        2,
        1,
    );
    let r = run1(
        op,
        &[spec_conv_lhs(), lit(vec![1i64; 8], &[1, 2, 1, 4])],
        ty(DType::I64, &[1, 2, 1, 4]),
    );
    assert_eq!(
        r.to_vec::<i64>().unwrap(),
        vec![3, 3, 11, 11, 21, 21, 29, 29]
    );
}

/// Naive 1-D convolution in NCW/OIW layout for checking.
#[allow(clippy::too_many_arguments)]
fn naive_conv1d(
    x: &[f64],
    n: usize,
    c: usize,
    w: usize,
    k: &[f64],
    o: usize,
    kw: usize,
    stride: usize,
    pad: (i64, i64),
    rdil: usize,
) -> (Vec<f64>, usize) {
    let padded = w as i64 + pad.0 + pad.1;
    let span = ((kw - 1) * rdil + 1) as i64;
    let ow = if padded < span {
        0
    } else {
        ((padded - span) / stride as i64 + 1) as usize
    };
    let mut out = vec![0.0; n * o * ow];
    for b in 0..n {
        for of in 0..o {
            for p in 0..ow {
                let mut s = 0.0;
                for ci in 0..c {
                    for t in 0..kw {
                        let pos = (p * stride + t * rdil) as i64 - pad.0;
                        if pos >= 0 && (pos as usize) < w {
                            s += x[(b * c + ci) * w + pos as usize] * k[(of * c + ci) * kw + t];
                        }
                    }
                }
                out[(b * o + of) * ow + p] = s;
            }
        }
    }
    (out, ow)
}

#[test]
fn convolution_1d_ncw_matches_naive() {
    let (n, c, w, o, kw) = (2, 3, 9, 2, 3);
    let x: Vec<f64> = (0..n * c * w)
        .map(|i| ((i * 7) % 11) as f64 - 5.0)
        .collect();
    let k: Vec<f64> = (0..o * c * kw)
        .map(|i| ((i * 5) % 7) as f64 * 0.5 - 1.0)
        .collect();
    let dims = ConvDims {
        input_batch: 0,
        input_feature: 1,
        input_spatial: vec![2],
        kernel_input_feature: 1,
        kernel_output_feature: 0,
        kernel_spatial: vec![2],
        output_batch: 0,
        output_feature: 1,
        output_spatial: vec![2],
    };
    for (stride, pad, rdil) in [
        (1, (0, 0), 1),
        (2, (1, 2), 1),
        (1, (-2, 1), 2),
        (3, (2, 2), 3),
    ] {
        let (want, ow) = naive_conv1d(&x, n, c, w, &k, o, kw, stride, pad, rdil);
        let op = conv(
            dims.clone(),
            vec![stride],
            vec![pad],
            vec![1],
            vec![rdil],
            1,
            1,
        );
        let r = run1(
            op,
            &[lit(x.clone(), &[n, c, w]), lit(k.clone(), &[o, c, kw])],
            ty(DType::F64, &[n, o, ow]),
        );
        assert_eq!(
            r.to_vec::<f64>().unwrap(),
            want,
            "stride {stride} pad {pad:?} rdil {rdil}"
        );
    }
}

#[test]
fn convolution_zero_size_and_errors() {
    let dims = ConvDims {
        input_batch: 0,
        input_feature: 1,
        input_spatial: vec![2],
        kernel_input_feature: 1,
        kernel_output_feature: 0,
        kernel_spatial: vec![2],
        output_batch: 0,
        output_feature: 1,
        output_spatial: vec![2],
    };
    let op = conv(dims.clone(), vec![1], vec![(0, 0)], vec![1], vec![1], 1, 1);
    let x = lit(Vec::<f32>::new(), &[0, 2, 5]);
    let k = lit(vec![1.0f32; 6], &[1, 2, 3]);
    let r = run1(op.clone(), &[x, k.clone()], ty(DType::F32, &[0, 1, 3]));
    assert!(r.bytes().is_empty());
    // Kernel wider than the input: zero output positions.
    let x = lit(vec![1.0f32; 4], &[1, 2, 2]);
    let r = run1(
        op.clone(),
        &[x.clone(), k.clone()],
        ty(DType::F32, &[1, 1, 0]),
    );
    assert!(r.bytes().is_empty());
    // Wrong declared result shape, wrong feature count.
    assert!(run(
        op.clone(),
        &[x.clone(), k],
        vec![ty(DType::F32, &[1, 1, 1])]
    )
    .is_err());
    let k3 = lit(vec![1.0f32; 9], &[1, 3, 3]);
    assert!(run(op, &[x, k3], vec![ty(DType::F32, &[1, 1, 0])]).is_err());
}

// ---------------------------------------------------------------- eigh / svd

use ferrax_ir::{interp, linalg, trace, Binding, Tensor};

/// Traces `f` on a parameter of `x`'s type and evaluates the graph on the host.
fn host(x: &Literal, f: impl FnOnce(&Tensor) -> ferrax_ir::Result<Vec<Tensor>>) -> Vec<Literal> {
    let guard = trace::open_trace();
    let tr = guard.trace().clone();
    let p = tr.add_parameter(x.ty().clone(), Binding::Arg);
    let outs = f(&p).expect("trace");
    let vals: Vec<_> = outs.iter().map(|o| o.value().expect("value")).collect();
    drop(guard);
    let g = tr.with_graph(|g| g.extract(&vals));
    interp::eval(&g, std::slice::from_ref(x)).expect("eval")
}

fn golden() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/linalg.json"
    ))
    .expect("run scripts/golden_linalg.py");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["cases"].as_array().expect("cases").clone()
}

/// Values of a hex bit-pattern array (8 digits: f32, 16: f64), widened to f64.
fn hexes(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|h| {
            let h = h.as_str().expect("hex");
            if h.len() == 8 {
                f32::from_bits(u32::from_str_radix(h, 16).expect("hex")) as f64
            } else {
                f64::from_bits(u64::from_str_radix(h, 16).expect("hex"))
            }
        })
        .collect()
}

fn literal_of(c: &serde_json::Value) -> Literal {
    let dims: Vec<usize> = c["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect();
    let x = hexes(&c["input"]);
    if c["dtype"] == "float32" {
        lit(x.iter().map(|&v| v as f32).collect(), &dims)
    } else {
        lit(x, &dims)
    }
}

fn values(l: &Literal) -> Vec<f64> {
    match l.ty().dtype {
        DType::F32 => l
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|&v| v as f64)
            .collect(),
        _ => l.to_vec::<f64>().unwrap(),
    }
}

/// Max |got - want| over max |want|.
fn rel(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0f64, |m, x| m.max(x.abs())).max(1e-300);
    got.iter()
        .zip(want)
        .fold(0f64, |m, (g, w)| m.max((g - w).abs() / scale))
}

/// Tolerance of a golden case: 1e-5 (f32) / 1e-10 (f64) of the scale; vectors of
/// repeated singular values (the rank-2 case's zeros) are not unique and are skipped.
fn tol(c: &serde_json::Value) -> f64 {
    if c["dtype"] == "float32" {
        1e-5
    } else {
        1e-10
    }
}

#[test]
fn eigh_matches_lapack_on_host() {
    let mut worst = [0f64; 2];
    for c in golden().iter().filter(|c| c["op"] == "eigh") {
        let x = literal_of(c);
        let out = host(&x, |a| {
            let (w, v) = linalg::eigh(a)?;
            Ok(vec![w, v])
        });
        let what = format!("eigh {} {} {}", c["dtype"], c["kind"], c["shape"]);
        let ew = rel(&values(&out[0]), &hexes(&c["w"]));
        assert!(ew <= tol(c), "{what}: eigenvalues off by {ew:e}");
        let ev = if c["kind"] == "rank2" {
            // Only the two nonzero eigenvalues' vectors (the last two) are unique.
            let n = *c["shape"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_u64()
                .as_ref()
                .unwrap() as usize;
            let pick = |v: &[f64]| -> Vec<f64> {
                v.iter()
                    .enumerate()
                    .filter(|(i, _)| i % n >= n - 2)
                    .map(|(_, x)| *x)
                    .collect()
            };
            rel(&pick(&values(&out[1])), &pick(&hexes(&c["v"])))
        } else {
            rel(&values(&out[1]), &hexes(&c["v"]))
        };
        assert!(ev <= tol(c), "{what}: eigenvectors off by {ev:e}");
        let slot = usize::from(c["dtype"] == "float64");
        worst[slot] = worst[slot].max(ew).max(ev);
    }
    println!(
        "eigh host vs LAPACK: worst f32 {:e}, f64 {:e}",
        worst[0], worst[1]
    );
}

#[test]
fn svd_matches_lapack_on_host() {
    let mut worst = [0f64; 2];
    for c in golden().iter().filter(|c| c["op"] == "svd") {
        let x = literal_of(c);
        let out = host(&x, |a| {
            let (u, s, vt) = linalg::svd(a)?;
            Ok(vec![u, s, vt])
        });
        let what = format!("svd {} {} {}", c["dtype"], c["kind"], c["shape"]);
        let es = rel(&values(&out[1]), &hexes(&c["s"]));
        assert!(es <= tol(c), "{what}: singular values off by {es:e}");
        let slot = usize::from(c["dtype"] == "float64");
        worst[slot] = worst[slot].max(es);
        if c["kind"] == "rank2" {
            continue; // singular vectors of the repeated zero singular value are not unique
        }
        for (i, key) in [(0, "u"), (2, "vt")] {
            let e = rel(&values(&out[i]), &hexes(&c[key]));
            assert!(e <= tol(c), "{what}: {key} off by {e:e}");
            worst[slot] = worst[slot].max(e);
        }
    }
    println!(
        "svd host vs LAPACK: worst f32 {:e}, f64 {:e}",
        worst[0], worst[1]
    );
}
