//! Plugin, client, compile, execute and buffers against the real CPU plugin.

mod common;

use common::{client, f32_bytes, f32s, plugin, TINY};
use ferrax_pjrt::{AttrValue, ElementType, PjrtError, Plugin};

#[test]
fn attributes_and_versions() {
    let p = plugin();
    let (major, minor) = p.api_version();
    println!("PJRT C API {major}.{minor} from {}", p.path().display());
    for (k, v) in p.attributes() {
        println!("  {k} = {v}");
    }
    assert_eq!((major, minor), (0, 81));
    println!(
        "stablehlo current {:?} minimum {:?}",
        p.stablehlo_current_version(),
        p.stablehlo_minimum_version()
    );
    assert_eq!(p.stablehlo_current_version(), Some([1, 13, 3]));
    assert_eq!(p.stablehlo_minimum_version(), Some([0, 9, 0]));
    assert!(matches!(
        p.attribute("stablehlo_current_version"),
        Some(AttrValue::Int64List(_))
    ));
}

#[test]
fn loading_twice_gives_the_same_plugin() {
    let p = plugin();
    let again = Plugin::load(p.path()).expect("second load");
    assert_eq!(again.path(), p.path());
    assert_eq!(again.api_version(), p.api_version());
}

#[test]
fn client_and_devices() {
    let c = client();
    println!("platform {} / {}", c.platform_name(), c.platform_version());
    assert_eq!(c.platform_name(), "cpu");
    assert!(c.is_cpu());
    let devices = c.devices().expect("devices");
    let addressable = c.addressable_devices().expect("addressable");
    println!("devices: {devices:?}");
    assert!(!devices.is_empty());
    assert!(!addressable.is_empty());
    assert_eq!(devices[0].kind(), "cpu");
    assert!(devices.iter().all(|d| d.is_addressable()));
    let ids: Vec<i32> = devices.iter().map(|d| d.id()).collect();
    let mut dedup = ids.clone();
    dedup.dedup();
    assert_eq!(ids, dedup);
}

#[test]
fn compile_and_run_tiny() {
    let c = client();
    let exe = c.compile(TINY).expect("compile");
    assert_eq!(exe.num_outputs(), 2);
    assert_eq!(
        exe.signature(),
        Some(
            &[
                (ElementType::F32, vec![2, 3]),
                (ElementType::F32, vec![2, 3])
            ][..]
        )
    );
    let meta = exe.executable().expect("executable");
    assert_eq!(
        meta.output_element_types().expect("types"),
        vec![ElementType::F32, ElementType::F32]
    );
    assert_eq!(
        meta.output_dims().expect("dims"),
        vec![vec![2, 3], vec![2, 2]]
    );
    let a = c
        .buffer_from_host(
            &f32_bytes(&[1., 2., 3., 4., 5., 6.]),
            ElementType::F32,
            &[2, 3],
            None,
        )
        .expect("a");
    let b = c
        .buffer_from_host(
            &f32_bytes(&[1., 0., 2., 0., 1., 3.]),
            ElementType::F32,
            &[2, 3],
            None,
        )
        .expect("b");
    let out = exe.execute(&[&a, &b]).expect("execute");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].element_type(), ElementType::F32);
    assert_eq!(out[0].dims(), &[2, 3]);
    assert_eq!(out[1].dims(), &[2, 2]);
    let sum = f32s(&out[0].to_host().expect("to_host"));
    assert_eq!(sum, vec![2., 2., 5., 4., 6., 9.]);
    // (a+b) . b^T: rows of a+b times rows of b.
    let dot = out[1].read_in_place(f32s).expect("read");
    assert_eq!(dot, vec![12., 17., 22., 33.]);
    // Both read paths agree.
    assert_eq!(
        out[1].to_host().expect("to_host"),
        out[1].read_in_place(|b| b.to_vec()).expect("read")
    );
    assert_eq!(out[1].on_device_size_in_bytes().expect("size"), 16);
    assert_eq!(
        out[1].device().expect("device").id(),
        c.addressable_devices().expect("d")[0].id()
    );
}

#[test]
fn pretty_form_and_layout() {
    // A transpose: the output must come back row-major, not in a compiler-chosen layout.
    let c = client();
    let prog = "func.func public @main(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {\n\
                  %0 = stablehlo.transpose %x, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>\n\
                  return %0 : tensor<3x2xf32>\n}";
    let exe = c.compile(prog).expect("compile");
    let x = c
        .buffer_from_host(
            &f32_bytes(&[1., 2., 3., 4., 5., 6.]),
            ElementType::F32,
            &[2, 3],
            None,
        )
        .expect("x");
    let out = exe.execute(&[&x]).expect("execute");
    assert_eq!(
        out[0].read_in_place(f32s).expect("read"),
        vec![1., 4., 2., 5., 3., 6.]
    );
    assert_eq!(
        f32s(&out[0].to_host().expect("host")),
        vec![1., 4., 2., 5., 3., 6.]
    );
}

fn pattern(ty: ElementType, n: usize) -> Vec<u8> {
    if ty == ElementType::Pred {
        (0..n).map(|i| (i % 3 == 0) as u8).collect()
    } else {
        (0..n * ty.byte_size())
            .map(|i| (i * 37 + 11) as u8)
            .collect()
    }
}

#[test]
fn round_trip_every_element_type() {
    let c = client();
    for ty in ElementType::ALL {
        for dims in [vec![2i64, 3], vec![], vec![0, 3], vec![4], vec![1, 1, 1]] {
            let n: usize = dims.iter().product::<i64>() as usize;
            let data = pattern(ty, n);
            let b = c.buffer_from_host(&data, ty, &dims, None).expect("upload");
            assert_eq!(b.element_type(), ty);
            assert_eq!(b.dims(), dims.as_slice());
            assert_eq!(b.to_host().expect("to_host"), data, "{ty} {dims:?} to_host");
            assert_eq!(
                b.read_in_place(|s| s.to_vec()).expect("read"),
                data,
                "{ty} {dims:?} read_in_place"
            );
        }
    }
}

#[test]
fn every_element_type_through_a_program() {
    // reverse along the last axis: checks our type codes and byte sizes agree with
    // the compiler's for each StableHLO element type.
    let c = client();
    for ty in ElementType::ALL {
        let t = format!("tensor<2x3x{}>", ty.mlir_name());
        let prog = format!(
            "func.func public @main(%x: {t}) -> {t} {{\n  %0 = stablehlo.reverse %x, dims = [1] : {t}\n  return %0 : {t}\n}}"
        );
        let exe = c.compile(&prog).unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert_eq!(exe.signature(), Some(&[(ty, vec![2, 3])][..]));
        let data = pattern(ty, 6);
        let x = c
            .buffer_from_host(&data, ty, &[2, 3], None)
            .expect("upload");
        let out = exe.execute(&[&x]).expect("execute");
        assert_eq!(out[0].element_type(), ty);
        let got = out[0].to_host().expect("host");
        let s = ty.byte_size();
        let mut want = Vec::new();
        for row in 0..2 {
            for col in (0..3).rev() {
                let i = (row * 3 + col) * s;
                want.extend_from_slice(&data[i..i + s]);
            }
        }
        assert_eq!(got, want, "{ty}");
    }
}

#[test]
fn syntax_error_reports_plugin_text() {
    let c = client();
    let err = c.compile("this is not a program").expect_err("must fail");
    let msg = err.to_string();
    println!("{msg}");
    assert!(matches!(
        err,
        PjrtError::Plugin {
            call: "PJRT_Client_Compile",
            ..
        }
    ));
    assert!(msg.starts_with("PJRT_Client_Compile: "));
    assert!(msg.contains("error"), "{msg}");
    assert!(msg.contains("this"), "plugin text is kept: {msg}");
}

#[test]
fn wrong_arguments_are_caught_before_the_plugin() {
    let c = client();
    let exe = c.compile(TINY).expect("compile");
    let ok = c
        .buffer_from_host(&f32_bytes(&[0.; 6]), ElementType::F32, &[2, 3], None)
        .expect("ok");
    // Count.
    let e = exe.execute(&[&ok]).expect_err("count");
    assert!(
        matches!(
            e,
            PjrtError::ArgumentCount {
                expected: 2,
                got: 1
            }
        ),
        "{e}"
    );
    let e = exe.execute(&[&ok, &ok, &ok]).expect_err("count");
    assert!(
        matches!(
            e,
            PjrtError::ArgumentCount {
                expected: 2,
                got: 3
            }
        ),
        "{e}"
    );
    // Dims with the same byte size (the plugin would silently accept this).
    let t = c
        .buffer_from_host(&f32_bytes(&[0.; 6]), ElementType::F32, &[3, 2], None)
        .expect("t");
    let e = exe.execute(&[&ok, &t]).expect_err("dims");
    assert_eq!(
        e.to_string(),
        "execute: argument 1 should be f32[2,3], got f32[3,2]"
    );
    // Dtype with the same byte size (also silently accepted by the plugin).
    let i = c
        .buffer_from_host(&[0u8; 24], ElementType::S32, &[2, 3], None)
        .expect("i");
    let e = exe.execute(&[&i, &ok]).expect_err("dtype");
    assert_eq!(
        e.to_string(),
        "execute: argument 0 should be f32[2,3], got s32[2,3]"
    );
    // Explicit signature.
    let exe2 = c
        .compile_with_signature(
            TINY,
            &[
                (ElementType::F32, vec![2, 3]),
                (ElementType::F32, vec![2, 3]),
            ],
        )
        .expect("compile");
    assert!(matches!(
        exe2.execute(&[&ok, &t]),
        Err(PjrtError::ArgumentMismatch { index: 1, .. })
    ));
    assert!(exe2.execute(&[&ok, &ok]).is_ok());
}

#[test]
fn argument_from_another_device_is_a_plugin_error_not_an_abort() {
    let c = client();
    let devices = c.addressable_devices().expect("devices");
    if devices.len() < 2 {
        return;
    }
    let exe = c.compile(TINY).expect("compile");
    let a = c
        .buffer_from_host(&f32_bytes(&[0.; 6]), ElementType::F32, &[2, 3], None)
        .expect("a");
    let b = c
        .buffer_from_host(
            &f32_bytes(&[0.; 6]),
            ElementType::F32,
            &[2, 3],
            Some(&devices[1]),
        )
        .expect("b");
    assert_eq!(b.device().expect("device").id(), devices[1].id());
    let e = exe.execute(&[&a, &b]).expect_err("must fail");
    assert_eq!(
        e.code(),
        Some(ferrax_pjrt::ErrorCode::InvalidArgument),
        "{e}"
    );
}

#[test]
fn data_length_mismatch() {
    let c = client();
    let e = c
        .buffer_from_host(&[0u8; 20], ElementType::F32, &[2, 3], None)
        .expect_err("must fail");
    assert!(
        matches!(
            e,
            PjrtError::DataLength {
                expected: 24,
                got: 20,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "buffer_from_host: f32[2,3] needs 24 bytes, got 20"
    );
    assert!(c
        .buffer_from_host(&[], ElementType::F32, &[-1], None)
        .is_err());
    assert!(c
        .buffer_from_host(&[], ElementType::F64, &[i64::MAX, 4], None)
        .is_err());
    assert!(c
        .buffer_from_host(&[0u8; 3], ElementType::F32, &[], None)
        .is_err());
}

#[test]
fn zero_outputs_and_zero_inputs() {
    let c = client();
    let prog = "func.func public @main() -> tensor<2xi32> {\n  %0 = stablehlo.constant dense<[7, 9]> : tensor<2xi32>\n  return %0 : tensor<2xi32>\n}";
    let exe = c.compile(prog).expect("compile");
    assert_eq!(exe.signature(), Some(&[][..]));
    let out = exe.execute(&[]).expect("run");
    assert_eq!(
        out[0].to_host().expect("host"),
        [7i32.to_le_bytes(), 9i32.to_le_bytes()].concat()
    );
}

#[test]
fn executing_from_several_threads() {
    let c = client();
    let exe = std::sync::Arc::new(c.compile(TINY).expect("compile"));
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let exe = exe.clone();
            let c = c.clone();
            std::thread::spawn(move || {
                let v = k as f32;
                let a = c
                    .buffer_from_host(&f32_bytes(&[v; 6]), ElementType::F32, &[2, 3], None)
                    .expect("a");
                for _ in 0..200 {
                    let out = exe.execute(&[&a, &a]).expect("run");
                    let s = out[0].read_in_place(f32s).expect("read");
                    assert_eq!(s, vec![2. * v; 6]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
}

#[test]
fn types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ferrax_pjrt::Plugin>();
    check::<ferrax_pjrt::Client>();
    check::<ferrax_pjrt::Device>();
    check::<ferrax_pjrt::Buffer>();
    check::<ferrax_pjrt::LoadedExecutable>();
    check::<ferrax_pjrt::Executable>();
    check::<ferrax_pjrt::Event>();
}
